/* onnx_nn.c - convolution, pooling, normalization, softmax, reductions
 * and padding to IR.
 *
 * Only 2-D spatial ops (4-D NCHW activations) map to conv2d and the pools.
 * auto_pad is resolved here into explicit pads with ONNX's rule (SAME_UPPER
 * puts the odd pixel at the end, SAME_LOWER at the beginning), so the IR
 * always carries explicit padding. Conv weights are OIHW, which is dlc's
 * own layout; ONNX initializer names become the weight keys. */
#include <inttypes.h>
#include <string.h>

#include "check.h"
#include "onnx_attr.h"
#include "onnx_map.h"
#include "window.h"

/* A 3-D [N, C, L] or 4-D [N, C, H, W] float activation input 0 of a 1-D
 * or 2-D window op; *sd: its spatial dims (1 or 2). 1-D ops run as 2-D
 * ones over [N, C, 1, L] (lift_1d). */
static struct onnx_value *act_spatial(struct onnx_imp *m, unsigned *sd)
{
	struct onnx_value *x = onnx_in(m, 0);
	if (!x || x->kind != ONNX_ACT || x->type.dtype != IR_DT_F32 ||
	    (x->type.rank != 3 && x->type.rank != 4)) {
		onnx_error(m, "needs a 3-D [N, C, L] or 4-D [N, C, H, W] float input (only 1-D "
		           "and 2-D spatial ops are supported)");
		return NULL;
	}
	*sd = x->type.rank - 2u;
	return x;
}

/* The [N, C, 1, L] view of a 1-D op's input x (sd 1), or x itself; *t4
 * gets its type. */
static uint32_t lift_1d(struct onnx_imp *m, const struct onnx_value *x, unsigned sd,
                        struct ir_type *t4)
{
	*t4 = x->type;
	if (sd == 2)
		return x->ir;
	t4->rank = 4;
	t4->dims[3] = x->type.dims[2];
	t4->dims[2] = 1;
	return onnx_reshape(m, onnx_name_tmp(m, "2d"), x->ir, &x->type, 4, t4->dims);
}

/* Output 0 of a window op from its 2-D result y of type t4: reshaped back
 * to [N, C, L] for a 1-D op. */
static void set_window_out(struct onnx_imp *m, uint32_t y, const struct ir_type *t4, unsigned sd)
{
	struct ir_type t = *t4;
	if (sd == 1) {
		int64_t dims[3] = { t4->dims[0], t4->dims[1], t4->dims[3] };
		y = onnx_reshape(m, onnx_name_out(m, 0), y, t4, 3, dims);
		t.rank = 3;
		memcpy(t.dims, dims, sizeof dims);
	}
	onnx_set_act(m, 0, y, &t);
}

/* A float constant input k with the given dims; NULL (reported) if not. */
static struct onnx_tensor *const_in(struct onnx_imp *m, unsigned k, const char *what,
                                    unsigned rank, const int64_t *dims)
{
	struct onnx_value *v = onnx_in(m, k);
	if (!v || v->kind != ONNX_CONST || v->t->dtype != IR_DT_F32) {
		onnx_error(m, "%s must be a float initializer (a constant)", what);
		return NULL;
	}
	struct ir_type want = { IR_DT_F32, (uint8_t)rank, { 0 } }, got = want;
	memcpy(want.dims, dims, rank * sizeof *dims);
	got.rank = v->t->rank;
	memcpy(got.dims, v->t->dims, v->t->rank * sizeof *dims);
	if (!ir_type_eq(&want, &got)) {
		char a[160], b[160];
		onnx_error(m, "%s '%s': expected %s, got %s", what, v->t->name,
		           ir_type_str(&want, a, sizeof a), ir_type_str(&got, b, sizeof b));
		return NULL;
	}
	return v->t;
}

/* The sd spatial values of an ints attribute as the two of the 2-D op
 * (default def for both; a 1-D op's value is the width, its height 1). */
static bool attr2(struct onnx_imp *m, const char *name, int64_t def, int64_t lo, int64_t *out,
                  unsigned sd)
{
	int64_t v[IR_MAX_RANK];
	int n = onnx_attr_ints(m, name, v, IR_MAX_RANK);
	out[0] = out[1] = def;
	if (n == -2)
		return false;
	if (n >= 0 && n != (int)sd) {
		onnx_error(m, "%s must have %u value%s, got %d", name, sd, sd == 1 ? "" : "s", n);
		return false;
	}
	for (int i = 0; i < n; i++) {
		if (v[i] < lo) {
			onnx_error(m, "%s must be at least %" PRId64 ", got %" PRId64, name, lo, v[i]);
			return false;
		}
		out[i + 2 - (int)sd] = v[i];
	}
	if (n >= 0 && sd == 1)
		out[0] = 1;
	return true;
}

/* Explicit pads (top, left, bottom, right) and output size of a 2-D
 * window op (a 1-D op's sd 1: its 2 pads are left and right); ceil: ONNX
 * ceil_mode. */
