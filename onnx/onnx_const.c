/* onnx_const.c - evaluation of constant nodes at import time.
 *
 * Exporters compute shapes inside the graph (Shape -> Gather -> Unsqueeze
 * -> Concat -> Reshape). dlc's shapes are static, so any node whose inputs
 * are all constant - and Shape and Size of any activation - is evaluated here on
 * f32/i64 tensors and its outputs become constants; such nodes never
 * reach the IR. Results above ONNX_MAX_EVAL_BYTES are refused. */
#include <inttypes.h>
#include <math.h>
#include <string.h>

#include "check.h"
#include "onnx_attr.h"
#include "onnx_const.h"
#include "onnx_read.h"
#include "onnx_shape.h"

/* Constants above this many bytes are never created by evaluation. */
#define ONNX_MAX_EVAL_BYTES ((int64_t)64 << 20)

static double get(const struct onnx_tensor *t, int64_t i)
{
	return t->dtype == IR_DT_F32 ? ((const float *)t->data)[i]
	                             : (double)((const int64_t *)t->data)[i];
}

/* Stores v; an int64 result saturates (INT64_MAX, the "to the end"
 * sentinel of Slice, comes back from double as 2^63, which has no int64
 * value) and NaN becomes 0. */
static void put(struct onnx_tensor *t, int64_t i, double v)
{
	if (t->dtype == IR_DT_F32)
		((float *)t->data)[i] = (float)v;
	else
		((int64_t *)t->data)[i] = v != v ? 0 : v >= 0x1p63 ? INT64_MAX
		                                        : v < -0x1p63 ? INT64_MIN : (int64_t)v;
}

static struct onnx_tensor *new_tensor(struct onnx_imp *m, enum ir_dtype dt, unsigned rank,
                                      const int64_t *dims)
{
	int64_t bytes = 8;
	for (unsigned i = 0; i < rank; i++)
		if (dims[i] < 0 || ckd_mul_i64(&bytes, bytes, dims[i]) || bytes > ONNX_MAX_EVAL_BYTES) {
			onnx_error(m, "constant result is too large to evaluate (more than %" PRId64
			           " bytes)", ONNX_MAX_EVAL_BYTES);
			return NULL;
		}
	return onnx_tensor_new(m, dt, rank, dims);
}

/* Constant input k; present (checked by onnx_try_const: min_inputs). */
static struct onnx_tensor *cin(struct onnx_imp *m, unsigned k)
{
	struct onnx_value *v = onnx_in(m, k);
	DLC_ASSERT(v && v->kind == ONNX_CONST);
	return v->t;
}

/* Offset into a tensor of dims `d` (rank rd, right-aligned to rank r) of
 * the output position idx, with broadcasting. */
static int64_t bcast_off(const int64_t *idx, unsigned r, const int64_t *d, unsigned rd)
{
	int64_t off = 0;
	for (unsigned i = 0; i < rd; i++) {
		int64_t x = d[i] == 1 ? 0 : idx[i + r - rd];
		off = off * d[i] + x;
	}
	return off;
}

static void next_index(int64_t *idx, const int64_t *dims, unsigned r)
{
	for (unsigned k = r; k-- > 0;) {
		if (++idx[k] < dims[k])
			return;
		idx[k] = 0;
	}
}

static double binop(const char *op, double a, double b, bool is_int)
{
	switch (op[0]) {
	case 'A': return a + b;
	case 'S': return a - b;
	case 'M': return a * b;
	case 'D':
		if (is_int)
			return b == 0 ? 0 : (double)((int64_t)a / (int64_t)b);
		return a / b;
	case 'E': return a == b;
	default: DLC_UNREACHABLE("constant binary op");
	}
}

