/* test_seq.c - the back end's sequence ops (backend/lower_seq.c) on
 * hand-built graphs: each graph is compiled to an object and header,
 * linked with the generic harness (harness.c) and the runtime, run with
 * --selftest, and its outputs compared with the reference interpreter's
 * (abs 1e-5 + rel 1e-4). Covers lstm and gru with 1, 5, 13, 16 and 33
 * units (not multiples of any vector width, and one that is) over 1 and 37
 * steps, forward and reverse, with and without return_sequences, without
 * biases, stacked, and 100 steps; timestep; embedding with i64 ids and
 * onehot with i32 ids; ids out of range (negative, too large) make the
 * entry point return DLC_ERR_INDEX with every output untouched. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "backend.h"
#include "cheader.h"
#include "interp.h"
#include "plan.h"
#include "e2e_util.h"

#define MAXT 8

struct tc {
	struct arena a;
	struct ir_graph *g;
	uint32_t rng;
	char dir[64];
};

static const struct src_span nospan;

static uint32_t next(struct tc *t)
{
	t->rng = t->rng * 1664525u + 1013904223u;
	return t->rng >> 8;
}

static float frand(struct tc *t)
{
	return (float)(next(t) & 0xffff) / 32768.0f - 1.0f;
}

static struct ir_type ty(enum ir_dtype dt, int rank, int64_t d0, int64_t d1, int64_t d2)
{
	struct ir_type r = { dt, (uint8_t)rank, { d0, d1, d2 } };
	return r;
}

static uint32_t weight(struct tc *t, const char *name, struct ir_type type, float scale)
{
	int64_t n = ir_type_numel(&type);
	float *d = arena_array(&t->a, (size_t)n, sizeof *d);
	for (int64_t i = 0; i < n; i++)
		d[i] = scale * frand(t);
	return ir_add_const(t->g, name, type, d, nospan);
}

static uint32_t node(struct tc *t, enum ir_op op, const char *name, uint32_t in,
                     const union ir_attrs *attr, struct ir_type out)
{
	uint32_t id = ir_add_node(t->g, op, name, &in, 1, attr, nospan);
	t->g->vals[t->g->nodes[id].out].type = out;
	return t->g->nodes[id].out;
}

static void tc_init(struct tc *t, const char *name, uint32_t seed)
{
	memset(t, 0, sizeof *t);
	t->g = ir_graph_new(&t->a, name);
	t->rng = seed;
	strcpy(t->dir, "/tmp/dlc_seq_XXXXXX");
	assert_non_null(mkdtemp(t->dir));
}

static void tc_free(struct tc *t)
{
	assert_int_equal(sh("rm -rf %s", t->dir), 0);
	arena_free(&t->a);
}

/* Compiles t->g into DIR/model.o and DIR/model.h at -O<opt>. */
static void compile(struct tc *t, int opt)
{
	struct diag d;
	diag_init(&d, stderr);
	struct plan *p = plan_build(t->g, &t->a);
	struct cg_options o = { .opt_level = opt, .name = "model", .reloc = CG_RELOC_PIC,
		                .weights = CG_WEIGHTS_EMBED, .plan = p };
	char path[128];
	snprintf(path, sizeof path, "%s/model.o", t->dir);
	FILE *f = fopen(path, "wb");
	assert_non_null(f);
	assert_true(cg_emit(t->g, &o, CG_EMIT_OBJ, f, &d));
	assert_int_equal(fclose(f), 0);
	snprintf(path, sizeof path, "%s/model.h", t->dir);
	f = fopen(path, "w");
	assert_non_null(f);
	struct hdr_options ho = { .name = "model" };
	assert_true(hdr_emit(t->g, p, &ho, f));
	assert_int_equal(fclose(f), 0);
	assert_int_equal(d.errors, 0);
	diag_free(&d);
}

/* Random inputs: floats in [-1, 1), ids in [0, range) of the consuming op. */
static void *random_input(struct tc *t, uint32_t v, int64_t range)
{
	const struct ir_type *it = &t->g->vals[v].type;
	int64_t n = ir_type_numel(it);
	void *p = arena_alloc(&t->a, (size_t)ir_type_bytes(it));
	for (int64_t k = 0; k < n; k++) {
		if (it->dtype == IR_DT_F32)
			((float *)p)[k] = frand(t);
		else if (it->dtype == IR_DT_I32)
			((int32_t *)p)[k] = (int32_t)(next(t) % (uint32_t)range);
		else
			((int64_t *)p)[k] = (int64_t)(next(t) % (uint32_t)range);
	}
	return p;
}

