/* check.c - the meaning of a parsed model: statement order, inputs,
 * weights, name resolution and each layer's arguments (via check_args.c).
 *
 * Names live in one namespace: model inputs, then layers in source order.
 * User names are collected first so that generated names (`dense_2`) can
 * avoid them; a reference must name something defined by an earlier
 * statement. Every check reports its own located error and checking goes
 * on, so independent mistakes are reported together; the result is only
 * used (by lower.c) when no error was found. */
#include "sema.h"

#include <ctype.h>
#include <inttypes.h>
#include <math.h>
#include <string.h>

#include "check.h"
#include "check_args.h"
#include "pathcheck.h"
#include "strmap.h"

/* Suggestions for an undefined name scan every name; beyond this many
 * names the scan is skipped to keep huge inputs fast. */
enum { SUGGEST_MAX_NAMES = 4096 };

struct name_entry {
	const char *name;
	fe_ref ref;
	uint32_t order; /* 0 = model input, k + 1 = layer k */
	struct src_span loc;
};

/* Names in insertion order, found through a string map. */
struct name_table {
	struct strmap index;    /* name -> position in v */
	struct name_entry *v;   /* cap entries, n used */
	uint32_t cap, n;
};

struct checker {
	struct arena *a;
	struct diag *d;
	const struct ast_model *m;
	struct sema *s;
	const struct ast_stmt *model, *weights, *output;
	const struct ast_stmt **inputs, **layers;
	uint32_t ninputs, nlayers;
	struct name_table names;    /* values */
	struct name_table prefixes; /* weight prefixes */
};

static void table_init(struct arena *a, struct name_table *t, uint32_t n)
{
	strmap_init(&t->index, a, n);
	t->v = arena_array(a, n + 1, sizeof *t->v);
	t->cap = n + 1;
	t->n = 0;
}

/* The entry for name, or NULL. */
static struct name_entry *table_find(struct name_table *t, const char *name)
{
	uint32_t i = strmap_get(&t->index, name);
	return i == STRMAP_NONE ? NULL : &t->v[i];
}

/* Enters e, whose name must not be in the table yet. */
static void table_put(struct name_table *t, struct name_entry e)
{
	DLC_ASSERT(t->n < t->cap);
	bool added = strmap_put(&t->index, e.name, t->n);
	DLC_ASSERT(added);
	t->v[t->n++] = e;
}

/* ---- statement order ---- */

static void duplicate_stmt(struct checker *c, const struct ast_stmt *s,
                           const struct ast_stmt *first)
{
	const char *kind = ast_stmt_kind_name(s->kind);
	diag_error(c->d, s->loc, "duplicate '%s' statement", kind);
	diag_note(c->d, first->loc, "the first '%s' statement is here", kind);
}

/* Sorts statements by kind and reports those out of place. */
static void collect(struct checker *c)
{
	const struct ast_model *m = c->m;
	enum { PH_MODEL, PH_INPUT, PH_WEIGHTS, PH_LAYERS } phase = PH_MODEL;
	bool misplaced_output = false;
	c->inputs = arena_array(c->a, m->nstmts + 1, sizeof *c->inputs);
	c->layers = arena_array(c->a, m->nstmts + 1, sizeof *c->layers);
	for (uint32_t i = 0; i < m->nstmts; i++) {
		const struct ast_stmt *s = m->stmts[i];
		switch (s->kind) {
		case AST_STMT_MODEL:
			if (c->model)
				duplicate_stmt(c, s, c->model);
			else if (i != 0)
				diag_error(c->d, s->loc, "'model' must be the first statement");
			if (!c->model)
				c->model = s;
			break;
		case AST_STMT_INPUT:
			if (phase > PH_INPUT)
				diag_error(c->d, s->loc,
				           "'input' must come before 'weights' and the layers");
			phase = phase > PH_INPUT ? phase : PH_INPUT;
			c->inputs[c->ninputs++] = s;
			break;
		case AST_STMT_WEIGHTS:
			if (c->weights) {
				duplicate_stmt(c, s, c->weights);
				break;
			}
			if (phase > PH_WEIGHTS)
				diag_error(c->d, s->loc,
				           "'weights' must come before the first layer");
			phase = phase > PH_WEIGHTS ? phase : PH_WEIGHTS;
			c->weights = s;
			break;
		case AST_STMT_LAYER:
			if (c->output && !misplaced_output)
				diag_error(c->d, c->output->loc,
				           "'output' must be the last statement");
			misplaced_output = misplaced_output || c->output;
			phase = PH_LAYERS;
			c->layers[c->nlayers++] = s;
			break;
		case AST_STMT_OUTPUT:
			if (c->output)
				duplicate_stmt(c, s, c->output);
			else
				c->output = s;
			break;
		case AST_STMT_NONE: DLC_UNREACHABLE("statement without a kind");
		}
	}
	if (!c->model) {
		struct src_span at = { m->file, 0, 0 };
		diag_error(c->d, m->nstmts ? m->stmts[0]->loc : at,
		           "missing 'model' statement: a model file starts with 'model NAME'");
	}
}

