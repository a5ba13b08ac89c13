/* pass_fuse_gate.c - x * gate(x), written as two layers, becomes one
 * eltwise step: x * sigmoid(x) is silu, x * hard_sigmoid(x) with
 * PyTorch's numbers (1/6, 0.5) is hard_swish.
 *
 * Exporters spell SiLU/Swish as Sigmoid followed by Mul(x, sigmoid(x))
 * (PyTorch's F.silu in ONNX, EfficientNet, YOLO) and HardSwish before
 * opset 14 as HardSigmoid and Mul; the language can write them the same
 * way. Computed as written, the gate goes to memory and is read back, and
 * the broadcasting mul is a general tensor op. When the gate's output has
 * no other use and both operands of the mul have the output's shape, the
 * gate node becomes an eltwise node with the one fused step and absorbs
 * the mul. The step computes the same float product (in either operand
 * order), so results are bit-identical; it then fuses like any other step:
 * into the conv2d/dense before it (fuse-epilogue) or into a chain
 * (fuse-eltwise), and runs in whatever layout its input has. */
#include <string.h>

#include "fold_util.h"
#include "pass.h"

/* The step computing x * gate(x) for the one step of a gate node, or
 * IR_STEP_NONE. */
static enum ir_step_kind gated(const struct ir_eltwise_step *s)
{
	if (s->kind == IR_STEP_SIGMOID)
		return IR_STEP_SILU;
	if (s->kind == IR_STEP_HARD_SIGMOID && s->a == 1.0f / 6.0f && s->b == 0.5f)
		return IR_STEP_HARD_SWISH; /* its step multiplies by exactly this */
	return IR_STEP_NONE;
}

/* The gate node whose output is value s and whose input is x, if s has no
 * other use, with the fused step in *kind; else IR_NONE. */
static uint32_t gate_of(const struct ir_graph *g, uint32_t s, uint32_t x, const uint32_t *uses,
                        const bool *dead, enum ir_step_kind *kind)
{
	uint32_t p = fold_producer(g, s);
	if (p == IR_NONE || dead[p] || uses[s] != 1 || fold_is_output(g, s))
		return IR_NONE;
	const struct ir_node *n = &g->nodes[p];
	struct ir_eltwise_step st[IR_MAX_STEPS];
	if (n->nin != 1 || n->in[0] != x || ir_node_steps(n, st) != 1)
		return IR_NONE;
	*kind = gated(&st[0]);
	return *kind != IR_STEP_NONE ? p : IR_NONE;
}

static bool run(struct pass_ctx *ctx)
{
	struct ir_graph *g = ctx->g;
	uint32_t *uses = ir_count_uses(g, ctx->scratch);
	bool *dead = arena_array(ctx->scratch, g->nnodes ? g->nnodes : 1, sizeof *dead);
	for (uint32_t i = 0; i < g->nnodes; i++) {
		struct ir_node *m = &g->nodes[i];
		if (m->op != IR_BINARY || m->attr.binary.op != IR_BINOP_MUL || m->nin != 2)
			continue;
		const struct ir_type *yt = &g->vals[m->out].type;
		if (!ir_type_eq(&g->vals[m->in[0]].type, yt) || !ir_type_eq(&g->vals[m->in[1]].type, yt))
			continue;
		for (unsigned k = 0; k < 2; k++) {
			enum ir_step_kind kind;
			uint32_t s = gate_of(g, m->in[k], m->in[1 - k], uses, dead, &kind);
			if (s == IR_NONE)
				continue;
			struct ir_node *n = &g->nodes[s];
			n->op = IR_ELTWISE;
			memset(&n->attr, 0, sizeof n->attr);
			n->attr.eltwise.nsteps = 1;
			n->attr.eltwise.steps[0] = (struct ir_eltwise_step){ kind, 0, 0 };
			fold_absorb(g, s, i, dead);
			break;
		}
	}
	fold_finish(g, dead, ctx->scratch);
	return true;
}

const struct pass pass_fuse_gate = {
	.name = "fuse-gate",
	.summary = "x * sigmoid(x) and x * hard_sigmoid(x) as one silu or hard_swish step",
	.run = run,
	.stage = IR_STAGE_BOUND,
	.min_opt = 1,
};
