/* pass_fold_batchnorm.c - batchnorm folded into the weights at compile time.
 *
 * Inference batchnorm is a per-channel affine map y = x * s + t with
 *   s = gamma / sqrt(var + eps),  t = beta - mean * s.
 * After a conv2d or dense whose output nothing else reads, and whose
 * channel axis is the batchnorm's, it folds into that layer (the classic
 * "conv-bn folding" of inference compilers):
 *   W'[o, ...] = W[o, ...] * s[o],   b'[o] = (b[o] - mean[o]) * s[o] + beta[o]
 * per output channel o, which is dimension 0 of the weight in PyTorch layout
 * for every conv (groups and depthwise included) and for dense. A conv
 * without bias gets a new bias constant. Any other batchnorm becomes a
 * scale_bias node with the constants s and t.
 *
 * Precision: the folded constants are computed in double and rounded to
 * float once. The interpreter's unfolded result rounds after each of
 * (x - mean), the division, the product and the sum; the folded one rounds
 * inside the conv's sum and once per constant. Neither order can reproduce
 * the other bit for bit, so the best available choice is the one whose
 * constants are closest to the exact s and t: double. Mimicking the
 * interpreter's float steps while folding (sqrtf(var + eps) etc.) would add
 * up to three more roundings per weight and only move the result further
 * from both the exact value and the interpreter's. */
#include <math.h>

#include "check.h"
#include "fold_util.h"
#include "pass.h"

struct bn_consts {
	const float *gamma, *beta, *mean, *var;
	double eps;
};

static struct bn_consts bn_consts(const struct ir_graph *g, const struct ir_node *bn)
{
	struct bn_consts c = { fold_const_data(g, bn->param[0]), fold_const_data(g, bn->param[1]),
		               fold_const_data(g, bn->param[2]), fold_const_data(g, bn->param[3]),
		               (double)bn->attr.bn.epsilon };
	return c;
}

static double bn_scale(const struct bn_consts *c, int64_t k)
{
	return (double)c->gamma[k] / sqrt((double)c->var[k] + c->eps);
}

/* The channel axis of a conv2d/dense output, which is what its bias and
 * weight dimension 0 run along (the last axis of a dense output). */
static int layer_channel_axis(const struct ir_graph *g, const struct ir_node *n)
{
	if (n->op == IR_DENSE)
		return g->vals[n->out].type.rank - 1;
	return n->attr.conv.layout == IR_LAYOUT_NHWC ? 3 : 1;
}

/* The conv2d/dense that batchnorm `bn` can fold into, or IR_NONE. */
static uint32_t foldable_producer(const struct ir_graph *g, const struct ir_node *bn,
                                  const uint32_t *uses, const bool *dead)
{
	uint32_t p = fold_producer(g, bn->in[0]);
	if (p == IR_NONE || dead[p] || uses[bn->in[0]] != 1)
		return IR_NONE;
	const struct ir_node *n = &g->nodes[p];
	if (n->op != IR_CONV2D && n->op != IR_DENSE)
		return IR_NONE;
	enum ir_step_kind act = n->op == IR_CONV2D ? n->attr.conv.act.kind : n->attr.dense.act.kind;
	if (act != IR_STEP_NONE || n->nin != 1 || layer_channel_axis(g, n) != bn->attr.bn.axis)
		return IR_NONE;
	return p;
}

static void fold_into_layer(struct ir_graph *g, uint32_t p, uint32_t b, bool *dead)
{
	const struct ir_node *bn = &g->nodes[b];
	struct bn_consts c = bn_consts(g, bn);
	struct ir_node *n = &g->nodes[p];
	uint32_t wv = n->param[0], bv = n->param[1];
	struct ir_type wt = g->vals[wv].type;
	const float *w = fold_const_data(g, wv);
	const float *bias = bv != IR_NONE ? fold_const_data(g, bv) : NULL;
	int64_t nout = wt.dims[0], per = ir_type_numel(&wt) / nout;
	DLC_ASSERT(ir_type_numel(&g->vals[bn->param[0]].type) == nout);

	const char *wname = fold_join(g, g->vals[wv].name, bn->name);
	const char *bname = fold_join(g, bv != IR_NONE ? g->vals[bv].name :
	                                  fold_bias_key(g, g->vals[wv].name), bn->name);
	struct ir_type bt = { IR_DT_F32, 1, { nout } };
	float *nw, *nb;
	uint32_t nwv = fold_add_const(g, wname, wt, &nw, g->vals[wv].loc);
	uint32_t nbv = fold_add_const(g, bname, bt, &nb, bn->loc);
	for (int64_t o = 0; o < nout; o++) {
		double s = bn_scale(&c, o);
		for (int64_t k = 0; k < per; k++)
			nw[o * per + k] = (float)((double)w[o * per + k] * s);
		double b0 = bias ? (double)bias[o] : 0.0;
		nb[o] = (float)((b0 - (double)c.mean[o]) * s + (double)c.beta[o]);
	}
	n = &g->nodes[p];
	n->param[0] = nwv;
	n->param[1] = nbv;
	if (n->op == IR_CONV2D)
		n->attr.conv.bias = true;
	else
		n->attr.dense.bias = true;
	fold_absorb(g, p, b, dead);
}

/* A batchnorm with nothing to fold into becomes y = x * s[c] + t[c]. */
static void to_scale_bias(struct ir_graph *g, uint32_t b)
{
	struct ir_node *bn = &g->nodes[b];
	struct bn_consts c = bn_consts(g, bn);
	struct ir_type ct = g->vals[bn->param[0]].type;
	int64_t nc = ir_type_numel(&ct);
	float *s, *t;
	const char *sname = arena_printf(g->arena, "%s.scale", bn->name);
	const char *tname = arena_printf(g->arena, "%s.shift", bn->name);
	uint32_t sv = fold_add_const(g, sname, ct, &s, bn->loc);
	uint32_t tv = fold_add_const(g, tname, ct, &t, bn->loc);
	for (int64_t k = 0; k < nc; k++) {
		double sk = bn_scale(&c, k);
		s[k] = (float)sk;
		t[k] = (float)((double)c.beta[k] - (double)c.mean[k] * sk);
	}
	bn = &g->nodes[b];
	struct ir_axis_attr a = { .axis = bn->attr.bn.axis, .layout = bn->attr.bn.layout };
	bn->op = IR_SCALE_BIAS;
	bn->attr.scale_bias = a;
	bn->param[0] = sv;
	bn->param[1] = tv;
	bn->param[2] = bn->param[3] = IR_NONE;
}

static bool run(struct pass_ctx *ctx)
{
	struct ir_graph *g = ctx->g;
	uint32_t *uses = ir_count_uses(g, ctx->scratch);
	bool *dead = arena_array(ctx->scratch, g->nnodes ? g->nnodes : 1, sizeof *dead);
	for (uint32_t i = 0; i < g->nnodes; i++) {
		if (g->nodes[i].op != IR_BATCHNORM)
			continue;
		uint32_t p = foldable_producer(g, &g->nodes[i], uses, dead);
		if (p != IR_NONE)
			fold_into_layer(g, p, i, dead);
		else
			to_scale_bias(g, i);
	}
	fold_finish(g, dead, ctx->scratch);
	return true;
}

const struct pass pass_fold_batchnorm = {
	.name = "fold-batchnorm",
	.summary = "fold batchnorm into the preceding conv2d/dense, else into a scale_bias",
	.run = run,
	.stage = IR_STAGE_BOUND,
	.min_opt = 1,
};
