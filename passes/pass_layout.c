/* pass_layout.c - the compiler picks the internal layout of activations:
 * NHWC (channels innermost), whatever layout the model declared.
 *
 * Only models with NCHW layers change. One forward sweep over the schedule
 * gives every 4-D value one of two forms: its declared form, or its NHWC
 * twin (dims [N, C, H, W] stored as [N, H, W, C], axis a of the declared
 * form at axis to_nhwc_axis[a]). Each node states which form it wants for
 * its inputs:
 *   - conv2d, pools, global_avgpool and zeropad2d declared NCHW want the
 *     NHWC form and are switched to NHWC;
 *   - elementwise and per-channel ops (batchnorm, normalize, scale_bias,
 *     softmax) take whatever form arrives and remap their channel axis;
 *     add and concat take NHWC if any input is NHWC;
 *   - binary (a broadcasting add/sub/mul/div of a 4-D result) takes NHWC
 *     if any input is NHWC and every other input is 4-D or a constant:
 *     broadcasting pairs axes one to one, so permuting every operand and
 *     the result alike computes the same elements. A constant operand is
 *     extended to rank 4 (leading 1s, as broadcasting does) and its
 *     elements permuted at compile time. This keeps squeeze-and-excitation
 *     (x * gate[N, C, 1, 1]) and per-channel constants in NHWC;
 *   - slice of a 4-D NHWC value slices the remapped axis in NHWC, and a
 *     channel shuffle of one (reshape to [N, G, C/G, H, W], transpose of
 *     axes 1 and 2, reshape back) becomes the same shuffle in NHWC;
 *   - flatten (or a rank-2 reshape) feeding only the weight input of a
 *     dense takes the NHWC form, and the dense weight's columns are
 *     permuted at compile time so the product is exactly the same;
 *   - everything else (other flattens and reshapes, transposes, the
 *     tensor ops matmul, reduce_mean, pad, broadcast and gather,
 *     other binaries, model outputs, layers declared NHWC) wants the
 *     declared form.
 * A value needed in the other form gets one conversion node, created where
 * first needed and shared by later users: a transpose, or a reshape when
 * the two forms have the same memory order (C == 1 or H * W == 1). So an
 * NCHW input is converted once before its first layout-sensitive layer,
 * and NHWC results are converted back only where they leave the model or
 * reach a layer that reads the declared order. The conversions are moved
 * into the schedule right before their first user.
 *
 * Only elements move: no arithmetic changes, so results are bit-exact. A
 * second run finds no NCHW layer and changes nothing. */
#include <string.h>

#include "check.h"
#include "fold_util.h"
#include "pass.h"

static const uint8_t to_nhwc_perm[4] = { 0, 2, 3, 1 }; /* NHWC axis i = NCHW axis perm[i] */
static const uint8_t to_nchw_perm[4] = { 0, 3, 1, 2 };
static const int to_nhwc_axis[4] = { 0, 3, 1, 2 };     /* NCHW axis a -> NHWC axis */

struct lctx {
	struct ir_graph *g;
	uint32_t nvals0;   /* values before the pass: those the arrays below index */
	bool *nhwc;        /* value is in NHWC form */
	uint32_t *twin;    /* value -> its conversion to the other form, or IR_NONE */
	uint32_t *uses;    /* use counts (graph outputs count) */
	uint32_t *user;    /* value -> a node using it (the only one when uses == 1) */
	uint32_t *order;   /* the new schedule, node ids */
	uint32_t norder, caporder;
	bool changed;
};

static struct ir_type permuted(const struct ir_type *t, const uint8_t *perm)
{
	DLC_ASSERT(t->rank == 4);
	struct ir_type r = *t;
	for (unsigned i = 0; i < 4; i++)
		r.dims[i] = t->dims[perm[i]];
	return r;
}

/* True when the NCHW type t and its NHWC twin have the same memory order:
 * the axes longer than 1 keep their relative order. */
static bool same_memory_order(const struct ir_type *t)
{
	return t->dims[1] == 1 || (t->dims[2] == 1 && t->dims[3] == 1);
}

