/* onnx_import.c - the importer's main loop: ONNX nodes in order to IR.
 *
 * After the file is read (onnx_read.c) and the initializers and graph
 * inputs entered (onnx_inputs.c), every node is taken in graph order,
 * which ONNX requires to be topological (checked: an input must be
 * defined by an earlier node, an initializer or a graph input). A node whose inputs are all constant is evaluated at import
 * time (onnx_const.c) and never reaches the IR; any other node is mapped
 * by its operator's function (onnx_ops.c, onnx_nn.c). Operators without a
 * mapping are collected with the nodes using them and reported once at
 * the end, so one run names everything a model needs. IR names are the
 * ONNX names made into identifiers ([A-Za-z0-9_.], unique: onnx_values.c);
 * a node that defines a graph output takes the output's name. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "onnx_const.h"
#include "onnx_imp.h"
#include "onnx_inputs.h"
#include "onnx_map.h"
#include "onnx_read.h"

static void report_unsupported(struct onnx_imp *m)
{
	if (!m->nunsup)
		return;
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	if (!f)
		dlc_fatal_oom(0);
	for (uint32_t i = 0; i < m->nunsup; i++) {
		const struct onnx_unsup *u = &m->unsup[i];
		fprintf(f, "%s%s (node%s ", i ? ", " : "", u->op, u->nnodes == 1 ? "" : "s");
		for (uint32_t k = 0; k < u->nnodes; k++)
			fprintf(f, "%s'%s'", k ? ", " : "", u->nodes[k]);
		fputc(')', f);
	}
	fclose(f);
	m->node = NULL;
	diag_error(m->d, m->loc, "unsupported operators (opset %lld): %s", (long long)m->opset, text);
	free(text);
}

static onnx_map_fn find_map(const char *op)
{
	static const struct onnx_op_map *const tables[] = {
		onnx_ops_table, onnx_nn_table, onnx_typed_table, onnx_loss_table, onnx_einsum_table,
	};
	for (unsigned k = 0; k < sizeof tables / sizeof tables[0]; k++)
		for (const struct onnx_op_map *t = tables[k]; t->op; t++)
			if (!strcmp(t->op, op))
				return t->fn;
	return NULL;
}

/* Whether operator op reads the same at opsets 1 to 6 as at 7 for all
 * dlc maps: the activations, unary math and pools whose only older
 * attribute is the ignored consumed_inputs. Binary operators (the legacy
 * broadcast attribute), BatchNormalization, Dropout (is_test), Reshape,
 * Split, Pad, Concat and the rest changed, so older models need opset 7. */
static bool legacy_same(const char *op)
{
	static const char *const same[] = {
		"Relu", "Sigmoid", "Tanh", "Elu", "Selu", "HardSigmoid", "LeakyRelu", "Softplus",
		"Softsign", "Exp", "Log", "Sqrt", "Neg", "Abs", "Reciprocal", "Floor", "Ceil",
		"GlobalAveragePool", "GlobalMaxPool", "InstanceNormalization", "Not", "Identity",
		"ReduceMean", "ReduceSum", "ReduceMax", "ReduceMin", "ReduceProd", "ReduceL1",
		"ReduceL2", "ReduceSumSquare", "ReduceLogSum", "ReduceLogSumExp",
	};
	for (unsigned i = 0; i < sizeof same / sizeof same[0]; i++)
		if (!strcmp(op, same[i]))
			return true;
	return false;
}

static void mark_outputs_bad(struct onnx_imp *m)
{
	for (size_t k = 0; k < m->node->n_output; k++)
		if (m->node->output[k] && m->node->output[k][0])
			onnx_value(m, m->node->output[k])->kind = ONNX_BAD;
}

