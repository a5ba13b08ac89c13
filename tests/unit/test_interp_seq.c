/* test_interp_seq.c - the interpreter's sequence kernels against values
 * computed by hand (in double, from the equations in the comments), and
 * the run-time check of embedding/onehot ids.
 *
 * Graphs are built with the IR builder and typed by the shape inference
 * pass, then run by interp_run. Recurrent cases are tiny (1 or 2 units) so
 * every gate can be followed on paper; weights differ per gate so that a
 * swapped gate order, a missing bias or a wrong direction changes the
 * result. */
#include "harness.h"

#include <math.h>

#include "interp.h"
#include "pass.h"

#define NOLOC ((struct src_span){ 0 })

struct fx {
	struct arena a;
	struct capture cap;
	struct ir_graph *g;
};

static void fx_init(struct fx *f)
{
	memset(f, 0, sizeof *f);
	capture_begin(&f->cap);
	f->g = ir_graph_new(&f->a, "t");
}

static void fx_done(struct fx *f)
{
	capture_end(&f->cap);
	arena_free(&f->a);
}

static uint32_t input(struct fx *f, const char *name, struct ir_type t)
{
	return ir_add_input(f->g, name, t, IR_LAYOUT_NONE, NOLOC);
}

static uint32_t node(struct fx *f, enum ir_op op, const char *name, uint32_t in,
                     const union ir_attrs *a)
{
	return ir_add_node(f->g, op, name, &in, 1, a, NOLOC);
}

/* Weight slot k of node n with data (type set by shape inference). */
static void weight(struct fx *f, uint32_t n, unsigned k, const float *data)
{
	f->g->nodes[n].param[k] = ir_add_const(f->g, "w", (struct ir_type){ 0 }, data, NOLOC);
}

static uint32_t out_of(struct fx *f, uint32_t n)
{
	return f->g->nodes[n].out;
}

static void infer(struct fx *f)
{
	struct pass_options o = { 0 };
	struct arena scratch = { 0 };
	struct pass_ctx ctx = { f->g, &f->cap.d, &scratch, &o };
	assert_true(pass_shape_infer.run(&ctx));
	arena_free(&scratch);
}

static void check(const float *got, const float *want, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!(fabsf(got[i] - want[i]) <= 1e-6f))
			fail_msg("element %zu: got %.9g, want %.9g", i, (double)got[i], (double)want[i]);
}

static bool run(struct fx *f, const void *const *ins, void *const *outs)
{
	return interp_run(f->g, &f->cap.d, ins, outs, 1 << 20);
}

/* One-unit LSTM, x = [1, -2], every step returned. Gate rows i, f, g, o:
 *   W_ih = [0.5, -0.25, 1, 0.75], W_hh = [0.1, 0.2, -0.3, 0.4],
 *   b_ih = [0, 0.5, 0, 0], b_hh = [0.1, 0, 0, -0.25].
 * Step 1 (h = c = 0): pre = [0.6, 0.25, 1, 0.5];
 *   c = sig(0.25)*0 + sig(0.6)*tanh(1) = 0.491728070,
 *   h = sig(0.5)*tanh(c) = 0.283584319.
 * Step 2: pre = [-1 + 0.1h + 0.1, 0.5 + 0.5 + 0.2h, -2 - 0.3h,
 *   -1.5 + 0.4h - 0.25] = [-0.871641568, 1.05671686, -2.08507530,
 *   -1.63656627]; c = 0.0789543038, h = 0.0128375838. */
static void lstm_one_unit(void **state)
{
	(void)state;
	struct fx f;
	fx_init(&f);
	uint32_t x = input(&f, "x", TYPE_F32(1, 2, 1));
	union ir_attrs a = { .rnn = { 1, true, false } };
	uint32_t n = node(&f, IR_LSTM, "l", x, &a);
	static const float wih[] = { 0.5f, -0.25f, 1.0f, 0.75f }, whh[] = { 0.1f, 0.2f, -0.3f, 0.4f };
	static const float bih[] = { 0, 0.5f, 0, 0 }, bhh[] = { 0.1f, 0, 0, -0.25f };
	weight(&f, n, 0, wih);
	weight(&f, n, 1, whh);
	weight(&f, n, 2, bih);
	weight(&f, n, 3, bhh);
	ir_add_output(f.g, out_of(&f, n));
	infer(&f);
	static const float xs[] = { 1.0f, -2.0f };
	float y[2];
	assert_true(run(&f, (const void *[]){ xs }, (void *[]){ y }));
	check(y, (const float[]){ 0.283584319f, 0.0128375838f }, 2);
	fx_done(&f);
}

