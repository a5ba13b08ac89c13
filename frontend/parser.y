%code top {
/* parser.y - the .dl grammar: tokens to a syntax tree (ast.h).
 *
 * A pure LALR(1) parser with byte-offset locations. Syntax errors are
 * reported by yyreport_syntax_error as "syntax error, unexpected X,
 * expecting Y" (the expected set made exact by LAC), and the parser
 * recovers at the end of the statement (`error NEWLINE`) so every bad
 * line of a file is reported in one run. The grammar only nests through
 * list values, whose depth the scanner bounds (FE_MAX_NESTING). Meaning
 * (which layers and parameters exist) is not known here: see check.c. */
}

%code requires {
#include "parse.h"
#ifndef YY_TYPEDEF_YY_SCANNER_T
#define YY_TYPEDEF_YY_SCANNER_T
typedef void *yyscan_t;
#endif
}

%code {
#include <string.h>

#include "check.h"
#include "frontend.h"

int yylex(YYSTYPE *lval, YYLTYPE *lloc, yyscan_t scanner);
static void yyerror(YYLTYPE *loc, yyscan_t scanner, struct fe_state *st, const char *msg);

#define YYLLOC_DEFAULT(cur, rhs, n)                               \
	do {                                                      \
		if (n) {                                          \
			(cur).begin = YYRHSLOC(rhs, 1).begin;     \
			(cur).end = YYRHSLOC(rhs, n).end;         \
		} else {                                          \
			(cur).begin = (cur).end = YYRHSLOC(rhs, 0).end; \
		}                                                 \
	} while (0)

#define SPAN(l) fe_span(st, (l))

static struct ast_stmt *layer_call(struct fe_state *st, struct ast_name func,
                                   struct ast_args *args, YYLTYPE call);
static struct ast_value *fraction(struct fe_state *st, struct ast_value *num,
                                  struct ast_value *den, YYLTYPE loc);
static struct ast_value *negate(struct fe_state *st, struct ast_value *v, YYLTYPE loc);
}

%define api.pure full
%define api.location.type {struct fe_loc}
%locations
%define parse.error custom
%define parse.lac full
%define api.token.prefix {TOK_}
%expect 0
%param {yyscan_t scanner}
%parse-param {struct fe_state *st}

%union {
	int64_t i;
	double f;
	const char *str;
	bool flag;
	struct ast_name name;
	struct ast_names *names;
	struct ast_value *val;
	struct ast_values *vals;
	struct ast_arg arg;
	struct ast_args *args;
	struct ast_stmt *stmt;
}

%token NEWLINE "end of line"
%token MODEL "'model'" INPUT "'input'" WEIGHTS "'weights'" OUTPUT "'output'"
%token <str> IDENT "identifier"
%token <i> INT "integer"
%token <f> FLOAT "number"
%token <str> STRING "string"
%token '(' ')' '[' ']' ',' '=' ':' '-' '/'

%type <stmt> stmt layer
%type <name> name opt_name
%type <names> names
%type <args> args arglist
%type <arg> arg
%type <val> value number scalar list
%type <vals> items
%type <flag> opt_comma

%%

program:
	%empty
|	program line
;

line:
	NEWLINE
|	stmt NEWLINE {
		$1->loc = SPAN(@1);
		if (st->model->nstmts >= FE_MAX_STATEMENTS) {
			diag_error(st->d, SPAN(@1), "model has more than %u statements; dlc accepts at "
			           "most %u", FE_MAX_STATEMENTS, FE_MAX_STATEMENTS);
			YYABORT; /* bounded time and memory for any input */
		}
		ast_model_push(st->a, st->model, $1);
	}
|	error NEWLINE      { yyerrok; }
;

stmt:
	MODEL name         { $$ = ast_stmt_new(st->a, AST_STMT_MODEL, SPAN(@$)); $$->name = $2; }
|	INPUT name ':' name list opt_name {
		$$ = ast_stmt_new(st->a, AST_STMT_INPUT, SPAN(@$));
		$$->name = $2;
		$$->dtype = $4;
		$$->dims = $5;
		$$->layout = $6;
	}
|	WEIGHTS STRING opt_name {
		$$ = ast_stmt_new(st->a, AST_STMT_WEIGHTS, SPAN(@$));
		$$->path = ast_string(st->a, SPAN(@2), $2);
		$$->convention = $3;
	}
|	WEIGHTS name '(' args ')' {
		$$ = ast_stmt_new(st->a, AST_STMT_WEIGHTS, SPAN(@$));
		$$->func = $2;
		$$->args = *$4;
	}
|	OUTPUT names       { $$ = ast_stmt_new(st->a, AST_STMT_OUTPUT, SPAN(@$)); $$->inputs = *$2; }
|	layer
|	name '=' layer     { $$ = $3; $$->name = $1; }
;

