/* test_shape_infer.c - the shape rules of every op, padding resolution and
 * the messages for shape errors. Graphs are built by hand with the builder,
 * as the frontend would build them. */
#include "harness.h"

#include "pass.h"

struct fixture {
	struct arena a;
	struct capture cap;
	struct ir_graph *g;
	uint32_t x;
};

static struct fixture *fx_new(struct ir_type in, enum ir_layout layout)
{
	struct fixture *f = calloc(1, sizeof *f);
	capture_begin(&f->cap);
	f->g = ir_graph_new(&f->a, "t");
	f->x = ir_add_input(f->g, "x", in, layout, (struct src_span){ 0 });
	return f;
}

static void fx_free(struct fixture *f)
{
	capture_end(&f->cap);
	arena_free(&f->a);
	free(f);
}

static bool infer(struct fixture *f)
{
	struct pass_options o = { 0 };
	struct arena scratch = { 0 };
	struct pass_ctx ctx = { f->g, &f->cap.d, &scratch, &o };
	bool ok = pass_shape_infer.run(&ctx);
	arena_free(&scratch);
	return ok;
}

static uint32_t node(struct fixture *f, enum ir_op op, uint32_t in, const union ir_attrs *a)
{
	return ir_add_node(f->g, op, arena_printf(&f->a, "n%u", f->g->nnodes), &in, 1, a,
	                   (struct src_span){ 0 });
}

static const struct ir_type *out_type(struct fixture *f, uint32_t n)
{
	return &f->g->vals[f->g->nodes[n].out].type;
}

static void assert_dims(const struct ir_type *t, unsigned rank, const int64_t *dims)
{
	assert_int_equal(t->dtype, IR_DT_F32);
	assert_int_equal(t->rank, rank);
	for (unsigned i = 0; i < rank; i++)
		assert_int_equal(t->dims[i], dims[i]);
}

static union ir_attrs conv(int64_t filters, int64_t k, int64_t s, enum ir_pad_mode mode,
                           enum ir_layout l)
{
	union ir_attrs a;
	memset(&a, 0, sizeof a);
	a.conv = (struct ir_conv_attr){ .filters = filters, .kernel = { k, k }, .stride = { s, s },
	                                .dilation = { 1, 1 }, .pad_mode = mode, .groups = 1,
	                                .bias = true, .layout = l };
	return a;
}

static void conv_same_stride2_pads_bottom_right(void **state)
{
	(void)state;
	/* in 7x7, k=3, s=2, same: out = ceil(7/2) = 4, total pad = 3*2+3-7 = 2
	 * -> 1 top/left, 1 bottom/right; in 8x8: out 4, total = 3*2+3-8 = 1
	 * -> 0 top, 1 bottom (TensorFlow's rule). */
	struct fixture *f = fx_new(TYPE_F32(1, 8, 7, 3), IR_LAYOUT_NHWC);
	union ir_attrs a = conv(16, 3, 2, IR_PAD_SAME, IR_LAYOUT_NHWC);
	uint32_t n = node(f, IR_CONV2D, f->x, &a);
	f->g->nodes[n].param[0] = ir_add_const(f->g, "c.weight", (struct ir_type){ 0 }, NULL,
	                                       (struct src_span){ 0 });
	ir_add_output(f->g, f->g->nodes[n].out);
	assert_true(infer(f));
	assert_dims(out_type(f, n), 4, (int64_t[]){ 1, 4, 4, 16 });
	const int64_t *pad = f->g->nodes[n].attr.conv.pad;
	assert_int_equal(pad[0], 0); /* top (height 8) */
	assert_int_equal(pad[2], 1); /* bottom */
	assert_int_equal(pad[1], 1); /* left (width 7) */
	assert_int_equal(pad[3], 1); /* right */
	/* the weight's expected type is PyTorch's OIHW */
	assert_dims(&f->g->vals[f->g->nodes[n].param[0]].type, 4, (int64_t[]){ 16, 3, 3, 3 });
	fx_free(f);
}

