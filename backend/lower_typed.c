/* lower_typed.c - loop nests of the typed ops (IR_F_TYPED): binary on
 * integers and bool, compare, not, where, cast, argmax and argmin.
 *
 * Each mirrors its reference kernel (interp/interp_typed.c): one loop
 * nest over the output in C order, broadcast inputs read at stride 0.
 * Elements are loaded in their own type (cg_tload: bool as i1); integer
 * arithmetic wraps at the type's width, and division, remainder and the
 * float-to-integer conversion are guarded so that no input traps or is
 * undefined: the results ir.h defines (enum ir_binop, struct
 * ir_cast_attr) are computed with selects. */
#include "cg.h"

#include "check.h"
#include "lower.h"

/* The loops over node n's output; off[k] is input k's position, off[nin]
 * the output's. */
static void bnest_begin(struct cg *c, const struct ir_node *n, struct cg_nest *ns,
                        LLVMValueRef *off)
{
	const struct ir_type *yt = cg_type(c, n->out);
	int64_t st[IR_MAX_RANK];
	LLVMValueRef iv[IR_MAX_RANK];
	cg_nest_begin(c, ns, yt->dims, yt->rank, iv);
	for (unsigned k = 0; k < n->nin; k++) {
		ir_broadcast_strides(cg_type(c, n->in[k]), yt, st);
		off[k] = cg_offset(c, iv, st, yt->rank);
	}
	ir_dense_strides(yt->dims, yt->rank, st);
	off[n->nin] = cg_offset(c, iv, st, yt->rank);
}

static enum ir_dtype dtype_of(struct cg *c, uint32_t v)
{
	return cg_type(c, v)->dtype;
}

static bool is_unsigned(enum ir_dtype dt)
{
	enum ir_dtype_class dc = ir_dtype_class(dt);
	return dc == IR_DC_UNSIGNED || dc == IR_DC_BOOL;
}

static LLVMValueRef iconst(LLVMValueRef like, long long v)
{
	return LLVMConstInt(LLVMTypeOf(like), (unsigned long long)v, 1);
}

/* a^b by squaring over b's bits, wrapping; negative b as ir.h says. */
static LLVMValueRef int_pow(struct cg *c, LLVMValueRef a, LLVMValueRef b, bool u)
{
	LLVMBuilderRef bd = c->b;
	unsigned bits = LLVMGetIntTypeWidth(LLVMTypeOf(a));
	LLVMValueRef r = iconst(a, 1), base = a;
	for (unsigned k = 0; k < bits; k++) {
		LLVMValueRef bit = LLVMBuildAnd(bd, LLVMBuildLShr(bd, b, iconst(b, k), ""),
		                                iconst(b, 1), "");
		LLVMValueRef set = LLVMBuildICmp(bd, LLVMIntNE, bit, iconst(b, 0), "");
		r = LLVMBuildSelect(bd, set, LLVMBuildMul(bd, r, base, ""), r, "powacc");
		base = LLVMBuildMul(bd, base, base, "");
	}
	if (u)
		return r;
	LLVMValueRef odd = LLVMBuildICmp(bd, LLVMIntNE, LLVMBuildAnd(bd, b, iconst(b, 1), ""),
	                                 iconst(b, 0), "odd");
	LLVMValueRef neg = LLVMBuildSelect(
		bd, LLVMBuildICmp(bd, LLVMIntEQ, a, iconst(a, 1), ""), iconst(a, 1),
		LLVMBuildSelect(bd, LLVMBuildICmp(bd, LLVMIntEQ, a, iconst(a, -1), ""),
		                LLVMBuildSelect(bd, odd, iconst(a, -1), iconst(a, 1), ""), iconst(a, 0),
		                ""),
		"");
	LLVMValueRef bneg = LLVMBuildICmp(bd, LLVMIntSLT, b, iconst(b, 0), "negexp");
	return LLVMBuildSelect(bd, bneg, neg, r, "pow");
}

/* div, mod, fmod with a zero divisor giving 0 and the signed minimum
 * over -1 wrapping (the divisor replaced by 1 where it would trap). */
