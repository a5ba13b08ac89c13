/* pass_fold_constants.c - constant subgraphs are evaluated at compile time.
 *
 * A node whose every input and parameter is a constant with data computes
 * the same tensor on every run. The pass evaluates it once with the
 * reference interpreter's kernel (interp_node, so the folded value is
 * exactly what -O0 computes) and replaces it by a new constant. One forward
 * sweep over the schedule folds whole chains: a folded node's output is a
 * constant for the nodes after it. Uses are redirected through a remap
 * array in the same sweep (no per-fold rescans), so the pass is linear.
 * Results over FOLD_MAX_BYTES stay computed at run time rather than grow
 * the object; integer operands are folded only into the typed ops
 * (embedding ids stay run-time). */
#include "interp.h"
#include "pass.h"

#define FOLD_MAX_BYTES ((int64_t)64 << 20)

static bool foldable(struct ir_graph *g, const struct ir_node *n)
{
	if (n->nin == 0)
		return false;
	bool typed = ir_op_table[n->op].flags & IR_F_TYPED; /* any dtype */
	for (unsigned k = 0; k < n->nin; k++) {
		const struct ir_value *v = &g->vals[n->in[k]];
		if (v->kind != IR_VAL_CONST || !v->data || (!typed && v->type.dtype != IR_DT_F32))
			return false;
	}
	for (unsigned k = 0; k < IR_MAX_PARAMS; k++)
		if (n->param[k] != IR_NONE && !g->vals[n->param[k]].data)
			return false;
	const struct ir_type *t = &g->vals[n->out].type;
	return (typed || t->dtype == IR_DT_F32) && ir_type_bytes(t) <= FOLD_MAX_BYTES;
}

static bool run(struct pass_ctx *ctx)
{
	struct ir_graph *g = ctx->g;
	uint32_t nvals0 = g->nvals, nnodes = g->nnodes;
	uint32_t *remap = arena_array(ctx->scratch, nvals0 ? nvals0 : 1, sizeof *remap);
	bool *keep = arena_array(ctx->scratch, nnodes ? nnodes : 1, sizeof *keep);
	for (uint32_t v = 0; v < nvals0; v++)
		remap[v] = v;
	bool any = false;
	for (uint32_t i = 0; i < nnodes; i++) {
		struct ir_node *n = &g->nodes[i];
		keep[i] = true;
		for (unsigned k = 0; k < n->nin; k++)
			n->in[k] = remap[n->in[k]];
		if (!foldable(g, n))
			continue;
		const float **in = arena_array(ctx->scratch, n->nin, sizeof *in);
		const float *param[IR_MAX_PARAMS] = { 0 };
		for (unsigned k = 0; k < n->nin; k++)
			in[k] = g->vals[n->in[k]].data;
		for (unsigned k = 0; k < IR_MAX_PARAMS; k++)
			if (n->param[k] != IR_NONE)
				param[k] = g->vals[n->param[k]].data;
		struct ir_type t = g->vals[n->out].type;
		float *out = arena_alloc(g->arena, (size_t)ir_type_bytes(&t));
		interp_node(g, n, in, param, out);
		uint32_t old = n->out;
		/* ir_add_const may move g->vals and g->nodes: no pointers kept */
		uint32_t c = ir_add_const(g, g->nodes[i].name, t, out, g->nodes[i].loc);
		remap[old] = c;
		keep[i] = false;
		any = true;
	}
	for (uint32_t k = 0; k < g->noutputs; k++)
		if (g->outputs[k] < nvals0)
			g->outputs[k] = remap[g->outputs[k]];
	if (any)
		ir_compact(g, keep);
	return true;
}

const struct pass pass_fold_constants = {
	.name = "fold-constants",
	.summary = "evaluate layers whose inputs are all constants at compile time",
	.run = run,
	.stage = IR_STAGE_BOUND,
	.min_opt = 1,
};
