/* test_codegen.c - the back end on hand-built graphs: each graph is compiled
 * to an object and header in a temporary directory, linked with the generic
 * harness (harness.c) and the runtime, run with --selftest (NULL and
 * misaligned buffers rejected, two threads agree), and its outputs compared
 * with the reference interpreter's. Also: determinism, --emit forms,
 * external weights, two models in one program, target errors. */
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

#include "backend.h"
#include "cheader.h"
#include "interp.h"
#include "plan.h"
#include "e2e_util.h"

#define MAXT 8

struct tc {
	struct arena a;
	struct ir_graph *g;
	uint32_t rng;
	char dir[64];
};

static float frand(struct tc *t)
{
	t->rng = t->rng * 1664525u + 1013904223u;
	return (float)((t->rng >> 8) & 0xffff) / 32768.0f - 1.0f;
}

static struct ir_type ty(int rank, int64_t d0, int64_t d1, int64_t d2, int64_t d3)
{
	struct ir_type t = { IR_DT_F32, (uint8_t)rank, { d0, d1, d2, d3 } };
	return t;
}

static const struct src_span nospan;

static uint32_t weight(struct tc *t, const char *name, struct ir_type type)
{
	int64_t n = ir_type_numel(&type);
	float *d = arena_array(&t->a, (size_t)n, sizeof *d);
	for (int64_t i = 0; i < n; i++)
		d[i] = frand(t);
	return ir_add_const(t->g, name, type, d, nospan);
}

/* Adds node op on inputs with attributes; sets the output type. */
static uint32_t node(struct tc *t, enum ir_op op, const char *name, const uint32_t *in,
                     unsigned nin, const union ir_attrs *attr, struct ir_type out)
{
	uint32_t id = ir_add_node(t->g, op, name, in, nin, attr, nospan);
	t->g->vals[t->g->nodes[id].out].type = out;
	return id;
}

static uint32_t out_of(struct tc *t, uint32_t node_id)
{
	return t->g->nodes[node_id].out;
}

static void tc_init(struct tc *t, const char *name)
{
	memset(t, 0, sizeof *t);
	t->g = ir_graph_new(&t->a, name);
	t->rng = 12345;
	strcpy(t->dir, "/tmp/dlc_cg_XXXXXX");
	assert_non_null(mkdtemp(t->dir));
}

static void tc_free(struct tc *t)
{
	char cmd[128];
	snprintf(cmd, sizeof cmd, "rm -rf %s", t->dir);
	assert_int_equal(system(cmd), 0);
	arena_free(&t->a);
}

/* Compiles t->g into DIR/<name>.o and DIR/<name>.h. */
static void compile(struct tc *t, const char *name, bool external, int opt)
{
	struct diag d;
	diag_init(&d, stderr);
	struct plan *p = plan_build(t->g, &t->a);
	char path[128], wpath[128];
	snprintf(wpath, sizeof wpath, "%s/%s.weights", t->dir, name);
	struct cg_options o = { .opt_level = opt, .name = name, .reloc = CG_RELOC_PIC,
	                        .weights = external ? CG_WEIGHTS_EXTERNAL : CG_WEIGHTS_EMBED,
	                        .weights_path = wpath, .plan = p };
	snprintf(path, sizeof path, "%s/%s.o", t->dir, name);
	FILE *f = fopen(path, "wb");
	assert_non_null(f);
	assert_true(cg_emit(t->g, &o, CG_EMIT_OBJ, f, &d));
	assert_int_equal(fclose(f), 0);
	snprintf(path, sizeof path, "%s/%s.h", t->dir, name);
	f = fopen(path, "w");
	struct hdr_options ho = { .name = name, .external_weights = external,
	                          .weights_file = external ? "model.weights" : NULL };
	assert_true(hdr_emit(t->g, p, &ho, f));
	assert_int_equal(fclose(f), 0);
	assert_int_equal(d.errors, 0);
	diag_free(&d);
}

/* Runs the compiled model "model" and the interpreter on the same random
 * inputs; outputs must agree within 1e-5 + 1e-4 * |ref|. */
