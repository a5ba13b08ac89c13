/* onnx_read.c - reading and checking an ONNX file: the protobuf, the
 * opsets and every tensor (the graph inputs are onnx_inputs.c's).
 *
 * The file is read whole (regular files up to 4 GiB) and decoded by
 * protobuf-c through an allocator that counts bytes, so a hostile file
 * cannot make the decoder allocate without bound. Tensors are converted
 * to f32 (float, double) or i64 (the integer types and bool); their data
 * comes from raw_data (little-endian), the typed fields, or an external
 * file next to the model, which must stay inside the model's directory:
 * absolute paths and '..' are refused, and the resolved path (symlinks
 * followed) must lie below the directory's resolved path. */
#define _XOPEN_SOURCE 700 /* realpath */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "onnx_read.h"

#define ONNX_MAX_FILE_BYTES ((int64_t)4 << 30)
/* Opsets 1 to 6 only for the operators whose form did not change by 7
 * (onnx_legacy_same in onnx_import.c); 20 and 21 changed none of the
 * operators dlc maps but for types it does not compute. */
#define ONNX_MIN_OPSET 1
#define ONNX_MAX_OPSET 21

bool onnx_read_fd(int fd, unsigned char *buf, size_t n, off_t off)
{
	size_t got = 0;
	while (got < n) {
		ssize_t r = pread(fd, buf + got, n - got, off + (off_t)got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return false;
		got += (size_t)r;
	}
	return true;
}

int onnx_open_regular(struct onnx_imp *m, const char *path, int64_t *size, const char *what)
{
	int fd = open(path, O_RDONLY | O_NONBLOCK);
	if (fd < 0) {
		diag_error(m->d, m->loc, "cannot open %s '%s': %s", what, path, strerror(errno));
		return -1;
	}
	struct stat st;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		diag_error(m->d, m->loc, "%s '%s' is not a regular file", what, path);
		close(fd);
		return -1;
	}
	*size = st.st_size;
	return fd;
}

/* Decoding budget: the protobuf may expand (varints, small messages), but
 * not beyond this many times the file plus a fixed allowance. */
#define ONNX_DECODE_FACTOR 4
#define ONNX_DECODE_EXTRA ((size_t)256 << 20)

static void *counted_alloc(void *ctx, size_t size)
{
	size_t *budget = ctx;
	if (size > *budget)
		return NULL;
	*budget -= size;
	return malloc(size);
}

static void counted_free(void *ctx, void *p)
{
	(void)ctx;
	free(p);
}

void onnx_free_model(struct onnx_imp *m)
{
	if (m->model)
		onnx__model_proto__free_unpacked(m->model, &m->alloc);
	m->model = NULL;
}

unsigned char *onnx_read_file(struct onnx_imp *m, const char *path, const char *what,
                              int64_t limit, size_t *len)
{
	int64_t size;
	int fd = onnx_open_regular(m, path, &size, what);
	if (fd < 0)
		return NULL;
	if (size > limit) {
		diag_error(m->d, m->loc,
		           "%s '%s' is too large (%" PRId64 " bytes; the limit is %" PRId64 " bytes)",
		           what, path, size, limit);
		close(fd);
		return NULL;
	}
	unsigned char *buf = malloc(size ? (size_t)size : 1);
	if (!buf)
		dlc_fatal_oom((size_t)size);
	bool ok = onnx_read_fd(fd, buf, (size_t)size, 0);
	close(fd);
	if (!ok) {
		diag_error(m->d, m->loc, "cannot read %s '%s'", what, path);
		free(buf);
		return NULL;
	}
	*len = (size_t)size;
	return buf;
}

Onnx__ModelProto *onnx_read_model(struct onnx_imp *m)
{
	size_t size;
	unsigned char *buf = onnx_read_file(m, m->path, "model", ONNX_MAX_FILE_BYTES, &size);
	if (!buf)
		return NULL;
	m->decode_budget = (size_t)size * ONNX_DECODE_FACTOR + ONNX_DECODE_EXTRA;
	m->alloc = (ProtobufCAllocator){ counted_alloc, counted_free, &m->decode_budget };
	Onnx__ModelProto *model = onnx__model_proto__unpack(&m->alloc, (size_t)size, buf);
	free(buf);
	if (!model)
		diag_error(m->d, m->loc, "not a valid ONNX model (the protobuf is malformed, "
		           "truncated or too large to decode)");
	else if (!model->graph)
		diag_error(m->d, m->loc, "the model has no graph");
	return model;
}

