/* onnx_typed.c - the ONNX operators over integer and bool tensors, to the
 * typed IR ops: Equal, Less, LessOrEqual, Greater, GreaterOrEqual, Not,
 * And, Or, Xor, Where, Cast, ArgMax, ArgMin, Mod, and Add/Sub/Mul/Div/
 * Pow/Min/Max on integers (map_binary in onnx_ops.c hands those over).
 *
 * An operator's dtype is its first activation's; constant operands are
 * converted to it (onnx_ir_const_as), as ONNX requires operands of one
 * type. Mixed Pow (ONNX lets the exponent's type differ) computes in f32:
 * an integer exponent is cast to f32, an integer base is cast to f32 and
 * the result back to the base's type. Nodes whose inputs are all
 * constant were evaluated before (onnx_const.c) where that is defined. */
#include <string.h>

#include "check.h"
#include "onnx_attr.h"
#include "onnx_map.h"
#include "onnx_read.h"
#include "onnx_shape.h"

/* The dtype of inputs first..first+n-1: the first activation's, else the
 * first constant's. */
static enum ir_dtype common_dtype(struct onnx_imp *m, unsigned first, unsigned n)
{
	for (unsigned k = first; k < first + n; k++) {
		struct onnx_value *v = onnx_in(m, k);
		if (v && v->kind == ONNX_ACT)
			return v->type.dtype;
	}
	struct onnx_value *v = onnx_in(m, first);
	return v && v->kind == ONNX_CONST ? v->t->dtype : IR_DT_NONE;
}

/* An operand: IR value and shape. */
struct opnd {
	uint32_t ir;
	unsigned rank;
	const int64_t *dims;
};

/* Inputs 0..nin-1 as operands, input k converted to dts[k] if constant;
 * false (reported) when one is missing. */
static bool operands(struct onnx_imp *m, unsigned nin, const enum ir_dtype *dts, struct opnd *o)
{
	for (unsigned k = 0; k < nin; k++) {
		struct onnx_value *v = onnx_in(m, k);
		if (!v) {
			onnx_error(m, "needs %u inputs; input %u is missing", nin, k);
			return false;
		}
		o[k].ir = onnx_operand(m, dts[k], v, &o[k].dims, &o[k].rank);
	}
	return true;
}

/* Emits op over the operands (NumPy broadcasting) with output dtype ydt,
 * named name (or output 0's); returns the IR value, IR_NONE (reported)
 * when the shapes do not broadcast. Sets output 0 when `out`. */
static uint32_t emit(struct onnx_imp *m, enum ir_op op, const union ir_attrs *at,
                     const struct opnd *o, unsigned nin, enum ir_dtype ydt, const char *name,
                     struct ir_type *yt)
{
	int64_t dims[IR_MAX_RANK] = { 0 };
	unsigned r = o[0].rank;
	if (r)
		memcpy(dims, o[0].dims, r * sizeof *dims);
	for (unsigned k = 1; k < nin; k++)
		if (!onnx_broadcast(r, dims, o[k].rank, o[k].dims, &r, dims)) {
			onnx_error(m, "input %u cannot be broadcast with the inputs before it", k);
			return IR_NONE;
		}
	uint32_t in[3];
	DLC_ASSERT(nin <= 3);
	for (unsigned k = 0; k < nin; k++)
		in[k] = o[k].ir;
	memset(yt, 0, sizeof *yt);
	yt->dtype = ydt;
	yt->rank = (uint8_t)r;
	memcpy(yt->dims, dims, r * sizeof *dims);
	return onnx_emit(m, op, name ? name : onnx_name_out(m, 0), in, nin, at);
}

/* emit for output 0 of the node. */
static bool emit_out(struct onnx_imp *m, enum ir_op op, const union ir_attrs *at,
                     const struct opnd *o, unsigned nin, enum ir_dtype ydt)
{
	struct ir_type t;
	uint32_t y = emit(m, op, at, o, nin, ydt, NULL, &t);
	if (y == IR_NONE)
		return false;
	onnx_set_act(m, 0, y, &t);
	return true;
}

/* A cast of operand o to dt, named name. */
static struct opnd cast_to(struct onnx_imp *m, struct opnd o, enum ir_dtype dt, const char *name)
{
	union ir_attrs at;
	memset(&at, 0, sizeof at);
	at.cast.to = dt;
	return (struct opnd){ onnx_emit(m, IR_CAST, name, &o.ir, 1, &at), o.rank, o.dims };
}