static void check_against_interp(struct tc *t, bool external, int opt)
{
	struct ir_graph *g = t->g;
	compile(t, "model", external, opt);
	assert_int_equal(sh("cc %s -O1 -I%s -I%s %s %s/model.o %s -lm -lpthread -o %s/run", cflags(), t->dir,
	                    DLCRT_DIR, HARNESS_SRC, t->dir, DLCRT_LIB, t->dir), 0);
	const void *ins[MAXT];
	void *refs[MAXT], *outs[MAXT];
	char args[1024] = "";
	if (external)
		snprintf(args, sizeof args, "--weights %s/model.weights ", t->dir);
	for (uint32_t i = 0; i < g->ninputs; i++) {
		const struct ir_type *it = &g->vals[g->inputs[i]].type;
		float *x = arena_array(&t->a, (size_t)ir_type_numel(it), sizeof *x);
		for (int64_t k = 0; k < ir_type_numel(it); k++)
			x[k] = 3.0f * frand(t);
		ins[i] = x;
		char p[128];
		snprintf(p, sizeof p, "%s/in%u.bin", t->dir, i);
		write_file(p, x, (size_t)ir_type_bytes(it));
		snprintf(args + strlen(args), sizeof args - strlen(args), "%s ", p);
	}
	for (uint32_t i = 0; i < g->noutputs; i++) {
		const struct ir_type *ot = &g->vals[g->outputs[i]].type;
		refs[i] = arena_alloc(&t->a, (size_t)ir_type_bytes(ot));
		outs[i] = arena_alloc(&t->a, (size_t)ir_type_bytes(ot));
		snprintf(args + strlen(args), sizeof args - strlen(args), "%s/out%u.bin ", t->dir, i);
	}
	assert_int_equal(sh("%s/run --selftest %s", t->dir, args), 0);
	struct diag d;
	diag_init(&d, stderr);
	assert_true(interp_run(g, &d, ins, refs, (int64_t)1 << 30));
	diag_free(&d);
	for (uint32_t i = 0; i < g->noutputs; i++) {
		const struct ir_type *ot = &g->vals[g->outputs[i]].type;
		char p[128];
		snprintf(p, sizeof p, "%s/out%u.bin", t->dir, i);
		assert_int_equal(read_file(p, outs[i], (size_t)ir_type_bytes(ot) + 1),
		                 (size_t)ir_type_bytes(ot));
		const float *o = outs[i], *r = refs[i];
		for (int64_t k = 0; k < ir_type_numel(ot); k++) {
			if (fabsf(o[k] - r[k]) > 1e-5f + 1e-4f * fabsf(r[k]))
				fail_msg("output %u element %ld: got %.9g, interpreter %.9g", i, (long)k,
				         (double)o[k], (double)r[k]);
		}
	}
}

/* ---- graphs ---- */

/* x[2, 20] -> dense(16, relu fused) -> dense(10) -> softmax */
static void build_mlp(struct tc *t)
{
	uint32_t x = ir_add_input(t->g, "x", ty(2, 2, 20, 0, 0), IR_LAYOUT_NONE, nospan);
	union ir_attrs at = { .dense = { .units = 16, .bias = true, .act = { IR_STEP_RELU, 0, 0 } } };
	uint32_t d1 = node(t, IR_DENSE, "fc1", &x, 1, &at, ty(2, 2, 16, 0, 0));
	t->g->nodes[d1].param[0] = weight(t, "fc1.weight", ty(2, 16, 20, 0, 0));
	t->g->nodes[d1].param[1] = weight(t, "fc1.bias", ty(1, 16, 0, 0, 0));
	uint32_t h = out_of(t, d1);
	at.dense = (struct ir_dense_attr){ .units = 10, .bias = false };
	uint32_t d2 = node(t, IR_DENSE, "fc2", &h, 1, &at, ty(2, 2, 10, 0, 0));
	t->g->nodes[d2].param[0] = weight(t, "fc2.weight", ty(2, 10, 16, 0, 0));
	h = out_of(t, d2);
	at.axis = (struct ir_axis_attr){ .axis = 1 };
	uint32_t sm = node(t, IR_SOFTMAX, "probs", &h, 1, &at, ty(2, 2, 10, 0, 0));
	ir_add_output(t->g, out_of(t, sm));
}

