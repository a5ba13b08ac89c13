/* onnx_loss.c - NegativeLogLikelihoodLoss and SoftmaxCrossEntropyLoss, as
 * compositions of IR ops (evaluation graphs exported with their loss).
 *
 * For scores x [N, C, d...], int targets t [N, d...], optional class
 * weights w [C] and ignore_index ii:
 *   safe   = where(t == ii, 0, t)              (ignored targets read class 0)
 *   hot    = onehot(safe, C), its class axis moved to position 1
 *   picked = reduce_sum(x * hot, axis 1)        x[n, t[n, d], d]
 *   wt     = reduce_sum(w * hot, axis 1), or 1  w[t[n, d]]
 *   wt    *= cast(t != ii)                      ignored positions weigh 0
 *   loss   = -picked * wt                       reduction none: [N, d...]
 * sum: reduce_sum(loss) over every axis (a scalar); mean: that sum over
 * reduce_sum(wt). SoftmaxCrossEntropyLoss feeds log_softmax(x, axis 1)
 * (its optional second output) to the same. A target outside [0, C) that
 * is not ignore_index makes the run fail with DLC_ERR_INDEX (onehot's id
 * check), so nothing is read out of bounds. */
#include <string.h>

#include "check.h"
#include "onnx_attr.h"
#include "onnx_map.h"
#include "onnx_read.h"

/* An IR value and its type, as the importer tracks it. */
struct val {
	uint32_t ir;
	struct ir_type t;
};

static struct val emit1(struct onnx_imp *m, enum ir_op op, const char *suffix, const uint32_t *in,
                        unsigned nin, const union ir_attrs *at, struct ir_type t)
{
	return (struct val){ onnx_emit(m, op, onnx_name_tmp(m, suffix), in, nin, at), t };
}

static struct val binary(struct onnx_imp *m, enum ir_binop op, const char *suffix,
                         struct val a, struct val b)
{
	union ir_attrs at;
	memset(&at, 0, sizeof at);
	at.binary.op = op;
	uint32_t in[2] = { a.ir, b.ir };
	struct ir_type t = a.t.rank >= b.t.rank ? a.t : b.t; /* one broadcasts into the other */
	t.dtype = a.t.dtype;
	return emit1(m, IR_BINARY, suffix, in, 2, &at, t);
}

/* reduce_sum over axis 1 (keepdims false), or over every axis. */
static struct val sum(struct onnx_imp *m, const char *suffix, struct val x, bool all)
{
	union ir_attrs at;
	memset(&at, 0, sizeof at);
	struct ir_type t = x.t;
	t.rank = 0;
	for (unsigned k = 0; k < x.t.rank; k++) {
		if (all || k == 1)
			at.reduce.axes[at.reduce.naxes++] = (int)k;
		else
			t.dims[t.rank++] = x.t.dims[k];
	}
	return emit1(m, IR_REDUCE_SUM, suffix, &x.ir, 1, &at, t);
}

/* A one-element constant of dtype dt holding v. */
static struct val scalar(struct onnx_imp *m, const char *suffix, enum ir_dtype dt, int64_t v)
{
	struct ir_type t = { dt, 1, { 1 } };
	return (struct val){ onnx_ir_scalar(m, suffix, dt, v), t };
}

