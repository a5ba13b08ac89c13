/* onnx_rnn.c - ONNX LSTM and GRU to dlc's lstm/gru nodes.
 *
 * ONNX runs time-major: X [T, N, F] (layout=0), outputs Y [T, D, N, H]
 * and Y_h [D, N, H]; weights W [D, G*H, F], R [D, G*H, H], B [D, 2*G*H]
 * with gates i, o, f, c (LSTM) and z, r, h (GRU). dlc's nodes are batch
 * first ([N, T, F] -> [N, T, H] or the final [N, H]) with PyTorch's gate
 * order i, f, g, o and r, z, n, so: X is transposed in, each direction
 * becomes one node with its weights' gate blocks reordered (bias_ih = Wb,
 * bias_hh = Rb), and Y / Y_h are rebuilt with transpose, concat and
 * reshape so that ONNX semantics hold exactly. Y_h of a direction is the
 * state after its last step: position T-1 (forward) or 0 (reverse) of its
 * sequence output. Only PyTorch's equations are supported: default
 * activations, no clip, no peepholes, zero (or absent) initial states,
 * GRU linear_before_reset=1; the cell output Y_c is not available. */
#include <inttypes.h>
#include <string.h>

#include "check.h"
#include "onnx_attr.h"
#include "onnx_map.h"

struct rnn {
	bool lstm;
	int64_t gates, h, f, t, n, ndir;
	const int *order; /* dlc gate k comes from ONNX gate order[k] */
};

static const int lstm_order[4] = { 0, 2, 3, 1 }; /* i, f, g, o <- i, o, f, c */
static const int gru_order[3] = { 1, 0, 2 };     /* r, z, n <- z, r, h */

static const struct onnx_tensor *rnn_const(struct onnx_imp *m, unsigned k, const char *what,
                                           int64_t d1, int64_t d2, unsigned rank)
{
	struct onnx_value *v = onnx_in(m, k);
	const struct onnx_tensor *t = v && v->kind == ONNX_CONST ? v->t : NULL;
	if (!t || t->dtype != IR_DT_F32 || t->rank != rank || t->dims[1] != d1 ||
	    (rank == 3 && t->dims[2] != d2)) {
		if (rank == 3)
			onnx_error(m, "%s must be a float constant [num_directions, %" PRId64 ", %" PRId64
			           "]", what, d1, d2);
		else
			onnx_error(m, "%s must be a float constant [num_directions, %" PRId64 "]", what, d1);
		return NULL;
	}
	return t;
}

/* Rows of direction d, gate blocks reordered; from [D, G*H, cols]. */
static uint32_t gate_weight(struct onnx_imp *m, const struct rnn *r, const struct onnx_tensor *t,
                            int64_t d, int64_t cols, int64_t col0, const char *suffix)
{
	int64_t rows = r->gates * r->h, stride = t->dims[t->rank - 1];
	float *w = arena_array(m->a, (size_t)(rows * cols), sizeof *w);
	/* a direction's block: [G*H, cols] of W/R, or a row of B */
	const float *src = (const float *)t->data + d * (t->rank == 3 ? rows : 1) * stride;
	for (int64_t g = 0; g < r->gates; g++)
		for (int64_t j = 0; j < r->h; j++) {
			int64_t from = r->order[g] * r->h + j, to = g * r->h + j;
			if (t->rank == 3)
				memcpy(&w[to * cols], &src[from * stride], (size_t)cols * sizeof *w);
			else
				w[to] = src[col0 + from];
		}
	int64_t dims[2] = { rows, cols };
	const char *name = arena_printf(m->a, "%s%s", t->name, suffix);
	return onnx_ir_weight(m, name, w, t->rank == 3 ? 2 : 1, dims);
}

static bool zero_state(struct onnx_imp *m, unsigned k)
{
	struct onnx_value *v = onnx_in(m, k);
	if (!v)
		return true;
	bool zero = v->kind == ONNX_CONST && v->t->dtype == IR_DT_F32;
	for (int64_t i = 0; zero && i < v->t->numel; i++)
		zero = ((float *)v->t->data)[i] == 0.0f;
	if (!zero)
		onnx_error(m, "initial state '%s' must be absent or constant zeros", v->name);
	return zero;
}