bool onnx_check_opsets(struct onnx_imp *m)
{
	const Onnx__ModelProto *mp = m->model;
	bool ok = true;
	if (!mp->has_ir_version || mp->ir_version < 3) {
		diag_error(m->d, m->loc, "unsupported ONNX IR version %" PRId64 " (3 or later needed)",
		           mp->has_ir_version ? mp->ir_version : (int64_t)0);
		ok = false;
	}
	m->opset = 0;
	for (size_t i = 0; i < mp->n_opset_import; i++) {
		const Onnx__OperatorSetIdProto *o = mp->opset_import[i];
		const char *dom = o->domain ? o->domain : "";
		int64_t v = o->has_version ? o->version : 0;
		if ((!dom[0] || !strcmp(dom, "ai.onnx")) && v >= ONNX_MIN_OPSET && v <= ONNX_MAX_OPSET) {
			m->opset = v;
			continue;
		}
		diag_error(m->d, m->loc, "unsupported opset %" PRId64 " for domain '%s' (dlc supports "
		           "the default domain at opsets %d to %d)", v, dom[0] ? dom : "ai.onnx",
		           ONNX_MIN_OPSET, ONNX_MAX_OPSET);
		ok = false;
	}
	if (ok && !m->opset) {
		diag_error(m->d, m->loc, "the model imports no opset of the default domain");
		ok = false;
	}
	return ok;
}

struct onnx_tensor *onnx_tensor_new(struct onnx_imp *m, enum ir_dtype dt, unsigned rank,
                                    const int64_t *dims)
{
	DLC_ASSERT(rank <= IR_MAX_RANK);
	int64_t bytes = 8;
	for (unsigned i = 0; i < rank; i++)
		if (dims[i] < 0 || ckd_mul_i64(&bytes, bytes, dims[i]) || bytes > IR_MAX_TENSOR_BYTES) {
			onnx_error(m, "tensor too large or with a negative dim");
			return NULL;
		}
	struct onnx_tensor *t = arena_alloc(m->a, sizeof *t);
	t->dtype = dt;
	t->rank = (uint8_t)rank;
	if (rank) /* a scalar may come without dims */
		memcpy(t->dims, dims, rank * sizeof *dims);
	t->numel = onnx_numel(rank, dims);
	t->data = arena_alloc(m->a, (size_t)(t->numel * (int64_t)ir_dtype_size(dt)) + 1);
	t->irval = IR_NONE;
	return t;
}

uint32_t onnx_ir_scalar(struct onnx_imp *m, const char *suffix, enum ir_dtype dt, int64_t v)
{
	struct onnx_tensor *c = onnx_tensor_new(m, IR_DT_I64, 0, NULL);
	if (!c)
		return IR_NONE;
	c->name = onnx_name_tmp(m, suffix);
	((int64_t *)c->data)[0] = v;
	return onnx_ir_const_as(m, c, dt);
}

/* Bytes per element of an ONNX data type dlc reads, 0 for the others. */
unsigned onnx_elem_size(int32_t dt)
{
	switch (dt) {
	case ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT:
	case ONNX__TENSOR_PROTO__DATA_TYPE__INT32:
	case ONNX__TENSOR_PROTO__DATA_TYPE__UINT32: return 4;
	case ONNX__TENSOR_PROTO__DATA_TYPE__DOUBLE:
	case ONNX__TENSOR_PROTO__DATA_TYPE__INT64:
	case ONNX__TENSOR_PROTO__DATA_TYPE__UINT64: return 8;
	case ONNX__TENSOR_PROTO__DATA_TYPE__INT8:
	case ONNX__TENSOR_PROTO__DATA_TYPE__UINT8:
	case ONNX__TENSOR_PROTO__DATA_TYPE__BOOL: return 1;
	case ONNX__TENSOR_PROTO__DATA_TYPE__INT16:
	case ONNX__TENSOR_PROTO__DATA_TYPE__UINT16: return 2;
	default: return 0;
	}
}

