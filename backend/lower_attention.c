/* lower_attention.c - multi-head scaled dot-product attention as one fused
 * kernel: the [H, Sq, Sk] scores never go to memory, only a block of mr
 * rows of them.
 *
 * Per batch row b and head h:
 *   1. K^T of the head is packed into the workspace, kt[i][t] =
 *      k[b, t, h*dk + i], each row padded with zeros to Skp floats (Skp =
 *      Sk rounded up to ATTN_PAD), so score vectors load whole.
 *   2. Queries go in blocks of mr rows (the last block moves back to end
 *      at Sq: rows it recomputes get the same values). For the block:
 *      a. scores: a register tile of mr rows x nv vectors of keys sums
 *         q[s, i] (broadcast) * kt[i][t..] over i, like the tiled GEMM;
 *         then times scale, plus the mask, -inf for causal t > s and for
 *         the padding lanes, stored as sc[r][t] (workspace);
 *      b. softmax per row: the max, then e^(x - max) stored and summed
 *         (vmath.c's cg_vexp), 1 / sum kept;
 *      c. y[s, h*dv + j..] = sum over t of sc[r][t] (broadcast) *
 *         v[b, t, h*dv + j..], a register tile of mr rows x 2 vectors
 *         along dv, scaled by 1 / sum and stored (the last vector
 *         masked when the vector width does not divide dv).
 *   With causal set, keys past the block's last query are skipped in a
 *   and c (their weights are exactly 0).
 * Sums run in a different order than the interpreter's (vector partial
 * sums), a rounding difference only. The workspace is plan.c's
 * (plan_attention_bytes): kt [dk][Skp] then sc [ATTN_MR_MAX][Skp]. */
#include "cg.h"

#include "check.h"
#include "lower.h"
#include "plan.h"

#define NV_MAX 4 /* vectors of keys (scores) or of dv (values) per tile */

struct attn {
	int64_t nb, h_n, sq, sk, skp, e, ev, dk, dv;
	int64_t ms[4];       /* mask strides over [B, H, Sq, Sk]; NULL mask: unused */
	int vec, mr;
	float scale;
	bool causal;
	LLVMTypeRef vty;
	LLVMValueRef q, k, v, y, mask; /* bases */
	LLVMValueRef kt, sc;           /* workspace */
	LLVMValueRef acc[ATTN_MR_MAX][NV_MAX];
	LLVMValueRef inv[ATTN_MR_MAX]; /* float variables: 1 / sum of row r */
	LLVMValueRef b, h, s0;         /* loop values */
	LLVMValueRef tend;             /* keys to visit for the block (i64) */
};

static void zero_acc(struct cg *c, struct attn *a, int nv)
{
	for (int r = 0; r < a->mr; r++)
		for (int j = 0; j < nv; j++)
			LLVMBuildStore(c->b, LLVMConstNull(a->vty), a->acc[r][j]);
}

/* acc[r][j] += splat(x_r) * vj */
static void fma_tile(struct cg *c, struct attn *a, LLVMValueRef *xs, LLVMValueRef *vs, int nv)
{
	for (int r = 0; r < a->mr; r++) {
		LLVMValueRef s = cg_splat(c, a->vty, xs[r], "bq");
		for (int j = 0; j < nv; j++) {
			LLVMValueRef acc = LLVMBuildLoad2(c->b, a->vty, a->acc[r][j], "acc");
			LLVMBuildStore(c->b, cg_fma(c, s, vs[j], acc), a->acc[r][j]);
		}
	}
}

