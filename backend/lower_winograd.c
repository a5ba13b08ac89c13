/* lower_winograd.c - conv2d as Winograd F(m x m, 3 x 3) batched GEMMs, for
 * layers the winograd pass marked (passes/pass_winograd.c, docs/ir.md
 * "Winograd weights"): 3x3, stride 1, NHWC, filters already transformed.
 *
 * The output is cut into m x m tiles, tile t reading the (m+2) x (m+2)
 * input patch at (m*ti - pad_top, m*tj - pad_left), zeros outside the
 * image. Tiles are taken in blocks of `mc` (the tile's mc) so the block's
 * workspace stays in cache; per block:
 *  1. input transform: for every tile and every vector of channels
 *     (channels in vector lanes, contiguous in NHWC), V = B^T d B, stored
 *     as V[e][tile][c] for each of the E = (m+2)^2 tile elements e;
 *  2. E matrix products M[e] = V[e] [tiles, C] x U[e] [C, K], each a
 *     register-blocked GEMM like lower_tiled.c's: mr tile rows x nr/vec
 *     <vec x float> accumulators, a broadcast of V per row and aligned
 *     vector loads of the nr-wide panel of U per input channel, llvm.fma;
 *  3. output transform: Y = A^T M A per tile and vector of output channels,
 *     then bias, the fused residual and activation, and the store of the
 *     pixels inside the output (tiles at the right and bottom edges may
 *     stick out).
 * Rows of V past the block's last tile (up to a whole register block) repeat
 * the layer's last tile, so the GEMM always runs whole register blocks;
 * their results are never stored. V and M rows are padded to whole
 * vectors (channels past C are zero in V and unused in M); they live in
 * the node's workspace in scratch (plan_workspace_bytes). */
#include "cg.h"

#include "check.h"

#define MAX_R 4      /* tile side m + 2 */
#define MAX_NVEC 8   /* vectors per register-block row */
#define MAX_MR 16    /* rows of a register block */

/* B^T and A^T of F(2x2, 3x3) (Lavin and Gray 2016); G is in
 * pass_winograd.c. */
static const double bt2[4][MAX_R] = {
	{ 1, 0, -1, 0 }, { 0, 1, 1, 0 }, { 0, -1, 1, 0 }, { 0, 1, 0, -1 },
};
static const double at2[2][MAX_R] = { { 1, 1, 1, 0 }, { 0, 1, -1, -1 } };

/* One layer (see the top of the file). */
struct wino {
	int m, r, e;               /* F(m x m): tile side r = m + 2, e = r * r elements */
	const double (*bt)[MAX_R]; /* [r][r] */
	const double (*at)[MAX_R]; /* [m][r] */
	int vec, mr, nr;
	int64_t h, w, c, oh, ow, k, pt, pl;
	int64_t tr, tc, tiles;     /* tile rows and columns per image, tiles in all */
	int64_t bt_tiles;          /* tiles per block */
	int64_t cs, ks;            /* C and K rounded up to vectors: V and M row lengths */
	int64_t per_e;             /* floats of U per element */
	LLVMValueRef x, u, bias, res, y, v, mm, zeros;
	LLVMTypeRef vty;
	struct ir_eltwise_step act; /* the fused activation */
};

static int64_t round_up(int64_t x, int64_t step)
{
	return (x + step - 1) / step * step;
}

/* sum of coef[j] * x[j * stride] over the nonzero coefficients: adds and
 * subtracts for +-1, fma otherwise. */
