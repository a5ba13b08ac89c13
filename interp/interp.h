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
 * (f32, or i32/i64 for integer inputs), outputs[i] receives
 * g->outputs[i]'s. Returns false (with a diagnostic) if intermediate
 * tensors would need more than `max_bytes` of memory, or if an id read by
 * embedding/onehot is outside [0, vocab/classes): every id is checked
 * before any node runs, and no output is written then. */
bool interp_run(struct ir_graph *g, struct diag *d, const void *const *inputs,
                void *const *outputs, int64_t max_bytes);

/* Runs one node through its kernel; exposed for unit tests. `in` holds the
 * activation inputs, `param` the weights (NULL where absent). For
 * embedding and onehot, in[0] points at the ids in their own dtype (i32
 * or i64), not at floats, and they must be in range. */
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
/* Tensor-op kernels (interp_tensor.c). */
void interp_binary(const struct ir_graph *g, const struct ir_node *n, const float *a,
                   const float *b, float *out);
void interp_matmul(const struct ir_graph *g, const struct ir_node *n, const float *a,
                   const float *b, float *out);
void interp_reduce_mean(const struct ir_graph *g, const struct ir_node *n, const float *x,
                        float *out);
void interp_slice(const struct ir_graph *g, const struct ir_node *n, const float *x, float *out);
void interp_pad(const struct ir_graph *g, const struct ir_node *n, const float *x, float *out);
void interp_broadcast(const struct ir_graph *g, const struct ir_node *n, const float *x,
                      float *out);
void interp_gather(const struct ir_graph *g, const struct ir_node *n, const float *x,
                   float *out);
/* sigmoid as every kernel computes it (never overflows exp). */
float interp_sigmoid(float x);

/* Sequence kernels (interp_seq.c). `ids` are i32 or i64 per the input's
 * dtype. interp_check_ids reports the first id of any embedding/onehot
 * input outside its range (ptr[value id] = the value's elements). */
bool interp_check_ids(const struct ir_graph *g, struct diag *d, const void *const *ptr);
void interp_embedding(const struct ir_graph *g, const struct ir_node *n, const void *ids,
                      const float *w, float *out);
void interp_onehot(const struct ir_graph *g, const struct ir_node *n, const void *ids,
                   float *out);
void interp_lstm(const struct ir_graph *g, const struct ir_node *n, const float *x,
                 const float *const *param, float *out);
void interp_gru(const struct ir_graph *g, const struct ir_node *n, const float *x,
                const float *const *param, float *out);
void interp_timestep(const struct ir_graph *g, const struct ir_node *n, const float *x,
                     float *out);

#endif