/* Inputs defined earlier? Outputs not defined twice? Quiet after errors. */
static bool check_edges(struct onnx_imp *m)
{
	bool ok = true;
	for (size_t k = 0; k < m->node->n_input; k++) {
		struct onnx_value *v = onnx_in(m, (unsigned)k);
		if (!v)
			continue;
		if (v->kind == ONNX_BAD)
			ok = false;
		else if (v->kind == ONNX_NONE) {
			onnx_error(m, "input '%s' is not defined by an earlier node, an initializer or "
			           "a graph input (missing initializer, or nodes not in topological "
			           "order)", v->name);
			ok = false;
		}
	}
	for (size_t k = 0; k < m->node->n_output; k++) {
		const char *o = m->node->output[k];
		if (o && o[0] && onnx_value(m, o)->kind != ONNX_NONE) {
			onnx_error(m, "output '%s' is defined twice", o);
			ok = false;
		}
	}
	return ok;
}

static bool default_domain(const Onnx__NodeProto *n)
{
	return !n->domain || !n->domain[0] || !strcmp(n->domain, "ai.onnx");
}

static void import_node(struct onnx_imp *m, uint32_t i)
{
	const Onnx__NodeProto *n = m->model->graph->node[i];
	m->node = n;
	m->node_index = i;
	const char *op = n->op_type ? n->op_type : "";
	m->node_name = n->name && n->name[0] ? n->name : arena_printf(m->a, "%s_%u", op, i);
	m->base = m->node_name;
	if (!op[0]) {
		m->node = NULL;
		diag_error(m->d, m->loc, "node %u ('%s') has no operator type", i, m->node_name);
		m->node = n;
		mark_outputs_bad(m);
		return;
	}
	onnx_map_fn fn = default_domain(n) ? find_map(op) : NULL;
	if (m->opset < 7 && default_domain(n) && (fn || onnx_const_op(op)) && !legacy_same(op)) {
		onnx_error(m, "opset %lld's %s differs from the form dlc reads (opset 7 and later); "
		           "export the model at opset 7 or later", (long long)m->opset, op);
		mark_outputs_bad(m);
		return;
	}
	if (!check_edges(m)) {
		/* still named in the report: it would fail on its own too */
		if (!fn && !(default_domain(n) && onnx_const_op(op)))
			onnx_unsupported(m);
		mark_outputs_bad(m);
		return;
	}
	bool handled = default_domain(n) && onnx_try_const(m);
	if (!handled && !fn) {
		onnx_unsupported(m);
		mark_outputs_bad(m);
		return;
	}
	int errors = m->d->errors;
	uint32_t nunsup = m->nunsup;
	if (!handled && !onnx_in(m, 0)) { /* every mapped operator reads input 0 */
		onnx_error(m, "input 0 is missing");
		mark_outputs_bad(m);
		return;
	}
	if (!handled && !fn(m)) {
		mark_outputs_bad(m);
		return;
	}
	if (m->d->errors != errors || m->nunsup != nunsup) {
		mark_outputs_bad(m);
		return;
	}
	for (size_t k = 0; k < n->n_output; k++) {
		struct onnx_value *v = onnx_out(m, (unsigned)k);
		if (v && v->kind == ONNX_NONE) {
			onnx_error(m, "output %zu ('%s') is not supported", k, v->name);
			v->kind = ONNX_BAD;
		}
	}
}

static void count_uses(struct onnx_imp *m)
{
	const Onnx__GraphProto *gp = m->model->graph;
	for (size_t i = 0; i < gp->n_node; i++) {
		const Onnx__NodeProto *n = gp->node[i];
		for (size_t k = 0; k < n->n_input; k++)
			if (n->input[k] && n->input[k][0])
				onnx_value(m, n->input[k])->uses++;
	}
	for (size_t i = 0; i < gp->n_output; i++) {
		struct onnx_value *v = onnx_value(m, gp->output[i]->name ? gp->output[i]->name : "");
		v->uses++;
		v->graph_output = true;
	}
}

/* Graph outputs: an activation gets the output's name; an input or a
 * constant passed straight through gets a copy (a reshape to itself). */
