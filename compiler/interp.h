/* interp.h - the reference interpreter: plain, obviously-correct kernels
 * over the IR. It is the test oracle for every optimization and for the
 * generated code, so it favours clarity over speed: one loop nest per op,
 * indexing through the declared layout, double accumulators nowhere (so it
 * matches fp32 frameworks), no fusion. */
#ifndef DLC_INTERP_H
#define DLC_INTERP_H

#include <stdbool.h>

#include "ir.h"

/* Runs a typed, bound graph. inputs[i] points at g->inputs[i]'s elements,
 * outputs[i] receives g->outputs[i]'s. Returns false (with a diagnostic)
 * if intermediate tensors would need more than `max_bytes` of memory. */
bool interp_run(struct ir_graph *g, struct diag *d, const void *const *inputs,
                void *const *outputs, int64_t max_bytes);

/* Runs one node through its kernel; exposed for unit tests. `in` holds the
 * activation inputs, `param` the weights (NULL where absent). */
void interp_node(struct ir_graph *g, const struct ir_node *n, const float *const *in,
                 const float *const *param, float *out);

/* The kernels behind interp_node (interp_kernels.c). Each reads the shapes
 * and attributes of node n in graph g; `out` holds the output's elements. */
void interp_conv2d(const struct ir_graph *g, const struct ir_node *n, const float *x,
                   const float *res, const float *w, const float *b, float *out);
void interp_dense(const struct ir_graph *g, const struct ir_node *n, const float *x,
                  const float *res, const float *w, const float *b, float *out);
void interp_pool2d(const struct ir_graph *g, const struct ir_node *n, const float *x,
                   float *out);
void interp_global_avgpool(const struct ir_graph *g, const struct ir_node *n,
                           const float *x, float *out);
void interp_copy(const struct ir_graph *g, const struct ir_node *n, const float *x,
                 float *out);
void interp_activation(const struct ir_graph *g, const struct ir_node *n, const float *x,
                       float *out);
void interp_softmax(const struct ir_graph *g, const struct ir_node *n, const float *x,
                    float *out);
void interp_batchnorm(const struct ir_graph *g, const struct ir_node *n, const float *x,
                      const float *const *param, float *out);
void interp_add(const struct ir_graph *g, const struct ir_node *n, const float *const *in,
                float *out);
void interp_concat(const struct ir_graph *g, const struct ir_node *n,
                   const float *const *in, float *out);
void interp_rescale(const struct ir_graph *g, const struct ir_node *n, const float *x,
                    float *out);
void interp_normalize(const struct ir_graph *g, const struct ir_node *n, const float *x,
                      float *out);

void interp_clip(const struct ir_graph *g, const struct ir_node *n, const float *x, float *out);
void interp_zeropad2d(const struct ir_graph *g, const struct ir_node *n, const float *x,
                      float *out);
void interp_scale_bias(const struct ir_graph *g, const struct ir_node *n, const float *x,
                       const float *scale, const float *bias, float *out);
void interp_eltwise(const struct ir_graph *g, const struct ir_node *n, const float *x,
                    float *out);
void interp_transpose(const struct ir_graph *g, const struct ir_node *n, const float *x,
                      float *out);

#endif