static void schedule(struct lctx *l, uint32_t node)
{
	if (l->norder == l->caporder) {
		uint32_t cap = l->caporder * 2 + 16;
		l->order = arena_grow(l->g->arena, l->order, l->norder, cap, sizeof *l->order);
		l->caporder = cap;
	}
	l->order[l->norder++] = node;
}

/* Appends a node converting value v to the other form and returns the new
 * value; its type is v's type permuted by perm. */
static uint32_t add_conversion(struct lctx *l, uint32_t v, const uint8_t *perm,
                               const char *suffix)
{
	struct ir_graph *g = l->g;
	const struct ir_type *t = &g->vals[v].type;
	struct ir_type nt = permuted(t, perm);
	const struct ir_type *nchw = perm == to_nhwc_perm ? t : &nt;
	union ir_attrs a;
	memset(&a, 0, sizeof a);
	enum ir_op op = IR_TRANSPOSE;
	if (same_memory_order(nchw)) {
		op = IR_RESHAPE;
		a.reshape.rank = 4;
		memcpy(a.reshape.dims, nt.dims, sizeof nt.dims[0] * 4);
	} else {
		a.transpose.rank = 4;
		memcpy(a.transpose.perm, perm, 4);
	}
	const char *name = arena_printf(g->arena, "%s.%s", g->vals[v].name, suffix);
	uint32_t id = ir_add_node(g, op, name, &v, 1, &a, g->vals[v].loc);
	uint32_t out = g->nodes[id].out;
	g->vals[out].type = nt;
	schedule(l, id);
	l->changed = true;
	return out;
}

/* Value v in the form `want_nhwc`, converting it (once) if needed. */
static uint32_t in_form(struct lctx *l, uint32_t v, bool want_nhwc)
{
	DLC_ASSERT(v < l->nvals0);
	if (l->nhwc[v] == want_nhwc)
		return v;
	if (l->twin[v] == IR_NONE)
		l->twin[v] = want_nhwc ? add_conversion(l, v, to_nhwc_perm, "nhwc")
		                       : add_conversion(l, v, to_nchw_perm, "nchw");
	return l->twin[v];
}

/* The node's output is now in NHWC form: permute its type. */
static void mark_nhwc(struct lctx *l, struct ir_node *n)
{
	struct ir_value *y = &l->g->vals[n->out];
	if (y->type.rank != 4)
		return;
	y->type = permuted(&y->type, to_nhwc_perm);
	l->nhwc[n->out] = true;
	l->changed = true;
}

static void remap_axis(int *axis)
{
	DLC_ASSERT(*axis >= 0 && *axis < 4);
	*axis = to_nhwc_axis[*axis];
}

/* Window layers: declared NCHW, they switch to NHWC with their inputs;
 * declared NHWC, they read the declared form. */
static void switch_layer(struct lctx *l, struct ir_node *n, enum ir_layout *layout)
{
	bool nchw = *layout == IR_LAYOUT_NCHW;
	for (unsigned k = 0; k < n->nin; k++)
		n->in[k] = in_form(l, n->in[k], nchw);
	if (!nchw)
		return;
	*layout = IR_LAYOUT_NHWC;
	l->changed = true;
	mark_nhwc(l, n);
}

/* Ops computing per element or per channel take either form. */
static void pass_through(struct lctx *l, struct ir_node *n, int *axis)
{
	bool nhwc = false;
	for (unsigned k = 0; k < n->nin; k++)
		nhwc |= l->nhwc[n->in[k]];
	if (!nhwc)
		return;
	for (unsigned k = 0; k < n->nin; k++)
		n->in[k] = in_form(l, n->in[k], true);
	if (axis)
		remap_axis(axis);
	mark_nhwc(l, n);
}

/* The only node reading value v, if v has one use, else NULL. */
static struct ir_node *only_user(struct lctx *l, uint32_t v)
{
	return l->uses[v] == 1 && l->user[v] != IR_NONE ? &l->g->nodes[l->user[v]] : NULL;
}

