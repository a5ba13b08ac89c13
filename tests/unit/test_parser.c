/* test_parser.c - the parser, the checks and lowering to IR: syntax error
 * messages and recovery, the graph built for each layer (attributes,
 * weight constants, activation nodes, names, outputs), check diagnostics,
 * and the consistency of the layer table with docs/dsl.md. */
#include "harness.h"

#include "frontend.h"
#include "layers.h"

struct run {
	struct capture cap;
	struct arena a;
	struct ast_model *m;
	struct ir_graph *g;
};

static void parse_lower(struct run *r, const char *src, const char *dir)
{
	memset(r, 0, sizeof *r);
	capture_begin(&r->cap);
	uint32_t file = diag_add_source(&r->cap.d, "t.dl", src, (uint32_t)strlen(src));
	r->m = fe_parse(&r->a, &r->cap.d, file);
	if (r->m)
		r->g = fe_lower(&r->a, &r->cap.d, r->m, dir);
}

static void done(struct run *r)
{
	capture_end(&r->cap);
	arena_free(&r->a);
}

/* Lowers src, which must be free of errors. */
static struct ir_graph *lower_ok(struct run *r, const char *src)
{
	parse_lower(r, src, ".");
	assert_string_equal(capture_text(&r->cap), "");
	assert_non_null(r->g);
	return r->g;
}

/* Parses and lowers src expecting exactly the diagnostics `diags`. */
static void expect_diags(const char *src, const char *diags)
{
	struct run r;
	parse_lower(&r, src, ".");
	assert_null(r.g);
	assert_string_equal(capture_text(&r.cap), diags);
	done(&r);
}

static const struct ir_node *find_node(struct ir_graph *g, const char *name)
{
	for (uint32_t i = 0; i < g->nnodes; i++)
		if (!strcmp(g->nodes[i].name, name))
			return &g->nodes[i];
	print_error("no node '%s'\n", name);
	fail();
	return NULL;
}

static const char *param_name(struct ir_graph *g, const struct ir_node *n, unsigned slot)
{
	return n->param[slot] == IR_NONE ? "(none)" : g->vals[n->param[slot]].name;
}

/* The node defining value v. */
static const struct ir_node *def(struct ir_graph *g, uint32_t v)
{
	assert_int_equal(g->vals[v].kind, IR_VAL_NODE);
	return &g->nodes[g->vals[v].node];
}

#define HEADER "model m\ninput x: f32[1, 8, 8, 3]\nweights \"w.safetensors\"\n"

/* ---- syntax ---- */

static void test_syntax_errors_all_reported(void **state)
{
	(void)state;
	expect_diags(
	    "model m\n"
	    "conv2d(64, 3\n"
	    "dense(10))\n"
	    "relu()\n"
	    "x = = relu()\n"
	    "input x f32[1]\n",
	    "t.dl:2:13: error: syntax error, unexpected end of line, expecting ')', ',' or '/'\n"
	    "    2 | conv2d(64, 3\n"
	    "      |             ^\n"
	    "t.dl:3:10: error: syntax error, unexpected ')', expecting end of line or '('\n"
	    "    3 | dense(10))\n"
	    "      |          ^\n"
	    "t.dl:5:5: error: syntax error, unexpected '=', expecting identifier\n"
	    "    5 | x = = relu()\n"
	    "      |     ^\n"
	    "t.dl:6:9: error: syntax error, unexpected identifier 'f32', expecting ':'\n"
	    "    6 | input x f32[1]\n"
	    "      |         ^~~\n");
}

