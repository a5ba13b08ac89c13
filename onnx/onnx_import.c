/* onnx_import.c - the importer's main loop: ONNX nodes in order to IR.
 *
 * After the file and its tensors are read (onnx_read.c), every node is
 * taken in graph order, which ONNX requires to be topological (checked:
 * an input must be defined by an earlier node, an initializer or a graph
 * input). A node whose inputs are all constant is evaluated at import
 * time (onnx_const.c) and never reaches the IR; any other node is mapped
 * by its operator's function (onnx_ops.c, onnx_nn.c). Operators without a
 * mapping are collected with the nodes using them and reported once at
 * the end, so one run names everything a model needs. IR names are the
 * ONNX names made into identifiers ([A-Za-z0-9_.], unique); a node that
 * defines a graph output takes the output's name. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "onnx_priv.h"
#include "strmap.h"

struct onnx_value *onnx_value(struct onnx_imp *m, const char *name)
{
	uint32_t i = strmap_get(&m->values, name);
	if (i != STRMAP_NONE)
		return m->vals[i];
	if (m->nvals == m->capvals) {
		m->capvals = m->capvals ? 2 * m->capvals : 256;
		m->vals = arena_grow(m->a, m->vals, m->nvals, m->capvals, sizeof *m->vals);
	}
	struct onnx_value *v = arena_alloc(m->a, sizeof *v);
	v->name = arena_strdup(m->a, name);
	v->ir = IR_NONE;
	strmap_put(&m->values, v->name, m->nvals);
	m->vals[m->nvals++] = v;
	return v;
}

unsigned onnx_nin(const struct onnx_imp *m)
{
	return (unsigned)m->node->n_input;
}

struct onnx_value *onnx_in(struct onnx_imp *m, unsigned k)
{
	if (k >= m->node->n_input || !m->node->input[k] || !m->node->input[k][0])
		return NULL;
	return onnx_value(m, m->node->input[k]);
}

struct onnx_value *onnx_out(struct onnx_imp *m, unsigned k)
{
	if (k >= m->node->n_output || !m->node->output[k] || !m->node->output[k][0])
		return NULL;
	struct onnx_value *v = onnx_value(m, m->node->output[k]);
	return v->uses ? v : NULL;
}

void onnx_set_act(struct onnx_imp *m, unsigned k, uint32_t ir, const struct ir_type *t)
{
	struct onnx_value *v = onnx_out(m, k);
	if (!v)
		return;
	v->kind = ONNX_ACT;
	v->ir = ir;
	v->type = *t;
}

void onnx_set_const(struct onnx_imp *m, unsigned k, struct onnx_tensor *t)
{
	if (k >= m->node->n_output || !m->node->output[k][0])
		return;
	struct onnx_value *v = onnx_value(m, m->node->output[k]);
	v->kind = ONNX_CONST;
	v->t = t;
	if (!t->name)
		t->name = v->name;
}

/* want made into an identifier ("/conv1/Conv" -> "conv1_Conv"), unique. */
const char *onnx_unique(struct onnx_imp *m, const char *want)
{
	size_t n = strlen(want);
	char *s = arena_alloc(m->a, n + 2);
	size_t k = 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)want[i];
		bool ok = isalnum(c) || c == '_' || (c == '.' && k);
		if (ok)
			s[k++] = (char)c;
		else if (k && s[k - 1] != '_')
			s[k++] = '_';
	}
	while (k && (s[k - 1] == '_' || s[k - 1] == '.'))
		k--;
	s[k] = 0;
	const char *base = k ? s : "v";
	if (isdigit((unsigned char)base[0]))
		base = arena_printf(m->a, "v%s", base);
	const char *name = base;
	for (unsigned i = 1; strmap_has(&m->used_names, name); i++)
		name = arena_printf(m->a, "%s_%u", base, i);
	strmap_put(&m->used_names, name, 0);
	return name;
}

