/* pass_lower_conv_transpose.c - every conv_transpose becomes a stride-1
 * conv2d, a pixel shuffle and a crop, so it runs on the fast conv kernels.
 *
 * Along one axis (stride s, kernel K taps d apart), the transposed
 * convolution before cropping is z[q] = sum over q = i*s + k*d of x[i] *
 * w[k]. Expand the kernel to its dilated extent E = (K - 1) * d + 1 (zero
 * taps between) and split q = m*s + r: phase r of z is
 *   z[m*s + r] = sum over j of x[m - j] * w[j*s + r],
 * a plain convolution of x with the taps r, r + s, ... in reverse order.
 * With T = ceil(E / s) taps per phase (missing ones zero), all s phases
 * are one conv2d with s_h * s_w output channels per output channel:
 *   W'[(oc*s_h + r_h)*s_w + r_w][ic][t_h][t_w] = w[ic][oc][kh][kw],
 *   kh = (T_h - 1 - t_h) * s_h + r_h (a multiple of d_h, below E_h), ...
 * padded T - 1 before and T after, so its M = I + T outputs per axis cover
 * every z[q] the output needs (up to (I + T) * s - 1 >= the cropped end).
 * The pixel shuffle interleaves the phases:
 *   NCHW [N, C*sh*sw, Mh, Mw] -> [N, C, sh, sw, Mh, Mw] -> perm 0 1 4 2 5 3
 *        -> [N, C, Mh*sh, Mw*sw];  NHWC likewise with C last;
 * and the crop keeps rows pad_top .. pad_top + OH (slice), columns alike.
 * Bias and activation commute with the shuffle and crop, so they stay on
 * the conv2d (which later passes tile, pack and fuse as any other).
 *
 * Taps the phase split pads with zeros cost work when s does not divide
 * E (3x3 stride 2: 9 of 16 taps are real); k = s (U-Net's 2x2 stride 2)
 * and 4x4 stride 2 waste none. Codegen only: the interpreter runs
 * conv_transpose as defined, the oracle of the rewrite. */
#include <string.h>

#include "check.h"
#include "fold_util.h"
#include "pass.h"

struct rewrite {
	struct ir_graph *g;
	uint32_t *order; /* the new schedule */
	uint32_t norder;
};

/* Appends node op on x with type t and schedules it; returns its value. */
static uint32_t add(struct rewrite *r, enum ir_op op, const char *name, uint32_t x,
                    const union ir_attrs *at, const struct ir_type *t, struct src_span loc)
{
	uint32_t id = ir_add_node(r->g, op, name, &x, 1, at, loc);
	r->g->vals[r->g->nodes[id].out].type = *t;
	r->order[r->norder++] = id;
	return r->g->nodes[id].out;
}

/* The conv2d weight W' (see the top of the file) from w [C_in, C_out/g,
 * KH, KW]; tn = taps per phase, s = strides, d = dilations. */
static void phase_weights(const float *w, float *out, const int64_t *wd, int64_t groups,
                          const int64_t *tn, const int64_t *s, const int64_t *d)
{
	int64_t cin = wd[0], ocpg = wd[1], kh_n = wd[2], kw_n = wd[3], icpg = cin / groups;
	int64_t eh = (kh_n - 1) * d[0] + 1, ew = (kw_n - 1) * d[1] + 1;
	for (int64_t ic = 0; ic < cin; ic++)
		for (int64_t ocl = 0; ocl < ocpg; ocl++) {
			int64_t oc = ic / icpg * ocpg + ocl;
			for (int64_t rh = 0; rh < s[0]; rh++)
				for (int64_t rw = 0; rw < s[1]; rw++)
					for (int64_t th = 0; th < tn[0]; th++)
						for (int64_t tw = 0; tw < tn[1]; tw++) {
							int64_t kh = (tn[0] - 1 - th) * s[0] + rh;
							int64_t kw = (tn[1] - 1 - tw) * s[1] + rw;
							if (kh >= eh || kw >= ew || kh % d[0] ||
							    kw % d[1])
								continue;
							int64_t o = (oc * s[0] + rh) * s[1] + rw;
							int64_t src = ((ic * ocpg + ocl) * kh_n +
							               kh / d[0]) * kw_n + kw / d[1];
							out[((o * icpg + ic % icpg) * tn[0] + th) *
							            tn[1] + tw] = w[src];
						}
		}
}

