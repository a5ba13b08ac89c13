/* lower_tensor.c - loop nests of the tensor ops added for ONNX import:
 * binary (NumPy broadcasting), matmul, the reductions, slice, pad, broadcast
 * and gather.
 *
 * Each op is a plain loop nest over its output in C order that mirrors
 * the reference interpreter's kernel (interp/interp_tensor.c): input
 * positions are sums of loop indices times strides (0 on broadcast axes),
 * sums start at 0.0f and run in the same order, so results agree with the
 * interpreter. Constants read as inputs live in the weights image like
 * parameters (plan.c); nothing here depends on where an operand lives. */
#include "cg.h"

#include "check.h"
#include "lower.h"

static LLVMValueRef binop(struct cg *c, enum ir_binop op, LLVMValueRef a, LLVMValueRef b)
{
	LLVMValueRef take_a;
	switch (op) {
	case IR_BINOP_POW: return cg_vintrinsic2(c, "llvm.pow", a, b);
	case IR_BINOP_MIN:
	case IR_BINOP_MAX: /* a when it is NaN or wins, else b (NaN when b is) */
		take_a = LLVMBuildFCmp(c->b, op == IR_BINOP_MIN ? LLVMRealOLT : LLVMRealOGT, a, b, "");
		take_a = LLVMBuildOr(c->b, take_a, LLVMBuildFCmp(c->b, LLVMRealUNO, a, a, "nan"), "");
		return LLVMBuildSelect(c->b, take_a, a, b, op == IR_BINOP_MIN ? "min" : "max");
	case IR_BINOP_PRELU:
		take_a = LLVMBuildFCmp(c->b, LLVMRealOLT, a, cg_vconst(c, LLVMTypeOf(a), 0), "neg");
		return LLVMBuildSelect(c->b, take_a, LLVMBuildFMul(c->b, a, b, ""), a, "prelu");
	case IR_BINOP_ADD: return LLVMBuildFAdd(c->b, a, b, "add");
	case IR_BINOP_SUB: return LLVMBuildFSub(c->b, a, b, "sub");
	case IR_BINOP_MUL: return LLVMBuildFMul(c->b, a, b, "mul");
	case IR_BINOP_DIV: return LLVMBuildFDiv(c->b, a, b, "div");
	case IR_BINOP_FMOD: return LLVMBuildFRem(c->b, a, b, "fmod");
	default: break;
	}
	DLC_UNREACHABLE("binop: invalid operator");
}

/* binary, or broadcast (one input, op NONE): y[i] = a[i'] OP b[i'']. */
static void broadcasting(struct cg *c, const struct ir_node *n)
{
	const struct ir_type *yt = cg_type(c, n->out);
	int64_t ys[IR_MAX_RANK], st[2][IR_MAX_RANK];
	ir_dense_strides(yt->dims, yt->rank, ys);
	for (unsigned k = 0; k < n->nin; k++)
		ir_broadcast_strides(cg_type(c, n->in[k]), yt, st[k]);
	LLVMValueRef iv[IR_MAX_RANK];
	struct cg_nest ns;
	cg_nest_begin(c, &ns, yt->dims, yt->rank, iv);
	LLVMValueRef v = cg_tload(c, yt->dtype, c->addr[n->in[0]], cg_offset(c, iv, st[0], yt->rank),
	                          "a");
	if (n->op == IR_BINARY)
		v = binop(c, n->attr.binary.op, v,
		          cg_load(c, c->addr[n->in[1]], cg_offset(c, iv, st[1], yt->rank), "b"));
	cg_tstore(c, yt->dtype, v, c->addr[n->out], cg_offset(c, iv, ys, yt->rank));
	cg_nest_end(c, &ns);
}

void lower_binary(struct cg *c, const struct ir_node *n)
{
	if (ir_dtype_class(cg_type(c, n->out)->dtype) != IR_DC_FLOAT) {
		lower_binary_int(c, n);
		return;
	}
	broadcasting(c, n);
}

void lower_broadcast(struct cg *c, const struct ir_node *n)
{
	broadcasting(c, n);
}