static LLVMValueRef int_div(struct cg *c, enum ir_binop op, LLVMValueRef a, LLVMValueRef b, bool u)
{
	LLVMBuilderRef bd = c->b;
	LLVMValueRef zero = LLVMBuildICmp(bd, LLVMIntEQ, b, iconst(b, 0), "divzero");
	LLVMValueRef m1 = u ? NULL : LLVMBuildICmp(bd, LLVMIntEQ, b, iconst(b, -1), "divm1");
	LLVMValueRef bad = m1 ? LLVMBuildOr(bd, zero, m1, "") : zero;
	LLVMValueRef d = LLVMBuildSelect(bd, bad, iconst(b, 1), b, "divisor");
	LLVMValueRef r;
	if (op == IR_BINOP_DIV) {
		r = u ? LLVMBuildUDiv(bd, a, d, "div") : LLVMBuildSDiv(bd, a, d, "div");
		if (m1)
			r = LLVMBuildSelect(bd, m1, LLVMBuildSub(bd, iconst(a, 0), a, ""), r, "div");
		return LLVMBuildSelect(bd, zero, iconst(a, 0), r, "div");
	}
	r = u ? LLVMBuildURem(bd, a, d, "rem") : LLVMBuildSRem(bd, a, d, "rem");
	if (op == IR_BINOP_MOD && !u) { /* the sign of the divisor */
		LLVMValueRef nz = LLVMBuildICmp(bd, LLVMIntNE, r, iconst(r, 0), "");
		LLVMValueRef rn = LLVMBuildICmp(bd, LLVMIntSLT, r, iconst(r, 0), "");
		LLVMValueRef dn = LLVMBuildICmp(bd, LLVMIntSLT, d, iconst(d, 0), "");
		LLVMValueRef fix = LLVMBuildAnd(bd, nz, LLVMBuildXor(bd, rn, dn, ""), "");
		r = LLVMBuildSelect(bd, fix, LLVMBuildAdd(bd, r, d, ""), r, "mod");
	}
	return LLVMBuildSelect(bd, bad, iconst(a, 0), r, "rem");
}

static LLVMValueRef int_binop(struct cg *c, enum ir_binop op, LLVMValueRef a, LLVMValueRef b,
                              bool u)
{
	LLVMBuilderRef bd = c->b;
	switch (op) {
	case IR_BINOP_ADD: return LLVMBuildAdd(bd, a, b, "add");
	case IR_BINOP_SUB: return LLVMBuildSub(bd, a, b, "sub");
	case IR_BINOP_MUL: return LLVMBuildMul(bd, a, b, "mul");
	case IR_BINOP_DIV:
	case IR_BINOP_MOD:
	case IR_BINOP_FMOD: return int_div(c, op, a, b, u);
	case IR_BINOP_MIN:
		return LLVMBuildSelect(bd, LLVMBuildICmp(bd, u ? LLVMIntULT : LLVMIntSLT, a, b, ""),
		                       a, b, "min");
	case IR_BINOP_MAX:
		return LLVMBuildSelect(bd, LLVMBuildICmp(bd, u ? LLVMIntUGT : LLVMIntSGT, a, b, ""),
		                       a, b, "max");
	case IR_BINOP_POW: return int_pow(c, a, b, u);
	case IR_BINOP_AND: return LLVMBuildAnd(bd, a, b, "and");
	case IR_BINOP_OR: return LLVMBuildOr(bd, a, b, "or");
	case IR_BINOP_XOR: return LLVMBuildXor(bd, a, b, "xor");
	case IR_BINOP_PRELU:
	case IR_BINOP_NONE: break;
	}
	DLC_UNREACHABLE("int_binop: operator not defined on integers");
}

void lower_binary_int(struct cg *c, const struct ir_node *n)
{
	enum ir_dtype dt = dtype_of(c, n->out);
	struct cg_nest ns;
	LLVMValueRef off[3];
	bnest_begin(c, n, &ns, off);
	LLVMValueRef a = cg_tload(c, dt, c->addr[n->in[0]], off[0], "a");
	LLVMValueRef b = cg_tload(c, dt, c->addr[n->in[1]], off[1], "b");
	cg_tstore(c, dt, int_binop(c, n->attr.binary.op, a, b, is_unsigned(dt)), c->addr[n->out],
	          off[2]);
	cg_nest_end(c, &ns);
}

