/* shape_ops.c - shape rules of the tensor ops (IR_F_TENSOR; see shape.h).
 *
 * NumPy broadcasting for binary, NumPy matmul (a vector operand is
 * promoted to a matrix and its axis dropped again, batch axes broadcast),
 * ONNX rules for ReduceMean, Slice (clamped bounds), Pad, Expand and
 * Gather. Each rule checks its attributes against the input shapes,
 * reports mismatches with both shapes, resolves negative axes and indices
 * in place and checks the output's size like every other rule. */
#include "shape.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "check.h"

struct sh {
	struct ir_graph *g;
	struct diag *d;
	struct ir_node *n;
};

static const struct ir_type *in_t(const struct sh *s, unsigned k)
{
	return &s->g->vals[s->n->in[k]].type;
}

static const char *in_name(const struct sh *s, unsigned k)
{
	return s->g->vals[s->n->in[k]].name;
}

static const char *op_name(const struct sh *s)
{
	if (s->n->op == IR_BINARY)
		return ir_binop_name(s->n->attr.binary.op);
	if (s->n->op == IR_COMPARE)
		return ir_cmp_name(s->n->attr.compare.op);
	return ir_op_table[s->n->op].name;
}

/* "[2, 3]" into buf */
static const char *dims_str(const int64_t *dims, unsigned rank, char *buf, size_t n)
{
	struct ir_type t = { IR_DT_F32, (uint8_t)rank, { 0 } };
	memcpy(t.dims, dims, rank * sizeof *dims);
	ir_type_str(&t, buf, n);
	return buf + 3; /* drop "f32" */
}

/* *y = dt[dims] after checking every extent and the size. */
static bool finish_as(struct sh *s, struct ir_type *y, enum ir_dtype dt, unsigned rank,
                      const int64_t *dims)
{
	int64_t bytes = (int64_t)ir_dtype_size(dt);
	for (unsigned i = 0; i < rank; i++) {
		if (dims[i] <= 0) {
			diag_error(s->d, s->n->loc, "'%s' would have dimension %u equal to %" PRId64,
			           s->n->name, i, dims[i]);
			return false;
		}
		if (ckd_mul_i64(&bytes, bytes, dims[i]) || bytes > IR_MAX_TENSOR_BYTES) {
			diag_error(s->d, s->n->loc,
			           "output of '%s' is too large (more than %" PRId64 " bytes)", s->n->name,
			           IR_MAX_TENSOR_BYTES);
			return false;
		}
	}
	memset(y, 0, sizeof *y);
	y->dtype = dt;
	y->rank = (uint8_t)rank;
	memcpy(y->dims, dims, rank * sizeof *dims);
	return true;
}

/* finish_as in input 0's dtype (the data movement ops keep it). */
static bool finish(struct sh *s, struct ir_type *y, unsigned rank, const int64_t *dims)
{
	return finish_as(s, y, in_t(s, 0)->dtype, rank, dims);
}

/* axis (negative from the end) of input 0 made non-negative, or -1. */
static int resolve_axis(struct sh *s, int64_t axis)
{
	const struct ir_type *x = in_t(s, 0);
	int64_t a = axis < 0 ? axis + x->rank : axis;
	if (a >= 0 && a < x->rank)
		return (int)a;
	char buf[200];
	diag_error(s->d, s->n->loc, "axis %" PRId64 " of %s '%s' is out of range for its input %s",
	           axis, op_name(s), s->n->name, ir_type_str(x, buf, sizeof buf));
	return -1;
}

/* Whether binop op computes on dtype class dc (ir.h, enum ir_binop). */
static bool binop_takes(enum ir_binop op, enum ir_dtype_class dc)
{
	switch (op) {
	case IR_BINOP_ADD:
	case IR_BINOP_SUB:
	case IR_BINOP_MUL:
	case IR_BINOP_DIV:
	case IR_BINOP_POW:
	case IR_BINOP_MIN:
	case IR_BINOP_MAX:
	case IR_BINOP_FMOD: return dc != IR_DC_BOOL;
	case IR_BINOP_PRELU: return dc == IR_DC_FLOAT;
	case IR_BINOP_MOD: return dc == IR_DC_SIGNED || dc == IR_DC_UNSIGNED;
	case IR_BINOP_AND:
	case IR_BINOP_OR:
	case IR_BINOP_XOR: return dc == IR_DC_BOOL;
	case IR_BINOP_NONE: break;
	}
	return false;
}

