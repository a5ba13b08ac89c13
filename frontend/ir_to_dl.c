/* ir_to_dl.c - the IR written back as a .dl program (see ir_to_dl.h).
 *
 * Three steps over the schedule:
 *   1. statements: every node becomes one statement, except where the
 *      language spells several nodes as one: conv2d/dense followed by the
 *      activation node lowering made for `activation=` (named
 *      "<layer>.<act>"), and lstm/gru layers and directions that lowering
 *      made from one statement (the inverse of lower_rnn: forward and
 *      reverse twins joined by a concat on the last axis, stacked layers
 *      reading the previous layer's whole sequence).
 *   2. names: identifiers that are already valid keep their spelling
 *      (claimed first, so a sanitized name never takes a real one), the
 *      others are sanitized and numbered until unique.
 *   3. text: statements with explicit inputs, weights under keys that
 *      follow `<prefix>.<suffix>` (the IR's own keys when they do), then
 *      the header (model, inputs, weights) in front of them.
 * Floats are printed in the shortest form that reads back to the same
 * f32, so the program reproduces every attribute bit for bit. */
#include "ir_to_dl.h"

#include <float.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "layers.h"
#include "strmap.h"

#define DL_MAX_RNN_LAYERS 100 /* num_layers' limit in the language */

/* ---- the writer ---- */

enum stmt_kind {
	STMT_NONE,  /* written as part of another node's statement */
	STMT_PLAIN, /* one node, one statement */
	STMT_FUSED, /* an activation node: written with its conv2d/dense */
	STMT_RNN,   /* the last node of a recurrent statement */
	STMT_ALIAS, /* a 1-D reshape to the same type: its value is its input's */
};

/* One recurrent statement: layer j is fwd[j] (and rev[j] joined by cat[j]
 * when bidirectional). */
struct rnn_group {
	uint32_t nlayers;
	bool bidi;
	uint32_t fwd[DL_MAX_RNN_LAYERS], rev[DL_MAX_RNN_LAYERS], cat[DL_MAX_RNN_LAYERS];
};

struct writer {
	struct ir_graph *g;
	struct arena *a;
	struct diag *d;
	FILE *out;             /* the statements (a memory stream) */
	uint32_t *uses;        /* per value, graph outputs included */
	uint32_t *user;        /* per value: the first node reading it */
	const char **ident;    /* per value: its identifier in the program */
	uint8_t *kind;         /* per node: enum stmt_kind */
	uint32_t *partner;     /* per node: the conv2d/dense of a STMT_FUSED activation */
	struct rnn_group **group; /* per node: the group a STMT_RNN node ends */
	struct strmap names, keys, prefixes; /* sets: every value is 0 */
	struct st_tensor *tensors;
	uint32_t ntensors, captensors;
	enum ir_layout layout; /* the model's: from its 4-D inputs, else nhwc */
	const struct ir_node *cur; /* the node being written, for errors */
	unsigned nargs;
	bool ok;
};

