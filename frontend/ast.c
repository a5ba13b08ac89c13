/* ast.c - syntax tree constructors and the --emit=ast printer.
 *
 * The printer writes one statement per line, prefixed by its line:column,
 * in a normalised source form: numbers in their shortest round-trip
 * spelling (fractions evaluated), strings re-escaped, keyword arguments
 * after positional ones as written. The output is stable across runs and
 * re-parses to the same tree. */
#include "ast.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "frontend.h"

struct ast_value *ast_int(struct arena *a, struct src_span loc, int64_t i)
{
	struct ast_value *v = arena_alloc(a, sizeof *v);
	v->kind = AST_VAL_INT;
	v->loc = loc;
	v->i = i;
	return v;
}

struct ast_value *ast_float(struct arena *a, struct src_span loc, double f)
{
	struct ast_value *v = arena_alloc(a, sizeof *v);
	v->kind = AST_VAL_FLOAT;
	v->loc = loc;
	v->f = f;
	return v;
}

struct ast_value *ast_ident(struct arena *a, struct src_span loc, const char *s)
{
	struct ast_value *v = arena_alloc(a, sizeof *v);
	v->kind = AST_VAL_IDENT;
	v->loc = loc;
	v->s = s;
	return v;
}

struct ast_value *ast_string(struct arena *a, struct src_span loc, const char *s)
{
	struct ast_value *v = ast_ident(a, loc, s);
	v->kind = AST_VAL_STRING;
	return v;
}

struct ast_value *ast_list(struct arena *a, struct src_span loc, const struct ast_values *items,
                           bool paren)
{
	struct ast_value *v = arena_alloc(a, sizeof *v);
	v->kind = AST_VAL_LIST;
	v->loc = loc;
	if (items)
		v->list = *items;
	v->paren = paren;
	return v;
}

struct ast_value *ast_tensor_type(struct arena *a, struct src_span loc, const char *dtype,
                                  const struct ast_value *dims)
{
	struct ast_value *v = ast_list(a, loc, &dims->list, false);
	v->kind = AST_VAL_TYPE;
	v->s = dtype;
	return v;
}

struct ast_stmt *ast_stmt_new(struct arena *a, enum ast_stmt_kind kind, struct src_span loc)
{
	struct ast_stmt *s = arena_alloc(a, sizeof *s);
	s->kind = kind;
	s->loc = loc;
	return s;
}

/* Doubling growth keeps appends amortised O(1) in the arena. */
static void *grow(struct arena *a, void *old, uint32_t n, uint32_t *cap, size_t size)
{
	if (n < *cap)
		return old;
	DLC_ASSERT(n < UINT32_MAX / 2);
	uint32_t c = *cap ? *cap * 2 : 4;
	void *p = arena_grow(a, old, n, c, size);
	*cap = c;
	return p;
}

void ast_values_push(struct arena *a, struct ast_values *l, struct ast_value *v)
{
	l->v = grow(a, l->v, l->n, &l->cap, sizeof *l->v);
	l->v[l->n++] = v;
}

void ast_args_push(struct arena *a, struct ast_args *l, struct ast_arg arg)
{
	l->v = grow(a, l->v, l->n, &l->cap, sizeof *l->v);
	l->v[l->n++] = arg;
}

void ast_names_push(struct arena *a, struct ast_names *l, struct ast_name n)
{
	l->v = grow(a, l->v, l->n, &l->cap, sizeof *l->v);
	l->v[l->n++] = n;
}

void ast_model_push(struct arena *a, struct ast_model *m, struct ast_stmt *s)
{
	m->stmts = grow(a, m->stmts, m->nstmts, &m->capstmts, sizeof *m->stmts);
	m->stmts[m->nstmts++] = s;
}

const char *ast_stmt_kind_name(enum ast_stmt_kind k)
{
	switch (k) {
	case AST_STMT_MODEL: return "model";
	case AST_STMT_INPUT: return "input";
	case AST_STMT_WEIGHTS: return "weights";
	case AST_STMT_LAYER: return "layer";
	case AST_STMT_OUTPUT: return "output";
	case AST_STMT_NONE: break;
	}
	return "none";
}

const char *ast_value_describe(struct arena *a, const struct ast_value *v)
{
	switch (v->kind) {
	case AST_VAL_INT: return "an integer";
	case AST_VAL_FLOAT: return "a number";
	case AST_VAL_STRING: return "a string";
	case AST_VAL_LIST: return "a list";
	case AST_VAL_TYPE: return arena_printf(a, "tensor type '%s[...]'", v->s);
	case AST_VAL_IDENT: return arena_printf(a, "identifier '%s'", v->s);
	case AST_VAL_NONE: break;
	}
	return "nothing";
}

