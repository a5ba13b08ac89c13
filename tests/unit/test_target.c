/* test_target.c - choosing a target description from LLVM-style names. */
#include "harness.h"

#include "target.h"

static void picks_by_cpu_triple_and_features(void **state)
{
	(void)state;
	assert_string_equal(target_lookup(NULL, NULL, NULL)->name, "x86-64-sse");
	assert_string_equal(target_lookup(NULL, "x86-64", NULL)->name, "x86-64-sse");
	assert_string_equal(target_lookup(NULL, "sapphirerapids", NULL)->name, "x86-64-avx512");
	assert_string_equal(target_lookup(NULL, "haswell", NULL)->name, "x86-64-avx2");
	assert_string_equal(target_lookup(NULL, "x86-64", "+avx2,+fma")->name, "x86-64-avx2");
	assert_string_equal(target_lookup(NULL, "x86-64", "+avx512f")->name, "x86-64-avx512");
	assert_string_equal(target_lookup(NULL, "skylake-avx512", "-avx512f")->name, "x86-64-avx2");
	/* "+avx512fp16" is not "+avx512f" */
	assert_string_equal(target_lookup(NULL, "x86-64", "+avx512fp16")->name, "x86-64-sse");
	assert_string_equal(target_lookup("aarch64-unknown-linux-gnu", NULL, NULL)->name,
	                    "aarch64-neon");
	const struct target_desc *t = target_lookup(NULL, "znver4", NULL);
	assert_int_equal(t->vec_floats, 16);
	assert_int_equal(t->vec_regs, 32);
	assert_true(t->fma);
	assert_int_equal(target_lookup(NULL, NULL, NULL)->vec_regs, 16);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(picks_by_cpu_triple_and_features),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