__attribute__((format(printf, 2, 3))) static void node_error(struct writer *w, const char *fmt,
                                                               ...)
{
	char msg[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	diag_error(w->d, w->cur->loc, "cannot write node '%s' (%s) as a .dl program: %s",
	           w->cur->name, ir_op_table[w->cur->op].name, msg);
	w->ok = false;
}

static struct ir_node *def_node(struct writer *w, uint32_t v)
{
	const struct ir_value *val = ir_val(w->g, v);
	return val->kind == IR_VAL_NODE ? ir_node(w->g, val->node) : NULL;
}

static unsigned rank_of(struct writer *w, uint32_t v) { return ir_val(w->g, v)->type.rank; }

/* ---- step 1: statements ---- */

static bool has_bias(const struct ir_node *n) { return n->param[2] != IR_NONE; }

/* The layer of forward node f: unidirectional (returns f's output) or
 * joined with a reverse twin by a concat (returns the concat's output and
 * sets *rev, *cat). */
static uint32_t rnn_layer(struct writer *w, uint32_t f, uint32_t *rev, uint32_t *cat)
{
	const struct ir_node *n = ir_node(w->g, f);
	*rev = *cat = IR_NONE;
	uint32_t out = n->out, c = w->user[out];
	if (w->uses[out] != 1 || c == IR_NONE)
		return out;
	const struct ir_node *cn = ir_node(w->g, c);
	if (cn->op != IR_CONCAT || cn->nin != 2 || cn->in[0] != out ||
	    cn->attr.axis.axis != (int)rank_of(w, cn->out) - 1)
		return out;
	const struct ir_node *r = def_node(w, cn->in[1]);
	if (!r || r->op != n->op || !r->attr.rnn.reverse || r->in[0] != n->in[0] ||
	    r->attr.rnn.units != n->attr.rnn.units || has_bias(r) != has_bias(n) ||
	    r->attr.rnn.return_sequences != n->attr.rnn.return_sequences || w->uses[r->out] != 1 ||
	    w->kind[ir_val(w->g, r->out)->node] != STMT_PLAIN)
		return out;
	*rev = ir_val(w->g, r->out)->node;
	*cat = c;
	return cn->out;
}

/* Collects the recurrent statement that starts at forward node f. */
static void rnn_statement(struct writer *w, uint32_t f)
{
	struct rnn_group *grp = arena_alloc(w->a, sizeof *grp);
	const struct ir_node *first = ir_node(w->g, f);
	uint32_t out = IR_NONE;
	for (;;) {
		uint32_t rev, cat;
		uint32_t lo = rnn_layer(w, f, &rev, &cat);
		if (grp->nlayers && (cat != IR_NONE) != grp->bidi)
			break;
		grp->bidi = cat != IR_NONE;
		grp->fwd[grp->nlayers] = f;
		grp->rev[grp->nlayers] = rev;
		grp->cat[grp->nlayers] = cat;
		grp->nlayers++;
		w->kind[f] = STMT_NONE;
		if (rev != IR_NONE)
			w->kind[rev] = w->kind[cat] = STMT_NONE;
		out = lo;
		/* Another layer follows if it alone (both its directions) reads
		 * this layer's sequence. */
		const struct ir_node *n = ir_node(w->g, f);
		uint32_t next = w->user[lo];
		if (!n->attr.rnn.return_sequences || w->uses[lo] != (grp->bidi ? 2u : 1u) ||
		    next == IR_NONE ||
		    grp->nlayers == DL_MAX_RNN_LAYERS)
			break;
		const struct ir_node *nn = ir_node(w->g, next);
		if (nn->op != first->op || nn->attr.rnn.reverse || nn->in[0] != lo ||
		    nn->attr.rnn.units != first->attr.rnn.units || has_bias(nn) != has_bias(first) ||
		    w->kind[next] != STMT_PLAIN)
			break;
		uint32_t r2, c2;
		rnn_layer(w, next, &r2, &c2);
		if ((c2 != IR_NONE) != grp->bidi)
			break;
		f = next;
	}
	uint32_t last = ir_val(w->g, out)->node;
	w->kind[last] = STMT_RNN;
	w->group[last] = grp;
}

/* An activation node named "<layer>.<op>" that alone reads a conv2d or
 * dense: the two are one statement with `activation=`. */
static void fuse_activation(struct writer *w, uint32_t b)
{
	const struct ir_node *n = ir_node(w->g, b);
	if (n->op != IR_RELU && n->op != IR_SIGMOID && n->op != IR_TANH && n->op != IR_SOFTMAX)
		return;
	if (n->op == IR_SOFTMAX &&
	    (n->attr.axis.log || n->attr.axis.axis != (int)rank_of(w, n->out) - 1))
		return;
	const struct ir_node *l = def_node(w, n->in[0]);
	if (!l || (l->op != IR_CONV2D && l->op != IR_DENSE) || l->nin != 1 ||
	    w->uses[l->out] != 1)
		return;
	uint32_t li = ir_val(w->g, l->out)->node;
	size_t len = strlen(l->name);
	if (w->kind[li] != STMT_PLAIN || strncmp(n->name, l->name, len) || n->name[len] != '.' ||
	    strcmp(n->name + len + 1, ir_op_table[n->op].name))
		return;
	w->kind[li] = STMT_NONE;
	w->kind[b] = STMT_FUSED;
	w->partner[b] = li;
}

static void find_statements(struct writer *w)
{
	struct ir_graph *g = w->g;
	for (uint32_t i = 0; i < g->nnodes; i++)
		w->kind[i] = STMT_PLAIN;
	for (uint32_t i = 0; i < g->nnodes; i++) {
		const struct ir_node *n = ir_node(g, i);
		if ((n->op == IR_LSTM || n->op == IR_GRU) && !n->attr.rnn.reverse &&
		    w->kind[i] == STMT_PLAIN)
			rnn_statement(w, i);
	}
	for (uint32_t i = 0; i < g->nnodes; i++) {
		fuse_activation(w, i);
		const struct ir_node *n = ir_node(g, i);
		/* The language's reshape makes at least 2-D tensors; a rank-1
		 * reshape that changes nothing is left out instead. */
		if ((n->op == IR_RESHAPE || n->op == IR_FLATTEN) && w->kind[i] == STMT_PLAIN &&
		    rank_of(w, n->out) < 2 &&
		    ir_type_eq(&ir_val(g, n->in[0])->type, &ir_val(g, n->out)->type))
			w->kind[i] = STMT_ALIAS;
	}
}

/* ---- step 2: names ---- */

static bool is_ident_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

char *dl_identifier(struct arena *a, const char *name)
{
	size_t n = strlen(name);
	char *s = arena_alloc(a, n + 3);
	size_t k = 0;
	for (size_t i = 0; i < n; i++) {
		if (is_ident_char(name[i]))
			s[k++] = name[i];
		else if (k && s[k - 1] != '_' && i + 1 < n && is_ident_char(name[i + 1]))
			s[k++] = '_';
	}
	s[k] = 0;
	if (!k || (s[0] >= '0' && s[0] <= '9'))
		s = arena_printf(a, "v%s", s);
	return fe_keyword_find(s) ? arena_printf(a, "%s_", s) : s;
}

/* Claims a unique identifier made from name. */
static const char *claim(struct writer *w, const char *name)
{
	const char *base = dl_identifier(w->a, name);
	if (strmap_put(&w->names, base, 0))
		return base;
	for (unsigned k = 2;; k++) {
		const char *s = arena_printf(w->a, "%s_%u", base, k);
		if (strmap_put(&w->names, s, 0))
			return s;
	}
}

/* The name a statement's value is known by: a fused layer's, else the
 * value's own. */
static const char *stmt_name(struct writer *w, uint32_t i)
{
	const struct ir_node *n = ir_node(w->g, i);
	if (w->kind[i] == STMT_FUSED)
		return ir_node(w->g, w->partner[i])->name;
	return ir_val(w->g, n->out)->name;
}

static bool is_const_input(struct writer *w, uint32_t v)
{
	return ir_val(w->g, v)->kind == IR_VAL_CONST;
}

/* Calls fn for every value that needs an identifier, in program order. */
static void name_values(struct writer *w, bool valid_only)
{
	struct ir_graph *g = w->g;
	for (uint32_t i = 0; i < g->ninputs + g->nnodes; i++) {
		const char *name;
		uint32_t v;
		if (i < g->ninputs) {
			v = g->inputs[i];
			name = ir_val(g, v)->name;
		} else {
			uint32_t k = i - g->ninputs;
			const struct ir_node *n = ir_node(g, k);
			for (unsigned j = 0; j < n->nin; j++) {
				uint32_t c = n->in[j];
				if (!is_const_input(w, c) || w->ident[c])
					continue;
				const char *cname = ir_val(g, c)->name;
				if (!valid_only || !strcmp(dl_identifier(w->a, cname), cname))
					w->ident[c] = claim(w, cname);
			}
			if (w->kind[k] == STMT_NONE || w->kind[k] == STMT_ALIAS)
				continue;
			v = n->out;
			name = stmt_name(w, k);
		}
		if (w->ident[v])
			continue;
		if (!valid_only || !strcmp(dl_identifier(w->a, name), name))
			w->ident[v] = claim(w, name);
	}
}

/* ---- step 3: text ---- */

/* The shortest decimal that reads back (strtod, then to f32) as v; the
 * lexer reads numbers the same way. Infinities are written as 1e39, which
 * rounds to infinity as f32. */
static const char *fmt_float(struct writer *w, char *buf, size_t n, float v)
{
	if (isnan(v)) {
		node_error(w, "an attribute is NaN");
		return "0";
	}
	if (isinf(v))
		return v > 0 ? "1e39" : "-1e39";
	/* The language also wants the decimal itself within f32's range, so
	 * FLT_MAX needs all 17 digits. */
	for (int prec = 1; prec <= 17; prec++) {
		snprintf(buf, n, "%.*g", prec, (double)v);
		double back = strtod(buf, NULL);
		if ((float)back == v && fabs(back) <= FLT_MAX)
			break;
	}
	return buf;
}

static void begin(struct writer *w, const char *ident, enum fe_layer_id layer)
{
	DLC_ASSERT(layer != FE_LAYER_NONE);
	fprintf(w->out, "%s = %s(", ident, fe_layers[layer].name);
	w->nargs = 0;
}

__attribute__((format(printf, 2, 3))) static void arg(struct writer *w, const char *fmt, ...)
{
	if (w->nargs++)
		fputs(", ", w->out);
	va_list ap;
	va_start(ap, fmt);
	vfprintf(w->out, fmt, ap);
	va_end(ap);
}

static void arg_float(struct writer *w, const char *key, float v)
{
	char buf[40];
	arg(w, "%s=%s", key, fmt_float(w, buf, sizeof buf, v));
}

static void arg_ints(struct writer *w, const char *key, const int64_t *v, unsigned n)
{
	arg(w, "%s=[", key);
	for (unsigned i = 0; i < n; i++)
		fprintf(w->out, "%s%" PRId64, i ? ", " : "", v[i]);
	fputc(']', w->out);
}

/* int2 values: `k` when both are equal. */
static void arg_int2(struct writer *w, const char *key, const int64_t *v)
{
	if (v[0] == v[1])
		arg(w, "%s=%" PRId64, key, v[0]);
	else
		arg_ints(w, key, v, 2);
}

/* Padding as given (same/valid keep their mode), explicit pads in the
 * shortest of p, [ph, pw], [top, left, bottom, right]. */
static void arg_pad(struct writer *w, enum ir_pad_mode mode, const int64_t *p, bool valid_default)
{
	if (mode == IR_PAD_SAME)
		arg(w, "padding=same");
	else if (mode == IR_PAD_VALID) {
		if (!valid_default)
			arg(w, "padding=valid");
	} else if (p[0] == p[1] && p[1] == p[2] && p[2] == p[3])
		arg(w, "padding=%" PRId64, p[0]);
	else if (p[0] == p[2] && p[1] == p[3])
		arg_ints(w, "padding", p, 2);
	else
		arg_ints(w, "padding", p, 4);
}

static void put_string(FILE *out, const char *s)
{
	fputc('"', out);
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			fprintf(out, "\\%c", *s);
		else if (*s == '\n')
			fputs("\\n", out);
		else if (*s == '\t')
			fputs("\\t", out);
		else
			fputc(*s, out);
	}
	fputc('"', out);
}

