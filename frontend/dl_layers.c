/* dl_layers.c - the statement of each op (the dl column of ir_ops.def):
 * write_<dl> turns one node into one line of the language, its arguments
 * in the shortest spelling that reads back to the same attributes (the
 * layer's defaults are left out). A node the language cannot express is
 * reported through dlw_error and nothing is written for it. */
#include <inttypes.h>
#include <string.h>

#include "check.h"
#include "dl_writer.h"

/* The layer of an activation op (`activation=` values are spelled alike). */
static enum fe_layer_id act_layer(enum ir_op op)
{
	return op == IR_RELU      ? FE_LAYER_RELU
	       : op == IR_SIGMOID ? FE_LAYER_SIGMOID
	       : op == IR_TANH    ? FE_LAYER_TANH
	                          : FE_LAYER_SOFTMAX;
}

void write_conv_dense(struct writer *w, const struct ir_node *n, const struct ir_node *act,
                      const char *ident)
{
	bool transposed = n->op == IR_CONV_TRANSPOSE, conv = n->op == IR_CONV2D || transposed;
	const struct ir_tile *tile = conv ? &n->attr.conv.tile : &n->attr.dense.tile;
	enum ir_step_kind fused = conv ? n->attr.conv.act.kind : n->attr.dense.act.kind;
	if (n->nin != 1 || fused != IR_STEP_NONE || tile->packed) {
		dlw_error(w, "it holds a fused activation, residual or packed weights, which only "
		             "the optimizer creates; write the graph before optimization");
		return;
	}
	dlw_begin(w, ident, transposed ? FE_LAYER_CONV2D_TRANSPOSE
	                    : conv     ? FE_LAYER_CONV2D
	                               : FE_LAYER_DENSE);
	if (conv) {
		const struct ir_conv_attr *c = &n->attr.conv;
		dlw_check_layout(w, c->layout);
		dlw_arg(w, "%" PRId64, c->filters);
		dlw_arg_int2(w, "kernel", c->kernel);
		if (c->stride[0] != 1 || c->stride[1] != 1)
			dlw_arg_int2(w, "stride", c->stride);
		dlw_arg_pad(w, c->pad_mode, c->pad, true);
		if (c->dilation[0] != 1 || c->dilation[1] != 1)
			dlw_arg_int2(w, "dilation", c->dilation);
		if (c->groups != 1)
			dlw_arg(w, "groups=%" PRId64, c->groups);
		if (c->out_pad[0] || c->out_pad[1])
			dlw_arg_int2(w, "output_padding", c->out_pad);
	} else {
		dlw_arg(w, "%" PRId64, n->attr.dense.units);
	}
	if (n->param[1] == IR_NONE)
		dlw_arg(w, "bias=false");
	if (act)
		dlw_arg(w, "activation=%s", fe_layers[act_layer(act->op)].name);
	dlw_layer_weights(w, n, ident);
	dlw_end(w, n->in, 1);
}

void write_conv2d(struct writer *w, const struct ir_node *n, const char *ident)
{
	write_conv_dense(w, n, NULL, ident);
}

void write_conv_transpose(struct writer *w, const struct ir_node *n, const char *ident)
{
	write_conv_dense(w, n, NULL, ident);
}

void write_dense(struct writer *w, const struct ir_node *n, const char *ident)
{
	write_conv_dense(w, n, NULL, ident);
}

void write_pool2d(struct writer *w, const struct ir_node *n, const char *ident)
{
	const struct ir_pool_attr *p = &n->attr.pool;
	dlw_check_layout(w, p->layout);
	dlw_begin(w, ident, n->op == IR_MAXPOOL2D ? FE_LAYER_MAXPOOL2D : FE_LAYER_AVGPOOL2D);
	dlw_arg_int2(w, "pool", p->kernel);
	if (p->stride[0] != p->kernel[0] || p->stride[1] != p->kernel[1])
		dlw_arg_int2(w, "stride", p->stride);
	dlw_arg_pad(w, p->pad_mode, p->pad, true);
	if (n->op == IR_AVGPOOL2D && p->count_include_pad)
		dlw_arg(w, "count_include_pad=true");
	if (p->ceil_mode)
		dlw_arg(w, "ceil_mode=true");
	dlw_end(w, n->in, 1);
}

