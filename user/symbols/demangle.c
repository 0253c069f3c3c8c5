// SPDX-License-Identifier: MIT
#include <stdlib.h>
#include <string.h>

#include <libiberty/demangle.h>

#include "demangle.h"
#include "strpool.h"

const char *demangle(struct strpool *pool, const char *name)
{
	const char *out = NULL;
	char *d;

	/* Itanium C++ and Rust legacy start _Z, Rust v0 _R: nothing else is asked. */
	if (!name || name[0] != '_' || (name[1] != 'Z' && name[1] != 'R'))
		return name;
	/* AUTO tries Rust first (legacy names are valid Itanium too, hash and all). */
	d = cplus_demangle(name, DMGL_PARAMS | DMGL_ANSI | DMGL_AUTO);
	if (d)
		out = strpool_intern(pool, d);
	free(d);
	return out ? out : name;
}
