/* vmath.c - sigmoid, tanh and exp as inline LLVM IR on float or
 * <vec x float> values, for kernels that want them vectorized (libm's tanhf
 * and expf are scalar calls).
 *
 * tanh is Cephes' tanhf, branch-free: an odd polynomial x + x^3 p(x^2) for
 * |x| < 0.625, else copysign((1 - e) / (1 + e), x) with e = exp(-2|x|),
 * which saturates to exactly +-1 (a rational in x alone, as in Eigen, has
 * to clamp |x| and misses 1 by an ulp or two there). sigmoid is
 * exact in form, 1 / (1 + e) with e = exp(-|x|), and e / (1 + e) for
 * x < 0 (one division either way), so it keeps its relative accuracy for
 * large negative x (0.5 + 0.5 * tanh(x / 2) would not). exp is Cephes'
 * expf as XNNPACK and MLAS vectorize it: n = round(x / ln 2) by the
 * 1.5 * 2^23 trick, r = x - n ln 2 in two parts, a degree-6 minimax
 * polynomial for e^r, and 2^n made by shifting n + 127 into the exponent
 * field. cg_vexp, the full-range exp of the elementwise
 * ops and softmax, scales by 2^(n/2), then 2^(n - n/2), so n may reach 128
 * (x up to 88.72) and -150 (denormal results); beyond, +inf and 0. NaN
 * passes through; +-inf saturate to +-1 (tanh) and 1 / 0 (sigmoid). Errors
 * measured against libm in double precision are in docs/ir.md ("Math
 * approximations") and asserted by tests/e2e/test_vmath.c. The file also
 * holds the vector vocabulary of the kernels: constants, clamps, the fused
 * activations, masked loads and stores. */
#include "cg.h"

#include "check.h"

/* Below this |x| tanh uses its polynomial, above it exp. */
#define TANH_SMALL 0.625
/* exp's argument is kept >= this, so 2^n stays a normal float. */
#define EXP_MIN -87.0
/* cg_vexp: e^x rounds to 0 below EXP_LO and overflows above EXP_OVER
 * (the largest float whose e^x is finite); EXP_HI bounds n at 128. */
#define EXP_LO -103.972084
#define EXP_OVER 88.7228394
#define EXP_HI 88.75

static unsigned lanes_of(LLVMTypeRef ty)
{
	return LLVMGetTypeKind(ty) == LLVMVectorTypeKind ? LLVMGetVectorSize(ty) : 0;
}

/* The i32 type with the shape of float type ty, and its constants. */
static LLVMTypeRef int_type(struct cg *c, LLVMTypeRef ty)
{
	unsigned n = lanes_of(ty);
	return n ? LLVMVectorType(c->t_i32, n) : c->t_i32;
}

static LLVMValueRef ki(struct cg *c, LLVMTypeRef ty, int v)
{
	LLVMValueRef s = LLVMConstInt(c->t_i32, (unsigned long long)(long long)v, 1), e[64];
	unsigned n = lanes_of(ty);
	if (!n)
		return s;
	for (unsigned i = 0; i < n; i++)
		e[i] = s;
	return LLVMConstVector(e, n);
}

LLVMValueRef cg_fma(struct cg *c, LLVMValueRef a, LLVMValueRef b, LLVMValueRef acc)
{
	if (!c->target || !c->target->fma)
		return LLVMBuildFAdd(c->b, LLVMBuildFMul(c->b, a, b, ""), acc, "");
	LLVMTypeRef ty = LLVMTypeOf(a);
	LLVMValueRef args[3] = { a, b, acc };
	return cg_call_intrinsic(c, "llvm.fma", &ty, 1, args, 3);
}

/* p(x) = k[0] + x * (k[1] + x * (...)), by Horner's rule. */
static LLVMValueRef horner(struct cg *c, LLVMValueRef x, const double *k, int n)
{
	LLVMTypeRef ty = LLVMTypeOf(x);
	LLVMValueRef p = cg_vconst(c, ty, k[n - 1]);
	for (int i = n - 2; i >= 0; i--)
		p = cg_fma(c, p, x, cg_vconst(c, ty, k[i]));
	return p;
}

/* e^r for r in [-ln2/2, ln2/2]: the degree-6 polynomial of least relative
 * error there (Remez; its own error 1.9e-9, 1.7e-8 with the coefficients
 * rounded to float), by Horner's rule: 6 FMAs. The first two coefficients
 * round to exactly 1. */
