/* test_tensor_ops.c - the tensor ops of issue 6 (binary with broadcasting,
 * matmul, the reductions, slice, pad, broadcast, gather, log_softmax and the
 * new eltwise steps): shape inference and the reference interpreter's
 * kernels against values worked out by hand, and the messages for shape
 * errors. Graphs are built with the builder; constants are node inputs,
 * as `constant` statements and the ONNX importer make them. */
#include "harness.h"

#include <math.h>

#include "interp.h"
#include "pass.h"

#define NOLOC ((struct src_span){ 0 })
#define MAX_OUT 128

struct fx {
	struct arena a;
	struct capture cap;
	struct ir_graph *g;
	uint32_t x;
};

static void fx_init(struct fx *f, struct ir_type in)
{
	memset(f, 0, sizeof *f);
	capture_begin(&f->cap);
	f->g = ir_graph_new(&f->a, "t");
	f->x = ir_add_input(f->g, "x", in, IR_LAYOUT_NONE, NOLOC);
}

static void fx_done(struct fx *f)
{
	capture_end(&f->cap);
	arena_free(&f->a);
}

static uint32_t cst(struct fx *f, const char *name, struct ir_type t, const float *data)
{
	return ir_add_const(f->g, name, t, data, NOLOC);
}

/* Adds a node over `in` and returns its output value. */
static uint32_t op(struct fx *f, enum ir_op o, uint32_t a, uint32_t b, const union ir_attrs *at)
{
	uint32_t in[2] = { a, b };
	const char *name = arena_printf(&f->a, "n%u", f->g->nnodes);
	uint32_t id = ir_add_node(f->g, o, name, in, b == IR_NONE ? 1 : 2, at, NOLOC);
	return f->g->nodes[id].out; /* after the call: it may move the node array */
}

static union ir_attrs binop(enum ir_binop o)
{
	union ir_attrs a;
	memset(&a, 0, sizeof a);
	a.binary.op = o;
	return a;
}

static bool infer(struct fx *f)
{
	struct pass_options o = { 0 };
	struct arena scratch = { 0 };
	struct pass_ctx ctx = { f->g, &f->cap.d, &scratch, &o };
	bool ok = pass_shape_infer.run(&ctx);
	arena_free(&scratch);
	return ok;
}

/* Infers g (with output v), checks v's dims, runs it on x and compares
 * v's elements with want. */
static void expect(struct fx *f, uint32_t v, const int64_t *dims, unsigned rank, const float *x,
                   const float *want)
{
	ir_add_output(f->g, v);
	assert_true(infer(f));
	assert_string_equal(capture_text(&f->cap), "");
	const struct ir_type *t = &f->g->vals[v].type;
	assert_int_equal(t->rank, rank);
	for (unsigned i = 0; i < rank; i++)
		assert_int_equal(t->dims[i], dims[i]);
	int64_t n = ir_type_numel(t);
	assert_true(n <= MAX_OUT);
	float out[MAX_OUT];
	void *outp[1] = { out };
	const void *inp[1] = { x };
	assert_true(interp_run(f->g, &f->cap.d, inp, outp, 1 << 20));
	for (int64_t i = 0; i < n; i++)
		if (!(fabsf(out[i] - want[i]) <= 1e-6f * (1.0f + fabsf(want[i]))))
			fail_msg("element %lld: got %.9g, want %.9g", (long long)i, (double)out[i],
			         (double)want[i]);
}

/* Infers g expecting exactly one error containing `msg`. */
static void expect_error(struct fx *f, const char *msg)
{
	assert_false(infer(f));
	assert_int_equal(f->cap.d.errors, 1);
	assert_contains(capture_text(&f->cap), msg);
}

static void iota(float *x, int n)
{
	for (int i = 0; i < n; i++)
		x[i] = (float)i;
}

/* [1, 3, 4, 4] * [1, 3, 1, 1]: every channel scaled by its own factor;
 * then [1, 3, 1, 1] - that (constant first), then / a [1] scalar. */
