/* pass_remove_dropout.c - dropout is the identity at inference: every use
 * of a dropout's output is rewired to its input and the node removed. The
 * same holds for any op flagged IR_F_IDENTITY. */
#include <stdlib.h>

#include "pass.h"

static bool run(struct pass_ctx *ctx)
{
	struct ir_graph *g = ctx->g;
	bool *keep = arena_array(ctx->scratch, g->nnodes ? g->nnodes : 1, sizeof *keep);
	bool any = false;
	for (uint32_t i = 0; i < g->nnodes; i++) {
		struct ir_node *n = &g->nodes[i];
		keep[i] = !(ir_op_table[n->op].flags & IR_F_IDENTITY);
		if (keep[i])
			continue;
		/* A model output that is also a model input would need a copy;
		 * keep such a dropout (the interpreter copies it). */
		bool feeds_output = false;
		for (uint32_t k = 0; k < g->noutputs; k++)
			feeds_output |= g->outputs[k] == n->out &&
			                g->vals[n->in[0]].kind != IR_VAL_NODE;
		if (feeds_output) {
			keep[i] = true;
			continue;
		}
		ir_replace_uses(g, n->out, n->in[0]);
		any = true;
	}
	if (any)
		ir_compact(g, keep);
	return true;
}

const struct pass pass_remove_dropout = {
	.name = "remove-dropout",
	.summary = "remove dropout (the identity at inference)",
	.run = run,
	.stage = IR_STAGE_BOUND,
	.min_opt = 0,
};