static LLVMValueRef lincomb(struct cg *c, const struct wino *w, const double *coef,
                            LLVMValueRef *x, int n, int stride)
{
	LLVMValueRef acc = NULL;
	for (int j = 0; j < n; j++) {
		double k = coef[j];
		LLVMValueRef xj = x[j * stride];
		if (k == 0)
			continue;
		if (!acc)
			acc = k == 1 ? xj : k == -1 ? LLVMBuildFNeg(c->b, xj, "")
			                            : LLVMBuildFMul(c->b, cg_vconst(c, w->vty, k), xj, "");
		else if (k == 1)
			acc = LLVMBuildFAdd(c->b, acc, xj, "");
		else if (k == -1)
			acc = LLVMBuildFSub(c->b, acc, xj, "");
		else
			acc = cg_fma(c, cg_vconst(c, w->vty, k), xj, acc);
	}
	DLC_ASSERT(acc);
	return acc;
}

/* out = T x T^T for an r x r (or, with rows = m, m x r) matrix T and
 * in [r][r]: out[i][j] = sum_a sum_b T[i][a] in[a][b] T[j][b]. */
static void transform2d(struct cg *c, const struct wino *w, const double (*t)[MAX_R], int rows,
                        LLVMValueRef in[MAX_R][MAX_R], LLVMValueRef out[MAX_R][MAX_R])
{
	LLVMValueRef tmp[MAX_R][MAX_R];
	for (int i = 0; i < rows; i++)
		for (int b = 0; b < w->r; b++)
			tmp[i][b] = lincomb(c, w, t[i], &in[0][b], w->r, MAX_R);
	for (int i = 0; i < rows; i++)
		for (int j = 0; j < rows; j++)
			out[i][j] = lincomb(c, w, t[j], tmp[i], w->r, 1);
}

/* ---- tile positions ---- */

/* Image, tile row and tile column of (global) tile number t. */
static void tile_pos(struct cg *c, const struct wino *w, LLVMValueRef t, LLVMValueRef *img,
                     LLVMValueRef *ti, LLVMValueRef *tj)
{
	*img = LLVMBuildUDiv(c->b, t, cg_i64(c, w->tr * w->tc), "img");
	LLVMValueRef rem = LLVMBuildURem(c->b, t, cg_i64(c, w->tr * w->tc), "");
	*ti = LLVMBuildUDiv(c->b, rem, cg_i64(c, w->tc), "ti");
	*tj = LLVMBuildURem(c->b, rem, cg_i64(c, w->tc), "tj");
}

/* ---- 1. input transform ---- */

/* V rows of channel vector at `ch` (lanes valid) for the tile whose
 * patch pixels are ptr[][]. */
static void input_vector(struct cg *c, const struct wino *w, LLVMValueRef ptr[MAX_R][MAX_R],
                         LLVMValueRef vrow, LLVMValueRef ch, int lanes)
{
	LLVMValueRef d[MAX_R][MAX_R], out[MAX_R][MAX_R];
	for (int a = 0; a < w->r; a++)
		for (int b = 0; b < w->r; b++)
			d[a][b] = cg_vload(c, w->vty, ptr[a][b], ch, lanes, 4);
	transform2d(c, w, w->bt, w->r, d, out);
	for (int a = 0; a < w->r; a++)
		for (int b = 0; b < w->r; b++) {
			int64_t e = a * w->r + b;
			cg_vstore(c, out[a][b], vrow, cg_add(c, ch, cg_i64(c, e * w->bt_tiles * w->cs), ""), w->vec);
		}
}