/* Per batch position: y[m, j] = sum over k ascending of a[m, k] * b[k, j]. */
void lower_matmul(struct cg *c, const struct ir_node *n)
{
	const struct ir_type *ta = cg_type(c, n->in[0]), *tb = cg_type(c, n->in[1]);
	const struct ir_type *ty = cg_type(c, n->out);
	struct ir_matmul_split s = ir_matmul_split(ta, tb, ty);
	int64_t kk = s.k, m = s.m, nn = s.n, *sa = s.sa, *sb = s.sb, sy[IR_MAX_RANK];
	struct ir_type bt = s.batch;
	ir_dense_strides(bt.dims, bt.rank, sy);
	for (unsigned k = 0; k < bt.rank; k++) {
		sa[k] *= m * kk;
		sb[k] *= kk * nn;
		sy[k] *= m * nn;
	}
	LLVMValueRef iv[IR_MAX_RANK], acc = cg_var(c, "acc");
	struct cg_nest ns;
	struct cg_loop li, lj, lk;
	cg_nest_begin(c, &ns, bt.dims, bt.rank, iv);
	LLVMValueRef a = cg_elem(c, c->addr[n->in[0]], cg_offset(c, iv, sa, bt.rank), "am");
	LLVMValueRef b = cg_elem(c, c->addr[n->in[1]], cg_offset(c, iv, sb, bt.rank), "bm");
	LLVMValueRef y = cg_elem(c, c->addr[n->out], cg_offset(c, iv, sy, bt.rank), "ym");
	LLVMValueRef i = cg_loop_begin(c, &li, m, "i");
	LLVMValueRef j = cg_loop_begin(c, &lj, nn, "j");
	LLVMBuildStore(c->b, cg_f32(c, 0), acc);
	LLVMValueRef k = cg_loop_begin(c, &lk, kk, "k");
	LLVMValueRef p = LLVMBuildFMul(c->b, cg_load(c, a, cg_madd(c, i, kk, k, ""), "a"),
	                               cg_load(c, b, cg_madd(c, k, nn, j, ""), "b"), "p");
	LLVMBuildStore(c->b, LLVMBuildFAdd(c->b, LLVMBuildLoad2(c->b, c->t_f32, acc, "s"), p, "s"),
	               acc);
	cg_loop_end(c, &lk);
	cg_store(c, LLVMBuildLoad2(c->b, c->t_f32, acc, "dot"), y, cg_madd(c, i, nn, j, ""));
	cg_loop_end(c, &lj);
	cg_loop_end(c, &li);
	cg_nest_end(c, &ns);
}

/* acc combined with x, as interp_tensor.c's reduce_step: max and min keep
 * a NaN once they meet one. */
static LLVMValueRef reduce_step(struct cg *c, enum ir_op op, LLVMValueRef acc, LLVMValueRef x,
                                LLVMValueRef m)
{
	LLVMValueRef keep;
	switch (op) {
	case IR_REDUCE_PROD: return LLVMBuildFMul(c->b, acc, x, "prod");
	case IR_REDUCE_MAX:
	case IR_REDUCE_MIN:
		/* acc is NaN, or acc >= x (<= for min): keep acc */
		keep = LLVMBuildFCmp(c->b, op == IR_REDUCE_MAX ? LLVMRealOGE : LLVMRealOLE, acc, x,
		                     "keep");
		keep = LLVMBuildOr(c->b, keep, LLVMBuildFCmp(c->b, LLVMRealUNO, acc, acc, "nan"),
		                   "");
		return LLVMBuildSelect(c->b, keep, acc, x, op == IR_REDUCE_MAX ? "max" : "min");
	case IR_REDUCE_L1:
		return LLVMBuildFAdd(c->b, acc, cg_vintrinsic(c, "llvm.fabs", x), "l1");
	case IR_REDUCE_L2:
	case IR_REDUCE_SUM_SQUARE:
		return LLVMBuildFAdd(c->b, acc, LLVMBuildFMul(c->b, x, x, "sq"), "sumsq");
	case IR_REDUCE_LOG_SUM_EXP:
		x = LLVMBuildFSub(c->b, x, m, "shifted");
		return LLVMBuildFAdd(c->b, acc, cg_vexp(c, x), "sumexp");
	default: return LLVMBuildFAdd(c->b, acc, x, "s"); /* mean, sum, log_sum */
	}
}

/* The result from acc over count positions (interp_tensor.c's
 * reduce_finish). */
