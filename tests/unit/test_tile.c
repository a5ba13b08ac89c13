/* test_tile.c - the tile and pack passes on small models.
 *
 * tile: the exact register and cache blocks per target (AVX-512, AVX2,
 * SSE, NEON) for a few layer shapes, checked against the formulas of
 * pass_tile.c worked out by hand; layers that stay untiled (grouped,
 * depthwise, NCHW, tiny); K chunks in the units the kernel walks K
 * (elements, kernel rows, taps), also with a fused residual.
 * pack: every element of the packed weights against the original OIHW or
 * [out, in] tensor, zero padding of the last panel, the new constant's name
 * and alignment, and the old constant dropped. (That generated code reads
 * this layout correctly is tested end to end in tests/e2e/test_tiled.c.) */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "harness.h"
#include "frontend.h"
#include "pass.h"

struct fx {
	struct arena a;
	struct capture cap;
	struct ir_graph *g;
};

/* Lowers src and runs the -O0 pipeline. */
static struct ir_graph *setup_model(struct fx *f, const char *src)
{
	memset(f, 0, sizeof *f);
	capture_begin(&f->cap);
	uint32_t file = diag_add_source(&f->cap.d, "t.dl", src, (uint32_t)strlen(src));
	struct ast_model *m = fe_parse(&f->a, &f->cap.d, file);
	f->g = fe_lower(&f->a, &f->cap.d, m, ".");
	assert_non_null(f->g);
	struct pass_options o = { .opt_level = 0 };
	bool stopped;
	assert_true(pass_run_pipeline(f->g, &f->cap.d, &o, &stopped));
	assert_string_equal(capture_text(&f->cap), "");
	return f->g;
}

static void teardown_model(struct fx *f)
{
	capture_end(&f->cap);
	arena_free(&f->a);
}

static void apply(struct fx *f, const char *name, const char *cpu)
{
	const struct pass *p = pass_find(name);
	assert_non_null(p);
	struct arena scratch = { 0 };
	struct pass_options o = { .opt_level = 2, .target = target_lookup(NULL, cpu, NULL) };
	struct pass_ctx ctx = { f->g, &f->cap.d, &scratch, &o };
	assert_true(p->run(&ctx));
	arena_free(&scratch);
	assert_string_equal(capture_text(&f->cap), "");
	assert_int_equal(ir_verify(f->g, IR_STAGE_BOUND, stderr), 0);
}

static struct ir_node *node_named(struct ir_graph *g, const char *name)
{
	for (uint32_t i = 0; i < g->nnodes; i++)
		if (!strcmp(g->nodes[i].name, name))
			return &g->nodes[i];
	fail_msg("no node '%s'", name);
	return NULL;
}

static void assert_tile(const struct ir_tile *t, int vec, int mr, int nr, int mc, int nc, int kc)
{
	const int got[6] = { t->vec, t->mr, t->nr, t->mc, t->nc, t->kc };
	const int want[6] = { vec, mr, nr, mc, nc, kc };
	for (int i = 0; i < 6; i++)
		if (got[i] != want[i])
			fail_msg("tile {vec=%d mr=%d nr=%d mc=%d nc=%d kc=%d}, want {vec=%d mr=%d nr=%d "
			         "mc=%d nc=%d kc=%d}",
			         got[0], got[1], got[2], got[3], got[4], got[5], want[0], want[1], want[2],
			         want[3], want[4], want[5]);
	assert_false(t->packed);
}

static const char cnn[] = "model t\n"
                          "input x: f32[1, 32, 32, 3]\n"
                          "weights random(seed=1)\n"
                          "conv1 = conv2d(64, 3, padding=same)\n"
                          "conv2 = conv2d(32, 3, padding=same)\n"
                          "flatten()\n"
                          "fc = dense(10)\n";

/* conv1: M = 1024, N = 64, K = 27; conv2: M = 1024, N = 32, K = 576;
 * fc: M = 1, N = 10, K = 32768. E.g. AVX-512 (16 floats, 32 registers, 24
 * for accumulators, L1 48K, L2 2M, L3 32M), conv2: nr = min(2, 24/6) * 16 =
 * 32, mr = min(24/2, 16) = 12, kc = (2M / 4) / (4 * 32) = 4096 >= K: 576,
 * mc = 1M / (4 * 576) = 455 -> multiple of 12 = 444, nc = 16M / 2304
 * capped at 32. fc has one row: kc = 256 (KC_ONE_BLOCK). */