static void lower_one(struct rewrite *r, uint32_t node)
{
	struct ir_graph *g = r->g;
	struct ir_node n = g->nodes[node]; /* a copy: adding nodes moves them */
	const struct ir_conv_attr *a = &n.attr.conv;
	/* copies: new constants move g->vals */
	struct ir_type xt = g->vals[n.in[0]].type, wt = g->vals[n.param[0]].type;
	struct ir_type yt = g->vals[n.out].type;
	bool nchw = a->layout == IR_LAYOUT_NCHW;
	int h = nchw ? 2 : 1, w = nchw ? 3 : 2, c = nchw ? 1 : 3;
	int64_t tn[2], m[2], cout = a->filters, sp = a->stride[0] * a->stride[1];
	for (int i = 0; i < 2; i++) {
		int64_t e = (a->kernel[i] - 1) * a->dilation[i] + 1;
		tn[i] = (e + a->stride[i] - 1) / a->stride[i];
		m[i] = xt.dims[i ? w : h] + tn[i];
	}
	const char *base = n.name;
	/* the conv2d */
	union ir_attrs at;
	memset(&at, 0, sizeof at);
	struct ir_conv_attr *ca = &at.conv;
	ca->filters = cout * sp;
	ca->kernel[0] = tn[0], ca->kernel[1] = tn[1];
	ca->stride[0] = ca->stride[1] = ca->dilation[0] = ca->dilation[1] = 1;
	ca->pad[0] = tn[0] - 1, ca->pad[1] = tn[1] - 1, ca->pad[2] = tn[0], ca->pad[3] = tn[1];
	ca->pad_mode = IR_PAD_EXPLICIT;
	ca->groups = a->groups;
	ca->bias = n.param[1] != IR_NONE;
	ca->layout = a->layout;
	ca->act = a->act;
	struct ir_type ct = xt;
	ct.dims[h] = m[0], ct.dims[w] = m[1], ct.dims[c] = cout * sp;
	float *wp, *bp = NULL;
	const char *wname = g->vals[n.param[0]].name ? g->vals[n.param[0]].name : "weight";
	struct ir_type wpt = { IR_DT_F32, 4, { cout * sp, wt.dims[0] / a->groups, tn[0], tn[1] } };
	uint32_t wv = fold_add_const(g, arena_printf(g->arena, "%s:phases", wname), wpt, &wp, n.loc);
	phase_weights(fold_const_data(g, n.param[0]), wp, wt.dims, a->groups, tn, a->stride,
	              a->dilation);
	uint32_t bv = IR_NONE;
	if (n.param[1] != IR_NONE) {
		const float *b = fold_const_data(g, n.param[1]);
		struct ir_type bt = { IR_DT_F32, 1, { cout * sp } };
		const char *bname = g->vals[n.param[1]].name ? g->vals[n.param[1]].name : "bias";
		bv = fold_add_const(g, arena_printf(g->arena, "%s:phases", bname), bt, &bp, n.loc);
		for (int64_t k = 0; k < cout * sp; k++)
			bp[k] = b[k / sp];
	}
	uint32_t v = add(r, IR_CONV2D, arena_printf(g->arena, "%s.phases", base), n.in[0], &at,
	                 &ct, n.loc);
	struct ir_node *conv = &g->nodes[g->vals[v].node];
	conv->param[0] = wv;
	conv->param[1] = bv;
	/* the pixel shuffle */
	int64_t nb = xt.dims[0], sh = a->stride[0], sw = a->stride[1];
	int64_t six_nchw[6] = { nb, cout, sh, sw, m[0], m[1] };
	int64_t six_nhwc[6] = { nb, m[0], m[1], cout, sh, sw };
	static const uint8_t perm[6] = { 0, 1, 4, 2, 5, 3 };
	struct ir_type t6 = { IR_DT_F32, 6, { 0 } };
	memcpy(t6.dims, nchw ? six_nchw : six_nhwc, sizeof six_nchw);
	memset(&at, 0, sizeof at);
	at.reshape.rank = 6;
	memcpy(at.reshape.dims, t6.dims, sizeof six_nchw);
	v = add(r, IR_RESHAPE, arena_printf(g->arena, "%s.phase_axes", base), v, &at, &t6, n.loc);
	memset(&at, 0, sizeof at);
	at.transpose.rank = 6;
	memcpy(at.transpose.perm, perm, sizeof perm);
	struct ir_type tt = t6;
	for (int i = 0; i < 6; i++)
		tt.dims[i] = t6.dims[perm[i]];
	v = add(r, IR_TRANSPOSE, arena_printf(g->arena, "%s.interleave", base), v, &at, &tt, n.loc);
	struct ir_type full = yt;
	full.dims[h] = m[0] * sh, full.dims[w] = m[1] * sw;
	memset(&at, 0, sizeof at);
	at.reshape.rank = 4;
	memcpy(at.reshape.dims, full.dims, 4 * sizeof *full.dims);
	v = add(r, IR_RESHAPE, arena_printf(g->arena, "%s.full", base), v, &at, &full, n.loc);
	/* the crop: the last node takes the conv_transpose's name */
	int axes[2] = { h, w };
	for (int i = 0; i < 2; i++) {
		memset(&at, 0, sizeof at);
		at.slice = (struct ir_slice_attr){ axes[i], a->pad[i], a->pad[i] + yt.dims[axes[i]], 1 };
		full.dims[axes[i]] = yt.dims[axes[i]];
		v = add(r, IR_SLICE, i ? base : arena_printf(g->arena, "%s.rows", base), v, &at, &full,
		        n.loc);
	}
	g->nodes[node].name = arena_printf(g->arena, "%s.transposed", base);
	g->vals[g->nodes[node].out].name = g->nodes[node].name;
	ir_replace_uses(g, n.out, v);
}

