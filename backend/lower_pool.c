/* lower_pool.c - maxpool2d and avgpool2d, global average pooling and
 * zeropad2d on 4-D activations in either layout.
 *
 * On NHWC the pools are explicit <vec x float> code with channels in
 * vector lanes (whole vectors, then one masked), so each channel's sum
 * keeps the reference interpreter's order (interp_kernels.c); on NCHW
 * (-O0) they are scalar loop nests. Taps in the padding are skipped;
 * avgpool divides by the valid taps unless count_include_pad (then by the
 * window clipped to the padded input: compiler/window.h). A NaN in a
 * max window wins, as in PyTorch. */
#include "cg.h"

#include "check.h"
#include "lower.h"

/* mx = v unless mx is NaN; NaN in v wins, as in PyTorch and the interpreter. */
static LLVMValueRef max_step(struct cg *c, LLVMValueRef mx, LLVMValueRef v)
{
	LLVMValueRef ok = LLVMBuildFCmp(c->b, LLVMRealORD, mx, mx, "");
	LLVMValueRef bigger = LLVMBuildFCmp(c->b, LLVMRealUGT, v, mx, "");
	return LLVMBuildSelect(c->b, LLVMBuildAnd(c->b, ok, bigger, ""), v, mx, "max");
}

/* The taps a count_include_pad window at output position o counts along
 * axis i (0 rows, 1 columns) of an input `in` long: window_included, in IR. */
static LLVMValueRef included(struct cg *c, LLVMValueRef o, int i, int64_t in,
                             const struct ir_pool_attr *a)
{
	LLVMValueRef start = cg_tap(c, o, a->stride[i], a->pad[i], cg_i64(c, 0), 1, "start");
	LLVMValueRef end = cg_min(c, cg_add(c, start, cg_i64(c, a->kernel[i]), ""),
	                          cg_i64(c, in + a->pad[i + 2]), "end");
	return LLVMBuildNSWSub(c->b, end, start, "taps");
}

/* The pool of one window at output (iv[0], iv[2], iv[3]): of channel iv[1]
 * as a float when lanes is 0, else of the `lanes` channels from iv[1] as
 * one vector (NHWC). The taps skip the padding. */
static LLVMValueRef pool_window(struct cg *c, const struct ir_node *n, const struct cg_t4 *xi,
                                LLVMValueRef iv[4], int lanes)
{
	const struct ir_pool_attr *a = &n->attr.pool;
	bool is_max = n->op == IR_MAXPOOL2D;
	LLVMTypeRef ty = lanes ? cg_vec_type(c) : c->t_f32;
	LLVMValueRef acc = cg_entry_var(c, ty, 0, "acc"), cnt = cg_var(c, "valid");
	struct cg_loop lkh, lkw;
	LLVMBuildStore(c->b, cg_vconst(c, ty, is_max ? -__builtin_inf() : 0.0), acc);
	LLVMBuildStore(c->b, cg_f32(c, 0), cnt);
	LLVMValueRef kh = cg_loop_begin(c, &lkh, a->kernel[0], "kh");
	LLVMValueRef ih = cg_tap(c, iv[2], a->stride[0], a->pad[0], kh, 1, "ih");
	LLVMBasicBlockRef after_h = cg_if_begin(c, cg_in_range(c, ih, xi->h, "ih.ok"), "row");
	LLVMValueRef kw = cg_loop_begin(c, &lkw, a->kernel[1], "kw");
	LLVMValueRef iw = cg_tap(c, iv[3], a->stride[1], a->pad[1], kw, 1, "iw");
	LLVMBasicBlockRef after_w = cg_if_begin(c, cg_in_range(c, iw, xi->w, "iw.ok"), "tap");
	LLVMValueRef at = cg_t4_at(c, xi, iv[0], iv[1], ih, iw);
	LLVMValueRef v = lanes ? cg_vload(c, ty, c->addr[n->in[0]], at, lanes, 4)
	                       : cg_load(c, c->addr[n->in[0]], at, "x");
	LLVMValueRef cur = LLVMBuildLoad2(c->b, ty, acc, "a");
	LLVMBuildStore(c->b, is_max ? max_step(c, cur, v) : LLVMBuildFAdd(c->b, cur, v, "sum"), acc);
	LLVMValueRef k = LLVMBuildLoad2(c->b, c->t_f32, cnt, "k");
	LLVMBuildStore(c->b, LLVMBuildFAdd(c->b, k, cg_f32(c, 1), "k"), cnt);
	cg_if_end(c, after_w);
	cg_loop_end(c, &lkw);
	cg_if_end(c, after_h);
	cg_loop_end(c, &lkh);
	LLVMValueRef r = LLVMBuildLoad2(c->b, ty, acc, "pool");
	if (is_max)
		return r;
	LLVMValueRef div = LLVMBuildLoad2(c->b, c->t_f32, cnt, "count");
	if (a->count_include_pad && !a->ceil_mode)
		div = cg_f32(c, (double)(a->kernel[0] * a->kernel[1]));
	else if (a->count_include_pad)
		div = LLVMBuildSIToFP(c->b, cg_mul(c, included(c, iv[2], 0, xi->h, a),
		                                   included(c, iv[3], 1, xi->w, a), ""),
		                      c->t_f32, "area");
	return LLVMBuildFDiv(c->b, r, lanes ? cg_splat(c, ty, div, "splat") : div, "avg");
}

