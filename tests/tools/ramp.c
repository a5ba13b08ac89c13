/* ramp COUNT SAMPLES OUT - writes SAMPLES deterministic f32 inputs of COUNT
 * elements each to OUT: element i of sample s is (7 i + 13 s) mod 256, a
 * pixel-like pattern for models without a stored input (random weights). */
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv)
{
	if (argc != 4) {
		fprintf(stderr, "usage: ramp COUNT SAMPLES OUT\n");
		return 2;
	}
	long count = strtol(argv[1], NULL, 10), samples = strtol(argv[2], NULL, 10);
	if (count <= 0 || samples <= 0 || count > (1L << 28) || samples > 1024) {
		fprintf(stderr, "ramp: bad size %s x %s\n", argv[1], argv[2]);
		return 2;
	}
	FILE *f = fopen(argv[3], "wb");
	if (!f) {
		perror(argv[3]);
		return 2;
	}
	for (long s = 0; s < samples; s++)
		for (long i = 0; i < count; i++) {
			float v = (float)((7 * i + 13 * s) % 256);
			if (fwrite(&v, sizeof v, 1, f) != 1) {
				perror(argv[3]);
				return 2;
			}
		}
	return fclose(f) ? 2 : 0;
}
