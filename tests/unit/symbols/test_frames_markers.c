// SPDX-License-Identifier: MIT
/* The walk's markers as frames: none is symbolized, only the truncation
 * marker makes a stack truncated (report_json's "truncated"). */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "frames.h"

static void one(uint64_t addr, const char *name, int truncated)
{
	struct mt_profile p;
	struct mt_frame *f = NULL;
	uint32_t n = 0;

	memset(&p, 0, sizeof(p));
	cr_assert_eq(frames_symbolize(&p, NULL, &addr, 1, false, &f, &n), 0);
	cr_assert_eq(n, 1);
	cr_assert_str_eq(f[0].function, name);
	cr_assert_eq(f[0].module, -1);
	cr_assert_eq(f[0].addr, addr);
	cr_assert_eq(frames_truncated(f, n), truncated);
	free(f);
	profile_free(&p);
}

Test(frames_markers, exec_is_named_and_not_truncated)
{
	one(MT_EXEC_ADDR, MT_EXEC_NAME, 0);
	cr_assert_str_eq(MT_EXEC_NAME, "[exec]");
}

Test(frames_markers, truncated_is_truncated)
{
	one(MT_TRUNCATED_ADDR, MT_TRUNCATED_NAME, 1);
}