layer:
	name '(' args ')'  { $$ = layer_call(st, $1, $3, @$); }
|	name '(' args ')' '(' ')' {
		$$ = layer_call(st, $1, $3, @$);
		$$->has_inputs = true;
		$$->inputs_loc = SPAN(((YYLTYPE){ @5.begin, @6.end }));
		$$->call = SPAN(((YYLTYPE){ @1.begin, @4.end }));
	}
|	name '(' args ')' '(' names ')' {
		$$ = layer_call(st, $1, $3, @$);
		$$->has_inputs = true;
		$$->inputs = *$6;
		$$->inputs_loc = SPAN(((YYLTYPE){ @5.begin, @7.end }));
		$$->call = SPAN(((YYLTYPE){ @1.begin, @4.end }));
	}
;

name:
	IDENT              { $$ = (struct ast_name){ $1, SPAN(@1) }; }
;

opt_name:
	%empty             { $$ = (struct ast_name){ NULL, SPAN(@$) }; }
|	name
;

names:
	name               { $$ = arena_alloc(st->a, sizeof *$$); ast_names_push(st->a, $$, $1); }
|	names ',' name     { $$ = $1; ast_names_push(st->a, $$, $3); }
;

args:
	%empty             { $$ = arena_alloc(st->a, sizeof *$$); }
|	arglist
;

arglist:
	arg                { $$ = arena_alloc(st->a, sizeof *$$); ast_args_push(st->a, $$, $1); }
|	arglist ',' arg    { $$ = $1; ast_args_push(st->a, $$, $3); }
;

arg:
	value              { $$ = (struct ast_arg){ .val = $1, .loc = SPAN(@$) }; }
|	name '=' value     { $$ = (struct ast_arg){ .key = $1, .val = $3, .loc = SPAN(@$) }; }
;

value:
	scalar
|	IDENT              { $$ = ast_ident(st->a, SPAN(@1), $1); }
|	IDENT list         { $$ = ast_tensor_type(st->a, SPAN(@$), $1, $2); }
|	STRING             { $$ = ast_string(st->a, SPAN(@1), $1); }
|	list
|	'(' items opt_comma ')' {
		/* (x) only groups; (x,) and (x, y) are tuples */
		if ($2->n == 1 && !$3)
			$$ = $2->v[0];
		else
			$$ = ast_list(st->a, SPAN(@$), $2, true);
	}
;

list:
	'[' ']'            { $$ = ast_list(st->a, SPAN(@$), NULL, false); }
|	'[' items opt_comma ']' { $$ = ast_list(st->a, SPAN(@$), $2, false); }
;

items:
	value              { $$ = arena_alloc(st->a, sizeof *$$); ast_values_push(st->a, $$, $1); }
|	items ',' value    { $$ = $1; ast_values_push(st->a, $$, $3); }
;

opt_comma:
	%empty             { $$ = false; }
|	','                { $$ = true; }
;

scalar:
	number
|	'-' number         { $$ = negate(st, $2, @$); }
|	number '/' number  { $$ = fraction(st, $1, $3, @$); }
|	'-' number '/' number { $$ = negate(st, fraction(st, $2, $4, @$), @$); }
;

number:
	INT                { $$ = ast_int(st->a, SPAN(@1), $1); }
|	FLOAT              { $$ = ast_float(st->a, SPAN(@1), $1); }
;

%%

static struct ast_stmt *layer_call(struct fe_state *st, struct ast_name func,
                                   struct ast_args *args, YYLTYPE call)
{
	struct ast_stmt *s = ast_stmt_new(st->a, AST_STMT_LAYER, SPAN(call));
	s->func = func;
	s->args = *args;
	s->call = SPAN(call);
	return s;
}

static double value_of(const struct ast_value *v)
{
	return v->kind == AST_VAL_INT ? (double)v->i : v->f;
}

/* a/b is always a number (1/255), never an integer. */
static struct ast_value *fraction(struct fe_state *st, struct ast_value *num,
                                  struct ast_value *den, YYLTYPE loc)
{
	double d = value_of(den);
	if (d == 0) {
		diag_error(st->d, den->loc, "division by zero");
		return ast_float(st->a, SPAN(loc), 0);
	}
	return ast_float(st->a, SPAN(loc), value_of(num) / d);
}

static struct ast_value *negate(struct fe_state *st, struct ast_value *v, YYLTYPE loc)
{
	v->loc = SPAN(loc);
	if (v->kind == AST_VAL_INT)
		v->i = -v->i;
	else
		v->f = -v->f;
	return v;
}

static void yyerror(YYLTYPE *loc, yyscan_t scanner, struct fe_state *st, const char *msg)
{
	(void)scanner;
	/* The only message bison produces itself is stack exhaustion. */
	if (!strcmp(msg, "memory exhausted"))
		msg = "nesting too deep";
	diag_error(st->d, SPAN(*loc), "%s", msg);
}