static LLVMValueRef reduce_finish(struct cg *c, enum ir_op op, LLVMValueRef acc, int64_t count,
                                  LLVMValueRef m)
{
	switch (op) {
	case IR_REDUCE_MEAN:
		return LLVMBuildFDiv(c->b, acc, cg_f32(c, (double)(float)count), "mean");
	case IR_REDUCE_L2: return cg_vintrinsic(c, "llvm.sqrt", acc);
	case IR_REDUCE_LOG_SUM: return cg_vintrinsic(c, "llvm.log", acc);
	case IR_REDUCE_LOG_SUM_EXP: {
		LLVMValueRef am = cg_vintrinsic(c, "llvm.fabs", m);
		LLVMValueRef inf = LLVMBuildFCmp(c->b, LLVMRealOEQ, am, cg_f32(c, __builtin_inff()),
		                                 "inf");
		LLVMValueRef r = LLVMBuildFAdd(c->b, m, cg_vintrinsic(c, "llvm.log", acc), "");
		return LLVMBuildSelect(c->b, inf, m, r, "lse");
	}
	default: return acc;
	}
}

static double reduce_start(enum ir_op op)
{
	switch (op) {
	case IR_REDUCE_PROD: return 1.0;
	case IR_REDUCE_MAX: return -__builtin_inf();
	case IR_REDUCE_MIN: return __builtin_inf();
	default: return 0.0;
	}
}

/* acc = op over the reduced positions of the output at base (m: the shift
 * of reduce_log_sum_exp). */
static LLVMValueRef reduce_run(struct cg *c, const struct ir_node *n, enum ir_op op,
                               const struct ir_reduce_split *s, LLVMValueRef base, LLVMValueRef m)
{
	LLVMValueRef ir[IR_MAX_RANK], acc = cg_var(c, "acc");
	struct cg_nest red;
	LLVMBuildStore(c->b, cg_f32(c, reduce_start(op)), acc);
	cg_nest_begin(c, &red, s->red, s->nred, ir);
	LLVMValueRef at = cg_add(c, base, cg_offset(c, ir, s->red_stride, s->nred), "");
	LLVMValueRef v = cg_load(c, c->addr[n->in[0]], at, "x");
	LLVMValueRef old = LLVMBuildLoad2(c->b, c->t_f32, acc, "acc");
	LLVMBuildStore(c->b, reduce_step(c, op, old, v, m), acc);
	cg_nest_end(c, &red);
	return LLVMBuildLoad2(c->b, c->t_f32, acc, "total");
}

/* Over the kept axes; inside, the reduced positions in C order (and
 * before them, for reduce_log_sum_exp, a pass for the maximum). */
void lower_reduce(struct cg *c, const struct ir_node *n)
{
	const struct ir_reduce_attr *a = &n->attr.reduce;
	struct ir_reduce_split s = ir_reduce_split(cg_type(c, n->in[0]), a->axes, a->naxes);
	int64_t yd[IR_MAX_RANK];
	ir_dense_strides(s.kept, s.nkept, yd);
	LLVMValueRef ik[IR_MAX_RANK];
	struct cg_nest kept;
	cg_nest_begin(c, &kept, s.kept, s.nkept, ik);
	LLVMValueRef base = cg_offset(c, ik, s.kept_stride, s.nkept), m = NULL;
	if (n->op == IR_REDUCE_LOG_SUM_EXP)
		m = reduce_run(c, n, IR_REDUCE_MAX, &s, base, NULL);
	LLVMValueRef y = reduce_finish(c, n->op, reduce_run(c, n, n->op, &s, base, m), s.count, m);
	cg_store(c, y, c->addr[n->out], cg_offset(c, ik, yd, s.nkept));
	cg_nest_end(c, &kept);
}

/* outer x len x inner; position i of the axis reads start + i * step. */
void lower_slice(struct cg *c, const struct ir_node *n)
{
	const struct ir_slice_attr *a = &n->attr.slice;
	const struct ir_type *xt = cg_type(c, n->in[0]), *yt = cg_type(c, n->out);
	int64_t outer = 1, inner = 1, dim = xt->dims[a->axis], len = yt->dims[a->axis];
	for (int k = 0; k < a->axis; k++)
		outer *= xt->dims[k];
	for (unsigned k = (unsigned)a->axis + 1; k < xt->rank; k++)
		inner *= xt->dims[k];
	struct cg_loop lo, li, lr;
	LLVMValueRef o = cg_loop_begin(c, &lo, outer, "o");
	LLVMValueRef i = cg_loop_begin(c, &li, len, "i");
	LLVMValueRef at = cg_madd(c, i, a->step, cg_i64(c, a->start), "at");
	LLVMValueRef src = cg_mul(c, cg_madd(c, o, dim, at, ""), cg_i64(c, inner), "src");
	LLVMValueRef dst = cg_mul(c, cg_madd(c, o, len, i, ""), cg_i64(c, inner), "dst");
	LLVMValueRef r = cg_loop_begin(c, &lr, inner, "r");
	enum ir_dtype dt = xt->dtype;
	cg_tstore(c, dt, cg_tload(c, dt, c->addr[n->in[0]], cg_add(c, src, r, ""), "x"),
	          c->addr[n->out], cg_add(c, dst, r, ""));
	cg_loop_end(c, &lr);
	cg_loop_end(c, &li);
	cg_loop_end(c, &lo);
}

