/* test_interp.c - the reference interpreter against results computed by hand.
 *
 * Each test builds a small typed, bound graph with the IR builder (setting
 * output types by hand, as shape inference would), runs interp_run and
 * compares every element with values worked out in the comments. Inputs
 * are chosen so that a wrong kernel (swapped layout, wrong group, zero
 * instead of -inf padding, wrong divisor, ...) gives a different answer. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "interp.h"
#include "ir.h"

#define NOLOC ((struct src_span){ 0 })
#define TY(...)                                                             \
	make_type((unsigned)(sizeof((int64_t[]){ __VA_ARGS__ }) / sizeof(int64_t)), \
	          (int64_t[]){ __VA_ARGS__ })
#define COUNT(a) (sizeof(a) / sizeof((a)[0]))
#define MAX_OUT 64

static struct ir_type make_type(unsigned rank, const int64_t *dims)
{
	struct ir_type t = { IR_DT_F32, (uint8_t)rank, { 0 } };
	for (unsigned i = 0; i < rank; i++)
		t.dims[i] = dims[i];
	return t;
}

static uint32_t add_input(struct ir_graph *g, struct ir_type t, enum ir_layout layout)
{
	return ir_add_input(g, "x", t, layout, NOLOC);
}

static uint32_t add_weight(struct ir_graph *g, struct ir_type t, const float *data)
{
	return ir_add_const(g, "w", t, data, NOLOC);
}

/* Adds a node, types its output as shape inference would and returns the
 * output value id. */
static uint32_t add_op(struct ir_graph *g, enum ir_op op, const uint32_t *in, unsigned nin,
                       const union ir_attrs *attr, struct ir_type out)
{
	uint32_t id = ir_add_node(g, op, "n", in, nin, attr, NOLOC);
	uint32_t v = g->nodes[id].out;
	g->vals[v].type = out;
	return v;
}

static void set_param(struct ir_graph *g, uint32_t out, unsigned slot, uint32_t w)
{
	g->nodes[g->vals[out].node].param[slot] = w;
}

/* Runs g on `xs` and checks output `k` element by element. */
static void check_output(struct ir_graph *g, const float *const *xs, unsigned k,
                         const float *want, size_t n, float tol)
{
	static float outs[4][MAX_OUT];
	void *outp[4] = { outs[0], outs[1], outs[2], outs[3] };
	assert_true(g->noutputs <= 4 && n <= MAX_OUT);
	assert_int_equal(ir_type_numel(&g->vals[g->outputs[k]].type), n);
	struct diag d;
	diag_init(&d, stderr);
	assert_true(interp_run(g, &d, (const void *const *)xs, outp, 1 << 20));
	assert_int_equal(d.errors, 0);
	diag_free(&d);
	for (size_t i = 0; i < n; i++)
		if (!(fabsf(outs[k][i] - want[i]) <= tol))
			fail_msg("element %zu: got %.9g, want %.9g", i, (double)outs[k][i],
			         (double)want[i]);
}

static void check1(struct ir_graph *g, const float *x, const float *want, size_t n,
                   float tol)
{
	const float *xs[1] = { x };
	check_output(g, xs, 0, want, n, tol);
}

static union ir_attrs conv_attr(int64_t filters, int64_t kh, int64_t kw,
                                enum ir_layout layout)
{
	union ir_attrs a;
	memset(&a, 0, sizeof a);
	a.conv = (struct ir_conv_attr){ .filters = filters, .kernel = { kh, kw },
	                                .stride = { 1, 1 }, .dilation = { 1, 1 },
	                                .pad_mode = IR_PAD_EXPLICIT, .groups = 1,
	                                .layout = layout };
	return a;
}

/* input -> conv2d -> output, with weight `w` (OIHW) and optional bias. */
static void conv_graph(struct ir_graph *g, struct ir_type xt, union ir_attrs *a,
                       struct ir_type wt, const float *w, const float *b, struct ir_type yt)
{
	uint32_t x = add_input(g, xt, a->conv.layout);
	a->conv.bias = b != NULL;
	uint32_t y = add_op(g, IR_CONV2D, &x, 1, a, yt);
	set_param(g, y, 0, add_weight(g, wt, w));
	if (b)
		set_param(g, y, 1, add_weight(g, TY(wt.dims[0]), b));
	ir_add_output(g, y);
}

/* ---- conv2d ---- */

/* x = [[1,2,3],[4,5,6],[7,8,9]], w = [[1,2],[3,4]], valid:
 *   y00 = 1*1 + 2*2 + 4*3 + 5*4 = 37   y01 = 2 + 6 + 15 + 24 = 47
 *   y10 = 4 + 10 + 21 + 32 = 67        y11 = 5 + 12 + 24 + 36 = 77
 * plus bias 0.5. */
static void test_conv2d_valid_bias(void **state)
{
	(void)state;
	struct arena ar = { 0 };
	struct ir_graph *g = ir_graph_new(&ar, "t");
	static const float x[] = { 1, 2, 3, 4, 5, 6, 7, 8, 9 }, w[] = { 1, 2, 3, 4 };
	static const float b[] = { 0.5f };
	union ir_attrs a = conv_attr(1, 2, 2, IR_LAYOUT_NHWC);
	conv_graph(g, TY(1, 3, 3, 1), &a, TY(1, 1, 2, 2), w, b, TY(1, 2, 2, 1));
	static const float want[] = { 37.5f, 47.5f, 67.5f, 77.5f };
	check1(g, x, want, COUNT(want), 0);
	arena_free(&ar);
}

