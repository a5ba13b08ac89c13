/* ir_dot.c - the IR as a Graphviz digraph (dlc --emit=dot), for people to
 * look at a model instead of reading its text form.
 *
 *   digraph "cifar_cnn" {
 *     i0 [shape=invhouse, label="image\nf32[1, 32, 32, 3] nhwc"];
 *     n0 [label="conv1\nconv2d 3x3 stride 1 pad 1,1,1,1\n64 filters +relu\nweights 6.8 KB\n..."];
 *     i0 -> n0 [label="f32[1, 32, 32, 3]"];
 *     o0 [shape=house, label="probs\nf32[1, 10]"];
 *   }
 *
 * One box per node, labelled with its name, op, key attributes, what was
 * fused into it (highlighted), its tile, the size of its weights and its
 * output type; model inputs and outputs are house shapes; edges carry the
 * tensor type. Weights are summarised per node rather than drawn, since a
 * graph with one box per constant is unreadable. Ids come from schedule
 * positions, so two runs print the same text.
 *
 * Escaping: labels are DOT quoted strings, where '"' and '\' are special
 * and Graphviz also expands HTML entities ('&'); names can hold anything
 * a .dl string can (params="..."), so every name goes through dot_text. */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "ir.h"
#include "ir_attrs.h"

#define FILL_INPUT "#d8f0d8"
#define FILL_OUTPUT "#f6d6d6"
#define FILL_COMPUTE "#dde8fa" /* conv2d, dense, lstm, gru */
#define FILL_FUSED "#ffe4a8"   /* a node that carries fused work */
#define FILL_CONST "#eeeeee"

/* Length of the valid UTF-8 sequence at s (at most n bytes), or 0. */
static size_t utf8_len(const unsigned char *s, size_t n)
{
	size_t len = s[0] >= 0xf0 && s[0] <= 0xf4 ? 4 : s[0] >= 0xe0 ? 3 : s[0] >= 0xc2 ? 2 : 0;
	if (s[0] >= 0xf8 || len > n)
		return 0;
	for (size_t i = 1; i < len; i++)
		if ((s[i] & 0xc0) != 0x80)
			return 0;
	return len;
}

/* Writes s escaped for a DOT quoted string: quotes, backslashes and '&'
 * escaped, '\n' as a label line break, other control characters and
 * invalid UTF-8 shown as U+FFFD. */
void ir_dot_text(FILE *out, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n = strlen(s);
	for (size_t i = 0; i < n;) {
		unsigned char c = p[i];
		if (c == '"' || c == '\\') {
			fputc('\\', out);
			fputc(c, out);
		} else if (c == '\n') {
			fputs("\\n", out); /* a line break in the label */
		} else if (c == '&') {
			fputs("&amp;", out);
		} else if (c >= 0x20 && c < 0x7f) {
			fputc(c, out);
		} else if (c >= 0x80 && utf8_len(p + i, n - i)) {
			size_t len = utf8_len(p + i, n - i);
			fwrite(p + i, 1, len, out);
			i += len;
			continue;
		} else {
			fputs("&#65533;", out);
		}
		i++;
	}
}

void ir_dot_fmt(FILE *out, const char *fmt, ...)
{
	char buf[256];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	ir_dot_text(out, buf);
}

static void dot_type(FILE *out, const struct ir_type *t)
{
	char buf[200];
	ir_dot_text(out, t->dtype == IR_DT_NONE ? "?" : ir_type_str(t, buf, sizeof buf));
}

/* "6.8 KB": 1 KB = 1024 bytes, as sizes are shown elsewhere in dlc. */
static void dot_bytes(FILE *out, int64_t bytes)
{
	if (bytes < 1024)
		ir_dot_fmt(out, "%" PRId64 " B", bytes);
	else if (bytes < 1024 * 1024)
		ir_dot_fmt(out, "%.1f KB", (double)bytes / 1024);
	else
		ir_dot_fmt(out, "%.1f MB", (double)bytes / (1024 * 1024));
}

/* The op's name and its key attributes (ir_attrs.c), after the node name. */
static void dot_op(FILE *out, const struct ir_node *n)
{
	ir_dot_text(out, ir_op_table[n->op].name);
	ir_op_table[n->op].attrs->dot(out, n);
}

/* Whether the node carries work fused from other layers (ir_attrs.c). */
static bool is_fused(const struct ir_node *n)
{
	const struct ir_attrs_kind *k = ir_op_table[n->op].attrs;
	return k->fused && k->fused(n);
}

static int64_t weight_bytes(struct ir_graph *g, const struct ir_node *n, bool *packed)
{
	int64_t sum = 0;
	for (unsigned k = 0; k < ir_op_table[n->op].nparams && k < IR_MAX_PARAMS; k++) {
		uint32_t p = n->param[k];
		if (p != IR_NONE && g->vals[p].type.dtype != IR_DT_NONE)
			sum += ir_type_bytes(&g->vals[p].type);
	}
	*packed = (n->op == IR_CONV2D && n->attr.conv.tile.packed) ||
	          (n->op == IR_DENSE && n->attr.dense.tile.packed);
	return sum;
}

