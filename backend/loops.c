/* loops.c - the small vocabulary the op lowerings are written in: counted
 * loops, conditionals, entry-block variables, index arithmetic, element
 * access and scalar math. Loops are emitted in the plain top-tested form;
 * LLVM's pipeline rotates and simplifies them. */
#include "cg.h"

#include <stdio.h>
#include <string.h>

#include "check.h"

LLVMValueRef cg_i64(struct cg *c, int64_t v)
{
	return LLVMConstInt(c->t_i64, (unsigned long long)v, 1);
}

LLVMValueRef cg_f32(struct cg *c, double v)
{
	return LLVMConstReal(c->t_f32, v);
}

LLVMValueRef cg_loop_begin(struct cg *c, struct cg_loop *l, int64_t n, const char *name)
{
	char bname[64];
	l->pre = LLVMGetInsertBlock(c->b);
	/* Blocks and values share one namespace: suffixes keep `name` for iv. */
	snprintf(bname, sizeof bname, "%s.head", name);
	l->header = LLVMAppendBasicBlockInContext(c->ctx, c->fn, bname);
	snprintf(bname, sizeof bname, "%s.body", name);
	l->body = LLVMAppendBasicBlockInContext(c->ctx, c->fn, bname);
	snprintf(bname, sizeof bname, "%s.end", name);
	l->exit = LLVMAppendBasicBlockInContext(c->ctx, c->fn, bname);
	LLVMBuildBr(c->b, l->header);
	LLVMPositionBuilderAtEnd(c->b, l->header);
	l->iv = LLVMBuildPhi(c->b, c->t_i64, name);
	LLVMValueRef more = LLVMBuildICmp(c->b, LLVMIntSLT, l->iv, cg_i64(c, n), "more");
	LLVMBuildCondBr(c->b, more, l->body, l->exit);
	LLVMPositionBuilderAtEnd(c->b, l->body);
	return l->iv;
}

void cg_loop_end(struct cg *c, struct cg_loop *l)
{
	LLVMValueRef next = LLVMBuildAdd(c->b, l->iv, cg_i64(c, 1), "next");
	LLVMBasicBlockRef latch = LLVMGetInsertBlock(c->b);
	LLVMBuildBr(c->b, l->header);
	LLVMValueRef vals[2] = { cg_i64(c, 0), next };
	LLVMBasicBlockRef from[2] = { l->pre, latch };
	LLVMAddIncoming(l->iv, vals, from, 2);
	/* Keep blocks in program order so that --emit=llvm reads top down. */
	LLVMMoveBasicBlockAfter(l->exit, latch);
	LLVMPositionBuilderAtEnd(c->b, l->exit);
}

LLVMBasicBlockRef cg_if_begin(struct cg *c, LLVMValueRef cond, const char *name)
{
	LLVMBasicBlockRef then = LLVMAppendBasicBlockInContext(c->ctx, c->fn, name);
	LLVMBasicBlockRef after = LLVMAppendBasicBlockInContext(c->ctx, c->fn, name);
	LLVMBuildCondBr(c->b, cond, then, after);
	LLVMPositionBuilderAtEnd(c->b, then);
	return after;
}

void cg_if_end(struct cg *c, LLVMBasicBlockRef after)
{
	LLVMBasicBlockRef last = LLVMGetInsertBlock(c->b);
	LLVMBuildBr(c->b, after);
	LLVMMoveBasicBlockAfter(after, last);
	LLVMPositionBuilderAtEnd(c->b, after);
}

LLVMValueRef cg_var(struct cg *c, const char *name)
{
	return cg_entry_var(c, c->t_f32, 0, name);
}

LLVMValueRef cg_add(struct cg *c, LLVMValueRef a, LLVMValueRef b, const char *name)
{
	return LLVMBuildNSWAdd(c->b, a, b, name);
}

LLVMValueRef cg_mul(struct cg *c, LLVMValueRef a, LLVMValueRef b, const char *name)
{
	return LLVMBuildNSWMul(c->b, a, b, name);
}

LLVMValueRef cg_madd(struct cg *c, LLVMValueRef a, int64_t m, LLVMValueRef b, const char *name)
{
	return cg_add(c, cg_mul(c, a, cg_i64(c, m), ""), b, name);
}