/* Same as above with param[1] == NULL: no bias at all. */
static void test_conv2d_no_bias(void **state)
{
	(void)state;
	struct arena ar = { 0 };
	struct ir_graph *g = ir_graph_new(&ar, "t");
	static const float x[] = { 1, 2, 3, 4, 5, 6, 7, 8, 9 }, w[] = { 1, 2, 3, 4 };
	union ir_attrs a = conv_attr(1, 2, 2, IR_LAYOUT_NHWC);
	conv_graph(g, TY(1, 3, 3, 1), &a, TY(1, 1, 2, 2), w, NULL, TY(1, 2, 2, 1));
	static const float want[] = { 37, 47, 67, 77 };
	check1(g, x, want, COUNT(want), 0);
	arena_free(&ar);
}

/* x[h][w] = 4h + w + 1 (4x4), 3x3 kernel of ones, stride 2, SAME:
 * out = ceil(4/2) = 2, total pad = (2-1)*2 + 3 - 4 = 1, all at bottom/right
 * (pad = {0, 0, 1, 1}). Windows start at rows/cols 0 and 2:
 *   y00 = rows 0-2, cols 0-2 = (1+2+3)+(5+6+7)+(9+10+11) = 54
 *   y01 = rows 0-2, cols 2-3 = (3+4)+(7+8)+(11+12) = 45
 *   y10 = rows 2-3, cols 0-2 = (9+10+11)+(13+14+15) = 72
 *   y11 = rows 2-3, cols 2-3 = 11+12+15+16 = 54
 * (the extra pad at top/left instead would give y00 = 1+2+5+6 = 14). */
static void test_conv2d_same_stride2_asymmetric_pad(void **state)
{
	(void)state;
	struct arena ar = { 0 };
	struct ir_graph *g = ir_graph_new(&ar, "t");
	float x[16], w[9];
	for (int i = 0; i < 16; i++)
		x[i] = (float)(i + 1);
	for (int i = 0; i < 9; i++)
		w[i] = 1;
	union ir_attrs a = conv_attr(1, 3, 3, IR_LAYOUT_NHWC);
	a.conv.stride[0] = a.conv.stride[1] = 2;
	a.conv.pad[2] = a.conv.pad[3] = 1;
	conv_graph(g, TY(1, 4, 4, 1), &a, TY(1, 1, 3, 3), w, NULL, TY(1, 2, 2, 1));
	static const float want[] = { 54, 45, 72, 54 };
	check1(g, x, want, COUNT(want), 0);
	arena_free(&ar);
}

/* x[h][w] = 5h + w + 1 (5x5), w = [[1,2],[3,4]], dilation 2 (taps at +0 and
 * +2): y = v*1 + (v+2)*2 + (v+10)*3 + (v+12)*4 = 10v + 82 with v = x[oh][ow]. */
static void test_conv2d_dilation2(void **state)
{
	(void)state;
	struct arena ar = { 0 };
	struct ir_graph *g = ir_graph_new(&ar, "t");
	float x[25];
	for (int i = 0; i < 25; i++)
		x[i] = (float)(i + 1);
	static const float w[] = { 1, 2, 3, 4 };
	union ir_attrs a = conv_attr(1, 2, 2, IR_LAYOUT_NHWC);
	a.conv.dilation[0] = a.conv.dilation[1] = 2;
	conv_graph(g, TY(1, 5, 5, 1), &a, TY(1, 1, 2, 2), w, NULL, TY(1, 3, 3, 1));
	static const float want[] = { 92, 102, 112, 142, 152, 162, 192, 202, 212 };
	check1(g, x, want, COUNT(want), 0);
	arena_free(&ar);
}

/* 4 input channels [1,2,3,4], 4 filters, groups 2, 1x1 kernel:
 * filters 0,1 read channels 0,1; filters 2,3 read channels 2,3.
 *   oc0 = [1,0].[1,2] = 1   oc1 = [0,1].[1,2] = 2
 *   oc2 = [1,0].[3,4] = 3   oc3 = [1,1].[3,4] = 7
 * (a mapping by oc % groups would give oc1 = [0,1].[3,4] = 4). */
static void test_conv2d_groups2(void **state)
{
	(void)state;
	struct arena ar = { 0 };
	struct ir_graph *g = ir_graph_new(&ar, "t");
	static const float x[] = { 1, 2, 3, 4 }, w[] = { 1, 0, 0, 1, 1, 0, 1, 1 };
	union ir_attrs a = conv_attr(4, 1, 1, IR_LAYOUT_NHWC);
	a.conv.groups = 2;
	conv_graph(g, TY(1, 1, 1, 4), &a, TY(4, 2, 1, 1), w, NULL, TY(1, 1, 1, 4));
	static const float want[] = { 1, 2, 3, 7 };
	check1(g, x, want, COUNT(want), 0);
	arena_free(&ar);
}

/* Depthwise 2x2 valid on 2 channels (NHWC, interleaved):
 * ch0 = [[1,2],[3,4]], ch1 = [[10,20],[30,40]]
 *   oc0 = ones . ch0 = 10;  oc1 = [[1,0],[0,-1]] . ch1 = 10 - 40 = -30. */
static void test_conv2d_depthwise(void **state)
{
	(void)state;
	struct arena ar = { 0 };
	struct ir_graph *g = ir_graph_new(&ar, "t");
	static const float x[] = { 1, 10, 2, 20, 3, 30, 4, 40 };
	static const float w[] = { 1, 1, 1, 1, 1, 0, 0, -1 };
	union ir_attrs a = conv_attr(2, 2, 2, IR_LAYOUT_NHWC);
	a.conv.groups = 2;
	conv_graph(g, TY(1, 2, 2, 2), &a, TY(2, 1, 2, 2), w, NULL, TY(1, 1, 1, 2));
	static const float want[] = { 10, -30 };
	check1(g, x, want, COUNT(want), 0);
	arena_free(&ar);
}

