/* test_tiled.c - the tiled conv2d/dense kernels (backend/lower_tiled.c)
 * against the reference interpreter.
 *
 * Each model is written in the .dl language with random weights. The
 * interpreter runs it after the -O0 pipeline (the reference); a second copy
 * goes through the whole -O2 pipeline for a target (fusion, layout, tile,
 * pack), is compiled to an object for that CPU, linked with the generic
 * harness and run on the same random inputs. Outputs must agree within
 * abs 1e-5 + rel 1e-4. The models are chosen for awkward shapes: channel
 * counts that are not multiples of any vector width, rows that leave tails,
 * 1x1 (the plain GEMM path), 7x7, stride 2, dilation, spatial size 1, K in
 * several chunks, fused residuals and every fused activation. Targets: the
 * SSE baseline (fmul + fadd, masked tails scalarized), AVX2 and, when the
 * host has it, AVX-512; otherwise AVX-512 code is only generated and
 * inspected. */
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
#include "frontend.h"
#include "interp.h"
#include "pass.h"
#include "plan.h"
#include "weights_random.h"
#include "e2e_util.h"

#define MAXT 4

struct tc {
	struct arena a;
	struct diag d;
	char dir[64];
};

/* Parses src and runs the pipeline at `opt` for cpu (NULL: baseline). */
static struct ir_graph *build(struct tc *t, const char *src, int opt, const char *cpu)
{
	uint32_t file = diag_add_source(&t->d, "t.dl", src, (uint32_t)strlen(src));
	struct ast_model *m = fe_parse(&t->a, &t->d, file);
	assert_non_null(m);
	struct ir_graph *g = fe_lower(&t->a, &t->d, m, ".");
	assert_non_null(g);
	struct pass_options o = { .opt_level = opt, .target = target_lookup(NULL, cpu, NULL) };
	bool stopped;
	assert_true(pass_run_pipeline(g, &t->d, &o, &stopped));
	assert_int_equal(t->d.errors, 0);
	return g;
}

static bool any_tiled(const struct ir_graph *g)
{
	for (uint32_t i = 0; i < g->nnodes; i++) {
		const struct ir_node *n = &g->nodes[i];
		if ((n->op == IR_CONV2D && n->attr.conv.tile.packed) ||
		    (n->op == IR_DENSE && n->attr.dense.tile.packed))
			return true;
	}
	return false;
}

static void emit(struct tc *t, struct ir_graph *g, const char *cpu, enum cg_emit what,
                 const char *path)
{
	struct plan *p = plan_build(g, &t->a);
	struct cg_options o = { .opt_level = 2, .name = "model", .reloc = CG_RELOC_PIC,
	                        .weights = CG_WEIGHTS_EMBED, .plan = p,
	                        .triple = "x86_64-unknown-linux-gnu", .cpu = cpu };
	FILE *f = fopen(path, "wb");
	assert_non_null(f);
	assert_true(cg_emit(g, &o, what, f, &t->d));
	assert_int_equal(fclose(f), 0);
	if (what != CG_EMIT_OBJ)
		return;
	char hpath[128];
	snprintf(hpath, sizeof hpath, "%s/model.h", t->dir);
	f = fopen(hpath, "w");
	assert_non_null(f);
	struct hdr_options ho = { .name = "model" };
	assert_true(hdr_emit(g, p, &ho, f));
	assert_int_equal(fclose(f), 0);
}

