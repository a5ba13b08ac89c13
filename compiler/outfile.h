/* outfile.h - output files that appear only when complete.
 *
 * outfile_open creates a temporary file next to the destination;
 * outfile_close(ok=true) renames it into place, outfile_close(ok=false)
 * removes it. So a failed compile never leaves a partial or stale-looking
 * output behind, and errors (unwritable directory, destination is a
 * directory) are reported as diagnostics. */
#ifndef DLC_OUTFILE_H
#define DLC_OUTFILE_H

#include <stdbool.h>
#include <stdio.h>

#include "diag.h"

struct outfile {
	FILE *f;
	char *path;    /* destination (malloc'd copy) */
	char *tmppath; /* temporary name (malloc'd) */
};

bool outfile_open(struct outfile *of, const char *path, struct diag *d);
/* Finishes the file: commits it if ok, discards it otherwise. Returns
 * false if committing failed (reported to d). */
bool outfile_close(struct outfile *of, bool ok, struct diag *d);

#endif
