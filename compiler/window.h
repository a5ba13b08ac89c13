/* window.h - the arithmetic of a sliding window (convolution, pooling)
 * along one spatial axis, written once for every stage that needs it.
 *
 * A window of `kernel` taps `dilation` apart spans
 * dilation * (kernel - 1) + 1 input positions; over an input padded to
 * `padded` positions it fits (padded - span) / stride + 1 times. SAME
 * padding (TensorFlow's, and ONNX's SAME_UPPER/SAME_LOWER) keeps
 * out = ceil(in / stride) and pads the total the window then needs;
 * callers choose which side gets the odd position. Arguments are
 * range-checked by the callers, so none of this overflows. */
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

#endif
