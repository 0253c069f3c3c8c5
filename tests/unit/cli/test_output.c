// SPDX-License-Identifier: MIT
/* output: format by file name, and the atomic JSON write path. */
#include <criterion/criterion.h>
#include <criterion/redirect.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "output.h"

static enum out_format fmt_of(const char *path)
{
	enum out_format f = (enum out_format)-1;
	int rc = output_format_for(path, &f);

	cr_assert_eq(rc, 0, "output_format_for(%s): %d", path, rc);
	return f;
}

Test(output, formats_by_extension)
{
	cr_assert_eq(fmt_of("report.json"), OUT_JSON);
	cr_assert_eq(fmt_of("heap.pb.gz"), OUT_PPROF);
	cr_assert_eq(fmt_of("heap.pprof"), OUT_PPROF);
	cr_assert_eq(fmt_of("/tmp/x/stacks.folded"), OUT_FOLDED);
	cr_assert_eq(fmt_of("flame.svg"), OUT_SVG);
	cr_assert_eq(fmt_of("view.html"), OUT_HTML);
	cr_assert_eq(fmt_of("report.txt"), OUT_TEXT);
	cr_assert_eq(fmt_of("gc.trace.json"), OUT_TIMELINE);
	cr_assert_eq(fmt_of("-"), OUT_JSON);
	cr_assert_eq(fmt_of("dir.json/x.svg"), OUT_SVG);
}

Test(output, unknown_extensions)
{
	enum out_format f = OUT_HTML;

	cr_assert_eq(output_format_for("notes.docx", &f), -EINVAL);
	cr_assert_eq(f, OUT_HTML, "fmt written on error");
	cr_assert_eq(output_format_for(".txt", &f), -EINVAL);
	cr_assert_eq(output_format_for("heap.gz", &f), -EINVAL);
	cr_assert_eq(output_format_for("report.JSON", &f), -EINVAL);
	cr_assert_eq(output_format_for("report.json.bak", &f), -EINVAL);
	cr_assert_eq(output_format_for("", &f), -EINVAL);
	cr_assert_eq(output_format_for("--", &f), -EINVAL);
	/* An extension alone is not a file name. */
	cr_assert_eq(output_format_for(".json", &f), -EINVAL);
}

Test(output, write_json_file_atomically)
{
	char dir[] = "/tmp/output-test-XXXXXX", path[256], *buf = NULL;
	struct mt_profile p = {};
	size_t cap = 0;
	ssize_t n;
	FILE *f;
	DIR *d;
	struct dirent *e;
	int files = 0;

	cr_assert_not_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/r.json", dir);
	p.pid = 99;
	p.command = profile_intern(&p, "cmd");
	cr_assert_eq(output_write(path, OUT_JSON, &p, MT_INUSE_SPACE), 0);
	f = fopen(path, "r");
	cr_assert_not_null(f);
	n = getdelim(&buf, &cap, '\0', f);
	fclose(f);
	cr_assert_gt(n, 0);
	cr_assert_not_null(strstr(buf, "\"pid\": 99"), "%s", buf);
	cr_assert_not_null(strstr(buf, "\"command\": \"cmd\""), "%s", buf);
	/* No temporary left behind. */
	d = opendir(dir);
	cr_assert_not_null(d);
	while ((e = readdir(d))) {
		if (e->d_name[0] != '.') {
			files++;
			cr_assert_str_eq(e->d_name, "r.json");
		}
	}
	closedir(d);
	cr_assert_eq(files, 1);
	unlink(path);
	rmdir(dir);
	free(buf);
	profile_free(&p);
}

Test(output, write_into_missing_directory_fails)
{
	struct mt_profile p = {};

	cr_redirect_stderr();
	cr_assert_eq(output_write("/nonexistent-dir-memtrace/r.json", OUT_JSON, &p, MT_INUSE_SPACE), -ENOENT);
}