static bool spatial(struct onnx_imp *m, const int64_t *in, const int64_t *k, const int64_t *s,
                    const int64_t *d, bool ceil, int64_t *pad, int64_t *out, unsigned sd)
{
	const char *mode = onnx_attr_str(m, "auto_pad", "NOTSET");
	int64_t p[IR_MAX_RANK];
	int n = onnx_attr_ints(m, "pads", p, IR_MAX_RANK);
	if (n == -2)
		return false;
	if (n >= 0 && n != 2 * (int)sd) {
		onnx_error(m, "pads must have %u values, got %d", 2 * sd, n);
		return false;
	}
	if (n == 2) { /* 1-D: begin, end of the width */
		p[3] = p[1], p[1] = p[0];
		p[0] = p[2] = 0;
		n = 4;
	}
	for (int i = 0; i < 4; i++) {
		pad[i] = n == 4 ? p[i] : 0;
		if (pad[i] < 0) {
			onnx_error(m, "negative pads are not supported");
			return false;
		}
	}
	bool same = !strcmp(mode, "SAME_UPPER") || !strcmp(mode, "SAME_LOWER");
	if (!same && strcmp(mode, "NOTSET") && strcmp(mode, "VALID")) {
		onnx_error(m, "unknown auto_pad '%s'", mode);
		return false;
	}
	for (int i = 0; i < 2; i++) {
		int64_t span = window_span(k[i], d[i]);
		if (same) {
			int64_t total = window_same_pad(in[i], s[i], span);
			bool upper = !strcmp(mode, "SAME_UPPER");
			pad[i] = upper ? total / 2 : total - total / 2;
			pad[i + 2] = total - pad[i];
		} else if (!strcmp(mode, "VALID")) {
			pad[i] = pad[i + 2] = 0;
		}
		int64_t padded = in[i] + pad[i] + pad[i + 2], room = padded - span;
		if (room < 0) {
			onnx_error(m, "the window (%" PRId64 ") is larger than the padded input (%" PRId64
			           ")", span, padded);
			return false;
		}
		out[i] = ceil ? window_out_ceil(padded, span, s[i], in[i], pad[i])
		              : window_out(padded, span, s[i]);
	}
	return true;
}

/* Conv's and ConvTranspose's weight (input 1) as a 4-D [A, B, kh, kw]
 * (a 1-D op's [A, B, 1, k]) in wd; NULL (reported) unless a float
 * initializer of the op's rank. */
static struct onnx_tensor *conv_weight(struct onnx_imp *m, unsigned sd, int64_t *wd)
{
	struct onnx_value *wv = onnx_in(m, 1);
	if (!wv || wv->kind != ONNX_CONST || wv->t->rank != sd + 2 || wv->t->dtype != IR_DT_F32) {
		onnx_error(m, "the weight must be a %u-D float initializer (a constant)", sd + 2);
		return NULL;
	}
	const int64_t *d = wv->t->dims;
	int64_t four[4] = { d[0], d[1], sd == 1 ? 1 : d[2], d[sd + 1] };
	memcpy(wd, four, sizeof four);
	return wv->t;
}

/* The kernel (from the weight, checked against kernel_shape), strides and
 * dilations of a Conv or ConvTranspose. */
static bool conv_window(struct onnx_imp *m, const struct onnx_tensor *w, const int64_t *wd,
                        struct ir_conv_attr *cv, unsigned sd)
{
	int64_t ks[2];
	if (!attr2(m, "kernel_shape", 0, 1, ks, sd) || !attr2(m, "strides", 1, 1, cv->stride, sd) ||
	    !attr2(m, "dilations", 1, 1, cv->dilation, sd))
		return false;
	if ((ks[0] && ks[0] != wd[2]) || (ks[1] && ks[1] != wd[3])) {
		onnx_error(m, "kernel_shape disagrees with weight '%s'", w->name);
		return false;
	}
	cv->kernel[0] = wd[2];
	cv->kernel[1] = wd[3];
	return true;
}

/* Emits conv2d or conv_transpose `op` with attributes at (filters set) on
 * the lifted input xin of 4-D type t, its weight w (shaped wd) and the
 * optional bias input 2; out: the output's height and width. */
static bool emit_conv(struct onnx_imp *m, enum ir_op op, union ir_attrs *at, uint32_t xin,
                      struct ir_type t, struct onnx_tensor *w, const int64_t *wd,
                      const int64_t *out, unsigned sd)
{
	struct ir_conv_attr *cv = &at->conv;
	cv->pad_mode = IR_PAD_EXPLICIT;
	cv->layout = IR_LAYOUT_NCHW;
	uint32_t bias = IR_NONE;
	if (onnx_in(m, 2)) {
		struct onnx_tensor *b = const_in(m, 2, "bias", 1, &cv->filters);
		if (!b)
			return false;
		bias = onnx_ir_const(m, b);
	}
	cv->bias = bias != IR_NONE;
	uint32_t weight = sd == 2 ? onnx_ir_const(m, w)
	                          : onnx_ir_weight(m, onnx_unique(m, w->name), w->data, 4, wd);
	uint32_t y = onnx_emit(m, op, sd == 2 ? onnx_name_out(m, 0) : onnx_name_tmp(m, "conv"), &xin,
	                       1, at);
	struct ir_node *n = &m->g->nodes[m->g->vals[y].node];
	n->param[0] = weight;
	n->param[1] = bias;
	t.dims[1] = cv->filters;
	t.dims[2] = out[0];
	t.dims[3] = out[1];
	set_window_out(m, y, &t, sd);
	return true;
}