/* Closes the arguments and lists the inputs by identifier. */
static void end_named(struct writer *w, const char *in)
{
	fprintf(w->out, ")(%s)\n", in);
}

static void end(struct writer *w, const uint32_t *in, unsigned nin)
{
	fputs(")(", w->out);
	for (unsigned i = 0; i < nin; i++) {
		DLC_ASSERT(w->ident[in[i]]);
		fprintf(w->out, "%s%s", i ? ", " : "", w->ident[in[i]]);
	}
	fputs(")\n", w->out);
}

static void add_tensor(struct writer *w, const char *key, uint32_t v)
{
	const struct ir_value *val = ir_val(w->g, v);
	if (!val->data || val->type.dtype == IR_DT_NONE) {
		node_error(w, "constant '%s' has no data", val->name);
		return;
	}
	if (w->ntensors == w->captensors) {
		uint32_t cap = w->captensors ? 2 * w->captensors : 32;
		w->tensors = arena_grow(w->a, w->tensors, w->ntensors, cap, sizeof *w->tensors);
		w->captensors = cap;
	}
	struct st_tensor *t = &w->tensors[w->ntensors++];
	memset(t, 0, sizeof *t);
	t->name = key;
	t->dtype = val->type.dtype == IR_DT_F32 ? ST_F32 : val->type.dtype == IR_DT_I32 ? ST_I32 : ST_I64;
	t->rank = val->type.rank;
	memcpy(t->dims, val->type.dims, sizeof t->dims);
	t->data = val->data;
	t->nbytes = (uint64_t)ir_type_bytes(&val->type);
}

