// SPDX-License-Identifier: MIT
/*
 * unwind_fp: which objects --unwind auto leaves to their frame pointers.
 * This test binary is built with -fno-omit-frame-pointer (MT_CFLAGS);
 * Debian's libc, libstdc++ and python3.11 are built without.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "unwind_fp.h"

static struct unwind_table *load(const char *path)
{
	struct unwind_table *t = NULL;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	cr_assert_geq(fd, 0, "%s: %s", path, strerror(errno));
	cr_assert_eq(unwind_table_load_fd(fd, &t), 0, "%s", path);
	close(fd);
	return t;
}

Test(unwind_fp, fp_build_keeps_them)
{
	struct unwind_table *t = load("/proc/self/exe");

	cr_assert_geq(unwind_fp_percent(t), 80, "this test binary: %u%% of %zu frame-making FDEs",
		      unwind_fp_percent(t), t->frame_fdes);
	cr_assert(unwind_table_keeps_fp(t));
	cr_assert_not(t->go);
	unwind_table_free(t);
}

Test(unwind_fp, debian_builds_lack_them)
{
	static const char *const paths[] = {
		"/usr/lib/x86_64-linux-gnu/libc.so.6",
		"/usr/lib/x86_64-linux-gnu/libstdc++.so.6",
		"/usr/bin/python3.11",
	};

	for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
		struct unwind_table *t = load(paths[i]);

		cr_assert_gt(t->frame_fdes, 100, "%s: %zu frame-making FDEs", paths[i], t->frame_fdes);
		cr_assert_leq(unwind_fp_percent(t), 15, "%s: %u%%", paths[i], unwind_fp_percent(t));
		cr_assert_not(unwind_table_keeps_fp(t), "%s", paths[i]);
		unwind_table_free(t);
	}
}

/* A Go binary has rows only for its C parts (cgo): none, and it keeps
 * frame pointers; C parts without them are walked by their rows. */
Test(unwind_fp, go_keeps_them_unless_its_c_parts_lack_them)
{
	struct unwind_table t = { .fdes = 10, .frame_fdes = 10, .go = true };

	cr_assert_eq(unwind_fp_percent(&t), 0);
	cr_assert(unwind_table_keeps_fp(&t));
	t.nrows = 12;
	cr_assert_not(unwind_table_keeps_fp(&t));
	t.fp_fdes = 10;
	cr_assert(unwind_table_keeps_fp(&t));
	t.fp_fdes = 0;
	t.go = false;
	cr_assert_not(unwind_table_keeps_fp(&t));
	cr_assert_not(unwind_table_keeps_fp(NULL));
}
