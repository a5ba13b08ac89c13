/* fuzz_safetensors.c - libFuzzer target: the bytes are a safetensors file.
 *
 * st_parse must reject every malformed image with diagnostics; for an image
 * it accepts, the result is checked against the format's promises: every
 * tensor's data lies inside the data area after the header, its byte size
 * is dtype size x element count, and st_find finds every tensor by name. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "fuzz_util.h"
#include "safetensors.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_tensor(const struct st_file *f, const struct st_tensor *t,
                         const uint8_t *image, uint64_t size)
{
	uint64_t hdr = 0;
	memcpy(&hdr, image, sizeof hdr); /* accepted, so size >= 8 (little-endian host) */
	const uint8_t *begin = image + 8 + hdr, *end = image + size;
	const uint8_t *p = t->data;
	FUZZ_CHECK(p >= begin && p <= end && t->nbytes <= (uint64_t)(end - p),
	           "tensor '%s' data outside the data area", t->name);
	FUZZ_CHECK(t->rank <= ST_MAX_RANK, "tensor '%s' rank %u", t->name, t->rank);
	uint64_t n = st_dtype_size(t->dtype);
	for (unsigned i = 0; i < t->rank; i++) {
		FUZZ_CHECK(t->dims[i] >= 0, "tensor '%s' dim %u is %lld", t->name, i,
		           (long long)t->dims[i]);
		n *= (uint64_t)t->dims[i];
	}
	FUZZ_CHECK(n == t->nbytes, "tensor '%s': %llu bytes for its shape, %llu given", t->name,
	           (unsigned long long)n, (unsigned long long)t->nbytes);
	FUZZ_CHECK(st_find(f, t->name) == t, "st_find misses tensor '%s'", t->name);
	FUZZ_CHECK(st_dtype_name(t->dtype) != NULL, "tensor '%s' has no dtype name", t->name);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct arena a = { 0 };
	struct diag d;
	diag_init(&d, fuzz_null());
	/* libFuzzer's buffer holds exactly `size` bytes: ASan catches any
	 * read past the end. */
	const uint8_t *image = data;
	struct st_file f;
	memset(&f, 0, sizeof f);
	struct src_span at = { 0, 0, 0 };
	bool ok = st_parse(&a, &d, at, "fuzz.safetensors", image, size, &f);
	FUZZ_CHECK(ok == (d.errors == 0), "st_parse returned %d with %d errors", ok, d.errors);
	if (ok) {
		FUZZ_CHECK(size >= 8, "accepted a %zu-byte file", size);
		for (uint32_t i = 0; i < f.ntensors; i++)
			check_tensor(&f, &f.tensors[i], image, size);
	}
	diag_free(&d);
	arena_free(&a);
	return 0;
}
