/* compare.h - shared by the example programs that check one model against
 * PyTorch's outputs: file reading, timing, and an element-wise comparison
 * (|got - want| <= 1e-5 + 1e-4 |want|, the tolerance of the model tests). */
#ifndef EXAMPLES_COMPARE_H
#define EXAMPLES_COMPARE_H

#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L /* clock_gettime */
#endif

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static inline void *ex_read(const char *dir, const char *name, long *size)
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

static inline double ex_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* Number of elements outside the tolerance; prints the worst. */
static inline long ex_compare(const float *got, const float *want, long n)
{
	long bad = 0, worst = 0;
	double worst_err = 0;
	for (long i = 0; i < n; i++) {
		double err = fabs((double)got[i] - (double)want[i]);
		if (err > 1e-5 + 1e-4 * fabs((double)want[i]))
			bad++;
		if (err > worst_err) {
			worst_err = err;
			worst = i;
		}
	}
	printf("max abs difference from PyTorch: %.3g (element %ld)\n", worst_err, worst);
	return bad;
}

#endif
