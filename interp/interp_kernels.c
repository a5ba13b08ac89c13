/* interp_kernels.c - the reference interpreter's kernels, one per op.
 *
 * Each kernel is one plain loop nest over the output, written to be read
 * rather than to be fast. 4-D activations are indexed through the op's
 * layout (struct t4); everything else is seen as outer x axis x inner
 * (struct ir_split). Sums accumulate in a float in the order stated above each
 * kernel, like fp32 frameworks do, so the generated code can be compared
 * with these results within rounding. */
#include "interp.h"

#include <math.h>
#include <string.h>

#include "check.h"
#include "kernel_types.h"
#include "window.h"

/* ---- shapes and indexing ---- */

static const struct ir_type *param_type(const struct ir_graph *g, const struct ir_node *n,
                                        unsigned k)
{
	DLC_ASSERT(n->param[k] != IR_NONE);
	return &g->vals[n->param[k]].type;
}

/* A 4-D activation by logical dimension, whatever order it is stored in. */
struct t4 {
	int64_t n, c, h, w;
	enum ir_layout layout;
};

static struct t4 t4_of(const struct ir_type *t, enum ir_layout layout)
{
	DLC_ASSERT(t->rank == 4);
	if (layout == IR_LAYOUT_NHWC)
		return (struct t4){ t->dims[0], t->dims[3], t->dims[1], t->dims[2], layout };
	DLC_ASSERT(layout == IR_LAYOUT_NCHW);
	return (struct t4){ t->dims[0], t->dims[1], t->dims[2], t->dims[3], layout };
}

/* Offset of element (n, c, h, w): C order over the stored dimension order. */
static int64_t t4_at(const struct t4 *t, int64_t n, int64_t c, int64_t h, int64_t w)
{
	if (t->layout == IR_LAYOUT_NHWC)
		return ((n * t->h + h) * t->w + w) * t->c + c;
	return ((n * t->c + c) * t->h + h) * t->w + w;
}


/* ---- activations ---- */

/* Takes exp of a non-positive number only, so it never overflows. */
static float sigmoid1(float x)
{
	if (x >= 0.0f)
		return 1.0f / (1.0f + expf(-x));
	float e = expf(x);
	return e / (1.0f + e);
}

float interp_sigmoid(float x)
{
	return sigmoid1(x);
}

/* "x < 0" rather than "x > 0" so that NaN passes through, as in PyTorch. */
static float relu1(float x)
{
	return x < 0.0f ? 0.0f : x;
}

static float clamp1(float x, float lo, float hi)
{
	return x < lo ? lo : x > hi ? hi : x;
}

/* ---- eltwise steps (ir_steps.def), also the fused activation of
 * conv2d/dense ---- */

