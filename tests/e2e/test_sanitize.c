/* test_sanitize.c - --sanitize=address catches a kernel that writes past
 * its tensor.
 *
 * The bug is injected without any switch in the compiler: the test plans
 * the graph (plan_build_guarded) while one intermediate's type is a little
 * smaller than it really is, then restores the type and generates code
 * with that plan. The plan's slot, and so the bytes the entry point leaves
 * unpoisoned, is the smaller size; the kernel writes the real size, which
 * is exactly a kernel overrunning its tensor. Each case is run twice,
 * linked with clang-19 -fsanitize=address and tests/e2e/san_harness.c:
 * planned correctly it runs clean; with the shrunk slot it must exit
 * non-zero with an AddressSanitizer report of a WRITE into poisoned
 * memory, from a generated kernel. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "backend.h"
#include "cheader.h"
#include "frontend.h"
#include "pass.h"
#include "plan.h"
#include "weights_random.h"
#include "e2e_util.h"

/* Residual convolutions, pooling and two dense layers; `a` (a conv
 * output read by the residual) and `h` (a dense output of 9 floats) are
 * the tensors made to overflow. */
static const char model_src[] =
	"model t\n"
	"input x: f32[1, 6, 6, 8]\n"
	"weights random(seed=5)\n"
	"a = conv2d(12, 3, padding=same, activation=relu)\n"
	"b = conv2d(12, 3, padding=same)\n"
	"s = add()(b, a)\n"
	"global_avgpool()\n"
	"flatten()\n"
	"h = dense(9, activation=relu)\n"
	"dense(4)\n";

struct tc {
	struct arena a;
	struct diag d;
	char dir[64];
};

static struct ir_graph *build(struct tc *t)
{
	uint32_t file = diag_add_source(&t->d, "t.dl", model_src, (uint32_t)strlen(model_src));
	struct ast_model *m = fe_parse(&t->a, &t->d, file);
	assert_non_null(m);
	struct ir_graph *g = fe_lower(&t->a, &t->d, m, ".");
	assert_non_null(g);
	struct pass_options o = { .opt_level = 2, .target = target_lookup(NULL, NULL, NULL) };
	bool stopped;
	assert_true(pass_run_pipeline(g, &t->d, &o, &stopped));
	assert_int_equal(t->d.errors, 0);
	return g;
}

/* The output of the node named `name` (after fusion, the first node whose
 * name starts with it: "a+relu"). */
static uint32_t node_value(const struct ir_graph *g, const char *name)
{
	size_t n = strlen(name);
	for (uint32_t i = 0; i < g->nnodes; i++) {
		const char *nm = g->nodes[i].name;
		if (nm && !strncmp(nm, name, n) && (nm[n] == 0 || nm[n] == '+'))
			return g->nodes[i].out;
	}
	fail_msg("no node '%s'", name);
	return IR_NONE;
}

static bool have_clang_asan(const char *dir)
{
	return sh("echo 'int main(void){return 0;}' > %s/probe.c && "
	          "clang-19 -fsanitize=address %s/probe.c -o %s/probe 2>/dev/null",
	          dir, dir, dir) == 0;
}

/* Compiles the model with --sanitize=address, value `shrink` (or none:
 * IR_NONE) planned `by` elements of its last dimension smaller, links and
 * runs it; returns the exit status, stderr in <dir>/err. */