static void tiles_per_target(void **state)
{
	(void)state;
	static const struct {
		const char *cpu;
		int conv1[6], conv2[6], fc[6];
	} cases[] = {
		{ "skylake-avx512", { 16, 6, 64, 1026, 64, 27 }, { 16, 12, 32, 444, 32, 576 },
		  { 16, 1, 16, 1, 16, 256 } },
		{ "haswell", { 8, 6, 16, 1026, 64, 27 }, { 8, 6, 16, 222, 32, 576 },
		  { 8, 1, 16, 1, 16, 256 } },
		{ NULL, { 4, 6, 8, 1026, 64, 27 }, { 4, 6, 8, 54, 32, 576 }, { 4, 1, 12, 1, 12, 256 } },
	};
	for (unsigned i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct fx f;
		struct ir_graph *g = setup_model(&f, cnn);
		apply(&f, "tile", cases[i].cpu);
		const int *w = cases[i].conv1;
		assert_tile(&node_named(g, "conv1")->attr.conv.tile, w[0], w[1], w[2], w[3], w[4], w[5]);
		w = cases[i].conv2;
		assert_tile(&node_named(g, "conv2")->attr.conv.tile, w[0], w[1], w[2], w[3], w[4], w[5]);
		w = cases[i].fc;
		assert_tile(&node_named(g, "fc")->attr.dense.tile, w[0], w[1], w[2], w[3], w[4], w[5]);
		teardown_model(&f);
	}
}

static void neon_from_triple(void **state)
{
	(void)state;
	struct fx f;
	struct ir_graph *g = setup_model(&f, cnn);
	const struct pass *p = pass_find("tile");
	struct arena scratch = { 0 };
	struct pass_options o = { .opt_level = 2,
		                  .target = target_lookup("aarch64-linux-gnu", NULL, NULL) };
	struct pass_ctx ctx = { g, &f.cap.d, &scratch, &o };
	assert_true(p->run(&ctx));
	arena_free(&scratch);
	/* 4 floats, 32 registers (24 accumulators): 6 x 16 */
	const struct ir_tile *t = &node_named(g, "conv1")->attr.conv.tile;
	assert_int_equal(t->vec, 4);
	assert_int_equal(t->mr, 6);
	assert_int_equal(t->nr, 16);
	teardown_model(&f);
}

static void untiled_layers(void **state)
{
	(void)state;
	struct fx f;
	struct ir_graph *g = setup_model(&f, "model t\n"
	                                     "input x: f32[1, 8, 8, 4]\n"
	                                     "weights random(seed=1)\n"
	                                     "grouped = conv2d(8, 3, groups=2)\n"
	                                     "depthwise = conv2d(8, 3, groups=8)\n"
	                                     "multiplier = conv2d(16, 1, groups=8)\n");
	apply(&f, "tile", "skylake-avx512");
	/* a grouped conv is tiled per group: N = 4, K = 2 * 3 * 3 */
	const struct ir_tile *gt = &node_named(g, "grouped")->attr.conv.tile;
	assert_int_equal(gt->vec, 16);
	assert_int_equal(gt->nr, 16);
	assert_int_equal(gt->kc, 18);
	/* one input channel per group: the depthwise kernel or plain loops */
	assert_int_equal(node_named(g, "depthwise")->attr.conv.tile.vec, 0);
	assert_int_equal(node_named(g, "multiplier")->attr.conv.tile.vec, 0);
	teardown_model(&f);
	g = setup_model(&f, "model t\n"
	                    "input x: f32[1, 4, 8, 8] nchw\n"
	                    "weights random(seed=1)\n"
	                    "c = conv2d(8, 3)\n");
	apply(&f, "tile", "skylake-avx512");
	assert_int_equal(node_named(g, "c")->attr.conv.tile.vec, 0);
	teardown_model(&f);
	/* 2 x 32 x 64 = 4096 multiply-adds is the smallest tiled layer */
	g = setup_model(&f, "model t\n"
	                    "input x: f32[2, 32]\n"
	                    "weights random(seed=1)\n"
	                    "small = dense(63)\n"
	                    "big = dense(64)(x)\n"
	                    "output small, big\n");
	apply(&f, "tile", "skylake-avx512");
	assert_int_equal(node_named(g, "small")->attr.dense.tile.vec, 0);
	assert_int_equal(node_named(g, "big")->attr.dense.tile.vec, 16);
	teardown_model(&f);
}

/* K is chunked in the units lower_tiled.c walks it: on AVX-512 (nr = 64,
 * kc = (2M / 4) / (4 * 64) = 2048) a 9x9 conv on 28 channels (K = 2268)
 * by kernel rows of 252 floats (2016), a 1x1 stride-2 conv by elements
 * (2048), a 3x3 conv on 300 channels (rows of 900 floats are too long) by
 * taps (1800). A fused residual changes nothing: the first chunk adds it. */
