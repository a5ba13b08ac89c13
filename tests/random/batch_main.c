/* batch_main.c - one host program for many models compiled with distinct
 * --name prefixes (random-model testing links a whole batch into one
 * program instead of one program per model):
 *
 *   batch NAME IN... OUT...
 *
 * runs model NAME once on the raw inputs and writes its raw outputs. The
 * script that builds it writes batch_models.h: an #include of every
 * model's header and RM_MODELS(M), a list of M(name, NAME) entries.
 * Exit status: 0, 1 if the entry point returned an error, 2 on usage or
 * I/O errors. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "batch_models.h"

typedef int (*run_fn)(void **in, void **out, void *scratch);

struct entry {
	const char *name;
	int nin, nout;
	const struct dlc_tensor_info *ins, *outs;
	size_t scratch;
	run_fn run;
};

#define RM_WRAP(n, N) \
	static int n##_call(void **in, void **out, void *scratch) \
	{ \
		return N##_RUN_ARRAYS(in, out, scratch); \
	}
RM_MODELS(RM_WRAP)

#define RM_ENTRY(n, N) \
	{ #n, N##_NUM_INPUTS, N##_NUM_OUTPUTS, n##_inputs, n##_outputs, N##_SCRATCH_BYTES, n##_call },
static const struct entry entries[] = { RM_MODELS(RM_ENTRY) };

static void *xalloc(size_t n)
{
	void *p = aligned_alloc(64, (n + 64) / 64 * 64);
	if (!p) {
		fprintf(stderr, "batch: out of memory\n");
		exit(2);
	}
	return p;
}

static void *load(const char *path, size_t bytes)
{
	FILE *f = fopen(path, "rb");
	void *p = xalloc(bytes);
	if (!f || fread(p, 1, bytes, f) != bytes || fgetc(f) != EOF) {
		fprintf(stderr, "batch: %s: cannot read exactly %zu bytes\n", path, bytes);
		exit(2);
	}
	fclose(f);
	return p;
}

int main(int argc, char **argv)
{
	const struct entry *e = NULL;
	for (size_t i = 0; argc > 1 && i < sizeof entries / sizeof entries[0]; i++)
		if (!strcmp(entries[i].name, argv[1]))
			e = &entries[i];
	if (!e || e->nin > 16 || e->nout > 16 || argc != 2 + e->nin + e->nout) {
		fprintf(stderr, "usage: batch NAME IN... OUT...\n");
		return 2;
	}
	void *in[16], *out[16];
	for (int i = 0; i < e->nin; i++)
		in[i] = load(argv[2 + i], (size_t)e->ins[i].bytes);
	for (int i = 0; i < e->nout; i++)
		out[i] = xalloc((size_t)e->outs[i].bytes);
	/* garbage in the scratch region must not matter */
	void *scratch = xalloc(e->scratch);
	memset(scratch, 0xa5, e->scratch);
	int st = e->run(in, out, scratch), status = 0;
	if (st) {
		fprintf(stderr, "batch: %s: %s\n", e->name, dlc_status_str(st));
		status = 1;
	}
	for (int i = 0; i < e->nout && !status; i++) {
		FILE *f = fopen(argv[2 + e->nin + i], "wb");
		size_t n = (size_t)e->outs[i].bytes;
		if (!f || fwrite(out[i], 1, n, f) != n || fclose(f)) {
			perror(argv[2 + e->nin + i]);
			status = 2;
		}
	}
	for (int i = 0; i < e->nin; i++)
		free(in[i]);
	for (int i = 0; i < e->nout; i++)
		free(out[i]);
	free(scratch);
	return status;
}