/* Compiles src at -O2 for cpu, runs it and the interpreter (-O0 IR). */
static void check_model(const char *src, const char *cpu)
{
	struct tc t;
	memset(&t, 0, sizeof t);
	diag_init(&t.d, stderr);
	strcpy(t.dir, "/tmp/dlc_tiled_XXXXXX");
	assert_non_null(mkdtemp(t.dir));
	struct ir_graph *ref = build(&t, src, 0, cpu), *opt = build(&t, src, 2, cpu);
	assert_true(any_tiled(opt));
	char path[128], args[1024] = "";
	snprintf(path, sizeof path, "%s/model.o", t.dir);
	emit(&t, opt, cpu, CG_EMIT_OBJ, path);
	assert_int_equal(sh("cc %s -O1 -I%s -I%s %s %s/model.o %s -lm -lpthread -o %s/run", cflags(),
	                    t.dir, DLCRT_DIR, HARNESS_SRC, t.dir, DLCRT_LIB, t.dir), 0);
	const void *ins[MAXT];
	void *refs[MAXT];
	assert_true(ref->ninputs <= MAXT && ref->noutputs <= MAXT);
	for (uint32_t i = 0; i < ref->ninputs; i++) {
		const struct ir_type *it = &ref->vals[ref->inputs[i]].type;
		float *x = arena_array(&t.a, (size_t)ir_type_numel(it), sizeof *x);
		wrand_fill(x, ir_type_numel(it), 7 + i, "input", -2.0f, 2.0f);
		ins[i] = x;
		snprintf(path, sizeof path, "%s/in%u.bin", t.dir, i);
		write_file(path, x, (size_t)ir_type_bytes(it));
		snprintf(args + strlen(args), sizeof args - strlen(args), "%s ", path);
	}
	for (uint32_t i = 0; i < ref->noutputs; i++) {
		refs[i] = arena_alloc(&t.a, (size_t)ir_type_bytes(&ref->vals[ref->outputs[i]].type));
		snprintf(args + strlen(args), sizeof args - strlen(args), "%s/out%u.bin ", t.dir, i);
	}
	assert_int_equal(sh("%s/run --selftest %s", t.dir, args), 0);
	assert_true(interp_run(ref, &t.d, ins, refs, (int64_t)1 << 30));
	for (uint32_t i = 0; i < ref->noutputs; i++) {
		const struct ir_type *ot = &ref->vals[ref->outputs[i]].type;
		float *o = arena_alloc(&t.a, (size_t)ir_type_bytes(ot));
		snprintf(path, sizeof path, "%s/out%u.bin", t.dir, i);
		assert_int_equal(read_file(path, o, (size_t)ir_type_bytes(ot)),
		                 (size_t)ir_type_bytes(ot));
		const float *r = refs[i];
		for (int64_t k = 0; k < ir_type_numel(ot); k++)
			if (!(fabsf(o[k] - r[k]) <= 1e-5f + 1e-4f * fabsf(r[k])))
				fail_msg("%s: output %u element %ld: got %.9g, interpreter %.9g",
				         cpu ? cpu : "baseline", i, (long)k, (double)o[k], (double)r[k]);
	}
	assert_int_equal(sh("rm -rf %s", t.dir), 0);
	diag_free(&t.d);
	arena_free(&t.a);
}

/* ---- models ---- */

/* 19 channels in, 21/16/13/35 out; 7x7 spatial; 1x1 (plain GEMM), 7x7
 * stride 2, dilation 2; batch 2; every fused activation; dense tails. */
static const char awkward[] =
	"model t\n"
	"input x: f32[2, 7, 7, 19]\n"
	"weights random(seed=3)\n"
	"conv2d(21, 3, padding=same, activation=relu)\n"
	"conv2d(16, 1, activation=sigmoid)\n"
	"conv2d(13, 7, stride=2, padding=3, activation=tanh)\n"
	"conv2d(35, 3, dilation=2, padding=2)\n"
	"relu6()\n"
	"flatten()\n"
	"dense(17, activation=relu)\n"
	"dense(12)\n";

/* Fused residuals (conv + add + relu), spatial size 1, stride 2 1x1. */
static const char residual[] =
	"model t\n"
	"input x: f32[1, 8, 8, 24]\n"
	"input y: f32[1, 1, 1, 40]\n"
	"weights random(seed=5)\n"
	"a = conv2d(24, 3, padding=same, activation=relu)(x)\n"
	"b = conv2d(24, 3, padding=same)\n"
	"s = add()(b, x)\n"
	"r = relu()\n"
	"p = conv2d(33, 1, stride=2)(r)\n"
	"q = conv2d(24, 3, padding=same, activation=relu)(y)\n"
	"output r, p, q\n";

/* K = 1152 is cut into several chunks; 40 channels leave a tail panel. */
static const char chunks[] =
	"model t\n"
	"input x: f32[1, 6, 6, 128]\n"
	"weights random(seed=7)\n"
	"conv2d(40, 3, padding=same, activation=relu)\n"
	"flatten()\n"
	"dense(70, activation=sigmoid)\n";

/* Dense layers at batch 3 (3-row blocks), K = 300 in chunks on AVX2. */
static const char mlp[] =
	"model t\n"
	"input x: f32[3, 300]\n"
	"weights random(seed=9)\n"
	"dense(129, activation=relu)\n"
	"dense(37, activation=tanh)\n"
	"dense(16)\n";

/* An NCHW model: the layout pass makes its convs NHWC, so they tile. */
static const char nchw[] =
	"model t\n"
	"input x: f32[1, 3, 10, 10] nchw\n"
	"weights random(seed=11)\n"
	"conv2d(20, 3, padding=1, activation=relu)\n"
	"conv2d(20, 3, stride=2, padding=1)\n"
	"global_avgpool()\n";

/* Small channel counts (1, 3, 6, 7, 9, 17): K runs by kernel rows, with
 * edge rows gathered; 5x5 and 7x7 stride 2 with padding, odd strides,
 * filters that are not a multiple of 8 or 16, a 7-wide input narrower
 * than the M block, and a dilated conv (taps) on few channels. */
