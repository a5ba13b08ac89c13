/* pass_tile.c - loop tiling of conv2d and dense: per layer and target, the
 * register block and cache blocks the back end's GEMM loop nest uses
 * (backend/lower_tiled.c), recorded in attr.tile.
 *
 * Both layers are seen as a matrix product C[M, N] = A[M, K] x B[K, N]:
 * M runs over output pixels (n, oh, ow) of an NHWC conv or the rows of a
 * dense layer (all leading positions: N * T for [N, T, F]), N over output
 * channels, K over the reduction ((kh, kw, c)
 * taps of a conv, in-features of a dense layer). B is the weights.
 *
 * The sizes follow the Goto/BLIS analytical model (Goto and van de Geijn,
 * "Anatomy of high-performance matrix multiplication", TOMS 2008; Low et al.,
 * "Analytical modeling is enough for high-performance BLIS", TOMS 2016):
 *   - register block mr x nr: mr rows of A broadcast against nr/vec vectors
 *     of B; the mr * nr/vec accumulators use about 3/4 of the vector
 *     registers, the rest hold B vectors and the broadcast. At least ~6 rows
 *     where M allows, so that enough independent FMA chains hide the FMA
 *     latency (latency 4 x 2 ports = 8 chains on current x86).
 *   - kc: the kc x nr micro-panel of B is reused by every mr block. The
 *     model puts it in L1 (kc * (mr + nr) * 4 <= L1 / 2, kc = 186 on AVX2),
 *     but on znver3 the L2 feeds the 64 bytes of B per 12 FMAs easily, and
 *     each extra chunk costs a pass of partial sums through the output:
 *     one-layer A/B runs of ResNet-50's 1x1 convs were 3-13 % faster with K
 *     whole (K up to 2048) than with kc = 186 or 256, and its 3x3/2 convs
 *     8 % faster than with kc = 256. So the micro-panel gets a quarter of
 *     L2 instead: kc * nr * 4 <= L2 / 4 (4096 for 6 x 16 on AVX2). With
 *     one row block (M <= mr: batch-1 dense) nothing reuses B and the
 *     speed does not depend on kc, but each chunk ends a float sum chain:
 *     ResNet-50's fc (K = 2048) in one chunk put its logits 1.5e-3 off
 *     PyTorch's, in chunks of 256 3e-4. So kc = KC_ONE_BLOCK there.
 *   - mc: the mc x kc block of A stays in (half of) L2.
 *   - nc: the kc x nc block of B stays in (half of) L3.
 * K is chunked in the unit the kernel walks it (conv_kstep): elements for
 * an unpadded 1x1 conv (a GEMM), kernel rows (kw * c floats) where those
 * are short runs, else whole taps (c floats). A fused residual is added
 * with the first chunk, so it does not constrain kc.
 * A grouped conv (1 < groups, not depthwise) is G such products side by
 * side, one per group: M pixels, N = O/G, K = (C/G) * kh * kw, the tile
 * chosen for one group's shape and K walked by taps (the C/G channels of
 * a group are not contiguous across adjacent pixels), or as a GEMM when
 * 1x1 unpadded. Depthwise convs (one channel per group in and out) and
 * groups of S channels in and out with S dividing the vector width (and
 * below it) are
 * the lane-wise kernel's (pass_dwpack.c), channel multipliers (one input
 * channel per group, several out) and NCHW convolutions stay untiled
 * (vec = 0): the plain loops of the back end run them. So do tiny layers (under
 * MIN_MACS multiply-adds): LLVM unrolls their plain loops completely and
 * turns the weights into immediates, and tiling would only add padded
 * weights and the code of tail blocks. */
#include "pass.h"

#include "check.h"

#define MR_MAX 16  /* rows of a register block: each needs an A pointer */
#define NVEC_MAX 8 /* vectors per row of a register block (code size) */
#define MR_MIN 6   /* rows wanted before the block grows along N */
#define MIN_MACS 4096
#define KROW_MAX 256 /* longest kernel row walked as one run (lower_tiled.c) */
#define KC_ONE_BLOCK 256 /* kc with one row block: bounds float sum chains */

struct gemm_shape {
	int64_t m, n, k;
	int64_t kstep; /* K is chunked in multiples of this (conv: channels) */
};

static int64_t min64(int64_t a, int64_t b)
{
	return a < b ? a : b;
}

static int64_t max64(int64_t a, int64_t b)
{
	return a > b ? a : b;
}

/* Largest multiple of `step` not above x, and at least step. */
static int64_t round_down(int64_t x, int64_t step)
{
	return max64(step, x / step * step);
}

static int64_t round_up(int64_t x, int64_t step)
{
	return (x + step - 1) / step * step;
}

static bool worth_tiling(struct gemm_shape s)
{
	int64_t mn, macs;
	return ckd_mul_i64(&mn, s.m, s.n) || ckd_mul_i64(&macs, mn, s.k) || macs >= MIN_MACS;
}

