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
 *   3. text: statements with explicit inputs (each op's writer is the dl
 *      column of ir_ops.def, dl_layers.c; the primitives are dl_text.c),
 *      weights under keys that follow `<prefix>.<suffix>` (the IR's own
 *      keys when they do), then the header (model, inputs, weights) in
 *      front of them. */
#include "ir_to_dl.h"

#include <stdlib.h>
#include <inttypes.h>
#include <string.h>

#include "check.h"
#include "dl_writer.h"

/* ---- step 1: statements ---- */

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
	    cn->attr.axis.axis != (int)dlw_rank(w, cn->out) - 1)
		return out;
	const struct ir_node *r = dlw_def_node(w, cn->in[1]);
	if (!r || r->op != n->op || !r->attr.rnn.reverse || r->in[0] != n->in[0] ||
	    r->attr.rnn.units != n->attr.rnn.units || dlw_has_bias(r) != dlw_has_bias(n) ||
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
		    nn->attr.rnn.units != first->attr.rnn.units ||
		    dlw_has_bias(nn) != dlw_has_bias(first) ||
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
	    (n->attr.axis.log || n->attr.axis.axis != (int)dlw_rank(w, n->out) - 1))
		return;
	const struct ir_node *l = dlw_def_node(w, n->in[0]);
	bool conv_dense = l && (l->op == IR_CONV2D || l->op == IR_CONV_TRANSPOSE || l->op == IR_DENSE);
	if (!conv_dense || l->nin != 1 || w->uses[l->out] != 1)
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
		    dlw_rank(w, n->out) < 2 &&
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
const char *dlw_claim(struct writer *w, const char *name)
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
					w->ident[c] = dlw_claim(w, cname);
			}
			if (w->kind[k] == STMT_NONE || w->kind[k] == STMT_ALIAS)
				continue;
			v = n->out;
			name = stmt_name(w, k);
		}
		if (w->ident[v])
			continue;
		if (!valid_only || !strcmp(dl_identifier(w->a, name), name))
			w->ident[v] = dlw_claim(w, name);
	}
}

/* ---- step 3: text ---- */





























/* A constant read as an activation: `c = constant(f32[...])` from the
 * weights file, or with value= when every element is the same float. */
static void put_constant(struct writer *w, uint32_t v)
{
	const struct ir_value *c = ir_val(w->g, v);
	const char *ident = w->ident[v];
	char buf[200];
	if (!c->data || c->type.dtype == IR_DT_NONE) {
		dlw_error(w, "constant '%s' has no data", c->name);
		return;
	}
	fprintf(w->out, "%s = %s(%s", ident, fe_layers[FE_LAYER_CONSTANT].name,
	        ir_type_str(&c->type, buf, sizeof buf));
	int64_t count = ir_type_numel(&c->type);
	size_t es = ir_dtype_size(c->type.dtype);
	const unsigned char *bytes = c->data;
	bool filled = count > 0;
	for (int64_t i = 1; filled && i < count; i++)
		filled = !memcmp(bytes + (size_t)i * es, bytes, es);
	enum ir_dtype_class dc = ir_dtype_class(c->type.dtype);
	int64_t iv = 0; /* an integer element, sign- or zero-extended */
	if (dc == IR_DC_SIGNED || dc == IR_DC_UNSIGNED || dc == IR_DC_BOOL) {
		uint64_t u = 0;
		memcpy(&u, bytes, es); /* little-endian */
		unsigned sh = (unsigned)(64 - 8 * es);
		iv = dc == IR_DC_SIGNED && sh ? (int64_t)(u << sh) >> sh : (int64_t)u;
		/* value= is a number: exact for integers up to 2^53 */
		filled = filled && iv >= -((int64_t)1 << 53) && iv <= ((int64_t)1 << 53);
	}
	if (filled && c->type.dtype == IR_DT_F32) {
		float f0;
		memcpy(&f0, bytes, sizeof f0);
		fprintf(w->out, ", value=%s)\n", dlw_float(w, buf, sizeof buf, f0));
		return;
	}
	if (filled) {
		fprintf(w->out, ", value=%" PRId64 ")\n", iv);
		return;
	}
	const char *key = c->name;
	for (unsigned k = 2; strmap_has(&w->keys, key); k++)
		key = k == 2 ? ident : arena_printf(w->a, "%s_%u", ident, k);
	strmap_put(&w->keys, key, 0);
	dlw_add_tensor(w, key, v);
	if (strcmp(key, ident)) {
		fputs(", params=", w->out);
		dlw_string(w->out, key);
	}
	fputs(")\n", w->out);
}

