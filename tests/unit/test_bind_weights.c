/* test_bind_weights.c - the bind-weights pass on a hand-built, typed graph
 *   x -> conv1 (conv2d 2x3x2x2) -> flatten -> fc (dense 5x18) -> bn
 * with safetensors files written to a temporary directory: PyTorch and
 * Keras binding checked element by element, every error message checked
 * exactly (message lines only, not the source snippets), and the
 * deterministic random weights. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pass.h"
#include "safetensors.h"
#include "weights_random.h"

static const char model_src[] = "model m\n"
                                "input x: f32[1, 3, 4, 4] nchw\n"
                                "weights \"w.safetensors\"\n"
                                "conv1 = conv2d(2, 2)\n"
                                "flatten()\n"
                                "fc = dense(5)\n"
                                "bn = batchnorm()\n";

struct fixture {
	struct arena arena, scratch;
	struct diag diag;
	char *buf;
	size_t len;
	FILE *out;
	uint32_t file;
	struct ir_graph *g;
};

static char tmpdir[64];
static char olddir[4096];

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof *f);
	f->out = open_memstream(&f->buf, &f->len);
	diag_init(&f->diag, f->out);
	f->file = diag_add_source(&f->diag, "m.dl", model_src, sizeof model_src - 1);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	fclose(f->out);
	free(f->buf);
	diag_free(&f->diag);
	arena_free(&f->arena);
	arena_free(&f->scratch);
	free(f);
	unlink("w.safetensors");
	return 0;
}

/* The span of the first occurrence of `what` in the model source. */
static struct src_span span_of(struct fixture *f, const char *what)
{
	const char *p = strstr(model_src, what);
	assert_non_null(p);
	uint32_t b = (uint32_t)(p - model_src);
	return (struct src_span){ f->file, b, b + (uint32_t)strlen(what) };
}

static struct ir_type f32(unsigned rank, const int64_t *dims)
{
	struct ir_type t = { IR_DT_F32, (uint8_t)rank, { 0 } };
	memcpy(t.dims, dims, rank * sizeof *dims);
	return t;
}

/* Adds a node with parameter constants named prefix + suffix[i], typed as
 * shape inference would type them. */
static uint32_t add_layer(struct fixture *f, enum ir_op op, const char *name, uint32_t in,
                          const char *src, unsigned nparams, const char *const *suffix,
                          const struct ir_type *types)
{
	struct ir_graph *g = f->g;
	struct src_span loc = span_of(f, src);
	uint32_t p[IR_MAX_PARAMS];
	for (unsigned i = 0; i < nparams; i++)
		p[i] = ir_add_const(g, arena_printf(&f->arena, "%s.%s", name, suffix[i]), types[i],
		                    NULL, loc);
	uint32_t n = ir_add_node(g, op, name, &in, 1, NULL, loc);
	for (unsigned i = 0; i < nparams; i++)
		ir_node(g, n)->param[i] = p[i];
	return ir_node(g, n)->out;
}

static void build(struct fixture *f, enum ir_convention conv)
{
	bool keras = conv == IR_CONV_KERAS;
	struct ir_graph *g = f->g = ir_graph_new(&f->arena, "m");
	int64_t xd[4] = { 1, 3, 4, 4 }, cw[4] = { 2, 3, 2, 2 }, c2[1] = { 2 }, fw[2] = { 5, 18 },
		c5[1] = { 5 };
	uint32_t v = ir_add_input(g, "x", f32(4, xd), IR_LAYOUT_NCHW, span_of(f, "x: f32"));
	const char *cd[2] = { keras ? "kernel" : "weight", "bias" };
	struct ir_type ct[2] = { f32(4, cw), f32(1, c2) }, ft[2] = { f32(2, fw), f32(1, c5) };
	struct ir_type bt[4] = { f32(1, c5), f32(1, c5), f32(1, c5), f32(1, c5) };
	const char *bp[4] = { "weight", "bias", "running_mean", "running_var" };
	const char *bk[4] = { "gamma", "beta", "moving_mean", "moving_variance" };
	v = add_layer(f, IR_CONV2D, "conv1", v, "conv1 = conv2d(2, 2)", 2, cd, ct);
	uint32_t n = ir_add_node(g, IR_FLATTEN, "flatten_1", &v, 1, NULL, span_of(f, "flatten()"));
	v = ir_node(g, n)->out;
	v = add_layer(f, IR_DENSE, "fc", v, "fc = dense(5)", 2, cd, ft);
	v = add_layer(f, IR_BATCHNORM, "bn", v, "bn = batchnorm()", 4, keras ? bk : bp, bt);
	ir_add_output(g, v);
	g->weights.kind = IR_WEIGHTS_FILE;
	g->weights.path = "w.safetensors";
	g->weights.convention = conv;
	g->weights.loc = span_of(f, "weights \"w.safetensors\"");
	g->weights.path_loc = span_of(f, "\"w.safetensors\"");
}

