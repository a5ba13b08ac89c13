/* lower_dwconv.c - the lane-wise conv2d kernel: depthwise convs (groups
 * == channels == filters, NHWC) and grouped convs whose groups have S
 * input and S output channels, S dividing the vector width (and below
 * it: pass_dwpack.c), with channels
 * in vector lanes, after XNNPACK's and MLAS's depthwise kernels.
 *
 * Output channel c reads only input channel c (depthwise, S = 1), so a
 * vector of `vec` adjacent channels is independent work: each tap is one
 * vector load of input, one of weights (tap-major, laid out by
 * passes/pass_dwpack.c) and one FMA. With S > 1 a vector holds vec / S
 * whole groups, and each tap takes S FMAs: for s = 0..S-1 the input
 * vector with every S-lane segment rotated by s (one shuffle) times the
 * weight vector of (tap, s), whose lane for output o holds
 * W[o, (o % S + s) % S] (docs/ir.md "Depthwise weights"). The register
 * block is `mr` output pixels of one row x one channel vector: per kernel
 * row (and s) the KW weight vectors are loaded once and used by all mr
 * pixels, and the input vectors are loaded once each and shared by the
 * horizontal taps that read them (at stride 1 a 3-wide kernel row over 8
 * pixels is 10 input loads for 24 FMAs). Loop order per image: output
 * rows, blocks of pixels, channel vectors (unit stride in memory), the
 * block's code straight-line.
 *
 * Padding costs no tests: along each axis the output positions are split
 * at compile time into runs whose valid taps are the same range [k0, k1)
 * (the interior has all taps; a border pixel lacks the taps that fall into
 * the padding), and each run is emitted with exactly its taps. So any
 * kernel size, stride, dilation and padding is handled, including images
 * smaller than the kernel. Channels that do not fill a vector (C % vec,
 * whole groups since S divides vec) get one more block with masked input
 * loads and stores; the weights are padded to whole vectors and load
 * unmasked. The epilogue is the layer's: + bias, + fused residual,
 * activation (cg_vstep), one store per pixel. Per pixel the taps are
 * summed in the order s, kh, kw (the interpreter's for depthwise), from
 * the first product. */
#include "cg.h"

#include "check.h"

/* Bounds of the register block the dwpack pass may choose. */
#define MR_MAX 16

/* One depthwise layer (see the top of the file). */
struct dw {
	LLVMValueRef x, w, bias, res, y;
	LLVMTypeRef vty;          /* <vec x float> */
	int vec, mr;
	int64_t n, h, wd, c, cp;  /* input N, H, W, C; cp: C padded to vec */
	int64_t sg;               /* channels per group, in and out: S */
	int64_t oh, ow;
	int64_t kh, kw, sh, sw, dh, dw, pt, pl;
	struct ir_eltwise_step act; /* the fused activation */
};

/* Consecutive output positions [o0, o1) along one axis whose valid taps
 * are all of [k0, k1). */
struct run {
	int64_t o0, o1, k0, k1;
};

/* A block to emit: mr pixels at column ow0 of the row whose input rows
 * start at xrow[kh] (for kh in the row run) and output row at yrow. */
struct dblock {
	const struct run *rows, *cols;
	LLVMValueRef *xrow, yrow, ow0, c0;
	int pixels, lanes;
};

/* What IR_KERNEL_DEPTHWISE promises (checked, not chosen, here). */
static bool is_dwconv(const struct cg *c, const struct ir_node *n)
{
	const struct ir_conv_attr *a = &n->attr.conv;
	if (n->op != IR_CONV2D || !a->tile.packed || a->tile.winograd ||
	    a->layout != IR_LAYOUT_NHWC || a->groups < 1)
		return false;
	const struct ir_type *x = &c->g->vals[n->in[0]].type, *y = &c->g->vals[n->out].type;
	const struct ir_type *wt = &c->g->vals[n->param[0]].type;
	if (x->rank != 4 || y->rank != 4 || wt->rank != 4 || x->dims[3] != y->dims[3] ||
	    x->dims[3] % a->groups)
		return false;
	int64_t sg = x->dims[3] / a->groups;
	return wt->dims[0] == a->kernel[0] && wt->dims[1] == a->kernel[1] && wt->dims[2] == sg &&
	       a->tile.vec % sg == 0;
}

