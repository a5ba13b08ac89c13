/* onnx_ops.c - elementwise, matrix and layout operators to IR.
 *
 * Operands are activations or constants (constants become IR constants,
 * which tensor ops read as inputs). Shapes follow ONNX (NumPy
 * broadcasting, 4-D values NCHW); the importer tracks each output's type
 * so that later nodes (Shape, Reshape with 0, Flatten) can be resolved.
 * Cheaper forms are chosen where they are exact: MatMul/Gemm with a
 * constant B become dense (B transposed into PyTorch's [out, in]), an Add
 * of a constant bias right after such a dense becomes its bias, a scalar
 * constant operand an affine eltwise step, Squeeze/Unsqueeze/Flatten
 * reshapes, and Identity/Dropout no node at all. */
#include <float.h>
#include <inttypes.h>
#include <math.h>
#include <string.h>

#include "check.h"
#include "onnx_attr.h"
#include "onnx_map.h"
#include "onnx_shape.h"

/* Input k as an f32 activation, or NULL (reported when required). */
static struct onnx_value *act_in(struct onnx_imp *m, unsigned k)
{
	struct onnx_value *v = onnx_in(m, k);
	if (v && v->kind == ONNX_ACT && v->type.dtype == IR_DT_F32)
		return v;
	if (v && v->kind == ONNX_ACT)
		onnx_error(m, "input '%s' must be float, got %s", v->name, ir_dtype_name(v->type.dtype));
	else
		onnx_error(m, "input %u must be a computed (non-constant) tensor", k);
	return NULL;
}

/* Input k as an activation of any dtype (the views), or NULL (reported). */
static struct onnx_value *any_in(struct onnx_imp *m, unsigned k)
{
	struct onnx_value *v = onnx_in(m, k);
	if (v && v->kind == ONNX_ACT)
		return v;
	onnx_error(m, "input %u must be a computed (non-constant) tensor", k);
	return NULL;
}

static struct ir_type type_of(unsigned rank, const int64_t *dims)
{
	struct ir_type t = { IR_DT_F32, (uint8_t)rank, { 0 } };
	memcpy(t.dims, dims, rank * sizeof *dims);
	return t;
}

static bool set_out(struct onnx_imp *m, unsigned k, uint32_t ir, unsigned rank,
                    const int64_t *dims)
{
	struct ir_type t = type_of(rank, dims);
	onnx_set_act(m, k, ir, &t);
	return true;
}

static bool eltwise_step(struct onnx_imp *m, enum ir_step_kind kind, float a, float b)
{
	struct onnx_value *x = act_in(m, 0);
	if (!x)
		return false;
	union ir_attrs at;
	memset(&at, 0, sizeof at);
	at.eltwise.nsteps = 1;
	at.eltwise.steps[0] = (struct ir_eltwise_step){ kind, a, b };
	uint32_t y = onnx_emit(m, IR_ELTWISE, onnx_name_out(m, 0), &x->ir, 1, &at);
	onnx_set_act(m, 0, y, &x->type);
	return true;
}

static bool simple(struct onnx_imp *m, enum ir_op op)
{
	struct onnx_value *x = act_in(m, 0);
	if (!x)
		return false;
	uint32_t y = onnx_emit(m, op, onnx_name_out(m, 0), &x->ir, 1, NULL);
	onnx_set_act(m, 0, y, &x->type);
	return true;
}

static bool map_relu(struct onnx_imp *m) { return simple(m, IR_RELU); }
static bool map_sigmoid(struct onnx_imp *m) { return simple(m, IR_SIGMOID); }
static bool map_tanh(struct onnx_imp *m) { return simple(m, IR_TANH); }
static bool map_exp(struct onnx_imp *m) { return eltwise_step(m, IR_STEP_EXP, 0, 0); }
static bool map_log(struct onnx_imp *m) { return eltwise_step(m, IR_STEP_LOG, 0, 0); }
static bool map_sqrt(struct onnx_imp *m) { return eltwise_step(m, IR_STEP_SQRT, 0, 0); }
static bool map_neg(struct onnx_imp *m) { return eltwise_step(m, IR_STEP_NEG, 0, 0); }
static bool map_abs(struct onnx_imp *m) { return eltwise_step(m, IR_STEP_ABS, 0, 0); }
static bool map_erf(struct onnx_imp *m) { return eltwise_step(m, IR_STEP_ERF, 0, 0); }
static bool map_reciprocal(struct onnx_imp *m)
{
	return eltwise_step(m, IR_STEP_RECIPROCAL, 0, 0);
}
static bool map_hard_swish(struct onnx_imp *m) { return eltwise_step(m, IR_STEP_HARD_SWISH, 0, 0); }

static bool map_softplus(struct onnx_imp *m) { return eltwise_step(m, IR_STEP_SOFTPLUS, 0, 0); }
static bool map_softsign(struct onnx_imp *m) { return eltwise_step(m, IR_STEP_SOFTSIGN, 0, 0); }
static bool map_mish(struct onnx_imp *m) { return eltwise_step(m, IR_STEP_MISH, 0, 0); }

static bool map_elu(struct onnx_imp *m)
{
	return eltwise_step(m, IR_STEP_ELU, onnx_attr_float(m, "alpha", 1.0f), 0);
}

static bool map_selu(struct onnx_imp *m)
{
	return eltwise_step(m, IR_STEP_SELU, onnx_attr_float(m, "alpha", 1.67326319217681884765625f),
	                    onnx_attr_float(m, "gamma", 1.05070102214813232421875f));
}

static bool map_celu(struct onnx_imp *m)
{
	float alpha = onnx_attr_float(m, "alpha", 1.0f);
	if (!(alpha > 0)) {
		onnx_error(m, "alpha must be positive, got %g", (double)alpha);
		return false;
	}
	return eltwise_step(m, IR_STEP_CELU, alpha, 0);
}

/* the elementwise functions without attributes, by ONNX name */
static const struct {
	const char *onnx;
	enum ir_step_kind step;
} plain_steps[] = {
	{ "Sin", IR_STEP_SIN }, { "Cos", IR_STEP_COS }, { "Tan", IR_STEP_TAN },
	{ "Asin", IR_STEP_ASIN }, { "Acos", IR_STEP_ACOS }, { "Atan", IR_STEP_ATAN },
	{ "Sinh", IR_STEP_SINH }, { "Cosh", IR_STEP_COSH }, { "Asinh", IR_STEP_ASINH },
	{ "Acosh", IR_STEP_ACOSH }, { "Atanh", IR_STEP_ATANH }, { "Ceil", IR_STEP_CEIL },
	{ "Floor", IR_STEP_FLOOR }, { "Round", IR_STEP_ROUND }, { "Sign", IR_STEP_SIGN },
};

static bool map_plain_step(struct onnx_imp *m)
{
	for (unsigned i = 0; i < sizeof plain_steps / sizeof plain_steps[0]; i++)
		if (!strcmp(m->node->op_type, plain_steps[i].onnx))
			return eltwise_step(m, plain_steps[i].step, 0, 0);
	DLC_UNREACHABLE("map_plain_step: an operator not in plain_steps");
}

