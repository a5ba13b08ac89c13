/* lower_tiled.c - conv2d and dense as tiled GEMM loop nests with explicit
 * vector code, for layers the tiling pass tiled and the packing pass packed
 * (passes/pass_tile.c, pass_pack.c, docs/ir.md "Packed weights").
 *
 * The layer is C[M, N] = A[M, K] x B[K, N] (+ bias, + residual, act): M
 * output pixels or batch rows, N output channels, K the reduction. The loop
 * nest is Goto's: nc blocks of N, kc chunks of K, mc blocks of M, then the
 * nr-wide panels and mr-row blocks; the innermost code is a register block
 * of mr x nr/vec <vec x float> accumulators (entry-block allocas that SROA
 * turns into registers) updated per k by a broadcast of one A element per
 * row and nr/vec aligned vector loads of the packed B panel, with llvm.fma
 * where the target has FMA (fmul + fadd otherwise). On AVX2 that is 6 x 16
 * (12 accumulators, 2 B vectors, the broadcast straight from memory); LLVM
 * unrolls the K loop by 2 with no spills. Measured on znver3 (one layer
 * alone, warm caches), the kernel runs ResNet-50's 1x1 convs at 94-100 %
 * of the FMA peak, 3x3/2 at 85-100 %, and the 7x7/2 stem at ~95 %.
 *
 * A conv2d on NHWC is an implicit GEMM: no im2col buffer. An unpadded 1x1
 * conv (any stride) and a dense layer are plain GEMMs: row m of A is one
 * contiguous run of x (a strided 1x1 conv reads every sh-th row, sw-th
 * pixel). Other convs walk K = (kh, kw, c) either
 *   - by kernel rows, when a row of taps is a short run (kw * c <= KROW_MAX
 *     floats, dilation 1 along w): the kw adjacent input pixels of one
 *     kernel row are kw * c contiguous floats for any stride, and so are
 *     their weights in the packed panel, so K runs in kh loops of kw * c.
 *     This is what makes small channel counts fast (C = 1, 3, 6: the 7x7/2
 *     stem went from 35 % to 95 % of peak, LeNet's 5x5 on 6 channels from
 *     15 % to ~90 %); or
 *   - by taps, with the channels inside.
 * Either way each block row gets one pointer per kernel row or tap: its
 * input pixel, or a zero row when it falls into the padding, so the inner
 * loop is free of tests; a kernel row cut by the left or right edge is
 * first gathered, zero-filled, into a small stack buffer.
 *
 * A grouped conv (groups > 1, not depthwise) is one such GEMM per group,
 * in a loop over the groups: x, the output, bias, residual and the packed
 * weights offset to the group, input pixels xs = C floats apart but only
 * the group's C/G channels read per tap, output rows ys = O floats apart.
 * K runs by taps there (or as a GEMM when 1x1 unpadded), since the group's
 * channels of adjacent pixels are not one run.
 *
 * Tails: the last rows of M get a register block of M % mr rows; the last
 * panel is only as many vectors wide as it needs, and its last vector is
 * loaded with a mask and stored in power-of-two pieces when N is not a
 * multiple of vec. When K is chunked, partial sums go through the output:
 * the first chunk adds bias and residual (read before the output, which
 * may share its bytes, is written), later ones add what is there, only the
 * last applies the activation (vectorized: cg_vstep). */
#include "cg.h"

#include "check.h"

/* Bounds of the register block the tiling pass may choose. */
#define MR_MAX 16
#define NVEC_MAX 8

/* One tiled layer (see the top of the file). */
struct gemm {
	const struct ir_node *node;
	struct ir_tile t;
	int64_t m, n, k;
	int64_t kc;         /* K chunk: a multiple of kwc, else of c when implicit */
	int64_t nchunks;    /* ceil(K / kc) */
	bool implicit;      /* conv by taps or kernel rows; else A rows are contiguous */
	int64_t c, h, w, oh, ow, kh, kw, sh, sw, dh, dw, pt, pl; /* conv geometry, c per group */
	int64_t groups;     /* conv groups (1 for dense) */
	int64_t xs, ys;     /* floats between input pixels (rows of A), output rows */
	LLVMValueRef x, wp, bias, res, y;
	int64_t kwc;         /* kw * c when K runs by kernel rows, else 0 */
	LLVMValueRef zeros;  /* implicit: max(c, kwc) zero floats, read in the padding */
	LLVMValueRef rowbuf; /* kwc != 0: mr runs of kwc floats, for edge rows */
	LLVMTypeRef vty;     /* <vec x float> */
	struct ir_eltwise_step act; /* the fused activation */
};

