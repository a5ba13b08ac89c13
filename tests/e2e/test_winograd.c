/* test_winograd.c - Winograd F(m x m, 3 x 3) convs (passes/pass_winograd.c,
 * backend/lower_winograd.c) against the reference interpreter.
 *
 * As in test_tiled.c: each model is written in the .dl language with
 * random weights; the interpreter runs it after the -O0 pipeline, a second
 * copy goes through the -O2 pipeline for a target, is compiled, linked
 * with the generic harness and run on the same random inputs in [-2, 2];
 * outputs must agree within abs 1e-5 + rel 1e-4. The models cover channel
 * counts 16, 17, 31 and 64 (vector tails in the transforms and the GEMM
 * panels), spatial sizes 4 to 14 and 56 (tiles sticking out at the right and
 * bottom, several tile blocks, batch 2), padding same and valid, with and
 * without bias, relu, clip and no activation, and fused residuals. Each
 * model states how many of its layers must take the Winograd path, so the
 * test fails if the pass stops firing. On the SSE baseline no layer does:
 * its outputs are checked all the same. */
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

/* Number of conv2d layers the winograd pass took. */
static int winograd_layers(const struct ir_graph *g)
{
	int k = 0;
	for (uint32_t i = 0; i < g->nnodes; i++)
		k += g->nodes[i].op == IR_CONV2D && g->nodes[i].attr.conv.tile.winograd;
	return k;
}

/* ---- models ---- */

/* 16 -> 16 -> 17 -> 31 channels at 8x8 (whole tiles) and 7x7 (tiles
 * sticking out), same padding, relu, no activation and clip. */
static const char small[] =
	"model t\n"
	"input x: f32[1, 8, 8, 16]\n"
	"weights random(seed=3)\n"
	"conv2d(16, 3, padding=same, activation=relu)\n"
	"conv2d(17, 3, padding=same)\n"
	"conv2d(31, 3, padding=same)\n"
	"relu6()\n";

/* Odd sizes: 13x13, 17 and 31 channels, valid padding (11x11 out), no
 * bias, then 5x5 and 4x4 spatial. */
static const char odd[] =
	"model t\n"
	"input x: f32[1, 13, 13, 17]\n"
	"weights random(seed=5)\n"
	"conv2d(31, 3, bias=false)\n"
	"conv2d(17, 3, bias=false, activation=relu)\n"
	"conv2d(64, 3, padding=same)\n"
	"conv2d(16, 3)\n"
	"conv2d(31, 3, padding=same, activation=relu)\n";

/* Fused residuals (conv + add + relu) at 14x14, 64 channels, batch 2. */
static const char residual[] =
	"model t\n"
	"input x: f32[2, 14, 14, 64]\n"
	"weights random(seed=7)\n"
	"a = conv2d(64, 3, padding=same, activation=relu)(x)\n"
	"b = conv2d(64, 3, padding=same)\n"
	"s = add()(b, x)\n"
	"r = relu()\n"
	"c = conv2d(64, 3, padding=same)\n"
	"d = add()(c, r)\n";

/* 56x56 with few channels: many tile blocks, a last block part full. */
static const char large[] =
	"model t\n"
	"input x: f32[1, 56, 56, 16]\n"
	"weights random(seed=9)\n"
	"conv2d(17, 3, padding=same, activation=relu)\n"
	"conv2d(16, 3, padding=1)\n";

/* The smallest sizes: 4x4 (valid from 6x6) and 5x5. */
static const char tiny[] =
	"model t\n"
	"input x: f32[1, 6, 6, 32]\n"
	"input y: f32[1, 5, 5, 17]\n"
	"weights random(seed=13)\n"
	"a = conv2d(16, 3)(x)\n"
	"b = conv2d(20, 3, padding=same, activation=relu)\n"
	"c = conv2d(31, 3, padding=same)(y)\n"
	"output b, c\n";

/* Stays direct: 15 channels, stride 2, 1x1, spatial 3. */
static const char direct[] =
	"model t\n"
	"input x: f32[1, 9, 9, 15]\n"
	"weights random(seed=11)\n"
	"conv2d(32, 3, padding=same)\n"
	"conv2d(32, 3, stride=2, padding=same)\n"
	"conv2d(32, 1)\n"
	"conv2d(16, 3, padding=valid)\n";

struct model {
	const char *src;
	int layers; /* conv2d layers that take the Winograd path on AVX2 */
};

static const struct model models[] = {
	{ small, 3 }, { odd, 5 }, { residual, 3 }, { large, 2 }, { tiny, 3 },
	{ direct, 0 },
};

static void sse_baseline(void **state)
{
	(void)state;
	for (unsigned i = 0; i < sizeof models / sizeof models[0]; i++)
		lc_check_model(models[i].src, NULL, winograd_layers, 0);
}

static void avx2(void **state)
{
	(void)state;
	if (!__builtin_cpu_supports("avx2") || !__builtin_cpu_supports("fma"))
		skip();
	for (unsigned i = 0; i < sizeof models / sizeof models[0]; i++)
		lc_check_model(models[i].src, "haswell", winograd_layers, models[i].layers);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(sse_baseline),
		cmocka_unit_test(avx2),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