static bool map_gelu(struct onnx_imp *m)
{
	const char *approx = onnx_attr_str(m, "approximate", "none");
	if (strcmp(approx, "none") && strcmp(approx, "tanh")) {
		onnx_error(m, "approximate='%s' is not 'none' or 'tanh'", approx);
		return false;
	}
	return eltwise_step(m, strcmp(approx, "tanh") ? IR_STEP_GELU : IR_STEP_GELU_TANH, 0, 0);
}

static bool map_shrink(struct onnx_imp *m)
{
	return eltwise_step(m, IR_STEP_SHRINK, onnx_attr_float(m, "lambd", 0.5f),
	                    onnx_attr_float(m, "bias", 0.0f));
}

static bool map_thresholded_relu(struct onnx_imp *m)
{
	return eltwise_step(m, IR_STEP_THRESHOLDED_RELU, onnx_attr_float(m, "alpha", 1.0f), 0);
}

static bool map_leaky_relu(struct onnx_imp *m)
{
	return eltwise_step(m, IR_STEP_LEAKY_RELU, onnx_attr_float(m, "alpha", 0.01f), 0);
}

static bool map_hard_sigmoid(struct onnx_imp *m)
{
	return eltwise_step(m, IR_STEP_HARD_SIGMOID, onnx_attr_float(m, "alpha", 0.2f),
	                    onnx_attr_float(m, "beta", 0.5f));
}

/* A one-element constant input k (opset >= 11 Clip bounds), or def. */
static bool scalar_in(struct onnx_imp *m, unsigned k, float def, float *out)
{
	struct onnx_value *v = onnx_in(m, k);
	*out = def;
	if (!v)
		return true;
	if (v->kind != ONNX_CONST || v->t->numel != 1) {
		onnx_error(m, "input %u must be a one-element constant", k);
		return false;
	}
	*out = v->t->dtype == IR_DT_F32 ? ((float *)v->t->data)[0]
	                                : (float)((int64_t *)v->t->data)[0];
	return true;
}

static bool map_clip(struct onnx_imp *m)
{
	struct onnx_value *x0 = onnx_in(m, 0);
	if (x0 && x0->kind == ONNX_ACT && x0->type.dtype != IR_DT_F32)
		return onnx_map_typed_clip(m);
	struct onnx_value *x = act_in(m, 0);
	float lo = onnx_attr_float(m, "min", -FLT_MAX), hi = onnx_attr_float(m, "max", FLT_MAX);
	if (!x || (m->opset >= 11 && (!scalar_in(m, 1, -FLT_MAX, &lo) || !scalar_in(m, 2, FLT_MAX, &hi))))
		return false;
	union ir_attrs at;
	memset(&at, 0, sizeof at);
	at.clip = (struct ir_clip_attr){ lo, hi };
	enum ir_op op = lo == 0.0f && hi == FLT_MAX ? IR_RELU : IR_CLIP;
	uint32_t y = onnx_emit(m, op, onnx_name_out(m, 0), &x->ir, 1, &at);
	onnx_set_act(m, 0, y, &x->type);
	return true;
}

/* The dense node that defines activation v, if it has no bias yet and
 * nothing but the current node reads it. */
static struct ir_node *bias_free_dense(struct onnx_imp *m, const struct onnx_value *v)
{
	const struct ir_value *iv = &m->g->vals[v->ir];
	if (iv->kind != IR_VAL_NODE || v->uses != 1 || v->graph_output)
		return NULL;
	struct ir_node *n = &m->g->nodes[iv->node];
	return n->op == IR_DENSE && !n->attr.dense.bias && n->nin == 1 ? n : NULL;
}

/* Add(dense(x), b) with b broadcasting as [units]: b becomes the bias. */
static bool fold_bias(struct onnx_imp *m, struct onnx_value *x, struct onnx_tensor *c)
{
	struct ir_node *n = bias_free_dense(m, x);
	if (!n || c->dtype != IR_DT_F32 || c->rank > x->type.rank || c->rank == 0)
		return false;
	int64_t units = n->attr.dense.units;
	for (unsigned i = 0; i + 1 < c->rank; i++)
		if (c->dims[i] != 1)
			return false;
	if (c->dims[c->rank - 1] != units)
		return false;
	n->attr.dense.bias = true;
	n->param[1] = onnx_ir_weight(m, c->name, c->data, 1, &units);
	onnx_set_act(m, 0, x->ir, &x->type);
	return true;
}

static enum ir_binop binop_of(const char *op)
{
	static const struct {
		const char *onnx;
		enum ir_binop op;
	} ops[] = {
		{ "Add", IR_BINOP_ADD }, { "Sub", IR_BINOP_SUB }, { "Mul", IR_BINOP_MUL },
		{ "Div", IR_BINOP_DIV }, { "Pow", IR_BINOP_POW }, { "Min", IR_BINOP_MIN },
		{ "Max", IR_BINOP_MAX }, { "Sum", IR_BINOP_ADD }, { "Mean", IR_BINOP_ADD },
		{ "PRelu", IR_BINOP_PRELU },
	};
	for (unsigned i = 0; i < sizeof ops / sizeof ops[0]; i++)
		if (!strcmp(op, ops[i].onnx))
			return ops[i].op;
	DLC_UNREACHABLE("binop_of: an operator without a binary op");
}

/* x OP c for a one-element constant c as one affine step, when c does
 * not widen x's shape; false when not applicable. */
static bool affine(struct onnx_imp *m, struct onnx_value *x, struct onnx_tensor *c, bool c_first,
                   enum ir_binop op)
{
	if (c->numel != 1 || c->rank > x->type.rank || c->dtype != IR_DT_F32)
		return false;
	float v = ((float *)c->data)[0], a = 1, b = 0;
	switch (op) {
	case IR_BINOP_ADD: b = v; break;
	case IR_BINOP_SUB: a = c_first ? -1.0f : 1.0f, b = c_first ? v : -v; break;
	case IR_BINOP_MUL: a = v; break;
	case IR_BINOP_DIV:
		if (c_first)
			return false;
		a = 1.0f / v;
		if (v == 0.0f || a * v != 1.0f)
			return false; /* x / v and x * (1/v) would differ */
		break;
	case IR_BINOP_POW:
	case IR_BINOP_MIN:
	case IR_BINOP_MAX:
	case IR_BINOP_PRELU:
	case IR_BINOP_MOD:
	case IR_BINOP_FMOD:
	case IR_BINOP_AND:
	case IR_BINOP_OR:
	case IR_BINOP_XOR: return false;
	case IR_BINOP_NONE: DLC_UNREACHABLE("binary op");
	}
	union ir_attrs at;
	memset(&at, 0, sizeof at);
	at.eltwise.nsteps = 1;
	at.eltwise.steps[0] = (struct ir_eltwise_step){ IR_STEP_AFFINE, a, b };
	uint32_t y = onnx_emit(m, IR_ELTWISE, onnx_name_out(m, 0), &x->ir, 1, &at);
	onnx_set_act(m, 0, y, &x->type);
	return true;
}

