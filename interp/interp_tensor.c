/* interp_tensor.c - the reference interpreter's kernels of the tensor ops
 * added for ONNX import: binary (NumPy broadcasting), matmul, the
 * reductions (reduce_mean, reduce_sum, ...), slice, pad, broadcast and
 * gather.
 *
 * Like interp_kernels.c, each kernel is one plain loop over the output,
 * in C order, with the input position computed from the output index
 * (an odometer over the output's dimensions). Sums run from 0.0f in the
 * order stated above each kernel; the back end (backend/lower_tensor.c)
 * uses the same order. */
#include "interp.h"

#include <math.h>
#include <stdlib.h>

#include "check.h"
#include "kernel_types.h"

static float binop(enum ir_binop op, float a, float b)
{
	switch (op) {
	case IR_BINOP_ADD: return a + b;
	case IR_BINOP_SUB: return a - b;
	case IR_BINOP_MUL: return a * b;
	case IR_BINOP_DIV: return a / b;
	case IR_BINOP_POW: return powf(a, b);
	case IR_BINOP_MIN: return isnan(a) || a < b ? a : b;
	case IR_BINOP_MAX: return isnan(a) || a > b ? a : b;
	case IR_BINOP_PRELU: return a < 0 ? a * b : a;
	case IR_BINOP_FMOD: return fmodf(a, b);
	default: break;
	}
	DLC_UNREACHABLE("binop: invalid operator");
}

/* y[i] = a[i'] OP b[i''] where i', i'' are i with broadcast axes at 0. */
void interp_binary(const struct ir_graph *g, const struct ir_node *n, const float *const *in,
                   const float *const *param, float *out)
{
	if (ir_dtype_class(out_type(g, n)->dtype) != IR_DC_FLOAT) {
		interp_binary_int(g, n, (const void *const *)in, out);
		return;
	}
	const float *a = in[0];
	const float *b = in[1];
	(void)param;
	const struct ir_type *yt = out_type(g, n);
	int64_t sa[IR_MAX_RANK], sb[IR_MAX_RANK], ia[IR_MAX_RANK] = { 0 }, ib[IR_MAX_RANK] = { 0 };
	ir_broadcast_strides(in_type(g, n, 0), yt, sa);
	ir_broadcast_strides(in_type(g, n, 1), yt, sb);
	int64_t count = ir_type_numel(yt), oa = 0, ob = 0;
	for (int64_t i = 0; i < count; i++) {
		out[i] = binop(n->attr.binary.op, a[oa], b[ob]);
		interp_step_index(ia, yt->dims, yt->rank, sa, &oa);
		interp_step_index(ib, yt->dims, yt->rank, sb, &ob);
	}
}

/* y = x read at broadcast positions (ONNX Expand). */
void interp_broadcast(const struct ir_graph *g, const struct ir_node *n, const float *const *in,
                      const float *const *param, float *out)
{
	const float *x = in[0];
	(void)param;
	const struct ir_type *yt = out_type(g, n);
	int64_t st[IR_MAX_RANK], idx[IR_MAX_RANK] = { 0 };
	ir_broadcast_strides(in_type(g, n, 0), yt, st);
	int64_t count = ir_type_numel(yt), off = 0;
	size_t es = out_elem(g, n);
	for (int64_t i = 0; i < count; i++) {
		copy_elem(out, i, x, off, es);
		interp_step_index(idx, yt->dims, yt->rank, st, &off);
	}
}

/* NumPy matmul: for every batch position, y[m, j] = sum over k
 * (ascending, from 0.0f) of a[m, k] * b[k, j]. A vector a is one row, a
 * vector b one column; batch axes broadcast. */
void interp_matmul(const struct ir_graph *g, const struct ir_node *n, const float *const *in,
                   const float *const *param, float *out)
{
	const float *a = in[0];
	const float *b = in[1];
	(void)param;
	const struct ir_type *ta = in_type(g, n, 0), *tb = in_type(g, n, 1), *ty = out_type(g, n);
	struct ir_matmul_split s = ir_matmul_split(ta, tb, ty);
	int64_t kk = s.k, m = s.m, nn = s.n;
	const struct ir_type bt = s.batch;
	int64_t ia[IR_MAX_RANK] = { 0 }, ib[IR_MAX_RANK] = { 0 };
	int64_t batches = ir_type_numel(&bt), oa = 0, ob = 0; /* in matrices */
	for (int64_t bi = 0; bi < batches; bi++) {
		const float *am = a + oa * m * kk, *bm = b + ob * kk * nn;
		float *ym = out + bi * m * nn;
		for (int64_t i = 0; i < m; i++)
			for (int64_t j = 0; j < nn; j++) {
				float acc = 0.0f;
				for (int64_t k = 0; k < kk; k++)
					acc += am[i * kk + k] * bm[k * nn + j];
				ym[i * nn + j] = acc;
			}
		interp_step_index(ia, bt.dims, bt.rank, s.sa, &oa);
		interp_step_index(ib, bt.dims, bt.rank, s.sb, &ob);
	}
}

