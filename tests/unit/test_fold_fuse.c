/* test_fold_fuse.c - the folding and fusion passes keep every output.
 *
 * Each test writes a small model with `weights random(...)`, lowers it and
 * runs the passes that correctness needs (-O0), then applies optimizer
 * passes one at a time. After each pass the IR must verify and the
 * reference interpreter must give the same outputs as on the unoptimized
 * graph within abs 1e-5 + rel 1e-4, on random inputs (weights_random.h).
 * The tests also check that the pass did what it should (and only that):
 * which nodes are left, the fused attributes, the folded constants' names. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <math.h>

#include "harness.h"
#include "frontend.h"
#include "interp.h"
#include "pass.h"
#include "weights_random.h"

#define MAX_IO 4

struct fx {
	struct arena a;
	struct capture cap;
	struct ir_graph *g;
	float *in[MAX_IO];
	float *want[MAX_IO]; /* outputs of the unoptimized graph */
};

static float *run_outputs(struct fx *f, unsigned k)
{
	struct ir_graph *g = f->g;
	float *outs[MAX_IO];
	for (uint32_t i = 0; i < g->noutputs; i++)
		outs[i] = arena_array(&f->a, (size_t)ir_type_numel(&g->vals[g->outputs[i]].type),
		                      sizeof(float));
	assert_true(interp_run(g, &f->cap.d, (const void *const *)f->in, (void *const *)outs,
	                       (int64_t)1 << 28));
	return outs[k];
}

/* Lowers src, runs the -O0 pipeline and records outputs on random inputs. */
static struct ir_graph *setup_model(struct fx *f, const char *src)
{
	memset(f, 0, sizeof *f);
	capture_begin(&f->cap);
	uint32_t file = diag_add_source(&f->cap.d, "t.dl", src, (uint32_t)strlen(src));
	struct ast_model *m = fe_parse(&f->a, &f->cap.d, file);
	f->g = fe_lower(&f->a, &f->cap.d, m, ".");
	assert_string_equal(capture_text(&f->cap), "");
	assert_non_null(f->g);
	struct pass_options o = { .opt_level = 0 };
	bool stopped;
	assert_true(pass_run_pipeline(f->g, &f->cap.d, &o, &stopped));
	assert_string_equal(capture_text(&f->cap), "");
	struct ir_graph *g = f->g;
	assert_true(g->ninputs <= MAX_IO && g->noutputs <= MAX_IO);
	for (uint32_t i = 0; i < g->ninputs; i++) {
		int64_t n = ir_type_numel(&g->vals[g->inputs[i]].type);
		f->in[i] = arena_array(&f->a, (size_t)n, sizeof(float));
		wrand_fill(f->in[i], n, 99, g->vals[g->inputs[i]].name, -2.0f, 2.0f);
	}
	for (uint32_t k = 0; k < g->noutputs; k++)
		f->want[k] = run_outputs(f, k);
	return g;
}

static void teardown_model(struct fx *f)
{
	capture_end(&f->cap);
	arena_free(&f->a);
}

/* Runs one pass by name on f->g, then checks the IR and the outputs. */
static void apply(struct fx *f, const char *name)
{
	const struct pass *p = pass_find(name);
	assert_non_null(p);
	struct arena scratch = { 0 };
	struct pass_options o = { .opt_level = 2 };
	struct pass_ctx ctx = { f->g, &f->cap.d, &scratch, &o };
	assert_true(p->run(&ctx));
	arena_free(&scratch);
	assert_string_equal(capture_text(&f->cap), "");
	assert_int_equal(ir_verify(f->g, IR_STAGE_BOUND, stderr), 0);
	for (uint32_t k = 0; k < f->g->noutputs; k++) {
		const float *got = run_outputs(f, k);
		int64_t n = ir_type_numel(&f->g->vals[f->g->outputs[k]].type);
		for (int64_t i = 0; i < n; i++) {
			double w = f->want[k][i], d = fabs((double)got[i] - w);
			if (!(d <= 1e-5 + 1e-4 * fabs(w)))
				fail_msg("after %s: output %u element %lld: got %.9g, want %.9g",
				         name, k, (long long)i, (double)got[i], w);
		}
	}
}

