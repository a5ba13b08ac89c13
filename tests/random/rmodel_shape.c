/* rmodel_shape.c - derives each random layer's parameters and output shape
 * from its random choices and its inputs' shapes (see rmodel.h).
 *
 * Every rule here mirrors docs/dsl.md: a choice the inputs do not allow is
 * clamped to the nearest valid one (kernels and dilations shrink until the
 * window fits, groups fall back to a common divisor, slices stay
 * non-empty); a layer that cannot read its inputs at all (a conv2d on a
 * rank-2 value, an add of mismatched shapes) is reported invalid and
 * bypassed by rm_resolve. Values also carry two numeric facts (RM_UNIT,
 * RM_POS) so that exp, log, sqrt and div only see inputs where the
 * compiled code and the interpreter can agree within the tolerance. */
#include "rmodel.h"

#include <string.h>

#define Q(i) (l->q[i])

static int clampi(int v, int lo, int hi)
{
	return v < lo ? lo : v > hi ? hi : v;
}

static int gcd(int a, int b)
{
	while (b) {
		int t = a % b;
		a = b;
		b = t;
	}
	return a;
}

/* The k-th divisor of n (k taken modulo the number of divisors). */
static int nth_divisor(int n, int k)
{
	int divs[64], nd = 0;
	for (int d = 1; d <= n && nd < 64; d++)
		if (n % d == 0)
			divs[nd++] = d;
	return divs[k % nd];
}

int64_t rm_count(const struct rm_shape *s)
{
	int64_t n = 1;
	for (int i = 0; i < s->rank; i++)
		n *= s->d[i];
	return n;
}

int rm_channel_axis(const struct rm_model *m, int rank)
{
	if (rank == 4)
		return m->nchw ? 1 : 3;
	return rank == 2 ? 1 : -1;
}

static bool fits(const struct rm_model *m, const struct rm_shape *s)
{
	return s->rank >= 1 && s->rank <= RM_MAX_RANK && rm_count(s) <= m->budget;
}

/* Explicit pads from a seed: mode 2 one number, 3 [ph, pw], 4 four sides;
 * each below `lim` (3 for convolutions, the window for pools). */
static void seed_pads(int mode, int seed, const int lim[2], int pads[4])
{
	int t = seed % lim[0], l = (seed / 3) % lim[1];
	if (mode == 2)
		t = l = seed % (lim[0] < lim[1] ? lim[0] : lim[1]);
	pads[0] = pads[2] = t;
	pads[1] = pads[3] = l;
	if (mode == 4) {
		pads[2] = (seed / 9) % lim[0];
		pads[3] = (seed / 27) % lim[1];
	}
}

/* conv2d: q = filters, kh, kw, sh, sw, dh, dw, padmode, pt, pl, pb, pr,
 * groups, bias, activation. */
/* conv2d_transpose: q = filters, kernel h w, stride h w, dilation h w,
 * pads t l b r, output_padding h w, bias, groups, relu */
static bool lg_convt(const struct rm_model *m, struct rm_layer *l, const struct rm_shape *x)
{
	if (x->rank != 4)
		return false;
	int ca = rm_channel_axis(m, 4), ha = m->nchw ? 2 : 1, c = x->d[ca];
	int f = clampi(l->raw[0], 1, 32), groups = 1;
	if (l->raw[9] % 3 == 2) {
		groups = nth_divisor(gcd(c, f), 1 + l->raw[9] / 3 % 3);
	}
	struct rm_shape o = *x;
	for (int i = 0; i < 2; i++) {
		int k = clampi(l->raw[1 + i], 1, 5), s = clampi(l->raw[3 + i], 1, 3);
		int d = clampi(l->raw[5 + i], 1, 2), span = d * (k - 1) + 1;
		int op = l->raw[11 + i] % (s > d ? s : d);
		int full = (x->d[ha + i] - 1) * s + span + op;
		int pb = l->raw[7 + i] % span, pe = l->raw[13 + i] % span;
		if (pb + pe >= full)
			pb = pe = 0;
		o.d[ha + i] = full - pb - pe;
		Q(1 + i) = k, Q(3 + i) = s, Q(5 + i) = d;
		Q(7 + i) = pb, Q(9 + i) = pe, Q(11 + i) = op;
	}
	int64_t per = rm_count(x) / x->d[ca] / x->d[ha] / x->d[ha + 1] * o.d[ha] * o.d[ha + 1];
	if (f * per > m->budget) {
		f = (int)(m->budget / per) / groups * groups;
		if (f < groups)
			return false;
	}
	o.d[ca] = f;
	o.flags = 0;
	Q(0) = f;
	Q(13) = l->raw[10] & 1;
	Q(14) = groups;
	Q(15) = l->raw[10] / 2 % 3 == 0;
	l->out = o;
	return fits(m, &o);
}