static float step_relu(float x, float a, float b) { (void)a, (void)b; return relu1(x); }
static float step_sigmoid(float x, float a, float b) { (void)a, (void)b; return sigmoid1(x); }
static float step_tanh(float x, float a, float b) { (void)a, (void)b; return tanhf(x); }
static float step_clip(float x, float a, float b) { return clamp1(x, a, b); }
static float step_affine(float x, float a, float b) { return x * a + b; }
static float step_leaky_relu(float x, float a, float b) { (void)b; return x < 0.0f ? x * a : x; }
static float step_hard_sigmoid(float x, float a, float b) { return clamp1(x * a + b, 0.0f, 1.0f); }
static float step_hard_swish(float x, float a, float b)
{
	(void)a, (void)b;
	return x * clamp1(x * (1.0f / 6.0f) + 0.5f, 0.0f, 1.0f);
}
/* x * sigmoid(x): the same product as mul(x, sigmoid(x)), bit for bit. */
static float step_silu(float x, float a, float b) { (void)a, (void)b; return x * sigmoid1(x); }
static float step_exp(float x, float a, float b) { (void)a, (void)b; return expf(x); }
static float step_log(float x, float a, float b) { (void)a, (void)b; return logf(x); }
static float step_sqrt(float x, float a, float b) { (void)a, (void)b; return sqrtf(x); }
static float step_neg(float x, float a, float b) { (void)a, (void)b; return -x; }
static float step_abs(float x, float a, float b) { (void)a, (void)b; return fabsf(x); }
static float step_sin(float x, float a, float b) { (void)a, (void)b; return sinf(x); }
static float step_cos(float x, float a, float b) { (void)a, (void)b; return cosf(x); }
static float step_tan(float x, float a, float b) { (void)a, (void)b; return tanf(x); }
static float step_asin(float x, float a, float b) { (void)a, (void)b; return asinf(x); }
static float step_acos(float x, float a, float b) { (void)a, (void)b; return acosf(x); }
static float step_atan(float x, float a, float b) { (void)a, (void)b; return atanf(x); }
static float step_sinh(float x, float a, float b) { (void)a, (void)b; return sinhf(x); }
static float step_cosh(float x, float a, float b) { (void)a, (void)b; return coshf(x); }
static float step_asinh(float x, float a, float b) { (void)a, (void)b; return asinhf(x); }
static float step_acosh(float x, float a, float b) { (void)a, (void)b; return acoshf(x); }
static float step_atanh(float x, float a, float b) { (void)a, (void)b; return atanhf(x); }
static float step_gelu(float x, float a, float b)
{
	(void)a, (void)b;
	return 0.5f * x * (1.0f + erff(x * 0.70710678118654752f));
}
static float step_gelu_tanh(float x, float a, float b)
{
	(void)a, (void)b;
	return 0.5f * x * (1.0f + tanhf(0.79788456080286536f * (x + 0.044715f * x * x * x)));
}
static float step_ceil(float x, float a, float b) { (void)a, (void)b; return ceilf(x); }
static float step_floor(float x, float a, float b) { (void)a, (void)b; return floorf(x); }
static float step_round(float x, float a, float b) { (void)a, (void)b; return rintf(x); }
static float step_sign(float x, float a, float b)
{
	(void)a, (void)b;
	return x > 0 ? 1.0f : x < 0 ? -1.0f : x;
}
static float step_shrink(float x, float a, float b) { return x < -a ? x + b : x > a ? x - b : 0; }
static float step_erf(float x, float a, float b) { (void)a, (void)b; return erff(x); }
static float step_reciprocal(float x, float a, float b) { (void)a, (void)b; return 1.0f / x; }
static float step_elu(float x, float a, float b) { (void)b; return x < 0.0f ? a * (expf(x) - 1.0f) : x; }
static float step_selu(float x, float a, float b)
{
	return x <= 0.0f ? b * (a * expf(x) - a) : b * x;
}
static float step_celu(float x, float a, float b)
{
	(void)b;
	return fmaxf(0.0f, x) + fminf(0.0f, a * (expf(x / a) - 1.0f));
}
/* max(x, 0) + log1p(exp(-|x|)): log(1 + exp(x)) without overflow */
static float step_softplus(float x, float a, float b)
{
	(void)a, (void)b;
	return fmaxf(x, 0.0f) + log1pf(expf(-fabsf(x)));
}
static float step_softsign(float x, float a, float b) { (void)a, (void)b; return x / (1.0f + fabsf(x)); }
static float step_mish(float x, float a, float b) { return x * tanhf(step_softplus(x, a, b)); }
static float step_thresholded_relu(float x, float a, float b) { (void)b; return x > a ? x : 0.0f; }

static float (*const steps[IR_STEP_COUNT])(float x, float a, float b) = {
#define IR_STEP(id, name, nargs, fn) [IR_STEP_##id] = step_##fn,
#include "ir_steps.def"
};

/* One step; IR_STEP_NONE (a conv2d/dense without activation) is x. */
static float eltwise_step(const struct ir_eltwise_step *s, float x)
{
	DLC_ASSERT(s->kind >= IR_STEP_NONE && s->kind < IR_STEP_COUNT);
	if (s->kind == IR_STEP_NONE)
		return x;
	return steps[s->kind](x, s->a, s->b);
}

