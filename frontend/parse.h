/* parse.h - state shared by the scanner (lexer.l) and the parser (parser.y).
 *
 * One struct fe_state lives for one fe_parse call; the scanner reaches it
 * through flex's "extra" pointer and the parser through its parse-param.
 * Locations are byte offsets (struct fe_loc) and become struct src_span
 * only when they leave the parser. */
#ifndef DLC_FE_PARSE_H
#define DLC_FE_PARSE_H

#include <stdbool.h>
#include <stdint.h>

#include "arena.h"
#include "ast.h"
#include "diag.h"

/* Deepest bracket nesting the scanner accepts on one line. The grammar
 * nests only through lists, so this bounds the parser stack as well. */
#define FE_MAX_NESTING 64

/* Most statements one model may hold. Real networks have hundreds to a few
 * thousand layers; the limit keeps compile time and memory bounded for any
 * input (a million-layer file is refused after reading this many). */
#define FE_MAX_STATEMENTS 65536u

/* The parser's location type: a byte range [begin, end). */
struct fe_loc {
	uint32_t begin, end;
};

struct fe_state {
	struct arena *a;
	struct diag *d;
	uint32_t file;
	const char *text; /* the source, for quoting tokens in messages */
	uint32_t len;
	struct ast_model *model;
	/* scanner */
	uint32_t off;     /* byte offset of the next token */
	int depth;        /* open brackets on this line */
	bool line_error;  /* a lexical error was reported on this line */
	bool eof_newline; /* the implicit final newline was returned */
};

static inline struct src_span fe_span(const struct fe_state *st, struct fe_loc l)
{
	struct src_span s = { st->file, l.begin, l.end };
	return s;
}

/* Scanner lifetime (lexer.l): scans st->text[0, st->len). */
bool fe_lex_open(struct fe_state *st, void **scanner);
void fe_lex_close(void *scanner);

#endif
