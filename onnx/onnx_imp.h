/* onnx_imp.h - the importer's state and what every importer file uses:
 * the value table, IR names, IR emission and error messages
 * (onnx_values.c).
 *
 * The importer's files and their headers, each including only those
 * below it (no cycles):
 *   onnx_import.c  the node loop, graph outputs, the report of
 *                  unsupported operators (onnx_import.h, the public API)
 *   onnx_ops.c, onnx_nn.c, onnx_rnn.c   operators to IR (onnx_map.h)
 *   onnx_const.c   evaluation of nodes whose inputs are all constant
 *                  (onnx_const.h)
 *   onnx_inputs.c  initializers, graph inputs, --input-shape and
 *                  --freeze-input (onnx_inputs.h)
 *   onnx_shape.c   ONNX's shape rules for layout ops (onnx_shape.h)
 *   onnx_read.c    the protobuf file, opsets and tensors (onnx_read.h)
 *   onnx_attr.c    node attributes, constant integer inputs (onnx_attr.h)
 *   onnx_values.c  this header
 *
 * Every ONNX value name has one entry in the table: an activation (an IR
 * value and the static type the importer tracked for it) or a constant
 * tensor (evaluated at import time; it becomes an IR constant only when a
 * node reads it as a weight or operand). */
#ifndef DLC_ONNX_IMP_H
#define DLC_ONNX_IMP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "onnx.pb-c.h"
#include "onnx_import.h"
#include "strmap.h"

/* A constant tensor: f32 for floating point data, i64 for integers and
 * booleans (ONNX's other integer types are widened when read). */
struct onnx_tensor {
	enum ir_dtype dtype;
	enum ir_dtype elem; /* the file's element type (bool, i32, ...) where known, else 0 */
	uint8_t rank;
	int64_t dims[IR_MAX_RANK];
	int64_t numel;
	void *data;       /* numel elements, 64-byte aligned arena memory */
	const char *name; /* initializer or producing output name */
	uint32_t irval;   /* the IR constant made from it, or IR_NONE */
};

enum onnx_kind { ONNX_NONE, ONNX_ACT, ONNX_CONST, ONNX_BAD /* after an error */ };

struct onnx_value {
	const char *name;
	enum onnx_kind kind;
	uint32_t ir;             /* ONNX_ACT: the IR value */
	struct ir_type type;     /* ONNX_ACT: its static type */
	struct onnx_tensor *t;   /* ONNX_CONST */
	uint32_t uses;           /* node inputs and graph outputs naming it */
	bool graph_output;
};

/* One unsupported operator type and the nodes that use it. */
struct onnx_unsup {
	const char *op;
	const char **nodes;
	uint32_t nnodes, cap;
};

struct onnx_imp {
	struct arena *a;
	struct diag *d;
	const char *path, *dir;     /* the model file and its directory */
	struct src_span loc;        /* the model file, for diagnostics */
	const struct onnx_options *opts;
	Onnx__ModelProto *model;
	ProtobufCAllocator alloc;   /* counts the decoder's bytes */
	size_t decode_budget;
	int64_t opset;              /* of the default domain */
	struct ir_graph *g;
	struct strmap values;       /* ONNX name -> index in vals */
	struct onnx_value **vals;
	uint32_t nvals, capvals;
	struct strmap used_names;   /* IR node and constant names taken (a set) */
	struct onnx_unsup *unsup;
	uint32_t nunsup;
	/* the node being imported */
	const Onnx__NodeProto *node;
	uint32_t node_index;
	const char *node_name;      /* as the user knows it (for messages) */
	const char *base;           /* sanitized, for IR names */
};

/* Reports an error, naming the current node and its operator when there
 * is one:  model.onnx: error: node 'Conv_3' (Conv): msg */
void onnx_error(struct onnx_imp *m, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
char *onnx_type_str(const struct ir_type *t, char *buf, size_t n);
int64_t onnx_numel(unsigned rank, const int64_t *dims);

/* The table entry for an ONNX value name (made, kind ONNX_NONE, if new). */
struct onnx_value *onnx_value(struct onnx_imp *m, const char *name);
/* Input k of the current node, or NULL when absent (or empty). */
struct onnx_value *onnx_in(struct onnx_imp *m, unsigned k);
unsigned onnx_nin(const struct onnx_imp *m);
/* Output k of the current node, or NULL when absent or unused. */
struct onnx_value *onnx_out(struct onnx_imp *m, unsigned k);
void onnx_set_act(struct onnx_imp *m, unsigned k, uint32_t ir, const struct ir_type *t);
void onnx_set_const(struct onnx_imp *m, unsigned k, struct onnx_tensor *t);
/* IR names: for output k of the current node (the graph output's name
 * when it is one) and for an intermediate node (base.suffix); unique. */
const char *onnx_name_out(struct onnx_imp *m, unsigned k);
const char *onnx_name_tmp(struct onnx_imp *m, const char *suffix);
const char *onnx_unique(struct onnx_imp *m, const char *want);
/* Adds an IR node in NCHW terms and returns its output value. */
uint32_t onnx_emit(struct onnx_imp *m, enum ir_op op, const char *name, const uint32_t *in,
                   unsigned nin, const union ir_attrs *at);
/* The IR constant for t (made once, f32 data). */
uint32_t onnx_ir_const(struct onnx_imp *m, struct onnx_tensor *t);
/* A new IR constant of t's elements converted to dtype dt (integers
 * truncated, bool: non-zero), for an operand of a typed op. */
uint32_t onnx_ir_const_as(struct onnx_imp *m, struct onnx_tensor *t, enum ir_dtype dt);
/* Value v as an IR operand with its shape: an activation as it is, a
 * constant as an IR constant of dtype dt (its rank as ONNX gives it: 0
 * for a scalar, whose IR constant has shape [1]). */
uint32_t onnx_operand(struct onnx_imp *m, enum ir_dtype dt, struct onnx_value *v,
                      const int64_t **dims, unsigned *rank);
/* A new IR constant holding data (copied by reference) with this shape. */
uint32_t onnx_ir_weight(struct onnx_imp *m, const char *name, const float *data,
                        unsigned rank, const int64_t *dims);
/* Records the current node as using an unsupported operator. */
void onnx_unsupported(struct onnx_imp *m);
/* reshape of activation x to dims (no node when the shape is already it) */
uint32_t onnx_reshape(struct onnx_imp *m, const char *name, uint32_t x, const struct ir_type *xt,
                      unsigned rank, const int64_t *dims);

#endif