/* One-unit GRU run backward (reverse) over x = [0.5, -1, 2], every step
 * returned at its input position. Rows r, z, n:
 *   W_ih = [0.8, -0.6, 1.2], W_hh = [0.3, 0.5, -0.7],
 *   b_ih = [0.1, -0.2, 0.05], b_hh = [-0.1, 0.3, 0.2];
 *   r = sig(W_ir x + b_ir + W_hr h + b_hr), z likewise,
 *   n = tanh(W_in x + b_in + r * (W_hn h + b_hn)), h = (1 - z) n + z h.
 * t = 2 first (h = 0): r = sig(1.6), z = sig(-1.3), n = tanh(2.45 +
 * r * 0.2) -> h = 0.742292090; then t = 1 -> 0.335346891, t = 0 ->
 * 0.447928116 (PyTorch's GRU reverse direction gives the same). */
static void gru_one_unit_reverse(void **state)
{
	(void)state;
	struct fx f;
	fx_init(&f);
	uint32_t x = input(&f, "x", TYPE_F32(1, 3, 1));
	union ir_attrs a = { .rnn = { 1, true, true } };
	uint32_t n = node(&f, IR_GRU, "g", x, &a);
	static const float wih[] = { 0.8f, -0.6f, 1.2f }, whh[] = { 0.3f, 0.5f, -0.7f };
	static const float bih[] = { 0.1f, -0.2f, 0.05f }, bhh[] = { -0.1f, 0.3f, 0.2f };
	weight(&f, n, 0, wih);
	weight(&f, n, 1, whh);
	weight(&f, n, 2, bih);
	weight(&f, n, 3, bhh);
	ir_add_output(f.g, out_of(&f, n));
	infer(&f);
	static const float xs[] = { 0.5f, -1.0f, 2.0f };
	float y[3];
	assert_true(run(&f, (const void *[]){ xs }, (void *[]){ y }));
	check(y, (const float[]){ 0.447928116f, 0.335346891f, 0.742292090f }, 3);
	fx_done(&f);
}

/* Two-unit GRU without biases, final state only, batch of two sequences
 * (the state restarts at zero for the second). Rows r0 r1 z0 z1 n0 n1:
 *   W_ih = [[.5 -.5] [.25 0] [-.5 1] [0 .75] [1 .5] [-1 .25]],
 *   W_hh = [[.5 0] [0 -.5] [.25 .25] [-.25 .5] [.75 -.75] [.5 1]];
 *   x = [[1, 2], [0.5, -1]] and [[-1, 0], [2, 1]]. */
static void gru_two_units_batch(void **state)
{
	(void)state;
	struct fx f;
	fx_init(&f);
	uint32_t x = input(&f, "x", TYPE_F32(2, 2, 2));
	union ir_attrs a = { .rnn = { 2, false, false } };
	uint32_t n = node(&f, IR_GRU, "g", x, &a);
	static const float wih[] = { 0.5f, -0.5f, 0.25f, 0, -0.5f, 1, 0, 0.75f, 1, 0.5f, -1, 0.25f };
	static const float whh[] = { 0.5f, 0, 0, -0.5f, 0.25f, 0.25f, -0.25f, 0.5f, 0.75f, -0.75f,
		                     0.5f, 1 };
	weight(&f, n, 0, wih);
	weight(&f, n, 1, whh);
	ir_add_output(f.g, out_of(&f, n));
	infer(&f);
	static const float xs[] = { 1, 2, 0.5f, -1, -1, 0, 2, 1 };
	float y[4];
	assert_true(run(&f, (const void *[]){ xs }, (void *[]){ y }));
	check(y, (const float[]){ 0.144546375f, -0.467779223f, 0.336864437f, 0.0331198232f }, 4);
	fx_done(&f);
}

/* Table rows picked by i32 and i64 ids; onehot of the same ids; timestep
 * of the embedded sequence (index -1 resolves to 2). */