/* Conv, 2-D, or 1-D as a 2-D conv of height 1 (weights [O, I, 1, K]). */
static bool map_conv(struct onnx_imp *m)
{
	unsigned sd;
	int64_t wd[4];
	struct onnx_value *x = act_spatial(m, &sd);
	struct onnx_tensor *w = x ? conv_weight(m, sd, wd) : NULL;
	if (!w)
		return false;
	int64_t group = onnx_attr_int(m, "group", 1), c = x->type.dims[1], o = wd[0];
	if (group < 1 || c % group || o % group || wd[1] != c / group) {
		onnx_error(m, "input has %" PRId64 " channels, weight '%s' is [%" PRId64 ", %" PRId64
		           ", ...] with group=%" PRId64, c, w->name, o, wd[1], group);
		return false;
	}
	union ir_attrs at;
	memset(&at, 0, sizeof at);
	struct ir_conv_attr *cv = &at.conv;
	int64_t out[2];
	if (!conv_window(m, w, wd, cv, sd))
		return false;
	struct ir_type t;
	uint32_t xin = lift_1d(m, x, sd, &t);
	if (!spatial(m, t.dims + 2, cv->kernel, cv->stride, cv->dilation, false, cv->pad, out, sd))
		return false;
	cv->filters = o;
	cv->groups = group;
	return emit_conv(m, IR_CONV2D, &at, xin, t, w, wd, out, sd);
}

/* ConvTranspose's pads (top, left, bottom, right) from pads, or from
 * output_shape or auto_pad SAME_* (ONNX: total = s * (in - 1) +
 * output_padding + span - out; SAME_UPPER puts the odd one at the end,
 * output_shape without it at the start). */
static bool transpose_pads(struct onnx_imp *m, const int64_t *in, struct ir_conv_attr *c,
                           int64_t *pad, unsigned sd)
{
	const char *mode = onnx_attr_str(m, "auto_pad", "NOTSET");
	bool upper = !strcmp(mode, "SAME_UPPER"), same = upper || !strcmp(mode, "SAME_LOWER");
	if (!same && strcmp(mode, "NOTSET") && strcmp(mode, "VALID")) {
		onnx_error(m, "unknown auto_pad '%s'", mode);
		return false;
	}
	int64_t p[4] = { 0 }, want[2];
	int n = onnx_attr_ints(m, "pads", p, 4), no = onnx_attr_ints(m, "output_shape", want, 2);
	if (n == -2 || no == -2)
		return false;
	if ((n >= 0 && n != 2 * (int)sd) || (no >= 0 && no != (int)sd)) {
		onnx_error(m, "pads must have %u values and output_shape %u", 2 * sd, sd);
		return false;
	}
	for (int i = 0; i < 4; i++) {
		pad[i] = sd == 1 ? (i % 2 ? p[i / 2] : 0) : p[i];
		if (pad[i] < 0 || pad[i] > INT32_MAX) {
			onnx_error(m, "pads must be between 0 and 2^31 - 1");
			return false;
		}
	}
	if (no < 0 && !same)
		return true;
	for (unsigned i = 0; i < 2; i++) {
		int64_t span = window_span(c->kernel[i], c->dilation[i]);
		int64_t out = no >= 0 ? (sd == 1 && i == 0 ? 1 : want[sd == 1 ? 0 : i])
		                      : in[i] * c->stride[i];
		int64_t total = c->stride[i] * (in[i] - 1) + c->out_pad[i] + span - out;
		/* floor division, as ONNX's reference: a total of -1 is one more
		 * row at the end, which is output_padding */
		int64_t half = total >= 0 ? total / 2 : -((1 - total) / 2);
		pad[i] = upper || no < 0 ? half : total - half;
		pad[i + 2] = total - pad[i];
		if (pad[i + 2] < 0) {
			c->out_pad[i] -= pad[i + 2];
			pad[i + 2] = 0;
		}
		if (out < 1 || pad[i] < 0 ||
		    (c->out_pad[i] >= c->stride[i] && c->out_pad[i] >= c->dilation[i])) {
			onnx_error(m, "output_shape %" PRId64 " is out of reach of the transposed "
			           "convolution (%" PRId64 " without padding)", out, out + total);
			return false;
		}
	}
	return true;
}

/* ConvTranspose: 2-D, or 1-D as 2-D of height 1; weight [C_in, C_out /
 * group, kh, kw], as conv_transpose takes it. */
