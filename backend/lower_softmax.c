/* lower_softmax.c - softmax and log_softmax along any axis, as explicit
 * <vec x float> code at the target's width (the last vector masked).
 *
 * Three passes per row, as the reference interpreter (interp_kernels.c):
 * the max, then exp(x - max) stored and summed, then the division (or, for
 * log_softmax, (x - max) - log(sum)). Along the innermost axis a row's sum
 * runs in `vec` partial sums reduced at the end (a rounding difference
 * only); else the lanes are adjacent positions, each summed in order. exp
 * is vmath.c's cg_vexp. */
#include "cg.h"

#include "check.h"
#include "lower.h"

/* ---- softmax: max, then exp and sum, then divide ----
 * With the axis innermost (inner == 1) the lanes run along the axis and
 * the max and sum are reduced across lanes at the end of their pass; else
 * the lanes are `vec` adjacent positions r, each reduced on its own. exp
 * is cg_vexp (its argument x - max is <= 0). */

/* One softmax row (axis innermost) or block of `vec` columns in lowering. */
struct sm_row {
	LLVMValueRef x, y, base;  /* base: element index of the row's first float */
	LLVMValueRef mx, sum;     /* vector variables */
	LLVMValueRef m, total, logsum; /* per-pass scalars (splat when used) */
	LLVMTypeRef ty;
	bool log;
};

/* Pass 1 (max), 2 (exp, store, sum) or 3 (scale) on one vector of a row
 * along the axis: element index at, `lanes` valid. */
static void sm_step(struct cg *c, struct sm_row *r, int pass, LLVMValueRef at, int lanes)
{
	LLVMValueRef full = cg_vmask(c, r->ty, lanes);
	if (pass == 1) {
		LLVMValueRef v = cg_vload(c, r->ty, r->x, at, lanes, 4);
		v = LLVMBuildSelect(c->b, full, v, cg_vconst(c, r->ty, -__builtin_inf()), "");
		LLVMValueRef m = LLVMBuildLoad2(c->b, r->ty, r->mx, "m");
		LLVMValueRef gt = LLVMBuildFCmp(c->b, LLVMRealOGT, v, m, "");
		LLVMBuildStore(c->b, LLVMBuildSelect(c->b, gt, v, m, "newmax"), r->mx);
	} else if (pass == 2) {
		LLVMValueRef v = cg_vload(c, r->ty, r->x, at, lanes, 4);
		LLVMValueRef e = cg_vexp(c, LLVMBuildFSub(c->b, v, r->m, ""));
		cg_vstore(c, e, r->y, at, lanes);
		e = LLVMBuildSelect(c->b, full, e, LLVMConstNull(r->ty), "");
		LLVMValueRef acc = LLVMBuildLoad2(c->b, r->ty, r->sum, "s");
		LLVMBuildStore(c->b, LLVMBuildFAdd(c->b, acc, e, "s"), r->sum);
	} else if (r->log) { /* (x - max) - log(sum); x is still intact */
		LLVMValueRef v = LLVMBuildFSub(c->b, cg_vload(c, r->ty, r->x, at, lanes, 4), r->m, "");
		cg_vstore(c, LLVMBuildFSub(c->b, v, r->logsum, "logp"), r->y, at, lanes);
	} else {
		LLVMValueRef e = cg_vload(c, r->ty, r->y, at, lanes, 4);
		cg_vstore(c, LLVMBuildFDiv(c->b, e, r->total, "p"), r->y, at, lanes);
	}
}

