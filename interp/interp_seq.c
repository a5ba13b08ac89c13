/* interp_seq.c - the reference interpreter's sequence kernels: embedding,
 * onehot, lstm, gru and timestep, plus the id check that runs before any
 * kernel reads an id.
 *
 * The recurrent kernels follow PyTorch's equations (torch.nn.LSTM, GRU) in
 * fp32 with plain loops. Every gate pre-activation is summed in one stated
 * order, which is also the order of the generated code (input projection
 * first, then the recurrent one):
 *   xp[r] = (sum over k ascending, from 0.0f, of W_ih[r, k] * x[t, k]) + b_ih[r]
 *   hp[r] = (sum over j ascending, from 0.0f, of W_hh[r, j] * h[j]) + b_hh[r]
 * (a missing bias adds nothing). Then
 *   lstm (rows i, f, g, o): i = sig(xp_i + hp_i), f = sig(xp_f + hp_f),
 *        g = tanh(xp_g + hp_g), o = sig(xp_o + hp_o),
 *        c = f * c + i * g, h = o * tanh(c)
 *   gru (rows r, z, n):     r = sig(xp_r + hp_r), z = sig(xp_z + hp_z),
 *        n = tanh(xp_n + r * hp_n), h = n + z * (h - n)
 * with h and c starting at zero for every batch item. h = n + z * (h - n)
 * is PyTorch's spelling of (1 - z) * n + z * h. */
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "interp.h"

static const struct ir_type *in_type(const struct ir_graph *g, const struct ir_node *n)
{
	return &g->vals[n->in[0]].type;
}

static const struct ir_type *out_type(const struct ir_graph *g, const struct ir_node *n)
{
	return &g->vals[n->out].type;
}

/* Element i of an i32 or i64 id tensor. */
static int64_t id_at(enum ir_dtype dt, const void *ids, int64_t i)
{
	if (dt == IR_DT_I32) {
		int32_t v;
		memcpy(&v, (const char *)ids + i * 4, sizeof v);
		return v;
	}
	DLC_ASSERT(dt == IR_DT_I64);
	int64_t v;
	memcpy(&v, (const char *)ids + i * 8, sizeof v);
	return v;
}

bool interp_check_ids(const struct ir_graph *g, struct diag *d, const void *const *ptr)
{
	for (uint32_t k = 0; k < g->nnodes; k++) {
		const struct ir_node *n = &g->nodes[k];
		if (n->op != IR_EMBEDDING && n->op != IR_ONEHOT)
			continue;
		uint32_t root = ir_view_root(g, n->in[0]);
		if (g->vals[root].kind != IR_VAL_INPUT)
			continue; /* computed ids: clamped by the kernels */
		const struct ir_value *v = &g->vals[root];
		DLC_ASSERT(ptr[root] != NULL);
		int64_t count = ir_type_numel(&v->type), size = n->attr.index.size;
		for (int64_t i = 0; i < count; i++) {
			int64_t id = id_at(v->type.dtype, ptr[root], i);
			if (id >= 0 && id < size)
				continue;
			diag_error(d, (struct src_span){ 0 },
			           "%s '%s' element %" PRId64 " holds id %" PRId64 ", outside [0, %" PRId64
			           ") of %s '%s'",
			           v->kind == IR_VAL_INPUT ? "input" : "value", v->name, i, id, size,
			           ir_op_table[n->op].name, n->name);
			return false;
		}
	}
	return true;
}

/* y[i, :] = W[ids[i], :] for every id position i. */
void interp_embedding(const struct ir_graph *g, const struct ir_node *n, const float *const *in,
                      const float *const *param, float *out)
{
	const void *ids = in[0]; /* i32 or i64, not floats */
	const float *w = param[0];
	const struct ir_type *xt = in_type(g, n);
	int64_t count = ir_type_numel(xt), dim = n->attr.index.dim;
	DLC_ASSERT(ir_type_numel(out_type(g, n)) == count * dim);
	for (int64_t i = 0; i < count; i++) {
		int64_t id = id_at(xt->dtype, ids, i), size = n->attr.index.size;
		id = id < 0 ? 0 : id >= size ? size - 1 : id; /* computed ids; inputs were checked */
		memcpy(out + i * dim, w + id * dim, (size_t)dim * sizeof *out);
	}
}

/* y[i, c] = 1 if c == ids[i] else 0. */
void interp_onehot(const struct ir_graph *g, const struct ir_node *n, const float *const *in,
                   const float *const *param, float *out)
{
	const void *ids = in[0]; /* i32 or i64, not floats */
	(void)param;
	const struct ir_type *xt = in_type(g, n);
	int64_t count = ir_type_numel(xt), classes = n->attr.index.size;
	DLC_ASSERT(ir_type_numel(out_type(g, n)) == count * classes);
	for (int64_t i = 0; i < count; i++) {
		int64_t id = id_at(xt->dtype, ids, i); /* outside [0, classes): a zero row */
		for (int64_t c = 0; c < classes; c++)
			out[i * classes + c] = c == id ? 1.0f : 0.0f;
	}
}

/* y[n, rest] = x[n, index, rest] (index made non-negative by shape
 * inference). */
void interp_timestep(const struct ir_graph *g, const struct ir_node *n, const float *const *in,
                     const float *const *param, float *out)
{
	const float *x = in[0];
	(void)param;
	const struct ir_type *xt = in_type(g, n);
	int64_t batch = xt->dims[0], steps = xt->dims[1], index = n->attr.select.index;
	int64_t inner = ir_type_numel(xt) / (batch * steps);
	DLC_ASSERT(index >= 0 && index < steps);
	for (int64_t b = 0; b < batch; b++)
		memcpy(out + b * inner, x + (b * steps + index) * inner, (size_t)inner * sizeof *out);
}