/* Pow with operands of different types, in f32. */
static bool mixed_pow(struct onnx_imp *m, enum ir_dtype da, enum ir_dtype db)
{
	enum ir_dtype dts[2] = { da, db };
	struct opnd o[2];
	if (!operands(m, 2, dts, o))
		return false;
	if (da != IR_DT_F32)
		o[0] = cast_to(m, o[0], IR_DT_F32, onnx_name_tmp(m, "base"));
	if (db != IR_DT_F32)
		o[1] = cast_to(m, o[1], IR_DT_F32, onnx_name_tmp(m, "exponent"));
	union ir_attrs at;
	memset(&at, 0, sizeof at);
	at.binary.op = IR_BINOP_POW;
	if (da == IR_DT_F32)
		return emit_out(m, IR_BINARY, &at, o, 2, IR_DT_F32);
	struct ir_type t;
	uint32_t p = emit(m, IR_BINARY, &at, o, 2, IR_DT_F32, onnx_name_tmp(m, "pow"), &t);
	if (p == IR_NONE)
		return false;
	struct opnd y = cast_to(m, (struct opnd){ p, t.rank, t.dims }, da, onnx_name_out(m, 0));
	t.dtype = da;
	onnx_set_act(m, 0, y.ir, &t);
	return true;
}

/* The dtype of a present input: its own, or its constant's. */
static enum ir_dtype dtype_of(const struct onnx_value *v)
{
	return v->kind == ONNX_ACT ? v->type.dtype : v->t->dtype;
}

bool onnx_map_typed_binary(struct onnx_imp *m, enum ir_binop op)
{
	struct onnx_value *a = onnx_in(m, 0), *b = onnx_in(m, 1);
	DLC_ASSERT(a && b);
	enum ir_dtype da = dtype_of(a), db = dtype_of(b);
	if (op == IR_BINOP_POW && da != db && (da == IR_DT_F32 || db == IR_DT_F32))
		return mixed_pow(m, da, db);
	if (op == IR_BINOP_POW && da != db && a->kind == ONNX_ACT && b->kind == ONNX_ACT) {
		/* two integer types: the exponent in the base's */
		enum ir_dtype dts[2] = { da, db };
		struct opnd o[2];
		if (!operands(m, 2, dts, o))
			return false;
		o[1] = cast_to(m, o[1], da, onnx_name_tmp(m, "exponent"));
		union ir_attrs at;
		memset(&at, 0, sizeof at);
		at.binary.op = op;
		return emit_out(m, IR_BINARY, &at, o, 2, da);
	}
	enum ir_dtype dt = common_dtype(m, 0, 2);
	enum ir_dtype dts[2] = { dt, dt };
	struct opnd o[2];
	union ir_attrs at;
	memset(&at, 0, sizeof at);
	at.binary.op = op;
	return operands(m, 2, dts, o) && emit_out(m, IR_BINARY, &at, o, 2, dt);
}

static bool map_compare(struct onnx_imp *m)
{
	static const struct {
		const char *onnx;
		enum ir_cmp op;
	} ops[] = {
		{ "Equal", IR_CMP_EQ }, { "Less", IR_CMP_LT },    { "LessOrEqual", IR_CMP_LE },
		{ "Greater", IR_CMP_GT }, { "GreaterOrEqual", IR_CMP_GE },
	};
	union ir_attrs at;
	memset(&at, 0, sizeof at);
	for (unsigned i = 0; i < sizeof ops / sizeof ops[0]; i++)
		if (!strcmp(m->node->op_type, ops[i].onnx))
			at.compare.op = ops[i].op;
	DLC_ASSERT(at.compare.op != IR_CMP_NONE);
	enum ir_dtype dt = common_dtype(m, 0, 2);
	enum ir_dtype dts[2] = { dt, dt };
	struct opnd o[2];
	return operands(m, 2, dts, o) && emit_out(m, IR_COMPARE, &at, o, 2, IR_DT_BOOL);
}

static bool map_logic(struct onnx_imp *m)
{
	const char *op = m->node->op_type;
	union ir_attrs at;
	memset(&at, 0, sizeof at);
	at.binary.op = !strcmp(op, "And") ? IR_BINOP_AND
	               : !strcmp(op, "Or") ? IR_BINOP_OR
	                                   : IR_BINOP_XOR;
	enum ir_dtype dts[2] = { IR_DT_BOOL, IR_DT_BOOL };
	struct opnd o[2];
	return operands(m, 2, dts, o) && emit_out(m, IR_BINARY, &at, o, 2, IR_DT_BOOL);
}