/* The language's reshape takes the dimensions after the batch, at most
 * one of them -1, and batch= when the batch dimension changes; dims the
 * IR leaves as 0 (ONNX: copy) are written as the inferred extents. */
void write_reshape(struct writer *w, const struct ir_node *n, const char *ident)
{
	const struct ir_type *in = &ir_val(w->g, n->in[0])->type,
	                     *out = &ir_val(w->g, n->out)->type;
	char a[200], b[200];
	if (out->rank < 2) {
		dlw_error(w,
		          "the language's reshape has a batch dimension; this one turns %s "
		          "into %s",
		          ir_type_str(in, a, sizeof a), ir_type_str(out, b, sizeof b));
		return;
	}
	const struct ir_reshape_attr *r = &n->attr.reshape;
	bool own = r->rank == out->rank;
	unsigned infer = 0;
	for (unsigned k = 1; own && k < r->rank; k++) {
		infer += r->dims[k] == -1;
		own = r->dims[k] > 0 || r->dims[k] == -1;
	}
	dlw_begin(w, ident, FE_LAYER_RESHAPE);
	dlw_arg_ints(w, "shape", (own && infer <= 1 ? r->dims : out->dims) + 1, out->rank - 1u);
	if (in->dims[0] != out->dims[0])
		dlw_arg(w, "batch=%" PRId64, out->dims[0]);
	dlw_end(w, n->in, 1);
}

void write_normalize(struct writer *w, const struct ir_node *n, const char *ident)
{
	unsigned rank = dlw_rank(w, n->in[0]);
	int channel = rank == 4 && w->layout == IR_LAYOUT_NHWC ? 3 : 1;
	if (n->attr.norm.axis != channel) {
		dlw_error(w,
		          "it normalizes axis %d; the language's normalize works on the channel "
		          "axis (%d here)",
		          n->attr.norm.axis, channel);
		return;
	}
	dlw_begin(w, ident, FE_LAYER_NORMALIZE);
	dlw_arg_floats(w, "mean", n->attr.norm.mean, n->attr.norm.nchannels);
	dlw_arg_floats(w, "std", n->attr.norm.std, n->attr.norm.nchannels);
	dlw_end(w, n->in, 1);
}

/* A recurrent statement: every layer's and direction's weights under
 * `<prefix>.weight_ih_l<j>[_reverse]` and so on (docs/dsl.md). */
void write_rnn(struct writer *w, const struct rnn_group *grp, const char *ident)
{
	const struct ir_node *f = ir_node(w->g, grp->fwd[0]);
	const struct ir_node *last = ir_node(w->g, grp->fwd[grp->nlayers - 1]);
	struct wref *r = arena_array(w->a, (size_t)grp->nlayers * 8, sizeof *r);
	unsigned cnt = 0;
	bool bias = dlw_has_bias(f);
	for (uint32_t j = 0; j < grp->nlayers; j++) {
		for (unsigned dir = 0; dir < (grp->bidi ? 2u : 1u); dir++) {
			const struct ir_node *n = ir_node(w->g, dir ? grp->rev[j] : grp->fwd[j]);
			if (n->param[0] == IR_NONE || n->param[1] == IR_NONE ||
			    (n->param[2] == IR_NONE) != (n->param[3] == IR_NONE)) {
				w->cur = n;
				dlw_error(
				    w,
				    "the language reads both weights and both biases or no biases");
				return;
			}
			for (unsigned k = 0; k < (bias ? 4u : 2u); k++)
				r[cnt++] = (struct wref){
				    n->param[k],
				    arena_printf(w->a, "%s_l%u%s", ir_param_info(n->op, k)->pytorch,
				                 j, dir ? "_reverse" : "")};
		}
	}
	dlw_begin(w, ident, f->op == IR_LSTM ? FE_LAYER_LSTM : FE_LAYER_GRU);
	dlw_arg(w, "%" PRId64, f->attr.rnn.units);
	if (last->attr.rnn.return_sequences)
		dlw_arg(w, "return_sequences=true");
	if (grp->bidi)
		dlw_arg(w, "bidirectional=true");
	if (grp->nlayers > 1)
		dlw_arg(w, "num_layers=%u", grp->nlayers);
	if (!bias)
		dlw_arg(w, "bias=false");
	dlw_arg_params(w, ident, dlw_weight_prefix(w, ident, r, cnt));
	dlw_end(w, f->in, 1);
}

