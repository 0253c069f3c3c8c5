// SPDX-License-Identifier: MIT
#include <stdlib.h>
#include <string.h>

#include "demangle.h"
#include "strpool.h"

/* libstdc++'s demangler: a C ABI entry point, no C++ needed here. */
char *__cxa_demangle(const char *mangled, char *buf, size_t *len, int *status);

const char *demangle(struct strpool *pool, const char *name)
{
	const char *out = NULL;
	int status = -1;
	char *d;

	if (!name || strncmp(name, "_Z", 2) != 0)
		return name;
	d = __cxa_demangle(name, NULL, NULL, &status);
	if (d && status == 0)
		out = strpool_intern(pool, d);
	free(d);
	return out ? out : name;
}
