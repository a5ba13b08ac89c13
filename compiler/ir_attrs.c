/* ir_attrs.c - the attribute code of every kind of op, one block per kind
 * (the attrs column of ir_ops.def): how the attributes print in the IR
 * text form (docs/ir.md), how they label a Graphviz box (ir_dot.c), and
 * what the verifier checks of them once shape inference has resolved
 * axes, pads and indices (ir_verify.c).
 *
 * Text: " key=value" pairs, floats with %.9g so they read back exactly.
 * Graphviz: a few words for people, e.g. " 3x3 stride 1 pad 1,1,1,1". */
#include <inttypes.h>
#include <stdio.h>

#include "ir.h"
#include "ir_attrs.h"

#define KIND(k, check) \
	const struct ir_attrs_kind ir_attrs_##k = { print_##k, dot_##k, check, NULL, NULL }
/* A kind with the optional members (ir.h): step numbers, fused work. */
#define KIND_FULL(k, check, step_args, fused) \
	const struct ir_attrs_kind ir_attrs_##k = { print_##k, dot_##k, check, step_args, fused }

/* ---- shared pieces ---- */

static const char *bool_str(bool b)
{
	return b ? "true" : "false";
}

static void print_pair(FILE *out, const char *key, const int64_t *v)
{
	fprintf(out, " %s=[%" PRId64 ", %" PRId64 "]", key, v[0], v[1]);
}

static void print_padding(FILE *out, enum ir_pad_mode mode, const int64_t *pad)
{
	if (mode == IR_PAD_SAME)
		fputs(" padding=same", out);
	else if (mode == IR_PAD_VALID)
		fputs(" padding=valid", out);
	fprintf(out, " pad=[%" PRId64 ", %" PRId64 ", %" PRId64 ", %" PRId64 "]", pad[0], pad[1],
	        pad[2], pad[3]);
}

static void print_axis(FILE *out, int axis)
{
	if (axis == IR_AXIS_CHANNEL)
		fputs(" axis=channel", out);
	else
		fprintf(out, " axis=%d", axis);
}

static void print_floats(FILE *out, const char *key, const float *v, int64_t n)
{
	fprintf(out, " %s=[", key);
	for (int64_t i = 0; i < n; i++)
		fprintf(out, "%s%.9g", i ? ", " : "", (double)v[i]);
	fputs("]", out);
}

static void print_ints(FILE *out, const char *key, const int64_t *v, int64_t n)
{
	fprintf(out, " %s=[", key);
	for (int64_t i = 0; i < n; i++)
		fprintf(out, "%s%" PRId64, i ? ", " : "", v[i]);
	fputs("]", out);
}

/* One eltwise step as the IR text spells it: "relu", "clip(0, 6)". */
static void print_step(FILE *out, const struct ir_eltwise_step *s)
{
	bool known = s->kind > IR_STEP_NONE && s->kind < IR_STEP_COUNT;
	unsigned nargs = known ? ir_step_table[s->kind].nargs : 0;
	fputs(known ? ir_step_table[s->kind].name : "?", out);
	if (nargs == 2)
		fprintf(out, "(%.9g, %.9g)", (double)s->a, (double)s->b);
	else if (nargs == 1)
		fprintf(out, "(%.9g)", (double)s->a);
}

static void dot_step(FILE *out, const struct ir_eltwise_step *s)
{
	bool known = s->kind > IR_STEP_NONE && s->kind < IR_STEP_COUNT;
	unsigned nargs = known ? ir_step_table[s->kind].nargs : 0;
	ir_dot_fmt(out, "%s", known ? ir_step_table[s->kind].name : "?");
	if (nargs == 2)
		ir_dot_fmt(out, "(%g, %g)", (double)s->a, (double)s->b);
	else if (nargs == 1)
		ir_dot_fmt(out, "(%g)", (double)s->a);
}

static void print_act(FILE *out, const struct ir_eltwise_step *act)
{
	if (act->kind == IR_STEP_NONE)
		return;
	fputs(" act=", out);
	print_step(out, act);
}