static LLVMValueRef exp_reduced(struct cg *c, LLVMValueRef r)
{
	static const double poly[7] = { 1.0, 1.0, 0.49999991059303284, 0.16666419804096222,
		                        0.04166822507977486, 0.008374815806746483,
		                        0.0013836845755577087 };
	return horner(c, r, poly, 7);
}

/* n = round(x / ln 2) as a float, and t, whose low mantissa bits hold
 * n + bias (two's complement), by adding 1.5 * 2^23 + bias; r = x - n ln 2
 * in two parts (ln 2's high part has 9 significant bits, so n * it is
 * exact). */
static LLVMValueRef reduce(struct cg *c, LLVMValueRef x, double bias, LLVMValueRef *t,
                           LLVMValueRef *n)
{
	LLVMTypeRef ty = LLVMTypeOf(x);
	const double magic = 12582912.0 + bias;
	*t = cg_fma(c, x, cg_vconst(c, ty, 1.44269504088896341), cg_vconst(c, ty, magic));
	*n = LLVMBuildFSub(c->b, *t, cg_vconst(c, ty, magic), "n");
	LLVMValueRef r = cg_fma(c, *n, cg_vconst(c, ty, -0.693359375), x);
	return cg_fma(c, *n, cg_vconst(c, ty, 2.12194440e-4), r);
}

/* e^x for x <= 0 (all that tanh, sigmoid and erf need), clamped to
 * x >= -87 so that 2^n stays a normal float: n + 127 sits in t's low bits
 * already, and shifting them into the exponent field makes 2^n. */
static LLVMValueRef vexp_nonpos(struct cg *c, LLVMValueRef x)
{
	LLVMTypeRef ty = LLVMTypeOf(x), ity = int_type(c, ty);
	x = LLVMBuildSelect(c->b, LLVMBuildFCmp(c->b, LLVMRealOLT, x, cg_vconst(c, ty, EXP_MIN), ""),
	                    cg_vconst(c, ty, EXP_MIN), x, "");
	LLVMValueRef t, n;
	LLVMValueRef er = exp_reduced(c, reduce(c, x, 127, &t, &n));
	LLVMValueRef ti = LLVMBuildBitCast(c->b, t, ity, "");
	LLVMValueRef bits = LLVMBuildShl(c->b, ti, ki(c, ty, 23), "");
	return LLVMBuildFMul(c->b, er, LLVMBuildBitCast(c->b, bits, ty, "pow2n"), "exp");
}

/* m * 2^n for an integer-valued float or vector n in [-150, 128], by two
 * powers of two (each made by shifting its exponent into place) applied
 * one after the other, so neither factor nor the partial product leaves
 * the normal range while |m| < 2; the result rounds once. */
static LLVMValueRef ldexp2(struct cg *c, LLVMValueRef m, LLVMValueRef n)
{
	LLVMTypeRef ty = LLVMTypeOf(n), ity = int_type(c, ty);
	LLVMValueRef ni = LLVMBuildFPToSI(c->b, n, ity, "");
	LLVMValueRef n1 = LLVMBuildAShr(c->b, ni, ki(c, ty, 1), ""), n2 = LLVMBuildSub(c->b, ni, n1, "");
	LLVMValueRef s1 = LLVMBuildShl(c->b, LLVMBuildAdd(c->b, n1, ki(c, ty, 127), ""), ki(c, ty, 23), "");
	LLVMValueRef s2 = LLVMBuildShl(c->b, LLVMBuildAdd(c->b, n2, ki(c, ty, 127), ""), ki(c, ty, 23), "");
	m = LLVMBuildFMul(c->b, m, LLVMBuildBitCast(c->b, s1, ty, ""), "");
	return LLVMBuildFMul(c->b, m, LLVMBuildBitCast(c->b, s2, ty, ""), "scaled");
}

LLVMValueRef cg_vexp(struct cg *c, LLVMValueRef x)
{
	LLVMTypeRef ty = LLVMTypeOf(x);
	/* Beyond these e^x is +inf or 0 in float; in between the scaling by
	 * 2^n stays exact (down into the denormals). */
	LLVMValueRef xc = cg_vclamp(c, x, EXP_LO, EXP_HI);
	LLVMValueRef t, n;
	LLVMValueRef er = exp_reduced(c, reduce(c, xc, 0, &t, &n));
	LLVMValueRef e = ldexp2(c, er, n);
	LLVMValueRef over = LLVMBuildFCmp(c->b, LLVMRealOGT, x, cg_vconst(c, ty, EXP_OVER), "");
	e = LLVMBuildSelect(c->b, over, cg_vconst(c, ty, __builtin_inf()), e, "");
	LLVMValueRef under = LLVMBuildFCmp(c->b, LLVMRealOLT, x, cg_vconst(c, ty, EXP_LO), "");
	return LLVMBuildSelect(c->b, under, cg_vconst(c, ty, 0), e, "exp");
}