static void embedding_onehot_timestep(void **state)
{
	(void)state;
	struct fx f;
	fx_init(&f);
	uint32_t a32 = input(&f, "a", tt(IR_DT_I32, 2, (int64_t[]){ 1, 3 }));
	uint32_t a64 = input(&f, "b", tt(IR_DT_I64, 2, (int64_t[]){ 1, 3 }));
	union ir_attrs at = { .index = { 3, 2 } };
	uint32_t e = node(&f, IR_EMBEDDING, "e", a32, &at);
	static const float table[] = { 10, 11, 20, 21, 30, 31 };
	weight(&f, e, 0, table);
	uint32_t e64 = node(&f, IR_EMBEDDING, "e64", a64, &at);
	weight(&f, e64, 0, table);
	union ir_attrs oh = { .index = { 4, 0 } };
	uint32_t h = node(&f, IR_ONEHOT, "h", a64, &oh);
	union ir_attrs sel = { .select = { -1 } };
	uint32_t t = node(&f, IR_TIMESTEP, "t", out_of(&f, e), &sel);
	ir_add_output(f.g, out_of(&f, e));
	ir_add_output(f.g, out_of(&f, e64));
	ir_add_output(f.g, out_of(&f, h));
	ir_add_output(f.g, out_of(&f, t));
	infer(&f);
	static const int32_t ids32[] = { 2, 0, 1 };
	static const int64_t ids64[] = { 1, 1, 2 };
	float y0[6], y1[6], y2[12], y3[2];
	assert_true(run(&f, (const void *[]){ ids32, ids64 }, (void *[]){ y0, y1, y2, y3 }));
	check(y0, (const float[]){ 30, 31, 10, 11, 20, 21 }, 6);
	check(y1, (const float[]){ 20, 21, 20, 21, 30, 31 }, 6);
	check(y2, (const float[]){ 0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0 }, 12);
	check(y3, (const float[]){ 20, 21 }, 2);
	fx_done(&f);
}

/* An id outside [0, vocab) (negative ones too) fails the whole run with
 * the message `dlc run` prints, before any output is written. */
static void ids_out_of_range(void **state)
{
	(void)state;
	struct fx f;
	fx_init(&f);
	uint32_t ids = input(&f, "tokens", tt(IR_DT_I64, 2, (int64_t[]){ 1, 4 }));
	union ir_attrs at = { .index = { 10000, 1 } };
	uint32_t e = node(&f, IR_EMBEDDING, "emb", ids, &at);
	static float table[10000];
	weight(&f, e, 0, table);
	ir_add_output(f.g, out_of(&f, e));
	infer(&f);
	static const int64_t big[] = { 0, 9999, 12000, 5 }, neg[] = { 1, 2, 3, -1 };
	float y[4] = { 7, 7, 7, 7 };
	assert_false(run(&f, (const void *[]){ big }, (void *[]){ y }));
	assert_contains(capture_text(&f.cap), "dlc: error: input 'tokens' element 2 holds id "
	                                      "12000, outside [0, 10000) of embedding 'emb'\n");
	assert_false(run(&f, (const void *[]){ neg }, (void *[]){ y }));
	assert_contains(capture_text(&f.cap), "dlc: error: input 'tokens' element 3 holds id -1, "
	                                      "outside [0, 10000) of embedding 'emb'\n");
	assert_int_equal(f.cap.d.errors, 2);
	assert_true(y[0] == 7 && y[1] == 7 && y[2] == 7 && y[3] == 7);
	fx_done(&f);

	fx_init(&f);
	ids = input(&f, "codes", tt(IR_DT_I32, 2, (int64_t[]){ 2, 2 }));
	union ir_attrs oh = { .index = { 3, 0 } };
	ir_add_output(f.g, out_of(&f, node(&f, IR_ONEHOT, "hot", ids, &oh)));
	infer(&f);
	static const int32_t codes[] = { 0, 2, 3, 1 };
	float z[12];
	assert_false(run(&f, (const void *[]){ codes }, (void *[]){ z }));
	assert_contains(capture_text(&f.cap), "dlc: error: input 'codes' element 2 holds id 3, "
	                                      "outside [0, 3) of onehot 'hot'\n");
	fx_done(&f);
}

/* dense over [N, T, F] applies the same weights to every step. */
static void dense_time_distributed(void **state)
{
	(void)state;
	struct fx f;
	fx_init(&f);
	uint32_t x = input(&f, "x", TYPE_F32(1, 3, 2));
	union ir_attrs a = { .dense = { .units = 2, .bias = true } };
	uint32_t d = node(&f, IR_DENSE, "d", x, &a);
	static const float w[] = { 1, 2, -1, 0.5f }, b[] = { 0.5f, -1 };
	weight(&f, d, 0, w);
	weight(&f, d, 1, b);
	ir_add_output(f.g, out_of(&f, d));
	infer(&f);
	/* y[t] = [x0 + 2 x1 + 0.5, -x0 + 0.5 x1 - 1] */
	static const float xs[] = { 1, 1, 0, -2, 4, 0 };
	float y[6];
	assert_true(run(&f, (const void *[]){ xs }, (void *[]){ y }));
	check(y, (const float[]){ 3.5f, -1.5f, -3.5f, -2, 4.5f, -5 }, 6);
	fx_done(&f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(lstm_one_unit),
		cmocka_unit_test(gru_one_unit_reverse),
		cmocka_unit_test(gru_two_units_batch),
		cmocka_unit_test(embedding_onehot_timestep),
		cmocka_unit_test(ids_out_of_range),
		cmocka_unit_test(dense_time_distributed),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
