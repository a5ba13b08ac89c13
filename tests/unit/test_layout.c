/* test_layout.c - the layout pass on small NCHW graphs built with the IR
 * builder.
 *
 * Each test builds an untyped graph, types it with shape inference, binds
 * deterministic pseudo-random weights, runs the interpreter, runs the
 * layout pass, checks the verifier and the structure of the result (where
 * the conversions went, the switched layouts and axes) and runs the
 * interpreter again: outputs must be bit-identical (only the dense after a
 * flatten may round differently, since its columns are summed in another
 * order: within 1e-5 for these sums of 36 to 80 products of magnitude < 1). Running the pass a second time must change
 * nothing. */
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
#include "pass.h"

#define NOLOC ((struct src_span){ 0 })
#define MAXN 4096

static const struct pass_options opts = { .opt_level = 2 };

static bool run_pass(struct ir_graph *g, const struct pass *p)
{
	struct diag d;
	diag_init(&d, stderr);
	struct arena scratch = { 0 };
	struct pass_ctx ctx = { g, &d, &scratch, &opts };
	bool ok = p->run(&ctx) && !d.errors;
	arena_free(&scratch);
	diag_free(&d);
	return ok;
}

static struct ir_type f32(unsigned rank, const int64_t *dims)
{
	struct ir_type t = { IR_DT_F32, (uint8_t)rank, { 0 } };
	memcpy(t.dims, dims, rank * sizeof *dims);
	return t;
}
#define TY(...) f32(sizeof((int64_t[]){ __VA_ARGS__ }) / sizeof(int64_t), (int64_t[]){ __VA_ARGS__ })

static uint32_t lcg = 12345;
static float next_value(void)
{
	lcg = lcg * 1103515245u + 12345u;
	return (float)((lcg >> 8) & 0xffff) / 32768.0f - 1.0f;
}

static float *random_data(struct arena *a, int64_t n, bool positive)
{
	float *p = arena_array(a, (size_t)n, sizeof *p);
	for (int64_t i = 0; i < n; i++)
		p[i] = positive ? 0.5f + fabsf(next_value()) : next_value();
	return p;
}

/* ---- graph building ---- */
static uint32_t out_of(struct ir_graph *g, uint32_t node)
{
	return g->nodes[node].out;
}

static uint32_t op1(struct ir_graph *g, enum ir_op op, const char *name, uint32_t x,
                    const union ir_attrs *a)
{
	return out_of(g, ir_add_node(g, op, name, &x, 1, a, NOLOC));
}

static uint32_t param(struct ir_graph *g, const char *name)
{
	return ir_add_const(g, name, (struct ir_type){ 0 }, NULL, NOLOC);
}

static uint32_t conv(struct ir_graph *g, const char *name, uint32_t x, int64_t filters,
                     int64_t k, enum ir_layout layout)
{
	union ir_attrs a;
	memset(&a, 0, sizeof a);
	a.conv = (struct ir_conv_attr){ .filters = filters, .kernel = { k, k }, .stride = { 1, 1 },
	                                .dilation = { 1, 1 }, .pad_mode = IR_PAD_SAME, .groups = 1,
	                                .bias = true, .layout = layout };
	uint32_t n = ir_add_node(g, IR_CONV2D, name, &x, 1, &a, NOLOC);
	g->nodes[n].param[0] = param(g, arena_printf(g->arena, "%s.weight", name));
	g->nodes[n].param[1] = param(g, arena_printf(g->arena, "%s.bias", name));
	return out_of(g, n);
}

static uint32_t dense(struct ir_graph *g, const char *name, uint32_t x, int64_t units)
{
	union ir_attrs a;
	memset(&a, 0, sizeof a);
	a.dense.units = units;
	a.dense.bias = true;
	uint32_t n = ir_add_node(g, IR_DENSE, name, &x, 1, &a, NOLOC);
	g->nodes[n].param[0] = param(g, arena_printf(g->arena, "%s.weight", name));
	g->nodes[n].param[1] = param(g, arena_printf(g->arena, "%s.bias", name));
	return out_of(g, n);
}

