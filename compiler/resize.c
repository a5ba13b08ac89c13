/* resize.c - the interpolation taps of the resize op (ir.h, struct
 * ir_resize_attr), shared by the reference interpreter and the back end
 * so both read the same positions with the same weights.
 *
 * The coordinate formulas, the rounding of nearest, the linear weights
 * and Keys' cubic kernel are ONNX Resize's (its reference implementation
 * pads the input with its edge values, which clamping the positions
 * does). Coordinates and weights are computed in double and rounded to
 * float once. */
#include <math.h>
#include <string.h>

#include "check.h"
#include "ir.h"

/* The input coordinate of output position o. ONNX measures the output
 * length as in_len * s, unrounded (out_len is its floor). */
static double coordinate(const struct ir_resize_attr *a, int64_t in_len, int64_t out_len,
                         double s, int64_t o)
{
	double x = (double)o, len = (double)in_len * s;
	(void)out_len;
	switch ((enum ir_resize_coord)a->coord) {
	case IR_COORD_HALF_PIXEL: return (x + 0.5) / s - 0.5;
	case IR_COORD_PYTORCH_HALF_PIXEL: return len > 1 ? (x + 0.5) / s - 0.5 : 0.0;
	case IR_COORD_ALIGN_CORNERS:
		return len == 1 ? 0.0 : x * (double)(in_len - 1) / (len - 1);
	case IR_COORD_ASYMMETRIC: return x / s;
	case IR_COORD_TF_HALF_PIXEL_FOR_NN: return (x + 0.5) / s;
	}
	DLC_UNREACHABLE("resize: invalid coordinate mode");
}

static int64_t clamp(int64_t i, int64_t len)
{
	return i < 0 ? 0 : i >= len ? len - 1 : i;
}

/* Keys' cubic convolution weights of the four positions floor(x) - 1 ..
 * floor(x) + 2 at fraction t. */
static void cubic(double A, double t, double *c)
{
	double t1 = t + 1, u = 1 - t, u1 = 2 - t;
	c[0] = ((A * t1 - 5 * A) * t1 + 8 * A) * t1 - 4 * A;
	c[1] = ((A + 2) * t - (A + 3)) * t * t + 1;
	c[2] = ((A + 2) * u - (A + 3)) * u * u + 1;
	c[3] = ((A * u1 - 5 * A) * u1 + 8 * A) * u1 - 4 * A;
}

unsigned ir_resize_taps(const struct ir_resize_attr *a, int64_t in_len, int64_t out_len, float s,
                        int64_t o, int64_t *idx, float *w)
{
	/* scale 0: the output size over the input's, exactly */
	double sd = s != 0 ? (double)s : (double)out_len / (double)in_len;
	double x = coordinate(a, in_len, out_len, sd, o), f = floor(x), t = x - f;
	/* bounded: |x| is at most in_len * out_len, far below 2^53 */
	int64_t base = (int64_t)f;
	if (t == 0 && a->mode != IR_RESIZE_NEAREST) { /* on an input position: it alone */
		idx[0] = clamp(base, in_len);
		w[0] = 1.0f;
		return 1;
	}
	if (a->mode == IR_RESIZE_NEAREST) {
		int64_t i = base;
		switch ((enum ir_resize_round)a->nearest) {
		case IR_ROUND_PREFER_FLOOR: i = t <= 0.5 ? base : base + 1; break;
		case IR_ROUND_PREFER_CEIL: i = t < 0.5 ? base : base + 1; break;
		case IR_ROUND_FLOOR: i = base; break;
		case IR_ROUND_CEIL: i = t > 0 ? base + 1 : base; break;
		}
		idx[0] = clamp(i, in_len);
		w[0] = 1.0f;
		return 1;
	}
	if (a->mode == IR_RESIZE_LINEAR) {
		idx[0] = clamp(base, in_len), idx[1] = clamp(base + 1, in_len);
		w[0] = (float)(1 - t), w[1] = (float)t;
		return 2;
	}
	DLC_ASSERT(a->mode == IR_RESIZE_CUBIC);
	double c[4], total = 0;
	cubic((double)a->cubic_a, t, c);
	for (int k = 0; k < 4; k++) {
		int64_t i = base - 1 + k;
		if (a->exclude_outside && (i < 0 || i >= in_len))
			c[k] = 0;
		total += c[k];
		idx[k] = clamp(i, in_len);
	}
	for (int k = 0; k < 4; k++)
		w[k] = (float)(a->exclude_outside ? c[k] / total : c[k]);
	return 4;
}

const char *const ir_resize_modes[3] = { "nearest", "linear", "cubic" };
const char *const ir_resize_coords[5] = { "half_pixel", "pytorch_half_pixel", "align_corners",
	                                  "asymmetric", "tf_half_pixel_for_nn" };
const char *const ir_resize_rounds[4] = { "round_prefer_floor", "round_prefer_ceil", "floor",
	                                  "ceil" };

int ir_resize_lookup(const char *const *names, unsigned n, const char *s)
{
	for (unsigned k = 0; k < n; k++)
		if (!strcmp(names[k], s))
			return (int)k;
	return -1;
}

unsigned ir_resize_table(const struct ir_resize_attr *a, int64_t in_len, int64_t out_len, float s,
                         int64_t *idx, float *w)
{
	unsigned most = 1;
	for (int64_t o = 0; o < out_len; o++) {
		int64_t ti[IR_RESIZE_MAX_TAPS];
		float tw[IR_RESIZE_MAX_TAPS];
		unsigned n = ir_resize_taps(a, in_len, out_len, s, o, ti, tw);
		most = n > most ? n : most;
	}
	for (int64_t o = 0; o < out_len; o++) {
		int64_t *ip = idx + o * most;
		float *wp = w + o * most;
		unsigned n = ir_resize_taps(a, in_len, out_len, s, o, ip, wp);
		for (unsigned j = n; j < most; j++)
			ip[j] = 0, wp[j] = 0.0f;
	}
	return most;
}
