/* vec.c - the vector vocabulary every lowerer is written in: the target's
 * vector width and type, entry-block variables, constants and splats,
 * lane masks, vector loads and stores (masked for a partial vector),
 * intrinsic calls and horizontal reductions. Transcendental functions are
 * in vmath.c. */
#include "cg.h"

#include <string.h>

#include "check.h"

int cg_vec_floats(const struct cg *c)
{
	return c->target && c->target->vec_floats > 0 ? c->target->vec_floats : 4;
}

LLVMTypeRef cg_vec_type(struct cg *c)
{
	return LLVMVectorType(c->t_f32, (unsigned)cg_vec_floats(c));
}

LLVMBuilderRef cg_entry_builder(struct cg *c)
{
	LLVMBuilderRef eb = LLVMCreateBuilderInContext(c->ctx);
	LLVMValueRef first = LLVMGetFirstInstruction(c->entry);
	if (first)
		LLVMPositionBuilderBefore(eb, first);
	else
		LLVMPositionBuilderAtEnd(eb, c->entry);
	return eb;
}

LLVMValueRef cg_entry_var(struct cg *c, LLVMTypeRef ty, unsigned align, const char *name)
{
	LLVMBuilderRef eb = cg_entry_builder(c);
	LLVMValueRef v = LLVMBuildAlloca(eb, ty, name);
	if (align)
		LLVMSetAlignment(v, align);
	LLVMDisposeBuilder(eb);
	return v;
}

/* ---- constants ---- */

LLVMValueRef cg_vconst(struct cg *c, LLVMTypeRef ty, double v)
{
	LLVMValueRef s = cg_f32(c, v), e[64];
	if (LLVMGetTypeKind(ty) != LLVMVectorTypeKind)
		return s;
	unsigned n = LLVMGetVectorSize(ty);
	DLC_ASSERT(n <= 64);
	for (unsigned i = 0; i < n; i++)
		e[i] = s;
	return LLVMConstVector(e, n);
}

LLVMValueRef cg_splat(struct cg *c, LLVMTypeRef ty, LLVMValueRef s, const char *name)
{
	unsigned n = LLVMGetVectorSize(ty);
	LLVMValueRef v = LLVMBuildInsertElement(c->b, LLVMGetPoison(ty), s,
	                                        LLVMConstInt(c->t_i32, 0, 0), "");
	return LLVMBuildShuffleVector(c->b, v, LLVMGetPoison(ty),
	                              LLVMConstNull(LLVMVectorType(c->t_i32, n)), name);
}

LLVMValueRef cg_vmask(struct cg *c, LLVMTypeRef vty, int lanes)
{
	unsigned n = LLVMGetVectorSize(vty);
	LLVMValueRef e[64];
	DLC_ASSERT(n <= 64);
	for (unsigned i = 0; i < n; i++)
		e[i] = LLVMConstInt(c->t_i1, (int)i < lanes, 0);
	return LLVMConstVector(e, n);
}

LLVMValueRef cg_zero_row(struct cg *c, int64_t n)
{
	LLVMTypeRef ty = LLVMArrayType2(c->t_f32, (uint64_t)n);
	LLVMValueRef gv = LLVMAddGlobal(c->mod, ty, "zeros");
	LLVMSetInitializer(gv, LLVMConstNull(ty));
	LLVMSetGlobalConstant(gv, 1);
	LLVMSetLinkage(gv, LLVMPrivateLinkage);
	LLVMSetUnnamedAddr(gv, 1);
	LLVMSetAlignment(gv, PLAN_ALIGN);
	return gv;
}

/* ---- intrinsic calls ---- */

LLVMValueRef cg_call_intrinsic(struct cg *c, const char *name, LLVMTypeRef *over, unsigned nover,
                               LLVMValueRef *args, unsigned nargs)
{
	unsigned id = LLVMLookupIntrinsicID(name, strlen(name));
	DLC_ASSERT(id != 0);
	LLVMTypeRef fty = LLVMIntrinsicGetType(c->ctx, id, over, nover);
	LLVMValueRef fn = LLVMGetIntrinsicDeclaration(c->mod, id, over, nover);
	return LLVMBuildCall2(c->b, fty, fn, args, nargs, "");
}

LLVMValueRef cg_vintrinsic(struct cg *c, const char *name, LLVMValueRef x)
{
	LLVMTypeRef ty = LLVMTypeOf(x);
	return cg_call_intrinsic(c, name, &ty, 1, &x, 1);
}

LLVMValueRef cg_vintrinsic2(struct cg *c, const char *name, LLVMValueRef x, LLVMValueRef y)
{
	LLVMTypeRef ty = LLVMTypeOf(x);
	LLVMValueRef args[2] = { x, y };
	return cg_call_intrinsic(c, name, &ty, 1, args, 2);
}