static bool lg_conv(const struct rm_model *m, struct rm_layer *l, const struct rm_shape *x)
{
	if (x->rank != 4)
		return false;
	int ca = rm_channel_axis(m, 4), ha = m->nchw ? 2 : 1;
	int c = x->d[ca], f = clampi(l->raw[0], 1, 64), groups = 1;
	int mode = l->raw[9] % 4;
	if (mode == 1) {
		groups = c;
		f = c * (1 + l->raw[0] % 2);
	} else if (mode == 2) {
		groups = nth_divisor(gcd(c, f), 1 + l->raw[9] / 4);
		/* groups of 2, 4, 8 or 16 channels in and out (the lane-wise
		 * kernel takes those narrower than a vector) */
		for (int i = 0; i < 4 && l->raw[0] % 2 == 0; i++) {
			int width = 16 >> (l->raw[9] / 4 + i) % 4;
			if (c % width == 0 && c > width) {
				f = c;
				groups = c / width;
				break;
			}
		}
	}
	int lim[2] = { 3, 3 }, pads[4] = { 0, 0, 0, 0 }, padmode = l->raw[7] % 5;
	if (padmode >= 2)
		seed_pads(padmode, l->raw[8], lim, pads);
	struct rm_shape o = *x;
	for (int i = 0; i < 2; i++) {
		int in = x->d[ha + i], k = clampi(l->raw[1 + i], 1, 7), s = clampi(l->raw[3 + i], 1, 3);
		int d = clampi(l->raw[5 + i], 1, 3);
		if (padmode == 1) {
			o.d[ha + i] = (in + s - 1) / s;
		} else {
			int avail = in + pads[i] + pads[i + 2];
			while (d * (k - 1) + 1 > avail) {
				if (d > 1)
					d--;
				else
					k--;
			}
			o.d[ha + i] = (avail - d * (k - 1) - 1) / s + 1;
		}
		Q(1 + i) = k;
		Q(3 + i) = s;
		Q(5 + i) = d;
	}
	int64_t per = rm_count(x) / x->d[ca] / x->d[ha] / x->d[ha + 1] * o.d[ha] * o.d[ha + 1];
	if (f * per > m->budget) {
		int fmax = (int)(m->budget / per) / groups * groups;
		if (fmax < groups || mode == 1)
			return false;
		f = fmax;
	}
	o.d[ca] = f;
	o.flags = (l->raw[11] % 5 >= 2) ? RM_UNIT : 0; /* sigmoid, tanh, softmax */
	Q(0) = f;
	Q(7) = padmode;
	memcpy(&Q(8), pads, sizeof pads);
	Q(12) = groups;
	Q(13) = l->raw[10] & 1;
	Q(14) = l->raw[11] % 5;
	l->out = o;
	return fits(m, &o);
}

