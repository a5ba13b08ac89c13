/* harness.c - a generic host program for any model compiled with
 * --name=model: reads each input from a raw f32 file, runs the model,
 * writes each output to a raw f32 file.
 *
 *   harness [--weights FILE] [--selftest] IN... OUT...
 *
 * With --selftest it also checks the entry point's contract and exits 1 on
 * any violation: a NULL or misaligned buffer is rejected with the right
 * status, and two threads running the model at once, each with its own
 * scratch and outputs, produce exactly the single-threaded results.
 * Build: cc -I. -I<runtime> harness.c model.o -ldlcrt -lm -lpthread */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model.h"

#if MODEL_WEIGHTS_EXTERNAL
#define RUN(w, in, out, s) MODEL_RUN_ARRAYS(w, in, out, s)
#else
#define RUN(w, in, out, s) ((void)(w), MODEL_RUN_ARRAYS(in, out, s))
#endif

static void *weights;
static void *inputs[MODEL_NUM_INPUTS];

static void *xalloc(size_t n)
{
	/* Round up: aligned_alloc wants a multiple of the alignment. */
	void *p = aligned_alloc(64, (n + 64) / 64 * 64);
	if (!p) {
		fprintf(stderr, "harness: out of memory\n");
		exit(2);
	}
	memset(p, 0, (n + 64) / 64 * 64);
	return p;
}

/* Reads a whole file into 64-byte-aligned memory; *size gets its length. */
static void *load_all(const char *path, size_t *size)
{
	FILE *f = fopen(path, "rb");
	if (!f) {
		perror(path);
		exit(2);
	}
	fseek(f, 0, SEEK_END);
	long n = ftell(f);
	fseek(f, 0, SEEK_SET);
	void *p = xalloc(n > 0 ? (size_t)n : 0);
	if (n < 0 || fread(p, 1, (size_t)n, f) != (size_t)n) {
		fprintf(stderr, "harness: %s: read failed\n", path);
		exit(2);
	}
	fclose(f);
	*size = (size_t)n;
	return p;
}

/* Reads a file that must hold a whole number K >= 1 of `each`-byte samples. */
static void *load(const char *path, size_t each, size_t *samples)
{
	size_t size;
	void *p = load_all(path, &size);
	if (size == 0 || size % each) {
		fprintf(stderr, "harness: %s: %zu bytes is not a multiple of %zu\n", path, size, each);
		exit(2);
	}
	*samples = size / each;
	return p;
}

/* Runs the model into outs (allocated on first use); returns the status. */
static int run_once(void **outs, void *scratch)
{
	for (int i = 0; i < MODEL_NUM_OUTPUTS; i++)
		if (!outs[i])
			outs[i] = xalloc((size_t)model_outputs[i].bytes);
	return RUN(weights, inputs, outs, scratch);
}

struct job {
	void *outs[MODEL_NUM_OUTPUTS];
	int status;
};

static void *thread_main(void *arg)
{
	struct job *j = arg;
	void *scratch = xalloc(MODEL_SCRATCH_BYTES);
	for (int rep = 0; rep < 20 && j->status == 0; rep++)
		j->status = run_once(j->outs, scratch);
	free(scratch);
	return NULL;
}

static int fails;

static void expect(int got, int want, const char *what)
{
	if (got != want) {
		fprintf(stderr, "selftest: %s: status %d (%s), expected %d\n", what, got,
		        dlc_status_str(got), want);
		fails++;
	}
}

/* NULL and misaligned buffers, one at a time, are refused. */
static void check_rejects(void **outs, void *scratch)
{
	void *ins[MODEL_NUM_INPUTS + 1], *os[MODEL_NUM_OUTPUTS + 1];
	for (int k = 0; k < MODEL_NUM_INPUTS + MODEL_NUM_OUTPUTS; k++) {
		for (int bad = 0; bad < 2; bad++) {
			memcpy(ins, inputs, sizeof inputs);
			memcpy(os, outs, MODEL_NUM_OUTPUTS * sizeof *outs);
			void **slot = k < MODEL_NUM_INPUTS ? &ins[k] : &os[k - MODEL_NUM_INPUTS];
			*slot = bad ? (void *)((char *)*slot + 1) : NULL;
			expect(RUN(weights, ins, os, scratch), bad ? DLC_ERR_MISALIGNED : DLC_ERR_NULL_BUFFER,
			       bad ? "misaligned tensor buffer" : "null tensor buffer");
		}
	}
	if (MODEL_SCRATCH_BYTES) {
		expect(RUN(weights, inputs, outs, NULL), DLC_ERR_NULL_BUFFER, "null scratch");
		expect(RUN(weights, inputs, outs, (char *)scratch + 32), DLC_ERR_MISALIGNED,
		       "misaligned scratch");
	}
#if MODEL_WEIGHTS_EXTERNAL
	expect(MODEL_RUN_ARRAYS(NULL, inputs, outs, scratch), DLC_ERR_NULL_BUFFER, "null weights");
	expect(MODEL_RUN_ARRAYS((char *)weights + 16, inputs, outs, scratch), DLC_ERR_MISALIGNED,
	       "misaligned weights");
#endif
}