static void test_syntax_messages(void **state)
{
	(void)state;
	/* all tokens that start a value are summarised as "a value" */
	expect_diags("relu(scale=)\n",
	             "t.dl:1:12: error: syntax error, unexpected ')', expecting a value\n"
	             "    1 | relu(scale=)\n"
	             "      |            ^\n");
	/* the implicit newline at the end of input is "end of file" */
	expect_diags("model",
	             "t.dl:1:6: error: syntax error, unexpected end of file, expecting identifier\n"
	             "    1 | model\n"
	             "      |      ^\n");
	expect_diags(
	    "conv2d(64, kernel 3)\n",
	    "t.dl:1:19: error: syntax error, unexpected integer '3', expecting ')', '[', ',' or "
	    "'='\n"
	    "    1 | conv2d(64, kernel 3)\n"
	    "      |                   ^\n");
	expect_diags("output\n",
	             "t.dl:1:7: error: syntax error, unexpected end of line, expecting identifier\n"
	             "    1 | output\n"
	             "      |       ^\n");
	expect_diags(
	    "input x: f32[1] nchw extra\n",
	    "t.dl:1:22: error: syntax error, unexpected identifier 'extra', expecting end of line\n"
	    "    1 | input x: f32[1] nchw extra\n"
	    "      |                      ^~~~~\n");
}

/* ---- lowering ---- */

static void test_lower_cnn(void **state)
{
	(void)state;
	struct run r;
	struct ir_graph *g = lower_ok(&r, "model cifar_cnn\n"
	                                  "input image: f32[1, 32, 32, 3]\n"
	                                  "weights \"cnn.safetensors\"\n"
	                                  "rescale(scale=1/255)\n"
	                                  "conv1 = conv2d(64, 3, padding=same, activation=relu)\n"
	                                  "maxpool2d(2)\n"
	                                  "conv2d(128, kernel=3)\n"
	                                  "flatten()\n"
	                                  "probs = dense(10, activation=softmax)\n");
	assert_string_equal(g->name, "cifar_cnn");
	assert_int_equal(g->ninputs, 1);
	struct ir_value *in = &g->vals[g->inputs[0]];
	assert_string_equal(in->name, "image");
	struct ir_type want = TYPE_F32(1, 32, 32, 3);
	assert_true(ir_type_eq(&in->type, &want));
	assert_int_equal(in->layout, IR_LAYOUT_NHWC);
	assert_int_equal(g->weights.kind, IR_WEIGHTS_FILE);
	assert_string_equal(g->weights.path, "cnn.safetensors");
	assert_int_equal(g->weights.convention, IR_CONV_PYTORCH);

	static const char *const names[] = {
		"rescale_1", "conv1",     "conv1.relu", "maxpool2d_1",
		"conv2d_1",  "flatten_1", "probs",      "probs.softmax"
	};
	static const enum ir_op ops[] = { IR_RESCALE, IR_CONV2D,  IR_RELU,  IR_MAXPOOL2D,
		                          IR_CONV2D,  IR_FLATTEN, IR_DENSE, IR_SOFTMAX };
	assert_int_equal(g->nnodes, 8);
	for (unsigned i = 0; i < 8; i++) {
		assert_string_equal(g->nodes[i].name, names[i]);
		assert_int_equal(g->nodes[i].op, ops[i]);
		assert_int_equal(g->nodes[i].nin, 1);
		/* each consumes the previous statement's value */
		if (i > 0)
			assert_int_equal(g->nodes[i].in[0], g->nodes[i - 1].out);
	}
	assert_int_equal(g->nodes[0].in[0], g->inputs[0]);
	assert_float_equal(g->nodes[0].attr.rescale.scale, 1.0f / 255, 1e-9);

	const struct ir_node *c1 = find_node(g, "conv1");
	assert_int_equal(c1->attr.conv.filters, 64);
	assert_int_equal(c1->attr.conv.kernel[0], 3);
	assert_int_equal(c1->attr.conv.kernel[1], 3);
	assert_int_equal(c1->attr.conv.stride[1], 1);
	assert_int_equal(c1->attr.conv.dilation[0], 1);
	assert_int_equal(c1->attr.conv.pad_mode, IR_PAD_SAME);
	assert_int_equal(c1->attr.conv.groups, 1);
	assert_true(c1->attr.conv.bias);
	assert_int_equal(c1->attr.conv.layout, IR_LAYOUT_NHWC);
	assert_int_equal(c1->attr.conv.act.kind, IR_STEP_NONE);
	assert_string_equal(param_name(g, c1, 0), "conv1.weight");
	assert_string_equal(param_name(g, c1, 1), "conv1.bias");
	assert_int_equal(g->vals[c1->param[0]].type.dtype, IR_DT_NONE);
	assert_null(g->vals[c1->param[0]].data);

	assert_int_equal(find_node(g, "conv2d_1")->attr.conv.pad_mode, IR_PAD_VALID);
	const struct ir_node *mp = find_node(g, "maxpool2d_1");
	assert_int_equal(mp->attr.pool.kernel[1], 2);
	assert_int_equal(mp->attr.pool.stride[0], 2);
	assert_int_equal(mp->attr.pool.stride[1], 2);
	assert_int_equal(mp->attr.pool.pad_mode, IR_PAD_VALID);
	assert_int_equal(mp->attr.pool.layout, IR_LAYOUT_NHWC);
	assert_int_equal(find_node(g, "probs.softmax")->attr.axis.axis, IR_AXIS_LAST);
	assert_int_equal(find_node(g, "probs")->attr.dense.units, 10);
	assert_string_equal(param_name(g, find_node(g, "probs"), 0), "probs.weight");

	/* default output: the last statement's value (after its activation) */
	assert_int_equal(g->noutputs, 1);
	assert_int_equal(g->outputs[0], find_node(g, "probs.softmax")->out);
	assert_int_equal(ir_verify(g, IR_STAGE_LOWERED, stderr), 0);
	done(&r);
}

