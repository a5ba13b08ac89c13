/* diag.h - diagnostics: "file:line:col: error: message", the source line and
 * a caret under the span, as GCC and Clang print them.
 *
 * Locations are byte offsets into a registered source buffer (struct
 * src_span); line and column are computed only when a message is printed.
 * Errors are counted, never fatal: every stage goes on after an error so
 * that independent mistakes are all reported in one run. Nothing here
 * calls exit(). */
#ifndef DLC_DIAG_H
#define DLC_DIAG_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

/* A byte range [begin, end) in source file `file` (an index returned by
 * diag_add_source). file == 0 means "no location". */
struct src_span {
	uint32_t file;
	uint32_t begin, end;
};

struct src_file {
	const char *name; /* as given on the command line */
	const char *text; /* NUL-terminated contents */
	uint32_t len;
};

enum diag_level { DIAG_NONE, DIAG_NOTE, DIAG_WARNING, DIAG_ERROR };

struct diag {
	FILE *out;              /* where messages go (stderr by default) */
	struct src_file *files; /* files[0] unused: index 0 = no location */
	uint32_t nfiles, capfiles;
	int errors, warnings;
	int max_errors;         /* stop printing after this many (0 = 100) */
};

void diag_init(struct diag *d, FILE *out);
void diag_free(struct diag *d);
/* Registers a source buffer (not copied; must outlive d) and returns its id. */
uint32_t diag_add_source(struct diag *d, const char *name, const char *text, uint32_t len);
const struct src_file *diag_source(const struct diag *d, uint32_t file);

void diag_error(struct diag *d, struct src_span at, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void diag_warning(struct diag *d, struct src_span at, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* A note attached to the previous error or warning. */
void diag_note(struct diag *d, struct src_span at, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void diag_report(struct diag *d, enum diag_level level, struct src_span at,
                 const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* Computes 1-based line and column (in bytes) of offset `off` in file. */
void diag_line_col(const struct diag *d, uint32_t file, uint32_t off,
                   uint32_t *line, uint32_t *col);

static inline struct src_span span_join(struct src_span a, struct src_span b)
{
	if (!a.file)
		return b;
	if (!b.file || a.file != b.file)
		return a;
	struct src_span s = { a.file, a.begin < b.begin ? a.begin : b.begin,
	                      a.end > b.end ? a.end : b.end };
	return s;
}

#endif
