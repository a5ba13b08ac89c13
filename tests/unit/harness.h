/* harness.h - shared helpers for the cmocka unit tests.
 *
 * Diagnostics are captured with open_memstream so tests can check the exact
 * text dlc prints. Include this after the system headers cmocka needs. */
#ifndef DLC_TEST_HARNESS_H
#define DLC_TEST_HARNESS_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "arena.h"
#include "diag.h"
#include "ir.h"

struct capture {
	struct diag d;
	char *text;
	size_t len;
	FILE *f;
};

static inline void capture_begin(struct capture *c)
{
	c->text = NULL;
	c->len = 0;
	c->f = open_memstream(&c->text, &c->len);
	assert_non_null(c->f);
	diag_init(&c->d, c->f);
}

/* Flushes and returns everything printed so far (owned by c). */
static inline const char *capture_text(struct capture *c)
{
	fflush(c->f);
	return c->text ? c->text : "";
}

static inline void capture_end(struct capture *c)
{
	fclose(c->f);
	free(c->text);
	diag_free(&c->d);
}

/* Asserts that `needle` occurs in `hay`, printing both when not. */
#define assert_contains(hay, needle)                                                  \
	do {                                                                          \
		const char *h_ = (hay), *n_ = (needle);                                \
		if (!strstr(h_, n_)) {                                                 \
			print_error("expected to find:\n  %s\nin:\n%s\n", n_, h_);     \
			fail();                                                        \
		}                                                                     \
	} while (0)

static inline struct ir_type tt(enum ir_dtype dt, unsigned rank, const int64_t *dims)
{
	struct ir_type t;
	memset(&t, 0, sizeof t);
	t.dtype = dt;
	t.rank = (uint8_t)rank;
	for (unsigned i = 0; i < rank; i++)
		t.dims[i] = dims[i];
	return t;
}

#define TYPE_F32(...) \
	tt(IR_DT_F32, sizeof((int64_t[]){ __VA_ARGS__ }) / sizeof(int64_t), (int64_t[]){ __VA_ARGS__ })

#endif