/* One register block to emit: rows x nvec vectors at row m0 of panel j. */
struct block {
	int rows, nvec, lanes; /* lanes: valid lanes of the last vector */
	LLVMValueRef m0, j, chunk;
	LLVMValueRef first, last; /* i1: first/last K chunk; NULL with one chunk */
};

/* ---- the register block (the shared vector vocabulary is vec.c) ---- */

/* Loads the B vectors of row k of the panel. */
static void load_b(struct cg *c, const struct gemm *g, const struct block *bl, LLVMValueRef panel,
                   LLVMValueRef k, LLVMValueRef bv[NVEC_MAX])
{
	int64_t width = (int64_t)bl->nvec * g->t.vec;
	LLVMValueRef row = cg_mul(c, k, cg_i64(c, width), "brow");
	for (int v = 0; v < bl->nvec; v++)
		bv[v] = cg_vload(c, g->vty, panel, cg_add(c, row, cg_i64(c, v * g->t.vec), ""), g->t.vec, (unsigned)g->t.vec * 4);
}

/* acc[r][v] += arow[r][i] * bv[v] for every row and vector. */
static void update(struct cg *c, const struct gemm *g, const struct block *bl,
                   LLVMValueRef acc[MR_MAX][NVEC_MAX], LLVMValueRef *arow, LLVMValueRef i,
                   LLVMValueRef bv[NVEC_MAX])
{
	for (int r = 0; r < bl->rows; r++) {
		LLVMValueRef a = cg_splat(c, g->vty, cg_load(c, arow[r], i, "a"), "bcast");
		for (int v = 0; v < bl->nvec; v++) {
			LLVMValueRef old = LLVMBuildLoad2(c->b, g->vty, acc[r][v], "");
			LLVMBuildStore(c->b, cg_fma(c, a, bv[v], old), acc[r][v]);
		}
	}
}

/* k range [lo, hi) of the block's chunk, in units of `step` (1 or c). */
static void chunk_range(struct cg *c, const struct gemm *g, const struct block *bl, int64_t step,
                        LLVMValueRef *lo, LLVMValueRef *hi)
{
	int64_t len = g->kc / step, total = g->k / step;
	if (!bl->chunk) {
		*lo = cg_i64(c, 0);
		*hi = cg_i64(c, total);
		return;
	}
	*lo = cg_mul(c, bl->chunk, cg_i64(c, len), "k0");
	*hi = cg_min(c, cg_add(c, *lo, cg_i64(c, len), ""), cg_i64(c, total), "min");
}

/* Offset in x of row m of A: m * K, or for a strided 1x1 conv the pixel
 * (oh * sh, ow * sw) of output pixel m. */
static LLVMValueRef a_row(struct cg *c, const struct gemm *g, LLVMValueRef m)
{
	if (!g->c || (g->sh == 1 && g->sw == 1))
		return cg_mul(c, m, cg_i64(c, g->xs), "");
	LLVMValueRef img = LLVMBuildUDiv(c->b, m, cg_i64(c, g->oh * g->ow), "img");
	LLVMValueRef pix = LLVMBuildURem(c->b, m, cg_i64(c, g->oh * g->ow), "");
	LLVMValueRef oh = LLVMBuildUDiv(c->b, pix, cg_i64(c, g->ow), "oh");
	LLVMValueRef ow = LLVMBuildURem(c->b, pix, cg_i64(c, g->ow), "ow");
	LLVMValueRef ih = cg_mul(c, oh, cg_i64(c, g->sh), "ih"), iw = cg_mul(c, ow, cg_i64(c, g->sw), "iw");
	LLVMValueRef at = cg_madd(c, img, g->h * g->w, cg_madd(c, ih, g->w, iw, ""), "");
	return cg_mul(c, at, cg_i64(c, g->xs), "");
}

/* Plain GEMM: row r of A is contiguous, at x + a_row(m0 + r). */
static void gemm_k_loop(struct cg *c, const struct gemm *g, const struct block *bl,
                        LLVMValueRef panel, LLVMValueRef acc[MR_MAX][NVEC_MAX])
{
	LLVMValueRef arow[MR_MAX], lo, hi, bv[NVEC_MAX];
	for (int r = 0; r < bl->rows; r++)
		arow[r] = cg_elem(c, g->x, a_row(c, g, cg_add(c, bl->m0, cg_i64(c, r), "m")), "arow");
	chunk_range(c, g, bl, 1, &lo, &hi);
	struct cg_rloop l;
	LLVMValueRef k = cg_rloop_begin(c, &l, lo, hi, "tile", "k");
	load_b(c, g, bl, panel, k, bv);
	update(c, g, bl, acc, arow, k, bv);
	cg_rloop_end(c, &l);
}

