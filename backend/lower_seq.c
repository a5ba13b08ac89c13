/* lower_seq.c - code generation of the sequence ops: embedding, onehot,
 * timestep, lstm and gru, and the id checks of the entry point.
 *
 * Ids: ids that are (views of) a model input are checked by the entry
 * point before any node runs (cg_check_indices): one loop per id tensor
 * ORs "id outside [0, size)" over all elements (vectorizable, no early
 * exit), then returns DLC_ERR_INDEX if any was, so no output is written.
 * Ids the model computes (a cast, a where, ...) cannot be checked before
 * the run: embedding clamps them into [0, vocab) and onehot gives an
 * out-of-range id a zero row, as the interpreter does.
 *
 * Recurrent layers (PyTorch's equations, docs/dsl.md) run in three parts,
 * per the layer's workspace in scratch (plan_rnn_layout):
 *  1. the input projections of all N*T steps as one matrix product,
 *     P[m, :] = W_ih x[m] + b_ih, with b_hh folded in where the equations
 *     allow it (all of it for lstm; the r and z gates for gru, whose n gate
 *     multiplies W_hn h + b_hn by r);
 *  2. per sequence and time step (t = T-1 down to 0 when reverse), the
 *     recurrent matrix-vector product W_hh h into the G*H gate
 *     pre-activations, P's row added;
 *  3. in the same step, the gate nonlinearities and the state update as
 *     <vec x float> code over the units (cg_vsigmoid, cg_vtanh: vmath.c),
 *     the last vector masked; with return_sequences h is stored at [n, t].
 * Both products are matrix-vector products y = W v. At -O1+ the pass
 * pack-rnn has re-laid W in column panels (passes/pass_pack_rnn.c): per
 * gate, blocks of up to IR_RNN_PANEL_VECS vectors of units are
 * accumulated in registers over the whole k loop, each k adding one
 * broadcast v[k] times one aligned panel row (column_products). At -O0
 * the weights keep PyTorch's layout (rows [G*H, K], also the interpreter's)
 * and every output is a dot product of a weight row with v: rows read
 * unit-stride, G rows (the gates of one unit) at a time with a vector
 * accumulator each, then summed across lanes (gate_products). Both use
 * llvm.fma where the target has FMA. */
#include "cg.h"

#include "check.h"
#include "lower.h"

#define STATUS_INDEX 3 /* DLC_ERR_INDEX of dlcrt.h */
#define MAX_GATES 4

/* Vector helpers at the target's width. */
struct vx {
	int vec;
	LLVMTypeRef vty;
};

static struct vx vx_of(struct cg *c)
{
	return (struct vx){ cg_vec_floats(c), cg_vec_type(c) };
}

/* out[r] = rows[r][0..k) . x[0..k) for r < nrows: one vector accumulator
 * per row over the full vectors of k, a masked one for the rest. */
static void dot_rows(struct cg *c, const struct vx *v, LLVMValueRef *rows, int nrows,
                     LLVMValueRef x, int64_t k, LLVMValueRef *out)
{
	LLVMValueRef acc[2 * MAX_GATES];
	DLC_ASSERT(nrows <= 2 * MAX_GATES);
	for (int r = 0; r < nrows; r++) {
		acc[r] = cg_entry_var(c, v->vty, 0, "acc");
		LLVMBuildStore(c->b, LLVMConstNull(v->vty), acc[r]);
	}
	int64_t full = k / v->vec;
	int tail = (int)(k % v->vec);
	for (int part = 0; part < 2; part++) {
		struct cg_loop l;
		LLVMValueRef at;
		int lanes = part ? tail : v->vec;
		if (part ? !tail : !full)
			continue;
		if (part)
			at = cg_i64(c, full * v->vec);
		else
			at = cg_mul(c, cg_loop_begin(c, &l, full, "kv"), cg_i64(c, v->vec), "k");
		LLVMValueRef xv = cg_vload(c, v->vty, x, at, lanes, 4);
		for (int r = 0; r < nrows; r++) {
			LLVMValueRef old = LLVMBuildLoad2(c->b, v->vty, acc[r], "");
			LLVMBuildStore(c->b, cg_fma(c, cg_vload(c, v->vty, rows[r], at, lanes, 4), xv, old), acc[r]);
		}
		if (!part)
			cg_loop_end(c, &l);
	}
	for (int r = 0; r < nrows; r++)
		out[r] = cg_hsum(c, LLVMBuildLoad2(c->b, v->vty, acc[r], ""));
}