static void conv_nchw_dilation_groups(void **state)
{
	(void)state;
	/* NCHW 1x4x10x10, 8 filters, k=3 dilation 2 (extent 5), groups 2, valid:
	 * out 6x6, weight [8, 2, 3, 3] */
	struct fixture *f = fx_new(TYPE_F32(1, 4, 10, 10), IR_LAYOUT_NCHW);
	union ir_attrs a = conv(8, 3, 1, IR_PAD_VALID, IR_LAYOUT_NCHW);
	a.conv.dilation[0] = a.conv.dilation[1] = 2;
	a.conv.groups = 2;
	uint32_t n = node(f, IR_CONV2D, f->x, &a);
	f->g->nodes[n].param[0] = ir_add_const(f->g, "c.weight", (struct ir_type){ 0 }, NULL,
	                                       (struct src_span){ 0 });
	ir_add_output(f->g, f->g->nodes[n].out);
	assert_true(infer(f));
	assert_dims(out_type(f, n), 4, (int64_t[]){ 1, 8, 6, 6 });
	assert_dims(&f->g->vals[f->g->nodes[n].param[0]].type, 4, (int64_t[]){ 8, 2, 3, 3 });
	fx_free(f);
}

static void conv_errors_are_all_reported(void **state)
{
	(void)state;
	/* groups 3 divides neither 4 channels nor 8 filters; and kernel 5 on a
	 * 3-wide input: three independent messages */
	struct fixture *f = fx_new(TYPE_F32(1, 3, 3, 4), IR_LAYOUT_NHWC);
	union ir_attrs a = conv(8, 5, 1, IR_PAD_VALID, IR_LAYOUT_NHWC);
	a.conv.groups = 3;
	uint32_t n = node(f, IR_CONV2D, f->x, &a);
	ir_add_output(f->g, f->g->nodes[n].out);
	assert_false(infer(f));
	const char *t = capture_text(&f->cap);
	assert_contains(t, "groups=3 of 'n0' does not divide its 4 input channels");
	assert_contains(t, "groups=3 of 'n0' does not divide its 8 filters");
	assert_contains(t, "height of 'n0' (3 after padding) is smaller than the size 5 of its kernel window");
	fx_free(f);
}

static void pools_and_global(void **state)
{
	(void)state;
	struct fixture *f = fx_new(TYPE_F32(1, 9, 9, 5), IR_LAYOUT_NHWC);
	union ir_attrs a;
	memset(&a, 0, sizeof a);
	a.pool = (struct ir_pool_attr){ .kernel = { 3, 3 }, .stride = { 2, 2 },
	                                .pad_mode = IR_PAD_EXPLICIT, .pad = { 1, 1, 1, 1 },
	                                .layout = IR_LAYOUT_NHWC };
	uint32_t p = node(f, IR_MAXPOOL2D, f->x, &a);
	union ir_attrs g;
	memset(&g, 0, sizeof g);
	g.axis.layout = IR_LAYOUT_NHWC;
	uint32_t gp = node(f, IR_GLOBAL_AVGPOOL, f->g->nodes[p].out, &g);
	ir_add_output(f->g, f->g->nodes[gp].out);
	assert_true(infer(f));
	/* (9 + 2 - 3) / 2 + 1 = 5 */
	assert_dims(out_type(f, p), 4, (int64_t[]){ 1, 5, 5, 5 });
	assert_dims(out_type(f, gp), 2, (int64_t[]){ 1, 5 });
	fx_free(f);
}

/* ceil_mode rounds the window count up, but drops a last window that
 * would start past the input and the top/left pad (PyTorch, ONNX). */