/* Inputs first..first+count-1 all have input `first`'s dtype. */
static bool same_dtypes(struct sh *s, unsigned first, unsigned count)
{
	char a[200], b[200];
	for (unsigned k = first + 1; k < first + count; k++)
		if (in_t(s, k)->dtype != in_t(s, first)->dtype) {
			diag_error(s->d, s->n->loc, "%s '%s': input '%s' %s and input '%s' %s have "
			           "different dtypes", op_name(s), s->n->name, in_name(s, first),
			           ir_type_str(in_t(s, first), a, sizeof a), in_name(s, k),
			           ir_type_str(in_t(s, k), b, sizeof b));
			return false;
		}
	return true;
}

/* The NumPy broadcast of inputs 0..nin-1 into *t, or an error naming the
 * first input that does not fit the ones before it. */
static bool broadcast_all(struct sh *s, struct ir_type *t)
{
	*t = *in_t(s, 0);
	for (unsigned k = 1; k < s->n->nin; k++) {
		struct ir_type acc = *t;
		if (ir_broadcast_type(&acc, in_t(s, k), t))
			continue;
		char a[200], b[200];
		diag_error(s->d, s->n->loc, "%s '%s': cannot broadcast input '%s' %s with input '%s' %s",
		           op_name(s), s->n->name, in_name(s, k - 1),
		           ir_type_str(in_t(s, k - 1), a, sizeof a), in_name(s, k),
		           ir_type_str(in_t(s, k), b, sizeof b));
		return false;
	}
	return true;
}

static bool infer_binary(struct sh *s, struct ir_type *y)
{
	enum ir_binop op = s->n->attr.binary.op;
	DLC_ASSERT(op > IR_BINOP_NONE && op <= IR_BINOP_LAST);
	enum ir_dtype dt = in_t(s, 0)->dtype;
	struct ir_type t;
	if (!same_dtypes(s, 0, 2) || !broadcast_all(s, &t))
		return false;
	if (!binop_takes(op, ir_dtype_class(dt))) {
		diag_error(s->d, s->n->loc, "%s '%s' does not compute on %s tensors (input '%s')",
		           op_name(s), s->n->name, ir_dtype_name(dt), in_name(s, 0));
		return false;
	}
	return finish_as(s, y, dt, t.rank, t.dims);
}

/* NumPy matmul: a [..., M, K] x b [..., K, N] -> [batch..., M, N]; a
 * vector a [K] is [1, K] without the M axis in the result, a vector b [K]
 * is [K, 1] without the N axis. */
static bool infer_matmul(struct sh *s, struct ir_type *y)
{
	const struct ir_type *a = in_t(s, 0), *b = in_t(s, 1);
	char x[200], z[200];
	if (a->rank == 1 && b->rank == 1) {
		diag_error(s->d, s->n->loc, "matmul '%s' of two vectors %s and %s would be a scalar; "
		           "reshape one of them into a matrix", s->n->name, ir_type_str(a, x, sizeof x),
		           ir_type_str(b, z, sizeof z));
		return false;
	}
	int64_t k = a->dims[a->rank - 1], kb = b->dims[b->rank == 1 ? 0 : b->rank - 2];
	if (k != kb) {
		diag_error(s->d, s->n->loc, "matmul '%s': input '%s' %s has %" PRId64 " columns but "
		           "input '%s' %s has %" PRId64 " rows", s->n->name, in_name(s, 0),
		           ir_type_str(a, x, sizeof x), k, in_name(s, 1), ir_type_str(b, z, sizeof z), kb);
		return false;
	}
	struct ir_type ba = *a, bb = *b, bt;
	ba.rank = a->rank > 2 ? a->rank - 2 : 0;
	bb.rank = b->rank > 2 ? b->rank - 2 : 0;
	if (!ir_broadcast_type(&ba, &bb, &bt)) {
		diag_error(s->d, s->n->loc, "matmul '%s': the batch dimensions of input '%s' %s and "
		           "input '%s' %s do not broadcast", s->n->name, in_name(s, 0),
		           ir_type_str(a, x, sizeof x), in_name(s, 1), ir_type_str(b, z, sizeof z));
		return false;
	}
	int64_t dims[IR_MAX_RANK];
	unsigned r = bt.rank;
	memcpy(dims, bt.dims, r * sizeof *dims);
	if (a->rank > 1)
		dims[r++] = a->dims[a->rank - 2];
	if (b->rank > 1)
		dims[r++] = b->dims[b->rank - 1];
	return finish(s, y, r, dims);
}