static bool map_not(struct onnx_imp *m)
{
	enum ir_dtype dt = IR_DT_BOOL;
	struct opnd o;
	return operands(m, 1, &dt, &o) && emit_out(m, IR_NOT, NULL, &o, 1, IR_DT_BOOL);
}

static bool map_where(struct onnx_imp *m)
{
	enum ir_dtype dt = common_dtype(m, 1, 2);
	enum ir_dtype dts[3] = { IR_DT_BOOL, dt, dt };
	struct opnd o[3];
	return operands(m, 3, dts, o) && emit_out(m, IR_WHERE, NULL, o, 3, dt);
}

static bool map_mod(struct onnx_imp *m)
{
	enum ir_dtype dt = common_dtype(m, 0, 2);
	bool fmod = onnx_attr_int(m, "fmod", 0) != 0;
	if (dt == IR_DT_F32 && !fmod) {
		onnx_error(m, "Mod of float tensors needs fmod=1 (as ONNX requires)");
		return false;
	}
	union ir_attrs at;
	memset(&at, 0, sizeof at);
	at.binary.op = fmod ? IR_BINOP_FMOD : IR_BINOP_MOD;
	enum ir_dtype dts[2] = { dt, dt };
	struct opnd o[2];
	return operands(m, 2, dts, o) && emit_out(m, IR_BINARY, &at, o, 2, dt);
}

static bool map_cast(struct onnx_imp *m)
{
	struct onnx_value *x = onnx_in(m, 0);
	if (!x || x->kind != ONNX_ACT) {
		onnx_error(m, "needs a computed (non-constant) input");
		return false;
	}
	int64_t to = onnx_attr_int(m, "to", 0);
	enum ir_dtype dt = to >= 0 && to <= INT32_MAX ? onnx_ir_dtype((int32_t)to) : IR_DT_NONE;
	if (!dt) {
		onnx_error(m, "Cast to %s is not supported: dlc computes float (f32), integer and "
		           "bool tensors", onnx_dtype_name(to >= 0 && to <= INT32_MAX ? (int32_t)to : -1));
		return false;
	}
	if (dt == x->type.dtype) {
		onnx_set_act(m, 0, x->ir, &x->type);
		return true;
	}
	struct opnd o = { x->ir, x->type.rank, x->type.dims };
	union ir_attrs at;
	memset(&at, 0, sizeof at);
	at.cast.to = dt;
	return emit_out(m, IR_CAST, &at, &o, 1, dt);
}

static bool map_arg(struct onnx_imp *m)
{
	struct onnx_value *x = onnx_in(m, 0);
	if (!x || x->kind != ONNX_ACT) {
		onnx_error(m, "needs a computed (non-constant) input");
		return false;
	}
	union ir_attrs at;
	memset(&at, 0, sizeof at);
	int64_t axis = onnx_attr_int(m, "axis", 0), r = x->type.rank;
	if (axis < -r || axis >= r) {
		onnx_error(m, "axis %lld is out of range for rank %lld", (long long)axis, (long long)r);
		return false;
	}
	at.arg.axis = (int)(axis < 0 ? axis + r : axis);
	at.arg.keepdims = onnx_attr_int(m, "keepdims", 1) != 0;
	at.arg.last = onnx_attr_int(m, "select_last_index", 0) != 0;
	enum ir_op op = !strcmp(m->node->op_type, "ArgMax") ? IR_ARGMAX : IR_ARGMIN;
	struct ir_type t = x->type;
	t.dtype = IR_DT_I64;
	if (at.arg.keepdims) {
		t.dims[at.arg.axis] = 1;
	} else {
		for (unsigned k = (unsigned)at.arg.axis; k + 1 < t.rank; k++)
			t.dims[k] = t.dims[k + 1];
		t.rank--;
	}
	onnx_set_act(m, 0, onnx_emit(m, op, onnx_name_out(m, 0), &x->ir, 1, &at), &t);
	return true;
}