/* The dense whose activation input is flatten output v, if v has no other
 * use and the dense's weight can be permuted; else IR_NONE. */
static uint32_t dense_user(struct lctx *l, uint32_t v)
{
	struct ir_node *d = only_user(l, v);
	if (!d || d->op != IR_DENSE || d->in[0] != v)
		return IR_NONE;
	const struct ir_value *w = &l->g->vals[d->param[0]];
	if (w->kind != IR_VAL_CONST || !w->data || w->type.dtype != IR_DT_F32 ||
	    d->attr.dense.tile.packed)
		return IR_NONE;
	return l->user[v];
}

/* Replaces the dense weight [U, C*H*W] (columns in c, h, w order) by a new
 * constant whose columns are in h, w, c order: dense(flatten(nhwc)) then
 * adds the same products as dense(flatten(nchw)), only in another order
 * (so the last bits may round differently). The old constant stays for
 * any other user; ir_compact drops it otherwise. */
static void permute_dense_columns(struct lctx *l, uint32_t dense, const struct ir_type *x)
{
	struct ir_graph *g = l->g;
	struct ir_node *d = &g->nodes[dense];
	const struct ir_value *w = &g->vals[d->param[0]];
	int64_t c = x->dims[1], h = x->dims[2], wd = x->dims[3];
	int64_t units = w->type.dims[0], f = w->type.dims[1];
	DLC_ASSERT(w->type.rank == 2 && f == c * h * wd);
	const float *src = w->data;
	float *dst = arena_array(g->arena, (size_t)(units * f), sizeof *dst);
	for (int64_t u = 0; u < units; u++)
		for (int64_t ci = 0; ci < c; ci++)
			for (int64_t hi = 0; hi < h; hi++)
				for (int64_t wi = 0; wi < wd; wi++)
					dst[u * f + (hi * wd + wi) * c + ci] =
						src[u * f + (ci * h + hi) * wd + wi];
	const char *name = arena_printf(g->arena, "%s.nhwc", w->name);
	uint32_t nw = ir_add_const(g, name, w->type, dst, w->loc);
	g->nodes[dense].param[0] = nw;
	l->changed = true;
}

/* A channel shuffle of NHWC value x, as exporters write it in the declared
 * form (ShuffleNet): reshape [N, C, H, W] -> [N, G, C/G, H, W] (node r1),
 * transpose perm [0, 2, 1, 3, 4], reshape back to [N, C, H, W]. In NHWC the
 * same permutation of channels is [N, H, W, G, C/G], perm [0, 1, 2, 4, 3],
 * [N, H, W, C]: the three nodes are rewritten so, the result is NHWC and no
 * conversion is needed. False (nothing changed) for any other pattern. */
static bool channel_shuffle(struct lctx *l, struct ir_node *r1)
{
	struct ir_graph *g = l->g;
	const struct ir_type *xt = &g->vals[r1->in[0]].type; /* NHWC form */
	const struct ir_type *t1 = &g->vals[r1->out].type;
	struct ir_node *tr = only_user(l, r1->out);
	if (r1->op != IR_RESHAPE || xt->rank != 4 || t1->rank != 5 || !tr ||
	    tr->op != IR_TRANSPOSE || fold_is_output(g, r1->out))
		return false;
	int64_t n = xt->dims[0], h = xt->dims[1], w = xt->dims[2], c = xt->dims[3];
	int64_t groups = t1->dims[1], per = t1->dims[2];
	static const uint8_t swap12[5] = { 0, 2, 1, 3, 4 };
	if (t1->dims[0] != n || groups * per != c || t1->dims[3] != h || t1->dims[4] != w ||
	    tr->attr.transpose.rank != 5 || memcmp(tr->attr.transpose.perm, swap12, 5))
		return false;
	struct ir_node *r2 = only_user(l, tr->out);
	const struct ir_type *t3 = r2 ? &g->vals[r2->out].type : NULL;
	if (!r2 || r2->op != IR_RESHAPE || fold_is_output(g, tr->out) || t3->rank != 4 ||
	    t3->dims[0] != n || t3->dims[1] != c || t3->dims[2] != h || t3->dims[3] != w)
		return false;
	int64_t d1[5] = { n, h, w, groups, per }, d2[5] = { n, h, w, per, groups };
	struct ir_type *v1 = &g->vals[r1->out].type, *v2 = &g->vals[tr->out].type;
	memcpy(v1->dims, d1, sizeof d1);
	memcpy(v2->dims, d2, sizeof d2);
	r1->attr.reshape.rank = 5;
	memcpy(r1->attr.reshape.dims, d1, sizeof d1);
	static const uint8_t swap34[5] = { 0, 1, 2, 4, 3 };
	memcpy(tr->attr.transpose.perm, swap34, 5);
	r2->attr.reshape.rank = 4;
	memcpy(r2->attr.reshape.dims, xt->dims, 4 * sizeof xt->dims[0]);
	mark_nhwc(l, r2);
	return true;
}