static uint32_t axis_op(struct ir_graph *g, enum ir_op op, const char *name, const uint32_t *in,
                        unsigned nin, int axis)
{
	union ir_attrs a;
	memset(&a, 0, sizeof a);
	a.axis.axis = axis;
	a.axis.layout = IR_LAYOUT_NCHW;
	return out_of(g, ir_add_node(g, op, name, in, nin, &a, NOLOC));
}

/* Types the graph and binds weights (batchnorm variances positive). */
static void finish(struct ir_graph *g)
{
	assert_true(run_pass(g, &pass_shape_infer));
	for (uint32_t v = 0; v < g->nvals; v++) {
		struct ir_value *val = &g->vals[v];
		if (val->kind == IR_VAL_CONST && !val->data)
			val->data = random_data(g->arena, ir_type_numel(&val->type),
			                        strstr(val->name, "var") != NULL);
	}
	assert_int_equal(ir_verify(g, IR_STAGE_BOUND, stderr), 0);
}

/* ---- running ---- */
struct result {
	unsigned n;
	int64_t count[4];
	float data[4][MAXN];
};

static void interp(struct ir_graph *g, float *const *inputs, struct result *r)
{
	void *outs[4];
	assert_true(g->noutputs <= 4);
	r->n = g->noutputs;
	for (unsigned i = 0; i < g->noutputs; i++) {
		r->count[i] = ir_type_numel(&g->vals[g->outputs[i]].type);
		assert_true(r->count[i] <= MAXN);
		outs[i] = r->data[i];
	}
	struct diag d;
	diag_init(&d, stderr);
	assert_true(interp_run(g, &d, (const void *const *)inputs, outs, 1 << 24));
	diag_free(&d);
}

static char *print_ir(struct ir_graph *g)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	assert_non_null(f);
	ir_print(g, f);
	fclose(f);
	return text;
}

static unsigned count_op(struct ir_graph *g, enum ir_op op)
{
	unsigned n = 0;
	for (uint32_t i = 0; i < g->nnodes; i++)
		n += g->nodes[i].op == op;
	return n;
}

static const struct ir_node *node_named(struct ir_graph *g, const char *name)
{
	for (uint32_t i = 0; i < g->nnodes; i++)
		if (!strcmp(g->nodes[i].name, name))
			return &g->nodes[i];
	fail_msg("no node '%s'", name);
	return NULL;
}

/* Runs the pass on a finished graph and checks equivalence (tol 0 means
 * bit-identical) and idempotence. Returns the IR text after the pass. */
static char *layout_and_compare(struct ir_graph *g, float tol)
{
	float *inputs[4];
	assert_true(g->ninputs <= 4);
	for (uint32_t i = 0; i < g->ninputs; i++)
		inputs[i] = random_data(g->arena, ir_type_numel(&g->vals[g->inputs[i]].type), false);
	static struct result before, after;
	interp(g, inputs, &before);
	struct ir_type out_types[4];
	for (unsigned i = 0; i < g->noutputs; i++)
		out_types[i] = g->vals[g->outputs[i]].type;

	assert_true(run_pass(g, &pass_layout));
	assert_int_equal(ir_verify(g, IR_STAGE_BOUND, stderr), 0);
	interp(g, inputs, &after);
	assert_int_equal(after.n, before.n);
	for (unsigned i = 0; i < before.n; i++) {
		assert_true(ir_type_eq(&out_types[i], &g->vals[g->outputs[i]].type));
		for (int64_t k = 0; k < before.count[i]; k++) {
			float a = before.data[i][k], b = after.data[i][k];
			bool ok = tol == 0 ? memcmp(&a, &b, sizeof a) == 0 : fabsf(a - b) <= tol;
			if (!ok)
				fail_msg("output %u element %lld: %.9g before, %.9g after", i, (long long)k,
				         (double)a, (double)b);
		}
	}
	char *text = print_ir(g);
	assert_true(run_pass(g, &pass_layout));
	char *again = print_ir(g);
	assert_string_equal(text, again);
	free(again);
	return text;
}

/* ---- tests ---- */

/* conv -> relu -> maxpool -> batchnorm -> conv: one transpose at the input,
 * one at the output; everything in between NHWC with the output keeping
 * its name and NCHW type. */