/* Rows [0, nrows) of V for the tiles t0 + row (clamped to the last tile). */
static void input_transform(struct cg *c, const struct wino *w, LLVMValueRef t0,
                            LLVMValueRef nrows)
{
	struct cg_rloop lt;
	LLVMValueRef row = cg_rloop_begin(c, &lt, cg_i64(c, 0), nrows, "wino", "row");
	LLVMValueRef t = cg_min(c, cg_add(c, t0, row, ""), cg_i64(c, w->tiles - 1), "min"), img, ti, tj;
	tile_pos(c, w, t, &img, &ti, &tj);
	LLVMValueRef ih0 = cg_add(c, cg_mul(c, ti, cg_i64(c, w->m), ""), cg_i64(c, -w->pt), "ih0");
	LLVMValueRef iw0 = cg_add(c, cg_mul(c, tj, cg_i64(c, w->m), ""), cg_i64(c, -w->pl), "iw0");
	LLVMValueRef base = cg_mul(c, img, cg_i64(c, w->h * w->w * w->c), "img.at");
	LLVMValueRef ptr[MAX_R][MAX_R];
	for (int a = 0; a < w->r; a++)
		for (int b = 0; b < w->r; b++) {
			LLVMValueRef ih = cg_add(c, ih0, cg_i64(c, a), "ih");
			LLVMValueRef iw = cg_add(c, iw0, cg_i64(c, b), "iw");
			LLVMValueRef ok = LLVMBuildAnd(c->b, cg_in_range(c, ih, w->h, ""),
			                               cg_in_range(c, iw, w->w, ""), "inside");
			/* Outside the image the index may be negative and the address
			 * is never used: plain (not nsw, not inbounds) arithmetic. */
			LLVMValueRef pix = LLVMBuildAdd(c->b, LLVMBuildMul(c->b, ih, cg_i64(c, w->w), ""),
			                                iw, "");
			LLVMValueRef at = LLVMBuildAdd(c->b, base,
			                               LLVMBuildMul(c->b, pix, cg_i64(c, w->c), ""), "");
			LLVMValueRef p = LLVMBuildGEP2(c->b, c->t_f32, w->x, &at, 1, "pixel");
			ptr[a][b] = LLVMBuildSelect(c->b, ok, p, w->zeros, "patch");
		}
	LLVMValueRef vrow = cg_elem(c, w->v, cg_mul(c, row, cg_i64(c, w->cs), ""), "vrow");
	int64_t full = w->c / w->vec, rest = w->c % w->vec;
	struct cg_loop lc;
	LLVMValueRef cv = cg_loop_begin(c, &lc, full, "cv");
	input_vector(c, w, ptr, vrow, cg_mul(c, cv, cg_i64(c, w->vec), "ch"), w->vec);
	cg_loop_end(c, &lc);
	if (rest)
		input_vector(c, w, ptr, vrow, cg_i64(c, full * w->vec), (int)rest);
	cg_rloop_end(c, &lt);
}

/* ---- 2. the GEMMs ---- */

/* M[e] rows [rb*mr, rb*mr + mr) x panel columns [col, col + nvec*vec) from
 * V[e] and the panel of U[e] (`width` floats per input channel). */
static void gemm_block(struct cg *c, const struct wino *w, LLVMValueRef ve, LLVMValueRef me,
                       LLVMValueRef panel, LLVMValueRef rb, LLVMValueRef col, int nvec)
{
	LLVMValueRef acc[MAX_MR][MAX_NVEC], arow[MAX_MR], bv[MAX_NVEC];
	LLVMBuilderRef eb = cg_entry_builder(c);
	for (int r = 0; r < w->mr; r++)
		for (int v = 0; v < nvec; v++) {
			acc[r][v] = LLVMBuildAlloca(eb, w->vty, "acc");
			LLVMBuildStore(c->b, LLVMConstNull(w->vty), acc[r][v]);
		}
	LLVMDisposeBuilder(eb);
	LLVMValueRef m0 = cg_mul(c, rb, cg_i64(c, w->mr), "m0");
	for (int r = 0; r < w->mr; r++)
		arow[r] = cg_elem(c, ve, cg_mul(c, cg_add(c, m0, cg_i64(c, r), ""), cg_i64(c, w->cs), ""),
		                  "arow");
	int64_t width = (int64_t)nvec * w->vec;
	struct cg_loop lk;
	LLVMValueRef ch = cg_loop_begin(c, &lk, w->c, "k");
	LLVMValueRef brow = cg_mul(c, ch, cg_i64(c, width), "brow");
	for (int v = 0; v < nvec; v++)
		bv[v] = cg_vload(c, w->vty, panel, cg_add(c, brow, cg_i64(c, v * w->vec), ""), w->vec, (unsigned)w->vec * 4);
	for (int r = 0; r < w->mr; r++) {
		LLVMValueRef a = cg_splat(c, w->vty, cg_load(c, arow[r], ch, "a"), "bcast");
		for (int v = 0; v < nvec; v++) {
			LLVMValueRef old = LLVMBuildLoad2(c->b, w->vty, acc[r][v], "");
			LLVMBuildStore(c->b, cg_fma(c, a, bv[v], old), acc[r][v]);
		}
	}
	cg_loop_end(c, &lk);
	for (int r = 0; r < w->mr; r++) {
		LLVMValueRef mrow = cg_mul(c, cg_add(c, m0, cg_i64(c, r), ""), cg_i64(c, w->ks), "");
		for (int v = 0; v < nvec; v++) {
			LLVMValueRef at = cg_add(c, mrow, cg_add(c, col, cg_i64(c, v * w->vec), ""), "at");
			LLVMValueRef s = LLVMBuildLoad2(c->b, w->vty, acc[r][v], "sum");
			cg_vstore(c, s, me, at, w->vec);
		}
	}
}