/* The value a reduction starts from. */
static float reduce_start(enum ir_op op)
{
	switch (op) {
	case IR_REDUCE_PROD: return 1.0f;
	case IR_REDUCE_MAX: return -INFINITY;
	case IR_REDUCE_MIN: return INFINITY;
	default: return 0.0f;
	}
}

/* acc combined with x; m is the maximum (reduce_log_sum_exp's shift).
 * max and min keep a NaN once they meet one. */
static float reduce_step(enum ir_op op, float acc, float x, float m)
{
	switch (op) {
	case IR_REDUCE_PROD: return acc * x;
	case IR_REDUCE_MAX: return isnan(acc) || acc >= x ? acc : x;
	case IR_REDUCE_MIN: return isnan(acc) || acc <= x ? acc : x;
	case IR_REDUCE_L1: return acc + fabsf(x);
	case IR_REDUCE_L2:
	case IR_REDUCE_SUM_SQUARE: return acc + x * x;
	case IR_REDUCE_LOG_SUM_EXP: return acc + expf(x - m);
	default: return acc + x; /* mean, sum, log_sum */
	}
}

/* The result from the accumulated acc over count positions. */
static float reduce_finish(enum ir_op op, float acc, int64_t count, float m)
{
	switch (op) {
	case IR_REDUCE_MEAN: return acc / (float)count;
	case IR_REDUCE_L2: return sqrtf(acc);
	case IR_REDUCE_LOG_SUM: return logf(acc);
	case IR_REDUCE_LOG_SUM_EXP: return isinf(m) ? m : m + logf(acc);
	default: return acc;
	}
}

/* Each output is its reduced positions in C order combined from the
 * start value (reduce_start, reduce_step, reduce_finish).
 * reduce_log_sum_exp is m + log(sum exp(x - m)) with m the maximum (one
 * more pass), so it overflows only when the result does. */
void interp_reduce(const struct ir_graph *g, const struct ir_node *n, const float *const *in,
                   const float *const *param, float *out)
{
	const float *x = in[0];
	(void)param;
	const struct ir_reduce_attr *a = &n->attr.reduce;
	struct ir_reduce_split s = ir_reduce_split(in_type(g, n, 0), a->axes, a->naxes);
	const int64_t *kd = s.kept, *ks = s.kept_stride, *rd = s.red, *rs = s.red_stride;
	unsigned nk = s.nkept, nr = s.nred;
	int64_t count = s.count;
	int64_t total = ir_type_numel(out_type(g, n)), base = 0;
	int64_t ki[IR_MAX_RANK] = { 0 };
	for (int64_t o = 0; o < total; o++) {
		float m = 0.0f;
		if (n->op == IR_REDUCE_LOG_SUM_EXP) {
			int64_t ri[IR_MAX_RANK] = { 0 }, off = 0;
			m = -INFINITY;
			for (int64_t r = 0; r < count; r++) {
				m = reduce_step(IR_REDUCE_MAX, m, x[base + off], 0.0f);
				interp_step_index(ri, rd, nr, rs, &off);
			}
		}
		int64_t ri[IR_MAX_RANK] = { 0 }, off = 0;
		float acc = reduce_start(n->op);
		for (int64_t r = 0; r < count; r++) {
			acc = reduce_step(n->op, acc, x[base + off], m);
			interp_step_index(ri, rd, nr, rs, &off);
		}
		out[o] = reduce_finish(n->op, acc, count, m);
		interp_step_index(ki, kd, nk, ks, &base);
	}
}

