/* strmap.h - a map from strings to 32-bit values, in arena memory.
 *
 * Open addressing with linear probing over a power-of-two table kept at
 * most half full, keys hashed with 32-bit FNV-1a. A full table doubles:
 * the entries are re-placed into a new table and the old one stays in the
 * arena (arenas do not free). Keys are stored by pointer, so they must
 * outlive the map (arena strings do). Slot order depends on the hash:
 * callers that need an order keep it themselves. The front end's name
 * tables, the .dl writer's name sets and the ONNX importer's value and
 * name tables all use this one map. */
#ifndef DLC_STRMAP_H
#define DLC_STRMAP_H

#include <stdbool.h>
#include <stdint.h>

#include "arena.h"

/* What strmap_get returns for a key that is not in the map. */
#define STRMAP_NONE UINT32_MAX

struct strmap {
	struct arena *a;
	const char **keys; /* cap slots; NULL = empty */
	uint32_t *vals;    /* cap slots, parallel to keys */
	uint32_t cap, n;   /* cap is 0 or a power of two; n keys present */
};

/* An empty map allocating from a, with room for n keys before it grows. */
void strmap_init(struct strmap *m, struct arena *a, uint32_t n);
/* The value key maps to, or STRMAP_NONE. */
uint32_t strmap_get(const struct strmap *m, const char *key);
bool strmap_has(const struct strmap *m, const char *key);
/* Maps key to val and returns true, or returns false and leaves the map
 * unchanged when key is already present. */
bool strmap_put(struct strmap *m, const char *key, uint32_t val);

#endif
