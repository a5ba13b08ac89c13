/* dl_text.c - the text primitives of the .dl writer (dl_writer.h): a
 * statement's head, its arguments in the language's spelling, its inputs,
 * and the weights it reads under their keys.
 *
 * Floats are printed in the shortest form that reads back to the same
 * f32, so the program reproduces every attribute bit for bit. */
#include <float.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "dl_writer.h"

unsigned dlw_rank(struct writer *w, uint32_t v)
{
	return ir_val(w->g, v)->type.rank;
}

void dlw_error(struct writer *w, const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	diag_error(w->d, w->cur->loc, "cannot write node '%s' (%s) as a .dl program: %s",
	           w->cur->name, ir_op_table[w->cur->op].name, msg);
	w->ok = false;
}

struct ir_node *dlw_def_node(struct writer *w, uint32_t v)
{
	const struct ir_value *val = ir_val(w->g, v);
	return val->kind == IR_VAL_NODE ? ir_node(w->g, val->node) : NULL;
}

/* The shortest decimal that reads back (strtod, then to f32) as v; the
 * lexer reads numbers the same way. Infinities are written as 1e39, which
 * rounds to infinity as f32. */
const char *dlw_float(struct writer *w, char *buf, size_t n, float v)
{
	if (isnan(v)) {
		dlw_error(w, "an attribute is NaN");
		return "0";
	}
	if (isinf(v))
		return v > 0 ? "1e39" : "-1e39";
	/* The language also wants the decimal itself within f32's range, so
	 * FLT_MAX needs all 17 digits. */
	for (int prec = 1; prec <= 17; prec++) {
		snprintf(buf, n, "%.*g", prec, (double)v);
		double back = strtod(buf, NULL);
		if ((float)back == v && fabs(back) <= FLT_MAX)
			break;
	}
	return buf;
}

void dlw_begin(struct writer *w, const char *ident, enum fe_layer_id layer)
{
	DLC_ASSERT(layer != FE_LAYER_NONE);
	fprintf(w->out, "%s = %s(", ident, fe_layers[layer].name);
	w->nargs = 0;
}

void dlw_arg(struct writer *w, const char *fmt, ...)
{
	if (w->nargs++)
		fputs(", ", w->out);
	va_list ap;
	va_start(ap, fmt);
	vfprintf(w->out, fmt, ap);
	va_end(ap);
}

void dlw_arg_float(struct writer *w, const char *key, float v)
{
	char buf[40];
	dlw_arg(w, "%s=%s", key, dlw_float(w, buf, sizeof buf, v));
}

void dlw_arg_ints(struct writer *w, const char *key, const int64_t *v, unsigned n)
{
	dlw_arg(w, "%s=[", key);
	for (unsigned i = 0; i < n; i++)
		fprintf(w->out, "%s%" PRId64, i ? ", " : "", v[i]);
	fputc(']', w->out);
}

/* int2 values: `k` when both are equal. */
void dlw_arg_int2(struct writer *w, const char *key, const int64_t *v)
{
	if (v[0] == v[1])
		dlw_arg(w, "%s=%" PRId64, key, v[0]);
	else
		dlw_arg_ints(w, key, v, 2);
}

/* Padding as given (same/valid keep their mode), explicit pads in the
 * shortest of p, [ph, pw], [top, left, bottom, right]. */
void dlw_arg_pad(struct writer *w, enum ir_pad_mode mode, const int64_t *p, bool valid_default)
{
	if (mode == IR_PAD_SAME)
		dlw_arg(w, "padding=same");
	else if (mode == IR_PAD_VALID) {
		if (!valid_default)
			dlw_arg(w, "padding=valid");
	} else if (p[0] == p[1] && p[1] == p[2] && p[2] == p[3])
		dlw_arg(w, "padding=%" PRId64, p[0]);
	else if (p[0] == p[2] && p[1] == p[3])
		dlw_arg_ints(w, "padding", p, 2);
	else
		dlw_arg_ints(w, "padding", p, 4);
}

void dlw_string(FILE *out, const char *s)
{
	fputc('"', out);
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			fprintf(out, "\\%c", *s);
		else if (*s == '\n')
			fputs("\\n", out);
		else if (*s == '\t')
			fputs("\\t", out);
		else
			fputc(*s, out);
	}
	fputc('"', out);
}

/* Closes the arguments and lists the inputs by identifier. */
void dlw_end_named(struct writer *w, const char *in)
{
	fprintf(w->out, ")(%s)\n", in);
}

void dlw_end(struct writer *w, const uint32_t *in, unsigned nin)
{
	fputs(")(", w->out);
	for (unsigned i = 0; i < nin; i++) {
		DLC_ASSERT(w->ident[in[i]]);
		fprintf(w->out, "%s%s", i ? ", " : "", w->ident[in[i]]);
	}
	fputs(")\n", w->out);
}

