/* main.c - the digits classifier compiled by dlc, on its held-out split.
 *
 *   digits_demo [DIR]   (DIR defaults to the example's source folder)
 *
 * Reads DIR/test_images.bin (N images of DIGITS_INPUT0_COUNT floats,
 * back to back) and DIR/test_labels.bin (N int32), classifies each image by
 * the largest logit, and prints the accuracy and the time per inference.
 * Exits 1 if the accuracy is below PyTorch's (DIR/torch_accuracy.txt): the
 * compiled model must classify exactly as the trained one. */
#include <stdint.h>

#include "../compare.h"
#include "digits.h"

static _Alignas(DIGITS_SCRATCH_ALIGN) unsigned char scratch[DIGITS_SCRATCH_BYTES + 1];

int main(int argc, char **argv)
{
	const char *dir = argc > 1 ? argv[1] : DATA_DIR;
	long nimg, nlab, nacc;
	float *images = ex_read(dir, "test_images.bin", &nimg);
	int32_t *labels = ex_read(dir, "test_labels.bin", &nlab);
	char *acc_text = ex_read(dir, "torch_accuracy.txt", &nacc);
	acc_text[nacc] = 0;
	long n = nimg / DIGITS_INPUT0_BYTES;
	if (n == 0 || nimg % DIGITS_INPUT0_BYTES || nlab != n * 4) {
		fprintf(stderr, "digits: %ld image bytes and %ld label bytes do not match\n", nimg,
		        nlab);
		return 2;
	}
	float logits[DIGITS_OUTPUT0_COUNT];
	long correct = 0;
	double t0 = ex_now();
	for (long i = 0; i < n; i++) {
		int st = digits_run(images + i * DIGITS_INPUT0_COUNT, logits, scratch);
		if (st != DLC_OK) {
			fprintf(stderr, "digits: %s\n", dlc_status_str(st));
			return 1;
		}
		int best = 0;
		for (int k = 1; k < DIGITS_OUTPUT0_COUNT; k++)
			if (logits[k] > logits[best])
				best = k;
		correct += best == labels[i];
	}
	double per = (ex_now() - t0) / (double)n;
	double accuracy = (double)correct / (double)n;
	double torch = atof(acc_text);
	printf("digits: %ld/%ld correct, accuracy %.2f %% (PyTorch %.2f %%)\n", correct, n,
	       100.0 * accuracy, 100.0 * torch);
	printf("digits: %.1f us per inference\n", per * 1e6);
	free(images);
	free(labels);
	free(acc_text);
	return accuracy + 1e-9 >= torch ? 0 : 1;
}
