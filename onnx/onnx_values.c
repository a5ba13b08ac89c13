/* onnx_values.c - the importer's state (see onnx_imp.h): the table of ONNX
 * values, unique IR names ([A-Za-z0-9_.], graph outputs keeping theirs,
 * weight keys their initializer's spelling), IR nodes and constants made
 * through the builder, and the importer's error messages, which name the
 * node as the user knows it and its operator. */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "onnx_imp.h"

void onnx_error(struct onnx_imp *m, const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	if (m->node)
		diag_error(m->d, m->loc, "node '%s' (%s): %s", m->node_name, m->node->op_type, msg);
	else
		diag_error(m->d, m->loc, "%s", msg);
}

char *onnx_type_str(const struct ir_type *t, char *buf, size_t n)
{
	return ir_type_str(t, buf, n);
}

int64_t onnx_numel(unsigned rank, const int64_t *dims)
{
	int64_t n = 1;
	for (unsigned i = 0; i < rank; i++)
		n *= dims[i];
	return n;
}

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

static uint32_t typed_weight(struct onnx_imp *m, const char *name, enum ir_dtype dt,
                             const void *data, unsigned rank, const int64_t *dims)
{
	struct ir_type t = { dt, (uint8_t)rank, { 0 } };
	memcpy(t.dims, dims, rank * sizeof *dims);
	/* keys keep the initializer's spelling: they are safetensors keys */
	const char *key = name;
	for (unsigned i = 1; strmap_has(&m->used_names, key); i++)
		key = arena_printf(m->a, "%s_%u", name, i);
	strmap_put(&m->used_names, key, 0);
	return ir_add_const(m->g, key, t, data, m->loc);
}

uint32_t onnx_ir_weight(struct onnx_imp *m, const char *name, const float *data, unsigned rank,
                        const int64_t *dims)
{
	return typed_weight(m, name, IR_DT_F32, data, rank, dims);
}

uint32_t onnx_ir_const_as(struct onnx_imp *m, struct onnx_tensor *t, enum ir_dtype dt)
{
	if (dt == IR_DT_F32)
		return onnx_ir_const(m, t);
	size_t es = ir_dtype_size(dt);
	int64_t n = t->numel ? t->numel : 1, one = 1;
	unsigned char *data = arena_alloc(m->a, (size_t)n * es);
	for (int64_t i = 0; i < t->numel; i++) {
		int64_t v;
		if (t->dtype == IR_DT_F32) { /* toward zero; NaN and huge values 0 */
			float f = ((const float *)t->data)[i];
			v = f > -9.2e18f && f < 9.2e18f ? (int64_t)f : 0;
		} else {
			v = ((const int64_t *)t->data)[i];
		}
		if (dt == IR_DT_BOOL)
			v = v != 0;
		memcpy(data + i * (int64_t)es, &v, es); /* the low bytes: little-endian */
	}
	return t->rank ? typed_weight(m, t->name, dt, data, t->rank, t->dims)
	               : typed_weight(m, t->name, dt, data, 1, &one);
}

uint32_t onnx_operand(struct onnx_imp *m, enum ir_dtype dt, struct onnx_value *v,
                      const int64_t **dims, unsigned *rank)
{
	if (v->kind == ONNX_ACT) {
		*dims = v->type.dims;
		*rank = v->type.rank;
		return v->ir;
	}
	*dims = v->t->dims;
	*rank = v->t->rank;
	return onnx_ir_const_as(m, v->t, dt);
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

