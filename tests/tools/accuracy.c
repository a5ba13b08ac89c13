/* accuracy LOGITS LABELS CLASSES [EXPECTED] - classification accuracy of raw
 * f32 logits (N x CLASSES, back to back) against int32 labels (N). Prints
 * "accuracy: C/N = P%"; with EXPECTED (a file holding the reference
 * accuracy as a fraction, e.g. PyTorch's, possibly rounded), exits 1 unless
 * equal to the precision written there. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void *load(const char *path, long *bytes)
{
	FILE *f = fopen(path, "rb");
	if (!f) {
		perror(path);
		exit(2);
	}
	fseek(f, 0, SEEK_END);
	*bytes = ftell(f);
	fseek(f, 0, SEEK_SET);
	void *p = malloc(*bytes > 0 ? (size_t)*bytes : 1);
	if (!p || fread(p, 1, (size_t)*bytes, f) != (size_t)*bytes) {
		fprintf(stderr, "%s: read failed\n", path);
		exit(2);
	}
	fclose(f);
	return p;
}

int main(int argc, char **argv)
{
	if (argc != 4 && argc != 5) {
		fprintf(stderr, "usage: accuracy LOGITS LABELS CLASSES [EXPECTED]\n");
		return 2;
	}
	long lb, yb;
	const float *logits = load(argv[1], &lb);
	const int *labels = load(argv[2], &yb);
	long classes = atol(argv[3]);
	long n = yb / 4;
	if (classes <= 0 || lb != n * classes * 4) {
		fprintf(stderr, "logits hold %ld bytes, expected %ld x %ld floats\n", lb, n, classes);
		return 1;
	}
	long correct = 0;
	for (long i = 0; i < n; i++) {
		long best = 0;
		for (long c = 1; c < classes; c++)
			if (logits[i * classes + c] > logits[i * classes + best])
				best = c;
		correct += best == labels[i];
	}
	double acc = n ? (double)correct / (double)n : 0;
	printf("accuracy: %ld/%ld = %.2f%%\n", correct, n, 100 * acc);
	if (argc == 5) {
		long eb;
		char *text = load(argv[4], &eb);
		text = realloc(text, (size_t)eb + 1);
		text[eb] = 0;
		/* the reference may be rounded: compare to its printed precision */
		double want = atof(text), tol = 0.5;
		const char *dot = strchr(text, '.');
		for (const char *c = dot ? dot + 1 : text + eb; *c >= '0' && *c <= '9'; c++)
			tol /= 10;
		if (fabs(want - acc) > tol + 1e-12) {
			fprintf(stderr, "expected accuracy %.4f (reference), got %.4f\n", want, acc);
			return 1;
		}
		printf("matches the reference accuracy %.2f%%\n", 100 * want);
		free(text);
	}
	free((float *)(uintptr_t)logits);
	free((int *)(uintptr_t)labels);
	return 0;
}
