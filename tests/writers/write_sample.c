// SPDX-License-Identifier: MIT
/*
 * Writes every report format for the sample profile into DIR:
 *   profile.pb.gz, inuse_space.folded, alloc_objects.folded, flame.svg,
 *   diff.svg, report.html, and roundtrip.folded (profile.pb.gz read back
 *   with pprof_read, then folded again: must equal inuse_space.folded).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "flamegraph.h"
#include "folded.h"
#include "html.h"
#include "pprof.h"
#include "sample_profile.h"

typedef int (*write_fn)(const struct mt_profile *p, const struct mt_profile *before, FILE *out);

static int w_pprof(const struct mt_profile *p, const struct mt_profile *b, FILE *out)
{
	(void)b;
	return pprof_write(p, out);
}

static int w_folded_inuse(const struct mt_profile *p, const struct mt_profile *b, FILE *out)
{
	(void)b;
	return folded_write(p, MT_INUSE_SPACE, out);
}

static int w_folded_objects(const struct mt_profile *p, const struct mt_profile *b, FILE *out)
{
	(void)b;
	return folded_write(p, MT_ALLOC_OBJECTS, out);
}

static int w_flame(const struct mt_profile *p, const struct mt_profile *b, FILE *out)
{
	(void)b;
	return flamegraph_write(p, MT_INUSE_SPACE, "demo <flame> & co", out);
}

static int w_diff(const struct mt_profile *p, const struct mt_profile *b, FILE *out)
{
	return flamegraph_write_diff(b, p, MT_INUSE_SPACE, NULL, out);
}

static int w_html(const struct mt_profile *p, const struct mt_profile *b, FILE *out)
{
	(void)b;
	return html_write(p, out);
}

static int emit(const char *dir, const char *name, write_fn fn, const struct mt_profile *p,
		const struct mt_profile *before)
{
	char path[4096];
	FILE *f;
	int err;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "wb");
	if (!f)
		return -errno;
	err = fn(p, before, f);
	if (fclose(f) && !err)
		err = -EIO;
	if (err)
		fprintf(stderr, "write_sample: %s: %s\n", path, strerror(-err));
	return err;
}

int main(int argc, char **argv)
{
	struct mt_profile p, before, back;
	char path[4096];
	int err;

	if (argc != 2) {
		fprintf(stderr, "usage: write_sample DIR\n");
		return 2;
	}
	if (sample_profile(&p, 0) || sample_profile(&before, 1)) {
		fprintf(stderr, "write_sample: out of memory\n");
		return 1;
	}
	err = emit(argv[1], "profile.pb.gz", w_pprof, &p, NULL);
	err = err ?: emit(argv[1], "inuse_space.folded", w_folded_inuse, &p, NULL);
	err = err ?: emit(argv[1], "alloc_objects.folded", w_folded_objects, &p, NULL);
	err = err ?: emit(argv[1], "flame.svg", w_flame, &p, NULL);
	err = err ?: emit(argv[1], "diff.svg", w_diff, &p, &before);
	err = err ?: emit(argv[1], "report.html", w_html, &p, NULL);
	if (!err) {
		snprintf(path, sizeof(path), "%s/profile.pb.gz", argv[1]);
		err = pprof_read(path, &back);
		if (err)
			fprintf(stderr, "write_sample: pprof_read %s: %s\n", path, strerror(-err));
		else
			err = emit(argv[1], "roundtrip.folded", w_folded_inuse, &back, NULL);
		profile_free(&back);
	}
	profile_free(&p);
	profile_free(&before);
	return err ? 1 : 0;
}