/* Where block row r's window starts: the input row and column of its first
 * tap (negative in the padding) and the offset of its image in x. */
struct rowpos {
	LLVMValueRef ih0, iw0, base;
};

static void row_positions(struct cg *c, const struct gemm *g, const struct block *bl,
                          struct rowpos pos[MR_MAX])
{
	for (int r = 0; r < bl->rows; r++) {
		LLVMValueRef m = cg_add(c, bl->m0, cg_i64(c, r), "m");
		LLVMValueRef img = LLVMBuildUDiv(c->b, m, cg_i64(c, g->oh * g->ow), "img");
		LLVMValueRef pix = LLVMBuildURem(c->b, m, cg_i64(c, g->oh * g->ow), "");
		LLVMValueRef oh = LLVMBuildUDiv(c->b, pix, cg_i64(c, g->ow), "oh");
		LLVMValueRef ow = LLVMBuildURem(c->b, pix, cg_i64(c, g->ow), "ow");
		pos[r].ih0 = cg_add(c, cg_mul(c, oh, cg_i64(c, g->sh), ""), cg_i64(c, -g->pt), "ih0");
		pos[r].iw0 = cg_add(c, cg_mul(c, ow, cg_i64(c, g->sw), ""), cg_i64(c, -g->pl), "iw0");
		pos[r].base = cg_mul(c, img, cg_i64(c, g->h * g->w * g->xs), "img.at");
	}
}

/* &x[img, ih, iw, 0]. Outside the image the index may be negative and the
 * address is never used: plain (not nsw, not inbounds) arithmetic and GEP. */
static LLVMValueRef pixel_ptr(struct cg *c, const struct gemm *g, LLVMValueRef base,
                              LLVMValueRef ih, LLVMValueRef iw)
{
	LLVMValueRef pix = LLVMBuildAdd(c->b, LLVMBuildMul(c->b, ih, cg_i64(c, g->w), ""), iw, "");
	LLVMValueRef at = LLVMBuildAdd(c->b, base, LLVMBuildMul(c->b, pix, cg_i64(c, g->xs), ""), "");
	return LLVMBuildGEP2(c->b, c->t_f32, g->x, &at, 1, "pixel");
}

/* Whether every tap of every block row's window lies inside the image:
 * its first row and column >= 0 and its last ones inside. */
static LLVMValueRef all_inside(struct cg *c, const struct gemm *g, const struct block *bl,
                               const struct rowpos pos[MR_MAX])
{
	LLVMValueRef ok = LLVMConstInt(c->t_i1, 1, 0);
	int64_t spanh = (g->kh - 1) * g->dh + 1, spanw = (g->kw - 1) * g->dw + 1;
	if (spanh > g->h || spanw > g->w)
		return LLVMConstInt(c->t_i1, 0, 0);
	for (int r = 0; r < bl->rows; r++) {
		ok = LLVMBuildAnd(c->b, ok, cg_in_range(c, pos[r].ih0, g->h - spanh + 1, ""), "");
		ok = LLVMBuildAnd(c->b, ok, cg_in_range(c, pos[r].iw0, g->w - spanw + 1, ""), "inside");
	}
	return ok;
}

/* One run of K for every block row (number `run` of len floats: a tap of
 * c channels, or a kernel row of kwc): len contiguous floats from each row
 * pointer against panel rows run * len to run * len + len - 1. */
static void k_run(struct cg *c, const struct gemm *g, const struct block *bl, LLVMValueRef run,
                  int64_t len, LLVMValueRef ptr[MR_MAX], LLVMValueRef panel,
                  LLVMValueRef acc[MR_MAX][NVEC_MAX])
{
	LLVMValueRef bv[NVEC_MAX];
	LLVMValueRef kbase = cg_mul(c, run, cg_i64(c, len), "kbase");
	struct cg_loop li;
	LLVMValueRef i = cg_loop_begin(c, &li, len, "i");
	load_b(c, g, bl, panel, cg_add(c, kbase, i, "k"), bv);
	update(c, g, bl, acc, ptr, i, bv);
	cg_loop_end(c, &li);
}