/* ---- ids: checks, embedding, onehot ---- */

/* ids[i] as i64 (i32 ids sign-extended, so negative ids stay out of range). */
static LLVMValueRef load_id(struct cg *c, const struct ir_node *n, LLVMValueRef i)
{
	bool wide = c->g->vals[n->in[0]].type.dtype == IR_DT_I64;
	LLVMTypeRef ty = wide ? c->t_i64 : c->t_i32;
	LLVMValueRef p = LLVMBuildInBoundsGEP2(c->b, ty, c->addr[n->in[0]], &i, 1, "");
	LLVMValueRef id = LLVMBuildLoad2(c->b, ty, p, "id");
	return wide ? id : LLVMBuildSExt(c->b, id, c->t_i64, "id");
}

/* "if (any id of n outside [0, size)) return DLC_ERR_INDEX;" */
static void check_ids(struct cg *c, const struct ir_node *n)
{
	LLVMValueRef bad = cg_entry_var(c, c->t_i1, 0, "bad.id");
	LLVMBuildStore(c->b, LLVMConstInt(c->t_i1, 0, 0), bad);
	struct cg_loop l;
	LLVMValueRef i = cg_loop_begin(c, &l, ir_type_numel(&c->g->vals[n->in[0]].type), "i");
	LLVMValueRef out = LLVMBuildICmp(c->b, LLVMIntUGE, load_id(c, n, i),
	                                 cg_i64(c, n->attr.index.size), "out");
	LLVMBuildStore(c->b, LLVMBuildOr(c->b, LLVMBuildLoad2(c->b, c->t_i1, bad, ""), out, ""), bad);
	cg_loop_end(c, &l);
	LLVMBasicBlockRef after = cg_if_begin(c, LLVMBuildLoad2(c->b, c->t_i1, bad, "any.bad"),
	                                      "bad.ids");
	LLVMBuildRet(c->b, LLVMConstInt(c->t_i32, STATUS_INDEX, 0));
	LLVMPositionBuilderAtEnd(c->b, after);
}

static bool is_id_op(enum ir_op op)
{
	return op == IR_EMBEDDING || op == IR_ONEHOT;
}

/* Ids that are (views of) model inputs are checked at entry. */
static bool checked_at_entry(struct cg *c, const struct ir_node *n)
{
	return c->plan->home[n->in[0]] == PLAN_HOME_INPUT;
}

void cg_check_indices(struct cg *c)
{
	for (uint32_t i = 0; i < c->g->nnodes; i++) {
		const struct ir_node *n = &c->g->nodes[i];
		if (is_id_op(n->op) && checked_at_entry(c, n))
			check_ids(c, n);
	}
}

/* y[i, :] = weight[ids[i], :] */
void lower_embedding(struct cg *c, const struct ir_node *n)
{
	const struct ir_type *w = &c->g->vals[n->param[0]].type;
	int64_t dim = w->dims[1];
	struct cg_loop l;
	LLVMValueRef i = cg_loop_begin(c, &l, ir_type_numel(&c->g->vals[n->in[0]].type), "i");
	LLVMValueRef id = load_id(c, n, i);
	if (!checked_at_entry(c, n)) /* computed: clamped into [0, vocab) */
		id = cg_clamp_index(c, id, n->attr.index.size, "id");
	LLVMValueRef src = cg_elem(c, c->addr[n->param[0]], cg_mul(c, id, cg_i64(c, dim), ""),
	                           "row");
	LLVMValueRef dst = cg_elem(c, c->addr[n->out], cg_mul(c, i, cg_i64(c, dim), ""), "dst");
	LLVMBuildMemCpy(c->b, dst, 4, src, 4, cg_i64(c, dim * 4));
	cg_loop_end(c, &l);
}

