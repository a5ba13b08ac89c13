/* lower_norm.c - layer_norm: rows normalized to mean 0 and variance 1,
 * then scaled and shifted per element of the row.
 *
 * A row is the elements of the axes from the layer's axis on, contiguous
 * in C order. Per row: the sum, the mean, the sum of squared deviations
 * (two passes, as the reference interpreter's interp_layer_norm, each a
 * vector accumulation summed across lanes at the end, so in another order
 * than the interpreter's: results agree within rounding), then one pass
 * writing (x - mean) * inv * weight + bias with inv = 1 / sqrt(var + eps). */
#include "cg.h"

#include "check.h"
#include "lower.h"

/* The lane-wise sum over row[0, len) of f(x) (f: x itself, or (x -
 * mean)^2 when mean is given) in a vector accumulator, whole vectors then
 * the masked tail, summed across lanes in lane order (cg_hreduce). */
static LLVMValueRef row_sum(struct cg *c, LLVMValueRef x, LLVMValueRef base, int64_t len,
                            LLVMValueRef mean, const char *name)
{
	int vw = cg_vec_floats(c);
	LLVMTypeRef vty = cg_vec_type(c);
	LLVMValueRef acc = cg_entry_var(c, vty, 0, name);
	LLVMBuildStore(c->b, cg_vconst(c, vty, 0), acc);
	LLVMValueRef m = mean ? cg_splat(c, vty, mean, "mean.v") : NULL;
	int64_t full = len / vw, tail = len % vw;
	for (int part = 0; part < 2; part++) {
		if (part ? !tail : !full)
			continue;
		struct cg_loop l;
		LLVMValueRef j = part ? cg_i64(c, full) : cg_loop_begin(c, &l, full, "v");
		LLVMValueRef at = cg_madd(c, j, vw, base, "at");
		int lanes = part ? (int)tail : vw;
		LLVMValueRef v = cg_vload(c, vty, x, at, lanes, 4);
		if (m) {
			v = LLVMBuildFSub(c->b, v, m, "d");
			v = LLVMBuildFMul(c->b, v, v, "d2");
			if (part) /* the lanes past the row read 0: their (0 - mean)^2 is not */
				v = LLVMBuildSelect(c->b, cg_vmask(c, vty, lanes), v, cg_vconst(c, vty, 0), "");
		}
		LLVMBuildStore(c->b, LLVMBuildFAdd(c->b, LLVMBuildLoad2(c->b, vty, acc, ""), v, "acc"),
		               acc);
		if (!part)
			cg_loop_end(c, &l);
	}
	return cg_hreduce(c, LLVMBuildLoad2(c->b, vty, acc, "lanes"), false);
}

/* Per row of the normalized axes: the mean and the variance by vector
 * sums (row_sum), then y = (x - mean) * inv * w + b, a loop LLVM
 * vectorizes. The sums run in another order than the interpreter's
 * (rounding differences only). */
void lower_layer_norm(struct cg *c, const struct ir_node *n)
{
	const struct ir_batchnorm_attr *a = &n->attr.bn;
	struct ir_split s = ir_split_at(cg_type(c, n->out), a->axis);
	int64_t len = s.len * s.inner;
	LLVMValueRef x = c->addr[n->in[0]], y = c->addr[n->out];
	LLVMValueRef w = c->addr[n->param[0]], b = c->addr[n->param[1]];
	struct cg_loop lo, li;
	LLVMValueRef o = cg_loop_begin(c, &lo, s.outer, "row");
	LLVMValueRef base = cg_mul(c, o, cg_i64(c, len), "base");
	LLVMValueRef count = cg_f32(c, (double)(float)len);
	LLVMValueRef mean = LLVMBuildFDiv(c->b, row_sum(c, x, base, len, NULL, "sum"), count, "mean");
	LLVMValueRef var = LLVMBuildFDiv(c->b, row_sum(c, x, base, len, mean, "sq"), count, "var");
	var = LLVMBuildFAdd(c->b, var, cg_f32(c, (double)a->epsilon), "var.eps");
	LLVMValueRef inv = LLVMBuildFDiv(c->b, cg_f32(c, 1), cg_vintrinsic(c, "llvm.sqrt", var),
	                                 "inv");
	LLVMValueRef i = cg_loop_begin(c, &li, len, "i");
	LLVMValueRef at = cg_add(c, base, i, "at");
	LLVMValueRef d = LLVMBuildFSub(c->b, cg_load(c, x, at, "x"), mean, "d");
	LLVMValueRef r = LLVMBuildFMul(c->b, LLVMBuildFMul(c->b, d, inv, ""), cg_load(c, w, i, "w"), "");
	cg_store(c, LLVMBuildFAdd(c->b, r, cg_load(c, b, i, "b"), "y"), y, at);
	cg_loop_end(c, &li);
	cg_loop_end(c, &lo);
}
