/* check_args.c - matching a call's arguments to parameters and checking
 * each value against its parameter's type and range (layers.def).
 *
 * Matching follows Python: positional arguments fill parameters in table
 * order, keyword arguments by name, positional ones may not follow a
 * keyword one and nothing may be given twice. Omitted parameters take the
 * table default, which is converted by the same code as user values so
 * the two cannot disagree. Every error is located at the value at fault. */
#include "check_args.h"

#include <ctype.h>
#include <float.h>
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"

enum { NAME_MAX_FOR_SUGGESTIONS = 64 };

/* Edit distance ignoring case, with adjacent transpositions counting as
 * one edit ("rleu" is one typo away from "relu"): optimal string
 * alignment over three rows. */
static size_t edit_distance(const char *a, const char *b)
{
	size_t n = strlen(a), m = strlen(b);
	size_t rows[3][NAME_MAX_FOR_SUGGESTIONS + 1];
	size_t *pp = rows[0], *prev = rows[1], *cur = rows[2];
	DLC_ASSERT(n <= NAME_MAX_FOR_SUGGESTIONS && m <= NAME_MAX_FOR_SUGGESTIONS);
	for (size_t j = 0; j <= m; j++)
		prev[j] = j;
	for (size_t i = 1; i <= n; i++) {
		int ca = tolower((unsigned char)a[i - 1]);
		cur[0] = i;
		for (size_t j = 1; j <= m; j++) {
			int cb = tolower((unsigned char)b[j - 1]);
			size_t best = prev[j - 1] + (ca != cb);
			if (prev[j] + 1 < best)
				best = prev[j] + 1;
			if (cur[j - 1] + 1 < best)
				best = cur[j - 1] + 1;
			if (i > 1 && j > 1 && ca == tolower((unsigned char)b[j - 2]) &&
			    tolower((unsigned char)a[i - 2]) == cb && pp[j - 2] + 1 < best)
				best = pp[j - 2] + 1;
			cur[j] = best;
		}
		size_t *t = pp;
		pp = prev;
		prev = cur;
		cur = t;
	}
	return prev[m];
}

const char *fe_closest(const char *word, const char *const *cands, size_t n)
{
	if (strlen(word) > NAME_MAX_FOR_SUGGESTIONS)
		return NULL;
	const char *best = NULL;
	size_t best_d = SIZE_MAX;
	for (size_t i = 0; i < n; i++) {
		size_t len = strlen(cands[i]);
		if (len > NAME_MAX_FOR_SUGGESTIONS)
			continue;
		size_t limit = (len + 1) / 3; /* 0 for one letter: only a case change */
		size_t dist = edit_distance(word, cands[i]);
		if (dist <= limit && dist < best_d) {
			best = cands[i];
			best_d = dist;
		}
	}
	return best;
}

const char *fe_did_you_mean(struct arena *a, const char *suggestion)
{
	return suggestion ? arena_printf(a, "; did you mean '%s'?", suggestion) : "";
}

/* ---- values ---- */

struct actx {
	struct arena *a;
	struct diag *d;
	const struct fe_param *p;
};

static const char *const pad_names[] = { "valid", "same" };
static const char *const bool_names[] = { "false", "true" };
static const char *const act_names[] = { "none", "relu", "sigmoid", "tanh", "softmax" };
static const enum ir_op act_ops[] = { IR_OP_NONE, IR_RELU, IR_SIGMOID, IR_TANH, IR_SOFTMAX };

static const char *expectation(enum fe_ptype t)
{
	switch (t) {
	case FE_PT_INT: return "an integer";
	case FE_PT_INT2: return "an integer or a list of 2 integers";
	case FE_PT_PAD: return "valid, same, an integer or a list of 2 or 4 integers";
	case FE_PT_FLOAT: return "a number";
	case FE_PT_BOOL: return "true or false";
	case FE_PT_ACT: return "none, relu, sigmoid, tanh or softmax";
	case FE_PT_AXIS: return "an integer or channel";
	case FE_PT_FLOATS: return "a number or a list of numbers";
	case FE_PT_DIMS: return "a list of integers";
	case FE_PT_STRING: return "a string";
	case FE_PT_INTS: return "an integer or a list of integers";
	case FE_PT_TYPE: return "a tensor type such as f32[1, 8]";
	case FE_PT_DTYPE: return "a dtype such as f32, i64 or bool";
	case FE_PT_WORD: return "a word such as linear";
	case FE_PT_NONE: break;
	}
	DLC_UNREACHABLE("parameter without a type");
}

