/* test_winograd.c - Winograd F(m x m, 3 x 3) convs (compiler/pass_winograd.c,
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
	struct pass_options o = { .opt_level = opt, .target = target_lookup(NULL, cpu, NULL),
	                          .for_interpreter = opt == 0 };
	bool stopped;
	assert_true(pass_run_pipeline(g, &t->d, &o, &stopped));
	assert_int_equal(t->d.errors, 0);
	return g;
}

/* Number of conv2d layers the winograd pass took. */
static int winograd_layers(const struct ir_graph *g)
{
	int k = 0;
	for (uint32_t i = 0; i < g->nnodes; i++)
		k += g->nodes[i].op == IR_CONV2D && g->nodes[i].attr.conv.tile.winograd;
	return k;
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
static void check_model(const char *src, const char *cpu, int expect)
{
	struct tc t;
	memset(&t, 0, sizeof t);
	diag_init(&t.d, stderr);
	strcpy(t.dir, "/tmp/dlc_wino_XXXXXX");
	assert_non_null(mkdtemp(t.dir));
	struct ir_graph *ref = build(&t, src, 0, cpu), *opt = build(&t, src, 2, cpu);
	assert_int_equal(winograd_layers(opt), expect);
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
		check_model(models[i].src, NULL, 0);
}

static void avx2(void **state)
{
	(void)state;
	if (!__builtin_cpu_supports("avx2") || !__builtin_cpu_supports("fma"))
		skip();
	for (unsigned i = 0; i < sizeof models / sizeof models[0]; i++)
		check_model(models[i].src, "haswell", models[i].layers);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(sse_baseline),
		cmocka_unit_test(avx2),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
