/* fuzz_compile.c - libFuzzer target: models built from a template.
 *
 * The bytes do not form the source text; they steer a generator that
 * writes a small, mostly valid model: one or two inputs (rank 2, 3 or 4,
 * nhwc or nchw, tiny dims; or i32 token ids), `weights random(seed=...)`,
 * a chain of layers (spatial, dense, sequence, elementwise)
 * with numeric parameters, residual adds and concats between named values,
 * and an output list. Most models compile, so the fuzzer spends its time in
 * shape inference, the optimizer, the memory planner and the interpreter
 * rather than in the parser's error paths (fuzz_frontend covers those).
 *
 * The model then goes through fuzz_check_model (fuzz_util.h) at the -O
 * level and for the target the first two bytes choose: memory plans
 * checked by simulation, -O0 and optimized interpreter results compared.
 * DLC_FUZZ_PRINT=1 in the environment
 * prints each generated model (to see what a crashing input stands for). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "frontend.h"
#include "fuzz_util.h"

#define GEN_MAX_TEXT 8192
#define GEN_MAX_LAYERS 24

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* ---- the generator ---- */

struct gen_value {
	int rank;     /* as far as the generator can tell; 0 = unknown */
	int channels; /* rank 4: channel count; rank 2, 3: features; 0 = unknown */
	bool ids;     /* integer ids (an i32 input) */
};

struct gen {
	const uint8_t *p;
	size_t n, i;
	char text[GEN_MAX_TEXT];
	size_t len;
	bool nchw;
	unsigned nvals; /* values v0 (first input), v1.. (layers) */
	struct gen_value vals[GEN_MAX_LAYERS + 2];
	unsigned cur;   /* the value the next layer reads */
};

static unsigned gen_byte(struct gen *g)
{
	return g->i < g->n ? g->p[g->i++] : 0;
}

static unsigned gen_pick(struct gen *g, unsigned n)
{
	return gen_byte(g) % n;
}

