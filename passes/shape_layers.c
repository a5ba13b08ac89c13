/* shape_layers.c - the shape rules of the layer ops (conv2d, pooling,
 * dense, normalization, recurrent layers, views, ...), the shape column
 * of ir_ops.def; the tensor ops' rules are in shape_ops.c and the pass
 * that runs them is pass_shape_infer.c.
 *
 * Each rule types node n's output into *y, resolves padding modes into
 * explicit pads and symbolic axes into numbers in place, and sets the
 * expected type of every weight parameter. A user error (a shape
 * mismatch, groups not dividing the channels, a kernel larger than its
 * input) is reported at the layer's statement and false returned. All size
 * arithmetic is checked: a tensor above IR_MAX_TENSOR_BYTES is an error. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "shape.h"
#include "window.h"

static const struct ir_type *in_type(const struct shape_ctx *s, const struct ir_node *n)
{
	return &s->g->vals[n->in[0]].type;
}

static const char *tstr(const struct ir_type *t, char *buf, size_t n)
{
	return ir_type_str(t, buf, n);
}

/* Sets *t to a type of the given dims after checking sizes. */
static bool make_type(struct shape_ctx *s, const struct ir_node *n, struct ir_type *t,
                      enum ir_dtype dt, unsigned rank, const int64_t *dims)
{
	memset(t, 0, sizeof *t);
	int64_t bytes = (int64_t)ir_dtype_size(dt);
	for (unsigned i = 0; i < rank; i++) {
		if (dims[i] <= 0) {
			diag_error(s->d, n->loc, "'%s' would have dimension %u equal to %" PRId64,
			           n->name, i, dims[i]);
			return false;
		}
		if (ckd_mul_i64(&bytes, bytes, dims[i]) || bytes > IR_MAX_TENSOR_BYTES) {
			diag_error(s->d, n->loc, "output of '%s' is too large (more than %" PRId64 " bytes)",
			           n->name, IR_MAX_TENSOR_BYTES);
			return false;
		}
	}
	t->dtype = dt;
	t->rank = (uint8_t)rank;
	memcpy(t->dims, dims, rank * sizeof *dims);
	return true;
}

/* Types weight parameter `slot` (if present); false if it would be too
 * large, which is reported. */
static bool set_param(struct shape_ctx *s, struct ir_node *n, unsigned slot, unsigned rank,
                      const int64_t *dims)
{
	if (n->param[slot] == IR_NONE)
		return true;
	struct ir_value *w = &s->g->vals[n->param[slot]];
	int64_t bytes = (int64_t)ir_dtype_size(IR_DT_F32);
	for (unsigned i = 0; i < rank; i++) {
		if (ckd_mul_i64(&bytes, bytes, dims[i]) || bytes > IR_MAX_TENSOR_BYTES) {
			diag_error(s->d, n->loc, "weight '%s' of '%s' is too large (more than %" PRId64
			           " bytes)", w->name, n->name, IR_MAX_TENSOR_BYTES);
			return false;
		}
	}
	struct ir_type t;
	if (!make_type(s, n, &t, IR_DT_F32, rank, dims))
		return false;
	w->type = t;
	return true;
}

/* Resolves an axis attribute against a rank; returns -1 on error. */
static int resolve_axis(struct shape_ctx *s, const struct ir_node *n, int axis, unsigned rank,
                        enum ir_layout layout)
{
	if (axis == IR_AXIS_CHANNEL) {
		if (rank == 4)
			return layout == IR_LAYOUT_NCHW ? 1 : 3;
		return rank >= 2 && rank != 3 ? 1 : (int)rank - 1;
	}
	int a = axis < 0 ? axis + (int)rank : axis;
	if (a < 0 || a >= (int)rank) {
		diag_error(s->d, n->loc, "axis %d is out of range for '%s' with a rank-%u input", axis,
		           n->name, rank);
		return -1;
	}
	return a;
}