/* ---- inputs and weights ---- */

static enum ir_dtype parse_dtype(struct checker *c, struct ast_name n)
{
	enum ir_dtype dt = ir_dtype_from_name(n.s);
	if (dt)
		return dt;
	const char *names[IR_DT_LAST];
	unsigned nn = 0;
	for (unsigned k = IR_DT_NONE + 1; k <= IR_DT_LAST; k++)
		names[nn++] = ir_dtype_name((enum ir_dtype)k);
	const char *best = fe_closest(n.s, names, nn);
	if (best)
		diag_error(c->d, n.loc, "unknown dtype '%s'; did you mean '%s'?", n.s, best);
	else
		diag_error(c->d, n.loc, "unknown dtype '%s' (expected f32, i64, i32, bool, i8, u8, "
		           "i16, u16, u32 or u64)", n.s);
	return IR_DT_NONE;
}

static enum ir_layout parse_layout(struct checker *c, struct ast_name n)
{
	static const char *const names[] = { "nhwc", "nchw" };
	if (!strcmp(n.s, "nhwc"))
		return IR_LAYOUT_NHWC;
	if (!strcmp(n.s, "nchw"))
		return IR_LAYOUT_NCHW;
	const char *best = fe_closest(n.s, names, 2);
	if (best)
		diag_error(c->d, n.loc, "unknown layout '%s'; did you mean '%s'?", n.s, best);
	else
		diag_error(c->d, n.loc, "unknown layout '%s' (expected nhwc or nchw)", n.s);
	return IR_LAYOUT_NONE;
}

/* Dimensions: 0 (a scalar) to IR_MAX_RANK positive integers whose
 * product fits. */
static bool check_dims(struct checker *c, const struct ast_stmt *s, struct ir_type *t)
{
	const struct ast_values *l = &s->dims->list;
	if (l->n > IR_MAX_RANK) {
		diag_error(c->d, s->dims->loc, "input '%s' needs 0 to %d dimensions, got %u",
		           s->name.s, IR_MAX_RANK, l->n);
		return false;
	}
	bool ok = true;
	int64_t bytes = t->dtype ? (int64_t)ir_dtype_size(t->dtype) : 4;
	bool overflow = false;
	for (uint32_t i = 0; i < l->n; i++) {
		const struct ast_value *v = l->v[i];
		if (v->kind != AST_VAL_INT) {
			diag_error(c->d, v->loc, "expected an integer dimension, got %s",
			           ast_value_describe(c->a, v));
			ok = false;
		} else if (v->i <= 0) {
			diag_error(c->d, v->loc,
			           "dimension of input '%s' must be positive, got %" PRId64,
			           s->name.s, v->i);
			ok = false;
		} else {
			t->dims[i] = v->i;
			overflow = overflow || ckd_mul_i64(&bytes, bytes, v->i) ||
			           bytes > IR_MAX_TENSOR_BYTES;
		}
	}
	t->rank = (uint8_t)l->n;
	if (ok && overflow) {
		diag_error(c->d, s->dims->loc,
		           "input '%s' is too large (more than %" PRId64 " bytes)", s->name.s,
		           (int64_t)IR_MAX_TENSOR_BYTES);
		ok = false;
	}
	return ok;
}