static void print_tile(FILE *out, const struct ir_tile *t)
{
	if (!t->vec)
		return;
	fprintf(out, " tile={vec=%d mr=%d nr=%d mc=%d nc=%d kc=%d%s", t->vec, t->mr, t->nr, t->mc,
	        t->nc, t->kc, t->packed ? " packed" : "");
	if (t->winograd)
		fprintf(out, " winograd=%d", t->winograd);
	fputs("}", out);
}

static void dot_pads(FILE *out, const int64_t *pad)
{
	if (pad[0] || pad[1] || pad[2] || pad[3])
		ir_dot_fmt(out, " pad %" PRId64 ",%" PRId64 ",%" PRId64 ",%" PRId64, pad[0], pad[1],
		           pad[2], pad[3]);
}

static void dot_window(FILE *out, const int64_t *kernel, const int64_t *stride)
{
	ir_dot_fmt(out, " %" PRId64 "x%" PRId64 " stride %" PRId64, kernel[0], kernel[1], stride[0]);
	if (stride[1] != stride[0])
		ir_dot_fmt(out, "x%" PRId64, stride[1]);
}

static void dot_act(FILE *out, const struct ir_eltwise_step *act)
{
	if (act->kind == IR_STEP_NONE)
		return;
	ir_dot_fmt(out, " +");
	dot_step(out, act);
}

static void dot_tile(FILE *out, const struct ir_tile *t)
{
	if (t->vec)
		ir_dot_fmt(out, "\ntile vec %d reg %dx%d cache %dx%dx%d%s", t->vec, t->mr, t->nr, t->mc,
		           t->nc, t->kc, t->packed ? " packed" : "");
	if (t->winograd)
		ir_dot_fmt(out, "\nwinograd F(%dx%d, 3x3)", t->winograd, t->winograd);
}

static void dot_axis(FILE *out, int axis)
{
	if (axis == IR_AXIS_CHANNEL)
		ir_dot_text(out, " axis channel");
	else
		ir_dot_fmt(out, " axis %d", axis);
}

static const char *pads_check(const int64_t *pad)
{
	for (int k = 0; k < 4; k++)
		if (pad[k] < 0)
			return "a negative pad";
	return NULL;
}

/* The axis of softmax/concat resolved into the output's rank. */
static const char *axis_check(const struct ir_graph *g, const struct ir_node *n)
{
	int axis = n->attr.axis.axis;
	return axis < 0 || axis >= g->vals[n->out].type.rank ? "axis not resolved" : NULL;
}

/* The first input's type (the verifier checks references before calling). */
static const struct ir_type *in0(const struct ir_graph *g, const struct ir_node *n)
{
	return &g->vals[n->in[0]].type;
}

/* ---- no attributes (relu, flatten, add, matmul, ...) ---- */

static void print_none(FILE *out, const struct ir_node *n)
{
	(void)out, (void)n;
}

static void dot_none(FILE *out, const struct ir_node *n)
{
	(void)out, (void)n;
}
KIND(none, NULL);

/* ---- conv2d ---- */

static void print_conv2d(FILE *out, const struct ir_node *n)
{
	const struct ir_conv_attr *a = &n->attr.conv;
	fprintf(out, " filters=%" PRId64, a->filters);
	print_pair(out, "kernel", a->kernel);
	print_pair(out, "stride", a->stride);
	print_pair(out, "dilation", a->dilation);
	print_padding(out, a->pad_mode, a->pad);
	fprintf(out, " groups=%" PRId64 " layout=%s", a->groups, ir_layout_name(a->layout));
	print_act(out, &a->act);
	print_tile(out, &a->tile);
}

static void dot_conv2d(FILE *out, const struct ir_node *n)
{
	const struct ir_conv_attr *c = &n->attr.conv;
	dot_window(out, c->kernel, c->stride);
	dot_pads(out, c->pad);
	if (c->dilation[0] != 1 || c->dilation[1] != 1)
		ir_dot_fmt(out, " dilation %" PRId64 "x%" PRId64, c->dilation[0], c->dilation[1]);
	ir_dot_fmt(out, "\n%" PRId64 " filters", c->filters);
	if (c->groups > 1)
		ir_dot_fmt(out, " groups %" PRId64, c->groups);
	if (c->layout)
		ir_dot_fmt(out, " %s", ir_layout_name(c->layout));
	dot_act(out, &c->act);
	if (n->nin > 1)
		ir_dot_text(out, " +residual");
	dot_tile(out, &c->tile);
}

