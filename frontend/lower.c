/* lower.c - a checked model to IR through the builder (compiler/ir.h).
 *
 * Runs fe_check first; on success every layer statement becomes one node
 * (plus a separate activation node for `activation=`), weight-bearing
 * layers get one constant per parameter slot named `<prefix>.<suffix>`
 * after the weights convention, and types are left unknown for shape
 * inference. A stacked or bidirectional lstm/gru becomes one node per
 * layer and direction, joined by concat (lower_rnn). Lowering itself
 * cannot fail: everything it relies on was checked. */
#include <string.h>

#include "check.h"
#include "frontend.h"
#include "sema.h"

struct lowerer {
	struct ir_graph *g;
	const struct sema *s;
	uint32_t *val; /* fe_ref -> IR value id */
};

#define ARG(l, layer, name) (&(l)->args[FE_ARG_INDEX(layer, name)])

static void copy2(int64_t *dst, const struct fe_arg *a)
{
	dst[0] = a->i[0];
	dst[1] = a->i[1];
}

static void set_pad(int64_t *pad, enum ir_pad_mode *mode, const struct fe_arg *a)
{
	*mode = a->pad_mode;
	if (a->pad_mode == IR_PAD_EXPLICIT)
		memcpy(pad, a->i, 4 * sizeof *pad);
}

static void conv_attrs(const struct sema_layer *l, enum ir_layout layout, union ir_attrs *at)
{
	struct ir_conv_attr *c = &at->conv;
	c->filters = ARG(l, CONV2D, filters)->i[0];
	copy2(c->kernel, ARG(l, CONV2D, kernel));
	copy2(c->stride, ARG(l, CONV2D, stride));
	copy2(c->dilation, ARG(l, CONV2D, dilation));
	set_pad(c->pad, &c->pad_mode, ARG(l, CONV2D, padding));
	c->groups = ARG(l, CONV2D, groups)->i[0];
	c->bias = ARG(l, CONV2D, bias)->i[0] != 0;
	c->layout = layout;
}

static void conv_transpose_attrs(const struct sema_layer *l, enum ir_layout layout,
                                 union ir_attrs *at)
{
	struct ir_conv_attr *c = &at->conv;
	c->filters = ARG(l, CONV2D_TRANSPOSE, filters)->i[0];
	copy2(c->kernel, ARG(l, CONV2D_TRANSPOSE, kernel));
	copy2(c->stride, ARG(l, CONV2D_TRANSPOSE, stride));
	copy2(c->dilation, ARG(l, CONV2D_TRANSPOSE, dilation));
	copy2(c->out_pad, ARG(l, CONV2D_TRANSPOSE, output_padding));
	set_pad(c->pad, &c->pad_mode, ARG(l, CONV2D_TRANSPOSE, padding));
	c->groups = ARG(l, CONV2D_TRANSPOSE, groups)->i[0];
	c->bias = ARG(l, CONV2D_TRANSPOSE, bias)->i[0] != 0;
	c->layout = layout;
}

/* maxpool2d and avgpool2d share their parameter order. */
static void pool_attrs(const struct sema_layer *l, enum ir_layout layout, union ir_attrs *at)
{
	_Static_assert(FE_ARG_INDEX(MAXPOOL2D, pool) == FE_ARG_INDEX(AVGPOOL2D, pool) &&
	                   FE_ARG_INDEX(MAXPOOL2D, stride) == FE_ARG_INDEX(AVGPOOL2D, stride) &&
	                   FE_ARG_INDEX(MAXPOOL2D, padding) == FE_ARG_INDEX(AVGPOOL2D, padding),
	               "pool parameters differ");
	struct ir_pool_attr *p = &at->pool;
	const struct fe_arg *stride = ARG(l, MAXPOOL2D, stride);
	copy2(p->kernel, ARG(l, MAXPOOL2D, pool));
	copy2(p->stride, stride->given ? stride : ARG(l, MAXPOOL2D, pool));
	set_pad(p->pad, &p->pad_mode, ARG(l, MAXPOOL2D, padding));
	if (l->id == FE_LAYER_AVGPOOL2D) {
		p->count_include_pad = ARG(l, AVGPOOL2D, count_include_pad)->i[0] != 0;
		p->ceil_mode = ARG(l, AVGPOOL2D, ceil_mode)->i[0] != 0;
	} else {
		p->ceil_mode = ARG(l, MAXPOOL2D, ceil_mode)->i[0] != 0;
	}
	p->layout = layout;
}

