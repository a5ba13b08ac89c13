/* onnx_einsum.c - Einsum of one or two operands as transposes, views,
 * reductions and one batched matmul (the patterns attention exports use:
 * "bhqd,bhkd->bhqk", "bhqk,bhkd->bhqd", "bij,bjk->bik", and transposes,
 * sums and inner products).
 *
 * Each label of an operand is classified: in both operands and the output
 * a batch label, in both but not the output a contracted one, in one
 * operand and the output a free one, in one operand alone a summed one
 * (reduced first). The operands are transposed to [batch..., free,
 * contracted] and [batch..., contracted, free], viewed as [batch..., F,
 * K] and [batch..., K, G], multiplied, viewed as [batch..., freeA...,
 * freeB...] and transposed to the output's order. "..." stands for the
 * leading axes an operand has beyond its letters (the same count in
 * every term that has it). A label repeated within one operand (a
 * diagonal), three or more operands and labels whose sizes differ are
 * reported. */
#include <ctype.h>
#include <string.h>

#include "check.h"
#include "onnx_attr.h"
#include "onnx_map.h"

#define MAX_LABELS 64 /* 52 letters and up to IR_MAX_RANK ellipsis axes */

/* An operand or the output: its labels (letters; '0' + k for ellipsis
 * axis k), in axis order. */
struct term {
	char label[IR_MAX_RANK];
	unsigned n;
};

/* Parses one term of `len` characters at s into t; nell is the number of
 * axes "..." stands for (-1: not known yet, set from rank). */
static bool parse_term(struct onnx_imp *m, const char *s, size_t len, int rank, int *nell,
                       struct term *t)
{
	t->n = 0;
	bool ell = false;
	int letters = 0;
	for (size_t i = 0; i < len; i++)
		letters += isalpha((unsigned char)s[i]) != 0;
	for (size_t i = 0; i < len; i++) {
		if (s[i] == ' ')
			continue;
		if (s[i] == '.' && i + 3 <= len && !strncmp(s + i, "...", 3) && !ell) {
			ell = true;
			if (*nell < 0)
				*nell = rank < 0 ? 0 : rank - letters;
			if (*nell < 0 || t->n + (unsigned)*nell > IR_MAX_RANK) {
				onnx_error(m, "'...' in the equation does not fit the operand's rank");
				return false;
			}
			for (int k = 0; k < *nell; k++)
				t->label[t->n++] = (char)('0' + k);
			i += 2;
			continue;
		}
		if (!isalpha((unsigned char)s[i]) || t->n == IR_MAX_RANK) {
			onnx_error(m, "the equation has an invalid term '%.*s'", (int)len, s);
			return false;
		}
		t->label[t->n++] = s[i];
	}
	return true;
}

static int find(const struct term *t, char c)
{
	for (unsigned k = 0; k < t->n; k++)
		if (t->label[k] == c)
			return (int)k;
	return -1;
}

/* A value being rewritten: IR value, shape and the label of each axis. */
struct opv {
	uint32_t ir;
	struct ir_type t;
	struct term lab;
};

/* v transposed so that its labels read `want` (a permutation of them). */
static void permute(struct onnx_imp *m, struct opv *v, const struct term *want, const char *tag)
{
	union ir_attrs at;
	memset(&at, 0, sizeof at);
	bool identity = true;
	struct ir_type t = v->t;
	at.transpose.rank = (uint8_t)want->n;
	for (unsigned k = 0; k < want->n; k++) {
		int from = find(&v->lab, want->label[k]);
		DLC_ASSERT(from >= 0);
		at.transpose.perm[k] = (uint8_t)from;
		t.dims[k] = v->t.dims[from];
		identity &= from == (int)k;
	}
	if (!identity)
		v->ir = onnx_emit(m, IR_TRANSPOSE, onnx_name_tmp(m, tag), &v->ir, 1, &at);
	v->t = t;
	v->lab = *want;
}

/* v viewed with dims[0..rank). */
static void view(struct onnx_imp *m, struct opv *v, unsigned rank, const int64_t *dims,
                 const char *tag)
{
	v->ir = onnx_reshape(m, onnx_name_tmp(m, tag), v->ir, &v->t, rank, dims);
	v->t.rank = (uint8_t)rank;
	memcpy(v->t.dims, dims, rank * sizeof *dims);
}

