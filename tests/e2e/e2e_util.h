/* e2e_util.h - helpers shared by the end-to-end cmocka tests that compile
 * models with the backend and link and run the result: shell commands,
 * the C compiler flags of the build's sanitizers, whole-file I/O.
 * Include after <cmocka.h> (the file helpers assert). */
#ifndef DLC_E2E_UTIL_H
#define DLC_E2E_UTIL_H

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

/* Runs a printf-formatted shell command; returns system()'s status. */
static inline int sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static inline int sh(const char *fmt, ...)
{
	char cmd[4096];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(cmd, sizeof cmd, fmt, ap);
	va_end(ap);
	assert_true(n >= 0 && (size_t)n < sizeof cmd);
	return system(cmd);
}

/* Extra flags for the C compiler that builds test programs: the sanitizer
 * build passes its -fsanitize flags so they link with its runtime. */
static inline const char *cflags(void)
{
	const char *f = getenv("DLC_E2E_CFLAGS");
	return f ? f : "";
}

static inline void write_file(const char *path, const void *p, size_t n)
{
	FILE *f = fopen(path, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(p, 1, n, f), n);
	assert_int_equal(fclose(f), 0);
}

/* Reads up to n bytes of path into p; returns how many were read. */
static inline size_t read_file(const char *path, void *p, size_t n)
{
	FILE *f = fopen(path, "rb");
	assert_non_null(f);
	size_t got = fread(p, 1, n, f);
	fclose(f);
	return got;
}

#endif