static bool map_binary(struct onnx_imp *m)
{
	struct onnx_value *a = onnx_in(m, 0), *b = onnx_in(m, 1);
	if (!a || !b) {
		onnx_error(m, "needs two inputs");
		return false;
	}
	enum ir_binop op = binop_of(m->node->op_type);
	bool a_act = a->kind == ONNX_ACT;
	struct onnx_value *x = a_act ? a : b, *c = a_act ? b : a;
	if (x->type.dtype != IR_DT_F32 || (c->kind == ONNX_ACT && c->type.dtype != IR_DT_F32))
		return onnx_map_typed_binary(m, op); /* integers, bool, mixed Pow */
	if (c->kind == ONNX_CONST) {
		if (op == IR_BINOP_ADD && fold_bias(m, x, c->t))
			return true;
		if (affine(m, x, c->t, !a_act, op))
			return true;
	} else if (op == IR_BINOP_ADD && ir_type_eq(&a->type, &b->type)) {
		uint32_t in[2] = { a->ir, b->ir };
		uint32_t y = onnx_emit(m, IR_ADD, onnx_name_out(m, 0), in, 2, NULL);
		onnx_set_act(m, 0, y, &a->type);
		return true;
	}
	const int64_t *da, *db;
	unsigned ra, rb, r;
	int64_t dims[IR_MAX_RANK];
	uint32_t in[2] = { onnx_operand(m, IR_DT_F32, a, &da, &ra), onnx_operand(m, IR_DT_F32, b, &db, &rb) };
	if (!onnx_broadcast(ra, da, rb, db, &r, dims)) {
		char sa[160], sb[160];
		struct ir_type ta = type_of(ra, da), tb = type_of(rb, db);
		onnx_error(m, "operands %s and %s cannot be broadcast together",
		           ir_type_str(&ta, sa, sizeof sa), ir_type_str(&tb, sb, sizeof sb));
		return false;
	}
	union ir_attrs at;
	memset(&at, 0, sizeof at);
	at.binary.op = op;
	return set_out(m, 0, onnx_emit(m, IR_BINARY, onnx_name_out(m, 0), in, 2, &at), r, dims);
}

/* Sum, Mean, Min and Max of one or more inputs: a chain of binary nodes
 * that broadcast as they go; Mean scales the sum by 1/n at the end. */
static bool map_variadic(struct onnx_imp *m)
{
	unsigned n = onnx_nin(m);
	bool mean = !strcmp(m->node->op_type, "Mean");
	if (n == 2 && !mean)
		return map_binary(m);
	if (n == 0) {
		onnx_error(m, "needs at least one input");
		return false;
	}
	union ir_attrs at;
	memset(&at, 0, sizeof at);
	at.binary.op = binop_of(m->node->op_type);
	uint32_t acc = IR_NONE;
	unsigned ra = 0;
	int64_t da[IR_MAX_RANK];
	enum ir_dtype dt = IR_DT_NONE; /* the first activation's */
	for (unsigned k = 0; k < n; k++) {
		struct onnx_value *v = onnx_in(m, k);
		if (!v) {
			onnx_error(m, "input %u is missing", k);
			return false;
		}
		if (v->kind == ONNX_ACT && !dt)
			dt = v->type.dtype;
	}
	if (!dt)
		dt = IR_DT_F32;
	if (dt != IR_DT_F32 && mean) {
		onnx_error(m, "Mean of %s tensors is not supported (dlc averages f32)",
		           ir_dtype_name(dt));
		return false;
	}
	for (unsigned k = 0; k < n; k++) {
		struct onnx_value *v = onnx_in(m, k);
		const int64_t *d;
		unsigned r;
		uint32_t in[2] = { acc, onnx_operand(m, dt, v, &d, &r) };
		if (k == 0) {
			acc = in[1], ra = r;
			memcpy(da, d, r * sizeof *d);
			continue;
		}
		int64_t dims[IR_MAX_RANK];
		unsigned rr;
		if (!onnx_broadcast(ra, da, r, d, &rr, dims)) {
			onnx_error(m, "input %u cannot be broadcast with the inputs before it", k);
			return false;
		}
		bool last = k + 1 == n && !mean;
		acc = onnx_emit(m, IR_BINARY, last ? onnx_name_out(m, 0) : onnx_name_tmp(m, "acc"),
		                in, 2, &at);
		ra = rr;
		memcpy(da, dims, rr * sizeof *dims);
	}
	if (n == 1 && dt != IR_DT_F32) { /* the input itself */
		struct ir_type t = type_of(ra, da);
		t.dtype = dt;
		if (onnx_in(m, 0)->kind != ONNX_ACT) {
			onnx_error(m, "a single constant input is not supported");
			return false;
		}
		onnx_set_act(m, 0, acc, &t);
		return true;
	}
	if (mean || n == 1) {
		memset(&at, 0, sizeof at);
		at.eltwise.nsteps = 1;
		at.eltwise.steps[0] = (struct ir_eltwise_step){ IR_STEP_AFFINE, 1.0f / (float)n, 0 };
		acc = onnx_emit(m, IR_ELTWISE, onnx_name_out(m, 0), &acc, 1, &at);
	}
	struct ir_type t = type_of(ra, da);
	t.dtype = dt;
	onnx_set_act(m, 0, acc, &t);
	return true;
}

/* W = B^T (times alpha) as a dense weight [N, K] named after B. */
static uint32_t dense_weight(struct onnx_imp *m, const struct onnx_tensor *b, bool trans,
                             float alpha)
{
	int64_t k = trans ? b->dims[1] : b->dims[0], n = trans ? b->dims[0] : b->dims[1];
	float *w = arena_array(m->a, (size_t)(n * k), sizeof *w);
	const float *src = b->data;
	for (int64_t o = 0; o < n; o++)
		for (int64_t i = 0; i < k; i++)
			w[o * k + i] = alpha * (trans ? src[o * k + i] : src[i * n + o]);
	int64_t dims[2] = { n, k };
	return onnx_ir_weight(m, b->name, w, 2, dims);
}

static uint32_t dense(struct onnx_imp *m, const char *name, uint32_t x, int64_t units,
                      uint32_t w, uint32_t bias)
{
	union ir_attrs at;
	memset(&at, 0, sizeof at);
	at.dense.units = units;
	at.dense.bias = bias != IR_NONE;
	uint32_t y = onnx_emit(m, IR_DENSE, name, &x, 1, &at);
	struct ir_node *n = &m->g->nodes[m->g->vals[y].node];
	n->param[0] = w;
	n->param[1] = bias;
	return y;
}

/* NumPy matmul of ranks >= 2: batch dims broadcast. */
static bool matmul_shape(struct onnx_imp *m, unsigned ra, const int64_t *a, unsigned rb,
                         const int64_t *b, unsigned *r, int64_t *dims)
{
	if (ra < 2 || rb < 2) {
		onnx_error(m, "1-D matmul operands are not supported");
		return false;
	}
	if (a[ra - 1] != b[rb - 2] ||
	    !onnx_broadcast(ra - 2, a, rb - 2, b, r, dims)) {
		char sa[160], sb[160];
		struct ir_type ta = type_of(ra, a), tb = type_of(rb, b);
		onnx_error(m, "cannot multiply %s by %s", ir_type_str(&ta, sa, sizeof sa),
		           ir_type_str(&tb, sb, sizeof sb));
		return false;
	}
	dims[*r] = a[ra - 2];
	dims[*r + 1] = b[rb - 1];
	*r += 2;
	return true;
}