static bool type_error(struct actx *c, const struct ast_value *v)
{
	diag_error(c->d, v->loc, "expected %s for '%s', got %s", expectation(c->p->type),
	           c->p->name, ast_value_describe(c->a, v));
	return false;
}

/* An identifier that is not one of `choices`. */
static bool unknown_ident(struct actx *c, const struct ast_value *v, const char *const *choices,
                          size_t n)
{
	const char *best = fe_closest(v->s, choices, n);
	if (best)
		diag_error(c->d, v->loc, "unknown value '%s' for '%s'; did you mean '%s'?", v->s,
		           c->p->name, best);
	else
		diag_error(c->d, v->loc, "unknown value '%s' for '%s' (expected %s)", v->s,
		           c->p->name, expectation(c->p->type));
	return false;
}

static int find_ident(const char *s, const char *const *choices, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(s, choices[i]))
			return (int)i;
	return -1;
}

/* v's number x against the parameter's range. */
static bool check_range(struct actx *c, const struct ast_value *v, double x)
{
	const char *want;
	switch (c->p->range) {
	case FE_RG_GE1:
		if (x >= 1)
			return true;
		want = "at least 1";
		break;
	case FE_RG_GE0:
		if (x >= 0)
			return true;
		want = "non-negative";
		break;
	case FE_RG_POS:
		if (x > 0)
			return true;
		want = "positive";
		break;
	case FE_RG_UNIT:
		if (x >= 0 && x < 1)
			return true;
		want = "in [0, 1)";
		break;
	case FE_RG_NONE:
	default: return true;
	}
	const char *text = v->kind == AST_VAL_INT ? arena_printf(c->a, "%" PRId64, v->i)
	                                          : arena_printf(c->a, "%g", x);
	diag_error(c->d, v->loc, "'%s' must be %s, got %s", c->p->name, want, text);
	return false;
}

/* An integer, alone (type errors name the parameter's type) or as a list
 * element (they name the element). */
static bool get_int(struct actx *c, const struct ast_value *v, bool in_list, int64_t *out)
{
	if (v->kind != AST_VAL_INT) {
		if (!in_list)
			return type_error(c, v);
		diag_error(c->d, v->loc, "expected an integer in '%s', got %s", c->p->name,
		           ast_value_describe(c->a, v));
		return false;
	}
	*out = v->i;
	return check_range(c, v, (double)v->i);
}

/* A number that the IR stores as f32. */
static bool get_number(struct actx *c, const struct ast_value *v, bool in_list, double *out)
{
	if (v->kind != AST_VAL_INT && v->kind != AST_VAL_FLOAT) {
		if (!in_list)
			return type_error(c, v);
		diag_error(c->d, v->loc, "expected a number in '%s', got %s", c->p->name,
		           ast_value_describe(c->a, v));
		return false;
	}
	double x = v->kind == AST_VAL_INT ? (double)v->i : v->f;
	if (fabs(x) > FLT_MAX) {
		diag_error(c->d, v->loc, "'%s' value %g does not fit in f32", c->p->name, x);
		return false;
	}
	*out = x;
	return check_range(c, v, x);
}

static bool list_len(struct actx *c, const struct ast_value *v, const char *want, bool good)
{
	if (!good)
		diag_error(c->d, v->loc, "expected %s values for '%s', got %u", want, c->p->name,
		           v->list.n);
	return good;
}

static bool conv_int2(struct actx *c, const struct ast_value *v, struct fe_arg *out)
{
	out->n = 2;
	if (v->kind != AST_VAL_LIST) {
		bool ok = get_int(c, v, false, &out->i[0]);
		out->i[1] = out->i[0];
		return ok;
	}
	if (!list_len(c, v, "2", v->list.n == 2))
		return false;
	bool ok = get_int(c, v->list.v[0], true, &out->i[0]);
	return get_int(c, v->list.v[1], true, &out->i[1]) && ok;
}