/* Sums v over its labels that `keep` (or `other`) does not have. */
static void sum_unused(struct onnx_imp *m, struct opv *v, const struct term *out,
                       const struct term *other)
{
	union ir_attrs at;
	memset(&at, 0, sizeof at);
	struct term left = { { 0 }, 0 };
	struct ir_type t = v->t;
	t.rank = 0;
	for (unsigned k = 0; k < v->lab.n; k++) {
		char c = v->lab.label[k];
		if (find(out, c) < 0 && (!other || find(other, c) < 0)) {
			at.reduce.axes[at.reduce.naxes++] = (int)k;
		} else {
			left.label[left.n++] = c;
			t.dims[t.rank++] = v->t.dims[k];
		}
	}
	if (!at.reduce.naxes)
		return;
	v->ir = onnx_emit(m, IR_REDUCE_SUM, onnx_name_tmp(m, "sum"), &v->ir, 1, &at);
	v->t = t;
	v->lab = left;
}

static int64_t size_of(const struct opv *v, char c)
{
	return v->t.dims[find(&v->lab, c)];
}

/* The product of two operands with every label classified (above). */
static struct opv contract(struct onnx_imp *m, struct opv a, struct opv b, const struct term *out)
{
	struct term batch = { { 0 }, 0 }, fa = { { 0 }, 0 }, fb = { { 0 }, 0 }, kc = { { 0 }, 0 };
	for (unsigned k = 0; k < a.lab.n; k++) {
		char c = a.lab.label[k];
		bool in_b = find(&b.lab, c) >= 0, in_out = find(out, c) >= 0;
		struct term *to = in_b ? (in_out ? &batch : &kc) : &fa;
		to->label[to->n++] = c;
	}
	for (unsigned k = 0; k < b.lab.n; k++)
		if (find(&a.lab, b.lab.label[k]) < 0)
			fb.label[fb.n++] = b.lab.label[k];
	/* a as [batch, fa, kc], b as [batch, kc, fb] */
	struct term wa = batch, wb = batch;
	memcpy(wa.label + wa.n, fa.label, fa.n), wa.n += fa.n;
	memcpy(wa.label + wa.n, kc.label, kc.n), wa.n += kc.n;
	memcpy(wb.label + wb.n, kc.label, kc.n), wb.n += kc.n;
	memcpy(wb.label + wb.n, fb.label, fb.n), wb.n += fb.n;
	permute(m, &a, &wa, "lhs");
	permute(m, &b, &wb, "rhs");
	const struct opv pa = a, pb = b; /* their labelled axes, before the views */
	int64_t dims[IR_MAX_RANK], nf = 1, nk = 1, ng = 1;
	for (unsigned k = 0; k < batch.n; k++)
		dims[k] = size_of(&pa, batch.label[k]);
	for (unsigned k = 0; k < fa.n; k++)
		nf *= size_of(&pa, fa.label[k]);
	for (unsigned k = 0; k < kc.n; k++)
		nk *= size_of(&pa, kc.label[k]);
	for (unsigned k = 0; k < fb.n; k++)
		ng *= size_of(&pb, fb.label[k]);
	unsigned nb = batch.n;
	int64_t da[IR_MAX_RANK + 2], db[IR_MAX_RANK + 2];
	memcpy(da, dims, nb * sizeof *dims);
	memcpy(db, dims, nb * sizeof *dims);
	da[nb] = nf, da[nb + 1] = nk, db[nb] = nk, db[nb + 1] = ng;
	view(m, &a, nb + 2, da, "lhs2");
	view(m, &b, nb + 2, db, "rhs2");
	struct opv y = { 0 };
	uint32_t in[2] = { a.ir, b.ir };
	y.ir = onnx_emit(m, IR_MATMUL, onnx_name_tmp(m, "matmul"), in, 2, NULL);
	y.t = a.t;
	y.t.dims[nb + 1] = ng;
	/* back to [batch, fa..., fb...] */
	y.lab = batch;
	for (unsigned k = 0; k < fa.n; k++)
		dims[nb + k] = size_of(&pa, fa.label[k]), y.lab.label[y.lab.n++] = fa.label[k];
	for (unsigned k = 0; k < fb.n; k++)
		dims[nb + fa.n + k] = size_of(&pb, fb.label[k]), y.lab.label[y.lab.n++] = fb.label[k];
	view(m, &y, y.lab.n, dims, "split");
	return y;
}

