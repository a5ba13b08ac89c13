/* lower.h - the code generator of every IR op, one per row of
 * compiler/ir_ops.def (its `lower` column): lower_<lower> emits the loop
 * nest of node n at the builder's position, reading its operands through
 * c->addr. lower.c builds the dispatch array from the same table, so an op
 * whose lowering function is missing does not link. Ops sharing a column
 * entry (the elementwise ops, the views, the two pools) share a function;
 * the declarations of such rows repeat, which C allows. */
#ifndef DLC_LOWER_H
#define DLC_LOWER_H

struct cg;
struct ir_node;

#define IR_OP(id, name, min_in, max_in, nparams, flags, attrs, shape, interp, lower, layout, \
              params, step, dl)                                                             \
	void lower_##lower(struct cg *c, const struct ir_node *n);
#include "ir_ops.def"

/* binary on integer and bool tensors (lower_typed.c); lower_binary emits
 * f32 itself. */
void lower_binary_int(struct cg *c, const struct ir_node *n);

#endif