static bool check_attrs(struct onnx_imp *m, const struct rnn *r, const struct onnx_value *x)
{
	const Onnx__AttributeProto *acts = onnx_attr(m, "activations");
	static const char *const lstm_acts[3] = { "Sigmoid", "Tanh", "Tanh" };
	static const char *const gru_acts[2] = { "Sigmoid", "Tanh" };
	const char *const *want = r->lstm ? lstm_acts : gru_acts;
	size_t nwant = r->lstm ? 3 : 2;
	for (size_t i = 0; acts && i < acts->n_strings; i++) {
		const ProtobufCBinaryData *s = &acts->strings[i];
		const char *w = want[i % nwant];
		if (s->len != strlen(w) || memcmp(s->data, w, s->len)) {
			onnx_error(m, "only the default activations are supported");
			return false;
		}
	}
	if (onnx_attr(m, "clip") || onnx_attr_int(m, "input_forget", 0)) {
		onnx_error(m, "clip and input_forget are not supported");
		return false;
	}
	if (!r->lstm && onnx_attr_int(m, "linear_before_reset", 0) != 1) {
		onnx_error(m, "linear_before_reset=0 is not supported (dlc's gru follows PyTorch, "
		           "which exports linear_before_reset=1)");
		return false;
	}
	if (r->lstm && (onnx_in(m, 7) || onnx_out(m, 2))) {
		onnx_error(m, "peepholes (P) and the cell state output Y_c are not supported");
		return false;
	}
	struct onnx_value *sl = onnx_in(m, 4);
	for (int64_t i = 0; sl && i < (sl->kind == ONNX_CONST ? sl->t->numel : 1); i++)
		if (sl->kind != ONNX_CONST || ((int64_t *)sl->t->data)[i] != r->t) {
			onnx_error(m, "sequence_lens must be absent or all %" PRId64, r->t);
			return false;
		}
	(void)x;
	return zero_state(m, 5) && (!r->lstm || zero_state(m, 6));
}

static uint32_t transpose(struct onnx_imp *m, const char *name, uint32_t x, unsigned rank,
                          const uint8_t *perm)
{
	union ir_attrs at;
	memset(&at, 0, sizeof at);
	at.transpose.rank = (uint8_t)rank;
	memcpy(at.transpose.perm, perm, rank);
	return onnx_emit(m, IR_TRANSPOSE, name, &x, 1, &at);
}

static uint32_t concat_last(struct onnx_imp *m, const char *name, const uint32_t *in)
{
	union ir_attrs at;
	memset(&at, 0, sizeof at);
	at.axis.axis = IR_AXIS_LAST;
	return onnx_emit(m, IR_CONCAT, name, in, 2, &at);
}

/* Y [T, D, N, H] from the directions' [N, T, H] outputs. */
static void make_y(struct onnx_imp *m, const struct rnn *r, const uint32_t *seq)
{
	static const uint8_t ntn[3] = { 1, 0, 2 }, tdnh[4] = { 1, 2, 0, 3 };
	int64_t dims[4] = { r->t, r->ndir, r->n, r->h };
	struct ir_type t = { IR_DT_F32, 4, { r->t, r->ndir, r->n, r->h } };
	uint32_t y;
	if (r->ndir == 1) {
		y = transpose(m, onnx_name_tmp(m, "tnh"), seq[0], 3, ntn);
		struct ir_type tnh = { IR_DT_F32, 3, { r->t, r->n, r->h } };
		y = onnx_reshape(m, onnx_name_out(m, 0), y, &tnh, 4, dims);
	} else {
		y = concat_last(m, onnx_name_tmp(m, "seq"), seq);
		struct ir_type nt2h = { IR_DT_F32, 3, { r->n, r->t, 2 * r->h } };
		int64_t ntdh[4] = { r->n, r->t, 2, r->h };
		y = onnx_reshape(m, onnx_name_tmp(m, "ntdh"), y, &nt2h, 4, ntdh);
		y = transpose(m, onnx_name_out(m, 0), y, 4, tdnh);
	}
	onnx_set_act(m, 0, y, &t);
}

/* Y_h [D, N, H] from the directions' final states [N, H]. */
static void make_yh(struct onnx_imp *m, const struct rnn *r, const uint32_t *fin)
{
	static const uint8_t dnh[3] = { 1, 0, 2 };
	int64_t dims[3] = { r->ndir, r->n, r->h };
	struct ir_type t = { IR_DT_F32, 3, { r->ndir, r->n, r->h } };
	struct ir_type nh = { IR_DT_F32, 2, { r->n, r->h } };
	uint32_t y;
	if (r->ndir == 1) {
		y = onnx_reshape(m, onnx_name_out(m, 1), fin[0], &nh, 3, dims);
	} else {
		y = concat_last(m, onnx_name_tmp(m, "final"), fin);
		struct ir_type n2h = { IR_DT_F32, 2, { r->n, 2 * r->h } };
		int64_t ndh[3] = { r->n, 2, r->h };
		y = onnx_reshape(m, onnx_name_tmp(m, "ndh"), y, &n2h, 3, ndh);
		y = transpose(m, onnx_name_out(m, 1), y, 3, dnh);
	}
	onnx_set_act(m, 1, y, &t);
}