/* ch0 = [[1,2,3],[4,5,6]], ch1 = [[10,20,30],[40,50,60]], 1x2 kernel:
 *   oc0: w ch0 [1,0], ch1 [0,1]  -> x0[h][w] + x1[h][w+1]
 *        = [[1+20, 2+30], [4+50, 5+60]] = [[21,32],[54,65]]
 *   oc1: w ch0 [0,-1], ch1 [2,0] -> -x0[h][w+1] + 2 x1[h][w]
 *        = [[-2+20, -3+40], [-5+80, -6+100]] = [[18,37],[75,94]]
 * The NHWC run on the transposed input gives the transposed output. */
static void test_conv2d_nchw_vs_nhwc(void **state)
{
	(void)state;
	static const float w[] = { 1, 0, 0, 1, 0, -1, 2, 0 };
	static const float x_nchw[] = { 1, 2, 3, 4, 5, 6, 10, 20, 30, 40, 50, 60 };
	static const float x_nhwc[] = { 1, 10, 2, 20, 3, 30, 4, 40, 5, 50, 6, 60 };
	static const float want_nchw[] = { 21, 32, 54, 65, 18, 37, 75, 94 };
	static const float want_nhwc[] = { 21, 18, 32, 37, 54, 75, 65, 94 };
	struct arena ar = { 0 };
	struct ir_graph *g = ir_graph_new(&ar, "nchw");
	union ir_attrs a = conv_attr(2, 1, 2, IR_LAYOUT_NCHW);
	conv_graph(g, TY(1, 2, 2, 3), &a, TY(2, 2, 1, 2), w, NULL, TY(1, 2, 2, 2));
	check1(g, x_nchw, want_nchw, COUNT(want_nchw), 0);
	g = ir_graph_new(&ar, "nhwc");
	a = conv_attr(2, 1, 2, IR_LAYOUT_NHWC);
	conv_graph(g, TY(1, 2, 3, 2), &a, TY(2, 2, 1, 2), w, NULL, TY(1, 2, 2, 2));
	check1(g, x_nhwc, want_nhwc, COUNT(want_nhwc), 0);
	for (int c = 0; c < 2; c++) /* the two expectations are transposes */
		for (int p = 0; p < 4; p++)
			assert_true(want_nchw[c * 4 + p] == want_nhwc[p * 2 + c]);
	arena_free(&ar);
}

/* x = [1, -1], 1x1 kernel w = 2, bias 0 -> raw [2, -2]; fused act:
 * relu [2, 0]; sigmoid [0.880797078, 0.119202922]; tanh [0.96402758, -0.96402758]. */
static void test_conv2d_fused_act(void **state)
{
	(void)state;
	static const float x[] = { 1, -1 }, w[] = { 2 }, b[] = { 0 };
	static const enum ir_step_kind acts[] = { IR_STEP_NONE, IR_STEP_RELU, IR_STEP_SIGMOID, IR_STEP_TANH };
	static const float want[][2] = { { 2, -2 },
		                         { 2, 0 },
		                         { 0.880797078f, 0.119202922f },
		                         { 0.964027580f, -0.964027580f } };
	for (unsigned i = 0; i < COUNT(acts); i++) {
		struct arena ar = { 0 };
		struct ir_graph *g = ir_graph_new(&ar, "t");
		union ir_attrs a = conv_attr(1, 1, 1, IR_LAYOUT_NHWC);
		a.conv.act.kind = acts[i];
		conv_graph(g, TY(1, 1, 2, 1), &a, TY(1, 1, 1, 1), w, b, TY(1, 1, 2, 1));
		check1(g, x, want[i], 2, 1e-6f);
		arena_free(&ar);
	}
}

/* ---- dense ---- */

/* x = [[1,2,3],[4,5,6]], W = [[1,0,-1],[0.5,0.5,0.5]], b = [10,-1]:
 *   y0 = [1 - 3 + 10, 3 - 1] = [8, 2]; y1 = [4 - 6 + 10, 7.5 - 1] = [8, 6.5]. */
static void test_dense_bias(void **state)
{
	(void)state;
	struct arena ar = { 0 };
	struct ir_graph *g = ir_graph_new(&ar, "t");
	static const float x[] = { 1, 2, 3, 4, 5, 6 }, w[] = { 1, 0, -1, 0.5f, 0.5f, 0.5f };
	static const float b[] = { 10, -1 };
	union ir_attrs a = { .dense = { .units = 2, .bias = true } };
	uint32_t in = add_input(g, TY(2, 3), IR_LAYOUT_NONE);
	uint32_t y = add_op(g, IR_DENSE, &in, 1, &a, TY(2, 2));
	set_param(g, y, 0, add_weight(g, TY(2, 3), w));
	set_param(g, y, 1, add_weight(g, TY(2), b));
	ir_add_output(g, y);
	static const float want[] = { 8, 2, 8, 6.5f };
	check1(g, x, want, COUNT(want), 0);
	arena_free(&ar);
}

/* Same x, W = [[0,0,1],[-1,-1,-1]], no bias, fused relu:
 *   raw [[3, -6], [6, -15]] -> relu -> [[3, 0], [6, 0]]. */