/* ---- compile-time geometry ---- */

/* The taps k of one axis that land inside the input for output o. */
static void tap_range(int64_t o, int64_t s, int64_t p, int64_t d, int64_t k, int64_t in,
                      int64_t *k0, int64_t *k1)
{
	*k0 = *k1 = 0;
	bool seen = false;
	for (int64_t i = 0; i < k; i++) {
		int64_t at = o * s - p + i * d;
		if (at < 0 || at >= in)
			continue;
		if (!seen)
			*k0 = i;
		seen = true;
		*k1 = i + 1; /* at grows with i, so the valid taps are contiguous */
	}
}

/* Splits [0, out) into runs of equal tap ranges; returns their count. */
static int64_t runs_of(struct cg *c, int64_t out, int64_t s, int64_t p, int64_t d, int64_t k,
                       int64_t in, struct run **runs)
{
	*runs = arena_array(c->arena, (size_t)out, sizeof **runs);
	int64_t nr = 0;
	for (int64_t o = 0; o < out; o++) {
		int64_t k0, k1;
		tap_range(o, s, p, d, k, in, &k0, &k1);
		struct run *last = nr ? &(*runs)[nr - 1] : NULL;
		if (last && last->k0 == k0 && last->k1 == k1) {
			last->o1 = o + 1;
			continue;
		}
		(*runs)[nr++] = (struct run){ o, o + 1, k0, k1 };
	}
	return nr;
}

/* ---- the register block ---- */

/* x with each S-lane segment rotated by r: lane l takes lane
 * l - l % S + (l % S + r) % S. */
static LLVMValueRef rotate_segments(struct cg *c, const struct dw *d, LLVMValueRef x, int64_t r)
{
	LLVMValueRef mask[64];
	for (int l = 0; l < d->vec; l++) {
		int64_t from = l - l % d->sg + (l % d->sg + r) % d->sg;
		mask[l] = LLVMConstInt(c->t_i32, (unsigned long long)from, 0);
	}
	return LLVMBuildShuffleVector(c->b, x, LLVMGetPoison(d->vty),
	                              LLVMConstVector(mask, (unsigned)d->vec), "rot");
}

/* acc[p] += rot_s(x(p, kh, kw)) * w(kh, kw, s) for the taps of kernel row
 * kh and every s. Input j = p * sw + kw * dw of the row is loaded once
 * for every (p, kw) that reads it; per pixel, kw still ascends. */
static void block_row(struct cg *c, const struct dw *d, const struct dblock *bl, int64_t kh,
                      LLVMValueRef xcol, LLVMValueRef acc[MR_MAX])
{
	const struct run *cols = bl->cols;
	DLC_ASSERT(cols->k1 - cols->k0 <= 64);
	unsigned walign = (unsigned)(d->vec * 4 < PLAN_ALIGN ? d->vec * 4 : PLAN_ALIGN);
	int64_t jmax = (int64_t)(bl->pixels - 1) * d->sw + (cols->k1 - 1) * d->dw;
	for (int64_t s = 0; s < d->sg; s++) {
		LLVMValueRef wv[64] = { 0 };
		for (int64_t kw = cols->k0; kw < cols->k1; kw++) {
			int64_t tap = (kh * d->kw + kw) * d->sg + s;
			LLVMValueRef at = cg_add(c, cg_i64(c, tap * d->cp), bl->c0, "");
			wv[kw - cols->k0] = cg_vload(c, d->vty, d->w, at, d->vec, walign);
		}
		for (int64_t j = 0; j <= jmax; j++) {
			LLVMValueRef xv = NULL;
			for (int p = 0; p < bl->pixels; p++) {
				int64_t off = j - p * d->sw;
				if (off < 0 || off % d->dw)
					continue;
				int64_t kw = off / d->dw;
				if (kw < cols->k0 || kw >= cols->k1)
					continue;
				if (!xv) {
					LLVMValueRef col = cg_add(c, xcol, cg_i64(c, j), "");
					LLVMValueRef in = cg_madd(c, col, d->c, bl->c0, "");
					LLVMValueRef at = cg_add(c, bl->xrow[kh], in, "");
					xv = cg_vload(c, d->vty, d->x, at, bl->lanes, 4);
					if (s)
						xv = rotate_segments(c, d, xv, s);
				}
				LLVMValueRef w = wv[kw - cols->k0];
				acc[p] = acc[p] ? cg_fma(c, xv, w, acc[p])
				                : LLVMBuildFMul(c->b, xv, w, "p");
			}
		}
	}
}

