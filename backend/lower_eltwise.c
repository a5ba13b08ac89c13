/* lower_eltwise.c - elementwise and per-channel ops: relu, sigmoid, tanh,
 * rescale, add, clip and fused eltwise chains (lower_elementwise), and
 * batchnorm, scale_bias and normalize.
 *
 * Each mirrors the reference interpreter's kernel (interp_kernels.c): the
 * same formulas and order, so generated code and interpreter agree to the
 * last bits in most cases. Elementwise ops are explicit <vec x float> code
 * (the target's width, the last vector masked), lanes over elements; exp,
 * sigmoid and tanh, alone or fused, are the inline approximations of
 * vmath.c instead of libm calls per element (within 2.1e-7 relative of
 * libm; docs/ir.md). The per-channel ops are scalar loops over (outer,
 * channel, inner) with the channel's parameters loaded once per row. */
#include "cg.h"

#include "check.h"
#include "lower.h"

/* The steps of a fused elementwise chain on a float or vector value (the
 * fn column of ir_steps.def; the interpreter's step_* in interp_kernels.c). */
#define STEP(fn) \
	static LLVMValueRef step_##fn(struct cg *c, const struct ir_eltwise_step *s, LLVMValueRef v, \
	                              LLVMTypeRef ty)
#define UNUSED (void)s, (void)ty