static bool need_rank(struct shape_ctx *s, const struct ir_node *n, const struct ir_type *t,
                      unsigned rank, const char *what)
{
	if (t->rank == rank)
		return true;
	char buf[200];
	diag_error(s->d, n->loc, "%s '%s' expects a rank-%u input (%s), got %s",
	           ir_op_table[n->op].name, n->name, rank, what, tstr(t, buf, sizeof buf));
	return false;
}

/* Positions of H, W and C in a 4-D activation. */
static void hwc_axes(enum ir_layout l, int *h, int *w, int *c)
{
	if (l == IR_LAYOUT_NCHW) {
		*c = 1, *h = 2, *w = 3;
	} else {
		*h = 1, *w = 2, *c = 3;
	}
}

/* Computes explicit pads and the output extent of a window op along one
 * spatial axis: `i` is 0 for height, 1 for width. SAME follows TensorFlow:
 * out = ceil(in / stride), the odd pixel of padding goes bottom/right.
 * `ceil` is a pool's ceil_mode. */
static bool window_extent(struct shape_ctx *s, const struct ir_node *n, unsigned i, int64_t in,
                          int64_t kernel, int64_t stride, int64_t dilation,
                          enum ir_pad_mode mode, bool ceil, int64_t *pad, int64_t *out)
{
	int64_t eff = window_span(kernel, dilation); /* attrs are range-checked: no overflow */
	const char *axis = i ? "width" : "height";
	if (mode == IR_PAD_SAME) {
		int64_t total = window_same_pad(in, stride, eff);
		pad[i] = total / 2;
		pad[i + 2] = total - total / 2;
	} else if (mode != IR_PAD_EXPLICIT) {
		pad[i] = pad[i + 2] = 0;
	}
	int64_t padded = in + pad[i] + pad[i + 2];
	if (padded < eff) {
		diag_error(s->d, n->loc,
		           "%s of '%s' (%" PRId64 " after padding) is smaller than the %s %" PRId64
		           " of its %s window",
		           axis, n->name, padded, dilation > 1 ? "dilated extent" : "size", eff,
		           n->op == IR_CONV2D ? "kernel" : "pooling");
		return false;
	}
	*out = ceil ? window_out_ceil(padded, eff, stride, in, pad[i])
	            : window_out(padded, eff, stride);
	return true;
}

/* groups of conv2d or conv_transpose n divide both channel counts */
static bool check_groups(struct shape_ctx *s, const struct ir_node *n, int64_t cin)
{
	const struct ir_conv_attr *a = &n->attr.conv;
	bool ok = true;
	if (cin % a->groups) {
		diag_error(s->d, n->loc, "groups=%" PRId64 " of '%s' does not divide its %" PRId64
		           " input channels", a->groups, n->name, cin);
		ok = false;
	}
	if (a->filters % a->groups) {
		diag_error(s->d, n->loc, "groups=%" PRId64 " of '%s' does not divide its %" PRId64
		           " filters", a->groups, n->name, a->filters);
		ok = false;
	}
	return ok;
}

/* conv_transpose: out = (in - 1) * stride + (kernel - 1) * dilation + 1
 * - pad_begin - pad_end + output_padding, at least 1. */
