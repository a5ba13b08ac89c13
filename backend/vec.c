/* vec.c - the vector vocabulary every lowerer is written in: the target's
 * vector width and type, entry-block variables, splats and horizontal
 * reductions. (Transcendental functions are in vmath.c.) */
#include "cg.h"

#include "check.h"

int cg_vec_floats(const struct cg *c)
{
	return c->target ? c->target->vec_floats : 4;
}

LLVMTypeRef cg_vec_type(struct cg *c)
{
	return LLVMVectorType(c->t_f32, (unsigned)cg_vec_floats(c));
}

LLVMValueRef cg_entry_var(struct cg *c, LLVMTypeRef ty, unsigned align, const char *name)
{
	LLVMBuilderRef eb = LLVMCreateBuilderInContext(c->ctx);
	LLVMValueRef first = LLVMGetFirstInstruction(c->entry);
	if (first)
		LLVMPositionBuilderBefore(eb, first);
	else
		LLVMPositionBuilderAtEnd(eb, c->entry);
	LLVMValueRef v = LLVMBuildAlloca(eb, ty, name);
	if (align)
		LLVMSetAlignment(v, align);
	LLVMDisposeBuilder(eb);
	return v;
}

LLVMValueRef cg_hreduce(struct cg *c, LLVMValueRef v, bool is_max)
{
	unsigned n = LLVMGetVectorSize(LLVMTypeOf(v));
	LLVMValueRef r = LLVMBuildExtractElement(c->b, v, LLVMConstInt(c->t_i32, 0, 0), "");
	for (unsigned i = 1; i < n; i++) {
		LLVMValueRef e = LLVMBuildExtractElement(c->b, v, LLVMConstInt(c->t_i32, i, 0), "");
		r = is_max ? LLVMBuildSelect(c->b, LLVMBuildFCmp(c->b, LLVMRealOGT, e, r, ""), e, r, "")
		           : LLVMBuildFAdd(c->b, r, e, "");
	}
	return r;
}

LLVMValueRef cg_splat(struct cg *c, LLVMTypeRef ty, LLVMValueRef s, const char *name)
{
	unsigned n = LLVMGetVectorSize(ty);
	LLVMValueRef v = LLVMBuildInsertElement(c->b, LLVMGetPoison(ty), s,
	                                        LLVMConstInt(c->t_i32, 0, 0), "");
	return LLVMBuildShuffleVector(c->b, v, LLVMGetPoison(ty),
	                              LLVMConstNull(LLVMVectorType(c->t_i32, n)), name);
}