static void binary_broadcasts_channels_and_scalars(void **state)
{
	(void)state;
	struct fx f;
	fx_init(&f, TYPE_F32(1, 3, 4, 4));
	static const float scale[3] = { 1, 2, -3 }, two[1] = { 2 };
	uint32_t s = cst(&f, "s", TYPE_F32(1, 3, 1, 1), scale);
	uint32_t h = cst(&f, "h", TYPE_F32(1), two);
	union ir_attrs mul = binop(IR_BINOP_MUL), sub = binop(IR_BINOP_SUB), dv = binop(IR_BINOP_DIV);
	uint32_t m = op(&f, IR_BINARY, f.x, s, &mul);
	uint32_t d = op(&f, IR_BINARY, s, m, &sub);
	uint32_t y = op(&f, IR_BINARY, d, h, &dv);
	float x[48], want[48];
	iota(x, 48);
	for (int c = 0; c < 3; c++)
		for (int i = 0; i < 16; i++)
			want[c * 16 + i] = (scale[c] - x[c * 16 + i] * scale[c]) / 2;
	expect(&f, y, (int64_t[]){ 1, 3, 4, 4 }, 4, x, want);
	fx_done(&f);
}

/* add()(a, b) of two different shapes becomes binary add: [2, 3] + [3]. */
static void add_of_two_shapes_broadcasts(void **state)
{
	(void)state;
	struct fx f;
	fx_init(&f, TYPE_F32(2, 3));
	static const float row[3] = { 10, 20, 30 };
	uint32_t r = cst(&f, "r", TYPE_F32(3), row);
	uint32_t y = op(&f, IR_ADD, r, f.x, NULL);
	static const float x[6] = { 1, 2, 3, 4, 5, 6 }, want[6] = { 11, 22, 33, 14, 25, 36 };
	expect(&f, y, (int64_t[]){ 2, 3 }, 2, x, want);
	assert_int_equal(f.g->nodes[0].op, IR_BINARY);
	assert_int_equal(f.g->nodes[0].attr.binary.op, IR_BINOP_ADD);
	fx_done(&f);
}

/* [2, 2, 3] x [3, 2] (b shared by both batches), and a vector [3] times
 * a batch of matrices [2, 3, 1] -> [2, 1]. */
static void matmul_batched_and_vectors(void **state)
{
	(void)state;
	struct fx f;
	fx_init(&f, TYPE_F32(2, 2, 3));
	static const float b[6] = { 1, 0, 0, 1, 1, 1 }; /* rows [1 0] [0 1] [1 1] */
	uint32_t y = op(&f, IR_MATMUL, f.x, cst(&f, "b", TYPE_F32(3, 2), b), NULL);
	static const float x[12] = { 1, 2, 3, 4, 5, 6, -1, 0, 2, 0, 1, 1 };
	/* row (p, q, r) -> (p + r, q + r) */
	static const float want[8] = { 4, 5, 10, 11, 1, 2, 1, 2 };
	expect(&f, y, (int64_t[]){ 2, 2, 2 }, 3, x, want);
	fx_done(&f);

	fx_init(&f, TYPE_F32(3));
	static const float m[6] = { 1, 1, 1, 1, 2, 3 }; /* [2, 3, 1]: columns (1 1 1), (1 2 3) */
	y = op(&f, IR_MATMUL, f.x, cst(&f, "m", TYPE_F32(2, 3, 1), m), NULL);
	static const float v[3] = { 1, 10, 100 }, want2[2] = { 111, 321 };
	expect(&f, y, (int64_t[]){ 2, 1 }, 2, v, want2);
	fx_done(&f);
}

/* mean over axis 1 of [2, 3]: keepdims [2, 1], without [2]; over both
 * axes with keepdims [1, 1]. */