static bool map_conv_transpose(struct onnx_imp *m)
{
	unsigned sd;
	int64_t wd[4];
	struct onnx_value *x = act_spatial(m, &sd);
	struct onnx_tensor *w = x ? conv_weight(m, sd, wd) : NULL;
	if (!w)
		return false;
	int64_t group = onnx_attr_int(m, "group", 1), c = x->type.dims[1];
	if (group < 1 || group > c || c % group || wd[0] != c) {
		onnx_error(m, "input has %" PRId64 " channels, weight '%s' is [%" PRId64 ", ...] "
		           "with group=%" PRId64, c, w->name, wd[0], group);
		return false;
	}
	union ir_attrs at;
	memset(&at, 0, sizeof at);
	struct ir_conv_attr *cv = &at.conv;
	if (!conv_window(m, w, wd, cv, sd) || !attr2(m, "output_padding", 0, 0, cv->out_pad, sd))
		return false;
	for (int i = 0; i < 2; i++)
		if (cv->out_pad[i] >= cv->stride[i] && cv->out_pad[i] >= cv->dilation[i]) {
			onnx_error(m, "output_padding %" PRId64 " must be smaller than the stride or "
			           "the dilation", cv->out_pad[i]);
			return false;
		}
	struct ir_type t;
	uint32_t xin = lift_1d(m, x, sd, &t);
	if (!transpose_pads(m, t.dims + 2, cv, cv->pad, sd))
		return false;
	int64_t out[2];
	for (int i = 0; i < 2; i++) {
		out[i] = (t.dims[2 + i] - 1) * cv->stride[i] +
		         window_span(cv->kernel[i], cv->dilation[i]) + cv->out_pad[i] - cv->pad[i] -
		         cv->pad[i + 2];
		if (out[i] < 1) {
			onnx_error(m, "the pads leave no output");
			return false;
		}
	}
	cv->filters = wd[1] * group;
	cv->groups = group;
	return emit_conv(m, IR_CONV_TRANSPOSE, &at, xin, t, w, wd, out, sd);
}

/* MaxPool, AveragePool: 2-D, or 1-D as 2-D of height 1. */
static bool map_pool(struct onnx_imp *m)
{
	unsigned sd;
	struct onnx_value *x = act_spatial(m, &sd);
	bool avg = !strcmp(m->node->op_type, "AveragePool");
	if (!x)
		return false;
	union ir_attrs at;
	memset(&at, 0, sizeof at);
	struct ir_pool_attr *p = &at.pool;
	int64_t dil[2], out[2];
	if (!attr2(m, "kernel_shape", 0, 1, p->kernel, sd) ||
	    !attr2(m, "strides", 1, 1, p->stride, sd) || !attr2(m, "dilations", 1, 1, dil, sd))
		return false;
	if (!p->kernel[0]) {
		onnx_error(m, "kernel_shape is required");
		return false;
	}
	if (dil[0] != 1 || dil[1] != 1) {
		onnx_error(m, "dilated pooling is not supported");
		return false;
	}
	if (onnx_out(m, 1)) {
		onnx_error(m, "the indices output is not supported");
		return false;
	}
	p->ceil_mode = onnx_attr_int(m, "ceil_mode", 0) != 0;
	struct ir_type t;
	uint32_t xin = lift_1d(m, x, sd, &t);
	if (!spatial(m, t.dims + 2, p->kernel, p->stride, dil, p->ceil_mode, p->pad, out, sd))
		return false;
	p->pad_mode = IR_PAD_EXPLICIT;
	p->count_include_pad = avg && onnx_attr_int(m, "count_include_pad", 0) != 0;
	p->layout = IR_LAYOUT_NCHW;
	uint32_t y = onnx_emit(m, avg ? IR_AVGPOOL2D : IR_MAXPOOL2D,
	                       sd == 2 ? onnx_name_out(m, 0) : onnx_name_tmp(m, "pool"), &xin, 1, &at);
	t.dims[2] = out[0];
	t.dims[3] = out[1];
	set_window_out(m, y, &t, sd);
	return true;
}

/* global_avgpool gives [N, C]; ONNX keeps [N, C, 1, 1] (keepdims). */
static bool global_avg(struct onnx_imp *m, struct onnx_value *x, bool keepdims)
{
	union ir_attrs at;
	memset(&at, 0, sizeof at);
	at.axis.layout = IR_LAYOUT_NCHW;
	int64_t dims[4] = { x->type.dims[0], x->type.dims[1], 1, 1 };
	struct ir_type flat = { IR_DT_F32, 2, { dims[0], dims[1] } }, t = flat;
	uint32_t y = onnx_emit(m, IR_GLOBAL_AVGPOOL,
	                       keepdims ? onnx_name_tmp(m, "pool") : onnx_name_out(m, 0), &x->ir, 1, &at);
	if (keepdims) {
		y = onnx_reshape(m, onnx_name_out(m, 0), y, &flat, 4, dims);
		t.rank = 4;
		memcpy(t.dims, dims, sizeof dims);
	}
	onnx_set_act(m, 0, y, &t);
	return true;
}

static bool global_reduce(struct onnx_imp *m, enum ir_op op);

