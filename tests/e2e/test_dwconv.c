/* test_dwconv.c - the lane-wise conv2d kernel (backend/lower_dwconv.c:
 * depthwise convs and groups narrower than a vector) and
 * the vectorized pools, softmax and elementwise ops (backend/lower_ops.c)
 * against the reference interpreter.
 *
 * As in test_tiled.c: each model is written in the .dl language with random
 * weights; the interpreter runs it after the -O0 pipeline, a second copy
 * goes through the -O2 pipeline for a target (layout, fusion, dwpack), is
 * compiled for that CPU, linked with the generic harness and run on the same
 * random inputs; outputs must agree within abs 1e-5 + rel 1e-4. Depthwise
 * layers cover channels 1, 3, 7, 8, 9, 17, 32 (tails of every vector width),
 * kernels 1, 3, 5, 7, stride 1 and 2, dilation 2, padding same, valid and
 * explicit asymmetric, spatial 1x1, 7x7 and 13x5 (images smaller than the
 * kernel), bias or none, activations none, relu, clip (relu6), sigmoid,
 * tanh, and fused residuals. Grouped layers have groups of 2, 4 and 8
 * channels (each below the vector width on some target: segment rotations
 * within a vector), a masked channel tail, stride 2, dilation, asymmetric
 * kernels and pads, a residual, and one group width (3) that no vector
 * width is a multiple of (the tiled kernel). The test also checks that
 * each target's lane-wise layers did reach the kernel (packed by
 * dwpack). Targets: the SSE baseline (4 lanes, no FMA), AVX2 (haswell, 8
 * lanes, FMA) and AVX-512 (skylake-avx512, 16 lanes) where the host has
 * them. */
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

/* Layers the dwpack pass handed to the lane-wise kernel. */
static int count_dw(const struct ir_graph *g)
{
	int k = 0;
	for (uint32_t i = 0; i < g->nnodes; i++) {
		const struct ir_node *n = &g->nodes[i];
		if (n->op == IR_CONV2D && n->kernel == IR_KERNEL_DEPTHWISE && n->attr.conv.tile.packed)
			k++;
	}
	return k;
}

/* ---- depthwise models ---- */

/* 32 channels (whole vectors), batch 2, 7x7: same padding with fused
 * relu6 (clip), stride 2 with relu, 1x1 depthwise (no padding). */
static const char dw_c32[] =
	"model t\n"
	"input x: f32[2, 7, 7, 32]\n"
	"weights random(seed=3)\n"
	"conv2d(32, 3, groups=32, padding=same)\n"
	"relu6()\n"
	"conv2d(32, 3, groups=32, stride=2, padding=same, activation=relu)\n"
	"conv2d(32, 1, groups=32)\n";

/* 17 channels (tails), 13x5: explicit asymmetric padding without bias,
 * 5x5; dilation 2 with sigmoid; 7x7 stride 2 (taller than the image is
 * wide) with tanh; stride 2 padded right only. */
static const char dw_c17[] =
	"model t\n"
	"input x: f32[1, 13, 5, 17]\n"
	"weights random(seed=5)\n"
	"conv2d(17, 5, groups=17, padding=[1, 2, 3, 0], bias=false)\n"
	"conv2d(17, 3, groups=17, dilation=2, padding=2, activation=sigmoid)\n"
	"conv2d(17, 7, groups=17, stride=2, padding=3, activation=tanh)\n"
	"conv2d(17, 3, groups=17, stride=2, padding=[0, 1, 0, 1])\n";

/* Spatial 1x1 with kernels 3 and 7 (only the centre tap is inside); 9
 * channels; dilation 2 with stride 2 on 13x5. */
static const char dw_small[] =
	"model t\n"
	"input x: f32[1, 1, 1, 9]\n"
	"input y: f32[1, 13, 5, 9]\n"
	"weights random(seed=7)\n"
	"a = conv2d(9, 3, groups=9, padding=same)(x)\n"
	"b = conv2d(9, 7, groups=9, padding=3, activation=relu)\n"
	"c = conv2d(9, 5, groups=9, stride=2, dilation=2, padding=[4, 1, 2, 3])(y)\n"
	"output b, c\n";

/* Fused residuals (conv + add + relu) with 8 and 7 channels; valid
 * padding with stride 2; 3 and 1
 * channels (a 1-channel depthwise conv is a plain conv, groups = 1, and
 * runs on the lane-wise kernel too). */
static const char dw_residual[] =
	"model t\n"
	"input x: f32[1, 13, 5, 8]\n"
	"input y: f32[1, 7, 7, 7]\n"
	"input z: f32[1, 13, 5, 3]\n"
	"input u: f32[1, 7, 7, 1]\n"
	"weights random(seed=9)\n"
	"a = conv2d(8, 3, groups=8, padding=same)(x)\n"
	"s = add()(a, x)\n"
	"r = relu()\n"
	"b = conv2d(7, 3, groups=7, stride=2, padding=valid)(y)\n"
	"c = conv2d(7, 5, groups=7, padding=same)(y)\n"
	"t = add()(c, y)\n"
	"d = conv2d(3, 5, groups=3, stride=2, padding=same, activation=relu)(z)\n"
	"e = conv2d(1, 3, padding=same)(u)\n"
	"output r, b, t, d, e\n";