/* One elementwise step as a layer statement. */
static void put_step(struct writer *w, const struct ir_eltwise_step *s, const char *ident,
                     const char *in)
{
	switch (s->kind) {
	case IR_STEP_CLIP:
		dlw_begin(w, ident, FE_LAYER_CLIP);
		dlw_arg_float(w, "min", s->a);
		dlw_arg_float(w, "max", s->b);
		break;
	case IR_STEP_AFFINE:
		dlw_begin(w, ident, FE_LAYER_RESCALE);
		dlw_arg_float(w, "scale", s->a);
		dlw_arg_float(w, "offset", s->b);
		break;
	case IR_STEP_LEAKY_RELU:
		dlw_begin(w, ident, FE_LAYER_LEAKY_RELU);
		dlw_arg_float(w, "alpha", s->a);
		break;
	case IR_STEP_HARD_SIGMOID:
		dlw_begin(w, ident, FE_LAYER_HARD_SIGMOID);
		dlw_arg_float(w, "alpha", s->a);
		dlw_arg_float(w, "beta", s->b);
		break;
	default: {
		/* Any other step is the layer of its name (ir_steps.def), its
		 * numbers that layer's first parameters (elu's alpha, selu's
		 * alpha and gamma). */
		enum fe_layer_id id = s->kind > IR_STEP_NONE && s->kind < IR_STEP_COUNT
		                          ? fe_layer_find(ir_step_table[s->kind].name)
		                          : FE_LAYER_NONE;
		unsigned np = 0, nargs = id != FE_LAYER_NONE ? ir_step_table[s->kind].nargs : 0;
		const struct fe_param *ps = id != FE_LAYER_NONE ? fe_layer_params(id, &np) : NULL;
		if (id == FE_LAYER_NONE || np < nargs) {
			dlw_error(w, "elementwise step %d has no layer in the language",
			          (int)s->kind);
			return;
		}
		dlw_begin(w, ident, id);
		for (unsigned k = 0; k < nargs; k++)
			dlw_arg_float(w, ps[k].name, k ? s->b : s->a);
		break;
	}
	}
	dlw_end_named(w, in);
}

/* An elementwise chain: one statement per step, the intermediate values
 * named "<name>_s<k>". */
void write_eltwise(struct writer *w, const struct ir_node *n, const char *ident)
{
	const struct ir_eltwise_attr *e = &n->attr.eltwise;
	const char *in = w->ident[n->in[0]];
	for (unsigned k = 0; k < e->nsteps; k++) {
		const char *sid = k + 1 == e->nsteps
		                      ? ident
		                      : dlw_claim(w, arena_printf(w->a, "%s_s%u", ident, k + 1));
		put_step(w, &e->steps[k], sid, in);
		in = sid;
	}
}

/* The layer of the op's own name, with no arguments (flatten, relu,
 * sigmoid, tanh, add, matmul). */
void write_plain(struct writer *w, const struct ir_node *n, const char *ident)
{
	dlw_begin(w, ident, fe_layer_find(ir_op_table[n->op].name));
	dlw_end(w, n->in, n->nin);
}

/* scale_bias (made by fold-batchnorm) and any op without a layer. */
void write_none(struct writer *w, const struct ir_node *n, const char *ident)
{
	(void)n, (void)ident;
	dlw_error(w, "the op has no layer in the language; write the graph before optimization");
}

