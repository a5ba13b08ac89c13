/* test_vmath.c - the error of the back end's vectorized tanh, sigmoid, exp
 * and erf (backend/vmath.c) against libm in double precision, over every
 * x = -20 + k * 1e-4 (tanh, sigmoid) and x = -87 + k * 1e-4 up to 88 (exp),
 * plus special values (vmath_driver.c does the sweeps).
 * The module is compiled by cg_emit_vmath for the portable x86-64 baseline
 * (SSE2, no FMA, 4 lanes) and for the host CPU (FMA, 8 or 16 lanes), linked
 * with the driver and run. The bounds asserted here are the measured
 * maxima rounded up; docs/ir.md "Math approximations" quotes them. */
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
#include "e2e_util.h"

struct figures {
	double tanh_abs, tanh_rel, sig_abs, sig_rel, exp_rel, erf_abs, erf_rel;
};

/* Compiles the math for cpu, runs the driver, reads its figures. */
static struct figures measure(const char *cpu)
{
	char dir[64] = "/tmp/dlc_vm_XXXXXX", path[128];
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof path, "%s/vm.o", dir);
	FILE *f = fopen(path, "wb");
	assert_non_null(f);
	struct diag d;
	diag_init(&d, stderr);
	struct cg_options o = { .opt_level = 2, .name = "vm", .cpu = cpu, .reloc = CG_RELOC_PIC };
	assert_true(cg_emit_vmath(&o, CG_EMIT_OBJ, f, &d));
	diag_free(&d);
	assert_int_equal(fclose(f), 0);
	const char *fl = getenv("DLC_E2E_CFLAGS");
	assert_int_equal(sh("cc %s -O1 %s %s/vm.o -lm -o %s/drv && %s/drv > %s/out.txt", fl ? fl : "",
	                    VMATH_DRIVER, dir, dir, dir, dir),
	                 0);
	char text[256] = { 0 };
	snprintf(path, sizeof path, "%s/out.txt", dir);
	f = fopen(path, "r");
	assert_non_null(f);
	assert_true(fread(text, 1, sizeof text - 1, f) > 0);
	fclose(f);
	struct figures r;
	assert_int_equal(sscanf(text, "tanh %lf %lf sigmoid %lf %lf exp %lf erf %lf %lf",
	                        &r.tanh_abs, &r.tanh_rel, &r.sig_abs, &r.sig_rel, &r.exp_rel,
	                        &r.erf_abs, &r.erf_rel),
	                 7);
	print_message("vmath (%s): tanh max abs %.3g rel %.3g; sigmoid max abs %.3g rel %.3g; "
	              "exp max rel %.3g; erf max abs %.3g rel %.3g\n",
	              cpu ? cpu : "x86-64", r.tanh_abs, r.tanh_rel, r.sig_abs, r.sig_rel, r.exp_rel,
	              r.erf_abs, r.erf_rel);
	assert_int_equal(sh("rm -rf %s", dir), 0);
	return r;
}

/* Measured on AMD EPYC (AVX2 + FMA, 8 lanes) and the x86-64 baseline (no
 * FMA, 4 lanes): tanh max abs 8.90e-8 (at x = -4.5057; 9.13e-8 at -1.187
 * baseline), max rel 1.43e-7 (at -0.6463, just above the polynomial's
 * range); sigmoid max abs 8.86e-8 (at 8.6538), max rel 1.71e-7 (at
 * -9.703; 1.92e-7 at -15.54 baseline); exp max rel 8.79e-8 (at -48.87;
 * 1.08e-7 at 59.96 baseline) over [-87, 88]; erf max abs 1.79e-7 (at
 * -1.4329), max rel 1.92e-7 baseline, 2.08e-7 with FMA (at -1.001, just
 * past the Taylor branch). Float's own rounding is 6e-8 near 1. */
static void check_bounds(const struct figures *r)
{
	assert_true(r->tanh_abs < 1.0e-7);
	assert_true(r->tanh_rel < 1.5e-7);
	assert_true(r->sig_abs < 1.0e-7);
	assert_true(r->sig_rel < 2.0e-7);
	assert_true(r->exp_rel < 1.15e-7);
	assert_true(r->erf_abs < 2.0e-7);
	assert_true(r->erf_rel < 2.3e-7);
}

static void test_baseline(void **state)
{
	(void)state;
	struct figures r = measure(NULL);
	check_bounds(&r);
}

static void test_native(void **state)
{
	(void)state;
	struct figures r = measure("native");
	check_bounds(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_baseline),
		cmocka_unit_test(test_native),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