static bool map_matmul(struct onnx_imp *m)
{
	struct onnx_value *a = onnx_in(m, 0), *b = onnx_in(m, 1);
	if (!a || !b) {
		onnx_error(m, "needs two inputs");
		return false;
	}
	const int64_t *da, *db;
	unsigned ra, rb, r;
	int64_t dims[IR_MAX_RANK];
	if (a->kind == ONNX_ACT && b->kind == ONNX_CONST && b->t->rank == 2 &&
	    b->t->dtype == IR_DT_F32 && a->type.rank >= 2 && a->type.dims[a->type.rank - 1] == b->t->dims[0]) {
		memcpy(dims, a->type.dims, a->type.rank * sizeof *dims);
		dims[a->type.rank - 1] = b->t->dims[1];
		uint32_t y = dense(m, onnx_name_out(m, 0), a->ir, b->t->dims[1],
		                   dense_weight(m, b->t, false, 1.0f), IR_NONE);
		return set_out(m, 0, y, a->type.rank, dims);
	}
	uint32_t in[2] = { onnx_operand(m, IR_DT_F32, a, &da, &ra), onnx_operand(m, IR_DT_F32, b, &db, &rb) };
	if (!matmul_shape(m, ra, da, rb, db, &r, dims))
		return false;
	return set_out(m, 0, onnx_emit(m, IR_MATMUL, onnx_name_out(m, 0), in, 2, NULL), r, dims);
}

/* Gemm: y = alpha * A' B' + beta * C with a constant B -> dense. */
static bool map_gemm(struct onnx_imp *m)
{
	struct onnx_value *a = act_in(m, 0), *b = onnx_in(m, 1), *c = onnx_in(m, 2);
	if (!a)
		return false;
	if (!b || b->kind != ONNX_CONST || b->t->rank != 2 || a->type.rank != 2) {
		onnx_error(m, "needs a 2-D input and a constant 2-D B");
		return false;
	}
	bool ta = onnx_attr_int(m, "transA", 0) != 0, tb = onnx_attr_int(m, "transB", 0) != 0;
	float alpha = onnx_attr_float(m, "alpha", 1.0f), beta = onnx_attr_float(m, "beta", 1.0f);
	int64_t kdim = tb ? b->t->dims[1] : b->t->dims[0], units = tb ? b->t->dims[0] : b->t->dims[1];
	int64_t rows = a->type.dims[ta ? 1 : 0];
	if (a->type.dims[ta ? 0 : 1] != kdim) {
		onnx_error(m, "A has %" PRId64 " columns but B has %" PRId64 " rows",
		           a->type.dims[ta ? 0 : 1], kdim);
		return false;
	}
	uint32_t x = a->ir;
	if (ta) {
		union ir_attrs at;
		memset(&at, 0, sizeof at);
		at.transpose.rank = 2;
		at.transpose.perm[0] = 1;
		x = onnx_emit(m, IR_TRANSPOSE, onnx_name_tmp(m, "transA"), &x, 1, &at);
	}
	uint32_t bias = IR_NONE;
	bool c_rows = false;
	if (c && c->kind == ONNX_CONST && c->t->dtype == IR_DT_F32 &&
	    (c->t->numel == 1 || c->t->numel == units) && c->t->dims[c->t->rank ? c->t->rank - 1 : 0] != 0) {
		float *bv = arena_array(m->a, (size_t)units, sizeof *bv);
		for (int64_t i = 0; i < units; i++)
			bv[i] = beta * ((float *)c->t->data)[c->t->numel == 1 ? 0 : i];
		bias = onnx_ir_weight(m, c->t->name, bv, 1, &units);
	} else if (c) {
		c_rows = true;
	}
	int64_t dims[2] = { rows, units };
	uint32_t y = dense(m, c_rows ? onnx_name_tmp(m, "matmul") : onnx_name_out(m, 0), x, units,
	                   dense_weight(m, b->t, tb, alpha), bias);
	if (c_rows) {
		const int64_t *dc;
		unsigned rc, r;
		int64_t od[IR_MAX_RANK];
		union ir_attrs at;
		memset(&at, 0, sizeof at);
		at.binary.op = IR_BINOP_ADD;
		if (beta != 1.0f) {
			onnx_error(m, "beta other than 1 with a non-constant or 2-D C is not supported");
			return false;
		}
		uint32_t in[2] = { y, onnx_operand(m, IR_DT_F32, c, &dc, &rc) };
		if (!onnx_broadcast(2, dims, rc, dc, &r, od) || r != 2 || od[0] != rows || od[1] != units) {
			onnx_error(m, "C does not broadcast to [%" PRId64 ", %" PRId64 "]", rows, units);
			return false;
		}
		y = onnx_emit(m, IR_BINARY, onnx_name_out(m, 0), in, 2, &at);
	}
	return set_out(m, 0, y, 2, dims);
}

static bool map_identity(struct onnx_imp *m)
{
	struct onnx_value *x = onnx_in(m, 0);
	if (!x || x->kind != ONNX_ACT) {
		onnx_error(m, "needs an input");
		return false;
	}
	if (onnx_out(m, 1)) {
		onnx_error(m, "the dropout mask output is not supported");
		return false;
	}
	struct onnx_value *train = !strcmp(m->node->op_type, "Dropout") ? onnx_in(m, 2) : NULL;
	if (train && train->kind != ONNX_CONST) {
		onnx_error(m, "training_mode must be a constant (dlc compiles inference)");
		return false;
	}
	if (train && train->t->numel == 1 && ((int64_t *)train->t->data)[0] != 0) {
		onnx_error(m, "training_mode=true is not supported (inference only)");
		return false;
	}
	onnx_set_act(m, 0, x->ir, &x->type);
	return true;
}

static bool reshape_to(struct onnx_imp *m, struct onnx_value *x, unsigned r, const int64_t *dims)
{
	uint32_t y = onnx_reshape(m, onnx_name_out(m, 0), x->ir, &x->type, r, dims);
	struct ir_type t = x->type;
	t.rank = (uint8_t)r;
	memcpy(t.dims, dims, r * sizeof *dims);
	onnx_set_act(m, 0, y, &t);
	return true;
}

static bool map_reshape(struct onnx_imp *m)
{
	struct onnx_value *x = any_in(m, 0);
	if (!x)
		return false;
	int64_t shape[IR_MAX_RANK], dims[IR_MAX_RANK];
	int n = onnx_const_ints(m, 1, shape, IR_MAX_RANK, "shape");
	if (n < 0 || !onnx_reshape_dims(m, x->type.dims, x->type.rank, shape, (unsigned)n,
	                                onnx_attr_int(m, "allowzero", 0) != 0, dims))
		return false;
	return reshape_to(m, x, (unsigned)n, dims);
}