static void test_lower_keras_and_params(void **state)
{
	(void)state;
	struct run r;
	struct ir_graph *g =
	    lower_ok(&r, "model m\ninput x: f32[1, 8, 8, 3]\nweights \"w.h5.safetensors\" keras\n"
	                 "c = conv2d(4, 3, bias=false, params=\"features.0\")\n"
	                 "bn = batchnorm()\n"
	                 "flatten()\n"
	                 "dense(2, params=\"head\")\n");
	assert_int_equal(g->weights.convention, IR_CONV_KERAS);
	const struct ir_node *c = find_node(g, "c");
	assert_string_equal(param_name(g, c, 0), "features.0.kernel");
	assert_int_equal(c->param[1], IR_NONE);
	assert_false(c->attr.conv.bias);
	const struct ir_node *bn = find_node(g, "bn");
	assert_string_equal(param_name(g, bn, 0), "bn.gamma");
	assert_string_equal(param_name(g, bn, 1), "bn.beta");
	assert_string_equal(param_name(g, bn, 2), "bn.moving_mean");
	assert_string_equal(param_name(g, bn, 3), "bn.moving_variance");
	assert_float_equal(bn->attr.bn.epsilon, 1e-5f, 1e-12);
	assert_int_equal(bn->attr.bn.axis, IR_AXIS_CHANNEL);
	assert_int_equal(bn->attr.bn.layout, IR_LAYOUT_NHWC);
	const struct ir_node *d = find_node(g, "dense_1");
	assert_string_equal(param_name(g, d, 0), "head.kernel");
	assert_string_equal(param_name(g, d, 1), "head.bias");
	done(&r);

	g = lower_ok(&r, "model m\ninput x: f32[1, 3, 8, 8] nchw\nweights random(seed=7)\n"
	                 "batchnorm(1e-3, axis=1)\n");
	assert_int_equal(g->weights.kind, IR_WEIGHTS_RANDOM);
	assert_int_equal(g->weights.seed, 7);
	const struct ir_node *b = &g->nodes[0];
	assert_string_equal(param_name(g, b, 0), "batchnorm_1.weight");
	assert_string_equal(param_name(g, b, 3), "batchnorm_1.running_var");
	assert_int_equal(b->attr.bn.axis, 1);
	assert_int_equal(b->attr.bn.layout, IR_LAYOUT_NCHW);
	assert_int_equal(g->vals[g->inputs[0]].layout, IR_LAYOUT_NCHW);
	done(&r);
}