static int run(struct tc *t, struct ir_graph *g, uint32_t shrink, int64_t by)
{
	struct ir_type *ty = shrink != IR_NONE ? &g->vals[shrink].type : NULL;
	if (ty)
		ty->dims[ty->rank - 1] -= by;
	struct plan *p = plan_build_guarded(g, &t->a);
	if (ty) {
		ty->dims[ty->rank - 1] += by;
		assert_int_equal(p->home[shrink], PLAN_HOME_SCRATCH);
	}
	struct cg_options o = { .opt_level = 2, .name = "model", .reloc = CG_RELOC_PIC,
	                        .weights = CG_WEIGHTS_EMBED, .plan = p,
	                        .sanitize = CG_SANITIZE_ADDRESS };
	char path[128];
	snprintf(path, sizeof path, "%s/model.o", t->dir);
	FILE *f = fopen(path, "wb");
	assert_non_null(f);
	assert_true(cg_emit(g, &o, CG_EMIT_OBJ, f, &t->d));
	assert_int_equal(fclose(f), 0);
	snprintf(path, sizeof path, "%s/model.h", t->dir);
	f = fopen(path, "w");
	assert_non_null(f);
	struct hdr_options ho = { .name = "model", .sanitizer = "address" };
	assert_true(hdr_emit(g, p, &ho, f));
	assert_int_equal(fclose(f), 0);
	/* the runtime from source: libdlcrt.a may be built with gcc's ASan */
	assert_int_equal(sh("clang-19 -fsanitize=address -g -O1 -I%s -I%s %s %s/model.o %s/dlcrt.c "
	                    "-lm -lpthread -o %s/run",
	                    t->dir, DLCRT_DIR, SAN_HARNESS_SRC, t->dir, DLCRT_DIR, t->dir),
	                 0);
	float x[6 * 6 * 8];
	wrand_fill(x, 6 * 6 * 8, 3, "x", -1.0f, 1.0f);
	snprintf(path, sizeof path, "%s/x.bin", t->dir);
	write_file(path, x, sizeof x);
	const char *sym = "/usr/lib/llvm-19/bin/llvm-symbolizer";
	return sh("ASAN_OPTIONS='detect_leaks=0 exitcode=66' %s%s %s/run %s/x.bin %s/y.bin "
	          "2>%s/err",
	          access(sym, X_OK) ? "" : "ASAN_SYMBOLIZER_PATH=", access(sym, X_OK) ? "" : sym,
	          t->dir, t->dir, t->dir, t->dir);
}

static char *read_err(struct tc *t)
{
	char path[128];
	snprintf(path, sizeof path, "%s/err", t->dir);
	char *buf = arena_alloc(&t->a, 1 << 16);
	read_file(path, buf, (1 << 16) - 1);
	return buf;
}

/* Shrinking value `name` by `by` elements: a clean run without, an ASan
 * report of a write from a generated kernel with. */
static void check_overrun(const char *name, int64_t by)
{
	struct tc t;
	memset(&t, 0, sizeof t);
	diag_init(&t.d, stderr);
	strcpy(t.dir, "/tmp/dlc_sanitize_XXXXXX");
	assert_non_null(mkdtemp(t.dir));
	if (!have_clang_asan(t.dir)) {
		sh("rm -rf %s", t.dir);
		skip();
	}
	struct ir_graph *g = build(&t);
	uint32_t v = node_value(g, name);
	int st = run(&t, g, IR_NONE, 0);
	char *err = read_err(&t);
	if (st != 0 || strstr(err, "AddressSanitizer"))
		fail_msg("the correctly planned model is not clean (status %d):\n%s", st, err);
	st = run(&t, g, v, by);
	err = read_err(&t);
	if (st == 0 || !strstr(err, "ERROR: AddressSanitizer: use-after-poison") ||
	    !strstr(err, "WRITE of size") || !strstr(err, "in model."))
		fail_msg("'%s' overrunning its slot was not reported (status %d):\n%s", name, st, err);
	assert_int_equal(sh("rm -rf %s", t.dir), 0);
	diag_free(&t.d);
	arena_free(&t.a);
}

/* One float past a dense layer's 9: the alignment padding after a slot is
 * poisoned too, not only the redzone. */
static void test_dense_one_past(void **state)
{
	(void)state;
	check_overrun("h", 1);
}

/* A tiled convolution writing 36 floats past its slot. */
static void test_conv_overrun(void **state)
{
	(void)state;
	check_overrun("a", 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_dense_one_past),
		cmocka_unit_test(test_conv_overrun),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