/* Implicit-GEMM conv by taps: per tap one pointer per row (its pixel or
 * the zero row), then the c channels. A block whose windows all lie
 * inside the image (most of them) takes a copy of the loop without the
 * tests: each row's pointer is its window's origin plus the tap's offset,
 * the same for every row. */
static void tap_loop(struct cg *c, const struct gemm *g, const struct block *bl,
                     const struct rowpos pos[MR_MAX], LLVMValueRef panel,
                     LLVMValueRef acc[MR_MAX][NVEC_MAX])
{
	LLVMValueRef ptr[MR_MAX], origin[MR_MAX], lo, hi;
	chunk_range(c, g, bl, g->c, &lo, &hi);
	LLVMBasicBlockRef fast = LLVMAppendBasicBlockInContext(c->ctx, c->fn, "taps.inside");
	LLVMBasicBlockRef edge = LLVMAppendBasicBlockInContext(c->ctx, c->fn, "taps.edge");
	LLVMBasicBlockRef done = LLVMAppendBasicBlockInContext(c->ctx, c->fn, "taps.end");
	LLVMBuildCondBr(c->b, all_inside(c, g, bl, pos), fast, edge);

	LLVMPositionBuilderAtEnd(c->b, fast);
	for (int r = 0; r < bl->rows; r++)
		origin[r] = pixel_ptr(c, g, pos[r].base, pos[r].ih0, pos[r].iw0);
	struct cg_rloop lf;
	LLVMValueRef tap = cg_rloop_begin(c, &lf, lo, hi, "tile", "tap");
	LLVMValueRef th = LLVMBuildUDiv(c->b, tap, cg_i64(c, g->kw), "th");
	LLVMValueRef tw = LLVMBuildSub(c->b, tap, cg_mul(c, th, cg_i64(c, g->kw), ""), "tw");
	LLVMValueRef off = cg_madd(c, th, g->dh * g->w, cg_mul(c, tw, cg_i64(c, g->dw), ""), "");
	off = cg_mul(c, off, cg_i64(c, g->xs), "tap.off");
	for (int r = 0; r < bl->rows; r++)
		ptr[r] = cg_elem(c, origin[r], off, "arow");
	k_run(c, g, bl, tap, g->c, ptr, panel, acc);
	cg_rloop_end(c, &lf);
	LLVMBuildBr(c->b, done);

	LLVMPositionBuilderAtEnd(c->b, edge);
	struct cg_rloop lt;
	tap = cg_rloop_begin(c, &lt, lo, hi, "tile", "tap");
	th = LLVMBuildUDiv(c->b, tap, cg_i64(c, g->kw), "th");
	tw = LLVMBuildSub(c->b, tap, cg_mul(c, th, cg_i64(c, g->kw), ""), "tw");
	LLVMValueRef dh = cg_mul(c, th, cg_i64(c, g->dh), ""), dw = cg_mul(c, tw, cg_i64(c, g->dw), "");
	for (int r = 0; r < bl->rows; r++) {
		LLVMValueRef ih = cg_add(c, pos[r].ih0, dh, "ih"), iw = cg_add(c, pos[r].iw0, dw, "iw");
		LLVMValueRef ok = LLVMBuildAnd(c->b, cg_in_range(c, ih, g->h, ""),
		                               cg_in_range(c, iw, g->w, ""), "inside");
		ptr[r] = LLVMBuildSelect(c->b, ok, pixel_ptr(c, g, pos[r].base, ih, iw), g->zeros,
		                         "arow");
	}
	k_run(c, g, bl, tap, g->c, ptr, panel, acc);
	cg_rloop_end(c, &lt);
	LLVMBuildBr(c->b, done);
	LLVMPositionBuilderAtEnd(c->b, done);
}

/* Copies kernel row ih of block row r's window (kw taps of c channels)
 * into buf, zeros for the taps left or right of the image. */
static void gather_row(struct cg *c, const struct gemm *g, const struct rowpos *p,
                       LLVMValueRef ih, LLVMValueRef buf)
{
	struct cg_loop lk, lc;
	LLVMValueRef kw = cg_loop_begin(c, &lk, g->kw, "kw");
	LLVMValueRef iw = cg_add(c, p->iw0, kw, "iw");
	LLVMValueRef src = LLVMBuildSelect(c->b, cg_in_range(c, iw, g->w, ""),
	                                   pixel_ptr(c, g, p->base, ih, iw), g->zeros, "src");
	LLVMValueRef ch = cg_loop_begin(c, &lc, g->c, "ch");
	cg_store(c, cg_load(c, src, ch, "x"), buf, cg_madd(c, kw, g->c, ch, ""));
	cg_loop_end(c, &lc);
	cg_loop_end(c, &lk);
}

