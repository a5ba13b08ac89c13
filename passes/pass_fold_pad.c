/* pass_fold_pad.c - zero padding folded into the layer that reads it.
 *
 * A conv2d reads taps outside its input as zeros, so zeropad2d(p) feeding
 * a conv2d (as its only use) is the same conv with p added to its own
 * explicit pads: one loop instead of a copy. The same holds for avgpool2d
 * with count_include_pad=true, where padded taps count in the divisor like
 * the zeros did, as long as every pad stays below the window (so every
 * window keeps a real tap, which the pool kernels rely on), and without
 * ceil_mode (whose last window must start inside the input: a zeropad's
 * bottom rows count as input there, the pool's own pads do not).
 * avgpool2d without count_include_pad would divide by fewer taps, and
 * maxpool2d never sees padding as a candidate: neither folds. */
#include "fold_util.h"
#include "pass.h"

/* The pads of node n that a zeropad can merge into, or NULL. */
static int64_t *mergeable_pads(struct ir_node *n, const int64_t *add, enum ir_layout layout)
{
	if (n->op == IR_CONV2D && n->attr.conv.layout == layout)
		return n->attr.conv.pad;
	if (n->op != IR_AVGPOOL2D || !n->attr.pool.count_include_pad || n->attr.pool.ceil_mode ||
	    n->attr.pool.layout != layout)
		return NULL;
	const struct ir_pool_attr *a = &n->attr.pool;
	for (int k = 0; k < 4; k++)
		if (a->pad[k] + add[k] >= a->kernel[k % 2])
			return NULL;
	return n->attr.pool.pad;
}

static bool run(struct pass_ctx *ctx)
{
	struct ir_graph *g = ctx->g;
	uint32_t *uses = ir_count_uses(g, ctx->scratch);
	bool *dead = arena_array(ctx->scratch, g->nnodes ? g->nnodes : 1, sizeof *dead);
	for (uint32_t i = 0; i < g->nnodes; i++) {
		struct ir_node *n = &g->nodes[i];
		if (n->op != IR_CONV2D && n->op != IR_AVGPOOL2D)
			continue;
		uint32_t x = n->in[0], z = fold_producer(g, x);
		if (z == IR_NONE || uses[x] != 1 || g->nodes[z].op != IR_ZEROPAD2D)
			continue;
		const struct ir_pad_attr *pa = &g->nodes[z].attr.pad;
		int64_t *pad = mergeable_pads(n, pa->pad, pa->layout);
		if (!pad)
			continue;
		for (int k = 0; k < 4; k++)
			pad[k] += pa->pad[k];
		if (n->op == IR_CONV2D)
			n->attr.conv.pad_mode = IR_PAD_EXPLICIT;
		else
			n->attr.pool.pad_mode = IR_PAD_EXPLICIT;
		n->in[0] = g->nodes[z].in[0];
		dead[z] = true;
		fold_rename(g, i, fold_join(g, g->nodes[z].name, n->name));
	}
	fold_finish(g, dead, ctx->scratch);
	return true;
}

const struct pass pass_fold_pad = {
	.name = "fold-pad",
	.summary = "fold zeropad2d into the following conv2d (or avgpool2d counting padding)",
	.run = run,
	.stage = IR_STAGE_BOUND,
	.min_opt = 1,
};
