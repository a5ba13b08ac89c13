/* mem_report.h - the memory plan as a table (dlc --mem-report).
 *
 * One row per layer in schedule order: name, op, output shape, bytes, live
 * range, where the output lives and why, multiply-accumulates; then the
 * totals (plan size, lower bound, their ratio, the no-reuse size, MACs,
 * weights). The format is documented in docs/ir.md, "Memory plan". */
#ifndef DLC_MEM_REPORT_H
#define DLC_MEM_REPORT_H

#include <stdint.h>
#include <stdio.h>

#include "ir.h"
#include "plan.h"

/* Multiply-accumulates of one node: conv2d N*OH*OW*F*(C/groups)*KH*KW,
 * dense N*in*out, matmul numel(y)*K, attention (numel(q) + numel(y))*Sk,
 * lstm/gru N*T*G*H*(F+H) (G gates),
 * everything else 0 (saturates at INT64_MAX). */
int64_t mem_report_macs(const struct ir_graph *g, const struct ir_node *n);

/* What a planner without reuse would need: the 64-aligned sizes of every
 * layer output that is neither a view nor a model output, summed. */
int64_t mem_report_no_reuse_bytes(const struct ir_graph *g, const struct plan *p);

/* Prints the table and the totals. */
void mem_report_print(struct ir_graph *g, const struct plan *p, FILE *out);

#endif
