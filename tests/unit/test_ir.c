/* test_ir.c - the IR builder, compaction, verifier, printer and the
 * structural passes (dead-layer removal, dropout removal). */
#include "harness.h"

#include "pass.h"

static struct src_span nowhere(void)
{
	return (struct src_span){ 0, 0, 0 };
}

/* x -> relu a -> dropout b -> sigmoid c (output); x -> tanh dead */
static struct ir_graph *chain(struct arena *a)
{
	struct ir_graph *g = ir_graph_new(a, "chain");
	uint32_t x = ir_add_input(g, "x", TYPE_F32(1, 4), IR_LAYOUT_NONE, nowhere());
	uint32_t n0 = ir_add_node(g, IR_RELU, "a", &x, 1, NULL, nowhere());
	uint32_t v0 = g->nodes[n0].out;
	union ir_attrs d;
	memset(&d, 0, sizeof d);
	d.dropout.rate = 0.5f;
	uint32_t n1 = ir_add_node(g, IR_DROPOUT, "b", &v0, 1, &d, nowhere());
	uint32_t v1 = g->nodes[n1].out;
	ir_add_node(g, IR_TANH, "dead", &x, 1, NULL, nowhere());
	uint32_t n3 = ir_add_node(g, IR_SIGMOID, "c", &v1, 1, NULL, nowhere());
	ir_add_output(g, g->nodes[n3].out);
	for (uint32_t i = 0; i < g->nnodes; i++)
		g->vals[g->nodes[i].out].type = TYPE_F32(1, 4);
	return g;
}

static bool run_pass(const struct pass *p, struct ir_graph *g, struct diag *d)
{
	struct pass_options o = { 0 };
	struct arena scratch = { 0 };
	struct pass_ctx ctx = { g, d, &scratch, &o };
	bool ok = p->run(&ctx);
	arena_free(&scratch);
	return ok;
}

static void builder_links_values_and_nodes(void **state)
{
	(void)state;
	struct arena a = { 0 };
	struct ir_graph *g = chain(&a);
	assert_int_equal(g->nnodes, 4);
	assert_int_equal(g->nvals, 5);
	for (uint32_t i = 0; i < g->nnodes; i++) {
		assert_int_equal(g->vals[g->nodes[i].out].kind, IR_VAL_NODE);
		assert_int_equal(g->vals[g->nodes[i].out].node, i);
		assert_int_equal(g->nodes[i].param[0], IR_NONE);
	}
	uint32_t *uses = ir_count_uses(g, &a);
	assert_int_equal(uses[g->inputs[0]], 2); /* relu and tanh */
	assert_int_equal(uses[g->outputs[0]], 1); /* the graph output */
	assert_int_equal(ir_verify(g, IR_STAGE_TYPED, stderr), 0);
	arena_free(&a);
}

static void many_nodes_grow_arrays(void **state)
{
	(void)state;
	struct arena a = { 0 };
	struct ir_graph *g = ir_graph_new(&a, "long");
	uint32_t v = ir_add_input(g, "x", TYPE_F32(1, 2), IR_LAYOUT_NONE, nowhere());
	for (int i = 0; i < 10000; i++) {
		uint32_t n = ir_add_node(g, IR_RELU, arena_printf(&a, "r%d", i), &v, 1, NULL, nowhere());
		v = g->nodes[n].out;
		g->vals[v].type = TYPE_F32(1, 2);
	}
	ir_add_output(g, v);
	assert_int_equal(g->nnodes, 10000);
	assert_int_equal(ir_verify(g, IR_STAGE_TYPED, stderr), 0);
	arena_free(&a);
}