static void normalize_attrs(struct arena *a, const struct sema_layer *l, enum ir_layout layout,
                            union ir_attrs *at)
{
	const struct fe_arg *mean = ARG(l, NORMALIZE, mean), *std = ARG(l, NORMALIZE, std);
	unsigned n = mean->n > std->n ? mean->n : std->n;
	float *m = arena_array(a, n, sizeof *m), *s = arena_array(a, n, sizeof *s);
	for (unsigned i = 0; i < n; i++) {
		m[i] = mean->fs[mean->n == 1 ? 0 : i];
		s[i] = std->fs[std->n == 1 ? 0 : i];
	}
	at->norm = (struct ir_normalize_attr){ IR_AXIS_CHANNEL, layout, n, m, s };
}

static void one_step(union ir_attrs *at, enum ir_step_kind kind, double a, double b)
{
	at->eltwise.nsteps = 1;
	at->eltwise.steps[0] = (struct ir_eltwise_step){ kind, (float)a, (float)b };
}

/* The eltwise step spelled `name` (layers.def and ir_steps.def agree). */
static enum ir_step_kind step_named(const char *name)
{
	for (int k = IR_STEP_NONE + 1; k < IR_STEP_COUNT; k++)
		if (!strcmp(ir_step_table[k].name, name))
			return (enum ir_step_kind)k;
	DLC_UNREACHABLE("an eltwise layer without a step of its name");
}

/* The tensor layers added for ONNX import (lists were length-checked). */
static void tensor_attrs(const struct sema_layer *l, union ir_attrs *at)
{
	const struct fe_arg *a;
	switch (l->id) {
	case FE_LAYER_SUB: at->binary.op = IR_BINOP_SUB; break;
	case FE_LAYER_MUL: at->binary.op = IR_BINOP_MUL; break;
	case FE_LAYER_DIV: at->binary.op = IR_BINOP_DIV; break;
	case FE_LAYER_POW: at->binary.op = IR_BINOP_POW; break;
	case FE_LAYER_MIN: at->binary.op = IR_BINOP_MIN; break;
	case FE_LAYER_MAX: at->binary.op = IR_BINOP_MAX; break;
	case FE_LAYER_PRELU: at->binary.op = IR_BINOP_PRELU; break;
	case FE_LAYER_LEAKY_RELU:
		one_step(at, IR_STEP_LEAKY_RELU, ARG(l, LEAKY_RELU, alpha)->f, 0);
		break;
	case FE_LAYER_HARD_SIGMOID:
		one_step(at, IR_STEP_HARD_SIGMOID, ARG(l, HARD_SIGMOID, alpha)->f,
		         ARG(l, HARD_SIGMOID, beta)->f);
		break;
	case FE_LAYER_HARD_SWISH: one_step(at, IR_STEP_HARD_SWISH, 1.0 / 6.0, 0.5); break;
	case FE_LAYER_ELU: one_step(at, IR_STEP_ELU, ARG(l, ELU, alpha)->f, 0); break;
	case FE_LAYER_SELU:
		one_step(at, IR_STEP_SELU, ARG(l, SELU, alpha)->f, ARG(l, SELU, gamma)->f);
		break;
	case FE_LAYER_CELU: one_step(at, IR_STEP_CELU, ARG(l, CELU, alpha)->f, 0); break;
	case FE_LAYER_THRESHOLDED_RELU:
		one_step(at, IR_STEP_THRESHOLDED_RELU, ARG(l, THRESHOLDED_RELU, alpha)->f, 0);
		break;
	case FE_LAYER_SHRINK:
		one_step(at, IR_STEP_SHRINK, ARG(l, SHRINK, lambd)->f, ARG(l, SHRINK, bias)->f);
		break;
	case FE_LAYER_SLICE:
		at->slice.axis = (int)ARG(l, SLICE, axis)->i[0];
		at->slice.start = ARG(l, SLICE, start)->i[0];
		at->slice.end = ARG(l, SLICE, end)->i[0];
		at->slice.step = ARG(l, SLICE, step)->i[0];
		break;
	case FE_LAYER_PAD:
		a = ARG(l, PAD, pads);
		at->pad_nd.npads = (uint8_t)a->n;
		memcpy(at->pad_nd.pads, a->is, a->n * sizeof *a->is);
		at->pad_nd.value = (float)ARG(l, PAD, value)->f;
		break;
	case FE_LAYER_TRANSPOSE:
		a = ARG(l, TRANSPOSE, perm);
		at->transpose.rank = (uint8_t)a->n;
		/* the check bounds n by the rank; the second bound is for gcc -O3 */
		for (unsigned k = 0; k < a->n && k < sizeof at->transpose.perm; k++)
			at->transpose.perm[k] = (uint8_t)a->is[k];
		break;
	case FE_LAYER_BROADCAST:
		a = ARG(l, BROADCAST, dims);
		at->broadcast.rank = (uint8_t)a->n;
		memcpy(at->broadcast.dims, a->is, a->n * sizeof *a->is);
		break;
	case FE_LAYER_GATHER:
		a = ARG(l, GATHER, indices);
		at->gather.axis = (int)ARG(l, GATHER, axis)->i[0];
		at->gather.nidx = a->n;
		at->gather.idx = a->is;
		break;
	default:
		if (ir_op_is_reduce(fe_layers[l->id].op)) {
			/* every reduction has reduce_mean's parameters */
			a = ARG(l, REDUCE_MEAN, axes);
			at->reduce.naxes = (uint8_t)a->n;
			for (unsigned k = 0; k < a->n; k++)
				at->reduce.axes[k] = (int)a->is[k];
			at->reduce.keepdims = ARG(l, REDUCE_MEAN, keepdims)->i[0] != 0;
		}
		/* an elementwise layer without numbers is the step of its name
		 * (ir_steps.def: exp, log, sqrt, neg, abs, erf, ...) */
		if (fe_layers[l->id].op == IR_ELTWISE)
			one_step(at, step_named(fe_layers[l->id].name), 0, 0);
		break; /* matmul: no attributes */
	}
}

