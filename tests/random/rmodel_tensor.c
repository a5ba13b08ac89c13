/* rmodel_tensor.c - parameters and shapes of the random tensor-manipulation
 * layers (slice, pad, transpose, gather, the reductions, broadcast) and of the
 * sequence layers (lstm, gru, timestep/last, embedding, onehot); the rest
 * of rm_legalize is in rmodel_shape.c. */
#include "rmodel.h"

#include <string.h>

#include "check.h"

#define Q(i) (l->q[i])

/* An axis for slice and gather: mostly not the batch axis. */
static int pick_axis(const struct rm_layer *l, int rank)
{
	if (rank == 1 || l->raw[1] % 4 == 0)
		return l->raw[0] % rank;
	return 1 + l->raw[0] % (rank - 1);
}

/* slice: q = axis, start, end (exclusive; -1 = through element 0), step,
 * start/axis spelled negative, end spelling (0 exact, 1 omitted, 2 far) */
static bool lg_slice(const struct rm_model *m, struct rm_layer *l, const struct rm_shape *x)
{
	(void)m;
	static const int steps[4] = { 1, 1, 2, -1 };
	int axis = pick_axis(l, x->rank), n = x->d[axis], step = steps[l->raw[2] % 4];
	int start = l->raw[3] % n, end, len;
	if (step > 0) {
		end = start + 1 + l->raw[4] % (n - start);
		len = (end - start + step - 1) / step;
	} else {
		end = start - 1 - l->raw[4] % (start + 1);
		len = start - end;
	}
	Q(0) = axis;
	Q(1) = start;
	Q(2) = end;
	Q(3) = step;
	Q(4) = l->raw[5] & 1;
	Q(5) = l->raw[6] % 3;
	if (Q(5) == 1 && !(step > 0 && end == n))
		Q(5) = 0;
	if (Q(5) == 2 && !(step > 0 ? end == n : end == -1))
		Q(5) = 0;
	if (step < 0 && end == -1 && Q(5) == 0)
		Q(5) = 2; /* -1 would count from the end: spell it far below */
	l->out = *x;
	l->out.d[axis] = len;
	return true;
}

/* pad: q[0 .. 2*rank-1] = pads (ONNX order), q[12] = value choice */
static bool lg_pad(const struct rm_model *m, struct rm_layer *l, const struct rm_shape *x)
{
	int r = x->rank;
	l->out = *x;
	for (int i = 0; i < r; i++) {
		int before = (l->raw[0] >> (4 * i)) % 3, after = (l->raw[0] >> (4 * i + 2)) % 3;
		if (i == 0 && l->raw[1] % 4)
			before = after = 0;
		Q(i) = before;
		Q(r + i) = after;
		l->out.d[i] += before + after;
	}
	Q(12) = l->raw[2] % 3;
	l->out.flags &= RM_UNIT;
	return rm_count(&l->out) <= m->budget;
}

static bool lg_transpose(const struct rm_model *m, struct rm_layer *l, const struct rm_shape *x)
{
	(void)m;
	int r = x->rank, first = l->raw[1] % 4 ? 1 : 0;
	uint64_t st = (uint64_t)l->raw[0];
	for (int i = 0; i < r; i++)
		Q(i) = i;
	for (int i = r - 1; i > first; i--) {
		int j = first + rm_below(&st, i - first + 1), t = Q(i);
		Q(i) = Q(j);
		Q(j) = t;
	}
	if (l->raw[2] % 8 == 7 && r >= 2) { /* the last two axes swapped (matmul) */
		for (int i = 0; i < r; i++)
			Q(i) = i;
		Q(r - 2) = r - 1;
		Q(r - 1) = r - 2;
	}
	l->out = *x;
	for (int i = 0; i < r; i++)
		l->out.d[i] = x->d[Q(i)];
	return true;
}