static void verifier_catches_broken_graphs(void **state)
{
	(void)state;
	struct arena a = { 0 };
	struct ir_graph *g = chain(&a);
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	/* use before definition: sigmoid reads the tanh defined after it? make
	 * relu read sigmoid's output */
	g->nodes[0].in[0] = g->nodes[3].out;
	g->nodes[2].name = "a"; /* duplicate name */
	g->vals[g->nodes[1].out].type.dtype = IR_DT_NONE;
	int errors = ir_verify(g, IR_STAGE_TYPED, f);
	fclose(f);
	assert_true(errors >= 3);
	assert_contains(text, "node 'a' uses 'c' before its definition");
	assert_contains(text, "node name 'a' is used twice");
	assert_contains(text, "node 'b' output is not fully typed");
	free(text);
	arena_free(&a);
}

static void verifier_requires_bound_params(void **state)
{
	(void)state;
	struct arena a = { 0 };
	struct ir_graph *g = ir_graph_new(&a, "d");
	uint32_t x = ir_add_input(g, "x", TYPE_F32(1, 3), IR_LAYOUT_NONE, nowhere());
	union ir_attrs at;
	memset(&at, 0, sizeof at);
	at.dense.units = 2;
	uint32_t n = ir_add_node(g, IR_DENSE, "fc", &x, 1, &at, nowhere());
	g->nodes[n].param[0] = ir_add_const(g, "fc.weight", TYPE_F32(2, 3), NULL, nowhere());
	g->vals[g->nodes[n].out].type = TYPE_F32(1, 2);
	ir_add_output(g, g->nodes[n].out);
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	assert_int_equal(ir_verify(g, IR_STAGE_TYPED, f), 0);
	assert_int_equal(ir_verify(g, IR_STAGE_BOUND, f), 1);
	fclose(f);
	assert_contains(text, "node 'fc' param 'fc.weight' has no data");
	free(text);
	arena_free(&a);
}

static void dce_and_dropout_removal(void **state)
{
	(void)state;
	struct arena a = { 0 };
	struct capture c;
	capture_begin(&c);
	struct ir_graph *g = chain(&a);
	assert_true(run_pass(&pass_remove_dropout, g, &c.d));
	assert_int_equal(g->nnodes, 3);
	assert_true(run_pass(&pass_dce, g, &c.d));
	assert_int_equal(g->nnodes, 2);
	assert_string_equal(g->nodes[0].name, "a");
	assert_string_equal(g->nodes[1].name, "c");
	/* sigmoid now reads relu directly */
	assert_int_equal(g->nodes[1].in[0], g->nodes[0].out);
	assert_int_equal(ir_verify(g, IR_STAGE_TYPED, stderr), 0);
	assert_contains(capture_text(&c), "warning: layer 'dead' does not contribute to any output");
	capture_end(&c);
	arena_free(&a);
}

static void dropout_feeding_output_from_input_is_kept(void **state)
{
	(void)state;
	struct arena a = { 0 };
	struct capture c;
	capture_begin(&c);
	struct ir_graph *g = ir_graph_new(&a, "id");
	uint32_t x = ir_add_input(g, "x", TYPE_F32(1, 4), IR_LAYOUT_NONE, nowhere());
	uint32_t n = ir_add_node(g, IR_DROPOUT, "d", &x, 1, NULL, nowhere());
	g->vals[g->nodes[n].out].type = TYPE_F32(1, 4);
	ir_add_output(g, g->nodes[n].out);
	assert_true(run_pass(&pass_remove_dropout, g, &c.d));
	assert_int_equal(g->nnodes, 1);
	capture_end(&c);
	arena_free(&a);
}