/* The typed layers: integer and bool logic, comparisons, casts. */
static void typed_attrs(const struct sema_layer *l, union ir_attrs *at)
{
	static const struct {
		enum fe_layer_id id;
		enum ir_binop op;
	} binops[] = {
		{ FE_LAYER_MOD, IR_BINOP_MOD }, { FE_LAYER_FMOD, IR_BINOP_FMOD },
		{ FE_LAYER_AND, IR_BINOP_AND }, { FE_LAYER_OR, IR_BINOP_OR },
		{ FE_LAYER_XOR, IR_BINOP_XOR },
	};
	static const struct {
		enum fe_layer_id id;
		enum ir_cmp op;
	} cmps[] = {
		{ FE_LAYER_EQUAL, IR_CMP_EQ }, { FE_LAYER_NOT_EQUAL, IR_CMP_NE },
		{ FE_LAYER_LESS, IR_CMP_LT },  { FE_LAYER_LESS_EQUAL, IR_CMP_LE },
		{ FE_LAYER_GREATER, IR_CMP_GT }, { FE_LAYER_GREATER_EQUAL, IR_CMP_GE },
	};
	for (unsigned k = 0; k < sizeof binops / sizeof binops[0]; k++)
		if (binops[k].id == l->id)
			at->binary.op = binops[k].op;
	for (unsigned k = 0; k < sizeof cmps / sizeof cmps[0]; k++)
		if (cmps[k].id == l->id)
			at->compare.op = cmps[k].op;
	if (l->id == FE_LAYER_CAST)
		at->cast.to = ARG(l, CAST, to)->dtype;
	if (l->id == FE_LAYER_GATHER_ELEMENTS)
		at->gather_elements.axis = (int)ARG(l, GATHER_ELEMENTS, axis)->i[0];
	if (l->id == FE_LAYER_RESIZE) { /* the words and counts were checked */
		struct ir_resize_attr *r = &at->resize;
		const struct fe_arg *size = ARG(l, RESIZE, size), *sc = ARG(l, RESIZE, scales);
		r->mode = (uint8_t)ir_resize_lookup(ir_resize_modes, 3, ARG(l, RESIZE, mode)->s);
		r->coord = (uint8_t)ir_resize_lookup(ir_resize_coords, 5, ARG(l, RESIZE, coord)->s);
		r->nearest = (uint8_t)ir_resize_lookup(ir_resize_rounds, 4, ARG(l, RESIZE, nearest)->s);
		r->cubic_a = (float)ARG(l, RESIZE, cubic_a)->f;
		r->exclude_outside = ARG(l, RESIZE, exclude_outside)->i[0] != 0;
		r->rank = (uint8_t)size->n;
		for (unsigned k = 0; k < size->n && k < IR_MAX_RANK; k++) {
			r->out[k] = size->is[k];
			r->scale[k] = sc->n == size->n ? sc->fs[k] : 0; /* 0: shape inference */
		}
	}
	if (l->id == FE_LAYER_TOPK)
		at->topk = (struct ir_topk_attr){ (int)ARG(l, TOPK, axis)->i[0], ARG(l, TOPK, k)->i[0],
			                          ARG(l, TOPK, largest)->i[0] != 0 };
	if (l->id == FE_LAYER_CUMSUM)
		at->cumsum = (struct ir_cumsum_attr){ (int)ARG(l, CUMSUM, axis)->i[0],
			                              ARG(l, CUMSUM, exclusive)->i[0] != 0,
			                              ARG(l, CUMSUM, reverse)->i[0] != 0 };
	if (l->id == FE_LAYER_ARGMAX || l->id == FE_LAYER_ARGMIN) {
		/* argmin has argmax's parameters */
		at->arg.axis = (int)ARG(l, ARGMAX, axis)->i[0];
		at->arg.keepdims = ARG(l, ARGMAX, keepdims)->i[0] != 0;
		at->arg.last = ARG(l, ARGMAX, last)->i[0] != 0;
	}
}

