/* interp_typed.c - the reference interpreter's kernels of the typed ops
 * (IR_F_TYPED): binary on integers and bool, compare, not, where, cast,
 * argmax and argmin.
 *
 * Elements are read into one representation per class: f32 as float,
 * every integer type as int64_t (sign- or zero-extended; u64 as its bit
 * pattern, compared and divided as uint64_t), bool as 0 or 1 (any non-zero
 * byte is true). Integer results are computed with unsigned wrapping and
 * stored truncated to the element type, so they wrap like C's unsigned
 * arithmetic at the type's width; the operations that trap or are
 * undefined in C are defined instead (ir.h, enum ir_binop). Like every
 * kernel, each is one loop over the output in C order; broadcast inputs
 * step through interp_step_index. */
#include "interp.h"

#include <math.h>
#include <string.h>

#include "kernel_types.h"

/* Element i of a tensor of integer or bool dtype dt. */
static int64_t get_int(const void *p, enum ir_dtype dt, int64_t i)
{
	switch (dt) {
	case IR_DT_BOOL: return ((const uint8_t *)p)[i] != 0;
	case IR_DT_I8: return ((const int8_t *)p)[i];
	case IR_DT_U8: return ((const uint8_t *)p)[i];
	case IR_DT_I16: return ((const int16_t *)p)[i];
	case IR_DT_U16: return ((const uint16_t *)p)[i];
	case IR_DT_I32: return ((const int32_t *)p)[i];
	case IR_DT_U32: return ((const uint32_t *)p)[i];
	case IR_DT_I64: return ((const int64_t *)p)[i];
	case IR_DT_U64: return (int64_t)((const uint64_t *)p)[i];
	case IR_DT_F32:
	case IR_DT_NONE: break;
	}
	DLC_UNREACHABLE("get_int: not an integer dtype");
}

/* Stores v truncated to dtype dt (bool: v != 0) as element i. */
static void put_int(void *p, enum ir_dtype dt, int64_t i, int64_t v)
{
	uint64_t u = (uint64_t)v;
	switch (dt) {
	case IR_DT_BOOL: ((uint8_t *)p)[i] = v != 0; return;
	case IR_DT_I8:
	case IR_DT_U8: ((uint8_t *)p)[i] = (uint8_t)u; return;
	case IR_DT_I16:
	case IR_DT_U16: ((uint16_t *)p)[i] = (uint16_t)u; return;
	case IR_DT_I32:
	case IR_DT_U32: ((uint32_t *)p)[i] = (uint32_t)u; return;
	case IR_DT_I64:
	case IR_DT_U64: ((uint64_t *)p)[i] = u; return;
	case IR_DT_F32:
	case IR_DT_NONE: break;
	}
	DLC_UNREACHABLE("put_int: not an integer dtype");
}

static bool is_float(enum ir_dtype dt)
{
	return ir_dtype_class(dt) == IR_DC_FLOAT;
}

/* a^b wrapping; a negative exponent gives 1 / a^-b truncated. */
static int64_t int_pow(int64_t a, int64_t b, bool is_unsigned)
{
	if (!is_unsigned && b < 0)
		return a == 1 ? 1 : a == -1 ? ((b & 1) ? -1 : 1) : 0;
	uint64_t r = 1, base = (uint64_t)a, e = (uint64_t)b;
	for (; e; e >>= 1) {
		if (e & 1)
			r *= base;
		base *= base;
	}
	return (int64_t)r;
}

static int64_t int_binop(enum ir_binop op, int64_t a, int64_t b, bool u)
{
	uint64_t ua = (uint64_t)a, ub = (uint64_t)b;
	int64_t r;
	switch (op) {
	case IR_BINOP_ADD: return (int64_t)(ua + ub);
	case IR_BINOP_SUB: return (int64_t)(ua - ub);
	case IR_BINOP_MUL: return (int64_t)(ua * ub);
	case IR_BINOP_DIV:
		if (b == 0)
			return 0;
		return u ? (int64_t)(ua / ub) : b == -1 ? (int64_t)(0 - ua) : a / b;
	case IR_BINOP_MOD:
	case IR_BINOP_FMOD:
		if (b == 0 || (!u && b == -1))
			return 0;
		if (u)
			return (int64_t)(ua % ub);
		r = a % b;
		if (op == IR_BINOP_MOD && r != 0 && (r < 0) != (b < 0))
			r += b;
		return r;
	case IR_BINOP_MIN: return (u ? ua < ub : a < b) ? a : b;
	case IR_BINOP_MAX: return (u ? ua > ub : a > b) ? a : b;
	case IR_BINOP_POW: return int_pow(a, b, u);
	case IR_BINOP_AND: return a & b;
	case IR_BINOP_OR: return a | b;
	case IR_BINOP_XOR: return a ^ b;
	case IR_BINOP_PRELU:
	case IR_BINOP_NONE: break;
	}
	DLC_UNREACHABLE("int_binop: operator not defined on integers");
}