/* Axes made non-negative, unique and ascending; keepdims leaves size 1. */
static bool infer_reduce(struct sh *s, struct ir_type *y)
{
	struct ir_reduce_attr *a = &s->n->attr.reduce;
	const struct ir_type *x = in_t(s, 0);
	char buf[200];
	if (a->naxes == 0 || a->naxes > x->rank) {
		diag_error(s->d, s->n->loc, "%s '%s' needs 1 to %u axes for its input %s, got %u",
		           ir_op_table[s->n->op].name, s->n->name, x->rank,
		           ir_type_str(x, buf, sizeof buf), a->naxes);
		return false;
	}
	bool seen[IR_MAX_RANK] = { false };
	for (unsigned i = 0; i < a->naxes; i++) {
		int r = resolve_axis(s, a->axes[i]);
		if (r < 0)
			return false;
		if (seen[r]) {
			diag_error(s->d, s->n->loc, "%s '%s' lists axis %d twice",
			           ir_op_table[s->n->op].name, s->n->name, r);
			return false;
		}
		seen[r] = true;
	}
	int64_t dims[IR_MAX_RANK];
	unsigned rank = 0, na = 0;
	for (unsigned k = 0; k < x->rank; k++) {
		if (seen[k])
			a->axes[na++] = (int)k;
		if (!seen[k] || a->keepdims)
			dims[rank++] = seen[k] ? 1 : x->dims[k];
	}
	return finish(s, y, rank, dims);
}

/* ONNX Slice on one axis: bounds from the end when negative, clamped,
 * ceil((end - start) / step) elements. */
static bool infer_slice(struct sh *s, struct ir_type *y)
{
	struct ir_slice_attr *a = &s->n->attr.slice;
	const struct ir_type *x = in_t(s, 0);
	char buf[200];
	int axis = resolve_axis(s, a->axis);
	if (axis < 0)
		return false;
	if (a->step == 0) {
		diag_error(s->d, s->n->loc, "slice '%s' has step 0", s->n->name);
		return false;
	}
	int64_t dim = x->dims[axis], start = a->start, end = a->end;
	start = start < 0 ? start + dim : start; /* no overflow: dim > 0 */
	end = end < 0 ? end + dim : end;
	int64_t lo = a->step > 0 ? 0 : -1, hi = a->step > 0 ? dim : dim - 1;
	start = start < 0 ? 0 : start > hi ? hi : start;
	end = end < lo ? lo : end > hi ? hi : end;
	uint64_t step = a->step > 0 ? (uint64_t)a->step : 0 - (uint64_t)a->step;
	uint64_t span = a->step > 0 ? (uint64_t)(end - start) : (uint64_t)(start - end);
	bool empty = a->step > 0 ? end <= start : start <= end;
	if (empty) {
		diag_error(s->d, s->n->loc, "slice '%s' of axis %d of %s from %" PRId64 " to %" PRId64
		           " step %" PRId64 " is empty", s->n->name, axis,
		           ir_type_str(x, buf, sizeof buf), a->start, a->end, a->step);
		return false;
	}
	int64_t dims[IR_MAX_RANK];
	memcpy(dims, x->dims, x->rank * sizeof *dims);
	dims[axis] = (int64_t)((span - 1) / step + 1);
	a->axis = axis;
	a->start = start;
	/* "before element 0" as -dim - 1, which resolves to it again */
	a->end = end == -1 ? -dim - 1 : end;
	return finish(s, y, x->rank, dims);
}