static bool infer_conv_transpose(struct shape_ctx *s, struct ir_node *n, const struct ir_type *x,
                                 struct ir_type *y)
{
	struct ir_conv_attr *a = &n->attr.conv;
	if (!need_rank(s, n, x, 4, a->layout == IR_LAYOUT_NCHW ? "nchw" : "nhwc"))
		return false;
	if (a->pad_mode == IR_PAD_SAME) {
		diag_error(s->d, n->loc, "conv2d_transpose '%s' takes explicit padding, not same",
		           n->name);
		return false;
	}
	if (a->pad_mode != IR_PAD_EXPLICIT)
		memset(a->pad, 0, sizeof a->pad); /* valid: nothing cropped */
	int h, w, c;
	hwc_axes(a->layout, &h, &w, &c);
	int64_t cin = x->dims[c], dims[4];
	bool ok = check_groups(s, n, cin);
	int ax[2] = { h, w };
	for (unsigned i = 0; i < 2; i++) {
		const char *axis = i ? "width" : "height";
		if (a->out_pad[i] >= a->stride[i] && a->out_pad[i] >= a->dilation[i]) {
			diag_error(s->d, n->loc, "output_padding %" PRId64 " of '%s' must be smaller "
			           "than its stride or its dilation", a->out_pad[i], n->name);
			ok = false;
			continue;
		}
		/* attributes are range-checked (< 2^31) and dims bounded: no overflow */
		int64_t full = (x->dims[ax[i]] - 1) * a->stride[i] +
		               window_span(a->kernel[i], a->dilation[i]) + a->out_pad[i];
		dims[ax[i]] = full - a->pad[i] - a->pad[i + 2];
		if (dims[ax[i]] < 1) {
			diag_error(s->d, n->loc, "padding of '%s' leaves no output %s (%" PRId64
			           " before padding)", n->name, axis, full);
			ok = false;
		}
	}
	if (!ok)
		return false;
	dims[0] = x->dims[0];
	dims[c] = a->filters;
	int64_t wd[4] = { cin, a->filters / a->groups, a->kernel[0], a->kernel[1] };
	set_param(s, n, 0, 4, wd);
	set_param(s, n, 1, 1, &a->filters);
	return make_type(s, n, y, IR_DT_F32, 4, dims);
}

static bool infer_conv(struct shape_ctx *s, struct ir_node *n, const struct ir_type *x,
                       struct ir_type *y)
{
	struct ir_conv_attr *a = &n->attr.conv;
	if (!need_rank(s, n, x, 4, a->layout == IR_LAYOUT_NCHW ? "nchw" : "nhwc"))
		return false;
	int h, w, c;
	hwc_axes(a->layout, &h, &w, &c);
	int64_t cin = x->dims[c];
	bool ok = check_groups(s, n, cin);
	int64_t oh, ow;
	ok = window_extent(s, n, 0, x->dims[h], a->kernel[0], a->stride[0], a->dilation[0],
	                   a->pad_mode, false, a->pad, &oh) && ok;
	ok = window_extent(s, n, 1, x->dims[w], a->kernel[1], a->stride[1], a->dilation[1],
	                   a->pad_mode, false, a->pad, &ow) && ok;
	if (!ok)
		return false;
	int64_t dims[4];
	dims[0] = x->dims[0];
	dims[h] = oh;
	dims[w] = ow;
	dims[c] = a->filters;
	int64_t wd[4] = { a->filters, cin / a->groups, a->kernel[0], a->kernel[1] };
	set_param(s, n, 0, 4, wd);
	set_param(s, n, 1, 1, &a->filters);
	return make_type(s, n, y, IR_DT_F32, 4, dims);
}

static bool infer_pool(struct shape_ctx *s, struct ir_node *n, const struct ir_type *x,
                       struct ir_type *y)
{
	struct ir_pool_attr *a = &n->attr.pool;
	if (!need_rank(s, n, x, 4, a->layout == IR_LAYOUT_NCHW ? "nchw" : "nhwc"))
		return false;
	for (int i = 0; i < 4; i++) {
		if (a->pad_mode == IR_PAD_EXPLICIT && a->pad[i] >= a->kernel[i % 2]) {
			diag_error(s->d, n->loc, "padding %" PRId64 " of '%s' must be smaller than its "
			           "pool size %" PRId64, a->pad[i], n->name, a->kernel[i % 2]);
			return false;
		}
	}
	int h, w, c;
	hwc_axes(a->layout, &h, &w, &c);
	int64_t oh, ow;
	bool ok = window_extent(s, n, 0, x->dims[h], a->kernel[0], a->stride[0], 1, a->pad_mode,
	                        a->ceil_mode, a->pad, &oh);
	ok = window_extent(s, n, 1, x->dims[w], a->kernel[1], a->stride[1], 1, a->pad_mode,
	                   a->ceil_mode, a->pad, &ow) && ok;
	if (!ok)
		return false;
	int64_t dims[4];
	memcpy(dims, x->dims, sizeof dims);
	dims[h] = oh;
	dims[w] = ow;
	return make_type(s, n, y, IR_DT_F32, 4, dims);
}