const char *onnx_dtype_name(int32_t dt)
{
	static const char *const names[] = { "undefined", "float", "uint8", "int8", "uint16",
	                                     "int16", "int32", "int64", "string", "bool", "float16",
	                                     "double", "uint32", "uint64", "complex64",
	                                     "complex128", "bfloat16" };
	return dt >= 0 && dt < (int32_t)(sizeof names / sizeof names[0]) ? names[dt] : "unknown";
}

enum ir_dtype onnx_ir_dtype(int32_t dt)
{
	switch (dt) {
	case ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT: return IR_DT_F32;
	case ONNX__TENSOR_PROTO__DATA_TYPE__BOOL: return IR_DT_BOOL;
	case ONNX__TENSOR_PROTO__DATA_TYPE__INT8: return IR_DT_I8;
	case ONNX__TENSOR_PROTO__DATA_TYPE__UINT8: return IR_DT_U8;
	case ONNX__TENSOR_PROTO__DATA_TYPE__INT16: return IR_DT_I16;
	case ONNX__TENSOR_PROTO__DATA_TYPE__UINT16: return IR_DT_U16;
	case ONNX__TENSOR_PROTO__DATA_TYPE__INT32: return IR_DT_I32;
	case ONNX__TENSOR_PROTO__DATA_TYPE__UINT32: return IR_DT_U32;
	case ONNX__TENSOR_PROTO__DATA_TYPE__INT64: return IR_DT_I64;
	case ONNX__TENSOR_PROTO__DATA_TYPE__UINT64: return IR_DT_U64;
	default: return IR_DT_NONE;
	}
}

/* Element i of little-endian raw bytes of ONNX type dt, widened. */
static void load_elem(int32_t dt, const unsigned char *p, float *f, int64_t *i)
{
	switch (dt) {
	case ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT: memcpy(f, p, 4); return;
	case ONNX__TENSOR_PROTO__DATA_TYPE__DOUBLE: {
		double v;
		memcpy(&v, p, 8);
		*f = (float)v;
		return;
	}
	case ONNX__TENSOR_PROTO__DATA_TYPE__INT32: {
		int32_t v;
		memcpy(&v, p, 4);
		*i = v;
		return;
	}
	case ONNX__TENSOR_PROTO__DATA_TYPE__UINT32: {
		uint32_t v;
		memcpy(&v, p, 4);
		*i = v;
		return;
	}
	case ONNX__TENSOR_PROTO__DATA_TYPE__INT64:
	case ONNX__TENSOR_PROTO__DATA_TYPE__UINT64: memcpy(i, p, 8); return;
	case ONNX__TENSOR_PROTO__DATA_TYPE__INT8: *i = (int8_t)p[0]; return;
	case ONNX__TENSOR_PROTO__DATA_TYPE__UINT8:
	case ONNX__TENSOR_PROTO__DATA_TYPE__BOOL: *i = p[0]; return;
	case ONNX__TENSOR_PROTO__DATA_TYPE__INT16: {
		int16_t v;
		memcpy(&v, p, 2);
		*i = v;
		return;
	}
	case ONNX__TENSOR_PROTO__DATA_TYPE__UINT16: {
		uint16_t v;
		memcpy(&v, p, 2);
		*i = v;
		return;
	}
	default: DLC_UNREACHABLE("element of an unsupported type");
	}
}

static void fill_from_bytes(struct onnx_tensor *t, int32_t dt, const unsigned char *src)
{
	unsigned es = onnx_elem_size(dt);
	for (int64_t k = 0; k < t->numel; k++) {
		float f = 0;
		int64_t i = 0;
		load_elem(dt, src + k * es, &f, &i);
		if (t->dtype == IR_DT_F32)
			((float *)t->data)[k] = f;
		else
			((int64_t *)t->data)[k] = i;
	}
}

static const char *ext_key(const Onnx__TensorProto *tp, const char *key)
{
	for (size_t i = 0; i < tp->n_external_data; i++)
		if (tp->external_data[i]->key && !strcmp(tp->external_data[i]->key, key))
			return tp->external_data[i]->value;
	return NULL;
}

static bool parse_u64(const char *s, int64_t *out)
{
	char *end;
	errno = 0;
	long long v = s ? strtoll(s, &end, 10) : -1;
	if (!s || errno || end == s || *end || v < 0)
		return false;
	*out = v;
	return true;
}

/* The external data's location: relative, no '..', resolving inside the
 * model's directory. Returns the path to open or NULL (reported). */