/* gather: q = axis, count, indices at q[2..7], axis spelled negative */
static bool lg_gather(const struct rm_model *m, struct rm_layer *l, const struct rm_shape *x)
{
	int axis = pick_axis(l, x->rank), n = x->d[axis];
	Q(0) = axis;
	Q(1) = 1 + l->raw[2] % 6;
	uint64_t st = l->wseed;
	for (int i = 0; i < Q(1); i++)
		Q(2 + i) = rm_below(&st, 2 * n) - n;
	Q(8) = l->raw[3] & 1;
	l->out = *x;
	l->out.d[axis] = Q(1);
	return rm_count(&l->out) <= m->budget;
}

/* The reductions, by q[3]. */
static const char *const reductions[] = {
	"reduce_mean", "reduce_sum",         "reduce_max",         "reduce_min",  "reduce_l1",
	"reduce_l2",   "reduce_sum_square",  "reduce_log_sum_exp", "reduce_prod", "reduce_log_sum",
};
enum { RD_MEAN, RD_SUM, RD_MAX, RD_MIN, RD_L1, RD_L2, RD_SUM_SQUARE, RD_LOG_SUM_EXP, RD_PROD,
       RD_LOG_SUM, RD_COUNT };

/* reductions: q = axis mask, keepdims, spelling (bit 0: negative axes,
 * bit 1: keepdims written even when true), which reduction. A product
 * only of values in [-1, 1] (no overflow), a log_sum only of positive
 * ones; the mean, max and min keep their input's bounds. */
static bool lg_reduce(const struct rm_model *m, struct rm_layer *l, const struct rm_shape *x)
{
	(void)m;
	int r = x->rank, all = (1 << r) - 1;
	int mask = l->raw[0] & all;
	if (l->raw[1] % 4)
		mask &= ~1;
	if (!mask)
		mask = 1 << (r - 1);
	Q(0) = mask;
	Q(1) = (l->raw[2] & 1) || mask == all;
	Q(2) = l->raw[3] % 4;
	int kind = l->raw[4] % RD_COUNT;
	if (kind == RD_PROD && !(x->flags & RM_UNIT))
		kind = RD_MEAN;
	if (kind == RD_LOG_SUM && !(x->flags & RM_POS))
		kind = RD_SUM;
	Q(3) = kind;
	unsigned keep = kind == RD_MEAN || kind == RD_MAX || kind == RD_MIN ? x->flags
	                : kind == RD_PROD                                    ? RM_UNIT
	                                                                     : 0;
	struct rm_shape o = { .rank = 0, .flags = keep };
	for (int i = 0; i < r; i++) {
		if (!(mask >> i & 1))
			o.d[o.rank++] = x->d[i];
		else if (Q(1))
			o.d[o.rank++] = 1;
	}
	l->out = o;
	return o.rank >= 1;
}

/* broadcast: q[0 .. rank-1] = the dims written */
static bool lg_broadcast(const struct rm_model *m, struct rm_layer *l, const struct rm_shape *x)
{
	l->out = *x;
	for (int i = 0; i < x->rank; i++) {
		Q(i) = x->d[i];
		if (x->d[i] == 1 && (l->raw[0] >> i & 1))
			Q(i) = 2 + (l->raw[1] >> i) % 2;
		l->out.d[i] = Q(i);
	}
	return rm_count(&l->out) <= m->budget;
}

/* lstm, gru: q = gru, units, return_sequences, bidirectional, num_layers,
 * bias, input features */
static bool lg_rnn(const struct rm_model *m, struct rm_layer *l, const struct rm_shape *x)
{
	if (x->rank != 3)
		return false;
	Q(0) = l->raw[0] & 1;
	Q(1) = 1 + l->raw[1] % 16;
	Q(2) = l->raw[2] & 1;
	Q(3) = l->raw[3] % 3 == 0;
	Q(4) = 1 + (l->raw[4] % 3 == 0);
	Q(5) = l->raw[5] % 4 != 0;
	Q(6) = x->d[2];
	int h = Q(1) * (Q(3) ? 2 : 1);
	l->out = (struct rm_shape){ .rank = Q(2) ? 3 : 2, .d = { x->d[0] }, .flags = RM_UNIT };
	if (Q(2)) {
		l->out.d[1] = x->d[1];
		l->out.d[2] = h;
	} else {
		l->out.d[1] = h;
	}
	return rm_count(&l->out) <= m->budget;
}