static unsigned count_op(const struct ir_graph *g, enum ir_op op)
{
	unsigned n = 0;
	for (uint32_t i = 0; i < g->nnodes; i++)
		n += g->nodes[i].op == op;
	return n;
}

/* The node with the given name (which a fused node's name contains). */
static const struct ir_node *node_named(const struct ir_graph *g, const char *name)
{
	for (uint32_t i = 0; i < g->nnodes; i++)
		if (!strcmp(g->nodes[i].name, name))
			return &g->nodes[i];
	print_error("no node '%s'; nodes:\n", name);
	for (uint32_t i = 0; i < g->nnodes; i++)
		print_error("  %s\n", g->nodes[i].name);
	fail();
	return NULL;
}

static const char *param_name(const struct ir_graph *g, const struct ir_node *n, unsigned k)
{
	assert_int_not_equal(n->param[k], IR_NONE);
	return g->vals[n->param[k]].name;
}

#define HDR "model t\n"

/* ---- fold-batchnorm ---- */

static void test_bn_after_conv_without_bias(void **state)
{
	(void)state;
	struct fx f;
	struct ir_graph *g = setup_model(&f, HDR "input x: f32[1, 7, 6, 3]\n"
	                                         "weights random(seed=1)\n"
	                                         "conv1 = conv2d(5, 3, padding=same, bias=false)\n"
	                                         "bn1 = batchnorm(epsilon=1e-3)\n"
	                                         "relu()\n");
	apply(&f, "fold-batchnorm");
	assert_int_equal(count_op(g, IR_BATCHNORM), 0);
	const struct ir_node *c = node_named(g, "conv1+bn1");
	assert_true(c->attr.conv.bias);
	assert_string_equal(param_name(g, c, 0), "conv1.weight+bn1");
	assert_string_equal(param_name(g, c, 1), "conv1.bias+bn1");
	assert_int_equal(g->vals[c->param[1]].type.dims[0], 5);
	teardown_model(&f);
}

static void test_bn_after_depthwise_and_grouped(void **state)
{
	(void)state;
	struct fx f;
	struct ir_graph *g = setup_model(&f, HDR "input x: f32[2, 4, 6, 6] nchw\n"
	                                         "weights random(seed=2)\n"
	                                         "dw = conv2d(8, 3, padding=1, groups=4)\n"
	                                         "bn_dw = batchnorm()\n"
	                                         "gc = conv2d(6, 1, groups=2, bias=false)\n"
	                                         "bn_gc = batchnorm()\n");
	apply(&f, "fold-batchnorm");
	assert_int_equal(count_op(g, IR_BATCHNORM), 0);
	assert_int_equal(node_named(g, "dw+bn_dw")->attr.conv.groups, 4);
	assert_int_equal(node_named(g, "gc+bn_gc")->attr.conv.groups, 2);
	assert_int_equal(g->nnodes, 2);
	teardown_model(&f);
}

static void test_bn_after_dense(void **state)
{
	(void)state;
	struct fx f;
	struct ir_graph *g = setup_model(&f, HDR "input x: f32[3, 10]\n"
	                                         "weights random(seed=3)\n"
	                                         "fc = dense(7)\n"
	                                         "bn = batchnorm(epsilon=0.01)\n");
	apply(&f, "fold-batchnorm");
	assert_int_equal(g->nnodes, 1);
	const struct ir_node *n = node_named(g, "fc+bn");
	assert_int_equal(n->op, IR_DENSE);
	assert_string_equal(param_name(g, n, 1), "fc.bias+bn");
	/* a graph output keeps its name: the header is named after it */
	assert_string_equal(g->vals[g->outputs[0]].name, "bn");
	teardown_model(&f);
}