/* The unexpected token, quoted from the source when its spelling helps. */
static void describe_token(struct fe_state *st, yysymbol_kind_t tok, YYLTYPE loc, char *buf,
                           size_t n)
{
	if (tok == YYSYMBOL_NEWLINE && loc.begin == loc.end) {
		snprintf(buf, n, "end of file");
		return;
	}
	if (tok == YYSYMBOL_IDENT || tok == YYSYMBOL_INT || tok == YYSYMBOL_FLOAT) {
		uint32_t len = loc.end - loc.begin;
		snprintf(buf, n, "%s '%.*s%s'", yysymbol_name(tok), len > 40 ? 40 : (int)len,
		         st->text + loc.begin, len > 40 ? "..." : "");
		return;
	}
	snprintf(buf, n, "%s", yysymbol_name(tok));
}

static bool starts_value(yysymbol_kind_t t)
{
	const char *name = yysymbol_name(t);
	return t == YYSYMBOL_INT || t == YYSYMBOL_FLOAT || t == YYSYMBOL_IDENT ||
	       t == YYSYMBOL_STRING || !strcmp(name, "'('") || !strcmp(name, "'['") ||
	       !strcmp(name, "'-'");
}

/* Writes "A", "A or B", "A, B or C" and returns how many are named;
 * tokens that can start a value are shown together as "a value" when all
 * of them are expected. */
static int describe_expected(const yysymbol_kind_t *exp, int n, char *buf, size_t size)
{
	enum { NVALUE_TOKENS = 7 };
	const char *names[YYNTOKENS + 1];
	int k = 0, nvalue = 0;
	for (int i = 0; i < n; i++)
		nvalue += starts_value(exp[i]);
	bool value = nvalue == NVALUE_TOKENS;
	if (value)
		names[k++] = "a value";
	for (int i = 0; i < n; i++)
		if (!value || !starts_value(exp[i]))
			names[k++] = yysymbol_name(exp[i]);
	size_t len = 0;
	buf[0] = '\0';
	for (int i = 0; i < k && len < size; i++) {
		const char *sep = i == 0 ? "" : i == k - 1 ? " or " : ", ";
		int w = snprintf(buf + len, size - len, "%s%s", sep, names[i]);
		len += w > 0 ? (size_t)w : 0;
	}
	return k;
}

static int yyreport_syntax_error(const yypcontext_t *ctx, yyscan_t scanner, struct fe_state *st)
{
	(void)scanner;
	enum { MAX_SHOWN = 6 };
	yysymbol_kind_t exp[YYNTOKENS];
	int n = yypcontext_expected_tokens(ctx, exp, YYNTOKENS);
	if (n < 0)
		return n;
	YYLTYPE loc = *yypcontext_location(ctx);
	yysymbol_kind_t tok = yypcontext_token(ctx);
	char what[128], expected[512];
	if (tok == YYSYMBOL_YYEMPTY) {
		diag_error(st->d, SPAN(loc), "syntax error");
		return 0;
	}
	describe_token(st, tok, loc, what, sizeof what);
	int shown = describe_expected(exp, n, expected, sizeof expected);
	if (shown > 0 && shown <= MAX_SHOWN)
		diag_error(st->d, SPAN(loc), "syntax error, unexpected %s, expecting %s", what,
		           expected);
	else
		diag_error(st->d, SPAN(loc), "syntax error, unexpected %s", what);
	return 0;
}

/* Line and column of every statement, in one sweep over the text. */
static void set_line_cols(struct fe_state *st)
{
	uint32_t line = 1, col = 1, off = 0;
	for (uint32_t i = 0; i < st->model->nstmts; i++) {
		struct ast_stmt *s = st->model->stmts[i];
		DLC_ASSERT(s->loc.begin >= off);
		for (; off < s->loc.begin; off++) {
			if (st->text[off] == '\n') {
				line++;
				col = 1;
			} else {
				col++;
			}
		}
		s->line = line;
		s->col = col;
	}
}

struct ast_model *fe_parse(struct arena *a, struct diag *d, uint32_t file)
{
	const struct src_file *f = diag_source(d, file);
	DLC_ASSERT(f);
	struct fe_state st = { .a = a, .d = d, .file = file, .text = f->text, .len = f->len };
	st.model = arena_alloc(a, sizeof *st.model);
	st.model->file = file;
	int errors = d->errors;
	void *scanner;
	if (!fe_lex_open(&st, &scanner)) {
		diag_error(d, (struct src_span){ file, 0, 0 }, "source file is too large");
		return NULL;
	}
	int rc = yyparse(scanner, &st);
	fe_lex_close(scanner);
	if (rc != 0 || d->errors > errors)
		return NULL;
	set_line_cols(&st);
	return st.model;
}
