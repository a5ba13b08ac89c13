/* kernel_types.h - the operand types every interpreter kernel reads
 * (internal to interp/). */
#ifndef DLC_INTERP_KERNEL_TYPES_H
#define DLC_INTERP_KERNEL_TYPES_H

#include "check.h"
#include "ir.h"

/* The type of node n's activation input k. */
static inline const struct ir_type *in_type(const struct ir_graph *g, const struct ir_node *n,
                                            unsigned k)
{
	DLC_ASSERT(k < n->nin);
	return &g->vals[n->in[k]].type;
}

/* The type of node n's output. */
static inline const struct ir_type *out_type(const struct ir_graph *g, const struct ir_node *n)
{
	return &g->vals[n->out].type;
}

#endif