/* The shortest %g spelling that reads back as the same double, with a
 * ".0" added when it would otherwise look like an integer; whole numbers
 * are written out in full. */
static void print_double(FILE *out, double f)
{
	char buf[40];
	if (f > -1e15 && f < 1e15 && f == (double)(int64_t)f) {
		fprintf(out, "%.1f", f); /* 2000.0, not 2e+03 */
		return;
	}
	for (int prec = 1; prec <= 17; prec++) {
		snprintf(buf, sizeof buf, "%.*g", prec, f);
		if (strtod(buf, NULL) == f)
			break;
	}
	fputs(buf, out);
	if (!strpbrk(buf, ".eEni"))
		fputs(".0", out);
}

static void print_string(FILE *out, const char *s)
{
	fputc('"', out);
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p == '"' || *p == '\\')
			fprintf(out, "\\%c", *p);
		else if (*p == '\n')
			fputs("\\n", out);
		else if (*p == '\t')
			fputs("\\t", out);
		else if (*p < 0x20 || *p == 0x7f)
			fprintf(out, "\\x%02x", *p);
		else
			fputc(*p, out);
	}
	fputc('"', out);
}

static void print_list(FILE *out, const struct ast_value *v)
{
	fputc(v->paren ? '(' : '[', out);
	for (uint32_t i = 0; i < v->list.n; i++) {
		if (i)
			fputs(", ", out);
		ast_print_value(out, v->list.v[i]);
	}
	if (v->paren && v->list.n == 1)
		fputc(',', out);
	fputc(v->paren ? ')' : ']', out);
}

void ast_print_value(FILE *out, const struct ast_value *v)
{
	switch (v->kind) {
	case AST_VAL_INT: fprintf(out, "%" PRId64, v->i); break;
	case AST_VAL_FLOAT: print_double(out, v->f); break;
	case AST_VAL_IDENT: fputs(v->s, out); break;
	case AST_VAL_STRING: print_string(out, v->s); break;
	case AST_VAL_LIST: print_list(out, v); break;
	case AST_VAL_TYPE:
		fputs(v->s, out);
		print_list(out, v);
		break;
	case AST_VAL_NONE: fputs("?", out); break;
	}
}

static void print_args(FILE *out, const struct ast_args *args)
{
	fputc('(', out);
	for (uint32_t i = 0; i < args->n; i++) {
		if (i)
			fputs(", ", out);
		if (args->v[i].key.s)
			fprintf(out, "%s=", args->v[i].key.s);
		ast_print_value(out, args->v[i].val);
	}
	fputc(')', out);
}

static void print_names(FILE *out, const struct ast_names *names)
{
	for (uint32_t i = 0; i < names->n; i++)
		fprintf(out, "%s%s", i ? ", " : "", names->v[i].s);
}

static void print_stmt(FILE *out, const struct ast_stmt *s)
{
	fprintf(out, "%u:%u: %s", s->line, s->col, ast_stmt_kind_name(s->kind));
	switch (s->kind) {
	case AST_STMT_MODEL: fprintf(out, " %s", s->name.s); break;
	case AST_STMT_INPUT:
		fprintf(out, " %s: %s", s->name.s, s->dtype.s);
		ast_print_value(out, s->dims);
		if (s->layout.s)
			fprintf(out, " %s", s->layout.s);
		break;
	case AST_STMT_WEIGHTS:
		fputc(' ', out);
		if (s->path) {
			ast_print_value(out, s->path);
			if (s->convention.s)
				fprintf(out, " %s", s->convention.s);
		} else {
			fputs(s->func.s, out);
			print_args(out, &s->args);
		}
		break;
	case AST_STMT_LAYER:
		fputc(' ', out);
		if (s->name.s)
			fprintf(out, "%s = ", s->name.s);
		fputs(s->func.s, out);
		print_args(out, &s->args);
		if (s->has_inputs) {
			fputc('(', out);
			print_names(out, &s->inputs);
			fputc(')', out);
		}
		break;
	case AST_STMT_OUTPUT:
		fputc(' ', out);
		print_names(out, &s->inputs);
		break;
	case AST_STMT_NONE: break;
	}
	fputc('\n', out);
}

void fe_print_ast(const struct ast_model *m, FILE *out)
{
	if (!m)
		return;
	for (uint32_t i = 0; i < m->nstmts; i++)
		print_stmt(out, m->stmts[i]);
}