/* Axis innermost: row o is len contiguous floats. */
static void softmax_rows(struct cg *c, const struct ir_node *n, const struct ir_split *s)
{
	int64_t vec = cg_vec_floats(c), full = s->len / vec, rest = s->len % vec;
	struct sm_row r = { .x = c->addr[n->in[0]], .y = c->addr[n->out], .ty = cg_vec_type(c),
		            .log = n->attr.axis.log };
	r.mx = cg_entry_var(c, r.ty, 0, "max");
	r.sum = cg_entry_var(c, r.ty, 0, "sum");
	struct cg_loop lo, l;
	LLVMValueRef o = cg_loop_begin(c, &lo, s->outer, "o");
	r.base = cg_mul(c, o, cg_i64(c, s->len), "base");
	LLVMBuildStore(c->b, cg_vconst(c, r.ty, -__builtin_inf()), r.mx);
	LLVMBuildStore(c->b, LLVMConstNull(r.ty), r.sum);
	for (int pass = 1; pass <= 3; pass++) {
		if (full) {
			LLVMValueRef i = cg_loop_begin(c, &l, full, "i");
			sm_step(c, &r, pass, cg_madd(c, i, vec, r.base, "at"), (int)vec);
			cg_loop_end(c, &l);
		}
		if (rest)
			sm_step(c, &r, pass, cg_add(c, r.base, cg_i64(c, full * vec), "at"), (int)rest);
		if (pass == 1) {
			LLVMValueRef m = cg_hreduce(c, LLVMBuildLoad2(c->b, r.ty, r.mx, ""), true);
			r.m = cg_splat(c, r.ty, m, "splat");
		} else if (pass == 2) {
			LLVMValueRef t = cg_hreduce(c, LLVMBuildLoad2(c->b, r.ty, r.sum, ""), false);
			r.total = cg_splat(c, r.ty, t, "splat");
			if (r.log)
				r.logsum = cg_splat(c, r.ty, cg_intrinsic(c, "llvm.log.f32", t), "splat");
		}
	}
	cg_loop_end(c, &lo);
}

/* Axis not innermost: lanes over `lanes` adjacent positions r0.. of the
 * inner block; each step of a pass walks the axis. */
static void softmax_cols(struct cg *c, const struct ir_node *n, const struct ir_split *s,
                         LLVMValueRef o, LLVMValueRef r0, int lanes)
{
	struct sm_row r = { .x = c->addr[n->in[0]], .y = c->addr[n->out], .ty = cg_vec_type(c),
		            .log = n->attr.axis.log };
	r.mx = cg_entry_var(c, r.ty, 0, "max");
	r.sum = cg_entry_var(c, r.ty, 0, "sum");
	r.base = cg_madd(c, o, s->len * s->inner, r0, "base");
	LLVMBuildStore(c->b, cg_vconst(c, r.ty, -__builtin_inf()), r.mx);
	LLVMBuildStore(c->b, LLVMConstNull(r.ty), r.sum);
	for (int pass = 1; pass <= 3; pass++) {
		struct cg_loop l;
		LLVMValueRef i = cg_loop_begin(c, &l, s->len, "i");
		sm_step(c, &r, pass, cg_madd(c, i, s->inner, r.base, "at"), lanes);
		cg_loop_end(c, &l);
		if (pass == 1) {
			r.m = LLVMBuildLoad2(c->b, r.ty, r.mx, "m");
		} else if (pass == 2) {
			r.total = LLVMBuildLoad2(c->b, r.ty, r.sum, "total");
			if (r.log)
				r.logsum = cg_vintrinsic(c, "llvm.log", r.total);
		}
	}
}

void lower_softmax(struct cg *c, const struct ir_node *n)
{
	struct ir_split s = ir_split_at(cg_type(c, n->out), n->attr.axis.axis);
	if (s.inner == 1) {
		softmax_rows(c, n, &s);
		return;
	}
	int64_t vec = cg_vec_floats(c), full = s.inner / vec, rest = s.inner % vec;
	struct cg_loop lo, lr;
	LLVMValueRef o = cg_loop_begin(c, &lo, s.outer, "o");
	if (full) {
		LLVMValueRef r = cg_loop_begin(c, &lr, full, "r");
		softmax_cols(c, n, &s, o, cg_mul(c, r, cg_i64(c, vec), "r0"), (int)vec);
		cg_loop_end(c, &lr);
	}
	if (rest)
		softmax_cols(c, n, &s, o, cg_i64(c, full * vec), (int)rest);
	cg_loop_end(c, &lo);
}