static void check_inputs(struct checker *c)
{
	struct sema *s = c->s;
	s->inputs = arena_array(c->a, c->ninputs + 1, sizeof *s->inputs);
	s->ninputs = c->ninputs;
	const struct ast_stmt *first4d = NULL, *first3d = NULL;
	for (uint32_t i = 0; i < c->ninputs; i++) {
		const struct ast_stmt *st = c->inputs[i];
		struct sema_input *in = &s->inputs[i];
		in->stmt = st;
		in->name = st->name.s;
		in->type.dtype = parse_dtype(c, st->dtype);
		if (!check_dims(c, st, &in->type))
			continue;
		enum ir_layout l = st->layout.s ? parse_layout(c, st->layout) : IR_LAYOUT_NHWC;
		if (in->type.rank == 3 && st->layout.s) {
			/* [N, C, L] nchw: the layout of a model whose 2-D layers
			 * view 1-D data (conv1d as ONNX imports it); the input
			 * itself is not converted. Any 4-D input decides. */
			if (!first4d && !first3d)
				s->layout = l;
			if (!first3d)
				first3d = st;
			continue;
		}
		if (in->type.rank != 4) {
			if (st->layout.s)
				diag_error(c->d, st->layout.loc,
				           "layout '%s' needs a 3-D or 4-D input, but '%s' "
				           "has %u dimensions",
				           st->layout.s, in->name, in->type.rank);
			continue;
		}
		in->layout = l;
		if (!first4d) {
			first4d = st;
			s->layout = l;
		} else if (l && s->layout && l != s->layout) {
			diag_error(c->d, st->layout.s ? st->layout.loc : st->loc,
			           "input '%s' has layout %s but input '%s' has %s; all 4-D inputs "
			           "must share one layout",
			           in->name, ir_layout_name(l), first4d->name.s,
			           ir_layout_name(s->layout));
			diag_note(c->d, first4d->loc, "'%s' is declared here", first4d->name.s);
		}
	}
	if (!s->layout)
		s->layout = IR_LAYOUT_NHWC;
	if (c->model && c->ninputs == 0)
		diag_error(c->d, c->model->loc, "model '%s' has no 'input' statement",
		           c->model->name.s);
}

static const struct fe_param random_params[] = {
	{ FE_LAYER_NONE, "seed", FE_PT_INT, "0", FE_RG_GE0, 0, "random seed" },
};

static void check_weights(struct checker *c)
{
	const struct ast_stmt *w = c->weights;
	struct ir_weights_src *src = &c->s->weights;
	if (!w)
		return;
	src->loc = w->loc;
	src->convention = IR_CONV_PYTORCH;
	if (w->path) {
		src->kind = IR_WEIGHTS_FILE;
		src->path = w->path->s;
		src->path_loc = w->path->loc;
		const char *why = path_lexical_problem(w->path->s);
		if (why)
			diag_error(c->d, w->path->loc, "the weights path '%s' %s; it must be relative "
			           "to the model's directory and stay inside it", w->path->s, why);
		if (!w->convention.s || !strcmp(w->convention.s, "pytorch"))
			return;
		if (!strcmp(w->convention.s, "keras")) {
			src->convention = IR_CONV_KERAS;
			return;
		}
		static const char *const names[] = { "pytorch", "keras" };
		const char *best = fe_closest(w->convention.s, names, 2);
		if (best)
			diag_error(c->d, w->convention.loc,
			           "unknown weights convention '%s'; did you "
			           "mean '%s'?",
			           w->convention.s, best);
		else
			diag_error(c->d, w->convention.loc,
			           "unknown weights convention '%s' (expected "
			           "pytorch or keras)",
			           w->convention.s);
		return;
	}
	if (strcmp(w->func.s, "random")) {
		static const char *const names[] = { "random" };
		if (fe_closest(w->func.s, names, 1))
			diag_error(c->d, w->func.loc,
			           "unknown weights source '%s'; did you mean "
			           "'random'?",
			           w->func.s);
		else
			diag_error(c->d, w->func.loc,
			           "unknown weights source '%s' (expected a file "
			           "name in quotes or random(seed=N))",
			           w->func.s);
		return;
	}
	struct fe_arg seed;
	src->kind = IR_WEIGHTS_RANDOM;
	if (fe_check_args(c->a, c->d, "random", random_params, 1, &w->args, w->loc, &seed))
		src->seed = (uint64_t)seed.i[0];
}