static void test_dense_relu_no_bias(void **state)
{
	(void)state;
	struct arena ar = { 0 };
	struct ir_graph *g = ir_graph_new(&ar, "t");
	static const float x[] = { 1, 2, 3, 4, 5, 6 }, w[] = { 0, 0, 1, -1, -1, -1 };
	union ir_attrs a = { .dense = { .units = 2, .act = { IR_STEP_RELU, 0, 0 } } };
	uint32_t in = add_input(g, TY(2, 3), IR_LAYOUT_NONE);
	uint32_t y = add_op(g, IR_DENSE, &in, 1, &a, TY(2, 2));
	set_param(g, y, 0, add_weight(g, TY(2, 3), w));
	ir_add_output(g, y);
	static const float want[] = { 3, 0, 6, 0 };
	check1(g, x, want, COUNT(want), 0);
	arena_free(&ar);
}

/* ---- pooling ---- */

static uint32_t pool_graph(struct ir_graph *g, enum ir_op op, struct ir_type xt,
                           const struct ir_pool_attr *p, struct ir_type yt)
{
	union ir_attrs a = { .pool = *p };
	uint32_t in = add_input(g, xt, p->layout);
	uint32_t y = add_op(g, op, &in, 1, &a, yt);
	ir_add_output(g, y);
	return y;
}

/* x = [[1,-2,-3],[-4,5,-6],[-7,-8,-9]], 2x2 stride 2, pad {0,0,1,1}:
 *   y00 = max(1,-2,-4,5) = 5    y01 = max(-3,-6) = -3
 *   y10 = max(-7,-8) = -7       y11 = -9
 * (zero padding would give 0 for the last three). */
static void test_maxpool_padding(void **state)
{
	(void)state;
	struct arena ar = { 0 };
	struct ir_graph *g = ir_graph_new(&ar, "t");
	static const float x[] = { 1, -2, -3, -4, 5, -6, -7, -8, -9 };
	struct ir_pool_attr p = { .kernel = { 2, 2 }, .stride = { 2, 2 }, .pad = { 0, 0, 1, 1 },
		                  .pad_mode = IR_PAD_EXPLICIT, .layout = IR_LAYOUT_NHWC };
	pool_graph(g, IR_MAXPOOL2D, TY(1, 3, 3, 1), &p, TY(1, 2, 2, 1));
	static const float want[] = { 5, -3, -7, -9 };
	check1(g, x, want, COUNT(want), 0);
	arena_free(&ar);
}

/* x = 1..9 (3x3), 2x2 stride 2, pad {0,0,1,1}; sums: y00 = 1+2+4+5 = 12,
 * y01 = 3+6 = 9, y10 = 7+8 = 15, y11 = 9.
 *   count_include_pad false: [12/4, 9/2, 15/2, 9/1] = [3, 4.5, 7.5, 9]
 *   count_include_pad true:  [12/4, 9/4, 15/4, 9/4] = [3, 2.25, 3.75, 2.25] */
static void test_avgpool_count_include_pad(void **state)
{
	(void)state;
	static const float x[] = { 1, 2, 3, 4, 5, 6, 7, 8, 9 };
	static const float want[2][4] = { { 3, 4.5f, 7.5f, 9 }, { 3, 2.25f, 3.75f, 2.25f } };
	for (int inc = 0; inc < 2; inc++) {
		struct arena ar = { 0 };
		struct ir_graph *g = ir_graph_new(&ar, "t");
		struct ir_pool_attr p = { .kernel = { 2, 2 }, .stride = { 2, 2 },
			                  .pad = { 0, 0, 1, 1 }, .pad_mode = IR_PAD_EXPLICIT,
			                  .count_include_pad = inc, .layout = IR_LAYOUT_NHWC };
		pool_graph(g, IR_AVGPOOL2D, TY(1, 3, 3, 1), &p, TY(1, 2, 2, 1));
		check1(g, x, want[inc], 4, 0);
		arena_free(&ar);
	}
}

/* ceil_mode on x = 1..12 (3 rows x 4 columns), 2x2 stride 3, asymmetric
 * pad {top 1, left 0, bottom 0, right 0}. Rows: padded 4, (4 - 2) / 3
 * rounds up to 1, + 1 = 2 windows (1 without ceil_mode), from -1 and 2;
 * columns likewise from 0 and 3. The last row window {2, 3} and the last
 * column window {3, 4} hang past the input:
 *   y00 = {1,2}   sum 3,  valid 2, included (1+1 rows) x 2 = 4
 *   y01 = {4}     sum 4,  valid 1, included 2 x (4-3 = 1) = 2
 *   y10 = {9,10}  sum 19, valid 2, included (3-2 = 1) x 2 = 2
 *   y11 = {12}    sum 12, valid 1, included 1 x 1 = 1
 *   max [2, 4, 10, 12]; avg valid [1.5, 4, 9.5, 12];
 *   avg count_include_pad [0.75, 2, 9.5, 12] */
static void test_pool_ceil_mode(void **state)
{
	(void)state;
	static const float x[] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12 };
	static const float want[3][4] = { { 2, 4, 10, 12 }, { 1.5f, 4, 9.5f, 12 },
		                          { 0.75f, 2, 9.5f, 12 } };
	for (int k = 0; k < 3; k++) {
		struct arena ar = { 0 };
		struct ir_graph *g = ir_graph_new(&ar, "t");
		struct ir_pool_attr p = { .kernel = { 2, 2 }, .stride = { 3, 3 },
			                  .pad = { 1, 0, 0, 0 }, .pad_mode = IR_PAD_EXPLICIT,
			                  .ceil_mode = true, .count_include_pad = k == 2,
			                  .layout = IR_LAYOUT_NCHW };
		pool_graph(g, k ? IR_AVGPOOL2D : IR_MAXPOOL2D, TY(1, 1, 3, 4), &p, TY(1, 1, 2, 2));
		check1(g, x, want[k], 4, 0);
		arena_free(&ar);
	}
}