static void test_conv_net(void **state)
{
	(void)state;
	struct arena a = { 0 };
	struct ir_graph *g = ir_graph_new(&a, "net");
	uint32_t x = ir_add_input(g, "x", TY(1, 3, 6, 5), IR_LAYOUT_NCHW, NOLOC);
	uint32_t c1 = conv(g, "c1", x, 4, 3, IR_LAYOUT_NCHW);
	uint32_t r = op1(g, IR_RELU, "r", c1, NULL);
	union ir_attrs pa;
	memset(&pa, 0, sizeof pa);
	pa.pool = (struct ir_pool_attr){ .kernel = { 2, 2 }, .stride = { 2, 2 },
	                                 .pad_mode = IR_PAD_VALID, .layout = IR_LAYOUT_NCHW };
	uint32_t p = op1(g, IR_MAXPOOL2D, "p", r, &pa);
	union ir_attrs ba;
	memset(&ba, 0, sizeof ba);
	ba.bn = (struct ir_batchnorm_attr){ .axis = IR_AXIS_CHANNEL, .epsilon = 1e-5f,
	                                    .layout = IR_LAYOUT_NCHW };
	uint32_t bn = ir_add_node(g, IR_BATCHNORM, "bn", &p, 1, &ba, NOLOC);
	const char *keys[4] = { "bn.weight", "bn.bias", "bn.mean", "bn.var" };
	for (unsigned k = 0; k < 4; k++)
		g->nodes[bn].param[k] = param(g, keys[k]);
	uint32_t c2 = conv(g, "c2", out_of(g, bn), 5, 1, IR_LAYOUT_NCHW);
	ir_add_output(g, c2);
	finish(g);

	char *text = layout_and_compare(g, 0);
	assert_int_equal(count_op(g, IR_TRANSPOSE), 2);
	assert_non_null(strstr(text, "%x.nhwc: f32[1, 6, 5, 3] = transpose(%x) perm=[0, 2, 3, 1]"));
	assert_non_null(strstr(text, "%c2: f32[1, 5, 3, 2] = transpose(%c2.nhwc) perm=[0, 3, 1, 2]"));
	assert_non_null(strstr(text, "%p: f32[1, 3, 2, 4] = maxpool2d(%r)"));
	assert_non_null(strstr(text, "= batchnorm(%p; @bn.weight, @bn.bias, @bn.mean, @bn.var) "
	                             "axis=3"));
	assert_non_null(strstr(text, "input %x: f32[1, 3, 6, 5] nchw"));
	assert_null(strstr(text, "layout=nchw"));
	assert_int_equal(node_named(g, "c1")->attr.conv.layout, IR_LAYOUT_NHWC);
	assert_string_equal(g->vals[g->outputs[0]].name, "c2");
	free(text);
	arena_free(&a);
}

/* conv -> flatten -> dense: no transpose back; the dense reads a weight
 * whose columns are permuted to h, w, c order. */
static void test_flatten_dense(void **state)
{
	(void)state;
	struct arena a = { 0 };
	struct ir_graph *g = ir_graph_new(&a, "fd");
	uint32_t x = ir_add_input(g, "x", TY(2, 3, 4, 5), IR_LAYOUT_NCHW, NOLOC);
	uint32_t c = conv(g, "c", x, 4, 3, IR_LAYOUT_NCHW);
	uint32_t f = op1(g, IR_FLATTEN, "f", c, NULL);
	ir_add_output(g, dense(g, "fc", f, 7));
	finish(g);
	const float *w = g->vals[g->nodes[2].param[0]].data;

	char *text = layout_and_compare(g, 1e-5f);
	assert_int_equal(count_op(g, IR_TRANSPOSE), 1);
	assert_non_null(strstr(text, "%f: f32[2, 80] = flatten(%c)"));
	assert_non_null(strstr(text, "dense(%f; @fc.weight.nhwc, @fc.bias)"));
	assert_null(strstr(text, "const @fc.weight:")); /* the old weight is gone */
	/* column (h=1, w=2, c=3) of the new weight is column (c=3, h=1, w=2) */
	const struct ir_node *fc = node_named(g, "fc");
	const float *nw = g->vals[fc->param[0]].data;
	int64_t row = 5 * 80;
	assert_true(nw[row + (1 * 5 + 2) * 4 + 3] == w[row + (3 * 4 + 1) * 5 + 2]);
	free(text);
	arena_free(&a);
}