/* ---- lstm and gru ---- */

static float sigmoid(float x)
{
	return interp_sigmoid(x);
}

/* One recurrent layer's shapes and weights. */
struct rnn {
	int64_t batch, steps, in, units, rows; /* rows = gates * units */
	const float *wih, *whh, *bih, *bhh;    /* biases may be NULL */
	float *xp, *hp, *h, *c;                /* scratch: rows, rows, units, units */
};

static void *xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);
	if (!p)
		dlc_fatal_oom(n);
	return p;
}

static void rnn_init(struct rnn *r, const struct ir_graph *g, const struct ir_node *n,
                     const float *const *param, int64_t gates)
{
	const struct ir_type *xt = in_type(g, n);
	DLC_ASSERT(xt->rank == 3);
	r->batch = xt->dims[0], r->steps = xt->dims[1], r->in = xt->dims[2];
	r->units = n->attr.rnn.units;
	r->rows = gates * r->units;
	r->wih = param[0], r->whh = param[1], r->bih = param[2], r->bhh = param[3];
	DLC_ASSERT(r->wih && r->whh && !r->bih == !r->bhh);
	size_t rows = (size_t)r->rows * sizeof(float), units = (size_t)r->units * sizeof(float);
	r->xp = xmalloc(rows);
	r->hp = xmalloc(rows);
	r->h = xmalloc(units);
	r->c = xmalloc(units);
}

static void rnn_free(struct rnn *r)
{
	free(r->xp);
	free(r->hp);
	free(r->h);
	free(r->c);
}

/* y[r] = (sum over k ascending of w[r, k] * v[k]) + b[r], for every row. */
static void matvec(const float *w, const float *v, const float *b, int64_t rows, int64_t cols,
                   float *y)
{
	for (int64_t r = 0; r < rows; r++) {
		float acc = 0.0f;
		for (int64_t k = 0; k < cols; k++)
			acc += w[r * cols + k] * v[k];
		y[r] = b ? acc + b[r] : acc;
	}
}

/* Projections of step t of batch item b into r->xp and r->hp. */
static void rnn_project(struct rnn *r, const float *x, int64_t b, int64_t t)
{
	matvec(r->wih, x + (b * r->steps + t) * r->in, r->bih, r->rows, r->in, r->xp);
	matvec(r->whh, r->h, r->bhh, r->rows, r->units, r->hp);
}

static void lstm_cell(struct rnn *r)
{
	int64_t H = r->units;
	for (int64_t j = 0; j < H; j++) {
		float i = sigmoid(r->xp[j] + r->hp[j]);
		float f = sigmoid(r->xp[H + j] + r->hp[H + j]);
		float g = tanhf(r->xp[2 * H + j] + r->hp[2 * H + j]);
		float o = sigmoid(r->xp[3 * H + j] + r->hp[3 * H + j]);
		r->c[j] = f * r->c[j] + i * g;
		r->h[j] = o * tanhf(r->c[j]);
	}
}

static void gru_cell(struct rnn *r)
{
	int64_t H = r->units;
	for (int64_t j = 0; j < H; j++) {
		float rg = sigmoid(r->xp[j] + r->hp[j]);
		float z = sigmoid(r->xp[H + j] + r->hp[H + j]);
		float nn = tanhf(r->xp[2 * H + j] + rg * r->hp[2 * H + j]);
		r->h[j] = nn + z * (r->h[j] - nn);
	}
}

/* Runs the layer over every batch item; with return_sequences the state
 * after step t goes to out[b, t, :], else the final state to out[b, :].
 * reverse walks t from T-1 down to 0. */
static void rnn_run(const struct ir_graph *g, const struct ir_node *n, const float *x,
                    const float *const *param, float *out)
{
	bool lstm = n->op == IR_LSTM;
	struct rnn r;
	rnn_init(&r, g, n, param, lstm ? 4 : 3);
	const struct ir_rnn_attr *a = &n->attr.rnn;
	int64_t H = r.units;
	DLC_ASSERT(ir_type_numel(out_type(g, n)) == r.batch * H * (a->return_sequences ? r.steps : 1));
	for (int64_t b = 0; b < r.batch; b++) {
		memset(r.h, 0, (size_t)H * sizeof *r.h);
		memset(r.c, 0, (size_t)H * sizeof *r.c);
		for (int64_t s = 0; s < r.steps; s++) {
			int64_t t = a->reverse ? r.steps - 1 - s : s;
			rnn_project(&r, x, b, t);
			if (lstm)
				lstm_cell(&r);
			else
				gru_cell(&r);
			if (a->return_sequences)
				memcpy(out + (b * r.steps + t) * H, r.h, (size_t)H * sizeof *out);
		}
		if (!a->return_sequences)
			memcpy(out + b * H, r.h, (size_t)H * sizeof *out);
	}
	rnn_free(&r);
}

void interp_lstm(const struct ir_graph *g, const struct ir_node *n, const float *const *in,
                 const float *const *param, float *out)
{
	const float *x = in[0];
	DLC_ASSERT(n->op == IR_LSTM);
	rnn_run(g, n, x, param, out);
}

void interp_gru(const struct ir_graph *g, const struct ir_node *n, const float *const *in,
                const float *const *param, float *out)
{
	const float *x = in[0];
	DLC_ASSERT(n->op == IR_GRU);
	rnn_run(g, n, x, param, out);
}
