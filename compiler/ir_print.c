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
		if (a->conv.act)
			fprintf(out, " act=%s", ir_act_name(a->conv.act));
		break;
	case IR_DENSE:
		fprintf(out, " units=%" PRId64, a->dense.units);
		if (a->dense.act)
			fprintf(out, " act=%s", ir_act_name(a->dense.act));
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
	default:
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