/* NHWC: conv2d(6, 3x3, stride 2, pads 1,1,2,2, dilation 2, groups 2,
 * sigmoid) -> maxpool(3, stride 2, pads 1) */
static void build_conv_nhwc(struct tc *t)
{
	uint32_t x = ir_add_input(t->g, "image", ty(4, 1, 9, 9, 4), IR_LAYOUT_NHWC, nospan);
	union ir_attrs at = { .conv = { .filters = 6, .kernel = { 3, 3 }, .stride = { 2, 2 },
	                                .dilation = { 2, 2 }, .pad = { 1, 1, 2, 2 },
	                                .pad_mode = IR_PAD_EXPLICIT, .groups = 2, .bias = true,
	                                .layout = IR_LAYOUT_NHWC, .act = { IR_STEP_SIGMOID, 0, 0 } } };
	uint32_t c = node(t, IR_CONV2D, "conv", &x, 1, &at, ty(4, 1, 4, 4, 6));
	t->g->nodes[c].param[0] = weight(t, "conv.weight", ty(4, 6, 2, 3, 3));
	t->g->nodes[c].param[1] = weight(t, "conv.bias", ty(1, 6, 0, 0, 0));
	uint32_t h = out_of(t, c);
	at.pool = (struct ir_pool_attr){ .kernel = { 3, 3 }, .stride = { 2, 2 },
	                                 .pad = { 1, 1, 1, 1 }, .pad_mode = IR_PAD_EXPLICIT,
	                                 .layout = IR_LAYOUT_NHWC };
	uint32_t p = node(t, IR_MAXPOOL2D, "pool", &h, 1, &at, ty(4, 1, 2, 2, 6));
	ir_add_output(t->g, out_of(t, p));
	ir_add_output(t->g, h);
}

/* NCHW: conv2d(4, [3,2], stride [1,2], pads 1,0,1,1, tanh, no bias)
 * -> batchnorm -> avgpool(3, 2, pads 1) -> global_avgpool */
static void build_conv_nchw(struct tc *t)
{
	uint32_t x = ir_add_input(t->g, "x", ty(4, 2, 3, 7, 6), IR_LAYOUT_NCHW, nospan);
	union ir_attrs at = { .conv = { .filters = 4, .kernel = { 3, 2 }, .stride = { 1, 2 },
	                                .dilation = { 1, 1 }, .pad = { 1, 0, 1, 1 },
	                                .pad_mode = IR_PAD_EXPLICIT, .groups = 1, .bias = false,
	                                .layout = IR_LAYOUT_NCHW, .act = { IR_STEP_TANH, 0, 0 } } };
	uint32_t c = node(t, IR_CONV2D, "conv", &x, 1, &at, ty(4, 2, 4, 7, 3));
	t->g->nodes[c].param[0] = weight(t, "conv.weight", ty(4, 4, 3, 3, 2));
	uint32_t h = out_of(t, c);
	at.bn = (struct ir_batchnorm_attr){ .axis = 1, .epsilon = 1e-3f, .layout = IR_LAYOUT_NCHW };
	uint32_t bn = node(t, IR_BATCHNORM, "bn", &h, 1, &at, ty(4, 2, 4, 7, 3));
	const char *keys[3] = { "bn.weight", "bn.bias", "bn.running_mean" };
	for (int k = 0; k < 3; k++)
		t->g->nodes[bn].param[k] = weight(t, keys[k], ty(1, 4, 0, 0, 0));
	static const float var[4] = { 0.5f, 1.0f, 2.0f, 0.25f }; /* variances are positive */
	t->g->nodes[bn].param[3] = ir_add_const(t->g, "bn.running_var", ty(1, 4, 0, 0, 0), var,
	                                        nospan);
	h = out_of(t, bn);
	at.pool = (struct ir_pool_attr){ .kernel = { 3, 3 }, .stride = { 2, 2 },
	                                 .pad = { 1, 1, 1, 1 }, .pad_mode = IR_PAD_EXPLICIT,
	                                 .layout = IR_LAYOUT_NCHW };
	uint32_t p = node(t, IR_AVGPOOL2D, "avg", &h, 1, &at, ty(4, 2, 4, 4, 2));
	h = out_of(t, p);
	at.axis = (struct ir_axis_attr){ .axis = 1, .layout = IR_LAYOUT_NCHW };
	uint32_t gp = node(t, IR_GLOBAL_AVGPOOL, "gap", &h, 1, &at, ty(2, 2, 4, 0, 0));
	ir_add_output(t->g, out_of(t, gp));
	ir_add_output(t->g, h);
}