/* Step 1: kt[i][t] = k[b, t, h*dk + i], zero for t in [Sk, Skp). */
static void pack_keys(struct cg *c, struct attn *a)
{
	struct cg_loop li, lt;
	LLVMValueRef i = cg_loop_begin(c, &li, a->dk, "i");
	LLVMValueRef row = cg_mul(c, i, cg_i64(c, a->skp), "ktrow");
	LLVMValueRef col = cg_madd(c, a->h, a->dk, i, "kcol");
	LLVMValueRef t = cg_loop_begin(c, &lt, a->sk, "t");
	LLVMValueRef at = cg_madd(c, cg_madd(c, a->b, a->sk, t, ""), a->e, col, "kat");
	cg_store(c, cg_load(c, a->k, at, "key"), a->kt, cg_add(c, row, t, "ktat"));
	cg_loop_end(c, &lt);
	for (int64_t p = a->sk; p < a->skp; p++)
		cg_store(c, cg_f32(c, 0), a->kt, cg_add(c, row, cg_i64(c, p), "ktpad"));
	cg_loop_end(c, &li);
}

/* Query row r of the block: its index s (i64). */
static LLVMValueRef query(struct cg *c, struct attn *a, int r)
{
	return cg_add(c, a->s0, cg_i64(c, r), "s");
}

/* Step 2a on nv vectors of keys from t0 (i64); the last has `lanes`
 * real keys. */
static void score_tile(struct cg *c, struct attn *a, LLVMValueRef t0, int nv, int lanes)
{
	zero_acc(c, a, nv);
	struct cg_loop li;
	LLVMValueRef i = cg_loop_begin(c, &li, a->dk, "i");
	LLVMValueRef krow = cg_madd(c, i, a->skp, t0, "ktat");
	LLVMValueRef vs[NV_MAX], xs[ATTN_MR_MAX];
	for (int j = 0; j < nv; j++)
		vs[j] = cg_vload(c, a->vty, a->kt, cg_add(c, krow, cg_i64(c, j * a->vec), ""),
		                 a->vec, 4);
	LLVMValueRef qcol = cg_madd(c, a->h, a->dk, i, "qcol");
	for (int r = 0; r < a->mr; r++) {
		LLVMValueRef row = cg_madd(c, a->b, a->sq, query(c, a, r), "qrow");
		xs[r] = cg_load(c, a->q, cg_madd(c, row, a->e, qcol, ""), "q");
	}
	fma_tile(c, a, xs, vs, nv);
	cg_loop_end(c, &li);
	LLVMValueRef iota[16];
	for (int l = 0; l < a->vec; l++)
		iota[l] = cg_f32(c, l);
	LLVMValueRef lane = LLVMConstVector(iota, (unsigned)a->vec);
	LLVMValueRef ninf = cg_vconst(c, a->vty, -__builtin_inf());
	LLVMValueRef scale = cg_vconst(c, a->vty, a->scale);
	for (int j = 0; j < nv; j++) {
		int n = j == nv - 1 ? lanes : a->vec;
		LLVMValueRef t = cg_add(c, t0, cg_i64(c, j * a->vec), "t");
		/* key positions of the lanes, as floats (exact below 2^24) */
		LLVMValueRef tf = cg_splat(c, a->vty, LLVMBuildSIToFP(c->b, t, c->t_f32, ""), "tf");
		LLVMValueRef tl = LLVMBuildFAdd(c->b, tf, lane, "tl");
		for (int r = 0; r < a->mr; r++) {
			LLVMValueRef x = LLVMBuildLoad2(c->b, a->vty, a->acc[r][j], "dot");
			x = LLVMBuildFMul(c->b, x, scale, "scaled");
			LLVMValueRef s = query(c, a, r);
			if (a->mask) {
				LLVMValueRef at = cg_mul(c, a->b, cg_i64(c, a->ms[0]), "");
				at = cg_madd(c, a->h, a->ms[1], at, "");
				at = cg_madd(c, s, a->ms[2], at, "");
				LLVMValueRef m;
				if (a->ms[3])
					m = cg_vload(c, a->vty, a->mask, cg_add(c, at, t, "mat"), n, 4);
				else
					m = cg_splat(c, a->vty, cg_load(c, a->mask, at, "m"), "ms");
				x = LLVMBuildFAdd(c->b, x, m, "masked");
			}
			if (a->causal) {
				LLVMValueRef sf = cg_splat(c, a->vty,
				                           LLVMBuildSIToFP(c->b, s, c->t_f32, ""), "sf");
				LLVMValueRef late = LLVMBuildFCmp(c->b, LLVMRealOGT, tl, sf, "late");
				x = LLVMBuildSelect(c->b, late, ninf, x, "causal");
			}
			if (n < a->vec)
				x = LLVMBuildSelect(c->b, cg_vmask(c, a->vty, n), x, ninf, "pad");
			LLVMValueRef at = cg_madd(c, cg_i64(c, r), a->skp, t, "scat");
			LLVMValueRef st = LLVMBuildStore(c->b, x, cg_elem(c, a->sc, at, ""));
			LLVMSetAlignment(st, 4);
		}
	}
}

