/* san_harness.c - host program for models compiled with --sanitize (any
 * model compiled with --name=model): every buffer it hands the model is
 * exactly as large as the header says, so a sanitizer sees any byte the
 * model touches outside them.
 *
 *   san_harness [--threads T --runs R [--share-scratch]] IN... OUT...
 *
 * Reads one sample per input (the first in the file), runs the model once and writes each output.
 * With --threads, T threads then run the model R times each at the same
 * time, each with its own scratch and outputs, and every run's outputs must
 * be bit-identical to the first run's (exit 1 otherwise). --share-scratch
 * breaks the model's contract on purpose: the threads share one scratch
 * region, a data race ThreadSanitizer must report (the tests' proof that
 * the generated code is instrumented).
 * Build: clang -fsanitize=address|thread -I. -I<runtime> san_harness.c
 *        model.o -ldlcrt -lm -lpthread */
#define _POSIX_C_SOURCE 200809L
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model.h"

#if MODEL_WEIGHTS_EXTERNAL
#error "san_harness runs models with embedded weights"
#endif

static void *inputs[MODEL_NUM_INPUTS];
static void *expected[MODEL_NUM_OUTPUTS];
static void *shared_scratch; /* --share-scratch */

/* n bytes aligned to 64, exactly: posix_memalign, unlike aligned_alloc,
 * takes any size, so the allocator's redzone starts right after them. */
static void *xalloc(size_t n)
{
	void *p = NULL;
	if (n == 0)
		return NULL;
	if (posix_memalign(&p, 64, n)) {
		fprintf(stderr, "san_harness: out of memory\n");
		exit(2);
	}
	return p;
}

static void load(const char *path, void *p, size_t n)
{
	FILE *f = fopen(path, "rb");
	if (!f || fread(p, 1, n, f) != n) {
		fprintf(stderr, "san_harness: %s: expected at least %zu bytes\n", path, n);
		exit(2);
	}
	fclose(f);
}

static void save(const char *path, const void *p, size_t n)
{
	FILE *f = fopen(path, "wb");
	if (!f || fwrite(p, 1, n, f) != n || fclose(f)) {
		fprintf(stderr, "san_harness: cannot write %s\n", path);
		exit(2);
	}
}

struct job {
	int runs;
	int failed;
};

static void *thread_main(void *arg)
{
	struct job *j = arg;
	void *own = shared_scratch ? NULL : xalloc(MODEL_SCRATCH_BYTES), *outs[MODEL_NUM_OUTPUTS];
	void *scratch = shared_scratch ? shared_scratch : own;
	for (int i = 0; i < MODEL_NUM_OUTPUTS; i++)
		outs[i] = xalloc((size_t)model_outputs[i].bytes);
	for (int r = 0; r < j->runs && !j->failed; r++) {
		for (int i = 0; i < MODEL_NUM_OUTPUTS; i++)
			memset(outs[i], 0xff, (size_t)model_outputs[i].bytes);
		if (MODEL_RUN_ARRAYS(inputs, outs, scratch) != DLC_OK)
			j->failed = 1;
		for (int i = 0; i < MODEL_NUM_OUTPUTS; i++)
			if (memcmp(outs[i], expected[i], (size_t)model_outputs[i].bytes))
				j->failed = 1;
	}
	for (int i = 0; i < MODEL_NUM_OUTPUTS; i++)
		free(outs[i]);
	free(own);
	return NULL;
}

int main(int argc, char **argv)
{
	int threads = 0, runs = 0, share = 0, a = 1;
	while (a < argc && !strncmp(argv[a], "--", 2)) {
		if (!strcmp(argv[a], "--share-scratch"))
			share = 1;
		else if (a + 1 < argc && !strcmp(argv[a], "--threads"))
			threads = atoi(argv[++a]);
		else if (a + 1 < argc && !strcmp(argv[a], "--runs"))
			runs = atoi(argv[++a]);
		else
			break;
		a++;
	}
	if (argc - a != MODEL_NUM_INPUTS + MODEL_NUM_OUTPUTS || threads > 64) {
		fprintf(stderr, "usage: san_harness [--threads T --runs R [--share-scratch]] IN... "
		        "OUT...\n");
		return 2;
	}
	for (int i = 0; i < MODEL_NUM_INPUTS; i++) {
		inputs[i] = xalloc((size_t)model_inputs[i].bytes);
		load(argv[a + i], inputs[i], (size_t)model_inputs[i].bytes);
	}
	for (int i = 0; i < MODEL_NUM_OUTPUTS; i++)
		expected[i] = xalloc((size_t)model_outputs[i].bytes);
	void *scratch = xalloc(MODEL_SCRATCH_BYTES);
	int st = MODEL_RUN_ARRAYS(inputs, expected, scratch);
	free(scratch);
	if (st != DLC_OK) {
		fprintf(stderr, "san_harness: model_run: %s\n", dlc_status_str(st));
		return 1;
	}
	for (int i = 0; i < MODEL_NUM_OUTPUTS; i++)
		save(argv[a + MODEL_NUM_INPUTS + i], expected[i], (size_t)model_outputs[i].bytes);
	if (share)
		shared_scratch = xalloc(MODEL_SCRATCH_BYTES);
	pthread_t tid[64];
	struct job jobs[64];
	for (int t = 0; t < threads; t++) {
		jobs[t] = (struct job){ runs, 0 };
		if (pthread_create(&tid[t], NULL, thread_main, &jobs[t])) {
			fprintf(stderr, "san_harness: pthread_create failed\n");
			return 2;
		}
	}
	int failed = 0;
	for (int t = 0; t < threads; t++) {
		pthread_join(tid[t], NULL);
		failed |= jobs[t].failed;
	}
	if (failed) {
		fprintf(stderr, "san_harness: a threaded run differs from the first run\n");
		return 1;
	}
	free(shared_scratch);
	for (int i = 0; i < MODEL_NUM_INPUTS; i++)
		free(inputs[i]);
	for (int i = 0; i < MODEL_NUM_OUTPUTS; i++)
		free(expected[i]);
	return 0;
}
