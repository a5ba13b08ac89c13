/* fold_util.c - graph edits shared by the folding and fusion passes.
 *
 * Merging keeps the producer at its place in the schedule and hands it the
 * consumer's output value, so every later reader is still scheduled after
 * its definition and no use needs rewiring. */
#include "fold_util.h"

#include <string.h>

#include "check.h"

uint32_t fold_producer(const struct ir_graph *g, uint32_t v)
{
	return g->vals[v].kind == IR_VAL_NODE ? g->vals[v].node : IR_NONE;
}

bool fold_is_output(const struct ir_graph *g, uint32_t v)
{
	for (uint32_t i = 0; i < g->noutputs; i++)
		if (g->outputs[i] == v)
			return true;
	return false;
}

const char *fold_join(struct ir_graph *g, const char *a, const char *b)
{
	const char *last = strrchr(a, '+'); /* the name a ends with */
	last = last ? last + 1 : a;
	size_t n = strlen(last);
	if (!strncmp(last, b, n) && b[n] == '.' && b[n + 1])
		b += n + 1;
	return arena_printf(g->arena, "%s+%s", a, b);
}

uint32_t fold_add_const(struct ir_graph *g, const char *name, struct ir_type t, float **data,
                        struct src_span loc)
{
	DLC_ASSERT(t.dtype == IR_DT_F32);
	int64_t n = ir_type_numel(&t);
	*data = arena_array(g->arena, (size_t)(n ? n : 1), sizeof **data);
	return ir_add_const(g, name, t, *data, loc);
}

const float *fold_const_data(const struct ir_graph *g, uint32_t v)
{
	const struct ir_value *c = &g->vals[v];
	DLC_ASSERT(c->kind == IR_VAL_CONST && c->type.dtype == IR_DT_F32 && c->data);
	return c->data;
}

const char *fold_bias_key(struct ir_graph *g, const char *w)
{
	const char *plus = strchr(w, '+');
	size_t n = plus ? (size_t)(plus - w) : strlen(w);
	size_t dot = n;
	while (dot > 0 && w[dot - 1] != '.')
		dot--;
	if (dot > 0)
		n = dot - 1;
	return arena_printf(g->arena, "%.*s.bias", (int)n, w);
}

void fold_rename(struct ir_graph *g, uint32_t n, const char *name)
{
	struct ir_node *node = &g->nodes[n];
	node->name = name;
	if (!fold_is_output(g, node->out))
		g->vals[node->out].name = name;
}

void fold_absorb(struct ir_graph *g, uint32_t prod, uint32_t cons, bool *dead)
{
	struct ir_node *p = &g->nodes[prod], *c = &g->nodes[cons];
	DLC_ASSERT(prod < cons && !dead[prod] && !dead[cons]);
	uint32_t mid = p->out, v = c->out;
	/* Swap the outputs: the dead node keeps a consistent (dead) value. */
	p->out = v;
	g->vals[v].node = prod;
	c->out = mid;
	g->vals[mid].node = cons;
	dead[cons] = true;
	fold_rename(g, prod, fold_join(g, p->name, c->name));
}

void fold_finish(struct ir_graph *g, const bool *dead, struct arena *scratch)
{
	bool *keep = arena_array(scratch, g->nnodes ? g->nnodes : 1, sizeof *keep);
	for (uint32_t i = 0; i < g->nnodes; i++)
		keep[i] = !dead[i];
	ir_compact(g, keep);
}

void fold_schedule(struct ir_graph *g, const uint32_t *order)
{
	struct ir_node *nodes = arena_array(g->arena, g->nnodes, sizeof *nodes);
	for (uint32_t i = 0; i < g->nnodes; i++) {
		nodes[i] = g->nodes[order[i]];
		g->vals[nodes[i].out].node = i;
	}
	g->nodes = nodes;
	g->capnodes = g->nnodes;
}

bool fold_const_affine(const struct ir_graph *g, const struct ir_node *n,
                       struct ir_eltwise_step *st, uint32_t *in)
{
	for (unsigned k = 0; k < 2 && n->op == IR_BINARY && n->nin == 2; k++) {
		const struct ir_value *c = &g->vals[n->in[k]];
		if (c->kind != IR_VAL_CONST || c->type.dtype != IR_DT_F32 || !c->data ||
		    ir_type_numel(&c->type) != 1 ||
		    !ir_type_eq(&g->vals[n->in[1 - k]].type, &g->vals[n->out].type))
			continue;
		float x = fold_const_data(g, n->in[k])[0];
		*in = n->in[1 - k];
		*st = (struct ir_eltwise_step){ IR_STEP_AFFINE, 1, 0 };
		switch (n->attr.binary.op) {
		case IR_BINOP_ADD: st->b = x; return true;
		case IR_BINOP_SUB: *st = (struct ir_eltwise_step){ IR_STEP_AFFINE, k ? 1 : -1, k ? -x : x };
			return true;
		case IR_BINOP_MUL: st->a = x; return true;
		case IR_BINOP_DIV: st->a = 1 / x; return k == 1 && x != 0;
		default: return false;
		}
	}
	return false;
}