/* GlobalAveragePool: the global_avgpool layer on [N, C, H, W], else (1-D,
 * 3-D) reduce_mean over every spatial axis. */
static bool map_global_avgpool(struct onnx_imp *m)
{
	struct onnx_value *x = onnx_in(m, 0);
	if (x && x->kind == ONNX_ACT && x->type.dtype == IR_DT_F32 && x->type.rank == 4)
		return global_avg(m, x, true);
	return global_reduce(m, IR_REDUCE_MEAN);
}

/* The Reduce* operators: the IR op of each, and the opset from which its
 * axes are an input rather than an attribute. */
static const struct {
	const char *onnx;
	enum ir_op op;
	int64_t axes_input;
} reductions[] = {
	{ "ReduceMean", IR_REDUCE_MEAN, 18 },
	{ "ReduceSum", IR_REDUCE_SUM, 13 },
	{ "ReduceMax", IR_REDUCE_MAX, 18 },
	{ "ReduceMin", IR_REDUCE_MIN, 18 },
	{ "ReduceProd", IR_REDUCE_PROD, 18 },
	{ "ReduceL1", IR_REDUCE_L1, 18 },
	{ "ReduceL2", IR_REDUCE_L2, 18 },
	{ "ReduceSumSquare", IR_REDUCE_SUM_SQUARE, 18 },
	{ "ReduceLogSum", IR_REDUCE_LOG_SUM, 18 },
	{ "ReduceLogSumExp", IR_REDUCE_LOG_SUM_EXP, 18 },
};

/* Reduce*: no axes (or an empty axes input) reduce every axis, unless
 * noop_with_empty_axes makes the node the identity. ReduceMean over H
 * and W of a 4-D tensor is the global average pool. */
static bool map_reduce(struct onnx_imp *m)
{
	unsigned which = 0;
	while (strcmp(reductions[which].onnx, m->node->op_type) != 0)
		which++;
	enum ir_op op = reductions[which].op;
	bool axes_input = m->opset >= reductions[which].axes_input;
	struct onnx_value *x = onnx_in(m, 0);
	if (!x || x->kind != ONNX_ACT || x->type.dtype != IR_DT_F32) {
		onnx_error(m, "needs a float input");
		return false;
	}
	unsigned r = x->type.rank;
	int64_t axes[IR_MAX_RANK];
	int n = !axes_input     ? onnx_attr_ints(m, "axes", axes, IR_MAX_RANK)
	        : onnx_in(m, 1) ? onnx_const_ints(m, 1, axes, IR_MAX_RANK, "axes")
	                        : -1;
	if (n == -2 || (axes_input && onnx_in(m, 1) && n < 0))
		return false;
	if (n <= 0 && axes_input && onnx_attr_int(m, "noop_with_empty_axes", 0)) {
		onnx_set_act(m, 0, x->ir, &x->type);
		return true;
	}
	bool keep = onnx_attr_int(m, "keepdims", 1) != 0, red[IR_MAX_RANK] = { false };
	union ir_attrs at;
	memset(&at, 0, sizeof at);
	for (unsigned i = 0; n <= 0 && i < r; i++)
		axes[i] = i;
	at.reduce.naxes = (uint8_t)(n <= 0 ? (int)r : n);
	for (unsigned k = 0; k < at.reduce.naxes; k++) {
		if (!onnx_axis(m, axes[k], r, &at.reduce.axes[k]))
			return false;
		red[at.reduce.axes[k]] = true;
	}
	if (op == IR_REDUCE_MEAN && r == 4 && at.reduce.naxes == 2 && red[2] && red[3])
		return global_avg(m, x, keep);
	at.reduce.keepdims = keep;
	struct ir_type t = x->type;
	t.rank = 0;
	for (unsigned i = 0; i < r; i++)
		if (!red[i] || keep)
			t.dims[t.rank++] = red[i] ? 1 : x->type.dims[i];
	onnx_set_act(m, 0, onnx_emit(m, op, onnx_name_out(m, 0), &x->ir, 1, &at), &t);
	return true;
}

static bool map_batchnorm(struct onnx_imp *m)
{
	struct onnx_value *x = onnx_in(m, 0);
	if (x->kind != ONNX_ACT || x->type.dtype != IR_DT_F32 || x->type.rank < 2) {
		onnx_error(m, "needs a float input of rank 2 or more");
		return false;
	}
	if (onnx_attr_int(m, "training_mode", 0) != 0) {
		onnx_error(m, "training_mode=1 is not supported (inference only)");
		return false;
	}
	for (unsigned k = 1; k < m->node->n_output; k++)
		if (onnx_out(m, k)) {
			onnx_error(m, "the running statistics outputs are not supported");
			return false;
		}
	static const char *const what[4] = { "scale", "bias", "mean", "var" };
	union ir_attrs at;
	memset(&at, 0, sizeof at);
	at.bn.axis = 1;
	at.bn.epsilon = onnx_attr_float(m, "epsilon", 1e-5f);
	at.bn.layout = x->type.rank == 4 ? IR_LAYOUT_NCHW : IR_LAYOUT_NONE;
	uint32_t param[4];
	for (unsigned k = 0; k < 4; k++) {
		struct onnx_tensor *t = const_in(m, k + 1, what[k], 1, &x->type.dims[1]);
		if (!t)
			return false;
		param[k] = onnx_ir_const(m, t);
	}
	uint32_t y = onnx_emit(m, IR_BATCHNORM, onnx_name_out(m, 0), &x->ir, 1, &at);
	memcpy(m->g->nodes[m->g->vals[y].node].param, param, sizeof param);
	onnx_set_act(m, 0, y, &x->type);
	return true;
}

