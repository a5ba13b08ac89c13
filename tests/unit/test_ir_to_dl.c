/* test_ir_to_dl.c - the IR -> .dl writer and the safetensors writer.
 *
 * The round trip: every tests/models case is compiled to its -O0 graph
 * (shapes inferred, weights bound), written back as a .dl program plus a
 * safetensors file in a temporary directory, and the written program is
 * compiled again. Both graphs must print the same IR text (ir_print),
 * apart from the `weights` line, and hold the same weight bytes. Keras
 * models are written with PyTorch names, so for them constants are
 * compared by position instead of by name. Hand-built graphs check the
 * naming of ONNX-style names and weights, and the errors for what the
 * language cannot express. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dirent.h>
#include <unistd.h>

#include "harness.h"
#include "frontend.h"
#include "ir_to_dl.h"
#include "pass.h"
#include "safetensors_write.h"

static char *read_all(struct arena *a, const char *path, uint32_t *len)
{
	FILE *f = fopen(path, "rb");
	assert_non_null(f);
	fseek(f, 0, SEEK_END);
	long n = ftell(f);
	fseek(f, 0, SEEK_SET);
	char *text = arena_alloc(a, (size_t)n + 1);
	assert_int_equal(fread(text, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	*len = (uint32_t)n;
	return text;
}

/* The -O0 graph of the .dl file at path (in dir); diagnostics to cap. */
static struct ir_graph *compile_dl(struct arena *a, struct capture *cap, const char *dir,
                                   const char *path)
{
	uint32_t len;
	char *text = read_all(a, path, &len);
	uint32_t file = diag_add_source(&cap->d, path, text, len);
	struct ir_graph *g = fe_lower(a, &cap->d, fe_parse(a, &cap->d, file), dir);
	if (!g)
		return NULL;
	/* as dlc import: without the rewrites for code generation */
	struct pass_options o = { .opt_level = 0, .model_dir = dir, .for_interpreter = true };
	bool stopped;
	return pass_run_pipeline(g, &cap->d, &o, &stopped) ? g : NULL;
}

/* ir_print without the `weights` line; with by_position, constants are
 * renamed @c0, @c1, ... in order of declaration. */
static char *ir_text(struct ir_graph *g, bool by_position)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	const char **saved = calloc(g->nvals + 1, sizeof *saved);
	char(*names)[16] = calloc(g->nvals + 1, sizeof *names);
	unsigned k = 0;
	for (uint32_t v = 0; by_position && v < g->nvals; v++) {
		saved[v] = g->vals[v].name;
		if (g->vals[v].kind == IR_VAL_CONST) {
			snprintf(names[v], sizeof names[v], "c%u", k++);
			g->vals[v].name = names[v];
		}
	}
	ir_print(g, f);
	for (uint32_t v = 0; by_position && v < g->nvals; v++)
		g->vals[v].name = saved[v];
	fclose(f);
	free(saved);
	free(names);
	char *w = strstr(text, "  weights ");
	if (w) {
		char *nl = strchr(w, '\n');
		memmove(w, nl + 1, strlen(nl + 1) + 1);
	}
	return text;
}

static void write_file(const char *path, const void *data, size_t n)
{
	FILE *f = fopen(path, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, n, f), n);
	assert_int_equal(fclose(f), 0);
}

/* Writes g as tmp/model.dl + tmp/model.safetensors; returns the .dl text. */
static char *write_program(struct arena *a, struct capture *cap, struct ir_graph *g,
                           const char *tmp)
{
	char *dl = NULL;
	size_t dlen = 0;
	FILE *f = open_memstream(&dl, &dlen);
	struct dl_weights w;
	bool ok = ir_to_dl(g, a, &cap->d, "model.safetensors", f, &w);
	fclose(f);
	if (!ok) {
		free(dl);
		return NULL;
	}
	char path[512];
	snprintf(path, sizeof path, "%s/model.dl", tmp);
	write_file(path, dl, dlen);
	snprintf(path, sizeof path, "%s/model.safetensors", tmp);
	f = fopen(path, "wb");
	assert_non_null(f);
	assert_true(st_write(f, w.tensors, w.n, a));
	assert_int_equal(fclose(f), 0);
	if (!w.n)
		unlink(path);
	return dl;
}