static bool run_pass(struct fixture *f)
{
	struct pass_options o = { 0 };
	struct pass_ctx ctx = { f->g, &f->diag, &f->scratch, &o };
	bool ok = pass_bind_weights.run(&ctx);
	assert_int_equal(ok, f->diag.errors == 0);
	return ok;
}

/* The message lines of the output (no source snippets), joined. */
static const char *messages(struct fixture *f)
{
	fflush(f->out);
	char *r = arena_alloc(&f->arena, f->len + 1);
	size_t n = 0;
	for (const char *p = f->buf; p && *p;) {
		const char *e = strchr(p, '\n');
		size_t len = e ? (size_t)(e - p + 1) : strlen(p);
		if (!strncmp(p, "m.dl:", 5) || !strncmp(p, "dlc:", 4)) {
			memcpy(r + n, p, len);
			n += len;
		}
		p += len;
	}
	r[n] = 0;
	return r;
}

/* ---- writing safetensors files ---- */

struct spec {
	const char *name, *dtype;
	unsigned rank;
	int64_t dims[4];
	const void *data; /* NULL: zero bytes */
};

static size_t spec_bytes(const struct spec *s)
{
	size_t n = strcmp(s->dtype, "F16") ? 4 : 2;
	if (!strcmp(s->dtype, "I64"))
		n = 8;
	for (unsigned i = 0; i < s->rank; i++)
		n *= (size_t)s->dims[i];
	return n;
}

static void write_st(const struct spec *s, unsigned n)
{
	char header[8192];
	size_t h = 0, off = 0;
	h += (size_t)snprintf(header + h, sizeof header - h, "{");
	for (unsigned i = 0; i < n; i++) {
		h += (size_t)snprintf(header + h, sizeof header - h,
		                      "%s\"%s\":{\"dtype\":\"%s\",\"shape\":[", i ? "," : "",
		                      s[i].name, s[i].dtype);
		for (unsigned k = 0; k < s[i].rank; k++)
			h += (size_t)snprintf(header + h, sizeof header - h, "%s%lld", k ? "," : "",
			                      (long long)s[i].dims[k]);
		size_t nb = spec_bytes(&s[i]);
		h += (size_t)snprintf(header + h, sizeof header - h, "],\"data_offsets\":[%zu,%zu]}",
		                      off, off + nb);
		off += nb;
	}
	h += (size_t)snprintf(header + h, sizeof header - h, "}");
	assert_true(h < sizeof header);
	FILE *fp = fopen("w.safetensors", "wb");
	assert_non_null(fp);
	for (int i = 0; i < 8; i++)
		fputc((int)(((uint64_t)h >> (8 * i)) & 0xff), fp);
	fwrite(header, 1, h, fp);
	for (unsigned i = 0; i < n; i++) {
		size_t nb = spec_bytes(&s[i]);
		for (size_t k = 0; k < nb; k++)
			fputc(s[i].data ? ((const unsigned char *)s[i].data)[k] : 0, fp);
	}
	fclose(fp);
}

/* Distinct values per tensor: tag * 1000 + index. */
static float vals[8][64];
static const float *pattern(int tag, int n)
{
	for (int i = 0; i < n; i++)
		vals[tag][i] = (float)(tag * 1000 + i);
	return vals[tag];
}

