/* weights_random.h - deterministic pseudo-random weights.
 *
 * `weights random(seed=S)` fills every parameter from its own stream: an
 * xoshiro256** generator whose state comes from splitmix64 seeded with
 * S XOR FNV-1a-64(parameter name). Values therefore depend only on the seed
 * and the parameter's key, not on the order of layers, and are the same on
 * every machine (the float conversion is exact, see wrand_uniform).
 *
 * Ranges (wrand_param_range), chosen so random models stay numerically
 * tame at any depth:
 *   conv/dense weight   U[-b, b], b = 1/sqrt(fan_in), fan_in = product of
 *                       the PyTorch-layout dims except the first (PyTorch's
 *                       default init bound)
 *   conv/dense bias     U[-b, b] with the same layer's weight fan_in
 *   batchnorm gamma     U[0.5, 1.5]      beta          U[-0.1, 0.1]
 *             mean      U[-0.1, 0.1]     variance      U[0.5, 1.5] (> 0)
 * The random-model generator and the tests use these functions too. */
#ifndef DLC_WEIGHTS_RANDOM_H
#define DLC_WEIGHTS_RANDOM_H

#include <stdint.h>

#include "ir.h"

struct wrand {
	uint64_t s[4]; /* xoshiro256** state, never all zero */
};

/* FNV-1a 64-bit hash of a NUL-terminated string. */
uint64_t wrand_fnv1a(const char *s);
/* One splitmix64 step: advances *state and returns the next output. */
uint64_t wrand_splitmix64(uint64_t *state);
/* Seeds r for the parameter `name` under the model seed. */
void wrand_seed(struct wrand *r, uint64_t seed, const char *name);
uint64_t wrand_next(struct wrand *r);
/* A float in [lo, hi): 24 random bits scaled exactly into [0, 1), then
 * lo + (hi - lo) * u computed in double and rounded once. */
float wrand_uniform(struct wrand *r, float lo, float hi);
/* The range [*lo, *hi) for parameter slot `slot` of an `op` node whose
 * weight (slot 0) has type *weight (PyTorch layout). */
void wrand_param_range(enum ir_op op, unsigned slot, const struct ir_type *weight, float *lo,
                       float *hi);
/* Fills dst[0..n) with the stream of `name` under `seed`. */
void wrand_fill(float *dst, int64_t n, uint64_t seed, const char *name, float lo, float hi);

#endif