STEP(relu)
{
	/* "x < 0 ? 0 : x" lets NaN through, as PyTorch does. */
	(void)s;
	LLVMValueRef neg = LLVMBuildFCmp(c->b, LLVMRealOLT, v, cg_vconst(c, ty, 0), "neg");
	return LLVMBuildSelect(c->b, neg, cg_vconst(c, ty, 0), v, "relu");
}
STEP(sigmoid) { UNUSED; return cg_vsigmoid(c, v); }
STEP(tanh) { UNUSED; return cg_vtanh(c, v); }
STEP(clip) { (void)ty; return cg_vclamp(c, v, s->a, s->b); }
STEP(affine)
{
	return LLVMBuildFAdd(c->b, LLVMBuildFMul(c->b, v, cg_vconst(c, ty, s->a), ""),
	                     cg_vconst(c, ty, s->b), "affine");
}
STEP(leaky_relu)
{
	LLVMValueRef neg = LLVMBuildFCmp(c->b, LLVMRealOLT, v, cg_vconst(c, ty, 0), "neg");
	LLVMValueRef scaled = LLVMBuildFMul(c->b, v, cg_vconst(c, ty, s->a), "");
	return LLVMBuildSelect(c->b, neg, scaled, v, "leaky");
}
STEP(hard_sigmoid)
{
	LLVMValueRef t = LLVMBuildFAdd(c->b, LLVMBuildFMul(c->b, v, cg_vconst(c, ty, s->a), ""),
	                               cg_vconst(c, ty, s->b), "");
	return cg_vclamp(c, t, 0.0, 1.0);
}
STEP(hard_swish)
{
	(void)s;
	LLVMValueRef t = LLVMBuildFAdd(
		c->b, LLVMBuildFMul(c->b, v, cg_vconst(c, ty, (double)(1.0f / 6.0f)), ""),
		cg_vconst(c, ty, 0.5), "");
	return LLVMBuildFMul(c->b, v, cg_vclamp(c, t, 0.0, 1.0), "hswish");
}
STEP(silu) { UNUSED; return LLVMBuildFMul(c->b, v, cg_vsigmoid(c, v), "silu"); }
STEP(exp) { UNUSED; return cg_vexp(c, v); }
STEP(log) { UNUSED; return cg_vintrinsic(c, "llvm.log", v); }
STEP(sqrt) { UNUSED; return cg_vintrinsic(c, "llvm.sqrt", v); }
STEP(neg) { UNUSED; return LLVMBuildFNeg(c->b, v, "neg"); }
STEP(abs) { UNUSED; return cg_vintrinsic(c, "llvm.fabs", v); }
STEP(erf) { UNUSED; return cg_verf(c, v); }
STEP(reciprocal) { UNUSED; return LLVMBuildFDiv(c->b, cg_vconst(c, ty, 1), v, "recip"); }
/* a * (exp(x) - 1) where x < 0 (cond), else other */
static LLVMValueRef expm1_scaled(struct cg *c, LLVMTypeRef ty, LLVMValueRef x, double a)
{
	LLVMValueRef e = LLVMBuildFSub(c->b, cg_vexp(c, x), cg_vconst(c, ty, 1), "em1");
	return LLVMBuildFMul(c->b, e, cg_vconst(c, ty, a), "");
}
STEP(elu)
{
	LLVMValueRef neg = LLVMBuildFCmp(c->b, LLVMRealOLT, v, cg_vconst(c, ty, 0), "neg");
	return LLVMBuildSelect(c->b, neg, expm1_scaled(c, ty, v, s->a), v, "elu");
}
STEP(selu)
{
	LLVMValueRef le = LLVMBuildFCmp(c->b, LLVMRealOLE, v, cg_vconst(c, ty, 0), "le0");
	LLVMValueRef ae = LLVMBuildFMul(c->b, cg_vconst(c, ty, s->a), cg_vexp(c, v), "");
	LLVMValueRef lo = LLVMBuildFSub(c->b, ae, cg_vconst(c, ty, s->a), "");
	LLVMValueRef r = LLVMBuildSelect(c->b, le, lo, v, "");
	return LLVMBuildFMul(c->b, r, cg_vconst(c, ty, s->b), "selu");
}
STEP(celu)
{
	LLVMValueRef q = LLVMBuildFDiv(c->b, v, cg_vconst(c, ty, s->a), "");
	LLVMValueRef lo = cg_vintrinsic2(c, "llvm.minnum", cg_vconst(c, ty, 0),
	                                 expm1_scaled(c, ty, q, s->a));
	LLVMValueRef hi = cg_vintrinsic2(c, "llvm.maxnum", cg_vconst(c, ty, 0), v);
	return LLVMBuildFAdd(c->b, hi, lo, "celu");
}
/* max(x, 0) + log(1 + exp(-|x|)), the log per lane through llvm.log */
STEP(softplus)
{
	UNUSED;
	LLVMValueRef e = cg_vexp(c, LLVMBuildFNeg(c->b, cg_vintrinsic(c, "llvm.fabs", v), ""));
	LLVMValueRef l = cg_vintrinsic(c, "llvm.log", LLVMBuildFAdd(c->b, e, cg_vconst(c, ty, 1), ""));
	return LLVMBuildFAdd(c->b, cg_vintrinsic2(c, "llvm.maxnum", v, cg_vconst(c, ty, 0)), l,
	                     "softplus");
}
STEP(softsign)
{
	UNUSED;
	LLVMValueRef d = LLVMBuildFAdd(c->b, cg_vintrinsic(c, "llvm.fabs", v), cg_vconst(c, ty, 1), "");
	return LLVMBuildFDiv(c->b, v, d, "softsign");
}
STEP(mish)
{
	return LLVMBuildFMul(c->b, v, cg_vtanh(c, step_softplus(c, s, v, ty)), "mish");
}
STEP(thresholded_relu)
{
	LLVMValueRef gt = LLVMBuildFCmp(c->b, LLVMRealOGT, v, cg_vconst(c, ty, s->a), "gt");
	return LLVMBuildSelect(c->b, gt, v, cg_vconst(c, ty, 0), "thresholded");
}
/* x / 2 * (1 + t) */
static LLVMValueRef half_x_one_plus(struct cg *c, LLVMTypeRef ty, LLVMValueRef x, LLVMValueRef t)
{
	LLVMValueRef h = LLVMBuildFMul(c->b, cg_vconst(c, ty, 0.5), x, "half_x");
	return LLVMBuildFMul(c->b, h, LLVMBuildFAdd(c->b, cg_vconst(c, ty, 1), t, ""), "gelu");
}
STEP(gelu)
{
	(void)s;
	LLVMValueRef u = LLVMBuildFMul(c->b, v, cg_vconst(c, ty, (double)0.70710678118654752f), "");
	return half_x_one_plus(c, ty, v, cg_verf(c, u));
}
STEP(gelu_tanh)
{
	(void)s;
	LLVMValueRef x3 = LLVMBuildFMul(c->b, LLVMBuildFMul(c->b, v, v, ""), v, "x3");
	LLVMValueRef in = LLVMBuildFAdd(
		c->b, v, LLVMBuildFMul(c->b, cg_vconst(c, ty, (double)0.044715f), x3, ""), "");
	in = LLVMBuildFMul(c->b, cg_vconst(c, ty, (double)0.79788456080286536f), in, "");
	return half_x_one_plus(c, ty, v, cg_vtanh(c, in));
}
/* functions LLVM 19 has no vector intrinsic for: libm per lane */
STEP(sin) { UNUSED; return cg_vlibm(c, "sinf", v); }
STEP(cos) { UNUSED; return cg_vlibm(c, "cosf", v); }
STEP(tan) { UNUSED; return cg_vlibm(c, "tanf", v); }
STEP(asin) { UNUSED; return cg_vlibm(c, "asinf", v); }
STEP(acos) { UNUSED; return cg_vlibm(c, "acosf", v); }
STEP(atan) { UNUSED; return cg_vlibm(c, "atanf", v); }
STEP(sinh) { UNUSED; return cg_vlibm(c, "sinhf", v); }
STEP(cosh) { UNUSED; return cg_vlibm(c, "coshf", v); }
STEP(asinh) { UNUSED; return cg_vlibm(c, "asinhf", v); }
STEP(acosh) { UNUSED; return cg_vlibm(c, "acoshf", v); }
STEP(atanh) { UNUSED; return cg_vlibm(c, "atanhf", v); }
STEP(ceil) { UNUSED; return cg_vintrinsic(c, "llvm.ceil", v); }
STEP(floor) { UNUSED; return cg_vintrinsic(c, "llvm.floor", v); }
STEP(round) { UNUSED; return cg_vintrinsic(c, "llvm.roundeven", v); }
STEP(sign)
{
	(void)s;
	LLVMValueRef pos = LLVMBuildFCmp(c->b, LLVMRealOGT, v, cg_vconst(c, ty, 0), "pos");
	LLVMValueRef neg = LLVMBuildFCmp(c->b, LLVMRealOLT, v, cg_vconst(c, ty, 0), "neg");
	LLVMValueRef r = LLVMBuildSelect(c->b, neg, cg_vconst(c, ty, -1), v, "");
	return LLVMBuildSelect(c->b, pos, cg_vconst(c, ty, 1), r, "sign");
}
STEP(shrink)
{
	LLVMValueRef lo = LLVMBuildFCmp(c->b, LLVMRealOLT, v, cg_vconst(c, ty, -s->a), "lo");
	LLVMValueRef hi = LLVMBuildFCmp(c->b, LLVMRealOGT, v, cg_vconst(c, ty, s->a), "hi");
	LLVMValueRef up = LLVMBuildFAdd(c->b, v, cg_vconst(c, ty, s->b), "");
	LLVMValueRef down = LLVMBuildFSub(c->b, v, cg_vconst(c, ty, s->b), "");
	LLVMValueRef r = LLVMBuildSelect(c->b, hi, down, cg_vconst(c, ty, 0), "");
	return LLVMBuildSelect(c->b, lo, up, r, "shrink");
}