static LLVMValueRef compare(struct cg *c, enum ir_cmp op, enum ir_dtype dt, LLVMValueRef a,
                            LLVMValueRef b)
{
	static const LLVMRealPredicate fp[] = { [IR_CMP_EQ] = LLVMRealOEQ, [IR_CMP_NE] = LLVMRealUNE,
		                                [IR_CMP_LT] = LLVMRealOLT, [IR_CMP_LE] = LLVMRealOLE,
		                                [IR_CMP_GT] = LLVMRealOGT, [IR_CMP_GE] = LLVMRealOGE };
	static const LLVMIntPredicate sp[] = { [IR_CMP_EQ] = LLVMIntEQ, [IR_CMP_NE] = LLVMIntNE,
		                               [IR_CMP_LT] = LLVMIntSLT, [IR_CMP_LE] = LLVMIntSLE,
		                               [IR_CMP_GT] = LLVMIntSGT, [IR_CMP_GE] = LLVMIntSGE };
	static const LLVMIntPredicate up[] = { [IR_CMP_EQ] = LLVMIntEQ, [IR_CMP_NE] = LLVMIntNE,
		                               [IR_CMP_LT] = LLVMIntULT, [IR_CMP_LE] = LLVMIntULE,
		                               [IR_CMP_GT] = LLVMIntUGT, [IR_CMP_GE] = LLVMIntUGE };
	DLC_ASSERT(op > IR_CMP_NONE && op <= IR_CMP_LAST);
	if (dt == IR_DT_F32)
		return LLVMBuildFCmp(c->b, fp[op], a, b, "cmp");
	return LLVMBuildICmp(c->b, is_unsigned(dt) ? up[op] : sp[op], a, b, "cmp");
}

void lower_compare(struct cg *c, const struct ir_node *n)
{
	enum ir_dtype dt = dtype_of(c, n->in[0]);
	struct cg_nest ns;
	LLVMValueRef off[3];
	bnest_begin(c, n, &ns, off);
	LLVMValueRef a = cg_tload(c, dt, c->addr[n->in[0]], off[0], "a");
	LLVMValueRef b = cg_tload(c, dt, c->addr[n->in[1]], off[1], "b");
	cg_tstore(c, IR_DT_BOOL, compare(c, n->attr.compare.op, dt, a, b), c->addr[n->out], off[2]);
	cg_nest_end(c, &ns);
}

void lower_logical_not(struct cg *c, const struct ir_node *n)
{
	struct cg_nest ns;
	LLVMValueRef off[2];
	bnest_begin(c, n, &ns, off);
	LLVMValueRef x = cg_tload(c, IR_DT_BOOL, c->addr[n->in[0]], off[0], "x");
	cg_tstore(c, IR_DT_BOOL, LLVMBuildNot(c->b, x, "not"), c->addr[n->out], off[1]);
	cg_nest_end(c, &ns);
}

void lower_where(struct cg *c, const struct ir_node *n)
{
	enum ir_dtype dt = dtype_of(c, n->out);
	struct cg_nest ns;
	LLVMValueRef off[4];
	bnest_begin(c, n, &ns, off);
	LLVMValueRef cond = cg_tload(c, IR_DT_BOOL, c->addr[n->in[0]], off[0], "cond");
	LLVMValueRef a = cg_tload(c, dt, c->addr[n->in[1]], off[1], "a");
	LLVMValueRef b = cg_tload(c, dt, c->addr[n->in[2]], off[2], "b");
	cg_tstore(c, dt, LLVMBuildSelect(c->b, cond, a, b, "where"), c->addr[n->out], off[3]);
	cg_nest_end(c, &ns);
}

/* x of dtype `from` converted to `to` (struct ir_cast_attr). */
static LLVMValueRef convert(struct cg *c, LLVMValueRef x, enum ir_dtype from, enum ir_dtype to)
{
	LLVMBuilderRef bd = c->b;
	LLVMTypeRef ty = to == IR_DT_BOOL ? c->t_i1 : cg_dtype(c, to);
	bool from_float = from == IR_DT_F32, to_float = to == IR_DT_F32;
	if (from_float && to_float)
		return x;
	if (from_float && to == IR_DT_BOOL)
		return LLVMBuildFCmp(bd, LLVMRealUNE, x, cg_f32(c, 0), "tobool");
	if (from_float) { /* toward zero, saturating, NaN 0 */
		LLVMTypeRef over[2] = { ty, c->t_f32 };
		bool u = is_unsigned(to);
		return cg_call_intrinsic(c, u ? "llvm.fptoui.sat" : "llvm.fptosi.sat", over, 2, &x, 1);
	}
	if (to_float)
		return is_unsigned(from) ? LLVMBuildUIToFP(bd, x, ty, "tofloat")
		                         : LLVMBuildSIToFP(bd, x, ty, "tofloat");
	if (to == IR_DT_BOOL)
		return LLVMBuildICmp(bd, LLVMIntNE, x, iconst(x, 0), "tobool");
	unsigned wf = LLVMGetIntTypeWidth(LLVMTypeOf(x)), wt = LLVMGetIntTypeWidth(ty);
	if (wt < wf)
		return LLVMBuildTrunc(bd, x, ty, "narrow");
	if (wt == wf)
		return x;
	return is_unsigned(from) ? LLVMBuildZExt(bd, x, ty, "widen")
	                         : LLVMBuildSExt(bd, x, ty, "widen");
}