static void printer_is_stable(void **state)
{
	(void)state;
	struct arena a = { 0 };
	struct ir_graph *g = ir_graph_new(&a, "p");
	uint32_t x = ir_add_input(g, "img", TYPE_F32(1, 8, 8, 3), IR_LAYOUT_NHWC, nowhere());
	union ir_attrs at;
	memset(&at, 0, sizeof at);
	at.conv = (struct ir_conv_attr){ .filters = 4, .kernel = { 3, 3 }, .stride = { 1, 1 },
	                                 .dilation = { 1, 1 }, .pad = { 1, 1, 1, 1 },
	                                 .pad_mode = IR_PAD_SAME, .groups = 1, .bias = false,
	                                 .layout = IR_LAYOUT_NHWC, .act = { IR_STEP_RELU, 0, 0 } };
	uint32_t n = ir_add_node(g, IR_CONV2D, "conv1", &x, 1, &at, nowhere());
	g->nodes[n].param[0] = ir_add_const(g, "conv1.weight", TYPE_F32(4, 3, 3, 3), NULL, nowhere());
	g->vals[g->nodes[n].out].type = TYPE_F32(1, 8, 8, 4);
	ir_add_output(g, g->nodes[n].out);
	g->weights.kind = IR_WEIGHTS_RANDOM;
	g->weights.seed = 7;
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	ir_print(g, f);
	fclose(f);
	assert_string_equal(text,
		"graph p {\n"
		"  weights random seed=7\n"
		"  input %img: f32[1, 8, 8, 3] nhwc\n"
		"  const @conv1.weight: f32[4, 3, 3, 3] unbound\n"
		"  %conv1: f32[1, 8, 8, 4] = conv2d(%img; @conv1.weight, _) filters=4 kernel=[3, 3] "
		"stride=[1, 1] dilation=[1, 1] padding=same pad=[1, 1, 1, 1] groups=1 layout=nhwc act=relu\n"
		"  output %conv1\n"
		"}\n");
	free(text);
	arena_free(&a);
}

static void diagnostics_have_caret_and_count(void **state)
{
	(void)state;
	struct capture c;
	capture_begin(&c);
	const char *src = "model m\nconv2d(64, kernel=0)\n";
	uint32_t file = diag_add_source(&c.d, "m.dl", src, (uint32_t)strlen(src));
	diag_error(&c.d, (struct src_span){ file, 19, 27 }, "kernel must be at least 1, got %d", 0);
	diag_note(&c.d, (struct src_span){ file, 0, 5 }, "in model '%s'", "m");
	assert_string_equal(capture_text(&c),
		"m.dl:2:12: error: kernel must be at least 1, got 0\n"
		"    2 | conv2d(64, kernel=0)\n"
		"      |            ^~~~~~~~\n"
		"m.dl:1:1: note: in model 'm'\n"
		"    1 | model m\n"
		"      | ^~~~~\n");
	assert_int_equal(c.d.errors, 1);
	capture_end(&c);
}

static void type_strings_and_sizes(void **state)
{
	(void)state;
	struct ir_type t = TYPE_F32(2, 3, 4);
	char buf[64];
	assert_string_equal(ir_type_str(&t, buf, sizeof buf), "f32[2, 3, 4]");
	assert_int_equal(ir_type_numel(&t), 24);
	assert_int_equal(ir_type_bytes(&t), 96);
	struct ir_type u = t;
	assert_true(ir_type_eq(&t, &u));
	u.dims[2] = 5;
	assert_false(ir_type_eq(&t, &u));
	assert_string_equal(ir_op_table[IR_GLOBAL_AVGPOOL].name, "global_avgpool");
	assert_string_equal(ir_param_info(IR_BATCHNORM, 3)->keras, "moving_variance");
	assert_null(ir_param_info(IR_RELU, 0));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(builder_links_values_and_nodes),
		cmocka_unit_test(many_nodes_grow_arrays),
		cmocka_unit_test(verifier_catches_broken_graphs),
		cmocka_unit_test(verifier_requires_bound_params),
		cmocka_unit_test(dce_and_dropout_removal),
		cmocka_unit_test(dropout_feeding_output_from_input_is_kept),
		cmocka_unit_test(printer_is_stable),
		cmocka_unit_test(diagnostics_have_caret_and_count),
		cmocka_unit_test(type_strings_and_sizes),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