bool rm_legalize_tensor(const struct rm_model *m, struct rm_layer *l, const struct rm_shape *x)
{
	switch (l->kind) {
	case RM_SLICE:
		return lg_slice(m, l, x);
	case RM_PAD:
		return lg_pad(m, l, x);
	case RM_TRANSPOSE:
		return lg_transpose(m, l, x);
	case RM_GATHER:
		return lg_gather(m, l, x);
	case RM_REDUCE:
		return lg_reduce(m, l, x);
	case RM_BROADCAST:
		return lg_broadcast(m, l, x);
	case RM_RNN:
		return lg_rnn(m, l, x);
	case RM_TIMESTEP:
		if (x->rank < 3)
			return false;
		Q(0) = l->raw[0] & 1; /* last() */
		Q(1) = l->raw[1] % (2 * x->d[1]) - x->d[1];
		l->out = *x;
		l->out.rank--;
		memmove(&l->out.d[1], &l->out.d[2], sizeof(int) * (size_t)(l->out.rank - 1));
		return true;
	case RM_EMBEDDING:
	case RM_ONEHOT:
		if (x->rank + 1 > RM_MAX_RANK)
			return false;
		Q(0) = m->idmax + l->raw[1] % 3;
		Q(1) = l->kind == RM_ONEHOT ? Q(0) : 1 + l->raw[0] % 16;
		l->out = *x;
		l->out.ids = false;
		l->out.d[l->out.rank++] = Q(1);
		l->out.flags = RM_UNIT; /* embedding vectors are drawn from [-1, 1) */
		return rm_count(&l->out) <= m->budget;
	default:
		return false;
	}
}

/* ---- statements ---- */

static void emit_slice(const struct rm_layer *l, FILE *dl, int rank, int n)
{
	fprintf(dl, "slice(%d", Q(4) ? Q(0) - rank : Q(0));
	if (Q(1) || Q(4))
		fprintf(dl, ", start=%d", Q(4) ? Q(1) - n : Q(1));
	if (Q(5) == 0)
		fprintf(dl, ", end=%d", Q(2));
	else if (Q(5) == 2)
		fprintf(dl, ", end=%d", Q(3) > 0 ? 1000000 : -1000000); /* clamped */
	if (Q(3) != 1)
		fprintf(dl, ", step=%d", Q(3));
	fprintf(dl, ")");
}

static void emit_ints(FILE *dl, const int *v, int n, bool bare_single)
{
	if (n == 1 && bare_single) {
		fprintf(dl, "%d", v[0]);
		return;
	}
	fputc('[', dl);
	for (int i = 0; i < n; i++)
		fprintf(dl, "%s%d", i ? ", " : "", v[i]);
	fputc(']', dl);
}

static void emit_reduce(const struct rm_layer *l, FILE *dl, int rank)
{
	int axes[RM_MAX_RANK], n = 0;
	for (int i = 0; i < rank; i++)
		if (Q(0) >> i & 1)
			axes[n++] = Q(2) & 1 ? i - rank : i;
	fprintf(dl, "%s(axes=", reductions[Q(3)]);
	emit_ints(dl, axes, n, Q(2) & 2);
	if (!Q(1) || (Q(2) & 2))
		fprintf(dl, ", keepdims=%s", Q(1) ? "true" : "false");
	fprintf(dl, ")");
}