bool onnx_map_typed_clip(struct onnx_imp *m)
{
	struct onnx_value *x = onnx_in(m, 0);
	DLC_ASSERT(x && x->kind == ONNX_ACT);
	struct opnd y = { x->ir, x->type.rank, x->type.dims };
	struct ir_type t = x->type;
	for (unsigned k = 1; k <= 2; k++) { /* max(x, min), then min(., max) */
		struct onnx_value *b = onnx_in(m, k);
		if (!b)
			continue;
		struct opnd o[2] = { y };
		o[1].ir = onnx_operand(m, x->type.dtype, b, &o[1].dims, &o[1].rank);
		union ir_attrs at;
		memset(&at, 0, sizeof at);
		at.binary.op = k == 1 ? IR_BINOP_MAX : IR_BINOP_MIN;
		bool last = k == 2 || !onnx_in(m, 2);
		y.ir = emit(m, IR_BINARY, &at, o, 2, x->type.dtype,
		            last ? onnx_name_out(m, 0) : onnx_name_tmp(m, "atleast"), &t);
		if (y.ir == IR_NONE)
			return false;
		y.rank = t.rank, y.dims = t.dims;
	}
	onnx_set_act(m, 0, y.ir, &t);
	return true;
}

/* Trilu: where(mask, x, 0) with the mask of the kept triangle (upper: j -
 * i >= k; lower: j - i <= k over the last two axes) a constant. */
static bool map_trilu(struct onnx_imp *m)
{
	struct onnx_value *x = onnx_in(m, 0);
	if (!x || x->kind != ONNX_ACT || x->type.rank < 2) {
		onnx_error(m, "needs a computed input of rank 2 or more");
		return false;
	}
	int64_t k = 0;
	if (onnx_in(m, 1) && onnx_const_ints(m, 1, &k, 1, "k") != 1) {
		onnx_error(m, "k must be one constant integer");
		return false;
	}
	bool upper = onnx_attr_int(m, "upper", 1) != 0;
	unsigned r = x->type.rank;
	int64_t rows = x->type.dims[r - 2], cols = x->type.dims[r - 1];
	int64_t dims[2] = { rows, cols };
	struct onnx_tensor *mask = onnx_tensor_new(m, IR_DT_I64, 2, dims);
	if (!mask)
		return false;
	mask->name = onnx_name_tmp(m, "mask");
	int64_t *mk = mask->data;
	for (int64_t i = 0; i < rows; i++)
		for (int64_t j = 0; j < cols; j++) {
			int64_t d = j - i; /* in range: both below 2^40 */
			mk[i * cols + j] = upper ? d >= k : d <= k;
		}
	struct opnd o[3] = { { onnx_ir_const_as(m, mask, IR_DT_BOOL), 2, mask->dims },
		             { x->ir, r, x->type.dims },
		             { onnx_ir_scalar(m, "zero", x->type.dtype, 0), 0, NULL } };
	return emit_out(m, IR_WHERE, NULL, o, 3, x->type.dtype);
}

/* GatherElements: run-time indices (constant ones become an i64 IR
 * constant); out-of-range ones are clamped (ir.h). */
static bool map_gather_elements(struct onnx_imp *m)
{
	struct onnx_value *x = onnx_in(m, 0), *ix = onnx_in(m, 1);
	if (!x || !ix) {
		onnx_error(m, "needs data and indices");
		return false;
	}
	enum ir_dtype dt = dtype_of(x), it = dtype_of(ix);
	if (it != IR_DT_I64 && it != IR_DT_I32) {
		onnx_error(m, "indices must be int32 or int64, got %s", ir_dtype_name(it));
		return false;
	}
	struct opnd o[2];
	enum ir_dtype dts[2] = { dt, it };
	if (!operands(m, 2, dts, o))
		return false;
	int64_t axis = onnx_attr_int(m, "axis", 0), r = o[0].rank;
	if (o[1].rank != o[0].rank || axis < -r || axis >= r) {
		onnx_error(m, "indices need the data's rank %lld and axis %lld a valid axis",
		           (long long)r, (long long)axis);
		return false;
	}
	union ir_attrs at;
	memset(&at, 0, sizeof at);
	at.gather_elements.axis = (int)(axis < 0 ? axis + r : axis);
	struct ir_type t = { dt, (uint8_t)o[1].rank, { 0 } };
	memcpy(t.dims, o[1].dims, o[1].rank * sizeof *t.dims);
	uint32_t in[2] = { o[0].ir, o[1].ir };
	onnx_set_act(m, 0, onnx_emit(m, IR_GATHER_ELEMENTS, onnx_name_out(m, 0), in, 2, &at), &t);
	return true;
}

