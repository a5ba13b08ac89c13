/* pathcheck.c - lexical and resolved containment checks for model paths. */
#define _XOPEN_SOURCE 700 /* realpath */
#include "pathcheck.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

const char *path_lexical_problem(const char *rel)
{
	if (!rel[0])
		return "is empty";
	if (rel[0] == '/')
		return "is absolute";
	for (const char *p = rel; *p;) {
		const char *slash = strchr(p, '/');
		size_t len = slash ? (size_t)(slash - p) : strlen(p);
		if (len == 2 && p[0] == '.' && p[1] == '.')
			return "contains '..'";
		p = slash ? slash + 1 : p + len;
	}
	return NULL;
}

bool path_resolves_inside(const char *dir, const char *path)
{
	char *real_dir = realpath(dir, NULL);
	char *real_path = realpath(path, NULL);
	bool inside;
	if (!real_path) {
		/* missing file (or a dangling link): nothing is read from it */
		inside = errno == ENOENT;
	} else if (!real_dir) {
		inside = false;
	} else {
		size_t n = strlen(real_dir);
		/* "/" holds everything; otherwise dir itself or "dir/..." (the
		 * directory itself is refused by the reader as not a file) */
		inside = (n == 1 && real_dir[0] == '/') ||
		         (!strncmp(real_path, real_dir, n) &&
		          (real_path[n] == '/' || real_path[n] == 0));
	}
	free(real_dir);
	free(real_path);
	return inside;
}