/* pad = top, left, bottom, right; [h, w] pads both sides alike. */
static bool conv_pad(struct actx *c, const struct ast_value *v, struct fe_arg *out)
{
	if (v->kind == AST_VAL_IDENT) {
		int k = find_ident(v->s, pad_names, 2);
		if (k < 0)
			return unknown_ident(c, v, pad_names, 2);
		out->pad_mode = k == 0 ? IR_PAD_VALID : IR_PAD_SAME;
		return true;
	}
	out->pad_mode = IR_PAD_EXPLICIT;
	out->n = 4;
	if (v->kind != AST_VAL_LIST) {
		bool ok = get_int(c, v, false, &out->i[0]);
		out->i[1] = out->i[2] = out->i[3] = out->i[0];
		return ok;
	}
	unsigned n = v->list.n;
	if (!list_len(c, v, "2 or 4", n == 2 || n == 4))
		return false;
	bool ok = true;
	for (unsigned k = 0; k < n; k++)
		ok = get_int(c, v->list.v[k], true, &out->i[k]) && ok;
	if (n == 2) {
		out->i[2] = out->i[0];
		out->i[3] = out->i[1];
	}
	return ok;
}

static bool conv_axis(struct actx *c, const struct ast_value *v, struct fe_arg *out)
{
	if (v->kind == AST_VAL_IDENT) {
		static const char *const names[] = { "channel" };
		if (strcmp(v->s, "channel"))
			return unknown_ident(c, v, names, 1);
		out->i[0] = IR_AXIS_CHANNEL;
		return true;
	}
	if (!get_int(c, v, false, &out->i[0]))
		return false;
	if (v->i >= -IR_MAX_RANK && v->i < IR_MAX_RANK)
		return true;
	diag_error(c->d, v->loc, "'%s' must be between %d and %d, got %" PRId64, c->p->name,
	           -IR_MAX_RANK, IR_MAX_RANK - 1, v->i);
	return false;
}

static bool conv_floats(struct actx *c, const struct ast_value *v, struct fe_arg *out)
{
	double x;
	if (v->kind != AST_VAL_LIST) {
		float *fs = arena_alloc(c->a, sizeof *fs);
		bool ok = get_number(c, v, false, &x);
		fs[0] = (float)x;
		out->fs = fs;
		out->n = 1;
		return ok;
	}
	if (v->list.n == 0) {
		diag_error(c->d, v->loc, "'%s' needs at least one value", c->p->name);
		return false;
	}
	float *fs = arena_array(c->a, v->list.n, sizeof *fs);
	bool ok = true;
	for (unsigned k = 0; k < v->list.n; k++) {
		x = 0;
		ok = get_number(c, v->list.v[k], true, &x) && ok;
		fs[k] = (float)x;
	}
	out->fs = fs;
	out->n = v->list.n;
	return ok;
}

/* Dimensions after the batch: each positive, or one -1 to infer. */
static bool conv_dims(struct actx *c, const struct ast_value *v, struct fe_arg *out)
{
	if (v->kind != AST_VAL_LIST)
		return type_error(c, v);
	unsigned n = v->list.n;
	if (n == 0 || n > IR_MAX_RANK - 1) {
		diag_error(c->d, v->loc,
		           "'%s' needs 1 to %d dimensions (the batch is implicit), got %u",
		           c->p->name, IR_MAX_RANK - 1, n);
		return false;
	}
	bool ok = true, inferred = false;
	for (unsigned k = 0; k < n; k++) {
		const struct ast_value *e = v->list.v[k];
		if (!get_int(c, e, true, &out->i[k])) {
			ok = false;
		} else if (e->i == -1 && inferred) {
			diag_error(c->d, e->loc, "'%s' may contain only one -1", c->p->name);
			ok = false;
		} else if (e->i < 1 && e->i != -1) {
			diag_error(c->d, e->loc,
			           "dimension in '%s' must be positive or -1, got %" PRId64,
			           c->p->name, e->i);
			ok = false;
		}
		inferred = inferred || e->i == -1;
	}
	out->n = n;
	return ok;
}

/* An integer (a list of one) or a non-empty list of integers. */
static bool conv_ints(struct actx *c, const struct ast_value *v, struct fe_arg *out)
{
	if (v->kind != AST_VAL_LIST) {
		int64_t *is = arena_alloc(c->a, sizeof *is);
		out->is = is;
		out->n = 1;
		return get_int(c, v, false, is);
	}
	if (v->list.n == 0) {
		diag_error(c->d, v->loc, "'%s' needs at least one value", c->p->name);
		return false;
	}
	int64_t *is = arena_array(c->a, v->list.n, sizeof *is);
	bool ok = true;
	for (unsigned k = 0; k < v->list.n; k++)
		ok = get_int(c, v->list.v[k], true, &is[k]) && ok;
	out->is = is;
	out->n = v->list.n;
	return ok;
}