/* ---- narrow groups ---- */

/* Groups of 2 (a, e: lane-wise on every target), 4 (b, s, d: on AVX2 and
 * AVX-512), 8 (c: AVX-512 only) and 3 (f: never, the tiled kernel). 12
 * channels leave a masked half vector on AVX2 and AVX-512; s takes the
 * fused residual. */
static const char grouped[] =
	"model t\n"
	"input x: f32[2, 9, 11, 24]\n"
	"input y: f32[1, 7, 5, 12]\n"
	"weights random(seed=11)\n"
	"a = conv2d(24, 3, groups=12, padding=same, activation=relu)(x)\n"
	"b = conv2d(24, 3, groups=6, stride=2, padding=1)(x)\n"
	"c = conv2d(24, [3, 5], groups=3, padding=[2, 1, 0, 3], dilation=[1, 2])(x)\n"
	"s = conv2d(24, 3, groups=6, padding=same)(x)\n"
	"t = add()(s, x)\n"
	"d = conv2d(12, 5, groups=3, padding=same, activation=sigmoid)(y)\n"
	"e = conv2d(12, 3, groups=6, stride=2, padding=valid, bias=false)(y)\n"
	"f = conv2d(12, 1, groups=4)(y)\n"
	"output a, b, c, t, d, e, f\n";

/* ---- pools, softmax, elementwise ---- */

static const char pools[] =
	"model t\n"
	"input x: f32[1, 13, 5, 17]\n"
	"input y: f32[2, 7, 7, 9]\n"
	"a = maxpool2d(3, stride=2, padding=1)(x)\n"
	"b = avgpool2d(3, stride=1, padding=1)(x)\n"
	"c = avgpool2d(2, stride=2, padding=[1, 1, 0, 0], count_include_pad=true)(y)\n"
	"d = maxpool2d(2)(y)\n"
	"e = global_avgpool()(x)\n"
	"f = global_avgpool()(y)\n"
	"output a, b, c, d, e, f\n";

/* Lengths 1, 7, 8, 9 and 1000 along the last axis, log_softmax, and an
 * axis that is not innermost (lanes over the inner positions). */
static const char softmaxes[] =
	"model t\n"
	"input a: f32[1, 1]\n"
	"input b: f32[2, 7]\n"
	"input c: f32[1, 8]\n"
	"input d: f32[3, 9]\n"
	"input e: f32[1, 1000]\n"
	"input f: f32[2, 9, 5]\n"
	"p = softmax()(a)\n"
	"q = softmax()(b)\n"
	"r = softmax()(c)\n"
	"s = softmax()(d)\n"
	"u = softmax()(e)\n"
	"v = log_softmax()(e)\n"
	"w = softmax(axis=1)(f)\n"
	"z = log_softmax(axis=1)(f)\n"
	"output p, q, r, s, u, v, w, z\n";

/* Standalone sigmoid, tanh, exp on 1003 elements (a tail for every
 * width) and a fused chain ending in exp. */
static const char eltwise[] =
	"model t\n"
	"input x: f32[1, 1003]\n"
	"a = sigmoid()(x)\n"
	"b = tanh()(x)\n"
	"c = exp()(x)\n"
	"d = leaky_relu(alpha=0.1)(x)\n"
	"e = exp()\n"
	"f = hard_swish()(x)\n"
	"g = tanh()\n"
	"output a, b, c, e, g\n";

enum { SSE, AVX2, AVX512 };

struct model {
	const char *src;
	int ndw[3]; /* layers on the lane-wise kernel, per target */
};

static const struct model models[] = {
	{ dw_c32, { 3, 3, 3 } },   { dw_c17, { 4, 4, 4 } },    { dw_small, { 3, 3, 3 } },
	{ dw_residual, { 5, 5, 5 } }, { grouped, { 2, 5, 6 } }, { pools, { 0 } },
	{ softmaxes, { 0 } },      { eltwise, { 0 } },
};

static void on_cpu(const char *cpu, int target)
{
	for (unsigned i = 0; i < sizeof models / sizeof models[0]; i++)
		lc_check_model(models[i].src, cpu, count_dw, models[i].ndw[target]);
}

static void sse_baseline(void **state)
{
	(void)state;
	on_cpu(NULL, SSE);
}

static void avx2(void **state)
{
	(void)state;
	if (!__builtin_cpu_supports("avx2") || !__builtin_cpu_supports("fma"))
		skip();
	on_cpu("haswell", AVX2);
}

static void avx512(void **state)
{
	(void)state;
	if (!__builtin_cpu_supports("avx512f"))
		skip();
	on_cpu("skylake-avx512", AVX512);
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