static const char *check_conv2d(const struct ir_graph *g, const struct ir_node *n)
{
	(void)g;
	return pads_check(n->attr.conv.pad);
}

/* A fused activation or residual (the residual is in[1]). */
static bool fused_conv2d(const struct ir_node *n)
{
	return n->attr.conv.act.kind != IR_STEP_NONE || n->nin > 1;
}
KIND_FULL(conv2d, check_conv2d, NULL, fused_conv2d);

/* ---- conv_transpose (conv2d's attributes, stride-1 dilation of the
 * output, plus output_padding) ---- */

static void print_conv_transpose(FILE *out, const struct ir_node *n)
{
	print_conv2d(out, n);
	if (n->attr.conv.out_pad[0] || n->attr.conv.out_pad[1])
		print_pair(out, "output_padding", n->attr.conv.out_pad);
}

static void dot_conv_transpose(FILE *out, const struct ir_node *n)
{
	dot_conv2d(out, n);
	ir_dot_text(out, " transposed");
}

static const char *check_conv_transpose(const struct ir_graph *g, const struct ir_node *n)
{
	(void)g;
	const struct ir_conv_attr *a = &n->attr.conv;
	if (a->pad_mode == IR_PAD_SAME)
		return "conv_transpose has no same padding";
	for (int i = 0; i < 2; i++)
		if (a->out_pad[i] < 0 || (a->out_pad[i] >= a->stride[i] &&
		                          a->out_pad[i] >= a->dilation[i]))
			return "output_padding must be below the stride or the dilation";
	return pads_check(a->pad);
}
KIND_FULL(conv_transpose, check_conv_transpose, NULL, fused_conv2d);

/* ---- dense ---- */

static void print_dense(FILE *out, const struct ir_node *n)
{
	const struct ir_dense_attr *a = &n->attr.dense;
	fprintf(out, " units=%" PRId64, a->units);
	print_act(out, &a->act);
	print_tile(out, &a->tile);
}

static void dot_dense(FILE *out, const struct ir_node *n)
{
	const struct ir_dense_attr *d = &n->attr.dense;
	ir_dot_fmt(out, " %" PRId64 " units", d->units);
	dot_act(out, &d->act);
	if (n->nin > 1)
		ir_dot_text(out, " +residual");
	dot_tile(out, &d->tile);
}

static bool fused_dense(const struct ir_node *n)
{
	return n->attr.dense.act.kind != IR_STEP_NONE || n->nin > 1;
}
KIND_FULL(dense, NULL, NULL, fused_dense);

/* ---- maxpool2d, avgpool2d ---- */

static void print_window(FILE *out, const struct ir_pool_attr *a)
{
	print_pair(out, "kernel", a->kernel);
	print_pair(out, "stride", a->stride);
	print_padding(out, a->pad_mode, a->pad);
	if (a->ceil_mode)
		fputs(" ceil_mode=true", out);
}

static void print_maxpool2d(FILE *out, const struct ir_node *n)
{
	print_window(out, &n->attr.pool);
	fprintf(out, " layout=%s", ir_layout_name(n->attr.pool.layout));
}

static void print_avgpool2d(FILE *out, const struct ir_node *n)
{
	print_window(out, &n->attr.pool);
	fprintf(out, " count_include_pad=%s layout=%s", bool_str(n->attr.pool.count_include_pad),
	        ir_layout_name(n->attr.pool.layout));
}

static void dot_pool(FILE *out, const struct ir_node *n)
{
	dot_window(out, n->attr.pool.kernel, n->attr.pool.stride);
	dot_pads(out, n->attr.pool.pad);
}
#define dot_maxpool2d dot_pool
#define dot_avgpool2d dot_pool

static const char *check_pool(const struct ir_graph *g, const struct ir_node *n)
{
	(void)g;
	return pads_check(n->attr.pool.pad);
}
KIND(maxpool2d, check_pool);
KIND(avgpool2d, check_pool);

