/* strmap.c - open-addressing string map (see strmap.h). */
#include "strmap.h"

#include <string.h>

#include "check.h"

enum { STRMAP_MIN_CAP = 16 };

static uint32_t strmap_hash(const char *s)
{
	uint32_t h = 2166136261u; /* FNV-1a */
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 16777619u;
	return h;
}

/* The slot holding key, or the empty slot where it would go (cap > 0). */
static uint32_t strmap_slot(const struct strmap *m, const char *key)
{
	uint32_t i = strmap_hash(key) & (m->cap - 1);
	while (m->keys[i] && strcmp(m->keys[i], key))
		i = (i + 1) & (m->cap - 1);
	return i;
}

static void strmap_alloc(struct strmap *m, uint32_t cap)
{
	m->keys = arena_array(m->a, cap, sizeof *m->keys);
	m->vals = arena_array(m->a, cap, sizeof *m->vals);
	m->cap = cap;
}

void strmap_init(struct strmap *m, struct arena *a, uint32_t n)
{
	uint32_t cap = STRMAP_MIN_CAP;
	while (cap / 2 < n) {
		DLC_ASSERT(cap < UINT32_MAX / 2);
		cap *= 2;
	}
	m->a = a;
	m->n = 0;
	strmap_alloc(m, cap);
}

uint32_t strmap_get(const struct strmap *m, const char *key)
{
	if (!m->cap)
		return STRMAP_NONE;
	uint32_t i = strmap_slot(m, key);
	return m->keys[i] ? m->vals[i] : STRMAP_NONE;
}

bool strmap_has(const struct strmap *m, const char *key)
{
	return m->cap && m->keys[strmap_slot(m, key)];
}

static void strmap_double(struct strmap *m)
{
	DLC_ASSERT(m->cap < UINT32_MAX / 2);
	struct strmap old = *m;
	strmap_alloc(m, 2 * old.cap);
	for (uint32_t i = 0; i < old.cap; i++) {
		if (!old.keys[i])
			continue;
		uint32_t j = strmap_slot(m, old.keys[i]);
		m->keys[j] = old.keys[i];
		m->vals[j] = old.vals[i];
	}
}

bool strmap_put(struct strmap *m, const char *key, uint32_t val)
{
	DLC_ASSERT(m->cap && key);
	uint32_t i = strmap_slot(m, key);
	if (m->keys[i])
		return false;
	if (2 * (m->n + 1) > m->cap) {
		strmap_double(m);
		i = strmap_slot(m, key);
	}
	m->keys[i] = key;
	m->vals[i] = val;
	m->n++;
	return true;
}