static const char *ext_path(struct onnx_imp *m, const char *name, const char *loc)
{
	if (!loc || !loc[0]) {
		diag_error(m->d, m->loc, "tensor '%s': external data without a 'location'", name);
		return NULL;
	}
	if (loc[0] == '/') {
		diag_error(m->d, m->loc, "tensor '%s': external data location '%s' is an absolute "
		           "path; it must be relative to the model's directory", name, loc);
		return NULL;
	}
	for (const char *p = loc; *p;) {
		size_t n = strcspn(p, "/");
		if (n == 2 && p[0] == '.' && p[1] == '.') {
			diag_error(m->d, m->loc, "tensor '%s': external data location '%s' leaves the "
			           "model's directory ('..')", name, loc);
			return NULL;
		}
		p += n + (p[n] == '/');
	}
	const char *path = arena_printf(m->a, "%s/%s", m->dir, loc);
	char dir_real[PATH_MAX], file_real[PATH_MAX];
	if (!realpath(m->dir, dir_real) || !realpath(path, file_real)) {
		diag_error(m->d, m->loc, "tensor '%s': cannot open external data '%s': %s", name, path,
		           strerror(errno));
		return NULL;
	}
	size_t n = strlen(dir_real);
	bool root = n == 1 && dir_real[0] == '/';
	if (strncmp(file_real, dir_real, n) || (!root && file_real[n] != '/')) {
		diag_error(m->d, m->loc, "tensor '%s': external data '%s' resolves to '%s', outside "
		           "the model's directory", name, loc, file_real);
		return NULL;
	}
	return path;
}

/* t's element storage, allocated only once the data is known to be there
 * (a tensor's dims alone may promise up to IR_MAX_TENSOR_BYTES). */
static void alloc_data(struct onnx_imp *m, struct onnx_tensor *t)
{
	t->data = arena_alloc(m->a, (size_t)(t->numel * (int64_t)ir_dtype_size(t->dtype)) + 1);
}

static bool read_external(struct onnx_imp *m, const Onnx__TensorProto *tp, const char *name,
                          struct onnx_tensor *t, int64_t bytes)
{
	int64_t offset = 0, length = bytes;
	const char *off_s = ext_key(tp, "offset"), *len_s = ext_key(tp, "length");
	if ((off_s && !parse_u64(off_s, &offset)) || (len_s && !parse_u64(len_s, &length))) {
		diag_error(m->d, m->loc, "tensor '%s': malformed external data offset or length", name);
		return false;
	}
	if (length != bytes) {
		diag_error(m->d, m->loc, "tensor '%s': external data length is %" PRId64 " bytes, "
		           "expected %" PRId64 " (dims x element size)", name, length, bytes);
		return false;
	}
	const char *path = ext_path(m, name, ext_key(tp, "location"));
	if (!path)
		return false;
	int64_t size;
	int fd = onnx_open_regular(m, path, &size, "external data");
	if (fd < 0)
		return false;
	bool ok = offset <= size && bytes <= size - offset;
	if (!ok)
		diag_error(m->d, m->loc, "tensor '%s': external data '%s' holds %" PRId64 " bytes, "
		           "too few for %" PRId64 " bytes at offset %" PRId64, name, path, size, bytes,
		           offset);
	unsigned char *buf = ok ? malloc(bytes ? (size_t)bytes : 1) : NULL;
	if (ok && !buf)
		dlc_fatal_oom((size_t)bytes);
	if (ok && !onnx_read_fd(fd, buf, (size_t)bytes, (off_t)offset)) {
		diag_error(m->d, m->loc, "tensor '%s': cannot read external data '%s'", name, path);
		ok = false;
	}
	close(fd);
	if (ok) {
		alloc_data(m, t);
		fill_from_bytes(t, tp->data_type, buf);
	}
	free(buf);
	return ok;
}