/* dense applies to the last axis: [N, ..., F] -> [N, ..., units] (Keras
 * Dense; on [N, T, F] it is TimeDistributed(Dense)). A rank-4 input is
 * most likely an image that was meant to be flattened: a warning says so. */
static bool infer_dense(struct shape_ctx *s, struct ir_node *n, const struct ir_type *x,
                        struct ir_type *y)
{
	char buf[200];
	if (x->rank < 2) {
		diag_error(s->d, n->loc, "dense '%s' expects an input of rank 2 or more [batch, ..., "
		           "features], got %s", n->name, tstr(x, buf, sizeof buf));
		return false;
	}
	if (x->rank == 4) {
		diag_warning(s->d, n->loc, "dense '%s' applies to the last axis of each position of "
		             "its rank-4 input %s", n->name, tstr(x, buf, sizeof buf));
		diag_note(s->d, n->loc, "add flatten() before it to turn the input into [batch, features]");
	}
	unsigned r = x->rank;
	int64_t wd[2] = { n->attr.dense.units, x->dims[r - 1] };
	bool ok = set_param(s, n, 0, 2, wd);
	ok = set_param(s, n, 1, 1, &n->attr.dense.units) && ok;
	int64_t dims[IR_MAX_RANK];
	memcpy(dims, x->dims, r * sizeof *dims);
	dims[r - 1] = n->attr.dense.units;
	return make_type(s, n, y, IR_DT_F32, r, dims) && ok;
}

/* embedding: [N, ...] ids -> [N, ..., dim]; onehot: [N, ...] -> [N, ...,
 * classes]. The ids' dtype is checked by infer_node. */
static bool infer_index(struct shape_ctx *s, struct ir_node *n, const struct ir_type *x,
                        struct ir_type *y)
{
	const struct ir_index_attr *a = &n->attr.index;
	char buf[200];
	if (x->rank >= IR_MAX_RANK) {
		diag_error(s->d, n->loc, "%s '%s' adds an axis to its input %s, which already has "
		           "the most (%d) dimensions", ir_op_table[n->op].name, n->name,
		           tstr(x, buf, sizeof buf), IR_MAX_RANK);
		return false;
	}
	int64_t dims[IR_MAX_RANK];
	memcpy(dims, x->dims, x->rank * sizeof *dims);
	dims[x->rank] = n->op == IR_EMBEDDING ? a->dim : a->size;
	bool ok = true;
	if (n->op == IR_EMBEDDING) {
		int64_t wd[2] = { a->size, a->dim };
		ok = set_param(s, n, 0, 2, wd);
	}
	return make_type(s, n, y, IR_DT_F32, x->rank + 1u, dims) && ok;
}

/* lstm/gru: [N, T, F] -> [N, T, H] or [N, H]; weights per struct
 * ir_rnn_attr (G*H rows, G = 4 for lstm, 3 for gru). */
static bool infer_rnn(struct shape_ctx *s, struct ir_node *n, const struct ir_type *x,
                      struct ir_type *y)
{
	const struct ir_rnn_attr *a = &n->attr.rnn;
	if (!need_rank(s, n, x, 3, "[batch, time steps, features]"))
		return false;
	int64_t gates = n->op == IR_LSTM ? 4 : 3, rows;
	if (ckd_mul_i64(&rows, gates, a->units)) {
		diag_error(s->d, n->loc, "units=%" PRId64 " of '%s' is too large", a->units, n->name);
		return false;
	}
	int64_t wih[2] = { rows, x->dims[2] }, whh[2] = { rows, a->units };
	bool ok = set_param(s, n, 0, 2, wih);
	ok = ok && set_param(s, n, 1, 2, whh);
	ok = ok && set_param(s, n, 2, 1, &rows);
	ok = ok && set_param(s, n, 3, 1, &rows);
	int64_t dims[3] = { x->dims[0], x->dims[1], a->units };
	if (!a->return_sequences)
		dims[1] = a->units;
	return ok && make_type(s, n, y, IR_DT_F32, a->return_sequences ? 3 : 2, dims);
}

