/* plan.h - where every tensor of a compiled model lives.
 *
 * A static plan for straight-line code: each value gets a home (a model
 * input buffer, a model output buffer, the weights image or the caller's
 * scratch region) and a byte offset in it. Intermediates share one scratch
 * region by liveness (plan.c explains the algorithm); views (flatten,
 * reshape, dropout) alias their input; elementwise layers may run in place
 * over a dying input; concat inputs may be computed straight into their
 * slice of the concat's output; a model output is written straight into
 * the caller's output buffer by the node that produces it (through any
 * views in between). The header generator, the back end and the memory
 * report read the same plan, so SCRATCH_BYTES is exact. A guarded plan
 * (--sanitize=address) shares nothing and puts redzones between slots. */
#ifndef DLC_PLAN_H
#define DLC_PLAN_H

#include <stdbool.h>
#include <stdint.h>

#include "arena.h"
#include "ir.h"

#define PLAN_ALIGN 64 /* alignment of scratch slots and weight tensors */
#define PLAN_REDZONE 64 /* guarded plans: bytes kept free before and after every slot */

enum plan_home {
	PLAN_HOME_NONE,    /* dead value: no storage */
	PLAN_HOME_INPUT,   /* model input buffer number index[v] */
	PLAN_HOME_OUTPUT,  /* model output buffer number index[v] */
	PLAN_HOME_WEIGHTS, /* the weights image */
	PLAN_HOME_SCRATCH, /* the caller's scratch region */
};

/* Why a value shares bytes with another value (source[v]). */
enum plan_share {
	PLAN_SHARE_NONE,     /* storage of its own (or none) */
	PLAN_SHARE_VIEW,     /* a view or identity of source[v] */
	PLAN_SHARE_IN_PLACE, /* elementwise layer computed over its input source[v] */
};

/* A byte range of the scratch region that holds one buffer or workspace. */
struct plan_region {
	int64_t offset, bytes;
};

struct plan {
	uint32_t nvals;
	enum plan_home *home;  /* per value */
	uint32_t *index;       /* per value: input/output number for INPUT/OUTPUT */
	int64_t *offset;       /* per value: byte offset within its home */
	int64_t scratch_bytes; /* size of the scratch region (multiple of 64) */
	int64_t weights_bytes; /* size of the weights image (multiple of 64) */
	/* Why each value is where it is (for the report and the back end). */
	enum plan_share *share; /* per value */
	uint32_t *source;       /* per value: the value share refers to, or IR_NONE */
	uint32_t *slice_of;     /* per value: the concat output whose slice holds it
	                           (the concat copies nothing for it), or IR_NONE */
	uint32_t *first, *last; /* per node output: defining node and last reading
	                           node (schedule indices); last == nnodes when a
	                           model output (live to the end) */
	int64_t lower_bound;    /* max over schedule points of the 64-aligned bytes
	                           of the scratch buffers live there */
	int64_t *workspace;     /* per node: scratch byte offset of its private
	                           workspace (plan_workspace_bytes), or -1 */
	/* Guarded plans (plan_build_guarded) only; 0 and NULL otherwise. */
	int64_t redzone;               /* bytes free before and after every slot */
	struct plan_region *regions;   /* the bytes of scratch a kernel may touch */
	uint32_t nregions;
};

/* Bytes of scratch node n needs for itself while it runs (placed like a
 * buffer live at n only): lstm/gru keep their input projections, gate
 * pre-activations and state there (plan_rnn_layout), attention its
 * packed keys and a block of scores, Winograd convs their transformed
 * tiles; 0 for other ops. */
int64_t plan_workspace_bytes(const struct ir_graph *g, const struct ir_node *n);

/* The workspace of attention (backend/lower_attention.c): a head's keys
 * transposed, kt [dk][Skp], then the scores of a block of queries, sc
 * [ATTN_MR_MAX][Skp], with Skp = Sk rounded up to ATTN_PAD floats (the
 * widest vector), so the plan is the same for every target. */
#define ATTN_PAD 16
#define ATTN_MR_MAX 8
int64_t plan_attention_kt_bytes(int64_t dk, int64_t sk);

/* The workspace of lstm/gru node n: byte offsets of the projections
 * [N*T, G*H], the gates [G*H], the hidden state h [H] and the cell state
 * c [H] (lstm), each 64-byte aligned. Returns the total bytes. */
int64_t plan_rnn_layout(const struct ir_graph *g, const struct ir_node *n, int64_t *proj,
                        int64_t *gates, int64_t *h, int64_t *c);

/* Plans a typed, bound graph. Views must follow their input (schedule
 * order), which ir_verify guarantees. */
struct plan *plan_build(struct ir_graph *g, struct arena *a);

/* plan_build for sanitizer builds (--sanitize=address): nothing shares
 * bytes by liveness, and concat inputs get buffers of their own (the concat
 * copies them). Every scratch buffer and workspace gets a slot of its own,
 * in schedule order, PLAN_REDZONE bytes after the previous one (and after
 * offset 0), with PLAN_REDZONE bytes after the last; regions lists each
 * slot's exact bytes, so the back end can poison everything else. Weight
 * tensors are PLAN_REDZONE bytes apart too. Views and elementwise layers
 * computed in place keep sharing their input's bytes: those are the same
 * bytes, so the slot guards both. */
struct plan *plan_build_guarded(struct ir_graph *g, struct arena *a);

/* The weights image: every planned constant's data at its offset, zero
 * padding between. Returns NULL when weights_bytes is 0. */
uint8_t *plan_weights_image(struct ir_graph *g, const struct plan *p, struct arena *a);

/* True for ops whose output is their first input's bytes. */
bool plan_is_view(enum ir_op op);

/* True when value v (an input of the concat whose output is `cat`) was
 * computed directly into its slice of that output: the concat must not
 * copy it. (v may be a slice of another concat it also feeds: then this
 * one copies it.) */
bool plan_concat_slice(const struct plan *p, uint32_t v, uint32_t cat);

/* True when every input of concat node n is such a slice: the concat is a
 * no-op. */
bool plan_concat_in_place(const struct plan *p, const struct ir_node *n);

/* ---- the placement core, exposed for tests ---- */

/* One buffer to place: live from schedule point first to last inclusive. */
struct plan_interval {
	int64_t bytes;         /* size; placement rounds it up to PLAN_ALIGN */
	uint32_t first, last;  /* first <= last */
	int64_t offset;        /* result: a multiple of PLAN_ALIGN */
};

/* Gives every interval an offset such that two intervals live at a common
 * point never overlap in bytes; returns the region's size (a multiple of
 * PLAN_ALIGN), never more than the sum of the aligned sizes. Deterministic. */
int64_t plan_place(struct plan_interval *iv, uint32_t n, struct arena *scratch);

/* The largest sum of aligned sizes of intervals live at one point: no
 * placement can be smaller. */
int64_t plan_lower_bound(const struct plan_interval *iv, uint32_t n, struct arena *scratch);

#endif
