/* lower_layout.c - ops that only move data: concat (one memcpy per input
 * and outer row, none for the inputs the memory plan computed straight
 * into their slice of the output) and transpose (a loop nest over the
 * output in memory order, gathering from the input). Both move elements
 * of any dtype. */
#include "cg.h"

#include "check.h"
#include "lower.h"

void lower_concat(struct cg *c, const struct ir_node *n)
{
	int axis = n->attr.axis.axis;
	struct ir_split ys = ir_split_at(cg_type(c, n->out), axis);
	int64_t off = 0;
	for (unsigned k = 0; k < n->nin; k++) {
		struct ir_split xs = ir_split_at(cg_type(c, n->in[k]), axis);
		DLC_ASSERT(xs.outer == ys.outer && xs.inner == ys.inner);
		if (plan_concat_slice(c->plan, n->in[k], n->out)) {
			off += xs.len; /* planned into its slice: already in place */
			continue;
		}
		int64_t chunk = xs.len * xs.inner;
		enum ir_dtype dt = cg_type(c, n->out)->dtype;
		LLVMTypeRef ety = cg_dtype(c, dt);
		unsigned es = (unsigned)ir_dtype_size(dt);
		struct cg_loop l;
		LLVMValueRef o = cg_loop_begin(c, &l, ys.outer, "o");
		LLVMValueRef at = cg_madd(c, o, ys.len * ys.inner, cg_i64(c, off * ys.inner), "");
		LLVMValueRef dst = LLVMBuildInBoundsGEP2(c->b, ety, c->addr[n->out], &at, 1, "dst");
		LLVMValueRef from = cg_mul(c, o, cg_i64(c, chunk), "");
		LLVMValueRef src = LLVMBuildInBoundsGEP2(c->b, ety, c->addr[n->in[k]], &from, 1, "src");
		LLVMBuildMemCpy(c->b, dst, es, src, es, cg_i64(c, chunk * es));
		cg_loop_end(c, &l);
		off += xs.len;
	}
	DLC_ASSERT(off == ys.len);
}

/* out[i_0..i_r] = x[sum_k i_k * stride_in[perm[k]]]: loops over the
 * output in memory order, gathering from the input. */
void lower_transpose(struct cg *c, const struct ir_node *n)
{
	const struct ir_type *xt = cg_type(c, n->in[0]), *yt = cg_type(c, n->out);
	const struct ir_transpose_attr *a = &n->attr.transpose;
	int64_t xstride[IR_MAX_RANK], st = 1;
	for (unsigned i = xt->rank; i-- > 0;) {
		xstride[i] = st;
		st *= xt->dims[i];
	}
	struct cg_loop l[IR_MAX_RANK];
	LLVMValueRef src = cg_i64(c, 0), dst = cg_i64(c, 0);
	for (unsigned k = 0; k < a->rank; k++) {
		LLVMValueRef i = cg_loop_begin(c, &l[k], yt->dims[k], "t");
		dst = cg_madd(c, dst, yt->dims[k], i, "dst");
		src = cg_add(c, src, cg_mul(c, i, cg_i64(c, xstride[a->perm[k]]), ""), "src");
	}
	cg_tstore(c, yt->dtype, cg_tload(c, yt->dtype, c->addr[n->in[0]], src, "x"), c->addr[n->out],
	          dst);
	for (unsigned k = a->rank; k-- > 0;)
		cg_loop_end(c, &l[k]);
}