/* Compiles, runs the harness (with --selftest) and the interpreter on the
 * same inputs; outputs must agree within 1e-5 + 1e-4 * |ref|. */
static void check_against_interp(struct tc *t, int opt, int64_t id_range)
{
	struct ir_graph *g = t->g;
	compile(t, opt);
	assert_int_equal(sh("cc %s -O1 -I%s -I%s %s %s/model.o %s -lm -lpthread -o %s/run", cflags(),
	                    t->dir, DLCRT_DIR, HARNESS_SRC, t->dir, DLCRT_LIB, t->dir),
	                 0);
	const void *ins[MAXT];
	void *refs[MAXT];
	char args[2048] = "";
	for (uint32_t i = 0; i < g->ninputs; i++) {
		ins[i] = random_input(t, g->inputs[i], id_range);
		char p[128];
		snprintf(p, sizeof p, "%s/in%u.bin", t->dir, i);
		write_file(p, ins[i], (size_t)ir_type_bytes(&g->vals[g->inputs[i]].type));
		snprintf(args + strlen(args), sizeof args - strlen(args), "%s ", p);
	}
	for (uint32_t i = 0; i < g->noutputs; i++) {
		refs[i] = arena_alloc(&t->a, (size_t)ir_type_bytes(&g->vals[g->outputs[i]].type));
		snprintf(args + strlen(args), sizeof args - strlen(args), "%s/out%u.bin ", t->dir, i);
	}
	assert_int_equal(sh("%s/run --selftest %s", t->dir, args), 0);
	struct diag d;
	diag_init(&d, stderr);
	assert_true(interp_run(g, &d, ins, refs, (int64_t)1 << 30));
	diag_free(&d);
	for (uint32_t i = 0; i < g->noutputs; i++) {
		const struct ir_type *ot = &g->vals[g->outputs[i]].type;
		float *o = arena_alloc(&t->a, (size_t)ir_type_bytes(ot) + 1);
		const float *r = refs[i];
		char p[128];
		snprintf(p, sizeof p, "%s/out%u.bin", t->dir, i);
		assert_int_equal(read_file(p, o, (size_t)ir_type_bytes(ot) + 1), (size_t)ir_type_bytes(ot));
		for (int64_t k = 0; k < ir_type_numel(ot); k++)
			if (!(fabsf(o[k] - r[k]) <= 1e-5f + 1e-4f * fabsf(r[k])))
				fail_msg("output %u ('%s') element %ld: got %.9g, interpreter %.9g", i,
				         g->vals[g->outputs[i]].name, (long)k, (double)o[k], (double)r[k]);
	}
}

/* ---- graphs ---- */

/* A recurrent layer on value x [N, T, F]; returns its output. */
static uint32_t rnn(struct tc *t, enum ir_op op, const char *name, uint32_t x, int64_t units,
                    bool seq, bool reverse, bool bias)
{
	const struct ir_type *xt = &t->g->vals[x].type;
	int64_t gh = (op == IR_LSTM ? 4 : 3) * units, nb = xt->dims[0], steps = xt->dims[1];
	union ir_attrs at = { .rnn = { .units = units, .return_sequences = seq, .reverse = reverse } };
	struct ir_type out = seq ? ty(IR_DT_F32, 3, nb, steps, units) : ty(IR_DT_F32, 2, nb, units, 0);
	uint32_t y = node(t, op, name, x, &at, out);
	struct ir_node *n = &t->g->nodes[t->g->vals[y].node];
	/* PyTorch's init: U(-1/sqrt(H), 1/sqrt(H)) */
	float s = 1.0f / sqrtf((float)units);
	const char *keys[4] = { "weight_ih", "weight_hh", "bias_ih", "bias_hh" };
	struct ir_type pt[4] = { ty(IR_DT_F32, 2, gh, xt->dims[2], 0), ty(IR_DT_F32, 2, gh, units, 0),
		                 ty(IR_DT_F32, 1, gh, 0, 0), ty(IR_DT_F32, 1, gh, 0, 0) };
	for (int k = 0; k < (bias ? 4 : 2); k++)
		n->param[k] = weight(t, arena_printf(&t->a, "%s.%s", name, keys[k]), pt[k], 2 * s);
	for (int k = bias ? 4 : 2; k < 4; k++)
		n->param[k] = IR_NONE;
	return y;
}

