/* tensor_cmp ACTUAL EXPECTED [ABS REL] - compares two raw little-endian f32
 * tensors element by element: |a - e| <= ABS + REL * |e| (defaults 1e-5,
 * 1e-4). Prints the worst element and exits 1 on any mismatch or size
 * difference. NaN matches only NaN. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

static float *load(const char *path, long *n)
{
	FILE *f = fopen(path, "rb");
	if (!f) {
		perror(path);
		exit(2);
	}
	fseek(f, 0, SEEK_END);
	long bytes = ftell(f);
	fseek(f, 0, SEEK_SET);
	if (bytes < 0 || bytes % 4) {
		fprintf(stderr, "%s: size %ld is not a whole number of f32\n", path, bytes);
		exit(2);
	}
	float *p = malloc(bytes ? (size_t)bytes : 1);
	if (!p || fread(p, 1, (size_t)bytes, f) != (size_t)bytes) {
		fprintf(stderr, "%s: read failed\n", path);
		exit(2);
	}
	fclose(f);
	*n = bytes / 4;
	return p;
}

int main(int argc, char **argv)
{
	if (argc != 3 && argc != 5) {
		fprintf(stderr, "usage: tensor_cmp ACTUAL EXPECTED [ABS REL]\n");
		return 2;
	}
	double atol = argc == 5 ? atof(argv[3]) : 1e-5;
	double rtol = argc == 5 ? atof(argv[4]) : 1e-4;
	long na, ne;
	float *a = load(argv[1], &na), *e = load(argv[2], &ne);
	if (na != ne) {
		fprintf(stderr, "size mismatch: %ld vs %ld elements\n", na, ne);
		return 1;
	}
	long bad = 0, worst = -1;
	double worst_excess = 0;
	for (long i = 0; i < na; i++) {
		if (isnan(a[i]) || isnan(e[i])) {
			if (!(isnan(a[i]) && isnan(e[i]))) {
				bad++;
				worst = i;
				worst_excess = INFINITY;
			}
			continue;
		}
		double diff = fabs((double)a[i] - (double)e[i]);
		double lim = atol + rtol * fabs((double)e[i]);
		if (diff > lim) {
			bad++;
			if (diff - lim > worst_excess || worst < 0) {
				worst_excess = diff - lim;
				worst = i;
			}
		}
	}
	if (bad) {
		fprintf(stderr, "%ld of %ld elements differ; worst at %ld: %.9g vs expected %.9g\n",
		        bad, na, worst, (double)a[worst], (double)e[worst]);
		return 1;
	}
	printf("%ld elements match (abs %g + rel %g)\n", na, atol, rtol);
	free(a);
	free(e);
	return 0;
}