/* Same constants (in declaration order) with the same bytes. */
static void assert_same_weights(struct ir_graph *g1, struct ir_graph *g2, const char *name)
{
	uint32_t v2 = 0;
	for (uint32_t v1 = 0; v1 < g1->nvals; v1++) {
		const struct ir_value *c1 = &g1->vals[v1];
		if (c1->kind != IR_VAL_CONST)
			continue;
		while (v2 < g2->nvals && g2->vals[v2].kind != IR_VAL_CONST)
			v2++;
		assert_true(v2 < g2->nvals);
		const struct ir_value *c2 = &g2->vals[v2++];
		int64_t bytes = ir_type_bytes(&c1->type);
		assert_int_equal(bytes, ir_type_bytes(&c2->type));
		if (memcmp(c1->data, c2->data, (size_t)bytes)) {
			print_error("%s: constant '%s' differs after the round trip\n", name, c1->name);
			fail();
		}
	}
}

/* Returns false after printing what went wrong. */
static bool round_trip(const char *dir, const char *name)
{
	bool ok = false;
	struct arena a = { 0 };
	struct capture cap;
	capture_begin(&cap);
	char path[1100], tmp[] = "/tmp/dlc_ir_to_dl_XXXXXX";
	snprintf(path, sizeof path, "%s/model.dl", dir);
	struct ir_graph *g1 = compile_dl(&a, &cap, dir, path);
	char *dl = NULL, *t1 = NULL, *t2 = NULL;
	assert_non_null(mkdtemp(tmp));
	if (!g1) {
		print_error("%s: does not compile:\n%s\n", name, capture_text(&cap));
		goto out;
	}
	dl = write_program(&a, &cap, g1, tmp);
	if (!dl) {
		print_error("%s: not written:\n%s\n", name, capture_text(&cap));
		goto out;
	}
	snprintf(path, sizeof path, "%s/model.dl", tmp);
	struct ir_graph *g2 = compile_dl(&a, &cap, tmp, path);
	if (!g2) {
		print_error("%s: the written program does not compile:\n%s\n%s\n", name,
		            capture_text(&cap), dl);
		goto out;
	}
	bool keras = g1->weights.convention == IR_CONV_KERAS;
	t1 = ir_text(g1, keras);
	t2 = ir_text(g2, keras);
	if (strcmp(t1, t2)) {
		print_error("%s: IR differs after the round trip\nprogram:\n%s\nbefore:\n%s\nafter:\n%s\n",
		            name, dl, t1, t2);
		goto out;
	}
	assert_same_weights(g1, g2, name);
	ok = true;
out:
	free(t1);
	free(t2);
	free(dl);
	snprintf(path, sizeof path, "%s/model.dl", tmp);
	unlink(path);
	snprintf(path, sizeof path, "%s/model.safetensors", tmp);
	unlink(path);
	rmdir(tmp);
	capture_end(&cap);
	arena_free(&a);
	return ok;
}