/* Along the axis, output position i reads input position start + i * step. */
void interp_slice(const struct ir_graph *g, const struct ir_node *n, const float *const *in,
                  const float *const *param, float *out)
{
	const float *x = in[0];
	(void)param;
	const struct ir_slice_attr *a = &n->attr.slice;
	const struct ir_type *xt = in_type(g, n, 0), *yt = out_type(g, n);
	int64_t outer = 1, inner = 1, dim = xt->dims[a->axis], len = yt->dims[a->axis];
	for (int k = 0; k < a->axis; k++)
		outer *= xt->dims[k];
	for (unsigned k = (unsigned)a->axis + 1; k < xt->rank; k++)
		inner *= xt->dims[k];
	for (int64_t o = 0; o < outer; o++)
		for (int64_t i = 0; i < len; i++) {
			int64_t at = a->start + i * a->step;
			DLC_ASSERT(at >= 0 && at < dim);
			for (int64_t r = 0; r < inner; r++)
				copy_elem(out, (o * len + i) * inner + r, x, (o * dim + at) * inner + r,
				          out_elem(g, n));
		}
}

/* y[i] = x[i - before] where that is inside x, else the pad value. */
void interp_pad(const struct ir_graph *g, const struct ir_node *n, const float *const *in,
                const float *const *param, float *out)
{
	const float *x = in[0];
	(void)param;
	const struct ir_pad_nd_attr *a = &n->attr.pad_nd;
	const struct ir_type *xt = in_type(g, n, 0), *yt = out_type(g, n);
	int64_t xs[IR_MAX_RANK], idx[IR_MAX_RANK] = { 0 };
	size_t es = out_elem(g, n);
	unsigned char pad[8]; /* the value as an element: integers toward zero */
	int64_t iv = yt->dtype == IR_DT_BOOL ? a->value != 0 : (int64_t)a->value;
	memcpy(pad, yt->dtype == IR_DT_F32 ? (const void *)&a->value : &iv, es);
	ir_dense_strides(xt->dims, xt->rank, xs);
	int64_t count = ir_type_numel(yt);
	for (int64_t i = 0; i < count; i++) {
		int64_t src = 0;
		bool inside = true;
		for (unsigned k = 0; k < yt->rank; k++) {
			int64_t p = idx[k] - a->pads[k];
			inside = inside && p >= 0 && p < xt->dims[k];
			src += p * xs[k];
		}
		if (inside)
			copy_elem(out, i, x, src, es);
		else
			memcpy((char *)out + i * (int64_t)es, pad, es);
		for (unsigned k = yt->rank; k-- > 0;) {
			if (++idx[k] < yt->dims[k])
				break;
			idx[k] = 0;
		}
	}
}

/* Along the axis, output position j reads input position idx[j]. */
void interp_gather(const struct ir_graph *g, const struct ir_node *n, const float *const *in,
                   const float *const *param, float *out)
{
	const float *x = in[0];
	(void)param;
	const struct ir_gather_attr *a = &n->attr.gather;
	const struct ir_type *xt = in_type(g, n, 0);
	int64_t outer = 1, inner = 1, dim = xt->dims[a->axis];
	for (int k = 0; k < a->axis; k++)
		outer *= xt->dims[k];
	for (unsigned k = (unsigned)a->axis + 1; k < xt->rank; k++)
		inner *= xt->dims[k];
	for (int64_t o = 0; o < outer; o++)
		for (int64_t j = 0; j < a->nidx; j++) {
			DLC_ASSERT(a->idx[j] >= 0 && a->idx[j] < dim);
			for (int64_t r = 0; r < inner; r++)
				copy_elem(out, (o * a->nidx + j) * inner + r, x,
				          (o * dim + a->idx[j]) * inner + r, out_elem(g, n));
		}
}

/* Multi-head scaled dot-product attention. For batch b, head h and query
 * s: score[t] = scale * sum over i ascending of q[b, s, h*dk + i] *
 * k[b, t, h*dk + i], plus mask[b, h, s, t] (broadcast), -inf when causal
 * and t > s; p = softmax over t (max subtracted, as interp_softmax);
 * y[b, s, h*dv + j] = (sum over t ascending of e^(score[t] - max) *
 * v[b, t, h*dv + j]) / sum of e^(score[t] - max). The scores are computed
 * twice (for the maximum, then for the sum) instead of being stored. */