/* Softmax/LogSoftmax. Before opset 13 the input is coerced to 2-D at
 * `axis` (default 1) and normalized over all trailing axes together. */
static bool map_softmax(struct onnx_imp *m)
{
	struct onnx_value *x = onnx_in(m, 0);
	if (x->kind != ONNX_ACT || x->type.dtype != IR_DT_F32) {
		onnx_error(m, "needs a float input");
		return false;
	}
	unsigned r = x->type.rank;
	int ax;
	if (!onnx_axis(m, onnx_attr_int(m, "axis", m->opset < 13 ? 1 : -1), r, &ax))
		return false;
	union ir_attrs at;
	memset(&at, 0, sizeof at);
	at.axis.log = !strcmp(m->node->op_type, "LogSoftmax");
	at.axis.layout = IR_LAYOUT_NONE;
	if (m->opset >= 13 || (unsigned)ax == r - 1) {
		at.axis.axis = ax;
		onnx_set_act(m, 0, onnx_emit(m, IR_SOFTMAX, onnx_name_out(m, 0), &x->ir, 1, &at), &x->type);
		return true;
	}
	int64_t d2[2] = { onnx_numel((unsigned)ax, x->type.dims), onnx_numel(r - ax, x->type.dims + ax) };
	struct ir_type t2 = { IR_DT_F32, 2, { d2[0], d2[1] } };
	uint32_t y = onnx_reshape(m, onnx_name_tmp(m, "2d"), x->ir, &x->type, 2, d2);
	at.axis.axis = 1;
	y = onnx_emit(m, IR_SOFTMAX, onnx_name_tmp(m, "softmax"), &y, 1, &at);
	y = onnx_reshape(m, onnx_name_out(m, 0), y, &t2, r, x->type.dims);
	onnx_set_act(m, 0, y, &x->type);
	return true;
}

/* Pad, constant mode: spatial zeros on NCHW -> zeropad2d, else pad. */
static bool map_pad(struct onnx_imp *m)
{
	struct onnx_value *x = onnx_in(m, 0);
	if (x->kind != ONNX_ACT) {
		onnx_error(m, "needs a computed (non-constant) input");
		return false;
	}
	const char *mode = onnx_attr_str(m, "mode", "constant");
	if (strcmp(mode, "constant")) {
		onnx_error(m, "mode '%s' is not supported (only 'constant')", mode);
		return false;
	}
	unsigned r = x->type.rank;
	int64_t pads[2 * IR_MAX_RANK];
	float value = onnx_attr_float(m, "value", 0.0f);
	int n = m->opset < 11 ? onnx_attr_ints(m, "pads", pads, 2 * IR_MAX_RANK)
	                      : onnx_const_ints(m, 1, pads, 2 * IR_MAX_RANK, "pads");
	if (m->opset >= 11 && onnx_in(m, 3)) {
		onnx_error(m, "the axes input is not supported");
		return false;
	}
	if (n < 0 || (unsigned)n != 2 * r) {
		if (n >= 0 || n == -1)
			onnx_error(m, "pads must have %u values", 2 * r);
		return false;
	}
	if (m->opset >= 11 && onnx_in(m, 2)) {
		struct onnx_value *v = onnx_in(m, 2);
		if (v->kind != ONNX_CONST || v->t->numel != 1) {
			onnx_error(m, "constant_value must be a one-element constant");
			return false;
		}
		value = v->t->dtype == IR_DT_F32 ? ((float *)v->t->data)[0]
		                                 : (float)((int64_t *)v->t->data)[0];
	}
	struct ir_type t = x->type;
	for (unsigned i = 0; i < r; i++) {
		if (pads[i] < 0 || pads[r + i] < 0) {
			onnx_error(m, "negative pads (cropping) are not supported");
			return false;
		}
		if (ckd_add_i64(&t.dims[i], t.dims[i], pads[i]) ||
		    ckd_add_i64(&t.dims[i], t.dims[i], pads[r + i])) {
			onnx_error(m, "pads make axis %u larger than any tensor can be", i);
			return false;
		}
	}
	union ir_attrs at;
	memset(&at, 0, sizeof at);
	enum ir_op op = IR_PAD;
	if (r == 4 && value == 0.0f && !pads[0] && !pads[1] && !pads[4] && !pads[5] &&
	    x->type.dtype == IR_DT_F32) {
		op = IR_ZEROPAD2D;
		at.pad = (struct ir_pad_attr){ { pads[2], pads[3], pads[6], pads[7] }, IR_LAYOUT_NCHW };
	} else {
		at.pad_nd.npads = (uint8_t)(2 * r);
		memcpy(at.pad_nd.pads, pads, 2 * r * sizeof *pads);
		at.pad_nd.value = value;
	}
	onnx_set_act(m, 0, onnx_emit(m, op, onnx_name_out(m, 0), &x->ir, 1, &at), &t);
	return true;
}