static void dot_node(struct ir_graph *g, uint32_t i, FILE *out)
{
	const struct ir_node *n = &g->nodes[i];
	const char *fill = is_fused(n)                                ? FILL_FUSED
	                   : ir_op_table[n->op].flags & IR_F_COMPUTE ? FILL_COMPUTE
	                                                             : "white";
	const char *style = ir_op_table[n->op].flags & IR_F_VIEW ? "filled,dashed" : "filled";
	fprintf(out, "  n%" PRIu32 " [style=\"%s\", fillcolor=\"%s\", label=\"", i, style, fill);
	ir_dot_text(out, n->name ? n->name : "?");
	ir_dot_text(out, "\n");
	dot_op(out, n);
	bool packed;
	int64_t wb = weight_bytes(g, n, &packed);
	if (wb) {
		ir_dot_text(out, "\nweights ");
		dot_bytes(out, wb);
		if (packed)
			ir_dot_text(out, " (packed)");
	}
	ir_dot_text(out, "\n");
	dot_type(out, &g->vals[n->out].type);
	fputs("\"];\n", out);
}

/* The DOT id of whatever defines value v. Constants used as activations
 * (folded subgraphs) get a box of their own, c<value id>. */
static void dot_src(struct ir_graph *g, uint32_t v, FILE *out)
{
	const struct ir_value *val = &g->vals[v];
	if (val->kind == IR_VAL_NODE) {
		fprintf(out, "n%" PRIu32, val->node);
		return;
	}
	if (val->kind == IR_VAL_INPUT)
		for (uint32_t i = 0; i < g->ninputs; i++)
			if (g->inputs[i] == v) {
				fprintf(out, "i%" PRIu32, i);
				return;
			}
	fprintf(out, "c%" PRIu32, v);
}

/* A model input (i<k>, shown as "input NAME"), output (o<k>) or
 * constant (c<value id>). */
static void dot_io(FILE *out, const char *id, uint32_t k, const char *shape, const char *fill,
                   const struct ir_value *v)
{
	const char *what = *id == 'i' ? "input " : *id == 'o' ? "output " : "const ";
	fprintf(out, "  %s%" PRIu32 " [shape=%s, style=filled, fillcolor=\"%s\", label=\"", id, k,
	        shape, fill);
	ir_dot_text(out, what);
	ir_dot_text(out, v->name ? v->name : "?");
	ir_dot_text(out, "\n");
	dot_type(out, &v->type);
	if (v->kind == IR_VAL_INPUT && v->layout)
		ir_dot_fmt(out, " %s", ir_layout_name(v->layout));
	fputs("\"];\n", out);
}

/* Boxes for constants that feed nodes as activations rather than params
 * (or are outputs), in value order. */
static void dot_consts(struct ir_graph *g, FILE *out)
{
	struct arena scratch = { 0 };
	bool *drawn = arena_alloc(&scratch, (size_t)g->nvals + 1);
	memset(drawn, 0, (size_t)g->nvals + 1);
	for (uint32_t i = 0; i < g->nnodes; i++)
		for (unsigned k = 0; k < g->nodes[i].nin; k++)
			drawn[g->nodes[i].in[k]] = true;
	for (uint32_t i = 0; i < g->noutputs; i++)
		drawn[g->outputs[i]] = true;
	for (uint32_t v = 0; v < g->nvals; v++)
		if (drawn[v] && g->vals[v].kind == IR_VAL_CONST)
			dot_io(out, "c", v, "note", FILL_CONST, &g->vals[v]);
	arena_free(&scratch);
}

static void dot_edge(struct ir_graph *g, uint32_t v, FILE *out, const char *to, uint32_t k,
                     bool residual)
{
	fputs("  ", out);
	dot_src(g, v, out);
	fprintf(out, " -> %s%" PRIu32 " [label=\"", to, k);
	if (residual)
		ir_dot_text(out, "residual\n");
	dot_type(out, &g->vals[v].type);
	fprintf(out, "\"%s];\n", residual ? ", style=dashed" : "");
}

void ir_print_dot(struct ir_graph *g, FILE *out)
{
	fputs("digraph \"", out);
	ir_dot_text(out, g->name ? g->name : "model");
	fputs("\" {\n", out);
	fputs("  graph [rankdir=TB, fontname=\"Helvetica\", labelloc=t, label=\"", out);
	ir_dot_text(out, g->name ? g->name : "model");
	fputs("\"];\n", out);
	fputs("  node [shape=box, fontname=\"Helvetica\", fontsize=10];\n", out);
	fputs("  edge [fontname=\"Helvetica\", fontsize=9];\n", out);
	for (uint32_t i = 0; i < g->ninputs; i++)
		dot_io(out, "i", i, "invhouse", FILL_INPUT, &g->vals[g->inputs[i]]);
	dot_consts(g, out);
	for (uint32_t i = 0; i < g->nnodes; i++)
		dot_node(g, i, out);
	for (uint32_t i = 0; i < g->noutputs; i++)
		dot_io(out, "o", i, "house", FILL_OUTPUT, &g->vals[g->outputs[i]]);
	for (uint32_t i = 0; i < g->nnodes; i++) {
		const struct ir_node *n = &g->nodes[i];
		bool fusable = n->op == IR_CONV2D || n->op == IR_DENSE;
		for (unsigned k = 0; k < n->nin; k++)
			dot_edge(g, n->in[k], out, "n", i, fusable && k == 1);
	}
	for (uint32_t i = 0; i < g->noutputs; i++)
		dot_edge(g, g->outputs[i], out, "o", i, false);
	fputs("}\n", out);
}