/* A correct PyTorch file for the model, with extra specs appended. */
static unsigned pytorch_specs(struct spec *s)
{
	const struct spec base[] = {
		{ "conv1.weight", "F32", 4, { 2, 3, 2, 2 }, pattern(0, 24) },
		{ "conv1.bias", "F32", 1, { 2 }, pattern(1, 2) },
		{ "fc.weight", "F32", 2, { 5, 18 }, NULL },
		{ "fc.bias", "F32", 1, { 5 }, pattern(2, 5) },
		{ "bn.weight", "F32", 1, { 5 }, pattern(3, 5) },
		{ "bn.bias", "F32", 1, { 5 }, pattern(4, 5) },
		{ "bn.running_mean", "F32", 1, { 5 }, pattern(5, 5) },
		{ "bn.running_var", "F32", 1, { 5 }, pattern(6, 5) },
	};
	memcpy(s, base, sizeof base);
	return sizeof base / sizeof base[0];
}

static const float *const_data(struct fixture *f, const char *name)
{
	for (uint32_t i = 0; i < f->g->nvals; i++)
		if (f->g->vals[i].kind == IR_VAL_CONST && !strcmp(f->g->vals[i].name, name))
			return f->g->vals[i].data;
	fail_msg("no constant '%s'", name);
	return NULL;
}

static void test_bind_pytorch(void **state)
{
	struct fixture *f = *state;
	struct spec s[12];
	unsigned n = pytorch_specs(s);
	s[n++] = (struct spec){ "bn.num_batches_tracked", "I64", 0, { 0 }, NULL };
	write_st(s, n);
	build(f, IR_CONV_PYTORCH);
	assert_true(run_pass(f));
	assert_string_equal(messages(f), "");
	assert_memory_equal(const_data(f, "conv1.weight"), vals[0], 24 * sizeof(float));
	assert_memory_equal(const_data(f, "conv1.bias"), vals[1], 2 * sizeof(float));
	assert_memory_equal(const_data(f, "fc.bias"), vals[2], 5 * sizeof(float));
	assert_memory_equal(const_data(f, "bn.running_var"), vals[6], 5 * sizeof(float));
	const float *fw = const_data(f, "fc.weight");
	for (int i = 0; i < 90; i++)
		assert_true(fw[i] == 0.0f);
	for (uint32_t i = 0; i < f->g->nvals; i++)
		if (f->g->vals[i].kind == IR_VAL_CONST)
			assert_int_equal((uintptr_t)f->g->vals[i].data % 64, 0);
}

static void test_bind_keras_transpose(void **state)
{
	struct fixture *f = *state;
	static float kconv[24], kfc[90];
	for (int i = 0; i < 24; i++)
		kconv[i] = (float)i;
	for (int i = 0; i < 90; i++)
		kfc[i] = (float)(100 + i);
	const struct spec s[] = {
		{ "conv1.kernel", "F32", 4, { 2, 2, 3, 2 }, kconv }, /* [kh, kw, in, out] */
		{ "conv1.bias", "F32", 1, { 2 }, pattern(1, 2) },
		{ "fc.kernel", "F32", 2, { 18, 5 }, kfc }, /* [in, out] */
		{ "fc.bias", "F32", 1, { 5 }, pattern(2, 5) },
		{ "bn.gamma", "F32", 1, { 5 }, pattern(3, 5) },
		{ "bn.beta", "F32", 1, { 5 }, pattern(4, 5) },
		{ "bn.moving_mean", "F32", 1, { 5 }, pattern(5, 5) },
		{ "bn.moving_variance", "F32", 1, { 5 }, pattern(6, 5) },
	};
	write_st(s, 8);
	build(f, IR_CONV_KERAS);
	assert_true(run_pass(f));
	assert_string_equal(messages(f), "");
	const float *w = const_data(f, "conv1.kernel"); /* now [out, in, kh, kw] */
	for (int o = 0; o < 2; o++)
		for (int i = 0; i < 3; i++)
			for (int h = 0; h < 2; h++)
				for (int x = 0; x < 2; x++)
					assert_true(w[((o * 3 + i) * 2 + h) * 2 + x] ==
					            kconv[((h * 2 + x) * 3 + i) * 2 + o]);
	assert_true(w[1] == 6.0f); /* o=0 i=0 h=0 w=1 <- h=0 w=1 i=0 o=0 = 6 */
	const float *d = const_data(f, "fc.kernel"); /* now [out, in] */
	for (int o = 0; o < 5; o++)
		for (int i = 0; i < 18; i++)
			assert_true(d[o * 18 + i] == kfc[i * 5 + o]);
	assert_memory_equal(const_data(f, "conv1.bias"), vals[1], 2 * sizeof(float));
	assert_memory_equal(const_data(f, "bn.moving_variance"), vals[6], 5 * sizeof(float));
}