static void pool_ceil_mode(void **state)
{
	(void)state;
	struct fixture *f = fx_new(TYPE_F32(1, 10, 8, 3), IR_LAYOUT_NHWC);
	union ir_attrs a;
	memset(&a, 0, sizeof a);
	/* rows: (10 - 1) / 2 rounds up to 5, + 1 = 6, but window 5 would start
	 * at row 10: 5 rows. columns: (8 + 1 + 1 - 3) / 2 = 3.5 -> 4 + 1 = 5,
	 * the last starting at column 8 - 1 = 7, inside the input. */
	a.pool = (struct ir_pool_attr){ .kernel = { 1, 3 }, .stride = { 2, 2 },
	                                .pad_mode = IR_PAD_EXPLICIT, .pad = { 0, 1, 0, 1 },
	                                .ceil_mode = true, .layout = IR_LAYOUT_NHWC };
	uint32_t p = node(f, IR_MAXPOOL2D, f->x, &a);
	a.pool.ceil_mode = false;
	uint32_t q = node(f, IR_MAXPOOL2D, f->x, &a);
	ir_add_output(f->g, f->g->nodes[p].out);
	ir_add_output(f->g, f->g->nodes[q].out);
	assert_true(infer(f));
	assert_dims(out_type(f, p), 4, (int64_t[]){ 1, 5, 5, 3 });
	assert_dims(out_type(f, q), 4, (int64_t[]){ 1, 5, 4, 3 });
	fx_free(f);
}

static void pool_pad_not_smaller_than_kernel(void **state)
{
	(void)state;
	struct fixture *f = fx_new(TYPE_F32(1, 9, 9, 5), IR_LAYOUT_NHWC);
	union ir_attrs a;
	memset(&a, 0, sizeof a);
	a.pool = (struct ir_pool_attr){ .kernel = { 2, 2 }, .stride = { 2, 2 },
	                                .pad_mode = IR_PAD_EXPLICIT, .pad = { 2, 0, 0, 0 },
	                                .layout = IR_LAYOUT_NHWC };
	uint32_t n = node(f, IR_AVGPOOL2D, f->x, &a);
	ir_add_output(f->g, f->g->nodes[n].out);
	assert_false(infer(f));
	assert_contains(capture_text(&f->cap), "padding 2 of 'n0' must be smaller than its pool size 2");
	fx_free(f);
}

/* dense applies to the last axis of any rank >= 2; rank 4 (an image
 * that was probably meant to be flattened) warns; rank 1 is an error. */
static void dense_ranks(void **state)
{
	(void)state;
	struct fixture *f = fx_new(TYPE_F32(1, 4, 4, 2), IR_LAYOUT_NHWC);
	union ir_attrs a;
	memset(&a, 0, sizeof a);
	a.dense.units = 10;
	uint32_t d = node(f, IR_DENSE, f->x, &a);
	f->g->nodes[d].param[0] = ir_add_const(f->g, "d.weight", (struct ir_type){ 0 }, NULL,
	                                       (struct src_span){ 0 });
	ir_add_output(f->g, f->g->nodes[d].out);
	assert_true(infer(f));
	assert_dims(out_type(f, d), 4, (int64_t[]){ 1, 4, 4, 10 });
	assert_dims(&f->g->vals[f->g->nodes[d].param[0]].type, 2, (int64_t[]){ 10, 2 });
	const char *t = capture_text(&f->cap);
	assert_contains(t, "warning: dense 'n0' applies to the last axis of each position of its "
	                   "rank-4 input f32[1, 4, 4, 2]");
	assert_contains(t, "note: add flatten() before it");
	assert_int_equal(f->cap.d.errors, 0);
	fx_free(f);

	f = fx_new(TYPE_F32(2, 5, 3), IR_LAYOUT_NHWC);
	d = node(f, IR_DENSE, f->x, &a);
	ir_add_output(f->g, f->g->nodes[d].out);
	assert_true(infer(f));
	assert_dims(out_type(f, d), 3, (int64_t[]){ 2, 5, 10 });
	assert_int_equal(f->cap.d.warnings, 0);
	fx_free(f);

	f = fx_new(TYPE_F32(6), IR_LAYOUT_NHWC);
	d = node(f, IR_DENSE, f->x, &a);
	/* a consumer of the failed dense stays quiet */
	uint32_t r = node(f, IR_RELU, f->g->nodes[d].out, NULL);
	ir_add_output(f->g, f->g->nodes[r].out);
	assert_false(infer(f));
	assert_contains(capture_text(&f->cap), "dense 'n0' expects an input of rank 2 or more "
	                                       "[batch, ..., features], got f32[6]");
	assert_int_equal(f->cap.d.errors, 1);
	fx_free(f);
}

