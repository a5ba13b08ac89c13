/* ir.c - the IR builder, type helpers and the op table.
 *
 * Values and nodes live in arena arrays that double when full; ids stay
 * valid, pointers do not survive an ir_add_* call. */
#include "ir.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "check.h"

#define IR_OP(id, name, min_in, max_in, nparams, flags, attrs, shape, interp, lower, layout, \
              params, step, dl)                                                             \
	extern const struct ir_attrs_kind ir_attrs_##attrs;
#include "ir_ops.def"

/* The weight slots of the params column; none is for ops without weights
 * (nparams 0: its one entry is never read). */
static const struct ir_param_info ir_params_none[1];
static const struct ir_param_info ir_params_conv_dense[] = {
	{ "weight", "kernel", false },
	{ "bias", "bias", true },
};
static const struct ir_param_info ir_params_scale_bias[] = {
	{ "scale", "scale", false },
	{ "bias", "bias", false },
};
/* nn.LayerNorm's weight and bias (Keras: gamma, beta). */
static const struct ir_param_info ir_params_layer_norm[] = {
	{ "weight", "gamma", false },
	{ "bias", "beta", false },
};
static const struct ir_param_info ir_params_batchnorm[] = {
	{ "weight", "gamma", false },
	{ "bias", "beta", false },
	{ "running_mean", "moving_mean", false },
	{ "running_var", "moving_variance", false },
};

/* Recurrent layers: the PyTorch suffix is completed by the layer index
 * and direction ("weight_ih" -> "weight_ih_l1_reverse", lower.c); the
 * Keras bias of slot 2 also fills slot 3 ("bias:hh", pass_bind_weights.c). */
static const struct ir_param_info ir_params_rnn[] = {
	{ "weight_ih", "kernel", false },
	{ "weight_hh", "recurrent_kernel", false },
	{ "bias_ih", "bias", true },
	{ "bias_hh", "bias:hh", true },
};
static const struct ir_param_info ir_params_embedding[] = {
	{ "weight", "embeddings", false },
};