static bool map_einsum(struct onnx_imp *m)
{
	const char *eq = onnx_attr_str(m, "equation", "");
	unsigned n = onnx_nin(m);
	if (n < 1 || n > 2) {
		onnx_error(m, "%u operands: dlc's Einsum takes one or two", n);
		return false;
	}
	const char *arrow = strstr(eq, "->");
	size_t lhs = arrow ? (size_t)(arrow - eq) : strlen(eq);
	struct opv v[2];
	int nell = -1;
	size_t at = 0;
	for (unsigned k = 0; k < n; k++) {
		struct onnx_value *x = onnx_in(m, k);
		if (!x || x->kind != ONNX_ACT || x->type.dtype != IR_DT_F32) {
			onnx_error(m, "operand %u must be a computed float tensor", k);
			return false;
		}
		size_t end = at;
		while (end < lhs && eq[end] != ',')
			end++;
		if ((end == lhs) != (k + 1 == n)) {
			onnx_error(m, "the equation '%s' does not have %u operand terms", eq, n);
			return false;
		}
		int ell = -1; /* each operand's own count, checked equal below */
		if (!parse_term(m, eq + at, end - at, x->type.rank, &ell, &v[k].lab))
			return false;
		if (ell >= 0 && nell >= 0 && ell != nell) {
			onnx_error(m, "'...' stands for different numbers of axes");
			return false;
		}
		nell = ell >= 0 ? ell : nell;
		if (v[k].lab.n != x->type.rank) {
			onnx_error(m, "term %u of '%s' has %u labels for an operand of rank %u", k, eq,
			           v[k].lab.n, x->type.rank);
			return false;
		}
		for (unsigned i = 0; i < v[k].lab.n; i++)
			if (find(&v[k].lab, v[k].lab.label[i]) != (int)i) {
				onnx_error(m, "label '%c' repeats within a term (diagonals are not "
				           "supported)", v[k].lab.label[i]);
				return false;
			}
		v[k].ir = x->ir;
		v[k].t = x->type;
		at = end + 1;
	}
	struct term out = { { 0 }, 0 };
	if (arrow) {
		int ell = nell < 0 ? 0 : nell;
		if (!parse_term(m, arrow + 2, strlen(arrow + 2), -1, &ell, &out))
			return false;
	} else { /* implicit: "..." then the letters used once, alphabetically */
		for (int k = 0; k < nell; k++)
			out.label[out.n++] = (char)('0' + k);
		for (int c = 'A'; c <= 'z'; c++) {
			int uses = 0;
			for (unsigned k = 0; k < n; k++)
				uses += find(&v[k].lab, (char)c) >= 0;
			if (isalpha(c) && uses == 1 && out.n < IR_MAX_RANK)
				out.label[out.n++] = (char)c;
		}
	}
	for (unsigned i = 0; i < out.n; i++) {
		bool known = false;
		for (unsigned k = 0; k < n; k++)
			known |= find(&v[k].lab, out.label[i]) >= 0;
		if (!known || find(&out, out.label[i]) != (int)i) {
			onnx_error(m, "output label '%c' is repeated or in no operand", out.label[i]);
			return false;
		}
	}
	if (n == 2)
		for (unsigned i = 0; i < v[0].lab.n; i++) {
			int j = find(&v[1].lab, v[0].lab.label[i]);
			if (j >= 0 && v[0].t.dims[i] != v[1].t.dims[j]) {
				onnx_error(m, "label '%c' has sizes %lld and %lld", v[0].lab.label[i],
				           (long long)v[0].t.dims[i], (long long)v[1].t.dims[j]);
				return false;
			}
		}
	sum_unused(m, &v[0], &out, n == 2 ? &v[1].lab : NULL);
	if (n == 2)
		sum_unused(m, &v[1], &out, &v[0].lab);
	struct opv y = n == 2 ? contract(m, v[0], v[1], &out) : v[0];
	permute(m, &y, &out, "order");
	y.ir = onnx_reshape(m, onnx_name_out(m, 0), y.ir, &y.t, y.t.rank, y.t.dims);
	onnx_set_act(m, 0, y.ir, &y.t);
	return true;
}

const struct onnx_op_map onnx_einsum_table[] = {
	{ "Einsum", map_einsum },
	{ NULL, NULL }
};
