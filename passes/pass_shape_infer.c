/* pass_shape_infer.c - shape inference: types every value, resolves
 * padding modes into explicit pads and symbolic axes into numbers, and
 * sets the expected type of every weight parameter.
 *
 * One forward sweep over the schedule. Each op has a rule (the shape
 * column of ir_ops.def; shape_layers.c, shape_ops.c); a rule
 * that finds a user error (a shape mismatch, groups not dividing the
 * channels, a kernel larger than its input) reports it at the layer's
 * statement and leaves the output untyped; nodes that consume an untyped
 * value are skipped silently, so one mistake gives one message while
 * independent mistakes are all reported. All size arithmetic is checked:
 * a tensor above IR_MAX_TENSOR_BYTES is an error, so later stages can
 * compute sizes freely. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "pass.h"
#include "shape.h"


typedef bool shape_rule(struct shape_ctx *s, struct ir_node *n, struct ir_type *y);

static shape_rule *const rules[IR_OP_COUNT] = {
#define IR_OP(id, name, min_in, max_in, nparams, flags, attrs, shape, interp, lower, layout, \
              params, step, dl)                                                             \
	[IR_##id] = shape_##shape,
#include "ir_ops.def"
};

static const char *tstr(const struct ir_type *t, char *buf, size_t n)
{
	return ir_type_str(t, buf, n);
}

static bool infer_node(struct shape_ctx *s, struct ir_node *n, struct ir_type *y)
{
	char buf[200];
	bool ids = ir_op_table[n->op].flags & IR_F_IDS;
	bool typed = ir_op_table[n->op].flags & IR_F_TYPED; /* its rule checks dtypes */
	for (unsigned k = 0; k < n->nin && !typed; k++) {
		const struct ir_type *t = &s->g->vals[n->in[k]].type;
		enum ir_dtype_class dc = ir_dtype_class(t->dtype);
		bool is_int = t->dtype == IR_DT_I32 || t->dtype == IR_DT_I64;
		if (ids && !is_int) {
			diag_error(s->d, n->loc, "%s '%s' needs integer ids (i32 or i64), but '%s' is %s",
			           ir_op_table[n->op].name, n->name, s->g->vals[n->in[k]].name,
			           tstr(t, buf, sizeof buf));
			return false;
		}
		if (!ids && t->dtype != IR_DT_F32) {
			diag_error(s->d, n->loc, "%s '%s' needs f32 input, but '%s' is %s",
			           ir_op_table[n->op].name, n->name, s->g->vals[n->in[k]].name,
			           tstr(t, buf, sizeof buf));
			if (dc == IR_DC_SIGNED || dc == IR_DC_UNSIGNED || dc == IR_DC_BOOL)
				diag_note(s->d, n->loc, "only embedding, onehot and the typed tensor ops "
				          "(binary, compare, not, where, cast, argmax, argmin, "
				          "reshape, flatten) read integer tensors");
			return false;
		}
	}
	for (unsigned k = 0; k < n->nin && !(ir_op_table[n->op].flags & IR_F_SCALAR); k++) {
		const struct ir_value *v = &s->g->vals[n->in[k]];
		if (v->type.rank > 0)
			continue;
		diag_error(s->d, n->loc, "%s '%s' needs an input with at least one dimension, but "
		           "'%s' is the scalar %s", ir_op_table[n->op].name, n->name, v->name,
		           tstr(&v->type, buf, sizeof buf));
		diag_note(s->d, n->loc, "reshape it to [1] first; scalars are read by the "
		          "elementwise, comparison, where, cast, reshape and broadcast ops");
		return false;
	}
	return rules[n->op](s, n, y);
}

static bool check_input(struct shape_ctx *s, struct ir_value *v)
{
	int64_t bytes = (int64_t)ir_dtype_size(v->type.dtype);
	if (bytes == 0) /* rank 0 is a scalar */
		return false;
	for (unsigned i = 0; i < v->type.rank; i++) {
		if (v->type.dims[i] <= 0 || ckd_mul_i64(&bytes, bytes, v->type.dims[i]) ||
		    bytes > IR_MAX_TENSOR_BYTES) {
			diag_error(s->d, v->loc, "input '%s' is too large (more than %" PRId64 " bytes)",
			           v->name, IR_MAX_TENSOR_BYTES);
			v->type.dtype = IR_DT_NONE;
			return false;
		}
	}
	return true;
}

static bool run(struct pass_ctx *ctx)
{
	struct shape_ctx s = { ctx->g, ctx->diag };
	struct ir_graph *g = ctx->g;
	bool ok = true;
	for (uint32_t i = 0; i < g->ninputs; i++)
		ok = check_input(&s, &g->vals[g->inputs[i]]) && ok;
	for (uint32_t i = 0; i < g->nnodes; i++) {
		struct ir_node *n = &g->nodes[i];
		bool ready = true;
		for (unsigned k = 0; k < n->nin; k++)
			ready &= g->vals[n->in[k]].type.dtype != IR_DT_NONE;
		if (!ready) {
			ok = false; /* an earlier error; stay quiet */
			continue;
		}
		struct ir_type y;
		memset(&y, 0, sizeof y);
		if (infer_node(&s, n, &y))
			g->vals[n->out].type = y;
		else
			ok = false;
	}
	return ok;
}

const struct pass pass_shape_infer = {
	.name = "shape-infer",
	.summary = "infer every tensor's type, resolve padding and axes, check shapes",
	.run = run,
	.stage = IR_STAGE_TYPED,
	.min_opt = 0,
};