void lower_cast(struct cg *c, const struct ir_node *n)
{
	enum ir_dtype from = dtype_of(c, n->in[0]), to = n->attr.cast.to;
	struct cg_nest ns;
	LLVMValueRef off[2];
	bnest_begin(c, n, &ns, off);
	LLVMValueRef x = cg_tload(c, from, c->addr[n->in[0]], off[0], "x");
	cg_tstore(c, to, convert(c, x, from, to), c->addr[n->out], off[1]);
	cg_nest_end(c, &ns);
}

/* Whether v beats best (interp_typed.c's arg_beats). */
static LLVMValueRef arg_beats(struct cg *c, enum ir_dtype dt, LLVMValueRef v, LLVMValueRef best,
                              bool max, bool last)
{
	LLVMBuilderRef bd = c->b;
	enum ir_cmp op = max ? (last ? IR_CMP_GE : IR_CMP_GT) : (last ? IR_CMP_LE : IR_CMP_LT);
	LLVMValueRef wins = compare(c, op, dt, v, best);
	if (dt != IR_DT_F32)
		return wins;
	LLVMValueRef vnan = LLVMBuildFCmp(bd, LLVMRealUNO, v, v, "vnan");
	LLVMValueRef bnan = LLVMBuildFCmp(bd, LLVMRealUNO, best, best, "bestnan");
	LLVMValueRef after_nan = last ? vnan : LLVMConstInt(c->t_i1, 0, 0);
	return LLVMBuildSelect(bd, bnan, after_nan, LLVMBuildOr(bd, vnan, wins, ""), "beats");
}

void lower_arg(struct cg *c, const struct ir_node *n)
{
	const struct ir_arg_attr *a = &n->attr.arg;
	const struct ir_type *xt = cg_type(c, n->in[0]);
	enum ir_dtype dt = xt->dtype;
	struct ir_split s = ir_split_at(xt, a->axis);
	LLVMTypeRef ety = cg_dtype(c, dt);
	LLVMValueRef best_v = cg_entry_var(c, ety, 0, "best");
	LLVMValueRef best_i = cg_entry_var(c, c->t_i64, 0, "besti");
	struct cg_loop lo, lr, lj;
	LLVMValueRef o = cg_loop_begin(c, &lo, s.outer, "o");
	LLVMValueRef r = cg_loop_begin(c, &lr, s.inner, "r");
	LLVMValueRef base = cg_madd(c, o, s.len * s.inner, r, "base");
	LLVMValueRef x = c->addr[n->in[0]];
	LLVMBuildStore(c->b, cg_tload(c, dt, x, base, "x0"), best_v);
	LLVMBuildStore(c->b, cg_i64(c, 0), best_i);
	LLVMValueRef j = cg_loop_begin(c, &lj, s.len, "j");
	LLVMValueRef v = cg_tload(c, dt, x, cg_madd(c, j, s.inner, base, ""), "x");
	LLVMValueRef bv = LLVMBuildLoad2(c->b, ety, best_v, "bv");
	LLVMValueRef beats = arg_beats(c, dt, v, bv, n->op == IR_ARGMAX, a->last);
	LLVMBuildStore(c->b, LLVMBuildSelect(c->b, beats, v, bv, ""), best_v);
	LLVMValueRef bi = LLVMBuildLoad2(c->b, c->t_i64, best_i, "bi");
	LLVMBuildStore(c->b, LLVMBuildSelect(c->b, beats, j, bi, ""), best_i);
	cg_loop_end(c, &lj);
	cg_tstore(c, IR_DT_I64, LLVMBuildLoad2(c->b, c->t_i64, best_i, "arg"), c->addr[n->out],
	          cg_madd(c, o, s.inner, r, ""));
	cg_loop_end(c, &lr);
	cg_loop_end(c, &lo);
}