static uint32_t with_params(struct fixture *f, uint32_t n, unsigned count)
{
	for (unsigned k = 0; k < count; k++)
		f->g->nodes[n].param[k] = ir_add_const(f->g, arena_printf(&f->a, "p%u", k),
		                                       (struct ir_type){ 0 }, NULL,
		                                       (struct src_span){ 0 });
	return n;
}

static const struct ir_type *param_type(struct fixture *f, uint32_t n, unsigned k)
{
	return &f->g->vals[f->g->nodes[n].param[k]].type;
}

/* embedding/onehot add an axis; lstm/gru type their four weights; timestep
 * drops axis 1 and resolves a negative index. */
static void sequence_shapes(void **state)
{
	(void)state;
	struct fixture *f = fx_new(tt(IR_DT_I64, 2, (int64_t[]){ 2, 7 }), IR_LAYOUT_NHWC);
	union ir_attrs a;
	memset(&a, 0, sizeof a);
	a.index = (struct ir_index_attr){ 100, 6 };
	uint32_t e = with_params(f, node(f, IR_EMBEDDING, f->x, &a), 1);
	memset(&a, 0, sizeof a);
	a.index.size = 9;
	uint32_t h = node(f, IR_ONEHOT, f->x, &a);
	memset(&a, 0, sizeof a);
	a.rnn = (struct ir_rnn_attr){ 5, true, false, 0 };
	uint32_t l = with_params(f, node(f, IR_LSTM, f->g->nodes[e].out, &a), 4);
	a.rnn = (struct ir_rnn_attr){ 3, false, true, 0 };
	uint32_t g = with_params(f, node(f, IR_GRU, f->g->nodes[h].out, &a), 2);
	memset(&a, 0, sizeof a);
	a.select.index = -2;
	uint32_t t = node(f, IR_TIMESTEP, f->g->nodes[l].out, &a);
	ir_add_output(f->g, f->g->nodes[t].out);
	ir_add_output(f->g, f->g->nodes[g].out);
	assert_true(infer(f));
	assert_dims(out_type(f, e), 3, (int64_t[]){ 2, 7, 6 });
	assert_dims(param_type(f, e, 0), 2, (int64_t[]){ 100, 6 });
	assert_dims(out_type(f, h), 3, (int64_t[]){ 2, 7, 9 });
	assert_dims(out_type(f, l), 3, (int64_t[]){ 2, 7, 5 });
	assert_dims(param_type(f, l, 0), 2, (int64_t[]){ 20, 6 });
	assert_dims(param_type(f, l, 1), 2, (int64_t[]){ 20, 5 });
	assert_dims(param_type(f, l, 2), 1, (int64_t[]){ 20 });
	assert_dims(param_type(f, l, 3), 1, (int64_t[]){ 20 });
	assert_dims(out_type(f, g), 2, (int64_t[]){ 2, 3 });
	assert_dims(param_type(f, g, 0), 2, (int64_t[]){ 9, 9 });
	assert_dims(param_type(f, g, 1), 2, (int64_t[]){ 9, 3 });
	assert_dims(out_type(f, t), 2, (int64_t[]){ 2, 5 });
	assert_int_equal(f->g->nodes[t].attr.select.index, 5);
	fx_free(f);
}

/* Integer tensors reach only embedding/onehot; ranks and the timestep
 * index are checked; every independent error is reported. */
