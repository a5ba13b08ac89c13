/* target.c - the table of target descriptions and how an LLVM-style
 * (triple, cpu, features) triple selects one.
 *
 * Cache sizes are per core for L1 and L2; they steer the tiling pass, so a
 * close figure for the CPU family is enough. CPUs are matched by LLVM's
 * names; features given with --mattr override what the CPU implies
 * (+avx512f raises to the AVX-512 entry, -avx512f lowers to AVX2, ...). */
#include "target.h"

#include <string.h>

static const struct target_desc targets[] = {
	{ "x86-64-avx512", 16, 32, true, 48 << 10, 2 << 20, 32 << 20 },
	{ "x86-64-avx2", 8, 16, true, 32 << 10, 1 << 20, 16 << 20 },
	{ "x86-64-sse", 4, 16, false, 32 << 10, 256 << 10, 8 << 20 },
	{ "aarch64-neon", 4, 32, true, 64 << 10, 1 << 20, 16 << 20 },
};
enum { T_AVX512, T_AVX2, T_SSE, T_NEON };

static const char *const avx512_cpus[] = {
	"skylake-avx512", "cascadelake", "cooperlake", "cannonlake", "icelake-client",
	"icelake-server", "tigerlake", "rocketlake", "sapphirerapids", "emeraldrapids",
	"graniterapids", "graniterapids-d", "knl", "knm", "znver4", "znver5", "x86-64-v4",
	NULL,
};
static const char *const avx2_cpus[] = {
	"haswell", "broadwell", "skylake", "kabylake", "coffeelake", "cometlake", "alderlake",
	"raptorlake", "meteorlake", "arrowlake", "arrowlake-s", "lunarlake", "gracemont",
	"pantherlake", "znver1", "znver2", "znver3", "bdver4", "x86-64-v3", NULL,
};

static bool in_list(const char *s, const char *const *list)
{
	for (; *list; list++)
		if (!strcmp(s, *list))
			return true;
	return false;
}

/* True when the comma-separated feature string holds exactly `f`
 * ("+avx2" or "-avx512f"). */
static bool has_feature(const char *features, const char *f)
{
	size_t n = strlen(f);
	for (const char *p = features; p && *p;) {
		const char *comma = strchr(p, ',');
		size_t len = comma ? (size_t)(comma - p) : strlen(p);
		if (len == n && !strncmp(p, f, n))
			return true;
		p = comma ? comma + 1 : NULL;
	}
	return false;
}

const struct target_desc *target_lookup(const char *triple, const char *cpu,
                                        const char *features)
{
	if (triple && (!strncmp(triple, "aarch64", 7) || !strncmp(triple, "arm64", 5)))
		return &targets[T_NEON];
	int t = T_SSE;
	if (cpu && in_list(cpu, avx512_cpus))
		t = T_AVX512;
	else if (cpu && in_list(cpu, avx2_cpus))
		t = T_AVX2;
	if (has_feature(features, "+avx2") && t == T_SSE)
		t = T_AVX2;
	if (has_feature(features, "+avx512f"))
		t = T_AVX512;
	if (has_feature(features, "-avx512f") && t == T_AVX512)
		t = T_AVX2;
	if (has_feature(features, "-avx2") && t != T_SSE)
		t = T_SSE;
	return &targets[t];
}