/* Implicit-GEMM conv by kernel rows (stride any, dilation 1 along w): the
 * kw taps of one kernel row are adjacent pixels, so their kw * c floats
 * are one contiguous run of x, as they are of the packed B. Per kernel row
 * each block row gets one pointer: into x when the whole run is inside the
 * image, the zero row when the kernel row is above or below it, else its
 * run gathered (zero-filled at the edges) into the row's scratch. */
static void kernel_row_loop(struct cg *c, const struct gemm *g, const struct block *bl,
                            const struct rowpos pos[MR_MAX], LLVMValueRef panel,
                            LLVMValueRef acc[MR_MAX][NVEC_MAX])
{
	LLVMValueRef ptr[MR_MAX], whole[MR_MAX], buf[MR_MAX], lo, hi;
	for (int r = 0; r < bl->rows; r++) {
		/* 0 <= iw0 <= w - kw; never when the kernel is wider than x */
		whole[r] = g->w >= g->kw ? cg_in_range(c, pos[r].iw0, g->w - g->kw + 1, "whole")
		                         : LLVMConstInt(c->t_i1, 0, 0);
		buf[r] = cg_elem(c, g->rowbuf, cg_i64(c, r * g->kwc), "rowbuf");
	}
	chunk_range(c, g, bl, g->kwc, &lo, &hi);
	struct cg_rloop lh;
	LLVMValueRef kh = cg_rloop_begin(c, &lh, lo, hi, "tile", "kh");
	for (int r = 0; r < bl->rows; r++) {
		LLVMValueRef ih = cg_madd(c, kh, g->dh, pos[r].ih0, "ih");
		LLVMValueRef ok = cg_in_range(c, ih, g->h, "inside");
		LLVMValueRef edge = LLVMBuildAnd(c->b, ok, LLVMBuildNot(c->b, whole[r], ""), "edge");
		LLVMBasicBlockRef after = cg_if_begin(c, edge, "edge");
		gather_row(c, g, &pos[r], ih, buf[r]);
		cg_if_end(c, after);
		LLVMValueRef run = LLVMBuildSelect(c->b, whole[r],
		                                   pixel_ptr(c, g, pos[r].base, ih, pos[r].iw0), buf[r],
		                                   "");
		ptr[r] = LLVMBuildSelect(c->b, ok, run, g->zeros, "arow");
	}
	k_run(c, g, bl, kh, g->kwc, ptr, panel, acc);
	cg_rloop_end(c, &lh);
}

/* Output index of row r, vector v of the block. */
static LLVMValueRef out_index(struct cg *c, const struct gemm *g, const struct block *bl, int r,
                              int v)
{
	LLVMValueRef col = cg_madd(c, bl->j, g->t.nr, cg_i64(c, (int64_t)v * g->t.vec), "col");
	return cg_madd(c, cg_add(c, bl->m0, cg_i64(c, r), ""), g->ys, col, "at");
}

static int lanes_of(const struct block *bl, const struct gemm *g, int v)
{
	return v == bl->nvec - 1 ? bl->lanes : g->t.vec;
}

/* acc += bias + residual: what the first K chunk adds. The residual is
 * read before the block's output is written, so the output may share its
 * bytes. */
static void add_inputs(struct cg *c, const struct gemm *g, const struct block *bl,
                       LLVMValueRef acc[MR_MAX][NVEC_MAX])
{
	for (int r = 0; r < bl->rows && (g->bias || g->res); r++)
		for (int v = 0; v < bl->nvec; v++) {
			int lanes = lanes_of(bl, g, v);
			LLVMValueRef s = LLVMBuildLoad2(c->b, g->vty, acc[r][v], "sum");
			if (g->bias) {
				LLVMValueRef col = cg_madd(c, bl->j, g->t.nr,
				                           cg_i64(c, (int64_t)v * g->t.vec), "col");
				s = LLVMBuildFAdd(c->b, s, cg_vload(c, g->vty, g->bias, col, lanes, 4), "biased");
			}
			if (g->res)
				s = LLVMBuildFAdd(c->b, s, cg_vload(c, g->vty, g->res, out_index(c, g, bl, r, v), lanes, 4), "residual");
			LLVMBuildStore(c->b, s, acc[r][v]);
		}
}

