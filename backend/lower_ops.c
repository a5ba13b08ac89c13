/* lower_ops.c - one straightforward loop nest per IR operation.
 *
 * Each lowering reads its operands through c->addr (pointers planned by
 * plan.c) and mirrors the reference interpreter's kernel (interp_kernels.c):
 * the same loop order for every sum, sums started at 0.0f and the bias
 * added last, the same formulas for activations, batchnorm and softmax, so
 * generated code and interpreter agree to the last bits in most cases.
 * Views and identities emit nothing: they share their input's storage.
 * Tiling, fusion and packing come later. */
#include "cg.h"

#include "check.h"

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

/* One step of a fused elementwise chain (the interpreter's eltwise_step). */
static LLVMValueRef eltwise_step(struct cg *c, const struct ir_eltwise_step *s, LLVMValueRef v)
{
	switch (s->kind) {
	case IR_STEP_RELU:
		return cg_act(c, IR_ACT_RELU, 0, 0, v);
	case IR_STEP_SIGMOID:
		return cg_act(c, IR_ACT_SIGMOID, 0, 0, v);
	case IR_STEP_TANH:
		return cg_act(c, IR_ACT_TANH, 0, 0, v);
	case IR_STEP_CLIP:
		return cg_clamp(c, v, s->a, s->b);
	case IR_STEP_AFFINE:
		return LLVMBuildFAdd(c->b, LLVMBuildFMul(c->b, v, cg_f32(c, s->a), ""),
		                     cg_f32(c, s->b), "affine");
	case IR_STEP_LEAKY_RELU: {
		LLVMValueRef neg = LLVMBuildFCmp(c->b, LLVMRealOLT, v, cg_f32(c, 0), "neg");
		LLVMValueRef scaled = LLVMBuildFMul(c->b, v, cg_f32(c, s->a), "");
		return LLVMBuildSelect(c->b, neg, scaled, v, "leaky");
	}
	case IR_STEP_HARD_SIGMOID: {
		LLVMValueRef t = LLVMBuildFAdd(c->b, LLVMBuildFMul(c->b, v, cg_f32(c, s->a), ""),
		                               cg_f32(c, s->b), "");
		return cg_clamp(c, t, 0.0f, 1.0f);
	}
	case IR_STEP_HARD_SWISH: {
		LLVMValueRef t = LLVMBuildFAdd(
			c->b, LLVMBuildFMul(c->b, v, cg_f32(c, (double)(1.0f / 6.0f)), ""),
			cg_f32(c, 0.5), "");
		return LLVMBuildFMul(c->b, v, cg_clamp(c, t, 0.0f, 1.0f), "hswish");
	}
	case IR_STEP_EXP:
		return cg_intrinsic(c, "llvm.exp.f32", v);
	case IR_STEP_LOG:
		return cg_intrinsic(c, "llvm.log.f32", v);
	case IR_STEP_SQRT:
		return cg_intrinsic(c, "llvm.sqrt.f32", v);
	case IR_STEP_NEG:
		return LLVMBuildFNeg(c->b, v, "neg");
	case IR_STEP_ABS:
		return cg_intrinsic(c, "llvm.fabs.f32", v);
	case IR_STEP_NONE:
	case IR_STEP_COUNT:
		break;
	}
	DLC_UNREACHABLE("eltwise_step: invalid step");
}