/* A flatten that feeds something other than a dense (and a reshape) reads
 * the declared order: a transpose back to NCHW goes before it, shared by
 * both. */
static void test_flatten_other(void **state)
{
	(void)state;
	struct arena a = { 0 };
	struct ir_graph *g = ir_graph_new(&a, "fo");
	uint32_t x = ir_add_input(g, "x", TY(1, 2, 3, 4), IR_LAYOUT_NCHW, NOLOC);
	uint32_t c = conv(g, "c", x, 3, 3, IR_LAYOUT_NCHW);
	uint32_t f = op1(g, IR_FLATTEN, "f", c, NULL);
	ir_add_output(g, op1(g, IR_SIGMOID, "s", f, NULL));
	union ir_attrs ra;
	memset(&ra, 0, sizeof ra);
	ra.reshape.rank = 3;
	ra.reshape.dims[0] = 0;
	ra.reshape.dims[1] = 4;
	ra.reshape.dims[2] = -1;
	ir_add_output(g, op1(g, IR_RESHAPE, "rs", c, &ra));
	ir_add_output(g, dense(g, "fc", op1(g, IR_FLATTEN, "f2", c, NULL), 2));
	finish(g);

	char *text = layout_and_compare(g, 1e-5f);
	assert_non_null(strstr(text, "%c.nchw: f32[1, 3, 3, 4] = transpose(%c) perm=[0, 3, 1, 2]"));
	assert_non_null(strstr(text, "%f: f32[1, 36] = flatten(%c.nchw)"));
	assert_non_null(strstr(text, "%rs: f32[1, 4, 9] = reshape(%c.nchw)"));
	assert_non_null(strstr(text, "%f2: f32[1, 36] = flatten(%c)"));
	assert_int_equal(count_op(g, IR_TRANSPOSE), 2);
	free(text);
	arena_free(&a);
}

/* concat over channels, an add with an input that arrives in NCHW, softmax
 * over channels and a global pool: axes remapped, one conversion per
 * value, the pooled [N, C] output untouched. */
static void test_concat_add_softmax(void **state)
{
	(void)state;
	struct arena a = { 0 };
	struct ir_graph *g = ir_graph_new(&a, "cat");
	uint32_t x = ir_add_input(g, "x", TY(1, 2, 3, 3), IR_LAYOUT_NCHW, NOLOC);
	uint32_t y = ir_add_input(g, "y", TY(1, 5, 3, 3), IR_LAYOUT_NCHW, NOLOC);
	uint32_t b1 = conv(g, "b1", x, 2, 1, IR_LAYOUT_NCHW);
	uint32_t b2 = conv(g, "b2", x, 3, 3, IR_LAYOUT_NCHW);
	uint32_t cat = axis_op(g, IR_CONCAT, "cat", (uint32_t[]){ b1, b2 }, 2, IR_AXIS_CHANNEL);
	uint32_t yt = op1(g, IR_TANH, "yt", y, NULL); /* stays NCHW until the add */
	uint32_t sum = out_of(g, ir_add_node(g, IR_ADD, "sum", (uint32_t[]){ cat, yt }, 2, NULL,
	                                     NOLOC));
	ir_add_output(g, axis_op(g, IR_SOFTMAX, "sm", &sum, 1, 1));
	ir_add_output(g, axis_op(g, IR_GLOBAL_AVGPOOL, "gap", &sum, 1, 0));
	finish(g);

	char *text = layout_and_compare(g, 0);
	assert_non_null(strstr(text, "%cat: f32[1, 3, 3, 5] = concat(%b1, %b2) axis=3"));
	assert_non_null(strstr(text, "%yt: f32[1, 5, 3, 3] = tanh(%y)"));
	assert_non_null(strstr(text, "%yt.nhwc: f32[1, 3, 3, 5] = transpose(%yt) perm=[0, 2, 3, 1]"));
	assert_non_null(strstr(text, "%sum: f32[1, 3, 3, 5] = add(%cat, %yt.nhwc)"));
	assert_non_null(strstr(text, "%sm.nhwc: f32[1, 3, 3, 5] = softmax(%sum) axis=3"));
	assert_non_null(strstr(text, "%gap: f32[1, 5] = global_avgpool(%sum) layout=nhwc"));
	assert_int_equal(count_op(g, IR_TRANSPOSE), 3); /* x, yt in; sm out */
	free(text);
	arena_free(&a);
}