/* Add, Sub, Mul, Div, Equal, Where with broadcasting. */
static bool eval_broadcast(struct onnx_imp *m, const char *op)
{
	bool where = !strcmp(op, "Where");
	unsigned n = where ? 3 : 2;
	const struct onnx_tensor *t[3] = { cin(m, 0), cin(m, 1), where ? cin(m, 2) : NULL };
	int64_t dims[IR_MAX_RANK];
	unsigned r = t[0]->rank;
	memcpy(dims, t[0]->dims, r * sizeof *dims);
	for (unsigned k = 1; k < n; k++)
		if (!onnx_broadcast(r, dims, t[k]->rank, t[k]->dims, &r, dims)) {
			onnx_error(m, "operands cannot be broadcast together");
			return false;
		}
	const struct onnx_tensor *a = t[where], *b = t[where + 1];
	if (a->dtype != b->dtype) {
		onnx_error(m, "operands have different element types");
		return false;
	}
	enum ir_dtype dt = !strcmp(op, "Equal") ? IR_DT_I64 : a->dtype;
	struct onnx_tensor *y = new_tensor(m, dt, r, dims);
	if (!y)
		return false;
	int64_t idx[IR_MAX_RANK] = { 0 };
	for (int64_t i = 0; i < y->numel; i++, next_index(idx, dims, r)) {
		double va = get(a, bcast_off(idx, r, a->dims, a->rank));
		double vb = get(b, bcast_off(idx, r, b->dims, b->rank));
		if (where)
			put(y, i, get(t[0], bcast_off(idx, r, t[0]->dims, t[0]->rank)) != 0 ? va : vb);
		else
			put(y, i, binop(op, va, vb, a->dtype == IR_DT_I64));
	}
	onnx_set_const(m, 0, y);
	return true;
}

static bool eval_gather(struct onnx_imp *m)
{
	const struct onnx_tensor *x = cin(m, 0), *ind = cin(m, 1);
	int ax;
	if (!onnx_axis(m, onnx_attr_int(m, "axis", 0), x->rank, &ax))
		return false;
	if (ind->dtype != IR_DT_I64 || x->rank + ind->rank - 1 > IR_MAX_RANK) {
		onnx_error(m, "indices must be integers and the result at most rank %d", IR_MAX_RANK);
		return false;
	}
	int64_t dims[IR_MAX_RANK];
	unsigned r = 0;
	for (int i = 0; i < ax; i++)
		dims[r++] = x->dims[i];
	for (unsigned i = 0; i < ind->rank; i++)
		dims[r++] = ind->dims[i];
	for (unsigned i = (unsigned)ax + 1; i < x->rank; i++)
		dims[r++] = x->dims[i];
	struct onnx_tensor *y = new_tensor(m, x->dtype, r, dims);
	if (!y)
		return false;
	int64_t outer = onnx_numel((unsigned)ax, x->dims), n = x->dims[ax];
	int64_t inner = onnx_numel(x->rank - (unsigned)ax - 1, x->dims + ax + 1);
	for (int64_t o = 0, i = 0; o < outer; o++)
		for (int64_t k = 0; k < ind->numel; k++) {
			int64_t j = ((const int64_t *)ind->data)[k];
			if (j < -n || j >= n) {
				onnx_error(m, "index %" PRId64 " is out of range for a dim of %" PRId64, j, n);
				return false;
			}
			j = j < 0 ? j + n : j;
			for (int64_t c = 0; c < inner; c++)
				put(y, i++, get(x, (o * n + j) * inner + c));
		}
	onnx_set_const(m, 0, y);
	return true;
}

/* A copy of t with new dims (same element count). */
static bool set_reshaped(struct onnx_imp *m, const struct onnx_tensor *t, unsigned r,
                         const int64_t *dims)
{
	struct onnx_tensor *y = new_tensor(m, t->dtype, r, dims);
	if (!y)
		return false;
	DLC_ASSERT(y->numel == t->numel);
	memcpy(y->data, t->data, (size_t)t->numel * ir_dtype_size(t->dtype));
	onnx_set_const(m, 0, y);
	return true;
}

