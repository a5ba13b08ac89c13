/* lower_norm.c - layer_norm: rows normalized to mean 0 and variance 1,
 * then scaled and shifted per element of the row.
 *
 * A row is the elements of the axes from the layer's axis on, contiguous
 * in C order. Per row: the sum, the mean, the sum of squared deviations
 * (two passes, as the reference interpreter's interp_layer_norm, in the
 * same order and with the same operations, so results agree with it),
 * then one pass writing (x - mean) * inv * weight + bias with
 * inv = 1 / sqrt(var + eps). */
#include "cg.h"

#include "check.h"
#include "lower.h"

void lower_layer_norm(struct cg *c, const struct ir_node *n)
{
	const struct ir_batchnorm_attr *a = &n->attr.bn;
	struct ir_split s = ir_split_at(cg_type(c, n->out), a->axis);
	int64_t len = s.len * s.inner;
	LLVMValueRef x = c->addr[n->in[0]], y = c->addr[n->out];
	LLVMValueRef w = c->addr[n->param[0]], b = c->addr[n->param[1]];
	LLVMValueRef sum = cg_var(c, "sum"), sq = cg_var(c, "sq");
	struct cg_loop lo, li;
	LLVMValueRef o = cg_loop_begin(c, &lo, s.outer, "row");
	LLVMValueRef base = cg_mul(c, o, cg_i64(c, len), "base");
	LLVMBuildStore(c->b, cg_f32(c, 0), sum);
	LLVMBuildStore(c->b, cg_f32(c, 0), sq);

	LLVMValueRef i = cg_loop_begin(c, &li, len, "i");
	LLVMValueRef v = cg_load(c, x, cg_add(c, base, i, ""), "x");
	LLVMBuildStore(c->b, LLVMBuildFAdd(c->b, LLVMBuildLoad2(c->b, c->t_f32, sum, ""), v, "s"),
	               sum);
	cg_loop_end(c, &li);
	LLVMValueRef mean = LLVMBuildFDiv(c->b, LLVMBuildLoad2(c->b, c->t_f32, sum, "total"),
	                                  cg_f32(c, (double)(float)len), "mean");

	i = cg_loop_begin(c, &li, len, "i");
	LLVMValueRef d = LLVMBuildFSub(c->b, cg_load(c, x, cg_add(c, base, i, ""), "x"), mean, "d");
	LLVMValueRef acc = LLVMBuildLoad2(c->b, c->t_f32, sq, "");
	LLVMBuildStore(c->b, LLVMBuildFAdd(c->b, acc, LLVMBuildFMul(c->b, d, d, "d2"), "s"), sq);
	cg_loop_end(c, &li);
	LLVMValueRef var = LLVMBuildFDiv(c->b, LLVMBuildLoad2(c->b, c->t_f32, sq, "ss"),
	                                 cg_f32(c, (double)(float)len), "var");
	var = LLVMBuildFAdd(c->b, var, cg_f32(c, (double)a->epsilon), "var.eps");
	LLVMValueRef inv = LLVMBuildFDiv(c->b, cg_f32(c, 1), cg_vintrinsic(c, "llvm.sqrt", var),
	                                 "inv");

	i = cg_loop_begin(c, &li, len, "i");
	LLVMValueRef at = cg_add(c, base, i, "at");
	d = LLVMBuildFSub(c->b, cg_load(c, x, at, "x"), mean, "d");
	LLVMValueRef r = LLVMBuildFMul(c->b, LLVMBuildFMul(c->b, d, inv, ""), cg_load(c, w, i, "w"), "");
	cg_store(c, LLVMBuildFAdd(c->b, r, cg_load(c, b, i, "b"), "y"), y, at);
	cg_loop_end(c, &li);
	cg_loop_end(c, &lo);
}
