/* onnx_inputs.h - the graph's initializers and inputs (onnx_inputs.c). */
#ifndef DLC_ONNX_INPUTS_H
#define DLC_ONNX_INPUTS_H

#include "onnx_imp.h"

/* Enters every initializer as a constant and every other graph input as
 * an IR input (static type from the model or --input-shape) or, with
 * --freeze-input, a constant; false after reporting errors. */
bool onnx_read_inputs(struct onnx_imp *m);

#endif