/* ---- global_avgpool ---- */

static void print_global_pool(FILE *out, const struct ir_node *n)
{
	fprintf(out, " layout=%s", ir_layout_name(n->attr.axis.layout));
}
#define dot_global_pool dot_none
KIND(global_pool, NULL);

/* ---- softmax, concat ---- */

static void print_softmax(FILE *out, const struct ir_node *n)
{
	print_axis(out, n->attr.axis.axis);
	if (n->attr.axis.log)
		fputs(" log=true", out);
}

static void dot_softmax(FILE *out, const struct ir_node *n)
{
	dot_axis(out, n->attr.axis.axis);
	if (n->attr.axis.log)
		ir_dot_text(out, " log");
}
KIND(softmax, axis_check);

static void print_concat(FILE *out, const struct ir_node *n)
{
	print_axis(out, n->attr.axis.axis);
}

static void dot_concat(FILE *out, const struct ir_node *n)
{
	dot_axis(out, n->attr.axis.axis);
}
KIND(concat, axis_check);

/* ---- batchnorm, scale_bias, rescale, normalize ---- */

static void print_batchnorm(FILE *out, const struct ir_node *n)
{
	print_axis(out, n->attr.bn.axis);
	fprintf(out, " epsilon=%.9g", (double)n->attr.bn.epsilon);
}

static void dot_batchnorm(FILE *out, const struct ir_node *n)
{
	dot_axis(out, n->attr.bn.axis);
	ir_dot_fmt(out, " eps %g", (double)n->attr.bn.epsilon);
}
KIND(batchnorm, NULL);

static void print_scale_bias(FILE *out, const struct ir_node *n)
{
	print_axis(out, n->attr.scale_bias.axis);
}

static void dot_scale_bias(FILE *out, const struct ir_node *n)
{
	dot_axis(out, n->attr.scale_bias.axis);
}
KIND(scale_bias, NULL);

static void print_rescale(FILE *out, const struct ir_node *n)
{
	fprintf(out, " scale=%.9g offset=%.9g", (double)n->attr.rescale.scale,
	        (double)n->attr.rescale.offset);
}

static void dot_rescale(FILE *out, const struct ir_node *n)
{
	ir_dot_fmt(out, "\nx * %g + %g", (double)n->attr.rescale.scale,
	           (double)n->attr.rescale.offset);
}

/* The step affine(a, b): x * scale + offset. */
static void step_rescale(const struct ir_node *n, struct ir_eltwise_step *s)
{
	s->a = n->attr.rescale.scale;
	s->b = n->attr.rescale.offset;
}
KIND_FULL(rescale, NULL, step_rescale, NULL);

static void print_normalize(FILE *out, const struct ir_node *n)
{
	const struct ir_normalize_attr *a = &n->attr.norm;
	print_axis(out, a->axis);
	print_floats(out, "mean", a->mean, a->nchannels);
	print_floats(out, "std", a->std, a->nchannels);
}

static void dot_normalize(FILE *out, const struct ir_node *n)
{
	ir_dot_fmt(out, " %" PRId64 " channels", n->attr.norm.nchannels);
}
KIND(normalize, NULL);

/* ---- reshape, transpose ---- */

static void print_reshape(FILE *out, const struct ir_node *n)
{
	print_ints(out, "dims", n->attr.reshape.dims, n->attr.reshape.rank);
}
#define dot_reshape dot_none
KIND(reshape, NULL);

static void print_transpose(FILE *out, const struct ir_node *n)
{
	fputs(" perm=[", out);
	for (unsigned i = 0; i < n->attr.transpose.rank; i++)
		fprintf(out, "%s%u", i ? ", " : "", n->attr.transpose.perm[i]);
	fputs("]", out);
}

static void dot_transpose(FILE *out, const struct ir_node *n)
{
	ir_dot_text(out, " perm");
	for (unsigned i = 0; i < n->attr.transpose.rank && i < IR_MAX_RANK; i++)
		ir_dot_fmt(out, "%s%u", i ? "," : " ", n->attr.transpose.perm[i]);
}
KIND(transpose, NULL);

/* ---- dropout, clip, zeropad2d ---- */