static void test_bn_standalone_and_shared_conv(void **state)
{
	(void)state;
	struct fx f;
	/* bn1 follows a pool; bn2 follows a conv whose output is also read by
	 * `other`, so folding would change `other`: both become scale_bias. */
	struct ir_graph *g = setup_model(&f, HDR "input x: f32[1, 6, 6, 4]\n"
	                                         "weights random(seed=4)\n"
	                                         "p = maxpool2d(2)\n"
	                                         "bn1 = batchnorm()\n"
	                                         "c = conv2d(4, 1)\n"
	                                         "bn2 = batchnorm()\n"
	                                         "other = relu()(c)\n"
	                                         "s = add()(bn2, other)\n");
	apply(&f, "fold-batchnorm");
	assert_int_equal(count_op(g, IR_BATCHNORM), 0);
	assert_int_equal(count_op(g, IR_SCALE_BIAS), 2);
	const struct ir_node *b = node_named(g, "bn1");
	assert_int_equal(b->op, IR_SCALE_BIAS);
	assert_int_equal(b->attr.scale_bias.axis, 3);
	assert_string_equal(param_name(g, b, 0), "bn1.scale");
	assert_int_equal(b->param[2], IR_NONE);
	assert_int_equal(node_named(g, "c")->attr.conv.bias, true);
	assert_int_equal(node_named(g, "bn2")->op, IR_SCALE_BIAS);
	teardown_model(&f);
}

/* ---- fold-rescale ---- */

static void test_rescale_chain_into_valid_conv(void **state)
{
	(void)state;
	struct fx f;
	struct ir_graph *g =
		setup_model(&f, HDR "input x: f32[1, 5, 5, 3]\n"
		                    "weights random(seed=5)\n"
		                    "r = rescale(scale=1/255, offset=0.5)\n"
		                    "n = normalize(mean=[0.485, 0.456, 0.406], "
		                    "std=[0.229, 0.224, 0.225])\n"
		                    "c = conv2d(4, 3, bias=false)\n");
	apply(&f, "fold-rescale");
	assert_int_equal(g->nnodes, 1);
	const struct ir_node *c = node_named(g, "r+n+c");
	assert_int_equal(c->in[0], g->inputs[0]);
	assert_string_equal(param_name(g, c, 0), "c.weight+n+r");
	assert_string_equal(param_name(g, c, 1), "c.bias+n+r");
	teardown_model(&f);
}

static void test_rescale_into_dense_exact(void **state)
{
	(void)state;
	struct fx f;
	struct ir_graph *g = setup_model(&f, HDR "input x: f32[2, 6]\n"
	                                         "weights random(seed=6)\n"
	                                         "r = rescale(scale=0.5, offset=-3)\n"
	                                         "fc = dense(3)\n"
	                                         "n = normalize(mean=[1, 2, 3], std=[2, 0.5, 4])\n"
	                                         "fc2 = dense(2, bias=false)\n");
	apply(&f, "fold-rescale");
	assert_int_equal(g->nnodes, 2);
	assert_int_equal(count_op(g, IR_DENSE), 2);
	assert_true(node_named(g, "n+fc2")->attr.dense.bias);
	teardown_model(&f);
}

static void test_rescale_into_padded_conv(void **state)
{
	(void)state;
	struct fx f;
	/* zero padding after an offset would read a shifted value: the first
	 * stays; an offset-free scale folds even into a padded conv. */
	struct ir_graph *g = setup_model(&f, HDR "input x: f32[1, 3, 5, 5] nchw\n"
	                                         "weights random(seed=7)\n"
	                                         "r = rescale(scale=2, offset=1)\n"
	                                         "c1 = conv2d(3, 3, padding=1)\n"
	                                         "n = normalize(mean=0, std=[1, 2, 4])\n"
	                                         "c2 = conv2d(2, 3, padding=same)\n");
	apply(&f, "fold-rescale");
	assert_int_equal(count_op(g, IR_RESCALE), 1);
	assert_int_equal(count_op(g, IR_NORMALIZE), 0);
	assert_int_equal(node_named(g, "c1")->op, IR_CONV2D);
	assert_int_equal(node_named(g, "n+c2")->op, IR_CONV2D);
	teardown_model(&f);
}

