/* arena.c - bump allocator: large blocks, 64-byte aligned chunks. */
#include "arena.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"

struct arena_block {
	struct arena_block *prev;
	size_t size, used;
	_Alignas(64) unsigned char data[];
};

enum { ARENA_BLOCK = 1 << 20, ARENA_ALIGN = 64 };

void *arena_alloc(struct arena *a, size_t size)
{
	size_t need = (size + ARENA_ALIGN - 1) & ~(size_t)(ARENA_ALIGN - 1);
	if (need < size)
		dlc_fatal_oom(size);
	struct arena_block *b = a->head;
	if (!b || b->size - b->used < need) {
		size_t bsize = need > ARENA_BLOCK ? need : ARENA_BLOCK;
		b = aligned_alloc(ARENA_ALIGN, (sizeof *b + bsize + ARENA_ALIGN - 1) &
		                                   ~(size_t)(ARENA_ALIGN - 1));
		if (!b)
			dlc_fatal_oom(bsize);
		b->prev = a->head;
		b->size = bsize;
		b->used = 0;
		a->head = b;
	}
	void *p = b->data + b->used;
	b->used += need;
	a->total += need;
	memset(p, 0, size);
	return p;
}

void *arena_array(struct arena *a, size_t n, size_t size)
{
	size_t bytes;
	if (ckd_mul_size(&bytes, n, size))
		dlc_fatal_oom(SIZE_MAX);
	return arena_alloc(a, bytes ? bytes : 1);
}

char *arena_strndup(struct arena *a, const char *s, size_t len)
{
	char *p = arena_alloc(a, len + 1);
	if (len) /* an empty string may come as NULL (protobuf-c) */
		memcpy(p, s, len);
	p[len] = 0;
	return p;
}

char *arena_strdup(struct arena *a, const char *s)
{
	return arena_strndup(a, s, strlen(s));
}

char *arena_printf(struct arena *a, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	DLC_ASSERT(n >= 0);
	char *p = arena_alloc(a, (size_t)n + 1);
	va_start(ap, fmt);
	vsnprintf(p, (size_t)n + 1, fmt, ap);
	va_end(ap);
	return p;
}

void *arena_grow(struct arena *a, void *old, size_t n, size_t cap, size_t size)
{
	DLC_ASSERT(cap >= n);
	void *p = arena_array(a, cap, size);
	if (n)
		memcpy(p, old, n * size);
	return p;
}

void arena_free(struct arena *a)
{
	struct arena_block *b = a->head;
	while (b) {
		struct arena_block *prev = b->prev;
		free(b);
		b = prev;
	}
	a->head = NULL;
	a->total = 0;
}