LLVMValueRef cg_verf(struct cg *c, LLVMValueRef x)
{
	static const double a[5] = { 0.254829592, -0.284496736, 1.421413741, -1.453152027,
		                     1.061405429 };
	/* 2/sqrt(pi) sum (-1)^n x^(2n+1) / (n! (2n+1)), n = 0..11: the Taylor
	 * series, for |x| < 1 where 1 - t p(t) e^(-x^2) loses its precision
	 * to cancellation (the next term is below 1e-10 there). */
	static const double small[12] = {
		1.1283791670955126,     -0.37612638903183754,  0.11283791670955126,
		-0.026866170645131252,  0.005223977625442188,  -0.0008548327023450852,
		0.00012055332981789664, -1.492565035840625e-05, 1.6462114365889246e-06,
		-1.6365844691234924e-07, 1.4807192815879218e-08, -1.2290555301717926e-09,
	};
	LLVMTypeRef ty = LLVMTypeOf(x);
	LLVMValueRef ax = cg_vintrinsic(c, "llvm.fabs", x);
	LLVMValueRef t = LLVMBuildFDiv(c->b, cg_vconst(c, ty, 1),
	                               cg_fma(c, ax, cg_vconst(c, ty, 0.3275911), cg_vconst(c, ty, 1)),
	                               "t");
	LLVMValueRef p = LLVMBuildFMul(c->b, t, horner(c, t, a, 5), "p");
	LLVMValueRef e = vexp_nonpos(c, LLVMBuildFNeg(c->b, LLVMBuildFMul(c->b, ax, ax, ""), ""));
	LLVMValueRef y = LLVMBuildFSub(c->b, cg_vconst(c, ty, 1), LLVMBuildFMul(c->b, p, e, ""), "");
	LLVMValueRef args[2] = { y, x };
	LLVMValueRef big = cg_call_intrinsic(c, "llvm.copysign", &ty, 1, args, 2);
	LLVMValueRef near0 = LLVMBuildFMul(
		c->b, x, horner(c, LLVMBuildFMul(c->b, x, x, "x2"), small, 12), "erf_small");
	LLVMValueRef is_small = LLVMBuildFCmp(c->b, LLVMRealOLT, ax, cg_vconst(c, ty, 1), "");
	return LLVMBuildSelect(c->b, is_small, near0, big, "erf");
}

LLVMValueRef cg_vclamp(struct cg *c, LLVMValueRef x, double lo, double hi)
{
	/* "x < lo ? lo : x > hi ? hi : x", NaN passing through */
	LLVMTypeRef ty = LLVMTypeOf(x);
	LLVMValueRef below = LLVMBuildFCmp(c->b, LLVMRealOLT, x, cg_vconst(c, ty, lo), "below");
	LLVMValueRef y = LLVMBuildSelect(c->b, below, cg_vconst(c, ty, lo), x, "");
	LLVMValueRef above = LLVMBuildFCmp(c->b, LLVMRealOGT, y, cg_vconst(c, ty, hi), "above");
	return LLVMBuildSelect(c->b, above, cg_vconst(c, ty, hi), y, "clip");
}