/* Per input k of node n: its broadcast strides and odometer. */
struct bcast {
	int64_t st[3][IR_MAX_RANK], idx[3][IR_MAX_RANK], off[3];
	const struct ir_type *yt;
	unsigned nin;
};

static void bcast_init(struct bcast *b, const struct ir_graph *g, const struct ir_node *n)
{
	memset(b, 0, sizeof *b);
	b->yt = out_type(g, n);
	b->nin = n->nin;
	DLC_ASSERT(n->nin <= 3);
	for (unsigned k = 0; k < n->nin; k++)
		ir_broadcast_strides(in_type(g, n, k), b->yt, b->st[k]);
}

static void bcast_next(struct bcast *b)
{
	for (unsigned k = 0; k < b->nin; k++)
		interp_step_index(b->idx[k], b->yt->dims, b->yt->rank, b->st[k], &b->off[k]);
}

void interp_binary_int(const struct ir_graph *g, const struct ir_node *n, const void *const *in,
                       void *out)
{
	enum ir_dtype dt = out_type(g, n)->dtype;
	bool u = ir_dtype_class(dt) == IR_DC_UNSIGNED;
	struct bcast b;
	bcast_init(&b, g, n);
	int64_t count = ir_type_numel(b.yt);
	for (int64_t i = 0; i < count; i++) {
		int64_t x = get_int(in[0], dt, b.off[0]), y = get_int(in[1], dt, b.off[1]);
		put_int(out, dt, i, int_binop(n->attr.binary.op, x, y, u));
		bcast_next(&b);
	}
}

/* -1, 0 or 1 as a is below, equal to or above b; 2 when unordered (NaN). */
static int order(const void *pa, int64_t ia, const void *pb, int64_t ib, enum ir_dtype dt)
{
	if (is_float(dt)) {
		float a = ((const float *)pa)[ia], b = ((const float *)pb)[ib];
		return a < b ? -1 : a > b ? 1 : a == b ? 0 : 2;
	}
	int64_t a = get_int(pa, dt, ia), b = get_int(pb, dt, ib);
	if (ir_dtype_class(dt) == IR_DC_UNSIGNED)
		return (uint64_t)a < (uint64_t)b ? -1 : (uint64_t)a > (uint64_t)b;
	return a < b ? -1 : a > b;
}

static bool cmp_holds(enum ir_cmp op, int o)
{
	switch (op) {
	case IR_CMP_EQ: return o == 0;
	case IR_CMP_NE: return o != 0;
	case IR_CMP_LT: return o == -1;
	case IR_CMP_LE: return o == -1 || o == 0;
	case IR_CMP_GT: return o == 1;
	case IR_CMP_GE: return o == 1 || o == 0;
	case IR_CMP_NONE: break;
	}
	DLC_UNREACHABLE("cmp_holds: invalid comparison");
}

void interp_compare(const struct ir_graph *g, const struct ir_node *n, const float *const *in,
                    const float *const *param, float *out)
{
	(void)param;
	enum ir_dtype dt = in_type(g, n, 0)->dtype;
	uint8_t *y = (uint8_t *)out;
	struct bcast b;
	bcast_init(&b, g, n);
	int64_t count = ir_type_numel(b.yt);
	for (int64_t i = 0; i < count; i++) {
		y[i] = cmp_holds(n->attr.compare.op, order(in[0], b.off[0], in[1], b.off[1], dt));
		bcast_next(&b);
	}
}

void interp_logical_not(const struct ir_graph *g, const struct ir_node *n, const float *const *in,
                        const float *const *param, float *out)
{
	(void)param;
	const uint8_t *x = (const uint8_t *)in[0];
	uint8_t *y = (uint8_t *)out;
	int64_t count = ir_type_numel(out_type(g, n));
	for (int64_t i = 0; i < count; i++)
		y[i] = x[i] == 0;
}

