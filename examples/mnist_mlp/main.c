/* main.c - the mnist_mlp example compiled by dlc: runs every sample of
 * input.bin (back to back, MNIST_MLP_INPUT0_COUNT floats each), compares
 * the outputs with PyTorch's (torch_output.bin) and prints the time per
 * inference. Exits 1 on a mismatch.
 *
 *   mnist_mlp_demo [DIR]   (DIR defaults to the example's source folder) */
#include "../compare.h"
#include "mnist_mlp.h"

static _Alignas(MNIST_MLP_SCRATCH_ALIGN) unsigned char scratch[MNIST_MLP_SCRATCH_BYTES + 1];

int main(int argc, char **argv)
{
	const char *dir = argc > 1 ? argv[1] : DATA_DIR;
	long nin, nref;
	float *in = ex_read(dir, "input.bin", &nin);
	float *ref = ex_read(dir, "torch_output.bin", &nref);
	long n = nin / MNIST_MLP_INPUT0_BYTES;
	if (n == 0 || nin % MNIST_MLP_INPUT0_BYTES || nref != n * MNIST_MLP_OUTPUT0_BYTES) {
		fprintf(stderr, "mnist_mlp: input and reference sizes do not match the model\n");
		return 2;
	}
	float *out = aligned_alloc(64, (size_t)(n * MNIST_MLP_OUTPUT0_BYTES + 64) / 64 * 64);
	double t0 = ex_now();
	for (long i = 0; i < n; i++) {
		const float *x = in + i * MNIST_MLP_INPUT0_COUNT;
		int st = mnist_mlp_run(x, out + i * MNIST_MLP_OUTPUT0_COUNT, scratch);
		if (st != DLC_OK) {
			fprintf(stderr, "mnist_mlp: %s\n", dlc_status_str(st));
			return 1;
		}
	}
	double per = (ex_now() - t0) / (double)n;
	printf("mnist_mlp: %ld samples, %.1f us per inference\n", n, per * 1e6);
	long bad = ex_compare(out, ref, n * MNIST_MLP_OUTPUT0_COUNT);
	free(in);
	free(ref);
	free(out);
	return bad ? 1 : 0;
}