/* One output pixel's channel vector of a pool on NHWC: `lanes` channels
 * from c0, at output (iv[0], iv[2], iv[3]). */
static void pool_vec(struct cg *c, const struct ir_node *n, const struct cg_t4 *xi,
                     const struct cg_t4 *yo, LLVMValueRef iv[4], LLVMValueRef c0, int lanes)
{
	LLVMValueRef at[4] = { iv[0], c0, iv[2], iv[3] };
	LLVMValueRef r = pool_window(c, n, xi, at, lanes);
	cg_vstore(c, r, c->addr[n->out], cg_t4_at(c, yo, iv[0], c0, iv[2], iv[3]), lanes);
}

/* NHWC: loops over (n, oh, ow), channels in lanes (whole vectors, then one
 * masked); NCHW (-O0): one scalar loop nest. */
void lower_pool2d(struct cg *c, const struct ir_node *n)
{
	const struct ir_pool_attr *a = &n->attr.pool;
	struct cg_t4 xi = cg_t4_of(cg_type(c, n->in[0]), a->layout);
	struct cg_t4 yo = cg_t4_of(cg_type(c, n->out), a->layout);
	if (a->layout == IR_LAYOUT_NHWC) {
		int64_t vec = cg_vec_floats(c), full = yo.c / vec, rest = yo.c % vec;
		struct cg_loop l[4];
		LLVMValueRef iv[4];
		iv[0] = cg_loop_begin(c, &l[0], yo.n, "n");
		iv[2] = cg_loop_begin(c, &l[1], yo.h, "h");
		iv[3] = cg_loop_begin(c, &l[2], yo.w, "w");
		if (full) {
			LLVMValueRef cv = cg_loop_begin(c, &l[3], full, "cv");
			pool_vec(c, n, &xi, &yo, iv, cg_mul(c, cv, cg_i64(c, vec), "c0"), (int)vec);
			cg_loop_end(c, &l[3]);
		}
		if (rest)
			pool_vec(c, n, &xi, &yo, iv, cg_i64(c, full * vec), (int)rest);
		for (int k = 2; k >= 0; k--)
			cg_loop_end(c, &l[k]);
		return;
	}
	struct cg_nest4 ns;
	LLVMValueRef iv[4];
	cg_nest4_begin(c, &ns, &yo, iv);
	LLVMValueRef r = pool_window(c, n, &xi, iv, 0);
	cg_store(c, r, c->addr[n->out], cg_t4_at(c, &yo, iv[0], iv[1], iv[2], iv[3]));
	cg_nest4_end(c, &ns);
}

/* Per channel vector: the sum over (h, w) in the interpreter's order. */
static void gap_vec(struct cg *c, const struct cg_t4 *xi, LLVMValueRef x, LLVMValueRef y,
                    LLVMValueRef bn, LLVMValueRef c0, int lanes)
{
	LLVMTypeRef ty = cg_vec_type(c);
	LLVMValueRef sum = cg_entry_var(c, ty, 0, "sum");
	struct cg_loop lh, lw;
	LLVMBuildStore(c->b, LLVMConstNull(ty), sum);
	LLVMValueRef h = cg_loop_begin(c, &lh, xi->h, "h");
	LLVMValueRef w = cg_loop_begin(c, &lw, xi->w, "w");
	LLVMValueRef v = cg_vload(c, ty, x, cg_t4_at(c, xi, bn, c0, h, w), lanes, 4);
	LLVMValueRef s = LLVMBuildLoad2(c->b, ty, sum, "s");
	LLVMBuildStore(c->b, LLVMBuildFAdd(c->b, s, v, "s"), sum);
	cg_loop_end(c, &lw);
	cg_loop_end(c, &lh);
	LLVMValueRef r = LLVMBuildFDiv(c->b, LLVMBuildLoad2(c->b, ty, sum, "total"),
	                               cg_vconst(c, ty, (double)(xi->h * xi->w)), "mean");
	cg_vstore(c, r, y, cg_madd(c, bn, xi->c, c0, "at"), lanes);
}