static const char small_c[] =
	"model t\n"
	"input x: f32[1, 23, 19, 1]\n"
	"weights random(seed=13)\n"
	"conv2d(6, 5, padding=2, activation=tanh)\n"
	"conv2d(3, 3, stride=2, padding=1, activation=relu)\n"
	"conv2d(7, 7, stride=2, padding=3)\n"
	"conv2d(9, 3, padding=1, activation=sigmoid)\n"
	"conv2d(17, 5, padding=2)\n"
	"conv2d(21, 3, dilation=2, padding=2, activation=relu)\n"
	"flatten()\n"
	"dense(10)\n";

/* LeNet-5 and a ResNet stem: 5x5 valid on 6 channels, 7x7/2 on 3
 * channels with padding 3 (kernel rows of 21 floats), 3x3 on 3 channels,
 * batch 2 so that blocks cross images, a residual, and a 5x5 kernel
 * wider than its 2x2 input (padding 3: no kernel row is ever whole). */
static const char stems[] =
	"model t\n"
	"input x: f32[2, 20, 22, 3]\n"
	"input w: f32[1, 2, 2, 3]\n"
	"weights random(seed=15)\n"
	"a = conv2d(16, 7, stride=2, padding=3, activation=relu)(x)\n"
	"b = conv2d(6, 5, activation=tanh)(x)\n"
	"c = conv2d(16, 5, stride=[2, 1])(b)\n"
	"d = conv2d(32, 3, padding=same)(x)\n"
	"e = conv2d(32, 3, padding=same)(d)\n"
	"f = add()(e, d)\n"
	"r = relu()\n"
	"k = conv2d(8, 5, padding=3)(w)\n"
	"output a, c, r, k\n";

/* K in several chunks on every target (kc is 2048 floats on SSE, 4096 on
 * AVX2): a fused residual (added with the first chunk, while the output
 * may share its bytes) on dilated taps of 480 channels, a strided 1x1
 * conv cut inside its channels, and kernel rows of 255 floats; then 1x1
 * stride 2 on 24 channels and a 3x3 kernel on spatial size 1. */
static const char res_chunks[] =
	"model t\n"
	"input x: f32[1, 5, 5, 480]\n"
	"input y: f32[1, 7, 7, 4500]\n"
	"input z: f32[1, 6, 6, 17]\n"
	"input u: f32[1, 1, 1, 9]\n"
	"weights random(seed=17)\n"
	"a = conv2d(480, 3, dilation=2, padding=2)(x)\n"
	"s = add()(a, x)\n"
	"r = relu()\n"
	"p = conv2d(20, 1, stride=2, activation=relu)(y)\n"
	"k = conv2d(24, [17, 15], padding=same, activation=tanh)(z)\n"
	"p7 = conv2d(19, 1, stride=2, activation=relu)(k)\n"
	"q = conv2d(60, 3, padding=1)(u)\n"
	"output r, p, p7, q\n";

static const char *const models[] = { awkward, residual, chunks, mlp, nchw, small_c, stems,
	                               res_chunks };

static void on_cpu(const char *cpu)
{
	for (unsigned i = 0; i < sizeof models / sizeof models[0]; i++)
		check_model(models[i], cpu);
}

static void sse_baseline(void **state)
{
	(void)state;
	on_cpu(NULL);
}

static void avx2(void **state)
{
	(void)state;
	if (!__builtin_cpu_supports("avx2") || !__builtin_cpu_supports("fma"))
		skip();
	on_cpu("haswell");
}

/* Runs where the host has AVX-512; elsewhere checks the generated IR: 16
 * float vectors, FMA, masked tails and the function attributes. */
static void avx512(void **state)
{
	(void)state;
	if (__builtin_cpu_supports("avx512f")) {
		on_cpu("skylake-avx512");
		return;
	}
	struct tc t;
	memset(&t, 0, sizeof t);
	diag_init(&t.d, stderr);
	strcpy(t.dir, "/tmp/dlc_tiled_XXXXXX");
	assert_non_null(mkdtemp(t.dir));
	struct ir_graph *g = build(&t, awkward, 2, "skylake-avx512");
	char path[128];
	snprintf(path, sizeof path, "%s/model.ll", t.dir);
	emit(&t, g, "skylake-avx512", CG_EMIT_LLVM, path);
	static char text[1 << 22];
	FILE *f = fopen(path, "r");
	assert_non_null(f);
	size_t n = fread(text, 1, sizeof text - 1, f);
	fclose(f);
	text[n] = 0;
	assert_non_null(strstr(text, "<16 x float>"));
	assert_non_null(strstr(text, "@llvm.fma.v16f32"));
	assert_non_null(strstr(text, "@llvm.masked.store.v16f32"));
	assert_non_null(strstr(text, "\"prefer-vector-width\"=\"512\""));
	assert_int_equal(sh("rm -rf %s", t.dir), 0);
	diag_free(&t.d);
	arena_free(&t.a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(sse_baseline),
		cmocka_unit_test(avx2),
		cmocka_unit_test(avx512),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