/* The dtype spelled name, or IR_DT_NONE after an error at loc. */
static enum ir_dtype dtype_named(struct actx *c, const char *name, struct src_span loc)
{
	enum ir_dtype dt = ir_dtype_from_name(name);
	if (!dt)
		diag_error(c->d, loc, "unknown dtype '%s' in '%s' (expected f32, i64, i32, bool, i8, "
		           "u8, i16, u16, u32 or u64)", name, c->p->name);
	return dt;
}

/* DTYPE[d0, ...]: 0 to IR_MAX_RANK positive dimensions whose size fits. */
static bool conv_type(struct actx *c, const struct ast_value *v, struct fe_arg *out)
{
	if (v->kind != AST_VAL_TYPE)
		return type_error(c, v);
	enum ir_dtype dt = dtype_named(c, v->s, v->loc);
	if (!dt)
		return false;
	unsigned n = v->list.n;
	if (n > IR_MAX_RANK) { /* 0: a scalar */
		diag_error(c->d, v->loc, "'%s' needs 0 to %d dimensions, got %u", c->p->name,
		           IR_MAX_RANK, n);
		return false;
	}
	bool ok = true, overflow = false;
	int64_t bytes = (int64_t)ir_dtype_size(dt);
	for (unsigned k = 0; k < n; k++) {
		const struct ast_value *e = v->list.v[k];
		if (!get_int(c, e, true, &out->i[k])) {
			ok = false;
		} else if (e->i < 1) {
			diag_error(c->d, e->loc, "dimension in '%s' must be positive, got %" PRId64,
			           c->p->name, e->i);
			ok = false;
		} else {
			overflow = overflow || ckd_mul_i64(&bytes, bytes, e->i) ||
			           bytes > IR_MAX_TENSOR_BYTES;
		}
	}
	if (ok && overflow) {
		diag_error(c->d, v->loc, "'%s' is too large (more than %" PRId64 " bytes)", c->p->name,
		           (int64_t)IR_MAX_TENSOR_BYTES);
		ok = false;
	}
	out->dtype = dt;
	out->n = n;
	return ok;
}

static bool convert(struct actx *c, const struct ast_value *v, struct fe_arg *out)
{
	int k;
	switch (c->p->type) {
	case FE_PT_INT: out->n = 1; return get_int(c, v, false, &out->i[0]);
	case FE_PT_INT2: return conv_int2(c, v, out);
	case FE_PT_PAD: return conv_pad(c, v, out);
	case FE_PT_FLOAT: return get_number(c, v, false, &out->f);
	case FE_PT_BOOL:
	case FE_PT_ACT: {
		bool is_bool = c->p->type == FE_PT_BOOL;
		const char *const *names = is_bool ? bool_names : act_names;
		size_t n = is_bool ? 2 : 5;
		if (v->kind != AST_VAL_IDENT)
			return type_error(c, v);
		if ((k = find_ident(v->s, names, n)) < 0)
			return unknown_ident(c, v, names, n);
		out->i[0] = k;
		out->op = is_bool ? IR_OP_NONE : act_ops[k];
		return true;
	}
	case FE_PT_AXIS: return conv_axis(c, v, out);
	case FE_PT_FLOATS: return conv_floats(c, v, out);
	case FE_PT_DIMS: return conv_dims(c, v, out);
	case FE_PT_STRING:
		if (v->kind != AST_VAL_STRING)
			return type_error(c, v);
		if (!v->s[0]) {
			diag_error(c->d, v->loc, "'%s' must not be empty", c->p->name);
			return false;
		}
		out->s = v->s;
		return true;
	case FE_PT_INTS: return conv_ints(c, v, out);
	case FE_PT_TYPE: return conv_type(c, v, out);
	case FE_PT_WORD:
		if (v->kind != AST_VAL_IDENT)
			return type_error(c, v);
		out->s = v->s;
		out->n = 1;
		return true;
	case FE_PT_DTYPE:
		if (v->kind != AST_VAL_IDENT)
			return type_error(c, v);
		out->dtype = dtype_named(c, v->s, v->loc);
		out->n = 1;
		return out->dtype != IR_DT_NONE;
	case FE_PT_NONE: break;
	}
	DLC_UNREACHABLE("parameter without a type");
}

/* The table default (source text: a number or an identifier) as a value. */
static struct ast_value default_value(const char *text, struct src_span at)
{
	struct ast_value v = { .kind = AST_VAL_IDENT, .loc = at, .s = text };
	if (isdigit((unsigned char)text[0]) || text[0] == '-') {
		char *end;
		if (strpbrk(text, ".eE")) {
			v.kind = AST_VAL_FLOAT;
			v.f = strtod(text, &end);
		} else {
			v.kind = AST_VAL_INT;
			v.i = strtoll(text, &end, 10);
		}
		DLC_ASSERT(*end == '\0');
	}
	return v;
}

