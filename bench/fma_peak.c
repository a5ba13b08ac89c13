/* fma_peak.c - measures this core's peak fp32 multiply-add rate, the
 * ceiling that bench/zoo-bench.sh reports achieved GFLOP/s against.
 *
 *   fma_peak [SECONDS]      (default 0.5; prints "GFLOP/s vector_bits")
 *
 * Twelve independent chains of vector multiply-adds (enough to cover the
 * FMA latency on every x86 and Arm core of the target table) on the
 * widest vectors the compiler was told about: build with -O2
 * -march=native so the figure is the host's. One FMA counts as two flops
 * per lane. The best of ten repetitions is reported: peak is a property
 * of the core, and a shared machine only ever makes it look lower. */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#if defined(__AVX512F__)
#define LANES 16
#elif defined(__AVX__)
#define LANES 8
#else
#define LANES 4
#endif

typedef float vf __attribute__((vector_size(LANES * 4)));
#define CHAINS 12 /* the c0..c11 of run() */

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* Runs n iterations of CHAINS multiply-adds; returns a value that depends
 * on all of them so the compiler cannot drop any. */
static float run(long n, float seed)
{
	vf a, b;
	for (int i = 0; i < LANES; i++) {
		a[i] = 0.999999f;
		b[i] = seed * 1e-7f;
	}
	/* Separate variables, not an array: compilers keep these in registers. */
	vf c0 = a, c1 = a * 2, c2 = a * 3, c3 = a * 4, c4 = a * 5, c5 = a * 6;
	vf c6 = a * 7, c7 = a * 8, c8 = a * 9, c9 = a * 10, c10 = a * 11, c11 = a * 12;
	for (long i = 0; i < n; i++) { /* each line contracts to one FMA */
		c0 = c0 * a + b, c1 = c1 * a + b, c2 = c2 * a + b, c3 = c3 * a + b;
		c4 = c4 * a + b, c5 = c5 * a + b, c6 = c6 * a + b, c7 = c7 * a + b;
		c8 = c8 * a + b, c9 = c9 * a + b, c10 = c10 * a + b, c11 = c11 * a + b;
	}
	vf sum = c0 + c1 + c2 + c3 + c4 + c5 + c6 + c7 + c8 + c9 + c10 + c11;
	float s = 0;
	for (int l = 0; l < LANES; l++)
		s += sum[l];
	return s;
}

int main(int argc, char **argv)
{
	double budget = argc > 1 ? strtod(argv[1], NULL) : 0.5;
	if (budget <= 0 || budget > 60) {
		fprintf(stderr, "usage: fma_peak [SECONDS]\n");
		return 2;
	}
	long n = 1 << 20;
	double t0 = now_s();
	volatile float sink = run(n, 1); /* calibrates n to about budget / 10 */
	double dt = now_s() - t0;
	n = (long)((double)n * (budget / 10) / (dt > 1e-6 ? dt : 1e-6)) + 1;
	double best = 0;
	for (int r = 0; r < 10; r++) {
		t0 = now_s();
		sink = run(n, (float)r);
		dt = now_s() - t0;
		double gflops = (double)n * CHAINS * LANES * 2 / dt * 1e-9;
		if (gflops > best)
			best = gflops;
	}
	(void)sink;
	printf("%.1f %d\n", best, LANES * 32);
	return 0;
}