/* Every lstm/gru variant on one input x f32[2, steps, 7]. */
static void build_rnns(struct tc *t, int64_t units, int64_t steps)
{
	uint32_t x = ir_add_input(t->g, "x", ty(IR_DT_F32, 3, 2, steps, 7), IR_LAYOUT_NONE, nospan);
	ir_add_output(t->g, rnn(t, IR_LSTM, "lstm_seq", x, units, true, false, true));
	ir_add_output(t->g, rnn(t, IR_LSTM, "lstm_rev", x, units, false, true, true));
	ir_add_output(t->g, rnn(t, IR_GRU, "gru_last", x, units, false, false, true));
	ir_add_output(t->g, rnn(t, IR_GRU, "gru_rev_seq", x, units, true, true, true));
}

static void run_rnns(int64_t units, int64_t steps, int opt)
{
	struct tc t;
	tc_init(&t, "rnn", (uint32_t)(units * 100 + steps));
	build_rnns(&t, units, steps);
	check_against_interp(&t, opt, 0);
	tc_free(&t);
}

static void test_units1(void **state)
{
	(void)state;
	run_rnns(1, 1, 2);
	run_rnns(1, 37, 2);
}

static void test_units5(void **state)
{
	(void)state;
	run_rnns(5, 1, 2);
	run_rnns(5, 37, 0);
}

static void test_units13(void **state)
{
	(void)state;
	run_rnns(13, 1, 0);
	run_rnns(13, 37, 2);
}

static void test_units16(void **state)
{
	(void)state;
	run_rnns(16, 1, 2);
	run_rnns(16, 37, 2);
}

static void test_units33(void **state)
{
	(void)state;
	run_rnns(33, 1, 2);
	run_rnns(33, 37, 2);
}

/* Stacked: lstm (sequences, no biases) -> gru -> and timestep of the
 * first layer's sequence, over 100 steps. */
static void test_stacked_timestep(void **state)
{
	(void)state;
	struct tc t;
	tc_init(&t, "stack", 7);
	uint32_t x = ir_add_input(t.g, "x", ty(IR_DT_F32, 3, 1, 100, 3), IR_LAYOUT_NONE, nospan);
	uint32_t h = rnn(&t, IR_LSTM, "l0", x, 20, true, false, false);
	ir_add_output(t.g, rnn(&t, IR_GRU, "l1", h, 9, false, false, true));
	union ir_attrs at = { .select = { .index = 57 } };
	ir_add_output(t.g, node(&t, IR_TIMESTEP, "pick", h, &at, ty(IR_DT_F32, 2, 1, 20, 0)));
	check_against_interp(&t, 2, 0);
	tc_free(&t);
}

/* ids i64[2, 7] -> embedding(11, 5); codes i32[3, 4] -> onehot(6). */
static void build_ids(struct tc *t)
{
	uint32_t ids = ir_add_input(t->g, "tokens", ty(IR_DT_I64, 2, 2, 7, 0), IR_LAYOUT_NONE, nospan);
	uint32_t codes = ir_add_input(t->g, "codes", ty(IR_DT_I32, 2, 3, 4, 0), IR_LAYOUT_NONE,
	                              nospan);
	union ir_attrs at = { .index = { .size = 11, .dim = 5 } };
	uint32_t e = node(t, IR_EMBEDDING, "emb", ids, &at, ty(IR_DT_F32, 3, 2, 7, 5));
	t->g->nodes[t->g->vals[e].node].param[0] = weight(t, "emb.weight", ty(IR_DT_F32, 2, 11, 5, 0),
	                                                  1.0f);
	at.index = (struct ir_index_attr){ .size = 6 };
	ir_add_output(t->g, e);
	ir_add_output(t->g, node(t, IR_ONEHOT, "oh", codes, &at, ty(IR_DT_F32, 3, 3, 4, 6)));
}

static void test_ids(void **state)
{
	(void)state;
	struct tc t;
	tc_init(&t, "ids", 3);
	build_ids(&t);
	check_against_interp(&t, 2, 6); /* ids in [0, 6): valid for both */
	tc_free(&t);
}

