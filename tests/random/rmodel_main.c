/* rmodel_main.c - rmodel_gen: writes random valid dlc models, and shrinks
 * a failing one.
 *
 *   rmodel_gen [OPTIONS] SEED DIR
 *       writes DIR/model.dl, DIR/model.safetensors (when the model has
 *       weights), DIR/input<i>.bin (raw inputs), DIR/nout (the number of
 *       outputs) and DIR/target (extra dlc options for one more optimized
 *       compile, often empty).
 *   rmodel_gen --shrink CHECK [OPTIONS] SEED DIR
 *       generates the same model, runs `CHECK DIR` (which prints a failure
 *       class such as "mismatch:O2" on its first line of output), then
 *       greedily simplifies the model (drop outputs, delete layers, halve
 *       input dims, filters and units, reset strides, dilations, padding,
 *       groups, activations, spellings, target) keeping every change after
 *       which CHECK still prints the same class, until none applies. The
 *       smallest model is left in DIR.
 *   OPTIONS: --budget N (largest tensor, elements; default 3000),
 *            --steps MIN MAX (generation steps; default 3 12).
 *
 * Layers are re-legalized after every change (rm_resolve), so each
 * candidate is a valid model. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "rmodel.h"
#include "safetensors_write.h"

#define MAX_CHECKS 600

static const char *const targets[6] = { "", "", "", "--mcpu=haswell", "--mattr=+avx2,+fma",
	                                "--mcpu=znver3" };

/* live[v]: value v is needed by an output */
static void mark_live(const struct rm_model *m, bool *live)
{
	memset(live, 0, sizeof(bool) * RM_MAX_VALUES);
	for (int i = 0; i < m->nrout; i++)
		live[m->routputs[i]] = true;
	for (int k = m->nlayers - 1; k >= 0; k--) {
		const struct rm_layer *l = &m->layer[k];
		if (live[m->ninputs + k])
			for (int i = 0; i < l->nin; i++)
				live[l->rin[i]] = true;
	}
}

static FILE *open_in(const char *dir, const char *name, const char *mode)
{
	char path[4096];
	snprintf(path, sizeof path, "%s/%s", dir, name);
	FILE *f = fopen(path, mode);
	if (!f)
		perror(path);
	return f;
}

static bool write_inputs(const struct rm_model *m, const bool *live, const char *dir)
{
	int k = 0;
	for (int i = 0; i < m->ninputs; i++) {
		if (!live[i])
			continue;
		char name[32];
		snprintf(name, sizeof name, "input%d.bin", k++);
		FILE *f = open_in(dir, name, "wb");
		if (!f)
			return false;
		uint64_t st = m->seed * 31 + (uint64_t)i;
		for (int64_t e = 0; e < rm_count(&m->input[i]); e++) {
			float x = rm_uniform(&st, -1, 1);
			int32_t id = rm_below(&st, m->idmax);
			fwrite(m->input[i].ids ? (void *)&id : (void *)&x, 4, 1, f);
		}
		if (fclose(f))
			return false;
	}
	return true;
}

static void write_header(const struct rm_model *m, const bool *live, bool weights, FILE *dl)
{
	fprintf(dl, "# random model, seed %llu (tests/random/rmodel_gen)\nmodel rmodel\n",
	        (unsigned long long)m->seed);
	for (int i = 0; i < m->ninputs; i++) {
		const struct rm_shape *s = &m->input[i];
		if (!live[i])
			continue;
		fprintf(dl, "input x%d: %s[", i, s->ids ? "i32" : "f32");
		for (int k = 0; k < s->rank; k++)
			fprintf(dl, "%s%d", k ? ", " : "", s->d[k]);
		fprintf(dl, "]%s\n", s->rank == 4 ? (m->nchw ? " nchw" : " nhwc") : "");
	}
	if (weights)
		fprintf(dl, "weights \"model.safetensors\"%s\n", m->keras ? " keras" : "");
}

