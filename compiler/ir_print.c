/* ir_print.c - the stable text form of the IR (documented in docs/ir.md).
 *
 *   graph cifar_cnn {
 *     weights file "cnn.safetensors" pytorch
 *     input %image: f32[1, 32, 32, 3] nhwc
 *     const @conv1.weight: f32[64, 3, 3, 3]
 *     %conv1: f32[1, 32, 32, 64] = conv2d(%image; @conv1.weight, @conv1.bias) filters=64 ...
 *     output %probs
 *   }
 *
 * Activations are %name, weights @name; after `;` come the weight params.
 * Everything is printed in schedule order, so two runs print the same. */
#include <inttypes.h>
#include <stdio.h>

#include "ir.h"

static void print_type(FILE *out, const struct ir_type *t)
{
	char buf[200];
	if (t->dtype == IR_DT_NONE)
		fputs("?", out);
	else
		fputs(ir_type_str(t, buf, sizeof buf), out);
}

static void print_ref(FILE *out, struct ir_graph *g, uint32_t v)
{
	if (v == IR_NONE) {
		fputs("_", out);
		return;
	}
	fprintf(out, "%c%s", g->vals[v].kind == IR_VAL_CONST ? '@' : '%', g->vals[v].name);
}

static void print_pair(FILE *out, const char *key, const int64_t *v)
{
	fprintf(out, " %s=[%" PRId64 ", %" PRId64 "]", key, v[0], v[1]);
}

static void print_pad(FILE *out, enum ir_pad_mode mode, const int64_t *pad)
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