typedef LLVMValueRef step_fn(struct cg *c, const struct ir_eltwise_step *s, LLVMValueRef v,
                             LLVMTypeRef ty);
static step_fn *const steps[IR_STEP_COUNT] = {
#define IR_STEP(id, name, nargs, fn) [IR_STEP_##id] = step_##fn,
#include "ir_steps.def"
};

LLVMValueRef cg_vstep(struct cg *c, const struct ir_eltwise_step *s, LLVMValueRef v)
{
	DLC_ASSERT(s->kind >= IR_STEP_NONE && s->kind < IR_STEP_COUNT);
	return s->kind == IR_STEP_NONE ? v : steps[s->kind](c, s, v, LLVMTypeOf(v));
}

/* The vector of `lanes` outputs at element i of elementwise node n. */
static void elementwise_vec(struct cg *c, const struct ir_node *n, LLVMValueRef i, int lanes)
{
	LLVMTypeRef ty = cg_vec_type(c);
	LLVMValueRef v = cg_vload(c, ty, c->addr[n->in[0]], i, lanes, 4);
	if (n->op == IR_ELTWISE) {
		for (unsigned k = 0; k < n->attr.eltwise.nsteps; k++)
			v = cg_vstep(c, &n->attr.eltwise.steps[k], v);
	} else if (n->op == IR_ADD) {
		for (unsigned k = 1; k < n->nin; k++)
			v = LLVMBuildFAdd(c->b, v, cg_vload(c, ty, c->addr[n->in[k]], i, lanes, 4), "sum");
	} else {
		/* an op of one step (the step column of ir_ops.def) */
		struct ir_eltwise_step s = ir_node_step(n);
		v = cg_vstep(c, &s, v);
	}
	cg_vstore(c, v, c->addr[n->out], i, lanes);
}

