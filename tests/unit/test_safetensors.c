/* test_safetensors.c - the safetensors reader on crafted images: one test
 * per validation, each checking the exact message, plus st_load on real
 * files, directories and FIFOs. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "safetensors.h"

struct fixture {
	struct arena arena;
	struct diag diag;
	char *buf;
	size_t len;
	FILE *out;
	struct st_file file;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof *f);
	f->out = open_memstream(&f->buf, &f->len);
	diag_init(&f->diag, f->out);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	fclose(f->out);
	free(f->buf);
	diag_free(&f->diag);
	arena_free(&f->arena);
	free(f);
	return 0;
}

static const char *messages(struct fixture *f)
{
	fflush(f->out);
	return f->buf;
}

/* An image: u64 LE header length, the header text, then `data`. */
static unsigned char *image(const char *header, const void *data, size_t ndata, uint64_t *size)
{
	size_t h = strlen(header);
	unsigned char *b = malloc(8 + h + ndata + 1);
	for (int i = 0; i < 8; i++)
		b[i] = (unsigned char)((uint64_t)h >> (8 * i));
	memcpy(b + 8, header, h);
	if (ndata)
		memcpy(b + 8 + h, data, ndata);
	*size = 8 + h + ndata;
	return b;
}

static bool parse(struct fixture *f, const char *header, const void *data, size_t ndata)
{
	uint64_t size;
	unsigned char *b = image(header, data, ndata, &size);
	bool ok = st_parse(&f->arena, &f->diag, (struct src_span){ 0 }, "w.st", b, size, &f->file);
	/* tensors point into the image; tests that read data keep their own */
	if (!ok || !ndata)
		free(b);
	return ok;
}

/* Parses header (+ ndata zero bytes) and expects exactly `want`. */
static void expect_error(void **state, const char *header, size_t ndata, const char *want)
{
	struct fixture *f = *state;
	unsigned char *zeros = calloc(1, ndata + 1);
	bool ok = parse(f, header, zeros, ndata);
	free(zeros);
	assert_false(ok);
	assert_string_equal(messages(f), want);
}

static void test_valid(void **state)
{
	struct fixture *f = *state;
	float a[6] = { 1, 2, 3, 4, 5, 6 };
	unsigned char data[32] = { 0 };
	memcpy(data + 8, a, sizeof a);
	data[0] = 7;
	uint64_t size;
	unsigned char *b = image("{\"__metadata__\":{\"format\":\"pt\"},"
	                         "\"w\":{\"dtype\":\"F32\",\"shape\":[2,3],\"data_offsets\":[8,32]},"
	                         "\"n\":{\"dtype\":\"I64\",\"shape\":[],\"data_offsets\":[0,8]},"
	                         "\"e\":{\"dtype\":\"F32\",\"shape\":[0,4],\"data_offsets\":[8,8]}}  ",
	                         data, sizeof data, &size);
	assert_true(st_parse(&f->arena, &f->diag, (struct src_span){ 0 }, "w.st", b, size,
	                     &f->file));
	assert_string_equal(messages(f) ? messages(f) : "", "");
	assert_int_equal(f->file.ntensors, 3);
	struct st_tensor *w = st_find(&f->file, "w");
	assert_non_null(w);
	assert_ptr_equal(w, &f->file.tensors[0]);
	assert_int_equal(w->dtype, ST_F32);
	assert_int_equal(w->rank, 2);
	assert_int_equal(w->dims[0], 2);
	assert_int_equal(w->dims[1], 3);
	assert_int_equal(w->nbytes, 24);
	assert_memory_equal(w->data, a, sizeof a);
	struct st_tensor *n = st_find(&f->file, "n");
	assert_int_equal(n->rank, 0);
	assert_int_equal(n->nbytes, 8);
	assert_int_equal(*(const unsigned char *)n->data, 7);
	assert_int_equal(st_find(&f->file, "e")->nbytes, 0);
	assert_null(st_find(&f->file, "__metadata__"));
	assert_null(st_find(&f->file, "x"));
	assert_false(w->used);
	free(b);
}

