/* main.c - the key-value lookup transformer compiled by dlc, on its
 * held-out sequences.
 *
 *   lookup_demo [DIR]   (DIR defaults to the example's source folder)
 *
 * Reads DIR/test_ids.bin (N sequences of LOOKUP_INPUT_IDS_COUNT int64 token
 * ids), DIR/test_mask.bin (N masks of as many floats, 1 = token, 0 =
 * padding), DIR/test_labels.bin (N int32) and DIR/torch_logits.bin
 * (PyTorch's logits). Answers each sequence by the largest logit and prints
 * the accuracy, how many answers equal PyTorch's, and the time per
 * inference. Exits 1 if the accuracy is below PyTorch's
 * (DIR/torch_accuracy.txt), if any answer differs from PyTorch's, or if a
 * logit is outside the model tests' tolerance. */
#include <stdint.h>

#include "../compare.h"
#include "lookup.h"

static _Alignas(LOOKUP_SCRATCH_ALIGN) unsigned char scratch[LOOKUP_SCRATCH_BYTES + 1];

static int argmax(const float *v, int n)
{
	int best = 0;
	for (int k = 1; k < n; k++)
		if (v[k] > v[best])
			best = k;
	return best;
}

int main(int argc, char **argv)
{
	const char *dir = argc > 1 ? argv[1] : DATA_DIR;
	long nids, nmask, nlab, nref, nacc;
	int64_t *ids = ex_read(dir, "test_ids.bin", &nids);
	float *mask = ex_read(dir, "test_mask.bin", &nmask);
	int32_t *labels = ex_read(dir, "test_labels.bin", &nlab);
	float *ref = ex_read(dir, "torch_logits.bin", &nref);
	char *acc_text = ex_read(dir, "torch_accuracy.txt", &nacc);
	acc_text[nacc] = 0;
	long n = nids / LOOKUP_INPUT_IDS_BYTES;
	if (n == 0 || nids % LOOKUP_INPUT_IDS_BYTES || nmask != n * LOOKUP_INPUT_MASK_BYTES ||
	    nlab != n * 4 || nref != n * LOOKUP_OUTPUT_LOGITS_BYTES) {
		fprintf(stderr, "lookup: the sizes of the data files do not match\n");
		return 2;
	}
	float *logits = malloc((size_t)n * LOOKUP_OUTPUT_LOGITS_BYTES);
	if (!logits)
		return 2;
	long correct = 0, same = 0;
	double t0 = ex_now();
	for (long i = 0; i < n; i++) {
		float *out = logits + i * LOOKUP_OUTPUT_LOGITS_COUNT;
		int st = lookup_run(ids + i * LOOKUP_INPUT_IDS_COUNT,
		                    mask + i * LOOKUP_INPUT_MASK_COUNT, out, scratch);
		if (st != DLC_OK) {
			fprintf(stderr, "lookup: %s\n", dlc_status_str(st));
			return 1;
		}
	}
	double per = (ex_now() - t0) / (double)n;
	for (long i = 0; i < n; i++) {
		int got = argmax(logits + i * LOOKUP_OUTPUT_LOGITS_COUNT, LOOKUP_OUTPUT_LOGITS_COUNT);
		int want = argmax(ref + i * LOOKUP_OUTPUT_LOGITS_COUNT, LOOKUP_OUTPUT_LOGITS_COUNT);
		correct += got == labels[i];
		same += got == want;
	}
	long bad = ex_compare(logits, ref, n * LOOKUP_OUTPUT_LOGITS_COUNT);
	double accuracy = (double)correct / (double)n;
	double torch = atof(acc_text);
	printf("lookup: %ld/%ld correct, accuracy %.2f %% (PyTorch %.2f %%)\n", correct, n,
	       100.0 * accuracy, 100.0 * torch);
	printf("lookup: %ld/%ld answers equal PyTorch's, %ld logits outside tolerance\n", same, n,
	       bad);
	printf("lookup: %.1f us per inference\n", per * 1e6);
	free(ids);
	free(mask);
	free(labels);
	free(ref);
	free(acc_text);
	free(logits);
	return accuracy + 1e-9 >= torch && same == n && bad == 0 ? 0 : 1;
}