/* Pooling in NCHW with 2 channels and top/left padding, 2x2 stride 1,
 * pad {1,1,0,0} on 2x2 -> 2x2: windows are clipped at the top and left.
 *   ch0 = [[1,2],[3,4]]: max [[1,2],[3,4]], avg (valid) [[1,1.5],[2,2.5]]
 *   ch1 = [[-1,-2],[-3,-4]]: max [[-1,-1],[-1,-1]], avg [[-1,-1.5],[-2,-2.5]]
 * (zero padding in max would give 0 in ch1). */
static void test_pool_nchw_top_left_pad(void **state)
{
	(void)state;
	static const float x[] = { 1, 2, 3, 4, -1, -2, -3, -4 };
	static const float want_max[] = { 1, 2, 3, 4, -1, -1, -1, -1 };
	static const float want_avg[] = { 1, 1.5f, 2, 2.5f, -1, -1.5f, -2, -2.5f };
	struct ir_pool_attr p = { .kernel = { 2, 2 }, .stride = { 1, 1 }, .pad = { 1, 1, 0, 0 },
		                  .pad_mode = IR_PAD_EXPLICIT, .layout = IR_LAYOUT_NCHW };
	struct arena ar = { 0 };
	struct ir_graph *g = ir_graph_new(&ar, "max");
	pool_graph(g, IR_MAXPOOL2D, TY(1, 2, 2, 2), &p, TY(1, 2, 2, 2));
	check1(g, x, want_max, COUNT(want_max), 0);
	g = ir_graph_new(&ar, "avg");
	pool_graph(g, IR_AVGPOOL2D, TY(1, 2, 2, 2), &p, TY(1, 2, 2, 2));
	check1(g, x, want_avg, COUNT(want_avg), 0);
	arena_free(&ar);
}

/* NCHW [1,2,2,2]: ch0 = 1,2,3,4 -> 2.5; ch1 = 10,20,30,40 -> 25.
 * NHWC [2,2,2,2] (interleaved): batch 0 the same values -> [2.5, 25];
 * batch 1 has ch0 all 1 and ch1 = 0,0,0,8 -> [1, 2]. */
static void test_global_avgpool(void **state)
{
	(void)state;
	static const float x_nchw[] = { 1, 2, 3, 4, 10, 20, 30, 40 };
	static const float x_nhwc[] = { 1, 10, 2, 20, 3, 30, 4, 40, 1, 0, 1, 0, 1, 0, 1, 8 };
	static const float want_nchw[] = { 2.5f, 25 }, want_nhwc[] = { 2.5f, 25, 1, 2 };
	struct arena ar = { 0 };
	struct ir_graph *g = ir_graph_new(&ar, "nchw");
	union ir_attrs a = { .axis = { .layout = IR_LAYOUT_NCHW } };
	uint32_t in = add_input(g, TY(1, 2, 2, 2), IR_LAYOUT_NCHW);
	ir_add_output(g, add_op(g, IR_GLOBAL_AVGPOOL, &in, 1, &a, TY(1, 2)));
	check1(g, x_nchw, want_nchw, COUNT(want_nchw), 0);
	g = ir_graph_new(&ar, "nhwc");
	a.axis.layout = IR_LAYOUT_NHWC;
	in = add_input(g, TY(2, 2, 2, 2), IR_LAYOUT_NHWC);
	ir_add_output(g, add_op(g, IR_GLOBAL_AVGPOOL, &in, 1, &a, TY(2, 2)));
	check1(g, x_nhwc, want_nhwc, COUNT(want_nhwc), 0);
	arena_free(&ar);
}

/* ---- softmax and activations ---- */

/* axis 1 of [2,3]: row 0 = [0, ln 2, ln 3] -> exp = [1,2,3] / 6 = [1/6, 1/3, 1/2];
 * row 1 = [1000, 1000, 1000] -> [1/3, 1/3, 1/3] (overflows without the max). */
static void test_softmax_last_axis(void **state)
{
	(void)state;
	struct arena ar = { 0 };
	struct ir_graph *g = ir_graph_new(&ar, "t");
	const float x[] = { 0, logf(2), logf(3), 1000, 1000, 1000 };
	static const float want[] = { 1.0f / 6, 1.0f / 3, 0.5f, 1.0f / 3, 1.0f / 3, 1.0f / 3 };
	union ir_attrs a = { .axis = { .axis = 1 } };
	uint32_t in = add_input(g, TY(2, 3), IR_LAYOUT_NONE);
	ir_add_output(g, add_op(g, IR_SOFTMAX, &in, 1, &a, TY(2, 3)));
	check1(g, x, want, COUNT(want), 1e-6f);
	arena_free(&ar);
}

/* axis 0 of [2,3]: columns [0, ln 3] -> [1/4, 3/4]; [5, 5] -> [1/2, 1/2];
 * [-1000, 1000] -> [0, 1]. Each column sums to 1. */
