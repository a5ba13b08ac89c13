/* weights_random.c - splitmix64-seeded xoshiro256** streams per parameter
 * (Blackman and Vigna, "Scrambled linear pseudorandom number generators",
 * 2018) and the init ranges documented in weights_random.h. */
#include "weights_random.h"

#include <math.h>

uint64_t wrand_fnv1a(const char *s)
{
	uint64_t h = 0xcbf29ce484222325u;
	for (; *s; s++) {
		h ^= (unsigned char)*s;
		h *= 0x100000001b3u;
	}
	return h;
}

uint64_t wrand_splitmix64(uint64_t *state)
{
	uint64_t z = (*state += 0x9e3779b97f4a7c15u);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
	return z ^ (z >> 31);
}

void wrand_seed(struct wrand *r, uint64_t seed, const char *name)
{
	uint64_t sm = seed ^ wrand_fnv1a(name);
	/* splitmix64's output is a bijection of four distinct counters, so at
	 * most one word is zero: the state is never all zero. */
	for (int i = 0; i < 4; i++)
		r->s[i] = wrand_splitmix64(&sm);
}

static uint64_t rotl(uint64_t x, int k)
{
	return (x << k) | (x >> (64 - k));
}

uint64_t wrand_next(struct wrand *r)
{
	uint64_t *s = r->s;
	uint64_t out = rotl(s[1] * 5, 7) * 9;
	uint64_t t = s[1] << 17;
	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = rotl(s[3], 45);
	return out;
}

float wrand_uniform(struct wrand *r, float lo, float hi)
{
	double u = (double)(wrand_next(r) >> 40) * (1.0 / 16777216.0);
	float v = (float)((double)lo + ((double)hi - (double)lo) * u);
	/* rounding to float can land on hi; keep the interval half-open */
	return v < hi ? v : lo;
}

static float fan_in_bound(const struct ir_type *w)
{
	double fan_in = 1;
	for (unsigned i = 1; w && i < w->rank; i++)
		fan_in *= (double)w->dims[i];
	return fan_in > 0 ? (float)(1.0 / sqrt(fan_in)) : 1.0f;
}

void wrand_param_range(enum ir_op op, unsigned slot, const struct ir_type *weight, float *lo,
                       float *hi)
{
	static const float bn[4][2] = { { 0.5f, 1.5f }, { -0.1f, 0.1f }, { -0.1f, 0.1f },
		                        { 0.5f, 1.5f } };
	if (op == IR_BATCHNORM && slot < 4) {
		*lo = bn[slot][0];
		*hi = bn[slot][1];
		return;
	}
	/* conv2d and dense: weight and bias share the weight's bound */
	float b = fan_in_bound(weight);
	*lo = -b;
	*hi = b;
}

void wrand_fill(float *dst, int64_t n, uint64_t seed, const char *name, float lo, float hi)
{
	struct wrand r;
	wrand_seed(&r, seed, name);
	for (int64_t i = 0; i < n; i++)
		dst[i] = wrand_uniform(&r, lo, hi);
}
