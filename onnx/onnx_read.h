/* onnx_read.h - reading an ONNX file (onnx_read.c): the protobuf, its
 * opsets and tensors (inline and external data). */
#ifndef DLC_ONNX_READ_H
#define DLC_ONNX_READ_H

#include <sys/types.h>

#include "onnx_imp.h"

/* Reads and decodes m->path; NULL (reported) on error. */
Onnx__ModelProto *onnx_read_model(struct onnx_imp *m);
void onnx_free_model(struct onnx_imp *m);
bool onnx_check_opsets(struct onnx_imp *m);
/* Converts an initializer or attribute tensor; NULL (reported) on error. */
struct onnx_tensor *onnx_read_tensor(struct onnx_imp *m, const Onnx__TensorProto *tp,
                                     const char *what);
/* A new zeroed tensor; false (reported) when too large. */
struct onnx_tensor *onnx_tensor_new(struct onnx_imp *m, enum ir_dtype dt, unsigned rank,
                                    const int64_t *dims);
/* A new one-element IR constant (shape [1]) of dtype dt holding integer
 * v, named after the node (base.suffix); IR_NONE after an error. */
uint32_t onnx_ir_scalar(struct onnx_imp *m, const char *suffix, enum ir_dtype dt, int64_t v);

/* Opens a regular file, reported as what; on success *size is its length. */
int onnx_open_regular(struct onnx_imp *m, const char *path, int64_t *size, const char *what);
/* Reads n bytes at off; false on a short read or an error. */
bool onnx_read_fd(int fd, unsigned char *buf, size_t n, off_t off);
/* The whole of a regular file of at most limit bytes, in a malloc'd
 * buffer the caller frees (*len its length); NULL, reported with what
 * ("the model") as the subject, on any error. */
unsigned char *onnx_read_file(struct onnx_imp *m, const char *path, const char *what,
                              int64_t limit, size_t *len);
/* Bytes per element of ONNX data type dt in raw_data (0 = unsupported). */
unsigned onnx_elem_size(int32_t dt);
const char *onnx_dtype_name(int32_t dt);
/* The IR dtype of ONNX element type dt (float, bool and the integers),
 * IR_DT_NONE for the others (double, float16, string, ...). */
enum ir_dtype onnx_ir_dtype(int32_t dt);

#endif