static int by_name(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Every tests/models case round-trips. */
static void test_models_round_trip(void **state)
{
	(void)state;
	const char *data = getenv("DLC_TEST_DATA");
	assert_non_null(data);
	char dirpath[512];
	snprintf(dirpath, sizeof dirpath, "%s/models", data);
	DIR *dir = opendir(dirpath);
	assert_non_null(dir);
	char *cases[256];
	unsigned n = 0;
	for (struct dirent *e; (e = readdir(dir)) && n < 256;) {
		char path[1024];
		snprintf(path, sizeof path, "%s/%s/model.dl", dirpath, e->d_name);
		if (e->d_name[0] != '.' && access(path, R_OK) == 0)
			cases[n++] = strdup(e->d_name);
	}
	closedir(dir);
	qsort(cases, n, sizeof cases[0], by_name);
	assert_true(n >= 40);
	unsigned failed = 0;
	for (unsigned i = 0; i < n; i++) {
		char path[1024];
		snprintf(path, sizeof path, "%s/%s", dirpath, cases[i]);
		failed += !round_trip(path, cases[i]);
		free(cases[i]);
	}
	assert_int_equal(failed, 0);
}

/* ---- hand-built graphs ---- */

static uint32_t node1(struct ir_graph *g, enum ir_op op, const char *name, uint32_t in,
                      const union ir_attrs *at, struct ir_type t)
{
	uint32_t id = ir_add_node(g, op, name, &in, 1, at, (struct src_span){ 0 });
	g->vals[g->nodes[id].out].type = t;
	return g->nodes[id].out;
}

static uint32_t weight(struct ir_graph *g, const char *name, struct ir_type t)
{
	float *data = arena_array(g->arena, (size_t)ir_type_numel(&t), sizeof *data);
	for (int64_t i = 0; i < ir_type_numel(&t); i++)
		data[i] = 0.25f * (float)i;
	return ir_add_const(g, name, t, data, (struct src_span){ 0 });
}

static uint32_t dense(struct ir_graph *g, const char *name, uint32_t in, int64_t units,
                      const char *wkey, const char *bkey)
{
	union ir_attrs at = { .dense = { .units = units, .bias = true } };
	int64_t f = g->vals[in].type.dims[1];
	uint32_t out = node1(g, IR_DENSE, name, in, &at, TYPE_F32(1, units));
	struct ir_node *n = &g->nodes[g->vals[out].node];
	n->param[0] = weight(g, wkey, TYPE_F32(units, f));
	n->param[1] = weight(g, bkey, TYPE_F32(units));
	return out;
}

/* ONNX-style names become unique identifiers; valid names are kept and
 * win over sanitized ones; weight keys in `<prefix>.<suffix>` form are
 * kept (params=), others are stored under the layer's name. */
static void test_names_and_keys(void **state)
{
	(void)state;
	struct arena a = { 0 };
	struct capture cap;
	capture_begin(&cap);
	struct ir_graph *g = ir_graph_new(&a, "torch-jit.export");
	union ir_attrs none = { 0 };
	uint32_t x = ir_add_input(g, "input.1", TYPE_F32(1, 4), IR_LAYOUT_NONE, (struct src_span){ 0 });
	uint32_t v = node1(g, IR_RELU, "/layer1/relu/Relu", x, &none, TYPE_F32(1, 4));
	v = node1(g, IR_SIGMOID, "a.b", v, &none, TYPE_F32(1, 4));
	v = node1(g, IR_TANH, "a_b", v, &none, TYPE_F32(1, 4));
	v = node1(g, IR_RELU, "7", v, &none, TYPE_F32(1, 4));
	v = node1(g, IR_RELU, "output", v, &none, TYPE_F32(1, 4));
	v = dense(g, "/fc/Gemm", v, 3, "onnx::Gemm_7", "onnx::Gemm_8");
	v = dense(g, "head", v, 2, "classifier.1.weight", "classifier.1.bias");
	ir_add_output(g, v);
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	struct dl_weights w;
	assert_true(ir_to_dl(g, &a, &cap.d, "m.safetensors", f, &w));
	fclose(f);
	assert_string_equal(capture_text(&cap), "");
	assert_string_equal(text,
	                    "model torch_jit_export\n"
	                    "input input_1: f32[1, 4]\n"
	                    "weights \"m.safetensors\" pytorch\n"
	                    "\n"
	                    "layer1_relu_Relu = relu()(input_1)\n"
	                    "a_b_2 = sigmoid()(layer1_relu_Relu)\n"
	                    "a_b = tanh()(a_b_2)\n"
	                    "v7 = relu()(a_b)\n"
	                    "output_ = relu()(v7)\n"
	                    "fc_Gemm = dense(3)(output_)\n"
	                    "head = dense(2, params=\"classifier.1\")(fc_Gemm)\n"
	                    "output head\n");
	assert_int_equal(w.n, 4);
	const char *keys[] = { "fc_Gemm.weight", "fc_Gemm.bias", "classifier.1.weight",
	                       "classifier.1.bias" };
	for (unsigned i = 0; i < 4; i++)
		assert_string_equal(w.tensors[i].name, keys[i]);
	assert_int_equal(w.tensors[0].dims[0], 3);
	assert_int_equal(w.tensors[0].dims[1], 4);
	free(text);
	capture_end(&cap);
	arena_free(&a);
}

/* Everything the language cannot express is reported, each once, naming
 * the node and the op; ir_to_dl returns false. */
static void test_unwritable(void **state)
{
	(void)state;
	struct arena a = { 0 };
	struct capture cap;
	capture_begin(&cap);
	struct ir_graph *g = ir_graph_new(&a, "m");
	uint32_t x = ir_add_input(g, "x", TYPE_F32(1, 3, 4), IR_LAYOUT_NONE, (struct src_span){ 0 });
	union ir_attrs sb = { .scale_bias = { .axis = 2 } };
	uint32_t s = node1(g, IR_SCALE_BIAS, "folded", x, &sb, TYPE_F32(1, 3, 4));
	g->nodes[g->vals[s].node].param[0] = weight(g, "s", TYPE_F32(4));
	g->nodes[g->vals[s].node].param[1] = weight(g, "b", TYPE_F32(4));
	union ir_attrs rnn = { .rnn = { .units = 2, .reverse = true } };
	uint32_t r = node1(g, IR_LSTM, "backward", s, &rnn, TYPE_F32(1, 2));
	struct ir_node *rn = &g->nodes[g->vals[r].node];
	rn->param[0] = weight(g, "wi", TYPE_F32(8, 4));
	rn->param[1] = weight(g, "wh", TYPE_F32(8, 2));
	union ir_attrs rs = { .reshape = { .rank = 1, .dims = { 2 } } };
	uint32_t flat = node1(g, IR_RESHAPE, "to_vector", r, &rs, TYPE_F32(2));
	ir_add_output(g, flat);
	ir_add_output(g, x);
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	struct dl_weights w;
	assert_false(ir_to_dl(g, &a, &cap.d, "m.safetensors", f, &w));
	fclose(f);
	free(text);
	assert_string_equal(
	    capture_text(&cap),
	    "dlc: error: cannot write node 'folded' (scale_bias) as a .dl program: the op has no layer "
	    "in the language; write the graph before optimization\n"
	    "dlc: error: cannot write node 'backward' (lstm) as a .dl program: a reverse direction alone "
	    "has no layer; the language runs one only in a bidirectional layer\n"
	    "dlc: error: cannot write node 'to_vector' (reshape) as a .dl program: the language's "
	    "reshape has a batch dimension; this one turns f32[1, 2] into f32[2]\n"
	    "dlc: error: cannot write output 'x' as a .dl program: the language's outputs are layer "
	    "values, not model inputs\n");
	capture_end(&cap);
	arena_free(&a);
}

/* st_write output reads back with the checked reader: names sorted, data
 * 8-byte aligned, offsets in order, bytes intact, odd names escaped. */
static void test_st_write(void **state)
{
	(void)state;
	struct arena a = { 0 };
	struct capture cap;
	capture_begin(&cap);
	static const float w1[6] = { 1, 2, 3, 4, 5, 6 };
	static const int64_t ids[2] = { -1, 7 };
	static const float one = 0.5f;
	struct st_tensor t[3] = {
		{ .name = "z.weight", .dtype = ST_F32, .rank = 2, .dims = { 2, 3 }, .data = w1,
		  .nbytes = sizeof w1 },
		{ .name = "a\"b\\c", .dtype = ST_I64, .rank = 1, .dims = { 2 }, .data = ids,
		  .nbytes = sizeof ids },
		{ .name = "m", .dtype = ST_F32, .rank = 1, .dims = { 1 }, .data = &one,
		  .nbytes = sizeof one },
	};
	char *img = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&img, &len);
	assert_true(st_write(f, t, 3, &a));
	fclose(f);
	uint64_t hlen = 0;
	for (unsigned k = 0; k < 8; k++)
		hlen |= (uint64_t)(unsigned char)img[k] << (8 * k);
	assert_int_equal((8 + hlen) % 8, 0);
	assert_int_equal(len, 8 + hlen + sizeof w1 + sizeof ids + sizeof one);
	assert_memory_equal(img + 8, "{\"a\\\"b\\\\c\":{\"dtype\":\"I64\",\"shape\":[2],"
	                    "\"data_offsets\":[0,16]},", 57);
	struct st_file sf;
	assert_true(st_parse(&a, &cap.d, (struct src_span){ 0 }, "t.safetensors", img, len, &sf));
	assert_string_equal(capture_text(&cap), "");
	assert_int_equal(sf.ntensors, 3);
	assert_string_equal(sf.tensors[0].name, "a\"b\\c");
	assert_string_equal(sf.tensors[1].name, "m");
	assert_string_equal(sf.tensors[2].name, "z.weight");
	assert_memory_equal(sf.tensors[0].data, ids, sizeof ids);
	assert_memory_equal(sf.tensors[2].data, w1, sizeof w1);
	assert_int_equal(sf.tensors[2].dims[1], 3);
	free(img);
	capture_end(&cap);
	arena_free(&a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_st_write),
		cmocka_unit_test(test_names_and_keys),
		cmocka_unit_test(test_unwritable),
		cmocka_unit_test(test_models_round_trip),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
