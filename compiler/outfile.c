/* outfile.c - temporary file + rename, so outputs are all or nothing. */
#include "outfile.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"

static const struct src_span nowhere = { 0, 0, 0 };

bool outfile_open(struct outfile *of, const char *path, struct diag *d)
{
	memset(of, 0, sizeof *of);
	struct stat st;
	if (stat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
		diag_error(d, nowhere, "cannot write '%s': it is a directory", path);
		return false;
	}
	size_t n = strlen(path);
	if (stat(path, &st) == 0 && !S_ISREG(st.st_mode)) {
		/* a device or pipe (/dev/null, /dev/stdout): written in place, as
		 * renaming onto it would replace the device with a plain file */
		of->f = fopen(path, "wb");
		of->path = malloc(n + 1);
		if (!of->path)
			dlc_fatal_oom(n + 1);
		memcpy(of->path, path, n + 1);
		if (!of->f) {
			diag_error(d, nowhere, "cannot write '%s': %s", path, strerror(errno));
			free(of->path);
			memset(of, 0, sizeof *of);
		}
		return of->f != NULL;
	}
	of->path = malloc(n + 1);
	of->tmppath = malloc(n + 16);
	if (!of->path || !of->tmppath)
		dlc_fatal_oom(n + 16);
	memcpy(of->path, path, n + 1);
	snprintf(of->tmppath, n + 16, "%s.tmp.XXXXXX", path);
	int fd = mkstemp(of->tmppath);
	if (fd < 0) {
		diag_error(d, nowhere, "cannot write '%s': %s", path, strerror(errno));
		free(of->path);
		free(of->tmppath);
		memset(of, 0, sizeof *of);
		return false;
	}
	mode_t mask = umask(0); /* mkstemp creates 0600; use what open() would */
	umask(mask);
	fchmod(fd, 0666 & ~mask);
	of->f = fdopen(fd, "wb");
	if (!of->f)
		dlc_fatal_oom(0);
	return true;
}

bool outfile_close(struct outfile *of, bool ok, struct diag *d)
{
	if (!of->f)
		return false;
	if (fclose(of->f) != 0 && ok) {
		diag_error(d, nowhere, "cannot write '%s': %s", of->path, strerror(errno));
		ok = false;
	}
	of->f = NULL;
	if (ok && of->tmppath && rename(of->tmppath, of->path) != 0) {
		diag_error(d, nowhere, "cannot write '%s': %s", of->path, strerror(errno));
		ok = false;
	}
	if (!ok && of->tmppath)
		unlink(of->tmppath);
	free(of->path);
	free(of->tmppath);
	memset(of, 0, sizeof *of);
	return ok;
}