/* gather_elements: the index loaded, made non-negative and clamped into
 * the axis (interp_typed.c), then the element moved. */
void lower_gather_elements(struct cg *c, const struct ir_node *n)
{
	const struct ir_type *xt = cg_type(c, n->in[0]), *it = cg_type(c, n->in[1]);
	int axis = n->attr.gather_elements.axis;
	int64_t xs[IR_MAX_RANK], ys[IR_MAX_RANK], dim = xt->dims[axis];
	ir_dense_strides(xt->dims, xt->rank, xs);
	ir_dense_strides(it->dims, it->rank, ys);
	LLVMValueRef iv[IR_MAX_RANK];
	struct cg_nest ns;
	cg_nest_begin(c, &ns, it->dims, it->rank, iv);
	LLVMValueRef at = cg_offset(c, iv, ys, it->rank);
	LLVMValueRef id = cg_tload(c, it->dtype, c->addr[n->in[1]], at, "idx");
	if (it->dtype != IR_DT_I64)
		id = LLVMBuildSExt(c->b, id, c->t_i64, "idx");
	LLVMValueRef neg = LLVMBuildICmp(c->b, LLVMIntSLT, id, cg_i64(c, 0), "neg");
	id = LLVMBuildSelect(c->b, neg, cg_add(c, id, cg_i64(c, dim), ""), id, "");
	id = cg_clamp_index(c, id, dim, "id");
	LLVMValueRef src = cg_i64(c, 0);
	for (unsigned k = 0; k < xt->rank; k++)
		src = cg_add(c, src, cg_mul(c, (int)k == axis ? id : iv[k], cg_i64(c, xs[k]), ""), "src");
	cg_tstore(c, xt->dtype, cg_tload(c, xt->dtype, c->addr[n->in[0]], src, "x"), c->addr[n->out],
	          at);
	cg_nest_end(c, &ns);
}

/* cumsum: per (outer, inner) position, the running sum in a variable
 * along the axis (forward or reverse), stored before or after each add as
 * interp_typed.c does. */
void lower_cumsum(struct cg *c, const struct ir_node *n)
{
	const struct ir_cumsum_attr *a = &n->attr.cumsum;
	const struct ir_type *xt = cg_type(c, n->in[0]);
	enum ir_dtype dt = xt->dtype;
	struct ir_split s = ir_split_at(xt, a->axis);
	LLVMTypeRef ty = cg_dtype(c, dt);
	LLVMValueRef acc = cg_entry_var(c, ty, 0, "acc");
	struct cg_loop lo, lr, lj;
	LLVMValueRef o = cg_loop_begin(c, &lo, s.outer, "o");
	LLVMValueRef r = cg_loop_begin(c, &lr, s.inner, "r");
	LLVMBuildStore(c->b, dt == IR_DT_F32 ? cg_f32(c, 0) : LLVMConstInt(ty, 0, 0), acc);
	LLVMValueRef step = cg_loop_begin(c, &lj, s.len, "j");
	LLVMValueRef j = a->reverse ? LLVMBuildSub(c->b, cg_i64(c, s.len - 1), step, "j") : step;
	LLVMValueRef at = cg_madd(c, cg_madd(c, o, s.len, j, ""), s.inner, r, "at");
	LLVMValueRef sum = LLVMBuildLoad2(c->b, ty, acc, "sum");
	if (a->exclusive)
		cg_tstore(c, dt, sum, c->addr[n->out], at);
	LLVMValueRef x = cg_tload(c, dt, c->addr[n->in[0]], at, "x");
	sum = dt == IR_DT_F32 ? LLVMBuildFAdd(c->b, sum, x, "sum") : LLVMBuildAdd(c->b, sum, x, "sum");
	LLVMBuildStore(c->b, sum, acc);
	if (!a->exclusive)
		cg_tstore(c, dt, sum, c->addr[n->out], at);
	cg_loop_end(c, &lj);
	cg_loop_end(c, &lr);
	cg_loop_end(c, &lo);
}

/* topk: interp_typed.c's insertion, branch-free inside: per element, the
 * shifts run over the k - 1 kept positions from the back as selects
 * ("active" while at or below the insertion start and still beating),
 * the kept indices living in the output itself. A position is loaded
 * from x only once it holds an index of an earlier element. */
