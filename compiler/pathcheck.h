/* pathcheck.h - files a model names must stay inside the model's directory.
 *
 * A model (or an ONNX file's external data) may only read files below the
 * directory that holds it: a model downloaded from the internet must not be
 * able to make dlc read /etc/shadow or ~/.ssh into an object file. The
 * lexical check rejects absolute paths and '..' components as written; the
 * resolved check follows symbolic links and compares real paths. */
#ifndef DLC_PATHCHECK_H
#define DLC_PATHCHECK_H

#include <stdbool.h>

/* NULL if the relative path `rel` is acceptable as written, else a short
 * reason ("is absolute", "contains '..'", "is empty"). */
const char *path_lexical_problem(const char *rel);

/* True if `path` exists and its real path lies inside the real path of
 * `dir`, or if it does not exist at all (the caller reports the missing
 * file in its own words). False if it resolves outside. */
bool path_resolves_inside(const char *dir, const char *path);

#endif