/* The loss of log-probabilities x [N, C, d...] against targets t. */
static bool nll(struct onnx_imp *m, struct val x, struct onnx_value *target,
                const struct onnx_value *weight)
{
	const char *red = onnx_attr_str(m, "reduction", "mean");
	bool none = !strcmp(red, "none"), total = !strcmp(red, "sum");
	if (!none && !total && strcmp(red, "mean")) {
		onnx_error(m, "reduction '%s' is not one of none, sum, mean", red);
		return false;
	}
	unsigned r = x.t.rank;
	struct ir_type tt = { IR_DT_NONE, 0, { 0 } };
	if (target && target->kind == ONNX_ACT)
		tt = target->type;
	else if (target && target->kind == ONNX_CONST) /* targets given with the model */
		tt = (struct ir_type){ IR_DT_I64, target->t->rank, { 0 } },
		memcpy(tt.dims, target->t->dims, sizeof tt.dims);
	if (r < 2 || (tt.dtype != IR_DT_I64 && tt.dtype != IR_DT_I32) || tt.rank != r - 1 ||
	    tt.dims[0] != x.t.dims[0] || memcmp(tt.dims + 1, x.t.dims + 2, (r - 2) * sizeof *tt.dims)) {
		onnx_error(m, "needs scores [N, C, d...] and int32/int64 targets [N, d...]");
		return false;
	}
	int64_t classes = x.t.dims[1];
	if (weight && (weight->kind != ONNX_CONST || weight->t->dtype != IR_DT_F32 ||
	               weight->t->rank != 1 || weight->t->dims[0] != classes)) {
		onnx_error(m, "weights must be a constant float vector of %lld classes",
		           (long long)classes);
		return false;
	}
	enum ir_dtype it = tt.dtype;
	const int64_t *dims;
	unsigned rank;
	struct val t = { onnx_operand(m, it, target, &dims, &rank), tt };
	bool has_ii = false;
	for (size_t k = 0; k < m->node->n_attribute; k++)
		has_ii |= !strcmp(m->node->attribute[k]->name, "ignore_index");
	struct val keep = { IR_NONE, { 0 } };
	if (has_ii) { /* safe = where(t != ii, t, 0) */
		struct val ii = scalar(m, "ignore_index", it, onnx_attr_int(m, "ignore_index", 0));
		struct val zero = scalar(m, "zero", it, 0);
		union ir_attrs at;
		memset(&at, 0, sizeof at);
		at.compare.op = IR_CMP_NE;
		uint32_t in[3] = { t.ir, ii.ir, IR_NONE };
		struct ir_type bt = t.t;
		bt.dtype = IR_DT_BOOL;
		keep = emit1(m, IR_COMPARE, "keep", in, 2, &at, bt);
		in[0] = keep.ir, in[1] = t.ir, in[2] = zero.ir;
		t = emit1(m, IR_WHERE, "safe", in, 3, NULL, t.t);
	}
	union ir_attrs at;
	memset(&at, 0, sizeof at);
	at.index.size = classes;
	struct ir_type ht = t.t; /* onehot: [N, d..., C] */
	ht.dtype = IR_DT_F32;
	ht.dims[ht.rank++] = classes;
	struct val hot = emit1(m, IR_ONEHOT, "onehot", &t.ir, 1, &at, ht);
	if (r > 2) { /* the class axis to position 1 */
		memset(&at, 0, sizeof at);
		at.transpose.rank = (uint8_t)r;
		at.transpose.perm[0] = 0;
		at.transpose.perm[1] = (uint8_t)(r - 1);
		for (unsigned k = 2; k < r; k++)
			at.transpose.perm[k] = (uint8_t)(k - 1);
		hot = emit1(m, IR_TRANSPOSE, "classes", &hot.ir, 1, &at, x.t);
	}
	hot.t = x.t;
	struct val picked = sum(m, "picked", binary(m, IR_BINOP_MUL, "hit", x, hot), false);
	struct val wt = { IR_NONE, picked.t };
	if (weight) {
		struct ir_type wshape = x.t; /* w as [1, C, 1, ...] */
		for (unsigned k = 0; k < r; k++)
			wshape.dims[k] = k == 1 ? classes : 1;
		uint32_t w = onnx_ir_const(m, weight->t);
		struct ir_type vt = { IR_DT_F32, 1, { classes } };
		w = onnx_reshape(m, onnx_name_tmp(m, "weight"), w, &vt, r, wshape.dims);
		wt = sum(m, "wt", binary(m, IR_BINOP_MUL, "whot", hot, (struct val){ w, wshape }),
		         false);
	}
	if (keep.ir != IR_NONE) {
		memset(&at, 0, sizeof at);
		at.cast.to = IR_DT_F32;
		struct val kf = emit1(m, IR_CAST, "keepf", &keep.ir, 1, &at, picked.t);
		wt = wt.ir == IR_NONE ? kf : binary(m, IR_BINOP_MUL, "wkeep", wt, kf);
	}
	struct val loss = picked;
	if (wt.ir != IR_NONE)
		loss = binary(m, IR_BINOP_MUL, "weighted", picked, wt);
	memset(&at, 0, sizeof at);
	at.eltwise.nsteps = 1;
	at.eltwise.steps[0] = (struct ir_eltwise_step){ IR_STEP_AFFINE, -1.0f, 0.0f };
	uint32_t y = onnx_emit(m, IR_ELTWISE, none ? onnx_name_out(m, 0) : onnx_name_tmp(m, "loss"),
	                       &loss.ir, 1, &at);
	struct val out = { y, loss.t };
	if (!none) {
		struct val s = sum(m, "total", out, true);
		if (total) {
			out = s;
		} else if (wt.ir == IR_NONE) { /* the mean over every position */
			int64_t n = onnx_numel(picked.t.rank, picked.t.dims);
			memset(&at, 0, sizeof at);
			at.eltwise.nsteps = 1;
			at.eltwise.steps[0] = (struct ir_eltwise_step){ IR_STEP_AFFINE, 1.0f / (float)n, 0 };
			out = emit1(m, IR_ELTWISE, "mean", &s.ir, 1, &at, s.t);
		} else {
			out = binary(m, IR_BINOP_DIV, "mean", s, sum(m, "weights", wt, true));
		}
	}
	onnx_set_act(m, 0, out.ir, &out.t);
	return true;
}

static bool map_nll(struct onnx_imp *m)
{
	struct onnx_value *x = onnx_in(m, 0);
	if (!x || x->kind != ONNX_ACT || x->type.dtype != IR_DT_F32) {
		onnx_error(m, "needs computed float scores");
		return false;
	}
	return nll(m, (struct val){ x->ir, x->type }, onnx_in(m, 1), onnx_in(m, 2));
}

static bool map_sce(struct onnx_imp *m)
{
	struct onnx_value *x = onnx_in(m, 0);
	if (!x || x->kind != ONNX_ACT || x->type.dtype != IR_DT_F32 || x->type.rank < 2) {
		onnx_error(m, "needs computed float scores [N, C, d...]");
		return false;
	}
	union ir_attrs at;
	memset(&at, 0, sizeof at);
	at.axis.axis = 1;
	at.axis.log = true;
	struct onnx_value *lp = onnx_out(m, 1);
	uint32_t y = onnx_emit(m, IR_SOFTMAX, lp ? onnx_name_out(m, 1) : onnx_name_tmp(m, "logp"),
	                       &x->ir, 1, &at);
	if (lp)
		onnx_set_act(m, 1, y, &x->type);
	return nll(m, (struct val){ y, x->type }, onnx_in(m, 1), onnx_in(m, 2));
}

const struct onnx_op_map onnx_loss_table[] = {
	{ "NegativeLogLikelihoodLoss", map_nll },
	{ "SoftmaxCrossEntropyLoss", map_sce },
	{ NULL, NULL }
};