LLVMValueRef cg_min(struct cg *c, LLVMValueRef a, LLVMValueRef b, const char *name)
{
	return LLVMBuildSelect(c->b, LLVMBuildICmp(c->b, LLVMIntSLT, a, b, ""), a, b, name);
}

LLVMValueRef cg_elem(struct cg *c, LLVMValueRef base, LLVMValueRef i, const char *name)
{
	return LLVMBuildInBoundsGEP2(c->b, c->t_f32, base, &i, 1, name);
}

LLVMValueRef cg_load(struct cg *c, LLVMValueRef base, LLVMValueRef i, const char *name)
{
	return LLVMBuildLoad2(c->b, c->t_f32, cg_elem(c, base, i, ""), name);
}

void cg_store(struct cg *c, LLVMValueRef v, LLVMValueRef base, LLVMValueRef i)
{
	LLVMBuildStore(c->b, v, cg_elem(c, base, i, ""));
}

LLVMValueRef cg_clamp_index(struct cg *c, LLVMValueRef i, int64_t n, const char *name)
{
	LLVMValueRef neg = LLVMBuildICmp(c->b, LLVMIntSLT, i, cg_i64(c, 0), "neg");
	i = LLVMBuildSelect(c->b, neg, cg_i64(c, 0), i, "");
	return cg_min(c, i, cg_i64(c, n - 1), name);
}

LLVMValueRef cg_in_range(struct cg *c, LLVMValueRef i, int64_t n, const char *name)
{
	return LLVMBuildICmp(c->b, LLVMIntULT, i, cg_i64(c, n), name);
}

LLVMValueRef cg_intrinsic(struct cg *c, const char *name, LLVMValueRef x)
{
	return cg_call_intrinsic(c, name, &c->t_f32, 1, &x, 1);
}

LLVMValueRef cg_rloop_begin(struct cg *c, struct cg_rloop *l, LLVMValueRef lo, LLVMValueRef hi,
                            const char *tag, const char *name)
{
	char bname[32];
	l->pre = LLVMGetInsertBlock(c->b);
	l->lo = lo;
	snprintf(bname, sizeof bname, "%s.head", tag);
	l->header = LLVMAppendBasicBlockInContext(c->ctx, c->fn, bname);
	snprintf(bname, sizeof bname, "%s.body", tag);
	l->body = LLVMAppendBasicBlockInContext(c->ctx, c->fn, bname);
	snprintf(bname, sizeof bname, "%s.end", tag);
	l->exit = LLVMAppendBasicBlockInContext(c->ctx, c->fn, bname);
	LLVMBuildBr(c->b, l->header);
	LLVMPositionBuilderAtEnd(c->b, l->header);
	l->iv = LLVMBuildPhi(c->b, c->t_i64, name);
	LLVMBuildCondBr(c->b, LLVMBuildICmp(c->b, LLVMIntSLT, l->iv, hi, "more"), l->body, l->exit);
	LLVMPositionBuilderAtEnd(c->b, l->body);
	return l->iv;
}

void cg_rloop_end(struct cg *c, struct cg_rloop *l)
{
	LLVMValueRef next = LLVMBuildAdd(c->b, l->iv, cg_i64(c, 1), "next");
	LLVMBasicBlockRef latch = LLVMGetInsertBlock(c->b);
	LLVMBuildBr(c->b, l->header);
	LLVMValueRef vals[2] = { l->lo, next };
	LLVMBasicBlockRef from[2] = { l->pre, latch };
	LLVMAddIncoming(l->iv, vals, from, 2);
	LLVMMoveBasicBlockAfter(l->exit, latch);
	LLVMPositionBuilderAtEnd(c->b, l->exit);
}

/* ---- operands and 4-D activations ---- */
struct cg_t4 cg_t4_of(const struct ir_type *t, enum ir_layout layout)
{
	DLC_ASSERT(t->rank == 4);
	if (layout == IR_LAYOUT_NCHW)
		return (struct cg_t4){ t->dims[0], t->dims[1], t->dims[2], t->dims[3], layout };
	return (struct cg_t4){ t->dims[0], t->dims[3], t->dims[1], t->dims[2], IR_LAYOUT_NHWC };
}