/* An lstm/gru direction that find_statements did not join into a
 * recurrent statement. */
void write_rnn_direction(struct writer *w, const struct ir_node *n, const char *ident)
{
	(void)n, (void)ident;
	dlw_error(w, "a reverse direction alone has no layer; the language runs one only in a "
	             "bidirectional layer");
}

void write_rescale(struct writer *w, const struct ir_node *n, const char *ident)
{
	dlw_begin(w, ident, FE_LAYER_RESCALE);
	dlw_arg_float(w, "scale", n->attr.rescale.scale);
	dlw_arg_float(w, "offset", n->attr.rescale.offset);
	dlw_end(w, n->in, 1);
}

void write_global_avgpool(struct writer *w, const struct ir_node *n, const char *ident)
{
	dlw_check_layout(w, n->attr.axis.layout);
	dlw_begin(w, ident, FE_LAYER_GLOBAL_AVGPOOL);
	dlw_end(w, n->in, 1);
}

void write_softmax(struct writer *w, const struct ir_node *n, const char *ident)
{
	dlw_begin(w, ident, n->attr.axis.log ? FE_LAYER_LOG_SOFTMAX : FE_LAYER_SOFTMAX);
	dlw_arg(w, "axis=%d", n->attr.axis.axis);
	dlw_end(w, n->in, 1);
}

void write_attention(struct writer *w, const struct ir_node *n, const char *ident)
{
	const struct ir_attention_attr *a = &n->attr.attention;
	dlw_begin(w, ident, FE_LAYER_ATTENTION);
	dlw_arg(w, "heads=%d", a->heads);
	if (a->causal)
		dlw_arg(w, "causal=true");
	dlw_arg_float(w, "scale", a->scale);
	dlw_end(w, n->in, n->nin);
}

void write_batchnorm(struct writer *w, const struct ir_node *n, const char *ident)
{
	dlw_begin(w, ident, FE_LAYER_BATCHNORM);
	if (n->attr.bn.epsilon != 1e-5f)
		dlw_arg_float(w, "epsilon", n->attr.bn.epsilon);
	dlw_arg(w, "axis=%d", n->attr.bn.axis);
	dlw_layer_weights(w, n, ident);
	dlw_end(w, n->in, 1);
}

void write_layer_norm(struct writer *w, const struct ir_node *n, const char *ident)
{
	dlw_begin(w, ident, FE_LAYER_LAYER_NORM);
	dlw_arg(w, "axis=%d", n->attr.bn.axis);
	if (n->attr.bn.epsilon != 1e-5f)
		dlw_arg_float(w, "epsilon", n->attr.bn.epsilon);
	dlw_layer_weights(w, n, ident);
	dlw_end(w, n->in, 1);
}

void write_dropout(struct writer *w, const struct ir_node *n, const char *ident)
{
	dlw_begin(w, ident, FE_LAYER_DROPOUT);
	dlw_arg_float(w, "rate", n->attr.dropout.rate);
	dlw_end(w, n->in, 1);
}

void write_concat(struct writer *w, const struct ir_node *n, const char *ident)
{
	dlw_begin(w, ident, FE_LAYER_CONCAT);
	dlw_arg(w, "axis=%d", n->attr.axis.axis);
	dlw_end(w, n->in, n->nin);
}

void write_clip(struct writer *w, const struct ir_node *n, const char *ident)
{
	dlw_begin(w, ident, FE_LAYER_CLIP);
	dlw_arg_float(w, "min", n->attr.clip.min);
	dlw_arg_float(w, "max", n->attr.clip.max);
	dlw_end(w, n->in, 1);
}

void write_zeropad2d(struct writer *w, const struct ir_node *n, const char *ident)
{
	dlw_check_layout(w, n->attr.pad.layout);
	dlw_begin(w, ident, FE_LAYER_ZEROPAD2D);
	dlw_arg_pad(w, IR_PAD_EXPLICIT, n->attr.pad.pad, false);
	dlw_end(w, n->in, 1);
}