static void reduce_mean_keepdims_both_ways(void **state)
{
	(void)state;
	static const float x[6] = { 1, 2, 6, -1, 0, 4 };
	for (int keep = 0; keep < 2; keep++) {
		struct fx f;
		fx_init(&f, TYPE_F32(2, 3));
		union ir_attrs a;
		memset(&a, 0, sizeof a);
		a.reduce.naxes = 1;
		a.reduce.axes[0] = -1;
		a.reduce.keepdims = keep;
		uint32_t y = op(&f, IR_REDUCE_MEAN, f.x, IR_NONE, &a);
		static const float want[2] = { 3, 1 };
		expect(&f, y, (int64_t[]){ 2, 1 }, keep ? 2 : 1, x, want);
		assert_int_equal(f.g->nodes[0].attr.reduce.axes[0], 1);
		fx_done(&f);
	}
	struct fx f;
	fx_init(&f, TYPE_F32(2, 3));
	union ir_attrs a;
	memset(&a, 0, sizeof a);
	a.reduce = (struct ir_reduce_attr){ 2, { 1, 0 }, true };
	static const float all[1] = { 2 };
	expect(&f, op(&f, IR_REDUCE_MEAN, f.x, IR_NONE, &a), (int64_t[]){ 1, 1 }, 2, x, all);
	fx_done(&f);
}

/* Each reduction over axis 1 of [2, 3], against values worked out by hand
 * (log, sqrt and exp by a double-precision calculator). */
static void reductions_by_kind(void **state)
{
	(void)state;
	static const float x[6] = { 1, 2, 6, -1, 0, 4 };
	static const struct {
		enum ir_op op;
		float want[2];
	} cases[] = {
		{ IR_REDUCE_MEAN, { 3, 1 } },
		{ IR_REDUCE_SUM, { 9, 3 } },
		{ IR_REDUCE_MAX, { 6, 4 } },
		{ IR_REDUCE_MIN, { 1, -1 } },
		{ IR_REDUCE_PROD, { 12, 0 } },
		{ IR_REDUCE_L1, { 9, 5 } },
		{ IR_REDUCE_L2, { 6.4031242f, 4.1231056f } },
		{ IR_REDUCE_SUM_SQUARE, { 41, 17 } },
		{ IR_REDUCE_LOG_SUM, { 2.1972246f, 1.0986123f } },
		{ IR_REDUCE_LOG_SUM_EXP, { 6.0247449f, 4.0247449f } },
	};
	for (unsigned i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct fx f;
		fx_init(&f, TYPE_F32(2, 3));
		union ir_attrs a;
		memset(&a, 0, sizeof a);
		a.reduce = (struct ir_reduce_attr){ 1, { 1 }, false };
		assert_true(ir_op_is_reduce(cases[i].op));
		expect(&f, op(&f, cases[i].op, f.x, IR_NONE, &a), (int64_t[]){ 2 }, 1, x,
		       cases[i].want);
		fx_done(&f);
	}
	assert_false(ir_op_is_reduce(IR_SOFTMAX));
}

/* Runs reduction o over axis 1 of the [2, 2] input x into out[2]. */
static void reduce_rows(enum ir_op o, const float *x, float *out)
{
	struct fx f;
	fx_init(&f, TYPE_F32(2, 2));
	union ir_attrs a;
	memset(&a, 0, sizeof a);
	a.reduce = (struct ir_reduce_attr){ 1, { 1 }, false };
	ir_add_output(f.g, op(&f, o, f.x, IR_NONE, &a));
	assert_true(infer(&f));
	void *outp[1] = { out };
	const void *inp[1] = { x };
	assert_true(interp_run(f.g, &f.cap.d, inp, outp, 1 << 20));
	fx_done(&f);
}

/* max and min keep a NaN wherever it is in the row; log_sum_exp of
 * 1000s does not overflow and of -inf alone is -inf. */
static void reductions_special_values(void **state)
{
	(void)state;
	const float x[4] = { NAN, 1, 1, NAN };
	float y[2];
	reduce_rows(IR_REDUCE_MAX, x, y);
	assert_true(isnan(y[0]) && isnan(y[1]));
	reduce_rows(IR_REDUCE_MIN, x, y);
	assert_true(isnan(y[0]) && isnan(y[1]));
	const float big[4] = { 1000, 1000, -INFINITY, -INFINITY };
	reduce_rows(IR_REDUCE_LOG_SUM_EXP, big, y);
	assert_float_equal(y[0], 1000.6931f, 1e-3);
	assert_true(isinf(y[1]) && y[1] < 0);
}

