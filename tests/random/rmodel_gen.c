/* rmodel_gen.c - builds a random valid model from a seed (NNSmith-style:
 * grow a graph one operator at a time, keeping only operators whose
 * constraints the current shapes satisfy).
 *
 * Each step picks a value to extend (mostly the newest, sometimes an older
 * one, which opens a branch) and a layer kind suited to its rank; joins
 * (add/sub/mul/div/concat) look for an earlier value of a compatible shape
 * and otherwise grow a short branch that has one (a same-padded conv, a
 * dense of the same width, an activation) before joining. Composite
 * patterns: squeeze-and-excitation (gap, dense, dense, reshape, mul),
 * exp/log/sqrt/div behind a tanh + exp that keeps their inputs positive,
 * attention-like matmul of a sequence with its transpose. The PRNG is
 * splitmix64, so a seed gives the same model on every machine. */
#include "rmodel.h"

#include <string.h>

#include "check.h"

uint64_t rm_next(uint64_t *state)
{
	uint64_t z = (*state += 0x9e3779b97f4a7c15u);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
	return z ^ (z >> 31);
}

int rm_below(uint64_t *state, int n)
{
	return n <= 1 ? 0 : (int)(rm_next(state) % (uint64_t)n);
}

float rm_uniform(uint64_t *state, float lo, float hi)
{
	/* 24 random bits: exact in f32, the same everywhere */
	float u = (float)(rm_next(state) >> 40) * (1.0f / 16777216.0f);
	return lo + (hi - lo) * u;
}

const struct rm_shape *rm_value_shape(const struct rm_model *m, int v)
{
	if (v < 0)
		return NULL;
	if (v < m->ninputs)
		return &m->input[v];
	const struct rm_layer *l = &m->layer[v - m->ninputs];
	return l->ok ? &l->out : NULL;
}

/* the value a reader of v reads once removed and invalid layers are
 * bypassed */
static int forward(const struct rm_model *m, int v)
{
	while (v >= m->ninputs) {
		const struct rm_layer *l = &m->layer[v - m->ninputs];
		if (l->ok)
			break;
		v = l->rin[0];
	}
	return v;
}

bool rm_resolve(struct rm_model *m)
{
	for (int k = 0; k < m->nlayers; k++) {
		struct rm_layer *l = &m->layer[k];
		for (int i = 0; i < l->nin; i++)
			l->rin[i] = forward(m, l->in[i]);
		l->ok = !l->removed && rm_legalize(m, l);
	}
	m->nrout = 0;
	for (int i = 0; i < m->noutputs; i++) {
		int v = forward(m, m->outputs[i]);
		bool dup = v < m->ninputs;
		for (int j = 0; j < m->nrout; j++)
			dup |= m->routputs[j] == v;
		if (!dup)
			m->routputs[m->nrout++] = v;
	}
	return m->nrout > 0;
}

/* ---- generation ---- */

struct gen {
	struct rm_model *m;
	uint64_t st;
	int cur; /* the value the next step extends */
};

static int pick(struct gen *g, int n)
{
	return rm_below(&g->st, n);
}

/* Small sizes: mostly tiny, sometimes a little larger. */
static int small(struct gen *g, int lo, int hi)
{
	return pick(g, 3) ? lo + pick(g, (hi - lo) / 2 + 1) : lo + pick(g, hi - lo + 1);
}

/* Appends a layer with random choices (overridden by the `fix` pairs
 * raw index, value; -1 ends them); returns its value id, or -1 (and
 * drops it) if the inputs do not allow it. */
