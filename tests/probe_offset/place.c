// SPDX-License-Identifier: MIT
/*
 * place LIB FUNC[:NARGS]...: prints where memtrace would put the entry probe
 * of each function of LIB (a tab-separated line per function:
 * name, vaddr, file offset, skip, emulated, why).  Built by the e2e test and
 * tests/probe_offset/bench.sh from user/trace/probe_offset.c + user/symbols/elfimg.c.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "elfimg.h"
#include "probe_offset.h"

int main(int argc, char **argv)
{
	struct elf_image *img;
	int rc = 0;

	if (argc < 3) {
		fprintf(stderr, "usage: %s LIB FUNC[:NARGS]...\n", argv[0]);
		return 2;
	}
	if (elf_image_load(NULL, argv[1], &img)) {
		fprintf(stderr, "%s: cannot load\n", argv[1]);
		return 1;
	}
	for (int i = 2; i < argc; i++) {
		char name[256];
		unsigned nargs = PROBE_ARGS_ALL;
		char *colon;
		uint64_t off;
		struct probe_placement pl;

		snprintf(name, sizeof(name), "%s", argv[i]);
		colon = strchr(name, ':');
		if (colon) {
			*colon = '\0';
			nargs = (unsigned)atoi(colon + 1);
		}
		const struct elf_sym *s = elf_image_find(img, name, true);
		if (!s || elf_vaddr_to_offset(img, s->addr, &off)) {
			printf("%s\t-\t-\t-\t-\tnot found\n", name);
			continue;
		}
		if (probe_place_file_args(argv[1], off, nargs, &pl)) {
			printf("%s\t%#" PRIx64 "\t%#" PRIx64 "\t-\t-\tread error\n", name, s->addr, off);
			rc = 1;
			continue;
		}
		printf("%s\t%#" PRIx64 "\t%#" PRIx64 "\t%u\t%d\t%s\n", name, s->addr, off, pl.skip,
		       pl.emulated, pl.why);
	}
	elf_image_free(img);
	return rc;
}
