/* lower_conv_naive.c - conv2d and dense: the choice of kernel, and the
 * plain scalar loop nests for layers no faster kernel takes (-O0, or
 * shapes the tiling pass leaves alone).
 *
 * Depthwise convs go to lower_dwconv.c, tiled and packed ones to
 * lower_tiled.c (which hands Winograd convs to lower_winograd.c). The
 * naive loops mirror the interpreter's conv_point and dense kernels
 * (interp_kernels.c): the same loop order for every sum, sums started at
 * 0.0f, the bias added last, then the fused residual and activation, so
 * results agree to the last bits. */
#include "cg.h"

#include "check.h"
#include "lower.h"

void lower_dense(struct cg *c, const struct ir_node *n)
{
	if (n->kernel == IR_KERNEL_TILED) {
		cg_lower_tiled(c, n); /* the tiled GEMM of lower_tiled.c */
		return;
	}
	/* rows over all leading positions: [N, T, F] is N * T rows of F */
	const struct ir_type *xt = cg_type(c, n->in[0]), *yt = cg_type(c, n->out);
	int64_t nin = xt->dims[xt->rank - 1], nout = yt->dims[yt->rank - 1];
	int64_t batch = ir_type_numel(xt) / nin;
	LLVMValueRef x = c->addr[n->in[0]], y = c->addr[n->out];
	LLVMValueRef w = cg_param(c, n, 0), b = cg_param(c, n, 1);
	LLVMValueRef acc = cg_var(c, "acc");
	struct cg_loop lb, lo, li;
	LLVMValueRef bn = cg_loop_begin(c, &lb, batch, "b");
	LLVMValueRef o = cg_loop_begin(c, &lo, nout, "o");
	LLVMBuildStore(c->b, cg_f32(c, 0), acc);
	LLVMValueRef xrow = cg_mul(c, bn, cg_i64(c, nin), "xrow");
	LLVMValueRef wrow = cg_mul(c, o, cg_i64(c, nin), "wrow");
	LLVMValueRef i = cg_loop_begin(c, &li, nin, "i");
	LLVMValueRef p = LLVMBuildFMul(c->b, cg_load(c, x, cg_add(c, xrow, i, ""), "x"),
	                               cg_load(c, w, cg_add(c, wrow, i, ""), "w"), "p");
	LLVMValueRef s = LLVMBuildFAdd(c->b, LLVMBuildLoad2(c->b, c->t_f32, acc, "a"), p, "a");
	LLVMBuildStore(c->b, s, acc);
	cg_loop_end(c, &li);
	LLVMValueRef r = LLVMBuildLoad2(c->b, c->t_f32, acc, "dot");
	if (b)
		r = LLVMBuildFAdd(c->b, r, cg_load(c, b, o, "bias"), "biased");
	LLVMValueRef at = cg_madd(c, bn, nout, o, "at");
	if (n->nin > 1) /* fused residual */
		r = LLVMBuildFAdd(c->b, r, cg_load(c, c->addr[n->in[1]], at, "res"), "residual");
	const struct ir_dense_attr *da = &n->attr.dense;
	cg_store(c, cg_vstep(c, &da->act, r), y, at);
	cg_loop_end(c, &lo);
	cg_loop_end(c, &lb);
}

/* acc += x[n, c0 + ic, ih, iw] * w[oc, ic, kh, kw] over ic, kh, kw, skipping
 * taps in the padding: the interpreter's conv_point. */
