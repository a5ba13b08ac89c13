/* main.c - the timeseries example compiled by dlc: runs every window of
 * input.bin (back to back, TIMESERIES_INPUT0_COUNT floats each: 50 steps of
 * 8 features), compares the forecasts with PyTorch's (torch_output.bin)
 * and prints the time per inference. Exits 1 on a mismatch.
 *
 *   timeseries_demo [DIR]   (DIR defaults to the example's source folder) */
#include "../compare.h"
#include "timeseries.h"

static _Alignas(TIMESERIES_SCRATCH_ALIGN) unsigned char scratch[TIMESERIES_SCRATCH_BYTES + 1];

int main(int argc, char **argv)
{
	const char *dir = argc > 1 ? argv[1] : DATA_DIR;
	long nin, nref;
	float *in = ex_read(dir, "input.bin", &nin);
	float *ref = ex_read(dir, "torch_output.bin", &nref);
	long n = nin / TIMESERIES_INPUT0_BYTES;
	if (n == 0 || nin % TIMESERIES_INPUT0_BYTES || nref != n * TIMESERIES_OUTPUT0_BYTES) {
		fprintf(stderr, "timeseries: input and reference sizes do not match the model\n");
		return 2;
	}
	float *out = aligned_alloc(64, (size_t)(n * TIMESERIES_OUTPUT0_BYTES + 64) / 64 * 64);
	/* Repeat the windows so the time covers enough calls to measure. */
	long reps = 50;
	double t0 = ex_now();
	for (long r = 0; r < reps; r++)
		for (long i = 0; i < n; i++) {
			const float *x = in + i * TIMESERIES_INPUT0_COUNT;
			int st = timeseries_run(x, out + i * TIMESERIES_OUTPUT0_COUNT, scratch);
			if (st != DLC_OK) {
				fprintf(stderr, "timeseries: %s\n", dlc_status_str(st));
				return 1;
			}
		}
	double per = (ex_now() - t0) / (double)(n * reps);
	printf("timeseries: %ld windows of %d steps, %.1f us per inference\n", n,
	       (int)TIMESERIES_INPUT_WINDOW_DIM1, per * 1e6);
	for (long i = 0; i < n; i++)
		printf("  window %ld: forecast %.6f (PyTorch %.6f)\n", i, (double)out[i],
		       (double)ref[i]);
	long bad = ex_compare(out, ref, n * TIMESERIES_OUTPUT0_COUNT);
	free(in);
	free(ref);
	free(out);
	return bad ? 1 : 0;
}
