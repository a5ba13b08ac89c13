/* onnx_shape.c - ONNX's shape rules for the layout operators, shared by
 * constant evaluation (onnx_const.c) and the mapping of activations to IR
 * (onnx_ops.c): Reshape (0 copies a dim unless allowzero, -1 is
 * inferred), Squeeze, Unsqueeze, Flatten, Slice (clamped per axis as the
 * ONNX spec says), NumPy broadcasting. Each reports its errors on the
 * current node and returns false. */
#include <inttypes.h>
#include <string.h>

#include "check.h"
#include "onnx_attr.h"
#include "onnx_shape.h"

bool onnx_broadcast(unsigned ra, const int64_t *a, unsigned rb, const int64_t *b, unsigned *rank,
                    int64_t *out)
{
	DLC_ASSERT(ra <= IR_MAX_RANK && rb <= IR_MAX_RANK);
	struct ir_type ta = { IR_DT_F32, (uint8_t)ra, { 0 } }, tb = { IR_DT_F32, (uint8_t)rb, { 0 } };
	struct ir_type t;
	if (ra) /* a scalar's dims may be NULL */
		memcpy(ta.dims, a, ra * sizeof *a);
	if (rb)
		memcpy(tb.dims, b, rb * sizeof *b);
	if (!ir_broadcast_type(&ta, &tb, &t))
		return false;
	*rank = t.rank;
	memcpy(out, t.dims, t.rank * sizeof *out);
	return true;
}

bool onnx_reshape_dims(struct onnx_imp *m, const int64_t *in, unsigned rin, const int64_t *shape,
                       unsigned n, bool allowzero, int64_t *out)
{
	int64_t total = onnx_numel(rin, in), known = 1;
	int infer = -1;
	if (n > IR_MAX_RANK) {
		onnx_error(m, "reshape to rank %u; at most %d is supported", n, IR_MAX_RANK);
		return false;
	}
	for (unsigned i = 0; i < n; i++) {
		int64_t d = shape[i];
		if (d == 0 && !allowzero) {
			if (i >= rin) {
				onnx_error(m, "shape entry %u is 0 (copy) but the input has rank %u", i, rin);
				return false;
			}
			d = in[i];
		}
		if (d == -1) {
			if (infer >= 0) {
				onnx_error(m, "the shape has more than one -1");
				return false;
			}
			infer = (int)i;
			out[i] = 1;
			continue;
		}
		if (d < 0 || ckd_mul_i64(&known, known, d)) {
			onnx_error(m, "invalid shape entry %" PRId64, shape[i]);
			return false;
		}
		out[i] = d;
	}
	if (infer >= 0) {
		if (known == 0 || total % known) {
			onnx_error(m, "cannot infer the -1 entry: %" PRId64 " elements do not divide by %"
			           PRId64, total, known);
			return false;
		}
		out[infer] = total / known;
		known = total;
	}
	if (known != total) {
		onnx_error(m, "cannot reshape %" PRId64 " elements to %" PRId64, total, known);
		return false;
	}
	return true;
}

/* Axes of Squeeze/Unsqueeze: the attribute before opset 13, input 1
 * from 13 on. Returns the count, -1 when absent, -2 on error. */
static int squeeze_axes(struct onnx_imp *m, int64_t *axes)
{
	if (m->opset < 13)
		return onnx_attr_ints(m, "axes", axes, IR_MAX_RANK);
	if (!onnx_in(m, 1))
		return -1;
	int n = onnx_const_ints(m, 1, axes, IR_MAX_RANK, "axes");
	return n < 0 ? -2 : n;
}

bool onnx_squeeze_dims(struct onnx_imp *m, const int64_t *in, unsigned rin, int64_t *out,
                       unsigned *rout)
{
	int64_t axes[IR_MAX_RANK];
	int n = squeeze_axes(m, axes);
	if (n == -2)
		return false;
	bool drop[IR_MAX_RANK] = { false };
	for (unsigned i = 0; n < 0 && i < rin; i++)
		drop[i] = in[i] == 1;
	for (int k = 0; k < n; k++) {
		int ax;
		if (!onnx_axis(m, axes[k], rin, &ax))
			return false;
		if (in[ax] != 1) {
			onnx_error(m, "cannot squeeze axis %d of size %" PRId64, ax, in[ax]);
			return false;
		}
		drop[ax] = true;
	}
	*rout = 0;
	for (unsigned i = 0; i < rin; i++)
		if (!drop[i])
			out[(*rout)++] = in[i];
	return true;
}

