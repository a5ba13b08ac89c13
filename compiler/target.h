/* target.h - what the optimizer knows about a target machine.
 *
 * One table of target descriptions (target.c) instead of numbers spread
 * through the passes: the tiling pass reads vector width, register count and
 * cache sizes from here. The driver picks the entry from the LLVM-style
 * --target/--mcpu/--mattr options (no LLVM in compiler/: "native" is resolved
 * to a CPU name by the backend first). */
#ifndef DLC_TARGET_H
#define DLC_TARGET_H

#include <stdbool.h>
#include <stdint.h>

struct target_desc {
	const char *name;     /* "x86-64-avx512", "x86-64-avx2", "x86-64-sse", "aarch64-neon" */
	int vec_floats;       /* floats per vector register: 16, 8, 4 */
	int vec_regs;         /* architectural vector registers: 32 or 16 */
	bool fma;             /* fused multiply-add available */
	int64_t l1d, l2, l3;  /* data cache sizes in bytes (per core; l3 shared) */
};

/* A compilation's target with every default and "native" resolved: the
 * names LLVM is given and the description the passes and kernels read
 * (strings owned by the resolver's arena). */
struct target {
	const char *triple;   /* normalized, e.g. "x86_64-unknown-linux-gnu" */
	const char *cpu;      /* concrete, e.g. "znver4" or the baseline "x86-64" */
	const char *features; /* "" or a comma-separated list ("+avx2,-avx512f,...") */
	const struct target_desc *desc; /* target_lookup(triple, cpu, features) */
};

/* The entry for a triple (NULL = x86_64 host), CPU name (NULL = the portable
 * baseline for the triple) and feature string (+avx512f etc. override the
 * CPU's). Never NULL: unknown CPUs get the triple's baseline. */
const struct target_desc *target_lookup(const char *triple, const char *cpu,
                                        const char *features);

#endif