/* ---- names ---- */

/* Enters model inputs and user-named layers; reports duplicates. */
static void declare_names(struct checker *c)
{
	table_init(c->a, &c->names, c->ninputs + c->nlayers);
	for (uint32_t i = 0; i < c->ninputs + c->nlayers; i++) {
		bool is_input = i < c->ninputs;
		const struct ast_stmt *s = is_input ? c->inputs[i] : c->layers[i - c->ninputs];
		if (!s->name.s)
			continue;
		struct name_entry *e = table_find(&c->names, s->name.s);
		if (e) {
			diag_error(c->d, s->name.loc, "duplicate name '%s'", s->name.s);
			diag_note(c->d, e->loc, "'%s' was first defined here", s->name.s);
			continue;
		}
		table_put(&c->names,
		          (struct name_entry){ s->name.s, i, is_input ? 0 : i - c->ninputs + 1,
		                               s->name.loc });
	}
}

static const char *suggest_name(struct checker *c, const char *name, uint32_t before)
{
	int shown = c->d->max_errors ? c->d->max_errors : 100;
	if (c->names.n > SUGGEST_MAX_NAMES || c->d->errors >= shown)
		return NULL;
	const char **cands = arena_array(c->a, c->names.n + 1, sizeof *cands);
	size_t n = 0;
	for (uint32_t i = 0; i < c->names.n; i++) {
		const struct name_entry *e = &c->names.v[i];
		if (e->order <= before)
			cands[n++] = e->name;
	}
	return fe_closest(name, cands, n);
}

/* Resolves a use in layer `k` (or, for k == UINT32_MAX, in 'output'). */
static bool resolve(struct checker *c, struct ast_name n, uint32_t k, fe_ref *out)
{
	struct name_entry *e = table_find(&c->names, n.s);
	if (!e) {
		diag_error(c->d, n.loc, "undefined name '%s'%s", n.s,
		           fe_did_you_mean(c->a, suggest_name(c, n.s, k)));
		return false;
	}
	if (k != UINT32_MAX && e->order > k) {
		diag_error(c->d, n.loc, "'%s' is used before it is defined", n.s);
		diag_note(c->d, e->loc, "'%s' is defined here", n.s);
		return false;
	}
	*out = e->ref;
	return true;
}

/* `<layer>_<k>`, k counting unnamed layers of one kind from 1, skipping
 * numbers whose name the user has taken. */
static const char *generate_name(struct checker *c, enum fe_layer_id id, uint32_t *counter)
{
	for (;;) {
		const char *name = arena_printf(c->a, "%s_%u", fe_layers[id].name, ++counter[id]);
		if (!table_find(&c->names, name))
			return name;
	}
}

/* ---- layers ---- */

/* Spellings from Keras and PyTorch, mapped to ours for suggestions. */
static const char *const layer_aliases[][2] = {
	{ "linear", "dense" },
	{ "conv", "conv2d" },
	{ "convolution2d", "conv2d" },
	{ "batchnorm2d", "batchnorm" },
	{ "batchnormalization", "batchnorm" },
	{ "maxpooling2d", "maxpool2d" },
	{ "averagepooling2d", "avgpool2d" },
	{ "globalaveragepooling2d", "global_avgpool" },
	{ "adaptiveavgpool2d", "global_avgpool" },
	{ "concatenate", "concat" },
	{ "cat", "concat" },
	{ "view", "reshape" },
	{ "rescaling", "rescale" },
	{ "normalization", "normalize" },
	{ "zeropadding2d", "zeropad2d" },
	{ "clamp", "clip" },
	{ "hardtanh", "clip" },
	{ "timedistributed", "dense" },
	{ "cudnnlstm", "lstm" },
	{ "cudnngru", "gru" },
};

static const char *suggest_layer(const char *name)
{
	char low[64];
	size_t n = 0;
	for (const char *p = name; *p && n + 1 < sizeof low; p++)
		if (*p != '_')
			low[n++] = (char)tolower((unsigned char)*p);
	low[n] = '\0';
	for (size_t i = 0; i < sizeof layer_aliases / sizeof layer_aliases[0]; i++)
		if (!strcmp(low, layer_aliases[i][0]))
			return layer_aliases[i][1];
	const char *names[FE_LAYER_COUNT];
	for (unsigned i = 1; i < FE_LAYER_COUNT; i++)
		names[i - 1] = fe_layers[i].name;
	return fe_closest(name, names, FE_LAYER_COUNT - 1);
}