static void test_softmax_axis0(void **state)
{
	(void)state;
	struct arena ar = { 0 };
	struct ir_graph *g = ir_graph_new(&ar, "t");
	const float x[] = { 0, 5, -1000, logf(3), 5, 1000 };
	static const float want[] = { 0.25f, 0.5f, 0, 0.75f, 0.5f, 1 };
	union ir_attrs a = { .axis = { .axis = 0 } };
	uint32_t in = add_input(g, TY(2, 3), IR_LAYOUT_NONE);
	uint32_t y = add_op(g, IR_SOFTMAX, &in, 1, &a, TY(2, 3));
	ir_add_output(g, y);
	check1(g, x, want, COUNT(want), 1e-6f);
	float out[6];
	const void *ins[1] = { x };
	void *outs[1] = { out };
	struct diag d;
	diag_init(&d, stderr);
	assert_true(interp_run(g, &d, ins, outs, 1 << 20));
	diag_free(&d);
	for (int c = 0; c < 3; c++)
		assert_true(fabsf(out[c] + out[3 + c] - 1) <= 1e-6f);
	arena_free(&ar);
}

static void run_unary(enum ir_op op, const float *x, const float *want, size_t n)
{
	struct arena ar = { 0 };
	struct ir_graph *g = ir_graph_new(&ar, "t");
	uint32_t in = add_input(g, TY((int64_t)n), IR_LAYOUT_NONE);
	ir_add_output(g, add_op(g, op, &in, 1, NULL, TY((int64_t)n)));
	check1(g, x, want, n, 1e-6f);
	arena_free(&ar);
}

/* sigmoid(0) = 0.5, sigmoid(1) = 0.7310585786, +-100 and +-1000 saturate to
 * 1 and 0 (no inf/inf); tanh(0) = 0, tanh(1) = 0.7615941560, saturates to
 * +-1; relu clamps negatives only. */
static void test_sigmoid_tanh_relu(void **state)
{
	(void)state;
	static const float x[] = { 0, 1, 100, -100, 1000, -1000 };
	static const float want_sig[] = { 0.5f, 0.7310585786f, 1, 0, 1, 0 };
	static const float want_tanh[] = { 0, 0.7615941560f, 1, -1, 1, -1 };
	static const float want_relu[] = { 0, 1, 100, 0, 1000, 0 };
	run_unary(IR_SIGMOID, x, want_sig, COUNT(x));
	run_unary(IR_TANH, x, want_tanh, COUNT(x));
	run_unary(IR_RELU, x, want_relu, COUNT(x));
}

/* ---- per-channel and elementwise ---- */

/* eps = 0.25 so that var + eps is a perfect square:
 * ch0: gamma 2, beta 1, mean 2, var 3.75 -> (x - 2) / 2 * 2 + 1: 1 -> 0, 3 -> 2
 * ch1: gamma 0.5, beta -1, mean 10, var 0.75 -> (x - 10) / 1 * 0.5 - 1:
 *      10 -> -1, 20 -> 4.
 * Run on NCHW [1,2,1,2] (axis 1) and NHWC [1,1,2,2] (axis 3). */
static void test_batchnorm(void **state)
{
	(void)state;
	static const float gamma[] = { 2, 0.5f }, beta[] = { 1, -1 }, mean[] = { 2, 10 },
			   var[] = { 3.75f, 0.75f };
	const float *params[4] = { gamma, beta, mean, var };
	static const float x_nchw[] = { 1, 3, 10, 20 }, want_nchw[] = { 0, 2, -1, 4 };
	static const float x_nhwc[] = { 1, 10, 3, 20 }, want_nhwc[] = { 0, -1, 2, 4 };
	for (int nhwc = 0; nhwc < 2; nhwc++) {
		struct arena ar = { 0 };
		struct ir_graph *g = ir_graph_new(&ar, "t");
		enum ir_layout l = nhwc ? IR_LAYOUT_NHWC : IR_LAYOUT_NCHW;
		struct ir_type t = nhwc ? TY(1, 1, 2, 2) : TY(1, 2, 1, 2);
		union ir_attrs a = { .bn = { .axis = nhwc ? 3 : 1, .epsilon = 0.25f,
			                     .layout = l } };
		uint32_t in = add_input(g, t, l);
		uint32_t y = add_op(g, IR_BATCHNORM, &in, 1, &a, t);
		for (unsigned k = 0; k < 4; k++)
			set_param(g, y, k, add_weight(g, TY(2), params[k]));
		ir_add_output(g, y);
		check1(g, nhwc ? x_nhwc : x_nchw, nhwc ? want_nhwc : want_nchw, 4, 0);
		arena_free(&ar);
	}
}

/* [1,2,3] + [10,20,30] + [100,200,300] = [111,222,333]. */
static void test_add3(void **state)
{
	(void)state;
	struct arena ar = { 0 };
	struct ir_graph *g = ir_graph_new(&ar, "t");
	static const float a[] = { 1, 2, 3 }, b[] = { 10, 20, 30 }, c[] = { 100, 200, 300 };
	uint32_t in[3];
	for (int i = 0; i < 3; i++)
		in[i] = add_input(g, TY(1, 3), IR_LAYOUT_NONE);
	ir_add_output(g, add_op(g, IR_ADD, in, 3, NULL, TY(1, 3)));
	const float *xs[3] = { a, b, c };
	static const float want[] = { 111, 222, 333 };
	check_output(g, xs, 0, want, COUNT(want), 0);
	arena_free(&ar);
}

/* axis 1 of NCHW with batch 2: a [2,1,1,2] = [1,2 | 3,4],
 * b [2,2,1,2] = [5,6,7,8 | 9,10,11,12] -> [2,3,1,2] =
 * [1,2,5,6,7,8 | 3,4,9,10,11,12]. */