/* A program that runs the ids model with one bad id and checks the status
 * and that both outputs still hold what the caller put there. */
static const char bad_ids_main[] =
	"#include <stdio.h>\n#include <string.h>\n#include \"model.h\"\n"
	"static _Alignas(64) int64_t tok[MODEL_INPUT_TOKENS_COUNT];\n"
	"static _Alignas(64) int32_t codes[MODEL_INPUT_CODES_COUNT];\n"
	"static _Alignas(64) float e[MODEL_OUTPUT_EMB_COUNT], o[MODEL_OUTPUT_OH_COUNT];\n"
	"static _Alignas(64) char s[MODEL_SCRATCH_BYTES + 1];\n"
	"static int untouched(void) {\n"
	"  for (int i = 0; i < MODEL_OUTPUT_EMB_COUNT; i++) if (e[i] != 42.0f) return 0;\n"
	"  for (int i = 0; i < MODEL_OUTPUT_OH_COUNT; i++) if (o[i] != 42.0f) return 0;\n"
	"  return 1; }\n"
	"static int run(int which, long long bad) {\n"
	"  for (int i = 0; i < MODEL_INPUT_TOKENS_COUNT; i++) tok[i] = i % 11;\n"
	"  for (int i = 0; i < MODEL_INPUT_CODES_COUNT; i++) codes[i] = i % 6;\n"
	"  if (which == 0) tok[13] = bad; else codes[11] = (int32_t)bad;\n"
	"  for (int i = 0; i < MODEL_OUTPUT_EMB_COUNT; i++) e[i] = 42.0f;\n"
	"  for (int i = 0; i < MODEL_OUTPUT_OH_COUNT; i++) o[i] = 42.0f;\n"
	"  int st = model_run(tok, codes, e, o, s);\n"
	"  printf(\"%d %lld %d %s %d\\n\", which, bad, st, dlc_status_str(st), untouched());\n"
	"  return st; }\n"
	"int main(void) {\n"
	"  run(0, 11); run(0, -1); run(0, 1LL << 40); run(1, 6); run(1, -2147483647 - 1);\n"
	"  int ok = run(0, 10) == DLC_OK && !untouched() && e[13 * 5] != 42.0f;\n"
	"  printf(\"valid %d\\n\", ok);\n  return 0; }\n";

static void test_ids_out_of_range(void **state)
{
	(void)state;
	struct tc t;
	tc_init(&t, "ids", 3);
	build_ids(&t);
	compile(&t, 2);
	char path[128];
	snprintf(path, sizeof path, "%s/main.c", t.dir);
	write_file(path, bad_ids_main, strlen(bad_ids_main));
	assert_int_equal(sh("cc %s -std=c11 -Wall -Werror -I%s -I%s %s/main.c %s/model.o %s -lm "
	                    "-o %s/bad && %s/bad > %s/bad.txt",
	                    cflags(), t.dir, DLCRT_DIR, t.dir, t.dir, DLCRT_LIB, t.dir, t.dir, t.dir),
	                 0);
	char out[512] = { 0 };
	snprintf(path, sizeof path, "%s/bad.txt", t.dir);
	read_file(path, out, sizeof out - 1);
	assert_string_equal(out, "0 11 3 index out of range 1\n"
	                         "0 -1 3 index out of range 1\n"
	                         "0 1099511627776 3 index out of range 1\n"
	                         "1 6 3 index out of range 1\n"
	                         "1 -2147483648 3 index out of range 1\n"
	                         "0 10 0 ok 0\n"
	                         "valid 1\n");
	/* the header declares the id parameters with their C types */
	assert_int_equal(sh("grep -q 'int model_run(const int64_t \\*tokens, const int32_t \\*codes, "
	                    "float \\*emb, float \\*oh, void \\*scratch);' %s/model.h", t.dir), 0);
	assert_int_equal(sh("grep -q '^#define MODEL_INPUT_TOKENS_ALIGN 8' %s/model.h", t.dir), 0);
	tc_free(&t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_units1),
		cmocka_unit_test(test_units5),
		cmocka_unit_test(test_units13),
		cmocka_unit_test(test_units16),
		cmocka_unit_test(test_units33),
		cmocka_unit_test(test_stacked_timestep),
		cmocka_unit_test(test_ids),
		cmocka_unit_test(test_ids_out_of_range),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