/* y = 0, then y[i, ids[i]] = 1 */
void lower_onehot(struct cg *c, const struct ir_node *n)
{
	int64_t classes = n->attr.index.size;
	LLVMBuildMemSet(c->b, c->addr[n->out], LLVMConstInt(c->t_i8, 0, 0),
	                cg_i64(c, ir_type_bytes(&c->g->vals[n->out].type)), 4);
	struct cg_loop l;
	LLVMValueRef i = cg_loop_begin(c, &l, ir_type_numel(&c->g->vals[n->in[0]].type), "i");
	LLVMValueRef id = load_id(c, n, i);
	LLVMBasicBlockRef after = NULL;
	if (!checked_at_entry(c, n)) /* computed: a zero row when out of range */
		after = cg_if_begin(c, cg_in_range(c, id, classes, "inrange"), "hot");
	cg_store(c, cg_f32(c, 1), c->addr[n->out], cg_madd(c, i, classes, id, "at"));
	if (after)
		cg_if_end(c, after);
	cg_loop_end(c, &l);
}

/* y[n, ...] = x[n, index, ...]: one copy per sequence. */
void lower_timestep(struct cg *c, const struct ir_node *n)
{
	const struct ir_type *x = &c->g->vals[n->in[0]].type;
	int64_t steps = x->dims[1], idx = n->attr.select.index;
	if (idx < 0)
		idx += steps;
	DLC_ASSERT(idx >= 0 && idx < steps);
	int64_t inner = ir_type_bytes(x) / (x->dims[0] * steps);
	struct cg_loop l;
	LLVMValueRef b = cg_loop_begin(c, &l, x->dims[0], "n");
	LLVMValueRef si = cg_madd(c, b, steps * inner, cg_i64(c, idx * inner), "");
	LLVMValueRef src = LLVMBuildInBoundsGEP2(c->b, c->t_i8, c->addr[n->in[0]], &si, 1, "src");
	LLVMValueRef di = cg_mul(c, b, cg_i64(c, inner), "");
	LLVMValueRef dst = LLVMBuildInBoundsGEP2(c->b, c->t_i8, c->addr[n->out], &di, 1, "dst");
	LLVMBuildMemCpy(c->b, dst, 4, src, 4, cg_i64(c, inner));
	cg_loop_end(c, &l);
}

/* ---- lstm, gru ---- */

struct rnn {
	const struct ir_node *node;
	struct vx v;
	bool lstm;
	int gates;                      /* G */
	int64_t batch, steps, feat, units;
	LLVMValueRef x, y, wih, whh, bih, bhh;
	LLVMValueRef proj, pre, h, cell; /* in the workspace */
};

static LLVMValueRef ws_at(struct cg *c, LLVMValueRef ws, int64_t off, const char *name)
{
	LLVMValueRef i = cg_i64(c, off);
	return LLVMBuildInBoundsGEP2(c->b, c->t_i8, ws, &i, 1, name);
}

static void rnn_of(struct cg *c, const struct ir_node *n, struct rnn *r)
{
	const struct ir_type *xt = &c->g->vals[n->in[0]].type;
	r->node = n;
	r->v = vx_of(c);
	DLC_ASSERT(!n->attr.rnn.packed_vec || n->attr.rnn.packed_vec == r->v.vec);
	r->lstm = n->op == IR_LSTM;
	r->gates = r->lstm ? 4 : 3;
	r->batch = xt->dims[0], r->steps = xt->dims[1], r->feat = xt->dims[2];
	r->units = n->attr.rnn.units;
	r->x = c->addr[n->in[0]];
	r->y = c->addr[n->out];
	r->wih = c->addr[n->param[0]];
	r->whh = c->addr[n->param[1]];
	r->bih = n->param[2] == IR_NONE ? NULL : c->addr[n->param[2]];
	r->bhh = n->param[3] == IR_NONE ? NULL : c->addr[n->param[3]];
	int64_t proj, pre, h, cell;
	plan_rnn_layout(c->g, n, &proj, &pre, &h, &cell);
	int64_t base = c->plan->workspace[n - c->g->nodes];
	DLC_ASSERT(base >= 0);
	LLVMValueRef ws = ws_at(c, c->scratch, base, "workspace");
	r->proj = ws_at(c, ws, proj, "proj");
	r->pre = ws_at(c, ws, pre, "gates");
	r->h = ws_at(c, ws, h, "h");
	r->cell = r->lstm ? ws_at(c, ws, cell, "c") : NULL;
}