/* y[i] = cond[i'] ? a[i''] : b[i'''], elements copied as bytes. */
void interp_where(const struct ir_graph *g, const struct ir_node *n, const float *const *in,
                  const float *const *param, float *out)
{
	(void)param;
	const uint8_t *cond = (const uint8_t *)in[0];
	const char *a = (const char *)in[1], *bv = (const char *)in[2];
	size_t es = ir_dtype_size(out_type(g, n)->dtype);
	struct bcast b;
	bcast_init(&b, g, n);
	int64_t count = ir_type_numel(b.yt);
	for (int64_t i = 0; i < count; i++) {
		const char *src = cond[b.off[0]] ? a + b.off[1] * es : bv + b.off[2] * es;
		memcpy((char *)out + i * (int64_t)es, src, es);
		bcast_next(&b);
	}
}

/* The integer range of dtype dt as doubles (for saturation). */
static void int_range(enum ir_dtype dt, double *lo, double *hi)
{
	size_t bits = 8 * ir_dtype_size(dt);
	if (ir_dtype_class(dt) == IR_DC_UNSIGNED) {
		*lo = 0;
		*hi = ldexp(1.0, (int)bits) - 1;
	} else {
		*lo = -ldexp(1.0, (int)bits - 1);
		*hi = ldexp(1.0, (int)bits - 1) - 1;
	}
}

/* f converted to integer dtype dt: toward zero, saturated, NaN 0. */
static int64_t float_to_int(float f, enum ir_dtype dt)
{
	double lo, hi, d = trunc((double)f);
	int_range(dt, &lo, &hi);
	if (isnan(f))
		return 0;
	if (d <= lo)
		return dt == IR_DT_U64 ? 0 : (int64_t)lo;
	if (d >= hi) /* u64's and i64's maxima are not doubles: build them */
		return dt == IR_DT_U64 ? -1 : dt == IR_DT_I64 ? INT64_MAX : (int64_t)hi;
	return dt == IR_DT_U64 ? (int64_t)(uint64_t)d : (int64_t)d;
}

void interp_cast(const struct ir_graph *g, const struct ir_node *n, const float *const *in,
                 const float *const *param, float *out)
{
	(void)param;
	enum ir_dtype from = in_type(g, n, 0)->dtype, to = n->attr.cast.to;
	enum ir_dtype_class fc = ir_dtype_class(from);
	int64_t count = ir_type_numel(out_type(g, n));
	for (int64_t i = 0; i < count; i++) {
		if (fc == IR_DC_FLOAT) {
			float f = in[0][i];
			if (is_float(to))
				out[i] = f;
			else
				put_int(out, to, i, to == IR_DT_BOOL ? f != 0 : float_to_int(f, to));
			continue;
		}
		int64_t v = get_int(in[0], from, i);
		if (!is_float(to))
			put_int(out, to, i, v);
		else
			out[i] = fc == IR_DC_UNSIGNED ? (float)(uint64_t)v : (float)v;
	}
}

/* Whether element j beats the best so far, element b (NumPy's argmax and
 * argmin: a NaN beats every number; ties go to the first, or with `last`
 * to the last). */
static bool arg_beats(const void *x, int64_t j, int64_t b, enum ir_dtype dt, bool max, bool last)
{
	if (is_float(dt)) {
		float v = ((const float *)x)[j], best = ((const float *)x)[b];
		if (isnan(best))
			return last && isnan(v);
		if (isnan(v))
			return true;
	}
	int o = order(x, j, x, b, dt);
	return max ? o == 1 || (last && o == 0) : o == -1 || (last && o == 0);
}

void interp_arg(const struct ir_graph *g, const struct ir_node *n, const float *const *in,
                const float *const *param, float *out)
{
	(void)param;
	const struct ir_arg_attr *a = &n->attr.arg;
	const struct ir_type *xt = in_type(g, n, 0);
	struct ir_split s = ir_split_at(xt, a->axis);
	bool max = n->op == IR_ARGMAX;
	int64_t *y = (int64_t *)out;
	for (int64_t o = 0; o < s.outer; o++)
		for (int64_t r = 0; r < s.inner; r++) {
			int64_t base = o * s.len * s.inner + r, best = 0;
			for (int64_t j = 1; j < s.len; j++)
				if (arg_beats(in[0], base + j * s.inner, base + best * s.inner, xt->dtype,
				              max, a->last))
					best = j;
			y[o * s.inner + r] = best;
		}
}

