/* main.c - the digits classifier compiled by dlc, on its held-out split.
 *
 *   digits_demo [DIR]   (DIR defaults to the example's source folder)
 *
 * Reads DIR/test_images.bin (N images of DIGITS_INPUT0_COUNT floats,
 * back to back) and DIR/test_labels.bin (N int32), classifies each image by
 * the largest logit, and prints the accuracy and the time per inference.
 * Exits 1 if the accuracy is below PyTorch's (DIR/torch_accuracy.txt): the
 * compiled model must classify exactly as the trained one. */
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L /* clock_gettime */
#endif
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "digits.h"

static _Alignas(DIGITS_SCRATCH_ALIGN) unsigned char scratch[DIGITS_SCRATCH_BYTES + 1];

static void *read_all(const char *dir, const char *name, long *size)
{
	char path[4096];
	snprintf(path, sizeof path, "%s/%s", dir, name);
	FILE *f = fopen(path, "rb");
	if (!f || fseek(f, 0, SEEK_END) || (*size = ftell(f)) < 0 || fseek(f, 0, SEEK_SET)) {
		perror(path);
		exit(2);
	}
	void *p = aligned_alloc(64, ((size_t)*size + 64) / 64 * 64);
	if (!p || fread(p, 1, (size_t)*size, f) != (size_t)*size) {
		fprintf(stderr, "%s: read failed\n", path);
		exit(2);
	}
	fclose(f);
	return p;
}

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

int main(int argc, char **argv)
{
	const char *dir = argc > 1 ? argv[1] : DATA_DIR;
	long nimg, nlab, nacc;
	const float *images = read_all(dir, "test_images.bin", &nimg);
	const int32_t *labels = read_all(dir, "test_labels.bin", &nlab);
	char *acc_text = read_all(dir, "torch_accuracy.txt", &nacc);
	acc_text[nacc] = 0;
	long n = nimg / DIGITS_INPUT0_BYTES;
	if (n == 0 || nimg % DIGITS_INPUT0_BYTES || nlab != n * 4) {
		fprintf(stderr, "digits: %ld image bytes and %ld label bytes do not match\n", nimg,
		        nlab);
		return 2;
	}
	float logits[DIGITS_OUTPUT0_COUNT];
	long correct = 0;
	double t0 = now();
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
	double per = (now() - t0) / (double)n;
	double accuracy = (double)correct / (double)n;
	double torch = atof(acc_text);
	printf("digits: %ld/%ld correct, accuracy %.2f %% (PyTorch %.2f %%)\n", correct, n,
	       100.0 * accuracy, 100.0 * torch);
	printf("digits: %.1f us per inference\n", per * 1e6);
	return accuracy + 1e-9 >= torch ? 0 : 1;
}