/* What to do with the G dot products s[] of unit j (a part's epilogue). */
typedef void gate_sink(struct cg *c, const struct rnn *r, LLVMValueRef prow, LLVMValueRef j,
                       LLVMValueRef *s);

/* For every unit j: the G dot products of its rows of w [G*H, k] with x,
 * handed to sink. Units go in pairs (2G accumulators: independent
 * dependency chains keep the FMA units busy), an odd last one alone. */
static void gate_products(struct cg *c, const struct rnn *r, LLVMValueRef w, int64_t k,
                          LLVMValueRef x, LLVMValueRef prow, gate_sink *sink)
{
	int64_t pairs = r->units / 2;
	for (int part = 0; part < 2; part++) {
		int nu = part ? 1 : 2;
		struct cg_loop l;
		LLVMValueRef j, rows[2 * MAX_GATES], s[2 * MAX_GATES];
		if (part ? r->units % 2 == 0 : pairs == 0)
			continue;
		if (part)
			j = cg_i64(c, r->units - 1);
		else
			j = cg_mul(c, cg_loop_begin(c, &l, pairs, "jp"), cg_i64(c, 2), "j");
		for (int u = 0; u < nu; u++)
			for (int g = 0; g < r->gates; g++) {
				LLVMValueRef row = cg_add(c, j, cg_i64(c, g * r->units + u), "");
				rows[u * r->gates + g] = cg_elem(c, w, cg_mul(c, row, cg_i64(c, k), ""),
				                                 "wrow");
			}
		dot_rows(c, &r->v, rows, nu * r->gates, x, k, s);
		for (int u = 0; u < nu; u++)
			sink(c, r, prow, cg_add(c, j, cg_i64(c, u), "ju"), s + u * r->gates);
		if (!part)
			cg_loop_end(c, &l);
	}
}

/* What to do with the vector acc of gate g's units [j, j + lanes) (a
 * part's epilogue with packed weights). */
typedef void column_sink(struct cg *c, const struct rnn *r, LLVMValueRef prow, int g,
                         LLVMValueRef j, int lanes, LLVMValueRef acc);

/* One panel of gate g: nv vectors of units from unit j0, weights at panel
 * (width nv * vec floats per row of k). */
static void column_panel(struct cg *c, const struct rnn *r, LLVMValueRef panel, int nv,
                         int64_t k, LLVMValueRef x, LLVMValueRef prow, int g, LLVMValueRef j0,
                         int last_lanes, column_sink *sink)
{
	const struct vx *v = &r->v;
	LLVMValueRef acc[IR_RNN_PANEL_VECS];
	for (int i = 0; i < nv; i++) {
		acc[i] = cg_entry_var(c, v->vty, 0, "acc");
		LLVMBuildStore(c->b, LLVMConstNull(v->vty), acc[i]);
	}
	struct cg_loop l;
	LLVMValueRef kk = cg_loop_begin(c, &l, k, "k");
	LLVMValueRef xk = cg_load(c, x, kk, "xk");
	LLVMValueRef xs = LLVMBuildShuffleVector(
		c->b, LLVMBuildInsertElement(c->b, LLVMGetPoison(v->vty), xk, cg_i64(c, 0), ""),
		LLVMGetPoison(v->vty), LLVMConstNull(LLVMVectorType(c->t_i32, (unsigned)v->vec)), "xs");
	LLVMValueRef row = cg_mul(c, kk, cg_i64(c, (int64_t)nv * v->vec), "wrow");
	for (int i = 0; i < nv; i++) {
		LLVMValueRef at = cg_add(c, row, cg_i64(c, (int64_t)i * v->vec), "");
		LLVMValueRef old = LLVMBuildLoad2(c->b, v->vty, acc[i], "");
		LLVMBuildStore(c->b, cg_fma(c, cg_vload(c, v->vty, panel, at, v->vec, 4), xs, old), acc[i]);
	}
	cg_loop_end(c, &l);
	for (int i = 0; i < nv; i++) {
		LLVMValueRef j = cg_add(c, j0, cg_i64(c, (int64_t)i * v->vec), "j");
		sink(c, r, prow, g, j, i == nv - 1 ? last_lanes : v->vec,
		     LLVMBuildLoad2(c->b, v->vty, acc[i], "sum"));
	}
}