/* lstm/gru weights of layer j and direction `rev` (pytorch names) */
static void rnn_weights(const struct rm_layer *l, const char *name, int j, bool rev,
                        struct rm_weights *w)
{
	int gates = Q(0) ? 3 : 4, h = Q(1), f = j == 0 ? Q(6) : h * (Q(3) ? 2 : 1);
	char suf[32];
	uint64_t seed = l->wseed + (uint64_t)(8 * j + (rev ? 4 : 0));
	const char *r = rev ? "_reverse" : "";
	int dih[2] = { gates * h, f }, dhh[2] = { gates * h, h };
	snprintf(suf, sizeof suf, "weight_ih_l%d%s", j, r);
	rm_add_weight(w, name, suf, 2, dih, seed, h);
	snprintf(suf, sizeof suf, "weight_hh_l%d%s", j, r);
	rm_add_weight(w, name, suf, 2, dhh, seed + 1, h);
	if (!Q(5))
		return;
	snprintf(suf, sizeof suf, "bias_ih_l%d%s", j, r);
	rm_add_weight(w, name, suf, 1, dih, seed + 2, 3 * h);
	snprintf(suf, sizeof suf, "bias_hh_l%d%s", j, r);
	rm_add_weight(w, name, suf, 1, dih, seed + 3, 3 * h);
}

static void emit_rnn(const struct rm_layer *l, const char *name, FILE *dl, struct rm_weights *w)
{
	fprintf(dl, "%s(%d", Q(0) ? "gru" : "lstm", Q(1));
	if (Q(2))
		fprintf(dl, ", return_sequences=true");
	if (Q(3))
		fprintf(dl, ", bidirectional=true");
	if (Q(4) > 1)
		fprintf(dl, ", num_layers=%d", Q(4));
	if (!Q(5))
		fprintf(dl, ", bias=false");
	fprintf(dl, ")");
	for (int j = 0; j < Q(4); j++)
		for (int rev = 0; rev <= Q(3); rev++)
			rnn_weights(l, name, j, rev, w);
}

void rm_emit_tensor_layer(const struct rm_model *m, const struct rm_layer *l, const char *name,
                          FILE *dl, struct rm_weights *w)
{
	const struct rm_shape *x = rm_value_shape(m, l->rin[0]);
	int r = x->rank;
	switch (l->kind) {
	case RM_SLICE:
		emit_slice(l, dl, r, x->d[Q(0)]);
		break;
	case RM_PAD: {
		static const char *const values[3] = { "", ", value=0.5", ", value=-1" };
		fprintf(dl, "pad(");
		emit_ints(dl, l->q, 2 * r, false);
		fprintf(dl, "%s)", values[Q(12)]);
		break;
	}
	case RM_TRANSPOSE:
		fprintf(dl, "transpose(");
		emit_ints(dl, l->q, r, false);
		fprintf(dl, ")");
		break;
	case RM_GATHER:
		fprintf(dl, "gather(axis=%d, indices=", Q(8) ? Q(0) - r : Q(0));
		emit_ints(dl, &Q(2), Q(1), true);
		fprintf(dl, ")");
		break;
	case RM_REDUCE:
		emit_reduce(l, dl, r);
		break;
	case RM_BROADCAST:
		fprintf(dl, "broadcast(");
		emit_ints(dl, l->q, r, false);
		fprintf(dl, ")");
		break;
	case RM_RNN:
		emit_rnn(l, name, dl, w);
		break;
	case RM_TIMESTEP:
		if (Q(0))
			fprintf(dl, "last()");
		else
			fprintf(dl, "timestep(%d)", Q(1));
		break;
	case RM_EMBEDDING: {
		int d[2] = { Q(0), Q(1) };
		fprintf(dl, "embedding(%d, %d)", Q(0), Q(1));
		char key[96];
		snprintf(key, sizeof key, "%s.%s", name, m->keras ? "embeddings" : "weight");
		rm_add_tensor(w, key, 2, d, l->wseed, -1, 1);
		break;
	}
	case RM_ONEHOT:
		fprintf(dl, "onehot(%d)", Q(0));
		break;
	default:
		DLC_UNREACHABLE("not a tensor layer");
	}
}