/* Panels [p0, p0 + np) of U[e], nvec vectors wide, over all row blocks. */
static void gemm_panels(struct cg *c, const struct wino *w, LLVMValueRef e, LLVMValueRef nblk,
                        int64_t p0, int64_t np, int nvec)
{
	LLVMValueRef ve = cg_elem(c, w->v, cg_mul(c, e, cg_i64(c, w->bt_tiles * w->cs), ""), "ve");
	LLVMValueRef me = cg_elem(c, w->mm, cg_mul(c, e, cg_i64(c, w->bt_tiles * w->ks), ""), "me");
	LLVMValueRef ue = cg_elem(c, w->u, cg_mul(c, e, cg_i64(c, w->per_e), ""), "ue");
	struct cg_loop lj;
	LLVMValueRef j = cg_add(c, cg_loop_begin(c, &lj, np, "jr"), cg_i64(c, p0), "panel.no");
	LLVMValueRef panel = cg_elem(c, ue, cg_mul(c, j, cg_i64(c, (int64_t)w->nr * w->c), ""),
	                             "panel");
	LLVMValueRef col = cg_mul(c, j, cg_i64(c, w->nr), "col");
	struct cg_rloop lr;
	LLVMValueRef rb = cg_rloop_begin(c, &lr, cg_i64(c, 0), nblk, "wino", "rb");
	gemm_block(c, w, ve, me, panel, rb, col, nvec);
	cg_rloop_end(c, &lr);
	cg_loop_end(c, &lj);
}

static void gemms(struct cg *c, const struct wino *w, LLVMValueRef nblk)
{
	int64_t full = w->k / w->nr, rest = w->k % w->nr;
	struct cg_loop le;
	LLVMValueRef e = cg_loop_begin(c, &le, w->e, "e");
	if (full)
		gemm_panels(c, w, e, nblk, 0, full, w->nr / w->vec);
	if (rest)
		gemm_panels(c, w, e, nblk, full, 1, (int)((rest + w->vec - 1) / w->vec));
	cg_loop_end(c, &le);
}

/* ---- 3. output transform and epilogue ---- */

/* Output rows i (cols j) of a tile that may fall past the output: those
 * at or past OH % m in the last tile row, when m does not divide OH. */
static bool may_stick_out(int64_t size, int m, int i)
{
	return size % m && i >= size % m;
}

