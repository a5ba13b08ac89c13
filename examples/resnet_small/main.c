/* main.c - the resnet_small example compiled by dlc: runs every sample of
 * input.bin (back to back, RESNET_SMALL_INPUT0_COUNT floats each), compares
 * the outputs with PyTorch's (torch_output.bin) and prints the time per
 * inference. Exits 1 on a mismatch.
 *
 *   resnet_small_demo [DIR]   (DIR defaults to the example's source folder) */
#include "../compare.h"
#include "resnet_small.h"

static _Alignas(RESNET_SMALL_SCRATCH_ALIGN) unsigned char scratch[RESNET_SMALL_SCRATCH_BYTES + 1];

int main(int argc, char **argv)
{
	const char *dir = argc > 1 ? argv[1] : DATA_DIR;
	long nin, nref;
	float *in = ex_read(dir, "input.bin", &nin);
	float *ref = ex_read(dir, "torch_output.bin", &nref);
	long n = nin / RESNET_SMALL_INPUT0_BYTES;
	if (n == 0 || nin % RESNET_SMALL_INPUT0_BYTES ||
	    nref != n * RESNET_SMALL_OUTPUT0_BYTES) {
		fprintf(stderr, "resnet_small: input and reference sizes do not match the model\n");
		return 2;
	}
	size_t out_bytes = (size_t)(n * RESNET_SMALL_OUTPUT0_BYTES + 64) / 64 * 64;
	float *out = aligned_alloc(64, out_bytes);
	double t0 = ex_now();
	for (long i = 0; i < n; i++) {
		const float *x = in + i * RESNET_SMALL_INPUT0_COUNT;
		int st = resnet_small_run(x, out + i * RESNET_SMALL_OUTPUT0_COUNT, scratch);
		if (st != DLC_OK) {
			fprintf(stderr, "resnet_small: %s\n", dlc_status_str(st));
			return 1;
		}
	}
	double per = (ex_now() - t0) / (double)n;
	printf("resnet_small: %ld samples, %.1f us per inference\n", n, per * 1e6);
	long bad = ex_compare(out, ref, n * RESNET_SMALL_OUTPUT0_COUNT);
	free(in);
	free(ref);
	free(out);
	return bad ? 1 : 0;
}