/* Whole vectors, then one masked vector for the rest. */
void lower_elementwise(struct cg *c, const struct ir_node *n)
{
	int64_t numel = ir_type_numel(cg_type(c, n->out)), vec = cg_vec_floats(c);
	int64_t full = numel / vec, rest = numel % vec;
	if (full) {
		struct cg_loop l;
		LLVMValueRef i = cg_loop_begin(c, &l, full, "i");
		elementwise_vec(c, n, cg_mul(c, i, cg_i64(c, vec), "at"), (int)vec);
		cg_loop_end(c, &l);
	}
	if (rest)
		elementwise_vec(c, n, cg_i64(c, full * vec), (int)rest);
}

/* ---- per channel: batchnorm, normalize ---- */

/* A private constant array of floats (normalize's mean and std). */
static LLVMValueRef const_floats(struct cg *c, const float *v, int64_t n, const char *name)
{
	LLVMValueRef *elems = arena_array(c->arena, (size_t)n, sizeof *elems);
	for (int64_t i = 0; i < n; i++)
		elems[i] = cg_f32(c, v[i]);
	LLVMValueRef init = LLVMConstArray2(c->t_f32, elems, (uint64_t)n);
	LLVMValueRef gv = LLVMAddGlobal(c->mod, LLVMTypeOf(init), name);
	LLVMSetInitializer(gv, init);
	LLVMSetGlobalConstant(gv, 1);
	LLVMSetLinkage(gv, LLVMPrivateLinkage);
	LLVMSetUnnamedAddr(gv, 1);
	return gv;
}

/* Loops (outer, channel); *ch is the channel; the caller emits the inner
 * loop. Returns the index of (o, ch, 0). */
static LLVMValueRef channel_loops(struct cg *c, struct cg_loop l[2], const struct ir_split *s,
                                  LLVMValueRef *ch)
{
	LLVMValueRef o = cg_loop_begin(c, &l[0], s->outer, "o");
	*ch = cg_loop_begin(c, &l[1], s->len, "ch");
	return cg_mul(c, cg_madd(c, o, s->len, *ch, ""), cg_i64(c, s->inner), "row");
}