/* The tile of one layer (see the top of the file for the model). */
static struct ir_tile choose_tile(const struct target_desc *t, struct gemm_shape s)
{
	struct ir_tile r = { 0 };
	int64_t vec = t->vec_floats, acc_regs = t->vec_regs * 3 / 4;
	int64_t rows = min64(s.m, MR_MIN);
	int64_t nvec = min64(min64((s.n + vec - 1) / vec, acc_regs / rows), NVEC_MAX);
	int64_t mr = min64(min64(acc_regs / nvec, MR_MAX), s.m);
	int64_t nr = nvec * vec;
	int64_t kc = s.m <= mr ? KC_ONE_BLOCK : (t->l2 / 4) / (4 * nr);
	kc = kc >= s.k ? s.k : round_down(kc, s.kstep);
	int64_t mc = round_down((t->l2 / 2) / (4 * kc), mr);
	mc = min64(mc, round_up(s.m, mr));
	int64_t nc = round_down((t->l3 / 2) / (4 * kc), nr);
	nc = min64(nc, round_up(s.n, nr));
	r.vec = (int32_t)vec;
	r.mr = (int32_t)mr;
	r.nr = (int32_t)nr;
	r.kc = (int32_t)kc;
	r.mc = (int32_t)min64(mc, INT32_MAX / 2);
	r.nc = (int32_t)min64(nc, INT32_MAX / 2);
	return r;
}

/* The unit K is chunked in, as backend/lower_tiled.c walks K: one element
 * for a 1x1 unpadded conv (a GEMM over strided rows of x), a kernel row
 * (kw * c floats) for short runs with dilation 1 along w, else a tap. */
static int64_t conv_kstep(const struct ir_conv_attr *a, int64_t c)
{
	if (a->kernel[0] == 1 && a->kernel[1] == 1 && !a->pad[0] && !a->pad[1] && !a->pad[2] &&
	    !a->pad[3])
		return 1;
	if (a->groups == 1 && a->dilation[1] == 1 && a->kernel[1] > 1 && a->kernel[1] * c <= KROW_MAX)
		return a->kernel[1] * c;
	return c;
}

static void tile_conv(struct ir_graph *g, struct ir_node *n, const struct target_desc *t)
{
	struct ir_conv_attr *a = &n->attr.conv;
	const struct ir_type *x = &g->vals[n->in[0]].type, *y = &g->vals[n->out].type;
	a->tile = (struct ir_tile){ 0 };
	if (a->groups < 1 || a->layout != IR_LAYOUT_NHWC || x->rank != 4 || y->rank != 4)
		return;
	int64_t cg = x->dims[3] / a->groups, ng = y->dims[3] / a->groups;
	/* Groups narrower than a vector: the lane-wise kernel's
	 * (pass_dwpack.c), depthwise included. One input channel per group
	 * with a channel multiplier: the plain loops were measured faster
	 * than a GEMM per group of K = kh * kw (docs/ir.md, "Packed
	 * weights"). */
	if (a->groups > 1 && (cg == 1 || pass_conv_lanewise(g, n, t->vec_floats)))
		return;
	struct gemm_shape s = {
		.m = y->dims[0] * y->dims[1] * y->dims[2],
		.n = ng,
		.k = cg * a->kernel[0] * a->kernel[1],
		.kstep = conv_kstep(a, cg),
	};
	/* K and N bound the packed weights, M the output: all are below
	 * IR_MAX_TENSOR_BYTES, so the products above cannot overflow, but the
	 * tile fields are 32-bit. */
	if (s.k > INT32_MAX || s.m > INT32_MAX || s.n > INT32_MAX)
		return;
	struct gemm_shape all = s; /* every group's multiply-adds */
	all.n = y->dims[3];
	if (worth_tiling(all))
		a->tile = choose_tile(t, s);
}

static void tile_dense(struct ir_graph *g, struct ir_node *n, const struct target_desc *t)
{
	struct ir_dense_attr *a = &n->attr.dense;
	const struct ir_type *x = &g->vals[n->in[0]].type, *y = &g->vals[n->out].type;
	a->tile = (struct ir_tile){ 0 };
	if (x->rank < 2 || y->rank != x->rank)
		return;
	/* a time-distributed dense ([N, T, F]) is one GEMM with M = N * T */
	int64_t units = y->dims[y->rank - 1];
	struct gemm_shape s = { .m = ir_type_numel(y) / units, .n = units,
		                .k = x->dims[x->rank - 1], .kstep = 1 };
	if (s.k > INT32_MAX || s.m > INT32_MAX || s.n > INT32_MAX)
		return;
	if (worth_tiling(s))
		a->tile = choose_tile(t, s);
}

static bool run(struct pass_ctx *ctx)
{
	const struct target_desc *t = ctx->opts->target;
	if (!t)
		t = target_lookup(NULL, NULL, NULL);
	for (uint32_t i = 0; i < ctx->g->nnodes; i++) {
		struct ir_node *n = &ctx->g->nodes[i];
		if (n->op == IR_CONV2D)
			tile_conv(ctx->g, n, t);
		else if (n->op == IR_DENSE)
			tile_dense(ctx->g, n, t);
	}
	return true;
}

const struct pass pass_tile = {
	.name = "tile",
	.summary = "choose register and cache blocks of conv2d/dense for the target",
	.run = run,
	.stage = IR_STAGE_BOUND,
	.min_opt = 1,
};
