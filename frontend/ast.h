/* ast.h - the syntax tree of a .dl model, as the parser builds it.
 *
 * The tree mirrors the source closely and knows nothing about layers:
 * a model is a list of statements, a layer statement is a call with
 * positional and keyword arguments whose values are numbers, identifiers,
 * strings or lists. Meaning (which layer, which parameter, which type) is
 * given by check.c against layers.def. Every node carries the byte span
 * it came from so later stages can point at it. All memory is arena-owned. */
#ifndef DLC_AST_H
#define DLC_AST_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "arena.h"
#include "diag.h"

enum ast_value_kind {
	AST_VAL_NONE,
	AST_VAL_INT,    /* 64, -1, 0x10 */
	AST_VAL_FLOAT,  /* 0.5, 1e-5, and every fraction a/b */
	AST_VAL_IDENT,  /* same, relu, true */
	AST_VAL_STRING, /* "path" */
	AST_VAL_LIST,   /* [1, 2] or (3, 3) */
	AST_VAL_TYPE,   /* f32[1, 64, 1, 1]: s is the dtype, list the dims */
};

struct ast_value;

/* Growable arrays; the parser appends with the ast_*_push functions. */
struct ast_values {
	struct ast_value **v;
	uint32_t n, cap;
};

struct ast_name {
	const char *s; /* NULL = absent */
	struct src_span loc;
};

struct ast_names {
	struct ast_name *v;
	uint32_t n, cap;
};

struct ast_value {
	enum ast_value_kind kind;
	struct src_span loc;
	int64_t i;              /* INT */
	double f;               /* FLOAT */
	const char *s;          /* IDENT, STRING (escapes resolved), TYPE's dtype */
	struct ast_values list; /* LIST, TYPE's dims */
	bool paren;             /* LIST written as a tuple (...) */
};

struct ast_arg {
	struct ast_name key; /* key.s == NULL for a positional argument */
	struct ast_value *val;
	struct src_span loc; /* key=value or just the value */
};

struct ast_args {
	struct ast_arg *v;
	uint32_t n, cap;
};

enum ast_stmt_kind {
	AST_STMT_NONE,
	AST_STMT_MODEL,   /* model NAME */
	AST_STMT_INPUT,   /* input NAME: DTYPE[dims] [layout] */
	AST_STMT_WEIGHTS, /* weights "path" [convention] | weights FUNC(args) */
	AST_STMT_LAYER,   /* [NAME =] LAYER(args)[(inputs)] */
	AST_STMT_OUTPUT,  /* output a, b */
};

/* One statement. Which fields are used depends on kind:
 *   MODEL    name
 *   INPUT    name, dtype, dims (a LIST value), layout (optional)
 *   WEIGHTS  path (a STRING value) and convention (optional), or
 *            func and args for a generator such as random(seed=1)
 *   LAYER    name (optional), func (the layer), args, inputs when
 *            has_inputs, call (span of `func(args)` for messages)
 *   OUTPUT   inputs (the listed names) */
struct ast_stmt {
	enum ast_stmt_kind kind;
	struct src_span loc; /* whole statement without its terminator */
	uint32_t line, col;  /* of loc.begin, for the printer */
	struct ast_name name;
	struct ast_name dtype, layout, convention;
	struct ast_value *dims, *path;
	struct ast_name func;
	struct ast_args args;
	struct src_span call;
	bool has_inputs;
	struct ast_names inputs;
	struct src_span inputs_loc; /* the parenthesised input list */
};

struct ast_model {
	uint32_t file;
	struct ast_stmt **stmts;
	uint32_t nstmts, capstmts;
};

/* ---- constructors (used by the parser) ---- */
struct ast_value *ast_int(struct arena *a, struct src_span loc, int64_t i);
struct ast_value *ast_float(struct arena *a, struct src_span loc, double f);
struct ast_value *ast_ident(struct arena *a, struct src_span loc, const char *s);
struct ast_value *ast_string(struct arena *a, struct src_span loc, const char *s);
/* A list value holding `items` (taken over, not copied). */
struct ast_value *ast_list(struct arena *a, struct src_span loc, const struct ast_values *items,
                           bool paren);
/* A tensor type value `dtype[dims]`; dims is a LIST value (taken over). */
struct ast_value *ast_tensor_type(struct arena *a, struct src_span loc, const char *dtype,
                                  const struct ast_value *dims);
struct ast_stmt *ast_stmt_new(struct arena *a, enum ast_stmt_kind kind, struct src_span loc);

void ast_values_push(struct arena *a, struct ast_values *l, struct ast_value *v);
void ast_args_push(struct arena *a, struct ast_args *l, struct ast_arg arg);
void ast_names_push(struct arena *a, struct ast_names *l, struct ast_name n);
void ast_model_push(struct arena *a, struct ast_model *m, struct ast_stmt *s);

/* ---- helpers for the checker and the printer ---- */
const char *ast_stmt_kind_name(enum ast_stmt_kind k);
/* "a string", "an integer", "identifier 'relu'", ... for messages. */
const char *ast_value_describe(struct arena *a, const struct ast_value *v);
/* Prints a value as source text: numbers canonical, strings escaped. */
void ast_print_value(FILE *out, const struct ast_value *v);

#endif