/* rescale, normalize, add, relu, concat on two axes, flatten and reshape
 * (views) as outputs, an input as an output, dropout, softmax over an
 * inner axis, avgpool counting the padding. */
static void build_misc(struct tc *t)
{
	static const float mean[3] = { 0.1f, -0.2f, 0.3f }, sd[3] = { 0.5f, 1.5f, 2.0f };
	uint32_t a = ir_add_input(t->g, "a", ty(4, 1, 4, 4, 3), IR_LAYOUT_NHWC, nospan);
	union ir_attrs at = { .rescale = { .scale = 0.5f, .offset = 0.1f } };
	uint32_t r = out_of(t, node(t, IR_RESCALE, "r", &a, 1, &at, ty(4, 1, 4, 4, 3)));
	at.norm = (struct ir_normalize_attr){ .axis = 3, .layout = IR_LAYOUT_NHWC, .nchannels = 3,
	                                      .mean = mean, .std = sd };
	uint32_t nm = out_of(t, node(t, IR_NORMALIZE, "nm", &r, 1, &at, ty(4, 1, 4, 4, 3)));
	uint32_t sum_in[3] = { r, nm, a };
	uint32_t s = out_of(t, node(t, IR_ADD, "s", sum_in, 3, NULL, ty(4, 1, 4, 4, 3)));
	uint32_t rl = out_of(t, node(t, IR_RELU, "rl", &s, 1, NULL, ty(4, 1, 4, 4, 3)));
	uint32_t c1_in[2] = { rl, a }, c2_in[2] = { r, a };
	at.axis = (struct ir_axis_attr){ .axis = 3 };
	uint32_t c1 = out_of(t, node(t, IR_CONCAT, "c1", c1_in, 2, &at, ty(4, 1, 4, 4, 6)));
	at.axis = (struct ir_axis_attr){ .axis = 1 };
	uint32_t c2 = out_of(t, node(t, IR_CONCAT, "c2", c2_in, 2, &at, ty(4, 1, 8, 4, 3)));
	uint32_t fl = out_of(t, node(t, IR_FLATTEN, "flat", &c1, 1, NULL, ty(2, 1, 96, 0, 0)));
	at.reshape = (struct ir_reshape_attr){ .rank = 3, .dims = { 0, 8, 12 } };
	uint32_t rs = out_of(t, node(t, IR_RESHAPE, "rs", &c2, 1, &at, ty(3, 1, 8, 12, 0)));
	at.dropout = (struct ir_dropout_attr){ .rate = 0.5f };
	uint32_t dr = out_of(t, node(t, IR_DROPOUT, "drop", &r, 1, &at, ty(4, 1, 4, 4, 3)));
	uint32_t sg = out_of(t, node(t, IR_SIGMOID, "sg", &dr, 1, NULL, ty(4, 1, 4, 4, 3)));
	at.axis = (struct ir_axis_attr){ .axis = 1 };
	uint32_t sm = out_of(t, node(t, IR_SOFTMAX, "sm", &rs, 1, &at, ty(3, 1, 8, 12, 0)));
	at.pool = (struct ir_pool_attr){ .kernel = { 2, 2 }, .stride = { 1, 1 },
	                                 .pad = { 1, 1, 0, 0 }, .pad_mode = IR_PAD_EXPLICIT,
	                                 .count_include_pad = true, .layout = IR_LAYOUT_NHWC };
	uint32_t ap = out_of(t, node(t, IR_AVGPOOL2D, "ap", &a, 1, &at, ty(4, 1, 4, 4, 3)));
	uint32_t th = out_of(t, node(t, IR_TANH, "th", &ap, 1, NULL, ty(4, 1, 4, 4, 3)));
	uint32_t outs[] = { fl, rs, a, sg, sm, th, fl };
	for (unsigned i = 0; i < sizeof outs / sizeof *outs; i++)
		ir_add_output(t->g, outs[i]);
}