void lower_batchnorm(struct cg *c, const struct ir_node *n)
{
	struct ir_split s = ir_split_at(cg_type(c, n->out), n->attr.bn.axis);
	LLVMValueRef x = c->addr[n->in[0]], y = c->addr[n->out], ch, l2;
	struct cg_loop l[3];
	LLVMValueRef row = channel_loops(c, l, &s, &ch);
	LLVMValueRef gamma = cg_load(c, cg_param(c, n, 0), ch, "gamma");
	LLVMValueRef beta = cg_load(c, cg_param(c, n, 1), ch, "beta");
	LLVMValueRef mean = cg_load(c, cg_param(c, n, 2), ch, "mean");
	LLVMValueRef var = cg_load(c, cg_param(c, n, 3), ch, "var");
	LLVMValueRef den = cg_intrinsic(
		c, "llvm.sqrt.f32", LLVMBuildFAdd(c->b, var, cg_f32(c, n->attr.bn.epsilon), ""));
	LLVMValueRef r = cg_loop_begin(c, &l[2], s.inner, "r");
	LLVMValueRef i = cg_add(c, row, r, "i");
	l2 = LLVMBuildFSub(c->b, cg_load(c, x, i, "x"), mean, "centered");
	l2 = LLVMBuildFDiv(c->b, l2, den, "normed");
	l2 = LLVMBuildFAdd(c->b, LLVMBuildFMul(c->b, l2, gamma, ""), beta, "bn");
	cg_store(c, l2, y, i);
	for (int k = 2; k >= 0; k--)
		cg_loop_end(c, &l[k]);
}

/* y = x * scale[ch] + bias[ch] along the channel axis. */
void lower_scale_bias(struct cg *c, const struct ir_node *n)
{
	struct ir_split s = ir_split_at(cg_type(c, n->out), n->attr.scale_bias.axis);
	LLVMValueRef x = c->addr[n->in[0]], y = c->addr[n->out], ch;
	struct cg_loop l[3];
	LLVMValueRef row = channel_loops(c, l, &s, &ch);
	LLVMValueRef scale = cg_load(c, cg_param(c, n, 0), ch, "scale");
	LLVMValueRef bias = cg_load(c, cg_param(c, n, 1), ch, "bias");
	LLVMValueRef r = cg_loop_begin(c, &l[2], s.inner, "r");
	LLVMValueRef i = cg_add(c, row, r, "i");
	LLVMValueRef v = LLVMBuildFMul(c->b, cg_load(c, x, i, "x"), scale, "scaled");
	cg_store(c, LLVMBuildFAdd(c->b, v, bias, "biased"), y, i);
	for (int k = 2; k >= 0; k--)
		cg_loop_end(c, &l[k]);
}

void lower_normalize(struct cg *c, const struct ir_node *n)
{
	const struct ir_normalize_attr *a = &n->attr.norm;
	struct ir_split s = ir_split_at(cg_type(c, n->out), a->axis);
	DLC_ASSERT(a->nchannels == 1 || a->nchannels == s.len);
	LLVMValueRef means = const_floats(c, a->mean, a->nchannels, "mean");
	LLVMValueRef stds = const_floats(c, a->std, a->nchannels, "std");
	LLVMValueRef x = c->addr[n->in[0]], y = c->addr[n->out], ch;
	struct cg_loop l[3];
	LLVMValueRef row = channel_loops(c, l, &s, &ch);
	LLVMValueRef k = a->nchannels == 1 ? cg_i64(c, 0) : ch;
	LLVMValueRef mean = cg_load(c, means, k, "mean"), sd = cg_load(c, stds, k, "std");
	LLVMValueRef r = cg_loop_begin(c, &l[2], s.inner, "r");
	LLVMValueRef i = cg_add(c, row, r, "i");
	LLVMValueRef v = LLVMBuildFSub(c->b, cg_load(c, x, i, "x"), mean, "centered");
	cg_store(c, LLVMBuildFDiv(c->b, v, sd, "normalized"), y, i);
	for (int q = 2; q >= 0; q--)
		cg_loop_end(c, &l[q]);
}