/* When C == 1 (or H * W == 1) both forms have the same bytes: the
 * conversion is a reshape, and a flatten needs neither a conversion nor a
 * permuted weight. A conv with a fused residual converts the residual. */
static void test_same_memory_order(void **state)
{
	(void)state;
	struct arena a = { 0 };
	struct ir_graph *g = ir_graph_new(&a, "mo");
	uint32_t x = ir_add_input(g, "x", TY(1, 1, 4, 4), IR_LAYOUT_NCHW, NOLOC);
	uint32_t res = ir_add_input(g, "res", TY(1, 3, 4, 4), IR_LAYOUT_NCHW, NOLOC);
	uint32_t c = conv(g, "c", x, 3, 3, IR_LAYOUT_NCHW);
	struct ir_node *cn = &g->nodes[g->vals[c].node];
	cn->in = arena_array(&a, 2, sizeof *cn->in);
	cn->in[0] = x;
	cn->in[1] = res;
	cn->nin = 2;
	union ir_attrs pa;
	memset(&pa, 0, sizeof pa);
	pa.pool = (struct ir_pool_attr){ .kernel = { 4, 4 }, .stride = { 4, 4 },
	                                 .pad_mode = IR_PAD_VALID, .layout = IR_LAYOUT_NCHW };
	uint32_t p = op1(g, IR_AVGPOOL2D, "p", c, &pa);
	ir_add_output(g, dense(g, "fc", op1(g, IR_FLATTEN, "f", p, NULL), 2));
	ir_add_output(g, p);
	finish(g);

	char *text = layout_and_compare(g, 0);
	assert_non_null(strstr(text, "%x.nhwc: f32[1, 4, 4, 1] = reshape(%x) dims=[1, 4, 4, 1]"));
	assert_non_null(strstr(text, "conv2d(%x.nhwc, %res.nhwc; @c.weight, @c.bias)"));
	assert_non_null(strstr(text, "%p: f32[1, 3, 1, 1] = reshape(%p.nhwc) dims=[1, 3, 1, 1]"));
	assert_non_null(strstr(text, "%f: f32[1, 3] = flatten(%p.nhwc)"));
	assert_non_null(strstr(text, "dense(%f; @fc.weight, @fc.bias)"));
	assert_int_equal(count_op(g, IR_TRANSPOSE), 1); /* res */
	free(text);
	arena_free(&a);
}

static uint32_t binop(struct ir_graph *g, const char *name, uint32_t a, uint32_t b,
                      enum ir_binop op)
{
	union ir_attrs at;
	memset(&at, 0, sizeof at);
	at.binary.op = op;
	return out_of(g, ir_add_node(g, IR_BINARY, name, (uint32_t[]){ a, b }, 2, &at, NOLOC));
}

/* An EfficientNet block in NCHW: conv, x * sigmoid(x), squeeze-and-
 * excitation (global pool, reshape to [N, C, 1, 1], 1x1 conv, sigmoid,
 * broadcast multiply), a per-channel constant [C, 1, 1] added, a conv.
 * Every layer runs NHWC: the broadcasting binaries follow their NHWC
 * inputs, the constant is permuted at compile time, and the only
 * transposes are the model's input and output. */