static void output_vector(struct cg *c, const struct wino *w, LLVMValueRef mrow,
                          LLVMValueRef ybase, LLVMValueRef oh0, LLVMValueRef ow0,
                          LLVMValueRef kc, int lanes)
{
	LLVMValueRef in[MAX_R][MAX_R], out[MAX_R][MAX_R];
	for (int a = 0; a < w->r; a++)
		for (int b = 0; b < w->r; b++) {
			int64_t e = a * w->r + b;
			in[a][b] = cg_vload(c, w->vty, mrow, cg_add(c, kc, cg_i64(c, e * w->bt_tiles * w->ks), ""), w->vec, 4);
		}
	transform2d(c, w, w->at, w->m, in, out);
	LLVMValueRef bias = w->bias ? cg_vload(c, w->vty, w->bias, kc, lanes, 4) : NULL;
	for (int i = 0; i < w->m; i++)
		for (int j = 0; j < w->m; j++) {
			LLVMValueRef oh = cg_add(c, oh0, cg_i64(c, i), "oh");
			LLVMValueRef ow = cg_add(c, ow0, cg_i64(c, j), "ow");
			LLVMValueRef ok = NULL;
			if (may_stick_out(w->oh, w->m, i))
				ok = cg_in_range(c, oh, w->oh, "row.in");
			if (may_stick_out(w->ow, w->m, j)) {
				LLVMValueRef cok = cg_in_range(c, ow, w->ow, "col.in");
				ok = ok ? LLVMBuildAnd(c->b, ok, cok, "inside") : cok;
			}
			LLVMBasicBlockRef after = ok ? cg_if_begin(c, ok, "pixel") : NULL;
			LLVMValueRef at = cg_add(c, ybase, cg_madd(c, oh, w->ow * w->k,
			                                           cg_mul(c, ow, cg_i64(c, w->k), ""), ""),
			                         "");
			at = cg_add(c, at, kc, "at");
			LLVMValueRef s = out[i][j];
			if (bias)
				s = LLVMBuildFAdd(c->b, s, bias, "biased");
			if (w->res)
				s = LLVMBuildFAdd(c->b, s, cg_vload(c, w->vty, w->res, at, lanes, 4), "residual");
			cg_vstore(c, cg_vstep(c, &w->act, s), w->y, at, lanes);
			if (after)
				cg_if_end(c, after);
		}
}

/* The outputs of the block's tiles [0, nt). */
static void output_transform(struct cg *c, const struct wino *w, LLVMValueRef t0,
                             LLVMValueRef nt)
{
	struct cg_rloop lt;
	LLVMValueRef row = cg_rloop_begin(c, &lt, cg_i64(c, 0), nt, "wino", "row");
	LLVMValueRef img, ti, tj;
	tile_pos(c, w, cg_add(c, t0, row, "tile"), &img, &ti, &tj);
	LLVMValueRef oh0 = cg_mul(c, ti, cg_i64(c, w->m), "oh0");
	LLVMValueRef ow0 = cg_mul(c, tj, cg_i64(c, w->m), "ow0");
	LLVMValueRef ybase = cg_mul(c, img, cg_i64(c, w->oh * w->ow * w->k), "img.at");
	LLVMValueRef mrow = cg_elem(c, w->mm, cg_mul(c, row, cg_i64(c, w->ks), ""), "mrow");
	int64_t full = w->k / w->vec, rest = w->k % w->vec;
	struct cg_loop lk;
	LLVMValueRef kv = cg_loop_begin(c, &lk, full, "kv");
	output_vector(c, w, mrow, ybase, oh0, ow0, cg_mul(c, kv, cg_i64(c, w->vec), "kc"), w->vec);
	cg_loop_end(c, &lk);
	if (rest)
		output_vector(c, w, mrow, ybase, oh0, ow0, cg_i64(c, full * w->vec), (int)rest);
	cg_rloop_end(c, &lt);
}

/* ---- the layer ---- */