/* A weight of a layer: the constant and the key suffix the language
 * gives its slot. */
struct wref {
	uint32_t v;
	const char *suffix;
};

static bool prefix_free(struct writer *w, const char *p, const struct wref *r, unsigned n)
{
	if (!*p || strmap_has(&w->prefixes, p))
		return false;
	for (unsigned i = 0; i < n; i++)
		if (strmap_has(&w->keys, arena_printf(w->a, "%s.%s", p, r[i].suffix)))
			return false;
	return true;
}

/* The prefix of a layer's weights: the one its keys already share when
 * they follow `<prefix>.<suffix>`, else the statement's identifier (made
 * unique). Records the tensors under the resulting keys. */
static const char *weight_prefix(struct writer *w, const char *ident, const struct wref *r,
                                 unsigned n)
{
	const char *p = NULL;
	if (n) {
		const char *key = ir_val(w->g, r[0].v)->name;
		size_t kl = strlen(key), sl = strlen(r[0].suffix);
		if (kl > sl + 1 && key[kl - sl - 1] == '.' && !strcmp(key + kl - sl, r[0].suffix))
			p = arena_strndup(w->a, key, kl - sl - 1);
		for (unsigned i = 0; p && i < n; i++)
			if (strcmp(ir_val(w->g, r[i].v)->name, arena_printf(w->a, "%s.%s", p, r[i].suffix)))
				p = NULL;
	}
	if (!p || !prefix_free(w, p, r, n)) {
		p = ident;
		for (unsigned k = 2; !prefix_free(w, p, r, n); k++)
			p = arena_printf(w->a, "%s_%u", ident, k);
	}
	strmap_put(&w->prefixes, p, 0);
	for (unsigned i = 0; i < n; i++) {
		const char *key = arena_printf(w->a, "%s.%s", p, r[i].suffix);
		strmap_put(&w->keys, key, 0);
		add_tensor(w, key, r[i].v);
	}
	return p;
}

static void arg_params(struct writer *w, const char *ident, const char *prefix)
{
	if (!strcmp(ident, prefix))
		return;
	arg(w, "params=");
	put_string(w->out, prefix);
}

/* conv2d, dense, batchnorm, embedding: one weight per present slot. */
static void layer_weights(struct writer *w, const struct ir_node *n, const char *ident)
{
	struct wref r[IR_MAX_PARAMS];
	unsigned cnt = 0;
	for (unsigned k = 0; k < ir_op_table[n->op].nparams; k++)
		if (n->param[k] != IR_NONE)
			r[cnt++] = (struct wref){ n->param[k], ir_param_info(n->op, k)->pytorch };
	arg_params(w, ident, weight_prefix(w, ident, r, cnt));
}

static void check_layout(struct writer *w, enum ir_layout l)
{
	if (l != w->layout)
		node_error(w, "its layout is %s but the model's is %s (the language takes the "
		           "layout from the 4-D inputs)", ir_layout_name(l), ir_layout_name(w->layout));
}

/* The layer of an activation op (`activation=` values are spelled alike). */
static enum fe_layer_id act_layer(enum ir_op op)
{
	return op == IR_RELU      ? FE_LAYER_RELU
	       : op == IR_SIGMOID ? FE_LAYER_SIGMOID
	       : op == IR_TANH    ? FE_LAYER_TANH
	                          : FE_LAYER_SOFTMAX;
}

/* conv2d or dense n, with the activation node act (or NULL) folded in. */
static void put_conv_dense(struct writer *w, const struct ir_node *n, const struct ir_node *act,
                           const char *ident)
{
	bool conv = n->op == IR_CONV2D;
	const struct ir_tile *tile = conv ? &n->attr.conv.tile : &n->attr.dense.tile;
	enum ir_act fused = conv ? n->attr.conv.act : n->attr.dense.act;
	if (n->nin != 1 || fused != IR_ACT_NONE || tile->packed) {
		node_error(w, "it holds a fused activation, residual or packed weights, which only "
		           "the optimizer creates; write the graph before optimization");
		return;
	}
	begin(w, ident, conv ? FE_LAYER_CONV2D : FE_LAYER_DENSE);
	if (conv) {
		const struct ir_conv_attr *c = &n->attr.conv;
		check_layout(w, c->layout);
		arg(w, "%" PRId64, c->filters);
		arg_int2(w, "kernel", c->kernel);
		if (c->stride[0] != 1 || c->stride[1] != 1)
			arg_int2(w, "stride", c->stride);
		arg_pad(w, c->pad_mode, c->pad, true);
		if (c->dilation[0] != 1 || c->dilation[1] != 1)
			arg_int2(w, "dilation", c->dilation);
		if (c->groups != 1)
			arg(w, "groups=%" PRId64, c->groups);
	} else {
		arg(w, "%" PRId64, n->attr.dense.units);
	}
	if (n->param[1] == IR_NONE)
		arg(w, "bias=false");
	if (act)
		arg(w, "activation=%s", fe_layers[act_layer(act->op)].name);
	layer_weights(w, n, ident);
	end(w, n->in, 1);
}