/* flatten, reshape: they read elements in memory order. */
static void layout_view(struct lctx *l, struct ir_node *n)
{
	uint32_t x = n->in[0];
	if (!l->nhwc[x] || channel_shuffle(l, n))
		return;
	const struct ir_type *xt = &l->g->vals[x].type; /* NHWC form */
	struct ir_type decl = permuted(xt, to_nchw_perm);
	if (same_memory_order(&decl))
		return; /* the NHWC bytes are the declared bytes */
	const struct ir_type *yt = &l->g->vals[n->out].type;
	bool flat = n->op == IR_FLATTEN || (yt->rank == 2 && yt->dims[0] == xt->dims[0]);
	uint32_t d = flat ? dense_user(l, n->out) : IR_NONE;
	if (d != IR_NONE)
		permute_dense_columns(l, d, &decl);
	else
		n->in[0] = in_form(l, x, false);
}

/* transpose of an NHWC value: compose the permutations instead. */
static void layout_transpose(struct lctx *l, struct ir_node *n)
{
	uint32_t x = n->in[0];
	if (!l->nhwc[x])
		return;
	struct ir_transpose_attr *a = &n->attr.transpose;
	DLC_ASSERT(a->rank == 4);
	for (unsigned i = 0; i < 4; i++)
		a->perm[i] = (uint8_t)to_nhwc_axis[a->perm[i]];
	l->changed = true;
}

/* The NHWC twin of f32 constant v as a 4-D operand of a broadcast: dims
 * extended to rank 4 with leading 1s, then elements permuted (made once per
 * constant); IR_NONE if v is not a bound f32 constant of rank <= 4. */
static uint32_t const_nhwc(struct lctx *l, uint32_t v)
{
	struct ir_graph *g = l->g;
	DLC_ASSERT(v < l->nvals0);
	if (l->twin[v] != IR_NONE)
		return l->twin[v];
	const struct ir_value *c = &g->vals[v];
	if (c->kind != IR_VAL_CONST || !c->data || c->type.dtype != IR_DT_F32 || c->type.rank > 4)
		return IR_NONE;
	struct ir_type t4 = c->type;
	t4.rank = 4;
	unsigned lead = 4 - (unsigned)c->type.rank;
	for (unsigned k = 0; k < 4; k++)
		t4.dims[k] = k < lead ? 1 : c->type.dims[k - lead];
	int64_t n = t4.dims[0], ch = t4.dims[1], h = t4.dims[2], w = t4.dims[3];
	const float *src = c->data;
	float *dst = arena_array(g->arena, (size_t)(n * ch * h * w), sizeof *dst);
	for (int64_t bn = 0; bn < n; bn++)
		for (int64_t ci = 0; ci < ch; ci++)
			for (int64_t hi = 0; hi < h; hi++)
				for (int64_t wi = 0; wi < w; wi++)
					dst[((bn * h + hi) * w + wi) * ch + ci] =
						src[((bn * ch + ci) * h + hi) * w + wi];
	const char *name = arena_printf(g->arena, "%s.nhwc", c->name);
	struct src_span loc = c->loc;
	uint32_t nv = ir_add_const(g, name, permuted(&t4, to_nhwc_perm), dst, loc);
	l->twin[v] = nv;
	l->changed = true;
	return nv;
}

