/* pass_dwpack.c - weight re-layout for the depthwise conv kernel.
 *
 * A depthwise conv2d (groups == input channels == filters, NHWC) runs in
 * backend/lower_dwconv.c with channels in vector lanes: for each tap it
 * multiplies one vector of input channels by the same channels' weights.
 * In OIHW order those weights are KH*KW floats apart; this pass stores
 * them tap-major instead, as XNNPACK's packed depthwise weights do:
 * weight param 0 becomes "<key>:dw", f32[KH, KW, CP] with element
 * (kh, kw, c) = W[c, 0, kh, kw] and CP = C rounded up to the vector width,
 * the padding lanes 0, so each tap's channel vector is one aligned
 * (64-byte aligned image, CP a multiple of the width), unmasked load. The
 * tile records the kernel's shape: vec = lanes per vector, mr = output
 * pixels per register block (bounded by the registers left after one row
 * of taps' weights and an input vector), nr = vec (one vector of channels
 * per block), packed. Layers the tiling pass tiled (groups == 1) are left
 * alone. The reference interpreter reads OIHW, so the pass is codegen-only.
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

static bool is_depthwise(const struct ir_graph *g, const struct ir_node *n)
{
	const struct ir_conv_attr *a = &n->attr.conv;
	const struct ir_type *x = &g->vals[n->in[0]].type, *y = &g->vals[n->out].type;
	if (n->kernel != IR_KERNEL_NAIVE || a->tile.vec || a->layout != IR_LAYOUT_NHWC ||
	    x->rank != 4 || y->rank != 4 || a->kernel[0] > DW_MAX_SIDE ||
	    a->kernel[1] > DW_MAX_SIDE || a->kernel[0] * a->kernel[1] > DW_MAX_TAPS)
		return false;
	const struct ir_type *wt = &g->vals[n->param[0]].type;
	return a->groups == x->dims[3] && y->dims[3] == a->groups && wt->rank == 4 &&
	       wt->dims[0] == a->groups && wt->dims[1] == 1 && g->vals[n->param[0]].data;
}

/* Pixels per block: the registers left after KW weight vectors, one input
 * vector and one spare. */
static int32_t block_pixels(const struct target_desc *t, int64_t kw)
{
	int64_t p = t->vec_regs - kw - 2;
	if (p > DW_MAX_PIXELS)
		p = DW_MAX_PIXELS;
	return (int32_t)(p < 1 ? 1 : p);
}

static bool pack_dw(struct ir_graph *g, struct ir_node *n, const struct target_desc *t)
{
	struct ir_conv_attr *a = &n->attr.conv;
	const struct ir_value *old = &g->vals[n->param[0]];
	int64_t ch = old->type.dims[0], kh = old->type.dims[2], kw = old->type.dims[3];
	int64_t vec = t->vec_floats, cp = (ch + vec - 1) / vec * vec, count;
	if (ckd_mul_i64(&count, kh * kw, cp) || count > IR_MAX_TENSOR_BYTES / 4 ||
	    cp > INT32_MAX)
		return false;
	const float *w = old->data;
	float *p = arena_array(g->arena, (size_t)count, sizeof *p); /* zeroed */
	for (int64_t c = 0; c < ch; c++)
		for (int64_t tap = 0; tap < kh * kw; tap++)
			p[tap * cp + c] = w[c * kh * kw + tap];
	struct ir_type ty = { IR_DT_F32, 3, { kh, kw, cp } };
	const char *name = arena_printf(g->arena, "%s:dw", old->name ? old->name : "weight");
	n->param[0] = ir_add_const(g, name, ty, p, old->loc);
	a->tile = (struct ir_tile){ .vec = (int32_t)vec, .mr = block_pixels(t, kw),
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
		if (n->op == IR_CONV2D && is_depthwise(g, n))
			changed |= pack_dw(g, n, t);
	}
	if (changed)
		ir_compact(g, NULL); /* keep every node; drop the OIHW constants now unused */
	return true;
}

const struct pass pass_dwpack = {
	.name = "dwpack",
	.summary = "re-lay depthwise conv2d weights tap-major for the depthwise kernel",
	.run = run,
	.stage = IR_STAGE_BOUND,
	.min_opt = 1,
	.codegen_only = true,
};