/* Step 2a over the keys: whole tiles of NV vectors, then the rest one
 * vector at a time, then the partial vector. With causal, only the
 * vectors up to the block's last query (a->tend keys). */
static void scores(struct cg *c, struct attn *a, int nvt)
{
	int64_t whole = a->sk / a->vec;
	int tail = (int)(a->sk % a->vec);
	LLVMValueRef nvec = cg_i64(c, whole);
	if (a->causal) /* vectors holding keys below tend, at most whole */
		nvec = cg_min(c, nvec, LLVMBuildUDiv(c->b, cg_add(c, a->tend, cg_i64(c, a->vec - 1), ""),
		                                     cg_i64(c, a->vec), ""), "nvec");
	LLVMValueRef ntiles = LLVMBuildUDiv(c->b, nvec, cg_i64(c, nvt), "ntiles");
	struct cg_rloop lt, lr;
	LLVMValueRef tile = cg_rloop_begin(c, &lt, cg_i64(c, 0), ntiles, "tiles", "tile");
	score_tile(c, a, cg_mul(c, tile, cg_i64(c, nvt * a->vec), "t0"), nvt, a->vec);
	cg_rloop_end(c, &lt);
	LLVMValueRef vi = cg_rloop_begin(c, &lr, cg_mul(c, ntiles, cg_i64(c, nvt), ""), nvec, "rest",
	                                 "vi");
	score_tile(c, a, cg_mul(c, vi, cg_i64(c, a->vec), "t0"), 1, a->vec);
	cg_rloop_end(c, &lr);
	if (tail) {
		/* with causal: only if the block reaches it (tend > whole * vec) */
		LLVMBasicBlockRef after = NULL;
		if (a->causal)
			after = cg_if_begin(c, LLVMBuildICmp(c->b, LLVMIntSGT, a->tend,
			                                     cg_i64(c, whole * a->vec), ""), "tail");
		score_tile(c, a, cg_i64(c, whole * a->vec), 1, tail);
		if (after)
			cg_if_end(c, after);
	}
}

/* Step 2b for row r over its first tend keys (the scores past them are
 * never read). */
static void softmax_row(struct cg *c, struct attn *a, int r, LLVMValueRef nvec)
{
	LLVMValueRef mx = cg_entry_var(c, a->vty, 0, "max"), sum = cg_entry_var(c, a->vty, 0, "sum");
	LLVMBuildStore(c->b, cg_vconst(c, a->vty, -__builtin_inf()), mx);
	LLVMBuildStore(c->b, LLVMConstNull(a->vty), sum);
	LLVMValueRef row = cg_i64(c, r * a->skp);
	struct cg_rloop l;
	LLVMValueRef vi = cg_rloop_begin(c, &l, cg_i64(c, 0), nvec, "max", "vi");
	LLVMValueRef at = cg_madd(c, vi, a->vec, row, "at");
	LLVMValueRef x = cg_vload(c, a->vty, a->sc, at, a->vec, 4);
	LLVMValueRef m = LLVMBuildLoad2(c->b, a->vty, mx, "m");
	LLVMBuildStore(c->b, LLVMBuildSelect(c->b, LLVMBuildFCmp(c->b, LLVMRealOGT, x, m, ""), x, m,
	                                     "newmax"), mx);
	cg_rloop_end(c, &l);
	LLVMValueRef msplat = cg_splat(c, a->vty, cg_hreduce(c, LLVMBuildLoad2(c->b, a->vty, mx, ""),
	                                                     true), "rowmax");
	vi = cg_rloop_begin(c, &l, cg_i64(c, 0), nvec, "exp", "vi");
	at = cg_madd(c, vi, a->vec, row, "at");
	x = cg_vload(c, a->vty, a->sc, at, a->vec, 4);
	LLVMValueRef e = cg_vexp(c, LLVMBuildFSub(c->b, x, msplat, ""));
	LLVMValueRef st = LLVMBuildStore(c->b, e, cg_elem(c, a->sc, at, ""));
	LLVMSetAlignment(st, 4);
	LLVMBuildStore(c->b, LLVMBuildFAdd(c->b, LLVMBuildLoad2(c->b, a->vty, sum, "s"), e, "s"), sum);
	cg_rloop_end(c, &l);
	LLVMValueRef total = cg_hreduce(c, LLVMBuildLoad2(c->b, a->vty, sum, ""), false);
	LLVMBuildStore(c->b, LLVMBuildFDiv(c->b, cg_f32(c, 1), total, "inv"), a->inv[r]);
}