static void put_pool(struct writer *w, const struct ir_node *n, const char *ident)
{
	const struct ir_pool_attr *p = &n->attr.pool;
	check_layout(w, p->layout);
	begin(w, ident, n->op == IR_MAXPOOL2D ? FE_LAYER_MAXPOOL2D : FE_LAYER_AVGPOOL2D);
	arg_int2(w, "pool", p->kernel);
	if (p->stride[0] != p->kernel[0] || p->stride[1] != p->kernel[1])
		arg_int2(w, "stride", p->stride);
	arg_pad(w, p->pad_mode, p->pad, true);
	if (n->op == IR_AVGPOOL2D && p->count_include_pad)
		arg(w, "count_include_pad=true");
	end(w, n->in, 1);
}

static void arg_floats(struct writer *w, const char *key, const float *v, int64_t n)
{
	char buf[40];
	arg(w, "%s=[", key);
	for (int64_t i = 0; i < n; i++)
		fprintf(w->out, "%s%s", i ? ", " : "", fmt_float(w, buf, sizeof buf, v[i]));
	fputc(']', w->out);
}

/* The language's reshape keeps the batch dimension and takes the others,
 * at most one of them -1; dims the IR leaves as 0 (ONNX: copy) are
 * written as the inferred extents. */
static void put_reshape(struct writer *w, const struct ir_node *n, const char *ident)
{
	const struct ir_type *in = &ir_val(w->g, n->in[0])->type, *out = &ir_val(w->g, n->out)->type;
	char a[200], b[200];
	if (out->rank < 2 || in->dims[0] != out->dims[0]) {
		node_error(w, "the language's reshape keeps the batch dimension; this one turns %s "
		           "into %s", ir_type_str(in, a, sizeof a), ir_type_str(out, b, sizeof b));
		return;
	}
	const struct ir_reshape_attr *r = &n->attr.reshape;
	bool own = r->rank == out->rank;
	unsigned infer = 0;
	for (unsigned k = 1; own && k < r->rank; k++) {
		infer += r->dims[k] == -1;
		own = r->dims[k] > 0 || r->dims[k] == -1;
	}
	begin(w, ident, FE_LAYER_RESHAPE);
	arg_ints(w, "shape", (own && infer <= 1 ? r->dims : out->dims) + 1, out->rank - 1u);
	end(w, n->in, 1);
}

static void put_normalize(struct writer *w, const struct ir_node *n, const char *ident)
{
	unsigned rank = rank_of(w, n->in[0]);
	int channel = rank == 4 && w->layout == IR_LAYOUT_NHWC ? 3 : 1;
	if (n->attr.norm.axis != channel) {
		node_error(w, "it normalizes axis %d; the language's normalize works on the channel "
		           "axis (%d here)", n->attr.norm.axis, channel);
		return;
	}
	begin(w, ident, FE_LAYER_NORMALIZE);
	arg_floats(w, "mean", n->attr.norm.mean, n->attr.norm.nchannels);
	arg_floats(w, "std", n->attr.norm.std, n->attr.norm.nchannels);
	end(w, n->in, 1);
}

/* A recurrent statement: every layer's and direction's weights under
 * `<prefix>.weight_ih_l<j>[_reverse]` and so on (docs/dsl.md). */
static void put_rnn(struct writer *w, const struct rnn_group *grp, const char *ident)
{
	const struct ir_node *f = ir_node(w->g, grp->fwd[0]);
	const struct ir_node *last = ir_node(w->g, grp->fwd[grp->nlayers - 1]);
	struct wref *r = arena_array(w->a, (size_t)grp->nlayers * 8, sizeof *r);
	unsigned cnt = 0;
	bool bias = has_bias(f);
	for (uint32_t j = 0; j < grp->nlayers; j++) {
		for (unsigned dir = 0; dir < (grp->bidi ? 2u : 1u); dir++) {
			const struct ir_node *n = ir_node(w->g, dir ? grp->rev[j] : grp->fwd[j]);
			if (n->param[0] == IR_NONE || n->param[1] == IR_NONE ||
			    (n->param[2] == IR_NONE) != (n->param[3] == IR_NONE)) {
				w->cur = n;
				node_error(w, "the language reads both weights and both biases or no biases");
				return;
			}
			for (unsigned k = 0; k < (bias ? 4u : 2u); k++)
				r[cnt++] = (struct wref){ n->param[k],
				                          arena_printf(w->a, "%s_l%u%s",
				                                       ir_param_info(n->op, k)->pytorch, j,
				                                       dir ? "_reverse" : "") };
		}
	}
	begin(w, ident, f->op == IR_LSTM ? FE_LAYER_LSTM : FE_LAYER_GRU);
	arg(w, "%" PRId64, f->attr.rnn.units);
	if (last->attr.rnn.return_sequences)
		arg(w, "return_sequences=true");
	if (grp->bidi)
		arg(w, "bidirectional=true");
	if (grp->nlayers > 1)
		arg(w, "num_layers=%u", grp->nlayers);
	if (!bias)
		arg(w, "bias=false");
	arg_params(w, ident, weight_prefix(w, ident, r, cnt));
	end(w, f->in, 1);
}

