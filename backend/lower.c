/* lower.c - the dispatch from an IR node to its code generator: one entry
 * per row of compiler/ir_ops.def, [IR_<ID>] = lower_<lower> (lower.h), so
 * an op added to the table without its lowering function does not link.
 * Views (flatten, reshape, dropout) emit nothing: the plan gives them
 * their input's bytes. */
#include "cg.h"

#include "check.h"
#include "lower.h"

typedef void lower_fn(struct cg *c, const struct ir_node *n);

static lower_fn *const lower_table[IR_OP_COUNT] = {
#define IR_OP(id, name, min_in, max_in, nparams, flags, attrs, shape, interp, lower, layout, \
              params, step, dl)                                                             \
	[IR_##id] = lower_##lower,
#include "ir_ops.def"
};

void lower_view(struct cg *c, const struct ir_node *n)
{
	(void)c;
	(void)n; /* planned to share their input's bytes */
}

void cg_lower_node(struct cg *c, const struct ir_node *n)
{
	DLC_ASSERT(n->op > IR_OP_NONE && n->op < IR_OP_COUNT);
	lower_table[n->op](c, n);
}