static void test_lower_padding_forms(void **state)
{
	(void)state;
	struct run r;
	struct ir_graph *g =
	    lower_ok(&r, HEADER
	             "a = conv2d(1, [3, 5], stride=(2, 1), padding=2, dilation=[1, 2], groups=1)\n"
	             "b = conv2d(1, 3, padding=[1, 2])\n"
	             "c = conv2d(1, 3, padding=[1, 2, 3, 4])\n"
	             "d = avgpool2d([2, 3], stride=1, padding=same, count_include_pad=true)\n"
	             "e = maxpool2d(3, 2, [0, 1])\n"
	             "f = maxpool2d(2, ceil_mode=true)\n"
	             "g = avgpool2d(2, ceil_mode=true, count_include_pad=true)\n");
	const struct ir_conv_attr *a = &find_node(g, "a")->attr.conv;
	assert_int_equal(a->kernel[0], 3);
	assert_int_equal(a->kernel[1], 5);
	assert_int_equal(a->stride[0], 2);
	assert_int_equal(a->stride[1], 1);
	assert_int_equal(a->dilation[1], 2);
	assert_int_equal(a->pad_mode, IR_PAD_EXPLICIT);
	for (int i = 0; i < 4; i++)
		assert_int_equal(a->pad[i], 2);
	const int64_t *pb = find_node(g, "b")->attr.conv.pad;
	assert_true(pb[0] == 1 && pb[1] == 2 && pb[2] == 1 && pb[3] == 2);
	const int64_t *pc = find_node(g, "c")->attr.conv.pad;
	assert_true(pc[0] == 1 && pc[1] == 2 && pc[2] == 3 && pc[3] == 4);
	const struct ir_pool_attr *d = &find_node(g, "d")->attr.pool;
	assert_true(d->kernel[0] == 2 && d->kernel[1] == 3 && d->stride[0] == 1 &&
	            d->stride[1] == 1);
	assert_int_equal(d->pad_mode, IR_PAD_SAME);
	assert_true(d->count_include_pad);
	const struct ir_pool_attr *e = &find_node(g, "e")->attr.pool;
	assert_true(e->kernel[0] == 3 && e->stride[0] == 2 && e->stride[1] == 2);
	assert_int_equal(e->pad_mode, IR_PAD_EXPLICIT);
	assert_true(e->pad[0] == 0 && e->pad[1] == 1 && e->pad[2] == 0 && e->pad[3] == 1);
	assert_false(e->count_include_pad);
	assert_false(e->ceil_mode);
	assert_true(find_node(g, "f")->attr.pool.ceil_mode);
	const struct ir_pool_attr *pg = &find_node(g, "g")->attr.pool;
	assert_true(pg->ceil_mode && pg->count_include_pad);
	done(&r);
}

static void test_lower_other_layers(void **state)
{
	(void)state;
	struct run r;
	struct ir_graph *g = lower_ok(&r, HEADER "n = normalize(mean=[0.5, 0.25, 0.125], std=2)\n"
	                                         "n1 = normalize(0, 1)\n"
	                                         "g = global_avgpool()\n"
	                                         "s = reshape([3, -1])\n"
	                                         "sm = softmax(axis=1)\n"
	                                         "dr = dropout()\n"
	                                         "d2 = dropout(rate=0)\n"
	                                         "t = tanh()\n"
	                                         "sg = sigmoid()\n"
	                                         "rs = rescale(2, offset=-1)\n");
	const struct ir_normalize_attr *n = &find_node(g, "n")->attr.norm;
	assert_int_equal(n->nchannels, 3);
	assert_float_equal(n->mean[2], 0.125, 0);
	assert_float_equal(n->std[0], 2, 0);
	assert_float_equal(n->std[2], 2, 0);
	assert_int_equal(n->axis, IR_AXIS_CHANNEL);
	assert_int_equal(n->layout, IR_LAYOUT_NHWC);
	assert_int_equal(find_node(g, "n1")->attr.norm.nchannels, 1);
	assert_int_equal(find_node(g, "g")->attr.axis.layout, IR_LAYOUT_NHWC);
	const struct ir_reshape_attr *s = &find_node(g, "s")->attr.reshape;
	assert_int_equal(s->rank, 3);
	assert_true(s->dims[0] == 0 && s->dims[1] == 3 && s->dims[2] == -1);
	assert_int_equal(find_node(g, "sm")->attr.axis.axis, 1);
	assert_float_equal(find_node(g, "dr")->attr.dropout.rate, 0.5, 0);
	assert_float_equal(find_node(g, "d2")->attr.dropout.rate, 0, 0);
	assert_int_equal(find_node(g, "t")->op, IR_TANH);
	assert_int_equal(find_node(g, "sg")->op, IR_SIGMOID);
	assert_float_equal(find_node(g, "rs")->attr.rescale.scale, 2, 0);
	assert_float_equal(find_node(g, "rs")->attr.rescale.offset, -1, 0);
	done(&r);
}