void write_embedding(struct writer *w, const struct ir_node *n, const char *ident)
{
	const struct ir_index_attr *a = &n->attr.index;
	dlw_begin(w, ident, FE_LAYER_EMBEDDING);
	dlw_arg(w, "%" PRId64, a->size);
	dlw_arg(w, "%" PRId64,
	        a->dim ? a->dim : ir_val(w->g, n->out)->type.dims[dlw_rank(w, n->out) - 1]);
	dlw_layer_weights(w, n, ident);
	dlw_end(w, n->in, 1);
}

void write_onehot(struct writer *w, const struct ir_node *n, const char *ident)
{
	dlw_begin(w, ident, FE_LAYER_ONEHOT);
	dlw_arg(w, "%" PRId64, n->attr.index.size);
	dlw_end(w, n->in, 1);
}

void write_timestep(struct writer *w, const struct ir_node *n, const char *ident)
{
	dlw_begin(w, ident, FE_LAYER_TIMESTEP);
	dlw_arg(w, "%" PRId64, n->attr.select.index);
	dlw_end(w, n->in, 1);
}

/* ---- the tensor ops of ONNX import (issue 6) ---- */

/* add/sub/mul/div/...: the layer of the binary op's name. */
void write_binary(struct writer *w, const struct ir_node *n, const char *ident)
{
	dlw_begin(w, ident, fe_layer_find(ir_binop_name(n->attr.binary.op)));
	dlw_end(w, n->in, n->nin);
}

void write_compare(struct writer *w, const struct ir_node *n, const char *ident)
{
	static const enum fe_layer_id layers[] = {
		[IR_CMP_EQ] = FE_LAYER_EQUAL, [IR_CMP_NE] = FE_LAYER_NOT_EQUAL,
		[IR_CMP_LT] = FE_LAYER_LESS,  [IR_CMP_LE] = FE_LAYER_LESS_EQUAL,
		[IR_CMP_GT] = FE_LAYER_GREATER, [IR_CMP_GE] = FE_LAYER_GREATER_EQUAL,
	};
	DLC_ASSERT(n->attr.compare.op > IR_CMP_NONE && n->attr.compare.op <= IR_CMP_LAST);
	dlw_begin(w, ident, layers[n->attr.compare.op]);
	dlw_end(w, n->in, n->nin);
}

void write_cast(struct writer *w, const struct ir_node *n, const char *ident)
{
	dlw_begin(w, ident, FE_LAYER_CAST);
	dlw_arg(w, "to=%s", ir_dtype_name(n->attr.cast.to));
	dlw_end(w, n->in, 1);
}

void write_gather_elements(struct writer *w, const struct ir_node *n, const char *ident)
{
	dlw_begin(w, ident, FE_LAYER_GATHER_ELEMENTS);
	dlw_arg(w, "axis=%d", n->attr.gather_elements.axis);
	dlw_end(w, n->in, 2);
}

void write_cumsum(struct writer *w, const struct ir_node *n, const char *ident)
{
	const struct ir_cumsum_attr *a = &n->attr.cumsum;
	dlw_begin(w, ident, FE_LAYER_CUMSUM);
	dlw_arg(w, "axis=%d", a->axis);
	if (a->exclusive)
		dlw_arg(w, "exclusive=true");
	if (a->reverse)
		dlw_arg(w, "reverse=true");
	dlw_end(w, n->in, 1);
}

void write_topk(struct writer *w, const struct ir_node *n, const char *ident)
{
	const struct ir_topk_attr *a = &n->attr.topk;
	dlw_begin(w, ident, FE_LAYER_TOPK);
	dlw_arg(w, "k=%" PRId64, a->k);
	dlw_arg(w, "axis=%d", a->axis);
	if (!a->largest)
		dlw_arg(w, "largest=false");
	dlw_end(w, n->in, 1);
}