static void test_missing_suggests(void **state)
{
	struct fixture *f = *state;
	struct spec s[12];
	unsigned n = pytorch_specs(s);
	s[3].name = "fc.bais";
	write_st(s, n);
	build(f, IR_CONV_PYTORCH);
	assert_false(run_pass(f));
	assert_string_equal(messages(f),
	                    "m.dl:6:1: error: weight 'fc.bias' not found in 'w.safetensors'\n"
	                    "m.dl:3:9: note: did you mean 'fc.bais'?\n");
	assert_null(const_data(f, "fc.bias"));
}

static void test_missing_no_suggestion(void **state)
{
	struct fixture *f = *state;
	struct spec s[12];
	unsigned n = pytorch_specs(s);
	write_st(s, n - 1);
	build(f, IR_CONV_PYTORCH);
	assert_false(run_pass(f));
	assert_string_equal(messages(f), "m.dl:7:1: error: weight 'bn.running_var' not found in "
	                                 "'w.safetensors'\n");
}

static void test_wrong_dtype(void **state)
{
	struct fixture *f = *state;
	struct spec s[12];
	unsigned n = pytorch_specs(s);
	s[3].dtype = "F16";
	s[3].data = NULL;
	write_st(s, n);
	build(f, IR_CONV_PYTORCH);
	assert_false(run_pass(f));
	assert_string_equal(messages(f), "m.dl:6:1: error: weight 'fc.bias' has dtype F16, "
	                                 "expected F32\n");
}

static void test_wrong_shape(void **state)
{
	struct fixture *f = *state;
	struct spec s[12];
	unsigned n = pytorch_specs(s);
	s[0] = (struct spec){ "conv1.weight", "F32", 4, { 2, 3, 3, 3 }, NULL };
	s[2] = (struct spec){ "fc.weight", "F32", 1, { 90 }, NULL };
	s[3] = (struct spec){ "fc.bias", "F32", 0, { 0 }, NULL };
	write_st(s, n);
	build(f, IR_CONV_PYTORCH);
	assert_false(run_pass(f));
	assert_string_equal(messages(f),
	                    "m.dl:4:1: error: weight 'conv1.weight' has shape [2, 3, 3, 3], "
	                    "expected [2, 3, 2, 2]\n"
	                    "m.dl:6:1: error: weight 'fc.weight' has shape [90], expected [5, 18]\n"
	                    "m.dl:6:1: error: weight 'fc.bias' has shape [], expected [5]\n");
}

/* A Keras model given PyTorch-layout kernels: expected shape in Keras
 * layout, with a note on the layout. */
static void test_wrong_shape_keras(void **state)
{
	struct fixture *f = *state;
	const struct spec s[] = {
		{ "conv1.kernel", "F32", 4, { 2, 3, 2, 2 }, NULL },
		{ "conv1.bias", "F32", 1, { 2 }, NULL },
		{ "fc.kernel", "F32", 2, { 18, 5 }, NULL },
		{ "fc.bias", "F32", 1, { 5 }, NULL },
		{ "bn.gamma", "F32", 1, { 5 }, NULL },
		{ "bn.beta", "F32", 1, { 5 }, NULL },
		{ "bn.moving_mean", "F32", 1, { 5 }, NULL },
		{ "bn.moving_variance", "F32", 1, { 5 }, NULL },
	};
	write_st(s, 8);
	build(f, IR_CONV_KERAS);
	assert_false(run_pass(f));
	assert_string_equal(messages(f),
	                    "m.dl:4:1: error: weight 'conv1.kernel' has shape [2, 3, 2, 2], "
	                    "expected [2, 2, 3, 2]\n"
	                    "m.dl:3:9: note: keras files hold conv2d kernels as [kh, kw, "
	                    "in/groups, out]\n");
}