void lower_global_avgpool(struct cg *c, const struct ir_node *n)
{
	struct cg_t4 xi = cg_t4_of(cg_type(c, n->in[0]), n->attr.axis.layout);
	LLVMValueRef x = c->addr[n->in[0]], y = c->addr[n->out];
	struct cg_loop lb, lc;
	LLVMValueRef bn = cg_loop_begin(c, &lb, xi.n, "b");
	if (xi.layout == IR_LAYOUT_NHWC) {
		int64_t vec = cg_vec_floats(c), full = xi.c / vec, rest = xi.c % vec;
		if (full) {
			LLVMValueRef cv = cg_loop_begin(c, &lc, full, "cv");
			gap_vec(c, &xi, x, y, bn, cg_mul(c, cv, cg_i64(c, vec), "c0"), (int)vec);
			cg_loop_end(c, &lc);
		}
		if (rest)
			gap_vec(c, &xi, x, y, bn, cg_i64(c, full * vec), (int)rest);
		cg_loop_end(c, &lb);
		return;
	}
	/* NCHW: each channel's plane is contiguous; scalar sums */
	LLVMValueRef sum = cg_var(c, "sum");
	struct cg_loop lh, lw;
	LLVMValueRef ch = cg_loop_begin(c, &lc, xi.c, "c");
	LLVMBuildStore(c->b, cg_f32(c, 0), sum);
	LLVMValueRef h = cg_loop_begin(c, &lh, xi.h, "h");
	LLVMValueRef w = cg_loop_begin(c, &lw, xi.w, "w");
	LLVMValueRef v = cg_load(c, x, cg_t4_at(c, &xi, bn, ch, h, w), "x");
	LLVMValueRef s = LLVMBuildLoad2(c->b, c->t_f32, sum, "s");
	LLVMBuildStore(c->b, LLVMBuildFAdd(c->b, s, v, "s"), sum);
	cg_loop_end(c, &lw);
	cg_loop_end(c, &lh);
	LLVMValueRef r = LLVMBuildFDiv(c->b, LLVMBuildLoad2(c->b, c->t_f32, sum, "total"),
	                               cg_f32(c, (double)(xi.h * xi.w)), "mean");
	cg_store(c, r, y, cg_madd(c, bn, xi.c, ch, "at"));
	cg_loop_end(c, &lc);
	cg_loop_end(c, &lb);
}

/* Zero padding: every output element is an input element or 0. */
void lower_zeropad2d(struct cg *c, const struct ir_node *n)
{
	const struct ir_pad_attr *a = &n->attr.pad;
	struct cg_t4 xi = cg_t4_of(cg_type(c, n->in[0]), a->layout);
	struct cg_t4 yo = cg_t4_of(cg_type(c, n->out), a->layout);
	LLVMValueRef iv[4];
	struct cg_nest4 ns;
	cg_nest4_begin(c, &ns, &yo, iv);
	LLVMValueRef ih = cg_add(c, iv[2], cg_i64(c, -a->pad[0]), "ih");
	LLVMValueRef iw = cg_add(c, iv[3], cg_i64(c, -a->pad[1]), "iw");
	LLVMValueRef inside = LLVMBuildAnd(c->b, cg_in_range(c, ih, xi.h, "inh"), cg_in_range(c, iw, xi.w, "inw"),
	                                   "inside");
	/* clamp the address so the load is always in bounds, then select */
	LLVMValueRef sh = LLVMBuildSelect(c->b, inside, ih, cg_i64(c, 0), "");
	LLVMValueRef sw = LLVMBuildSelect(c->b, inside, iw, cg_i64(c, 0), "");
	LLVMValueRef v = cg_load(c, c->addr[n->in[0]], cg_t4_at(c, &xi, iv[0], iv[1], sh, sw), "x");
	v = LLVMBuildSelect(c->b, inside, v, cg_f32(c, 0), "padded");
	cg_store(c, v, c->addr[n->out], cg_t4_at(c, &yo, iv[0], iv[1], iv[2], iv[3]));
	cg_nest4_end(c, &ns);
}