typedef void writer_fn(struct writer *w, const struct ir_node *n, const char *ident);
static writer_fn *const writers[IR_OP_COUNT] = {
	[IR_OP_NONE] = write_none,
#define IR_OP(id, name, min_in, max_in, nparams, flags, attrs, shape, interp, lower, layout, \
              params, step, dl)                                                             \
	[IR_##id] = write_##dl,
#include "ir_ops.def"
};

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
		write_conv_dense(w, w->cur, n, ident);
		return;
	case STMT_RNN: write_rnn(w, w->group[i], ident); return;
	case STMT_PLAIN: break;
	}
	writers[n->op](w, n, ident);
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

/* The layout of a node's 2-D window (conv2d, pools, zeropad2d), or NONE. */
static enum ir_layout window_layout(const struct ir_node *n)
{
	switch (n->op) {
	case IR_CONV2D:
	case IR_CONV_TRANSPOSE: return n->attr.conv.layout;
	case IR_MAXPOOL2D:
	case IR_AVGPOOL2D: return n->attr.pool.layout;
	default: return IR_LAYOUT_NONE;
	}
}

/* The model layout: that of the 4-D inputs (all alike); without any, that
 * of the first conv2d or pool when a 3-D input can carry it ([N, C, L]
 * nchw: 1-D layers imported as 2-D ones of height 1), else nhwc. */
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
	bool has3d = false;
	for (uint32_t i = 0; i < g->ninputs; i++)
		has3d |= ir_val(g, g->inputs[i])->type.rank == 3;
	for (uint32_t i = 0; !w->layout && has3d && i < g->nnodes; i++)
		w->layout = window_layout(&g->nodes[i]);
	if (!w->layout)
		w->layout = IR_LAYOUT_NHWC;
}

static void put_header(struct writer *w, FILE *out, const char *weights_file)
{
	struct ir_graph *g = w->g;
	char buf[200];
	bool has4d = false, layout_put = false;
	for (uint32_t i = 0; i < g->ninputs; i++)
		has4d |= ir_val(g, g->inputs[i])->type.rank == 4;
	fprintf(out, "%s %s\n", fe_keywords[FE_KW_MODEL],
	        dl_identifier(w->a, g->name && *g->name ? g->name : "model"));
	for (uint32_t i = 0; i < g->ninputs; i++) {
		const struct ir_value *v = ir_val(g, g->inputs[i]);
		if (v->type.dtype == IR_DT_NONE) {
			diag_error(w->d, v->loc, "cannot write input '%s' as a .dl program: it has no "
			           "dtype", v->name);
			w->ok = false;
			continue;
		}
		fprintf(out, "%s %s: %s", fe_keywords[FE_KW_INPUT], w->ident[g->inputs[i]],
		        ir_type_str(&v->type, buf, sizeof buf));
		if (v->type.rank == 4)
			fprintf(out, " %s", ir_layout_name(w->layout));
		else if (v->type.rank == 3 && !has4d && !layout_put && w->layout == IR_LAYOUT_NCHW)
			fprintf(out, " %s", ir_layout_name(w->layout)); /* the model's: check.c */
		layout_put |= v->type.rank == 3;
		fputc('\n', out);
	}
	if (w->ntensors) {
		fprintf(out, "%s ", fe_keywords[FE_KW_WEIGHTS]);
		dlw_string(out, weights_file);
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