/* CumSum(x, axis): axis a constant, exclusive and reverse attributes. */
static bool map_cumsum(struct onnx_imp *m)
{
	struct onnx_value *x = onnx_in(m, 0);
	if (!x || x->kind != ONNX_ACT) {
		onnx_error(m, "needs a computed input");
		return false;
	}
	int64_t axis = 0, r = x->type.rank;
	if (onnx_const_ints(m, 1, &axis, 1, "axis") != 1 || axis < -r || axis >= r) {
		onnx_error(m, "axis must be one constant integer in [-%lld, %lld)", (long long)r,
		           (long long)r);
		return false;
	}
	union ir_attrs at;
	memset(&at, 0, sizeof at);
	at.cumsum = (struct ir_cumsum_attr){ (int)(axis < 0 ? axis + r : axis),
		                             onnx_attr_int(m, "exclusive", 0) != 0,
		                             onnx_attr_int(m, "reverse", 0) != 0 };
	onnx_set_act(m, 0, onnx_emit(m, IR_CUMSUM, onnx_name_out(m, 0), &x->ir, 1, &at), &x->type);
	return true;
}

/* TopK(X, K): a topk node for the indices (output 1) and the values
 * (output 0) gathered with them. */
static bool map_topk(struct onnx_imp *m)
{
	struct onnx_value *x = onnx_in(m, 0);
	if (!x || x->kind != ONNX_ACT) {
		onnx_error(m, "needs a computed input");
		return false;
	}
	int64_t k = 0, axis = onnx_attr_int(m, "axis", -1), r = x->type.rank;
	if (onnx_const_ints(m, 1, &k, 1, "K") != 1 || axis < -r || axis >= r) {
		onnx_error(m, "K must be one constant integer and axis in [-%lld, %lld)", (long long)r,
		           (long long)r);
		return false;
	}
	union ir_attrs at;
	memset(&at, 0, sizeof at);
	at.topk = (struct ir_topk_attr){ (int)(axis < 0 ? axis + r : axis), k,
		                         onnx_attr_int(m, "largest", 1) != 0 };
	struct ir_type it = x->type;
	it.dtype = IR_DT_I64;
	if (k >= 1 && k <= x->type.dims[at.topk.axis])
		it.dims[at.topk.axis] = k;
	bool want_idx = onnx_out(m, 1) != NULL;
	uint32_t idx = onnx_emit(m, IR_TOPK, want_idx ? onnx_name_out(m, 1) : onnx_name_tmp(m, "idx"),
	                         &x->ir, 1, &at);
	if (want_idx)
		onnx_set_act(m, 1, idx, &it);
	memset(&at, 0, sizeof at);
	at.gather_elements.axis = (int)(axis < 0 ? axis + r : axis);
	uint32_t in[2] = { x->ir, idx };
	struct ir_type vt = it;
	vt.dtype = x->type.dtype;
	onnx_set_act(m, 0, onnx_emit(m, IR_GATHER_ELEMENTS, onnx_name_out(m, 0), in, 2, &at), &vt);
	return true;
}

/* OneHot(indices, depth, values): negative indices count from the end
 * (where(i < 0, i + depth, i)), onehot gives an out-of-range one a zero
 * row, then where(hot, on, off) in the values' dtype, its class axis moved
 * to `axis`. */