static void k_chunks(void **state)
{
	(void)state;
	struct fx f;
	struct ir_graph *g = setup_model(&f, "model t\n"
	                                     "input x: f32[1, 8, 8, 28]\n"
	                                     "input y: f32[1, 8, 8, 2100]\n"
	                                     "input z: f32[1, 8, 8, 300]\n"
	                                     "input r: f32[1, 8, 8, 64]\n"
	                                     "weights random(seed=1)\n"
	                                     "rows = conv2d(64, 9, padding=same)(x)\n"
	                                     "point = conv2d(64, 1, stride=2)(y)\n"
	                                     "taps = conv2d(64, 3, padding=same)(z)\n"
	                                     "output rows, point, taps\n");
	apply(&f, "tile", "skylake-avx512");
	assert_int_equal(node_named(g, "rows")->attr.conv.tile.kc, 2016);
	assert_int_equal(node_named(g, "point")->attr.conv.tile.kc, 2048);
	assert_int_equal(node_named(g, "taps")->attr.conv.tile.kc, 1800);
	struct ir_node *n = node_named(g, "rows");
	uint32_t *in = arena_array(&f.a, 2, sizeof *in);
	in[0] = n->in[0];
	in[1] = g->inputs[3]; /* same shape as the output */
	n->in = in;
	n->nin = 2;
	apply(&f, "tile", "skylake-avx512");
	assert_int_equal(n->attr.conv.tile.kc, 2016);
	teardown_model(&f);
}

static const struct ir_value *const_named(const struct ir_graph *g, const char *name)
{
	for (uint32_t i = 0; i < g->nvals; i++)
		if (g->vals[i].kind == IR_VAL_CONST && g->vals[i].name && !strcmp(g->vals[i].name, name))
			return &g->vals[i];
	return NULL;
}

static const float *const_data(const struct ir_graph *g, const char *name)
{
	const struct ir_value *v = const_named(g, name);
	if (!v)
		fail_msg("no constant '%s'", name);
	return v ? v->data : NULL;
}

/* SSE: 4 floats, nr = 8. conv 19 filters: panels of 8, 8 and 4 (3 columns +
 * one of zeros); k = (kh * 3 + kw) * 5 + c. */
static void packs_conv_panels(void **state)
{
	(void)state;
	struct fx f;
	struct ir_graph *g = setup_model(&f, "model t\n"
	                                     "input x: f32[1, 6, 6, 5]\n"
	                                     "weights random(seed=4)\n"
	                                     "conv1 = conv2d(19, 3, padding=same)\n");
	const float *w = const_data(g, "conv1.weight");
	apply(&f, "tile", NULL);
	apply(&f, "pack", NULL);
	struct ir_node *n = node_named(g, "conv1");
	const struct ir_tile *t = &n->attr.conv.tile;
	assert_true(t->packed);
	assert_int_equal(t->nr, 8);
	const struct ir_value *pv = &g->vals[n->param[0]];
	assert_string_equal(pv->name, "conv1.weight:packed");
	assert_null(const_named(g, "conv1.weight"));
	const int64_t K = 45, N = 19;
	assert_int_equal(pv->type.rank, 1);
	assert_int_equal(pv->type.dims[0], 2 * 8 * K + 4 * K);
	const float *p = pv->data;
	assert_int_equal((uintptr_t)p % 64, 0);
	for (int64_t j = 0; j < 3; j++) {
		int64_t width = j < 2 ? 8 : 4;
		for (int64_t k = 0; k < K; k++)
			for (int64_t i = 0; i < width; i++) {
				int64_t o = j * 8 + i, tap = k / 5, ch = k % 5;
				float want = o < N ? w[((o * 5 + ch) * 3 + tap / 3) * 3 + tap % 3] : 0.0f;
				float got = p[j * 8 * K + k * width + i];
				if (got != want)
					fail_msg("panel %lld k %lld column %lld: got %g, want %g", (long long)j,
					         (long long)k, (long long)i, (double)got, (double)want);
			}
	}
	teardown_model(&f);
}

/* Dense 600 -> 10 at batch 1 on SSE: one panel 12 wide (3 vectors), the
 * last two columns zero. */
static void packs_dense_panel(void **state)
{
	(void)state;
	struct fx f;
	struct ir_graph *g = setup_model(&f, "model t\n"
	                                     "input x: f32[1, 600]\n"
	                                     "weights random(seed=4)\n"
	                                     "fc = dense(10)\n");
	const float *w = const_data(g, "fc.weight");
	apply(&f, "tile", NULL);
	apply(&f, "pack", NULL);
	struct ir_node *n = node_named(g, "fc");
	assert_int_equal(n->attr.dense.tile.nr, 12);
	const struct ir_value *pv = &g->vals[n->param[0]];
	assert_string_equal(pv->name, "fc.weight:packed");
	assert_int_equal(pv->type.dims[0], 12 * 600);
	const float *p = pv->data;
	for (int k = 0; k < 600; k++)
		for (int i = 0; i < 12; i++)
			assert_true(p[k * 12 + i] == (i < 10 ? w[i * 600 + k] : 0.0f));
	/* packing twice changes nothing */
	apply(&f, "pack", NULL);
	assert_ptr_equal(g->vals[n->param[0]].data, p);
	teardown_model(&f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(tiles_per_target),
		cmocka_unit_test(neon_from_triple),
		cmocka_unit_test(untiled_layers),
		cmocka_unit_test(k_chunks),
		cmocka_unit_test(packs_conv_panels),
		cmocka_unit_test(packs_dense_panel),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