/* y[i] = data[i with axis k replaced by idx[i]]; a negative index counts
 * from the end, one still out of range is clamped (ir.h). */
void interp_gather_elements(const struct ir_graph *g, const struct ir_node *n,
                            const float *const *in, const float *const *param, float *out)
{
	(void)param;
	const struct ir_type *xt = in_type(g, n, 0), *it = in_type(g, n, 1);
	int axis = n->attr.gather_elements.axis;
	int64_t xs[IR_MAX_RANK], pos[IR_MAX_RANK] = { 0 }, dim = xt->dims[axis];
	ir_dense_strides(xt->dims, xt->rank, xs);
	size_t es = out_elem(g, n);
	int64_t count = ir_type_numel(it);
	for (int64_t i = 0; i < count; i++) {
		int64_t id = get_int(in[1], it->dtype, i);
		id = clamp_index(id < 0 ? id + dim : id, dim);
		int64_t src = 0;
		for (unsigned k = 0; k < xt->rank; k++)
			src += ((int)k == axis ? id : pos[k]) * xs[k];
		copy_elem(out, i, in[0], src, es);
		for (unsigned k = it->rank; k-- > 0;) { /* odometer over the indices */
			if (++pos[k] < it->dims[k])
				break;
			pos[k] = 0;
		}
	}
}

/* Element at of y: the running sum (f32 in fs, integers in is). */
static void put_sum(void *y, enum ir_dtype dt, int64_t at, float fs, uint64_t is)
{
	if (is_float(dt))
		((float *)y)[at] = fs;
	else
		put_int(y, dt, at, (int64_t)is);
}

/* Running sums along the axis, in the order ir.h states. */
void interp_cumsum(const struct ir_graph *g, const struct ir_node *n, const float *const *in,
                   const float *const *param, float *out)
{
	(void)param;
	const struct ir_cumsum_attr *a = &n->attr.cumsum;
	const struct ir_type *xt = in_type(g, n, 0);
	struct ir_split s = ir_split_at(xt, a->axis);
	bool flt = is_float(xt->dtype);
	for (int64_t o = 0; o < s.outer; o++)
		for (int64_t r = 0; r < s.inner; r++) {
			float fs = 0.0f;
			uint64_t is = 0;
			for (int64_t step = 0; step < s.len; step++) {
				int64_t j = a->reverse ? s.len - 1 - step : step;
				int64_t at = (o * s.len + j) * s.inner + r;
				if (a->exclusive)
					put_sum(out, xt->dtype, at, fs, is);
				if (flt)
					fs += in[0][at];
				else
					is += (uint64_t)get_int(in[0], xt->dtype, at);
				if (!a->exclusive)
					put_sum(out, xt->dtype, at, fs, is);
			}
		}
}

/* Per (outer, inner) position, an insertion into the k best so far:
 * element j goes in when it beats the last of them (or fewer than k are
 * kept), moving past every kept element it beats; ties keep the earlier
 * position first (arg_beats without `last`). */
void interp_topk(const struct ir_graph *g, const struct ir_node *n, const float *const *in,
                 const float *const *param, float *out)
{
	(void)param;
	const struct ir_topk_attr *a = &n->attr.topk;
	const struct ir_type *xt = in_type(g, n, 0);
	struct ir_split s = ir_split_at(xt, a->axis);
	int64_t k = a->k, *y = (int64_t *)out;
	for (int64_t o = 0; o < s.outer; o++)
		for (int64_t r = 0; r < s.inner; r++) {
			int64_t base = o * s.len * s.inner + r, *best = y + o * k * s.inner + r;
			for (int64_t j = 0; j < s.len; j++) {
				int64_t q = j < k ? j : k - 1, at = base + j * s.inner;
				if (j >= k && !arg_beats(in[0], at, base + best[q * s.inner] * s.inner,
				                         xt->dtype, a->largest, false))
					continue;
				for (; q > 0 && arg_beats(in[0], at, base + best[(q - 1) * s.inner] * s.inner,
				                          xt->dtype, a->largest, false); q--)
					best[q * s.inner] = best[(q - 1) * s.inner];
				best[q * s.inner] = j;
			}
		}
}
