// SPDX-License-Identifier: MIT
#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

#include "func_start.h"
#include "probe_boundary.h"
#include "probe_offset.h"
#include "target_file.h"

/* The start of the function holding vaddr: a sized symbol around it first
 * (names are the user's own words), else the nearest FDE at or below it. */
static int function_start(int fd, const struct elf_image *img, uint64_t vaddr, uint64_t *start)
{
	const struct elf_sym *s = elf_image_lookup(img, vaddr);

	if (s && s->addr <= vaddr && vaddr - s->addr < s->size) {
		*start = s->addr;
		return 0;
	}
	return func_start_fd(fd, vaddr, start);
}

static int decode_to(int fd, const struct elf_image *img, uint64_t start, uint64_t vaddr, uint64_t *insn)
{
	/* 15 bytes: the longest x86 instruction, read past vaddr's. */
	size_t n = (size_t)(vaddr - start) + 15, at = 0;
	uint64_t off;
	uint8_t *code;
	ssize_t got;
	int err = -ENOEXEC;

	*insn = start;
	if (elf_vaddr_to_offset(img, start, &off))
		return -ENOEXEC;
	code = malloc(n);
	if (!code)
		return -ENOMEM;
	got = pread(fd, code, n, (off_t)off);
	if (got < 0) {
		err = -errno;
		goto out;
	}
	while (at < vaddr - start) {
		int len;

		*insn = start + at;
		if ((size_t)got <= at)
			goto out;
		len = probe_x86_insn_length(code + at, (size_t)got - at);
		if (len <= 0)
			goto out;
		at += (size_t)len;
	}
	err = at == vaddr - start ? 0 : -EILSEQ;
out:
	free(code);
	return err;
}

int probe_boundary(const char *path, const struct elf_image *img, uint64_t vaddr, uint64_t *insn)
{
	uint64_t start = 0;
	int fd, err;

	*insn = vaddr;
	fd = target_file_open(NULL, path);
	if (fd < 0)
		return fd;
	err = function_start(fd, img, vaddr, &start);
	if (err)
		err = -ENOEXEC;
	else if (start != vaddr)
		err = vaddr - start > PROBE_BOUNDARY_MAX_BYTES ? -ENOEXEC : decode_to(fd, img, start, vaddr, insn);
	close(fd);
	return err;
}
