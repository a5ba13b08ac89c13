/* pass_pack.c - weight pre-packing for the tiled conv2d/dense kernels.
 *
 * For every layer the tiling pass tiled, weight param 0 is replaced by a new
 * constant ("<key>:packed") holding the same numbers in the order the
 * micro-kernel reads them (docs/ir.md, "Packed weights"): the N output
 * channels cut into panels nr wide, each panel stored k-major with its
 * nr floats contiguous, the last panel narrowed to a multiple of the vector
 * width and zero-padded. Every vector load of the kernel is then one
 * aligned, unit-stride load, and a kc x nr block is one contiguous run.
 * The reduction index k is (kh, kw, c) for a conv (OIHW weights) and the
 * in-feature for a dense layer ([out, in] weights). A grouped conv packs
 * each group's O/G output channels this way, the groups one after the
 * other. The original constant is dropped when nothing else uses it. */
#include "pass.h"

#include "check.h"

/* Weights seen as B[k, n] (the GEMM's right operand) of one group. */
struct bview {
	const float *w;     /* the group's first output channel */
	int64_t n, k;
	int64_t c, kh, kw; /* conv: OIHW dims (c per group); c == 0 for dense */
	int64_t groups;    /* conv: groups, each n columns; dense: 1 */
};

static float b_at(const struct bview *b, int64_t k, int64_t n)
{
	if (!b->c)
		return b->w[n * b->k + k];
	int64_t tap = k / b->c, ch = k % b->c;
	int64_t kh = tap / b->kw, kw = tap % b->kw;
	return b->w[((n * b->c + ch) * b->kh + kh) * b->kw + kw];
}

/* Width in floats of panel j: nr, or the rest of N rounded up to vec. */
static int64_t panel_width(const struct ir_tile *t, int64_t n, int64_t j)
{
	int64_t rest = n - j * t->nr;
	int64_t w = (rest + t->vec - 1) / t->vec * t->vec;
	return w < t->nr ? w : t->nr;
}

/* Floats of the packed tensor, or -1 when it would exceed the tensor limit. */
static int64_t packed_count(const struct ir_tile *t, int64_t n, int64_t k)
{
	int64_t npanels = (n + t->nr - 1) / t->nr, full, total;
	int64_t last = panel_width(t, n, npanels - 1);
	if (ckd_mul_i64(&full, (npanels - 1) * t->nr, k) || ckd_add_i64(&total, full, last * k) ||
	    total > IR_MAX_TENSOR_BYTES / 4)
		return -1;
	return total;
}

/* One group's panels into p (per_group floats). */
static void pack_group(float *p, const struct ir_tile *t, const struct bview *b)
{
	int64_t npanels = (b->n + t->nr - 1) / t->nr;
	for (int64_t j = 0; j < npanels; j++) {
		int64_t w = panel_width(t, b->n, j);
		float *panel = p + j * t->nr * b->k;
		for (int64_t k = 0; k < b->k; k++)
			for (int64_t i = 0; i < w && j * t->nr + i < b->n; i++)
				panel[k * w + i] = b_at(b, k, j * t->nr + i);
	}
}

static float *pack(struct arena *a, const struct ir_tile *t, const struct bview *b,
                   int64_t per_group)
{
	/* zeroed, 64-byte aligned */
	float *p = arena_array(a, (size_t)(per_group * b->groups), sizeof *p);
	for (int64_t gi = 0; gi < b->groups; gi++) {
		struct bview one = *b;
		one.w = b->w + gi * b->n * b->k; /* OIHW: the group's rows are contiguous */
		pack_group(p + gi * per_group, t, &one);
	}
	return p;
}

/* Packs param 0 of n, whose tile is t and B view b; returns false (and
 * untiles the layer) when the packed tensor would be too large. */
static bool pack_node(struct ir_graph *g, struct ir_node *n, struct ir_tile *t,
                      const struct bview *b)
{
	int64_t per_group = packed_count(t, b->n, b->k), count;
	if (per_group < 0 || ckd_mul_i64(&count, per_group, b->groups) ||
	    count > IR_MAX_TENSOR_BYTES / 4) {
		*t = (struct ir_tile){ 0 };
		return false;
	}
	const struct ir_value *old = &g->vals[n->param[0]];
	struct ir_type ty = { IR_DT_F32, 1, { count } };
	const char *name = arena_printf(g->arena, "%s:packed", old->name ? old->name : "weight");
	struct src_span loc = old->loc;
	float *data = pack(g->arena, t, b, per_group);
	n->param[0] = ir_add_const(g, name, ty, data, loc);
	t->packed = true;
	n->kernel = IR_KERNEL_TILED;
	return true;
}

static bool pack_conv(struct ir_graph *g, struct ir_node *n)
{
	struct ir_conv_attr *a = &n->attr.conv;
	const struct ir_type *wt = &g->vals[n->param[0]].type;
	DLC_ASSERT(wt->rank == 4 && a->groups >= 1 && wt->dims[0] % a->groups == 0);
	struct bview b = {
		.w = g->vals[n->param[0]].data, .n = wt->dims[0] / a->groups,
		.k = wt->dims[1] * wt->dims[2] * wt->dims[3],
		.c = wt->dims[1], .kh = wt->dims[2], .kw = wt->dims[3], .groups = a->groups,
	};
	return pack_node(g, n, &a->tile, &b);
}

static bool pack_dense(struct ir_graph *g, struct ir_node *n)
{
	const struct ir_type *wt = &g->vals[n->param[0]].type;
	DLC_ASSERT(wt->rank == 2);
	struct bview b = { .w = g->vals[n->param[0]].data, .n = wt->dims[0], .k = wt->dims[1],
		           .groups = 1 };
	return pack_node(g, n, &n->attr.dense.tile, &b);
}

static bool run(struct pass_ctx *ctx)
{
	struct ir_graph *g = ctx->g;
	bool changed = false;
	for (uint32_t i = 0; i < g->nnodes; i++) {
		struct ir_node *n = &g->nodes[i];
		if (n->op == IR_CONV2D && n->attr.conv.tile.vec && !n->attr.conv.tile.packed)
			changed |= pack_conv(g, n);
		else if (n->op == IR_DENSE && n->attr.dense.tile.vec && !n->attr.dense.tile.packed)
			changed |= pack_dense(g, n);
	}
	if (changed)
		ir_compact(g, NULL); /* keep every node; drop the unpacked constants now unused */
	return true;
}

const struct pass pass_pack = {
	.name = "pack",
	.summary = "pre-pack the weights of tiled conv2d/dense into kernel panel order",
	.run = run,
	.stage = IR_STAGE_BOUND,
	.min_opt = 1,
	.codegen_only = true,
};