/* Step 2c for nv vectors of the head's values from column j0 (the last
 * with `lanes` columns). */
static void value_tile(struct cg *c, struct attn *a, int64_t j0, int nv, int lanes)
{
	zero_acc(c, a, nv);
	struct cg_rloop lt;
	LLVMValueRef t = cg_rloop_begin(c, &lt, cg_i64(c, 0), a->tend, "keys", "t");
	LLVMValueRef vrow = cg_madd(c, cg_madd(c, a->b, a->sk, t, ""), a->ev,
	                            cg_madd(c, a->h, a->dv, cg_i64(c, j0), ""), "vat");
	LLVMValueRef vs[NV_MAX], xs[ATTN_MR_MAX];
	for (int j = 0; j < nv; j++)
		vs[j] = cg_vload(c, a->vty, a->v, cg_add(c, vrow, cg_i64(c, j * a->vec), ""),
		                 j == nv - 1 ? lanes : a->vec, 4);
	for (int r = 0; r < a->mr; r++)
		xs[r] = cg_load(c, a->sc, cg_madd(c, cg_i64(c, r), a->skp, t, ""), "p");
	fma_tile(c, a, xs, vs, nv);
	cg_rloop_end(c, &lt);
	for (int r = 0; r < a->mr; r++) {
		LLVMValueRef inv = cg_splat(c, a->vty, LLVMBuildLoad2(c->b, c->t_f32, a->inv[r], ""),
		                            "inv");
		LLVMValueRef row = cg_madd(c, a->b, a->sq, query(c, a, r), "yrow");
		LLVMValueRef at = cg_madd(c, row, a->ev, cg_madd(c, a->h, a->dv, cg_i64(c, j0), ""),
		                          "yat");
		for (int j = 0; j < nv; j++) {
			LLVMValueRef y = LLVMBuildFMul(c->b, LLVMBuildLoad2(c->b, a->vty, a->acc[r][j], ""),
			                               inv, "y");
			cg_vstore(c, y, a->y, cg_add(c, at, cg_i64(c, j * a->vec), ""),
			          j == nv - 1 ? lanes : a->vec);
		}
	}
}

