/* pass_fuse_eltwise.c - chains of elementwise layers fused into one loop.
 *
 * A chain is a run of nodes that compute eltwise steps (ir_node_steps:
 * the step column of ir_ops.def, relu, sigmoid, tanh, clip, rescale, and
 * eltwise nodes such as silu or hard_swish) where each output's only use
 * is the next node. A chain of two or more nodes becomes one eltwise node
 * (ir.h) whose steps apply the same float operations in the same order
 * (rescale is the step affine(scale, offset): x * a + b), so results are
 * bit-identical while the tensor is read and written once. Chains of more
 * than IR_MAX_STEPS steps are cut into several eltwise nodes; a single
 * leftover node stays as it is. One forward sweep over the schedule:
 * the first node of a chain is met first, becomes the eltwise node and
 * absorbs its successors (fold_absorb), keeping its place in the schedule. */
#include "check.h"
#include "fold_util.h"
#include "pass.h"

/* For each value, the node reading it (the last one, if several). */
static uint32_t *readers(const struct ir_graph *g, struct arena *scratch)
{
	uint32_t *r = arena_array(scratch, g->nvals ? g->nvals : 1, sizeof *r);
	for (uint32_t v = 0; v < g->nvals; v++)
		r[v] = IR_NONE;
	for (uint32_t i = 0; i < g->nnodes; i++)
		for (unsigned k = 0; k < g->nodes[i].nin; k++)
			r[g->nodes[i].in[k]] = i;
	return r;
}

/* The node after `cur` in a chain, or IR_NONE. A graph output counts as a
 * use, so a chain never swallows a value the caller reads. */
static uint32_t next_in_chain(const struct ir_graph *g, uint32_t cur, const uint32_t *uses,
                              const uint32_t *reader)
{
	uint32_t v = g->nodes[cur].out;
	if (uses[v] != 1 || reader[v] == IR_NONE)
		return IR_NONE;
	uint32_t nx = reader[v];
	struct ir_eltwise_step st[IR_MAX_STEPS];
	return ir_node_steps(&g->nodes[nx], st) ? nx : IR_NONE;
}

static void fuse_chain(struct ir_graph *g, uint32_t first, const uint32_t *uses,
                       const uint32_t *reader, bool *dead)
{
	uint32_t chain[IR_MAX_STEPS];
	unsigned len = 0;
	struct ir_eltwise_attr a = { 0 };
	struct ir_eltwise_step st[IR_MAX_STEPS];
	for (uint32_t cur = first; cur != IR_NONE; cur = next_in_chain(g, cur, uses, reader)) {
		unsigned ns = ir_node_steps(&g->nodes[cur], st);
		if (a.nsteps + ns > IR_MAX_STEPS)
			break;
		for (unsigned k = 0; k < ns; k++)
			a.steps[a.nsteps++] = st[k];
		chain[len++] = cur;
	}
	if (len < 2)
		return;
	struct ir_node *n = &g->nodes[first];
	n->op = IR_ELTWISE;
	n->attr.eltwise = a;
	for (unsigned k = 1; k < len; k++)
		fold_absorb(g, first, chain[k], dead);
}

static bool run(struct pass_ctx *ctx)
{
	struct ir_graph *g = ctx->g;
	uint32_t *uses = ir_count_uses(g, ctx->scratch);
	uint32_t *reader = readers(g, ctx->scratch);
	bool *dead = arena_array(ctx->scratch, g->nnodes ? g->nnodes : 1, sizeof *dead);
	struct ir_eltwise_step st[IR_MAX_STEPS];
	for (uint32_t i = 0; i < g->nnodes; i++)
		if (!dead[i] && ir_node_steps(&g->nodes[i], st))
			fuse_chain(g, i, uses, reader, dead);
	fold_finish(g, dead, ctx->scratch);
	return true;
}

const struct pass pass_fuse_eltwise = {
	.name = "fuse-eltwise",
	.summary = "fuse chains of elementwise layers into one eltwise loop",
	.run = run,
	.stage = IR_STAGE_BOUND,
	.min_opt = 1,
};
