/* interp.h - the reference interpreter: plain, obviously-correct kernels
 * over the IR. It is the test oracle for every optimization and for the
 * generated code, so it favours clarity over speed: one loop nest per op,
 * indexing through the declared layout, double accumulators nowhere (so it
 * matches fp32 frameworks), no fusion. */
#ifndef DLC_INTERP_H
#define DLC_INTERP_H

#include <stdbool.h>

#include "ir.h"

/* Runs a typed, bound graph. inputs[i] points at g->inputs[i]'s elements
 * (in its dtype: f32, an integer type or bool), outputs[i] receives
 * g->outputs[i]'s. Returns false (with a diagnostic) if intermediate
 * tensors would need more than `max_bytes` of memory, or if an id that a
 * model input gives embedding/onehot is outside [0, vocab/classes): those
 * ids are checked before any node runs, and no output is written then
 * (computed ids are clamped or give zero rows, docs/ir.md). */
bool interp_run(struct ir_graph *g, struct diag *d, const void *const *inputs,
                void *const *outputs, int64_t max_bytes);

/* Runs one node through its kernel; exposed for unit tests. `in` holds the
 * activation inputs, `param` the weights (NULL where absent). For
 * embedding and onehot, in[0] points at the ids in their own dtype (i32
 * or i64), not at floats, and they must be in range. */
void interp_node(struct ir_graph *g, const struct ir_node *n, const float *const *in,
                 const float *const *param, float *out);

/* The kernels behind interp_node, one per interp column of ir_ops.def
 * (interp_kernels.c: layers; interp_tensor.c: tensor ops; interp_seq.c:
 * embedding, onehot, recurrent layers, timestep). Each reads the shapes
 * and attributes of node n in graph g: in[k] is activation input k (ids
 * in their own dtype for IR_F_IDS ops), param[k] weight slot k (NULL
 * where absent), `out` the output's elements. */
#define IR_OP(id, name, min_in, max_in, nparams, flags, attrs, shape, interp, lower, layout, \
              params, step, dl)                                                             \
	void interp_##interp(const struct ir_graph *g, const struct ir_node *n,                \
	                     const float *const *in, const float *const *param, float *out);
#include "ir_ops.def"

/* sigmoid as every kernel computes it (never overflows exp). */
float interp_sigmoid(float x);

/* interp_check_ids (interp_seq.c) reports the first id of any embedding/onehot
 * input outside its range (ptr[value id] = the value's elements). */
bool interp_check_ids(const struct ir_graph *g, struct diag *d, const void *const *ptr);

#endif
