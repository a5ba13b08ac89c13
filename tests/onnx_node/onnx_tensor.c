/* onnx_tensor.c - one TensorProto file (an ONNX node test's input_N.pb or
 * output_N.pb) as a raw little-endian tensor for the e2e harness.
 *
 *   onnx_tensor [--f32] IN.pb OUT.bin
 *   onnx_tensor --name IN.pb
 *
 * Decodes with the protobuf-c code generated from onnx.proto (the
 * importer's), from raw_data or the typed fields. Elements are written in
 * their own type (f32 for float and double, every integer type in its
 * own width, u8 0 or 1 for bool) or, with --f32, as f32. Prints
 * "DTYPE d0,d1,..." (the ONNX dtype name, lowercase) on stdout. Exits 1
 * for dtypes it cannot convert (string, complex, 16-bit floats). With
 * --name it prints the tensor's name only (the graph input it feeds, which
 * the node-test runner names in --freeze-input). */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "onnx.pb-c.h"

struct kind {
	int onnx;
	const char *name;
	unsigned size; /* bytes per element in raw_data */
	char out;      /* written as: 'f' f32, 'n' the integer in its own width, 'b' u8 0/1 */
};

static const struct kind kinds[] = {
	{ ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT, "float", 4, 'f' },
	{ ONNX__TENSOR_PROTO__DATA_TYPE__DOUBLE, "double", 8, 'f' },
	{ ONNX__TENSOR_PROTO__DATA_TYPE__INT64, "int64", 8, 'n' },
	{ ONNX__TENSOR_PROTO__DATA_TYPE__INT32, "int32", 4, 'n' },
	{ ONNX__TENSOR_PROTO__DATA_TYPE__INT16, "int16", 2, 'n' },
	{ ONNX__TENSOR_PROTO__DATA_TYPE__INT8, "int8", 1, 'n' },
	{ ONNX__TENSOR_PROTO__DATA_TYPE__UINT8, "uint8", 1, 'n' },
	{ ONNX__TENSOR_PROTO__DATA_TYPE__UINT16, "uint16", 2, 'n' },
	{ ONNX__TENSOR_PROTO__DATA_TYPE__UINT32, "uint32", 4, 'n' },
	{ ONNX__TENSOR_PROTO__DATA_TYPE__UINT64, "uint64", 8, 'n' },
	{ ONNX__TENSOR_PROTO__DATA_TYPE__BOOL, "bool", 1, 'b' },
};

static void die(const char *what, const char *path)
{
	fprintf(stderr, "onnx_tensor: %s: %s\n", path, what);
	exit(1);
}

static unsigned char *read_all(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		die("cannot open", path);
	fseek(f, 0, SEEK_END);
	long n = ftell(f);
	fseek(f, 0, SEEK_SET);
	unsigned char *buf = malloc(n > 0 ? (size_t)n : 1);
	if (n < 0 || !buf || fread(buf, 1, (size_t)n, f) != (size_t)n)
		die("cannot read", path);
	fclose(f);
	*len = (size_t)n;
	return buf;
}

/* Element i of the raw little-endian data as a double. */
static double raw_elem(const struct kind *k, const uint8_t *p, size_t i)
{
	p += i * k->size;
	uint64_t u = 0;
	for (unsigned b = 0; b < k->size; b++)
		u |= (uint64_t)p[b] << (8 * b);
	switch (k->onnx) {
	case ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT: {
		uint32_t w = (uint32_t)u;
		float f;
		memcpy(&f, &w, 4);
		return f;
	}
	case ONNX__TENSOR_PROTO__DATA_TYPE__DOUBLE: {
		double d;
		memcpy(&d, &u, 8);
		return d;
	}
	case ONNX__TENSOR_PROTO__DATA_TYPE__INT64: return (double)(int64_t)u;
	case ONNX__TENSOR_PROTO__DATA_TYPE__INT32: return (int32_t)(uint32_t)u;
	case ONNX__TENSOR_PROTO__DATA_TYPE__INT16: return (int16_t)(uint16_t)u;
	case ONNX__TENSOR_PROTO__DATA_TYPE__INT8: return (int8_t)(uint8_t)u;
	default: return (double)u;
	}
}

