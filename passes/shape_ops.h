/* shape_ops.h - shape rules of the tensor ops added for ONNX import
 * (binary, matmul, reduce_mean, slice, pad, broadcast, gather), called by
 * the shape-infer pass (pass_shape_infer.c) for those ops. */
#ifndef DLC_SHAPE_OPS_H
#define DLC_SHAPE_OPS_H

#include <stdbool.h>

#include "ir.h"

/* Types the output of tensor-op node n into *y, resolving its negative
 * axes, starts and indices in place. A user error is reported at the
 * node's statement (both shapes of a mismatch shown) and false returned.
 * The inputs are typed f32 (checked by the caller). */
bool shape_infer_tensor_op(struct ir_graph *g, struct diag *d, struct ir_node *n,
                           struct ir_type *y);

/* True for the ops shape_infer_tensor_op handles. */
bool shape_is_tensor_op(enum ir_op op);

#endif