static void attn_of(struct cg *c, const struct ir_node *n, struct attn *a)
{
	const struct ir_type *tq = cg_type(c, n->in[0]), *tk = cg_type(c, n->in[1]);
	const struct ir_type *tv = cg_type(c, n->in[2]);
	unsigned r = tq->rank;
	a->nb = r == 3 ? tq->dims[0] : 1;
	a->h_n = n->attr.attention.heads;
	a->sq = tq->dims[r - 2], a->sk = tk->dims[r - 2];
	a->e = tq->dims[r - 1], a->ev = tv->dims[r - 1];
	a->dk = a->e / a->h_n, a->dv = a->ev / a->h_n;
	a->skp = (a->sk + ATTN_PAD - 1) / ATTN_PAD * ATTN_PAD;
	a->scale = n->attr.attention.scale;
	a->causal = n->attr.attention.causal;
	a->vec = cg_vec_floats(c);
	a->vty = cg_vec_type(c);
	/* mr rows of accumulators (2 vectors each) fit the registers with
	 * room for the loaded keys and the broadcast query */
	a->mr = c->target && c->target->vec_regs >= 32 ? ATTN_MR_MAX : ATTN_MR_MAX / 2;
	if (a->sq < a->mr)
		a->mr = (int)a->sq;
	a->q = c->addr[n->in[0]], a->k = c->addr[n->in[1]], a->v = c->addr[n->in[2]];
	a->y = c->addr[n->out];
	a->mask = n->nin > 3 ? c->addr[n->in[3]] : NULL;
	if (a->mask) {
		struct ir_type scores = { IR_DT_F32, 4, { a->nb, a->h_n, a->sq, a->sk } };
		ir_broadcast_strides(cg_type(c, n->in[3]), &scores, a->ms);
		DLC_ASSERT(a->ms[3] == 0 || a->ms[3] == 1);
	}
	int64_t base = c->plan->workspace[n - c->g->nodes];
	DLC_ASSERT(base >= 0 && plan_workspace_bytes(c->g, n) > 0);
	LLVMValueRef off = cg_i64(c, base);
	a->kt = LLVMBuildInBoundsGEP2(c->b, c->t_i8, c->scratch, &off, 1, "attn.kt");
	off = cg_i64(c, plan_attention_kt_bytes(a->dk, a->sk));
	a->sc = LLVMBuildInBoundsGEP2(c->b, c->t_i8, a->kt, &off, 1, "attn.sc");
	for (int i = 0; i < a->mr; i++) {
		for (int j = 0; j < NV_MAX; j++)
			a->acc[i][j] = cg_entry_var(c, a->vty, 0, "acc");
		a->inv[i] = cg_var(c, "inv");
	}
}

void lower_attention(struct cg *c, const struct ir_node *n)
{
	struct attn a = { 0 };
	attn_of(c, n, &a);
	/* score tiles of mr x 2 vectors (8 x 3 with 32 registers), value
	 * tiles of mr x 2 */
	int nvt = a.mr > ATTN_MR_MAX / 2 ? 3 : 2, nvv = 2;
	if (a.mr <= 2)
		nvt = NV_MAX;
	int64_t nblocks = (a.sq + a.mr - 1) / a.mr;
	struct cg_loop lb, lh, lq;
	a.b = cg_loop_begin(c, &lb, a.nb, "b");
	a.h = cg_loop_begin(c, &lh, a.h_n, "h");
	pack_keys(c, &a);
	LLVMValueRef blk = cg_loop_begin(c, &lq, nblocks, "blk");
	a.s0 = cg_min(c, cg_mul(c, blk, cg_i64(c, a.mr), ""), cg_i64(c, a.sq - a.mr), "s0");
	a.tend = cg_i64(c, a.sk);
	if (a.causal) /* keys up to the block's last query */
		a.tend = cg_min(c, cg_add(c, a.s0, cg_i64(c, a.mr), ""), a.tend, "tend");
	scores(c, &a, nvt);
	/* vectors of scores the softmax reads: those holding keys below tend */
	LLVMValueRef nvec = LLVMBuildUDiv(c->b, cg_add(c, a.tend, cg_i64(c, a.vec - 1), ""),
	                                  cg_i64(c, a.vec), "nvec");
	for (int r = 0; r < a.mr; r++)
		softmax_row(c, &a, r, nvec);
	int64_t dvec = (a.dv + a.vec - 1) / a.vec;
	for (int64_t j = 0; j < dvec; j += nvv) {
		int nv = (int)(dvec - j < nvv ? dvec - j : nvv);
		int64_t cols = a.dv - j * a.vec; /* columns from j0 on */
		int last = cols >= (int64_t)nv * a.vec ? a.vec : (int)(cols - (nv - 1) * a.vec);
		value_tile(c, &a, j * a.vec, nv, last);
	}
	cg_loop_end(c, &lq);
	cg_loop_end(c, &lh);
	cg_loop_end(c, &lb);
}
