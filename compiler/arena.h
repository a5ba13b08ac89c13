/* arena.h - bump allocation for one compilation.
 *
 * Everything a compilation creates (source text, syntax tree, IR, strings,
 * weight data) lives in one arena and is freed at once with arena_free().
 * Allocation failure is fatal: dlc bounds every input-driven size before
 * allocating, so running out of memory here is an internal error. */
#ifndef DLC_ARENA_H
#define DLC_ARENA_H

#include <stddef.h>

struct arena_block;

struct arena {
	struct arena_block *head; /* most recent block; older blocks chained */
	size_t total;             /* bytes handed out so far */
};

/* Returns zeroed memory aligned to 64 bytes (enough for any vector type). */
void *arena_alloc(struct arena *a, size_t size);
/* Returns zeroed memory for n elements of size bytes; aborts on overflow. */
void *arena_array(struct arena *a, size_t n, size_t size);
/* Copies len bytes of s and appends a NUL byte. */
char *arena_strndup(struct arena *a, const char *s, size_t len);
char *arena_strdup(struct arena *a, const char *s);
/* printf into arena memory. */
char *arena_printf(struct arena *a, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Grows an arena array: returns a copy of old (n elements) with room for
 * cap elements; old is left in place (arenas do not free). */
void *arena_grow(struct arena *a, void *old, size_t n, size_t cap, size_t size);
void arena_free(struct arena *a);

#endif