static void print_dropout(FILE *out, const struct ir_node *n)
{
	fprintf(out, " rate=%.9g", (double)n->attr.dropout.rate);
}

static void dot_dropout(FILE *out, const struct ir_node *n)
{
	ir_dot_fmt(out, " rate %g", (double)n->attr.dropout.rate);
}
KIND(dropout, NULL);

static void print_clip(FILE *out, const struct ir_node *n)
{
	fprintf(out, " min=%.9g max=%.9g", (double)n->attr.clip.min, (double)n->attr.clip.max);
}

static void dot_clip(FILE *out, const struct ir_node *n)
{
	ir_dot_fmt(out, " [%g, %g]", (double)n->attr.clip.min, (double)n->attr.clip.max);
}

static void step_clip(const struct ir_node *n, struct ir_eltwise_step *s)
{
	s->a = n->attr.clip.min;
	s->b = n->attr.clip.max;
}
KIND_FULL(clip, NULL, step_clip, NULL);

static void print_zeropad2d(FILE *out, const struct ir_node *n)
{
	const struct ir_pad_attr *a = &n->attr.pad;
	fprintf(out, " pad=[%" PRId64 ", %" PRId64 ", %" PRId64 ", %" PRId64 "] layout=%s",
	        a->pad[0], a->pad[1], a->pad[2], a->pad[3], ir_layout_name(a->layout));
}

static void dot_zeropad2d(FILE *out, const struct ir_node *n)
{
	dot_pads(out, n->attr.pad.pad);
}
KIND(zeropad2d, NULL);

/* ---- eltwise: "steps=[relu, affine(0.5, 1), clip(0, 6)]" ---- */

static void print_eltwise(FILE *out, const struct ir_node *n)
{
	const struct ir_eltwise_attr *a = &n->attr.eltwise;
	fputs(" steps=[", out);
	for (unsigned i = 0; i < a->nsteps; i++) {
		fputs(i ? ", " : "", out);
		print_step(out, &a->steps[i]);
	}
	fputs("]", out);
}

static void dot_eltwise(FILE *out, const struct ir_node *n)
{
	const struct ir_eltwise_attr *a = &n->attr.eltwise;
	ir_dot_fmt(out, " (%u steps)", a->nsteps);
	for (unsigned i = 0; i < a->nsteps && i < IR_MAX_STEPS; i++) {
		ir_dot_fmt(out, "\n%u. ", i + 1);
		dot_step(out, &a->steps[i]);
	}
}
/* The chain's steps were separate layers. */
static bool fused_eltwise(const struct ir_node *n)
{
	(void)n;
	return true;
}
KIND_FULL(eltwise, NULL, NULL, fused_eltwise);

/* ---- embedding, onehot, lstm/gru, timestep ---- */

static void print_embedding(FILE *out, const struct ir_node *n)
{
	fprintf(out, " vocab=%" PRId64, n->attr.index.size);
}

static void dot_embedding(FILE *out, const struct ir_node *n)
{
	ir_dot_fmt(out, " vocab %" PRId64, n->attr.index.size);
}
KIND(embedding, NULL);

static void print_onehot(FILE *out, const struct ir_node *n)
{
	fprintf(out, " classes=%" PRId64, n->attr.index.size);
}

static void dot_onehot(FILE *out, const struct ir_node *n)
{
	ir_dot_fmt(out, " %" PRId64 " classes", n->attr.index.size);
}
KIND(onehot, NULL);

static void print_rnn(FILE *out, const struct ir_node *n)
{
	const struct ir_rnn_attr *a = &n->attr.rnn;
	fprintf(out, " units=%" PRId64 " return_sequences=%s reverse=%s", a->units,
	        bool_str(a->return_sequences), bool_str(a->reverse));
	if (a->packed_vec)
		fprintf(out, " packed_vec=%d", a->packed_vec);
}

static void dot_rnn(FILE *out, const struct ir_node *n)
{
	const struct ir_rnn_attr *a = &n->attr.rnn;
	ir_dot_fmt(out, " %" PRId64 " units%s%s", a->units, a->return_sequences ? " sequences" : "",
	           a->reverse ? " reverse" : "");
}
KIND(rnn, NULL);