static bool eval_concat(struct onnx_imp *m)
{
	const struct onnx_tensor *x0 = cin(m, 0);
	int ax;
	if (!onnx_axis(m, onnx_attr_int(m, "axis", 0), x0->rank, &ax))
		return false;
	int64_t dims[IR_MAX_RANK];
	memcpy(dims, x0->dims, x0->rank * sizeof *dims);
	dims[ax] = 0;
	for (unsigned k = 0; k < onnx_nin(m); k++) {
		const struct onnx_tensor *t = cin(m, k);
		bool same = t && t->rank == x0->rank && t->dtype == x0->dtype;
		for (unsigned i = 0; same && i < t->rank; i++)
			same = (int)i == ax || t->dims[i] == x0->dims[i];
		if (!same) {
			onnx_error(m, "inputs differ in type, rank or a dim other than the axis");
			return false;
		}
		dims[ax] += t->dims[ax];
	}
	struct onnx_tensor *y = new_tensor(m, x0->dtype, x0->rank, dims);
	if (!y)
		return false;
	int64_t outer = onnx_numel((unsigned)ax, dims), inner = onnx_numel(x0->rank - ax - 1, dims + ax + 1);
	int64_t i = 0;
	for (int64_t o = 0; o < outer; o++)
		for (unsigned k = 0; k < onnx_nin(m); k++) {
			const struct onnx_tensor *t = cin(m, k);
			int64_t chunk = t->dims[ax] * inner;
			for (int64_t c = 0; c < chunk; c++)
				put(y, i++, get(t, o * chunk + c));
		}
	onnx_set_const(m, 0, y);
	return true;
}

static bool eval_slice(struct onnx_imp *m)
{
	const struct onnx_tensor *x = cin(m, 0);
	struct onnx_slice s;
	if (!onnx_slice_params(m, x->dims, x->rank, &s))
		return false;
	int64_t start[IR_MAX_RANK] = { 0 }, step[IR_MAX_RANK], dims[IR_MAX_RANK];
	for (unsigned i = 0; i < x->rank; i++) {
		step[i] = 1;
		dims[i] = x->dims[i];
	}
	for (unsigned k = 0; k < s.n; k++) {
		start[s.axis[k]] = s.start[k];
		step[s.axis[k]] = s.step[k];
		dims[s.axis[k]] = s.len[k];
	}
	struct onnx_tensor *y = new_tensor(m, x->dtype, x->rank, dims);
	if (!y)
		return false;
	int64_t idx[IR_MAX_RANK] = { 0 };
	for (int64_t i = 0; i < y->numel; i++, next_index(idx, dims, x->rank)) {
		int64_t off = 0;
		for (unsigned k = 0; k < x->rank; k++)
			off = off * x->dims[k] + start[k] + idx[k] * step[k];
		put(y, i, get(x, off));
	}
	onnx_set_const(m, 0, y);
	return true;
}

static bool eval_transpose(struct onnx_imp *m)
{
	const struct onnx_tensor *x = cin(m, 0);
	int64_t perm[IR_MAX_RANK], dims[IR_MAX_RANK], stride[IR_MAX_RANK];
	int n = onnx_attr_ints(m, "perm", perm, IR_MAX_RANK);
	for (unsigned i = 0; n == -1 && i < x->rank; i++)
		perm[i] = x->rank - 1 - i;
	if (n >= 0 && n != x->rank) {
		onnx_error(m, "perm has %d entries for rank %u", n, x->rank);
		return false;
	}
	int64_t s = 1;
	for (unsigned i = x->rank; i-- > 0;) {
		stride[i] = s;
		s *= x->dims[i];
	}
	for (unsigned i = 0; i < x->rank; i++) {
		if (perm[i] < 0 || perm[i] >= x->rank) {
			onnx_error(m, "invalid perm");
			return false;
		}
		dims[i] = x->dims[perm[i]];
	}
	struct onnx_tensor *y = new_tensor(m, x->dtype, x->rank, dims);
	if (!y)
		return false;
	int64_t idx[IR_MAX_RANK] = { 0 };
	for (int64_t i = 0; i < y->numel; i++, next_index(idx, dims, x->rank)) {
		int64_t off = 0;
		for (unsigned k = 0; k < x->rank; k++)
			off += idx[k] * stride[perm[k]];
		put(y, i, get(x, off));
	}
	onnx_set_const(m, 0, y);
	return true;
}