void write_resize(struct writer *w, const struct ir_node *n, const char *ident)
{
	const struct ir_resize_attr *a = &n->attr.resize;
	dlw_begin(w, ident, FE_LAYER_RESIZE);
	dlw_arg_ints(w, "size", a->out, a->rank);
	dlw_arg_floats(w, "scales", a->scale, a->rank);
	dlw_arg(w, "mode=%s", ir_resize_modes[a->mode]);
	dlw_arg(w, "coord=%s", ir_resize_coords[a->coord]);
	if (a->mode == IR_RESIZE_NEAREST)
		dlw_arg(w, "nearest=%s", ir_resize_rounds[a->nearest]);
	if (a->mode == IR_RESIZE_CUBIC) {
		dlw_arg_float(w, "cubic_a", a->cubic_a);
		if (a->exclude_outside)
			dlw_arg(w, "exclude_outside=true");
	}
	dlw_end(w, n->in, 1);
}

void write_arg(struct writer *w, const struct ir_node *n, const char *ident)
{
	const struct ir_arg_attr *a = &n->attr.arg;
	dlw_begin(w, ident, n->op == IR_ARGMAX ? FE_LAYER_ARGMAX : FE_LAYER_ARGMIN);
	dlw_arg(w, "axis=%d", a->axis);
	dlw_arg(w, "keepdims=%s", a->keepdims ? "true" : "false");
	if (a->last)
		dlw_arg(w, "last=true");
	dlw_end(w, n->in, 1);
}

void write_reduce(struct writer *w, const struct ir_node *n, const char *ident)
{
	const struct ir_reduce_attr *a = &n->attr.reduce;
	dlw_begin(w, ident, fe_layer_find(ir_op_table[n->op].name));
	dlw_arg_int_list(w, "axes", a->axes, a->naxes);
	dlw_arg(w, "keepdims=%s", a->keepdims ? "true" : "false");
	dlw_end(w, n->in, 1);
}

void write_slice(struct writer *w, const struct ir_node *n, const char *ident)
{
	const struct ir_slice_attr *a = &n->attr.slice;
	dlw_begin(w, ident, FE_LAYER_SLICE);
	dlw_arg(w, "axis=%d", a->axis);
	dlw_arg(w, "start=%" PRId64, a->start);
	dlw_arg(w, "end=%" PRId64, a->end);
	dlw_arg(w, "step=%" PRId64, a->step);
	dlw_end(w, n->in, 1);
}

void write_pad(struct writer *w, const struct ir_node *n, const char *ident)
{
	dlw_begin(w, ident, FE_LAYER_PAD);
	dlw_arg_ints(w, "pads", n->attr.pad_nd.pads, n->attr.pad_nd.npads);
	dlw_arg_float(w, "value", n->attr.pad_nd.value);
	dlw_end(w, n->in, 1);
}

void write_broadcast(struct writer *w, const struct ir_node *n, const char *ident)
{
	dlw_begin(w, ident, FE_LAYER_BROADCAST);
	dlw_arg_ints(w, "dims", n->attr.broadcast.dims, n->attr.broadcast.rank);
	dlw_end(w, n->in, 1);
}

void write_gather(struct writer *w, const struct ir_node *n, const char *ident)
{
	dlw_begin(w, ident, FE_LAYER_GATHER);
	dlw_arg(w, "axis=%d", n->attr.gather.axis);
	dlw_arg_ints(w, "indices", n->attr.gather.idx, (unsigned)n->attr.gather.nidx);
	dlw_end(w, n->in, 1);
}

void write_transpose(struct writer *w, const struct ir_node *n, const char *ident)
{
	int64_t perm[IR_MAX_RANK];
	for (unsigned k = 0; k < n->attr.transpose.rank; k++)
		perm[k] = n->attr.transpose.perm[k];
	dlw_begin(w, ident, FE_LAYER_TRANSPOSE);
	dlw_arg_ints(w, "perm", perm, n->attr.transpose.rank);
	dlw_end(w, n->in, 1);
}
