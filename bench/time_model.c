/* time_model.c - times one inference of any model compiled with
 * --name=model (embedded weights): runs it WARMUP times, then RUNS times
 * timing each call, and prints "median_us min_us" on one line, or with
 * --samples every timing in microseconds, one per line (for a caller that
 * pools several processes' runs).
 *
 *   time_model [--samples] [--input FILE --expect FILE] [RUNS [WARMUP]]
 *                                                   (defaults 200 and 20)
 *
 * Inputs are uniform random numbers in [0, 1) from a fixed seed (integer
 * inputs, token ids, get small ids 0..15), so runs are repeatable; latency
 * does not depend on the values for these models. With --input and
 * --expect (one-input, one-output models) the first input is read from FILE
 * instead, and the largest absolute difference between the first output
 * and the raw floats of --expect's FILE is printed as one more column (with
 * --samples, as a first line "err E"), so a benchmark can show that what it
 * timed computes the right thing.
 * Build: cc -O2 -I<dir of model.h> -I<runtime> time_model.c model.o -ldlcrt -lm */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "model.h"

#if MODEL_WEIGHTS_EXTERNAL
#error "time_model needs the weights embedded in the object (--weights=embed)"
#endif

static double now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec * 1e-3;
}

static void *xalloc(size_t n)
{
	size_t size = (n + 64) / 64 * 64; /* aligned_alloc wants a multiple of 64 */
	void *p = aligned_alloc(64, size);
	if (!p) {
		fprintf(stderr, "time_model: out of memory\n");
		exit(2);
	}
	memset(p, 0, size);
	return p;
}

/* Reads exactly n bytes of path into p; exits on any mismatch. */
static void read_exact(const char *path, void *p, size_t n)
{
	FILE *f = fopen(path, "rb");
	if (!f) {
		perror(path);
		exit(2);
	}
	size_t got = fread(p, 1, n, f);
	int extra = fgetc(f);
	fclose(f);
	if (got != n || extra != EOF) {
		fprintf(stderr, "time_model: '%s' does not hold exactly %zu bytes\n", path, n);
		exit(2);
	}
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
	int a = 1;
	bool samples = argc > a && !strcmp(argv[a], "--samples");
	a += samples;
	const char *in_path = NULL, *want_path = NULL;
	while (argc > a + 1 && (!strcmp(argv[a], "--input") || !strcmp(argv[a], "--expect"))) {
		*(!strcmp(argv[a], "--input") ? &in_path : &want_path) = argv[a + 1];
		a += 2;
	}
	long runs = argc > a ? strtol(argv[a], NULL, 10) : 200;
	long warmup = argc > a + 1 ? strtol(argv[a + 1], NULL, 10) : 20;
	if (argc > a + 2 || runs < 1 || runs > 1000000 || warmup < 0 || warmup > 1000000 ||
	    !in_path != !want_path || (in_path && (MODEL_NUM_INPUTS != 1 || MODEL_NUM_OUTPUTS != 1))) {
		fprintf(stderr, "usage: time_model [--samples] [--input FILE --expect FILE] "
		                "[RUNS [WARMUP]]\n");
		return 2;
	}
	void *ins[MODEL_NUM_INPUTS], *outs[MODEL_NUM_OUTPUTS];
	uint32_t seed = 12345;
	for (int i = 0; i < MODEL_NUM_INPUTS; i++) {
		void *x = xalloc((size_t)model_inputs[i].bytes);
		for (int64_t k = 0; k < model_inputs[i].count; k++) {
			seed = seed * 1664525u + 1013904223u; /* Numerical Recipes LCG */
			if (model_inputs[i].dtype == DLC_DTYPE_I64)
				((int64_t *)x)[k] = seed >> 28;
			else if (model_inputs[i].dtype == DLC_DTYPE_I32)
				((int32_t *)x)[k] = (int32_t)(seed >> 28);
			else
				((float *)x)[k] = (float)(seed >> 8) / (float)(1u << 24);
		}
		ins[i] = x;
	}
	for (int i = 0; i < MODEL_NUM_OUTPUTS; i++)
		outs[i] = xalloc((size_t)model_outputs[i].bytes);
	void *scratch = xalloc(MODEL_SCRATCH_BYTES);
	double err = 0;
	if (in_path) {
		read_exact(in_path, ins[0], (size_t)model_inputs[0].bytes);
		float *want = xalloc((size_t)model_outputs[0].bytes);
		read_exact(want_path, want, (size_t)model_outputs[0].bytes);
		if (MODEL_RUN_ARRAYS(ins, outs, scratch) != DLC_OK)
			return 1;
		const float *got = outs[0];
		for (int64_t k = 0; k < model_outputs[0].count; k++) {
			double e = got[k] > want[k] ? got[k] - want[k] : want[k] - got[k];
			if (!(e <= err)) /* NaN counts as the largest error */
				err = e;
		}
	}
	double *t = malloc((size_t)runs * sizeof *t);
	if (!t)
		return 2;
	for (long r = -warmup; r < runs; r++) {
		double t0 = now_us();
		int st = MODEL_RUN_ARRAYS(ins, outs, scratch);
		double t1 = now_us();
		if (st != DLC_OK) {
			fprintf(stderr, "time_model: %s\n", dlc_status_str(st));
			return 1;
		}
		if (r >= 0)
			t[r] = t1 - t0;
	}
	if (samples) {
		if (in_path)
			printf("err %.2e\n", err);
		for (long r = 0; r < runs; r++)
			printf("%.2f\n", t[r]);
		return 0;
	}
	qsort(t, (size_t)runs, sizeof *t, cmp_double);
	double median = runs % 2 ? t[runs / 2] : (t[runs / 2 - 1] + t[runs / 2]) / 2;
	if (in_path)
		printf("%.1f %.1f %.2e\n", median, t[0], err);
	else
		printf("%.1f %.1f\n", median, t[0]);
	return 0;
}
