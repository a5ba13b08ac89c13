/* safetensors.c - reads and validates safetensors files.
 *
 * st_load reads the whole file into arena memory (after refusing
 * non-regular and oversized files) and hands the image to st_parse. The
 * parser trusts nothing: the header length is checked against the limit and
 * the file size before any JSON is looked at, the JSON is parsed by cJSON
 * from a NUL-terminated copy, and every tensor entry is checked field by
 * field (dtype, shape, offsets, byte size, overlaps, duplicate names). Each
 * problem is reported as its own error so that one run shows them all. */
#include "safetensors.h"

#include <cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "ir.h"

/* JSON numbers are doubles: integers above 2^53 are not exact, and no
 * offset or dimension that large can describe a file below ST_MAX_FILE. */
#define ST_MAX_JSON_INT ((double)((int64_t)1 << 53))

static const struct {
	const char *name;
	enum st_dtype dt;
	unsigned size;
} st_dtypes[] = {
	{ "F32", ST_F32, 4 },   { "F16", ST_F16, 2 },   { "BF16", ST_BF16, 2 },
	{ "F64", ST_F64, 8 },   { "I64", ST_I64, 8 },   { "I32", ST_I32, 4 },
	{ "I16", ST_I16, 2 },   { "I8", ST_I8, 1 },     { "U8", ST_U8, 1 },
	{ "BOOL", ST_BOOL, 1 }, { "U16", ST_U16, 2 },   { "U32", ST_U32, 4 },
	{ "U64", ST_U64, 8 },   { "F8_E4M3", ST_F8_E4M3, 1 },
	{ "F8_E5M2", ST_F8_E5M2, 1 },
};
#define ST_NDTYPES (sizeof st_dtypes / sizeof st_dtypes[0])

const char *st_dtype_name(enum st_dtype dt)
{
	for (size_t i = 0; i < ST_NDTYPES; i++)
		if (st_dtypes[i].dt == dt)
			return st_dtypes[i].name;
	return "?";
}

unsigned st_dtype_size(enum st_dtype dt)
{
	for (size_t i = 0; i < ST_NDTYPES; i++)
		if (st_dtypes[i].dt == dt)
			return st_dtypes[i].size;
	return 0;
}

static enum st_dtype dtype_from_name(const char *s)
{
	for (size_t i = 0; i < ST_NDTYPES; i++)
		if (!strcmp(st_dtypes[i].name, s))
			return st_dtypes[i].dt;
	return ST_NONE;
}

/* State shared by the checks of one header. */
struct st_parser {
	struct diag *d;
	struct src_span at;
	const char *path;
	uint64_t data_size; /* bytes after the header */
};

/* A JSON number that is an exact integer in [min, 2^53]; other values
 * leave *out alone and return false. */
static bool json_int(const cJSON *j, double min, int64_t *out)
{
	if (!cJSON_IsNumber(j))
		return false;
	double v = j->valuedouble;
	if (!isfinite(v) || v != floor(v) || v < min || v > ST_MAX_JSON_INT)
		return false;
	*out = (int64_t)v;
	return true;
}

static void fmt_dims(char *buf, size_t n, const int64_t *dims, unsigned rank)
{
	size_t len = 0;
	int w = snprintf(buf, n, "[");
	len = w > 0 ? (size_t)w : 0;
	for (unsigned i = 0; i < rank && len < n; i++) {
		w = snprintf(buf + len, n - len, "%s%" PRId64, i ? ", " : "", dims[i]);
		len += w > 0 ? (size_t)w : 0;
	}
	if (len < n)
		snprintf(buf + len, n - len, "]");
}

static bool parse_dtype(struct st_parser *p, const char *name, const cJSON *j,
                        struct st_tensor *t)
{
	if (!cJSON_IsString(j)) {
		diag_error(p->d, p->at, "weights file '%s': tensor '%s' has no 'dtype' string",
		           p->path, name);
		return false;
	}
	t->dtype = dtype_from_name(j->valuestring);
	if (t->dtype == ST_NONE) {
		diag_error(p->d, p->at, "weights file '%s': tensor '%s' has unknown dtype '%s'",
		           p->path, name, j->valuestring);
		return false;
	}
	return true;
}