static bool run(struct pass_ctx *ctx)
{
	struct ir_graph *g = ctx->g;
	uint32_t count = 0, n0 = g->nnodes;
	for (uint32_t i = 0; i < n0; i++)
		count += g->nodes[i].op == IR_CONV_TRANSPOSE;
	if (!count)
		return true;
	struct rewrite r = { .g = g };
	r.order = arena_array(ctx->scratch, n0 + 6 * count, sizeof *r.order);
	bool *keep = arena_array(ctx->scratch, n0 + 6 * count, sizeof *keep);
	for (uint32_t i = 0; i < n0; i++) {
		if (g->nodes[i].op != IR_CONV_TRANSPOSE) {
			r.order[r.norder++] = i;
			continue;
		}
		lower_one(&r, i);
		r.order[r.norder++] = i; /* dropped below */
	}
	DLC_ASSERT(r.norder == g->nnodes);
	fold_schedule(g, r.order);
	for (uint32_t i = 0; i < g->nnodes; i++)
		keep[i] = g->nodes[i].op != IR_CONV_TRANSPOSE;
	ir_compact(g, keep); /* drops the conv_transposes and their weights */
	return true;
}

const struct pass pass_lower_conv_transpose = {
	.name = "lower-conv-transpose",
	.summary = "conv_transpose as a stride-1 conv2d, a pixel shuffle and a crop",
	.run = run,
	.stage = IR_STAGE_BOUND,
	.min_opt = 0,
	.codegen_only = true,
};