static bool map_flatten(struct onnx_imp *m)
{
	struct onnx_value *x = any_in(m, 0);
	if (!x)
		return false;
	int64_t dims[2];
	if (!onnx_flatten_dims(m, x->type.dims, x->type.rank, dims))
		return false;
	if (x->type.rank >= 2 && dims[0] == x->type.dims[0] && x->type.rank > 2) {
		uint32_t y = onnx_emit(m, IR_FLATTEN, onnx_name_out(m, 0), &x->ir, 1, NULL);
		struct ir_type t = type_of(2, dims);
		t.dtype = x->type.dtype;
		onnx_set_act(m, 0, y, &t);
		return true;
	}
	return reshape_to(m, x, 2, dims);
}

static bool map_squeeze(struct onnx_imp *m)
{
	struct onnx_value *x = any_in(m, 0);
	if (!x)
		return false;
	int64_t dims[IR_MAX_RANK];
	unsigned r;
	bool sq = !strcmp(m->node->op_type, "Squeeze");
	if (sq ? !onnx_squeeze_dims(m, x->type.dims, x->type.rank, dims, &r)
	       : !onnx_unsqueeze_dims(m, x->type.dims, x->type.rank, dims, &r))
		return false;
	return reshape_to(m, x, r, dims);
}

static bool map_transpose(struct onnx_imp *m)
{
	struct onnx_value *x = any_in(m, 0);
	if (!x)
		return false;
	unsigned r = x->type.rank;
	int64_t perm[IR_MAX_RANK], dims[IR_MAX_RANK];
	int n = onnx_attr_ints(m, "perm", perm, IR_MAX_RANK);
	for (unsigned i = 0; n == -1 && i < r; i++)
		perm[i] = r - 1 - i;
	if (n == -2 || (n >= 0 && (unsigned)n != r)) {
		onnx_error(m, "perm must have %u entries", r);
		return false;
	}
	union ir_attrs at;
	memset(&at, 0, sizeof at);
	at.transpose.rank = (uint8_t)r;
	bool seen[IR_MAX_RANK] = { false }, identity = true;
	for (unsigned i = 0; i < r; i++) {
		if (perm[i] < 0 || perm[i] >= r || seen[perm[i]]) {
			onnx_error(m, "perm is not a permutation of 0..%u", r - 1);
			return false;
		}
		seen[perm[i]] = true;
		identity &= perm[i] == i;
		at.transpose.perm[i] = (uint8_t)perm[i];
		dims[i] = x->type.dims[perm[i]];
	}
	if (identity) {
		onnx_set_act(m, 0, x->ir, &x->type);
		return true;
	}
	uint32_t y = onnx_emit(m, IR_TRANSPOSE, onnx_name_out(m, 0), &x->ir, 1, &at);
	struct ir_type t = type_of(r, dims);
	t.dtype = x->type.dtype;
	onnx_set_act(m, 0, y, &t);
	return true;
}

/* DepthToSpace and SpaceToDepth as reshape, transpose, reshape of a 4-D
 * [N, C, H, W] input through six axes (ONNX's own definition):
 *   DepthToSpace DCR  [N, b, b, C/b^2, H, W]  perm 0 3 4 1 5 2
 *   DepthToSpace CRD  [N, C/b^2, b, b, H, W]  perm 0 1 4 2 5 3
 *   SpaceToDepth      [N, C, H/b, b, W/b, b]  perm 0 3 5 1 2 4 */
static bool map_depth_space(struct onnx_imp *m)
{
	struct onnx_value *x = act_in(m, 0);
	if (!x)
		return false;
	if (x->type.rank != 4) {
		onnx_error(m, "needs a 4-D [N, C, H, W] input");
		return false;
	}
	bool to_space = !strcmp(m->node->op_type, "DepthToSpace");
	int64_t b = onnx_attr_int(m, "blocksize", 0);
	const char *mode = to_space ? onnx_attr_str(m, "mode", "DCR") : "DCR";
	const int64_t *d = x->type.dims, n = d[0], c = d[1], h = d[2], w = d[3];
	if (b < 1 || b > 4096) {
		onnx_error(m, "blocksize must be given, between 1 and 4096");
		return false;
	}
	if (strcmp(mode, "DCR") && strcmp(mode, "CRD")) {
		onnx_error(m, "mode '%s' is not DCR or CRD", mode);
		return false;
	}
	if (to_space && c % (b * b)) {
		onnx_error(m, "%" PRId64 " channels are not a multiple of blocksize^2 = %" PRId64, c,
		           b * b);
		return false;
	}
	if (!to_space && (h % b || w % b)) {
		onnx_error(m, "height %" PRId64 " and width %" PRId64 " must be multiples of "
		           "blocksize %" PRId64, h, w, b);
		return false;
	}
	int64_t cb = c / (b * b);
	int64_t dcr[6] = { n, b, b, cb, h, w }, crd[6] = { n, cb, b, b, h, w };
	int64_t s2d[6] = { n, c, h / b, b, w / b, b };
	static const uint8_t p_dcr[6] = { 0, 3, 4, 1, 5, 2 }, p_crd[6] = { 0, 1, 4, 2, 5, 3 };
	static const uint8_t p_s2d[6] = { 0, 3, 5, 1, 2, 4 };
	bool is_crd = !strcmp(mode, "CRD");
	const int64_t *six = !to_space ? s2d : is_crd ? crd : dcr;
	const uint8_t *perm = !to_space ? p_s2d : is_crd ? p_crd : p_dcr;
	uint32_t y = onnx_reshape(m, onnx_name_tmp(m, "blocks"), x->ir, &x->type, 6, six);
	union ir_attrs at;
	memset(&at, 0, sizeof at);
	at.transpose.rank = 6;
	struct ir_type t = { IR_DT_F32, 6, { 0 } };
	for (unsigned i = 0; i < 6; i++) {
		at.transpose.perm[i] = perm[i];
		t.dims[i] = six[perm[i]];
	}
	y = onnx_emit(m, IR_TRANSPOSE, onnx_name_tmp(m, "moved"), &y, 1, &at);
	int64_t out[4] = { n, to_space ? cb : c * b * b, to_space ? h * b : h / b,
		           to_space ? w * b : w / b };
	y = onnx_reshape(m, onnx_name_out(m, 0), y, &t, 4, out);
	return set_out(m, 0, y, 4, out);
}

/* The scale and output size of each axis of Resize/Upsample: from
 * scales (out = floor(in * scale)) or sizes (scale = out / in). */
