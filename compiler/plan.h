/* plan.h - where every tensor of a compiled model lives.
 *
 * A static plan for straight-line code: each value gets a home (a model
 * input buffer, a model output buffer, the weights image or the caller's
 * scratch region) and a byte offset in it. This first planner gives every
 * intermediate its own 64-byte-aligned slot in scratch (no reuse); views
 * (flatten, reshape, dropout) alias their input; a model output is written
 * straight into the caller's output buffer by the node that produces it
 * (through any views in between). A later liveness-based planner keeps this
 * interface. The header generator and the back end read the same plan. */
#ifndef DLC_PLAN_H
#define DLC_PLAN_H

#include <stdbool.h>
#include <stdint.h>

#include "arena.h"
#include "ir.h"

#define PLAN_ALIGN 64 /* alignment of scratch slots and weight tensors */

enum plan_home {
	PLAN_HOME_NONE,    /* dead value: no storage */
	PLAN_HOME_INPUT,   /* model input buffer number index[v] */
	PLAN_HOME_OUTPUT,  /* model output buffer number index[v] */
	PLAN_HOME_WEIGHTS, /* the weights image */
	PLAN_HOME_SCRATCH, /* the caller's scratch region */
};

struct plan {
	uint32_t nvals;
	enum plan_home *home;  /* per value */
	uint32_t *index;       /* per value: input/output number for INPUT/OUTPUT */
	int64_t *offset;       /* per value: byte offset within its home */
	int64_t scratch_bytes; /* size of the scratch region (multiple of 64) */
	int64_t weights_bytes; /* size of the weights image (multiple of 64) */
};

/* Plans a typed, bound graph. Views must follow their input (schedule
 * order), which ir_verify guarantees. */
struct plan *plan_build(struct ir_graph *g, struct arena *a);

/* The weights image: every planned constant's data at its offset, zero
 * padding between. Returns NULL when weights_bytes is 0. */
uint8_t *plan_weights_image(struct ir_graph *g, const struct plan *p, struct arena *a);

/* True for ops whose output is their first input's bytes. */
bool plan_is_view(enum ir_op op);

#endif