static bool eval_shape(struct onnx_imp *m)
{
	struct onnx_value *v = onnx_in(m, 0);
	unsigned r = v->kind == ONNX_CONST ? v->t->rank : v->type.rank;
	const int64_t *d = v->kind == ONNX_CONST ? v->t->dims : v->type.dims;
	int64_t start = onnx_attr_int(m, "start", 0), end = onnx_attr_int(m, "end", r);
	start = start < 0 ? start + r : start;
	end = end < 0 ? end + r : end;
	start = start < 0 ? 0 : start > r ? r : start;
	end = end < start ? start : end > r ? r : end;
	int64_t n = end - start;
	struct onnx_tensor *y = new_tensor(m, IR_DT_I64, 1, &n);
	if (!y)
		return false;
	memcpy(y->data, d + start, (size_t)n * sizeof *d);
	onnx_set_const(m, 0, y);
	return true;
}

/* Size: the element count of any tensor, a scalar i64. */
static bool eval_size(struct onnx_imp *m)
{
	struct onnx_value *v = onnx_in(m, 0);
	int64_t n = v->kind == ONNX_CONST ? v->t->numel : onnx_numel(v->type.rank, v->type.dims);
	struct onnx_tensor *y = new_tensor(m, IR_DT_I64, 0, NULL);
	if (!y)
		return false;
	((int64_t *)y->data)[0] = n;
	onnx_set_const(m, 0, y);
	return true;
}

/* Constant: one of value (a tensor), value_float(s), value_int(s). */
static bool eval_constant(struct onnx_imp *m)
{
	const Onnx__AttributeProto *a = m->node->n_attribute == 1 ? m->node->attribute[0] : NULL;
	struct onnx_tensor *y = NULL;
	int64_t n;
	if (a && a->t && !strcmp(a->name, "value"))
		y = onnx_read_tensor(m, a->t, m->node->n_output ? m->node->output[0] : m->node_name);
	else if (a && !strcmp(a->name, "value_float") && (y = new_tensor(m, IR_DT_F32, 0, NULL)))
		((float *)y->data)[0] = a->f;
	else if (a && !strcmp(a->name, "value_int") && (y = new_tensor(m, IR_DT_I64, 0, NULL)))
		((int64_t *)y->data)[0] = a->i;
	else if (a && !strcmp(a->name, "value_floats") && (n = (int64_t)a->n_floats, 1) &&
	         (y = new_tensor(m, IR_DT_F32, 1, &n)))
		memcpy(y->data, a->floats ? (const void *)a->floats : "", (size_t)n * sizeof(float));
	else if (a && !strcmp(a->name, "value_ints") && (n = (int64_t)a->n_ints, 1) &&
	         (y = new_tensor(m, IR_DT_I64, 1, &n)))
		memcpy(y->data, a->ints ? (const void *)a->ints : "", (size_t)n * sizeof(int64_t));
	else
		onnx_error(m, "Constant needs exactly one of value, value_float(s), value_int(s)");
	if (!y)
		return false;
	onnx_set_const(m, 0, y);
	return true;
}

static bool eval_constant_of_shape(struct onnx_imp *m)
{
	int64_t dims[IR_MAX_RANK];
	int r = onnx_const_ints(m, 0, dims, IR_MAX_RANK, "shape");
	if (r < 0)
		return false;
	const Onnx__AttributeProto *a = onnx_attr(m, "value");
	const struct onnx_tensor *v = a && a->t ? onnx_read_tensor(m, a->t, "value") : NULL;
	if (a && (!v || v->numel != 1)) {
		onnx_error(m, "value must be a one-element tensor");
		return false;
	}
	struct onnx_tensor *y = new_tensor(m, v ? v->dtype : IR_DT_F32, (unsigned)r, dims);
	if (!y)
		return false;
	for (int64_t i = 0; i < y->numel; i++)
		put(y, i, v ? get(v, 0) : 0.0);
	onnx_set_const(m, 0, y);
	return true;
}