/* The activation inputs of layer k: listed, or the previous statement's. */
static bool layer_inputs(struct checker *c, uint32_t k, struct sema_layer *l)
{
	const struct ast_stmt *s = l->stmt;
	const struct fe_layer *lay = &fe_layers[l->id];
	const char *what = lay->name;
	if (!s->has_inputs) {
		l->in = arena_alloc(c->a, sizeof *l->in);
		if (lay->max_in == 0) /* constant */
			return true;
		if (lay->min_in > 1) {
			diag_error(c->d, s->call, "'%s' needs its inputs listed, as in %s()(a, b)",
			           what, what);
			return false;
		}
		l->nin = 1;
		l->in[0] = c->ninputs + k - 1;
		if (k > 0)
			return true;
		l->in[0] = 0;
		if (c->ninputs > 1)
			diag_error(c->d, s->call,
			           "the first layer must name its input, as in %s(...)(%s): "
			           "the model has %u inputs",
			           what, c->inputs[0]->name.s, c->ninputs);
		return c->ninputs == 1;
	}
	uint32_t n = s->inputs.n;
	unsigned max = lay->max_in;
	if (n < lay->min_in || n > max) {
		if (lay->min_in == max)
			diag_error(c->d, s->inputs_loc, "'%s' takes %u input%s, got %u", what, max,
			           max == 1 ? "" : "s", n);
		else if (n < lay->min_in)
			diag_error(c->d, s->inputs_loc, "'%s' takes at least %u inputs, got %u",
			           what, lay->min_in, n);
		else
			diag_error(c->d, s->inputs_loc, "'%s' takes at most %u inputs, got %u",
			           what, max, n);
		return false;
	}
	l->in = arena_array(c->a, n, sizeof *l->in);
	l->nin = n;
	bool ok = true;
	for (uint32_t i = 0; i < n; i++)
		ok = resolve(c, s->inputs.v[i], k, &l->in[i]) && ok;
	return ok;
}

/* Weight-bearing layers read `<prefix>.<suffix>`; two layers reading the
 * same tensors is almost certainly a copy-paste mistake. */
static void check_prefix(struct checker *c, struct sema_layer *l, unsigned params_idx)
{
	const struct fe_arg *p = &l->args[params_idx];
	l->prefix = p->given ? p->s : l->name;
	struct name_entry *e = table_find(&c->prefixes, l->prefix);
	if (!e) {
		table_put(&c->prefixes,
		          (struct name_entry){ l->prefix, 0, 0, p->given ? p->loc : l->stmt->loc });
		return;
	}
	diag_error(c->d, p->given ? p->loc : l->stmt->loc,
	           "layer '%s' reads the same weights '%s.*' as an earlier layer", l->name,
	           l->prefix);
	diag_note(c->d, e->loc, "the earlier layer is here");
}

/* zeropad2d takes explicit pads only; clip needs min < max. */
static bool check_pad_clip(struct checker *c, const struct sema_layer *l)
{
	if (l->id == FE_LAYER_ZEROPAD2D) {
		const struct fe_arg *p = &l->args[FE_ARG_INDEX(ZEROPAD2D, padding)];
		if (p->pad_mode == IR_PAD_EXPLICIT)
			return true;
		diag_error(c->d, p->loc,
		           "expected an integer or a list of 2 or 4 integers for 'padding', got '%s'",
		           p->pad_mode == IR_PAD_SAME ? "same" : "valid");
		return false;
	}
	const struct fe_arg *lo = &l->args[FE_ARG_INDEX(CLIP, min)];
	const struct fe_arg *hi = &l->args[FE_ARG_INDEX(CLIP, max)];
	if ((float)lo->f < (float)hi->f)
		return true;
	diag_error(c->d, l->stmt->call, "'min' must be less than 'max', got min=%g and max=%g",
	           (double)(float)lo->f, (double)(float)hi->f);
	return false;
}

