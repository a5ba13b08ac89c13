/* pass_dce.c - dead-layer removal: a node is live if its output reaches a
 * model output. One backward sweep over the schedule (nodes come after
 * their inputs' definitions) marks live nodes; the rest are removed with
 * their weights. Removed named layers get a warning, since a layer the
 * user wrote that affects nothing is usually a mistake in the model. */
#include "pass.h"

static bool run(struct pass_ctx *ctx)
{
	struct ir_graph *g = ctx->g;
	bool *live_val = arena_array(ctx->scratch, g->nvals ? g->nvals : 1, sizeof *live_val);
	bool *keep = arena_array(ctx->scratch, g->nnodes ? g->nnodes : 1, sizeof *keep);
	for (uint32_t i = 0; i < g->noutputs; i++)
		live_val[g->outputs[i]] = true;
	bool any_dead = false;
	for (uint32_t i = g->nnodes; i-- > 0;) {
		struct ir_node *n = &g->nodes[i];
		keep[i] = live_val[n->out];
		if (!keep[i]) {
			any_dead = true;
			diag_warning(ctx->diag, n->loc, "layer '%s' does not contribute to any output; removed",
			             n->name);
			continue;
		}
		for (unsigned k = 0; k < n->nin; k++)
			live_val[n->in[k]] = true;
	}
	if (any_dead)
		ir_compact(g, keep);
	return true;
}

const struct pass pass_dce = {
	.name = "dce",
	.summary = "remove layers that do not contribute to an output",
	.run = run,
	.stage = IR_STAGE_BOUND,
	.min_opt = 0,
};
