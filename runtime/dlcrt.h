/* dlcrt.h - the dlc runtime: what every program that links a dlc-compiled
 * model sees besides the model's own header.
 *
 * It holds the status codes a model's entry point returns, the dtype codes
 * and the record type of the const tables that describe a model's inputs
 * and outputs. The runtime is plain C11, allocates nothing and has no
 * mutable state, so it is safe from any number of threads. Generated code
 * calls the C math library (expf, tanhf): link programs with -lm. */
#ifndef DLCRT_H
#define DLCRT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define DLCRT_VERSION "0.1.0"
#define DLC_MAX_RANK 8

/* Returned by a model's entry point. 0 means success. */
enum dlc_status {
	DLC_OK = 0,
	DLC_ERR_NULL_BUFFER = 1, /* a required buffer pointer is NULL */
	DLC_ERR_MISALIGNED = 2,  /* a buffer is not aligned as the header says */
	DLC_ERR_INDEX = 3,       /* an input id (embedding, onehot) is out of range;
	                            no output was written */
};

/* Element types, numbered as in the compiler. BOOL is one byte, 0 or 1
 * (inputs: any non-zero byte is true). */
enum dlc_dtype { DLC_DTYPE_NONE, DLC_DTYPE_F32, DLC_DTYPE_I32, DLC_DTYPE_I64, DLC_DTYPE_BOOL,
	         DLC_DTYPE_I8, DLC_DTYPE_U8, DLC_DTYPE_I16, DLC_DTYPE_U16, DLC_DTYPE_U32,
	         DLC_DTYPE_U64 };

/* One input or output of a model: a row of <name>_inputs / <name>_outputs. */
struct dlc_tensor_info {
	const char *name;            /* as in the model source */
	int32_t dtype;               /* enum dlc_dtype */
	int32_t rank;
	int64_t count;               /* elements: product of dims */
	int64_t bytes;               /* count * element size */
	int64_t dims[DLC_MAX_RANK];  /* dims[0..rank-1]; the rest are 0 */
};

/* A short lowercase description of a status ("ok", "null buffer", ...). */
const char *dlc_status_str(int status);
/* Size in bytes of one element of dtype, 0 for an unknown code. */
size_t dlc_dtype_size(int dtype);
/* "f32", "i32", "i64", "bool", "i8", "u8", "i16", "u16", "u32", "u64" or "?". */
const char *dlc_dtype_name(int dtype);
/* True when p is a multiple of align (a power of two). */
bool dlc_is_aligned(const void *p, size_t align);

#endif
