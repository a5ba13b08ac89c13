/* pass_winograd.c - Winograd convolution F(2 x 2, 3 x 3) for 3x3, stride-1
 * convs (Lavin and Gray, "Fast algorithms for convolutional neural
 * networks", CVPR 2016).
 *
 * An output tile of m x m pixels is A^T [(G g G^T) . (B^T d B)] A, where d
 * is the (m+2) x (m+2) input tile and g the 3x3 filter; the product "."
 * is elementwise, and summed over input channels it becomes, for each of
 * the (m+2)^2 tile elements e, one matrix product M[e] = V[e] x U[e] of the
 * transformed input tiles V[e] [tiles, C] with the transformed filters
 * U[e] = (G g G^T)[e] [C, K]. F(2x2) does 16 multiplies per 2x2 output
 * tile and channel pair where the direct conv does 36 (2.25x fewer).
 *
 * For every conv2d the tiling pass tiled, with a 3x3 kernel, stride 1,
 * dilation 1, groups 1, NHWC, on a target with vectors of 8 floats or
 * more and with enough channels and pixels to pay, this pass computes U at
 * compile time (in double) into a new constant "<key>:winograd" laid out
 * as docs/ir.md "Winograd weights" says (per element e the nr-wide panels
 * of "Packed weights" with K = C), and records m and the number of tiles
 * per block (mc) in the tile; `packed` is set so that the pack pass leaves
 * the layer alone. backend/lower_winograd.c holds B^T and A^T and runs the
 * layer. */
#include "pass.h"

#include "check.h"

/* Layers with fewer channels than this run as the direct implicit GEMM:
 * the transforms cost per channel what the GEMM saves per channel pair. */
#define MIN_CHANNELS 16
/* Smallest output height and width: below, tiles are mostly padding. */
#define MIN_SPATIAL 4
/* Tiles per block: at most this many register rows (mr) deep. */
#define MAX_BLOCK_ROWS 8

/* G of F(2x2, 3x3), [m + 2][3]. F(4x4, 3x3) (Lavin's points 0, +-1, +-2)
 * would cut the multiplies 4x instead of 2.25x and ran a 56x56x64 layer
 * 1.6x faster than F(2x2), but its error on O(1) data reached 2e-5
 * absolute, twice the tolerance of the tiled kernels against the
 * interpreter (abs 1e-5 + rel 1e-4), already at 64 channels. */
static const double gm[4][3] = {
	{ 1, 0, 0 }, { 0.5, 0.5, 0.5 }, { 0.5, -0.5, 0.5 }, { 0, 0, 1 },
};
#define WINO_M 2

static int64_t round_up(int64_t x, int64_t step)
{
	return (x + step - 1) / step * step;
}

/* Floats of one element's panels: C rows, N = K columns (pass_pack.c). */
static int64_t panels_count(const struct ir_tile *t, int64_t c, int64_t k)
{
	int64_t full = k / t->nr * t->nr;
	return (full + round_up(k - full, t->vec)) * c;
}

/* U[e][c][k] = (G g[k][c] G^T)[e] into the panel layout (docs/ir.md). */
static void transform(const struct ir_tile *t, const float *w, int64_t kout, int64_t cin,
                      float *u)
{
	int r = t->winograd + 2;
	const double(*g)[3] = gm;
	int64_t per_e = panels_count(t, cin, kout);
	for (int64_t k = 0; k < kout; k++)
		for (int64_t c = 0; c < cin; c++) {
			const float *f = w + (k * cin + c) * 9;
			double tmp[4][3]; /* G f */
			for (int i = 0; i < r; i++)
				for (int j = 0; j < 3; j++)
					tmp[i][j] = g[i][0] * f[j] + g[i][1] * f[3 + j] + g[i][2] * f[6 + j];
			int64_t j = k / t->nr, col = k % t->nr;
			int64_t width = (j + 1) * t->nr <= kout ? t->nr : round_up(kout - j * t->nr, t->vec);
			int64_t at = j * t->nr * cin + c * width + col;
			for (int a = 0; a < r; a++)
				for (int b = 0; b < r; b++) {
					double s = tmp[a][0] * g[b][0] + tmp[a][1] * g[b][1] +
					           tmp[a][2] * g[b][2];
					u[(a * r + b) * per_e + at] = (float)s;
				}
		}
}