/* Per-channel normalize into a grouped conv: output channel o reads input
 * channels of its group only, so each weight scales by its own channel. */
static void test_normalize_into_grouped_conv(void **state)
{
	(void)state;
	struct fx f;
	struct ir_graph *g = setup_model(&f, HDR "input x: f32[1, 5, 5, 4]\n"
	                                         "weights random(seed=14)\n"
	                                         "n = normalize(mean=[0.1, -0.2, 0.3, 0.4], "
	                                         "std=[0.5, 2, 0.25, 1])\n"
	                                         "c = conv2d(6, 3, groups=2)\n"
	                                         "n2 = normalize(mean=[1, 2, 3, 4, 5, 6], std=4)\n"
	                                         "dw = conv2d(6, 1, groups=6, bias=false)\n");
	apply(&f, "fold-rescale");
	assert_int_equal(count_op(g, IR_NORMALIZE), 0);
	assert_int_equal(node_named(g, "n+c")->attr.conv.groups, 2);
	assert_string_equal(param_name(g, node_named(g, "n2+dw"), 1), "dw.bias+n2");
	teardown_model(&f);
}

/* ---- fold-pad ---- */

static void test_zeropad_folds(void **state)
{
	(void)state;
	struct fx f;
	struct ir_graph *g = setup_model(&f, HDR "input x: f32[1, 6, 7, 2]\n"
	                                         "weights random(seed=8)\n"
	                                         "z1 = zeropad2d([1, 2, 0, 1])\n"
	                                         "c = conv2d(3, 3, padding=[0, 0, 1, 0])\n"
	                                         "z2 = zeropad2d(1)\n"
	                                         "a = avgpool2d(3, stride=1, "
	                                         "count_include_pad=true)\n"
	                                         "z3 = zeropad2d([1, 1])\n"
	                                         "m = maxpool2d(2)\n"
	                                         "z4 = zeropad2d(1)(c)\n"
	                                         "a2 = avgpool2d(2)\n"
	                                         "z5 = zeropad2d(1)(c)\n"
	                                         "a3 = avgpool2d(3, stride=2, "
	                                         "count_include_pad=true, ceil_mode=true)\n"
	                                         "output m, a2, a3\n");
	apply(&f, "fold-pad");
	const struct ir_node *c = node_named(g, "z1+c");
	assert_int_equal(c->attr.conv.pad_mode, IR_PAD_EXPLICIT);
	assert_int_equal(c->attr.conv.pad[0], 1);
	assert_int_equal(c->attr.conv.pad[1], 2);
	assert_int_equal(c->attr.conv.pad[2], 1);
	assert_int_equal(c->attr.conv.pad[3], 1);
	assert_int_equal(node_named(g, "z2+a")->attr.pool.pad[3], 1);
	/* never into maxpool, nor into an avgpool that skips padded taps, nor
	 * with ceil_mode (the zeropad's rows would count as input) */
	assert_int_equal(count_op(g, IR_ZEROPAD2D), 3);
	assert_int_equal(node_named(g, "z3")->op, IR_ZEROPAD2D);
	assert_int_equal(node_named(g, "z4")->op, IR_ZEROPAD2D);
	assert_int_equal(node_named(g, "z5")->op, IR_ZEROPAD2D);
	teardown_model(&f);
}

/* ---- fuse-gate ---- */

/* x * sigmoid(x) and x * hard_sigmoid(x) (PyTorch's 1/6, 0.5, in either
 * operand order) become one silu / hard_swish step, which fuse-epilogue
 * then takes into the conv; a gate with another reader, a gate of another
 * value, other hard_sigmoid numbers and a broadcasting mul stay. */