static void emit_block(struct cg *c, const struct dw *d, const struct dblock *bl)
{
	LLVMValueRef acc[MR_MAX] = { 0 };
	/* column of the input under tap 0 of the block's first pixel */
	LLVMValueRef xcol = cg_add(c, cg_mul(c, bl->ow0, cg_i64(c, d->sw), ""), cg_i64(c, -d->pl),
	                           "iw0");
	for (int64_t kh = bl->rows->k0; kh < bl->rows->k1; kh++)
		block_row(c, d, bl, kh, xcol, acc);
	LLVMValueRef bias = d->bias ? cg_vload(c, d->vty, d->bias, bl->c0, bl->lanes, 4) : NULL;
	for (int p = 0; p < bl->pixels; p++) {
		LLVMValueRef s = acc[p] ? acc[p] : LLVMConstNull(d->vty); /* no tap inside */
		LLVMValueRef pix = cg_add(c, bl->ow0, cg_i64(c, p), "ow");
		LLVMValueRef at = cg_madd(c, pix, d->c, cg_add(c, bl->yrow, bl->c0, ""), "at");
		if (bias)
			s = LLVMBuildFAdd(c->b, s, bias, "biased");
		if (d->res)
			s = LLVMBuildFAdd(c->b, s, cg_vload(c, d->vty, d->res, at, bl->lanes, 4),
			                  "residual");
		cg_vstore(c, cg_vstep(c, &d->act, s), d->y, at, bl->lanes);
	}
}

/* The block at ow0 for every channel vector: a loop over the full ones,
 * then one masked block for C % vec. */
static void emit_channels(struct cg *c, const struct dw *d, struct dblock *bl)
{
	int64_t full = d->c / d->vec, rest = d->c % d->vec;
	if (full) {
		struct cg_loop l;
		LLVMValueRef cv = cg_loop_begin(c, &l, full, "cv");
		bl->c0 = cg_mul(c, cv, cg_i64(c, d->vec), "c0");
		bl->lanes = d->vec;
		emit_block(c, d, bl);
		cg_loop_end(c, &l);
	}
	if (rest) {
		bl->c0 = cg_i64(c, full * d->vec);
		bl->lanes = (int)rest;
		emit_block(c, d, bl);
	}
}

/* One column run of one output row: blocks of mr pixels, then the rest. */
static void emit_cols(struct cg *c, const struct dw *d, struct dblock *bl, const struct run *q)
{
	int64_t len = q->o1 - q->o0, nb = len / d->mr, rest = len % d->mr;
	bl->cols = q;
	if (nb) {
		struct cg_loop l;
		LLVMValueRef b = cg_loop_begin(c, &l, nb, "blk");
		bl->ow0 = cg_madd(c, b, d->mr, cg_i64(c, q->o0), "ow0");
		bl->pixels = d->mr;
		emit_channels(c, d, bl);
		cg_loop_end(c, &l);
	}
	if (rest) {
		bl->ow0 = cg_i64(c, q->o0 + nb * d->mr);
		bl->pixels = (int)rest;
		emit_channels(c, d, bl);
	}
}

