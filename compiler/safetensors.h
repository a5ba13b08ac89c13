/* safetensors.h - a bounds-checked reader for the safetensors format.
 *
 * Format: u64 little-endian header length N, N bytes of JSON
 *   {"name": {"dtype": "F32", "shape": [..], "data_offsets": [begin, end]},
 *    "__metadata__": {...}}
 * then the data area; offsets are relative to the data area. The reader
 * checks everything (header length within the file and below a limit, valid
 * JSON, known dtypes, shape products and byte sizes without overflow,
 * offsets in range, in order and not overlapping, sizes matching dtype x
 * shape) and reports each problem as an error located at `at` (the
 * `weights` statement's path string). */
#ifndef DLC_SAFETENSORS_H
#define DLC_SAFETENSORS_H

#include <stdbool.h>
#include <stdint.h>

#include "arena.h"
#include "diag.h"

#define ST_MAX_RANK 8
#define ST_MAX_HEADER (100u << 20) /* 100 MiB of JSON at most */
#define ST_MAX_FILE ((uint64_t)16 << 30) /* st_load refuses larger files */

enum st_dtype { ST_NONE, ST_F32, ST_F16, ST_BF16, ST_F64, ST_I64, ST_I32, ST_I16,
                ST_I8, ST_U8, ST_BOOL, ST_U16, ST_U32, ST_U64, ST_F8_E4M3, ST_F8_E5M2 };

struct st_tensor {
	const char *name;
	enum st_dtype dtype;
	uint8_t rank;
	int64_t dims[ST_MAX_RANK];
	const void *data;  /* into the loaded file image (arena-owned) */
	uint64_t nbytes;
	bool used;         /* set by the weight binder */
};

struct st_file {
	const char *path;
	struct st_tensor *tensors; /* in header order */
	uint32_t ntensors;
	uint32_t *by_name;         /* tensor indices sorted by name, for st_find */
};

/* Reads and validates `path`. Returns true on success; on failure reports
 * errors at `at` and returns false. */
bool st_load(struct arena *a, struct diag *d, struct src_span at, const char *path,
             struct st_file *out);
/* Same, from a memory image (the fuzzer and unit tests use this). */
bool st_parse(struct arena *a, struct diag *d, struct src_span at, const char *path,
              const void *image, uint64_t size, struct st_file *out);
/* Binary search by name; NULL if absent. */
struct st_tensor *st_find(const struct st_file *f, const char *name);
const char *st_dtype_name(enum st_dtype dt);
unsigned st_dtype_size(enum st_dtype dt);
/* The safetensors dtype of IR dtype dt (compiler/ir.h); every IR dtype has one. */
enum st_dtype st_dtype_of_ir(int dt);

#endif