/* dense: q = units, bias, activation */
static bool lg_dense(const struct rm_model *m, struct rm_layer *l, const struct rm_shape *x)
{
	if (x->rank < 2)
		return false;
	struct rm_shape o = *x;
	int64_t rows = rm_count(x) / x->d[x->rank - 1];
	int u = clampi(l->raw[0], 1, 64);
	if (u * rows > m->budget)
		u = (int)(m->budget / rows);
	if (u < 1)
		return false;
	o.d[o.rank - 1] = u;
	Q(0) = u;
	Q(1) = l->raw[1] & 1;
	Q(2) = l->raw[2] % 5;
	o.flags = Q(2) >= 2 ? RM_UNIT : 0;
	l->out = o;
	return fits(m, &o);
}

/* pools: q = avg, ph, pw, stride given, sh, sw, padmode, pt, pl, pb, pr,
 * count_include_pad, ceil_mode */
static bool lg_pool(const struct rm_model *m, struct rm_layer *l, const struct rm_shape *x)
{
	if (x->rank != 4)
		return false;
	int ha = m->nchw ? 2 : 1;
	struct rm_shape o = *x;
	int k[2], s[2];
	for (int i = 0; i < 2; i++) {
		k[i] = clampi(l->raw[1 + i], 1, x->d[ha + i] < 4 ? x->d[ha + i] : 4);
		s[i] = l->raw[3] & 1 ? clampi(l->raw[4 + i], 1, 3) : k[i];
	}
	int padmode = l->raw[6] % 5, pads[4] = { 0, 0, 0, 0 };
	bool ceil = l->raw[9] % 3 == 0;
	if (padmode >= 2)
		seed_pads(padmode, l->raw[7], k, pads);
	for (int i = 0; i < 2; i++) {
		int in = x->d[ha + i];
		int room = in + pads[i] + pads[i + 2] - k[i];
		if (padmode == 1) /* SAME: ceil_mode never adds a window */
			o.d[ha + i] = (in + s[i] - 1) / s[i];
		else if (ceil) /* rounded up, unless the last window starts past in + pad */
			o.d[ha + i] = (room + s[i] - 1) / s[i] + 1 -
			              ((room + s[i] - 1) / s[i] * s[i] >= in + pads[i]);
		else
			o.d[ha + i] = room / s[i] + 1;
		Q(1 + i) = k[i];
		Q(4 + i) = s[i];
	}
	Q(0) = l->raw[0] & 1;
	Q(3) = l->raw[3] & 1;
	Q(6) = padmode;
	memcpy(&Q(7), pads, sizeof pads);
	Q(11) = Q(0) && (l->raw[8] & 1);
	Q(12) = ceil;
	/* every window holds a real element (pads are below the window) */
	if (Q(11))
		o.flags &= RM_UNIT;
	l->out = o;
	return fits(m, &o);
}

/* reshape: q = rank of the new shape without batch, its dims, write -1? */
static bool lg_reshape(const struct rm_model *m, struct rm_layer *l, const struct rm_shape *x)
{
	if (x->rank < 2)
		return false;
	int p = (int)(rm_count(x) / x->d[0]);
	struct rm_shape o = { .rank = 1, .d = { x->d[0] }, .flags = x->flags };
	switch (l->raw[0] % 5) {
	case 0:
		o.d[o.rank++] = p;
		break;
	case 1:
		o.d[o.rank] = nth_divisor(p, l->raw[1]);
		o.d[o.rank + 1] = p / o.d[o.rank];
		o.rank += 2;
		break;
	case 2: {
		int a = nth_divisor(p, l->raw[1]), b = nth_divisor(p / a, l->raw[2]);
		o.d[1] = a;
		o.d[2] = b;
		o.d[3] = p / a / b;
		o.rank = 4;
		break;
	}
	case 3:
		o.d[2] = nth_divisor(p, l->raw[1]);
		o.d[1] = p / o.d[2];
		o.rank = 3;
		break;
	default: /* [N, P] to a per-channel shape that broadcasts against a
	          * 4-D activation: SE blocks */
		if (x->rank != 2)
			return false;
		o.rank = 4;
		o.d[1] = o.d[2] = o.d[3] = 1;
		o.d[rm_channel_axis(m, 4)] = p;
	}
	Q(0) = l->raw[3] % 3; /* which dim is spelled -1 (the last one if 0) */
	l->out = o;
	return fits(m, &o);
}