/* acc += the partial sums of earlier K chunks, kept in the output. */
static void add_partial(struct cg *c, const struct gemm *g, const struct block *bl,
                        LLVMValueRef acc[MR_MAX][NVEC_MAX])
{
	for (int r = 0; r < bl->rows; r++)
		for (int v = 0; v < bl->nvec; v++) {
			LLVMValueRef old = cg_vload(c, g->vty, g->y, out_index(c, g, bl, r, v), lanes_of(bl, g, v), 4);
			LLVMValueRef s = LLVMBuildLoad2(c->b, g->vty, acc[r][v], "");
			LLVMBuildStore(c->b, LLVMBuildFAdd(c->b, s, old, "partial"), acc[r][v]);
		}
}

/* Stores the block: act(acc) when `act`, else the raw partial sums. */
static void store_block(struct cg *c, const struct gemm *g, const struct block *bl,
                        LLVMValueRef acc[MR_MAX][NVEC_MAX], bool act)
{
	for (int r = 0; r < bl->rows; r++)
		for (int v = 0; v < bl->nvec; v++) {
			LLVMValueRef s = LLVMBuildLoad2(c->b, g->vty, acc[r][v], "sum");
			if (act)
				s = cg_vstep(c, &g->act, s);
			cg_vstore(c, s, g->y, out_index(c, g, bl, r, v), lanes_of(bl, g, v));
		}
}

static void inputs_or_partial(struct cg *c, const struct gemm *g, const struct block *bl,
                              LLVMValueRef acc[MR_MAX][NVEC_MAX], bool first)
{
	if (first)
		add_inputs(c, g, bl, acc);
	else
		add_partial(c, g, bl, acc);
}

/* if (cond) fn(..., true) else fn(..., false) */
static void branch(struct cg *c, const struct gemm *g, const struct block *bl,
                   LLVMValueRef acc[MR_MAX][NVEC_MAX], LLVMValueRef cond,
                   void (*fn)(struct cg *, const struct gemm *, const struct block *,
                              LLVMValueRef[MR_MAX][NVEC_MAX], bool))
{
	LLVMBasicBlockRef yes = LLVMAppendBasicBlockInContext(c->ctx, c->fn, "chunk.then");
	LLVMBasicBlockRef no = LLVMAppendBasicBlockInContext(c->ctx, c->fn, "chunk.else");
	LLVMBasicBlockRef done = LLVMAppendBasicBlockInContext(c->ctx, c->fn, "chunk.end");
	LLVMBuildCondBr(c->b, cond, yes, no);
	LLVMPositionBuilderAtEnd(c->b, yes);
	fn(c, g, bl, acc, true);
	LLVMBuildBr(c->b, done);
	LLVMPositionBuilderAtEnd(c->b, no);
	fn(c, g, bl, acc, false);
	LLVMBuildBr(c->b, done);
	LLVMPositionBuilderAtEnd(c->b, done);
}

/* One register block: zeroed accumulators, the K loop of the chunk, then
 * the epilogue. With K in chunks the partial sums go through the output:
 * the first chunk adds bias and residual, later ones what is there, and
 * the last applies the activation. */
static void emit_block(struct cg *c, const struct gemm *g, const struct block *bl)
{
	DLC_ASSERT(bl->rows >= 1 && bl->rows <= MR_MAX && bl->nvec >= 1 && bl->nvec <= NVEC_MAX);
	LLVMValueRef acc[MR_MAX][NVEC_MAX];
	for (int r = 0; r < bl->rows; r++)
		for (int v = 0; v < bl->nvec; v++) {
			acc[r][v] = cg_entry_var(c, g->vty, 0, "acc");
			LLVMBuildStore(c->b, LLVMConstNull(g->vty), acc[r][v]);
		}
	LLVMValueRef panel = cg_elem(c, g->wp, cg_mul(c, bl->j, cg_i64(c, g->t.nr * g->k), ""),
	                             "panel");
	struct rowpos pos[MR_MAX];
	if (g->implicit)
		row_positions(c, g, bl, pos);
	if (g->implicit && g->kwc)
		kernel_row_loop(c, g, bl, pos, panel, acc);
	else if (g->implicit)
		tap_loop(c, g, bl, pos, panel, acc);
	else
		gemm_k_loop(c, g, bl, panel, acc);
	if (!bl->first) {
		add_inputs(c, g, bl, acc);
		store_block(c, g, bl, acc, true);
		return;
	}
	branch(c, g, bl, acc, bl->first, inputs_or_partial);
	if (g->act.kind == IR_STEP_NONE)
		store_block(c, g, bl, acc, false);
	else
		branch(c, g, bl, acc, bl->last, store_block);
}