const char *onnx_name_out(struct onnx_imp *m, unsigned k)
{
	struct onnx_value *v = k < m->node->n_output ? onnx_value(m, m->node->output[k]) : NULL;
	if (v && v->graph_output)
		return onnx_unique(m, v->name);
	if (k == 0)
		return onnx_unique(m, m->base);
	return onnx_unique(m, arena_printf(m->a, "%s_%u", m->base, k));
}

const char *onnx_name_tmp(struct onnx_imp *m, const char *suffix)
{
	return onnx_unique(m, arena_printf(m->a, "%s.%s", m->base, suffix));
}

uint32_t onnx_emit(struct onnx_imp *m, enum ir_op op, const char *name, const uint32_t *in,
                   unsigned nin, const union ir_attrs *at)
{
	uint32_t id = ir_add_node(m->g, op, name, in, nin, at, m->loc);
	return ir_node(m->g, id)->out;
}

uint32_t onnx_ir_weight(struct onnx_imp *m, const char *name, const float *data, unsigned rank,
                        const int64_t *dims)
{
	struct ir_type t = { IR_DT_F32, (uint8_t)rank, { 0 } };
	memcpy(t.dims, dims, rank * sizeof *dims);
	/* keys keep the initializer's spelling: they are safetensors keys */
	const char *key = name;
	for (unsigned i = 1; strmap_has(&m->used_names, key); i++)
		key = arena_printf(m->a, "%s_%u", name, i);
	strmap_put(&m->used_names, key, 0);
	return ir_add_const(m->g, key, t, data, m->loc);
}

uint32_t onnx_ir_const(struct onnx_imp *m, struct onnx_tensor *t)
{
	if (t->irval != IR_NONE)
		return t->irval;
	const float *data = t->data;
	if (t->dtype != IR_DT_F32) {
		float *f = arena_array(m->a, (size_t)(t->numel ? t->numel : 1), sizeof *f);
		for (int64_t i = 0; i < t->numel; i++)
			f[i] = (float)((const int64_t *)t->data)[i];
		data = f;
	}
	int64_t one = 1;
	t->irval = t->rank ? onnx_ir_weight(m, t->name, data, t->rank, t->dims)
	                   : onnx_ir_weight(m, t->name, data, 1, &one);
	return t->irval;
}

uint32_t onnx_reshape(struct onnx_imp *m, const char *name, uint32_t x, const struct ir_type *xt,
                      unsigned rank, const int64_t *dims)
{
	if (xt->rank == rank && !memcmp(xt->dims, dims, rank * sizeof *dims))
		return x;
	union ir_attrs at;
	memset(&at, 0, sizeof at);
	at.reshape.rank = (uint8_t)rank;
	memcpy(at.reshape.dims, dims, rank * sizeof *dims);
	return onnx_emit(m, IR_RESHAPE, name, &x, 1, &at);
}

void onnx_unsupported(struct onnx_imp *m)
{
	const char *op = m->node->op_type;
	const char *dom = m->node->domain;
	if (dom && dom[0] && strcmp(dom, "ai.onnx"))
		op = arena_printf(m->a, "%s.%s", dom, op);
	struct onnx_unsup *u = NULL;
	for (uint32_t i = 0; i < m->nunsup && !u; i++)
		if (!strcmp(m->unsup[i].op, op))
			u = &m->unsup[i];
	if (!u) {
		m->unsup = arena_grow(m->a, m->unsup, m->nunsup, m->nunsup + 1, sizeof *m->unsup);
		u = &m->unsup[m->nunsup++];
		u->op = arena_strdup(m->a, op);
	}
	if (u->nnodes == u->cap) {
		u->cap = u->cap ? u->cap * 2 : 4;
		u->nodes = arena_grow(m->a, u->nodes, u->nnodes, u->cap, sizeof *u->nodes);
	}
	u->nodes[u->nnodes++] = m->node_name;
}

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
	for (const struct onnx_op_map *t = onnx_ops_table; t->op; t++)
		if (!strcmp(t->op, op))
			return t->fn;
	for (const struct onnx_op_map *t = onnx_nn_table; t->op; t++)
		if (!strcmp(t->op, op))
			return t->fn;
	return NULL;
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
