/* window.h - the arithmetic of a sliding window (convolution, pooling)
 * along one spatial axis, written once for every stage that needs it.
 *
 * A window of `kernel` taps `dilation` apart spans
 * dilation * (kernel - 1) + 1 input positions; over an input padded to
 * `padded` positions it fits (padded - span) / stride + 1 times. SAME
 * padding (TensorFlow's, and ONNX's SAME_UPPER/SAME_LOWER) keeps
 * out = ceil(in / stride) and pads the total the window then needs;
 * callers choose which side gets the odd position. Pools may round the
 * window count up instead (ceil_mode, PyTorch's and ONNX's rule): the
 * last window may hang past the bottom/right pad, but it must start
 * inside the input or the top/left pad. Arguments are range-checked by
 * the callers, so none of this overflows. */
#ifndef DLC_WINDOW_H
#define DLC_WINDOW_H

#include <stdint.h>

/* The input positions one window covers. */
static inline int64_t window_span(int64_t kernel, int64_t dilation)
{
	return dilation * (kernel - 1) + 1;
}

/* The total SAME padding along an axis of in positions (>= 0). */
static inline int64_t window_same_pad(int64_t in, int64_t stride, int64_t span)
{
	int64_t out = (in + stride - 1) / stride;
	int64_t total = (out - 1) * stride + span - in;
	return total > 0 ? total : 0;
}

/* How many windows fit in padded positions (padded >= span). */
static inline int64_t window_out(int64_t padded, int64_t span, int64_t stride)
{
	return (padded - span) / stride + 1;
}

/* How many windows fit with ceil_mode: the count rounded up, less the
 * last window if it would start at or past in + pad_before (entirely in
 * the bottom/right pad or beyond). */
static inline int64_t window_out_ceil(int64_t padded, int64_t span, int64_t stride, int64_t in,
                                      int64_t pad_before)
{
	int64_t out = (padded - span + stride - 1) / stride + 1;
	if ((out - 1) * stride >= in + pad_before)
		out--;
	return out;
}

/* The taps a ceil_mode average counts with count_include_pad along one
 * axis: the window from `start` (its first position relative to the
 * input, >= -pad_before) clipped to in + pad_after, as in PyTorch. Equal
 * to `kernel` for every window but a ceil_mode last one. */
static inline int64_t window_included(int64_t start, int64_t kernel, int64_t in,
                                      int64_t pad_after)
{
	int64_t end = start + kernel, limit = in + pad_after;
	return (end < limit ? end : limit) - start;
}

#endif
