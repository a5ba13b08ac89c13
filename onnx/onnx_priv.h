/* onnx_priv.h - what the files of the ONNX importer share.
 *
 *   onnx_import.c  the value table, node names, the node loop, the report
 *                  of unsupported operators
 *   onnx_read.c    reading and checking the file, opsets, inputs and
 *                  tensors (inline and external data)
 *   onnx_attr.c    node attributes and error messages
 *   onnx_shape.c   ONNX's shape rules for layout ops (reshape, slice, ...)
 *   onnx_const.c   evaluation of nodes whose inputs are all constant
 *   onnx_ops.c     elementwise, matrix and layout ops to IR
 *   onnx_nn.c      conv, pooling, normalization, softmax, pad to IR
 *   onnx_rnn.c     LSTM and GRU to IR
 *
 * Every ONNX value name has one entry in the table: an activation (an IR
 * value and the static type the importer tracked for it) or a constant
 * tensor (evaluated at import time; it becomes an IR constant only when a
 * node reads it as a weight or operand). */
#ifndef DLC_ONNX_PRIV_H
#define DLC_ONNX_PRIV_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "onnx.pb-c.h"
#include "strmap.h"
#include "onnx_import.h"

/* Constants above this many bytes are never created by evaluation. */
#define ONNX_MAX_EVAL_BYTES ((int64_t)64 << 20)

/* A constant tensor: f32 for floating point data, i64 for integers and
 * booleans (ONNX's other integer types are widened when read). */
struct onnx_tensor {
	enum ir_dtype dtype;
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

/* ---- onnx_import.c ---- */
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
/* A new IR constant holding data (copied by reference) with this shape. */
uint32_t onnx_ir_weight(struct onnx_imp *m, const char *name, const float *data,
                        unsigned rank, const int64_t *dims);
/* Records the current node as using an unsupported operator. */
void onnx_unsupported(struct onnx_imp *m);
/* reshape of activation x to dims (no node when the shape is already it) */
uint32_t onnx_reshape(struct onnx_imp *m, const char *name, uint32_t x, const struct ir_type *xt,
                      unsigned rank, const int64_t *dims);

/* ---- onnx_attr.c ---- */
void onnx_error(struct onnx_imp *m, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
const Onnx__AttributeProto *onnx_attr(const struct onnx_imp *m, const char *name);
int64_t onnx_attr_int(struct onnx_imp *m, const char *name, int64_t def);
float onnx_attr_float(struct onnx_imp *m, const char *name, float def);
/* The string attribute name, or def. */
const char *onnx_attr_str(struct onnx_imp *m, const char *name, const char *def);
/* Reads an ints attribute into out (at most max); returns the count, -1
 * when absent, -2 (reported) when malformed or too long. */
int onnx_attr_ints(struct onnx_imp *m, const char *name, int64_t *out, unsigned max);
/* Normalizes axis against rank (negative counts from the end); false and
 * reported when out of range. */
bool onnx_axis(struct onnx_imp *m, int64_t axis, unsigned rank, int *out);
char *onnx_type_str(const struct ir_type *t, char *buf, size_t n);
/* Reads an integer constant input k of at most max elements into out;
 * returns the count or -1 (reported). */
int onnx_const_ints(struct onnx_imp *m, unsigned k, int64_t *out, unsigned max, const char *what);

/* ---- onnx_read.c ---- */
/* Reads and decodes m->path; NULL (reported) on error. */
Onnx__ModelProto *onnx_read_model(struct onnx_imp *m);
void onnx_free_model(struct onnx_imp *m);
bool onnx_check_opsets(struct onnx_imp *m);
/* Converts an initializer or attribute tensor; NULL (reported) on error. */
struct onnx_tensor *onnx_read_tensor(struct onnx_imp *m, const Onnx__TensorProto *tp,
                                     const char *what);
bool onnx_read_inputs(struct onnx_imp *m);
/* A new zeroed tensor; false (reported) when too large. */
struct onnx_tensor *onnx_tensor_new(struct onnx_imp *m, enum ir_dtype dt, unsigned rank,
                                    const int64_t *dims);

/* Opens a regular file, reported as what; on success *size is its length. */
int onnx_open_regular(struct onnx_imp *m, const char *path, int64_t *size, const char *what);
/* Reads n bytes at off; false on a short read or an error. */
bool onnx_read_fd(int fd, unsigned char *buf, size_t n, off_t off);
/* Bytes per element of ONNX data type dt in raw_data (0 = unsupported). */
unsigned onnx_elem_size(int32_t dt);
const char *onnx_dtype_name(int32_t dt);
/* The --input-shape given for input name, or NULL. */
const struct onnx_input_shape *onnx_given_shape(struct onnx_imp *m, const char *name);

/* ---- onnx_freeze.c ---- */
/* The --freeze-input naming graph input name, or NULL. */
const struct onnx_freeze *onnx_find_freeze(const struct onnx_imp *m, const char *name);
/* Reports every --freeze-input that names no graph input, an initializer,
 * or an input already named; false if any. */
bool onnx_check_freezes(struct onnx_imp *m);
/* The constant for frozen graph input vi, read from its file and checked
 * against the input's declared type; NULL (reported) on error. */
struct onnx_tensor *onnx_freeze_input(struct onnx_imp *m, const Onnx__ValueInfoProto *vi);

/* ---- onnx_shape.c ---- */
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
/* NumPy broadcast of two shapes; false when incompatible. */
bool onnx_broadcast(unsigned ra, const int64_t *a, unsigned rb, const int64_t *b, unsigned *rank,
                    int64_t *out);
int64_t onnx_numel(unsigned rank, const int64_t *dims);

/* ---- onnx_const.c ---- */
/* Evaluates the current node when its inputs are all constant and its op
 * is one the evaluator knows. Returns true when it handled the node
 * (including reporting an error). */
bool onnx_try_const(struct onnx_imp *m);
/* True for the ops the evaluator knows (when their inputs are constant). */
bool onnx_const_op(const char *op);

/* ---- mapping: each returns false after reporting an error ---- */
typedef bool (*onnx_map_fn)(struct onnx_imp *m);
struct onnx_op_map {
	const char *op;
	onnx_map_fn fn;
};
extern const struct onnx_op_map onnx_ops_table[];
extern const struct onnx_op_map onnx_nn_table[];
bool onnx_map_rnn(struct onnx_imp *m); /* LSTM, GRU (onnx_rnn.c) */

#endif