static bool eval_expand(struct onnx_imp *m)
{
	const struct onnx_tensor *x = cin(m, 0);
	int64_t shape[IR_MAX_RANK], dims[IR_MAX_RANK];
	int n = onnx_const_ints(m, 1, shape, IR_MAX_RANK, "shape");
	unsigned r;
	if (n < 0)
		return false;
	if (!onnx_broadcast(x->rank, x->dims, (unsigned)n, shape, &r, dims)) {
		onnx_error(m, "cannot expand the input to the shape");
		return false;
	}
	struct onnx_tensor *y = new_tensor(m, x->dtype, r, dims);
	if (!y)
		return false;
	int64_t idx[IR_MAX_RANK] = { 0 };
	for (int64_t i = 0; i < y->numel; i++, next_index(idx, dims, r))
		put(y, i, get(x, bcast_off(idx, r, x->dims, x->rank)));
	onnx_set_const(m, 0, y);
	return true;
}

static bool eval_range(struct onnx_imp *m)
{
	const struct onnx_tensor *s = cin(m, 0), *l = cin(m, 1), *d = cin(m, 2);
	if (s->numel != 1 || l->numel != 1 || d->numel != 1 || get(d, 0) == 0) {
		onnx_error(m, "start, limit and delta must be scalars, delta nonzero");
		return false;
	}
	double n = ceil((get(l, 0) - get(s, 0)) / get(d, 0));
	int64_t count = n > 0 ? (int64_t)n : 0;
	if (n > 1e12)
		count = INT64_MAX / 16;
	struct onnx_tensor *y = new_tensor(m, s->dtype, 1, &count);
	if (!y)
		return false;
	for (int64_t i = 0; i < count; i++)
		put(y, i, get(s, 0) + (double)i * get(d, 0));
	onnx_set_const(m, 0, y);
	return true;
}

static bool eval_cast(struct onnx_imp *m)
{
	const struct onnx_tensor *x = cin(m, 0);
	int64_t to = onnx_attr_int(m, "to", 0);
	bool is_float = to == ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT ||
	                to == ONNX__TENSOR_PROTO__DATA_TYPE__DOUBLE;
	struct onnx_tensor *y = new_tensor(m, is_float ? IR_DT_F32 : IR_DT_I64, x->rank, x->dims);
	if (!y)
		return false;
	for (int64_t i = 0; i < x->numel; i++) {
		double v = get(x, i);
		put(y, i, to == ONNX__TENSOR_PROTO__DATA_TYPE__BOOL ? v != 0 : v);
	}
	onnx_set_const(m, 0, y);
	return true;
}

/* Layout ops on constants: Reshape, Flatten, Squeeze, Unsqueeze. */
static bool eval_layout(struct onnx_imp *m, const char *op)
{
	const struct onnx_tensor *x = cin(m, 0);
	int64_t dims[IR_MAX_RANK], shape[IR_MAX_RANK];
	unsigned r = 2;
	if (!strcmp(op, "Reshape")) {
		int n = onnx_const_ints(m, 1, shape, IR_MAX_RANK, "shape");
		if (n < 0 || !onnx_reshape_dims(m, x->dims, x->rank, shape, (unsigned)n,
		                                onnx_attr_int(m, "allowzero", 0) != 0, dims))
			return false;
		r = (unsigned)n;
	} else if (!strcmp(op, "Flatten")) {
		if (!onnx_flatten_dims(m, x->dims, x->rank, dims))
			return false;
	} else if (!strcmp(op, "Squeeze")) {
		if (!onnx_squeeze_dims(m, x->dims, x->rank, dims, &r))
			return false;
	} else if (!onnx_unsqueeze_dims(m, x->dims, x->rank, dims, &r)) {
		return false;
	}
	return set_reshaped(m, x, r, dims);
}