static void sequence_errors(void **state)
{
	(void)state;
	struct fixture *f = fx_new(TYPE_F32(1, 4, 3), IR_LAYOUT_NHWC);
	uint32_t ids = ir_add_input(f->g, "ids", tt(IR_DT_I32, 2, (int64_t[]){ 1, 4 }),
	                            IR_LAYOUT_NONE, (struct src_span){ 0 });
	union ir_attrs a;
	memset(&a, 0, sizeof a);
	a.index = (struct ir_index_attr){ 10, 2 };
	uint32_t e = node(f, IR_EMBEDDING, f->x, &a);
	memset(&a, 0, sizeof a);
	a.rnn.units = 4;
	uint32_t l = node(f, IR_LSTM, ids, &a);
	uint32_t flat = node(f, IR_FLATTEN, f->x, NULL);
	uint32_t g = node(f, IR_GRU, f->g->nodes[flat].out, &a);
	memset(&a, 0, sizeof a);
	a.select.index = 4;
	uint32_t t = node(f, IR_TIMESTEP, f->x, &a);
	a.select.index = -5;
	uint32_t t2 = node(f, IR_TIMESTEP, f->x, &a);
	for (uint32_t n = e; n <= t2; n++)
		ir_add_output(f->g, f->g->nodes[n].out);
	(void)l, (void)g, (void)t;
	assert_false(infer(f));
	const char *s = capture_text(&f->cap);
	assert_contains(s, "embedding 'n0' needs integer ids (i32 or i64), but 'x' is f32[1, 4, 3]");
	assert_contains(s, "lstm 'n1' needs f32 input, but 'ids' is i32[1, 4]");
	assert_contains(s, "note: only embedding, onehot and the typed tensor ops");
	assert_contains(s, "gru 'n3' expects a rank-3 input ([batch, time steps, features]), got "
	                   "f32[1, 12]");
	assert_contains(s, "timestep index 4 of 'n4' is out of range for 4 time steps (input "
	                   "f32[1, 4, 3]); expected -4 to 3");
	assert_contains(s, "timestep index -5 of 'n5' is out of range");
	assert_int_equal(f->cap.d.errors, 5);
	fx_free(f);
}

static void flatten_dense_params(void **state)
{
	(void)state;
	struct fixture *f = fx_new(TYPE_F32(2, 3, 4, 5), IR_LAYOUT_NCHW);
	uint32_t fl = node(f, IR_FLATTEN, f->x, NULL);
	union ir_attrs a;
	memset(&a, 0, sizeof a);
	a.dense.units = 7;
	uint32_t d = node(f, IR_DENSE, f->g->nodes[fl].out, &a);
	f->g->nodes[d].param[0] = ir_add_const(f->g, "d.weight", (struct ir_type){ 0 }, NULL,
	                                       (struct src_span){ 0 });
	f->g->nodes[d].param[1] = ir_add_const(f->g, "d.bias", (struct ir_type){ 0 }, NULL,
	                                       (struct src_span){ 0 });
	ir_add_output(f->g, f->g->nodes[d].out);
	assert_true(infer(f));
	assert_dims(out_type(f, fl), 2, (int64_t[]){ 2, 60 });
	assert_dims(out_type(f, d), 2, (int64_t[]){ 2, 7 });
	assert_dims(&f->g->vals[f->g->nodes[d].param[0]].type, 2, (int64_t[]){ 7, 60 });
	assert_dims(&f->g->vals[f->g->nodes[d].param[1]].type, 1, (int64_t[]){ 7 });
	fx_free(f);
}

