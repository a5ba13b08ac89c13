/* ir_attrs.h - what the attribute kinds (ir_attrs.c) share with the
 * Graphviz writer (ir_dot.c). Internal to compiler/. */
#ifndef DLC_IR_ATTRS_H
#define DLC_IR_ATTRS_H

#include <stdio.h>

/* Writes s escaped for a DOT quoted string ('\n' is a label line break). */
void ir_dot_text(FILE *out, const char *s);
/* printf into a DOT label (numbers and fixed words; names go through
 * ir_dot_text, since they may be longer than its buffer). */
__attribute__((format(printf, 2, 3))) void ir_dot_fmt(FILE *out, const char *fmt, ...);

#endif
