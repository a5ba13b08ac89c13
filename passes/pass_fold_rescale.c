/* pass_fold_rescale.c - input preprocessing folded into the first layer.
 *
 * rescale (y = x * s + o) and normalize (y = (x - mean[c]) / std[c]) are
 * per-input-channel affine maps y = x * s[c] + o[c]. When one feeds a
 * conv2d or dense as its only use, the layer computes
 *   sum W[o, c, k] * (x * s[c] + o[c]) + b[o]
 *     = sum (W[o, c, k] * s[c]) * x + (b[o] + sum W[o, c, k] * o[c])
 * so W' = W * s (per input channel) and b' = b + sum over c, k of W * o[c].
 * That is exact for dense always. A conv reads zero padding as the zero of
 * the *input* x, whereas the unfolded conv saw padding after the map, where
 * an offset would have shifted it; so a conv folds only when it has no
 * padding or every offset is zero (then 0 * s is still 0). Anything else is
 * left alone for fuse-eltwise. A chain (rescale, then normalize) folds from
 * the layer backwards, one map at a time.
 *
 * Constants are computed in double and rounded once (see
 * pass_fold_batchnorm.c for why). Folded weights are named after the
 * original and the map, e.g. "conv1.weight+normalize_1". */
#include "check.h"
#include "fold_util.h"
#include "pass.h"

/* The map y = x * s[c] + o[c] over n channels (n == 1: every channel). */
struct chan_map {
	int64_t n;
	double *s, *o;
	bool any_offset;
};

static bool map_of(const struct ir_node *m, struct arena *a, struct chan_map *out)
{
	if (m->op == IR_RESCALE) {
		out->n = 1;
		out->s = arena_alloc(a, sizeof *out->s);
		out->o = arena_alloc(a, sizeof *out->o);
		out->s[0] = m->attr.rescale.scale;
		out->o[0] = m->attr.rescale.offset;
	} else if (m->op == IR_NORMALIZE) {
		const struct ir_normalize_attr *na = &m->attr.norm;
		out->n = na->nchannels;
		out->s = arena_array(a, (size_t)out->n, sizeof *out->s);
		out->o = arena_array(a, (size_t)out->n, sizeof *out->o);
		for (int64_t c = 0; c < out->n; c++) {
			out->s[c] = 1.0 / (double)na->std[c];
			out->o[c] = -(double)na->mean[c] / (double)na->std[c];
		}
	} else {
		return false;
	}
	out->any_offset = false;
	for (int64_t c = 0; c < out->n; c++)
		out->any_offset = out->any_offset || out->o[c] != 0.0;
	return true;
}

/* Whether map node m (feeding layer n) folds into n exactly. */
static bool foldable(const struct ir_graph *g, const struct ir_node *m, const struct ir_node *n,
                     const struct chan_map *map)
{
	const struct ir_type *x = &g->vals[m->in[0]].type;
	if (n->op == IR_DENSE) {
		if (x->rank != 2)
			return false;
		return m->op == IR_RESCALE || m->attr.norm.axis == 1;
	}
	DLC_ASSERT(n->op == IR_CONV2D);
	const struct ir_conv_attr *a = &n->attr.conv;
	int caxis = a->layout == IR_LAYOUT_NHWC ? 3 : 1;
	if (m->op == IR_NORMALIZE && m->attr.norm.axis != caxis)
		return false;
	bool padded = a->pad[0] || a->pad[1] || a->pad[2] || a->pad[3];
	return !padded || !map->any_offset;
}

/* Input channel read by weight element (o, k) of layer n: dense weight
 * [out, in] reads feature k; conv weight [O, I/groups, KH, KW] reads
 * channel group(o) * I/groups + k / (KH * KW). */
static int64_t in_channel(const struct ir_node *n, const struct ir_type *wt, int64_t o, int64_t k)
{
	if (n->op == IR_DENSE)
		return k;
	int64_t taps = wt->dims[2] * wt->dims[3];
	int64_t ocpg = wt->dims[0] / n->attr.conv.groups;
	return (o / ocpg) * wt->dims[1] + k / taps;
}

static void fold(struct ir_graph *g, uint32_t li, uint32_t mi, const struct chan_map *map)
{
	struct ir_node *n = &g->nodes[li];
	const char *mname = g->nodes[mi].name;
	uint32_t wv = n->param[0], bv = n->param[1];
	struct ir_type wt = g->vals[wv].type;
	const float *w = fold_const_data(g, wv);
	const float *bias = bv != IR_NONE ? fold_const_data(g, bv) : NULL;
	int64_t nout = wt.dims[0], per = ir_type_numel(&wt) / nout;
	float *nw, *nb = NULL;
	uint32_t nwv = fold_add_const(g, fold_join(g, g->vals[wv].name, mname), wt, &nw,
	                              g->vals[wv].loc);
	uint32_t nbv = bv;
	if (map->any_offset) {
		const char *bname =
			bv != IR_NONE ? g->vals[bv].name : fold_bias_key(g, g->vals[wv].name);
		struct ir_type bt = { IR_DT_F32, 1, { nout } };
		nbv = fold_add_const(g, fold_join(g, bname, mname), bt, &nb, g->nodes[mi].loc);
	}
	n = &g->nodes[li];
	for (int64_t o = 0; o < nout; o++) {
		double acc = bias ? (double)bias[o] : 0.0;
		for (int64_t k = 0; k < per; k++) {
			int64_t c = map->n == 1 ? 0 : in_channel(n, &wt, o, k);
			DLC_ASSERT(c < map->n);
			double wk = (double)w[o * per + k];
			nw[o * per + k] = (float)(wk * map->s[c]);
			acc += wk * map->o[c];
		}
		if (nb)
			nb[o] = (float)acc;
	}
	n->param[0] = nwv;
	n->param[1] = nbv;
	if (nbv != IR_NONE) {
		if (n->op == IR_CONV2D)
			n->attr.conv.bias = true;
		else
			n->attr.dense.bias = true;
	}
	n->in[0] = g->nodes[mi].in[0];
	fold_rename(g, li, fold_join(g, mname, n->name));
}

static bool run(struct pass_ctx *ctx)
{
	struct ir_graph *g = ctx->g;
	uint32_t *uses = ir_count_uses(g, ctx->scratch);
	bool *dead = arena_array(ctx->scratch, g->nnodes ? g->nnodes : 1, sizeof *dead);
	for (uint32_t i = 0; i < g->nnodes; i++) {
		struct ir_node *n = &g->nodes[i];
		if ((n->op != IR_CONV2D && n->op != IR_DENSE) || n->nin != 1)
			continue;
		for (;;) {
			uint32_t x = g->nodes[i].in[0], m = fold_producer(g, x);
			struct chan_map map;
			if (m == IR_NONE || uses[x] != 1 ||
			    !map_of(&g->nodes[m], ctx->scratch, &map) ||
			    !foldable(g, &g->nodes[m], &g->nodes[i], &map))
				break;
			/* The layer now reads the map's input in the map's place. */
			fold(g, i, m, &map);
			dead[m] = true;
		}
	}
	fold_finish(g, dead, ctx->scratch);
	return true;
}

const struct pass pass_fold_rescale = {
	.name = "fold-rescale",
	.summary = "fold rescale/normalize into the following conv2d/dense where exact",
	.run = run,
	.stage = IR_STAGE_BOUND,
	.min_opt = 1,
};