static bool resize_params(struct onnx_imp *m, const struct onnx_value *x, float *sc,
                          int64_t *out)
{
	unsigned r = x->type.rank;
	bool upsample = !strcmp(m->node->op_type, "Upsample");
	unsigned k = upsample || m->opset < 11 ? 1 : 2;
	int n = -1;
	const struct onnx_value *s = onnx_in(m, k), *sz = upsample ? NULL : onnx_in(m, 3);
	int64_t want[IR_MAX_RANK];
	bool sizes = false;
	if (upsample && m->opset < 9) {
		n = onnx_attr_floats(m, "scales", sc, IR_MAX_RANK);
	} else if (s && !(s->kind == ONNX_CONST && s->t->numel == 0)) {
		if (s->kind != ONNX_CONST || s->t->dtype != IR_DT_F32 || s->t->numel > r) {
			onnx_error(m, "scales must be a constant float tensor of at most %u values", r);
			return false;
		}
		n = (int)s->t->numel;
		memcpy(sc, s->t->data, (size_t)n * sizeof *sc);
	} else if (sz) {
		if (strcmp(onnx_attr_str(m, "keep_aspect_ratio_policy", "stretch"), "stretch")) {
			onnx_error(m, "keep_aspect_ratio_policy other than stretch is not supported");
			return false;
		}
		n = onnx_const_ints(m, 3, want, IR_MAX_RANK, "sizes");
		sizes = true;
	}
	if (n == -2 || (sizes && n < 0))
		return false;
	if (n != (int)r || onnx_attr_ints(m, "axes", (int64_t[IR_MAX_RANK]){ 0 }, IR_MAX_RANK) >= 0) {
		onnx_error(m, "needs %u scales or sizes (one per axis, no axes attribute)", r);
		return false;
	}
	for (unsigned i = 0; i < r; i++) {
		int64_t in = x->type.dims[i];
		if (sizes) {
			if (want[i] < 1 || want[i] > 4096 * in) {
				onnx_error(m, "size %" PRId64 " of axis %u is not from 1 to 4096 times the "
				           "input's %" PRId64, want[i], i, in);
				return false;
			}
			out[i] = want[i];
			sc[i] = want[i] % in ? 0.0f : (float)(want[i] / in); /* 0: exactly out / in */
			continue;
		}
		if (!(sc[i] > 0.0f && sc[i] <= 4096.0f)) { /* NaN: false */
			onnx_error(m, "scale %g of axis %u is not in (0, 4096]", (double)sc[i], i);
			return false;
		}
		out[i] = (int64_t)floor((double)in * (double)sc[i]);
		if (out[i] < 1) {
			onnx_error(m, "scale %g of axis %u leaves no element of its %" PRId64,
			           (double)sc[i], i, in);
			return false;
		}
	}
	return true;
}

/* x viewed as split[0..r2) (size-1 axes inserted), broadcast to
 * wide[0..r2) and viewed as out[0..r): every element or block repeated
 * (Resize nearest by integer factors, Tile). */
static uint32_t split_repeat(struct onnx_imp *m, const struct onnx_value *x, unsigned r2,
                             const int64_t *split, const int64_t *wide, unsigned r,
                             const int64_t *out)
{
	uint32_t y = onnx_reshape(m, onnx_name_tmp(m, "split"), x->ir, &x->type, r2, split);
	union ir_attrs at;
	memset(&at, 0, sizeof at);
	at.broadcast.rank = (uint8_t)r2;
	memcpy(at.broadcast.dims, wide, r2 * sizeof *wide);
	y = onnx_emit(m, IR_BROADCAST, onnx_name_tmp(m, "repeat"), &y, 1, &at);
	struct ir_type wt = type_of(r2, wide);
	wt.dtype = x->type.dtype;
	return onnx_reshape(m, onnx_name_out(m, 0), y, &wt, r, out);
}

/* Nearest upsampling by whole factors in the modes that copy input pixel
 * floor(o / factor): a broadcast of the input viewed with an axis of size
 * 1 after each scaled one. Returns false (nothing reported) otherwise. */
static bool resize_repeat(struct onnx_imp *m, struct onnx_value *x, const float *sc,
                          const char *ct, const char *nm)
{
	unsigned r = x->type.rank, r2 = 0;
	bool half = !strcmp(ct, "half_pixel") || !strcmp(ct, "pytorch_half_pixel") ||
	            !strcmp(ct, "tf_half_pixel_for_nn");
	bool floor_ok = !strcmp(ct, "asymmetric") && !strcmp(nm, "floor");
	bool round = !strncmp(nm, "round_prefer_", 13);
	int64_t fmax = 1, split[2 * IR_MAX_RANK], wide[2 * IR_MAX_RANK], out[IR_MAX_RANK];
	for (unsigned i = 0; i < r; i++) {
		int64_t f = (int64_t)sc[i];
		if ((float)f != sc[i] || f < 1)
			return false;
		fmax = f > fmax ? f : fmax;
		out[i] = x->type.dims[i] * f;
		split[r2] = wide[r2] = x->type.dims[i];
		r2++;
		if (f > 1) {
			if (r2 == IR_MAX_RANK)
				return false;
			split[r2] = 1, wide[r2] = f;
			r2++;
		}
	}
	/* asymmetric with round_prefer_floor is floor for factors 2 and 1 */
	bool asym_round = !strcmp(ct, "asymmetric") && !strcmp(nm, "round_prefer_floor") && fmax <= 2;
	if (!(half && round) && !floor_ok && !asym_round)
		return false;
	if (fmax == 1)
		onnx_set_act(m, 0, x->ir, &x->type);
	else
		set_out(m, 0, split_repeat(m, x, r2, split, wide, r, out), r, out);
	return true;
}

static bool map_resize(struct onnx_imp *m)
{
	struct onnx_value *x = act_in(m, 0);
	if (!x)
		return false;
	/* Upsample and Resize-10 have no modes: asymmetric, floor */
	bool old = !strcmp(m->node->op_type, "Upsample") || m->opset < 11;
	const char *mode = onnx_attr_str(m, "mode", "nearest");
	const char *ct = old ? "asymmetric"
	                     : onnx_attr_str(m, "coordinate_transformation_mode", "half_pixel");
	const char *nm = old ? "floor" : onnx_attr_str(m, "nearest_mode", "round_prefer_floor");
	union ir_attrs at;
	memset(&at, 0, sizeof at);
	struct ir_resize_attr *a = &at.resize;
	int md = ir_resize_lookup(ir_resize_modes, 3, mode);
	int co = ir_resize_lookup(ir_resize_coords, 5, ct);
	int ro = ir_resize_lookup(ir_resize_rounds, 4, nm);
	if (md < 0 || co < 0 || ro < 0 || onnx_attr_int(m, "antialias", 0)) {
		onnx_error(m, "mode '%s', coordinate_transformation_mode '%s', nearest_mode '%s'%s is "
		           "not supported", mode, ct, nm,
		           onnx_attr_int(m, "antialias", 0) ? " with antialias" : "");
		return false;
	}
	float sc[IR_MAX_RANK];
	if (!resize_params(m, x, sc, a->out))
		return false;
	if (md == IR_RESIZE_NEAREST && resize_repeat(m, x, sc, ct, nm))
		return true;
	a->mode = (uint8_t)md, a->coord = (uint8_t)co, a->nearest = (uint8_t)ro;
	a->cubic_a = onnx_attr_float(m, "cubic_coeff_a", -0.75f);
	a->exclude_outside = onnx_attr_int(m, "exclude_outside", 0) != 0;
	a->rank = x->type.rank;
	memcpy(a->scale, sc, a->rank * sizeof *sc);
	return set_out(m, 0, onnx_emit(m, IR_RESIZE, onnx_name_out(m, 0), &x->ir, 1, &at), a->rank,
	               a->out);
}