/* y = W x for the packed w (pack-rnn's column panels, k rows each), gate
 * by gate: the panels wholly inside the units in a loop, then the last,
 * narrower or partly padded one. */
static void column_products(struct cg *c, const struct rnn *r, LLVMValueRef w, int64_t k,
                            LLVMValueRef x, LLVMValueRef prow, column_sink *sink)
{
	int64_t vec = r->v.vec, pw = IR_RNN_PANEL_VECS * vec;
	int64_t hp = (r->units + vec - 1) / vec * vec, full = r->units / pw;
	for (int g = 0; g < r->gates; g++) {
		LLVMValueRef gate = cg_elem(c, w, cg_i64(c, k * g * hp), "gate_w");
		if (full) {
			struct cg_loop l;
			LLVMValueRef b = cg_loop_begin(c, &l, full, "panel");
			LLVMValueRef j0 = cg_mul(c, b, cg_i64(c, pw), "j0");
			column_panel(c, r, cg_elem(c, gate, cg_mul(c, j0, cg_i64(c, k), ""), "panel_w"),
			             IR_RNN_PANEL_VECS, k, x, prow, g, j0, (int)vec, sink);
			cg_loop_end(c, &l);
		}
		int64_t rest = hp - full * pw;
		if (rest) {
			int lanes = (int)(r->units - (hp - vec));
			column_panel(c, r, cg_elem(c, gate, cg_i64(c, full * pw * k), "panel_w"),
			             (int)(rest / vec), k, x, prow, g, cg_i64(c, full * pw), lanes, sink);
		}
	}
}

/* proj[prow + g*H + j ...] = acc + b_ih + (b_hh where it folds) */
static void store_projection_vec(struct cg *c, const struct rnn *r, LLVMValueRef prow, int g,
                                 LLVMValueRef j, int lanes, LLVMValueRef acc)
{
	LLVMValueRef o = cg_add(c, j, cg_i64(c, g * r->units), "o");
	if (r->bih)
		acc = LLVMBuildFAdd(c->b, acc, cg_vload(c, r->v.vty, r->bih, o, lanes, 4), "");
	if (r->bhh && (r->lstm || g < 2))
		acc = LLVMBuildFAdd(c->b, acc, cg_vload(c, r->v.vty, r->bhh, o, lanes, 4), "");
	cg_vstore(c, acc, r->proj, cg_add(c, prow, o, ""), lanes);
}

/* pre[g*H + j ...] = acc + proj[prow + g*H + j ...], or + b_hn for gru's
 * n gate (as store_preactivation) */
static void store_preactivation_vec(struct cg *c, const struct rnn *r, LLVMValueRef prow, int g,
                                    LLVMValueRef j, int lanes, LLVMValueRef acc)
{
	LLVMValueRef o = cg_add(c, j, cg_i64(c, g * r->units), "o");
	if (r->lstm || g < 2)
		acc = LLVMBuildFAdd(c->b, acc, cg_vload(c, r->v.vty, r->proj, cg_add(c, prow, o, ""), lanes, 4),
		                    "");
	else if (r->bhh)
		acc = LLVMBuildFAdd(c->b, acc, cg_vload(c, r->v.vty, r->bhh, o, lanes, 4), "");
	cg_vstore(c, acc, r->pre, o, lanes);
}