static bool parse_shape(struct st_parser *p, const char *name, const cJSON *j,
                        struct st_tensor *t)
{
	if (!cJSON_IsArray(j)) {
		diag_error(p->d, p->at, "weights file '%s': tensor '%s' has no 'shape' list",
		           p->path, name);
		return false;
	}
	int rank = cJSON_GetArraySize(j);
	if (rank > ST_MAX_RANK) {
		diag_error(p->d, p->at,
		           "weights file '%s': tensor '%s' has %d dimensions, at most %d are supported",
		           p->path, name, rank, ST_MAX_RANK);
		return false;
	}
	t->rank = (uint8_t)rank;
	unsigned k = 0;
	const cJSON *e;
	cJSON_ArrayForEach(e, j) {
		if (cJSON_IsNumber(e) && e->valuedouble < 0) {
			diag_error(p->d, p->at,
			           "weights file '%s': tensor '%s' has negative dimension %g in its shape",
			           p->path, name, e->valuedouble);
			return false;
		}
		if (!json_int(e, 0, &t->dims[k])) {
			diag_error(p->d, p->at,
			           "weights file '%s': tensor '%s' has a shape entry that is not an "
			           "integer in range",
			           p->path, name);
			return false;
		}
		k++;
	}
	return true;
}

static bool parse_offsets(struct st_parser *p, const char *name, const cJSON *j,
                          uint64_t *begin, uint64_t *end)
{
	int64_t b, e;
	if (!cJSON_IsArray(j) || cJSON_GetArraySize(j) != 2 ||
	    !json_int(cJSON_GetArrayItem(j, 0), 0, &b) || !json_int(cJSON_GetArrayItem(j, 1), 0, &e)) {
		diag_error(p->d, p->at,
		           "weights file '%s': tensor '%s' needs 'data_offsets' as a list of two "
		           "non-negative integers",
		           p->path, name);
		return false;
	}
	if (b > e) {
		diag_error(p->d, p->at,
		           "weights file '%s': tensor '%s' has data_offsets [%" PRId64 ", %" PRId64
		           "] that end before they begin",
		           p->path, name, b, e);
		return false;
	}
	if ((uint64_t)e > p->data_size) {
		diag_error(p->d, p->at,
		           "weights file '%s': tensor '%s' has data_offsets [%" PRId64 ", %" PRId64
		           "] beyond the data area (%" PRIu64 " bytes)",
		           p->path, name, b, e, p->data_size);
		return false;
	}
	*begin = (uint64_t)b;
	*end = (uint64_t)e;
	return true;
}

/* Checks one header entry; on success fills t (data relative to the data
 * area, fixed up by the caller) and the offsets. */
static bool parse_tensor(struct st_parser *p, const cJSON *j, struct st_tensor *t,
                         uint64_t *begin, uint64_t *end)
{
	const char *name = j->string;
	memset(t, 0, sizeof *t);
	if (!cJSON_IsObject(j)) {
		diag_error(p->d, p->at,
		           "weights file '%s': header entry '%s' is not a tensor description (an object)",
		           p->path, name);
		return false;
	}
	bool ok = parse_dtype(p, name, cJSON_GetObjectItemCaseSensitive(j, "dtype"), t);
	ok &= parse_shape(p, name, cJSON_GetObjectItemCaseSensitive(j, "shape"), t);
	ok &= parse_offsets(p, name, cJSON_GetObjectItemCaseSensitive(j, "data_offsets"), begin,
	                    end);
	if (!ok)
		return false;
	int64_t numel = 1, bytes;
	bool ovf = false;
	for (unsigned i = 0; i < t->rank; i++)
		ovf |= ckd_mul_i64(&numel, numel, t->dims[i]);
	ovf |= ckd_mul_i64(&bytes, numel, (int64_t)st_dtype_size(t->dtype));
	char shape[256];
	fmt_dims(shape, sizeof shape, t->dims, t->rank);
	if (ovf) {
		diag_error(p->d, p->at, "weights file '%s': tensor '%s' of shape %s is too large",
		           p->path, name, shape);
		return false;
	}
	if ((uint64_t)bytes != *end - *begin) {
		diag_error(p->d, p->at,
		           "weights file '%s': tensor '%s' has %" PRIu64 " bytes of data, but dtype %s "
		           "and shape %s need %" PRId64,
		           p->path, name, *end - *begin, st_dtype_name(t->dtype), shape, bytes);
		return false;
	}
	t->nbytes = (uint64_t)bytes;
	return true;
}

struct st_span {
	uint64_t begin, end;
	uint32_t idx;
};

static int cmp_span(const void *a, const void *b)
{
	const struct st_span *x = a, *y = b;
	if (x->begin != y->begin)
		return x->begin < y->begin ? -1 : 1;
	if (x->end != y->end)
		return x->end < y->end ? -1 : 1;
	return x->idx < y->idx ? -1 : x->idx > y->idx;
}

/* Reports every tensor whose bytes overlap an earlier one's. Empty tensors
 * occupy no bytes and overlap nothing. */