/* reduce_mean of x over axes [axis, rank), keeping them as 1. */
static uint32_t row_mean(struct onnx_imp *m, const char *name, uint32_t x, unsigned rank, int axis)
{
	union ir_attrs at;
	memset(&at, 0, sizeof at);
	at.reduce.keepdims = true;
	for (int k = axis; k < (int)rank; k++)
		at.reduce.axes[at.reduce.naxes++] = k;
	return onnx_emit(m, IR_REDUCE_MEAN, name, &x, 1, &at);
}

/* LayerNormalization (opset 17): Y is one layer_norm; the optional Mean
 * and InvStdDev outputs, when used, are computed beside it from the same
 * input: reduce_mean, then 1 / sqrt(mean((x - mean)^2) + epsilon). */
static bool map_layer_norm(struct onnx_imp *m)
{
	struct onnx_value *x = onnx_in(m, 0);
	if (!x || x->kind != ONNX_ACT || x->type.dtype != IR_DT_F32) {
		onnx_error(m, "needs a float input");
		return false;
	}
	if (onnx_attr_int(m, "stash_type", 1) != 1) {
		onnx_error(m, "stash_type other than 1 (float) is not supported");
		return false;
	}
	unsigned r = x->type.rank;
	int axis;
	if (!onnx_axis(m, onnx_attr_int(m, "axis", -1), r, &axis))
		return false;
	union ir_attrs at;
	memset(&at, 0, sizeof at);
	at.bn.axis = axis;
	float eps = onnx_attr_float(m, "epsilon", 1e-5f);
	at.bn.epsilon = eps;
	at.bn.layout = IR_LAYOUT_NONE;
	const int64_t *nd = &x->type.dims[axis];
	struct onnx_tensor *scale = const_in(m, 1, "scale", r - (unsigned)axis, nd);
	if (!scale)
		return false;
	uint32_t param[2] = { onnx_ir_const(m, scale), IR_NONE };
	if (onnx_in(m, 2)) {
		struct onnx_tensor *b = const_in(m, 2, "bias", r - (unsigned)axis, nd);
		if (!b)
			return false;
		param[1] = onnx_ir_const(m, b);
	} else {
		float *zero = arena_array(m->a, (size_t)scale->numel, sizeof *zero); /* zeroed */
		param[1] = onnx_ir_weight(m, onnx_name_tmp(m, "bias"), zero, r - (unsigned)axis, nd);
	}
	uint32_t y = onnx_emit(m, IR_LAYER_NORM, onnx_name_out(m, 0), &x->ir, 1, &at);
	memcpy(m->g->nodes[m->g->vals[y].node].param, param, sizeof param);
	onnx_set_act(m, 0, y, &x->type);
	if (!onnx_out(m, 1) && !onnx_out(m, 2))
		return true;
	struct ir_type st = x->type; /* the statistics' shape */
	for (unsigned k = (unsigned)axis; k < r; k++)
		st.dims[k] = 1;
	uint32_t mean = row_mean(m, onnx_out(m, 1) ? onnx_name_out(m, 1) : onnx_name_tmp(m, "mean"),
	                         x->ir, r, axis);
	if (onnx_out(m, 1))
		onnx_set_act(m, 1, mean, &st);
	if (!onnx_out(m, 2))
		return true;
	memset(&at, 0, sizeof at);
	at.binary.op = IR_BINOP_SUB;
	uint32_t in[2] = { x->ir, mean };
	uint32_t d = onnx_emit(m, IR_BINARY, onnx_name_tmp(m, "dev"), in, 2, &at);
	at.binary.op = IR_BINOP_MUL;
	in[0] = in[1] = d;
	uint32_t d2 = onnx_emit(m, IR_BINARY, onnx_name_tmp(m, "dev2"), in, 2, &at);
	uint32_t var = row_mean(m, onnx_name_tmp(m, "var"), d2, r, axis);
	memset(&at, 0, sizeof at);
	at.eltwise.nsteps = 3;
	at.eltwise.steps[0] = (struct ir_eltwise_step){ IR_STEP_AFFINE, 1.0f, eps };
	at.eltwise.steps[1] = (struct ir_eltwise_step){ IR_STEP_SQRT, 0, 0 };
	at.eltwise.steps[2] = (struct ir_eltwise_step){ IR_STEP_RECIPROCAL, 0, 0 };
	onnx_set_act(m, 2, onnx_emit(m, IR_ELTWISE, onnx_name_out(m, 2), &var, 1, &at), &st);
	return true;
}