static int add_layer(struct gen *g, enum rm_kind kind, int nin, const int *in, const int *fix)
{
	struct rm_model *m = g->m;
	if (m->nlayers == RM_MAX_LAYERS)
		return -1;
	struct rm_layer *l = &m->layer[m->nlayers];
	memset(l, 0, sizeof *l);
	l->kind = kind;
	l->nin = nin;
	for (int i = 0; i < nin; i++)
		l->in[i] = l->rin[i] = in[i];
	for (int i = 0; i < RM_NRAW; i++)
		l->raw[i] = (int)(rm_next(&g->st) & 0x3fffffff);
	l->wseed = rm_next(&g->st);
	switch (kind) {
	case RM_CONV: {
		static const int ks[8] = { 1, 3, 3, 3, 5, 2, 7, 4 };
		l->raw[0] = small(g, 1, 24);
		l->raw[1] = l->raw[2] = ks[pick(g, 8)];
		if (!pick(g, 5))
			l->raw[2] = ks[pick(g, 8)];
		l->raw[3] = l->raw[4] = pick(g, 3) ? 1 : 2 + pick(g, 2);
		l->raw[5] = l->raw[6] = pick(g, 5) ? 1 : 2 + pick(g, 2);
		if (!pick(g, 6))
			l->raw[4] = 1 + pick(g, 3);
		break;
	}
	case RM_CONVT:
		l->raw[0] = small(g, 1, 16);
		l->raw[1] = l->raw[2] = 1 + pick(g, 5);
		l->raw[3] = l->raw[4] = 1 + pick(g, 3);
		l->raw[5] = l->raw[6] = pick(g, 4) ? 1 : 2;
		break;
	case RM_DENSE:
		l->raw[0] = small(g, 1, 40);
		break;
	case RM_POOL:
		l->raw[1] = l->raw[2] = 1 + small(g, 1, 3);
		if (!pick(g, 5))
			l->raw[2] = 1 + pick(g, 4);
		break;
	case RM_UNARY: {
		/* common activations more often than the rest */
		static const int ops[] = { RU_RELU, RU_RELU, RU_SIGMOID, RU_TANH, RU_TANH,
			                   RU_RELU6, RU_HARD_SWISH, RU_NEG, RU_ABS, RU_LEAKY,
			                   RU_HARD_SIGMOID, RU_CLIP, RU_RESCALE, RU_DROPOUT,
			                   RU_EXP, RU_SIGMOID, RU_RELU, RU_LEAKY, RU_SILU, RU_SILU,
			                   RU_ELU, RU_SELU, RU_CELU, RU_SOFTPLUS, RU_SOFTSIGN,
			                   RU_MISH, RU_THRESHOLDED, RU_SIN, RU_COS, RU_ATAN,
			                   RU_SHRINK };
		l->raw[0] = ops[pick(g, (int)(sizeof ops / sizeof ops[0]))];
		break;
	}
	default:
		break;
	}
	for (; fix && fix[0] >= 0; fix += 2)
		l->raw[fix[0]] = fix[1];
	if (!rm_legalize(m, l))
		return -1;
	l->ok = true;
	m->nlayers++;
	return m->ninputs + m->nlayers - 1;
}

static int add1(struct gen *g, enum rm_kind kind, int x, const int *fix)
{
	return add_layer(g, kind, 1, &x, fix);
}

/* the shape of a value the generator made (always valid) */
static const struct rm_shape *shape(struct gen *g, int v)
{
	const struct rm_shape *s = rm_value_shape(g->m, v);
	DLC_ASSERT(s != NULL);
	return s;
}

/* exp(tanh(x)) or exp(x): a value in about [0.37, 2.7] */
static int make_positive(struct gen *g, int x)
{
	if (shape(g, x)->flags & RM_POS)
		return x;
	if (!(shape(g, x)->flags & RM_UNIT)) {
		int fix[] = { 0, pick(g, 2) ? RU_TANH : RU_SIGMOID, -1 };
		x = add1(g, RM_UNARY, x, fix);
		if (x < 0)
			return -1;
	}
	int fix[] = { 0, RU_EXP, -1 };
	return add1(g, RM_UNARY, x, fix);
}

/* A value computed from x with x's shape, to join with x. */
static int branch_same(struct gen *g, int x)
{
	const struct rm_shape *s = shape(g, x);
	if (s->rank == 4 && pick(g, 3)) {
		int c = s->d[rm_channel_axis(g->m, 4)], k = 1 + 2 * pick(g, 3);
		int fix[] = { 0, c, 1, k, 2, k, 3, 1, 4, 1, 5, 1, 6, 1, 7, 1, 9, pick(g, 4) % 3, -1 };
		int v = add1(g, RM_CONV, x, fix);
		if (v >= 0)
			return v;
	}
	if (s->rank >= 2 && !pick(g, 3)) {
		int fix[] = { 0, s->d[s->rank - 1], -1 };
		return add1(g, RM_DENSE, x, fix);
	}
	if (!pick(g, 4))
		return add1(g, RM_BATCHNORM, x, NULL);
	return add1(g, RM_UNARY, x, NULL);
}

/* Values other than x that a join with x could read. */
static int partners(struct gen *g, int x, enum rm_kind kind, int op, int axr, int *out)
{
	int n = 0, nv = g->m->ninputs + g->m->nlayers;
	for (int v = 0; v < nv; v++) {
		const struct rm_shape *s = rm_value_shape(g->m, v);
		if (v == x || !s || s->ids)
			continue;
		struct rm_layer probe = { .kind = kind, .nin = 2, .rin = { x, v } };
		probe.raw[0] = op;
		probe.raw[1] = axr;
		if (rm_legalize(g->m, &probe))
			out[n++] = v;
	}
	return n;
}