static bool check_overlaps(struct st_parser *p, const struct st_file *f, struct st_span *s)
{
	qsort(s, f->ntensors, sizeof *s, cmp_span);
	bool ok = true;
	const struct st_span *far = NULL; /* the span reaching furthest so far */
	for (uint32_t i = 0; i < f->ntensors; i++) {
		if (s[i].begin == s[i].end)
			continue;
		if (far && s[i].begin < far->end) {
			diag_error(p->d, p->at,
			           "weights file '%s': tensors '%s' and '%s' overlap (bytes [%" PRIu64
			           ", %" PRIu64 ") and [%" PRIu64 ", %" PRIu64 "))",
			           p->path, f->tensors[far->idx].name, f->tensors[s[i].idx].name,
			           far->begin, far->end, s[i].begin, s[i].end);
			ok = false;
		}
		if (!far || s[i].end > far->end)
			far = &s[i];
	}
	return ok;
}

struct st_named {
	const char *name;
	uint32_t idx;
};

static int cmp_named(const void *a, const void *b)
{
	const struct st_named *x = a, *y = b;
	int c = strcmp(x->name, y->name);
	return c ? c : (x->idx < y->idx ? -1 : x->idx > y->idx);
}

/* Builds f->by_name and reports duplicate names (JSON allows them, the
 * format does not). */
static bool index_names(struct st_parser *p, struct arena *a, struct st_file *f)
{
	struct st_named *v = malloc((f->ntensors ? f->ntensors : 1) * sizeof *v);
	if (!v)
		dlc_fatal_oom(f->ntensors * sizeof *v);
	for (uint32_t i = 0; i < f->ntensors; i++)
		v[i] = (struct st_named){ f->tensors[i].name, i };
	qsort(v, f->ntensors, sizeof *v, cmp_named);
	f->by_name = arena_array(a, f->ntensors, sizeof *f->by_name);
	bool ok = true;
	for (uint32_t i = 0; i < f->ntensors; i++) {
		f->by_name[i] = v[i].idx;
		if (i && !strcmp(v[i - 1].name, v[i].name) &&
		    (i < 2 || strcmp(v[i - 2].name, v[i].name))) {
			diag_error(p->d, p->at, "weights file '%s': tensor '%s' appears more than once",
			           p->path, v[i].name);
			ok = false;
		}
	}
	free(v);
	return ok;
}

/* Checks the entries of the parsed header object and fills out. */
static bool parse_entries(struct st_parser *p, struct arena *a, const cJSON *root,
                          const unsigned char *data, struct st_file *out)
{
	uint32_t n = 0;
	const cJSON *j;
	cJSON_ArrayForEach(j, root)
		n += strcmp(j->string, "__metadata__") != 0;
	out->tensors = arena_array(a, n, sizeof *out->tensors);
	struct st_span *spans = malloc((n ? n : 1) * sizeof *spans);
	if (!spans)
		dlc_fatal_oom(n * sizeof *spans);
	bool ok = true;
	cJSON_ArrayForEach(j, root) {
		if (!strcmp(j->string, "__metadata__"))
			continue;
		struct st_tensor *t = &out->tensors[out->ntensors];
		uint64_t begin, end;
		if (!parse_tensor(p, j, t, &begin, &end)) {
			ok = false;
			continue;
		}
		t->name = arena_strdup(a, j->string);
		t->data = data + begin;
		spans[out->ntensors] = (struct st_span){ begin, end, out->ntensors };
		out->ntensors++;
	}
	ok &= check_overlaps(p, out, spans);
	free(spans);
	ok &= index_names(p, a, out);
	return ok;
}

/* Parses the JSON text and checks that it is one object followed by
 * nothing but the spaces writers pad the header with. */
static cJSON *parse_json(struct st_parser *p, struct arena *a, const unsigned char *text,
                         uint64_t len)
{
	char *s = arena_strndup(a, (const char *)text, (size_t)len);
	const char *end = NULL;
	cJSON *root = cJSON_ParseWithLengthOpts(s, (size_t)len, &end, 0);
	if (root && end)
		while (end < s + len && *end && strchr(" \t\r\n", *end))
			end++;
	if (!root || !end || end != s + len) {
		size_t at = end && end >= s && end <= s + len ? (size_t)(end - s) : 0;
		diag_error(p->d, p->at,
		           "weights file '%s': header is not valid JSON (error at byte %zu of %" PRIu64
		           ")",
		           p->path, at, len);
		cJSON_Delete(root);
		return NULL;
	}
	if (!cJSON_IsObject(root)) {
		diag_error(p->d, p->at, "weights file '%s': header is not a JSON object", p->path);
		cJSON_Delete(root);
		return NULL;
	}
	return root;
}

