/* cheader.h - the C header that goes with a compiled model.
 *
 * The header is the model's whole API: size and shape macros for every
 * input and output, the scratch size and alignment, the const tables that
 * describe the tensors at run time, and the one entry point, all prefixed
 * by the model name so that several models link into one program. It is
 * written from the same plan the back end uses, so the two agree. */
#ifndef DLC_CHEADER_H
#define DLC_CHEADER_H

#include <stdbool.h>
#include <stdio.h>

#include "ir.h"
#include "plan.h"

struct hdr_options {
	const char *name;       /* symbol prefix, a C identifier (--name) */
	bool external_weights;  /* --weights=external: the entry takes `weights` */
	const char *weights_file; /* EXTERNAL: file name mentioned in comments, or NULL */
	const char *sanitizer;  /* --sanitize: "address" or "thread", or NULL */
};

/* Writes the header for g (typed and bound, planned by p) to out.
 * Returns false if writing failed. */
bool hdr_emit(struct ir_graph *g, const struct plan *p, const struct hdr_options *o,
              FILE *out);

/* The names the entry point gives its buffer parameters, in order: inputs,
 * then outputs. They are the tensors' own names ('.' becomes '_') unless one
 * would clash with another, a C keyword or `scratch`/`weights`; then all are
 * `inputN` and `outputN`. Returns an arena array of ninputs + noutputs strings. */
const char **hdr_param_names(struct ir_graph *g, struct arena *a);

#endif