static bool lg_unary(const struct rm_model *m, struct rm_layer *l, const struct rm_shape *x)
{
	(void)m;
	int op = l->raw[0] % RU_COUNT;
	unsigned f = x->flags, unit = f & RM_UNIT;
	if ((op == RU_EXP && !(f & RM_UNIT)) || ((op == RU_LOG || op == RU_SQRT) && !(f & RM_POS)))
		return false;
	Q(0) = op;
	Q(1) = l->raw[1] % 4;
	l->out = *x;
	switch (op) {
	case RU_SIGMOID:
	case RU_TANH:
	case RU_HARD_SIGMOID:
		f = RM_UNIT;
		break;
	case RU_RELU:
	case RU_NEG:
	case RU_LEAKY:
	case RU_HARD_SWISH:
	case RU_RELU6:
	case RU_SILU: /* |silu(x)|, |hard_swish(x)| <= |x| */
		f = unit;
		break;
	case RU_CLIP:
		f = Q(1) == 1 ? unit : RM_UNIT; /* only clip(0, 6) is wider */
		break;
	case RU_SOFTSIGN:
	case RU_SIN:
	case RU_COS:
		f = RM_UNIT;
		break;
	case RU_ELU:     /* alpha <= 1: |elu(x)| <= |x| */
	case RU_CELU:    /* alpha >= 0.5: min(0, ..) >= -|x| */
	case RU_MISH:    /* |mish(x)| <= |x| */
	case RU_THRESHOLDED:
	case RU_ATAN:    /* |atan(x)| <= |x| */
	case RU_SHRINK:  /* softshrink: |y| <= |x| */
		f = unit;
		break;
	case RU_SELU:
	case RU_SOFTPLUS:
		f = 0;
		break;
	case RU_RESCALE:
		f = 0;
		break;
	case RU_EXP:
	case RU_SQRT:
		f = RM_POS;
		break;
	case RU_LOG:
		f = 0;
		break;
	default: /* abs, dropout */
		break;
	}
	l->out.flags = f;
	return true;
}

/* softmax, log_softmax: q = log, axis spelling (0 default, 1 positive,
 * 2 negative, 3 channel), axis */
static bool lg_softmax(const struct rm_model *m, struct rm_layer *l, const struct rm_shape *x)
{
	Q(0) = l->raw[0] & 1;
	Q(1) = l->raw[1] % 4;
	Q(2) = l->raw[2] % x->rank;
	if (Q(1) == 3 && rm_channel_axis(m, x->rank) < 0)
		Q(1) = 0;
	l->out = *x;
	l->out.flags = Q(0) ? 0 : RM_UNIT;
	return true;
}

/* batchnorm, normalize on rank 2 or 4 along the channel axis */
static bool lg_channel_op(const struct rm_model *m, struct rm_layer *l, const struct rm_shape *x)
{
	int ca = rm_channel_axis(m, x->rank);
	if (ca < 0)
		return false;
	Q(0) = x->d[ca];
	Q(1) = l->raw[0] % 2; /* epsilon / per-channel lists */
	Q(2) = l->raw[1] % 3; /* axis spelling */
	if (l->kind == RM_NORMALIZE && Q(0) > 32)
		Q(1) = 0;
	l->out = *x;
	l->out.flags = 0;
	return true;
}

static bool lg_zeropad(const struct rm_model *m, struct rm_layer *l, const struct rm_shape *x)
{
	if (x->rank != 4)
		return false;
	int ha = m->nchw ? 2 : 1, lim[2] = { 3, 3 };
	Q(0) = 2 + l->raw[0] % 3;
	seed_pads(Q(0), l->raw[1], lim, &Q(1));
	if (Q(1) + Q(2) + Q(3) + Q(4) == 0)
		Q(1) = Q(2) = Q(3) = Q(4) = 1; /* zeropad2d(0) would pad nothing */
	l->out = *x;
	l->out.d[ha] += Q(1) + Q(3);
	l->out.d[ha + 1] += Q(2) + Q(4);
	l->out.flags &= RM_UNIT;
	return fits(m, &l->out);
}

