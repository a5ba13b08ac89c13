/* onnx_shape.h - ONNX's shape rules for layout ops (onnx_shape.c), shared
 * by the mappings and the constant evaluator. */
#ifndef DLC_ONNX_SHAPE_H
#define DLC_ONNX_SHAPE_H

#include "onnx_imp.h"

/* One ONNX Slice, resolved per listed axis: start clamped, len elements. */
struct onnx_slice {
	unsigned n;
	int axis[IR_MAX_RANK];
	int64_t start[IR_MAX_RANK], end[IR_MAX_RANK], step[IR_MAX_RANK], len[IR_MAX_RANK];
};
bool onnx_reshape_dims(struct onnx_imp *m, const int64_t *in, unsigned rin, const int64_t *shape,
                       unsigned n, bool allowzero, int64_t *out);
bool onnx_squeeze_dims(struct onnx_imp *m, const int64_t *in, unsigned rin, int64_t *out,
                       unsigned *rout);
bool onnx_unsqueeze_dims(struct onnx_imp *m, const int64_t *in, unsigned rin, int64_t *out,
                         unsigned *rout);
/* Flatten(axis): [prod(dims[:axis]), prod(dims[axis:])] */
bool onnx_flatten_dims(struct onnx_imp *m, const int64_t *in, unsigned rin, int64_t *out);
bool onnx_slice_params(struct onnx_imp *m, const int64_t *in, unsigned rin, struct onnx_slice *s);
/* NumPy broadcast of two shapes (the IR's rule, ir_broadcast_type, on
 * dims arrays; out may be a or b); false when incompatible. */
bool onnx_broadcast(unsigned ra, const int64_t *a, unsigned rb, const int64_t *b, unsigned *rank,
                    int64_t *out);

#endif
