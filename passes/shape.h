/* shape.h - the shape rules, one per shape column of ir_ops.def, run by
 * the shape-infer pass (pass_shape_infer.c): layer ops in shape_layers.c,
 * tensor ops in shape_ops.c.
 *
 * shape_<rule>(s, n, y) types node n's output into *y (its inputs are
 * typed: f32 unless the op has IR_F_IDS, ranked unless it has
 * IR_F_SCALAR, both checked by the pass; an IR_F_TYPED rule checks its
 * dtypes itself), resolving
 * padding modes, negative axes, starts and indices in place and setting
 * the expected types of its weight params. A user error is reported at
 * the node's statement (both shapes of a mismatch shown) and false
 * returned. */
#ifndef DLC_SHAPE_H
#define DLC_SHAPE_H

#include <stdbool.h>

#include "ir.h"

struct shape_ctx {
	struct ir_graph *g;
	struct diag *d;
};

#define IR_OP(id, name, min_in, max_in, nparams, flags, attrs, shape, interp, lower, layout, \
              params, step, dl)                                                             \
	bool shape_##shape(struct shape_ctx *s, struct ir_node *n, struct ir_type *y);
#include "ir_ops.def"

#endif
