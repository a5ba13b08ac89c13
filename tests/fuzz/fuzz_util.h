/* fuzz_util.h - what the libFuzzer targets share.
 *
 * Untrusted models run through the real pipeline with two guards that the
 * command line does not need: a model whose `weights` statement names a
 * file gets random weights instead (the fuzzer never opens files the input
 * names, and the real models among the seeds still reach every pass), and
 * weights are bound only when the shapes inferred first say they are
 * small. Diagnostics are printed, so their formatting code is
 * fuzzed too, into a stream that discards them. A failed self-check prints
 * what broke and aborts, which libFuzzer records as a crash. */
#ifndef DLC_FUZZ_UTIL_H
#define DLC_FUZZ_UTIL_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "arena.h"
#include "diag.h"
#include "ir.h"
#include "plan.h"
#include "target.h"

#define FUZZ_MAX_WEIGHT_BYTES ((int64_t)1 << 20) /* random weights bound at most */

struct ast_model;

/* A stream that discards what is written to it (opened once). */
FILE *fuzz_null(void);

/* Lowers m and runs the pass pipeline at opt_level, without the
 * codegen_only passes when for_interpreter, for `target` (NULL =
 * baseline). Returns the graph, or NULL when the model had errors or needs
 * more weights than FUZZ_MAX_WEIGHT_BYTES. */
struct ir_graph *fuzz_compile(struct arena *a, struct diag *d, const struct ast_model *m,
                              int opt_level, bool for_interpreter,
                              const struct target_desc *target);

/* Plans g's memory, checks the plan's invariants and feeds g and its plan
 * to every printer (IR text, DOT, memory report, C header). */
struct plan *fuzz_plan_and_print(struct ir_graph *g, struct arena *a);

/* The checks every compiled model goes through: compiled at opt_level
 * (the packed graph's plan checked and printed), at -O0 (likewise) and at
 * opt_level without weight packing (what `dlc run` does); when small, the
 * -O0 and optimized graphs run through the interpreter on the same inputs
 * and must agree within float rounding (every optimization preserves
 * results). */
void fuzz_check_model(struct arena *a, struct diag *d, const struct ast_model *m, int opt_level,
                      const struct target_desc *target);

/* Aborts with a message when cond is false. */
#define FUZZ_CHECK(cond, ...) \
	((cond) ? (void)0 : fuzz_fail(__FILE__, __LINE__, #cond, __VA_ARGS__))
_Noreturn void fuzz_fail(const char *file, int line, const char *cond, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

#endif
