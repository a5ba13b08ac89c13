/* layer_check.h - the compile, run and compare loop shared by the kernel
 * tests (test_tiled.c, test_winograd.c, test_dwconv.c).
 *
 * A model written in the .dl language with random weights is run by the
 * interpreter after the -O0 pipeline; a second copy goes through the -O2
 * pipeline for a target (NULL: the baseline), is compiled for that CPU,
 * linked with the generic harness (HARNESS_SRC, DLCRT_DIR, DLCRT_LIB from
 * the build) and run on the same random inputs in [-2, 2]; every output
 * element must agree within abs 1e-5 + rel 1e-4. A test also says how many
 * layers of the optimized graph must have reached its kernel, so a pass
 * that stops firing cannot leave the test passing on the plain loops.
 * Include after <cmocka.h> and e2e_util.h. */
#ifndef DLC_LAYER_CHECK_H
#define DLC_LAYER_CHECK_H

#include <math.h>
#include <string.h>

#include "backend.h"
#include "cheader.h"
#include "frontend.h"
#include "interp.h"
#include "pass.h"
#include "plan.h"
#include "weights_random.h"

#define LC_MAXT 8 /* inputs and outputs of a test model */

struct lc {
	struct arena a;
	struct diag d;
	char dir[64];
};

/* Layers of g that reached the kernel under test. */
typedef int lc_count_fn(const struct ir_graph *g);

/* Parses src and runs the pipeline at `opt` for cpu (NULL: baseline). */
static inline struct ir_graph *lc_build(struct lc *t, const char *src, int opt, const char *cpu)
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

/* Writes g for cpu in form `what` to path; with an object, model.h next
 * to it in t->dir. */
static inline void lc_emit(struct lc *t, struct ir_graph *g, const char *cpu, enum cg_emit what,
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

static inline void lc_open(struct lc *t)
{
	memset(t, 0, sizeof *t);
	diag_init(&t->d, stderr);
	strcpy(t->dir, "/tmp/dlc_layer_XXXXXX");
	assert_non_null(mkdtemp(t->dir));
}

static inline void lc_close(struct lc *t)
{
	assert_int_equal(sh("rm -rf %s", t->dir), 0);
	diag_free(&t->d);
	arena_free(&t->a);
}

/* Compares output i of the program with the interpreter's r. */
static inline void lc_compare(struct lc *t, const struct ir_type *ot, const float *r, unsigned i,
                              const char *cpu)
{
	char path[128];
	float *o = arena_alloc(&t->a, (size_t)ir_type_bytes(ot));
	snprintf(path, sizeof path, "%s/out%u.bin", t->dir, i);
	assert_int_equal(read_file(path, o, (size_t)ir_type_bytes(ot)), (size_t)ir_type_bytes(ot));
	for (int64_t k = 0; k < ir_type_numel(ot); k++)
		if (!(fabsf(o[k] - r[k]) <= 1e-5f + 1e-4f * fabsf(r[k])))
			fail_msg("%s: output %u element %ld: got %.9g, interpreter %.9g",
			         cpu ? cpu : "baseline", i, (long)k, (double)o[k], (double)r[k]);
}

/* Compiles src at -O2 for cpu, requires count(optimized graph) == expect,
 * runs the program (with the harness self-test) and the interpreter on the
 * -O0 graph, and compares every output. */
static inline void lc_check_model(const char *src, const char *cpu, lc_count_fn *count,
                                  int expect)
{
	struct lc t;
	lc_open(&t);
	struct ir_graph *ref = lc_build(&t, src, 0, cpu), *opt = lc_build(&t, src, 2, cpu);
	assert_int_equal(count(opt), expect);
	char path[128], args[2048] = "";
	snprintf(path, sizeof path, "%s/model.o", t.dir);
	lc_emit(&t, opt, cpu, CG_EMIT_OBJ, path);
	assert_int_equal(sh("cc %s -O1 -I%s -I%s %s %s/model.o %s -lm -lpthread -o %s/run", cflags(),
	                    t.dir, DLCRT_DIR, HARNESS_SRC, t.dir, DLCRT_LIB, t.dir), 0);
	const void *ins[LC_MAXT];
	void *refs[LC_MAXT];
	assert_true(ref->ninputs <= LC_MAXT && ref->noutputs <= LC_MAXT);
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
	for (uint32_t i = 0; i < ref->noutputs; i++)
		lc_compare(&t, &ref->vals[ref->outputs[i]].type, refs[i], i, cpu);
	lc_close(&t);
}

#endif