static void test_lower_graph_inputs_outputs(void **state)
{
	(void)state;
	struct run r;
	struct ir_graph *g = lower_ok(&r, "model two\n"
	                                  "input a: f32[1, 4, 4, 2]\n"
	                                  "input b: f32[1, 4, 4, 2] nhwc\n"
	                                  "input v: i64[1, 3]\n"
	                                  "s = add()(a, b)\n"
	                                  "c = concat()(s, a, b)\n"
	                                  "k = concat(axis=-1)(a, b)\n"
	                                  "output c, s\n");
	assert_int_equal(g->ninputs, 3);
	assert_int_equal(g->vals[g->inputs[2]].type.dtype, IR_DT_I64);
	assert_int_equal(g->vals[g->inputs[2]].layout, IR_LAYOUT_NONE);
	const struct ir_node *s = find_node(g, "s"), *c = find_node(g, "c");
	assert_int_equal(s->nin, 2);
	assert_int_equal(s->in[0], g->inputs[0]);
	assert_int_equal(s->in[1], g->inputs[1]);
	assert_int_equal(c->nin, 3);
	assert_int_equal(c->in[0], s->out);
	assert_int_equal(c->attr.axis.axis, IR_AXIS_CHANNEL);
	assert_int_equal(c->attr.axis.layout, IR_LAYOUT_NHWC);
	assert_int_equal(find_node(g, "k")->attr.axis.axis, -1);
	assert_int_equal(g->noutputs, 2);
	assert_int_equal(g->outputs[0], c->out);
	assert_int_equal(g->outputs[1], s->out);
	assert_int_equal(def(g, g->outputs[1])->op, IR_ADD);
	done(&r);
}

/* Generated names count unnamed layers per kind and skip taken names. */
static void test_generated_names(void **state)
{
	(void)state;
	struct run r;
	struct ir_graph *g = lower_ok(&r, HEADER "relu()\n"
	                                         "relu_2 = relu()\n"
	                                         "relu()\n"
	                                         "relu()\n"
	                                         "sigmoid()\n"
	                                         "y = relu()(relu_3)\n");
	static const char *const names[] = { "relu_1", "relu_2",    "relu_3",
		                             "relu_4", "sigmoid_1", "y" };
	for (unsigned i = 0; i < 6; i++)
		assert_string_equal(g->nodes[i].name, names[i]);
	assert_int_equal(g->nodes[5].in[0], g->nodes[2].out);
	done(&r);
}

static void test_weights_path(void **state)
{
	(void)state;
	struct run r;
	parse_lower(&r, "model m\ninput x: f32[1,2]\nweights \"w.st\"\nrelu()\n", "models/a");
	assert_non_null(r.g);
	assert_string_equal(r.g->weights.path, "models/a/w.st");
	assert_int_equal(r.g->weights.path_loc.begin, 34);
	assert_int_equal(r.g->weights.path_loc.end, 40);
	done(&r);
	/* paths must stay inside the model's directory */
	parse_lower(&r, "model m\ninput x: f32[1,2]\nweights \"/abs/w.st\"\nrelu()\n", "models");
	assert_null(r.g);
	assert_contains(capture_text(&r.cap), "t.dl:3:9: error: the weights path '/abs/w.st' is "
	                                      "absolute");
	done(&r);
	parse_lower(&r, "model m\ninput x: f32[1,2]\nweights \"a/../../w.st\"\nrelu()\n", ".");
	assert_null(r.g);
	assert_contains(capture_text(&r.cap), "contains '..'");
	done(&r);
	parse_lower(&r, "model m\ninput x: f32[1,2]\nweights \"w.st\"\nrelu()\n", "/");
	assert_string_equal(r.g->weights.path, "/w.st");
	done(&r);
}