static bool infer_pad(struct sh *s, struct ir_type *y)
{
	const struct ir_pad_nd_attr *a = &s->n->attr.pad_nd;
	const struct ir_type *x = in_t(s, 0);
	char buf[200];
	if (a->npads != 2 * x->rank) {
		diag_error(s->d, s->n->loc, "pad '%s' needs %u pads (before and after each axis of %s), "
		           "got %u", s->n->name, 2 * x->rank, ir_type_str(x, buf, sizeof buf), a->npads);
		return false;
	}
	int64_t dims[IR_MAX_RANK];
	for (unsigned k = 0; k < x->rank; k++) {
		int64_t before = a->pads[k], after = a->pads[x->rank + k];
		if (before < 0 || after < 0) {
			diag_error(s->d, s->n->loc, "pad '%s' has a negative pad on axis %u of %s; "
			           "cropping is not supported (use slice)", s->n->name, k,
			           ir_type_str(x, buf, sizeof buf));
			return false;
		}
		if (ckd_add_i64(&dims[k], x->dims[k], before) || ckd_add_i64(&dims[k], dims[k], after))
			dims[k] = INT64_MAX; /* reported as too large */
	}
	if (!ir_dtype_holds(x->dtype, a->value)) {
		diag_error(s->d, s->n->loc, "pad '%s' of the %s tensor %s needs a value it can hold, "
		           "got %g", s->n->name, ir_dtype_name(x->dtype),
		           ir_type_str(x, buf, sizeof buf), a->value);
		return false;
	}
	return finish(s, y, x->rank, dims);
}

static bool infer_broadcast(struct sh *s, struct ir_type *y)
{
	const struct ir_broadcast_attr *a = &s->n->attr.broadcast;
	const struct ir_type *x = in_t(s, 0);
	char buf[200], want[200];
	struct ir_type t = { IR_DT_F32, a->rank, { 0 } }, out;
	bool ok = a->rank >= 1 && a->rank <= IR_MAX_RANK;
	for (unsigned k = 0; ok && k < a->rank; k++)
		ok = a->dims[k] >= 1;
	if (ok) {
		memcpy(t.dims, a->dims, a->rank * sizeof *a->dims);
		ok = ir_broadcast_type(x, &t, &out);
	}
	if (!ok) {
		diag_error(s->d, s->n->loc, "broadcast '%s': input '%s' %s does not broadcast to %s",
		           s->n->name, in_name(s, 0), ir_type_str(x, buf, sizeof buf),
		           dims_str(a->dims, a->rank <= IR_MAX_RANK ? a->rank : 0, want, sizeof want));
		return false;
	}
	return finish(s, y, out.rank, out.dims);
}

/* Indices resolved into [0, dim) in a copy (the attribute's array may be
 * shared with the frontend). */
static bool infer_gather(struct sh *s, struct ir_type *y)
{
	struct ir_gather_attr *a = &s->n->attr.gather;
	const struct ir_type *x = in_t(s, 0);
	char buf[200];
	int axis = resolve_axis(s, a->axis);
	if (axis < 0)
		return false;
	if (a->nidx < 1 || !a->idx) {
		diag_error(s->d, s->n->loc, "gather '%s' needs at least one index", s->n->name);
		return false;
	}
	int64_t dim = x->dims[axis];
	int64_t *idx = arena_array(s->g->arena, (size_t)a->nidx, sizeof *idx);
	for (int64_t j = 0; j < a->nidx; j++) {
		int64_t i = a->idx[j] < 0 ? a->idx[j] + dim : a->idx[j];
		if (i < 0 || i >= dim) {
			diag_error(s->d, s->n->loc, "gather '%s': index %" PRId64 " is out of range for "
			           "axis %d of %s; expected %" PRId64 " to %" PRId64, s->n->name, a->idx[j],
			           axis, ir_type_str(x, buf, sizeof buf), -dim, dim - 1);
			return false;
		}
		idx[j] = i;
	}
	int64_t dims[IR_MAX_RANK];
	memcpy(dims, x->dims, x->rank * sizeof *dims);
	dims[axis] = a->nidx;
	a->axis = axis;
	a->idx = idx;
	return finish(s, y, x->rank, dims);
}

bool shape_binary(struct shape_ctx *ctx, struct ir_node *n, struct ir_type *y)
{
	struct sh s = { ctx->g, ctx->d, n };
	return infer_binary(&s, y);
}