/* ---- the rules (the layout column of ir_ops.def) ---- */

static void layout_conv2d(struct lctx *l, struct ir_node *n)
{
	switch_layer(l, n, &n->attr.conv.layout);
}

static void layout_pool2d(struct lctx *l, struct ir_node *n)
{
	switch_layer(l, n, &n->attr.pool.layout);
}

static void layout_global_avgpool(struct lctx *l, struct ir_node *n)
{
	switch_layer(l, n, &n->attr.axis.layout);
}

static void layout_zeropad2d(struct lctx *l, struct ir_node *n)
{
	switch_layer(l, n, &n->attr.pad.layout);
}

/* Elementwise ops without an axis run in whatever form their input has. */
static void layout_through(struct lctx *l, struct ir_node *n)
{
	pass_through(l, n, NULL);
}

static void layout_batchnorm(struct lctx *l, struct ir_node *n)
{
	pass_through(l, n, &n->attr.bn.axis);
	if (l->nhwc[n->out])
		n->attr.bn.layout = IR_LAYOUT_NHWC;
}

static void layout_normalize(struct lctx *l, struct ir_node *n)
{
	pass_through(l, n, &n->attr.norm.axis);
	if (l->nhwc[n->out])
		n->attr.norm.layout = IR_LAYOUT_NHWC;
}

static void layout_scale_bias(struct lctx *l, struct ir_node *n)
{
	pass_through(l, n, &n->attr.scale_bias.axis);
}

/* softmax, concat */
static void layout_axis(struct lctx *l, struct ir_node *n)
{
	pass_through(l, n, &n->attr.axis.axis);
	if (l->nhwc[n->out])
		n->attr.axis.layout = IR_LAYOUT_NHWC;
}

/* Ops that are not 4-D layout ops (dense, embedding, recurrent layers)
 * read the declared form, and so do the tensor ops, which index axes
 * (and broadcast constants) in the declared order. */
static void layout_declared(struct lctx *l, struct ir_node *n)
{
	for (unsigned k = 0; k < n->nin; k++)
		n->in[k] = in_form(l, n->in[k], false);
}

/* slice of a 4-D NHWC value: the same elements along the remapped axis
 * (ShuffleNet's channel split stays NHWC). */
static void layout_slice(struct lctx *l, struct ir_node *n)
{
	if (!l->nhwc[n->in[0]] || l->g->vals[n->in[0]].type.rank != 4) {
		layout_declared(l, n);
		return;
	}
	remap_axis(&n->attr.slice.axis);
	mark_nhwc(l, n);
}

/* binary: NHWC when an input is NHWC and the others can follow (above). */
static void layout_binary(struct lctx *l, struct ir_node *n)
{
	struct ir_graph *g = l->g;
	bool any = false, all = g->vals[n->out].type.rank == 4;
	for (unsigned k = 0; k < n->nin && all; k++) {
		uint32_t v = n->in[k];
		any |= l->nhwc[v];
		all = g->vals[v].type.rank == 4 || g->vals[v].kind == IR_VAL_CONST;
	}
	if (!any || !all) {
		layout_declared(l, n);
		return;
	}
	uint32_t in[2];
	DLC_ASSERT(n->nin <= 2);
	for (unsigned k = 0; k < n->nin; k++) {
		uint32_t v = n->in[k];
		in[k] = g->vals[v].kind == IR_VAL_CONST ? const_nhwc(l, v) : in_form(l, v, true);
		if (in[k] == IR_NONE) {
			layout_declared(l, n);
			return;
		}
	}
	for (unsigned k = 0; k < n->nin; k++)
		n->in[k] = in[k];
	mark_nhwc(l, n);
}

typedef void layout_rule(struct lctx *l, struct ir_node *n);