/* Writes the resolved model m into dir. */
static bool write_model(const struct rm_model *model, const char *dir)
{
	if (mkdir(dir, 0777) && errno != EEXIST) {
		perror(dir);
		return false;
	}
	struct rm_model m = *model;
	bool live[RM_MAX_VALUES];
	mark_live(&m, live);
	int nlive_in = 0, prev = -1;
	for (int i = 0; i < m.ninputs; i++)
		if (live[i]) {
			nlive_in++;
			prev = i;
		}
	if (nlive_in > 1)
		prev = -1;
	for (int k = 0; k < m.nlayers; k++)
		if (live[m.ninputs + k] && m.layer[k].kind == RM_RNN)
			m.keras = false; /* keras recurrent weights are laid out differently */
	struct arena a = { 0 };
	struct rm_weights w = { .a = &a };
	char *body = NULL;
	size_t len = 0;
	FILE *b = open_memstream(&body, &len);
	for (int k = 0; k < m.nlayers; k++) {
		if (!live[m.ninputs + k])
			continue;
		rm_emit_layer(&m, k, prev, b, &w);
		prev = m.ninputs + k;
	}
	if (m.nrout > 1 || m.routputs[0] != prev || (m.seed & 1)) {
		fprintf(b, "output ");
		for (int i = 0; i < m.nrout; i++)
			fprintf(b, "%sv%d", i ? ", " : "", m.routputs[i]);
		fprintf(b, "\n");
	}
	fclose(b);
	bool ok = false;
	FILE *dl = open_in(dir, "model.dl", "w");
	if (dl) {
		write_header(&m, live, w.n > 0, dl);
		fputs(body, dl);
		ok = !fclose(dl);
	}
	free(body);
	if (ok && w.n) {
		FILE *st = open_in(dir, "model.safetensors", "wb");
		struct arena scratch = { 0 };
		ok = st && st_write(st, w.t, w.n, &scratch);
		ok = st && !fclose(st) && ok;
		arena_free(&scratch);
	}
	FILE *f = ok ? open_in(dir, "nout", "w") : NULL;
	ok = f && fprintf(f, "%d\n", m.nrout) > 0 && !fclose(f);
	f = ok ? open_in(dir, "target", "w") : NULL;
	ok = f && fprintf(f, "%s\n", targets[m.target]) > 0 && !fclose(f);
	arena_free(&a);
	return ok && write_inputs(&m, live, dir);
}

/* Runs `check dir`; its first output line is the failure class. */
static void classify(const char *check, const char *dir, char *cls, size_t n)
{
	char cmd[8192];
	snprintf(cmd, sizeof cmd, "%s '%s'", check, dir);
	FILE *p = popen(cmd, "r");
	cls[0] = 0;
	if (p) {
		if (!fgets(cls, (int)n, p))
			cls[0] = 0;
		pclose(p);
	}
	cls[strcspn(cls, "\n")] = 0;
}

/* Simplifies one parameter group `what` of layer l; false if nothing changed. */
static bool simplify_layer(struct rm_layer *l, int what)
{
	int before[RM_NRAW];
	memcpy(before, l->raw, sizeof before);
	int *r = l->raw;
	bool conv = l->kind == RM_CONV, pool = l->kind == RM_POOL, rnn = l->kind == RM_RNN;
	switch (what) {
	case 0:
		if (conv || l->kind == RM_DENSE || l->kind == RM_MATMULC || l->kind == RM_EMBEDDING)
			r[0] = r[0] > 1 ? r[0] / 2 : r[0];
		if (rnn)
			r[1] = (r[1] % 16) / 2;
		break;
	case 1:
		if (conv || pool) {
			r[1] = 1 + (r[1] - 1) / 2;
			r[2] = 1 + (r[2] - 1) / 2;
		}
		break;
	case 2:
		if (conv)
			r[3] = r[4] = 1;
		if (pool)
			r[3] = 0;
		break;
	case 3:
		if (conv)
			r[5] = r[6] = 1;
		if (pool)
			r[9] = 1; /* no ceil_mode */
		if (rnn)
			r[4] = 1;
		break;
	case 4:
		if (conv)
			r[7] = 0;
		if (pool)
			r[6] = 0;
		break;
	case 5:
		if (conv)
			r[9] = 0;
		if (rnn)
			r[3] = 1;
		break;
	case 6:
		if (conv)
			r[11] = 0;
		if (l->kind == RM_DENSE)
			r[2] = 0;
		break;
	default:
		r[15] = 0;
	}
	return memcmp(before, l->raw, sizeof before) != 0;
}

/* Halves dimension i of every input whose dimension i equals input k's. */
static bool shrink_input(struct rm_model *m, int k, int i)
{
	int d = m->input[k].d[i];
	if (i >= m->input[k].rank || d <= 1)
		return false;
	for (int j = 0; j < m->ninputs; j++)
		if (m->input[j].rank > i && m->input[j].d[i] == d)
			m->input[j].d[i] = i == 0 ? 1 : d / 2;
	return true;
}