/* The typed field holding the data of type dt and its element count. */
static void typed_field(const Onnx__TensorProto *tp, const void **data, size_t *n, int *kind)
{
	switch (tp->data_type) {
	case ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT: *data = tp->float_data; *n = tp->n_float_data; *kind = 0; return;
	case ONNX__TENSOR_PROTO__DATA_TYPE__DOUBLE: *data = tp->double_data; *n = tp->n_double_data; *kind = 1; return;
	case ONNX__TENSOR_PROTO__DATA_TYPE__INT64: *data = tp->int64_data; *n = tp->n_int64_data; *kind = 2; return;
	case ONNX__TENSOR_PROTO__DATA_TYPE__UINT32:
	case ONNX__TENSOR_PROTO__DATA_TYPE__UINT64: *data = tp->uint64_data; *n = tp->n_uint64_data; *kind = 3; return;
	default: *data = tp->int32_data; *n = tp->n_int32_data; *kind = 4; return;
	}
}

static void fill_typed(struct onnx_tensor *t, const void *data, int kind)
{
	for (int64_t k = 0; k < t->numel; k++) {
		double v;
		int64_t i;
		/* float and double data make f32 tensors: i is unused (and a
		 * large float has no int64 value) */
		switch (kind) {
		case 0: v = ((const float *)data)[k]; i = 0; break;
		case 1: v = ((const double *)data)[k]; i = 0; break;
		case 2: i = ((const int64_t *)data)[k]; v = (double)i; break;
		case 3: i = (int64_t)((const uint64_t *)data)[k]; v = (double)i; break;
		default: i = ((const int32_t *)data)[k]; v = (double)i; break;
		}
		if (t->dtype == IR_DT_F32)
			((float *)t->data)[k] = (float)v;
		else
			((int64_t *)t->data)[k] = i;
	}
}

struct onnx_tensor *onnx_read_tensor(struct onnx_imp *m, const Onnx__TensorProto *tp,
                                     const char *what)
{
	const char *name = tp->name && tp->name[0] ? tp->name : what;
	int32_t dt = tp->has_data_type ? tp->data_type : 0;
	unsigned es = onnx_elem_size(dt);
	if (!es) {
		diag_error(m->d, m->loc, "tensor '%s' has data type %s, which dlc does not support",
		           name, onnx_dtype_name(dt));
		return NULL;
	}
	if (tp->n_dims > IR_MAX_RANK) {
		diag_error(m->d, m->loc, "tensor '%s' has rank %zu; at most %d is supported", name,
		           tp->n_dims, IR_MAX_RANK);
		return NULL;
	}
	int64_t bytes = es;
	for (size_t i = 0; i < tp->n_dims; i++)
		if (tp->dims[i] < 0 || ckd_mul_i64(&bytes, bytes, tp->dims[i]) ||
		    bytes > IR_MAX_TENSOR_BYTES) {
			diag_error(m->d, m->loc, "tensor '%s' has an invalid or too large shape", name);
			return NULL;
		}
	bool is_float = dt == ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT ||
	                dt == ONNX__TENSOR_PROTO__DATA_TYPE__DOUBLE;
	struct onnx_tensor *t = arena_alloc(m->a, sizeof *t);
	t->dtype = is_float ? IR_DT_F32 : IR_DT_I64;
	t->elem = onnx_ir_dtype(dt);
	t->rank = (uint8_t)tp->n_dims;
	if (tp->n_dims) /* a scalar has no dims array at all */
		memcpy(t->dims, tp->dims, tp->n_dims * sizeof *t->dims);
	t->numel = onnx_numel(t->rank, t->dims);
	t->name = arena_strdup(m->a, name);
	t->irval = IR_NONE;
	if (tp->has_data_location && tp->data_location == ONNX__TENSOR_PROTO__DATA_LOCATION__EXTERNAL)
		return read_external(m, tp, name, t, bytes) ? t : NULL;
	if (tp->has_raw_data) {
		if ((int64_t)tp->raw_data.len != bytes) {
			diag_error(m->d, m->loc, "tensor '%s': raw_data holds %zu bytes, expected %" PRId64
			           " (%" PRId64 " elements of %s)", name, tp->raw_data.len, bytes, t->numel,
			           onnx_dtype_name(dt));
			return NULL;
		}
		alloc_data(m, t);
		fill_from_bytes(t, dt, tp->raw_data.data);
		return t;
	}
	const void *data;
	size_t n;
	int kind;
	typed_field(tp, &data, &n, &kind);
	if ((int64_t)n != t->numel) {
		diag_error(m->d, m->loc, "tensor '%s' holds %zu values, expected %" PRId64
		           " for its dims", name, n, t->numel);
		return NULL;
	}
	alloc_data(m, t);
	fill_typed(t, data, kind);
	return t;
}
