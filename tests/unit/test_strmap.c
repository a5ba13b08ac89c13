/* test_strmap.c - the string map (compiler/strmap.c).
 *
 * Small cases pin the contract (get of an absent key, put refusing a key
 * already present, the empty string as a key); a large case puts enough
 * keys to make the table double many times and then checks every key
 * still maps to its value and look-alike keys stay absent. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "harness.h"
#include "strmap.h"

static void put_get_and_refuse(void **state)
{
	(void)state;
	struct arena a = { 0 };
	struct strmap m;
	strmap_init(&m, &a, 0);
	assert_int_equal(strmap_get(&m, "x"), STRMAP_NONE);
	assert_false(strmap_has(&m, "x"));
	assert_true(strmap_put(&m, "x", 7));
	assert_true(strmap_put(&m, "", 0));
	assert_false(strmap_put(&m, "x", 9));
	assert_int_equal(strmap_get(&m, "x"), 7);
	assert_true(strmap_has(&m, ""));
	assert_int_equal(strmap_get(&m, ""), 0);
	assert_false(strmap_has(&m, "xx"));
	/* keys are compared by content, not by pointer */
	char buf[] = "x";
	assert_int_equal(strmap_get(&m, buf), 7);
	assert_int_equal(m.n, 2);
	arena_free(&a);
}

static void grows_and_keeps_every_key(void **state)
{
	(void)state;
	enum { N = 20000 };
	struct arena a = { 0 };
	struct strmap m;
	strmap_init(&m, &a, 3);
	for (uint32_t i = 0; i < N; i++)
		assert_true(strmap_put(&m, arena_printf(&a, "k%u", i), i));
	assert_int_equal(m.n, N);
	assert_true(m.cap >= 2 * N && (m.cap & (m.cap - 1)) == 0);
	for (uint32_t i = 0; i < N; i++) {
		char key[32];
		snprintf(key, sizeof key, "k%u", i);
		assert_int_equal(strmap_get(&m, key), i);
		assert_false(strmap_put(&m, key, 0));
		snprintf(key, sizeof key, "k%u_", i);
		assert_false(strmap_has(&m, key));
	}
	arena_free(&a);
}

static void init_hint_avoids_growth(void **state)
{
	(void)state;
	struct arena a = { 0 };
	struct strmap m;
	strmap_init(&m, &a, 100);
	uint32_t cap = m.cap;
	for (uint32_t i = 0; i < 100; i++)
		strmap_put(&m, arena_printf(&a, "%u", i), i);
	assert_int_equal(m.cap, cap);
	arena_free(&a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(put_get_and_refuse),
		cmocka_unit_test(grows_and_keeps_every_key),
		cmocka_unit_test(init_hint_avoids_growth),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
