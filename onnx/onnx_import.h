/* onnx_import.h - ONNX models (.onnx) to IR.
 *
 * The second front end next to the .dl language: onnx_import reads a
 * model file with protobuf-c code generated from Debian's onnx.proto,
 * checks it (opsets, inputs, initializers, external data), evaluates the
 * shape-computing subgraphs exporters emit at import time and maps every
 * remaining node to IR ops through the builder (compiler/ir.h). Weights
 * become IR constants that already hold their data, named after the
 * initializers. All 4-D activations are NCHW, as in ONNX.
 *
 * Errors are reported through the diag as "model.onnx: error: node 'x'
 * (Conv): ..." (a protobuf has no lines); unsupported operators are
 * collected and reported once, all of them with the nodes using them. */
#ifndef DLC_ONNX_IMPORT_H
#define DLC_ONNX_IMPORT_H

#include <stdbool.h>

#include "arena.h"
#include "diag.h"
#include "ir.h"

/* A static shape for an input with symbolic dims (--input-shape). */
struct onnx_input_shape {
	char name[256];
	uint8_t rank;
	int64_t dims[IR_MAX_RANK];
};

/* A graph input made a constant (--freeze-input NAME=FILE): its value is
 * read from path, an ONNX TensorProto (.pb) or, for a name ending in
 * ".bin", raw little-endian elements of the input's declared type. */
struct onnx_freeze {
	char name[256];
	const char *path;
};

struct onnx_options {
	const struct onnx_input_shape *shapes;
	unsigned nshapes;
	const struct onnx_freeze *freezes;
	unsigned nfreezes;
};

/* Parses "name=d1,d2,..." (every dim >= 1, at most IR_MAX_RANK) into *out.
 * Returns false if arg is malformed. */
bool onnx_parse_input_shape(const char *arg, struct onnx_input_shape *out);

/* Parses "name=file" into *out (out->path points into arg). Returns false
 * if arg is malformed. */
bool onnx_parse_freeze(const char *arg, struct onnx_freeze *out);

/* True when path names an ONNX model (ends in ".onnx"). */
bool onnx_is_model_path(const char *path);

/* Imports the model at path. Returns the graph (types unknown until shape
 * inference, every constant bound) or NULL after reporting errors. */
struct ir_graph *onnx_import(struct arena *a, struct diag *d, const char *path,
                             const struct onnx_options *o);

#endif