static bool eval_unary(struct onnx_imp *m, const char *op)
{
	const struct onnx_tensor *x = cin(m, 0);
	struct onnx_tensor *y = new_tensor(m, x->dtype, x->rank, x->dims);
	if (!y)
		return false;
	for (int64_t i = 0; i < x->numel; i++) {
		double v = get(x, i);
		put(y, i, !strcmp(op, "Neg") ? -v : !strcmp(op, "Sqrt") ? sqrt(v) : 1.0 / v);
	}
	onnx_set_const(m, 0, y);
	return true;
}

static const struct {
	const char *op;
	unsigned min_inputs; /* that must be present */
} const_ops[] = {
	{ "Add", 2 }, { "Sub", 2 }, { "Mul", 2 }, { "Div", 2 }, { "Equal", 2 }, { "Where", 3 },
	{ "Gather", 2 }, { "Concat", 1 }, { "Slice", 1 }, { "Transpose", 1 }, { "Expand", 2 },
	{ "Range", 3 }, { "Cast", 1 }, { "Reshape", 2 }, { "Flatten", 1 }, { "Squeeze", 1 },
	{ "Unsqueeze", 1 }, { "Identity", 1 }, { "Dropout", 1 }, { "Neg", 1 }, { "Sqrt", 1 },
	{ "Reciprocal", 1 }, { "ConstantOfShape", 1 }, { NULL, 0 }
};

bool onnx_const_op(const char *op)
{
	for (unsigned k = 0; const_ops[k].op; k++)
		if (!strcmp(const_ops[k].op, op))
			return true;
	return !strcmp(op, "Constant") || !strcmp(op, "Shape") || !strcmp(op, "Size");
}

static bool all_const(struct onnx_imp *m)
{
	bool any = false;
	for (unsigned k = 0; k < onnx_nin(m); k++) {
		struct onnx_value *v = onnx_in(m, k);
		if (v && v->kind != ONNX_CONST)
			return false;
		any |= v != NULL;
	}
	return any;
}

bool onnx_try_const(struct onnx_imp *m)
{
	const char *op = m->node->op_type;
	if (!strcmp(op, "Constant"))
		return eval_constant(m), true;
	if (!strcmp(op, "Shape") && onnx_in(m, 0))
		return eval_shape(m), true;
	if (!strcmp(op, "Size") && onnx_in(m, 0))
		return eval_size(m), true;
	if (!all_const(m))
		return false;
	unsigned k = 0;
	while (const_ops[k].op && strcmp(const_ops[k].op, op))
		k++;
	if (!const_ops[k].op)
		return false;
	for (unsigned i = 0; i < const_ops[k].min_inputs; i++)
		if (!onnx_in(m, i)) {
			onnx_error(m, "input %u is missing", i);
			return true;
		}
	if (!strcmp(op, "Concat"))
		for (unsigned i = 0; i < onnx_nin(m); i++)
			if (!onnx_in(m, i)) {
				onnx_error(m, "input %u is missing", i);
				return true;
			}
	if (!strcmp(op, "Identity") || !strcmp(op, "Dropout")) {
		onnx_set_const(m, 0, cin(m, 0));
		return true;
	}
	if (!strcmp(op, "Gather"))
		eval_gather(m);
	else if (!strcmp(op, "Concat"))
		eval_concat(m);
	else if (!strcmp(op, "Slice"))
		eval_slice(m);
	else if (!strcmp(op, "Transpose"))
		eval_transpose(m);
	else if (!strcmp(op, "Expand"))
		eval_expand(m);
	else if (!strcmp(op, "Range"))
		eval_range(m);
	else if (!strcmp(op, "Cast"))
		eval_cast(m);
	else if (!strcmp(op, "ConstantOfShape"))
		eval_constant_of_shape(m);
	else if (!strcmp(op, "Neg") || !strcmp(op, "Sqrt") || !strcmp(op, "Reciprocal"))
		eval_unary(m, op);
	else if (k < 6)
		eval_broadcast(m, op);
	else
		eval_layout(m, op);
	return true;
}