/* layer_norm over the last axis of [2, 2]: rows {1, 3} (mean 2, variance
 * 1) and {2, 2} (variance 0: epsilon alone keeps it finite), weight
 * {1, 2}, bias {0, 1}; and an axis past the rank. */
static void layer_norm_rows(void **state)
{
	(void)state;
	static const float x[4] = { 1, 3, 2, 2 }, w[2] = { 1, 2 }, b[2] = { 0, 1 };
	struct fx f;
	fx_init(&f, TYPE_F32(2, 2));
	union ir_attrs a;
	memset(&a, 0, sizeof a);
	a.bn = (struct ir_batchnorm_attr){ -1, 1e-5f, IR_LAYOUT_NONE };
	uint32_t y = op(&f, IR_LAYER_NORM, f.x, IR_NONE, &a);
	struct ir_node *n = &f.g->nodes[f.g->nnodes - 1];
	n->param[0] = cst(&f, "ln.weight", TYPE_F32(2), w);
	n->param[1] = cst(&f, "ln.bias", TYPE_F32(2), b);
	float inv = 1.0f / sqrtf(1.0f + 1e-5f);
	const float want[4] = { -inv, 2 * inv + 1, 0, 1 };
	expect(&f, y, (int64_t[]){ 2, 2 }, 2, x, want);
	assert_int_equal(f.g->nodes[0].attr.bn.axis, 1);
	fx_done(&f);

	fx_init(&f, TYPE_F32(2, 2));
	a.bn.axis = 2;
	op(&f, IR_LAYER_NORM, f.x, IR_NONE, &a);
	n = &f.g->nodes[f.g->nnodes - 1];
	n->param[0] = cst(&f, "ln.weight", TYPE_F32(2), w);
	n->param[1] = cst(&f, "ln.bias", TYPE_F32(2), b);
	expect_error(&f, "axis 2 is out of range for 'n0' with a rank-2 input");
	fx_done(&f);
}

static union ir_attrs slice(int axis, int64_t start, int64_t end, int64_t step)
{
	union ir_attrs a;
	memset(&a, 0, sizeof a);
	a.slice = (struct ir_slice_attr){ axis, start, end, step };
	return a;
}

/* ONNX bounds on [1, 5] = 0..4: from -3 to 100 -> 2 3 4; 0 to 5 step 2
 * -> 0 2 4; from -1 to -100 step -2 -> 4 2 0; from 10 down -> 4 3. */
static void slice_clamps_like_onnx(void **state)
{
	(void)state;
	static const struct {
		int64_t start, end, step, n;
		float want[3];
	} cases[] = {
		{ -3, 100, 1, 3, { 2, 3, 4 } },
		{ 0, 5, 2, 3, { 0, 2, 4 } },
		{ -1, -100, -2, 3, { 4, 2, 0 } },
		{ 10, 2, -1, 2, { 4, 3 } },
		{ INT64_MIN, INT64_MAX, INT64_MAX, 1, { 0 } },
	};
	float x[5];
	iota(x, 5);
	for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
		struct fx f;
		fx_init(&f, TYPE_F32(1, 5));
		union ir_attrs a = slice(-1, cases[k].start, cases[k].end, cases[k].step);
		uint32_t y = op(&f, IR_SLICE, f.x, IR_NONE, &a);
		expect(&f, y, (int64_t[]){ 1, cases[k].n }, 2, x, cases[k].want);
		assert_true(infer(&f)); /* resolving twice changes nothing */
		assert_int_equal(f.g->vals[y].type.dims[1], cases[k].n);
		fx_done(&f);
	}
}

/* [1, 2] padded by 1 before and 2 after the last axis with -1. */
static void pad_puts_the_value_around(void **state)
{
	(void)state;
	struct fx f;
	fx_init(&f, TYPE_F32(1, 2));
	union ir_attrs a;
	memset(&a, 0, sizeof a);
	a.pad_nd.npads = 4;
	a.pad_nd.pads[1] = 1;
	a.pad_nd.pads[3] = 2;
	a.pad_nd.value = -1;
	static const float x[2] = { 7, 8 }, want[5] = { -1, 7, 8, -1, -1 };
	expect(&f, op(&f, IR_PAD, f.x, IR_NONE, &a), (int64_t[]){ 1, 5 }, 2, x, want);
	fx_done(&f);
}