static void gen_emit(struct gen *g, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void gen_emit(struct gen *g, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int w = vsnprintf(g->text + g->len, sizeof g->text - g->len, fmt, ap);
	va_end(ap);
	if (w > 0)
		g->len = g->len + (size_t)w < sizeof g->text ? g->len + (size_t)w : sizeof g->text - 1;
}

/* Small sizes, with the occasional invalid or large one. */
static int gen_small(struct gen *g)
{
	static const int v[32] = { 1, 2, 3, 1, 2, 3, 4, 1, 2, 3, 5, 2, 1, 3, 4, 2,
	                           1, 2, 6, 7, 8, 1, 2, 3, 2, 1, 3, 9, 0, -1, 16, 2 };
	return v[gen_pick(g, 32)];
}

static const char *gen_float(struct gen *g)
{
	static const char *const v[16] = { "0.5", "1", "2", "0.1", "1e-5", "1/255", "-1", "0",
	                                   "3.5", "6", "1e-3", "0.25", "-0.5", "1/16", "100",
	                                   "-2" };
	return v[gen_pick(g, 16)];
}

static const char *gen_bool(struct gen *g)
{
	return gen_pick(g, 2) ? "true" : "false";
}

static const char *gen_act(struct gen *g)
{
	static const char *const v[6] = { "none", "relu", "sigmoid", "tanh", "softmax", "relu" };
	return v[gen_pick(g, 6)];
}

static void gen_padding(struct gen *g)
{
	switch (gen_pick(g, 6)) {
	case 0:
		gen_emit(g, "valid");
		break;
	case 1:
	case 2:
		gen_emit(g, "same");
		break;
	case 3:
		gen_emit(g, "%d", gen_small(g) - 1);
		break;
	case 4:
		gen_emit(g, "[%d, %d]", gen_small(g) - 1, gen_small(g) - 1);
		break;
	default:
		gen_emit(g, "[%d, %d, %d, %d]", gen_small(g) - 1, gen_small(g) - 1, gen_small(g) - 1,
		         gen_small(g) - 1);
	}
}

/* A value of the given rank to read (the current one most of the time). */
static unsigned gen_operand(struct gen *g, int rank)
{
	unsigned v = g->cur;
	if (gen_pick(g, 4) == 0)
		v = gen_pick(g, g->nvals);
	for (unsigned k = 0; k < g->nvals && rank && g->vals[v].rank != rank; k++)
		v = (v + 1) % g->nvals;
	return v;
}

static void gen_conv2d(struct gen *g, struct gen_value *out)
{
	int c = g->vals[g->cur].channels, f = gen_small(g) * (gen_pick(g, 3) ? 1 : 2);
	int groups = 1;
	switch (gen_pick(g, 6)) {
	case 0:
		groups = c > 0 ? c : 1; /* depthwise */
		f = groups * (1 + (int)gen_pick(g, 2));
		break;
	case 1:
		groups = gen_small(g);
		break;
	}
	gen_emit(g, "conv2d(%d, %d", f, gen_small(g));
	if (gen_pick(g, 2))
		gen_emit(g, ", stride=%d", gen_pick(g, 4) ? 1 : gen_small(g));
	if (gen_pick(g, 4)) {
		gen_emit(g, ", padding=");
		gen_padding(g);
	}
	if (gen_pick(g, 5) == 0)
		gen_emit(g, ", dilation=[%d, %d]", gen_small(g), gen_small(g));
	if (groups != 1)
		gen_emit(g, ", groups=%d", groups);
	gen_emit(g, ", bias=%s, activation=%s)", gen_bool(g), gen_act(g));
	out->channels = f;
}

static void gen_pool(struct gen *g)
{
	bool avg = gen_pick(g, 2);
	gen_emit(g, "%s(%d", avg ? "avgpool2d" : "maxpool2d", gen_small(g));
	if (gen_pick(g, 2))
		gen_emit(g, ", stride=%d", gen_small(g));
	if (gen_pick(g, 2)) {
		gen_emit(g, ", padding=");
		gen_padding(g);
	}
	if (avg && gen_pick(g, 2))
		gen_emit(g, ", count_include_pad=%s", gen_bool(g));
	gen_emit(g, ")");
}

static void gen_normalize(struct gen *g, int channels)
{
	if (channels <= 0 || channels > 16 || gen_pick(g, 3) == 0) {
		gen_emit(g, "normalize(mean=%s, std=%s)", gen_float(g), gen_pick(g, 2) ? "0.5" : "2");
		return;
	}
	gen_emit(g, "normalize(mean=[");
	for (int k = 0; k < channels; k++)
		gen_emit(g, "%s%s", k ? ", " : "", gen_float(g));
	gen_emit(g, "], std=[");
	for (int k = 0; k < channels; k++)
		gen_emit(g, "%s%s", k ? ", " : "", gen_pick(g, 2) ? "0.5" : "3");
	gen_emit(g, "])");
}

/* add or concat of two or three values of the current rank. */
static void gen_join(struct gen *g, struct gen_value *out)
{
	bool concat = gen_pick(g, 2);
	int rank = g->vals[g->cur].rank;
	unsigned a = g->cur, b = gen_operand(g, rank), c = gen_operand(g, rank);
	if (concat && gen_pick(g, 2))
		gen_emit(g, "concat(axis=%d)", (int)gen_pick(g, 5) - 1);
	else if (concat)
		gen_emit(g, "concat()");
	else
		gen_emit(g, "add()");
	gen_emit(g, "(v%u, v%u", a, b);
	if (gen_pick(g, 4) == 0)
		gen_emit(g, ", v%u", c);
	gen_emit(g, ")");
	if (concat && out->channels > 0 && g->vals[b].channels > 0)
		out->channels += g->vals[b].channels;
}

static void gen_reshape(struct gen *g, struct gen_value *out)
{
	switch (gen_pick(g, 4)) {
	case 0:
		gen_emit(g, "reshape([-1])");
		out->rank = 2;
		break;
	case 1:
		gen_emit(g, "reshape([%d, -1])", gen_small(g));
		out->rank = 3;
		break;
	case 2:
		gen_emit(g, "reshape([%d, %d, -1])", gen_small(g), gen_small(g));
		out->rank = 4;
		break;
	default:
		gen_emit(g, "reshape([-1, %d])", gen_small(g));
		out->rank = 3;
	}
	out->channels = 0;
}

/* lstm, gru, timestep, last on [N, T, F]; embedding, onehot on ids. */
static void gen_sequence(struct gen *g, struct gen_value *out)
{
	if (out->ids) {
		int n = gen_small(g) * 2;
		if (gen_pick(g, 2))
			gen_emit(g, "embedding(%d, %d)", gen_small(g) + 1, n);
		else
			gen_emit(g, "onehot(%d)", n);
		*out = (struct gen_value){ out->rank + 1, n, false };
		return;
	}
	unsigned k = gen_pick(g, 6);
	if (k >= 4) {
		if (k == 4)
			gen_emit(g, "timestep(%d)", (int)gen_pick(g, 5) - 2);
		else
			gen_emit(g, "last()");
		out->rank--;
		out->channels = out->rank == 2 ? out->channels : 0;
		return;
	}
	bool seq = gen_pick(g, 2), bi = gen_pick(g, 3) == 0;
	int units = gen_small(g);
	gen_emit(g, "%s(%d, return_sequences=%s, bidirectional=%s, num_layers=%d, bias=%s)",
	         k < 2 ? "lstm" : "gru", units, seq ? "true" : "false", bi ? "true" : "false",
	         1 + (int)gen_pick(g, 3), gen_bool(g));
	out->rank = seq ? 3 : 2;
	out->channels = units * (bi ? 2 : 1);
}

/* One layer reading the current value (or an explicit earlier one). */
static void gen_layer(struct gen *g)
{
	struct gen_value out = g->vals[g->cur];
	unsigned id = g->nvals;
	gen_emit(g, "v%u = ", id);
	bool rank4 = out.rank == 4;
	unsigned choice = gen_pick(g, 16);
	if (!rank4 && choice < 4 && gen_pick(g, 4))
		choice = 15; /* mostly avoid spatial layers on rank 2 and 3 */
	if ((out.rank == 3 || out.ids) && gen_pick(g, 4))
		choice = 16; /* mostly sequence layers on sequences and ids */
	switch (choice) {
	case 0:
	case 1:
		gen_conv2d(g, &out);
		break;
	case 2:
		gen_pool(g);
		break;
	case 3:
		gen_emit(g, "zeropad2d(");
		gen_padding(g);
		gen_emit(g, ")");
		break;
	case 4: {
		static const char *const acts[] = { "relu()", "sigmoid()", "tanh()", "relu6()" };
		gen_emit(g, "%s", acts[gen_pick(g, 4)]);
		break;
	}
	case 5:
		gen_emit(g, "clip(%s, %s)", gen_float(g), gen_float(g));
		break;
	case 6:
		gen_emit(g, "batchnorm(epsilon=%s)", gen_pick(g, 2) ? "1e-5" : "1e-3");
		break;
	case 7:
		gen_emit(g, "rescale(scale=%s, offset=%s)", gen_float(g), gen_float(g));
		break;
	case 8:
		gen_normalize(g, out.channels);
		break;
	case 9:
		gen_emit(g, "dropout(%s)", gen_pick(g, 2) ? "0.5" : "0.1");
		break;
	case 10:
	case 11:
		gen_join(g, &out);
		break;
	case 12:
		gen_emit(g, "%s()", gen_pick(g, 2) ? "flatten" : "global_avgpool");
		out.rank = 2;
		out.channels = 0;
		break;
	case 13:
		gen_reshape(g, &out);
		break;
	case 14:
		gen_emit(g, "softmax(axis=%d)", (int)gen_pick(g, 5) - 4);
		break;
	case 16:
		gen_sequence(g, &out);
		break;
	default:
		out.channels = gen_small(g) * 2;
		gen_emit(g, "dense(%d, activation=%s, bias=%s)", out.channels, gen_act(g),
		         gen_bool(g));
		out.rank = 2;
	}
	/* Sometimes read an earlier value instead of the previous one. */
	if (choice != 10 && choice != 11 && gen_pick(g, 5) == 0) {
		unsigned src = gen_operand(g, g->vals[g->cur].rank);
		gen_emit(g, "(v%u)", src);
	} else if (choice != 10 && choice != 11 && g->cur == 0 && g->nvals > 1) {
		gen_emit(g, "(v0)"); /* two inputs: the first layer must name one */
	}
	gen_emit(g, "\n");
	g->vals[id] = out;
	g->nvals++;
	g->cur = id;
}

static void gen_input(struct gen *g, const char *name, int rank, const int *dims, bool ids)
{
	gen_emit(g, "input %s: %s[", name, ids ? "i32" : "f32");
	for (int k = 0; k < rank; k++)
		gen_emit(g, "%s%d", k ? ", " : "", dims[k]);
	gen_emit(g, "]%s\n", rank == 4 ? (g->nchw ? " nchw" : " nhwc") : "");
}

static void gen_model(struct gen *g)
{
	static const int ranks[12] = { 4, 4, 4, 4, 4, 4, 2, 2, 3, 3, 3, 2 };
	unsigned r = gen_pick(g, 12);
	int rank = ranks[r];
	bool ids = r == 11; /* token ids [N, T] */
	int dims[4] = { 1 + (int)gen_pick(g, 2) };
	for (int k = 1; k < rank; k++)
		dims[k] = 1 + (int)gen_pick(g, 8);
	g->nchw = gen_pick(g, 2);
	gen_emit(g, "model fuzz\n");
	gen_input(g, "v0", rank, dims, ids);
	unsigned ninputs = gen_pick(g, 6) == 0 ? 2 : 1;
	if (ninputs == 2)
		gen_input(g, "v1", rank, dims, ids);
	if (gen_pick(g, 32))
		gen_emit(g, "weights random(seed=%u)\n", gen_byte(g));
	int channels = rank == 4 ? dims[g->nchw ? 1 : 3] : dims[rank - 1];
	g->vals[0] = (struct gen_value){ rank, channels, ids };
	g->vals[1] = g->vals[0];
	g->nvals = ninputs;
	g->cur = 0;
	unsigned nlayers = 1 + gen_pick(g, GEN_MAX_LAYERS);
	for (unsigned k = 0; k < nlayers && g->i < g->n; k++)
		gen_layer(g);
	switch (gen_pick(g, 8)) {
	case 0:
		gen_emit(g, "output v%u, v%u\n", g->cur, gen_pick(g, g->nvals));
		break;
	case 1:
		gen_emit(g, "output v%u, v%u, v%u\n", gen_pick(g, g->nvals), g->cur,
		         gen_pick(g, g->nvals));
		break;
	}
}

static const struct target_desc *pick_target(unsigned b)
{
	static const char *const spec[][2] = {
		{ NULL, NULL },
		{ "x86_64-unknown-linux-gnu", "skylake-avx512" },
		{ "x86_64-unknown-linux-gnu", "haswell" },
		{ "x86_64-unknown-linux-gnu", "x86-64" },
		{ "aarch64-unknown-linux-gnu", NULL },
	};
	unsigned k = b % (sizeof spec / sizeof spec[0]);
	return target_lookup(spec[k][0], spec[k][1], NULL);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 2)
		return -1;
	static struct gen g;
	memset(&g, 0, sizeof g);
	g.p = data + 2;
	g.n = size - 2;
	int opt_level = data[0] % 4;
	const struct target_desc *target = pick_target(data[1]);
	gen_model(&g);
	/* To see the model a crashing input stands for. */
	if (getenv("DLC_FUZZ_PRINT"))
		fprintf(stderr, "-O%d, target %s\n%s", opt_level, target->name, g.text);

	struct arena a = { 0 };
	struct diag d;
	diag_init(&d, fuzz_null());
	uint32_t file = diag_add_source(&d, "fuzz.dl", g.text, (uint32_t)g.len);
	struct ast_model *m = fe_parse(&a, &d, file);
	if (m && !d.errors)
		fuzz_check_model(&a, &d, m, opt_level, target);
	diag_free(&d);
	arena_free(&a);
	return 0;
}