static void add_outputs(struct onnx_imp *m)
{
	const Onnx__GraphProto *gp = m->model->graph;
	m->node = NULL;
	if (!gp->n_output)
		diag_error(m->d, m->loc, "the graph has no outputs");
	for (size_t i = 0; i < gp->n_output; i++) {
		struct onnx_value *v = onnx_value(m, gp->output[i]->name ? gp->output[i]->name : "");
		if (v->kind == ONNX_BAD)
			continue;
		if (v->kind == ONNX_CONST) {
			diag_error(m->d, m->loc, "output '%s' is a constant; dlc models compute their "
			           "outputs from inputs", v->name);
			continue;
		}
		if (v->kind != ONNX_ACT) {
			diag_error(m->d, m->loc, "output '%s' is not computed by any node", v->name);
			continue;
		}
		uint32_t x = v->ir;
		if (m->g->vals[x].kind != IR_VAL_NODE) {
			union ir_attrs at;
			memset(&at, 0, sizeof at);
			at.reshape.rank = v->type.rank;
			memcpy(at.reshape.dims, v->type.dims, v->type.rank * sizeof *v->type.dims);
			x = onnx_emit(m, IR_RESHAPE, onnx_unique(m, v->name), &x, 1, &at);
		}
		ir_add_output(m->g, x);
	}
}

static const char *graph_name(struct onnx_imp *m)
{
	const char *base = strrchr(m->path, '/');
	base = base ? base + 1 : m->path;
	size_t n = strlen(base);
	if (n > 5 && !strcmp(base + n - 5, ".onnx"))
		n -= 5;
	char *s = arena_strndup(m->a, base, n);
	for (char *p = s; *p; p++)
		if (!isalnum((unsigned char)*p) && *p != '_')
			*p = '_';
	if (!s[0] || isdigit((unsigned char)s[0]))
		return arena_printf(m->a, "model_%s", s);
	return s;
}

static const char *dir_of(struct arena *a, const char *path)
{
	const char *slash = strrchr(path, '/');
	if (!slash)
		return ".";
	if (slash == path)
		return "/";
	return arena_strndup(a, path, (size_t)(slash - path));
}

struct ir_graph *onnx_import(struct arena *a, struct diag *d, const char *path,
                             const struct onnx_options *o)
{
	struct onnx_imp m;
	memset(&m, 0, sizeof m);
	m.a = a;
	m.d = d;
	m.path = path;
	m.dir = dir_of(a, path);
	m.opts = o;
	m.loc = (struct src_span){ diag_add_source(d, path, NULL, 0), 0, 0 };
	strmap_init(&m.values, a, 0);
	strmap_init(&m.used_names, a, 0);
	strmap_put(&m.used_names, "", 0); /* no IR name is empty (a key "" becomes "_1") */
	int errors = d->errors;
	m.model = onnx_read_model(&m);
	if (!m.model || !m.model->graph || !onnx_check_opsets(&m))
		goto out;
	m.g = ir_graph_new(a, graph_name(&m));
	count_uses(&m);
	bool inputs_ok = onnx_read_inputs(&m);
	const Onnx__GraphProto *gp = m.model->graph;
	for (size_t i = 0; i < gp->n_node && inputs_ok; i++)
		import_node(&m, (uint32_t)i);
	report_unsupported(&m);
	if (d->errors == errors)
		add_outputs(&m);
out:
	onnx_free_model(&m);
	return d->errors == errors ? m.g : NULL;
}

bool onnx_is_model_path(const char *path)
{
	size_t n = strlen(path);
	return n > 5 && !strcmp(path + n - 5, ".onnx");
}

bool onnx_parse_input_shape(const char *arg, struct onnx_input_shape *out)
{
	const char *eq = strchr(arg, '=');
	if (!eq || eq == arg || (size_t)(eq - arg) >= sizeof out->name)
		return false;
	memset(out, 0, sizeof *out);
	memcpy(out->name, arg, (size_t)(eq - arg));
	const char *p = eq + 1;
	while (*p) {
		char *end;
		long long v = strtoll(p, &end, 10);
		if (end == p || v < 1 || v > ((int64_t)1 << 40) || out->rank == IR_MAX_RANK)
			return false;
		out->dims[out->rank++] = v;
		if (*end == ',' && end[1])
			end++;
		else if (*end)
			return false;
		p = end;
	}
	return out->rank > 0;
}