/* Each stacked recurrent layer becomes IR nodes of its own, so the
 * count is bounded to keep a typo from allocating without bound. */
enum { RNN_MAX_LAYERS = 100 };

static bool check_num_layers(struct checker *c, const struct sema_layer *l)
{
	_Static_assert(FE_ARG_INDEX(LSTM, num_layers) == FE_ARG_INDEX(GRU, num_layers),
	               "recurrent parameters differ");
	const struct fe_arg *k = &l->args[FE_ARG_INDEX(LSTM, num_layers)];
	if (k->i[0] <= RNN_MAX_LAYERS)
		return true;
	diag_error(c->d, k->loc, "'num_layers' must be at most %d, got %" PRId64, RNN_MAX_LAYERS,
	           k->i[0]);
	return false;
}

/* A filled constant's data is made by the compiler; the bound keeps a
 * typo from allocating without bound (file constants are bounded by the
 * weights file). */
#define FILLED_CONSTANT_MAX_BYTES ((int64_t)1 << 28)

/* List lengths of the tensor layers (the IR holds at most IR_MAX_RANK
 * axes), transpose's permutation, slice's step, a filled constant's size. */
static bool check_tensor_args(struct checker *c, const struct sema_layer *l)
{
	const struct fe_arg *a = NULL;
	unsigned most = IR_MAX_RANK;
	switch (l->id) {
	case FE_LAYER_CONSTANT: {
		const struct fe_arg *t = &l->args[FE_ARG_INDEX(CONSTANT, type)];
		const struct fe_arg *v = &l->args[FE_ARG_INDEX(CONSTANT, value)];
		int64_t bytes = (int64_t)ir_dtype_size(t->dtype);
		for (unsigned k = 0; k < t->n; k++)
			bytes *= t->i[k]; /* in range: the type was checked */
		if (v->given && !ir_dtype_holds(t->dtype, v->f)) {
			diag_error(c->d, v->loc, "value=%g does not fit the %s constant '%s' (an "
			           "integer in its range; bool: 0 or 1)", v->f, ir_dtype_name(t->dtype),
			           l->name);
			return false;
		}
		if (!v->given || bytes <= FILLED_CONSTANT_MAX_BYTES)
			return true;
		diag_error(c->d, t->loc, "constant '%s' filled with value= has %" PRId64 " bytes, "
		           "more than the %" PRId64 " allowed; read it from the weights file",
		           l->name, bytes, FILLED_CONSTANT_MAX_BYTES);
		return false;
	}
	case FE_LAYER_SLICE:
	case FE_LAYER_GATHER:
	case FE_LAYER_GATHER_ELEMENTS:
	case FE_LAYER_CUMSUM:
	case FE_LAYER_TOPK:
	case FE_LAYER_ARGMAX:
	case FE_LAYER_ARGMIN: {
		_Static_assert(FE_ARG_INDEX(SLICE, axis) == FE_ARG_INDEX(GATHER, axis) &&
		               FE_ARG_INDEX(SLICE, axis) == FE_ARG_INDEX(GATHER_ELEMENTS, axis) &&
		               FE_ARG_INDEX(SLICE, axis) == FE_ARG_INDEX(ARGMAX, axis) &&
		               FE_ARG_INDEX(SLICE, axis) == FE_ARG_INDEX(ARGMIN, axis) &&
		               FE_ARG_INDEX(SLICE, axis) == FE_ARG_INDEX(CUMSUM, axis),
		               "axis parameters differ");
		const struct fe_arg *axis = &l->args[l->id == FE_LAYER_TOPK ? FE_ARG_INDEX(TOPK, axis)
		                                                            : FE_ARG_INDEX(SLICE, axis)];
		if (axis->i[0] < -IR_MAX_RANK || axis->i[0] >= IR_MAX_RANK) {
			diag_error(c->d, axis->loc, "'axis' must be between %d and %d, got %" PRId64,
			           -IR_MAX_RANK, IR_MAX_RANK - 1, axis->i[0]);
			return false;
		}
		if (l->id != FE_LAYER_SLICE || l->args[FE_ARG_INDEX(SLICE, step)].i[0] != 0)
			return true;
		diag_error(c->d, l->args[FE_ARG_INDEX(SLICE, step)].loc, "'step' must not be 0");
		return false;
	}
	case FE_LAYER_RESIZE: {
		static const struct {
			unsigned param, n;
			const char *const *names;
		} words[3] = {
			{ FE_ARG_INDEX(RESIZE, mode), 3, ir_resize_modes },
			{ FE_ARG_INDEX(RESIZE, coord), 5, ir_resize_coords },
			{ FE_ARG_INDEX(RESIZE, nearest), 4, ir_resize_rounds },
		};
		bool ok = true;
		for (unsigned k = 0; k < 3; k++) {
			const struct fe_arg *w = &l->args[words[k].param];
			if (ir_resize_lookup(words[k].names, words[k].n, w->s) >= 0)
				continue;
			diag_error(c->d, w->loc, "'%s' is not a resize %s", w->s,
			           k == 0 ? "mode (nearest, linear, cubic)"
			           : k == 1 ? "coordinate mode (half_pixel, pytorch_half_pixel, "
			                      "align_corners, asymmetric, tf_half_pixel_for_nn)"
			                    : "rounding (round_prefer_floor, round_prefer_ceil, floor, ceil)");
			ok = false;
		}
		const struct fe_arg *sz = &l->args[FE_ARG_INDEX(RESIZE, size)];
		const struct fe_arg *sc = &l->args[FE_ARG_INDEX(RESIZE, scales)];
		if (sc->given && sc->n != sz->n) {
			diag_error(c->d, sc->loc, "'scales' needs one value per axis of 'size' (%u), got %u",
			           sz->n, sc->n);
			ok = false;
		}
		if (!ok)
			return false;
		a = sz;
		break;
	}
	case FE_LAYER_TRANSPOSE: a = &l->args[FE_ARG_INDEX(TRANSPOSE, perm)]; break;
	case FE_LAYER_BROADCAST: a = &l->args[FE_ARG_INDEX(BROADCAST, dims)]; break;
	case FE_LAYER_PAD:
		a = &l->args[FE_ARG_INDEX(PAD, pads)];
		most = 2 * IR_MAX_RANK;
		break;
	default:
		if (!ir_op_is_reduce(fe_layers[l->id].op))
			return true;
		/* every reduction has reduce_mean's parameters */
		a = &l->args[FE_ARG_INDEX(REDUCE_MEAN, axes)];
		break;
	}
	const char *name = fe_params[fe_layers[l->id].first + (unsigned)(a - l->args)].name;
	if (a->n > most) {
		diag_error(c->d, a->loc, "'%s' has %u values, at most %u allowed", name, a->n, most);
		return false;
	}
	if (l->id == FE_LAYER_PAD && a->n % 2) {
		diag_error(c->d, a->loc, "'pads' needs an even number of values (before and after "
		           "each axis), got %u", a->n);
		return false;
	}
	unsigned seen = 0;
	for (unsigned k = 0; l->id == FE_LAYER_TRANSPOSE && k < a->n; k++) {
		if (a->is[k] >= a->n || (seen & (1u << a->is[k]))) {
			diag_error(c->d, a->loc, "'perm' must list each of 0 to %u once", a->n - 1);
			return false;
		}
		seen |= 1u << a->is[k];
	}
	for (unsigned k = 0; ir_op_is_reduce(fe_layers[l->id].op) && k < a->n; k++) {
		if (a->is[k] < -IR_MAX_RANK || a->is[k] >= IR_MAX_RANK) {
			diag_error(c->d, a->loc, "'axes' values must be between %d and %d, got %" PRId64,
			           -IR_MAX_RANK, IR_MAX_RANK - 1, a->is[k]);
			return false;
		}
	}
	return true;
}