static void test_se_block(void **state)
{
	(void)state;
	struct arena a = { 0 };
	struct ir_graph *g = ir_graph_new(&a, "se");
	uint32_t x = ir_add_input(g, "x", TY(1, 3, 5, 6), IR_LAYOUT_NCHW, NOLOC);
	uint32_t c = conv(g, "c", x, 4, 3, IR_LAYOUT_NCHW);
	uint32_t m = binop(g, "m", c, op1(g, IR_SIGMOID, "s", c, NULL), IR_BINOP_MUL);
	uint32_t gp = axis_op(g, IR_GLOBAL_AVGPOOL, "gp", &m, 1, 0);
	union ir_attrs ra;
	memset(&ra, 0, sizeof ra);
	ra.reshape = (struct ir_reshape_attr){ .rank = 4, .dims = { 1, 4, 1, 1 } };
	uint32_t r = op1(g, IR_RESHAPE, "r", gp, &ra);
	uint32_t e = op1(g, IR_SIGMOID, "es", conv(g, "e", r, 4, 1, IR_LAYOUT_NCHW), NULL);
	uint32_t y = binop(g, "y", m, e, IR_BINOP_MUL);
	uint32_t k = ir_add_const(g, "k", TY(4, 1, 1), NULL, NOLOC);
	uint32_t z = binop(g, "z", k, y, IR_BINOP_ADD);
	ir_add_output(g, conv(g, "out", z, 2, 1, IR_LAYOUT_NCHW));
	finish(g);

	char *text = layout_and_compare(g, 0);
	assert_non_null(strstr(text, "%m: f32[1, 5, 6, 4] = binary(%c, %s) op=mul"));
	assert_non_null(strstr(text, "%y: f32[1, 5, 6, 4] = binary(%m, %es) op=mul"));
	assert_non_null(strstr(text, "const @k.nhwc: f32[1, 1, 1, 4]"));
	assert_non_null(strstr(text, "%z: f32[1, 5, 6, 4] = binary(@k.nhwc, %y) op=add"));
	assert_int_equal(count_op(g, IR_TRANSPOSE), 2); /* x in, out out */
	for (uint32_t i = 0; i < g->nnodes; i++) {
		const struct ir_node *n = &g->nodes[i];
		if (n->op == IR_CONV2D)
			assert_int_equal(n->attr.conv.layout, IR_LAYOUT_NHWC);
		if (n->op == IR_TRANSPOSE)
			assert_true(n->in[0] == x || !strcmp(n->name, "out"));
	}
	free(text);
	arena_free(&a);
}

/* A channel split (ShuffleNet's slices of an NHWC value) slices axis 3
 * in NHWC; a slice of a declared-form value stays declared. */
static void test_slice_channels(void **state)
{
	(void)state;
	struct arena a = { 0 };
	struct ir_graph *g = ir_graph_new(&a, "split");
	uint32_t x = ir_add_input(g, "x", TY(1, 3, 4, 5), IR_LAYOUT_NCHW, NOLOC);
	uint32_t c = conv(g, "c", x, 6, 3, IR_LAYOUT_NCHW);
	union ir_attrs sa;
	memset(&sa, 0, sizeof sa);
	sa.slice = (struct ir_slice_attr){ .axis = 1, .start = 2, .end = 6, .step = 1 };
	uint32_t s1 = op1(g, IR_SLICE, "s1", c, &sa);
	sa.slice = (struct ir_slice_attr){ .axis = 2, .start = 0, .end = 2, .step = 1 };
	uint32_t s2 = op1(g, IR_SLICE, "s2", x, &sa);
	ir_add_output(g, conv(g, "d", s1, 2, 1, IR_LAYOUT_NCHW));
	ir_add_output(g, s2);
	finish(g);

	char *text = layout_and_compare(g, 0);
	assert_non_null(strstr(text, "%s1: f32[1, 4, 5, 4] = slice(%c) axis=3 start=2 end=6 step=1"));
	assert_non_null(strstr(text, "%s2: f32[1, 3, 2, 5] = slice(%x) axis=2"));
	assert_int_equal(count_op(g, IR_TRANSPOSE), 2); /* x in, d out */
	free(text);
	arena_free(&a);
}

/* ShuffleNet's channel shuffle of an NHWC value (reshape to [N, G, C/G,
 * H, W], transpose axes 1 and 2, reshape back) runs as the same shuffle in
 * NHWC: no conversion before or after it. */