static void wino_of(struct cg *c, const struct ir_node *n, struct wino *w)
{
	const struct ir_conv_attr *a = &n->attr.conv;
	const struct ir_tile *t = &a->tile;
	const struct ir_type *xt = &c->g->vals[n->in[0]].type, *yt = &c->g->vals[n->out].type;
	DLC_ASSERT(a->groups == 1 && a->layout == IR_LAYOUT_NHWC && a->kernel[0] == 3 &&
	           a->kernel[1] == 3 && a->stride[0] == 1 && a->stride[1] == 1 &&
	           a->dilation[0] == 1 && a->dilation[1] == 1);
	DLC_ASSERT(t->winograd == 2 && t->packed && t->vec >= 1 &&
	           t->vec <= 64 && t->nr % t->vec == 0 && t->nr / t->vec <= MAX_NVEC &&
	           t->mr >= 1 && t->mr <= MAX_MR && t->mc >= t->mr && t->mc % t->mr == 0);
	w->m = t->winograd;
	w->r = w->m + 2;
	w->e = w->r * w->r;
	w->bt = bt2;
	w->at = at2;
	w->vec = t->vec, w->mr = t->mr, w->nr = t->nr;
	w->h = xt->dims[1], w->w = xt->dims[2], w->c = xt->dims[3];
	w->oh = yt->dims[1], w->ow = yt->dims[2], w->k = yt->dims[3];
	w->pt = a->pad[0], w->pl = a->pad[1];
	w->tr = (w->oh + w->m - 1) / w->m, w->tc = (w->ow + w->m - 1) / w->m;
	w->tiles = yt->dims[0] * w->tr * w->tc;
	w->bt_tiles = t->mc;
	w->cs = round_up(w->c, w->vec), w->ks = round_up(w->k, w->vec);
	w->per_e = (w->k / w->nr * w->nr + round_up(w->k % w->nr, w->vec)) * w->c;
	w->vty = LLVMVectorType(c->t_f32, (unsigned)w->vec);
	w->act = a->act;
	w->x = c->addr[n->in[0]];
	w->y = c->addr[n->out];
	w->u = c->addr[n->param[0]];
	w->bias = n->param[1] == IR_NONE ? NULL : c->addr[n->param[1]];
	w->res = n->nin > 1 ? c->addr[n->in[1]] : NULL;
	DLC_ASSERT(ir_type_numel(&c->g->vals[n->param[0]].type) == w->per_e * w->e);
	int64_t base = c->plan->workspace[n - c->g->nodes];
	DLC_ASSERT(base >= 0 && plan_workspace_bytes(c->g, n) > 0);
	LLVMValueRef off = cg_i64(c, base);
	w->v = LLVMBuildInBoundsGEP2(c->b, c->t_i8, c->scratch, &off, 1, "wino.v");
	off = cg_i64(c, round_up(w->e * w->bt_tiles * w->cs * 4, PLAN_ALIGN));
	w->mm = LLVMBuildInBoundsGEP2(c->b, c->t_i8, w->v, &off, 1, "wino.m");
	w->zeros = cg_zero_row(c, w->cs);
}

void cg_lower_winograd(struct cg *c, const struct ir_node *n)
{
	struct wino w = { 0 };
	wino_of(c, n, &w);
	int64_t nblocks = (w.tiles + w.bt_tiles - 1) / w.bt_tiles;
	struct cg_loop lb;
	LLVMValueRef blk = cg_loop_begin(c, &lb, nblocks, "blk");
	LLVMValueRef t0 = cg_mul(c, blk, cg_i64(c, w.bt_tiles), "t0");
	LLVMValueRef nt = cg_min(c, LLVMBuildSub(c->b, cg_i64(c, w.tiles), t0, ""),
	                         cg_i64(c, w.bt_tiles), "min");
	LLVMValueRef nblk = LLVMBuildUDiv(c->b, cg_add(c, nt, cg_i64(c, w.mr - 1), ""),
	                                  cg_i64(c, w.mr), "nblk");
	input_transform(c, &w, t0, cg_mul(c, nblk, cg_i64(c, w.mr), "nrows"));
	gemms(c, &w, nblk);
	output_transform(c, &w, t0, nt);
	cg_loop_end(c, &lb);
}