/* The attributes of layer l; layouts are the model's. */
static void layer_attrs(struct arena *a, const struct sema_layer *l, enum ir_layout layout,
                        union ir_attrs *at)
{
	memset(at, 0, sizeof *at);
	switch (l->id) {
	case FE_LAYER_CONV2D: conv_attrs(l, layout, at); break;
	case FE_LAYER_CONV2D_TRANSPOSE: conv_transpose_attrs(l, layout, at); break;
	case FE_LAYER_DENSE:
		at->dense.units = ARG(l, DENSE, units)->i[0];
		at->dense.bias = ARG(l, DENSE, bias)->i[0] != 0;
		break;
	case FE_LAYER_MAXPOOL2D:
	case FE_LAYER_AVGPOOL2D: pool_attrs(l, layout, at); break;
	case FE_LAYER_GLOBAL_AVGPOOL: at->axis.layout = layout; break;
	case FE_LAYER_RESHAPE: {
		const struct fe_arg *shape = ARG(l, RESHAPE, shape);
		at->reshape.rank = (uint8_t)(shape->n + 1);
		at->reshape.dims[0] = ARG(l, RESHAPE, batch)->i[0]; /* 0: keep */
		memcpy(&at->reshape.dims[1], shape->i, shape->n * sizeof shape->i[0]);
		break;
	}
	case FE_LAYER_SOFTMAX:
		at->axis.axis = (int)ARG(l, SOFTMAX, axis)->i[0];
		at->axis.layout = layout;
		break;
	case FE_LAYER_BATCHNORM:
		at->bn.epsilon = (float)ARG(l, BATCHNORM, epsilon)->f;
		at->bn.axis = (int)ARG(l, BATCHNORM, axis)->i[0];
		at->bn.layout = layout;
		break;
	case FE_LAYER_ATTENTION:
		at->attention.heads = (int32_t)ARG(l, ATTENTION, heads)->i[0];
		at->attention.causal = ARG(l, ATTENTION, causal)->i[0] != 0;
		at->attention.scale = (float)ARG(l, ATTENTION, scale)->f;
		break;
	case FE_LAYER_LAYER_NORM:
		at->bn.epsilon = (float)ARG(l, LAYER_NORM, epsilon)->f;
		at->bn.axis = (int)ARG(l, LAYER_NORM, axis)->i[0];
		at->bn.layout = layout;
		break;
	case FE_LAYER_DROPOUT: at->dropout.rate = (float)ARG(l, DROPOUT, rate)->f; break;
	case FE_LAYER_CONCAT:
		at->axis.axis = (int)ARG(l, CONCAT, axis)->i[0];
		at->axis.layout = layout;
		break;
	case FE_LAYER_RESCALE:
		at->rescale.scale = (float)ARG(l, RESCALE, scale)->f;
		at->rescale.offset = (float)ARG(l, RESCALE, offset)->f;
		break;
	case FE_LAYER_NORMALIZE: normalize_attrs(a, l, layout, at); break;
	case FE_LAYER_ZEROPAD2D:
		memcpy(at->pad.pad, ARG(l, ZEROPAD2D, padding)->i, 4 * sizeof at->pad.pad[0]);
		at->pad.layout = layout;
		break;
	case FE_LAYER_CLIP:
		at->clip.min = (float)ARG(l, CLIP, min)->f;
		at->clip.max = (float)ARG(l, CLIP, max)->f;
		break;
	case FE_LAYER_RELU6: at->clip = (struct ir_clip_attr){ 0.0f, 6.0f }; break;
	case FE_LAYER_EMBEDDING:
		at->index.size = ARG(l, EMBEDDING, vocab)->i[0];
		at->index.dim = ARG(l, EMBEDDING, dim)->i[0];
		break;
	case FE_LAYER_ONEHOT: at->index.size = ARG(l, ONEHOT, classes)->i[0]; break;
	case FE_LAYER_TIMESTEP: at->select.index = ARG(l, TIMESTEP, index)->i[0]; break;
	case FE_LAYER_LAST: at->select.index = -1; break;
	case FE_LAYER_LSTM:
	case FE_LAYER_GRU: break; /* per layer and direction: lower_rnn */
	case FE_LAYER_LOG_SOFTMAX:
		at->axis.axis = (int)ARG(l, LOG_SOFTMAX, axis)->i[0];
		at->axis.layout = layout;
		at->axis.log = true;
		break;
	case FE_LAYER_SUB:
	case FE_LAYER_MUL:
	case FE_LAYER_DIV:
	case FE_LAYER_POW:
	case FE_LAYER_MIN:
	case FE_LAYER_MAX:
	case FE_LAYER_PRELU:
	case FE_LAYER_MATMUL:
	case FE_LAYER_LEAKY_RELU:
	case FE_LAYER_HARD_SIGMOID:
	case FE_LAYER_HARD_SWISH:
	case FE_LAYER_SILU:
	case FE_LAYER_EXP:
	case FE_LAYER_LOG:
	case FE_LAYER_SQRT:
	case FE_LAYER_NEG:
	case FE_LAYER_ABS:
	case FE_LAYER_ERF:
	case FE_LAYER_RECIPROCAL:
	case FE_LAYER_ELU:
	case FE_LAYER_SELU:
	case FE_LAYER_CELU:
	case FE_LAYER_SOFTPLUS:
	case FE_LAYER_SOFTSIGN:
	case FE_LAYER_MISH:
	case FE_LAYER_THRESHOLDED_RELU:
	case FE_LAYER_GELU:
	case FE_LAYER_GELU_TANH:
	case FE_LAYER_SIN:
	case FE_LAYER_COS:
	case FE_LAYER_TAN:
	case FE_LAYER_ASIN:
	case FE_LAYER_ACOS:
	case FE_LAYER_ATAN:
	case FE_LAYER_SINH:
	case FE_LAYER_COSH:
	case FE_LAYER_ASINH:
	case FE_LAYER_ACOSH:
	case FE_LAYER_ATANH:
	case FE_LAYER_CEIL:
	case FE_LAYER_FLOOR:
	case FE_LAYER_ROUND:
	case FE_LAYER_SIGN:
	case FE_LAYER_SHRINK:
	case FE_LAYER_REDUCE_MEAN:
	case FE_LAYER_REDUCE_SUM:
	case FE_LAYER_REDUCE_MAX:
	case FE_LAYER_REDUCE_MIN:
	case FE_LAYER_REDUCE_PROD:
	case FE_LAYER_REDUCE_L1:
	case FE_LAYER_REDUCE_L2:
	case FE_LAYER_REDUCE_SUM_SQUARE:
	case FE_LAYER_REDUCE_LOG_SUM:
	case FE_LAYER_REDUCE_LOG_SUM_EXP:
	case FE_LAYER_SLICE:
	case FE_LAYER_PAD:
	case FE_LAYER_TRANSPOSE:
	case FE_LAYER_BROADCAST:
	case FE_LAYER_GATHER: tensor_attrs(l, at); break;
	case FE_LAYER_MOD:
	case FE_LAYER_FMOD:
	case FE_LAYER_AND:
	case FE_LAYER_OR:
	case FE_LAYER_XOR:
	case FE_LAYER_EQUAL:
	case FE_LAYER_NOT_EQUAL:
	case FE_LAYER_LESS:
	case FE_LAYER_LESS_EQUAL:
	case FE_LAYER_GREATER:
	case FE_LAYER_GREATER_EQUAL:
	case FE_LAYER_CAST:
	case FE_LAYER_GATHER_ELEMENTS:
	case FE_LAYER_CUMSUM:
	case FE_LAYER_TOPK:
	case FE_LAYER_RESIZE:
	case FE_LAYER_ARGMAX:
	case FE_LAYER_ARGMIN: typed_attrs(l, at); break;
	case FE_LAYER_NOT:
	case FE_LAYER_WHERE:
	case FE_LAYER_CONSTANT: /* a value, not a node: lower_constant */
	case FE_LAYER_FLATTEN:
	case FE_LAYER_RELU:
	case FE_LAYER_SIGMOID:
	case FE_LAYER_TANH:
	case FE_LAYER_ADD: break;
	case FE_LAYER_NONE:
	case FE_LAYER_COUNT: DLC_UNREACHABLE("lowering an unchecked layer");
	}
}

