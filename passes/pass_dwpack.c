/* pass_dwpack.c - weight re-layout for the lane-wise conv kernel:
 * depthwise convs and grouped convs of narrow groups.
 *
 * A depthwise conv2d (groups == input channels == filters, NHWC) runs in
 * backend/lower_dwconv.c with channels in vector lanes: for each tap it
 * multiplies one vector of input channels by the same channels' weights.
 * A grouped conv whose groups have S input and S output channels, S
 * below the vector width V and dividing it, runs there too: a vector of
 * V channels holds V / S whole groups, and output lane l (channel o, at position
 * l % S in its group) needs input channel (l % S + s) % S of the same
 * group for s = 0..S-1, which is the input vector with each S-lane
 * segment rotated by s (a shuffle), times a weight vector. So per tap and
 * input pixel the kernel does S FMAs of full vectors and S - 1 shuffles,
 * where a GEMM per group would fill S of V lanes (ResNeXt-50's first
 * stage has groups of 4: 3.6x faster than the tiled GEMM on AVX2).
 * Groups of V or more channels fill whole vectors in the tiled kernel
 * and stay there. Depthwise is S = 1.
 * In OIHW order the weights are KH*KW floats apart; this pass stores
 * them tap-major instead, as XNNPACK's packed depthwise weights do:
 * weight param 0 becomes "<key>:dw", f32[KH, KW, S, CP] with element
 * (kh, kw, s, o) = W[o, (o % S + s) % S, kh, kw] and CP = C rounded up to
 * V, the padding lanes 0, so each (tap, s) channel vector is one aligned
 * (64-byte aligned image, CP a multiple of V), unmasked load. The tile
 * records the kernel's shape: vec = V, mr = output pixels per register
 * block (bounded by the registers left after one row of taps' weights and
 * the input vectors), nr = V (one vector of channels per block), packed.
 * The reference interpreter reads OIHW, so the pass is codegen-only.
 * Layout: docs/ir.md "Depthwise weights". */
#include "pass.h"

#include "check.h"

/* At most this many output pixels per register block. */
#define DW_MAX_PIXELS 8
/* Larger kernels stay on the plain loops: the kernel emits every border
 * run of rows and columns (up to 2K + 1 per axis) with all its taps
 * unrolled, so its code grows with the kernel's area squared. */
#define DW_MAX_SIDE 16
#define DW_MAX_TAPS 64

bool pass_conv_lanewise(const struct ir_graph *g, const struct ir_node *n, int64_t vec)
{
	const struct ir_conv_attr *a = &n->attr.conv;
	const struct ir_type *x = &g->vals[n->in[0]].type, *y = &g->vals[n->out].type;
	if (n->op != IR_CONV2D || a->layout != IR_LAYOUT_NHWC || x->rank != 4 || y->rank != 4 ||
	    a->groups < 1 || a->kernel[0] > DW_MAX_SIDE || a->kernel[1] > DW_MAX_SIDE ||
	    a->kernel[0] * a->kernel[1] > DW_MAX_TAPS || vec < 1)
		return false;
	const struct ir_type *wt = &g->vals[n->param[0]].type;
	int64_t s = x->dims[3] / a->groups;
	return x->dims[3] == y->dims[3] && x->dims[3] % a->groups == 0 && vec % s == 0 && s < vec &&
	       (s == 1 || a->groups > 1) && wt->rank == 4 && wt->dims[0] == y->dims[3] &&
	       wt->dims[1] == s && g->vals[n->param[0]].data;
}

/* Pixels per block. Depthwise (S = 1): the registers left after KW
 * weight vectors, one input vector and one spare. With S > 1 each input
 * vector is loaded once and rotated S times, so the block's KW - 1 + MR
 * input vectors stay live beside its MR sums and KW weights. */
static int32_t block_pixels(const struct target_desc *t, int64_t kw, int64_t s)
{
	int64_t p = s == 1 ? t->vec_regs - kw - 2 : (t->vec_regs - 2 * kw) / 2;
	if (p > DW_MAX_PIXELS)
		p = DW_MAX_PIXELS;
	return (int32_t)(p < 1 ? 1 : p);
}

static bool pack_dw(struct ir_graph *g, struct ir_node *n, const struct target_desc *t)
{
	struct ir_conv_attr *a = &n->attr.conv;
	const struct ir_value *old = &g->vals[n->param[0]];
	int64_t ch = old->type.dims[0], sg = old->type.dims[1];
	int64_t kh = old->type.dims[2], kw = old->type.dims[3];
	int64_t vec = t->vec_floats, cp = (ch + vec - 1) / vec * vec, count;
	if (ckd_mul_i64(&count, kh * kw * sg, cp) || count > IR_MAX_TENSOR_BYTES / 4 ||
	    cp > INT32_MAX)
		return false;
	const float *w = old->data;
	float *p = arena_array(g->arena, (size_t)count, sizeof *p); /* zeroed */
	for (int64_t o = 0; o < ch; o++)
		for (int64_t tap = 0; tap < kh * kw; tap++)
			for (int64_t s = 0; s < sg; s++) {
				int64_t i = (o % sg + s) % sg; /* input channel within the group */
				p[(tap * sg + s) * cp + o] = w[(o * sg + i) * kh * kw + tap];
			}
	struct ir_type ty = { IR_DT_F32, 4, { kh, kw, sg, cp } };
	const char *name = arena_printf(g->arena, "%s:dw", old->name ? old->name : "weight");
	n->param[0] = ir_add_const(g, name, ty, p, old->loc);
	a->tile = (struct ir_tile){ .vec = (int32_t)vec, .mr = block_pixels(t, kw, sg),
		                    .nr = (int32_t)vec, .packed = true };
	n->kernel = IR_KERNEL_DEPTHWISE;
	return true;
}

static bool run(struct pass_ctx *ctx)
{
	struct ir_graph *g = ctx->g;
	const struct target_desc *t = ctx->opts->target;
	if (!t)
		t = target_lookup(NULL, NULL, NULL);
	bool changed = false;
	for (uint32_t i = 0; i < g->nnodes; i++) {
		struct ir_node *n = &g->nodes[i];
		if (n->op == IR_CONV2D && n->kernel == IR_KERNEL_NAIVE && !n->attr.conv.tile.vec &&
		    pass_conv_lanewise(g, n, t->vec_floats))
			changed |= pack_dw(g, n, t);
	}
	if (changed)
		ir_compact(g, NULL); /* keep every node; drop the OIHW constants now unused */
	return true;
}

const struct pass pass_dwpack = {
	.name = "dwpack",
	.summary = "re-lay depthwise and narrow-group conv2d weights tap-major for the lane-wise kernel",
	.run = run,
	.stage = IR_STAGE_BOUND,
	.min_opt = 1,
	.codegen_only = true,
};