/* Checks between arguments of one layer. */
static bool check_combination(struct checker *c, const struct sema_layer *l)
{
	if (!check_tensor_args(c, l))
		return false;
	if (l->id == FE_LAYER_ZEROPAD2D || l->id == FE_LAYER_CLIP)
		return check_pad_clip(c, l);
	if (l->id == FE_LAYER_LSTM || l->id == FE_LAYER_GRU)
		return check_num_layers(c, l);
	if (l->id != FE_LAYER_NORMALIZE)
		return true;
	const struct fe_arg *mean = &l->args[FE_ARG_INDEX(NORMALIZE, mean)];
	const struct fe_arg *std = &l->args[FE_ARG_INDEX(NORMALIZE, std)];
	if (mean->n == std->n || mean->n == 1 || std->n == 1)
		return true;
	diag_error(c->d, l->stmt->call, "'mean' has %u values but 'std' has %u", mean->n, std->n);
	return false;
}

static void check_layer(struct checker *c, uint32_t k, uint32_t *counter)
{
	struct sema_layer *l = &c->s->layers[k];
	const struct ast_stmt *s = c->layers[k];
	l->stmt = s;
	l->id = fe_layer_find(s->func.s);
	if (!l->id) {
		diag_error(c->d, s->func.loc, "unknown layer '%s'%s", s->func.s,
		           fe_did_you_mean(c->a, suggest_layer(s->func.s)));
		return;
	}
	if (s->name.s) {
		l->name = s->name.s;
	} else {
		l->name = generate_name(c, l->id, counter);
		table_put(&c->names, (struct name_entry){ l->name, c->ninputs + k, k + 1, s->loc });
	}
	unsigned np;
	const struct fe_param *params = fe_layer_params(l->id, &np);
	bool ok = fe_check_args(c->a, c->d, fe_layers[l->id].name, params, np, &s->args, s->call,
	                        l->args);
	ok = ok && check_combination(c, l);
	for (unsigned i = 0; i < np; i++)
		if (ok && params[i].type == FE_PT_STRING && !strcmp(params[i].name, "params"))
			check_prefix(c, l, i);
	layer_inputs(c, k, l);
}