bool shape_matmul(struct shape_ctx *ctx, struct ir_node *n, struct ir_type *y)
{
	struct sh s = { ctx->g, ctx->d, n };
	return infer_matmul(&s, y);
}

bool shape_reduce(struct shape_ctx *ctx, struct ir_node *n, struct ir_type *y)
{
	struct sh s = { ctx->g, ctx->d, n };
	return infer_reduce(&s, y);
}

bool shape_slice(struct shape_ctx *ctx, struct ir_node *n, struct ir_type *y)
{
	struct sh s = { ctx->g, ctx->d, n };
	return infer_slice(&s, y);
}

bool shape_pad(struct shape_ctx *ctx, struct ir_node *n, struct ir_type *y)
{
	struct sh s = { ctx->g, ctx->d, n };
	return infer_pad(&s, y);
}

bool shape_broadcast(struct shape_ctx *ctx, struct ir_node *n, struct ir_type *y)
{
	struct sh s = { ctx->g, ctx->d, n };
	return infer_broadcast(&s, y);
}

bool shape_gather(struct shape_ctx *ctx, struct ir_node *n, struct ir_type *y)
{
	struct sh s = { ctx->g, ctx->d, n };
	return infer_gather(&s, y);
}

/* attention: q [B, Sq, H*dk], k [B, Sk, H*dk], v [B, Sk, H*dv] (or all
 * without B), an optional mask broadcasting to [B, H, Sq, Sk]; the output
 * is [B, Sq, H*dv]. A scale of 0 becomes 1 / sqrt(dk). */
static bool infer_attention(struct sh *s, struct ir_type *y)
{
	struct ir_attention_attr *a = &s->n->attr.attention;
	const struct ir_type *q = in_t(s, 0), *k = in_t(s, 1), *v = in_t(s, 2);
	char x[200], z[200];
	for (unsigned i = 0; i < 3; i++) {
		const struct ir_type *t = in_t(s, i);
		if (t->dtype != IR_DT_F32 || t->rank < 2 || t->rank > 3 || t->rank != q->rank) {
			diag_error(s->d, s->n->loc, "attention '%s': input '%s' %s must be float [batch, "
			           "sequence, features] or [sequence, features], as the query is%s",
			           s->n->name, in_name(s, i), ir_type_str(t, x, sizeof x),
			           i ? "" : " (all three alike)");
			return false;
		}
		if (q->rank == 3 && t->dims[0] != q->dims[0]) {
			diag_error(s->d, s->n->loc, "attention '%s': input '%s' %s has another batch than "
			           "the query '%s' %s", s->n->name, in_name(s, i),
			           ir_type_str(t, x, sizeof x), in_name(s, 0), ir_type_str(q, z, sizeof z));
			return false;
		}
	}
	unsigned r = q->rank;
	int64_t sq = q->dims[r - 2], sk = k->dims[r - 2], e = q->dims[r - 1];
	if (v->dims[r - 2] != sk) {
		diag_error(s->d, s->n->loc, "attention '%s': keys '%s' %s and values '%s' %s differ "
		           "in sequence length", s->n->name, in_name(s, 1), ir_type_str(k, x, sizeof x),
		           in_name(s, 2), ir_type_str(v, z, sizeof z));
		return false;
	}
	if (k->dims[r - 1] != e) {
		diag_error(s->d, s->n->loc, "attention '%s': query '%s' %s and keys '%s' %s differ "
		           "in features", s->n->name, in_name(s, 0), ir_type_str(q, x, sizeof x),
		           in_name(s, 1), ir_type_str(k, z, sizeof z));
		return false;
	}
	if (e % a->heads || v->dims[r - 1] % a->heads) {
		diag_error(s->d, s->n->loc, "attention '%s': %d heads do not divide the %" PRId64
		           " query and %" PRId64 " value features", s->n->name, a->heads, e,
		           v->dims[r - 1]);
		return false;
	}
	if (s->n->nin > 3) {
		const struct ir_type *m = in_t(s, 3);
		struct ir_type scores = { IR_DT_F32, 4, { r == 3 ? q->dims[0] : 1, a->heads, sq, sk } },
		               t;
		if (m->dtype != IR_DT_F32 || !ir_broadcast_type(m, &scores, &t) ||
		    !ir_type_eq(&t, &scores)) {
			diag_error(s->d, s->n->loc, "attention '%s': mask '%s' %s does not broadcast to "
			           "the scores %s [batch, heads, queries, keys]", s->n->name,
			           in_name(s, 3), ir_type_str(m, x, sizeof x),
			           ir_type_str(&scores, z, sizeof z));
			return false;
		}
	}
	if (a->scale == 0)
		a->scale = (float)(1.0 / sqrt((double)(e / a->heads)));
	int64_t dims[3] = { q->dims[0], sq, v->dims[r - 1] };
	if (r == 2)
		dims[0] = sq, dims[1] = v->dims[1];
	return finish(s, y, r, dims);
}