static int gen_join(struct gen *g, int x)
{
	if (pick(g, 4) == 0) {
		int fix[] = { 0, pick(g, RM_NBINOPS), -1 };
		return add1(g, RM_BINCONST, x, fix);
	}
	bool concat = !pick(g, 3);
	enum rm_kind kind = concat ? RM_CONCAT : RM_BINARY;
	int op = concat ? pick(g, 3) : pick(g, RM_NBINOPS), axr = pick(g, 8), cand[RM_MAX_VALUES];
	int n = partners(g, x, kind, op, axr, cand), y;
	if (n && pick(g, 2)) {
		y = cand[pick(g, n)];
	} else {
		y = branch_same(g, x);
		if (y < 0)
			return -1;
	}
	if (!concat && op == 3)
		y = make_positive(g, y);
	if (y < 0)
		return -1;
	int in[3] = { x, y, x };
	if (pick(g, 2) && !(op == 3 && !concat)) {
		in[0] = y;
		in[1] = x;
	}
	int nin = !concat && op == 0 && !pick(g, 4) ? 3 : 2;
	if (concat && !pick(g, 4))
		nin = 3;
	int fix[] = { 0, op, 1, axr, -1 };
	return add_layer(g, kind, nin, in, fix);
}

/* squeeze-and-excitation: x * sigmoid(dense(relu(dense(gap(x))))) */
static int gen_se(struct gen *g, int x)
{
	int c = shape(g, x)->d[rm_channel_axis(g->m, 4)];
	int f1[] = { 0, 1 + c / 2, 2, 1, -1 }, f2[] = { 0, c, 2, 2, -1 }, f3[] = { 0, 4, -1 };
	int s = add1(g, RM_GAP, x, NULL);
	if (s >= 0)
		s = add1(g, RM_DENSE, s, f1);
	if (s >= 0)
		s = add1(g, RM_DENSE, s, f2);
	if (s >= 0)
		s = add1(g, RM_RESHAPE, s, f3);
	if (s < 0)
		return -1;
	int in[2] = { x, s }, fm[] = { 0, 2, -1 };
	if (pick(g, 2)) {
		in[0] = s;
		in[1] = x;
	}
	return add_layer(g, RM_BINARY, 2, in, fm);
}

static int gen_positive_op(struct gen *g, int x)
{
	int p = make_positive(g, x);
	if (p < 0)
		return -1;
	int fix[] = { 0, pick(g, 2) ? RU_LOG : RU_SQRT, -1 };
	if (pick(g, 3))
		return add1(g, RM_UNARY, p, fix);
	int in[2] = { x, p }, fd[] = { 0, 3, -1 };
	return add_layer(g, RM_BINARY, 2, in, fd);
}

/* a sequence times its own transpose: [N, T, F] x [N, F, T] */
static int gen_matmul(struct gen *g, int x)
{
	int r = shape(g, x)->rank;
	if (r < 3 || pick(g, 2))
		return add1(g, RM_MATMULC, x, NULL);
	int swap[] = { 2, 7, -1 }; /* swap the last two axes */
	int t = add1(g, RM_TRANSPOSE, x, swap);
	if (t < 0)
		return -1;
	int in[2] = { x, t };
	return add_layer(g, RM_MATMUL, 2, in, NULL);
}

static const enum rm_kind tensor_kinds[6] = { RM_SLICE, RM_PAD, RM_TRANSPOSE, RM_GATHER,
	                                      RM_REDUCE, RM_BROADCAST };

static int gen_rank4(struct gen *g, int x)
{
	int r = pick(g, 100);
	if (r < 27)
		return add1(g, RM_CONV, x, NULL);
	if (r < 30)
		return add1(g, RM_CONVT, x, NULL);
	if (r < 40)
		return add1(g, RM_POOL, x, NULL);
	if (r < 50)
		return add1(g, RM_UNARY, x, NULL);
	if (r < 55)
		return add1(g, RM_BATCHNORM, x, NULL);
	if (r < 57)
		return add1(g, RM_NORMALIZE, x, NULL);
	if (r < 61)
		return add1(g, RM_ZEROPAD, x, NULL);
	if (r < 76)
		return gen_join(g, x);
	if (r < 80)
		return gen_se(g, x);
	if (r < 83)
		return add1(g, pick(g, 2) ? RM_GAP : RM_FLATTEN, x, NULL);
	if (r < 86)
		return add1(g, RM_RESHAPE, x, NULL);
	if (r < 88)
		return add1(g, RM_SOFTMAX, x, NULL);
	if (r < 95)
		return add1(g, tensor_kinds[pick(g, 6)], x, NULL);
	if (r < 97)
		return add1(g, RM_DENSE, x, NULL);
	return gen_positive_op(g, x);
}