static void reshape_infers_and_rejects(void **state)
{
	(void)state;
	struct fixture *f = fx_new(TYPE_F32(1, 24), IR_LAYOUT_NONE);
	union ir_attrs a;
	memset(&a, 0, sizeof a);
	a.reshape = (struct ir_reshape_attr){ .rank = 3, .dims = { 0, -1, 4 } };
	uint32_t r = node(f, IR_RESHAPE, f->x, &a);
	union ir_attrs b;
	memset(&b, 0, sizeof b);
	b.reshape = (struct ir_reshape_attr){ .rank = 3, .dims = { 0, 5, 5 } };
	uint32_t bad = node(f, IR_RESHAPE, f->x, &b);
	ir_add_output(f->g, f->g->nodes[r].out);
	ir_add_output(f->g, f->g->nodes[bad].out);
	assert_false(infer(f));
	assert_dims(out_type(f, r), 3, (int64_t[]){ 1, 6, 4 });
	assert_contains(capture_text(&f->cap), "cannot reshape f32[1, 24] (24 elements) into [1, 5, 5]");
	fx_free(f);
}

static void add_shows_both_shapes(void **state)
{
	(void)state;
	struct fixture *f = fx_new(TYPE_F32(1, 8), IR_LAYOUT_NONE);
	uint32_t y = ir_add_input(f->g, "y", TYPE_F32(1, 9), IR_LAYOUT_NONE, (struct src_span){ 0 });
	uint32_t in[2] = { f->x, y };
	uint32_t n = ir_add_node(f->g, IR_ADD, "sum", in, 2, NULL, (struct src_span){ 0 });
	ir_add_output(f->g, f->g->nodes[n].out);
	assert_false(infer(f));
	assert_contains(capture_text(&f->cap),
	                "add 'sum': input 'x' is f32[1, 8] but input 'y' is f32[1, 9]");
	fx_free(f);
}

static void concat_channel_axis(void **state)
{
	(void)state;
	struct fixture *f = fx_new(TYPE_F32(1, 4, 4, 3), IR_LAYOUT_NHWC);
	uint32_t y = ir_add_input(f->g, "y", TYPE_F32(1, 4, 4, 5), IR_LAYOUT_NHWC, (struct src_span){ 0 });
	uint32_t in[3] = { f->x, y, f->x };
	union ir_attrs a;
	memset(&a, 0, sizeof a);
	a.axis = (struct ir_axis_attr){ .axis = IR_AXIS_CHANNEL, .layout = IR_LAYOUT_NHWC };
	uint32_t n = ir_add_node(f->g, IR_CONCAT, "cat", in, 3, &a, (struct src_span){ 0 });
	ir_add_output(f->g, f->g->nodes[n].out);
	assert_true(infer(f));
	assert_int_equal(f->g->nodes[n].attr.axis.axis, 3);
	assert_dims(out_type(f, n), 4, (int64_t[]){ 1, 4, 4, 11 });
	fx_free(f);
}

static void concat_mismatch_and_axis_range(void **state)
{
	(void)state;
	struct fixture *f = fx_new(TYPE_F32(1, 4, 4, 3), IR_LAYOUT_NHWC);
	uint32_t y = ir_add_input(f->g, "y", TYPE_F32(1, 5, 4, 3), IR_LAYOUT_NHWC, (struct src_span){ 0 });
	uint32_t in[2] = { f->x, y };
	union ir_attrs a;
	memset(&a, 0, sizeof a);
	a.axis = (struct ir_axis_attr){ .axis = IR_AXIS_CHANNEL, .layout = IR_LAYOUT_NHWC };
	uint32_t cat = ir_add_node(f->g, IR_CONCAT, "cat", in, 2, &a, (struct src_span){ 0 });
	ir_add_output(f->g, f->g->nodes[cat].out);
	union ir_attrs s;
	memset(&s, 0, sizeof s);
	s.axis.axis = 4;
	uint32_t sm = node(f, IR_SOFTMAX, f->x, &s);
	ir_add_output(f->g, f->g->nodes[sm].out);
	assert_false(infer(f));
	const char *t = capture_text(&f->cap);
	assert_contains(t, "input 'x' is f32[1, 4, 4, 3] but input 'y' is f32[1, 5, 4, 3] (only the "
	                   "concatenation axis may differ)");
	assert_contains(t, "axis 4 is out of range for 'n1' with a rank-4 input");
	fx_free(f);
}

