/* main.c - the sentiment example compiled by dlc: runs every review of
 * input.bin (back to back, SENTIMENT_INPUT0_COUNT int64 token ids each),
 * compares the probabilities with PyTorch's (torch_output.bin) and prints
 * the time per inference. Then it shows the out-of-range policy: a review
 * holding token 12000 (the vocabulary has 10000) makes the call return
 * DLC_ERR_INDEX and leaves the output as it was. Exits 1 on any mismatch.
 *
 *   sentiment_demo [DIR]   (DIR defaults to the example's source folder) */
#include <string.h>

#include "../compare.h"
#include "sentiment.h"

static _Alignas(SENTIMENT_SCRATCH_ALIGN) unsigned char scratch[SENTIMENT_SCRATCH_BYTES + 1];

/* A review with one bad token: the call must fail and write nothing. */
static int check_bad_token(const int64_t *review)
{
	static _Alignas(SENTIMENT_IO_ALIGN) int64_t tokens[SENTIMENT_INPUT0_COUNT];
	float prob = -1.0f;
	memcpy(tokens, review, sizeof tokens);
	tokens[7] = 12000;
	int st = sentiment_run(tokens, &prob, scratch);
	printf("token 12000 at position 7: %s, output %s\n", dlc_status_str(st),
	       prob == -1.0f ? "untouched" : "written");
	return st == DLC_ERR_INDEX && prob == -1.0f;
}

int main(int argc, char **argv)
{
	const char *dir = argc > 1 ? argv[1] : DATA_DIR;
	long nin, nref;
	int64_t *in = ex_read(dir, "input.bin", &nin);
	float *ref = ex_read(dir, "torch_output.bin", &nref);
	long n = nin / SENTIMENT_INPUT0_BYTES;
	if (n == 0 || nin % SENTIMENT_INPUT0_BYTES || nref != n * SENTIMENT_OUTPUT0_BYTES) {
		fprintf(stderr, "sentiment: input and reference sizes do not match the model\n");
		return 2;
	}
	float *out = aligned_alloc(64, (size_t)(n * SENTIMENT_OUTPUT0_BYTES + 64) / 64 * 64);
	long reps = 50;
	double t0 = ex_now();
	for (long r = 0; r < reps; r++)
		for (long i = 0; i < n; i++) {
			const int64_t *x = in + i * SENTIMENT_INPUT0_COUNT;
			int st = sentiment_run(x, out + i * SENTIMENT_OUTPUT0_COUNT, scratch);
			if (st != DLC_OK) {
				fprintf(stderr, "sentiment: %s\n", dlc_status_str(st));
				return 1;
			}
		}
	double per = (ex_now() - t0) / (double)(n * reps);
	printf("sentiment: %ld reviews of %d tokens, %.1f us per inference\n", n,
	       (int)SENTIMENT_INPUT_TOKENS_DIM1, per * 1e6);
	for (long i = 0; i < n; i++)
		printf("  review %ld: P(positive) %.6f (PyTorch %.6f)\n", i, (double)out[i],
		       (double)ref[i]);
	long bad = ex_compare(out, ref, n * SENTIMENT_OUTPUT0_COUNT);
	int ok = check_bad_token(in);
	free(in);
	free(ref);
	free(out);
	return bad || !ok ? 1 : 0;
}