/* timestep: [N, T, ...] -> [N, ...] at one position of axis 1; a
 * negative index counts from the end and is made non-negative here. */
static bool infer_timestep(struct shape_ctx *s, struct ir_node *n, const struct ir_type *x,
                           struct ir_type *y)
{
	char buf[200];
	if (x->rank < 2) {
		diag_error(s->d, n->loc, "timestep '%s' expects an input [batch, time steps, ...], "
		           "got %s", n->name, tstr(x, buf, sizeof buf));
		return false;
	}
	int64_t t = x->dims[1], index = n->attr.select.index;
	int64_t at = index < 0 ? index + t : index;
	if (at < 0 || at >= t) {
		diag_error(s->d, n->loc, "timestep index %" PRId64 " of '%s' is out of range for %"
		           PRId64 " time step%s (input %s); expected %" PRId64 " to %" PRId64,
		           index, n->name, t, t == 1 ? "" : "s", tstr(x, buf, sizeof buf), -t, t - 1);
		return false;
	}
	n->attr.select.index = at;
	int64_t dims[IR_MAX_RANK];
	dims[0] = x->dims[0];
	for (unsigned i = 2; i < x->rank; i++)
		dims[i - 1] = x->dims[i];
	return make_type(s, n, y, x->dtype, x->rank - 1u, dims);
}

static bool infer_reshape(struct shape_ctx *s, struct ir_node *n, const struct ir_type *x,
                          struct ir_type *y)
{
	struct ir_reshape_attr *a = &n->attr.reshape;
	int64_t dims[IR_MAX_RANK], known = 1, total = ir_type_numel(x);
	int infer = -1;
	for (unsigned i = 0; i < a->rank; i++) {
		dims[i] = i == 0 && a->dims[0] == 0 ? x->dims[0] : a->dims[i];
		if (dims[i] == -1) {
			infer = (int)i;
			continue;
		}
		if (ckd_mul_i64(&known, known, dims[i]))
			known = INT64_MAX;
	}
	if (infer >= 0 && known > 0 && total % known == 0)
		dims[infer] = total / known;
	else if (infer >= 0)
		known = -1;
	if (infer < 0 ? known != total : known < 0) {
		char buf[200], want[200];
		size_t len = 0;
		for (unsigned i = 0; i < a->rank && len < sizeof want; i++)
			len += (size_t)snprintf(want + len, sizeof want - len, "%s%" PRId64, i ? ", " : "[",
			                        i == 0 && a->dims[0] == 0 ? x->dims[0] : a->dims[i]);
		if (len < sizeof want)
			snprintf(want + len, sizeof want - len, "]");
		diag_error(s->d, n->loc, "cannot reshape %s (%" PRId64 " elements) into %s",
		           tstr(x, buf, sizeof buf), total, want);
		return false;
	}
	return make_type(s, n, y, x->dtype, a->rank, dims);
}

static bool same_shapes(struct shape_ctx *s, struct ir_node *n, int skip_axis)
{
	const struct ir_type *first = &s->g->vals[n->in[0]].type;
	for (unsigned k = 1; k < n->nin; k++) {
		const struct ir_type *t = &s->g->vals[n->in[k]].type;
		bool ok = t->rank == first->rank && t->dtype == first->dtype;
		for (unsigned i = 0; ok && i < t->rank; i++)
			ok = (int)i == skip_axis || t->dims[i] == first->dims[i];
		if (!ok) {
			char a[200], b[200];
			diag_error(s->d, n->loc, "%s '%s': input '%s' is %s but input '%s' is %s%s",
			           ir_op_table[n->op].name, n->name, s->g->vals[n->in[0]].name,
			           tstr(first, a, sizeof a), s->g->vals[n->in[k]].name,
			           tstr(t, b, sizeof b),
			           skip_axis >= 0 ? " (only the concatenation axis may differ)" : "");
			return false;
		}
	}
	return true;
}

