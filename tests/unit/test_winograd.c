/* test_winograd.c - the winograd pass (passes/pass_winograd.c).
 *
 * transforms: every float of the transformed filters against G g G^T
 * worked out here, in the panel layout of docs/ir.md "Winograd weights"
 * (zero padding of the last panel included), the tile it records, the new
 * constant's name, size and alignment, and the old constant dropped.
 * identity: with those filters and this file's B^T and A^T, one 4x4 input
 * patch gives the direct 3x3 correlation's 2x2 outputs, which checks G.
 * declines: layers and targets the pass must leave alone, and the
 * pipeline skipping it for the interpreter. (That generated code runs the
 * layout correctly is tested end to end in tests/e2e/test_winograd.c.) */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <math.h>

#include "harness.h"
#include "frontend.h"
#include "pass.h"

struct fx {
	struct arena a;
	struct capture cap;
	struct ir_graph *g;
};

/* Lowers src and runs the pipeline at opt for cpu (NULL: baseline). */
static struct ir_graph *setup_model(struct fx *f, const char *src, int opt, const char *cpu,
                                    bool for_interpreter)
{
	memset(f, 0, sizeof *f);
	capture_begin(&f->cap);
	uint32_t file = diag_add_source(&f->cap.d, "t.dl", src, (uint32_t)strlen(src));
	struct ast_model *m = fe_parse(&f->a, &f->cap.d, file);
	f->g = fe_lower(&f->a, &f->cap.d, m, ".");
	assert_non_null(f->g);
	struct pass_options o = { .opt_level = opt, .target = target_lookup(NULL, cpu, NULL),
		                  .for_interpreter = for_interpreter };
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

static struct ir_node *node_named(struct ir_graph *g, const char *name)
{
	for (uint32_t i = 0; i < g->nnodes; i++)
		if (!strcmp(g->nodes[i].name, name))
			return &g->nodes[i];
	fail_msg("no node '%s'", name);
	return NULL;
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

static const char model[] = "model t\n"
                            "input x: f32[1, 6, 6, 16]\n"
                            "weights random(seed=4)\n"
                            "conv1 = conv2d(20, 3, padding=same)\n";

/* C = 16, K = 20 on AVX2: vec 8, nr 16: panels of 16 and 8 (4 columns +
 * 4 of zeros), S = (16 + 8) * 16 floats per element. */
enum { C = 16, K = 20, S = (16 + 8) * 16 };

static const double gmat[4][3] = { { 1, 0, 0 }, { 0.5, 0.5, 0.5 }, { 0.5, -0.5, 0.5 }, { 0, 0, 1 } };

/* (G g G^T)[a][b] of the 3x3 filter f, in double. */
static double u_ref(const float *f, int a, int b)
{
	double s = 0;
	for (int i = 0; i < 3; i++)
		for (int j = 0; j < 3; j++)
			s += gmat[a][i] * f[i * 3 + j] * gmat[b][j];
	return s;
}

/* Float index of U[e][c][k] (docs/ir.md "Winograd weights"). */
static int64_t u_index(int e, int64_t c, int64_t k)
{
	int64_t width = k < 16 ? 16 : 8;
	return e * S + (k / 16) * 16 * C + c * width + k % 16;
}

static void transforms(void **state)
{
	(void)state;
	struct fx ref, f;
	const float *w = const_data(setup_model(&ref, model, 0, "haswell", false), "conv1.weight");
	struct ir_graph *g = setup_model(&f, model, 2, "haswell", false);
	const struct ir_tile *t = &node_named(g, "conv1")->attr.conv.tile;
	assert_int_equal(t->winograd, 2);
	assert_true(t->packed);
	assert_int_equal(t->vec, 8);
	assert_int_equal(t->mr, 6);
	assert_int_equal(t->nr, 16);
	assert_int_equal(t->mc, 12); /* 9 tiles: two register blocks */
	assert_int_equal(t->kc, C);
	assert_int_equal(t->nc, 24);
	const struct ir_value *u = &g->vals[node_named(g, "conv1")->param[0]];
	assert_string_equal(u->name, "conv1.weight:winograd");
	assert_null(const_named(g, "conv1.weight"));
	assert_int_equal(u->type.rank, 1);
	assert_int_equal(u->type.dims[0], 16 * S);
	const float *p = u->data;
	assert_int_equal((uintptr_t)p % 64, 0);
	for (int e = 0; e < 16; e++)
		for (int64_t c = 0; c < C; c++) {
			for (int64_t k = 0; k < K; k++) {
				double want = u_ref(w + (k * C + c) * 9, e / 4, e % 4);
				float got = p[u_index(e, c, k)];
				if (!(fabs(got - want) <= 1e-6 * (1 + fabs(want))))
					fail_msg("U[%d][%ld][%ld] = %.9g, want %.9g", e, (long)c, (long)k,
					         (double)got, want);
			}
			for (int64_t k = K; k < 24; k++)
				assert_true(p[u_index(e, c, k)] == 0.0f);
		}
	teardown_model(&f);
	teardown_model(&ref);
}

/* A^T [U . (B^T d B)] A equals the direct correlation of the 4x4 patch d
 * with the filter for every (k, c) of the layer. */
static void identity(void **state)
{
	(void)state;
	static const double bt[4][4] = { { 1, 0, -1, 0 }, { 0, 1, 1, 0 }, { 0, -1, 1, 0 },
		                         { 0, 1, 0, -1 } };
	static const double at[2][4] = { { 1, 1, 1, 0 }, { 0, 1, -1, -1 } };
	struct fx ref, f;
	const float *w = const_data(setup_model(&ref, model, 0, "haswell", false), "conv1.weight");
	struct ir_graph *g = setup_model(&f, model, 2, "haswell", false);
	const float *p = g->vals[node_named(g, "conv1")->param[0]].data;
	double d[4][4], v[4][4], tmp[4][4];
	for (int i = 0; i < 16; i++)
		d[i / 4][i % 4] = sin(1.0 + i * 0.7) * 2;
	for (int i = 0; i < 4; i++)
		for (int j = 0; j < 4; j++) {
			tmp[i][j] = 0;
			for (int a = 0; a < 4; a++)
				tmp[i][j] += bt[i][a] * d[a][j];
		}
	for (int i = 0; i < 4; i++)
		for (int j = 0; j < 4; j++) {
			v[i][j] = 0;
			for (int b = 0; b < 4; b++)
				v[i][j] += tmp[i][b] * bt[j][b];
		}
	for (int64_t k = 0; k < K; k++)
		for (int64_t c = 0; c < C; c++) {
			const float *fl = w + (k * C + c) * 9;
			for (int y = 0; y < 2; y++)
				for (int x = 0; x < 2; x++) {
					double direct = 0, wino = 0;
					for (int i = 0; i < 3; i++)
						for (int j = 0; j < 3; j++)
							direct += d[y + i][x + j] * fl[i * 3 + j];
					for (int a = 0; a < 4; a++)
						for (int b = 0; b < 4; b++)
							wino += at[y][a] * p[u_index(a * 4 + b, c, k)] * v[a][b] *
							        at[x][b];
					if (!(fabs(wino - direct) <= 1e-5))
						fail_msg("k %ld c %ld out (%d, %d): winograd %.9g, direct %.9g",
						         (long)k, (long)c, y, x, wino, direct);
				}
		}
	teardown_model(&f);
	teardown_model(&ref);
}

/* Layers and settings where the pass must not fire. */
static void declines(void **state)
{
	(void)state;
	static const char other[] = "model t\n"
	                            "input x: f32[1, 9, 9, 15]\n"
	                            "weights random(seed=5)\n"
	                            "few = conv2d(32, 3, padding=same)\n"
	                            "strided = conv2d(32, 3, stride=2, padding=same)\n"
	                            "wide = conv2d(32, 5, padding=same)\n"
	                            "dilated = conv2d(16, 3, dilation=2, padding=same)\n"
	                            "small = conv2d(16, 3)\n"
	                            "grouped = conv2d(16, 3, groups=4)\n";
	struct fx f;
	struct ir_graph *g = setup_model(&f, other, 2, "haswell", false);
	static const char *const names[] = { "few", "strided", "wide", "dilated", "small", "grouped" };
	for (unsigned i = 0; i < sizeof names / sizeof names[0]; i++)
		if (node_named(g, names[i])->attr.conv.tile.winograd)
			fail_msg("layer '%s' took the winograd path", names[i]);
	teardown_model(&f);
	/* SSE (4 floats), the interpreter's pipeline, -O0 */
	const char *cpus[3] = { NULL, "haswell", "haswell" };
	const bool interp[3] = { false, true, false };
	const int opt[3] = { 2, 2, 0 };
	for (int i = 0; i < 3; i++) {
		g = setup_model(&f, model, opt[i], cpus[i], interp[i]);
		const struct ir_node *n = node_named(g, "conv1");
		assert_int_equal(n->attr.conv.tile.winograd, 0);
		assert_null(strstr(g->vals[n->param[0]].name, "winograd"));
		teardown_model(&f);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(transforms),
		cmocka_unit_test(identity),
		cmocka_unit_test(declines),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