bool st_parse(struct arena *a, struct diag *d, struct src_span at, const char *path,
              const void *image, uint64_t size, struct st_file *out)
{
	memset(out, 0, sizeof *out);
	out->path = path;
	const unsigned char *b = image;
	if (size == 0) {
		diag_error(d, at, "weights file '%s': file is empty", path);
		return false;
	}
	if (size < 8) {
		diag_error(d, at,
		           "weights file '%s': file is too short (%" PRIu64 " bytes) for a "
		           "safetensors header",
		           path, size);
		return false;
	}
	uint64_t hlen = 0;
	for (int i = 7; i >= 0; i--)
		hlen = hlen << 8 | b[i];
	if (hlen > ST_MAX_HEADER) {
		diag_error(d, at,
		           "weights file '%s': header length %" PRIu64 " is larger than the limit of "
		           "%u bytes",
		           path, hlen, ST_MAX_HEADER);
		return false;
	}
	if (hlen > size - 8) {
		diag_error(d, at,
		           "weights file '%s': header length %" PRIu64 " goes beyond the end of the "
		           "file (%" PRIu64 " bytes)",
		           path, hlen, size);
		return false;
	}
	struct st_parser p = { d, at, path, size - 8 - hlen };
	cJSON *root = parse_json(&p, a, b + 8, hlen);
	if (!root)
		return false;
	bool ok = parse_entries(&p, a, root, b + 8 + hlen, out);
	cJSON_Delete(root);
	return ok;
}

/* Reads exactly n bytes; false with errno set (0 for end of file). */
static bool read_all(int fd, unsigned char *buf, uint64_t n)
{
	while (n) {
		size_t chunk = n > ((size_t)1 << 30) ? (size_t)1 << 30 : (size_t)n;
		ssize_t r = read(fd, buf, chunk);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			if (r == 0)
				errno = 0;
			return false;
		}
		buf += r;
		n -= (uint64_t)r;
	}
	return true;
}

bool st_load(struct arena *a, struct diag *d, struct src_span at, const char *path,
             struct st_file *out)
{
	memset(out, 0, sizeof *out);
	out->path = path;
	/* O_NONBLOCK: opening a FIFO must not wait for a writer. */
	int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0) {
		diag_error(d, at, "weights file '%s': cannot open: %s", path, strerror(errno));
		return false;
	}
	struct stat st;
	bool ok = false;
	if (fstat(fd, &st) != 0) {
		diag_error(d, at, "weights file '%s': cannot read: %s", path, strerror(errno));
	} else if (S_ISDIR(st.st_mode)) {
		diag_error(d, at, "weights file '%s': is a directory", path);
	} else if (!S_ISREG(st.st_mode)) {
		diag_error(d, at, "weights file '%s': is not a regular file", path);
	} else if ((uint64_t)st.st_size > ST_MAX_FILE) {
		diag_error(d, at,
		           "weights file '%s': file is too large (%" PRIu64 " bytes, the limit is "
		           "%" PRIu64 ")",
		           path, (uint64_t)st.st_size, ST_MAX_FILE);
	} else {
		uint64_t size = (uint64_t)st.st_size;
		unsigned char *buf = arena_alloc(a, size ? (size_t)size : 1);
		if (!read_all(fd, buf, size))
			diag_error(d, at, "weights file '%s': cannot read: %s", path,
			           errno ? strerror(errno) : "file shrank while being read");
		else
			ok = st_parse(a, d, at, path, buf, size, out);
	}
	close(fd);
	return ok;
}

struct st_tensor *st_find(const struct st_file *f, const char *name)
{
	uint32_t lo = 0, hi = f->ntensors;
	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;
		struct st_tensor *t = &f->tensors[f->by_name[mid]];
		int c = strcmp(t->name, name);
		if (c == 0)
			return t;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

enum st_dtype st_dtype_of_ir(int dt)
{
	switch ((enum ir_dtype)dt) {
	case IR_DT_F32: return ST_F32;
	case IR_DT_I32: return ST_I32;
	case IR_DT_I64: return ST_I64;
	case IR_DT_BOOL: return ST_BOOL;
	case IR_DT_I8: return ST_I8;
	case IR_DT_U8: return ST_U8;
	case IR_DT_I16: return ST_I16;
	case IR_DT_U16: return ST_U16;
	case IR_DT_U32: return ST_U32;
	case IR_DT_U64: return ST_U64;
	case IR_DT_NONE: break;
	}
	DLC_UNREACHABLE("st_dtype_of_ir: a tensor without a dtype");
}
