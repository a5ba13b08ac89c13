/* check_args.h - argument lists checked against a parameter table, and
 * the "did you mean" helper shared by the checks (check_args.c). */
#ifndef DLC_FE_CHECK_ARGS_H
#define DLC_FE_CHECK_ARGS_H

#include <stdbool.h>
#include <stddef.h>

#include "ast.h"
#include "layers.h"
#include "sema.h"

/* The candidate closest to `word` by edit distance (ignoring case), or
 * NULL when none is close enough to be a plausible typo. */
const char *fe_closest(const char *word, const char *const *cands, size_t n);
/* "; did you mean 'x'?" for a non-NULL suggestion, else "". */
const char *fe_did_you_mean(struct arena *a, const char *suggestion);

/* Matches the arguments of a call to `what` (a layer or `random`) against
 * params[0, np), converts each (or its default) into out[0, np) and
 * reports every mistake at the argument concerned. Returns false on
 * errors. `call` locates messages about missing arguments. */
bool fe_check_args(struct arena *a, struct diag *d, const char *what, const struct fe_param *params,
                   unsigned np, const struct ast_args *args, struct src_span call,
                   struct fe_arg *out);

#endif