static bool map_concat(struct onnx_imp *m)
{
	unsigned n = onnx_nin(m);
	uint32_t *in = arena_array(m->a, n, sizeof *in);
	struct onnx_value *x0 = onnx_in(m, 0);
	unsigned r = x0->kind == ONNX_ACT ? x0->type.rank : x0->t->rank;
	int ax;
	if (!onnx_axis(m, onnx_attr_int(m, "axis", 0), r, &ax))
		return false;
	int64_t dims[IR_MAX_RANK] = { 0 };
	enum ir_dtype dt = IR_DT_F32; /* the first activation's */
	for (unsigned k = n; k-- > 0;) {
		struct onnx_value *v = onnx_in(m, k);
		if (v && v->kind == ONNX_ACT)
			dt = v->type.dtype;
	}
	for (unsigned k = 0; k < n; k++) {
		struct onnx_value *v = onnx_in(m, k);
		const int64_t *d;
		unsigned rk;
		if (!v) {
			onnx_error(m, "input %u is missing", k);
			return false;
		}
		in[k] = onnx_operand(m, dt, v, &d, &rk);
		bool same = rk == r;
		for (unsigned i = 0; same && i < r; i++)
			same = (int)i == ax || k == 0 || d[i] == dims[i];
		if (!same) {
			onnx_error(m, "input %u differs from input 0 in a dim other than axis %d", k, ax);
			return false;
		}
		int64_t sum = dims[ax] + d[ax];
		memcpy(dims, d, r * sizeof *d);
		dims[ax] = sum;
	}
	if (n == 1) {
		onnx_set_act(m, 0, in[0], &x0->type);
		return true;
	}
	union ir_attrs at;
	memset(&at, 0, sizeof at);
	at.axis.axis = ax;
	at.axis.layout = r == 4 ? IR_LAYOUT_NCHW : IR_LAYOUT_NONE;
	struct ir_type t = type_of(r, dims);
	t.dtype = dt;
	onnx_set_act(m, 0, onnx_emit(m, IR_CONCAT, onnx_name_out(m, 0), in, n, &at), &t);
	return true;
}

static uint32_t slice1(struct onnx_imp *m, const char *name, uint32_t x, int axis, int64_t start,
                       int64_t end, int64_t step)
{
	union ir_attrs at;
	memset(&at, 0, sizeof at);
	at.slice = (struct ir_slice_attr){ axis, start, end, step };
	return onnx_emit(m, IR_SLICE, name, &x, 1, &at);
}

static bool map_slice(struct onnx_imp *m)
{
	struct onnx_value *x = any_in(m, 0);
	struct onnx_slice s;
	if (!x || !onnx_slice_params(m, x->type.dims, x->type.rank, &s))
		return false;
	struct ir_type t = x->type;
	uint32_t y = x->ir;
	unsigned last = 0;
	for (unsigned k = 0; k < s.n; k++)
		if (s.len[k] != t.dims[s.axis[k]] || s.step[k] != 1)
			last = k + 1;
	for (unsigned k = 0; k < last; k++) {
		if (s.len[k] == t.dims[s.axis[k]] && s.step[k] == 1)
			continue;
		if (s.len[k] == 0) {
			onnx_error(m, "the slice of axis %d is empty", s.axis[k]);
			return false;
		}
		char suffix[32];
		snprintf(suffix, sizeof suffix, "axis%d", s.axis[k]);
		y = slice1(m, k + 1 == last ? onnx_name_out(m, 0) : onnx_name_tmp(m, suffix), y,
		           s.axis[k], s.start[k], s.end[k], s.step[k]);
		t.dims[s.axis[k]] = s.len[k];
	}
	onnx_set_act(m, 0, y, &t);
	return true;
}

/* Split: one slice per output, sizes from `split` or equal parts. */
static bool map_split(struct onnx_imp *m)
{
	struct onnx_value *x = any_in(m, 0);
	if (!x)
		return false;
	int ax;
	if (!onnx_axis(m, onnx_attr_int(m, "axis", 0), x->type.rank, &ax))
		return false;
	unsigned nout = (unsigned)m->node->n_output;
	int64_t split[64];
	int n = -1;
	if (nout > 64) {
		onnx_error(m, "more than 64 outputs");
		return false;
	}
	if (m->opset < 13)
		n = onnx_attr_ints(m, "split", split, 64);
	else if (onnx_in(m, 1))
		n = onnx_const_ints(m, 1, split, 64, "split");
	if (n == -2 || (m->opset >= 13 && onnx_in(m, 1) && n < 0))
		return false;
	if (n >= 0 && (unsigned)n != nout) {
		onnx_error(m, "split has %d sizes for %u outputs", n, nout);
		return false;
	}
	int64_t dim = x->type.dims[ax], sum = 0, each = (dim + nout - 1) / nout;
	for (unsigned k = 0; n < 0 && k < nout; k++)
		split[k] = k + 1 < nout ? each : dim - each * (nout - 1);
	for (unsigned k = 0; k < nout; k++) {
		/* each in [0, dim], so the sum of at most 64 cannot overflow */
		if (split[k] < 0 || split[k] > dim) {
			onnx_error(m, "split size %" PRId64 " of output %u is outside 0..%" PRId64,
			           split[k], k, dim);
			return false;
		}
		sum += split[k];
	}
	if (sum != dim) {
		onnx_error(m, "split sizes add up to %" PRId64 ", the axis has %" PRId64, sum, dim);
		return false;
	}
	int64_t start = 0;
	for (unsigned k = 0; k < nout; start += split[k], k++) {
		if (!onnx_out(m, k))
			continue;
		struct ir_type t = x->type;
		t.dims[ax] = split[k];
		uint32_t y = slice1(m, onnx_name_out(m, k), x->ir, ax, start, start + split[k], 1);
		onnx_set_act(m, k, y, &t);
	}
	return true;
}

/* Gather: embedding (constant table, id input) or gather on an activation
 * with constant indices (a scalar index drops the axis). */
static bool map_gather(struct onnx_imp *m)
{
	struct onnx_value *data = onnx_in(m, 0), *ind = onnx_in(m, 1);
	if (!ind) {
		onnx_error(m, "needs indices");
		return false;
	}
	if (data->kind == ONNX_CONST) {
		const struct onnx_tensor *w = data->t;
		if (onnx_attr_int(m, "axis", 0) != 0 || w->rank != 2 || w->dtype != IR_DT_F32 ||
		    ind->type.dtype == IR_DT_F32) {
			onnx_error(m, "a constant table needs axis 0, a 2-D float table and integer ids");
			return false;
		}
		union ir_attrs at;
		memset(&at, 0, sizeof at);
		at.index.size = w->dims[0];
		at.index.dim = w->dims[1];
		uint32_t y = onnx_emit(m, IR_EMBEDDING, onnx_name_out(m, 0), &ind->ir, 1, &at);
		m->g->nodes[m->g->vals[y].node].param[0] = onnx_ir_const(m, data->t);
		int64_t dims[IR_MAX_RANK];
		unsigned r = ind->type.rank;
		if (r + 1 > IR_MAX_RANK)
			return false;
		memcpy(dims, ind->type.dims, r * sizeof *dims);
		dims[r] = w->dims[1];
		return set_out(m, 0, y, r + 1, dims);
	}
	if (ind->kind != ONNX_CONST || ind->t->rank > 1) {
		onnx_error(m, "needs constant 0-D or 1-D indices");
		return false;
	}
	int ax;
	if (!onnx_axis(m, onnx_attr_int(m, "axis", 0), data->type.rank, &ax))
		return false;
	union ir_attrs at;
	memset(&at, 0, sizeof at);
	at.gather = (struct ir_gather_attr){ ax, ind->t->numel, ind->t->data };
	bool scalar = ind->t->rank == 0;
	struct ir_type t = data->type;
	t.dims[ax] = ind->t->numel;
	uint32_t y = onnx_emit(m, IR_GATHER, scalar ? onnx_name_tmp(m, "gather") : onnx_name_out(m, 0),
	                       &data->ir, 1, &at);
	if (scalar) { /* the axis dropped: from a vector, a scalar */
		struct ir_type g = t;
		memmove(&t.dims[ax], &t.dims[ax + 1], (t.rank - ax - 1) * sizeof t.dims[0]);
		t.rank--;
		y = onnx_reshape(m, onnx_name_out(m, 0), y, &g, t.rank, t.dims);
	}
	onnx_set_act(m, 0, y, &t);
	return true;
}