/* The activation requested with `activation=`, or IR_OP_NONE. */
static enum ir_op layer_activation(const struct sema_layer *l)
{
	if (l->id == FE_LAYER_CONV2D)
		return ARG(l, CONV2D, activation)->op;
	if (l->id == FE_LAYER_DENSE)
		return ARG(l, DENSE, activation)->op;
	if (l->id == FE_LAYER_CONV2D_TRANSPOSE)
		return ARG(l, CONV2D_TRANSPOSE, activation)->op;
	return IR_OP_NONE;
}

/* One constant per parameter slot; the optional bias only with bias=true. */
static void add_params(struct lowerer *lw, const struct sema_layer *l, enum ir_op op,
                       const union ir_attrs *at, uint32_t *param)
{
	struct ir_graph *g = lw->g;
	bool conv = op == IR_CONV2D || op == IR_CONV_TRANSPOSE;
	bool bias = conv ? at->conv.bias : op == IR_DENSE ? at->dense.bias : true;
	bool keras = lw->s->weights.convention == IR_CONV_KERAS;
	for (unsigned k = 0; k < IR_MAX_PARAMS; k++) {
		param[k] = IR_NONE;
		const struct ir_param_info *pi =
		    k < ir_op_table[op].nparams ? ir_param_info(op, k) : NULL;
		if (!pi || (pi->optional && !bias))
			continue;
		struct ir_type unknown = { 0 };
		const char *key =
		    arena_printf(g->arena, "%s.%s", l->prefix, keras ? pi->keras : pi->pytorch);
		param[k] = ir_add_const(g, key, unknown, NULL, l->stmt->loc);
	}
}

