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
 * Each op's attributes print through its kind in ir_attrs.c. Everything
 * is printed in schedule order, so two runs print the same. */
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
		ir_op_table[n->op].attrs->print(out, n);
		if (n->kernel)
			fprintf(out, " kernel=%s", ir_kernel_name(n->kernel));
		fputc('\n', out);
	}
	for (uint32_t i = 0; i < g->noutputs; i++) {
		fputs("  output ", out);
		print_ref(out, g, g->outputs[i]);
		fputc('\n', out);
	}
	fputs("}\n", out);
}