/* One direction: a node over [N, T, F], its sequence and final state. */
static void direction(struct onnx_imp *m, const struct rnn *r, uint32_t x, int64_t d,
                      bool reverse, bool want_seq, uint32_t *seq, uint32_t *fin)
{
	const struct onnx_tensor *w = onnx_in(m, 1)->t, *rr = onnx_in(m, 2)->t;
	struct onnx_value *bv = onnx_in(m, 3);
	const char *sfx = d ? "_reverse" : "";
	union ir_attrs at;
	memset(&at, 0, sizeof at);
	at.rnn.units = r->h;
	at.rnn.return_sequences = want_seq;
	at.rnn.reverse = reverse;
	uint32_t param[IR_MAX_PARAMS] = { gate_weight(m, r, w, d, r->f, 0, sfx),
	                                  gate_weight(m, r, rr, d, r->h, 0, sfx), IR_NONE, IR_NONE };
	if (bv) {
		param[2] = gate_weight(m, r, bv->t, d, 1, 0, arena_printf(m->a, "%s.ih", sfx));
		param[3] = gate_weight(m, r, bv->t, d, 1, r->gates * r->h,
		                       arena_printf(m->a, "%s.hh", sfx));
	}
	uint32_t y = onnx_emit(m, r->lstm ? IR_LSTM : IR_GRU,
	                       onnx_name_tmp(m, d ? "reverse" : "forward"), &x, 1, &at);
	memcpy(m->g->nodes[m->g->vals[y].node].param, param, sizeof param);
	if (!want_seq) {
		*fin = y;
		return;
	}
	*seq = y;
	memset(&at, 0, sizeof at);
	at.select.index = reverse ? 0 : r->t - 1;
	*fin = onnx_emit(m, IR_TIMESTEP, onnx_name_tmp(m, d ? "last_reverse" : "last"), &y, 1, &at);
}

bool onnx_map_rnn(struct onnx_imp *m)
{
	struct rnn r = { .lstm = !strcmp(m->node->op_type, "LSTM") };
	r.gates = r.lstm ? 4 : 3;
	r.order = r.lstm ? lstm_order : gru_order;
	struct onnx_value *x = onnx_in(m, 0);
	if (x->kind != ONNX_ACT || x->type.dtype != IR_DT_F32 || x->type.rank != 3) {
		onnx_error(m, "needs a 3-D float input");
		return false;
	}
	bool batch_first = onnx_attr_int(m, "layout", 0) == 1;
	r.t = x->type.dims[batch_first ? 1 : 0];
	r.n = x->type.dims[batch_first ? 0 : 1];
	r.f = x->type.dims[2];
	r.h = onnx_attr_int(m, "hidden_size", 0);
	const char *dir = onnx_attr_str(m, "direction", "forward");
	r.ndir = !strcmp(dir, "bidirectional") ? 2 : 1;
	if (strcmp(dir, "forward") && strcmp(dir, "reverse") && r.ndir == 1) {
		onnx_error(m, "unknown direction '%s'", dir);
		return false;
	}
	if (batch_first) {
		onnx_error(m, "layout=1 is not supported");
		return false;
	}
	if (r.h < 1) {
		onnx_error(m, "hidden_size must be given and positive");
		return false;
	}
	int64_t rows = r.gates * r.h;
	if (!rnn_const(m, 1, "W", rows, r.f, 3) || !rnn_const(m, 2, "R", rows, r.h, 3) ||
	    (onnx_in(m, 3) && !rnn_const(m, 3, "B", 2 * rows, 0, 2)) || !check_attrs(m, &r, x))
		return false;
	if (onnx_in(m, 1)->t->dims[0] != r.ndir) {
		onnx_error(m, "W has %" PRId64 " directions, direction '%s' needs %" PRId64,
		           onnx_in(m, 1)->t->dims[0], dir, r.ndir);
		return false;
	}
	static const uint8_t ntf[3] = { 1, 0, 2 };
	uint32_t xin = transpose(m, onnx_name_tmp(m, "batch_first"), x->ir, 3, ntf);
	bool want_seq = onnx_out(m, 0) != NULL;
	uint32_t seq[2], fin[2];
	for (int64_t d = 0; d < r.ndir; d++)
		direction(m, &r, xin, d, d == 1 || !strcmp(dir, "reverse"), want_seq, &seq[d], &fin[d]);
	if (want_seq)
		make_y(m, &r, seq);
	if (onnx_out(m, 1))
		make_yh(m, &r, fin);
	return true;
}