/* Range of computed values (constant ones were evaluated): the output's
 * length would depend on the inputs. */
static bool map_range(struct onnx_imp *m)
{
	onnx_error(m, "start, limit and delta must be constants (dlc's shapes are static)");
	return false;
}

/* Tile: x [d0, d1, ...] repeated r_i times along each axis, as a view
 * [.., 1, d_i, ..] with a new axis before each repeated one, a broadcast
 * of those axes to r_i and a view [.., r_i * d_i, ..]. */
static bool map_tile(struct onnx_imp *m)
{
	struct onnx_value *x = any_in(m, 0);
	int64_t reps[IR_MAX_RANK];
	int n = x ? onnx_const_ints(m, 1, reps, IR_MAX_RANK, "repeats") : -1;
	if (n < 0)
		return false;
	unsigned r = x->type.rank, er = 0;
	if ((unsigned)n != r) {
		onnx_error(m, "repeats has %d entries for an input of rank %u", n, r);
		return false;
	}
	int64_t split[IR_MAX_RANK], big[IR_MAX_RANK], dims[IR_MAX_RANK];
	for (unsigned k = 0; k < r; k++) {
		if (reps[k] < 1) {
			onnx_error(m, "repeats[%u] is %lld; dlc needs every repeat >= 1", k,
			           (long long)reps[k]);
			return false;
		}
		if (reps[k] > 1 && x->type.dims[k] > 1) { /* a new axis for the copies */
			if (er + 2 > IR_MAX_RANK) {
				onnx_error(m, "tiling this many axes needs more than %d dimensions",
				           IR_MAX_RANK);
				return false;
			}
			split[er] = 1, big[er++] = reps[k];
		}
		split[er] = x->type.dims[k];
		big[er++] = x->type.dims[k] > 1 ? x->type.dims[k] : reps[k]; /* a 1 stretches */
		if (ckd_mul_i64(&dims[k], x->type.dims[k], reps[k]) || dims[k] > IR_MAX_TENSOR_BYTES) {
			onnx_error(m, "the tiled tensor is too large");
			return false;
		}
	}
	if (!memcmp(dims, x->type.dims, r * sizeof *dims)) {
		onnx_set_act(m, 0, x->ir, &x->type);
		return true;
	}
	uint32_t v = split_repeat(m, x, er, split, big, r, dims);
	struct ir_type t = type_of(r, dims);
	t.dtype = x->type.dtype;
	onnx_set_act(m, 0, v, &t);
	return true;
}

static bool map_expand(struct onnx_imp *m)
{
	struct onnx_value *x = any_in(m, 0);
	int64_t shape[IR_MAX_RANK], dims[IR_MAX_RANK];
	unsigned r;
	int n = x ? onnx_const_ints(m, 1, shape, IR_MAX_RANK, "shape") : -1;
	if (n < 0)
		return false;
	if (!onnx_broadcast(x->type.rank, x->type.dims, (unsigned)n, shape, &r, dims)) {
		onnx_error(m, "cannot expand the input to the shape");
		return false;
	}
	if (r == x->type.rank && !memcmp(dims, x->type.dims, r * sizeof *dims)) {
		onnx_set_act(m, 0, x->ir, &x->type);
		return true;
	}
	union ir_attrs at;
	memset(&at, 0, sizeof at);
	at.broadcast.rank = (uint8_t)n;
	memcpy(at.broadcast.dims, shape, (unsigned)n * sizeof *shape);
	struct ir_type t = type_of(r, dims);
	t.dtype = x->type.dtype;
	onnx_set_act(m, 0, onnx_emit(m, IR_BROADCAST, onnx_name_out(m, 0), &x->ir, 1, &at), &t);
	return true;
}

const struct onnx_op_map onnx_ops_table[] = {
	{ "Relu", map_relu }, { "Sigmoid", map_sigmoid }, { "Tanh", map_tanh },
	{ "LeakyRelu", map_leaky_relu }, { "HardSigmoid", map_hard_sigmoid },
	{ "HardSwish", map_hard_swish }, { "Erf", map_erf }, { "Exp", map_exp }, { "Log", map_log },
	{ "Sqrt", map_sqrt }, { "Neg", map_neg }, { "Abs", map_abs }, { "Clip", map_clip },
	{ "Reciprocal", map_reciprocal }, { "Softplus", map_softplus }, { "Softsign", map_softsign },
	{ "Mish", map_mish }, { "Elu", map_elu }, { "Selu", map_selu }, { "Celu", map_celu },
	{ "ThresholdedRelu", map_thresholded_relu },
	{ "Sin", map_plain_step }, { "Cos", map_plain_step }, { "Tan", map_plain_step },
	{ "Asin", map_plain_step }, { "Acos", map_plain_step }, { "Atan", map_plain_step },
	{ "Sinh", map_plain_step }, { "Cosh", map_plain_step }, { "Asinh", map_plain_step },
	{ "Acosh", map_plain_step }, { "Atanh", map_plain_step }, { "Ceil", map_plain_step },
	{ "Floor", map_plain_step }, { "Round", map_plain_step }, { "Sign", map_plain_step },
	{ "Shrink", map_shrink }, { "Gelu", map_gelu },
	{ "DepthToSpace", map_depth_space }, { "SpaceToDepth", map_depth_space },
	{ "Resize", map_resize }, { "Upsample", map_resize },
	{ "Add", map_binary }, { "Sub", map_binary }, { "Mul", map_binary }, { "Div", map_binary },
	{ "Pow", map_binary }, { "Sum", map_variadic }, { "Mean", map_variadic },
	{ "Min", map_variadic }, { "Max", map_variadic }, { "PRelu", map_binary },
	{ "MatMul", map_matmul }, { "Gemm", map_gemm }, { "Identity", map_identity },
	{ "Dropout", map_identity }, { "Reshape", map_reshape }, { "Flatten", map_flatten },
	{ "Squeeze", map_squeeze }, { "Unsqueeze", map_squeeze }, { "Transpose", map_transpose },
	{ "Concat", map_concat }, { "Slice", map_slice }, { "Split", map_split },
	{ "Gather", map_gather }, { "Expand", map_expand }, { "Tile", map_tile },
	{ "Range", map_range },
	{ NULL, NULL },
};