/* The weight constants of layer j, direction dir (1 = backward) of a
 * recurrent statement. PyTorch: `<p>.weight_ih_l<j>[_reverse]` and so on;
 * Keras: `<p>[.l<j>][.forward|.backward].kernel`, `.l<j>` only when
 * stacked and the direction only when bidirectional; its bias fills slots
 * 2 and 3 (the second constant `<..>.bias:hh` is made from it by
 * bind-weights). */
static void rnn_params(struct lowerer *lw, const struct sema_layer *l, enum ir_op op,
                       unsigned j, unsigned dir, uint32_t *param)
{
	struct ir_graph *g = lw->g;
	bool bias = ARG(l, LSTM, bias)->i[0] != 0;
	bool bidi = ARG(l, LSTM, bidirectional)->i[0] != 0;
	bool stacked = ARG(l, LSTM, num_layers)->i[0] > 1;
	bool keras = lw->s->weights.convention == IR_CONV_KERAS;
	const char *sub = l->prefix;
	if (keras && stacked)
		sub = arena_printf(g->arena, "%s.l%u", sub, j);
	if (keras && bidi)
		sub = arena_printf(g->arena, "%s.%s", sub, dir ? "backward" : "forward");
	for (unsigned k = 0; k < IR_MAX_PARAMS; k++) {
		const struct ir_param_info *pi = ir_param_info(op, k);
		param[k] = IR_NONE;
		if (pi->optional && !bias)
			continue;
		const char *key = keras ? arena_printf(g->arena, "%s.%s", sub, pi->keras)
		                        : arena_printf(g->arena, "%s.%s_l%u%s", sub, pi->pytorch, j,
		                                       dir ? "_reverse" : "");
		param[k] = ir_add_const(g, key, (struct ir_type){ 0 }, NULL, l->stmt->loc);
	}
}