LLVMValueRef cg_vlibm(struct cg *c, const char *name, LLVMValueRef x)
{
	LLVMTypeRef ft = LLVMFunctionType(c->t_f32, &c->t_f32, 1, 0);
	LLVMValueRef fn = LLVMGetNamedFunction(c->mod, name);
	if (!fn)
		fn = LLVMAddFunction(c->mod, name, ft);
	if (LLVMGetTypeKind(LLVMTypeOf(x)) != LLVMVectorTypeKind)
		return LLVMBuildCall2(c->b, ft, fn, &x, 1, name);
	LLVMValueRef y = LLVMGetUndef(LLVMTypeOf(x));
	for (unsigned k = 0; k < LLVMGetVectorSize(LLVMTypeOf(x)); k++) {
		LLVMValueRef lane = LLVMBuildExtractElement(c->b, x, LLVMConstInt(c->t_i32, k, 0), "");
		LLVMValueRef r = LLVMBuildCall2(c->b, ft, fn, &lane, 1, name);
		y = LLVMBuildInsertElement(c->b, y, r, LLVMConstInt(c->t_i32, k, 0), "");
	}
	return y;
}

/* ---- memory access ---- */

LLVMValueRef cg_vload(struct cg *c, LLVMTypeRef vty, LLVMValueRef base, LLVMValueRef i, int lanes,
                      unsigned align)
{
	LLVMValueRef p = cg_elem(c, base, i, "");
	if (lanes == (int)LLVMGetVectorSize(vty)) {
		LLVMValueRef v = LLVMBuildLoad2(c->b, vty, p, "v");
		LLVMSetAlignment(v, align);
		return v;
	}
	LLVMTypeRef over[2] = { vty, c->t_ptr };
	LLVMValueRef args[4] = { p, LLVMConstInt(c->t_i32, align, 0), cg_vmask(c, vty, lanes),
		                 LLVMConstNull(vty) };
	return cg_call_intrinsic(c, "llvm.masked.load", over, 2, args, 4);
}

/* Below AVX-512 a partial vector goes out in power-of-two pieces: AVX's
 * masked store (vmaskmovps) is microcoded and slow on AMD cores;
 * AVX-512's k-masked stores are not. */
static void vstore_pieces(struct cg *c, LLVMValueRef v, LLVMValueRef base, LLVMValueRef i,
                          int lanes)
{
	int width = (int)LLVMGetVectorSize(LLVMTypeOf(v));
	for (int off = 0; off < lanes;) {
		int piece = width;
		while (piece > lanes - off)
			piece /= 2;
		LLVMValueRef p = cg_elem(c, base, cg_add(c, i, cg_i64(c, off), ""), "");
		LLVMValueRef part;
		if (piece == 1) {
			part = LLVMBuildExtractElement(c->b, v, LLVMConstInt(c->t_i32, (unsigned)off, 0), "");
		} else {
			LLVMValueRef idx[64];
			for (int k = 0; k < piece; k++)
				idx[k] = LLVMConstInt(c->t_i32, (unsigned)(off + k), 0);
			part = LLVMBuildShuffleVector(c->b, v, LLVMGetPoison(LLVMTypeOf(v)),
			                              LLVMConstVector(idx, (unsigned)piece), "part");
		}
		LLVMSetAlignment(LLVMBuildStore(c->b, part, p), 4);
		off += piece;
	}
}

void cg_vstore(struct cg *c, LLVMValueRef v, LLVMValueRef base, LLVMValueRef i, int lanes)
{
	LLVMTypeRef vty = LLVMTypeOf(v);
	if (lanes < (int)LLVMGetVectorSize(vty) && cg_vec_floats(c) < 16) {
		vstore_pieces(c, v, base, i, lanes);
		return;
	}
	LLVMValueRef p = cg_elem(c, base, i, "");
	if (lanes == (int)LLVMGetVectorSize(vty)) {
		LLVMSetAlignment(LLVMBuildStore(c->b, v, p), 4);
		return;
	}
	LLVMTypeRef over[2] = { vty, c->t_ptr };
	LLVMValueRef args[4] = { v, p, LLVMConstInt(c->t_i32, 4, 0), cg_vmask(c, vty, lanes) };
	cg_call_intrinsic(c, "llvm.masked.store", over, 2, args, 4);
}

/* ---- horizontal reductions ---- */

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

LLVMValueRef cg_hsum(struct cg *c, LLVMValueRef x)
{
	int width = (int)LLVMGetVectorSize(LLVMTypeOf(x));
	for (int w = width / 2; w >= 1; w /= 2) {
		LLVMValueRef lo[32], hi[32];
		for (int i = 0; i < w; i++) {
			lo[i] = LLVMConstInt(c->t_i32, (unsigned)i, 0);
			hi[i] = LLVMConstInt(c->t_i32, (unsigned)(i + w), 0);
		}
		LLVMValueRef a = LLVMBuildShuffleVector(c->b, x, LLVMGetPoison(LLVMTypeOf(x)),
		                                        LLVMConstVector(lo, (unsigned)w), "");
		LLVMValueRef b = LLVMBuildShuffleVector(c->b, x, LLVMGetPoison(LLVMTypeOf(x)),
		                                        LLVMConstVector(hi, (unsigned)w), "");
		x = LLVMBuildFAdd(c->b, a, b, "hsum");
	}
	return LLVMBuildExtractElement(c->b, x, LLVMConstInt(c->t_i32, 0, 0), "dot");
}