static void test_concat_axis1(void **state)
{
	(void)state;
	struct arena ar = { 0 };
	struct ir_graph *g = ir_graph_new(&ar, "t");
	static const float a[] = { 1, 2, 3, 4 }, b[] = { 5, 6, 7, 8, 9, 10, 11, 12 };
	uint32_t in[2] = { add_input(g, TY(2, 1, 1, 2), IR_LAYOUT_NCHW),
		           add_input(g, TY(2, 2, 1, 2), IR_LAYOUT_NCHW) };
	union ir_attrs at = { .axis = { .axis = 1, .layout = IR_LAYOUT_NCHW } };
	ir_add_output(g, add_op(g, IR_CONCAT, in, 2, &at, TY(2, 3, 1, 2)));
	const float *xs[2] = { a, b };
	static const float want[] = { 1, 2, 5, 6, 7, 8, 3, 4, 9, 10, 11, 12 };
	check_output(g, xs, 0, want, COUNT(want), 0);
	arena_free(&ar);
}

/* axis 3 of NHWC, three inputs: a [1,1,2,1] = [1,2], b [1,1,2,2] = [3,4,5,6],
 * c [1,1,2,1] = [7,8] -> [1,1,2,4] = [1,3,4,7, 2,5,6,8]. */
static void test_concat_axis3(void **state)
{
	(void)state;
	struct arena ar = { 0 };
	struct ir_graph *g = ir_graph_new(&ar, "t");
	static const float a[] = { 1, 2 }, b[] = { 3, 4, 5, 6 }, c[] = { 7, 8 };
	uint32_t in[3] = { add_input(g, TY(1, 1, 2, 1), IR_LAYOUT_NHWC),
		           add_input(g, TY(1, 1, 2, 2), IR_LAYOUT_NHWC),
		           add_input(g, TY(1, 1, 2, 1), IR_LAYOUT_NHWC) };
	union ir_attrs at = { .axis = { .axis = 3, .layout = IR_LAYOUT_NHWC } };
	ir_add_output(g, add_op(g, IR_CONCAT, in, 3, &at, TY(1, 1, 2, 4)));
	const float *xs[3] = { a, b, c };
	static const float want[] = { 1, 3, 4, 7, 2, 5, 6, 8 };
	check_output(g, xs, 0, want, COUNT(want), 0);
	arena_free(&ar);
}

/* y = 2x - 1: [1, 2, -3] -> [1, 3, -7]. */
static void test_rescale(void **state)
{
	(void)state;
	struct arena ar = { 0 };
	struct ir_graph *g = ir_graph_new(&ar, "t");
	static const float x[] = { 1, 2, -3 }, want[] = { 1, 3, -7 };
	union ir_attrs a = { .rescale = { .scale = 2, .offset = -1 } };
	uint32_t in = add_input(g, TY(1, 3), IR_LAYOUT_NONE);
	ir_add_output(g, add_op(g, IR_RESCALE, &in, 1, &a, TY(1, 3)));
	check1(g, x, want, COUNT(want), 0);
	arena_free(&ar);
}

/* NHWC [1,1,2,2], x = [1,10, 3,20] (channels interleaved):
 *   per channel mean [1,10], std [2,5]: [0, 0, 1, 2]
 *   broadcast mean 1, std 2:           [0, 4.5, 1, 9.5] */
static void test_normalize(void **state)
{
	(void)state;
	static const float x[] = { 1, 10, 3, 20 };
	static const float mean2[] = { 1, 10 }, std2[] = { 2, 5 }, mean1[] = { 1 }, std1[] = { 2 };
	static const float want2[] = { 0, 0, 1, 2 }, want1[] = { 0, 4.5f, 1, 9.5f };
	for (int bcast = 0; bcast < 2; bcast++) {
		struct arena ar = { 0 };
		struct ir_graph *g = ir_graph_new(&ar, "t");
		union ir_attrs a = { .norm = { .axis = 3, .layout = IR_LAYOUT_NHWC,
			                       .nchannels = bcast ? 1 : 2,
			                       .mean = bcast ? mean1 : mean2,
			                       .std = bcast ? std1 : std2 } };
		uint32_t in = add_input(g, TY(1, 1, 2, 2), IR_LAYOUT_NHWC);
		ir_add_output(g, add_op(g, IR_NORMALIZE, &in, 1, &a, TY(1, 1, 2, 2)));
		check1(g, x, bcast ? want1 : want2, 4, 0);
		arena_free(&ar);
	}
}

/* ---- whole graphs ---- */

/* x NCHW [1,2,1,2] = [1,2,3,4] -> flatten [1,4] -> dense W = [[1,0,0,0],
 * [0,0,0,1]] -> [1,4] -> dropout -> softmax -> [e^-3, 1] / (1 + e^-3) =
 * [0.0474258732, 0.9525741268]; second output reshape(flatten) [1,2,2] =
 * [1,2,3,4]; third output the model input itself; fourth a constant. */