/* gather [2, 3] columns 2, -3 (= 0), 2; broadcast [2, 1] to [2, 2, 3]. */
static void gather_and_broadcast(void **state)
{
	(void)state;
	struct fx f;
	fx_init(&f, TYPE_F32(2, 3));
	static const int64_t idx[3] = { 2, -3, 2 };
	union ir_attrs a;
	memset(&a, 0, sizeof a);
	a.gather = (struct ir_gather_attr){ 1, 3, idx };
	static const float x[6] = { 1, 2, 3, 4, 5, 6 }, want[6] = { 3, 1, 3, 6, 4, 6 };
	expect(&f, op(&f, IR_GATHER, f.x, IR_NONE, &a), (int64_t[]){ 2, 3 }, 2, x, want);
	assert_int_equal(f.g->nodes[0].attr.gather.idx[1], 0);
	fx_done(&f);

	fx_init(&f, TYPE_F32(2, 1));
	memset(&a, 0, sizeof a);
	a.broadcast = (struct ir_broadcast_attr){ 3, { 2, 1, 3 } };
	static const float col[2] = { 5, 6 };
	static const float want2[12] = { 5, 5, 5, 6, 6, 6, 5, 5, 5, 6, 6, 6 };
	expect(&f, op(&f, IR_BROADCAST, f.x, IR_NONE, &a), (int64_t[]){ 2, 2, 3 }, 3, col, want2);
	fx_done(&f);
}

/* log_softmax of (0, 1, 2): x - log(1 + e + e^2) = x - 2.40760596. */
static void log_softmax_values(void **state)
{
	(void)state;
	struct fx f;
	fx_init(&f, TYPE_F32(1, 3));
	union ir_attrs a;
	memset(&a, 0, sizeof a);
	a.axis.axis = -1;
	a.axis.log = true;
	static const float x[3] = { 0, 1, 2 };
	static const float want[3] = { -2.40760596f, -1.40760596f, -0.40760596f };
	expect(&f, op(&f, IR_SOFTMAX, f.x, IR_NONE, &a), (int64_t[]){ 1, 3 }, 2, x, want);
	fx_done(&f);
}

static float run_step(enum ir_step_kind kind, float sa, float sb, float x)
{
	struct fx f;
	fx_init(&f, TYPE_F32(1));
	union ir_attrs a;
	memset(&a, 0, sizeof a);
	a.eltwise.nsteps = 1;
	a.eltwise.steps[0] = (struct ir_eltwise_step){ kind, sa, sb };
	uint32_t y = op(&f, IR_ELTWISE, f.x, IR_NONE, &a);
	ir_add_output(f.g, y);
	assert_true(infer(&f));
	float out;
	void *outp[1] = { &out };
	const void *inp[1] = { &x };
	assert_true(interp_run(f.g, &f.cap.d, inp, outp, 1 << 20));
	fx_done(&f);
	return out;
}

static void eltwise_steps(void **state)
{
	(void)state;
	static const float xs[6] = { -3, -1, 0, 1, 3, 6 };
	static const float leaky[6] = { -0.3f, -0.1f, 0, 1, 3, 6 };
	static const float hsig[6] = { 0, 0.3f, 0.5f, 0.7f, 1, 1 };
	static const float hswish[6] = { 0, -1.0f / 3.0f, 0, 2.0f / 3.0f, 3, 6 };
	for (int i = 0; i < 6; i++) {
		assert_float_equal(run_step(IR_STEP_LEAKY_RELU, 0.1f, 0, xs[i]), leaky[i], 1e-6);
		assert_float_equal(run_step(IR_STEP_HARD_SIGMOID, 0.2f, 0.5f, xs[i]), hsig[i], 1e-6);
		assert_float_equal(run_step(IR_STEP_HARD_SWISH, 0, 0, xs[i]), hswish[i], 1e-6);
		assert_float_equal(run_step(IR_STEP_NEG, 0, 0, xs[i]), -xs[i], 0);
		assert_float_equal(run_step(IR_STEP_ABS, 0, 0, xs[i]), fabsf(xs[i]), 0);
	}
	assert_float_equal(run_step(IR_STEP_EXP, 0, 0, 1), 2.71828183f, 1e-6);
	assert_float_equal(run_step(IR_STEP_LOG, 0, 0, 2.71828183f), 1, 1e-6);
	assert_float_equal(run_step(IR_STEP_SQRT, 0, 0, 6.25f), 2.5f, 0);
}

