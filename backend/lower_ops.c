/* lower_ops.c - one loop nest per IR operation (lower_<op> of lower.h);
 * tiled, Winograd and depthwise convs are in their own lower_*.c files.
 *
 * Each lowering reads its operands through c->addr (pointers planned by
 * plan.c) and mirrors the reference interpreter's kernel (interp_kernels.c):
 * the same loop order for every sum, sums started at 0.0f and the bias
 * added last, the same formulas for batchnorm and softmax, so generated
 * code and interpreter agree to the last bits in most cases. Elementwise
 * ops, pools and global average pooling on NHWC, and softmax are explicit
 * <vec x float> code (the target's width; the last vector masked): lanes
 * run over elements or channels, so pool sums keep the interpreter's order
 * per channel; a softmax along the innermost axis sums in `vec` partial
 * sums (a rounding difference only). exp, sigmoid and tanh, alone or fused,
 * are the inline approximations of vmath.c instead of libm calls per
 * element (within 2.1e-7 relative of libm; docs/ir.md). Views and
 * identities emit nothing: they share their input's storage. Tiled layers
 * go to lower_tiled.c, depthwise convs to lower_dwconv.c. */
#include "cg.h"

#include "check.h"
#include "lower.h"

/* A 4-D activation seen as (n, c, h, w) whatever its layout. */
struct t4 {
	int64_t n, c, h, w;
	enum ir_layout layout;
};

static struct t4 t4_of(const struct ir_type *t, enum ir_layout layout)
{
	DLC_ASSERT(t->rank == 4);
	if (layout == IR_LAYOUT_NCHW)
		return (struct t4){ t->dims[0], t->dims[1], t->dims[2], t->dims[3], layout };
	return (struct t4){ t->dims[0], t->dims[3], t->dims[1], t->dims[2], IR_LAYOUT_NHWC };
}

/* Linear index of element (n, c, h, w). */
static LLVMValueRef t4_at(struct cg *c, const struct t4 *t, LLVMValueRef n, LLVMValueRef ch,
                          LLVMValueRef h, LLVMValueRef w)
{
	if (t->layout == IR_LAYOUT_NCHW)
		return cg_madd(c, cg_madd(c, cg_madd(c, n, t->c, ch, ""), t->h, h, ""), t->w, w, "at");
	return cg_madd(c, cg_madd(c, cg_madd(c, n, t->h, h, ""), t->w, w, ""), t->c, ch, "at");
}

/* The four loops over an output's (n, c, h, w), nested in memory order;
 * iv[] is indexed n, c, h, w. */
struct nest4 {
	struct cg_loop l[4];
};

static void nest4_begin(struct cg *c, struct nest4 *ns, const struct t4 *t, LLVMValueRef iv[4])
{
	static const char *const names[4] = { "n", "c", "h", "w" };
	const int64_t size[4] = { t->n, t->c, t->h, t->w };
	static const int nchw[4] = { 0, 1, 2, 3 }, nhwc[4] = { 0, 2, 3, 1 };
	const int *order = t->layout == IR_LAYOUT_NCHW ? nchw : nhwc;
	for (int k = 0; k < 4; k++)
		iv[order[k]] = cg_loop_begin(c, &ns->l[k], size[order[k]], names[order[k]]);
}

static void nest4_end(struct cg *c, struct nest4 *ns)
{
	for (int k = 3; k >= 0; k--)
		cg_loop_end(c, &ns->l[k]);
}

/* A tensor split at an axis: element (o, i, r) is at (o * len + i) * inner + r. */
struct split {
	int64_t outer, len, inner;
};

static struct split split_at(const struct ir_type *t, int axis)
{
	DLC_ASSERT(axis >= 0 && axis < t->rank);
	struct split s = { 1, t->dims[axis], 1 };
	for (int i = 0; i < axis; i++)
		s.outer *= t->dims[i];
	for (int i = axis + 1; i < t->rank; i++)
		s.inner *= t->dims[i];
	return s;
}

static const struct ir_type *vtype(struct cg *c, uint32_t v)
{
	return &c->g->vals[v].type;
}

static LLVMValueRef param_addr(struct cg *c, const struct ir_node *n, unsigned k)
{
	return n->param[k] == IR_NONE ? NULL : c->addr[n->param[k]];
}

/* ---- elementwise ---- */

/* Floats per vector of the target (4 without one: SSE, NEON). */
static int vwidth(const struct cg *c)
{
	return c->target ? c->target->vec_floats : 4;
}

static LLVMTypeRef vty_of(struct cg *c)
{
	return LLVMVectorType(c->t_f32, (unsigned)vwidth(c));
}

/* A <vec x float> variable in the entry block. */
static LLVMValueRef vvar(struct cg *c, LLVMTypeRef ty, const char *name)
{
	LLVMBuilderRef eb = LLVMCreateBuilderInContext(c->ctx);
	LLVMValueRef first = LLVMGetFirstInstruction(c->entry);
	if (first)
		LLVMPositionBuilderBefore(eb, first);
	else
		LLVMPositionBuilderAtEnd(eb, c->entry);
	LLVMValueRef v = LLVMBuildAlloca(eb, ty, name);
	LLVMDisposeBuilder(eb);
	return v;
}

/* Horizontal reduction of vector v by fadd (lanes in order) or by the
 * softmax max (a NaN lane never wins, as in the scalar loop). */