static void dw_of(struct cg *c, const struct ir_node *n, struct dw *d)
{
	const struct ir_conv_attr *a = &n->attr.conv;
	const struct ir_type *xt = &c->g->vals[n->in[0]].type, *yt = &c->g->vals[n->out].type;
	d->x = c->addr[n->in[0]];
	d->y = c->addr[n->out];
	d->w = c->addr[n->param[0]];
	d->bias = n->param[1] == IR_NONE ? NULL : c->addr[n->param[1]];
	d->res = n->nin > 1 ? c->addr[n->in[1]] : NULL;
	d->vec = a->tile.vec;
	d->mr = a->tile.mr;
	d->vty = LLVMVectorType(c->t_f32, (unsigned)d->vec);
	d->n = xt->dims[0], d->h = xt->dims[1], d->wd = xt->dims[2], d->c = xt->dims[3];
	d->cp = c->g->vals[n->param[0]].type.dims[3];
	d->sg = c->g->vals[n->param[0]].type.dims[2];
	d->oh = yt->dims[1], d->ow = yt->dims[2];
	d->kh = a->kernel[0], d->kw = a->kernel[1];
	d->sh = a->stride[0], d->sw = a->stride[1];
	d->dh = a->dilation[0], d->dw = a->dilation[1];
	d->pt = a->pad[0], d->pl = a->pad[1];
	d->act = a->act;
	DLC_ASSERT(d->vec >= 1 && d->vec <= 64 && d->mr >= 1 && d->mr <= MR_MAX &&
	           d->cp % d->vec == 0 && d->cp >= d->c && d->kw <= 64 && d->sg >= 1 &&
	           d->vec % d->sg == 0);
}

void cg_lower_dwconv(struct cg *c, const struct ir_node *n)
{
	DLC_ASSERT(n->kernel == IR_KERNEL_DEPTHWISE && is_dwconv(c, n));
	struct dw d = { 0 };
	dw_of(c, n, &d);
	struct run *rows, *cols;
	int64_t nrows = runs_of(c, d.oh, d.sh, d.pt, d.dh, d.kh, d.h, &rows);
	int64_t ncols = runs_of(c, d.ow, d.sw, d.pl, d.dw, d.kw, d.wd, &cols);
	LLVMValueRef *xrow = arena_array(c->arena, (size_t)d.kh, sizeof *xrow);
	struct cg_loop li, lr;
	LLVMValueRef img = cg_loop_begin(c, &li, d.n, "img");
	for (int64_t r = 0; r < nrows; r++) {
		struct dblock bl = { .rows = &rows[r], .xrow = xrow };
		LLVMValueRef oh = cg_add(c, cg_loop_begin(c, &lr, rows[r].o1 - rows[r].o0, "row"),
		                         cg_i64(c, rows[r].o0), "oh");
		LLVMValueRef ih0 = cg_add(c, cg_madd(c, img, d.h, cg_mul(c, oh, cg_i64(c, d.sh), ""), ""),
		                          cg_i64(c, -d.pt), "ih0");
		for (int64_t kh = rows[r].k0; kh < rows[r].k1; kh++)
			xrow[kh] = cg_mul(c, cg_add(c, ih0, cg_i64(c, kh * d.dh), "ih"),
			                  cg_i64(c, d.wd * d.c), "xrow");
		bl.yrow = cg_mul(c, cg_madd(c, img, d.oh, oh, ""), cg_i64(c, d.ow * d.c), "yrow");
		for (int64_t q = 0; q < ncols; q++)
			emit_cols(c, &d, &bl, &cols[q]);
		cg_loop_end(c, &lr);
	}
	cg_loop_end(c, &li);
}