/* ---- checks ---- */

static void test_check_messages(void **state)
{
	(void)state;
	expect_diags(HEADER "conv2d(filters=\"64\", kernel=3)\n",
	             "t.dl:4:16: error: expected an integer for 'filters', got a string\n"
	             "    4 | conv2d(filters=\"64\", kernel=3)\n"
	             "      |                ^~~~\n");
	expect_diags(HEADER "Conv2D(8, 3)\nmaxpool(2)\nlinear(3)\n",
	             "t.dl:4:1: error: unknown layer 'Conv2D'; did you mean 'conv2d'?\n"
	             "    4 | Conv2D(8, 3)\n"
	             "      | ^~~~~~\n"
	             "t.dl:5:1: error: unknown layer 'maxpool'; did you mean 'maxpool2d'?\n"
	             "    5 | maxpool(2)\n"
	             "      | ^~~~~~~\n"
	             "t.dl:6:1: error: unknown layer 'linear'; did you mean 'dense'?\n"
	             "    6 | linear(3)\n"
	             "      | ^~~~~~\n");
	expect_diags(
	    HEADER "conv2d(8, 3, strides=2)\n",
	    "t.dl:4:14: error: 'conv2d' has no parameter 'strides'; did you mean 'stride'?\n"
	    "    4 | conv2d(8, 3, strides=2)\n"
	    "      |              ^~~~~~~\n");
	expect_diags(HEADER "relu(1)\nflatten(x=1)\n",
	             "t.dl:4:6: error: 'relu' takes no positional arguments\n"
	             "    4 | relu(1)\n"
	             "      |      ^\n"
	             "t.dl:5:9: error: 'flatten' takes no arguments, got 'x'\n"
	             "    5 | flatten(x=1)\n"
	             "      |         ^\n");
	expect_diags(HEADER "conv2d(8)\n",
	             "t.dl:4:1: error: 'conv2d' is missing required argument 'kernel'\n"
	             "    4 | conv2d(8)\n"
	             "      | ^~~~~~~~~\n");
	expect_diags(
	    HEADER "a = relu()\nb = dense(2, params=\"a\")\nc = dense(2)(a)\n"
	           "dense(2, params=\"c\")\n",
	    "t.dl:7:17: error: layer 'dense_1' reads the same weights 'c.*' as an earlier layer\n"
	    "    7 | dense(2, params=\"c\")\n"
	    "      |                 ^~~\n"
	    "t.dl:6:1: note: the earlier layer is here\n"
	    "    6 | c = dense(2)(a)\n"
	    "      | ^~~~~~~~~~~~~~~\n");
	expect_diags(HEADER "normalize(mean=[1, 2], std=[1, 2, 3])\nnormalize([], 1)\n",
	             "t.dl:4:1: error: 'mean' has 2 values but 'std' has 3\n"
	             "    4 | normalize(mean=[1, 2], std=[1, 2, 3])\n"
	             "      | ^~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~\n"
	             "t.dl:5:11: error: 'mean' needs at least one value\n"
	             "    5 | normalize([], 1)\n"
	             "      |           ^~\n");
}

/* ---- the layer table ---- */

/* Every layer lowers with only its required arguments (so every default
 * converts), to the op the table names. */