static bool infer_concat(struct shape_ctx *s, struct ir_node *n, struct ir_type *y)
{
	const struct ir_type *first = &s->g->vals[n->in[0]].type;
	int axis = resolve_axis(s, n, n->attr.axis.axis, first->rank, n->attr.axis.layout);
	if (axis < 0 || !same_shapes(s, n, axis))
		return false;
	n->attr.axis.axis = axis;
	int64_t dims[IR_MAX_RANK];
	memcpy(dims, first->dims, sizeof dims);
	dims[axis] = 0;
	for (unsigned k = 0; k < n->nin; k++)
		if (ckd_add_i64(&dims[axis], dims[axis], s->g->vals[n->in[k]].type.dims[axis]))
			dims[axis] = INT64_MAX;
	return make_type(s, n, y, first->dtype, first->rank, dims);
}

static bool infer_pad(struct shape_ctx *s, struct ir_node *n, const struct ir_type *x,
                      struct ir_type *y)
{
	const struct ir_pad_attr *a = &n->attr.pad;
	if (!need_rank(s, n, x, 4, a->layout == IR_LAYOUT_NCHW ? "nchw" : "nhwc"))
		return false;
	int h, w, c;
	hwc_axes(a->layout, &h, &w, &c);
	int64_t dims[4];
	memcpy(dims, x->dims, sizeof dims);
	/* pads are range-checked by the frontend (< 2^31), so no overflow */
	dims[h] += a->pad[0] + a->pad[2];
	dims[w] += a->pad[1] + a->pad[3];
	return make_type(s, n, y, x->dtype, 4, dims);
}

static bool infer_transpose(struct shape_ctx *s, struct ir_node *n, const struct ir_type *x,
                            struct ir_type *y)
{
	const struct ir_transpose_attr *a = &n->attr.transpose;
	unsigned seen = 0;
	bool ok = a->rank == x->rank;
	for (unsigned i = 0; ok && i < a->rank; i++) {
		ok = a->perm[i] < a->rank && !(seen & (1u << a->perm[i]));
		seen |= 1u << a->perm[i];
	}
	if (!ok) {
		char buf[200];
		diag_error(s->d, n->loc, "transpose '%s' needs a permutation of the %u axes of %s",
		           n->name, x->rank, tstr(x, buf, sizeof buf));
		return false;
	}
	int64_t dims[IR_MAX_RANK];
	for (unsigned i = 0; i < a->rank; i++)
		dims[i] = x->dims[a->perm[i]];
	return make_type(s, n, y, x->dtype, a->rank, dims);
}

/* A fused residual (in[1] of conv2d/dense) must match the output exactly. */
static bool check_residual(struct shape_ctx *s, struct ir_node *n, const struct ir_type *y)
{
	if (n->nin < 2)
		return true;
	const struct ir_type *r = &s->g->vals[n->in[1]].type;
	if (ir_type_eq(r, y))
		return true;
	char a[200], b[200];
	diag_error(s->d, n->loc, "%s '%s': residual '%s' is %s but the output is %s",
	           ir_op_table[n->op].name, n->name, s->g->vals[n->in[1]].name,
	           tstr(r, a, sizeof a), tstr(y, b, sizeof b));
	return false;
}

/* Whether add()(a, b) has two different shapes that broadcast. */
static bool add_broadcasts(struct shape_ctx *s, const struct ir_node *n)
{
	if (n->nin != 2)
		return false;
	const struct ir_type *a = &s->g->vals[n->in[0]].type, *b = &s->g->vals[n->in[1]].type;
	struct ir_type t;
	return !ir_type_eq(a, b) && ir_broadcast_type(a, b, &t);
}