/* Each params array has the nparams entries its rows declare. */
#define IR_OP(id, name, min_in, max_in, nparams, flags, attrs, shape, interp, lower, layout, \
              params, step, dl)                                                             \
	_Static_assert(sizeof ir_params_##params / sizeof ir_params_##params[0] ==               \
	                   (nparams ? nparams : 1),                                                \
	               #id ": the params column does not list nparams slots");
#include "ir_ops.def"

const struct ir_op_info ir_op_table[IR_OP_COUNT] = {
	[IR_OP_NONE] = { "none", 0, 0, 0, 0, &ir_attrs_none, ir_params_none, IR_STEP_NONE },
#define IR_OP(id, name, min_in, max_in, nparams, flags, attrs, shape, interp, lower, layout, \
              params, step, dl)                                                             \
	[IR_##id] = { name, min_in, max_in, nparams, flags, &ir_attrs_##attrs, ir_params_##params, \
		      IR_STEP_##step },
#include "ir_ops.def"
};

const struct ir_step_info ir_step_table[IR_STEP_COUNT] = {
	[IR_STEP_NONE] = { "?", 0 },
#define IR_STEP(id, name, nargs, fn) [IR_STEP_##id] = { name, nargs },
#include "ir_steps.def"
};

const struct ir_param_info *ir_param_info(enum ir_op op, unsigned slot)
{
	DLC_ASSERT(op < IR_OP_COUNT);
	return slot < ir_op_table[op].nparams ? &ir_op_table[op].params[slot] : NULL;
}

struct ir_eltwise_step ir_node_step(const struct ir_node *n)
{
	const struct ir_op_info *op = &ir_op_table[n->op];
	struct ir_eltwise_step s = { op->step, 0, 0 };
	if (op->step != IR_STEP_NONE && op->attrs->step_args)
		op->attrs->step_args(n, &s);
	return s;
}

unsigned ir_node_steps(const struct ir_node *n, struct ir_eltwise_step *out)
{
	if (n->op == IR_ELTWISE) {
		const struct ir_eltwise_attr *a = &n->attr.eltwise;
		DLC_ASSERT(a->nsteps <= IR_MAX_STEPS);
		for (unsigned k = 0; k < a->nsteps; k++)
			out[k] = a->steps[k];
		return a->nsteps;
	}
	out[0] = ir_node_step(n);
	return out[0].kind != IR_STEP_NONE;
}

struct ir_graph *ir_graph_new(struct arena *a, const char *name)
{
	struct ir_graph *g = arena_alloc(a, sizeof *g);
	g->arena = a;
	g->name = name;
	return g;
}

static uint32_t new_value(struct ir_graph *g)
{
	if (g->nvals == g->capvals) {
		uint32_t cap = g->capvals ? g->capvals * 2 : 64;
		g->vals = arena_grow(g->arena, g->vals, g->nvals, cap, sizeof *g->vals);
		g->capvals = cap;
	}
	DLC_ASSERT(g->nvals < IR_NONE - 1);
	uint32_t id = g->nvals++;
	memset(&g->vals[id], 0, sizeof g->vals[id]);
	g->vals[id].node = IR_NONE;
	return id;
}

uint32_t ir_add_input(struct ir_graph *g, const char *name, struct ir_type t,
                      enum ir_layout layout, struct src_span loc)
{
	uint32_t v = new_value(g);
	g->vals[v].kind = IR_VAL_INPUT;
	g->vals[v].type = t;
	g->vals[v].name = name;
	g->vals[v].layout = layout;
	g->vals[v].loc = loc;
	g->inputs = arena_grow(g->arena, g->inputs, g->ninputs, g->ninputs + 1, sizeof *g->inputs);
	g->inputs[g->ninputs++] = v;
	return v;
}

uint32_t ir_add_const(struct ir_graph *g, const char *name, struct ir_type t,
                      const void *data, struct src_span loc)
{
	uint32_t v = new_value(g);
	g->vals[v].kind = IR_VAL_CONST;
	g->vals[v].type = t;
	g->vals[v].name = name;
	g->vals[v].data = data;
	g->vals[v].loc = loc;
	return v;
}

uint32_t ir_add_node(struct ir_graph *g, enum ir_op op, const char *name,
                     const uint32_t *in, unsigned nin, const union ir_attrs *attr,
                     struct src_span loc)
{
	DLC_ASSERT(op > IR_OP_NONE && op < IR_OP_COUNT);
	DLC_ASSERT(nin < 256);
	if (g->nnodes == g->capnodes) {
		uint32_t cap = g->capnodes ? g->capnodes * 2 : 64;
		g->nodes = arena_grow(g->arena, g->nodes, g->nnodes, cap, sizeof *g->nodes);
		g->capnodes = cap;
	}
	uint32_t id = g->nnodes++;
	struct ir_node *n = &g->nodes[id];
	memset(n, 0, sizeof *n);
	n->op = op;
	n->name = name;
	n->loc = loc;
	n->nin = (uint8_t)nin;
	n->in = arena_array(g->arena, nin ? nin : 1, sizeof *n->in);
	if (nin)
		memcpy(n->in, in, nin * sizeof *in);
	for (unsigned i = 0; i < IR_MAX_PARAMS; i++)
		n->param[i] = IR_NONE;
	if (attr)
		n->attr = *attr;
	uint32_t v = new_value(g);
	n = &g->nodes[id];
	n->out = v;
	g->vals[v].kind = IR_VAL_NODE;
	g->vals[v].name = name;
	g->vals[v].node = id;
	g->vals[v].loc = loc;
	return id;
}

void ir_add_output(struct ir_graph *g, uint32_t value)
{
	g->outputs = arena_grow(g->arena, g->outputs, g->noutputs, g->noutputs + 1,
	                        sizeof *g->outputs);
	g->outputs[g->noutputs++] = value;
}

void ir_replace_uses(struct ir_graph *g, uint32_t from, uint32_t to)
{
	for (uint32_t i = 0; i < g->nnodes; i++) {
		struct ir_node *n = &g->nodes[i];
		for (unsigned k = 0; k < n->nin; k++)
			if (n->in[k] == from)
				n->in[k] = to;
	}
	for (uint32_t i = 0; i < g->noutputs; i++)
		if (g->outputs[i] == from)
			g->outputs[i] = to;
}

uint32_t *ir_count_uses(struct ir_graph *g, struct arena *scratch)
{
	uint32_t *uses = arena_array(scratch, g->nvals ? g->nvals : 1, sizeof *uses);
	for (uint32_t i = 0; i < g->nnodes; i++) {
		struct ir_node *n = &g->nodes[i];
		for (unsigned k = 0; k < n->nin; k++)
			uses[n->in[k]]++;
		for (unsigned k = 0; k < IR_MAX_PARAMS; k++)
			if (n->param[k] != IR_NONE)
				uses[n->param[k]]++;
	}
	for (uint32_t i = 0; i < g->noutputs; i++)
		uses[g->outputs[i]]++;
	return uses;
}

void ir_compact(struct ir_graph *g, const bool *keep_node)
{
	struct arena tmp = { 0 };
	uint32_t *newval = arena_array(&tmp, g->nvals ? g->nvals : 1, sizeof *newval);
	bool *live = arena_array(&tmp, g->nvals ? g->nvals : 1, sizeof *live);
	for (uint32_t i = 0; i < g->ninputs; i++)
		live[g->inputs[i]] = true;
	for (uint32_t i = 0; i < g->noutputs; i++)
		live[g->outputs[i]] = true;
	for (uint32_t i = 0; i < g->nnodes; i++) {
		if (keep_node && !keep_node[i])
			continue;
		struct ir_node *n = &g->nodes[i];
		live[n->out] = true;
		for (unsigned k = 0; k < n->nin; k++)
			live[n->in[k]] = true;
		for (unsigned k = 0; k < IR_MAX_PARAMS; k++)
			if (n->param[k] != IR_NONE)
				live[n->param[k]] = true;
	}
	/* values: keep order, drop dead ones */
	uint32_t nv = 0;
	for (uint32_t i = 0; i < g->nvals; i++) {
		newval[i] = IR_NONE;
		if (!live[i])
			continue;
		newval[i] = nv;
		g->vals[nv++] = g->vals[i];
	}
	g->nvals = nv;
	uint32_t nn = 0;
	for (uint32_t i = 0; i < g->nnodes; i++) {
		if (keep_node && !keep_node[i])
			continue;
		struct ir_node *n = &g->nodes[nn];
		*n = g->nodes[i];
		for (unsigned k = 0; k < n->nin; k++) {
			DLC_ASSERT(newval[n->in[k]] != IR_NONE);
			n->in[k] = newval[n->in[k]];
		}
		for (unsigned k = 0; k < IR_MAX_PARAMS; k++)
			if (n->param[k] != IR_NONE)
				n->param[k] = newval[n->param[k]];
		n->out = newval[n->out];
		g->vals[n->out].node = nn;
		nn++;
	}
	g->nnodes = nn;
	for (uint32_t i = 0; i < g->ninputs; i++)
		g->inputs[i] = newval[g->inputs[i]];
	for (uint32_t i = 0; i < g->noutputs; i++) {
		DLC_ASSERT(newval[g->outputs[i]] != IR_NONE);
		g->outputs[i] = newval[g->outputs[i]];
	}
	arena_free(&tmp);
}

uint32_t ir_view_root(const struct ir_graph *g, uint32_t v)
{
	while (g->vals[v].kind == IR_VAL_NODE) {
		const struct ir_node *n = &g->nodes[g->vals[v].node];
		if (!(ir_op_table[n->op].flags & IR_F_VIEW) || n->nin != 1)
			break;
		v = n->in[0];
	}
	return v;
}

/* name, bytes per element, class; indexed by enum ir_dtype */
static const struct {
	const char *name;
	uint8_t size;
	enum ir_dtype_class cls;
} dtypes[IR_DT_LAST + 1] = {
	[IR_DT_F32] = { "f32", 4, IR_DC_FLOAT },     [IR_DT_I32] = { "i32", 4, IR_DC_SIGNED },
	[IR_DT_I64] = { "i64", 8, IR_DC_SIGNED },    [IR_DT_BOOL] = { "bool", 1, IR_DC_BOOL },
	[IR_DT_I8] = { "i8", 1, IR_DC_SIGNED },      [IR_DT_U8] = { "u8", 1, IR_DC_UNSIGNED },
	[IR_DT_I16] = { "i16", 2, IR_DC_SIGNED },    [IR_DT_U16] = { "u16", 2, IR_DC_UNSIGNED },
	[IR_DT_U32] = { "u32", 4, IR_DC_UNSIGNED },  [IR_DT_U64] = { "u64", 8, IR_DC_UNSIGNED },
};

size_t ir_dtype_size(enum ir_dtype dt)
{
	return dt > IR_DT_NONE && dt <= IR_DT_LAST ? dtypes[dt].size : 0;
}

const char *ir_dtype_name(enum ir_dtype dt)
{
	return dt > IR_DT_NONE && dt <= IR_DT_LAST ? dtypes[dt].name : "?";
}

enum ir_dtype_class ir_dtype_class(enum ir_dtype dt)
{
	return dt > IR_DT_NONE && dt <= IR_DT_LAST ? dtypes[dt].cls : IR_DC_NONE;
}

bool ir_dtype_holds(enum ir_dtype dt, double v)
{
	enum ir_dtype_class dc = ir_dtype_class(dt);
	if (dc == IR_DC_FLOAT)
		return true;
	if (dc == IR_DC_BOOL)
		return v == 0 || v == 1;
	int bits = 8 * (int)ir_dtype_size(dt);
	bits = bits > 53 ? 53 : bits;
	double lo = dc == IR_DC_UNSIGNED ? 0 : -ldexp(1, bits - 1);
	double hi = dc == IR_DC_UNSIGNED ? ldexp(1, bits) - 1 : ldexp(1, bits - 1) - 1;
	return v == floor(v) && v >= lo && v <= hi;
}

enum ir_dtype ir_dtype_from_name(const char *name)
{
	for (unsigned dt = IR_DT_NONE + 1; dt <= IR_DT_LAST; dt++)
		if (!strcmp(dtypes[dt].name, name))
			return (enum ir_dtype)dt;
	return IR_DT_NONE;
}

int64_t ir_type_numel(const struct ir_type *t)
{
	int64_t n = 1;
	for (unsigned i = 0; i < t->rank; i++)
		DLC_ASSERT(!ckd_mul_i64(&n, n, t->dims[i]));
	return n;
}

int64_t ir_type_bytes(const struct ir_type *t)
{
	int64_t b;
	DLC_ASSERT(!ckd_mul_i64(&b, ir_type_numel(t), (int64_t)ir_dtype_size(t->dtype)));
	return b;
}

bool ir_type_eq(const struct ir_type *a, const struct ir_type *b)
{
	if (a->dtype != b->dtype || a->rank != b->rank)
		return false;
	for (unsigned i = 0; i < a->rank; i++)
		if (a->dims[i] != b->dims[i])
			return false;
	return true;
}

char *ir_type_str(const struct ir_type *t, char *buf, size_t n)
{
	size_t len = 0;
	int w = snprintf(buf, n, "%s[", ir_dtype_name(t->dtype));
	len = w > 0 ? (size_t)w : 0;
	for (unsigned i = 0; i < t->rank && len < n; i++) {
		w = snprintf(buf + len, n - len, "%s%" PRId64, i ? ", " : "", t->dims[i]);
		len += w > 0 ? (size_t)w : 0;
	}
	if (len < n)
		snprintf(buf + len, n - len, "]");
	return buf;
}

struct ir_reduce_split ir_reduce_split(const struct ir_type *x, const int *axes, unsigned naxes)
{
	struct ir_reduce_split s = { .count = 1 };
	int64_t xs[IR_MAX_RANK];
	ir_dense_strides(x->dims, x->rank, xs);
	for (unsigned k = 0; k < x->rank; k++) {
		bool reduced = false;
		for (unsigned i = 0; i < naxes; i++)
			reduced = reduced || axes[i] == (int)k;
		if (reduced) {
			s.red[s.nred] = x->dims[k];
			s.red_stride[s.nred++] = xs[k];
			s.count *= x->dims[k];
		} else {
			s.kept[s.nkept] = x->dims[k];
			s.kept_stride[s.nkept++] = xs[k];
		}
	}
	return s;
}

struct ir_matmul_split ir_matmul_split(const struct ir_type *a, const struct ir_type *b,
                                       const struct ir_type *y)
{
	struct ir_matmul_split s = { .k = a->dims[a->rank - 1] };
	s.m = a->rank > 1 ? a->dims[a->rank - 2] : 1;
	s.n = b->rank > 1 ? b->dims[b->rank - 1] : 1;
	struct ir_type ba = *a, bb = *b;
	ba.rank = a->rank > 2 ? a->rank - 2 : 0;
	bb.rank = b->rank > 2 ? b->rank - 2 : 0;
	s.batch = *y;
	s.batch.rank = (uint8_t)(y->rank - (a->rank > 1) - (b->rank > 1));
	ir_broadcast_strides(&ba, &s.batch, s.sa);
	ir_broadcast_strides(&bb, &s.batch, s.sb);
	return s;
}

struct ir_split ir_split_at(const struct ir_type *t, int axis)
{
	DLC_ASSERT(axis >= 0 && axis < t->rank);
	struct ir_split s = { 1, t->dims[axis], 1 };
	for (int i = 0; i < axis; i++)
		s.outer *= t->dims[i];
	for (int i = axis + 1; i < t->rank; i++)
		s.inner *= t->dims[i];
	return s;
}

void ir_dense_strides(const int64_t *dims, unsigned rank, int64_t *st)
{
	int64_t s = 1;
	for (unsigned k = rank; k-- > 0;) {
		st[k] = s;
		s *= dims[k];
	}
}

bool ir_broadcast_type(const struct ir_type *a, const struct ir_type *b, struct ir_type *out)
{
	unsigned rank = a->rank > b->rank ? a->rank : b->rank;
	struct ir_type t = { a->dtype, (uint8_t)rank, { 0 } };
	for (unsigned k = 0; k < rank; k++) {
		int64_t da = k + a->rank >= rank ? a->dims[k + a->rank - rank] : 1;
		int64_t db = k + b->rank >= rank ? b->dims[k + b->rank - rank] : 1;
		if (da != db && da != 1 && db != 1)
			return false;
		t.dims[k] = da == 1 ? db : da;
	}
	*out = t;
	return true;
}

void ir_broadcast_strides(const struct ir_type *in, const struct ir_type *out, int64_t *strides)
{
	DLC_ASSERT(in->rank <= out->rank);
	int64_t st = 1;
	for (unsigned k = out->rank; k-- > 0;) {
		strides[k] = 0;
		if (k + in->rank < out->rank)
			continue;
		int64_t d = in->dims[k + in->rank - out->rank];
		strides[k] = d == 1 ? 0 : st;
		st *= d;
	}
}

const char *ir_layout_name(enum ir_layout l)
{
	switch (l) {
	case IR_LAYOUT_NHWC: return "nhwc";
	case IR_LAYOUT_NCHW: return "nchw";
	case IR_LAYOUT_NONE: break;
	}
	return "none";
}

const char *ir_binop_name(enum ir_binop op)
{
	switch (op) {
	case IR_BINOP_ADD: return "add";
	case IR_BINOP_SUB: return "sub";
	case IR_BINOP_MUL: return "mul";
	case IR_BINOP_DIV: return "div";
	case IR_BINOP_POW: return "pow";
	case IR_BINOP_MIN: return "min";
	case IR_BINOP_MAX: return "max";
	case IR_BINOP_PRELU: return "prelu";
	case IR_BINOP_MOD: return "mod";
	case IR_BINOP_FMOD: return "fmod";
	case IR_BINOP_AND: return "and";
	case IR_BINOP_OR: return "or";
	case IR_BINOP_XOR: return "xor";
	case IR_BINOP_NONE: break;
	}
	return "none";
}

const char *ir_cmp_name(enum ir_cmp op)
{
	switch (op) {
	case IR_CMP_EQ: return "eq";
	case IR_CMP_NE: return "ne";
	case IR_CMP_LT: return "lt";
	case IR_CMP_LE: return "le";
	case IR_CMP_GT: return "gt";
	case IR_CMP_GE: return "ge";
	case IR_CMP_NONE: break;
	}
	return "none";
}

bool ir_op_is_reduce(enum ir_op op)
{
	switch (op) {
	case IR_REDUCE_MEAN:
	case IR_REDUCE_SUM:
	case IR_REDUCE_MAX:
	case IR_REDUCE_MIN:
	case IR_REDUCE_PROD:
	case IR_REDUCE_L1:
	case IR_REDUCE_L2:
	case IR_REDUCE_SUM_SQUARE:
	case IR_REDUCE_LOG_SUM:
	case IR_REDUCE_LOG_SUM_EXP: return true;
	default: return false;
	}
}

const char *ir_kernel_name(enum ir_kernel k)
{
	switch (k) {
	case IR_KERNEL_NAIVE: return "naive";
	case IR_KERNEL_TILED: return "tiled";
	case IR_KERNEL_WINOGRAD: return "winograd";
	case IR_KERNEL_DEPTHWISE: return "depthwise";
	}
	return "?";
}