static void test_chain_and_output_kinds(void **state)
{
	(void)state;
	struct arena ar = { 0 };
	struct ir_graph *g = ir_graph_new(&ar, "t");
	static const float x[] = { 1, 2, 3, 4 }, w[] = { 1, 0, 0, 0, 0, 0, 0, 1 };
	static const float k[] = { 42, 43 };
	uint32_t in = add_input(g, TY(1, 2, 1, 2), IR_LAYOUT_NCHW);
	uint32_t f = add_op(g, IR_FLATTEN, &in, 1, NULL, TY(1, 4));
	union ir_attrs da = { .dense = { .units = 2 } };
	uint32_t y = add_op(g, IR_DENSE, &f, 1, &da, TY(1, 2));
	set_param(g, y, 0, add_weight(g, TY(2, 4), w));
	union ir_attrs dr = { .dropout = { .rate = 0.5f } };
	y = add_op(g, IR_DROPOUT, &y, 1, &dr, TY(1, 2));
	union ir_attrs sa = { .axis = { .axis = 1 } };
	y = add_op(g, IR_SOFTMAX, &y, 1, &sa, TY(1, 2));
	union ir_attrs ra = { .reshape = { .rank = 3, .dims = { 0, 2, 2 } } };
	uint32_t r = add_op(g, IR_RESHAPE, &f, 1, &ra, TY(1, 2, 2));
	ir_add_output(g, y);
	ir_add_output(g, r);
	ir_add_output(g, in);
	ir_add_output(g, add_weight(g, TY(2), k));
	const float *xs[1] = { x };
	static const float want_y[] = { 0.0474258732f, 0.9525741268f };
	check_output(g, xs, 0, want_y, 2, 1e-6f);
	check_output(g, xs, 1, x, 4, 0);
	check_output(g, xs, 2, x, 4, 0);
	check_output(g, xs, 3, k, 2, 0);
	arena_free(&ar);
}

/* input [1,4] -> relu -> sigmoid: 2 x 16 = 32 bytes of intermediates.
 * A limit of 31 is refused with a message and the output left alone; 32
 * runs. */
static void test_max_bytes_refused(void **state)
{
	(void)state;
	struct arena ar = { 0 };
	struct ir_graph *g = ir_graph_new(&ar, "t");
	uint32_t in = add_input(g, TY(1, 4), IR_LAYOUT_NONE);
	uint32_t y = add_op(g, IR_RELU, &in, 1, NULL, TY(1, 4));
	ir_add_output(g, add_op(g, IR_SIGMOID, &y, 1, NULL, TY(1, 4)));
	static const float x[] = { 0, 0, 0, 0 };
	float out[4] = { 7, 7, 7, 7 };
	const void *ins[1] = { x };
	void *outs[1] = { out };
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	struct diag d;
	diag_init(&d, f);
	assert_false(interp_run(g, &d, ins, outs, 31));
	fflush(f);
	assert_string_equal(buf, "dlc: error: interpreter needs 32 bytes for intermediate "
	                         "tensors, more than the limit of 31 bytes\n");
	assert_int_equal(d.errors, 1);
	assert_true(out[0] == 7 && out[3] == 7);
	assert_true(interp_run(g, &d, ins, outs, 32));
	assert_true(out[0] == 0.5f && out[3] == 0.5f);
	assert_int_equal(d.errors, 1);
	diag_free(&d);
	fclose(f);
	free(buf);
	arena_free(&ar);
}

/* Two outputs of 2^62 bytes each: the total overflows int64 and is refused
 * before anything is allocated. */
static void test_max_bytes_overflow(void **state)
{
	(void)state;
	struct arena ar = { 0 };
	struct ir_graph *g = ir_graph_new(&ar, "t");
	uint32_t in = add_input(g, TY(1), IR_LAYOUT_NONE);
	uint32_t y = add_op(g, IR_RELU, &in, 1, NULL, TY((int64_t)1 << 30, (int64_t)1 << 30));
	ir_add_output(g, add_op(g, IR_RELU, &y, 1, NULL, TY((int64_t)1 << 30, (int64_t)1 << 30)));
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	struct diag d;
	diag_init(&d, f);
	static const float x[] = { 0 };
	const void *ins[1] = { x };
	void *outs[1] = { NULL };
	assert_false(interp_run(g, &d, ins, outs, INT64_MAX));
	fflush(f);
	assert_string_equal(buf, "dlc: error: interpreter needs over 9223372036854775807 bytes "
	                         "for intermediate tensors, more than the limit of "
	                         "9223372036854775807 bytes\n");
	diag_free(&d);
	fclose(f);
	free(buf);
	arena_free(&ar);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_conv2d_valid_bias),
		cmocka_unit_test(test_conv2d_no_bias),
		cmocka_unit_test(test_conv2d_same_stride2_asymmetric_pad),
		cmocka_unit_test(test_conv2d_dilation2),
		cmocka_unit_test(test_conv2d_groups2),
		cmocka_unit_test(test_conv2d_depthwise),
		cmocka_unit_test(test_conv2d_nchw_vs_nhwc),
		cmocka_unit_test(test_conv2d_fused_act),
		cmocka_unit_test(test_dense_bias),
		cmocka_unit_test(test_dense_relu_no_bias),
		cmocka_unit_test(test_maxpool_padding),
		cmocka_unit_test(test_avgpool_count_include_pad),
		cmocka_unit_test(test_pool_ceil_mode),
		cmocka_unit_test(test_pool_nchw_top_left_pad),
		cmocka_unit_test(test_global_avgpool),
		cmocka_unit_test(test_softmax_last_axis),
		cmocka_unit_test(test_softmax_axis0),
		cmocka_unit_test(test_sigmoid_tanh_relu),
		cmocka_unit_test(test_batchnorm),
		cmocka_unit_test(test_add3),
		cmocka_unit_test(test_concat_axis1),
		cmocka_unit_test(test_concat_axis3),
		cmocka_unit_test(test_rescale),
		cmocka_unit_test(test_normalize),
		cmocka_unit_test(test_chain_and_output_kinds),
		cmocka_unit_test(test_max_bytes_refused),
		cmocka_unit_test(test_max_bytes_overflow),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