/* Every output element is an input element or the pad value; the load
 * address is clamped into the input so it is always in bounds. */
void lower_pad(struct cg *c, const struct ir_node *n)
{
	const struct ir_pad_nd_attr *a = &n->attr.pad_nd;
	const struct ir_type *xt = cg_type(c, n->in[0]), *yt = cg_type(c, n->out);
	int64_t xs[IR_MAX_RANK], ys[IR_MAX_RANK];
	ir_dense_strides(xt->dims, xt->rank, xs);
	ir_dense_strides(yt->dims, yt->rank, ys);
	LLVMValueRef iv[IR_MAX_RANK], p[IR_MAX_RANK];
	struct cg_nest ns;
	cg_nest_begin(c, &ns, yt->dims, yt->rank, iv);
	LLVMValueRef inside = LLVMConstInt(c->t_i1, 1, 0);
	for (unsigned k = 0; k < yt->rank; k++) {
		p[k] = cg_add(c, iv[k], cg_i64(c, -a->pads[k]), "p");
		inside = LLVMBuildAnd(c->b, inside, cg_in_range(c, p[k], xt->dims[k], ""), "inside");
	}
	for (unsigned k = 0; k < yt->rank; k++)
		p[k] = LLVMBuildSelect(c->b, inside, p[k], cg_i64(c, 0), "");
	enum ir_dtype dt = xt->dtype;
	LLVMValueRef v = cg_tload(c, dt, c->addr[n->in[0]], cg_offset(c, p, xs, xt->rank), "x");
	LLVMValueRef value = dt == IR_DT_F32    ? cg_f32(c, a->value)
	                     : dt == IR_DT_BOOL ? LLVMConstInt(c->t_i1, a->value != 0, 0)
	                                        : LLVMConstInt(cg_dtype(c, dt),
	                                                       (unsigned long long)(int64_t)a->value, 1);
	v = LLVMBuildSelect(c->b, inside, v, value, "padded");
	cg_tstore(c, dt, v, c->addr[n->out], cg_offset(c, iv, ys, yt->rank));
	cg_nest_end(c, &ns);
}

/* A private constant table of n elements of type ty (i64 or f32). */
static LLVMValueRef const_table(struct cg *c, LLVMTypeRef ty, const void *data, int64_t n,
                                const char *name)
{
	LLVMValueRef *elems = arena_array(c->arena, (size_t)n, sizeof *elems);
	for (int64_t j = 0; j < n; j++)
		elems[j] = ty == c->t_i64 ? cg_i64(c, ((const int64_t *)data)[j])
		                          : cg_f32(c, ((const float *)data)[j]);
	LLVMValueRef init = LLVMConstArray2(ty, elems, (uint64_t)n);
	LLVMValueRef gv = LLVMAddGlobal(c->mod, LLVMTypeOf(init), name);
	LLVMSetInitializer(gv, init);
	LLVMSetGlobalConstant(gv, 1);
	LLVMSetLinkage(gv, LLVMPrivateLinkage);
	LLVMSetUnnamedAddr(gv, 1);
	return gv;
}