bool shape_attention(struct shape_ctx *ctx, struct ir_node *n, struct ir_type *y)
{
	struct sh s = { ctx->g, ctx->d, n };
	return infer_attention(&s, y);
}

/* ---- the typed ops ---- */

/* Input k must have dtype class dc (what: how the message names it). */
static bool needs_class(struct sh *s, unsigned k, bool ok, const char *what)
{
	if (ok)
		return true;
	char buf[200];
	diag_error(s->d, s->n->loc, "%s '%s' needs %s input, but '%s' is %s", op_name(s),
	           s->n->name, what, in_name(s, k), ir_type_str(in_t(s, k), buf, sizeof buf));
	return false;
}

bool shape_compare(struct shape_ctx *ctx, struct ir_node *n, struct ir_type *y)
{
	struct sh s = { ctx->g, ctx->d, n };
	DLC_ASSERT(n->attr.compare.op > IR_CMP_NONE && n->attr.compare.op <= IR_CMP_LAST);
	struct ir_type t;
	return same_dtypes(&s, 0, 2) && broadcast_all(&s, &t) &&
	       finish_as(&s, y, IR_DT_BOOL, t.rank, t.dims);
}

bool shape_logical_not(struct shape_ctx *ctx, struct ir_node *n, struct ir_type *y)
{
	struct sh s = { ctx->g, ctx->d, n };
	if (!needs_class(&s, 0, in_t(&s, 0)->dtype == IR_DT_BOOL, "a bool"))
		return false;
	*y = *in_t(&s, 0);
	return true;
}

/* where(cond, a, b): cond bool, a and b of one dtype, all broadcast. */
bool shape_where(struct shape_ctx *ctx, struct ir_node *n, struct ir_type *y)
{
	struct sh s = { ctx->g, ctx->d, n };
	struct ir_type t;
	return needs_class(&s, 0, in_t(&s, 0)->dtype == IR_DT_BOOL, "a bool condition") &&
	       same_dtypes(&s, 1, 2) && broadcast_all(&s, &t) &&
	       finish_as(&s, y, in_t(&s, 1)->dtype, t.rank, t.dims);
}

bool shape_cast(struct shape_ctx *ctx, struct ir_node *n, struct ir_type *y)
{
	struct sh s = { ctx->g, ctx->d, n };
	DLC_ASSERT(ir_dtype_size(n->attr.cast.to));
	const struct ir_type *x = in_t(&s, 0);
	return finish_as(&s, y, n->attr.cast.to, x->rank, x->dims);
}

/* argmax, argmin: i64 positions, the axis dropped unless keepdims. */
bool shape_arg(struct shape_ctx *ctx, struct ir_node *n, struct ir_type *y)
{
	struct sh s = { ctx->g, ctx->d, n };
	struct ir_arg_attr *a = &n->attr.arg;
	const struct ir_type *x = in_t(&s, 0);
	if (!needs_class(&s, 0, x->dtype != IR_DT_BOOL, "a numeric"))
		return false;
	int axis = resolve_axis(&s, a->axis);
	if (axis < 0)
		return false;
	a->axis = axis;
	int64_t dims[IR_MAX_RANK];
	unsigned rank = 0;
	for (unsigned k = 0; k < x->rank; k++)
		if ((int)k != axis || a->keepdims)
			dims[rank++] = (int)k == axis ? 1 : x->dims[k];
	return finish_as(&s, y, IR_DT_I64, rank, dims);
}

