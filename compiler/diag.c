/* diag.c - formats diagnostics with the source line and a caret line.
 *
 *   model.dl:3:12: error: kernel must be at least 1, got 0
 *       3 | conv2d(64, kernel=0)
 *         |           ^~~~~~~~
 */
#include "diag.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"

void diag_init(struct diag *d, FILE *out)
{
	memset(d, 0, sizeof *d);
	d->out = out ? out : stderr;
	d->capfiles = 4;
	d->files = calloc(d->capfiles, sizeof *d->files);
	if (!d->files)
		dlc_fatal_oom(d->capfiles * sizeof *d->files);
	d->nfiles = 1;
}

void diag_free(struct diag *d)
{
	free(d->files);
	d->files = NULL;
	d->nfiles = d->capfiles = 0;
}

uint32_t diag_add_source(struct diag *d, const char *name, const char *text, uint32_t len)
{
	if (d->nfiles == d->capfiles) {
		d->capfiles *= 2;
		struct src_file *f = realloc(d->files, d->capfiles * sizeof *f);
		if (!f)
			dlc_fatal_oom(d->capfiles * sizeof *f);
		d->files = f;
	}
	d->files[d->nfiles] = (struct src_file){ name, text, len };
	return d->nfiles++;
}

const struct src_file *diag_source(const struct diag *d, uint32_t file)
{
	return file && file < d->nfiles ? &d->files[file] : NULL;
}

void diag_line_col(const struct diag *d, uint32_t file, uint32_t off,
                   uint32_t *line, uint32_t *col)
{
	const struct src_file *f = diag_source(d, file);
	uint32_t l = 1, c = 1;
	if (f) {
		if (off > f->len)
			off = f->len;
		for (uint32_t i = 0; i < off; i++) {
			if (f->text[i] == '\n') {
				l++;
				c = 1;
			} else {
				c++;
			}
		}
	}
	*line = l;
	*col = c;
}

/* Prints the line holding span.begin and a caret under the span (clipped to
 * that line). Tabs are kept in the caret line so columns line up. */
static void print_snippet(struct diag *d, struct src_span at, uint32_t line)
{
	const struct src_file *f = diag_source(d, at.file);
	if (!f)
		return;
	uint32_t b = at.begin > f->len ? f->len : at.begin;
	uint32_t ls = b;
	while (ls > 0 && f->text[ls - 1] != '\n')
		ls--;
	uint32_t le = b;
	while (le < f->len && f->text[le] != '\n' && f->text[le] != '\r')
		le++;
	fprintf(d->out, "%5u | ", line);
	for (uint32_t i = ls; i < le; i++) {
		unsigned char ch = (unsigned char)f->text[i];
		fputc(ch == '\t' || ch >= 0x20 ? ch : '?', d->out);
	}
	fputs("\n      | ", d->out);
	for (uint32_t i = ls; i < b; i++)
		fputc(f->text[i] == '\t' ? '\t' : ' ', d->out);
	fputc('^', d->out);
	uint32_t e = at.end > le ? le : at.end;
	for (uint32_t i = b + 1; i < e; i++)
		fputc('~', d->out);
	fputc('\n', d->out);
}

static void vreport(struct diag *d, enum diag_level level, struct src_span at,
                    const char *fmt, va_list ap)
{
	static const char *const names[] = { "", "note", "warning", "error" };
	if (level == DIAG_ERROR)
		d->errors++;
	else if (level == DIAG_WARNING)
		d->warnings++;
	int limit = d->max_errors ? d->max_errors : 100;
	if (d->errors > limit)
		return;
	const struct src_file *f = diag_source(d, at.file);
	uint32_t line = 0, col = 0;
	if (f && !f->text) {
		/* a binary file (an ONNX model): no lines to point into */
		fprintf(d->out, "%s: %s: ", f->name, names[level]);
	} else if (f) {
		diag_line_col(d, at.file, at.begin, &line, &col);
		fprintf(d->out, "%s:%u:%u: %s: ", f->name, line, col, names[level]);
	} else {
		fprintf(d->out, "dlc: %s: ", names[level]);
	}
	vfprintf(d->out, fmt, ap);
	fputc('\n', d->out);
	if (f && f->text)
		print_snippet(d, at, line);
	if (level == DIAG_ERROR && d->errors == limit)
		fprintf(d->out, "dlc: fatal error: too many errors emitted, stopping now\n");
}

void diag_report(struct diag *d, enum diag_level level, struct src_span at,
                 const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vreport(d, level, at, fmt, ap);
	va_end(ap);
}

#define DIAG_FN(fn, level)                                               \
	void fn(struct diag *d, struct src_span at, const char *fmt, ...) \
	{                                                                 \
		va_list ap;                                               \
		va_start(ap, fmt);                                        \
		vreport(d, level, at, fmt, ap);                           \
		va_end(ap);                                               \
	}
DIAG_FN(diag_error, DIAG_ERROR)
DIAG_FN(diag_warning, DIAG_WARNING)
DIAG_FN(diag_note, DIAG_NOTE)