/* ---- conv2d and dense ---- */

/* One output point of a convolution:
 *   sum over ic < I/groups, kh < KH, kw < KW (in this nesting order, from
 *   0.0f) of x[n, c0 + ic, ih, iw] * w[oc, ic, kh, kw]
 * with ih = oh * stride_h - pad_top + kh * dilation_h (iw likewise);
 * taps outside the input read the zero padding and are skipped. */
static float conv_point(const struct ir_conv_attr *a, const struct t4 *xi, const float *x,
                        const float *w_oc, int64_t icpg, int64_t n, int64_t c0,
                        int64_t oh, int64_t ow)
{
	float acc = 0.0f;
	for (int64_t ic = 0; ic < icpg; ic++) {
		for (int64_t kh = 0; kh < a->kernel[0]; kh++) {
			int64_t ih = oh * a->stride[0] - a->pad[0] + kh * a->dilation[0];
			if (ih < 0 || ih >= xi->h)
				continue;
			for (int64_t kw = 0; kw < a->kernel[1]; kw++) {
				int64_t iw = ow * a->stride[1] - a->pad[1] + kw * a->dilation[1];
				if (iw < 0 || iw >= xi->w)
					continue;
				float wv = w_oc[(ic * a->kernel[0] + kh) * a->kernel[1] + kw];
				acc += x[t4_at(xi, n, c0 + ic, ih, iw)] * wv;
			}
		}
	}
	return acc;
}

/* y[n, oc, oh, ow] = act(conv_point(...) + b[oc] + res[n, oc, oh, ow]);
 * output channel oc reads input channels of its group g = oc / (O / groups).
 * Weights are OIHW; res (the fused residual, in[1]) may be NULL. */
void interp_conv2d(const struct ir_graph *g, const struct ir_node *n, const float *const *in,
                   const float *const *param, float *out)
{
	const float *x = in[0];
	const float *res = n->nin > 1 ? in[1] : NULL;
	const float *w = param[0];
	const float *b = param[1];
	const struct ir_conv_attr *a = &n->attr.conv;
	DLC_ASSERT(!a->tile.packed);
	struct t4 xi = t4_of(in_type(g, n, 0), a->layout);
	struct t4 yo = t4_of(out_type(g, n), a->layout);
	const struct ir_type *wt = param_type(g, n, 0);
	DLC_ASSERT(a->groups >= 1 && xi.c % a->groups == 0 && yo.c % a->groups == 0);
	int64_t icpg = xi.c / a->groups, ocpg = yo.c / a->groups;
	DLC_ASSERT(wt->rank == 4 && wt->dims[0] == yo.c && wt->dims[1] == icpg &&
	           wt->dims[2] == a->kernel[0] && wt->dims[3] == a->kernel[1]);
	DLC_ASSERT(xi.n == yo.n);
	int64_t wsize = icpg * a->kernel[0] * a->kernel[1];
	for (int64_t bn = 0; bn < yo.n; bn++)
		for (int64_t oc = 0; oc < yo.c; oc++)
			for (int64_t oh = 0; oh < yo.h; oh++)
				for (int64_t ow = 0; ow < yo.w; ow++) {
					float acc = conv_point(a, &xi, x, w + oc * wsize, icpg, bn,
					                       (oc / ocpg) * icpg, oh, ow);
					if (b)
						acc += b[oc];
					int64_t at = t4_at(&yo, bn, oc, oh, ow);
					if (res)
						acc += res[at];
					out[at] = eltwise_step(&a->act, acc);
				}
}

/* The transposed convolution, as ONNX ConvTranspose defines it: input
 * pixel (ih, iw) adds x * w[ic, oc, kh, kw] to output pixel (ih * sh -
 * pad_top + kh * dh, ...). Gathered per output point: the sum over ic of
 * its group, kh, kw (ascending, from 0.0f) of the taps with oh + pad_top -
 * kh * dh a multiple of sh inside the input (iw likewise); then + b[oc],
 * then the activation. Weights [C_in, C_out / groups, KH, KW]. */