static void test_unused(void **state)
{
	struct fixture *f = *state;
	struct spec s[12];
	unsigned n = pytorch_specs(s);
	s[n++] = (struct spec){ "head.weight", "F32", 1, { 3 }, NULL };
	s[n++] = (struct spec){ "bn.num_batches_tracked", "I64", 0, { 0 }, NULL };
	s[n++] = (struct spec){ "head.bias", "F16", 1, { 3 }, NULL };
	write_st(s, n);
	build(f, IR_CONV_PYTORCH);
	assert_false(run_pass(f));
	assert_string_equal(messages(f),
	                    "m.dl:3:1: error: tensor 'head.weight' in 'w.safetensors' is not used "
	                    "by any layer\n"
	                    "m.dl:3:1: error: tensor 'head.bias' in 'w.safetensors' is not used by "
	                    "any layer\n");
}

static void test_many_unused(void **state)
{
	struct fixture *f = *state;
	struct spec s[24];
	unsigned n = pytorch_specs(s);
	static const char *const names[] = { "u0", "u1", "u2", "u3", "u4", "u5", "u6",
		                             "u7", "u8", "u9", "u10", "u11", "u12" };
	for (unsigned i = 0; i < 13; i++)
		s[n++] = (struct spec){ names[i], "F32", 1, { 1 }, NULL };
	write_st(s, n);
	build(f, IR_CONV_PYTORCH);
	assert_false(run_pass(f));
	const char *m = messages(f);
	assert_non_null(strstr(m, "m.dl:3:1: error: tensor 'u9' in 'w.safetensors' is not used "
	                          "by any layer\n"
	                          "m.dl:3:1: error: 3 more tensors in 'w.safetensors' are not used "
	                          "by any layer\n"));
	assert_null(strstr(m, "'u10'"));
	assert_int_equal(f->diag.errors, 11);
}

/* A Keras file read under the PyTorch convention: the renamed weights are
 * reported once each, the hint once, and the Keras tensors are not also
 * reported as unused. */
static void test_convention_mismatch(void **state)
{
	struct fixture *f = *state;
	const struct spec s[] = {
		{ "conv1.kernel", "F32", 4, { 2, 2, 3, 2 }, NULL },
		{ "conv1.bias", "F32", 1, { 2 }, NULL },
		{ "fc.kernel", "F32", 2, { 18, 5 }, NULL },
		{ "fc.bias", "F32", 1, { 5 }, NULL },
		{ "bn.gamma", "F32", 1, { 5 }, NULL },
		{ "bn.beta", "F32", 1, { 5 }, NULL },
		{ "bn.moving_mean", "F32", 1, { 5 }, NULL },
		{ "bn.moving_variance", "F32", 1, { 5 }, NULL },
	};
	write_st(s, 8);
	build(f, IR_CONV_PYTORCH);
	assert_false(run_pass(f));
	assert_string_equal(messages(f),
	                    "m.dl:4:1: error: weight 'conv1.weight' not found in 'w.safetensors'\n"
	                    "m.dl:3:1: note: the file has 'conv1.kernel', the name under the keras "
	                    "convention; is the file from keras? (add 'keras' here)\n"
	                    "m.dl:6:1: error: weight 'fc.weight' not found in 'w.safetensors'\n"
	                    "m.dl:7:1: error: weight 'bn.weight' not found in 'w.safetensors'\n"
	                    "m.dl:7:1: error: weight 'bn.bias' not found in 'w.safetensors'\n"
	                    "m.dl:7:1: error: weight 'bn.running_mean' not found in "
	                    "'w.safetensors'\n"
	                    "m.dl:7:1: error: weight 'bn.running_var' not found in "
	                    "'w.safetensors'\n");
}

