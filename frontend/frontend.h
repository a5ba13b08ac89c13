/* frontend.h - the language front end: .dl source to IR.
 *
 *   fe_parse   lexer + parser -> syntax tree (all syntax errors reported)
 *   fe_print_ast  the syntax tree as text (--emit=ast)
 *   fe_lower   name and attribute checks, then lowering to IR through the
 *              builder (types left for shape inference)
 * Errors go to the diag; functions return NULL when any were reported. */
#ifndef DLC_FRONTEND_H
#define DLC_FRONTEND_H

#include <stdio.h>

#include "arena.h"
#include "diag.h"
#include "ir.h"

struct ast_model;

struct ast_model *fe_parse(struct arena *a, struct diag *d, uint32_t file);
void fe_print_ast(const struct ast_model *m, FILE *out);
/* model_dir: directory against which the weights path is resolved. */
struct ir_graph *fe_lower(struct arena *a, struct diag *d, const struct ast_model *m,
                          const char *model_dir);

#endif