static void test_gate_fusion(void **state)
{
	(void)state;
	struct fx f;
	struct ir_graph *g = setup_model(&f, HDR "input x: f32[1, 5, 5, 2]\n"
	                                         "weights random(seed=4)\n"
	                                         "c = conv2d(4, 3)\n"
	                                         "s = sigmoid()(c)\n"
	                                         "m = mul()(c, s)\n"
	                                         "h = hard_sigmoid(alpha=0.16666667, beta=0.5)(m)\n"
	                                         "hs = mul()(h, m)\n"
	                                         "s2 = sigmoid()(hs)\n"
	                                         "keep = mul()(hs, s2)\n"
	                                         "s3 = sigmoid()(hs)\n"
	                                         "other = mul()(keep, s3)\n"
	                                         "h3 = hard_sigmoid()(other)\n"
	                                         "odd = mul()(other, h3)\n"
	                                         "gp = global_avgpool()(odd)\n"
	                                         "r = reshape([1, 1, 4])(gp)\n"
	                                         "rs = sigmoid()(r)\n"
	                                         "se = mul()(odd, rs)\n"
	                                         "output se, s2\n");
	apply(&f, "fuse-gate");
	assert_int_equal(node_named(g, "s+m")->op, IR_ELTWISE);
	assert_int_equal(node_named(g, "s+m")->attr.eltwise.steps[0].kind, IR_STEP_SILU);
	assert_int_equal(node_named(g, "h+hs")->attr.eltwise.steps[0].kind, IR_STEP_HARD_SWISH);
	assert_int_equal(node_named(g, "keep")->op, IR_BINARY);  /* s2 is an output */
	assert_int_equal(node_named(g, "other")->op, IR_BINARY); /* sigmoid of hs, not keep */
	assert_int_equal(node_named(g, "odd")->op, IR_BINARY);   /* alpha 0.2 */
	assert_int_equal(node_named(g, "se")->op, IR_BINARY);    /* broadcasts */
	apply(&f, "fuse-epilogue");
	const struct ir_node *c = node_named(g, "c+s+m");
	assert_int_equal(c->attr.conv.act.kind, IR_STEP_SILU);
	teardown_model(&f);
}

/* ---- fuse-epilogue ---- */

static void test_epilogue_activations(void **state)
{
	(void)state;
	struct fx f;
	struct ir_graph *g = setup_model(&f, HDR "input x: f32[1, 5, 5, 2]\n"
	                                         "weights random(seed=9)\n"
	                                         "c1 = conv2d(4, 3, activation=relu)\n"
	                                         "c2 = conv2d(4, 1)\n"
	                                         "relu6()\n"
	                                         "flatten()\n"
	                                         "fc = dense(5)\n"
	                                         "clip(-0.1, 0.2)\n"
	                                         "fc2 = dense(3, activation=tanh)\n"
	                                         "sigmoid()\n");
	apply(&f, "fuse-epilogue");
	assert_int_equal(node_named(g, "c1+relu")->attr.conv.act.kind, IR_STEP_RELU);
	const struct ir_node *c2 = node_named(g, "c2+relu6_1");
	assert_int_equal(c2->attr.conv.act.kind, IR_STEP_CLIP);
	assert_true(c2->attr.conv.act.a == 0.0f && c2->attr.conv.act.b == 6.0f);
	const struct ir_node *fc = node_named(g, "fc+clip_1");
	assert_int_equal(fc->attr.dense.act.kind, IR_STEP_CLIP);
	assert_true(fc->attr.dense.act.a == -0.1f && fc->attr.dense.act.b == 0.2f);
	/* one activation per layer: the sigmoid after tanh stays */
	assert_int_equal(node_named(g, "fc2+tanh")->attr.dense.act.kind, IR_STEP_TANH);
	assert_int_equal(count_op(g, IR_SIGMOID), 1);
	teardown_model(&f);
}