static void test_every_layer_defaults(void **state)
{
	(void)state;
	for (unsigned id = 1; id < FE_LAYER_COUNT; id++) {
		unsigned np;
		const struct fe_param *ps = fe_layer_params((enum fe_layer_id)id, &np);
		char src[512];
		int len = snprintf(src, sizeof src, HEADER "y = %s(", fe_layers[id].name);
		bool first = true;
		for (unsigned k = 0; k < np; k++) {
			if (ps[k].def)
				continue;
			/* a later required number is 2, so that clip(1, 2) has min < max;
			 * lists of ints valid for every layer taking one */
			const char *v = ps[k].type == FE_PT_DIMS                ? "[-1]"
			                : ps[k].type == FE_PT_TYPE              ? "f32[1]"
			                : ps[k].type == FE_PT_DTYPE             ? "f32"
			                : ps[k].type == FE_PT_INTS && id == FE_LAYER_PAD ? "[0, 0]"
			                : ps[k].type == FE_PT_INTS && id == FE_LAYER_RESIZE ? "[1]"
			                : ps[k].type == FE_PT_INTS && id != FE_LAYER_BROADCAST ? "0"
			                : ps[k].type == FE_PT_FLOAT && !first ? "2"
			                                                        : "1";
			len += snprintf(src + len, sizeof src - (size_t)len, "%s%s",
			                first ? "" : ", ", v);
			first = false;
		}
		unsigned nin = fe_layers[id].min_in;
		/* a constant is a value, not a node, and cannot be the output */
		bool constant = id == FE_LAYER_CONSTANT;
		snprintf(src + len, sizeof src - (size_t)len, ")%s\n%s",
		         nin > 2 ? "(x, x, x)" : nin > 1 ? "(x, x)" : "", constant ? "relu()(y)\n" : "");
		struct run r;
		struct ir_graph *g = lower_ok(&r, src);
		if (constant)
			assert_int_equal(g->vals[g->nodes[0].in[0]].kind, IR_VAL_CONST);
		else
			assert_int_equal(find_node(g, "y")->op, fe_layers[id].op);
		done(&r);
	}
}

static void test_table_shape(void **state)
{
	(void)state;
	for (unsigned id = 1; id < FE_LAYER_COUNT; id++) {
		unsigned np;
		const struct fe_param *ps = fe_layer_params((enum fe_layer_id)id, &np);
		bool keyword = false;
		for (unsigned k = 0; k < np; k++) {
			/* keyword-only parameters come last; required ones first */
			if (ps[k].flags & FE_PF_KEYWORD)
				keyword = true;
			else
				assert_false(keyword);
			if (!ps[k].def && k > 0)
				assert_null(ps[k - 1].def);
		}
		assert_int_equal(fe_layer_find(fe_layers[id].name), id);
	}
	assert_int_equal(fe_layer_find("nope"), FE_LAYER_NONE);
}

/* docs/dsl.md documents every layer and parameter of the table. */
static void test_docs_cover_table(void **state)
{
	(void)state;
	const char *data = getenv("DLC_TEST_DATA");
	assert_non_null(data);
	char path[4096];
	snprintf(path, sizeof path, "%s/../docs/dsl.md", data);
	FILE *f = fopen(path, "rb");
	assert_non_null(f);
	static char doc[1 << 17];
	size_t n = fread(doc, 1, sizeof doc - 1, f);
	fclose(f);
	doc[n] = '\0';
	for (unsigned id = 1; id < FE_LAYER_COUNT; id++) {
		char head[128];
		snprintf(head, sizeof head, "### %s\n", fe_layers[id].name);
		assert_contains(doc, head);
		const char *sec = strstr(doc, head);
		const char *end = strstr(sec + 1, "\n### ");
		unsigned np;
		const struct fe_param *ps = fe_layer_params((enum fe_layer_id)id, &np);
		for (unsigned k = 0; k < np; k++) {
			char row[128];
			snprintf(row, sizeof row, "| `%s` |", ps[k].name);
			const char *hit = strstr(sec, row);
			if (!hit || (end && hit > end)) {
				print_error("docs/dsl.md: section '%s' lacks a row for '%s'\n",
				            fe_layers[id].name, ps[k].name);
				fail();
			}
		}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_syntax_errors_all_reported),
		cmocka_unit_test(test_syntax_messages),
		cmocka_unit_test(test_lower_cnn),
		cmocka_unit_test(test_lower_keras_and_params),
		cmocka_unit_test(test_lower_padding_forms),
		cmocka_unit_test(test_lower_other_layers),
		cmocka_unit_test(test_lower_graph_inputs_outputs),
		cmocka_unit_test(test_generated_names),
		cmocka_unit_test(test_weights_path),
		cmocka_unit_test(test_check_messages),
		cmocka_unit_test(test_every_layer_defaults),
		cmocka_unit_test(test_table_shape),
		cmocka_unit_test(test_docs_cover_table),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