void dlw_add_tensor(struct writer *w, const char *key, uint32_t v)
{
	const struct ir_value *val = ir_val(w->g, v);
	if (!val->data || val->type.dtype == IR_DT_NONE) {
		dlw_error(w, "constant '%s' has no data", val->name);
		return;
	}
	if (w->ntensors == w->captensors) {
		uint32_t cap = w->captensors ? 2 * w->captensors : 32;
		w->tensors = arena_grow(w->a, w->tensors, w->ntensors, cap, sizeof *w->tensors);
		w->captensors = cap;
	}
	struct st_tensor *t = &w->tensors[w->ntensors++];
	memset(t, 0, sizeof *t);
	t->name = key;
	t->dtype = st_dtype_of_ir(val->type.dtype);
	t->rank = val->type.rank;
	memcpy(t->dims, val->type.dims, sizeof t->dims);
	t->data = val->data;
	t->nbytes = (uint64_t)ir_type_bytes(&val->type);
}

static bool prefix_free(struct writer *w, const char *p, const struct wref *r, unsigned n)
{
	if (!*p || strmap_has(&w->prefixes, p))
		return false;
	for (unsigned i = 0; i < n; i++)
		if (strmap_has(&w->keys, arena_printf(w->a, "%s.%s", p, r[i].suffix)))
			return false;
	return true;
}

/* The prefix of a layer's weights: the one its keys already share when
 * they follow `<prefix>.<suffix>`, else the statement's identifier (made
 * unique). Records the tensors under the resulting keys. */
const char *dlw_weight_prefix(struct writer *w, const char *ident, const struct wref *r, unsigned n)
{
	const char *p = NULL;
	if (n) {
		const char *key = ir_val(w->g, r[0].v)->name;
		size_t kl = strlen(key), sl = strlen(r[0].suffix);
		if (kl > sl + 1 && key[kl - sl - 1] == '.' && !strcmp(key + kl - sl, r[0].suffix))
			p = arena_strndup(w->a, key, kl - sl - 1);
		for (unsigned i = 0; p && i < n; i++)
			if (strcmp(ir_val(w->g, r[i].v)->name,
			           arena_printf(w->a, "%s.%s", p, r[i].suffix)))
				p = NULL;
	}
	if (!p || !prefix_free(w, p, r, n)) {
		p = ident;
		for (unsigned k = 2; !prefix_free(w, p, r, n); k++)
			p = arena_printf(w->a, "%s_%u", ident, k);
	}
	strmap_put(&w->prefixes, p, 0);
	for (unsigned i = 0; i < n; i++) {
		const char *key = arena_printf(w->a, "%s.%s", p, r[i].suffix);
		strmap_put(&w->keys, key, 0);
		dlw_add_tensor(w, key, r[i].v);
	}
	return p;
}

void dlw_arg_params(struct writer *w, const char *ident, const char *prefix)
{
	if (!strcmp(ident, prefix))
		return;
	dlw_arg(w, "params=");
	dlw_string(w->out, prefix);
}

/* conv2d, dense, batchnorm, embedding: one weight per present slot. */
void dlw_layer_weights(struct writer *w, const struct ir_node *n, const char *ident)
{
	struct wref r[IR_MAX_PARAMS];
	unsigned cnt = 0;
	for (unsigned k = 0; k < ir_op_table[n->op].nparams; k++)
		if (n->param[k] != IR_NONE)
			r[cnt++] = (struct wref){n->param[k], ir_param_info(n->op, k)->pytorch};
	dlw_arg_params(w, ident, dlw_weight_prefix(w, ident, r, cnt));
}

void dlw_check_layout(struct writer *w, enum ir_layout l)
{
	if (l != w->layout)
		dlw_error(w,
		          "its layout is %s but the model's is %s (the language takes the "
		          "layout from the 4-D inputs)",
		          ir_layout_name(l), ir_layout_name(w->layout));
}

void dlw_arg_floats(struct writer *w, const char *key, const float *v, int64_t n)
{
	char buf[40];
	dlw_arg(w, "%s=[", key);
	for (int64_t i = 0; i < n; i++)
		fprintf(w->out, "%s%s", i ? ", " : "", dlw_float(w, buf, sizeof buf, v[i]));
	fputc(']', w->out);
}

void dlw_arg_int_list(struct writer *w, const char *key, const int *v, unsigned n)
{
	int64_t wide[IR_MAX_RANK];
	for (unsigned i = 0; i < n; i++)
		wide[i] = v[i];
	dlw_arg_ints(w, key, wide, n);
}