/* lstm/gru: layer j reads layer j-1's whole sequence; every layer but the
 * last returns sequences. Nodes are named `<name>.l<j>` and
 * `<name>.l<j>_reverse`, directions joined by `<name>.l<j>.concat` on the
 * feature axis; the statement's final value is always named `<name>`. */
static void lower_rnn(struct lowerer *lw, uint32_t k)
{
	_Static_assert(FE_ARG_INDEX(LSTM, units) == FE_ARG_INDEX(GRU, units) &&
	                   FE_ARG_INDEX(LSTM, return_sequences) ==
	                       FE_ARG_INDEX(GRU, return_sequences) &&
	                   FE_ARG_INDEX(LSTM, bidirectional) == FE_ARG_INDEX(GRU, bidirectional) &&
	                   FE_ARG_INDEX(LSTM, bias) == FE_ARG_INDEX(GRU, bias),
	               "recurrent parameters differ");
	struct ir_graph *g = lw->g;
	const struct sema_layer *l = &lw->s->layers[k];
	enum ir_op op = fe_layers[l->id].op;
	bool bidi = ARG(l, LSTM, bidirectional)->i[0] != 0;
	unsigned layers = (unsigned)ARG(l, LSTM, num_layers)->i[0], ndir = bidi ? 2 : 1;
	uint32_t x = lw->val[l->in[0]];
	for (unsigned j = 0; j < layers; j++) {
		bool last = j + 1 == layers;
		uint32_t out[2];
		for (unsigned dir = 0; dir < ndir; dir++) {
			union ir_attrs at;
			memset(&at, 0, sizeof at);
			at.rnn.units = ARG(l, LSTM, units)->i[0];
			at.rnn.return_sequences = !last || ARG(l, LSTM, return_sequences)->i[0];
			at.rnn.reverse = dir == 1;
			uint32_t param[IR_MAX_PARAMS];
			rnn_params(lw, l, op, j, dir, param);
			const char *name = last && !bidi ? l->name
			                                 : arena_printf(g->arena, "%s.l%u%s", l->name, j,
			                                                dir ? "_reverse" : "");
			uint32_t id = ir_add_node(g, op, name, &x, 1, &at, l->stmt->loc);
			memcpy(ir_node(g, id)->param, param, sizeof param);
			out[dir] = ir_node(g, id)->out;
		}
		x = out[0];
		if (bidi) {
			union ir_attrs ca;
			memset(&ca, 0, sizeof ca);
			ca.axis.axis = IR_AXIS_LAST;
			ca.axis.layout = lw->s->layout;
			const char *name = last ? l->name : arena_printf(g->arena, "%s.l%u.concat", l->name, j);
			x = ir_node(g, ir_add_node(g, IR_CONCAT, name, out, 2, &ca, l->stmt->loc))->out;
		}
	}
	lw->val[lw->s->ninputs + k] = x;
}

/* `x = constant(f32[...])`: a constant value keyed `params` (default the
 * statement's name) bound from the weights file, or filled with value=. */