static LLVMValueRef hreduce(struct cg *c, LLVMValueRef v, bool is_max)
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

/* One step of a fused elementwise chain (the interpreter's eltwise_step)
 * on a float or vector value. */
static LLVMValueRef eltwise_step(struct cg *c, const struct ir_eltwise_step *s, LLVMValueRef v)
{
	LLVMTypeRef ty = LLVMTypeOf(v);
	switch (s->kind) {
	case IR_STEP_RELU:
		return cg_vact(c, IR_ACT_RELU, 0, 0, v);
	case IR_STEP_SIGMOID:
		return cg_vsigmoid(c, v);
	case IR_STEP_TANH:
		return cg_vtanh(c, v);
	case IR_STEP_CLIP:
		return cg_vclamp(c, v, s->a, s->b);
	case IR_STEP_AFFINE:
		return LLVMBuildFAdd(c->b, LLVMBuildFMul(c->b, v, cg_vconst(c, ty, s->a), ""),
		                     cg_vconst(c, ty, s->b), "affine");
	case IR_STEP_LEAKY_RELU: {
		LLVMValueRef neg = LLVMBuildFCmp(c->b, LLVMRealOLT, v, cg_vconst(c, ty, 0), "neg");
		LLVMValueRef scaled = LLVMBuildFMul(c->b, v, cg_vconst(c, ty, s->a), "");
		return LLVMBuildSelect(c->b, neg, scaled, v, "leaky");
	}
	case IR_STEP_HARD_SIGMOID: {
		LLVMValueRef t = LLVMBuildFAdd(c->b, LLVMBuildFMul(c->b, v, cg_vconst(c, ty, s->a), ""),
		                               cg_vconst(c, ty, s->b), "");
		return cg_vclamp(c, t, 0.0, 1.0);
	}
	case IR_STEP_HARD_SWISH: {
		LLVMValueRef t = LLVMBuildFAdd(
			c->b, LLVMBuildFMul(c->b, v, cg_vconst(c, ty, (double)(1.0f / 6.0f)), ""),
			cg_vconst(c, ty, 0.5), "");
		return LLVMBuildFMul(c->b, v, cg_vclamp(c, t, 0.0, 1.0), "hswish");
	}
	case IR_STEP_EXP:
		return cg_vexp(c, v);
	case IR_STEP_LOG:
		return cg_vintrinsic(c, "llvm.log", v);
	case IR_STEP_SQRT:
		return cg_vintrinsic(c, "llvm.sqrt", v);
	case IR_STEP_NEG:
		return LLVMBuildFNeg(c->b, v, "neg");
	case IR_STEP_ABS:
		return cg_vintrinsic(c, "llvm.fabs", v);
	case IR_STEP_NONE:
	case IR_STEP_COUNT:
		break;
	}
	DLC_UNREACHABLE("eltwise_step: invalid step");
}

/* The vector of `lanes` outputs at element i of elementwise node n. */
static void elementwise_vec(struct cg *c, const struct ir_node *n, LLVMValueRef i, int lanes)
{
	LLVMTypeRef ty = vty_of(c);
	LLVMValueRef v = cg_vload(c, ty, c->addr[n->in[0]], i, lanes, 4);
	switch (n->op) {
	case IR_RELU:
		v = cg_vact(c, IR_ACT_RELU, 0, 0, v);
		break;
	case IR_SIGMOID:
		v = cg_vsigmoid(c, v);
		break;
	case IR_TANH:
		v = cg_vtanh(c, v);
		break;
	case IR_RESCALE:
		v = LLVMBuildFMul(c->b, v, cg_vconst(c, ty, n->attr.rescale.scale), "scaled");
		v = LLVMBuildFAdd(c->b, v, cg_vconst(c, ty, n->attr.rescale.offset), "rescaled");
		break;
	case IR_ADD:
		for (unsigned k = 1; k < n->nin; k++)
			v = LLVMBuildFAdd(c->b, v, cg_vload(c, ty, c->addr[n->in[k]], i, lanes, 4), "sum");
		break;
	case IR_CLIP:
		v = cg_vclamp(c, v, n->attr.clip.min, n->attr.clip.max);
		break;
	case IR_ELTWISE:
		for (unsigned k = 0; k < n->attr.eltwise.nsteps; k++)
			v = eltwise_step(c, &n->attr.eltwise.steps[k], v);
		break;
	default:
		DLC_UNREACHABLE("lower_elementwise: not an elementwise op");
	}
	cg_vstore(c, v, c->addr[n->out], i, lanes);
}

