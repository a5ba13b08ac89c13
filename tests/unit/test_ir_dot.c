/* test_ir_dot.c - the Graphviz printer (dlc --emit=dot): labels of fused
 * nodes, weight summaries, edges, escaping of hostile names, determinism,
 * and (when Graphviz is installed) that `dot` accepts the result. */
#include "harness.h"

#include <sys/wait.h>

static struct src_span nowhere(void)
{
	return (struct src_span){ 0, 0, 0 };
}

static struct ir_type nhwc(int64_t c)
{
	struct ir_type t = { IR_DT_F32, 4, { 1, 4, 4, c } };
	return t;
}

/* x -> conv c1 (+relu, +residual x, tiled, packed) -> eltwise chain (with
 * a name made of every character DOT cares about) -> output. */
static struct ir_graph *fused_graph(struct arena *a)
{
	struct ir_graph *g = ir_graph_new(a, "m\"odel");
	uint32_t x = ir_add_input(g, "x", nhwc(8), IR_LAYOUT_NHWC, nowhere());
	struct ir_type wt = { IR_DT_F32, 4, { 8, 8, 3, 3 } }, bt = { IR_DT_F32, 1, { 8 } };
	uint32_t w = ir_add_const(g, "c1.weight", wt, NULL, nowhere());
	uint32_t b = ir_add_const(g, "c1.bias", bt, NULL, nowhere());
	union ir_attrs ca;
	memset(&ca, 0, sizeof ca);
	ca.conv = (struct ir_conv_attr){ .filters = 8, .kernel = { 3, 3 }, .stride = { 1, 1 },
		.dilation = { 1, 1 }, .pad = { 1, 1, 1, 1 }, .pad_mode = IR_PAD_EXPLICIT, .groups = 1,
		.bias = true, .layout = IR_LAYOUT_NHWC, .act = { IR_STEP_RELU, 0, 0 },
		.tile = { .vec = 8, .mr = 4, .nr = 16, .mc = 64, .nc = 128, .kc = 256, .packed = true } };
	uint32_t ins[2] = { x, x };
	uint32_t c1 = ir_add_node(g, IR_CONV2D, "c1", ins, 2, &ca, nowhere());
	g->nodes[c1].param[0] = w;
	g->nodes[c1].param[1] = b;
	g->vals[g->nodes[c1].out].type = nhwc(8);
	union ir_attrs ea;
	memset(&ea, 0, sizeof ea);
	ea.eltwise.nsteps = 3;
	ea.eltwise.steps[0] = (struct ir_eltwise_step){ IR_STEP_RELU, 0, 0 };
	ea.eltwise.steps[1] = (struct ir_eltwise_step){ IR_STEP_AFFINE, 0.5f, 1 };
	ea.eltwise.steps[2] = (struct ir_eltwise_step){ IR_STEP_CLIP, 0, 6 };
	uint32_t cv = g->nodes[c1].out;
	uint32_t e = ir_add_node(g, IR_ELTWISE, "a\"b\\c&d\n\xff", &cv, 1, &ea, nowhere());
	g->vals[g->nodes[e].out].type = nhwc(8);
	ir_add_output(g, g->nodes[e].out);
	return g;
}

static char *print_dot(struct ir_graph *g, size_t *len)
{
	char *text = NULL;
	FILE *f = open_memstream(&text, len);
	assert_non_null(f);
	ir_print_dot(g, f);
	fclose(f);
	return text;
}

static void fused_conv_label(void **state)
{
	(void)state;
	struct arena a = { 0 };
	size_t len;
	char *t = print_dot(fused_graph(&a), &len);
	/* 8*8*3*3 + 8 floats = 2336 bytes = 2.3 KB */
	assert_contains(t, "  n0 [style=\"filled\", fillcolor=\"#ffe4a8\", label=\"c1\\nconv2d 3x3 "
	                   "stride 1 pad 1,1,1,1\\n8 filters nhwc +relu +residual\\ntile vec 8 reg "
	                   "4x16 cache 64x128x256 packed\\nweights 2.3 KB (packed)\\nf32[1, 4, 4, 8]\"];\n");
	assert_contains(t, "  i0 -> n0 [label=\"f32[1, 4, 4, 8]\"];\n");
	assert_contains(t, "  i0 -> n0 [label=\"residual\\nf32[1, 4, 4, 8]\", style=dashed];\n");
	assert_contains(t, "  i0 [shape=invhouse, style=filled, fillcolor=\"#d8f0d8\", "
	                   "label=\"input x\\nf32[1, 4, 4, 8] nhwc\"];\n");
	/* Weights are summarised on the node, never drawn one box per constant. */
	assert_null(strstr(t, "c1.weight"));
	free(t);
	arena_free(&a);
}