static void conv_taps(struct cg *c, const struct ir_node *n, const struct cg_t4 *xi,
                      LLVMValueRef iv[4], LLVMValueRef acc)
{
	const struct ir_conv_attr *a = &n->attr.conv;
	int64_t icpg = xi->c / a->groups, ocpg = c->g->vals[n->out].type.dims[
		a->layout == IR_LAYOUT_NCHW ? 1 : 3] / a->groups;
	LLVMValueRef x = c->addr[n->in[0]], w = cg_param(c, n, 0);
	LLVMValueRef grp = LLVMBuildUDiv(c->b, iv[1], cg_i64(c, ocpg), "group");
	LLVMValueRef c0 = cg_mul(c, grp, cg_i64(c, icpg), "c0");
	LLVMValueRef wbase = cg_mul(c, iv[1], cg_i64(c, icpg * a->kernel[0] * a->kernel[1]), "wbase");
	struct cg_loop lic, lkh, lkw;
	LLVMValueRef ic = cg_loop_begin(c, &lic, icpg, "ic");
	LLVMValueRef kh = cg_loop_begin(c, &lkh, a->kernel[0], "kh");
	LLVMValueRef ih = cg_tap(c, iv[2], a->stride[0], a->pad[0], kh, a->dilation[0], "ih");
	LLVMBasicBlockRef after_h = cg_if_begin(c, cg_in_range(c, ih, xi->h, "ih.ok"), "row");
	LLVMValueRef kw = cg_loop_begin(c, &lkw, a->kernel[1], "kw");
	LLVMValueRef iw = cg_tap(c, iv[3], a->stride[1], a->pad[1], kw, a->dilation[1], "iw");
	LLVMBasicBlockRef after_w = cg_if_begin(c, cg_in_range(c, iw, xi->w, "iw.ok"), "tap");
	LLVMValueRef xv = cg_load(c, x, cg_t4_at(c, xi, iv[0], cg_add(c, c0, ic, "ch"), ih, iw), "x");
	LLVMValueRef widx = cg_madd(c, cg_madd(c, ic, a->kernel[0], kh, ""), a->kernel[1], kw, "");
	LLVMValueRef p = LLVMBuildFMul(c->b, xv, cg_load(c, w, cg_add(c, wbase, widx, ""), "w"), "p");
	LLVMBuildStore(c->b, LLVMBuildFAdd(c->b, LLVMBuildLoad2(c->b, c->t_f32, acc, "a"), p, "a"),
	               acc);
	cg_if_end(c, after_w);
	cg_loop_end(c, &lkw);
	cg_if_end(c, after_h);
	cg_loop_end(c, &lkh);
	cg_loop_end(c, &lic);
}

void lower_conv2d(struct cg *c, const struct ir_node *n)
{
	const struct ir_conv_attr *a = &n->attr.conv;
	switch (n->kernel) {
	case IR_KERNEL_DEPTHWISE:
		cg_lower_dwconv(c, n); /* channels in lanes: lower_dwconv.c */
		return;
	case IR_KERNEL_TILED:
		cg_lower_tiled(c, n); /* implicit GEMM of lower_tiled.c */
		return;
	case IR_KERNEL_WINOGRAD:
		cg_lower_winograd(c, n); /* batched GEMMs of lower_winograd.c */
		return;
	case IR_KERNEL_NAIVE:
		break;
	}
	struct cg_t4 xi = cg_t4_of(cg_type(c, n->in[0]), a->layout);
	struct cg_t4 yo = cg_t4_of(cg_type(c, n->out), a->layout);
	DLC_ASSERT(a->groups >= 1 && xi.c % a->groups == 0 && yo.c % a->groups == 0);
	LLVMValueRef b = cg_param(c, n, 1), acc = cg_var(c, "acc"), iv[4];
	struct cg_nest4 ns;
	cg_nest4_begin(c, &ns, &yo, iv);
	LLVMBuildStore(c->b, cg_f32(c, 0), acc);
	conv_taps(c, n, &xi, iv, acc);
	LLVMValueRef r = LLVMBuildLoad2(c->b, c->t_f32, acc, "conv");
	if (b)
		r = LLVMBuildFAdd(c->b, r, cg_load(c, b, iv[1], "bias"), "biased");
	LLVMValueRef at = cg_t4_at(c, &yo, iv[0], iv[1], iv[2], iv[3]);
	if (n->nin > 1) /* fused residual: same shape and layout as the output */
		r = LLVMBuildFAdd(c->b, r, cg_load(c, c->addr[n->in[1]], at, "res"), "residual");
	cg_store(c, cg_vstep(c, &a->act, r), c->addr[n->out], at);
	cg_nest4_end(c, &ns);
}

/* conv_transpose never reaches the back end: the lower-conv-transpose pass
 * (codegen only, at every -O level) rewrites it into conv2d, a pixel
 * shuffle and a crop, which are lowered instead. */
void lower_conv_transpose(struct cg *c, const struct ir_node *n)
{
	(void)c, (void)n;
	DLC_UNREACHABLE("conv_transpose reached the back end without lower-conv-transpose");
}
