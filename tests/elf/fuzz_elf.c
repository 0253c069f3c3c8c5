// SPDX-License-Identifier: MIT
/*
 * libFuzzer target for the ELF reader that reads the target's executables,
 * libraries, debug files and build-id notes (elfimg.c) and the probe
 * placement that decodes their code (probe_offset.c), and the unwind-table
 * compiler that reads their .eh_frame and .debug_frame (unwind_table.c).  `make fuzz` builds
 * it with clang's libFuzzer and runs it from the seeds in tests/elf/corpus;
 * `make test` replays that corpus through replay_main.c, without libFuzzer.
 * The input is the file, given as a memfd (a regular file, as target_file.h
 * hands out).  Every input must load or fail cleanly, and what loads must
 * keep elfimg.h's promises: symbols sorted, segments within the table.
 * The input is also read as a bare .gopclntab (go_pclntab.c, which a
 * stripped Go binary's symbols come from): names and files inside it; and
 * a Go executable's lines (go_lines.c) are looked up at its functions, and
 * a function start (func_start.c) from its .eh_frame_hdr.
 */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "elfimg.h"
#include "func_start.h"
#include "go_lines.h"
#include "go_pclntab.h"
#include "probe_offset.h"
#include "unwind_table.h"

static void check_image(const struct elf_image *img, int fd)
{
	char path[64];
	uint64_t off, v;

	if (img->nsegs < 0 || img->nsegs > 16 || strlen(img->build_id) > 40)
		abort();
	for (size_t i = 0; i < img->nsyms; i++) {
		if (!img->syms[i].name || (i && img->syms[i - 1].addr > img->syms[i].addr))
			abort();
		if (i < 8 && elf_vaddr_to_offset(img, img->syms[i].addr, &off) == 0) {
			elf_offset_to_vaddr(img, off, &v);
			snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
			{
				struct probe_placement pl;

				probe_place_file_args(path, off, 3, &pl);
			}
		}
	}
	elf_image_lookup(img, 0);
	elf_image_lookup(img, UINT64_MAX);
	elf_image_find(img, "malloc", true);
}

static void check_pclntab(const uint8_t *data, size_t size)
{
	struct go_pclntab t;

	if (go_pclntab_open(&t, data, size, 0x400000))
		return;
	for (uint64_t i = 0; i <= t.nfunc && i < 4096; i++) {
		uint64_t entry, end;
		const char *name, *file;
		uint32_t line;

		if (go_pclntab_func(&t, i, &entry, &end, &name) == 0 &&
		    (entry > end || name < (const char *)data || name + strlen(name) >= (const char *)data + size))
			abort();
		if (go_pclntab_func(&t, i, &entry, &end, &name) == 0 &&
		    go_pclntab_line(&t, i, entry + (end - entry) / 2, &file, &line) == 0 &&
		    (file < (const char *)data || file + strlen(file) >= (const char *)data + size))
			abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct elf_image *img = NULL;
	char path[64], id[41];
	uint64_t v;
	int fd = memfd_create("fuzz_elf", MFD_CLOEXEC);

	if (fd < 0 || (size && write(fd, data, size) != (ssize_t)size))
		abort();
	check_pclntab(data, size);
	/* A root with no debug files: the host's are read only on a build-id match. */
	if (elf_image_load_fd(fd, "/nonexistent-mt-fuzz-root", &img) == 0) {
		check_image(img, fd);
		elf_image_free(img);
	}
	{
		struct go_lines *g = NULL;

		if (go_lines_open(fd, &g) == 0) {
			const struct src_frame *f;
			uint64_t at[] = { 0, 0x400000, 0x401000, 0x401001, 0x480000, UINT64_MAX };

			for (size_t i = 0; i < sizeof(at) / sizeof(at[0]); i++)
				if (go_lines_lookup(g, at[i], &f) && (!f->function || !f->file || strlen(f->file) > size))
					abort();
			go_lines_free(g);
		}
	}
	{
		struct unwind_table *t = NULL;

		if (unwind_table_load_fd(fd, &t) == 0) {
			for (size_t i = 1; i < t->nrows; i++)
				if (t->rows[i - 1].pc >= t->rows[i].pc)
					abort();
			unwind_table_find(t, 0);
			unwind_table_find(t, UINT64_MAX);
			unwind_table_free(t);
		}
	}
	{
		uint64_t start = 0;

		/* An FDE start at or below the address asked, never above. */
		if (func_start_fd(fd, 0x1000, &start) == 0 && start > 0x1000)
			abort();
		func_start_fd(fd, UINT64_MAX, &start);
	}
	elf_symbol_value_fd(fd, "_r_debug", true, &v);
	elf_symbol_value_fd(fd, "malloc", false, &v);
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	if (elf_read_build_id(path, id) == 0 && strlen(id) > 40)
		abort();
	close(fd);
	return 0;
}