static void check_outputs(struct checker *c)
{
	struct sema *s = c->s;
	if (!c->output) {
		if (c->nlayers == 0)
			return;
		s->outputs = arena_alloc(c->a, sizeof *s->outputs);
		s->outputs[0] = c->ninputs + c->nlayers - 1;
		s->noutputs = 1;
		if (s->layers[c->nlayers - 1].id == FE_LAYER_CONSTANT)
			diag_error(c->d, c->layers[c->nlayers - 1]->loc,
			           "the model's output would be constant '%s'; a constant cannot be an "
			           "output", s->layers[c->nlayers - 1].name);
		return;
	}
	const struct ast_names *names = &c->output->inputs;
	s->outputs = arena_array(c->a, names->n, sizeof *s->outputs);
	for (uint32_t i = 0; i < names->n; i++) {
		fe_ref r;
		if (!resolve(c, names->v[i], UINT32_MAX, &r))
			continue;
		if (r < c->ninputs) {
			diag_error(c->d, names->v[i].loc, "model input '%s' cannot be an output",
			           names->v[i].s);
			continue;
		}
		if (s->layers[r - c->ninputs].id == FE_LAYER_CONSTANT) {
			diag_error(c->d, names->v[i].loc, "constant '%s' cannot be an output",
			           names->v[i].s);
			continue;
		}
		bool twice = false;
		for (uint32_t j = 0; j < s->noutputs; j++)
			twice = twice || s->outputs[j] == r;
		if (twice) {
			diag_error(c->d, names->v[i].loc, "'%s' is listed twice", names->v[i].s);
			continue;
		}
		s->outputs[s->noutputs++] = r;
	}
}

bool fe_check(struct arena *a, struct diag *d, const struct ast_model *m, struct sema *out)
{
	int errors = d->errors;
	memset(out, 0, sizeof *out);
	struct checker c = { .a = a, .d = d, .m = m, .s = out };
	collect(&c);
	if (c.model)
		out->name = c.model->name.s;
	check_inputs(&c);
	check_weights(&c);
	declare_names(&c);
	table_init(a, &c.prefixes, c.nlayers);
	out->layers = arena_array(a, c.nlayers + 1, sizeof *out->layers);
	out->nlayers = c.nlayers;
	uint32_t counter[FE_LAYER_COUNT] = { 0 };
	for (uint32_t k = 0; k < c.nlayers; k++)
		check_layer(&c, k, counter);
	if (c.model && c.nlayers == 0)
		diag_error(d, c.model->loc, "model '%s' has no layers", c.model->name.s);
	check_outputs(&c);
	return d->errors == errors;
}