/* ---- tests ---- */

static void test_mlp(void **state)
{
	(void)state;
	struct tc t;
	tc_init(&t, "mlp");
	build_mlp(&t);
	check_against_interp(&t, false, 2);
	tc_free(&t);
}

static void test_conv_nhwc(void **state)
{
	(void)state;
	struct tc t;
	tc_init(&t, "conv_nhwc");
	build_conv_nhwc(&t);
	check_against_interp(&t, false, 3);
	tc_free(&t);
}

static void test_conv_nchw(void **state)
{
	(void)state;
	struct tc t;
	tc_init(&t, "conv_nchw");
	build_conv_nchw(&t);
	check_against_interp(&t, false, 2);
	tc_free(&t);
}

static void test_misc_o0(void **state)
{
	(void)state;
	struct tc t;
	tc_init(&t, "misc");
	build_misc(&t);
	check_against_interp(&t, false, 0);
	tc_free(&t);
}

static void test_misc_o2(void **state)
{
	(void)state;
	struct tc t;
	tc_init(&t, "misc");
	build_misc(&t);
	check_against_interp(&t, false, 2);
	tc_free(&t);
}

static void test_external_weights(void **state)
{
	(void)state;
	struct tc t;
	tc_init(&t, "ext");
	build_conv_nchw(&t);
	check_against_interp(&t, true, 2);
	struct plan *p = plan_build(t.g, &t.a);
	char path[128];
	snprintf(path, sizeof path, "%s/model.weights", t.dir);
	uint8_t *want = plan_weights_image(t.g, p, &t.a);
	uint8_t *got = arena_alloc(&t.a, (size_t)p->weights_bytes + 1);
	assert_int_equal(read_file(path, got, (size_t)p->weights_bytes + 1), p->weights_bytes);
	assert_memory_equal(got, want, (size_t)p->weights_bytes);
	/* The object holds no weights: its .rodata is far smaller than them. */
	assert_int_equal(sh("test \"$(size -A %s/model.o | awk '$1 == \".rodata\" {s += $2} "
	                    "END {print s + 0}')\" -lt %ld", t.dir, (long)p->weights_bytes), 0);
	tc_free(&t);
}

/* Emits form `what` of t->g into a malloc'd string (size in *n). */
static char *emit_to_string(struct tc *t, const struct cg_options *o, enum cg_emit what,
                            size_t *n, bool *ok)
{
	char *buf = NULL;
	FILE *f = open_memstream(&buf, n);
	struct diag d;
	char *msgs = NULL;
	size_t nmsgs = 0;
	FILE *err = open_memstream(&msgs, &nmsgs);
	diag_init(&d, err);
	*ok = cg_emit(t->g, o, what, f, &d);
	diag_free(&d);
	fclose(err);
	fclose(f);
	if (!*ok) {
		free(buf);
		return msgs;
	}
	free(msgs);
	return buf;
}

static void test_deterministic_and_forms(void **state)
{
	(void)state;
	struct tc t;
	tc_init(&t, "det");
	build_conv_nhwc(&t);
	struct cg_options o = { .opt_level = 2, .name = "det", .triple = "x86_64-unknown-linux-gnu",
	                        .cpu = "x86-64", .weights = CG_WEIGHTS_EMBED };
	size_t n1, n2, nl, na;
	bool ok;
	char *a = emit_to_string(&t, &o, CG_EMIT_OBJ, &n1, &ok);
	assert_true(ok);
	char *b = emit_to_string(&t, &o, CG_EMIT_OBJ, &n2, &ok);
	assert_true(ok);
	assert_int_equal(n1, n2);
	assert_memory_equal(a, b, n1);
	assert_memory_equal(a, "\177ELF", 4);
	char *ll = emit_to_string(&t, &o, CG_EMIT_LLVM, &nl, &ok);
	assert_true(ok);
	if (getenv("DLC_DUMP_LLVM"))
		fputs(ll, stderr);
	assert_non_null(strstr(ll, "@det_run(ptr noalias nocapture readonly %image, ptr noalias"));
	assert_non_null(strstr(ll, "@det_inputs = local_unnamed_addr constant"));
	assert_non_null(strstr(ll, "@weights = private unnamed_addr constant"));
	assert_non_null(strstr(ll, "target triple = \"x86_64-unknown-linux-gnu\""));
	char *as = emit_to_string(&t, &o, CG_EMIT_ASM, &na, &ok);
	assert_true(ok);
	assert_non_null(strstr(as, "det_run:"));
	free(a);
	free(b);
	free(ll);
	free(as);
	tc_free(&t);
}

