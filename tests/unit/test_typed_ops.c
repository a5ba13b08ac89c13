/* test_typed_ops.c - the typed ops (IR_F_TYPED: binary on integers and
 * bool, compare, not, where, cast, argmax, argmin) in the reference
 * interpreter against values worked out from their definitions (ir.h):
 * wrapping arithmetic, division and remainder by 0 and of the minimum by
 * -1, the sign of mod and fmod, unsigned order above INT64_MAX, saturating
 * float-to-integer casts with NaN, argmax's NaN and tie rules, and any
 * non-zero byte reading as true; then the dtype errors of shape inference. */
#include "harness.h"

#include <math.h>

#include "interp.h"
#include "pass.h"

#define NOLOC ((struct src_span){ 0 })

struct fx {
	struct arena a;
	struct capture cap;
	struct ir_graph *g;
	uint32_t in[3];
	unsigned nin;
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

static struct ir_type vec(enum ir_dtype dt, int64_t n)
{
	struct ir_type t = { dt, 2, { 1, n } };
	return t;
}

static uint32_t input(struct fx *f, struct ir_type t)
{
	const char *name = arena_printf(&f->a, "x%u", f->nin);
	return f->in[f->nin++] = ir_add_input(f->g, name, t, IR_LAYOUT_NONE, NOLOC);
}

static uint32_t node(struct fx *f, enum ir_op o, const uint32_t *in, unsigned nin,
                     const union ir_attrs *at)
{
	uint32_t id = ir_add_node(f->g, o, "n", in, nin, at, NOLOC);
	return f->g->nodes[id].out;
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

/* Runs the graph (output y) on the given inputs into out. */
static void run(struct fx *f, uint32_t y, const void *const *ins, void *out)
{
	ir_add_output(f->g, y);
	assert_true(infer(f));
	assert_string_equal(capture_text(&f->cap), "");
	void *outs[1] = { out };
	assert_true(interp_run(f->g, &f->cap.d, ins, outs, 1 << 20));
}

static union ir_attrs binop(enum ir_binop op)
{
	union ir_attrs a;
	memset(&a, 0, sizeof a);
	a.binary.op = op;
	return a;
}

/* y = a OP b on two dt[1, n] inputs. */
static void binary(enum ir_dtype dt, enum ir_binop op, int64_t n, const void *a, const void *b,
                   void *out)
{
	struct fx f;
	fx_init(&f);
	uint32_t in[2] = { input(&f, vec(dt, n)), input(&f, vec(dt, n)) };
	union ir_attrs at = binop(op);
	const void *ins[2] = { a, b };
	run(&f, node(&f, IR_BINARY, in, 2, &at), ins, out);
	assert_int_equal(f.g->vals[f.g->outputs[0]].type.dtype, dt);
	fx_done(&f);
}

static void integer_division_is_defined_everywhere(void **state)
{
	(void)state;
	const int32_t a[6] = { INT32_MIN, 7, -7, 7, -7, 5 }, b[6] = { -1, 0, 2, -2, 0, 3 };
	int32_t y[6];
	binary(IR_DT_I32, IR_BINOP_DIV, 6, a, b, y);
	const int32_t div[6] = { INT32_MIN, 0, -3, -3, 0, 1 }; /* toward zero; /0 is 0 */
	assert_memory_equal(y, div, sizeof y);
	binary(IR_DT_I32, IR_BINOP_MOD, 6, a, b, y);
	const int32_t mod[6] = { 0, 0, 1, -1, 0, 2 }; /* the sign of b */
	assert_memory_equal(y, mod, sizeof y);
	binary(IR_DT_I32, IR_BINOP_FMOD, 6, a, b, y);
	const int32_t fmod[6] = { 0, 0, -1, 1, 0, 2 }; /* the sign of a */
	assert_memory_equal(y, fmod, sizeof y);
	const int64_t a64[2] = { INT64_MIN, INT64_MIN }, b64[2] = { -1, 0 };
	int64_t y64[2];
	binary(IR_DT_I64, IR_BINOP_DIV, 2, a64, b64, y64);
	assert_true(y64[0] == INT64_MIN && y64[1] == 0); /* wraps, no trap */
}

static void integer_arithmetic_wraps_at_the_width(void **state)
{
	(void)state;
	const int8_t a[4] = { 100, -128, 3, -2 }, b[4] = { 100, 1, 5, 7 };
	int8_t y[4];
	binary(IR_DT_I8, IR_BINOP_ADD, 4, a, b, y);
	const int8_t add[4] = { -56, -127, 8, 5 };
	assert_memory_equal(y, add, sizeof y);
	binary(IR_DT_I8, IR_BINOP_MUL, 4, a, b, y);
	const int8_t mul[4] = { 16, -128, 15, -14 };
	assert_memory_equal(y, mul, sizeof y);
	binary(IR_DT_I8, IR_BINOP_POW, 4, a, b, y);
	const int8_t pw[4] = { 0, -128, -13, -128 }; /* 3^5 = 243 = -13, (-2)^7 = -128 */
	assert_memory_equal(y, pw, sizeof y);
	const int32_t pa[4] = { 2, 1, -1, 5 }, pb[4] = { -1, -3, -3, 0 };
	int32_t py[4];
	binary(IR_DT_I32, IR_BINOP_POW, 4, pa, pb, py);
	const int32_t pneg[4] = { 0, 1, -1, 1 }; /* negative exponents */
	assert_memory_equal(py, pneg, sizeof py);
}

static void unsigned_values_order_above_the_signed_range(void **state)
{
	(void)state;
	const uint64_t a[3] = { UINT64_MAX, 1, (uint64_t)1 << 63 }, b[3] = { 1, UINT64_MAX, 3 };
	uint64_t y[3];
	binary(IR_DT_U64, IR_BINOP_MAX, 3, a, b, y);
	assert_true(y[0] == UINT64_MAX && y[1] == UINT64_MAX && y[2] == (uint64_t)1 << 63);
	binary(IR_DT_U64, IR_BINOP_DIV, 3, a, b, y);
	assert_true(y[0] == UINT64_MAX && y[1] == 0 && y[2] == ((uint64_t)1 << 63) / 3);
	struct fx f;
	fx_init(&f);
	uint32_t in[2] = { input(&f, vec(IR_DT_U64, 3)), input(&f, vec(IR_DT_U64, 3)) };
	union ir_attrs at;
	memset(&at, 0, sizeof at);
	at.compare.op = IR_CMP_GT;
	uint8_t gt[3];
	const void *ins[2] = { a, b };
	run(&f, node(&f, IR_COMPARE, in, 2, &at), ins, gt);
	assert_true(gt[0] == 1 && gt[1] == 0 && gt[2] == 1);
	fx_done(&f);
}

static void float_comparisons_with_nan_are_false_but_ne(void **state)
{
	(void)state;
	static const enum ir_cmp ops[6] = { IR_CMP_EQ, IR_CMP_NE, IR_CMP_LT,
		                            IR_CMP_LE, IR_CMP_GT, IR_CMP_GE };
	/* a, b: (1, 2), (2, 2), (NaN, 1) */
	const float a[3] = { 1, 2, NAN }, b[3] = { 2, 2, 1 };
	static const uint8_t want[6][3] = { { 0, 1, 0 }, { 1, 0, 1 }, { 1, 0, 0 },
		                            { 1, 1, 0 }, { 0, 0, 0 }, { 0, 1, 0 } };
	for (unsigned k = 0; k < 6; k++) {
		struct fx f;
		fx_init(&f);
		uint32_t in[2] = { input(&f, vec(IR_DT_F32, 3)), input(&f, vec(IR_DT_F32, 3)) };
		union ir_attrs at;
		memset(&at, 0, sizeof at);
		at.compare.op = ops[k];
		uint8_t y[3];
		const void *ins[2] = { a, b };
		run(&f, node(&f, IR_COMPARE, in, 2, &at), ins, y);
		assert_memory_equal(y, want[k], 3);
		fx_done(&f);
	}
}

/* y = cast(x) of one dt[1, n] input to `to`. */
static void cast(enum ir_dtype from, enum ir_dtype to, int64_t n, const void *x, void *out)
{
	struct fx f;
	fx_init(&f);
	uint32_t in = input(&f, vec(from, n));
	union ir_attrs at;
	memset(&at, 0, sizeof at);
	at.cast.to = to;
	const void *ins[1] = { x };
	run(&f, node(&f, IR_CAST, &in, 1, &at), ins, out);
	fx_done(&f);
}

static void casts_saturate_and_truncate(void **state)
{
	(void)state;
	const float x[8] = { NAN, 1e20f, -1e20f, -1.5f, 300.7f, 2.5f, -0.0f, INFINITY };
	uint8_t u8[8], b[8];
	int32_t i32[8];
	uint64_t u64[8];
	cast(IR_DT_F32, IR_DT_U8, 8, x, u8);
	const uint8_t wu8[8] = { 0, 255, 0, 0, 255, 2, 0, 255 };
	assert_memory_equal(u8, wu8, 8);
	cast(IR_DT_F32, IR_DT_I32, 8, x, i32);
	const int32_t wi32[8] = { 0, INT32_MAX, INT32_MIN, -1, 300, 2, 0, INT32_MAX };
	assert_memory_equal(i32, wi32, sizeof i32);
	cast(IR_DT_F32, IR_DT_U64, 8, x, u64);
	assert_true(u64[0] == 0 && u64[1] == UINT64_MAX && u64[2] == 0 && u64[5] == 2);
	cast(IR_DT_F32, IR_DT_BOOL, 8, x, b);
	const uint8_t wb[8] = { 1, 1, 1, 1, 1, 1, 0, 1 };
	assert_memory_equal(b, wb, 8);
	const int32_t wide[3] = { -1, 256, 65535 };
	uint8_t narrow[3];
	cast(IR_DT_I32, IR_DT_U8, 3, wide, narrow);
	assert_true(narrow[0] == 255 && narrow[1] == 0 && narrow[2] == 255);
	const uint8_t bytes[3] = { 0, 2, 255 }; /* any non-zero byte is true */
	float fl[3];
	cast(IR_DT_BOOL, IR_DT_F32, 3, bytes, fl);
	assert_true(fl[0] == 0 && fl[1] == 1 && fl[2] == 1);
	const uint32_t big[1] = { 4000000000u };
	cast(IR_DT_U32, IR_DT_F32, 1, big, fl);
	assert_true(fl[0] == 4e9f);
}

static void where_not_and_logic(void **state)
{
	(void)state;
	struct fx f;
	fx_init(&f);
	struct ir_type c = vec(IR_DT_BOOL, 4), s = { IR_DT_I64, 2, { 1, 1 } };
	uint32_t in[3] = { input(&f, c), input(&f, vec(IR_DT_I64, 4)), input(&f, s) };
	uint32_t nc = node(&f, IR_NOT, in, 1, NULL);
	uint32_t w[3] = { nc, in[1], in[2] };
	const uint8_t cond[4] = { 0, 7, 1, 0 };
	const int64_t a[4] = { 10, 20, 30, 40 }, b[1] = { -5 };
	int64_t y[4];
	const void *ins[3] = { cond, a, b };
	run(&f, node(&f, IR_WHERE, w, 3, NULL), ins, y);
	const int64_t want[4] = { 10, -5, -5, 40 };
	assert_memory_equal(y, want, sizeof y);
	fx_done(&f);
	const uint8_t p[4] = { 0, 0, 1, 9 }, q[4] = { 0, 1, 0, 1 };
	uint8_t r[4];
	binary(IR_DT_BOOL, IR_BINOP_AND, 4, p, q, r);
	assert_true(r[0] == 0 && r[1] == 0 && r[2] == 0 && r[3] == 1);
	binary(IR_DT_BOOL, IR_BINOP_XOR, 4, p, q, r);
	assert_true(r[0] == 0 && r[1] == 1 && r[2] == 1 && r[3] == 0);
}

/* argmax/argmin over axis 1 of f32[2, 4]. */
static void arg(enum ir_op op, bool last, bool keepdims, const float *x, int64_t *out)
{
	struct fx f;
	fx_init(&f);
	struct ir_type t = { IR_DT_F32, 2, { 2, 4 } };
	uint32_t in = input(&f, t);
	union ir_attrs at;
	memset(&at, 0, sizeof at);
	at.arg = (struct ir_arg_attr){ -1, keepdims, last };
	const void *ins[1] = { x };
	uint32_t y = node(&f, op, &in, 1, &at);
	run(&f, y, ins, out);
	const struct ir_type *yt = &f.g->vals[y].type;
	assert_int_equal(yt->dtype, IR_DT_I64);
	assert_int_equal(yt->rank, keepdims ? 2 : 1);
	fx_done(&f);
}

static void argmax_ties_and_nan(void **state)
{
	(void)state;
	const float x[8] = { 1, 3, 3, -1, /* */ 2, NAN, 5, NAN };
	int64_t y[2];
	arg(IR_ARGMAX, false, true, x, y);
	assert_true(y[0] == 1 && y[1] == 1); /* the first maximum; the first NaN */
	arg(IR_ARGMAX, true, false, x, y);
	assert_true(y[0] == 2 && y[1] == 3); /* the last maximum; the last NaN */
	arg(IR_ARGMIN, false, true, x, y);
	assert_true(y[0] == 3 && y[1] == 1); /* a NaN wins argmin too (NumPy) */
}

static void dtype_errors_are_located(void **state)
{
	(void)state;
	struct fx f;
	fx_init(&f);
	uint32_t in[2] = { input(&f, vec(IR_DT_F32, 2)), input(&f, vec(IR_DT_I64, 2)) };
	union ir_attrs at = binop(IR_BINOP_ADD);
	node(&f, IR_BINARY, in, 2, &at);
	at = binop(IR_BINOP_AND);
	uint32_t two_f[2] = { in[0], in[0] };
	node(&f, IR_BINARY, two_f, 2, &at);
	uint32_t w[3] = { in[1], in[0], in[0] };
	node(&f, IR_WHERE, w, 3, NULL);
	node(&f, IR_RELU, &in[1], 1, NULL);
	assert_false(infer(&f));
	const char *s = capture_text(&f.cap);
	assert_contains(s, "add 'n': input 'x0' f32[1, 2] and input 'x1' i64[1, 2] have "
	                   "different dtypes");
	assert_contains(s, "and 'n' does not compute on f32 tensors (input 'x0')");
	assert_contains(s, "where 'n' needs a bool condition input, but 'x1' is i64[1, 2]");
	assert_contains(s, "relu 'n' needs f32 input, but 'x1' is i64[1, 2]");
	fx_done(&f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(integer_division_is_defined_everywhere),
		cmocka_unit_test(integer_arithmetic_wraps_at_the_width),
		cmocka_unit_test(unsigned_values_order_above_the_signed_range),
		cmocka_unit_test(float_comparisons_with_nan_are_false_but_ne),
		cmocka_unit_test(casts_saturate_and_truncate),
		cmocka_unit_test(where_not_and_logic),
		cmocka_unit_test(argmax_ties_and_nan),
		cmocka_unit_test(dtype_errors_are_located),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