static void print_act(FILE *out, enum ir_act act, float lo, float hi)
{
	if (act == IR_ACT_CLIP)
		fprintf(out, " act=clip(%.9g, %.9g)", (double)lo, (double)hi);
	else if (act)
		fprintf(out, " act=%s", ir_act_name(act));
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

/* eltwise chains print as "steps=[relu, affine(0.5, 1), clip(0, 6)]" */
static void print_steps(FILE *out, const struct ir_eltwise_attr *a)
{
	static const char *const names[IR_STEP_COUNT] = {
		[IR_STEP_RELU] = "relu", [IR_STEP_SIGMOID] = "sigmoid", [IR_STEP_TANH] = "tanh",
		[IR_STEP_CLIP] = "clip", [IR_STEP_AFFINE] = "affine",
		[IR_STEP_LEAKY_RELU] = "leaky_relu", [IR_STEP_HARD_SIGMOID] = "hard_sigmoid",
		[IR_STEP_HARD_SWISH] = "hard_swish", [IR_STEP_EXP] = "exp", [IR_STEP_LOG] = "log",
		[IR_STEP_SQRT] = "sqrt", [IR_STEP_NEG] = "neg", [IR_STEP_ABS] = "abs",
	};
	fputs(" steps=[", out);
	for (unsigned i = 0; i < a->nsteps; i++) {
		const struct ir_eltwise_step *s = &a->steps[i];
		fprintf(out, "%s%s", i ? ", " : "", s->kind < IR_STEP_COUNT && names[s->kind] ?
		        names[s->kind] : "?");
		if (s->kind == IR_STEP_CLIP || s->kind == IR_STEP_AFFINE ||
		    s->kind == IR_STEP_HARD_SIGMOID)
			fprintf(out, "(%.9g, %.9g)", (double)s->a, (double)s->b);
		else if (s->kind == IR_STEP_LEAKY_RELU)
			fprintf(out, "(%.9g)", (double)s->a);
	}
	fputs("]", out);
}

static void print_ints(FILE *out, const char *key, const int64_t *v, int64_t n)
{
	fprintf(out, " %s=[", key);
	for (int64_t i = 0; i < n; i++)
		fprintf(out, "%s%" PRId64, i ? ", " : "", v[i]);
	fputs("]", out);
}

/* binary, matmul, reduce_mean, slice, pad, broadcast, gather */
static void print_tensor_attrs(FILE *out, const struct ir_node *n)
{
	const union ir_attrs *a = &n->attr;
	switch (n->op) {
	case IR_BINARY:
		fprintf(out, " op=%s", ir_binop_name(a->binary.op));
		break;
	case IR_REDUCE_MEAN:
		fputs(" axes=[", out);
		for (unsigned i = 0; i < a->reduce.naxes && i < IR_MAX_RANK; i++)
			fprintf(out, "%s%d", i ? ", " : "", a->reduce.axes[i]);
		fprintf(out, "] keepdims=%s", a->reduce.keepdims ? "true" : "false");
		break;
	case IR_SLICE:
		fprintf(out, " axis=%d start=%" PRId64 " end=%" PRId64 " step=%" PRId64, a->slice.axis,
		        a->slice.start, a->slice.end, a->slice.step);
		break;
	case IR_PAD:
		print_ints(out, "pads", a->pad_nd.pads,
		           a->pad_nd.npads <= 2 * IR_MAX_RANK ? a->pad_nd.npads : 0);
		fprintf(out, " value=%.9g", (double)a->pad_nd.value);
		break;
	case IR_BROADCAST:
		print_ints(out, "dims", a->broadcast.dims,
		           a->broadcast.rank <= IR_MAX_RANK ? a->broadcast.rank : 0);
		break;
	case IR_GATHER:
		fprintf(out, " axis=%d", a->gather.axis);
		print_ints(out, "indices", a->gather.idx, a->gather.idx ? a->gather.nidx : 0);
		break;
	default:
		break;
	}
}

static void print_attrs(FILE *out, const struct ir_node *n)
{
	const union ir_attrs *a = &n->attr;
	switch (n->op) {
	case IR_CONV2D:
		fprintf(out, " filters=%" PRId64, a->conv.filters);
		print_pair(out, "kernel", a->conv.kernel);
		print_pair(out, "stride", a->conv.stride);
		print_pair(out, "dilation", a->conv.dilation);
		print_pad(out, a->conv.pad_mode, a->conv.pad);
		fprintf(out, " groups=%" PRId64 " layout=%s", a->conv.groups,
		        ir_layout_name(a->conv.layout));
		print_act(out, a->conv.act, a->conv.act_min, a->conv.act_max);
		print_tile(out, &a->conv.tile);
		break;
	case IR_DENSE:
		fprintf(out, " units=%" PRId64, a->dense.units);
		print_act(out, a->dense.act, a->dense.act_min, a->dense.act_max);
		print_tile(out, &a->dense.tile);
		break;
	case IR_MAXPOOL2D:
	case IR_AVGPOOL2D:
		print_pair(out, "kernel", a->pool.kernel);
		print_pair(out, "stride", a->pool.stride);
		print_pad(out, a->pool.pad_mode, a->pool.pad);
		if (n->op == IR_AVGPOOL2D)
			fprintf(out, " count_include_pad=%s", a->pool.count_include_pad ? "true" : "false");
		fprintf(out, " layout=%s", ir_layout_name(a->pool.layout));
		break;
	case IR_GLOBAL_AVGPOOL:
		fprintf(out, " layout=%s", ir_layout_name(a->axis.layout));
		break;
	case IR_SOFTMAX:
	case IR_CONCAT:
		print_axis(out, a->axis.axis);
		if (n->op == IR_SOFTMAX && a->axis.log)
			fputs(" log=true", out);
		break;
	case IR_BATCHNORM:
		print_axis(out, a->bn.axis);
		fprintf(out, " epsilon=%.9g", (double)a->bn.epsilon);
		break;
	case IR_RESCALE:
		fprintf(out, " scale=%.9g offset=%.9g", (double)a->rescale.scale,
		        (double)a->rescale.offset);
		break;
	case IR_NORMALIZE:
		print_axis(out, a->norm.axis);
		print_floats(out, "mean", a->norm.mean, a->norm.nchannels);
		print_floats(out, "std", a->norm.std, a->norm.nchannels);
		break;
	case IR_RESHAPE:
		fputs(" dims=[", out);
		for (unsigned i = 0; i < a->reshape.rank; i++)
			fprintf(out, "%s%" PRId64, i ? ", " : "", a->reshape.dims[i]);
		fputs("]", out);
		break;
	case IR_DROPOUT:
		fprintf(out, " rate=%.9g", (double)a->dropout.rate);
		break;
	case IR_CLIP:
		fprintf(out, " min=%.9g max=%.9g", (double)a->clip.min, (double)a->clip.max);
		break;
	case IR_ZEROPAD2D:
		fprintf(out, " pad=[%" PRId64 ", %" PRId64 ", %" PRId64 ", %" PRId64 "] layout=%s",
		        a->pad.pad[0], a->pad.pad[1], a->pad.pad[2], a->pad.pad[3],
		        ir_layout_name(a->pad.layout));
		break;
	case IR_SCALE_BIAS:
		print_axis(out, a->scale_bias.axis);
		break;
	case IR_ELTWISE:
		print_steps(out, &a->eltwise);
		break;
	case IR_TRANSPOSE:
		fputs(" perm=[", out);
		for (unsigned i = 0; i < a->transpose.rank; i++)
			fprintf(out, "%s%u", i ? ", " : "", a->transpose.perm[i]);
		fputs("]", out);
		break;
	case IR_EMBEDDING:
		fprintf(out, " vocab=%" PRId64, a->index.size);
		break;
	case IR_ONEHOT:
		fprintf(out, " classes=%" PRId64, a->index.size);
		break;
	case IR_LSTM:
	case IR_GRU:
		fprintf(out, " units=%" PRId64 " return_sequences=%s reverse=%s", a->rnn.units,
		        a->rnn.return_sequences ? "true" : "false", a->rnn.reverse ? "true" : "false");
		if (a->rnn.packed_vec)
			fprintf(out, " packed_vec=%d", a->rnn.packed_vec);
		break;
	case IR_TIMESTEP:
		fprintf(out, " index=%" PRId64, a->select.index);
		break;
	default:
		print_tensor_attrs(out, n);
		break;
	}
}

void ir_print(struct ir_graph *g, FILE *out)
{
	fprintf(out, "graph %s {\n", g->name ? g->name : "?");
	static const char *const conv_names[] = { "", "pytorch", "keras" };
	if (g->weights.kind == IR_WEIGHTS_FILE)
		fprintf(out, "  weights file \"%s\" %s\n", g->weights.path,
		        conv_names[g->weights.convention]);
	else if (g->weights.kind == IR_WEIGHTS_RANDOM)
		fprintf(out, "  weights random seed=%" PRIu64 "\n", g->weights.seed);
	for (uint32_t i = 0; i < g->ninputs; i++) {
		const struct ir_value *v = &g->vals[g->inputs[i]];
		fprintf(out, "  input %%%s: ", v->name);
		print_type(out, &v->type);
		if (v->layout)
			fprintf(out, " %s", ir_layout_name(v->layout));
		fputc('\n', out);
	}
	for (uint32_t i = 0; i < g->nvals; i++) {
		const struct ir_value *v = &g->vals[i];
		if (v->kind != IR_VAL_CONST)
			continue;
		fprintf(out, "  const @%s: ", v->name);
		print_type(out, &v->type);
		if (!v->data)
			fputs(" unbound", out);
		fputc('\n', out);
	}
	for (uint32_t i = 0; i < g->nnodes; i++) {
		const struct ir_node *n = &g->nodes[i];
		fprintf(out, "  %%%s: ", g->vals[n->out].name);
		print_type(out, &g->vals[n->out].type);
		fprintf(out, " = %s(", ir_op_table[n->op].name);
		for (unsigned k = 0; k < n->nin; k++) {
			if (k)
				fputs(", ", out);
			print_ref(out, g, n->in[k]);
		}
		unsigned np = ir_op_table[n->op].nparams;
		for (unsigned k = 0; k < np; k++) {
			fputs(k ? ", " : "; ", out);
			print_ref(out, g, n->param[k]);
		}
		fputc(')', out);
		print_attrs(out, n);
		fputc('\n', out);
	}
	for (uint32_t i = 0; i < g->noutputs; i++) {
		fputs("  output ", out);
		print_ref(out, g, g->outputs[i]);
		fputc('\n', out);
	}
	fputs("}\n", out);
}