/* proj[prow + g*H + j] = s[g] + b_ih + (b_hh where it folds) */
static void store_projection(struct cg *c, const struct rnn *r, LLVMValueRef prow,
                             LLVMValueRef j, LLVMValueRef *s)
{
	for (int g = 0; g < r->gates; g++) {
		LLVMValueRef o = cg_add(c, j, cg_i64(c, g * r->units), "o");
		LLVMValueRef v = s[g];
		if (r->bih)
			v = LLVMBuildFAdd(c->b, v, cg_load(c, r->bih, o, "b_ih"), "");
		if (r->bhh && (r->lstm || g < 2))
			v = LLVMBuildFAdd(c->b, v, cg_load(c, r->bhh, o, "b_hh"), "");
		cg_store(c, v, r->proj, cg_add(c, prow, o, ""));
	}
}

/* Part 1: proj[m, g*H + j] = W_ih[g*H + j] . x[m] + biases, m < N*T. */
static void project_inputs(struct cg *c, const struct rnn *r)
{
	struct cg_loop lm;
	LLVMValueRef m = cg_loop_begin(c, &lm, r->batch * r->steps, "m");
	LLVMValueRef xrow = cg_elem(c, r->x, cg_mul(c, m, cg_i64(c, r->feat), ""), "xrow");
	LLVMValueRef prow = cg_mul(c, m, cg_i64(c, r->gates * r->units), "prow");
	if (r->node->attr.rnn.packed_vec)
		column_products(c, r, r->wih, r->feat, xrow, prow, store_projection_vec);
	else
		gate_products(c, r, r->wih, r->feat, xrow, prow, store_projection);
	cg_loop_end(c, &lm);
}

/* pre[g*H + j] = s[g] + proj[prow + g*H + j]; gru's n gate gets b_hn
 * instead (its projection is added after the product with r). */
static void store_preactivation(struct cg *c, const struct rnn *r, LLVMValueRef prow,
                                LLVMValueRef j, LLVMValueRef *s)
{
	for (int g = 0; g < r->gates; g++) {
		LLVMValueRef o = cg_add(c, j, cg_i64(c, g * r->units), "o");
		LLVMValueRef v = s[g];
		if (r->lstm || g < 2)
			v = LLVMBuildFAdd(c->b, v, cg_load(c, r->proj, cg_add(c, prow, o, ""), "p"), "");
		else if (r->bhh)
			v = LLVMBuildFAdd(c->b, v, cg_load(c, r->bhh, o, "b_hn"), "");
		cg_store(c, v, r->pre, o);
	}
}

/* Part 2: the recurrent product W_hh h into the gate pre-activations. */
static void recurrent_product(struct cg *c, const struct rnn *r, LLVMValueRef prow)
{
	if (r->node->attr.rnn.packed_vec)
		column_products(c, r, r->whh, r->units, r->h, prow, store_preactivation_vec);
	else
		gate_products(c, r, r->whh, r->units, r->h, prow, store_preactivation);
}

/* Part 3 for units [j, j + lanes): gates, state update, h stored at yat
 * (NULL: not stored) */