static layout_rule *const rules[IR_OP_COUNT] = {
#define IR_OP(id, name, min_in, max_in, nparams, flags, attrs, shape, interp, lower, layout, \
              params, step, dl)                                                             \
	[IR_##id] = layout_##layout,
#include "ir_ops.def"
};

static void visit(struct lctx *l, struct ir_node *n)
{
	DLC_ASSERT(n->op > IR_OP_NONE && n->op < IR_OP_COUNT);
	rules[n->op](l, n);
}

/* A model output in NHWC form is converted back; the conversion takes the
 * output's name (the generated header and callers use it) and the NHWC
 * value is renamed. An output listed twice is renamed once. */
static void convert_outputs(struct lctx *l)
{
	struct ir_graph *g = l->g;
	for (uint32_t i = 0; i < g->noutputs; i++) {
		uint32_t v = g->outputs[i];
		if (v >= l->nvals0 || !l->nhwc[v])
			continue;
		uint32_t t = in_form(l, v, false);
		for (uint32_t k = i; k < g->noutputs; k++)
			if (g->outputs[k] == v)
				g->outputs[k] = t;
		const char *name = g->vals[v].name;
		const char *renamed = arena_printf(g->arena, "%s.nhwc", name);
		g->vals[v].name = renamed;
		g->nodes[g->vals[v].node].name = renamed;
		g->vals[t].name = name;
		g->nodes[g->vals[t].node].name = name;
	}
}

/* Puts the nodes in the order of l->order and relinks values to them. */
static void reorder(struct lctx *l)
{
	struct ir_graph *g = l->g;
	DLC_ASSERT(l->norder == g->nnodes);
	struct ir_node *nodes = arena_array(g->arena, g->nnodes, sizeof *nodes);
	for (uint32_t i = 0; i < g->nnodes; i++) {
		nodes[i] = g->nodes[l->order[i]];
		g->vals[nodes[i].out].node = i;
	}
	g->nodes = nodes;
	g->capnodes = g->nnodes;
}

static bool run(struct pass_ctx *ctx)
{
	struct ir_graph *g = ctx->g;
	struct lctx l = { .g = g, .nvals0 = g->nvals };
	size_t nv = g->nvals ? g->nvals : 1;
	l.nhwc = arena_array(ctx->scratch, nv, sizeof *l.nhwc);
	l.twin = arena_array(ctx->scratch, nv, sizeof *l.twin);
	l.user = arena_array(ctx->scratch, nv, sizeof *l.user);
	l.uses = ir_count_uses(g, ctx->scratch);
	for (uint32_t v = 0; v < g->nvals; v++)
		l.twin[v] = l.user[v] = IR_NONE;
	for (uint32_t i = 0; i < g->nnodes; i++)
		for (unsigned k = 0; k < g->nodes[i].nin; k++)
			l.user[g->nodes[i].in[k]] = i;
	uint32_t nnodes0 = g->nnodes;
	/* At most one conversion per value is added: reserving room for them
	 * keeps node pointers valid while visiting. */
	uint32_t cap = nnodes0 + g->nvals + 1;
	g->nodes = arena_grow(g->arena, g->nodes, g->nnodes, cap, sizeof *g->nodes);
	g->capnodes = cap;
	for (uint32_t i = 0; i < nnodes0; i++) {
		visit(&l, &g->nodes[i]);
		schedule(&l, i);
	}
	convert_outputs(&l);
	if (!l.changed)
		return true;
	DLC_ASSERT(g->capnodes == cap);
	reorder(&l);
	bool *keep = arena_array(ctx->scratch, g->nnodes, sizeof *keep);
	memset(keep, 1, g->nnodes * sizeof *keep);
	ir_compact(g, keep); /* drops dense weights replaced by permuted ones */
	return true;
}

const struct pass pass_layout = {
	.name = "layout",
	.summary = "store activations NHWC inside the model; convert only at inputs and outputs",
	.run = run,
	.stage = IR_STAGE_BOUND,
	.min_opt = 1,
};