/* ---- matching ---- */

static int find_param(const struct fe_param *params, unsigned np, const char *name)
{
	for (unsigned k = 0; k < np; k++)
		if (!strcmp(params[k].name, name))
			return (int)k;
	return -1;
}

static void unknown_param(struct arena *a, struct diag *d, const char *what,
                          const struct fe_param *params, unsigned np, const struct ast_arg *arg)
{
	const char *names[FE_MAX_LAYER_PARAMS];
	for (unsigned k = 0; k < np; k++)
		names[k] = params[k].name;
	const char *best = fe_closest(arg->key.s, names, np);
	if (np == 0)
		diag_error(d, arg->key.loc, "'%s' takes no arguments, got '%s'", what, arg->key.s);
	else
		diag_error(d, arg->key.loc, "'%s' has no parameter '%s'%s", what, arg->key.s,
		           fe_did_you_mean(a, best));
}

static void too_many(struct diag *d, const char *what, unsigned npos, unsigned given,
                     const struct ast_arg *arg)
{
	if (npos == 0)
		diag_error(d, arg->loc, "'%s' takes no positional arguments", what);
	else
		diag_error(d, arg->loc,
		           "too many arguments: '%s' takes at most %u positional "
		           "argument%s, got %u",
		           what, npos, npos == 1 ? "" : "s", given);
}

/* Assigns arguments to parameter slots; returns false on errors. */
static bool match(struct arena *a, struct diag *d, const char *what, const struct fe_param *params,
                  unsigned np, const struct ast_args *args, const struct ast_arg **slot)
{
	unsigned npos = 0, given = 0, pos = 0;
	while (npos < np && !(params[npos].flags & FE_PF_KEYWORD))
		npos++;
	for (uint32_t i = 0; i < args->n; i++)
		given += !args->v[i].key.s;
	bool ok = true, keyword_seen = false, reported_many = false;
	for (uint32_t i = 0; i < args->n; i++) {
		const struct ast_arg *arg = &args->v[i];
		if (!arg->key.s && keyword_seen) {
			diag_error(d, arg->loc, "positional argument after keyword argument");
			ok = false;
		} else if (!arg->key.s && pos >= npos) {
			if (!reported_many)
				too_many(d, what, npos, given, arg);
			reported_many = true;
			ok = false;
		} else if (!arg->key.s) {
			slot[pos++] = arg;
		} else {
			keyword_seen = true;
			int k = find_param(params, np, arg->key.s);
			if (k < 0) {
				unknown_param(a, d, what, params, np, arg);
				ok = false;
			} else if (slot[k]) {
				diag_error(d, arg->key.loc, "duplicate argument '%s'", arg->key.s);
				diag_note(d, slot[k]->loc, "'%s' was first given here", arg->key.s);
				ok = false;
			} else {
				slot[k] = arg;
			}
		}
	}
	return ok;
}

bool fe_check_args(struct arena *a, struct diag *d, const char *what, const struct fe_param *params,
                   unsigned np, const struct ast_args *args, struct src_span call,
                   struct fe_arg *out)
{
	const struct ast_arg *slot[FE_MAX_LAYER_PARAMS] = { 0 };
	DLC_ASSERT(np <= FE_MAX_LAYER_PARAMS);
	bool matched = match(a, d, what, params, np, args, slot), ok = matched;
	for (unsigned k = 0; k < np; k++) {
		const struct fe_param *p = &params[k];
		struct actx c = { a, d, p };
		memset(&out[k], 0, sizeof out[k]);
		out[k].loc = call;
		if (slot[k]) {
			out[k].given = true;
			out[k].loc = slot[k]->val->loc;
			ok = convert(&c, slot[k]->val, &out[k]) && ok;
		} else if (!p->def) {
			/* after a matching error the "missing" one is likely a cascade */
			if (matched)
				diag_error(d, call, "'%s' is missing required argument '%s'", what,
				           p->name);
			ok = false;
		} else if (!(p->flags & FE_PF_DERIVED)) {
			struct ast_value v = default_value(p->def, call);
			bool def_ok = convert(&c, &v, &out[k]);
			DLC_ASSERT(def_ok);
		}
	}
	return ok;
}