static void test_channel_shuffle(void **state)
{
	(void)state;
	struct arena a = { 0 };
	struct ir_graph *g = ir_graph_new(&a, "shuffle");
	uint32_t x = ir_add_input(g, "x", TY(1, 4, 3, 5), IR_LAYOUT_NCHW, NOLOC);
	uint32_t c = conv(g, "c", x, 6, 3, IR_LAYOUT_NCHW);
	union ir_attrs at;
	memset(&at, 0, sizeof at);
	at.reshape = (struct ir_reshape_attr){ .rank = 5, .dims = { 1, 2, 3, 3, 5 } };
	uint32_t r1 = op1(g, IR_RESHAPE, "r1", c, &at);
	memset(&at, 0, sizeof at);
	at.transpose = (struct ir_transpose_attr){ .rank = 5, .perm = { 0, 2, 1, 3, 4 } };
	uint32_t t = op1(g, IR_TRANSPOSE, "t", r1, &at);
	memset(&at, 0, sizeof at);
	at.reshape = (struct ir_reshape_attr){ .rank = 4, .dims = { 1, 6, 3, 5 } };
	uint32_t r2 = op1(g, IR_RESHAPE, "r2", t, &at);
	ir_add_output(g, conv(g, "d", r2, 2, 1, IR_LAYOUT_NCHW));
	finish(g);

	char *text = layout_and_compare(g, 0);
	assert_non_null(strstr(text, "%r1: f32[1, 3, 5, 2, 3] = reshape(%c) dims=[1, 3, 5, 2, 3]"));
	assert_non_null(strstr(text, "%t: f32[1, 3, 5, 3, 2] = transpose(%r1) perm=[0, 1, 2, 4, 3]"));
	assert_non_null(strstr(text, "%r2: f32[1, 3, 5, 6] = reshape(%t) dims=[1, 3, 5, 6]"));
	assert_int_equal(count_op(g, IR_TRANSPOSE), 3); /* x in, the shuffle, d out */
	free(text);
	arena_free(&a);
}

/* A transpose of an NHWC value composes with the conversion. */
static void test_transpose_composed(void **state)
{
	(void)state;
	struct arena a = { 0 };
	struct ir_graph *g = ir_graph_new(&a, "tr");
	uint32_t x = ir_add_input(g, "x", TY(1, 2, 3, 4), IR_LAYOUT_NCHW, NOLOC);
	uint32_t c = conv(g, "c", x, 5, 1, IR_LAYOUT_NCHW);
	union ir_attrs ta;
	memset(&ta, 0, sizeof ta);
	ta.transpose.rank = 4;
	memcpy(ta.transpose.perm, (uint8_t[]){ 0, 3, 2, 1 }, 4);
	ir_add_output(g, op1(g, IR_TRANSPOSE, "t", c, &ta));
	finish(g);

	char *text = layout_and_compare(g, 0);
	assert_non_null(strstr(text, "%t: f32[1, 4, 3, 5] = transpose(%c) perm=[0, 2, 1, 3]"));
	assert_int_equal(count_op(g, IR_TRANSPOSE), 2);
	free(text);
	arena_free(&a);
}

/* NHWC models and NCHW models without layout-sensitive layers are left
 * exactly as they are. */
static void test_unchanged(void **state)
{
	(void)state;
	struct arena a = { 0 };
	struct ir_graph *g = ir_graph_new(&a, "nhwc");
	uint32_t x = ir_add_input(g, "x", TY(1, 4, 4, 2), IR_LAYOUT_NHWC, NOLOC);
	uint32_t c = conv(g, "c", x, 3, 3, IR_LAYOUT_NHWC);
	ir_add_output(g, dense(g, "fc", op1(g, IR_FLATTEN, "f", c, NULL), 2));
	finish(g);
	char *before = print_ir(g);
	char *after = layout_and_compare(g, 0);
	assert_string_equal(before, after);
	free(before);
	free(after);

	g = ir_graph_new(&a, "pre");
	x = ir_add_input(g, "x", TY(1, 3, 2, 2), IR_LAYOUT_NCHW, NOLOC);
	union ir_attrs ra;
	memset(&ra, 0, sizeof ra);
	ra.rescale.scale = 0.5f;
	ir_add_output(g, axis_op(g, IR_SOFTMAX, "sm", (uint32_t[]){ op1(g, IR_RESCALE, "r", x, &ra) },
	                         1, 1));
	finish(g);
	before = print_ir(g);
	after = layout_and_compare(g, 0);
	assert_string_equal(before, after);
	free(before);
	free(after);
	arena_free(&a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_conv_net),
		cmocka_unit_test(test_flatten_dense),
		cmocka_unit_test(test_flatten_other),
		cmocka_unit_test(test_concat_add_softmax),
		cmocka_unit_test(test_same_memory_order),
		cmocka_unit_test(test_transpose_composed),
		cmocka_unit_test(test_se_block),
		cmocka_unit_test(test_slice_channels),
		cmocka_unit_test(test_channel_shuffle),
		cmocka_unit_test(test_unchanged),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