/* outer x nidx x inner; position j of the axis reads idx[j]. */
void lower_gather(struct cg *c, const struct ir_node *n)
{
	const struct ir_gather_attr *a = &n->attr.gather;
	const struct ir_type *xt = cg_type(c, n->in[0]);
	int64_t outer = 1, inner = 1, dim = xt->dims[a->axis];
	for (int k = 0; k < a->axis; k++)
		outer *= xt->dims[k];
	for (unsigned k = (unsigned)a->axis + 1; k < xt->rank; k++)
		inner *= xt->dims[k];
	LLVMValueRef table = const_table(c, c->t_i64, a->idx, a->nidx, "indices");
	struct cg_loop lo, lj, lr;
	LLVMValueRef o = cg_loop_begin(c, &lo, outer, "o");
	LLVMValueRef j = cg_loop_begin(c, &lj, a->nidx, "j");
	LLVMValueRef ip = LLVMBuildInBoundsGEP2(c->b, c->t_i64, table, &j, 1, "");
	LLVMValueRef at = LLVMBuildLoad2(c->b, c->t_i64, ip, "at");
	LLVMValueRef src = cg_mul(c, cg_madd(c, o, dim, at, ""), cg_i64(c, inner), "src");
	LLVMValueRef dst = cg_mul(c, cg_madd(c, o, a->nidx, j, ""), cg_i64(c, inner), "dst");
	LLVMValueRef r = cg_loop_begin(c, &lr, inner, "r");
	enum ir_dtype dt = xt->dtype;
	cg_tstore(c, dt, cg_tload(c, dt, c->addr[n->in[0]], cg_add(c, src, r, ""), "x"),
	          c->addr[n->out], cg_add(c, dst, r, ""));
	cg_loop_end(c, &lr);
	cg_loop_end(c, &lj);
	cg_loop_end(c, &lo);
}

/* resize: the loops over the output; per axis a table of tap positions
 * and weights (ir_resize_table, as the interpreter); the tap combinations
 * unrolled in interp_resize's order, weights multiplied in axis order
 * (axes of one tap have weight 1 and are left out, exactly). */
void lower_resize(struct cg *c, const struct ir_node *n)
{
	const struct ir_resize_attr *a = &n->attr.resize;
	const struct ir_type *xt = cg_type(c, n->in[0]), *yt = cg_type(c, n->out);
	unsigned r = xt->rank, nt[IR_MAX_RANK];
	LLVMValueRef itab[IR_MAX_RANK], wtab[IR_MAX_RANK], iv[IR_MAX_RANK];
	int64_t xs[IR_MAX_RANK], ys[IR_MAX_RANK], combos = 1;
	ir_dense_strides(xt->dims, r, xs);
	ir_dense_strides(yt->dims, r, ys);
	for (unsigned k = 0; k < r; k++) {
		int64_t cap = yt->dims[k] * IR_RESIZE_MAX_TAPS;
		int64_t *idx = arena_array(c->arena, (size_t)cap, sizeof *idx);
		float *w = arena_array(c->arena, (size_t)cap, sizeof *w);
		nt[k] = ir_resize_table(a, xt->dims[k], yt->dims[k], a->scale[k], idx, w);
		itab[k] = const_table(c, c->t_i64, idx, yt->dims[k] * nt[k], "resize.taps");
		wtab[k] = const_table(c, c->t_f32, w, yt->dims[k] * nt[k], "resize.weights");
		combos *= nt[k];
	}
	struct cg_nest ns;
	cg_nest_begin(c, &ns, yt->dims, r, iv);
	LLVMValueRef acc = NULL;
	for (int64_t comb = 0; comb < combos; comb++) {
		LLVMValueRef off = cg_i64(c, 0), wt = NULL;
		int64_t digit[IR_MAX_RANK], rest = comb;
		for (unsigned k = r; k-- > 0; rest /= nt[k])
			digit[k] = rest % nt[k];
		for (unsigned k = 0; k < r; k++) {
			LLVMValueRef at = cg_madd(c, iv[k], nt[k], cg_i64(c, digit[k]), "tap");
			LLVMValueRef ip = LLVMBuildInBoundsGEP2(c->b, c->t_i64, itab[k], &at, 1, "");
			off = cg_madd(c, LLVMBuildLoad2(c->b, c->t_i64, ip, "pos"), xs[k], off, "off");
			if (nt[k] > 1) {
				LLVMValueRef w = cg_load(c, wtab[k], at, "w");
				wt = wt ? LLVMBuildFMul(c->b, wt, w, "wt") : w;
			}
		}
		LLVMValueRef x = cg_load(c, c->addr[n->in[0]], off, "x");
		LLVMValueRef term = wt ? LLVMBuildFMul(c->b, wt, x, "term") : x;
		acc = acc ? LLVMBuildFAdd(c->b, acc, term, "acc") : term;
	}
	cg_store(c, acc, c->addr[n->out], cg_offset(c, iv, ys, r));
	cg_nest_end(c, &ns);
}