/* ---- the rules (the shape column of ir_ops.def) ---- */

/* Elementwise ops without a rule of their own: y has x's type. */
bool shape_same(struct shape_ctx *s, struct ir_node *n, struct ir_type *y)
{
	(void)s;
	*y = s->g->vals[n->in[0]].type;
	return true;
}

bool shape_conv2d(struct shape_ctx *s, struct ir_node *n, struct ir_type *y)
{
	return infer_conv(s, n, in_type(s, n), y) && check_residual(s, n, y);
}

bool shape_conv_transpose(struct shape_ctx *s, struct ir_node *n, struct ir_type *y)
{
	return infer_conv_transpose(s, n, in_type(s, n), y);
}

bool shape_dense(struct shape_ctx *s, struct ir_node *n, struct ir_type *y)
{
	return infer_dense(s, n, in_type(s, n), y) && check_residual(s, n, y);
}

bool shape_zeropad2d(struct shape_ctx *s, struct ir_node *n, struct ir_type *y)
{
	return infer_pad(s, n, in_type(s, n), y);
}

bool shape_transpose(struct shape_ctx *s, struct ir_node *n, struct ir_type *y)
{
	return infer_transpose(s, n, in_type(s, n), y);
}

bool shape_index(struct shape_ctx *s, struct ir_node *n, struct ir_type *y)
{
	return infer_index(s, n, in_type(s, n), y);
}

bool shape_rnn(struct shape_ctx *s, struct ir_node *n, struct ir_type *y)
{
	return infer_rnn(s, n, in_type(s, n), y);
}

bool shape_timestep(struct shape_ctx *s, struct ir_node *n, struct ir_type *y)
{
	return infer_timestep(s, n, in_type(s, n), y);
}

bool shape_scale_bias(struct shape_ctx *s, struct ir_node *n, struct ir_type *y)
{
	const struct ir_type *x = in_type(s, n);
	int axis = resolve_axis(s, n, n->attr.scale_bias.axis, x->rank, n->attr.scale_bias.layout);
	if (axis < 0)
		return false;
	n->attr.scale_bias.axis = axis;
	for (unsigned k = 0; k < 2; k++)
		set_param(s, n, k, 1, &x->dims[axis]);
	*y = *x;
	return true;
}

bool shape_pool2d(struct shape_ctx *s, struct ir_node *n, struct ir_type *y)
{
	return infer_pool(s, n, in_type(s, n), y);
}

bool shape_global_avgpool(struct shape_ctx *s, struct ir_node *n, struct ir_type *y)
{
	const struct ir_type *x = in_type(s, n);
	if (!need_rank(s, n, x, 4, n->attr.axis.layout == IR_LAYOUT_NCHW ? "nchw" : "nhwc"))
		return false;
	int h, w, c;
	hwc_axes(n->attr.axis.layout, &h, &w, &c);
	int64_t dims[2] = { x->dims[0], x->dims[c] };
	return make_type(s, n, y, IR_DT_F32, 2, dims);
}

bool shape_flatten(struct shape_ctx *s, struct ir_node *n, struct ir_type *y)
{
	const struct ir_type *x = in_type(s, n);
	char buf[200];
	if (x->rank < 2) {
		diag_error(s->d, n->loc, "flatten '%s' needs an input with a batch dimension and at "
		           "least one more, got %s", n->name, tstr(x, buf, sizeof buf));
		return false;
	}
	int64_t dims[2] = { x->dims[0], ir_type_numel(x) / x->dims[0] };
	return make_type(s, n, y, x->dtype, 2, dims);
}

bool shape_reshape(struct shape_ctx *s, struct ir_node *n, struct ir_type *y)
{
	return infer_reshape(s, n, in_type(s, n), y);
}

