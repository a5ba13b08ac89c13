/* fold_util.h - graph edits shared by the folding and fusion passes
 * (pass_fold_*.c, pass_fuse_*.c).
 *
 * These passes all do the same few things: find the node that defines a
 * value, check that a value has exactly one reader, merge a node into the
 * one that produces its input ("absorb"), create folded weight constants
 * and finally drop the merged nodes. Node positions never change until
 * fold_finish, so schedule indices compare definitions. */
#ifndef DLC_FOLD_UTIL_H
#define DLC_FOLD_UTIL_H

#include <stdbool.h>
#include <stdint.h>

#include "ir.h"

/* The node defining value v, or IR_NONE for inputs and constants. */
uint32_t fold_producer(const struct ir_graph *g, uint32_t v);

/* True if value v is one of the graph's outputs. */
bool fold_is_output(const struct ir_graph *g, uint32_t v);

/* "a+b", where b loses a leading "x." if a ends with name x (conv1 +
 * conv1.relu = "conv1+relu", z1+c1 + c1.relu = "z1+c1+relu"). */
const char *fold_join(struct ir_graph *g, const char *a, const char *b);

/* A new f32 constant of type t named `name` with zeroed, 64-byte aligned
 * data in the graph's arena; *data receives the writable elements. */
uint32_t fold_add_const(struct ir_graph *g, const char *name, struct ir_type t, float **data,
                        struct src_span loc);

/* The elements of a bound f32 constant. */
const float *fold_const_data(const struct ir_graph *g, uint32_t v);

/* The key of the bias that goes with weight key w: "conv1.weight+bn1"
 * gives "conv1.bias". */
const char *fold_bias_key(struct ir_graph *g, const char *w);

/* Node `cons`, whose only activation input is the output of `prod` (which
 * has no other use), is merged into `prod`: prod now defines cons's output
 * value and is renamed "prod+cons"; the intermediate value becomes dead and
 * cons is marked in dead[]. The caller has changed prod's op or attributes
 * so that it computes what cons computed. The value keeps its name if it is
 * a graph output (the generated header names outputs after it), and takes
 * the fused name otherwise. */
void fold_absorb(struct ir_graph *g, uint32_t prod, uint32_t cons, bool *dead);

/* Binary node n with a one-element float constant on one side and the
 * output's type on the other, as the affine step it computes on that
 * operand (*in): add, sub (either side), mul, or div by the constant. */
bool fold_const_affine(const struct ir_graph *g, const struct ir_node *n,
                       struct ir_eltwise_step *st, uint32_t *in);

/* Puts the nodes in the schedule order[0..nnodes) (a permutation of the
 * node ids: new nodes placed before their readers), renumbering them. */
void fold_schedule(struct ir_graph *g, const uint32_t *order);

/* Renames node n (and its value, unless that is a graph output). */
void fold_rename(struct ir_graph *g, uint32_t n, const char *name);

/* Removes the nodes marked in dead[] and every value no longer used
 * (weights replaced by folded copies). */
void fold_finish(struct ir_graph *g, const bool *dead, struct arena *scratch);

#endif