static void test_bad_target(void **state)
{
	(void)state;
	struct tc t;
	tc_init(&t, "bad");
	build_mlp(&t);
	struct cg_options o = { .opt_level = 2, .name = "bad", .triple = "nonsense-arch-none" };
	size_t n;
	bool ok;
	char *msg = emit_to_string(&t, &o, CG_EMIT_OBJ, &n, &ok);
	assert_false(ok);
	assert_non_null(strstr(msg, "error: unsupported target 'nonsense-arch-none'"));
	free(msg);
	o.triple = NULL;
	o.name = "3d";
	msg = emit_to_string(&t, &o, CG_EMIT_OBJ, &n, &ok);
	assert_false(ok);
	assert_non_null(strstr(msg, "error: model name '3d' is not a C identifier"));
	free(msg);
	tc_free(&t);
}

/* Two models with their own prefixes link into one program. */
static void test_two_models(void **state)
{
	(void)state;
	struct tc t;
	tc_init(&t, "alpha");
	build_mlp(&t);
	compile(&t, "alpha", false, 2);
	struct ir_graph *first = t.g;
	t.g = ir_graph_new(&t.a, "beta");
	build_conv_nhwc(&t);
	compile(&t, "beta", false, 2);
	char path[128];
	snprintf(path, sizeof path, "%s/main.c", t.dir);
	const char *src =
		"#include <stdio.h>\n#include <stdlib.h>\n#include \"alpha.h\"\n#include \"beta.h\"\n"
		"static _Alignas(64) float x[ALPHA_INPUT_X_COUNT], p[ALPHA_OUTPUT_PROBS_COUNT];\n"
		"static _Alignas(64) float im[BETA_INPUT_IMAGE_COUNT], y[BETA_OUTPUT_POOL_COUNT],\n"
		"  c[BETA_OUTPUT_CONV_COUNT];\n"
		"static _Alignas(64) char s1[ALPHA_SCRATCH_BYTES + 1], s2[BETA_SCRATCH_BYTES];\n"
		"int main(void) {\n"
		"  if (alpha_run(x, p, s1) || beta_run(im, y, c, s2)) return 1;\n"
		"  float sum = 0; for (int i = 0; i < 10; i++) sum += p[i];\n"
		"  printf(\"%s %s %.3f\\n\", alpha_outputs[0].name, beta_inputs[0].name, sum);\n"
		"  return 0;\n}\n";
	write_file(path, src, strlen(src));
	assert_int_equal(sh("cc %s -std=c11 -Wall -Werror -I%s -I%s %s/main.c %s/alpha.o %s/beta.o %s "
	                    "-lm -o %s/two && %s/two > %s/two.txt",
	                    cflags(), t.dir, DLCRT_DIR, t.dir, t.dir, t.dir, DLCRT_LIB, t.dir, t.dir,
	                    t.dir),
	                 0);
	char out[64] = { 0 };
	snprintf(path, sizeof path, "%s/two.txt", t.dir);
	read_file(path, out, sizeof out - 1);
	assert_string_equal(out, "probs image 1.000\n");
	(void)first;
	tc_free(&t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_mlp),
		cmocka_unit_test(test_conv_nhwc),
		cmocka_unit_test(test_conv_nchw),
		cmocka_unit_test(test_misc_o0),
		cmocka_unit_test(test_misc_o2),
		cmocka_unit_test(test_external_weights),
		cmocka_unit_test(test_deterministic_and_forms),
		cmocka_unit_test(test_bad_target),
		cmocka_unit_test(test_two_models),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