static void test_dtype_table(void **state)
{
	(void)state;
	assert_string_equal(st_dtype_name(ST_BF16), "BF16");
	assert_string_equal(st_dtype_name(ST_F8_E5M2), "F8_E5M2");
	assert_string_equal(st_dtype_name(ST_NONE), "?");
	assert_int_equal(st_dtype_size(ST_F64), 8);
	assert_int_equal(st_dtype_size(ST_F16), 2);
	assert_int_equal(st_dtype_size(ST_BOOL), 1);
	assert_int_equal(st_dtype_size(ST_NONE), 0);
}

static void test_empty(void **state)
{
	struct fixture *f = *state;
	assert_false(st_parse(&f->arena, &f->diag, (struct src_span){ 0 }, "w.st", "", 0, &f->file));
	assert_string_equal(messages(f), "dlc: error: weights file 'w.st': file is empty\n");
}

static void test_short(void **state)
{
	struct fixture *f = *state;
	assert_false(st_parse(&f->arena, &f->diag, (struct src_span){ 0 }, "w.st", "abc", 3,
	                      &f->file));
	assert_string_equal(messages(f), "dlc: error: weights file 'w.st': file is too short "
	                                 "(3 bytes) for a safetensors header\n");
}

static void test_header_absurd(void **state)
{
	struct fixture *f = *state;
	unsigned char b[16] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, '{', '}' };
	assert_false(st_parse(&f->arena, &f->diag, (struct src_span){ 0 }, "w.st", b, sizeof b,
	                      &f->file));
	assert_string_equal(messages(f), "dlc: error: weights file 'w.st': header length "
	                                 "18446744073709551615 is larger than the limit of "
	                                 "104857600 bytes\n");
}

static void test_header_beyond_file(void **state)
{
	struct fixture *f = *state;
	unsigned char b[12] = { 100, 0, 0, 0, 0, 0, 0, 0, '{', '}', ' ', ' ' };
	assert_false(st_parse(&f->arena, &f->diag, (struct src_span){ 0 }, "w.st", b, sizeof b,
	                      &f->file));
	assert_string_equal(messages(f), "dlc: error: weights file 'w.st': header length 100 goes "
	                                 "beyond the end of the file (12 bytes)\n");
}

static void test_invalid_json(void **state)
{
	expect_error(state, "{\"w\": {\"dtype\": }", 0,
	             "dlc: error: weights file 'w.st': header is not valid JSON (error at byte 16 "
	             "of 17)\n");
}

static void test_trailing_garbage(void **state)
{
	expect_error(state, "{} x", 0,
	             "dlc: error: weights file 'w.st': header is not valid JSON (error at byte 3 "
	             "of 4)\n");
}

static void test_embedded_nul(void **state)
{
	struct fixture *f = *state;
	unsigned char b[12] = { 4, 0, 0, 0, 0, 0, 0, 0, '{', '}', 0, ' ' };
	assert_false(st_parse(&f->arena, &f->diag, (struct src_span){ 0 }, "w.st", b, sizeof b,
	                      &f->file));
	assert_string_equal(messages(f), "dlc: error: weights file 'w.st': header is not valid "
	                                 "JSON (error at byte 2 of 4)\n");
}

static void test_not_object(void **state)
{
	expect_error(state, "[1, 2]", 0,
	             "dlc: error: weights file 'w.st': header is not a JSON object\n");
}

static void test_entry_not_object(void **state)
{
	expect_error(state, "{\"w\": 3}", 0,
	             "dlc: error: weights file 'w.st': header entry 'w' is not a tensor "
	             "description (an object)\n");
}

static void test_missing_fields(void **state)
{
	expect_error(state, "{\"w\": {}}", 0,
	             "dlc: error: weights file 'w.st': tensor 'w' has no 'dtype' string\n"
	             "dlc: error: weights file 'w.st': tensor 'w' has no 'shape' list\n"
	             "dlc: error: weights file 'w.st': tensor 'w' needs 'data_offsets' as a list "
	             "of two non-negative integers\n");
}

static void test_unknown_dtype(void **state)
{
	expect_error(state, "{\"w\":{\"dtype\":\"F33\",\"shape\":[1],\"data_offsets\":[0,4]}}", 4,
	             "dlc: error: weights file 'w.st': tensor 'w' has unknown dtype 'F33'\n");
}

static void test_negative_dim(void **state)
{
	expect_error(state, "{\"w\":{\"dtype\":\"F32\",\"shape\":[2,-3],\"data_offsets\":[0,4]}}",
	             4, "dlc: error: weights file 'w.st': tensor 'w' has negative dimension -3 in "
	                "its shape\n");
}