/* Independent problems in one file are all reported, in source order. */
static void test_all_errors(void **state)
{
	struct fixture *f = *state;
	struct spec s[12];
	unsigned n = pytorch_specs(s);
	s[0].dims[3] = 5;
	s[1].dtype = "F16";
	s[7].name = "extra";
	write_st(s, n);
	build(f, IR_CONV_PYTORCH);
	assert_false(run_pass(f));
	assert_string_equal(messages(f),
	                    "m.dl:4:1: error: weight 'conv1.weight' has shape [2, 3, 2, 5], "
	                    "expected [2, 3, 2, 2]\n"
	                    "m.dl:4:1: error: weight 'conv1.bias' has dtype F16, expected F32\n"
	                    "m.dl:7:1: error: weight 'bn.running_var' not found in "
	                    "'w.safetensors'\n"
	                    "m.dl:3:1: error: tensor 'extra' in 'w.safetensors' is not used by any "
	                    "layer\n");
}

static void test_bad_file(void **state)
{
	struct fixture *f = *state;
	build(f, IR_CONV_PYTORCH);
	f->g->weights.path = "nope.safetensors";
	assert_false(run_pass(f));
	assert_string_equal(messages(f), "m.dl:3:9: error: weights file 'nope.safetensors': cannot "
	                                 "open: No such file or directory\n");
}

static void test_no_weights_statement(void **state)
{
	struct fixture *f = *state;
	build(f, IR_CONV_PYTORCH);
	f->g->weights = (struct ir_weights_src){ 0 };
	assert_false(run_pass(f));
	assert_string_equal(messages(f), "m.dl:4:1: error: model has layers with weights but no "
	                                 "'weights' statement\n");
}

static void test_too_large(void **state)
{
	struct fixture *f = *state;
	build(f, IR_CONV_PYTORCH);
	f->g->weights.kind = IR_WEIGHTS_RANDOM;
	int64_t huge[2] = { (int64_t)1 << 20, (int64_t)1 << 12 }; /* 16 GiB of f32 */
	f->g->vals[f->g->nodes[2].param[0]].type = f32(2, huge);
	assert_false(run_pass(f));
	assert_string_equal(messages(f), "m.dl:3:1: error: the model's weights need more than "
	                                 "17179869184 bytes (16 GiB), which is the limit\n");
	assert_null(const_data(f, "conv1.weight"));
}

/* ---- random weights ---- */

static void test_wrand_known_values(void **state)
{
	(void)state;
	assert_true(wrand_fnv1a("") == 0xcbf29ce484222325u);
	assert_true(wrand_fnv1a("a") == 0xaf63dc4c8601ec8cu);
	uint64_t s = 0;
	assert_true(wrand_splitmix64(&s) == 0xe220a8397b1dcdafu);
	assert_true(wrand_splitmix64(&s) == 0x6e789e6aa1b965f4u);
	struct wrand r = { { 1, 2, 3, 4 } };
	assert_true(wrand_next(&r) == 11520); /* xoshiro256** reference: rotl(2*5,7)*9 */
	float lo, hi;
	int64_t d[4] = { 8, 2, 3, 3 };
	struct ir_type w = f32(4, d);
	wrand_param_range(IR_CONV2D, 0, &w, &lo, &hi);
	assert_true(hi == (float)(1.0 / sqrt(18.0)) && lo == -hi);
	wrand_param_range(IR_CONV2D, 1, &w, &lo, &hi);
	assert_true(hi == (float)(1.0 / sqrt(18.0)) && lo == -hi);
	wrand_param_range(IR_BATCHNORM, 3, NULL, &lo, &hi);
	assert_true(lo == 0.5f && hi == 1.5f);
	wrand_param_range(IR_BATCHNORM, 1, NULL, &lo, &hi);
	assert_true(lo == -0.1f && hi == 0.1f);
}

static void bind_random(struct fixture *f, uint64_t seed)
{
	build(f, IR_CONV_PYTORCH);
	f->g->weights = (struct ir_weights_src){ .kind = IR_WEIGHTS_RANDOM, .seed = seed };
	assert_true(run_pass(f));
}

static void check_range(const float *v, int n, float lo, float hi)
{
	for (int i = 0; i < n; i++)
		assert_true(v[i] >= lo && v[i] < hi);
}