static void update_units(struct cg *c, const struct rnn *r, LLVMValueRef prow, LLVMValueRef j,
                         int lanes, LLVMValueRef yat)
{
	const struct vx *v = &r->v;
	LLVMValueRef a[MAX_GATES], hv;
	for (int g = 0; g < r->gates; g++)
		a[g] = cg_vload(c, v->vty, r->pre, cg_add(c, j, cg_i64(c, g * r->units), ""), lanes, 4);
	LLVMValueRef h = cg_vload(c, v->vty, r->h, j, lanes, 4);
	if (r->lstm) {
		LLVMValueRef ig = cg_vsigmoid(c, a[0]), fg = cg_vsigmoid(c, a[1]);
		LLVMValueRef gg = cg_vtanh(c, a[2]), og = cg_vsigmoid(c, a[3]);
		LLVMValueRef cell = cg_vload(c, v->vty, r->cell, j, lanes, 4);
		cell = cg_fma(c, fg, cell, LLVMBuildFMul(c->b, ig, gg, "")); /* f*c + i*g */
		cg_vstore(c, cell, r->cell, j, lanes);
		hv = LLVMBuildFMul(c->b, og, cg_vtanh(c, cell), "h");
	} else {
		LLVMValueRef rg = cg_vsigmoid(c, a[0]), zg = cg_vsigmoid(c, a[1]);
		LLVMValueRef pn = cg_vload(c, v->vty, r->proj, cg_add(c, prow, cg_add(c, j, cg_i64(c, 2 * r->units), ""), ""), lanes, 4);
		LLVMValueRef ng = cg_vtanh(c, cg_fma(c, rg, a[2], pn)); /* tanh(p_n + r * hn) */
		LLVMValueRef keep = LLVMBuildFMul(c->b, zg, h, "");
		hv = cg_fma(c, LLVMBuildFSub(c->b, cg_vconst(c, v->vty, 1), zg, ""), ng, keep);
	}
	cg_vstore(c, hv, r->h, j, lanes);
	if (yat)
		cg_vstore(c, hv, r->y, cg_add(c, yat, j, ""), lanes);
}

static void update_state(struct cg *c, const struct rnn *r, LLVMValueRef prow, LLVMValueRef yat)
{
	int64_t full = r->units / r->v.vec;
	int tail = (int)(r->units % r->v.vec);
	if (full) {
		struct cg_loop l;
		LLVMValueRef jb = cg_loop_begin(c, &l, full, "jb");
		update_units(c, r, prow, cg_mul(c, jb, cg_i64(c, r->v.vec), "j"), r->v.vec, yat);
		cg_loop_end(c, &l);
	}
	if (tail)
		update_units(c, r, prow, cg_i64(c, full * r->v.vec), tail, yat);
}

static void rnn_layer(struct cg *c, const struct ir_node *n)
{
	struct rnn r = { 0 };
	rnn_of(c, n, &r);
	int64_t gh = r.gates * r.units, hbytes = r.units * 4;
	project_inputs(c, &r);
	struct cg_loop ln, ls;
	LLVMValueRef b = cg_loop_begin(c, &ln, r.batch, "n");
	LLVMBuildMemSet(c->b, r.h, LLVMConstInt(c->t_i8, 0, 0), cg_i64(c, hbytes), PLAN_ALIGN);
	if (r.lstm)
		LLVMBuildMemSet(c->b, r.cell, LLVMConstInt(c->t_i8, 0, 0), cg_i64(c, hbytes), PLAN_ALIGN);
	LLVMValueRef s = cg_loop_begin(c, &ls, r.steps, "step");
	LLVMValueRef t = n->attr.rnn.reverse ? LLVMBuildSub(c->b, cg_i64(c, r.steps - 1), s, "t") : s;
	LLVMValueRef row = cg_madd(c, b, r.steps, t, "row"); /* n * T + t */
	LLVMValueRef prow = cg_mul(c, row, cg_i64(c, gh), "prow");
	recurrent_product(c, &r, prow);
	LLVMValueRef yat = n->attr.rnn.return_sequences ? cg_mul(c, row, cg_i64(c, r.units), "yat")
	                                                : NULL;
	update_state(c, &r, prow, yat);
	cg_loop_end(c, &ls);
	if (!n->attr.rnn.return_sequences)
		LLVMBuildMemCpy(c->b, cg_elem(c, r.y, cg_mul(c, b, cg_i64(c, r.units), ""), "dst"), 4,
		                r.h, PLAN_ALIGN, cg_i64(c, hbytes));
	cg_loop_end(c, &ln);
}

void lower_lstm(struct cg *c, const struct ir_node *n)
{
	rnn_layer(c, n);
}

void lower_gru(struct cg *c, const struct ir_node *n)
{
	rnn_layer(c, n);
}