static void print_timestep(FILE *out, const struct ir_node *n)
{
	fprintf(out, " index=%" PRId64, n->attr.select.index);
}

static void dot_timestep(FILE *out, const struct ir_node *n)
{
	ir_dot_fmt(out, " index %" PRId64, n->attr.select.index);
}

static const char *check_timestep(const struct ir_graph *g, const struct ir_node *n)
{
	const struct ir_type *x = in0(g, n);
	int64_t i = n->attr.select.index;
	return x->rank < 2 || i < 0 || i >= x->dims[1] ? "timestep index not resolved" : NULL;
}
KIND(timestep, check_timestep);

/* ---- tensor ops: binary, reduce_mean, slice, pad, broadcast, gather ---- */

static void print_binary(FILE *out, const struct ir_node *n)
{
	fprintf(out, " op=%s", ir_binop_name(n->attr.binary.op));
}

static void dot_binary(FILE *out, const struct ir_node *n)
{
	ir_dot_fmt(out, " %s", ir_binop_name(n->attr.binary.op));
}

static const char *check_binary(const struct ir_graph *g, const struct ir_node *n)
{
	(void)g;
	enum ir_binop op = n->attr.binary.op;
	return op > IR_BINOP_NONE && op <= IR_BINOP_LAST ? NULL : "no binary operation";
}
KIND(binary, check_binary);

static void print_reduce(FILE *out, const struct ir_node *n)
{
	const struct ir_reduce_attr *a = &n->attr.reduce;
	fputs(" axes=[", out);
	for (unsigned i = 0; i < a->naxes && i < IR_MAX_RANK; i++)
		fprintf(out, "%s%d", i ? ", " : "", a->axes[i]);
	fprintf(out, "] keepdims=%s", bool_str(a->keepdims));
}

static void dot_reduce(FILE *out, const struct ir_node *n)
{
	const struct ir_reduce_attr *a = &n->attr.reduce;
	ir_dot_text(out, " axes");
	for (unsigned i = 0; i < a->naxes && i < IR_MAX_RANK; i++)
		ir_dot_fmt(out, "%s%d", i ? "," : " ", a->axes[i]);
	if (a->keepdims)
		ir_dot_text(out, " keepdims");
}

static const char *check_reduce(const struct ir_graph *g, const struct ir_node *n)
{
	const struct ir_reduce_attr *a = &n->attr.reduce;
	for (unsigned i = 0; i < a->naxes; i++)
		if (a->axes[i] < 0 || a->axes[i] >= in0(g, n)->rank ||
		    (i > 0 && a->axes[i] <= a->axes[i - 1]))
			return "axes not resolved and ascending";
	return NULL;
}
KIND(reduce, check_reduce);

static void print_slice(FILE *out, const struct ir_node *n)
{
	const struct ir_slice_attr *a = &n->attr.slice;
	fprintf(out, " axis=%d start=%" PRId64 " end=%" PRId64 " step=%" PRId64, a->axis, a->start,
	        a->end, a->step);
}

static void dot_slice(FILE *out, const struct ir_node *n)
{
	const struct ir_slice_attr *a = &n->attr.slice;
	ir_dot_fmt(out, " axis %d from %" PRId64 " step %" PRId64, a->axis, a->start, a->step);
}

static const char *check_slice(const struct ir_graph *g, const struct ir_node *n)
{
	const struct ir_slice_attr *a = &n->attr.slice;
	const struct ir_type *x = in0(g, n);
	bool ok = a->axis >= 0 && a->axis < x->rank && a->step != 0 && a->start >= 0 &&
	          a->start < x->dims[a->axis];
	return ok ? NULL : "axis or start not resolved";
}
KIND(slice, check_slice);

static void print_pad(FILE *out, const struct ir_node *n)
{
	const struct ir_pad_nd_attr *a = &n->attr.pad_nd;
	print_ints(out, "pads", a->pads, a->npads <= 2 * IR_MAX_RANK ? a->npads : 0);
	fprintf(out, " value=%.9g", (double)a->value);
}

static void dot_pad(FILE *out, const struct ir_node *n)
{
	ir_dot_fmt(out, " value %g", (double)n->attr.pad_nd.value);
}
KIND(pad, NULL);