/* Shape errors name the node and show both shapes. */
static void shape_errors(void **state)
{
	(void)state;
	struct fx f;
	fx_init(&f, TYPE_F32(1, 3, 4));
	union ir_attrs mul = binop(IR_BINOP_MUL);
	op(&f, IR_BINARY, f.x, cst(&f, "c", TYPE_F32(1, 5), NULL), &mul);
	expect_error(&f, "mul 'n0': cannot broadcast input 'x' f32[1, 3, 4] with input 'c' "
	                 "f32[1, 5]");
	fx_done(&f);

	fx_init(&f, TYPE_F32(2, 3));
	op(&f, IR_MATMUL, f.x, cst(&f, "w", TYPE_F32(4, 5), NULL), NULL);
	expect_error(&f, "matmul 'n0': input 'x' f32[2, 3] has 3 columns but input 'w' f32[4, 5] "
	                 "has 4 rows");
	fx_done(&f);

	fx_init(&f, TYPE_F32(1, 5));
	union ir_attrs s = slice(1, 4, 2, 1);
	op(&f, IR_SLICE, f.x, IR_NONE, &s);
	expect_error(&f, "slice 'n0' of axis 1 of f32[1, 5] from 4 to 2 step 1 is empty");
	fx_done(&f);

	fx_init(&f, TYPE_F32(1, 5));
	union ir_attrs p;
	memset(&p, 0, sizeof p);
	p.pad_nd.npads = 2;
	op(&f, IR_PAD, f.x, IR_NONE, &p);
	expect_error(&f, "pad 'n0' needs 4 pads (before and after each axis of f32[1, 5]), got 2");
	fx_done(&f);

	fx_init(&f, TYPE_F32(2, 3));
	static const int64_t idx[1] = { 3 };
	union ir_attrs gth;
	memset(&gth, 0, sizeof gth);
	gth.gather = (struct ir_gather_attr){ 1, 1, idx };
	op(&f, IR_GATHER, f.x, IR_NONE, &gth);
	expect_error(&f, "gather 'n0': index 3 is out of range for axis 1 of f32[2, 3]; "
	                 "expected -3 to 2");
	fx_done(&f);

	fx_init(&f, TYPE_F32(2, 3)); /* over every axis: a scalar */
	union ir_attrs r;
	memset(&r, 0, sizeof r);
	r.reduce = (struct ir_reduce_attr){ 2, { 0, 1 }, false };
	uint32_t mean = op(&f, IR_REDUCE_MEAN, f.x, IR_NONE, &r);
	uint32_t sm = op(&f, IR_SOFTMAX, mean, IR_NONE, NULL);
	expect_error(&f, "softmax 'n1' needs an input with at least one dimension, but 'n0' is the "
	                 "scalar f32[]");
	fx_done(&f);
	(void)sm;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(binary_broadcasts_channels_and_scalars),
		cmocka_unit_test(add_of_two_shapes_broadcasts),
		cmocka_unit_test(matmul_batched_and_vectors),
		cmocka_unit_test(reduce_mean_keepdims_both_ways),
		cmocka_unit_test(reductions_by_kind),
		cmocka_unit_test(reductions_special_values),
		cmocka_unit_test(layer_norm_rows),
		cmocka_unit_test(slice_clamps_like_onnx),
		cmocka_unit_test(pad_puts_the_value_around),
		cmocka_unit_test(gather_and_broadcast),
		cmocka_unit_test(log_softmax_values),
		cmocka_unit_test(eltwise_steps),
		cmocka_unit_test(shape_errors),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
