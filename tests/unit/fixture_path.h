/* SPDX-License-Identifier: MIT */
/* Paths of the ELF fixtures the Makefile builds (FIXTURES, default build/fixtures). */
#ifndef MEMTRACE_TEST_FIXTURE_PATH_H
#define MEMTRACE_TEST_FIXTURE_PATH_H

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

/* The fixture's path, asserted accessible with `mode` (R_OK, X_OK); four
 * results stay valid at once. */
static inline const char *fixture_path(const char *name, int mode)
{
	static char buf[4][512];
	static int slot;
	const char *dir = getenv("FIXTURES");
	char *p = buf[slot++ & 3];

	snprintf(p, sizeof(buf[0]), "%s/%s", dir && *dir ? dir : "build/fixtures", name);
	cr_assert_eq(access(p, mode), 0, "fixture %s missing (make the fixtures first)", p);
	return p;
}

#endif