static void print_broadcast(FILE *out, const struct ir_node *n)
{
	const struct ir_broadcast_attr *a = &n->attr.broadcast;
	print_ints(out, "dims", a->dims, a->rank <= IR_MAX_RANK ? a->rank : 0);
}
#define dot_broadcast dot_none
KIND(broadcast, NULL);

static void print_gather(FILE *out, const struct ir_node *n)
{
	const struct ir_gather_attr *a = &n->attr.gather;
	fprintf(out, " axis=%d", a->axis);
	print_ints(out, "indices", a->idx, a->idx ? a->nidx : 0);
}

static void dot_gather(FILE *out, const struct ir_node *n)
{
	ir_dot_fmt(out, " axis %d, %" PRId64 " indices", n->attr.gather.axis, n->attr.gather.nidx);
}

static const char *check_gather(const struct ir_graph *g, const struct ir_node *n)
{
	const struct ir_gather_attr *a = &n->attr.gather;
	const struct ir_type *x = in0(g, n);
	if (a->axis < 0 || a->axis >= x->rank || !a->idx)
		return "axis not resolved";
	for (int64_t j = 0; j < a->nidx; j++)
		if (a->idx[j] < 0 || a->idx[j] >= x->dims[a->axis])
			return "index not resolved";
	return NULL;
}
KIND(gather, check_gather);

/* ---- attention ---- */

static void print_attention(FILE *out, const struct ir_node *n)
{
	const struct ir_attention_attr *a = &n->attr.attention;
	fprintf(out, " heads=%d scale=%.9g", a->heads, (double)a->scale);
	if (a->causal)
		fputs(" causal=true", out);
}

static void dot_attention(FILE *out, const struct ir_node *n)
{
	const struct ir_attention_attr *a = &n->attr.attention;
	ir_dot_fmt(out, " %d heads", a->heads);
	if (a->causal)
		ir_dot_text(out, " causal");
}

static const char *check_attention(const struct ir_graph *g, const struct ir_node *n)
{
	(void)g;
	const struct ir_attention_attr *a = &n->attr.attention;
	if (a->heads < 1)
		return "no heads";
	return a->scale > 0 ? NULL : "scale not resolved";
}
KIND(attention, check_attention);

/* ---- typed ops: compare, cast, argmax/argmin ---- */

static void print_compare(FILE *out, const struct ir_node *n)
{
	fprintf(out, " op=%s", ir_cmp_name(n->attr.compare.op));
}

static void dot_compare(FILE *out, const struct ir_node *n)
{
	ir_dot_fmt(out, " %s", ir_cmp_name(n->attr.compare.op));
}

static const char *check_compare(const struct ir_graph *g, const struct ir_node *n)
{
	(void)g;
	enum ir_cmp op = n->attr.compare.op;
	return op > IR_CMP_NONE && op <= IR_CMP_LAST ? NULL : "no comparison";
}
KIND(compare, check_compare);

static void print_cast(FILE *out, const struct ir_node *n)
{
	fprintf(out, " to=%s", ir_dtype_name(n->attr.cast.to));
}

static void dot_cast(FILE *out, const struct ir_node *n)
{
	ir_dot_fmt(out, " to %s", ir_dtype_name(n->attr.cast.to));
}

static const char *check_cast(const struct ir_graph *g, const struct ir_node *n)
{
	(void)g;
	return ir_dtype_size(n->attr.cast.to) ? NULL : "no target dtype";
}
KIND(cast, check_cast);

static void print_arg(FILE *out, const struct ir_node *n)
{
	const struct ir_arg_attr *a = &n->attr.arg;
	fprintf(out, " axis=%d keepdims=%s last=%s", a->axis, bool_str(a->keepdims),
	        bool_str(a->last));
}

static void dot_arg(FILE *out, const struct ir_node *n)
{
	const struct ir_arg_attr *a = &n->attr.arg;
	ir_dot_fmt(out, " axis %d%s", a->axis, a->last ? " last" : "");
}