bool onnx_unsqueeze_dims(struct onnx_imp *m, const int64_t *in, unsigned rin, int64_t *out,
                         unsigned *rout)
{
	int64_t axes[IR_MAX_RANK];
	int n = squeeze_axes(m, axes);
	if (n == -1)
		onnx_error(m, "Unsqueeze needs axes");
	if (n < 0)
		return false;
	unsigned r = rin + (unsigned)n;
	if (r > IR_MAX_RANK) {
		onnx_error(m, "result would have rank %u; at most %d is supported", r, IR_MAX_RANK);
		return false;
	}
	bool ins[IR_MAX_RANK] = { false };
	for (int k = 0; k < n; k++) {
		int ax;
		if (!onnx_axis(m, axes[k], r, &ax))
			return false;
		if (ins[ax]) {
			onnx_error(m, "axis %d is given twice", ax);
			return false;
		}
		ins[ax] = true;
	}
	for (unsigned i = 0, j = 0; i < r; i++)
		out[i] = ins[i] ? 1 : in[j++];
	*rout = r;
	return true;
}

bool onnx_flatten_dims(struct onnx_imp *m, const int64_t *in, unsigned rin, int64_t *out)
{
	int64_t axis = onnx_attr_int(m, "axis", 1);
	if (axis < -(int64_t)rin || axis > (int64_t)rin) {
		onnx_error(m, "axis %" PRId64 " is out of range for rank %u", axis, rin);
		return false;
	}
	if (axis < 0)
		axis += rin;
	out[0] = onnx_numel((unsigned)axis, in);
	out[1] = onnx_numel(rin - (unsigned)axis, in + axis);
	return true;
}

static int64_t clamp64(int64_t v, int64_t lo, int64_t hi)
{
	return v < lo ? lo : v > hi ? hi : v;
}

bool onnx_slice_params(struct onnx_imp *m, const int64_t *in, unsigned rin,
                       struct onnx_slice *s)
{
	int64_t starts[IR_MAX_RANK], ends[IR_MAX_RANK], axes[IR_MAX_RANK], steps[IR_MAX_RANK];
	int ns, ne, na = -1, nst = -1;
	if (m->opset < 10) {
		ns = onnx_attr_ints(m, "starts", starts, IR_MAX_RANK);
		ne = onnx_attr_ints(m, "ends", ends, IR_MAX_RANK);
		na = onnx_attr_ints(m, "axes", axes, IR_MAX_RANK);
	} else {
		ns = onnx_const_ints(m, 1, starts, IR_MAX_RANK, "starts");
		ne = ns < 0 ? -1 : onnx_const_ints(m, 2, ends, IR_MAX_RANK, "ends");
		if (ne >= 0 && onnx_in(m, 3))
			na = onnx_const_ints(m, 3, axes, IR_MAX_RANK, "axes");
		if (ne >= 0 && onnx_in(m, 4))
			nst = onnx_const_ints(m, 4, steps, IR_MAX_RANK, "steps");
		if ((onnx_in(m, 3) && na < 0) || (onnx_in(m, 4) && nst < 0))
			return false;
	}
	if (ns < 0 || ne < 0 || na == -2 || ns != ne || (na >= 0 && na != ns) ||
	    (nst >= 0 && nst != ns)) {
		if (m->d->errors == 0 || ns >= 0)
			onnx_error(m, "starts, ends, axes and steps must be given with equal lengths");
		return false;
	}
	s->n = (unsigned)ns;
	for (unsigned k = 0; k < s->n; k++) {
		int ax;
		if (!onnx_axis(m, na >= 0 ? axes[k] : (int64_t)k, rin, &ax))
			return false;
		int64_t step = nst >= 0 ? steps[k] : 1, dim = in[ax];
		if (step == 0) {
			onnx_error(m, "slice step 0");
			return false;
		}
		int64_t b = starts[k] < 0 ? starts[k] + dim : starts[k];
		int64_t e = ends[k] < 0 && ends[k] > INT64_MIN / 2 ? ends[k] + dim : ends[k];
		if (step > 0) {
			b = clamp64(b, 0, dim);
			e = clamp64(e, 0, dim);
		} else {
			b = clamp64(b, -1, dim - 1);
			e = clamp64(e, -1, dim - 1);
		}
		int64_t len = step > 0 ? (e - b + step - 1) / step : (b - e + (-step) - 1) / (-step);
		s->axis[k] = ax;
		s->start[k] = b;
		s->end[k] = e;
		s->step[k] = step;
		s->len[k] = len > 0 ? len : 0;
	}
	return true;
}