/* NumPy broadcasting of b into *o (which holds a); false if they clash */
static bool broadcast(struct rm_shape *o, const struct rm_shape *b)
{
	struct rm_shape r = { .rank = o->rank > b->rank ? o->rank : b->rank };
	for (int i = 0; i < r.rank; i++) {
		int ai = o->rank - r.rank + i, bi = b->rank - r.rank + i;
		int da = ai >= 0 ? o->d[ai] : 1, db = bi >= 0 ? b->d[bi] : 1;
		if (da != db && da != 1 && db != 1)
			return false;
		r.d[i] = da > db ? da : db;
	}
	r.flags = o->flags;
	*o = r;
	return true;
}

/* the flags of a * b, a + b, ... given both inputs' flags */
static unsigned binary_flags(int op, unsigned a, unsigned b)
{
	if (op == 2)
		return a & b & RM_UNIT ? RM_UNIT : 0;
	return 0;
}

static bool lg_binary(const struct rm_model *m, struct rm_layer *l, const struct rm_shape **in)
{
	Q(0) = l->raw[0] % RM_NBINOPS;
	if (l->nin > 2 && Q(0) != 0)
		return false;
	struct rm_shape o = *in[0];
	for (int i = 1; i < l->nin; i++) {
		/* only two inputs broadcast; three must have one shape */
		bool same = in[i]->rank == o.rank && !memcmp(in[i]->d, o.d, sizeof(int) * o.rank);
		if ((l->nin > 2 && !same) || !broadcast(&o, in[i]))
			return false;
		o.flags = binary_flags(Q(0), o.flags, in[i]->flags);
	}
	if (Q(0) == 3 && !(in[1]->flags & RM_POS))
		return false;
	l->out = o;
	return fits(m, &o);
}

/* concat: q = axis spelling (0 default channel, 1 positive, 2 negative), axis */
static bool lg_concat(const struct rm_model *m, struct rm_layer *l, const struct rm_shape **in)
{
	const struct rm_shape *a = in[0];
	Q(0) = l->raw[0] % 3;
	Q(1) = Q(0) == 0 ? rm_channel_axis(m, a->rank) : l->raw[1] % a->rank;
	if (Q(1) < 0)
		return false;
	struct rm_shape o = *a;
	for (int i = 1; i < l->nin; i++) {
		if (in[i]->rank != a->rank)
			return false;
		for (int k = 0; k < a->rank; k++)
			if (k != Q(1) && in[i]->d[k] != a->d[k])
				return false;
		o.d[Q(1)] += in[i]->d[Q(1)];
		o.flags &= in[i]->flags;
	}
	l->out = o;
	return fits(m, &o);
}

/* x op constant: q = op, constant shape mode, constant first, filled, the
 * constant's rank and dims at q[5..] */
static bool lg_binconst(const struct rm_model *m, struct rm_layer *l, const struct rm_shape *x)
{
	Q(0) = l->raw[0] % RM_NBINOPS;
	Q(1) = l->raw[1] % 4;
	Q(2) = l->raw[2] & 1;
	Q(3) = l->raw[3] % 4 == 0;
	if (Q(0) == 3 && Q(2) && !(x->flags & RM_POS))
		Q(2) = 0; /* only divide by a positive x */
	int ca = rm_channel_axis(m, x->rank), r = x->rank;
	if (Q(1) == 1 && ca < 0)
		Q(1) = 3;
	int *d = &Q(5);
	switch (Q(1)) {
	case 0: /* everything but the batch */
		Q(4) = r;
		memcpy(d, x->d, sizeof(int) * r);
		d[0] = 1;
		break;
	case 1:
		Q(4) = r;
		for (int i = 0; i < r; i++)
			d[i] = i == ca ? x->d[ca] : 1;
		break;
	case 2:
		Q(4) = 1;
		d[0] = 1;
		break;
	default:
		Q(4) = 1;
		d[0] = x->d[r - 1];
	}
	l->out = *x;
	l->out.flags = 0;
	return true;
}