static const char *check_arg(const struct ir_graph *g, const struct ir_node *n)
{
	const struct ir_arg_attr *a = &n->attr.arg;
	return a->axis < 0 || a->axis >= in0(g, n)->rank ? "axis not resolved" : NULL;
}
KIND(arg, check_arg);

static void print_gather_elements(FILE *out, const struct ir_node *n)
{
	fprintf(out, " axis=%d", n->attr.gather_elements.axis);
}

static void dot_gather_elements(FILE *out, const struct ir_node *n)
{
	ir_dot_fmt(out, " axis %d", n->attr.gather_elements.axis);
}

static const char *check_gather_elements(const struct ir_graph *g, const struct ir_node *n)
{
	int a = n->attr.gather_elements.axis;
	return a < 0 || a >= in0(g, n)->rank ? "axis not resolved" : NULL;
}
KIND(gather_elements, check_gather_elements);

static void print_cumsum(FILE *out, const struct ir_node *n)
{
	const struct ir_cumsum_attr *a = &n->attr.cumsum;
	fprintf(out, " axis=%d exclusive=%s reverse=%s", a->axis, bool_str(a->exclusive),
	        bool_str(a->reverse));
}

static void dot_cumsum(FILE *out, const struct ir_node *n)
{
	const struct ir_cumsum_attr *a = &n->attr.cumsum;
	ir_dot_fmt(out, " axis %d%s%s", a->axis, a->exclusive ? " exclusive" : "",
	           a->reverse ? " reverse" : "");
}

static const char *check_cumsum(const struct ir_graph *g, const struct ir_node *n)
{
	int a = n->attr.cumsum.axis;
	return a < 0 || a >= in0(g, n)->rank ? "axis not resolved" : NULL;
}
KIND(cumsum, check_cumsum);

static void print_topk(FILE *out, const struct ir_node *n)
{
	const struct ir_topk_attr *a = &n->attr.topk;
	fprintf(out, " axis=%d k=%" PRId64 " largest=%s", a->axis, a->k, bool_str(a->largest));
}

static void dot_topk(FILE *out, const struct ir_node *n)
{
	const struct ir_topk_attr *a = &n->attr.topk;
	ir_dot_fmt(out, " %s %" PRId64 " axis %d", a->largest ? "largest" : "smallest", a->k, a->axis);
}

static const char *check_topk(const struct ir_graph *g, const struct ir_node *n)
{
	const struct ir_topk_attr *a = &n->attr.topk;
	const struct ir_type *x = in0(g, n);
	if (a->axis < 0 || a->axis >= x->rank)
		return "axis not resolved";
	return a->k < 1 || a->k > x->dims[a->axis] ? "k outside [1, axis]" : NULL;
}
KIND(topk, check_topk);

static void print_resize(FILE *out, const struct ir_node *n)
{
	const struct ir_resize_attr *a = &n->attr.resize;
	fprintf(out, " mode=%s coord=%s", ir_resize_modes[a->mode], ir_resize_coords[a->coord]);
	if (a->mode == IR_RESIZE_NEAREST)
		fprintf(out, " nearest=%s", ir_resize_rounds[a->nearest]);
	if (a->mode == IR_RESIZE_CUBIC)
		fprintf(out, " cubic_a=%g exclude_outside=%s", (double)a->cubic_a,
		        bool_str(a->exclude_outside));
	fputs(" scales=[", out);
	for (unsigned k = 0; k < a->rank && k < IR_MAX_RANK; k++)
		fprintf(out, "%s%g", k ? ", " : "", (double)a->scale[k]);
	fputs("]", out);
}

static void dot_resize(FILE *out, const struct ir_node *n)
{
	ir_dot_fmt(out, " %s", ir_resize_modes[n->attr.resize.mode]);
}

static const char *check_resize(const struct ir_graph *g, const struct ir_node *n)
{
	const struct ir_resize_attr *a = &n->attr.resize;
	if (a->mode > IR_RESIZE_CUBIC || a->coord > IR_COORD_TF_HALF_PIXEL_FOR_NN ||
	    a->nearest > IR_ROUND_CEIL)
		return "invalid mode";
	return a->rank == in0(g, n)->rank ? NULL : "rank differs from the input's";
}
KIND(resize, check_resize);