/* Element i from the typed field that holds this dtype. */
static double typed_elem(const Onnx__TensorProto *t, const struct kind *k, size_t i, size_t *have)
{
	switch (k->onnx) {
	case ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT:
		*have = t->n_float_data;
		return i < *have ? t->float_data[i] : 0;
	case ONNX__TENSOR_PROTO__DATA_TYPE__DOUBLE:
		*have = t->n_double_data;
		return i < *have ? t->double_data[i] : 0;
	case ONNX__TENSOR_PROTO__DATA_TYPE__INT64:
		*have = t->n_int64_data;
		return i < *have ? (double)t->int64_data[i] : 0;
	case ONNX__TENSOR_PROTO__DATA_TYPE__UINT32:
	case ONNX__TENSOR_PROTO__DATA_TYPE__UINT64:
		*have = t->n_uint64_data;
		return i < *have ? (double)t->uint64_data[i] : 0;
	default:
		*have = t->n_int32_data;
		return i < *have ? t->int32_data[i] : 0;
	}
}

int main(int argc, char **argv)
{
	int a = 1;
	int as_f32 = argc > 1 && !strcmp(argv[1], "--f32");
	int name_only = argc > 1 && !strcmp(argv[1], "--name");
	a += as_f32 || name_only;
	if (argc - a != 2 - name_only) {
		fprintf(stderr, "usage: onnx_tensor [--f32] IN.pb OUT.bin\n"
		                "       onnx_tensor --name IN.pb\n");
		return 2;
	}
	size_t len;
	unsigned char *buf = read_all(argv[a], &len);
	Onnx__TensorProto *t = onnx__tensor_proto__unpack(NULL, len, buf);
	if (!t)
		die("not a TensorProto", argv[a]);
	if (name_only) {
		if (!t->name || !t->name[0])
			die("the tensor has no name", argv[a]);
		printf("%s\n", t->name);
		onnx__tensor_proto__free_unpacked(t, NULL);
		free(buf);
		return 0;
	}
	const struct kind *k = NULL;
	for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++)
		if (kinds[i].onnx == t->data_type)
			k = &kinds[i];
	if (!k) {
		fprintf(stderr, "onnx_tensor: %s: unsupported dtype %d\n", argv[a], t->data_type);
		return 1;
	}
	size_t n = 1;
	for (size_t i = 0; i < t->n_dims; i++)
		n *= (size_t)t->dims[i];
	bool raw = t->has_raw_data;
	if (raw && t->raw_data.len != n * k->size)
		die("raw_data size does not match the shape", argv[a]);
	FILE *out = fopen(argv[a + 1], "wb");
	if (!out)
		die("cannot create", argv[a + 1]);
	char kind = as_f32 ? 'f' : k->out;
	for (size_t i = 0; i < n; i++) {
		size_t have = n;
		double v = raw ? raw_elem(k, t->raw_data.data, i) : typed_elem(t, k, i, &have);
		if (have != n)
			die("typed data size does not match the shape", argv[a]);
		int ok;
		if (kind == 'f') {
			float f = (float)v;
			ok = fwrite(&f, 4, 1, out) == 1;
		} else if (kind == 'n') { /* exact: the stored bits, or the typed field */
			uint64_t x = 0;
			if (raw)
				memcpy(&x, t->raw_data.data + i * k->size, k->size);
			else if (k->onnx == ONNX__TENSOR_PROTO__DATA_TYPE__INT64)
				x = (uint64_t)t->int64_data[i];
			else if (k->onnx == ONNX__TENSOR_PROTO__DATA_TYPE__UINT64)
				x = t->uint64_data[i];
			else
				x = (uint64_t)(int64_t)v;
			ok = fwrite(&x, k->size, 1, out) == 1; /* the low bytes: little-endian */
		} else {
			uint8_t x = v != 0;
			ok = fwrite(&x, 1, 1, out) == 1;
		}
		if (!ok)
			die("write failed", argv[a + 1]);
	}
	if (fclose(out))
		die("write failed", argv[a + 1]);
	printf("%s ", k->name);
	for (size_t i = 0; i < t->n_dims; i++)
		printf("%s%lld", i ? "," : "", (long long)t->dims[i]);
	printf("\n");
	onnx__tensor_proto__free_unpacked(t, NULL);
	free(buf);
	return 0;
}