LLVMValueRef cg_t4_at(struct cg *c, const struct cg_t4 *t, LLVMValueRef n, LLVMValueRef ch,
                      LLVMValueRef h, LLVMValueRef w)
{
	if (t->layout == IR_LAYOUT_NCHW)
		return cg_madd(c, cg_madd(c, cg_madd(c, n, t->c, ch, ""), t->h, h, ""), t->w, w, "at");
	return cg_madd(c, cg_madd(c, cg_madd(c, n, t->h, h, ""), t->w, w, ""), t->c, ch, "at");
}


void cg_nest4_begin(struct cg *c, struct cg_nest4 *ns, const struct cg_t4 *t, LLVMValueRef iv[4])
{
	static const char *const names[4] = { "n", "c", "h", "w" };
	const int64_t size[4] = { t->n, t->c, t->h, t->w };
	static const int nchw[4] = { 0, 1, 2, 3 }, nhwc[4] = { 0, 2, 3, 1 };
	const int *order = t->layout == IR_LAYOUT_NCHW ? nchw : nhwc;
	for (int k = 0; k < 4; k++)
		iv[order[k]] = cg_loop_begin(c, &ns->l[k], size[order[k]], names[order[k]]);
}

void cg_nest4_end(struct cg *c, struct cg_nest4 *ns)
{
	for (int k = 3; k >= 0; k--)
		cg_loop_end(c, &ns->l[k]);
}


const struct ir_type *cg_type(struct cg *c, uint32_t v)
{
	return &c->g->vals[v].type;
}

LLVMValueRef cg_param(struct cg *c, const struct ir_node *n, unsigned k)
{
	return n->param[k] == IR_NONE ? NULL : c->addr[n->param[k]];
}

LLVMValueRef cg_tap(struct cg *c, LLVMValueRef out, int64_t stride, int64_t pad, LLVMValueRef k,
                    int64_t dilation, const char *name)
{
	LLVMValueRef base = cg_add(c, cg_mul(c, out, cg_i64(c, stride), ""), cg_i64(c, -pad), "");
	return cg_madd(c, k, dilation, base, name);
}

void cg_nest_begin(struct cg *c, struct cg_nest *ns, const int64_t *dims, unsigned rank,
                   LLVMValueRef *iv)
{
	ns->rank = rank;
	for (unsigned k = 0; k < rank; k++)
		iv[k] = cg_loop_begin(c, &ns->l[k], dims[k], "d");
}

void cg_nest_end(struct cg *c, struct cg_nest *ns)
{
	for (unsigned k = ns->rank; k-- > 0;)
		cg_loop_end(c, &ns->l[k]);
}

LLVMValueRef cg_offset(struct cg *c, LLVMValueRef *iv, const int64_t *st, unsigned rank)
{
	LLVMValueRef off = cg_i64(c, 0);
	for (unsigned k = 0; k < rank; k++)
		if (st[k])
			off = cg_madd(c, iv[k], st[k], off, "off");
	return off;
}

LLVMTypeRef cg_dtype(struct cg *c, enum ir_dtype dt)
{
	switch (ir_dtype_size(dt)) {
	case 1: return c->t_i8;
	case 2: return LLVMInt16TypeInContext(c->ctx);
	case 4: return dt == IR_DT_F32 ? c->t_f32 : c->t_i32;
	case 8: return c->t_i64;
	default: break;
	}
	DLC_UNREACHABLE("cg_dtype: no such dtype");
}

LLVMValueRef cg_tload(struct cg *c, enum ir_dtype dt, LLVMValueRef base, LLVMValueRef i,
                      const char *name)
{
	LLVMTypeRef ty = cg_dtype(c, dt);
	LLVMValueRef p = LLVMBuildInBoundsGEP2(c->b, ty, base, &i, 1, "");
	LLVMValueRef v = LLVMBuildLoad2(c->b, ty, p, name);
	if (dt == IR_DT_BOOL)
		v = LLVMBuildICmp(c->b, LLVMIntNE, v, LLVMConstInt(c->t_i8, 0, 0), name);
	return v;
}

void cg_tstore(struct cg *c, enum ir_dtype dt, LLVMValueRef v, LLVMValueRef base, LLVMValueRef i)
{
	LLVMTypeRef ty = cg_dtype(c, dt);
	if (dt == IR_DT_BOOL)
		v = LLVMBuildZExt(c->b, v, c->t_i8, "");
	LLVMBuildStore(c->b, v, LLVMBuildInBoundsGEP2(c->b, ty, base, &i, 1, ""));
}