void interp_attention(const struct ir_graph *g, const struct ir_node *n, const float *const *in,
                      const float *const *param, float *out)
{
	(void)param;
	const struct ir_attention_attr *a = &n->attr.attention;
	const struct ir_type *tq = in_type(g, n, 0), *tk = in_type(g, n, 1), *tv = in_type(g, n, 2);
	unsigned r = tq->rank;
	int64_t nb = r == 3 ? tq->dims[0] : 1, sq = tq->dims[r - 2], sk = tk->dims[r - 2];
	int64_t e = tq->dims[r - 1], ev = tv->dims[r - 1], h_n = a->heads;
	int64_t dk = e / h_n, dv = ev / h_n, ms[4] = { 0, 0, 0, 0 };
	const float *mask = n->nin > 3 ? in[3] : NULL;
	if (mask) {
		struct ir_type scores = { IR_DT_F32, 4, { nb, h_n, sq, sk } };
		ir_broadcast_strides(in_type(g, n, 3), &scores, ms);
	}
	for (int64_t b = 0; b < nb; b++)
		for (int64_t h = 0; h < h_n; h++)
			for (int64_t s = 0; s < sq; s++) {
				const float *qr = in[0] + (b * sq + s) * e + h * dk;
				float *yr = out + (b * sq + s) * ev + h * dv;
				float mx = -INFINITY, sum = 0.0f;
				for (int pass = 0; pass < 2; pass++) {
					for (int64_t j = 0; j < dv; j++)
						yr[j] = 0.0f;
					for (int64_t t = 0; t < sk; t++) {
						const float *kr = in[1] + (b * sk + t) * e + h * dk;
						float dot = 0.0f;
						for (int64_t i = 0; i < dk; i++)
							dot += qr[i] * kr[i];
						float sc = a->scale * dot;
						if (mask)
							sc += mask[b * ms[0] + h * ms[1] + s * ms[2] + t * ms[3]];
						if (a->causal && t > s)
							sc = -INFINITY;
						if (pass == 0) {
							mx = sc > mx ? sc : mx;
							continue;
						}
						float p = expf(sc - mx);
						sum += p;
						const float *vr = in[2] + (b * sk + t) * ev + h * dv;
						for (int64_t j = 0; j < dv; j++)
							yr[j] += p * vr[j];
					}
				}
				for (int64_t j = 0; j < dv; j++)
					yr[j] /= sum;
			}
}

/* y[o] = sum over the tap combinations (the last axis's taps fastest) of
 * the product of the axes' weights (axis 0 first) times x at the taps'
 * positions, from 0.0f; tables from ir_resize_table. */
void interp_resize(const struct ir_graph *g, const struct ir_node *n, const float *const *in,
                   const float *const *param, float *out)
{
	(void)param;
	const struct ir_resize_attr *a = &n->attr.resize;
	const struct ir_type *xt = in_type(g, n, 0), *yt = out_type(g, n);
	unsigned r = xt->rank, nt[IR_MAX_RANK];
	int64_t *idx[IR_MAX_RANK], xs[IR_MAX_RANK], pos[IR_MAX_RANK] = { 0 }, combos = 1;
	float *w[IR_MAX_RANK];
	ir_dense_strides(xt->dims, r, xs);
	for (unsigned k = 0; k < r; k++) {
		idx[k] = malloc((size_t)yt->dims[k] * IR_RESIZE_MAX_TAPS * sizeof *idx[k]);
		w[k] = malloc((size_t)yt->dims[k] * IR_RESIZE_MAX_TAPS * sizeof *w[k]);
		if (!idx[k] || !w[k])
			dlc_fatal_oom((size_t)yt->dims[k] * IR_RESIZE_MAX_TAPS * 8);
		nt[k] = ir_resize_table(a, xt->dims[k], yt->dims[k], a->scale[k], idx[k], w[k]);
		combos *= nt[k];
	}
	int64_t count = ir_type_numel(yt);
	for (int64_t i = 0; i < count; i++) {
		float acc = 0.0f;
		for (int64_t c = 0; c < combos; c++) {
			int64_t at[IR_MAX_RANK], off = 0, rest = c; /* c's digit per axis */
			for (unsigned k = r; k-- > 0; rest /= nt[k])
				at[k] = pos[k] * nt[k] + rest % nt[k];
			float wt = 1.0f;
			for (unsigned k = 0; k < r; k++) {
				wt *= w[k][at[k]];
				off += idx[k][at[k]] * xs[k];
			}
			acc += wt * in[0][off];
		}
		out[i] = acc;
		for (unsigned k = r; k-- > 0;) {
			if (++pos[k] < yt->dims[k])
				break;
			pos[k] = 0;
		}
	}
	for (unsigned k = 0; k < r; k++) {
		free(idx[k]);
		free(w[k]);
	}
}
