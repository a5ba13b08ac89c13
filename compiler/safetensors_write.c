/* safetensors_write.c - the safetensors writer (format in safetensors.h).
 *
 * Tensors are written in strcmp order of their names, which is also the
 * order of their data, so offsets only grow. Names are JSON-escaped (ONNX
 * initializer names may hold any character); the header is padded with
 * spaces so that the data area starts 8-byte aligned. */
#include "safetensors_write.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"

static int by_name(const void *a, const void *b)
{
	const struct st_tensor *x = *(const struct st_tensor *const *)a;
	const struct st_tensor *y = *(const struct st_tensor *const *)b;
	return strcmp(x->name, y->name);
}

/* Appends a JSON string literal for s to the memory stream. */
static void json_string(FILE *out, const char *s)
{
	fputc('"', out);
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p == '"' || *p == '\\')
			fprintf(out, "\\%c", *p);
		else if (*p < 0x20)
			fprintf(out, "\\u%04x", *p);
		else
			fputc(*p, out);
	}
	fputc('"', out);
}

static void json_entry(FILE *out, const struct st_tensor *t, uint64_t begin)
{
	json_string(out, t->name);
	fprintf(out, ":{\"dtype\":\"%s\",\"shape\":[", st_dtype_name(t->dtype));
	for (unsigned k = 0; k < t->rank; k++)
		fprintf(out, "%s%" PRId64, k ? "," : "", t->dims[k]);
	fprintf(out, "],\"data_offsets\":[%" PRIu64 ",%" PRIu64 "]}", begin, begin + t->nbytes);
}

/* The byte size dtype x dims must equal nbytes: the caller's invariant. */
static void check_size(const struct st_tensor *t)
{
	uint64_t bytes = st_dtype_size(t->dtype);
	DLC_ASSERT(bytes > 0 && t->rank <= ST_MAX_RANK);
	for (unsigned k = 0; k < t->rank; k++) {
		DLC_ASSERT(t->dims[k] >= 0);
		DLC_ASSERT(!__builtin_mul_overflow(bytes, (uint64_t)t->dims[k], &bytes));
	}
	DLC_ASSERT(bytes == t->nbytes);
}

bool st_write(FILE *f, const struct st_tensor *t, uint32_t n, struct arena *scratch)
{
	const struct st_tensor **order = arena_array(scratch, n + 1, sizeof *order);
	for (uint32_t i = 0; i < n; i++) {
		check_size(&t[i]);
		order[i] = &t[i];
	}
	qsort(order, n, sizeof *order, by_name);
	char *header = NULL;
	size_t len = 0;
	FILE *mem = open_memstream(&header, &len);
	if (!mem)
		dlc_fatal_oom(0);
	fputc('{', mem);
	uint64_t offset = 0;
	for (uint32_t i = 0; i < n; i++) {
		DLC_ASSERT(i == 0 || strcmp(order[i - 1]->name, order[i]->name) != 0);
		if (i)
			fputc(',', mem);
		json_entry(mem, order[i], offset);
		offset += order[i]->nbytes;
	}
	fputc('}', mem);
	fflush(mem);
	while (len % 8) {
		fputc(' ', mem);
		fflush(mem);
	}
	fclose(mem);
	unsigned char lenbytes[8];
	for (unsigned k = 0; k < 8; k++)
		lenbytes[k] = (unsigned char)((uint64_t)len >> (8 * k));
	bool ok = fwrite(lenbytes, 1, 8, f) == 8 && fwrite(header, 1, len, f) == len;
	free(header);
	for (uint32_t i = 0; ok && i < n; i++)
		ok = !order[i]->nbytes || fwrite(order[i]->data, 1, order[i]->nbytes, f) == order[i]->nbytes;
	return ok;
}