bool shape_softmax(struct shape_ctx *s, struct ir_node *n, struct ir_type *y)
{
	const struct ir_type *x = in_type(s, n);
	int axis = resolve_axis(s, n, n->attr.axis.axis, x->rank, n->attr.axis.layout);
	if (axis < 0)
		return false;
	n->attr.axis.axis = axis;
	*y = *x;
	return true;
}

bool shape_batchnorm(struct shape_ctx *s, struct ir_node *n, struct ir_type *y)
{
	const struct ir_type *x = in_type(s, n);
	int axis = resolve_axis(s, n, n->attr.bn.axis, x->rank, n->attr.bn.layout);
	if (axis < 0)
		return false;
	n->attr.bn.axis = axis;
	for (unsigned k = 0; k < 4; k++)
		set_param(s, n, k, 1, &x->dims[axis]);
	*y = *x;
	return true;
}

/* Normalizes axes [axis, rank) together; weight and bias have their shape. */
bool shape_layer_norm(struct shape_ctx *s, struct ir_node *n, struct ir_type *y)
{
	const struct ir_type *x = in_type(s, n);
	int axis = resolve_axis(s, n, n->attr.bn.axis, x->rank, n->attr.bn.layout);
	if (axis < 0)
		return false;
	n->attr.bn.axis = axis;
	unsigned nd = x->rank - (unsigned)axis;
	if (!set_param(s, n, 0, nd, &x->dims[axis]) || !set_param(s, n, 1, nd, &x->dims[axis]))
		return false;
	*y = *x;
	return true;
}

bool shape_normalize(struct shape_ctx *s, struct ir_node *n, struct ir_type *y)
{
	const struct ir_type *x = in_type(s, n);
	char buf[200];
	int axis = resolve_axis(s, n, n->attr.norm.axis, x->rank, n->attr.norm.layout);
	if (axis < 0)
		return false;
	n->attr.norm.axis = axis;
	int64_t nc = n->attr.norm.nchannels;
	if (nc != 1 && nc != x->dims[axis]) {
		diag_error(s->d, n->loc, "normalize '%s' has %" PRId64 " mean/std values but its "
		           "input %s has %" PRId64 " channels (axis %d)", n->name, nc,
		           tstr(x, buf, sizeof buf), x->dims[axis], axis);
		return false;
	}
	*y = *x;
	return true;
}

/* add of two shapes that broadcast is ONNX's Add and becomes
 * binary(add); any other mismatch gets add's equal-shapes message. */
bool shape_add(struct shape_ctx *s, struct ir_node *n, struct ir_type *y)
{
	const struct ir_type *x = in_type(s, n);
	char buf[200];
	for (unsigned k = 0; k < n->nin; k++) { /* typed for binary's sake only */
		const struct ir_value *v = &s->g->vals[n->in[k]];
		if (v->type.dtype == IR_DT_F32 || (n->nin == 2 && v->type.dtype != IR_DT_BOOL))
			continue;
		diag_error(s->d, n->loc, "add '%s' needs f32 input%s, but '%s' is %s", n->name,
		           n->nin == 2 ? " (or two integer tensors)" : "", v->name,
		           tstr(&v->type, buf, sizeof buf));
		return false;
	}
	if (x->dtype != IR_DT_F32 || s->g->vals[n->in[1]].type.dtype != IR_DT_F32) {
		n->op = IR_BINARY; /* integers add through binary */
		n->attr.binary.op = IR_BINOP_ADD;
		return shape_binary(s, n, y);
	}
	if (add_broadcasts(s, n)) {
		n->op = IR_BINARY;
		n->attr.binary.op = IR_BINOP_ADD;
		return shape_binary(s, n, y);
	}
	if (!same_shapes(s, n, -1))
		return false;
	*y = *in_type(s, n);
	return true;
}

bool shape_concat(struct shape_ctx *s, struct ir_node *n, struct ir_type *y)
{
	return infer_concat(s, n, y);
}