static void selftest(void **outs)
{
	void *scratch = xalloc(MODEL_SCRATCH_BYTES);
	check_rejects(outs, scratch);
	struct job jobs[2] = { { { 0 }, 0 }, { { 0 }, 0 } };
	pthread_t th[2];
	for (int t = 0; t < 2; t++)
		pthread_create(&th[t], NULL, thread_main, &jobs[t]);
	for (int t = 0; t < 2; t++)
		pthread_join(th[t], NULL);
	for (int t = 0; t < 2; t++) {
		expect(jobs[t].status, DLC_OK, "threaded run");
		for (int i = 0; i < MODEL_NUM_OUTPUTS; i++) {
			if (jobs[t].outs[i] &&
			    memcmp(jobs[t].outs[i], outs[i], (size_t)model_outputs[i].bytes)) {
				fprintf(stderr, "selftest: thread %d output %d differs\n", t, i);
				fails++;
			}
			free(jobs[t].outs[i]);
		}
	}
	free(scratch);
}

int main(int argc, char **argv)
{
	int a = 1;
	int check = 0;
	const char *wpath = NULL;
	for (; a < argc && argv[a][0] == '-' && argv[a][1] == '-'; a++) {
		if (!strcmp(argv[a], "--selftest"))
			check = 1;
		else if (!strcmp(argv[a], "--weights") && a + 1 < argc)
			wpath = argv[++a];
		else
			break;
	}
	if (argc - a != MODEL_NUM_INPUTS + MODEL_NUM_OUTPUTS) {
		fprintf(stderr, "usage: harness [--weights FILE] [--selftest] IN x%d OUT x%d\n",
		        MODEL_NUM_INPUTS, MODEL_NUM_OUTPUTS);
		return 2;
	}
#if MODEL_WEIGHTS_EXTERNAL
	if (!wpath) {
		fprintf(stderr, "harness: this model needs --weights FILE\n");
		return 2;
	}
	size_t wsamples;
	weights = load(wpath, MODEL_WEIGHTS_BYTES, &wsamples);
	if (wsamples != 1) {
		fprintf(stderr, "harness: %s: expected exactly %d bytes\n", wpath,
		        (int)MODEL_WEIGHTS_BYTES);
		return 2;
	}
#else
	(void)wpath;
#endif
	/* Each input file may hold K samples back to back: run K times and
	 * write the K outputs back to back (as dlc run does). */
	void *files[MODEL_NUM_INPUTS + 1];
	size_t samples = 0;
	for (int i = 0; i < MODEL_NUM_INPUTS; i++) {
		size_t k;
		files[i] = load(argv[a + i], (size_t)model_inputs[i].bytes, &k);
		if (i && k != samples) {
			fprintf(stderr, "harness: inputs hold different numbers of samples\n");
			return 2;
		}
		samples = k;
	}
	FILE *outf[MODEL_NUM_OUTPUTS + 1];
	for (int i = 0; i < MODEL_NUM_OUTPUTS; i++) {
		outf[i] = fopen(argv[a + MODEL_NUM_INPUTS + i], "wb");
		if (!outf[i]) {
			perror(argv[a + MODEL_NUM_INPUTS + i]);
			return 2;
		}
	}
	void *outs[MODEL_NUM_OUTPUTS + 1] = { 0 };
	void *scratch = xalloc(MODEL_SCRATCH_BYTES);
	for (size_t k = 0; k < samples; k++) {
		for (int i = 0; i < MODEL_NUM_INPUTS; i++) {
			/* copy so every sample's buffer is aligned like a caller's */
			size_t each = (size_t)model_inputs[i].bytes;
			if (!inputs[i])
				inputs[i] = xalloc(each);
			memcpy(inputs[i], (char *)files[i] + k * each, each);
		}
		int st = run_once(outs, scratch);
		if (st != DLC_OK) {
			fprintf(stderr, "harness: model_run failed: %s\n", dlc_status_str(st));
			return 1;
		}
		for (int i = 0; i < MODEL_NUM_OUTPUTS; i++) {
			size_t bytes = (size_t)model_outputs[i].bytes;
			if (fwrite(outs[i], 1, bytes, outf[i]) != bytes) {
				perror(argv[a + MODEL_NUM_INPUTS + i]);
				return 2;
			}
		}
	}
	for (int i = 0; i < MODEL_NUM_OUTPUTS; i++)
		if (fclose(outf[i])) {
			perror(argv[a + MODEL_NUM_INPUTS + i]);
			return 2;
		}
	/* the self-test runs on the last sample */
	if (check)
		selftest(outs);
	for (int i = 0; i < MODEL_NUM_OUTPUTS; i++)
		free(outs[i]);
	for (int i = 0; i < MODEL_NUM_INPUTS; i++) {
		free(files[i]);
		free(inputs[i]);
	}
	free(scratch);
	free(weights);
	return fails ? 1 : 0;
}
