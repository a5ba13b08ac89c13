/* check.c - the two ways dlc dies: a broken invariant, or no memory. */
#include "check.h"

#include <stdio.h>
#include <stdlib.h>

void dlc_internal_error(const char *file, int line, const char *what)
{
	fprintf(stderr, "dlc: internal error at %s:%d: %s\n"
	                "please report this bug with the input that triggered it\n",
	        file, line, what);
	fflush(stderr);
	abort();
}

void dlc_fatal_oom(size_t size)
{
	fprintf(stderr, "dlc: fatal error: out of memory allocating %zu bytes\n", size);
	exit(1);
}