/* Input 0 as an activation [N, C, D1, ...] of rank 3 or more. */
static struct onnx_value *act_spatial_any(struct onnx_imp *m)
{
	struct onnx_value *x = onnx_in(m, 0);
	if (!x || x->kind != ONNX_ACT || x->type.dtype != IR_DT_F32 || x->type.rank < 3) {
		onnx_error(m, "needs a float input [N, C, D1, ...] of rank 3 or more");
		return NULL;
	}
	return x;
}

/* Reduction op over every spatial axis, kept as size 1. */
static bool global_reduce(struct onnx_imp *m, enum ir_op op)
{
	struct onnx_value *x = act_spatial_any(m);
	if (!x)
		return false;
	union ir_attrs at;
	memset(&at, 0, sizeof at);
	at.reduce.keepdims = true;
	struct ir_type t = x->type;
	for (unsigned k = 2; k < t.rank; k++) {
		at.reduce.axes[at.reduce.naxes++] = (int)k;
		t.dims[k] = 1;
	}
	onnx_set_act(m, 0, onnx_emit(m, op, onnx_name_out(m, 0), &x->ir, 1, &at), &t);
	return true;
}

/* GlobalMaxPool: reduce_max over every spatial axis. */
static bool map_global_maxpool(struct onnx_imp *m)
{
	return global_reduce(m, IR_REDUCE_MAX);
}

/* InstanceNormalization: each (n, c) normalized over its spatial axes (a
 * layer_norm from axis 2 with unit gain and no shift), then the
 * per-channel scale and bias as [C, 1, ...] operands of mul and add. */
static bool map_instance_norm(struct onnx_imp *m)
{
	struct onnx_value *x = act_spatial_any(m);
	if (!x)
		return false;
	unsigned r = x->type.rank;
	const int64_t *c = &x->type.dims[1];
	struct onnx_tensor *scale = const_in(m, 1, "scale", 1, c), *bias = NULL;
	if (!scale || !(bias = const_in(m, 2, "B", 1, c)))
		return false;
	union ir_attrs at;
	memset(&at, 0, sizeof at);
	at.bn.axis = 2;
	at.bn.epsilon = onnx_attr_float(m, "epsilon", 1e-5f);
	at.bn.layout = IR_LAYOUT_NONE;
	int64_t n = onnx_numel(r - 2, &x->type.dims[2]);
	float *one = arena_array(m->a, (size_t)n, sizeof *one), *zero;
	zero = arena_array(m->a, (size_t)n, sizeof *zero); /* zeroed */
	for (int64_t i = 0; i < n; i++)
		one[i] = 1.0f;
	uint32_t param[2] = {
		onnx_ir_weight(m, onnx_name_tmp(m, "unit"), one, r - 2, &x->type.dims[2]),
		onnx_ir_weight(m, onnx_name_tmp(m, "zero"), zero, r - 2, &x->type.dims[2]),
	};
	uint32_t y = onnx_emit(m, IR_LAYER_NORM, onnx_name_tmp(m, "norm"), &x->ir, 1, &at);
	memcpy(m->g->nodes[m->g->vals[y].node].param, param, sizeof param);
	int64_t cd[IR_MAX_RANK];
	for (unsigned k = 0; k + 1 < r; k++)
		cd[k] = k ? 1 : c[0];
	const char *op_name[2] = { "scale", "bias" };
	const struct onnx_tensor *t[2] = { scale, bias };
	for (unsigned k = 0; k < 2; k++) {
		memset(&at, 0, sizeof at);
		at.binary.op = k ? IR_BINOP_ADD : IR_BINOP_MUL;
		uint32_t in[2] = { y, onnx_ir_weight(m, onnx_name_tmp(m, op_name[k]), t[k]->data,
		                                     r - 1, cd) };
		y = onnx_emit(m, IR_BINARY, k ? onnx_name_out(m, 0) : onnx_name_tmp(m, "scaled"), in,
		              2, &at);
	}
	onnx_set_act(m, 0, y, &x->type);
	return true;
}

const struct onnx_op_map onnx_nn_table[] = {
	{ "Conv", map_conv }, { "ConvTranspose", map_conv_transpose }, { "MaxPool", map_pool }, { "AveragePool", map_pool },
	{ "GlobalAveragePool", map_global_avgpool }, { "GlobalMaxPool", map_global_maxpool },
	{ "InstanceNormalization", map_instance_norm }, { "ReduceMean", map_reduce },
	{ "ReduceSum", map_reduce }, { "ReduceMax", map_reduce }, { "ReduceMin", map_reduce },
	{ "ReduceProd", map_reduce }, { "ReduceL1", map_reduce }, { "ReduceL2", map_reduce },
	{ "ReduceSumSquare", map_reduce }, { "ReduceLogSum", map_reduce },
	{ "ReduceLogSumExp", map_reduce },
	{ "BatchNormalization", map_batchnorm }, { "LayerNormalization", map_layer_norm },
	{ "Softmax", map_softmax },
	{ "LogSoftmax", map_softmax }, { "Pad", map_pad }, { "LSTM", onnx_map_rnn },
	{ "GRU", onnx_map_rnn },
	{ NULL, NULL },
};
