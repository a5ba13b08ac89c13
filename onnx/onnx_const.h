/* onnx_const.h - evaluation of nodes whose inputs are all constant
 * (onnx_const.c). */
#ifndef DLC_ONNX_CONST_H
#define DLC_ONNX_CONST_H

#include "onnx_imp.h"

/* Evaluates the current node when its inputs are all constant and its op
 * is one the evaluator knows. Returns true when it handled the node
 * (including reporting an error). */
bool onnx_try_const(struct onnx_imp *m);
/* True for the ops the evaluator knows (when their inputs are constant). */
bool onnx_const_op(const char *op);

#endif