static void test_random_ranges(void **state)
{
	struct fixture *f = *state;
	bind_random(f, 42);
	float b = (float)(1.0 / sqrt(12.0)), bf = (float)(1.0 / sqrt(18.0));
	check_range(const_data(f, "conv1.weight"), 24, -b, b);
	check_range(const_data(f, "conv1.bias"), 2, -b, b);
	check_range(const_data(f, "fc.weight"), 90, -bf, bf);
	check_range(const_data(f, "fc.bias"), 5, -bf, bf);
	check_range(const_data(f, "bn.weight"), 5, 0.5f, 1.5f);
	check_range(const_data(f, "bn.bias"), 5, -0.1f, 0.1f);
	check_range(const_data(f, "bn.running_mean"), 5, -0.1f, 0.1f);
	check_range(const_data(f, "bn.running_var"), 5, 0.5f, 1.5f);
	/* the values are the documented stream of the key */
	float want[90];
	wrand_fill(want, 90, 42, "fc.weight", -bf, bf);
	assert_memory_equal(const_data(f, "fc.weight"), want, sizeof want);
	assert_int_equal((uintptr_t)const_data(f, "fc.weight") % 64, 0);
	/* not constant: the stream actually varies */
	const float *w = const_data(f, "fc.weight");
	assert_true(w[0] != w[1] && w[1] != w[2]);
}

static void test_random_deterministic(void **state)
{
	struct fixture *f = *state;
	bind_random(f, 7);
	float a[90], c[90];
	memcpy(a, const_data(f, "fc.weight"), sizeof a);
	bind_random(f, 7);
	assert_memory_equal(const_data(f, "fc.weight"), a, sizeof a);
	bind_random(f, 8);
	memcpy(c, const_data(f, "fc.weight"), sizeof c);
	assert_memory_not_equal(a, c, sizeof a);
}

/* Values depend on the key, not on where the layer sits in the graph. */
static void test_random_order_independent(void **state)
{
	struct fixture *f = *state;
	float first[2][5];
	for (int order = 0; order < 2; order++) {
		struct ir_graph *g = f->g = ir_graph_new(&f->arena, "m");
		int64_t xd[2] = { 1, 4 }, wd[2] = { 5, 4 }, bd[1] = { 5 };
		uint32_t v = ir_add_input(g, "x", f32(2, xd), IR_LAYOUT_NONE, (struct src_span){ 0 });
		const char *names[2] = { order ? "b" : "a", order ? "a" : "b" };
		for (int k = 0; k < 2; k++) {
			uint32_t w = ir_add_const(g, arena_printf(&f->arena, "%s.weight", names[k]),
			                          f32(2, wd), NULL, (struct src_span){ 0 });
			uint32_t bias = ir_add_const(g, arena_printf(&f->arena, "%s.bias", names[k]),
			                             f32(1, bd), NULL, (struct src_span){ 0 });
			uint32_t n = ir_add_node(g, IR_DENSE, names[k], &v, 1, NULL,
			                         (struct src_span){ 0 });
			ir_node(g, n)->param[0] = w;
			ir_node(g, n)->param[1] = bias;
		}
		g->weights = (struct ir_weights_src){ .kind = IR_WEIGHTS_RANDOM, .seed = 3 };
		assert_true(run_pass(f));
		memcpy(first[order], const_data(f, "a.bias"), sizeof first[order]);
	}
	assert_memory_equal(first[0], first[1], sizeof first[0]);
}

int main(void)
{
	snprintf(tmpdir, sizeof tmpdir, "/tmp/dlc-test-bind-XXXXXX");
	if (!getcwd(olddir, sizeof olddir) || !mkdtemp(tmpdir) || chdir(tmpdir))
		return 1;
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_bind_pytorch),          T(test_bind_keras_transpose),
		T(test_missing_suggests),      T(test_missing_no_suggestion),
		T(test_wrong_dtype),           T(test_wrong_shape),
		T(test_wrong_shape_keras),     T(test_unused),
		T(test_many_unused),           T(test_convention_mismatch),
		T(test_all_errors),            T(test_bad_file),
		T(test_no_weights_statement),  T(test_too_large),
		T(test_wrand_known_values),    T(test_random_ranges),
		T(test_random_deterministic),  T(test_random_order_independent),
	};
#undef T
	int rc = cmocka_run_group_tests(tests, NULL, NULL);
	if (chdir(olddir) == 0)
		rmdir(tmpdir);
	return rc;
}
