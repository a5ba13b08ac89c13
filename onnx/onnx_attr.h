/* onnx_attr.h - the current node's attributes and constant integer inputs
 * (onnx_attr.c). Readers check the attribute's type and report a
 * mismatch rather than guessing. */
#ifndef DLC_ONNX_ATTR_H
#define DLC_ONNX_ATTR_H

#include "onnx_imp.h"

const Onnx__AttributeProto *onnx_attr(const struct onnx_imp *m, const char *name);
int64_t onnx_attr_int(struct onnx_imp *m, const char *name, int64_t def);
float onnx_attr_float(struct onnx_imp *m, const char *name, float def);
/* The string attribute name, or def. */
const char *onnx_attr_str(struct onnx_imp *m, const char *name, const char *def);
/* Reads an ints attribute into out (at most max); returns the count, -1
 * when absent, -2 (reported) when malformed or too long. */
int onnx_attr_ints(struct onnx_imp *m, const char *name, int64_t *out, unsigned max);
/* The same for a floats attribute. */
int onnx_attr_floats(struct onnx_imp *m, const char *name, float *out, unsigned max);
/* Normalizes axis against rank (negative counts from the end); false and
 * reported when out of range. */
bool onnx_axis(struct onnx_imp *m, int64_t axis, unsigned rank, int *out);
/* Reads an integer constant input k of at most max elements into out;
 * returns the count or -1 (reported). */
int onnx_const_ints(struct onnx_imp *m, unsigned k, int64_t *out, unsigned max, const char *what);

#endif