/* ---- the loop nest ---- */

/* Panels [p0, p0 + np), each nvec vectors wide (last vector `lanes`). */
static void emit_panels(struct cg *c, const struct gemm *g, int64_t p0, int64_t np, int nvec,
                        int lanes)
{
	int64_t mr = g->t.mr, nr = g->t.nr;
	int64_t ncb = g->t.nc / nr > 0 ? g->t.nc / nr : 1, mcb = g->t.mc / mr > 0 ? g->t.mc / mr : 1;
	int64_t full = g->m / mr, tail = g->m % mr;
	struct cg_loop ljc, lkc, lic;
	struct cg_rloop ljr, lir;
	LLVMValueRef jc = cg_loop_begin(c, &ljc, (np + ncb - 1) / ncb, "jc");
	LLVMValueRef jlo = cg_madd(c, jc, ncb, cg_i64(c, p0), "jlo");
	LLVMValueRef jhi = cg_min(c, cg_add(c, jlo, cg_i64(c, ncb), ""), cg_i64(c, p0 + np), "min");
	struct block bl = { .rows = (int)mr, .nvec = nvec, .lanes = lanes };
	if (g->nchunks > 1) {
		bl.chunk = cg_loop_begin(c, &lkc, g->nchunks, "kc");
		bl.first = LLVMBuildICmp(c->b, LLVMIntEQ, bl.chunk, cg_i64(c, 0), "first");
		bl.last = LLVMBuildICmp(c->b, LLVMIntEQ, bl.chunk, cg_i64(c, g->nchunks - 1), "last");
	}
	LLVMValueRef ic = cg_loop_begin(c, &lic, (full + mcb - 1) / mcb, "ic");
	LLVMValueRef ilo = cg_mul(c, ic, cg_i64(c, mcb), "ilo");
	LLVMValueRef ihi = cg_min(c, cg_add(c, ilo, cg_i64(c, mcb), ""), cg_i64(c, full), "min");
	bl.j = cg_rloop_begin(c, &ljr, jlo, jhi, "tile", "jr");
	LLVMValueRef ir = cg_rloop_begin(c, &lir, ilo, ihi, "tile", "ir");
	bl.m0 = cg_mul(c, ir, cg_i64(c, mr), "m0");
	emit_block(c, g, &bl);
	cg_rloop_end(c, &lir);
	cg_rloop_end(c, &ljr);
	cg_loop_end(c, &lic);
	if (tail) {
		bl.rows = (int)tail;
		bl.m0 = cg_i64(c, full * mr);
		bl.j = cg_rloop_begin(c, &ljr, jlo, jhi, "tile", "jr");
		emit_block(c, g, &bl);
		cg_rloop_end(c, &ljr);
	}
	if (g->nchunks > 1)
		cg_loop_end(c, &lkc);
	cg_loop_end(c, &ljc);
}

/* The GEMM view of node n (conv geometry when implicit). */
static void gemm_of(struct cg *c, const struct ir_node *n, struct gemm *g)
{
	const struct ir_type *xt = &c->g->vals[n->in[0]].type, *yt = &c->g->vals[n->out].type;
	g->node = n;
	g->x = c->addr[n->in[0]];
	g->y = c->addr[n->out];
	g->wp = c->addr[n->param[0]];
	g->bias = n->param[1] == IR_NONE ? NULL : c->addr[n->param[1]];
	g->res = n->nin > 1 ? c->addr[n->in[1]] : NULL;
	if (n->op == IR_DENSE) {
		const struct ir_dense_attr *a = &n->attr.dense;
		g->t = a->tile;
		g->act = a->act;
		/* rows over all leading positions: [N, T, F] is M = N * T */
		g->n = yt->dims[yt->rank - 1], g->k = xt->dims[xt->rank - 1];
		g->m = ir_type_numel(yt) / g->n;
		g->groups = 1, g->xs = g->k, g->ys = g->n;
		return;
	}
	const struct ir_conv_attr *a = &n->attr.conv;
	DLC_ASSERT(n->op == IR_CONV2D && a->groups >= 1 && a->layout == IR_LAYOUT_NHWC);
	g->t = a->tile;
	g->act = a->act;
	g->groups = a->groups, g->xs = xt->dims[3], g->ys = yt->dims[3];
	g->c = xt->dims[3] / a->groups, g->h = xt->dims[1], g->w = xt->dims[2];
	g->oh = yt->dims[1], g->ow = yt->dims[2];
	g->kh = a->kernel[0], g->kw = a->kernel[1];
	g->sh = a->stride[0], g->sw = a->stride[1];
	g->dh = a->dilation[0], g->dw = a->dilation[1];
	g->pt = a->pad[0], g->pl = a->pad[1];
	g->m = yt->dims[0] * g->oh * g->ow, g->n = yt->dims[3] / a->groups;
	g->k = g->c * g->kh * g->kw;
	bool pointwise = g->kh == 1 && g->kw == 1 && !a->pad[0] && !a->pad[1] && !a->pad[2] &&
	                 !a->pad[3];
	g->implicit = !pointwise;
}