static void lower_elementwise(struct cg *c, const struct ir_node *n)
{
	int64_t numel = ir_type_numel(vtype(c, n->out));
	LLVMValueRef y = c->addr[n->out];
	struct cg_loop l;
	LLVMValueRef i = cg_loop_begin(c, &l, numel, "i");
	LLVMValueRef v = cg_load(c, c->addr[n->in[0]], i, "x");
	switch (n->op) {
	case IR_RELU:
		v = cg_act(c, IR_ACT_RELU, 0, 0, v);
		break;
	case IR_SIGMOID:
		v = cg_act(c, IR_ACT_SIGMOID, 0, 0, v);
		break;
	case IR_TANH:
		v = cg_act(c, IR_ACT_TANH, 0, 0, v);
		break;
	case IR_RESCALE:
		v = LLVMBuildFMul(c->b, v, cg_f32(c, n->attr.rescale.scale), "scaled");
		v = LLVMBuildFAdd(c->b, v, cg_f32(c, n->attr.rescale.offset), "rescaled");
		break;
	case IR_ADD:
		for (unsigned k = 1; k < n->nin; k++)
			v = LLVMBuildFAdd(c->b, v, cg_load(c, c->addr[n->in[k]], i, "x"), "sum");
		break;
	case IR_CLIP:
		v = cg_clamp(c, v, n->attr.clip.min, n->attr.clip.max);
		break;
	case IR_ELTWISE:
		for (unsigned k = 0; k < n->attr.eltwise.nsteps; k++)
			v = eltwise_step(c, &n->attr.eltwise.steps[k], v);
		break;
	default:
		DLC_UNREACHABLE("lower_elementwise: not an elementwise op");
	}
	cg_store(c, v, y, i);
	cg_loop_end(c, &l);
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

static void lower_batchnorm(struct cg *c, const struct ir_node *n)
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
static void lower_scale_bias(struct cg *c, const struct ir_node *n)
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

static void lower_normalize(struct cg *c, const struct ir_node *n)
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

/* ---- softmax: max, then exp and sum, then divide ---- */

static void lower_softmax(struct cg *c, const struct ir_node *n)
{
	struct split s = split_at(vtype(c, n->out), n->attr.axis.axis);
	LLVMValueRef x = c->addr[n->in[0]], y = c->addr[n->out];
	LLVMValueRef mx = cg_var(c, "max"), sum = cg_var(c, "sum");
	struct cg_loop lo, lr, l;
	LLVMValueRef o = cg_loop_begin(c, &lo, s.outer, "o");
	LLVMValueRef r = cg_loop_begin(c, &lr, s.inner, "r");
	LLVMValueRef base = cg_add(c, cg_mul(c, o, cg_i64(c, s.len * s.inner), ""), r, "base");
	LLVMBuildStore(c->b, cg_f32(c, -__builtin_inf()), mx);
	LLVMBuildStore(c->b, cg_f32(c, 0), sum);
	LLVMValueRef i = cg_loop_begin(c, &l, s.len, "i");
	LLVMValueRef at = cg_madd(c, i, s.inner, base, "at");
	LLVMValueRef v = cg_load(c, x, at, "x"), m = LLVMBuildLoad2(c->b, c->t_f32, mx, "m");
	LLVMValueRef gt = LLVMBuildFCmp(c->b, LLVMRealOGT, v, m, "");
	LLVMBuildStore(c->b, LLVMBuildSelect(c->b, gt, v, m, "newmax"), mx);
	cg_loop_end(c, &l);
	m = LLVMBuildLoad2(c->b, c->t_f32, mx, "m");
	i = cg_loop_begin(c, &l, s.len, "i");
	at = cg_madd(c, i, s.inner, base, "at");
	LLVMValueRef e = cg_intrinsic(c, "llvm.exp.f32",
	                              LLVMBuildFSub(c->b, cg_load(c, x, at, "x"), m, ""));
	cg_store(c, e, y, at);
	LLVMValueRef acc = LLVMBuildLoad2(c->b, c->t_f32, sum, "s");
	LLVMBuildStore(c->b, LLVMBuildFAdd(c->b, acc, e, "s"), sum);
	cg_loop_end(c, &l);
	LLVMValueRef total = LLVMBuildLoad2(c->b, c->t_f32, sum, "total");
	LLVMValueRef logsum = n->attr.axis.log ? cg_intrinsic(c, "llvm.log.f32", total) : NULL;
	i = cg_loop_begin(c, &l, s.len, "i");
	at = cg_madd(c, i, s.inner, base, "at");
	if (logsum) /* log_softmax: (x - max) - log(sum); x is still intact */
		cg_store(c, LLVMBuildFSub(c->b, LLVMBuildFSub(c->b, cg_load(c, x, at, "x"), m, ""),
		                          logsum, "logp"), y, at);
	else
		cg_store(c, LLVMBuildFDiv(c->b, cg_load(c, y, at, "e"), total, "p"), y, at);
	cg_loop_end(c, &l);
	cg_loop_end(c, &lr);
	cg_loop_end(c, &lo);
}

/* ---- concat: one memcpy per input per outer row, none for inputs the
 * plan computed straight into their slice ---- */

static void lower_concat(struct cg *c, const struct ir_node *n)
{
	int axis = n->attr.axis.axis;
	struct split ys = split_at(vtype(c, n->out), axis);
	int64_t off = 0;
	for (unsigned k = 0; k < n->nin; k++) {
		struct split xs = split_at(vtype(c, n->in[k]), axis);
		DLC_ASSERT(xs.outer == ys.outer && xs.inner == ys.inner);
		if (plan_concat_slice(c->plan, n->in[k])) {
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

static void lower_dense(struct cg *c, const struct ir_node *n)
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
	cg_store(c, cg_act(c, da->act, da->act_min, da->act_max, r), y, at);
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

static void lower_conv2d(struct cg *c, const struct ir_node *n)
{
	const struct ir_conv_attr *a = &n->attr.conv;
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
	cg_store(c, cg_act(c, a->act, a->act_min, a->act_max, r), c->addr[n->out], at);
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

static void lower_pool(struct cg *c, const struct ir_node *n)
{
	const struct ir_pool_attr *a = &n->attr.pool;
	bool is_max = n->op == IR_MAXPOOL2D;
	struct t4 xi = t4_of(vtype(c, n->in[0]), a->layout);
	struct t4 yo = t4_of(vtype(c, n->out), a->layout);
	LLVMValueRef acc = cg_var(c, "acc"), cnt = cg_var(c, "valid"), iv[4];
	struct nest4 ns;
	struct cg_loop lkh, lkw;
	nest4_begin(c, &ns, &yo, iv);
	LLVMBuildStore(c->b, cg_f32(c, is_max ? -__builtin_inf() : 0.0), acc);
	LLVMBuildStore(c->b, cg_f32(c, 0), cnt);
	LLVMValueRef kh = cg_loop_begin(c, &lkh, a->kernel[0], "kh");
	LLVMValueRef ih = tap(c, iv[2], a->stride[0], a->pad[0], kh, 1, "ih");
	LLVMBasicBlockRef after_h = cg_if_begin(c, cg_in_range(c, ih, xi.h, "ih.ok"), "row");
	LLVMValueRef kw = cg_loop_begin(c, &lkw, a->kernel[1], "kw");
	LLVMValueRef iw = tap(c, iv[3], a->stride[1], a->pad[1], kw, 1, "iw");
	LLVMBasicBlockRef after_w = cg_if_begin(c, cg_in_range(c, iw, xi.w, "iw.ok"), "tap");
	LLVMValueRef v = cg_load(c, c->addr[n->in[0]], t4_at(c, &xi, iv[0], iv[1], ih, iw), "x");
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
	cg_store(c, r, c->addr[n->out], t4_at(c, &yo, iv[0], iv[1], iv[2], iv[3]));
	nest4_end(c, &ns);
}

static void lower_global_avgpool(struct cg *c, const struct ir_node *n)
{
	struct t4 xi = t4_of(vtype(c, n->in[0]), n->attr.axis.layout);
	LLVMValueRef x = c->addr[n->in[0]], sum = cg_var(c, "sum");
	struct cg_loop lb, lc, lh, lw;
	LLVMValueRef bn = cg_loop_begin(c, &lb, xi.n, "b");
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
	cg_store(c, r, c->addr[n->out], cg_madd(c, bn, xi.c, ch, "at"));
	cg_loop_end(c, &lc);
	cg_loop_end(c, &lb);
}

/* Zero padding: every output element is an input element or 0. */
static void lower_zeropad2d(struct cg *c, const struct ir_node *n)
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
static void lower_transpose(struct cg *c, const struct ir_node *n)
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

void cg_lower_node(struct cg *c, const struct ir_node *n)
{
	switch (n->op) {
	case IR_RELU:
	case IR_SIGMOID:
	case IR_TANH:
	case IR_RESCALE:
	case IR_ADD:
	case IR_CLIP:
	case IR_ELTWISE:
		lower_elementwise(c, n);
		return;
	case IR_SCALE_BIAS:
		lower_scale_bias(c, n);
		return;
	case IR_ZEROPAD2D:
		lower_zeropad2d(c, n);
		return;
	case IR_TRANSPOSE:
		lower_transpose(c, n);
		return;
	case IR_NORMALIZE:
		lower_normalize(c, n);
		return;
	case IR_BATCHNORM:
		lower_batchnorm(c, n);
		return;
	case IR_SOFTMAX:
		lower_softmax(c, n);
		return;
	case IR_CONCAT:
		lower_concat(c, n);
		return;
	case IR_DENSE:
		lower_dense(c, n);
		return;
	case IR_CONV2D:
		lower_conv2d(c, n);
		return;
	case IR_MAXPOOL2D:
	case IR_AVGPOOL2D:
		lower_pool(c, n);
		return;
	case IR_GLOBAL_AVGPOOL:
		lower_global_avgpool(c, n);
		return;
	case IR_FLATTEN:
	case IR_RESHAPE:
	case IR_DROPOUT:
		return; /* views: planned to share their input's bytes */
	case IR_EMBEDDING:
	case IR_ONEHOT:
	case IR_LSTM:
	case IR_GRU:
	case IR_TIMESTEP:
		cg_lower_sequence(c, n);
		return;
	case IR_BINARY:
	case IR_MATMUL:
	case IR_REDUCE_MEAN:
	case IR_SLICE:
	case IR_PAD:
	case IR_BROADCAST:
	case IR_GATHER:
		cg_lower_tensor(c, n);
		return;
	case IR_OP_NONE:
	case IR_OP_COUNT:
		break;
	}
	DLC_UNREACHABLE("cg_lower_node: invalid op");
}