static void eltwise_steps_in_order(void **state)
{
	(void)state;
	struct arena a = { 0 };
	size_t len;
	char *t = print_dot(fused_graph(&a), &len);
	assert_contains(t, "\\neltwise (3 steps)\\n1. relu\\n2. affine(0.5, 1)\\n3. clip(0, 6)\\n"
	                   "f32[1, 4, 4, 8]\"];\n");
	assert_contains(t, "  n0 -> n1 [label=\"f32[1, 4, 4, 8]\"];\n");
	assert_contains(t, "  n1 -> o0 [label=\"f32[1, 4, 4, 8]\"];\n");
	free(t);
	arena_free(&a);
}

static void names_are_escaped(void **state)
{
	(void)state;
	struct arena a = { 0 };
	size_t len;
	char *t = print_dot(fused_graph(&a), &len);
	assert_contains(t, "digraph \"m\\\"odel\" {\n");
	/* quote, backslash, '&' (an HTML entity to Graphviz), newline, and a
	 * byte that is not UTF-8 */
	assert_contains(t, "label=\"a\\\"b\\\\c&amp;d\\n&#65533;\\neltwise");
	assert_contains(t, "label=\"output a\\\"b\\\\c&amp;d\\n&#65533;\\nf32");
	assert_null(strchr(t, '\xff'));
	free(t);
	arena_free(&a);
}

static void output_is_deterministic(void **state)
{
	(void)state;
	struct arena a = { 0 };
	size_t l1, l2;
	struct ir_graph *g = fused_graph(&a);
	char *t1 = print_dot(g, &l1), *t2 = print_dot(g, &l2);
	assert_int_equal(l1, l2);
	assert_memory_equal(t1, t2, l1);
	free(t1);
	free(t2);
	arena_free(&a);
}

/* A constant used as an activation (a folded subgraph) is drawn as a box
 * of its own with an edge; constants used as weights are not. */
static void constant_activation_gets_a_box(void **state)
{
	(void)state;
	struct arena a = { 0 };
	struct ir_graph *g = ir_graph_new(&a, "k");
	struct ir_type t = { IR_DT_F32, 2, { 1, 3 } };
	uint32_t x = ir_add_input(g, "x", t, IR_LAYOUT_NONE, nowhere());
	static const float one[3] = { 1, 1, 1 };
	uint32_t c = ir_add_const(g, "folded", t, one, nowhere());
	uint32_t ins[2] = { x, c };
	uint32_t n = ir_add_node(g, IR_ADD, "sum", ins, 2, NULL, nowhere());
	g->vals[g->nodes[n].out].type = t;
	ir_add_output(g, g->nodes[n].out);
	size_t len;
	char *txt = print_dot(g, &len);
	assert_contains(txt, "  c1 [shape=note, style=filled, fillcolor=\"#eeeeee\", "
	                     "label=\"const folded\\nf32[1, 3]\"];\n");
	assert_contains(txt, "  i0 -> n0 [label=\"f32[1, 3]\"];\n  c1 -> n0 [label=\"f32[1, 3]\"];\n");
	free(txt);
	arena_free(&a);
}

/* Graphviz itself parses the hostile graph (skipped without Graphviz). */
static void graphviz_accepts_it(void **state)
{
	(void)state;
	if (system("command -v dot >/dev/null 2>&1") != 0)
		skip();
	struct arena a = { 0 };
	size_t len;
	char *t = print_dot(fused_graph(&a), &len);
	FILE *p = popen("dot -Tsvg -o /dev/null 2>&1", "w");
	assert_non_null(p);
	assert_int_equal(fwrite(t, 1, len, p), len);
	int st = pclose(p);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
	free(t);
	arena_free(&a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(fused_conv_label),
		cmocka_unit_test(eltwise_steps_in_order),
		cmocka_unit_test(names_are_escaped),
		cmocka_unit_test(output_is_deterministic),
		cmocka_unit_test(constant_activation_gets_a_box),
		cmocka_unit_test(graphviz_accepts_it),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