/* Whole vectors, then one masked vector for the rest. */
void lower_elementwise(struct cg *c, const struct ir_node *n)
{
	int64_t numel = ir_type_numel(vtype(c, n->out)), vec = vwidth(c);
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
static LLVMValueRef channel_loops(struct cg *c, struct cg_loop l[2], const struct split *s,
                                  LLVMValueRef *ch)
{
	LLVMValueRef o = cg_loop_begin(c, &l[0], s->outer, "o");
	*ch = cg_loop_begin(c, &l[1], s->len, "ch");
	return cg_mul(c, cg_madd(c, o, s->len, *ch, ""), cg_i64(c, s->inner), "row");
}

void lower_batchnorm(struct cg *c, const struct ir_node *n)
{
	struct split s = split_at(vtype(c, n->out), n->attr.bn.axis);
	LLVMValueRef x = c->addr[n->in[0]], y = c->addr[n->out], ch, l2;
	struct cg_loop l[3];
	LLVMValueRef row = channel_loops(c, l, &s, &ch);
	LLVMValueRef gamma = cg_load(c, param_addr(c, n, 0), ch, "gamma");
	LLVMValueRef beta = cg_load(c, param_addr(c, n, 1), ch, "beta");
	LLVMValueRef mean = cg_load(c, param_addr(c, n, 2), ch, "mean");
	LLVMValueRef var = cg_load(c, param_addr(c, n, 3), ch, "var");
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
	struct split s = split_at(vtype(c, n->out), n->attr.scale_bias.axis);
	LLVMValueRef x = c->addr[n->in[0]], y = c->addr[n->out], ch;
	struct cg_loop l[3];
	LLVMValueRef row = channel_loops(c, l, &s, &ch);
	LLVMValueRef scale = cg_load(c, param_addr(c, n, 0), ch, "scale");
	LLVMValueRef bias = cg_load(c, param_addr(c, n, 1), ch, "bias");
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
	struct split s = split_at(vtype(c, n->out), a->axis);
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

/* ---- softmax: max, then exp and sum, then divide ----
 * With the axis innermost (inner == 1) the lanes run along the axis and
 * the max and sum are reduced across lanes at the end of their pass; else
 * the lanes are `vec` adjacent positions r, each reduced on its own. exp
 * is cg_vexp (its argument x - max is <= 0). */

/* One softmax row (axis innermost) or block of `vec` columns in lowering. */
struct sm_row {
	LLVMValueRef x, y, base;  /* base: element index of the row's first float */
	LLVMValueRef mx, sum;     /* vector variables */
	LLVMValueRef m, total, logsum; /* per-pass scalars (splat when used) */
	LLVMTypeRef ty;
	bool log;
};

static LLVMValueRef splat_f(struct cg *c, LLVMTypeRef ty, LLVMValueRef s)
{
	unsigned n = LLVMGetVectorSize(ty);
	LLVMValueRef v = LLVMBuildInsertElement(c->b, LLVMGetPoison(ty), s,
	                                        LLVMConstInt(c->t_i32, 0, 0), "");
	return LLVMBuildShuffleVector(c->b, v, LLVMGetPoison(ty),
	                              LLVMConstNull(LLVMVectorType(c->t_i32, n)), "splat");
}

/* Pass 1 (max), 2 (exp, store, sum) or 3 (scale) on one vector of a row
 * along the axis: element index at, `lanes` valid. */
static void sm_step(struct cg *c, struct sm_row *r, int pass, LLVMValueRef at, int lanes)
{
	LLVMValueRef full = cg_vmask(c, r->ty, lanes);
	if (pass == 1) {
		LLVMValueRef v = cg_vload(c, r->ty, r->x, at, lanes, 4);
		v = LLVMBuildSelect(c->b, full, v, cg_vconst(c, r->ty, -__builtin_inf()), "");
		LLVMValueRef m = LLVMBuildLoad2(c->b, r->ty, r->mx, "m");
		LLVMValueRef gt = LLVMBuildFCmp(c->b, LLVMRealOGT, v, m, "");
		LLVMBuildStore(c->b, LLVMBuildSelect(c->b, gt, v, m, "newmax"), r->mx);
	} else if (pass == 2) {
		LLVMValueRef v = cg_vload(c, r->ty, r->x, at, lanes, 4);
		LLVMValueRef e = cg_vexp(c, LLVMBuildFSub(c->b, v, r->m, ""));
		cg_vstore(c, e, r->y, at, lanes);
		e = LLVMBuildSelect(c->b, full, e, LLVMConstNull(r->ty), "");
		LLVMValueRef acc = LLVMBuildLoad2(c->b, r->ty, r->sum, "s");
		LLVMBuildStore(c->b, LLVMBuildFAdd(c->b, acc, e, "s"), r->sum);
	} else if (r->log) { /* (x - max) - log(sum); x is still intact */
		LLVMValueRef v = LLVMBuildFSub(c->b, cg_vload(c, r->ty, r->x, at, lanes, 4), r->m, "");
		cg_vstore(c, LLVMBuildFSub(c->b, v, r->logsum, "logp"), r->y, at, lanes);
	} else {
		LLVMValueRef e = cg_vload(c, r->ty, r->y, at, lanes, 4);
		cg_vstore(c, LLVMBuildFDiv(c->b, e, r->total, "p"), r->y, at, lanes);
	}
}

/* Axis innermost: row o is len contiguous floats. */
static void softmax_rows(struct cg *c, const struct ir_node *n, const struct split *s)
{
	int64_t vec = vwidth(c), full = s->len / vec, rest = s->len % vec;
	struct sm_row r = { .x = c->addr[n->in[0]], .y = c->addr[n->out], .ty = vty_of(c),
		            .log = n->attr.axis.log };
	r.mx = vvar(c, r.ty, "max");
	r.sum = vvar(c, r.ty, "sum");
	struct cg_loop lo, l;
	LLVMValueRef o = cg_loop_begin(c, &lo, s->outer, "o");
	r.base = cg_mul(c, o, cg_i64(c, s->len), "base");
	LLVMBuildStore(c->b, cg_vconst(c, r.ty, -__builtin_inf()), r.mx);
	LLVMBuildStore(c->b, LLVMConstNull(r.ty), r.sum);
	for (int pass = 1; pass <= 3; pass++) {
		if (full) {
			LLVMValueRef i = cg_loop_begin(c, &l, full, "i");
			sm_step(c, &r, pass, cg_madd(c, i, vec, r.base, "at"), (int)vec);
			cg_loop_end(c, &l);
		}
		if (rest)
			sm_step(c, &r, pass, cg_add(c, r.base, cg_i64(c, full * vec), "at"), (int)rest);
		if (pass == 1) {
			LLVMValueRef m = hreduce(c, LLVMBuildLoad2(c->b, r.ty, r.mx, ""), true);
			r.m = splat_f(c, r.ty, m);
		} else if (pass == 2) {
			LLVMValueRef t = hreduce(c, LLVMBuildLoad2(c->b, r.ty, r.sum, ""), false);
			r.total = splat_f(c, r.ty, t);
			if (r.log)
				r.logsum = splat_f(c, r.ty, cg_intrinsic(c, "llvm.log.f32", t));
		}
	}
	cg_loop_end(c, &lo);
}

/* Axis not innermost: lanes over `lanes` adjacent positions r0.. of the
 * inner block; each step of a pass walks the axis. */
static void softmax_cols(struct cg *c, const struct ir_node *n, const struct split *s,
                         LLVMValueRef o, LLVMValueRef r0, int lanes)
{
	struct sm_row r = { .x = c->addr[n->in[0]], .y = c->addr[n->out], .ty = vty_of(c),
		            .log = n->attr.axis.log };
	r.mx = vvar(c, r.ty, "max");
	r.sum = vvar(c, r.ty, "sum");
	r.base = cg_madd(c, o, s->len * s->inner, r0, "base");
	LLVMBuildStore(c->b, cg_vconst(c, r.ty, -__builtin_inf()), r.mx);
	LLVMBuildStore(c->b, LLVMConstNull(r.ty), r.sum);
	for (int pass = 1; pass <= 3; pass++) {
		struct cg_loop l;
		LLVMValueRef i = cg_loop_begin(c, &l, s->len, "i");
		sm_step(c, &r, pass, cg_madd(c, i, s->inner, r.base, "at"), lanes);
		cg_loop_end(c, &l);
		if (pass == 1) {
			r.m = LLVMBuildLoad2(c->b, r.ty, r.mx, "m");
		} else if (pass == 2) {
			r.total = LLVMBuildLoad2(c->b, r.ty, r.sum, "total");
			if (r.log)
				r.logsum = cg_vintrinsic(c, "llvm.log", r.total);
		}
	}
}

void lower_softmax(struct cg *c, const struct ir_node *n)
{
	struct split s = split_at(vtype(c, n->out), n->attr.axis.axis);
	if (s.inner == 1) {
		softmax_rows(c, n, &s);
		return;
	}
	int64_t vec = vwidth(c), full = s.inner / vec, rest = s.inner % vec;
	struct cg_loop lo, lr;
	LLVMValueRef o = cg_loop_begin(c, &lo, s.outer, "o");
	if (full) {
		LLVMValueRef r = cg_loop_begin(c, &lr, full, "r");
		softmax_cols(c, n, &s, o, cg_mul(c, r, cg_i64(c, vec), "r0"), (int)vec);
		cg_loop_end(c, &lr);
	}
	if (rest)
		softmax_cols(c, n, &s, o, cg_i64(c, full * vec), (int)rest);
	cg_loop_end(c, &lo);
}

/* ---- concat: one memcpy per input per outer row, none for inputs the
 * plan computed straight into their slice ---- */

void lower_concat(struct cg *c, const struct ir_node *n)
{
	int axis = n->attr.axis.axis;
	struct split ys = split_at(vtype(c, n->out), axis);
	int64_t off = 0;
	for (unsigned k = 0; k < n->nin; k++) {
		struct split xs = split_at(vtype(c, n->in[k]), axis);
		DLC_ASSERT(xs.outer == ys.outer && xs.inner == ys.inner);
		if (plan_concat_slice(c->plan, n->in[k], n->out)) {
			off += xs.len; /* planned into its slice: already in place */
			continue;
		}
		int64_t chunk = xs.len * xs.inner;
		struct cg_loop l;
		LLVMValueRef o = cg_loop_begin(c, &l, ys.outer, "o");
		LLVMValueRef dst = cg_elem(c, c->addr[n->out],
		                           cg_madd(c, o, ys.len * ys.inner, cg_i64(c, off * ys.inner), ""),
		                           "dst");
		LLVMValueRef src = cg_elem(c, c->addr[n->in[k]], cg_mul(c, o, cg_i64(c, chunk), ""), "src");
		LLVMBuildMemCpy(c->b, dst, 4, src, 4, cg_i64(c, chunk * 4));
		cg_loop_end(c, &l);
		off += xs.len;
	}
	DLC_ASSERT(off == ys.len);
}

/* ---- dense ---- */

void lower_dense(struct cg *c, const struct ir_node *n)
{
	if (n->attr.dense.tile.vec && n->attr.dense.tile.packed) {
		cg_lower_tiled(c, n); /* the tiled GEMM of lower_tiled.c */
		return;
	}
	/* rows over all leading positions: [N, T, F] is N * T rows of F */
	const struct ir_type *xt = vtype(c, n->in[0]), *yt = vtype(c, n->out);
	int64_t nin = xt->dims[xt->rank - 1], nout = yt->dims[yt->rank - 1];
	int64_t batch = ir_type_numel(xt) / nin;
	LLVMValueRef x = c->addr[n->in[0]], y = c->addr[n->out];
	LLVMValueRef w = param_addr(c, n, 0), b = param_addr(c, n, 1);
	LLVMValueRef acc = cg_var(c, "acc");
	struct cg_loop lb, lo, li;
	LLVMValueRef bn = cg_loop_begin(c, &lb, batch, "b");
	LLVMValueRef o = cg_loop_begin(c, &lo, nout, "o");
	LLVMBuildStore(c->b, cg_f32(c, 0), acc);
	LLVMValueRef xrow = cg_mul(c, bn, cg_i64(c, nin), "xrow");
	LLVMValueRef wrow = cg_mul(c, o, cg_i64(c, nin), "wrow");
	LLVMValueRef i = cg_loop_begin(c, &li, nin, "i");
	LLVMValueRef p = LLVMBuildFMul(c->b, cg_load(c, x, cg_add(c, xrow, i, ""), "x"),
	                               cg_load(c, w, cg_add(c, wrow, i, ""), "w"), "p");
	LLVMValueRef s = LLVMBuildFAdd(c->b, LLVMBuildLoad2(c->b, c->t_f32, acc, "a"), p, "a");
	LLVMBuildStore(c->b, s, acc);
	cg_loop_end(c, &li);
	LLVMValueRef r = LLVMBuildLoad2(c->b, c->t_f32, acc, "dot");
	if (b)
		r = LLVMBuildFAdd(c->b, r, cg_load(c, b, o, "bias"), "biased");
	LLVMValueRef at = cg_madd(c, bn, nout, o, "at");
	if (n->nin > 1) /* fused residual */
		r = LLVMBuildFAdd(c->b, r, cg_load(c, c->addr[n->in[1]], at, "res"), "residual");
	const struct ir_dense_attr *da = &n->attr.dense;
	cg_store(c, cg_vact(c, da->act, da->act_min, da->act_max, r), y, at);
	cg_loop_end(c, &lo);
	cg_loop_end(c, &lb);
}

/* ---- conv2d ---- */

/* ih = oh * stride - pad + k * dilation, for one spatial axis. */
static LLVMValueRef tap(struct cg *c, LLVMValueRef out, int64_t stride, int64_t pad,
                        LLVMValueRef k, int64_t dilation, const char *name)
{
	LLVMValueRef base = cg_add(c, cg_mul(c, out, cg_i64(c, stride), ""), cg_i64(c, -pad), "");
	return cg_madd(c, k, dilation, base, name);
}

/* acc += x[n, c0 + ic, ih, iw] * w[oc, ic, kh, kw] over ic, kh, kw, skipping
 * taps in the padding: the interpreter's conv_point. */
static void conv_taps(struct cg *c, const struct ir_node *n, const struct t4 *xi,
                      LLVMValueRef iv[4], LLVMValueRef acc)
{
	const struct ir_conv_attr *a = &n->attr.conv;
	int64_t icpg = xi->c / a->groups, ocpg = c->g->vals[n->out].type.dims[
		a->layout == IR_LAYOUT_NCHW ? 1 : 3] / a->groups;
	LLVMValueRef x = c->addr[n->in[0]], w = param_addr(c, n, 0);
	LLVMValueRef grp = LLVMBuildUDiv(c->b, iv[1], cg_i64(c, ocpg), "group");
	LLVMValueRef c0 = cg_mul(c, grp, cg_i64(c, icpg), "c0");
	LLVMValueRef wbase = cg_mul(c, iv[1], cg_i64(c, icpg * a->kernel[0] * a->kernel[1]), "wbase");
	struct cg_loop lic, lkh, lkw;
	LLVMValueRef ic = cg_loop_begin(c, &lic, icpg, "ic");
	LLVMValueRef kh = cg_loop_begin(c, &lkh, a->kernel[0], "kh");
	LLVMValueRef ih = tap(c, iv[2], a->stride[0], a->pad[0], kh, a->dilation[0], "ih");
	LLVMBasicBlockRef after_h = cg_if_begin(c, cg_in_range(c, ih, xi->h, "ih.ok"), "row");
	LLVMValueRef kw = cg_loop_begin(c, &lkw, a->kernel[1], "kw");
	LLVMValueRef iw = tap(c, iv[3], a->stride[1], a->pad[1], kw, a->dilation[1], "iw");
	LLVMBasicBlockRef after_w = cg_if_begin(c, cg_in_range(c, iw, xi->w, "iw.ok"), "tap");
	LLVMValueRef xv = cg_load(c, x, t4_at(c, xi, iv[0], cg_add(c, c0, ic, "ch"), ih, iw), "x");
	LLVMValueRef widx = cg_madd(c, cg_madd(c, ic, a->kernel[0], kh, ""), a->kernel[1], kw, "");
	LLVMValueRef p = LLVMBuildFMul(c->b, xv, cg_load(c, w, cg_add(c, wbase, widx, ""), "w"), "p");
	LLVMBuildStore(c->b, LLVMBuildFAdd(c->b, LLVMBuildLoad2(c->b, c->t_f32, acc, "a"), p, "a"),
	               acc);
	cg_if_end(c, after_w);
	cg_loop_end(c, &lkw);
	cg_if_end(c, after_h);
	cg_loop_end(c, &lkh);
	cg_loop_end(c, &lic);
}

void lower_conv2d(struct cg *c, const struct ir_node *n)
{
	const struct ir_conv_attr *a = &n->attr.conv;
	if (cg_is_dwconv(c, n)) {
		cg_lower_dwconv(c, n); /* channels in lanes: lower_dwconv.c */
		return;
	}
	if (a->tile.vec && a->tile.packed) {
		cg_lower_tiled(c, n); /* implicit GEMM of lower_tiled.c */
		return;
	}
	struct t4 xi = t4_of(vtype(c, n->in[0]), a->layout);
	struct t4 yo = t4_of(vtype(c, n->out), a->layout);
	DLC_ASSERT(a->groups >= 1 && xi.c % a->groups == 0 && yo.c % a->groups == 0);
	LLVMValueRef b = param_addr(c, n, 1), acc = cg_var(c, "acc"), iv[4];
	struct nest4 ns;
	nest4_begin(c, &ns, &yo, iv);
	LLVMBuildStore(c->b, cg_f32(c, 0), acc);
	conv_taps(c, n, &xi, iv, acc);
	LLVMValueRef r = LLVMBuildLoad2(c->b, c->t_f32, acc, "conv");
	if (b)
		r = LLVMBuildFAdd(c->b, r, cg_load(c, b, iv[1], "bias"), "biased");
	LLVMValueRef at = t4_at(c, &yo, iv[0], iv[1], iv[2], iv[3]);
	if (n->nin > 1) /* fused residual: same shape and layout as the output */
		r = LLVMBuildFAdd(c->b, r, cg_load(c, c->addr[n->in[1]], at, "res"), "residual");
	cg_store(c, cg_vact(c, a->act, a->act_min, a->act_max, r), c->addr[n->out], at);
	nest4_end(c, &ns);
}

/* ---- pooling ---- */

/* mx = v unless mx is NaN; NaN in v wins, as in PyTorch and the interpreter. */
static LLVMValueRef max_step(struct cg *c, LLVMValueRef mx, LLVMValueRef v)
{
	LLVMValueRef ok = LLVMBuildFCmp(c->b, LLVMRealORD, mx, mx, "");
	LLVMValueRef bigger = LLVMBuildFCmp(c->b, LLVMRealUGT, v, mx, "");
	return LLVMBuildSelect(c->b, LLVMBuildAnd(c->b, ok, bigger, ""), v, mx, "max");
}

static void pool_scalar(struct cg *c, const struct ir_node *n, const struct t4 *xi,
                        const struct t4 *yo)
{
	const struct ir_pool_attr *a = &n->attr.pool;
	bool is_max = n->op == IR_MAXPOOL2D;
	LLVMValueRef acc = cg_var(c, "acc"), cnt = cg_var(c, "valid"), iv[4];
	struct nest4 ns;
	struct cg_loop lkh, lkw;
	nest4_begin(c, &ns, yo, iv);
	LLVMBuildStore(c->b, cg_f32(c, is_max ? -__builtin_inf() : 0.0), acc);
	LLVMBuildStore(c->b, cg_f32(c, 0), cnt);
	LLVMValueRef kh = cg_loop_begin(c, &lkh, a->kernel[0], "kh");
	LLVMValueRef ih = tap(c, iv[2], a->stride[0], a->pad[0], kh, 1, "ih");
	LLVMBasicBlockRef after_h = cg_if_begin(c, cg_in_range(c, ih, xi->h, "ih.ok"), "row");
	LLVMValueRef kw = cg_loop_begin(c, &lkw, a->kernel[1], "kw");
	LLVMValueRef iw = tap(c, iv[3], a->stride[1], a->pad[1], kw, 1, "iw");
	LLVMBasicBlockRef after_w = cg_if_begin(c, cg_in_range(c, iw, xi->w, "iw.ok"), "tap");
	LLVMValueRef v = cg_load(c, c->addr[n->in[0]], t4_at(c, xi, iv[0], iv[1], ih, iw), "x");
	LLVMValueRef cur = LLVMBuildLoad2(c->b, c->t_f32, acc, "a");
	LLVMBuildStore(c->b, is_max ? max_step(c, cur, v) : LLVMBuildFAdd(c->b, cur, v, "sum"), acc);
	LLVMValueRef k = LLVMBuildLoad2(c->b, c->t_f32, cnt, "k");
	LLVMBuildStore(c->b, LLVMBuildFAdd(c->b, k, cg_f32(c, 1), "k"), cnt);
	cg_if_end(c, after_w);
	cg_loop_end(c, &lkw);
	cg_if_end(c, after_h);
	cg_loop_end(c, &lkh);
	LLVMValueRef r = LLVMBuildLoad2(c->b, c->t_f32, acc, "pool");
	if (!is_max) {
		LLVMValueRef div = a->count_include_pad ? cg_f32(c, (double)(a->kernel[0] * a->kernel[1]))
		                                        : LLVMBuildLoad2(c->b, c->t_f32, cnt, "count");
		r = LLVMBuildFDiv(c->b, r, div, "avg");
	}
	cg_store(c, r, c->addr[n->out], t4_at(c, yo, iv[0], iv[1], iv[2], iv[3]));
	nest4_end(c, &ns);
}

/* One output pixel's channel vector of a pool on NHWC: `lanes` channels
 * from c0, at output (iv[0], iv[2], iv[3]); the taps skip the padding. */
static void pool_vec(struct cg *c, const struct ir_node *n, const struct t4 *xi,
                     const struct t4 *yo, LLVMValueRef iv[4], LLVMValueRef c0, int lanes)
{
	const struct ir_pool_attr *a = &n->attr.pool;
	bool is_max = n->op == IR_MAXPOOL2D;
	LLVMTypeRef ty = vty_of(c);
	LLVMValueRef acc = vvar(c, ty, "acc"), cnt = cg_var(c, "valid");
	struct cg_loop lkh, lkw;
	LLVMBuildStore(c->b, cg_vconst(c, ty, is_max ? -__builtin_inf() : 0.0), acc);
	LLVMBuildStore(c->b, cg_f32(c, 0), cnt);
	LLVMValueRef kh = cg_loop_begin(c, &lkh, a->kernel[0], "kh");
	LLVMValueRef ih = tap(c, iv[2], a->stride[0], a->pad[0], kh, 1, "ih");
	LLVMBasicBlockRef after_h = cg_if_begin(c, cg_in_range(c, ih, xi->h, "ih.ok"), "row");
	LLVMValueRef kw = cg_loop_begin(c, &lkw, a->kernel[1], "kw");
	LLVMValueRef iw = tap(c, iv[3], a->stride[1], a->pad[1], kw, 1, "iw");
	LLVMBasicBlockRef after_w = cg_if_begin(c, cg_in_range(c, iw, xi->w, "iw.ok"), "tap");
	LLVMValueRef v = cg_vload(c, ty, c->addr[n->in[0]], t4_at(c, xi, iv[0], c0, ih, iw), lanes, 4);
	LLVMValueRef cur = LLVMBuildLoad2(c->b, ty, acc, "a");
	LLVMBuildStore(c->b, is_max ? max_step(c, cur, v) : LLVMBuildFAdd(c->b, cur, v, "sum"), acc);
	LLVMValueRef k = LLVMBuildLoad2(c->b, c->t_f32, cnt, "k");
	LLVMBuildStore(c->b, LLVMBuildFAdd(c->b, k, cg_f32(c, 1), "k"), cnt);
	cg_if_end(c, after_w);
	cg_loop_end(c, &lkw);
	cg_if_end(c, after_h);
	cg_loop_end(c, &lkh);
	LLVMValueRef r = LLVMBuildLoad2(c->b, ty, acc, "pool");
	if (!is_max) {
		LLVMValueRef div = a->count_include_pad ? cg_f32(c, (double)(a->kernel[0] * a->kernel[1]))
		                                        : LLVMBuildLoad2(c->b, c->t_f32, cnt, "count");
		r = LLVMBuildFDiv(c->b, r, splat_f(c, ty, div), "avg");
	}
	cg_vstore(c, r, c->addr[n->out], t4_at(c, yo, iv[0], c0, iv[2], iv[3]), lanes);
}

/* NHWC: loops over (n, oh, ow), channels in lanes (whole vectors, then one
 * masked); NCHW (-O0): one scalar loop nest. */
void lower_pool2d(struct cg *c, const struct ir_node *n)
{
	const struct ir_pool_attr *a = &n->attr.pool;
	struct t4 xi = t4_of(vtype(c, n->in[0]), a->layout);
	struct t4 yo = t4_of(vtype(c, n->out), a->layout);
	if (a->layout == IR_LAYOUT_NHWC) {
		int64_t vec = vwidth(c), full = yo.c / vec, rest = yo.c % vec;
		struct cg_loop l[4];
		LLVMValueRef iv[4];
		iv[0] = cg_loop_begin(c, &l[0], yo.n, "n");
		iv[2] = cg_loop_begin(c, &l[1], yo.h, "h");
		iv[3] = cg_loop_begin(c, &l[2], yo.w, "w");
		if (full) {
			LLVMValueRef cv = cg_loop_begin(c, &l[3], full, "cv");
			pool_vec(c, n, &xi, &yo, iv, cg_mul(c, cv, cg_i64(c, vec), "c0"), (int)vec);
			cg_loop_end(c, &l[3]);
		}
		if (rest)
			pool_vec(c, n, &xi, &yo, iv, cg_i64(c, full * vec), (int)rest);
		for (int k = 2; k >= 0; k--)
			cg_loop_end(c, &l[k]);
		return;
	}
	pool_scalar(c, n, &xi, &yo);
}

/* Per channel vector: the sum over (h, w) in the interpreter's order. */
static void gap_vec(struct cg *c, const struct t4 *xi, LLVMValueRef x, LLVMValueRef y,
                    LLVMValueRef bn, LLVMValueRef c0, int lanes)
{
	LLVMTypeRef ty = vty_of(c);
	LLVMValueRef sum = vvar(c, ty, "sum");
	struct cg_loop lh, lw;
	LLVMBuildStore(c->b, LLVMConstNull(ty), sum);
	LLVMValueRef h = cg_loop_begin(c, &lh, xi->h, "h");
	LLVMValueRef w = cg_loop_begin(c, &lw, xi->w, "w");
	LLVMValueRef v = cg_vload(c, ty, x, t4_at(c, xi, bn, c0, h, w), lanes, 4);
	LLVMValueRef s = LLVMBuildLoad2(c->b, ty, sum, "s");
	LLVMBuildStore(c->b, LLVMBuildFAdd(c->b, s, v, "s"), sum);
	cg_loop_end(c, &lw);
	cg_loop_end(c, &lh);
	LLVMValueRef r = LLVMBuildFDiv(c->b, LLVMBuildLoad2(c->b, ty, sum, "total"),
	                               cg_vconst(c, ty, (double)(xi->h * xi->w)), "mean");
	cg_vstore(c, r, y, cg_madd(c, bn, xi->c, c0, "at"), lanes);
}

void lower_global_avgpool(struct cg *c, const struct ir_node *n)
{
	struct t4 xi = t4_of(vtype(c, n->in[0]), n->attr.axis.layout);
	LLVMValueRef x = c->addr[n->in[0]], y = c->addr[n->out];
	struct cg_loop lb, lc;
	LLVMValueRef bn = cg_loop_begin(c, &lb, xi.n, "b");
	if (xi.layout == IR_LAYOUT_NHWC) {
		int64_t vec = vwidth(c), full = xi.c / vec, rest = xi.c % vec;
		if (full) {
			LLVMValueRef cv = cg_loop_begin(c, &lc, full, "cv");
			gap_vec(c, &xi, x, y, bn, cg_mul(c, cv, cg_i64(c, vec), "c0"), (int)vec);
			cg_loop_end(c, &lc);
		}
		if (rest)
			gap_vec(c, &xi, x, y, bn, cg_i64(c, full * vec), (int)rest);
		cg_loop_end(c, &lb);
		return;
	}
	/* NCHW: each channel's plane is contiguous; scalar sums */
	LLVMValueRef sum = cg_var(c, "sum");
	struct cg_loop lh, lw;
	LLVMValueRef ch = cg_loop_begin(c, &lc, xi.c, "c");
	LLVMBuildStore(c->b, cg_f32(c, 0), sum);
	LLVMValueRef h = cg_loop_begin(c, &lh, xi.h, "h");
	LLVMValueRef w = cg_loop_begin(c, &lw, xi.w, "w");
	LLVMValueRef v = cg_load(c, x, t4_at(c, &xi, bn, ch, h, w), "x");
	LLVMValueRef s = LLVMBuildLoad2(c->b, c->t_f32, sum, "s");
	LLVMBuildStore(c->b, LLVMBuildFAdd(c->b, s, v, "s"), sum);
	cg_loop_end(c, &lw);
	cg_loop_end(c, &lh);
	LLVMValueRef r = LLVMBuildFDiv(c->b, LLVMBuildLoad2(c->b, c->t_f32, sum, "total"),
	                               cg_f32(c, (double)(xi.h * xi.w)), "mean");
	cg_store(c, r, y, cg_madd(c, bn, xi.c, ch, "at"));
	cg_loop_end(c, &lc);
	cg_loop_end(c, &lb);
}

/* Zero padding: every output element is an input element or 0. */
void lower_zeropad2d(struct cg *c, const struct ir_node *n)
{
	const struct ir_pad_attr *a = &n->attr.pad;
	struct t4 xi = t4_of(vtype(c, n->in[0]), a->layout);
	struct t4 yo = t4_of(vtype(c, n->out), a->layout);
	LLVMValueRef iv[4];
	struct nest4 ns;
	nest4_begin(c, &ns, &yo, iv);
	LLVMValueRef ih = cg_add(c, iv[2], cg_i64(c, -a->pad[0]), "ih");
	LLVMValueRef iw = cg_add(c, iv[3], cg_i64(c, -a->pad[1]), "iw");
	LLVMValueRef inside = LLVMBuildAnd(c->b, cg_in_range(c, ih, xi.h, "inh"), cg_in_range(c, iw, xi.w, "inw"),
	                                   "inside");
	/* clamp the address so the load is always in bounds, then select */
	LLVMValueRef sh = LLVMBuildSelect(c->b, inside, ih, cg_i64(c, 0), "");
	LLVMValueRef sw = LLVMBuildSelect(c->b, inside, iw, cg_i64(c, 0), "");
	LLVMValueRef v = cg_load(c, c->addr[n->in[0]], t4_at(c, &xi, iv[0], iv[1], sh, sw), "x");
	v = LLVMBuildSelect(c->b, inside, v, cg_f32(c, 0), "padded");
	cg_store(c, v, c->addr[n->out], t4_at(c, &yo, iv[0], iv[1], iv[2], iv[3]));
	nest4_end(c, &ns);
}

/* out[i_0..i_r] = x[sum_k i_k * stride_in[perm[k]]]: loops over the
 * output in memory order, gathering from the input. */
void lower_transpose(struct cg *c, const struct ir_node *n)
{
	const struct ir_type *xt = vtype(c, n->in[0]), *yt = vtype(c, n->out);
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
	cg_store(c, cg_load(c, c->addr[n->in[0]], src, "x"), c->addr[n->out], dst);
	for (unsigned k = a->rank; k-- > 0;)
		cg_loop_end(c, &l[k]);
}