/* Candidate j of the shrinking steps applied to m; false if it does not
 * apply. */
static bool mutate(struct rm_model *m, int j)
{
	if (j < m->noutputs) {
		if (m->noutputs < 2)
			return false;
		memmove(&m->outputs[j], &m->outputs[j + 1], sizeof(int) * (size_t)(m->noutputs - j - 1));
		m->noutputs--;
		return true;
	}
	j -= m->noutputs;
	if (j < m->nlayers) {
		struct rm_layer *l = &m->layer[m->nlayers - 1 - j];
		if (l->removed || !l->ok)
			return false;
		l->removed = true;
		return true;
	}
	j -= m->nlayers;
	if (j < m->ninputs * RM_MAX_RANK)
		return shrink_input(m, j / RM_MAX_RANK, j % RM_MAX_RANK);
	j -= m->ninputs * RM_MAX_RANK;
	if (j < m->nlayers * 8) {
		struct rm_layer *l = &m->layer[j / 8];
		return !l->removed && l->ok && simplify_layer(l, j % 8);
	}
	j -= m->nlayers * 8;
	if (j == 0 && m->keras) {
		m->keras = false;
		return true;
	}
	if (j == 1 && m->target) {
		m->target = 0;
		return true;
	}
	return false;
}

static int live_layers(const struct rm_model *m)
{
	bool live[RM_MAX_VALUES];
	mark_live(m, live);
	int n = 0;
	for (int k = 0; k < m->nlayers; k++)
		n += live[m->ninputs + k];
	return n;
}

static int shrink(struct rm_model *m, const char *check, const char *dir)
{
	char want[256], got[256], trydir[4096];
	classify(check, dir, want, sizeof want);
	printf("class: %s\n", want[0] ? want : "(none)");
	if (!want[0] || !strcmp(want, "ok"))
		return 0;
	snprintf(trydir, sizeof trydir, "%s.try", dir);
	int before = live_layers(m), checks = 0;
	bool progress = true;
	while (progress && checks < MAX_CHECKS) {
		progress = false;
		int ncand = m->noutputs + m->nlayers * 9 + m->ninputs * RM_MAX_RANK + 2;
		for (int j = 0; j < ncand && checks < MAX_CHECKS; j++) {
			static struct rm_model c;
			c = *m;
			if (!mutate(&c, j) || !rm_resolve(&c) || !write_model(&c, trydir))
				continue;
			checks++;
			classify(check, trydir, got, sizeof got);
			if (strcmp(got, want))
				continue;
			*m = c;
			progress = true;
			ncand = m->noutputs + m->nlayers * 9 + m->ninputs * RM_MAX_RANK + 2;
		}
	}
	char cmd[8400];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", trydir);
	if (system(cmd))
		fprintf(stderr, "rmodel_gen: could not remove %s\n", trydir);
	printf("shrunk: %d -> %d layers in %d checks, class %s\n", before, live_layers(m), checks,
	       want);
	return write_model(m, dir) ? 0 : 1;
}

int main(int argc, char **argv)
{
	const char *check = NULL;
	int budget = 3000, min_steps = 3, max_steps = 12, a = 1;
	for (; a < argc && argv[a][0] == '-'; a++) {
		if (!strcmp(argv[a], "--shrink") && a + 1 < argc) {
			check = argv[++a];
		} else if (!strcmp(argv[a], "--budget") && a + 1 < argc) {
			budget = atoi(argv[++a]);
		} else if (!strcmp(argv[a], "--steps") && a + 2 < argc) {
			min_steps = atoi(argv[++a]);
			max_steps = atoi(argv[++a]);
		} else {
			break;
		}
	}
	if (argc - a != 2 || budget < 16 || min_steps < 1 || max_steps < min_steps) {
		fprintf(stderr, "usage: rmodel_gen [--shrink CHECK] [--budget N] [--steps MIN MAX] "
		                "SEED DIR\n");
		return 2;
	}
	static struct rm_model m;
	rm_generate(&m, strtoull(argv[a], NULL, 10), budget, min_steps, max_steps);
	if (!rm_resolve(&m) || !write_model(&m, argv[a + 1]))
		return 1;
	return check ? shrink(&m, check, argv[a + 1]) : 0;
}
