/* onnx_map.h - the mappings from ONNX operators to IR: tables of
 * elementwise, matrix and layout ops (onnx_ops.c) and of conv, pooling,
 * normalization, softmax and pad (onnx_nn.c), LSTM/GRU (onnx_rnn.c) and
 * the ops over integer and bool tensors (onnx_typed.c).
 * Each function maps the current node and returns false after reporting
 * an error. */
#ifndef DLC_ONNX_MAP_H
#define DLC_ONNX_MAP_H

#include "onnx_imp.h"

typedef bool (*onnx_map_fn)(struct onnx_imp *m);
struct onnx_op_map {
	const char *op;
	onnx_map_fn fn;
};
/* Each table ends with { NULL, NULL }. */
extern const struct onnx_op_map onnx_ops_table[];
extern const struct onnx_op_map onnx_nn_table[];
extern const struct onnx_op_map onnx_typed_table[];
extern const struct onnx_op_map onnx_loss_table[]; /* the losses (onnx_loss.c) */
extern const struct onnx_op_map onnx_einsum_table[]; /* Einsum (onnx_einsum.c) */
bool onnx_map_rnn(struct onnx_imp *m); /* LSTM, GRU (onnx_rnn.c) */
/* Add, Sub, Mul, Div, Pow, Min, Max whose activation is an integer or
 * bool tensor, and Pow of mixed types (onnx_typed.c). */
bool onnx_map_typed_binary(struct onnx_imp *m, enum ir_binop op);
/* Clip of an integer activation: max and min with its bounds (constants
 * or activations). */
bool onnx_map_typed_clip(struct onnx_imp *m);

#endif