/* One output point of conv_transpose (output channel ocl of the group
 * whose input channels start at c0; w_g: that group's first weight). */
static float transposed_point(const struct ir_conv_attr *a, const struct t4 *xi, const float *x,
                              const float *w_g, int64_t icpg, int64_t ocpg, int64_t n, int64_t c0,
                              int64_t oh, int64_t ow)
{
	float acc = 0.0f;
	int64_t kh_n = a->kernel[0], kw_n = a->kernel[1];
	for (int64_t ic = 0; ic < icpg; ic++) {
		const float *w_ic = w_g + ic * ocpg * kh_n * kw_n;
		for (int64_t kh = 0; kh < kh_n; kh++) {
			int64_t th = oh + a->pad[0] - kh * a->dilation[0], ih = th / a->stride[0];
			if (th < 0 || th % a->stride[0] || ih >= xi->h)
				continue;
			for (int64_t kw = 0; kw < kw_n; kw++) {
				int64_t tw = ow + a->pad[1] - kw * a->dilation[1], iw = tw / a->stride[1];
				if (tw < 0 || tw % a->stride[1] || iw >= xi->w)
					continue;
				acc += x[t4_at(xi, n, c0 + ic, ih, iw)] * w_ic[kh * kw_n + kw];
			}
		}
	}
	return acc;
}

void interp_conv_transpose(const struct ir_graph *g, const struct ir_node *n,
                           const float *const *in, const float *const *param, float *out)
{
	const float *x = in[0], *w = param[0], *b = param[1];
	const struct ir_conv_attr *a = &n->attr.conv;
	struct t4 xi = t4_of(in_type(g, n, 0), a->layout);
	struct t4 yo = t4_of(out_type(g, n), a->layout);
	int64_t icpg = xi.c / a->groups, ocpg = yo.c / a->groups;
	int64_t ksize = a->kernel[0] * a->kernel[1];
	DLC_ASSERT(param_type(g, n, 0)->dims[0] == xi.c && param_type(g, n, 0)->dims[1] == ocpg);
	for (int64_t bn = 0; bn < yo.n; bn++)
		for (int64_t oc = 0; oc < yo.c; oc++) {
			int64_t c0 = (oc / ocpg) * icpg;
			const float *w_g = w + (c0 * ocpg + oc % ocpg) * ksize;
			for (int64_t oh = 0; oh < yo.h; oh++)
				for (int64_t ow = 0; ow < yo.w; ow++) {
					float acc = transposed_point(a, &xi, x, w_g, icpg, ocpg, bn, c0,
					                             oh, ow);
					if (b)
						acc += b[oc];
					out[t4_at(&yo, bn, oc, oh, ow)] = eltwise_step(&a->act, acc);
				}
		}
}

/* y[n, o] = act(sum over i (ascending, from 0.0f) of x[n, i] * W[o, i],
 * then + b[o], then + res[n, o]). A rank-3+ input [N, ..., F] is the
 * same with rows n over all leading positions (time-distributed). */
void interp_dense(const struct ir_graph *g, const struct ir_node *n, const float *const *in,
                  const float *const *param, float *out)
{
	const float *x = in[0];
	const float *res = n->nin > 1 ? in[1] : NULL;
	const float *w = param[0];
	const float *b = param[1];
	DLC_ASSERT(!n->attr.dense.tile.packed);
	const struct ir_type *xt = in_type(g, n, 0), *yt = out_type(g, n);
	const struct ir_type *wt = param_type(g, n, 0);
	DLC_ASSERT(xt->rank >= 2 && yt->rank == xt->rank && wt->rank == 2);
	int64_t nin = xt->dims[xt->rank - 1], nout = yt->dims[yt->rank - 1];
	int64_t batch = ir_type_numel(xt) / nin;
	DLC_ASSERT(ir_type_numel(yt) == batch * nout && wt->dims[0] == nout && wt->dims[1] == nin);
	for (int64_t bn = 0; bn < batch; bn++)
		for (int64_t o = 0; o < nout; o++) {
			float acc = 0.0f;
			for (int64_t i = 0; i < nin; i++)
				acc += x[bn * nin + i] * w[o * nin + i];
			if (b)
				acc += b[o];
			if (res)
				acc += res[bn * nout + o];
			out[bn * nout + o] = eltwise_step(&n->attr.dense.act, acc);
		}
}