static int gen_rank23(struct gen *g, int x, int rank)
{
	int r = pick(g, 100);
	if (rank == 3 && r < 25)
		return add1(g, RM_RNN, x, NULL);
	if (rank == 3 && r < 32)
		return add1(g, RM_TIMESTEP, x, NULL);
	if (r < 50)
		return add1(g, RM_DENSE, x, NULL);
	if (r < 62)
		return add1(g, RM_UNARY, x, NULL);
	if (r < 66)
		return add1(g, rank == 2 ? RM_BATCHNORM : RM_SOFTMAX, x, NULL);
	if (r < 78)
		return gen_join(g, x);
	if (r < 82)
		return add1(g, RM_SOFTMAX, x, NULL);
	if (r < 89)
		return add1(g, RM_RESHAPE, x, NULL);
	if (r < 95)
		return add1(g, tensor_kinds[pick(g, 6)], x, NULL);
	if (r < 98)
		return gen_matmul(g, x);
	return gen_positive_op(g, x);
}

static void gen_step(struct gen *g)
{
	struct rm_model *m = g->m;
	int x = g->cur;
	if (!pick(g, 5)) {
		x = pick(g, m->ninputs + m->nlayers);
		if (!rm_value_shape(m, x))
			x = g->cur;
	}
	const struct rm_shape *s = shape(g, x);
	int v;
	if (s->ids)
		v = add1(g, pick(g, 3) ? RM_EMBEDDING : RM_ONEHOT, x, NULL);
	else if (s->rank == 4)
		v = gen_rank4(g, x);
	else
		v = gen_rank23(g, x, s->rank);
	if (v >= 0)
		g->cur = v;
}

static void gen_input(struct gen *g, struct rm_shape *s)
{
	int kind = pick(g, 20), n = pick(g, 5) ? 1 : 2;
	struct rm_model *m = g->m;
	if (kind < 13) {
		*s = (struct rm_shape){ .rank = 4, .d = { n } };
		int h = small(g, 1, 12), w = pick(g, 4) ? h : small(g, 1, 12);
		int c = pick(g, 4) ? small(g, 1, 8) : small(g, 1, 20);
		int ha = m->nchw ? 2 : 1;
		s->d[ha] = h;
		s->d[ha + 1] = w;
		s->d[rm_channel_axis(m, 4)] = c;
	} else if (kind < 15) {
		*s = (struct rm_shape){ .rank = 2, .d = { n, small(g, 1, 48) } };
	} else if (kind < 18) {
		*s = (struct rm_shape){ .rank = 3, .d = { n, small(g, 1, 8), small(g, 1, 12) } };
	} else {
		*s = (struct rm_shape){ .rank = 2, .d = { n, small(g, 1, 8) }, .ids = true };
	}
	while (rm_count(s) * 2 > m->budget)
		s->d[s->rank - 1] = (s->d[s->rank - 1] + 1) / 2;
}

void rm_generate(struct rm_model *m, uint64_t seed, int budget, int min_steps, int max_steps)
{
	memset(m, 0, sizeof *m);
	struct gen g = { .m = m, .st = seed * 0x2545f4914f6cdd1du + 12345 };
	m->seed = seed;
	m->budget = budget;
	m->nchw = pick(&g, 2);
	m->keras = !pick(&g, 4);
	m->target = pick(&g, 6);
	m->idmax = 2 + pick(&g, 16);
	m->ninputs = 1;
	gen_input(&g, &m->input[0]);
	if (m->input[0].rank != 4)
		m->nchw = false; /* the layout comes from 4-D inputs only */
	if (!m->input[0].ids && !pick(&g, 6)) {
		m->ninputs = 2;
		m->input[1] = m->input[0];
	}
	int steps = min_steps + pick(&g, max_steps - min_steps + 1);
	for (int i = 0; i < 4 * steps && m->nlayers < steps && m->nlayers < RM_MAX_LAYERS - 8; i++)
		gen_step(&g);
	m->outputs[m->noutputs++] = g.cur;
	/* a few other unread values become outputs too */
	for (int v = m->ninputs; v < m->ninputs + m->nlayers; v++) {
		bool read = v == g.cur;
		for (int k = 0; k < m->nlayers && !read; k++)
			for (int i = 0; i < m->layer[k].nin; i++)
				read |= m->layer[k].in[i] == v;
		if (!read && m->noutputs < RM_MAX_OUTPUTS && pick(&g, 2))
			m->outputs[m->noutputs++] = v;
	}
}