static void test_fractional_dim(void **state)
{
	expect_error(state, "{\"w\":{\"dtype\":\"F32\",\"shape\":[1.5],\"data_offsets\":[0,4]}}",
	             4, "dlc: error: weights file 'w.st': tensor 'w' has a shape entry that is "
	                "not an integer in range\n");
}

static void test_huge_dim(void **state)
{
	expect_error(state, "{\"w\":{\"dtype\":\"F32\",\"shape\":[1e300],\"data_offsets\":[0,4]}}",
	             4, "dlc: error: weights file 'w.st': tensor 'w' has a shape entry that is "
	                "not an integer in range\n");
}

static void test_rank_limit(void **state)
{
	expect_error(state,
	             "{\"w\":{\"dtype\":\"F32\",\"shape\":[1,1,1,1,1,1,1,1,1],"
	             "\"data_offsets\":[0,4]}}",
	             4, "dlc: error: weights file 'w.st': tensor 'w' has 9 dimensions, at most 8 "
	                "are supported\n");
}

static void test_shape_overflow(void **state)
{
	expect_error(state,
	             "{\"w\":{\"dtype\":\"F32\",\"shape\":[4294967296,4294967296],"
	             "\"data_offsets\":[0,4]}}",
	             4, "dlc: error: weights file 'w.st': tensor 'w' of shape [4294967296, "
	                "4294967296] is too large\n");
}

static void test_offsets_malformed(void **state)
{
	expect_error(state, "{\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4,8]}}",
	             8, "dlc: error: weights file 'w.st': tensor 'w' needs 'data_offsets' as a "
	                "list of two non-negative integers\n");
}

static void test_offsets_reversed(void **state)
{
	expect_error(state, "{\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[8,4]}}", 8,
	             "dlc: error: weights file 'w.st': tensor 'w' has data_offsets [8, 4] that "
	             "end before they begin\n");
}

static void test_offsets_out_of_range(void **state)
{
	expect_error(state, "{\"w\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}", 8,
	             "dlc: error: weights file 'w.st': tensor 'w' has data_offsets [4, 12] beyond "
	             "the data area (8 bytes)\n");
}

static void test_size_mismatch(void **state)
{
	expect_error(state, "{\"w\":{\"dtype\":\"F16\",\"shape\":[2,3],\"data_offsets\":[0,8]}}", 8,
	             "dlc: error: weights file 'w.st': tensor 'w' has 8 bytes of data, but dtype "
	             "F16 and shape [2, 3] need 12\n");
}

static void test_overlap(void **state)
{
	expect_error(state,
	             "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]},"
	             "\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
	             "\"z\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[4,4]},"
	             "\"c\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[12,16]}}",
	             16, "dlc: error: weights file 'w.st': tensors 'b' and 'a' overlap (bytes "
	                 "[0, 8) and [4, 12))\n");
}

static void test_duplicate(void **state)
{
	expect_error(state,
	             "{\"a\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[0,1]},"
	             "\"a\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[1,2]},"
	             "\"a\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[2,3]}}",
	             3, "dlc: error: weights file 'w.st': tensor 'a' appears more than once\n");
}

/* Independent problems in different entries are all reported. */
static void test_all_errors(void **state)
{
	expect_error(state,
	             "{\"a\":{\"dtype\":\"Q\",\"shape\":[1],\"data_offsets\":[0,4]},"
	             "\"ok\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},"
	             "\"b\":{\"dtype\":\"F32\",\"shape\":[-1],\"data_offsets\":[0,9]}}",
	             4,
	             "dlc: error: weights file 'w.st': tensor 'a' has unknown dtype 'Q'\n"
	             "dlc: error: weights file 'w.st': tensor 'b' has negative dimension -1 in its "
	             "shape\n"
	             "dlc: error: weights file 'w.st': tensor 'b' has data_offsets [0, 9] beyond "
	             "the data area (4 bytes)\n");
}

/* ---- st_load ---- */

static char tmpdir[64];

static void write_file(const char *path, const void *data, size_t n)
{
	FILE *fp = fopen(path, "wb");
	assert_non_null(fp);
	assert_int_equal(fwrite(data, 1, n, fp), n);
	fclose(fp);
}