static void lower_constant(struct lowerer *lw, uint32_t k)
{
	struct ir_graph *g = lw->g;
	const struct sema_layer *l = &lw->s->layers[k];
	const struct fe_arg *t = ARG(l, CONSTANT, type), *value = ARG(l, CONSTANT, value);
	struct ir_type type = { t->dtype, (uint8_t)t->n, { 0 } };
	memcpy(type.dims, t->i, t->n * sizeof *t->i);
	unsigned char *data = NULL;
	if (value->given) { /* integers: the value toward zero (checked integral) */
		int64_t n = ir_type_numel(&type), es = (int64_t)ir_dtype_size(type.dtype);
		float f = (float)value->f;
		int64_t iv = type.dtype == IR_DT_BOOL ? value->f != 0 : (int64_t)value->f;
		data = arena_alloc(g->arena, (size_t)(n * es));
		for (int64_t i = 0; i < n; i++)
			memcpy(data + i * es, type.dtype == IR_DT_F32 ? (const void *)&f : &iv,
			       (size_t)es); /* an integer's low bytes: little-endian */
	}
	lw->val[lw->s->ninputs + k] = ir_add_const(g, l->prefix, type, data, l->stmt->loc);
}

static void lower_layer(struct lowerer *lw, uint32_t k)
{
	struct ir_graph *g = lw->g;
	const struct sema_layer *l = &lw->s->layers[k];
	enum ir_op op = fe_layers[l->id].op;
	if (op == IR_LSTM || op == IR_GRU) {
		lower_rnn(lw, k);
		return;
	}
	if (l->id == FE_LAYER_CONSTANT) {
		lower_constant(lw, k);
		return;
	}
	union ir_attrs at;
	layer_attrs(g->arena, l, lw->s->layout, &at);
	uint32_t param[IR_MAX_PARAMS];
	add_params(lw, l, op, &at, param);
	uint32_t *in = arena_array(g->arena, l->nin, sizeof *in);
	for (uint32_t i = 0; i < l->nin; i++)
		in[i] = lw->val[l->in[i]];
	uint32_t id = ir_add_node(g, op, l->name, in, l->nin, &at, l->stmt->loc);
	memcpy(ir_node(g, id)->param, param, sizeof param);
	uint32_t out = ir_node(g, id)->out;

	enum ir_op act = layer_activation(l);
	if (act != IR_OP_NONE) {
		union ir_attrs aa;
		memset(&aa, 0, sizeof aa);
		aa.axis.axis = IR_AXIS_LAST;
		aa.axis.layout = lw->s->layout;
		const char *name = arena_printf(g->arena, "%s.%s", l->name, ir_op_table[act].name);
		uint32_t aid = ir_add_node(g, act, name, &out, 1, &aa, l->stmt->loc);
		out = ir_node(g, aid)->out;
	}
	lw->val[lw->s->ninputs + k] = out;
}

/* The weights path relative to the model file's directory. */
static const char *join_path(struct arena *a, const char *dir, const char *path)
{
	if (path[0] == '/' || !dir || !dir[0] || !strcmp(dir, "."))
		return path;
	size_t n = strlen(dir);
	return arena_printf(a, "%s%s%s", dir, dir[n - 1] == '/' ? "" : "/", path);
}

struct ir_graph *fe_lower(struct arena *a, struct diag *d, const struct ast_model *m,
                          const char *model_dir)
{
	if (!m)
		return NULL;
	struct sema s;
	if (!fe_check(a, d, m, &s))
		return NULL;
	struct ir_graph *g = ir_graph_new(a, s.name);
	struct lowerer lw = { g, &s, arena_array(a, s.ninputs + s.nlayers + 1, sizeof(uint32_t)) };
	for (uint32_t i = 0; i < s.ninputs; i++) {
		const struct sema_input *in = &s.inputs[i];
		lw.val[i] = ir_add_input(g, in->name, in->type, in->layout, in->stmt->loc);
	}
	g->weights = s.weights;
	if (g->weights.kind == IR_WEIGHTS_FILE)
		g->weights.path = join_path(a, model_dir, g->weights.path);
	for (uint32_t k = 0; k < s.nlayers; k++)
		lower_layer(&lw, k);
	for (uint32_t i = 0; i < s.noutputs; i++)
		ir_add_output(g, lw.val[s.outputs[i]]);
	return g;
}