/* One elementwise step as a layer statement. */
static void put_step(struct writer *w, const struct ir_eltwise_step *s, const char *ident,
                     const char *in)
{
	switch (s->kind) {
	case IR_STEP_CLIP:
		begin(w, ident, FE_LAYER_CLIP);
		arg_float(w, "min", s->a);
		arg_float(w, "max", s->b);
		break;
	case IR_STEP_AFFINE:
		begin(w, ident, FE_LAYER_RESCALE);
		arg_float(w, "scale", s->a);
		arg_float(w, "offset", s->b);
		break;
	case IR_STEP_LEAKY_RELU:
		begin(w, ident, FE_LAYER_LEAKY_RELU);
		arg_float(w, "alpha", s->a);
		break;
	case IR_STEP_HARD_SIGMOID:
		begin(w, ident, FE_LAYER_HARD_SIGMOID);
		arg_float(w, "alpha", s->a);
		arg_float(w, "beta", s->b);
		break;
	default: {
		/* A step without numbers is the layer of its name (ir_steps.def). */
		enum fe_layer_id id = s->kind > IR_STEP_NONE && s->kind < IR_STEP_COUNT &&
		                              ir_step_table[s->kind].nargs == 0
		                          ? fe_layer_find(ir_step_table[s->kind].name)
		                          : FE_LAYER_NONE;
		if (id == FE_LAYER_NONE) {
			node_error(w, "elementwise step %d has no layer in the language", (int)s->kind);
			return;
		}
		begin(w, ident, id);
		break;
	}
	}
	end_named(w, in);
}

/* An elementwise chain: one statement per step, the intermediate values
 * named "<name>_s<k>". */
static void put_eltwise(struct writer *w, const struct ir_node *n, const char *ident)
{
	const struct ir_eltwise_attr *e = &n->attr.eltwise;
	const char *in = w->ident[n->in[0]];
	for (unsigned k = 0; k < e->nsteps; k++) {
		const char *sid = k + 1 == e->nsteps
		                      ? ident
		                      : claim(w, arena_printf(w->a, "%s_s%u", ident, k + 1));
		put_step(w, &e->steps[k], sid, in);
		in = sid;
	}
}

static void arg_int_list(struct writer *w, const char *key, const int *v, unsigned n)
{
	int64_t wide[IR_MAX_RANK];
	for (unsigned i = 0; i < n; i++)
		wide[i] = v[i];
	arg_ints(w, key, wide, n);
}

/* The tensor ops of ONNX import (issue 6). */
static void put_tensor_op(struct writer *w, const struct ir_node *n, const char *ident)
{
	const union ir_attrs *at = &n->attr;
	switch (n->op) {
	case IR_BINARY: begin(w, ident, fe_layer_find(ir_binop_name(at->binary.op))); break;
	case IR_MATMUL: begin(w, ident, FE_LAYER_MATMUL); break;
	case IR_REDUCE_MEAN:
		begin(w, ident, FE_LAYER_REDUCE_MEAN);
		arg_int_list(w, "axes", at->reduce.axes, at->reduce.naxes);
		arg(w, "keepdims=%s", at->reduce.keepdims ? "true" : "false");
		break;
	case IR_SLICE:
		begin(w, ident, FE_LAYER_SLICE);
		arg(w, "axis=%d", at->slice.axis);
		arg(w, "start=%" PRId64, at->slice.start);
		arg(w, "end=%" PRId64, at->slice.end);
		arg(w, "step=%" PRId64, at->slice.step);
		break;
	case IR_PAD:
		begin(w, ident, FE_LAYER_PAD);
		arg_ints(w, "pads", at->pad_nd.pads, at->pad_nd.npads);
		arg_float(w, "value", at->pad_nd.value);
		break;
	case IR_BROADCAST:
		begin(w, ident, FE_LAYER_BROADCAST);
		arg_ints(w, "dims", at->broadcast.dims, at->broadcast.rank);
		break;
	case IR_GATHER:
		begin(w, ident, FE_LAYER_GATHER);
		arg(w, "axis=%d", at->gather.axis);
		arg_ints(w, "indices", at->gather.idx, (unsigned)at->gather.nidx);
		break;
	case IR_TRANSPOSE: {
		int64_t perm[IR_MAX_RANK];
		for (unsigned k = 0; k < at->transpose.rank; k++)
			perm[k] = at->transpose.perm[k];
		begin(w, ident, FE_LAYER_TRANSPOSE);
		arg_ints(w, "perm", perm, at->transpose.rank);
		break;
	}
	default: DLC_UNREACHABLE("not a tensor op");
	}
	end(w, n->in, n->nin);
}

/* The layers whose arguments are their attributes one to one. */
static void put_simple(struct writer *w, const struct ir_node *n, const char *ident)
{
	const union ir_attrs *at = &n->attr;
	switch (n->op) {
	case IR_RESCALE:
		begin(w, ident, FE_LAYER_RESCALE);
		arg_float(w, "scale", at->rescale.scale);
		arg_float(w, "offset", at->rescale.offset);
		break;
	case IR_GLOBAL_AVGPOOL:
		check_layout(w, at->axis.layout);
		begin(w, ident, FE_LAYER_GLOBAL_AVGPOOL);
		break;
	case IR_FLATTEN: begin(w, ident, FE_LAYER_FLATTEN); break;
	case IR_RELU:
	case IR_SIGMOID:
	case IR_TANH: begin(w, ident, act_layer(n->op)); break;
	case IR_SOFTMAX:
		begin(w, ident, at->axis.log ? FE_LAYER_LOG_SOFTMAX : FE_LAYER_SOFTMAX);
		arg(w, "axis=%d", at->axis.axis);
		break;
	case IR_BATCHNORM:
		begin(w, ident, FE_LAYER_BATCHNORM);
		if (at->bn.epsilon != 1e-5f)
			arg_float(w, "epsilon", at->bn.epsilon);
		arg(w, "axis=%d", at->bn.axis);
		layer_weights(w, n, ident);
		break;
	case IR_DROPOUT:
		begin(w, ident, FE_LAYER_DROPOUT);
		arg_float(w, "rate", at->dropout.rate);
		break;
	case IR_ADD: begin(w, ident, FE_LAYER_ADD); break;
	case IR_CONCAT:
		begin(w, ident, FE_LAYER_CONCAT);
		arg(w, "axis=%d", at->axis.axis);
		break;
	case IR_CLIP:
		begin(w, ident, FE_LAYER_CLIP);
		arg_float(w, "min", at->clip.min);
		arg_float(w, "max", at->clip.max);
		break;
	case IR_ZEROPAD2D:
		check_layout(w, at->pad.layout);
		begin(w, ident, FE_LAYER_ZEROPAD2D);
		arg_pad(w, IR_PAD_EXPLICIT, at->pad.pad, false);
		break;
	case IR_EMBEDDING:
		begin(w, ident, FE_LAYER_EMBEDDING);
		arg(w, "%" PRId64, at->index.size);
		arg(w, "%" PRId64, at->index.dim ? at->index.dim
		                                 : ir_val(w->g, n->out)->type.dims[rank_of(w, n->out) - 1]);
		layer_weights(w, n, ident);
		break;
	case IR_ONEHOT:
		begin(w, ident, FE_LAYER_ONEHOT);
		arg(w, "%" PRId64, at->index.size);
		break;
	case IR_TIMESTEP:
		begin(w, ident, FE_LAYER_TIMESTEP);
		arg(w, "%" PRId64, at->select.index);
		break;
	default: DLC_UNREACHABLE("not a simple layer");
	}
	end(w, n->in, n->nin);
}