static void test_epilogue_two_consumers(void **state)
{
	(void)state;
	struct fx f;
	/* c feeds relu and the add: neither may fuse into c. */
	struct ir_graph *g = setup_model(&f, HDR "input x: f32[1, 4, 4, 3]\n"
	                                         "weights random(seed=10)\n"
	                                         "c = conv2d(3, 1)\n"
	                                         "r = relu()\n"
	                                         "s = add()(c, x)\n"
	                                         "output r, s\n");
	apply(&f, "fuse-epilogue");
	const struct ir_node *c = node_named(g, "c");
	assert_int_equal(c->attr.conv.act.kind, IR_STEP_NONE);
	assert_int_equal(c->nin, 1);
	assert_int_equal(g->nnodes, 3);
	teardown_model(&f);
}

static void test_epilogue_residual_still_live(void **state)
{
	(void)state;
	struct fx f;
	/* The shortcut h is read by the fused conv and again later. */
	struct ir_graph *g = setup_model(&f, HDR "input x: f32[1, 8]\n"
	                                         "weights random(seed=11)\n"
	                                         "h = dense(8)\n"
	                                         "d = dense(8)\n"
	                                         "s = add()(h, d)\n"
	                                         "y = relu()\n"
	                                         "t = add()(y, h, x)\n"
	                                         "z = dense(8)(h)\n"
	                                         "output t, z\n");
	apply(&f, "fuse-epilogue");
	const struct ir_node *d = node_named(g, "d+s+y");
	assert_int_equal(d->nin, 2);
	assert_string_equal(g->vals[d->in[1]].name, "h");
	assert_int_equal(d->attr.dense.act.kind, IR_STEP_RELU);
	/* the three-input add stays */
	assert_int_equal(count_op(g, IR_ADD), 1);
	assert_int_equal(node_named(g, "t")->nin, 3);
	teardown_model(&f);
}

static const char resnet_src[] =
	HDR "input x: f32[1, 4, 6, 6] nchw\n"
	    "weights random(seed=12)\n"
	    "stem = conv2d(8, 3, padding=1, bias=false)\n"
	    "stem_bn = batchnorm()\n"
	    "s = relu()\n"
	    "c1 = conv2d(8, 3, padding=1, bias=false)(s)\n"
	    "b1 = batchnorm()\n"
	    "relu()\n"
	    "c2 = conv2d(8, 3, padding=1, bias=false)\n"
	    "b2 = batchnorm()\n"
	    "sum1 = add()(b2, s)\n"
	    "l1 = relu()\n"
	    "c3 = conv2d(16, 3, stride=2, padding=1, bias=false)(l1)\n"
	    "b3 = batchnorm()\n"
	    "relu()\n"
	    "c4 = conv2d(16, 3, padding=1, bias=false)\n"
	    "b4 = batchnorm()\n"
	    "proj = conv2d(16, 1, stride=2, bias=false)(l1)\n"
	    "proj_bn = batchnorm()\n"
	    "sum2 = add()(b4, proj_bn)\n"
	    "l2 = relu()\n"
	    "global_avgpool()\n"
	    "fc = dense(5)\n";

static void test_epilogue_resnet_block(void **state)
{
	(void)state;
	struct fx f;
	struct ir_graph *g = setup_model(&f, resnet_src);
	apply(&f, "fold-batchnorm");
	apply(&f, "fuse-epilogue");
	assert_int_equal(count_op(g, IR_BATCHNORM) + count_op(g, IR_ADD) + count_op(g, IR_RELU), 0);
	/* identity shortcut: relu(bn(conv(.)) + s) */
	const struct ir_node *c2 = node_named(g, "c2+b2+sum1+l1");
	assert_int_equal(c2->nin, 2);
	assert_string_equal(g->vals[c2->in[1]].name, "stem+stem_bn+s");
	assert_int_equal(c2->attr.conv.act.kind, IR_STEP_RELU);
	/* projection shortcut: c4 comes before proj, so proj takes c4 as its
	 * residual (the add's inputs swapped) */
	const struct ir_node *proj = node_named(g, "proj+proj_bn+sum2+l2");
	assert_int_equal(proj->nin, 2);
	assert_string_equal(g->vals[proj->in[1]].name, "c4+b4");
	assert_int_equal(g->nnodes, 8);
	teardown_model(&f);
}