static void batchnorm_params_and_normalize(void **state)
{
	(void)state;
	struct fixture *f = fx_new(TYPE_F32(1, 6, 5, 5), IR_LAYOUT_NCHW);
	union ir_attrs a;
	memset(&a, 0, sizeof a);
	a.bn = (struct ir_batchnorm_attr){ IR_AXIS_CHANNEL, 1e-5f, IR_LAYOUT_NCHW };
	uint32_t n = node(f, IR_BATCHNORM, f->x, &a);
	for (unsigned k = 0; k < 4; k++)
		f->g->nodes[n].param[k] = ir_add_const(f->g, arena_printf(&f->a, "bn.%u", k),
		                                       (struct ir_type){ 0 }, NULL, (struct src_span){ 0 });
	union ir_attrs nm;
	memset(&nm, 0, sizeof nm);
	static const float three[3] = { 1, 2, 3 };
	nm.norm = (struct ir_normalize_attr){ IR_AXIS_CHANNEL, IR_LAYOUT_NCHW, 3, three, three };
	uint32_t bad = node(f, IR_NORMALIZE, f->g->nodes[n].out, &nm);
	ir_add_output(f->g, f->g->nodes[bad].out);
	assert_false(infer(f));
	assert_int_equal(f->g->nodes[n].attr.bn.axis, 1);
	for (unsigned k = 0; k < 4; k++)
		assert_dims(&f->g->vals[f->g->nodes[n].param[k]].type, 1, (int64_t[]){ 6 });
	assert_contains(capture_text(&f->cap), "normalize 'n1' has 3 mean/std values but its input "
	                                       "f32[1, 6, 5, 5] has 6 channels (axis 1)");
	fx_free(f);
}

static void huge_tensors_are_refused(void **state)
{
	(void)state;
	/* 1 x 2^20 x 2^20 x 4 floats = 2^44 bytes > IR_MAX_TENSOR_BYTES; the
	 * conv output size overflows int64 if computed naively */
	struct fixture *f = fx_new(TYPE_F32(1, 4, 4, 1), IR_LAYOUT_NHWC);
	union ir_attrs a = conv(INT64_C(1) << 40, 1, 1, IR_PAD_VALID, IR_LAYOUT_NHWC);
	uint32_t n = node(f, IR_CONV2D, f->x, &a);
	ir_add_output(f->g, f->g->nodes[n].out);
	assert_false(infer(f));
	assert_contains(capture_text(&f->cap), "output of 'n0' is too large");
	uint32_t big = ir_add_input(f->g, "big", TYPE_F32(INT64_C(1) << 62, 4), IR_LAYOUT_NONE,
	                            (struct src_span){ 0 });
	(void)big;
	assert_false(infer(f));
	assert_contains(capture_text(&f->cap), "input 'big' is too large");
	fx_free(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(conv_same_stride2_pads_bottom_right),
		cmocka_unit_test(conv_nchw_dilation_groups),
		cmocka_unit_test(conv_errors_are_all_reported),
		cmocka_unit_test(pools_and_global),
		cmocka_unit_test(pool_pad_not_smaller_than_kernel),
		cmocka_unit_test(pool_ceil_mode),
		cmocka_unit_test(dense_ranks),
		cmocka_unit_test(sequence_shapes),
		cmocka_unit_test(sequence_errors),
		cmocka_unit_test(flatten_dense_params),
		cmocka_unit_test(reshape_infers_and_rejects),
		cmocka_unit_test(add_shows_both_shapes),
		cmocka_unit_test(concat_channel_axis),
		cmocka_unit_test(concat_mismatch_and_axis_range),
		cmocka_unit_test(batchnorm_params_and_normalize),
		cmocka_unit_test(huge_tensors_are_refused),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