/* A constant read as an activation: `c = constant(f32[...])` from the
 * weights file, or with value= when every element is the same float. */
static void put_constant(struct writer *w, uint32_t v)
{
	const struct ir_value *c = ir_val(w->g, v);
	const char *ident = w->ident[v];
	char buf[200];
	if (!c->data || c->type.dtype == IR_DT_NONE) {
		node_error(w, "constant '%s' has no data", c->name);
		return;
	}
	fprintf(w->out, "%s = %s(%s", ident, fe_layers[FE_LAYER_CONSTANT].name,
	        ir_type_str(&c->type, buf, sizeof buf));
	int64_t count = ir_type_numel(&c->type);
	const float *f = c->data;
	bool filled = c->type.dtype == IR_DT_F32 && count > 0;
	for (int64_t i = 1; filled && i < count; i++)
		filled = !memcmp(&f[i], &f[0], sizeof f[0]);
	if (filled) {
		fprintf(w->out, ", value=%s)\n", fmt_float(w, buf, sizeof buf, f[0]));
		return;
	}
	const char *key = c->name;
	for (unsigned k = 2; strmap_has(&w->keys, key); k++)
		key = k == 2 ? ident : arena_printf(w->a, "%s_%u", ident, k);
	strmap_put(&w->keys, key, 0);
	add_tensor(w, key, v);
	if (strcmp(key, ident)) {
		fputs(", params=", w->out);
		put_string(w->out, key);
	}
	fputs(")\n", w->out);
}

static void put_node(struct writer *w, uint32_t i, bool *declared)
{
	const struct ir_node *n = ir_node(w->g, i);
	w->cur = n;
	for (unsigned k = 0; k < n->nin; k++) {
		if (is_const_input(w, n->in[k]) && !declared[n->in[k]]) {
			declared[n->in[k]] = true;
			put_constant(w, n->in[k]);
		}
	}
	const char *ident = w->ident[n->out];
	switch ((enum stmt_kind)w->kind[i]) {
	case STMT_NONE: return;
	case STMT_ALIAS: w->ident[n->out] = w->ident[n->in[0]]; return;
	case STMT_FUSED:
		w->cur = ir_node(w->g, w->partner[i]);
		put_conv_dense(w, w->cur, n, ident);
		return;
	case STMT_RNN: put_rnn(w, w->group[i], ident); return;
	case STMT_PLAIN: break;
	}
	switch (n->op) {
	case IR_CONV2D:
	case IR_DENSE: put_conv_dense(w, n, NULL, ident); break;
	case IR_MAXPOOL2D:
	case IR_AVGPOOL2D: put_pool(w, n, ident); break;
	case IR_RESHAPE: put_reshape(w, n, ident); break;
	case IR_NORMALIZE: put_normalize(w, n, ident); break;
	case IR_ELTWISE: put_eltwise(w, n, ident); break;
	case IR_BINARY:
	case IR_MATMUL:
	case IR_REDUCE_MEAN:
	case IR_SLICE:
	case IR_PAD:
	case IR_BROADCAST:
	case IR_GATHER:
	case IR_TRANSPOSE: put_tensor_op(w, n, ident); break;
	case IR_LSTM:
	case IR_GRU:
		node_error(w, "a reverse direction alone has no layer; the language runs one only in "
		           "a bidirectional layer");
		break;
	case IR_RESCALE:
	case IR_GLOBAL_AVGPOOL:
	case IR_FLATTEN:
	case IR_RELU:
	case IR_SIGMOID:
	case IR_TANH:
	case IR_SOFTMAX:
	case IR_BATCHNORM:
	case IR_DROPOUT:
	case IR_ADD:
	case IR_CONCAT:
	case IR_CLIP:
	case IR_ZEROPAD2D:
	case IR_EMBEDDING:
	case IR_ONEHOT:
	case IR_TIMESTEP: put_simple(w, n, ident); break;
	default:
		/* scale_bias (made by fold-batchnorm) and any op added without
		 * a layer */
		node_error(w, "the op has no layer in the language; write the graph before "
		           "optimization");
		break;
	}
}