LLVMValueRef cg_vtanh(struct cg *c, LLVMValueRef x)
{
	/* Cephes tanhf's odd polynomial: tanh(x) ~ x + x^3 * poly(x^2). */
	static const double poly[5] = { -3.33332819422e-1, 1.33314422036e-1, -5.37397155531e-2,
		                        2.06390887954e-2, -5.70498872745e-3 };
	LLVMTypeRef ty = LLVMTypeOf(x);
	LLVMValueRef ax = cg_vintrinsic(c, "llvm.fabs", x);
	LLVMValueRef x2 = LLVMBuildFMul(c->b, x, x, "x2");
	LLVMValueRef small = cg_fma(c, LLVMBuildFMul(c->b, horner(c, x2, poly, 5), x2, ""), x, x);
	LLVMValueRef e = vexp_nonpos(c, LLVMBuildFMul(c->b, ax, cg_vconst(c, ty, -2), ""));
	LLVMValueRef big = LLVMBuildFDiv(c->b, LLVMBuildFSub(c->b, cg_vconst(c, ty, 1), e, ""),
	                                 LLVMBuildFAdd(c->b, cg_vconst(c, ty, 1), e, ""), "");
	LLVMValueRef is_small = LLVMBuildFCmp(c->b, LLVMRealOLT, ax, cg_vconst(c, ty, TANH_SMALL), "");
	LLVMValueRef y = LLVMBuildSelect(c->b, is_small, small, big, "");
	/* copysign gives big the sign of x, and tanh(-0) = -0; NaN stays NaN. */
	unsigned id = LLVMLookupIntrinsicID("llvm.copysign", 13);
	LLVMTypeRef fty = LLVMIntrinsicGetType(c->ctx, id, &ty, 1);
	LLVMValueRef args[2] = { y, x };
	return LLVMBuildCall2(c->b, fty, LLVMGetIntrinsicDeclaration(c->mod, id, &ty, 1), args, 2,
	                      "tanh");
}

LLVMValueRef cg_vsigmoid(struct cg *c, LLVMValueRef x)
{
	LLVMTypeRef ty = LLVMTypeOf(x);
	LLVMValueRef e = vexp_nonpos(c, LLVMBuildFNeg(c->b, cg_vintrinsic(c, "llvm.fabs", x), ""));
	LLVMValueRef neg = LLVMBuildFCmp(c->b, LLVMRealOLT, x, cg_vconst(c, ty, 0), "neg");
	LLVMValueRef num = LLVMBuildSelect(c->b, neg, e, cg_vconst(c, ty, 1), "");
	return LLVMBuildFDiv(c->b, num, LLVMBuildFAdd(c->b, e, cg_vconst(c, ty, 1), ""), "sigmoid");
}

/* float <name>_<fn>(float) */
static void scalar_fn(struct cg *c, const char *fn, LLVMValueRef (*f)(struct cg *, LLVMValueRef))
{
	LLVMTypeRef fty = LLVMFunctionType(c->t_f32, &c->t_f32, 1, 0);
	LLVMValueRef func = LLVMAddFunction(c->mod, arena_printf(c->arena, "%s_%s", c->opts->name, fn),
	                                    fty);
	LLVMPositionBuilderAtEnd(c->b, LLVMAppendBasicBlockInContext(c->ctx, func, "entry"));
	LLVMBuildRet(c->b, f(c, LLVMGetParam(func, 0)));
}

/* void <name>_<fn>_v(const float *x, float *y): one vector. */
static void vector_fn(struct cg *c, const char *fn, LLVMValueRef (*f)(struct cg *, LLVMValueRef))
{
	LLVMTypeRef vty = LLVMVectorType(c->t_f32, (unsigned)c->target->vec_floats);
	LLVMTypeRef pt[2] = { c->t_ptr, c->t_ptr };
	LLVMTypeRef fty = LLVMFunctionType(c->t_void, pt, 2, 0);
	LLVMValueRef func = LLVMAddFunction(
		c->mod, arena_printf(c->arena, "%s_%s_v", c->opts->name, fn), fty);
	LLVMPositionBuilderAtEnd(c->b, LLVMAppendBasicBlockInContext(c->ctx, func, "entry"));
	LLVMValueRef x = LLVMBuildLoad2(c->b, vty, LLVMGetParam(func, 0), "x");
	LLVMSetAlignment(x, 4);
	LLVMSetAlignment(LLVMBuildStore(c->b, f(c, x), LLVMGetParam(func, 1)), 4);
	LLVMBuildRetVoid(c->b);
}

void cg_build_vmath_tests(struct cg *c)
{
	scalar_fn(c, "tanh", cg_vtanh);
	scalar_fn(c, "sigmoid", cg_vsigmoid);
	vector_fn(c, "tanh", cg_vtanh);
	vector_fn(c, "sigmoid", cg_vsigmoid);
	scalar_fn(c, "exp", cg_vexp);
	vector_fn(c, "exp", cg_vexp);
	scalar_fn(c, "erf", cg_verf);
	vector_fn(c, "erf", cg_verf);
	LLVMValueRef w = LLVMAddGlobal(c->mod, c->t_i32,
	                               arena_printf(c->arena, "%s_vmath_width", c->opts->name));
	LLVMSetInitializer(w, LLVMConstInt(c->t_i32, (unsigned)c->target->vec_floats, 0));
	LLVMSetGlobalConstant(w, 1);
}