/* ---- fuse-eltwise ---- */

static void test_eltwise_chains(void **state)
{
	(void)state;
	struct fx f;
	struct ir_graph *g = setup_model(&f, HDR "input x: f32[2, 3, 4, 4] nchw\n"
	                                         "a = relu()\n"
	                                         "b = rescale(scale=0.5, offset=-0.25)\n"
	                                         "c = clip(-0.2, 0.3)\n"
	                                         "d = sigmoid()\n"
	                                         "e = tanh()\n"
	                                         "m = maxpool2d(2)(e)\n"
	                                         "r1 = relu()\n"
	                                         "r2 = tanh()\n"
	                                         "r3 = sigmoid()\n"
	                                         "r4 = rescale(scale=3)\n"
	                                         "r5 = tanh()\n"
	                                         "r6 = relu6()\n"
	                                         "r7 = rescale(offset=1)\n"
	                                         "r8 = sigmoid()\n"
	                                         "r9 = tanh()\n"
	                                         "r10 = relu()\n"
	                                         "lone = sigmoid()(m)\n"
	                                         "output r10, lone\n");
	apply(&f, "fuse-eltwise");
	const struct ir_node *e = node_named(g, "a+b+c+d+e");
	assert_int_equal(e->op, IR_ELTWISE);
	assert_int_equal(e->attr.eltwise.nsteps, 5);
	assert_int_equal(e->attr.eltwise.steps[1].kind, IR_STEP_AFFINE);
	assert_true(e->attr.eltwise.steps[1].a == 0.5f && e->attr.eltwise.steps[1].b == -0.25f);
	assert_int_equal(e->attr.eltwise.steps[2].kind, IR_STEP_CLIP);
	/* ten steps: one node of IR_MAX_STEPS and one of the remaining two */
	const struct ir_node *long1 = node_named(g, "r1+r2+r3+r4+r5+r6+r7+r8");
	assert_int_equal(long1->attr.eltwise.nsteps, IR_MAX_STEPS);
	assert_int_equal(node_named(g, "r9+r10")->attr.eltwise.nsteps, 2);
	assert_string_equal(g->vals[g->outputs[0]].name, "r10");
	assert_int_equal(node_named(g, "lone")->op, IR_SIGMOID);
	assert_int_equal(count_op(g, IR_ELTWISE), 3);
	teardown_model(&f);
}

/* ---- the whole optimizer ---- */

static void test_all_passes_in_order(void **state)
{
	(void)state;
	struct fx f;
	setup_model(&f, resnet_src);
	for (const struct pass *const *p = pass_pipeline; *p; p++)
		if ((*p)->min_opt > 0 && !(*p)->codegen_only)
			apply(&f, (*p)->name);
	teardown_model(&f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bn_after_conv_without_bias),
		cmocka_unit_test(test_bn_after_depthwise_and_grouped),
		cmocka_unit_test(test_bn_after_dense),
		cmocka_unit_test(test_bn_standalone_and_shared_conv),
		cmocka_unit_test(test_rescale_chain_into_valid_conv),
		cmocka_unit_test(test_rescale_into_dense_exact),
		cmocka_unit_test(test_rescale_into_padded_conv),
		cmocka_unit_test(test_normalize_into_grouped_conv),
		cmocka_unit_test(test_zeropad_folds),
		cmocka_unit_test(test_gate_fusion),
		cmocka_unit_test(test_epilogue_activations),
		cmocka_unit_test(test_epilogue_two_consumers),
		cmocka_unit_test(test_epilogue_residual_still_live),
		cmocka_unit_test(test_epilogue_resnet_block),
		cmocka_unit_test(test_eltwise_chains),
		cmocka_unit_test(test_all_passes_in_order),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