/* ---- pooling ---- */

/* One output point of max or average pooling over the window at
 * (oh * stride_h - pad_top, ow * stride_w - pad_left), rows then columns.
 * Padding taps are skipped: -inf for max; for average they count in the
 * divisor only with count_include_pad, and taps past the bottom/right pad
 * (a ceil_mode last window) never do. */
static float pool_point(const struct ir_pool_attr *a, bool is_max, const struct t4 *xi,
                        const float *x, int64_t n, int64_t c, int64_t oh, int64_t ow)
{
	float mx = -INFINITY, sum = 0.0f;
	int64_t valid = 0;
	for (int64_t kh = 0; kh < a->kernel[0]; kh++) {
		int64_t ih = oh * a->stride[0] - a->pad[0] + kh;
		if (ih < 0 || ih >= xi->h)
			continue;
		for (int64_t kw = 0; kw < a->kernel[1]; kw++) {
			int64_t iw = ow * a->stride[1] - a->pad[1] + kw;
			if (iw < 0 || iw >= xi->w)
				continue;
			float v = x[t4_at(xi, n, c, ih, iw)];
			if (!isnan(mx) && (v > mx || isnan(v))) /* NaN wins, as in PyTorch */
				mx = v;
			sum += v;
			valid++;
		}
	}
	if (is_max)
		return mx;
	/* Shape inference keeps every pad below the kernel, so every window has
	 * a valid tap. */
	DLC_ASSERT(valid > 0);
	int64_t divisor = valid;
	if (a->count_include_pad) /* the window, clipped to the padded input (ceil_mode) */
		divisor = window_included(oh * a->stride[0] - a->pad[0], a->kernel[0], xi->h, a->pad[2]) *
		          window_included(ow * a->stride[1] - a->pad[1], a->kernel[1], xi->w, a->pad[3]);
	return sum / (float)divisor;
}

void interp_pool2d(const struct ir_graph *g, const struct ir_node *n, const float *const *in,
                   const float *const *param, float *out)
{
	const float *x = in[0];
	(void)param;
	const struct ir_pool_attr *a = &n->attr.pool;
	DLC_ASSERT(n->op == IR_MAXPOOL2D || n->op == IR_AVGPOOL2D);
	struct t4 xi = t4_of(in_type(g, n, 0), a->layout);
	struct t4 yo = t4_of(out_type(g, n), a->layout);
	DLC_ASSERT(xi.n == yo.n && xi.c == yo.c);
	bool is_max = n->op == IR_MAXPOOL2D;
	for (int64_t bn = 0; bn < yo.n; bn++)
		for (int64_t c = 0; c < yo.c; c++)
			for (int64_t oh = 0; oh < yo.h; oh++)
				for (int64_t ow = 0; ow < yo.w; ow++)
					out[t4_at(&yo, bn, c, oh, ow)] =
						pool_point(a, is_max, &xi, x, bn, c, oh, ow);
}

/* y[n, c] = (sum over h, then w, of x[n, c, h, w]) / (H * W). */
void interp_global_avgpool(const struct ir_graph *g, const struct ir_node *n, const float *const *in,
                           const float *const *param, float *out)
{
	const float *x = in[0];
	(void)param;
	struct t4 xi = t4_of(in_type(g, n, 0), n->attr.axis.layout);
	const struct ir_type *yt = out_type(g, n);
	DLC_ASSERT(yt->rank == 2 && yt->dims[0] == xi.n && yt->dims[1] == xi.c);
	for (int64_t bn = 0; bn < xi.n; bn++)
		for (int64_t c = 0; c < xi.c; c++) {
			float sum = 0.0f;
			for (int64_t h = 0; h < xi.h; h++)
				for (int64_t w = 0; w < xi.w; w++)
					sum += x[t4_at(&xi, bn, c, h, w)];
			out[bn * xi.c + c] = sum / (float)(xi.h * xi.w);
		}
}