void lower_topk(struct cg *c, const struct ir_node *n)
{
	const struct ir_topk_attr *a = &n->attr.topk;
	const struct ir_type *xt = cg_type(c, n->in[0]);
	enum ir_dtype dt = xt->dtype;
	struct ir_split s = ir_split_at(xt, a->axis);
	int64_t k = a->k;
	LLVMBuilderRef bd = c->b;
	LLVMValueRef x = c->addr[n->in[0]], y = c->addr[n->out];
	LLVMValueRef ins = cg_entry_var(c, c->t_i64, 0, "ins");
	LLVMValueRef moving = cg_entry_var(c, c->t_i1, 0, "moving");
	struct cg_loop lo, lr, lj, lq;
	LLVMValueRef o = cg_loop_begin(c, &lo, s.outer, "o");
	LLVMValueRef r = cg_loop_begin(c, &lr, s.inner, "r");
	LLVMValueRef base = cg_madd(c, o, s.len * s.inner, r, "base");
	LLVMValueRef ybase = cg_madd(c, o, k * s.inner, r, "ybase");
	LLVMValueRef j = cg_loop_begin(c, &lj, s.len, "j");
	LLVMValueRef v = cg_tload(c, dt, x, cg_madd(c, j, s.inner, base, ""), "v");
	LLVMValueRef start = cg_min(c, j, cg_i64(c, k - 1), "start");
	LLVMValueRef full = LLVMBuildICmp(bd, LLVMIntSGE, j, cg_i64(c, k), "full");
	/* when full, the last kept element must be beaten */
	LLVMValueRef lastp = cg_madd(c, cg_i64(c, k - 1), s.inner, ybase, "");
	LLVMValueRef lasti = LLVMBuildSelect(bd, full, cg_tload(c, IR_DT_I64, y, lastp, "lasti"),
	                                     cg_i64(c, 0), "");
	LLVMValueRef lastv = cg_tload(c, dt, x, cg_madd(c, lasti, s.inner, base, ""), "lastv");
	LLVMValueRef enter = LLVMBuildOr(bd, LLVMBuildNot(bd, full, ""),
	                                 arg_beats(c, dt, v, lastv, a->largest, false), "enter");
	LLVMBasicBlockRef after = cg_if_begin(c, enter, "insert");
	LLVMBuildStore(bd, start, ins);
	LLVMBuildStore(bd, LLVMConstInt(c->t_i1, 1, 0), moving);
	LLVMValueRef t = cg_loop_begin(c, &lq, k - 1, "t");
	LLVMValueRef q = LLVMBuildSub(bd, cg_i64(c, k - 1), t, "q"); /* k - 1 down to 1 */
	LLVMValueRef active = LLVMBuildAnd(bd, LLVMBuildICmp(bd, LLVMIntSLE, q, start, ""),
	                                   LLVMBuildLoad2(bd, c->t_i1, moving, ""), "active");
	LLVMValueRef pp = cg_madd(c, LLVMBuildSub(bd, q, cg_i64(c, 1), ""), s.inner, ybase, "pp");
	LLVMValueRef prev = LLVMBuildSelect(bd, active, cg_tload(c, IR_DT_I64, y, pp, "prev"),
	                                    cg_i64(c, 0), "");
	LLVMValueRef pv = cg_tload(c, dt, x, cg_madd(c, prev, s.inner, base, ""), "pv");
	LLVMValueRef shift = LLVMBuildAnd(bd, active, arg_beats(c, dt, v, pv, a->largest, false),
	                                  "shift");
	LLVMValueRef qp = cg_madd(c, q, s.inner, ybase, "qp");
	LLVMBasicBlockRef moved = cg_if_begin(c, shift, "shift");
	cg_tstore(c, IR_DT_I64, prev, y, qp);
	LLVMBuildStore(bd, LLVMBuildSub(bd, q, cg_i64(c, 1), ""), ins);
	cg_if_end(c, moved);
	LLVMBuildStore(bd, LLVMBuildAnd(bd, LLVMBuildLoad2(bd, c->t_i1, moving, ""),
	                                LLVMBuildOr(bd, LLVMBuildNot(bd, active, ""), shift, ""), ""),
	               moving);
	cg_loop_end(c, &lq);
	cg_tstore(c, IR_DT_I64, j, y, cg_madd(c, LLVMBuildLoad2(bd, c->t_i64, ins, "at"), s.inner,
	                                      ybase, ""));
	cg_if_end(c, after);
	cg_loop_end(c, &lj);
	cg_loop_end(c, &lr);
	cg_loop_end(c, &lo);
}