/* m for node n, or 0 when the layer stays a direct conv. */
static int choose_m(struct ir_graph *g, const struct ir_node *n)
{
	const struct ir_conv_attr *a = &n->attr.conv;
	const struct ir_type *x = &g->vals[n->in[0]].type, *y = &g->vals[n->out].type;
	if (!a->tile.vec || n->kernel != IR_KERNEL_NAIVE || a->tile.vec < 8 || a->groups != 1 ||
	    a->layout != IR_LAYOUT_NHWC || x->rank != 4 || y->rank != 4)
		return 0;
	if (a->kernel[0] != 3 || a->kernel[1] != 3 || a->stride[0] != 1 || a->stride[1] != 1 ||
	    a->dilation[0] != 1 || a->dilation[1] != 1)
		return 0;
	if (x->dims[3] < MIN_CHANNELS || y->dims[3] < MIN_CHANNELS || y->dims[1] < MIN_SPATIAL ||
	    y->dims[2] < MIN_SPATIAL || !g->vals[n->param[0]].data)
		return 0;
	return WINO_M;
}

/* Tiles per block: V [E, B, C] and M [E, B, K] of one block in half of L2,
 * B a multiple of mr, between 2 and MAX_BLOCK_ROWS register blocks, not
 * above the layer's tiles. A layer of at most MAX_BLOCK_ROWS register
 * blocks of tiles is one block: each block reads all of U, which for
 * many channels outweighs V and M leaving L2 (7x7x512: 1.3x faster). */
static int64_t block_tiles(const struct ir_tile *t, const struct target_desc *tg, int64_t tiles,
                           int64_t c, int64_t k)
{
	int64_t e = (int64_t)(t->winograd + 2) * (t->winograd + 2);
	int64_t per_tile = e * (round_up(c, t->vec) + round_up(k, t->vec)) * 4;
	int64_t rows = tg->l2 / 2 / per_tile / t->mr;
	rows = rows < 2 ? 2 : rows > MAX_BLOCK_ROWS ? MAX_BLOCK_ROWS : rows;
	int64_t need = (tiles + t->mr - 1) / t->mr;
	return (rows < need && need > MAX_BLOCK_ROWS ? rows : need) * t->mr;
}

static bool winograd_node(struct ir_graph *g, struct ir_node *n, const struct target_desc *tg)
{
	int m = choose_m(g, n);
	if (!m)
		return false;
	struct ir_conv_attr *a = &n->attr.conv;
	const struct ir_value *old = &g->vals[n->param[0]];
	const struct ir_type *y = &g->vals[n->out].type;
	int64_t kout = old->type.dims[0], cin = old->type.dims[1];
	struct ir_tile t = a->tile;
	t.winograd = m;
	int64_t per_e = panels_count(&t, cin, kout), count;
	/* (m+2)^2 / 9 = 16/9 times the filters' floats, plus panel padding */
	if (ckd_mul_i64(&count, per_e, (int64_t)(m + 2) * (m + 2)) ||
	    count > IR_MAX_TENSOR_BYTES / 4)
		return false;
	int64_t tiles = y->dims[0] * ((y->dims[1] + m - 1) / m) * ((y->dims[2] + m - 1) / m);
	t.mc = (int32_t)block_tiles(&t, tg, tiles, cin, kout);
	t.kc = (int32_t)cin;
	t.nc = (int32_t)round_up(kout, t.vec);
	t.packed = true;
	n->kernel = IR_KERNEL_WINOGRAD;
	float *u = arena_array(g->arena, (size_t)count, sizeof *u); /* zeroed, 64-byte aligned */
	transform(&t, old->data, kout, cin, u);
	struct ir_type ty = { IR_DT_F32, 1, { count } };
	const char *name = arena_printf(g->arena, "%s:winograd", old->name ? old->name : "weight");
	n->param[0] = ir_add_const(g, name, ty, u, old->loc);
	a->tile = t;
	return true;
}

static bool run(struct pass_ctx *ctx)
{
	struct ir_graph *g = ctx->g;
	const struct target_desc *tg = ctx->opts->target;
	if (!tg)
		tg = target_lookup(NULL, NULL, NULL);
	bool changed = false;
	for (uint32_t i = 0; i < g->nnodes; i++)
		if (g->nodes[i].op == IR_CONV2D)
			changed |= winograd_node(g, &g->nodes[i], tg);
	if (changed)
		ir_compact(g, NULL); /* keep every node; drop the plain filters now unused */
	return true;
}

const struct pass pass_winograd = {
	.name = "winograd",
	.summary = "run 3x3 stride-1 convs as Winograd F(m x m, 3 x 3) batched GEMMs",
	.run = run,
	.stage = IR_STAGE_BOUND,
	.min_opt = 1,
	.codegen_only = true,
};
