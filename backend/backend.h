/* backend.h - code generation through the LLVM C API.
 *
 * The only interface between the compiler and LLVM: a typed, bound graph
 * goes in; an object file, assembly, LLVM IR or nothing comes out. The
 * types of LLVM never appear here. */
#ifndef DLC_BACKEND_H
#define DLC_BACKEND_H

#include <stdbool.h>
#include <stdio.h>

#include "diag.h"
#include "ir.h"

struct arena;
struct plan;
struct target;

enum cg_emit { CG_EMIT_NONE, CG_EMIT_OBJ, CG_EMIT_ASM, CG_EMIT_LLVM };
enum cg_weights { CG_WEIGHTS_NONE, CG_WEIGHTS_EMBED, CG_WEIGHTS_EXTERNAL };
enum cg_reloc { CG_RELOC_NONE, CG_RELOC_PIC, CG_RELOC_STATIC };
/* --sanitize: ADDRESS instruments every function for AddressSanitizer and
 * poisons what the (guarded) plan leaves between tensors; THREAD
 * instruments them for ThreadSanitizer. The program links with
 * -fsanitize=address or -fsanitize=thread. */
enum cg_sanitize { CG_SANITIZE_NONE, CG_SANITIZE_ADDRESS, CG_SANITIZE_THREAD };

struct cg_options {
	/* The target: `target` as resolved by cg_target_resolve (what the
	 * driver does, so passes and code generation see the same machine);
	 * when it is NULL, cg_emit resolves triple/cpu/features itself. */
	const struct target *target;
	const char *triple;   /* NULL: the host's default triple */
	const char *cpu;      /* NULL: portable baseline; "native": the host */
	const char *features; /* --mattr, or NULL */
	int opt_level;        /* 0..3 */
	enum cg_reloc reloc;
	const char *name;     /* symbol prefix (C identifier) */
	enum cg_weights weights;
	const char *weights_path; /* EXTERNAL: where to write the weights file */
	const struct plan *plan;  /* memory plan; NULL: cg_emit builds plan_build's
	                             (plan_build_guarded's for CG_SANITIZE_ADDRESS) */
	enum cg_sanitize sanitize;
};

/* Lowers g and writes the requested form to `out` (binary for OBJ).
 * Returns false with a diagnostic on failure (bad triple, unwritable
 * output); LLVM verifier failures are internal errors. */
bool cg_emit(struct ir_graph *g, const struct cg_options *o, enum cg_emit what,
             FILE *out, struct diag *d);

/* Writes a module holding only the vectorized math of the back end, for
 * measuring it (tests/e2e/test_vmath.c): float <name>_tanh(float) and
 * <name>_sigmoid(float) (the scalar forms), and void <name>_tanh_v(const
 * float *x, float *y) and <name>_sigmoid_v (one vector of
 * <name>_vmath_width floats, an exported const int32_t). */
bool cg_emit_vmath(const struct cg_options *o, enum cg_emit what, FILE *out, struct diag *d);

/* Resolves --target/--mcpu/--mattr (each may be NULL) into *t, strings in
 * `a`: triple NULL = the host's default triple, normalized; cpu NULL = the
 * triple's portable baseline, "native" = the host CPU, whose features
 * are taken too unless `features` is given. Returns false with a
 * diagnostic for a triple the linked LLVM does not support. */
bool cg_target_resolve(const char *triple, const char *cpu, const char *features,
                       struct arena *a, struct target *t, struct diag *d);

/* Lists the targets the linked LLVM supports, for --help. */
void cg_print_targets(FILE *out);

#endif