/* ---- data movement ---- */

/* flatten, reshape, dropout: same elements in the same order. */
void interp_copy(const struct ir_graph *g, const struct ir_node *n, const float *const *in,
                 const float *const *param, float *out)
{
	const float *x = in[0];
	(void)param;
	int64_t numel = ir_type_numel(out_type(g, n));
	DLC_ASSERT(numel == ir_type_numel(in_type(g, n, 0)));
	memcpy(out, x, (size_t)ir_type_bytes(out_type(g, n)));
}

/* Along the axis, each input contributes its slice of every outer row in
 * input order. */
void interp_concat(const struct ir_graph *g, const struct ir_node *n, const float *const *in,
                   const float *const *param, float *out)
{
	(void)param;
	int axis = n->attr.axis.axis;
	struct ir_split ys = ir_split_at(out_type(g, n), axis);
	int64_t off = 0; /* position along the axis where input k starts */
	for (unsigned k = 0; k < n->nin; k++) {
		struct ir_split xs = ir_split_at(in_type(g, n, k), axis);
		DLC_ASSERT(xs.outer == ys.outer && xs.inner == ys.inner);
		size_t es = out_elem(g, n), row = (size_t)(xs.len * xs.inner) * es;
		for (int64_t o = 0; o < ys.outer; o++)
			memcpy((char *)out + (size_t)((o * ys.len + off) * ys.inner) * es,
			       (const char *)in[k] + (size_t)o * row, row);
		off += xs.len;
	}
	DLC_ASSERT(off == ys.len);
}

/* ---- elementwise and per-channel ---- */

/* y = x0 + x1 + ... summed left to right. */
void interp_add(const struct ir_graph *g, const struct ir_node *n, const float *const *in,
                const float *const *param, float *out)
{
	(void)param;
	const struct ir_type *yt = out_type(g, n);
	int64_t numel = ir_type_numel(yt);
	for (unsigned k = 0; k < n->nin; k++)
		DLC_ASSERT(ir_type_eq(in_type(g, n, k), yt));
	for (int64_t i = 0; i < numel; i++) {
		float acc = in[0][i];
		for (unsigned k = 1; k < n->nin; k++)
			acc += in[k][i];
		out[i] = acc;
	}
}

/* y = (x - mean[c]) / std[c]; one mean/std number applies to every channel. */
void interp_normalize(const struct ir_graph *g, const struct ir_node *n, const float *const *in,
                      const float *const *param, float *out)
{
	const float *x = in[0];
	(void)param;
	const struct ir_normalize_attr *a = &n->attr.norm;
	struct ir_split s = ir_split_at(out_type(g, n), a->axis);
	DLC_ASSERT(a->nchannels == 1 || a->nchannels == s.len);
	for (int64_t o = 0; o < s.outer; o++)
		for (int64_t c = 0; c < s.len; c++) {
			int64_t k = a->nchannels == 1 ? 0 : c;
			for (int64_t r = 0; r < s.inner; r++) {
				int64_t i = (o * s.len + c) * s.inner + r;
				out[i] = (x[i] - a->mean[k]) / a->std[k];
			}
		}
}

/* y = (x - mean[c]) / sqrtf(var[c] + eps) * gamma[c] + beta[c], evaluated
 * in exactly this order, as PyTorch's inference batchnorm does.
 * param: 0 gamma, 1 beta, 2 mean, 3 var. */