/* gather_elements: indices of data's rank, i32/i64, no longer than data
 * on the other axes; the output has their shape and data's dtype. */
bool shape_gather_elements(struct shape_ctx *ctx, struct ir_node *n, struct ir_type *y)
{
	struct sh s = { ctx->g, ctx->d, n };
	const struct ir_type *x = in_t(&s, 0), *ix = in_t(&s, 1);
	char a[200], b[200];
	if (!needs_class(&s, 1, ix->dtype == IR_DT_I64 || ix->dtype == IR_DT_I32, "i32/i64 index"))
		return false;
	int axis = resolve_axis(&s, n->attr.gather_elements.axis);
	if (axis < 0)
		return false;
	bool fits = ix->rank == x->rank;
	for (unsigned k = 0; fits && k < x->rank; k++)
		fits = (int)k == axis || ix->dims[k] <= x->dims[k];
	if (!fits) {
		diag_error(s.d, n->loc, "gather_elements '%s': indices '%s' %s do not fit data '%s' %s "
		           "(the same rank, no longer than the data off axis %d)", n->name,
		           in_name(&s, 1), ir_type_str(ix, b, sizeof b), in_name(&s, 0),
		           ir_type_str(x, a, sizeof a), axis);
		return false;
	}
	n->attr.gather_elements.axis = axis;
	return finish_as(&s, y, x->dtype, ix->rank, ix->dims);
}

bool shape_cumsum(struct shape_ctx *ctx, struct ir_node *n, struct ir_type *y)
{
	struct sh s = { ctx->g, ctx->d, n };
	const struct ir_type *x = in_t(&s, 0);
	if (!needs_class(&s, 0, x->dtype != IR_DT_BOOL, "a numeric"))
		return false;
	int axis = resolve_axis(&s, n->attr.cumsum.axis);
	if (axis < 0)
		return false;
	n->attr.cumsum.axis = axis;
	*y = *x;
	return true;
}

/* topk: i64 positions, the axis k long. */
bool shape_topk(struct shape_ctx *ctx, struct ir_node *n, struct ir_type *y)
{
	struct sh s = { ctx->g, ctx->d, n };
	const struct ir_type *x = in_t(&s, 0);
	struct ir_topk_attr *a = &n->attr.topk;
	if (!needs_class(&s, 0, x->dtype != IR_DT_BOOL, "a numeric"))
		return false;
	int axis = resolve_axis(&s, a->axis);
	if (axis < 0)
		return false;
	if (a->k < 1 || a->k > x->dims[axis]) {
		char buf[200];
		diag_error(s.d, n->loc, "topk '%s': k = %" PRId64 " is outside [1, %" PRId64
		           "] for axis %d of %s", n->name, a->k, x->dims[axis], axis,
		           ir_type_str(x, buf, sizeof buf));
		return false;
	}
	a->axis = axis;
	int64_t dims[IR_MAX_RANK];
	memcpy(dims, x->dims, x->rank * sizeof *dims);
	dims[axis] = a->k;
	return finish_as(&s, y, IR_DT_I64, x->rank, dims);
}

/* resize: the attribute's output dims, positive scales. */
bool shape_resize(struct shape_ctx *ctx, struct ir_node *n, struct ir_type *y)
{
	struct sh s = { ctx->g, ctx->d, n };
	struct ir_resize_attr *a = &n->attr.resize;
	const struct ir_type *x = in_t(&s, 0);
	char buf[200];
	bool ok = a->rank == x->rank;
	for (unsigned k = 0; ok && k < x->rank; k++) /* scale 0: output / input */
		ok = a->scale[k] >= 0 && a->scale[k] < 1e6f && a->out[k] >= 1 &&
		     a->out[k] <= 4096 * x->dims[k];
	if (!ok) {
		diag_error(s.d, n->loc, "resize '%s' needs a scale (0: size / input) and an output "
		           "size of 1 to 4096 times the input for each of the %u axes of %s", n->name,
		           x->rank, ir_type_str(x, buf, sizeof buf));
		return false;
	}
	return finish(&s, y, x->rank, a->out);
}