/* `output a, b`: every output must be a statement's value, once. */
static void put_outputs(struct writer *w)
{
	struct ir_graph *g = w->g;
	struct strmap seen;
	strmap_init(&seen, w->a, g->noutputs);
	fprintf(w->out, "%s ", fe_keywords[FE_KW_OUTPUT]);
	for (uint32_t i = 0; i < g->noutputs; i++) {
		const struct ir_value *v = ir_val(g, g->outputs[i]);
		if (v->kind != IR_VAL_NODE) {
			diag_error(w->d, v->loc, "cannot write output '%s' as a .dl program: the "
			           "language's outputs are layer values, not %s", v->name,
			           v->kind == IR_VAL_INPUT ? "model inputs" : "constants");
			w->ok = false;
			continue;
		}
		const char *id = w->ident[g->outputs[i]];
		DLC_ASSERT(id);
		for (uint32_t k = 0; k < g->ninputs; k++) {
			if (!strcmp(id, w->ident[g->inputs[k]])) {
				diag_error(w->d, v->loc, "cannot write output '%s' as a .dl program: it is "
				           "model input '%s' unchanged", v->name, id);
				w->ok = false;
			}
		}
		if (!strmap_put(&seen, id, 0)) {
			diag_error(w->d, v->loc, "cannot write output '%s' as a .dl program: the "
			           "language lists each output once", v->name);
			w->ok = false;
		}
		fprintf(w->out, "%s%s", i ? ", " : "", id);
	}
	fputc('\n', w->out);
}

/* The model layout: that of the 4-D inputs (all alike), else nhwc. */
static void model_layout(struct writer *w)
{
	struct ir_graph *g = w->g;
	w->layout = IR_LAYOUT_NONE;
	for (uint32_t i = 0; i < g->ninputs; i++) {
		const struct ir_value *v = ir_val(g, g->inputs[i]);
		if (v->type.rank != 4)
			continue;
		enum ir_layout l = v->layout ? v->layout : IR_LAYOUT_NHWC;
		if (w->layout && l != w->layout) {
			diag_error(w->d, v->loc, "cannot write input '%s' as a .dl program: its layout "
			           "is %s but an earlier input's is %s", v->name, ir_layout_name(l),
			           ir_layout_name(w->layout));
			w->ok = false;
		}
		if (!w->layout)
			w->layout = l;
	}
	if (!w->layout)
		w->layout = IR_LAYOUT_NHWC;
}

static void put_header(struct writer *w, FILE *out, const char *weights_file)
{
	struct ir_graph *g = w->g;
	char buf[200];
	fprintf(out, "%s %s\n", fe_keywords[FE_KW_MODEL],
	        dl_identifier(w->a, g->name && *g->name ? g->name : "model"));
	for (uint32_t i = 0; i < g->ninputs; i++) {
		const struct ir_value *v = ir_val(g, g->inputs[i]);
		if (v->type.rank == 0 || v->type.dtype == IR_DT_NONE) {
			diag_error(w->d, v->loc, "cannot write input '%s' as a .dl program: the language's "
			           "inputs have a dtype and 1 to 8 dimensions", v->name);
			w->ok = false;
			continue;
		}
		fprintf(out, "%s %s: %s", fe_keywords[FE_KW_INPUT], w->ident[g->inputs[i]],
		        ir_type_str(&v->type, buf, sizeof buf));
		if (v->type.rank == 4)
			fprintf(out, " %s", ir_layout_name(w->layout));
		fputc('\n', out);
	}
	if (w->ntensors) {
		fprintf(out, "%s ", fe_keywords[FE_KW_WEIGHTS]);
		put_string(out, weights_file);
		fputs(" pytorch\n", out);
	}
	fputc('\n', out);
}

bool ir_to_dl(struct ir_graph *g, struct arena *a, struct diag *d, const char *weights_file,
              FILE *out, struct dl_weights *wts)
{
	struct writer w = { .g = g, .a = a, .d = d, .ok = true };
	w.uses = ir_count_uses(g, a);
	w.user = arena_array(a, g->nvals + 1, sizeof *w.user);
	w.ident = arena_array(a, g->nvals + 1, sizeof *w.ident);
	w.kind = arena_array(a, g->nnodes + 1, sizeof *w.kind);
	w.partner = arena_array(a, g->nnodes + 1, sizeof *w.partner);
	w.group = arena_array(a, g->nnodes + 1, sizeof *w.group);
	strmap_init(&w.names, a, g->nvals);
	strmap_init(&w.keys, a, g->nvals);
	strmap_init(&w.prefixes, a, g->nnodes);
	bool *declared = arena_array(a, g->nvals + 1, sizeof *declared);
	for (uint32_t v = 0; v < g->nvals; v++)
		w.user[v] = IR_NONE;
	for (uint32_t i = 0; i < g->nnodes; i++)
		for (unsigned k = 0; k < g->nodes[i].nin; k++)
			if (w.user[g->nodes[i].in[k]] == IR_NONE)
				w.user[g->nodes[i].in[k]] = i;
	model_layout(&w);
	find_statements(&w);
	name_values(&w, true);
	name_values(&w, false);

	char *body = NULL;
	size_t len = 0;
	w.out = open_memstream(&body, &len);
	if (!w.out)
		dlc_fatal_oom(0);
	for (uint32_t i = 0; i < g->nnodes; i++)
		put_node(&w, i, declared);
	put_outputs(&w);
	fclose(w.out);
	put_header(&w, out, weights_file);
	fwrite(body, 1, len, out);
	free(body);
	wts->tensors = w.tensors;
	wts->n = w.ntensors;
	return w.ok;
}