/* Convs whose kernel rows are short runs (kw * c floats, dilation 1 along
 * w) walk K by kernel rows instead of taps: small channel counts would
 * otherwise give inner loops of 1 to a few iterations per tap.
 * passes/pass_tile.c chunks K by the same rule. */
#define KROW_MAX 256

/* The K chunk: the tile's kc rounded down to whole kernel rows or taps
 * (implicit conv) and at least one of them. */
static void choose_chunks(struct gemm *g)
{
	if (g->implicit && g->groups == 1 && g->dw == 1 && g->kw > 1 && g->kw * g->c <= KROW_MAX)
		g->kwc = g->kw * g->c;
	int64_t step = g->kwc ? g->kwc : g->implicit ? g->c : 1;
	g->kc = g->t.kc > 0 ? g->t.kc / step * step : g->k;
	if (g->kc < step)
		g->kc = step;
	if (g->kc > g->k)
		g->kc = g->k;
	g->nchunks = (g->k + g->kc - 1) / g->kc;
}

void cg_lower_tiled(struct cg *c, const struct ir_node *n)
{
	DLC_ASSERT(n->kernel == IR_KERNEL_TILED);
	struct gemm g = { 0 };
	gemm_of(c, n, &g);
	const struct ir_tile *t = &g.t;
	DLC_ASSERT(t->packed && t->vec >= 1 && t->vec <= 64 && t->nr % t->vec == 0 &&
	           t->mr >= 1 && t->mr <= MR_MAX && t->nr / t->vec <= NVEC_MAX && t->mr <= g.m);
	g.vty = LLVMVectorType(c->t_f32, (unsigned)t->vec);
	choose_chunks(&g);
	if (g.implicit)
		g.zeros = cg_zero_row(c, g.kwc > g.c ? g.kwc : g.c);
	if (g.kwc)
		g.rowbuf = cg_entry_var(c, LLVMArrayType2(c->t_f32, (uint64_t)(t->mr * g.kwc)), PLAN_ALIGN, "rowbuf");
	struct cg_loop lg;
	if (g.groups > 1) {
		/* per group: the operands at its channels, its packed panels */
		LLVMValueRef gi = cg_loop_begin(c, &lg, g.groups, "group");
		/* pass_pack.c stores the groups' panels one after the other */
		int64_t per_group = ir_type_numel(cg_type(c, n->param[0])) / g.groups;
		g.x = cg_elem(c, g.x, cg_mul(c, gi, cg_i64(c, g.c), ""), "x.group");
		g.y = cg_elem(c, g.y, cg_mul(c, gi, cg_i64(c, g.n), ""), "y.group");
		g.wp = cg_elem(c, g.wp, cg_mul(c, gi, cg_i64(c, per_group), ""), "w.group");
		if (g.bias)
			g.bias = cg_elem(c, g.bias, cg_mul(c, gi, cg_i64(c, g.n), ""), "bias.group");
		if (g.res)
			g.res = cg_elem(c, g.res, cg_mul(c, gi, cg_i64(c, g.n), ""), "res.group");
	}
	int64_t full = g.n / t->nr, rest = g.n % t->nr;
	if (full)
		emit_panels(c, &g, 0, full, t->nr / t->vec, t->vec);
	if (rest) {
		int nvec = (int)((rest + t->vec - 1) / t->vec);
		emit_panels(c, &g, full, 1, nvec, (int)(rest - (int64_t)(nvec - 1) * t->vec));
	}
	if (g.groups > 1)
		cg_loop_end(c, &lg);
}
