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

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "e2e_util.h"
#include "layer_check.h"

/* 1 when some conv2d/dense of g was tiled and packed. */
static int any_tiled(const struct ir_graph *g)
{
	for (uint32_t i = 0; i < g->nnodes; i++) {
		const struct ir_node *n = &g->nodes[i];
		if ((n->op == IR_CONV2D && n->attr.conv.tile.packed) ||
		    (n->op == IR_DENSE && n->attr.dense.tile.packed))
			return 1;
	}
	return 0;
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
		lc_check_model(models[i], cpu, any_tiled, 1);
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
	struct lc t;
	lc_open(&t);
	struct ir_graph *g = lc_build(&t, awkward, 2, "skylake-avx512");
	char path[128];
	snprintf(path, sizeof path, "%s/model.ll", t.dir);
	lc_emit(&t, g, "skylake-avx512", CG_EMIT_LLVM, path);
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
	lc_close(&t);
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