void interp_batchnorm(const struct ir_graph *g, const struct ir_node *n, const float *const *in,
                      const float *const *param, float *out)
{
	const float *x = in[0];
	const struct ir_batchnorm_attr *a = &n->attr.bn;
	struct ir_split s = ir_split_at(out_type(g, n), a->axis);
	for (unsigned k = 0; k < 4; k++)
		DLC_ASSERT(param[k] && ir_type_numel(param_type(g, n, k)) == s.len);
	const float *gamma = param[0], *beta = param[1], *mean = param[2], *var = param[3];
	for (int64_t o = 0; o < s.outer; o++)
		for (int64_t c = 0; c < s.len; c++) {
			float den = sqrtf(var[c] + a->epsilon);
			for (int64_t r = 0; r < s.inner; r++) {
				int64_t i = (o * s.len + c) * s.inner + r;
				out[i] = (x[i] - mean[c]) / den * gamma[c] + beta[c];
			}
		}
}

/* Per row of the axes from a->axis on (n elements): mean = sum / n, var =
 * sum (x - mean)^2 / n (both sums from 0.0f in index order), then
 * y = (x - mean) * (1 / sqrtf(var + eps)) * weight + bias, as ONNX's
 * LayerNormalization states it. param: 0 weight, 1 bias. */
void interp_layer_norm(const struct ir_graph *g, const struct ir_node *n, const float *const *in,
                       const float *const *param, float *out)
{
	const float *x = in[0];
	const struct ir_batchnorm_attr *a = &n->attr.bn;
	struct ir_split s = ir_split_at(out_type(g, n), a->axis);
	int64_t len = s.len * s.inner;
	for (unsigned k = 0; k < 2; k++)
		DLC_ASSERT(param[k] && ir_type_numel(param_type(g, n, k)) == len);
	const float *w = param[0], *b = param[1];
	for (int64_t o = 0; o < s.outer; o++) {
		const float *row = x + o * len;
		float sum = 0.0f, sq = 0.0f;
		for (int64_t i = 0; i < len; i++)
			sum += row[i];
		float mean = sum / (float)len;
		for (int64_t i = 0; i < len; i++)
			sq += (row[i] - mean) * (row[i] - mean);
		float inv = 1.0f / sqrtf(sq / (float)len + a->epsilon);
		for (int64_t i = 0; i < len; i++)
			out[o * len + i] = (row[i] - mean) * inv * w[i] + b[i];
	}
}

/* y = exp(x - max) / sum(exp(x - max)) along the axis; the sum runs in
 * ascending index order. log_softmax (attr log): y = (x - max) - log(sum). */
void interp_softmax(const struct ir_graph *g, const struct ir_node *n, const float *const *in,
                    const float *const *param, float *out)
{
	const float *x = in[0];
	(void)param;
	struct ir_split s = ir_split_at(out_type(g, n), n->attr.axis.axis);
	for (int64_t o = 0; o < s.outer; o++)
		for (int64_t r = 0; r < s.inner; r++) {
			const float *xr = x + o * s.len * s.inner + r;
			float *yr = out + o * s.len * s.inner + r;
			float mx = -INFINITY, sum = 0.0f;
			for (int64_t i = 0; i < s.len; i++)
				mx = xr[i * s.inner] > mx ? xr[i * s.inner] : mx;
			for (int64_t i = 0; i < s.len; i++) {
				yr[i * s.inner] = expf(xr[i * s.inner] - mx);
				sum += yr[i * s.inner];
			}
			for (int64_t i = 0; i < s.len; i++)
				yr[i * s.inner] = n->attr.axis.log
				                      ? (xr[i * s.inner] - mx) - logf(sum)
				                      : yr[i * s.inner] / sum;
		}
}

/* ---- ops made by the optimizer (they also have language syntax where
 * the user may write them) ---- */

/* y = min(max(x, lo), hi) */
/* Zero padding of the two spatial axes: out[n, c, h, w] = x[n, c, h - top,
 * w - left] inside the input, 0 outside. */