/* matmul with a constant [K, U]: q = U */
static bool lg_matmulc(const struct rm_model *m, struct rm_layer *l, const struct rm_shape *x)
{
	if (x->rank < 2)
		return false;
	Q(0) = clampi(l->raw[0], 1, 32);
	l->out = *x;
	l->out.d[x->rank - 1] = Q(0);
	l->out.flags = 0;
	return fits(m, &l->out);
}

static bool lg_matmul(const struct rm_model *m, struct rm_layer *l, const struct rm_shape **in)
{
	const struct rm_shape *a = in[0], *b = in[1];
	if (a->rank < 2 || b->rank < 2 || a->d[a->rank - 1] != b->d[b->rank - 2])
		return false;
	struct rm_shape ba = *a, bb = *b;
	ba.rank -= 2;
	bb.rank -= 2;
	if (ba.rank == 0)
		ba = (struct rm_shape){ .rank = 1, .d = { 1 } };
	if (bb.rank == 0)
		bb = (struct rm_shape){ .rank = 1, .d = { 1 } };
	if (!broadcast(&ba, &bb) || ba.rank + 2 > RM_MAX_RANK)
		return false;
	struct rm_shape o = ba;
	o.d[o.rank++] = a->d[a->rank - 2];
	o.d[o.rank++] = b->d[b->rank - 1];
	o.flags = 0;
	l->out = o;
	return fits(m, &o);
}

bool rm_legalize(const struct rm_model *m, struct rm_layer *l)
{
	const struct rm_shape *in[3];
	for (int i = 0; i < l->nin; i++) {
		in[i] = rm_value_shape(m, l->rin[i]);
		if (!in[i] || (in[i]->ids != (l->kind == RM_EMBEDDING || l->kind == RM_ONEHOT)))
			return false;
	}
	memset(l->q, 0, sizeof l->q);
	const struct rm_shape *x = in[0];
	switch (l->kind) {
	case RM_CONV:
		return lg_conv(m, l, x);
	case RM_CONVT:
		return lg_convt(m, l, x);
	case RM_DENSE:
		return lg_dense(m, l, x);
	case RM_POOL:
		return lg_pool(m, l, x);
	case RM_GAP:
		if (x->rank != 4)
			return false;
		l->out = (struct rm_shape){ .rank = 2, .d = { x->d[0], x->d[rm_channel_axis(m, 4)] },
			                    .flags = x->flags };
		return true;
	case RM_FLATTEN:
		if (x->rank < 3)
			return false;
		l->out = (struct rm_shape){ .rank = 2, .d = { x->d[0], (int)(rm_count(x) / x->d[0]) },
			                    .flags = x->flags };
		return true;
	case RM_RESHAPE:
		return lg_reshape(m, l, x);
	case RM_UNARY:
		return lg_unary(m, l, x);
	case RM_SOFTMAX:
		return lg_softmax(m, l, x);
	case RM_BATCHNORM:
	case RM_NORMALIZE:
		return lg_channel_op(m, l, x);
	case RM_ZEROPAD:
		return lg_zeropad(m, l, x);
	case RM_BINARY:
		return lg_binary(m, l, in);
	case RM_CONCAT:
		return lg_concat(m, l, in);
	case RM_BINCONST:
		return lg_binconst(m, l, x);
	case RM_MATMULC:
		return lg_matmulc(m, l, x);
	case RM_MATMUL:
		return lg_matmul(m, l, in);
	default:
		return rm_legalize_tensor(m, l, x);
	}
}