static bool map_onehot(struct onnx_imp *m)
{
	struct onnx_value *x = onnx_in(m, 0), *dv = onnx_in(m, 1), *vals = onnx_in(m, 2);
	double dd = 0; /* depth: a float or integer one-element constant */
	if (dv && dv->kind == ONNX_CONST && dv->t->numel == 1)
		dd = dv->t->dtype == IR_DT_F32 ? ((const float *)dv->t->data)[0]
		                               : (double)((const int64_t *)dv->t->data)[0];
	int64_t depth = dd >= 1 && dd <= 1e9 ? (int64_t)dd : 0;
	if (!x || x->kind != ONNX_ACT || depth < 1 || (double)depth != dd || !vals ||
	    vals->kind != ONNX_CONST || vals->t->numel != 2) {
		onnx_error(m, "needs computed indices, a constant depth >= 1 and two constant values");
		return false;
	}
	unsigned r = x->type.rank;
	int64_t axis = onnx_attr_int(m, "axis", -1);
	if (axis < -(int64_t)r - 1 || axis > (int64_t)r || r + 1 > IR_MAX_RANK) {
		onnx_error(m, "axis %lld is out of range for %u-D indices", (long long)axis, r);
		return false;
	}
	axis = axis < 0 ? axis + r + 1 : axis;
	struct ir_type it = x->type;
	struct opnd i = { x->ir, r, x->type.dims };
	if (it.dtype != IR_DT_I64) {
		i = cast_to(m, i, IR_DT_I64, onnx_name_tmp(m, "ids"));
		it.dtype = IR_DT_I64;
	}
	struct opnd d = { onnx_ir_scalar(m, "depth", IR_DT_I64, depth), 0, NULL };
	struct opnd z = { onnx_ir_scalar(m, "zero", IR_DT_I64, 0), 0, NULL };
	union ir_attrs at;
	memset(&at, 0, sizeof at);
	at.compare.op = IR_CMP_LT;
	struct ir_type t;
	struct opnd cmp[2] = { i, z };
	struct opnd neg = { emit(m, IR_COMPARE, &at, cmp, 2, IR_DT_BOOL, onnx_name_tmp(m, "neg"), &t),
		            r, x->type.dims };
	memset(&at, 0, sizeof at);
	at.binary.op = IR_BINOP_ADD;
	struct opnd sum[2] = { i, d };
	struct opnd wrapped = { emit(m, IR_BINARY, &at, sum, 2, IR_DT_I64, onnx_name_tmp(m, "wrap"),
		                     &t), r, x->type.dims };
	struct opnd pick[3] = { neg, wrapped, i };
	uint32_t ids = emit(m, IR_WHERE, NULL, pick, 3, IR_DT_I64, onnx_name_tmp(m, "from_end"), &t);
	if (neg.ir == IR_NONE || wrapped.ir == IR_NONE || ids == IR_NONE)
		return false;
	memset(&at, 0, sizeof at);
	at.index.size = depth;
	uint32_t hot = onnx_emit(m, IR_ONEHOT, onnx_name_tmp(m, "hot"), &ids, 1, &at);
	struct ir_type ht = it;
	ht.dims[ht.rank++] = depth;
	struct opnd h = cast_to(m, (struct opnd){ hot, ht.rank, ht.dims }, IR_DT_BOOL,
	                        onnx_name_tmp(m, "on"));
	enum ir_dtype wide = vals->t->dtype, vt = vals->t->elem ? vals->t->elem : wide;
	struct onnx_tensor *on = onnx_tensor_new(m, wide, 0, NULL);
	struct onnx_tensor *off = onnx_tensor_new(m, wide, 0, NULL);
	if (!on || !off)
		return false;
	on->name = onnx_name_tmp(m, "on_value"), off->name = onnx_name_tmp(m, "off_value");
	size_t es = wide == IR_DT_F32 ? 4 : 8;
	memcpy(off->data, vals->t->data, es);
	memcpy(on->data, (char *)vals->t->data + es, es);
	struct opnd sel[3] = { h, { onnx_ir_const_as(m, on, vt), 0, NULL },
		               { onnx_ir_const_as(m, off, vt), 0, NULL } };
	bool last = axis == (int64_t)r;
	uint32_t y = emit(m, IR_WHERE, NULL, sel, 3, vt,
	                  last ? onnx_name_out(m, 0) : onnx_name_tmp(m, "values"), &t);
	if (y == IR_NONE)
		return false;
	if (!last) { /* the class axis (last) to `axis` */
		memset(&at, 0, sizeof at);
		at.transpose.rank = (uint8_t)(r + 1);
		struct ir_type yt = t;
		for (unsigned k = 0, src = 0; k <= r; k++) {
			unsigned from = (int64_t)k == axis ? r : src++;
			at.transpose.perm[k] = (uint8_t)from;
			yt.dims[k] = t.dims[from];
		}
		y = onnx_emit(m, IR_TRANSPOSE, onnx_name_out(m, 0), &y, 1, &at);
		t = yt;
	}
	onnx_set_act(m, 0, y, &t);
	return true;
}

const struct onnx_op_map onnx_typed_table[] = {
	{ "Equal", map_compare }, { "Less", map_compare },     { "LessOrEqual", map_compare },
	{ "Greater", map_compare }, { "GreaterOrEqual", map_compare },
	{ "Not", map_not },       { "And", map_logic },        { "Or", map_logic },
	{ "Xor", map_logic },     { "Where", map_where },      { "Mod", map_mod },
	{ "Cast", map_cast },     { "ArgMax", map_arg },       { "ArgMin", map_arg },
	{ "Trilu", map_trilu },   { "GatherElements", map_gather_elements },
	{ "CumSum", map_cumsum }, { "TopK", map_topk },       { "OneHot", map_onehot },
	{ NULL, NULL }
};