void interp_zeropad2d(const struct ir_graph *g, const struct ir_node *n, const float *const *in,
                      const float *const *param, float *out)
{
	const float *x = in[0];
	(void)param;
	const struct ir_pad_attr *a = &n->attr.pad;
	struct t4 xi = t4_of(in_type(g, n, 0), a->layout);
	struct t4 yo = t4_of(out_type(g, n), a->layout);
	for (int64_t bn = 0; bn < yo.n; bn++)
		for (int64_t c = 0; c < yo.c; c++)
			for (int64_t h = 0; h < yo.h; h++)
				for (int64_t w = 0; w < yo.w; w++) {
					int64_t ih = h - a->pad[0], iw = w - a->pad[1];
					bool inside = ih >= 0 && ih < xi.h && iw >= 0 && iw < xi.w;
					out[t4_at(&yo, bn, c, h, w)] =
						inside ? x[t4_at(&xi, bn, c, ih, iw)] : 0.0f;
				}
}

/* Per-channel affine along attr.scale_bias.axis: y = x * scale[c] + bias[c]
 * (what a batchnorm folds into when no conv or dense precedes it). */
void interp_scale_bias(const struct ir_graph *g, const struct ir_node *n, const float *const *in,
                       const float *const *param, float *out)
{
	const float *x = in[0];
	const float *scale = param[0];
	const float *bias = param[1];
	const struct ir_type *t = out_type(g, n);
	int axis = n->attr.scale_bias.axis;
	int64_t outer = 1, inner = 1, nc = t->dims[axis];
	for (int i = 0; i < axis; i++)
		outer *= t->dims[i];
	for (unsigned i = (unsigned)axis + 1; i < t->rank; i++)
		inner *= t->dims[i];
	for (int64_t o = 0; o < outer; o++)
		for (int64_t c = 0; c < nc; c++)
			for (int64_t i = 0; i < inner; i++) {
				int64_t at = (o * nc + c) * inner + i;
				out[at] = x[at] * scale[c] + bias[c];
			}
}

/* An op that computes one step on its own (the step column of ir_ops.def:
 * relu, sigmoid, tanh, clip, rescale), element by element. */
void interp_step(const struct ir_graph *g, const struct ir_node *n, const float *const *in,
                 const float *const *param, float *out)
{
	const float *x = in[0];
	(void)param;
	struct ir_eltwise_step s = ir_node_step(n);
	int64_t count = ir_type_numel(out_type(g, n));
	for (int64_t i = 0; i < count; i++)
		out[i] = eltwise_step(&s, x[i]);
}

/* y = step_n(... step_1(x)), element by element. */
void interp_eltwise(const struct ir_graph *g, const struct ir_node *n, const float *const *in,
                    const float *const *param, float *out)
{
	const float *x = in[0];
	(void)param;
	int64_t count = ir_type_numel(out_type(g, n));
	const struct ir_eltwise_attr *a = &n->attr.eltwise;
	for (int64_t i = 0; i < count; i++) {
		float v = x[i];
		for (unsigned k = 0; k < a->nsteps; k++)
			v = eltwise_step(&a->steps[k], v);
		out[i] = v;
	}
}

/* out[i_0, ..., i_r] = x[j] where input axis perm[k] has index i_k. */
void interp_transpose(const struct ir_graph *g, const struct ir_node *n, const float *const *in,
                      const float *const *param, float *out)
{
	const float *x = in[0];
	(void)param;
	const struct ir_type *xt = in_type(g, n, 0), *yt = out_type(g, n);
	const struct ir_transpose_attr *a = &n->attr.transpose;
	DLC_ASSERT(a->rank == xt->rank && a->rank == yt->rank);
	int64_t xstride[IR_MAX_RANK], idx[IR_MAX_RANK] = { 0 };
	int64_t st = 1;
	for (unsigned i = xt->rank; i-- > 0;) {
		xstride[i] = st;
		st *= xt->dims[i];
	}
	int64_t count = ir_type_numel(yt);
	for (int64_t o = 0; o < count; o++) {
		int64_t src = 0;
		for (unsigned k = 0; k < a->rank; k++)
			src += idx[k] * xstride[a->perm[k]];
		copy_elem(out, o, x, src, out_elem(g, n));
		for (unsigned k = a->rank; k-- > 0;) { /* odometer over output dims */
			if (++idx[k] < yt->dims[k])
				break;
			idx[k] = 0;
		}
	}
}
