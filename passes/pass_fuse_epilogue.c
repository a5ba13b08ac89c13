/* pass_fuse_epilogue.c - activations and residual adds fused into the
 * output loop of conv2d/dense.
 *
 * A conv2d/dense computes out = act(acc + bias + residual) per output
 * element (ir.h); this pass fills in `act` and the residual input in[1]
 * from the separate nodes that follow it. One forward sweep over the
 * schedule:
 *   - a node computing one eltwise step (relu, sigmoid, tanh, clip,
 *     rescale, silu, hard_swish, leaky_relu, ...: ir_node_steps) whose
 *     input is a conv2d/dense output with no other use and no activation
 *     yet: the layer takes the step as act.
 *   - add(a, b) of exactly two inputs where a is a conv2d/dense output
 *     with no other use, no activation and no residual yet, and b is
 *     defined before that layer in the schedule (so the layer can read it):
 *     the layer takes b as its residual. Either input may play a; the
 *     first that qualifies wins. b may have other readers: it is only read.
 *     Adds of three or more inputs are left alone, since fusing one of
 *     them would change the order of the float sums.
 * Because fused nodes take over the consumer's output value, a relu after
 * a fused add fuses in turn, giving the ResNet tail act(conv + bias + x).
 * Summation order is the interpreter's ((acc + bias) + residual, then the
 * activation), so the results are bit-identical. */
#include "check.h"
#include "fold_util.h"
#include "pass.h"

static bool is_layer(const struct ir_node *n)
{
	return n->op == IR_CONV2D || n->op == IR_DENSE;
}

static struct ir_eltwise_step *act_of(struct ir_node *n)
{
	return n->op == IR_CONV2D ? &n->attr.conv.act : &n->attr.dense.act;
}

/* The conv2d/dense defining v if v is its only fusable use, else IR_NONE. */
static uint32_t fusable_layer(struct ir_graph *g, uint32_t v, const uint32_t *uses,
                              const bool *dead)
{
	uint32_t p = fold_producer(g, v);
	if (p == IR_NONE || dead[p] || uses[v] != 1)
		return IR_NONE;
	struct ir_node *n = &g->nodes[p];
	if (!is_layer(n) || act_of(n)->kind != IR_STEP_NONE)
		return IR_NONE;
	return p;
}

static bool fuse_act(struct ir_graph *g, uint32_t i, const uint32_t *uses, bool *dead)
{
	struct ir_eltwise_step steps[IR_MAX_STEPS];
	if (ir_node_steps(&g->nodes[i], steps) != 1)
		return false;
	uint32_t p = fusable_layer(g, g->nodes[i].in[0], uses, dead);
	if (p == IR_NONE)
		return false;
	*act_of(&g->nodes[p]) = steps[0];
	fold_absorb(g, p, i, dead);
	return true;
}

/* Whether value b is available before node p runs. */
static bool defined_before(const struct ir_graph *g, uint32_t b, uint32_t p)
{
	uint32_t d = fold_producer(g, b);
	return d == IR_NONE || d < p;
}

static bool fuse_residual(struct ir_graph *g, uint32_t i, const uint32_t *uses, bool *dead)
{
	struct ir_node *add = &g->nodes[i];
	if (add->op != IR_ADD || add->nin != 2)
		return false;
	for (unsigned k = 0; k < 2; k++) {
		uint32_t a = add->in[k], b = add->in[1 - k];
		uint32_t p = fusable_layer(g, a, uses, dead);
		if (p == IR_NONE || g->nodes[p].nin != 1 || !defined_before(g, b, p))
			continue;
		struct ir_node *n = &g->nodes[p];
		uint32_t *in = arena_array(g->arena, 2, sizeof *in);
		in[0] = n->in[0];
		in[1] = b;
		n->in = in;
		n->nin = 2;
		fold_absorb(g, p, i, dead);
		return true;
	}
	return false;
}

static bool run(struct pass_ctx *ctx)
{
	struct ir_graph *g = ctx->g;
	uint32_t *uses = ir_count_uses(g, ctx->scratch);
	bool *dead = arena_array(ctx->scratch, g->nnodes ? g->nnodes : 1, sizeof *dead);
	for (uint32_t i = 0; i < g->nnodes; i++)
		if (!fuse_act(g, i, uses, dead))
			fuse_residual(g, i, uses, dead);
	fold_finish(g, dead, ctx->scratch);
	return true;
}

const struct pass pass_fuse_epilogue = {
	.name = "fuse-epilogue",
	.summary = "fuse activations and residual adds into conv2d/dense",
	.run = run,
	.stage = IR_STAGE_BOUND,
	.min_opt = 1,
};
