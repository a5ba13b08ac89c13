/* main.c - the CIFAR-sized CNN compiled by dlc (random weights): classifies
 * a synthetic gradient image and prints the class, its probability, and
 * the time per inference averaged over 20 runs.
 *
 *   cifar_cnn_demo */
#include "../compare.h"
#include "cifar_cnn.h"

static _Alignas(CIFAR_CNN_SCRATCH_ALIGN) unsigned char scratch[CIFAR_CNN_SCRATCH_BYTES + 1];
static float image[CIFAR_CNN_INPUT0_COUNT];
static float probs[CIFAR_CNN_OUTPUT0_COUNT];

int main(void)
{
	for (int i = 0; i < CIFAR_CNN_INPUT0_COUNT; i++)
		image[i] = (float)((i * 7) % 256);
	enum { RUNS = 20 };
	double t0 = ex_now();
	for (int r = 0; r < RUNS; r++) {
		int st = cifar_cnn_run(image, probs, scratch);
		if (st != DLC_OK) {
			fprintf(stderr, "cifar_cnn: %s\n", dlc_status_str(st));
			return 1;
		}
	}
	double per = (ex_now() - t0) / RUNS;
	int best = 0;
	float sum = 0;
	for (int k = 0; k < CIFAR_CNN_OUTPUT0_COUNT; k++) {
		sum += probs[k];
		if (probs[k] > probs[best])
			best = k;
	}
	printf("cifar_cnn: class %d (p = %.4f, sum of p = %.4f), %.1f ms per inference\n", best,
	       (double)probs[best], (double)sum, per * 1e3);
	return sum > 0.999f && sum < 1.001f ? 0 : 1;
}