static void test_load_ok(void **state)
{
	struct fixture *f = *state;
	char path[128];
	snprintf(path, sizeof path, "%s/ok.safetensors", tmpdir);
	float v[2] = { 0.5f, -2 };
	uint64_t size;
	unsigned char *b = image("{\"v\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}",
	                         v, sizeof v, &size);
	write_file(path, b, size);
	free(b);
	assert_true(st_load(&f->arena, &f->diag, (struct src_span){ 0 }, path, &f->file));
	assert_int_equal(f->file.ntensors, 1);
	assert_memory_equal(st_find(&f->file, "v")->data, v, sizeof v);
	assert_string_equal(f->file.path, path);
	unlink(path);
}

static void test_load_missing(void **state)
{
	struct fixture *f = *state;
	assert_false(st_load(&f->arena, &f->diag, (struct src_span){ 0 }, "/nonexistent/x.st",
	                     &f->file));
	assert_string_equal(messages(f), "dlc: error: weights file '/nonexistent/x.st': cannot "
	                                 "open: No such file or directory\n");
}

static void test_load_empty(void **state)
{
	struct fixture *f = *state;
	char path[128], want[256];
	snprintf(path, sizeof path, "%s/empty.safetensors", tmpdir);
	write_file(path, "", 0);
	assert_false(st_load(&f->arena, &f->diag, (struct src_span){ 0 }, path, &f->file));
	snprintf(want, sizeof want, "dlc: error: weights file '%s': file is empty\n", path);
	assert_string_equal(messages(f), want);
	unlink(path);
}

static void test_load_directory(void **state)
{
	struct fixture *f = *state;
	char want[256];
	assert_false(st_load(&f->arena, &f->diag, (struct src_span){ 0 }, tmpdir, &f->file));
	snprintf(want, sizeof want, "dlc: error: weights file '%s': is a directory\n", tmpdir);
	assert_string_equal(messages(f), want);
}

/* A FIFO without a writer must not block the compiler. */
static void test_load_fifo(void **state)
{
	struct fixture *f = *state;
	char path[128], want[256];
	snprintf(path, sizeof path, "%s/fifo", tmpdir);
	assert_int_equal(mkfifo(path, 0600), 0);
	assert_false(st_load(&f->arena, &f->diag, (struct src_span){ 0 }, path, &f->file));
	snprintf(want, sizeof want, "dlc: error: weights file '%s': is not a regular file\n", path);
	assert_string_equal(messages(f), want);
	unlink(path);
}

/* The error is located at the span given (the weights statement's path). */
static void test_located(void **state)
{
	struct fixture *f = *state;
	static const char src[] = "model m\nweights \"w.st\"\n";
	uint32_t file = diag_add_source(&f->diag, "m.dl", src, sizeof src - 1);
	struct src_span at = { file, 16, 22 };
	assert_false(st_parse(&f->arena, &f->diag, at, "w.st", "", 0, &f->file));
	assert_string_equal(messages(f), "m.dl:2:9: error: weights file 'w.st': file is empty\n"
	                                 "    2 | weights \"w.st\"\n"
	                                 "      |         ^~~~~~\n");
}

int main(void)
{
	snprintf(tmpdir, sizeof tmpdir, "/tmp/dlc-test-st-XXXXXX");
	if (!mkdtemp(tmpdir))
		return 1;
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_valid),           T(test_dtype_table),      T(test_empty),
		T(test_short),           T(test_header_absurd),    T(test_header_beyond_file),
		T(test_invalid_json),    T(test_trailing_garbage), T(test_embedded_nul),
		T(test_not_object),      T(test_entry_not_object), T(test_missing_fields),
		T(test_unknown_dtype),   T(test_negative_dim),     T(test_fractional_dim),
		T(test_huge_dim),        T(test_rank_limit),       T(test_shape_overflow),
		T(test_offsets_malformed), T(test_offsets_reversed), T(test_offsets_out_of_range),
		T(test_size_mismatch),   T(test_overlap),          T(test_duplicate),
		T(test_all_errors),      T(test_load_ok),          T(test_load_missing),
		T(test_load_empty),      T(test_load_directory),   T(test_load_fifo),
		T(test_located),
	};
#undef T
	int rc = cmocka_run_group_tests(tests, NULL, NULL);
	rmdir(tmpdir);
	return rc;
}
