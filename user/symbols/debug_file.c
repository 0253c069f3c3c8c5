// SPDX-License-Identifier: MIT
#include <errno.h>
#include <gelf.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <elfutils/libdwelf.h>

#include "debug_file.h"
#include "target_file.h"

int debug_file_build_id(int fd, char out[41])
{
	const unsigned char *bits;
	ssize_t n;
	Elf *elf;

	out[0] = '\0';
	elf_version(EV_CURRENT);
	elf = elf_begin(fd, ELF_C_READ_MMAP, NULL);
	if (!elf)
		return -EINVAL;
	n = dwelf_elf_gnu_build_id(elf, (const void **)&bits);
	for (ssize_t i = 0; i < n && i < 20; i++)
		snprintf(out + 2 * i, 3, "%02x", bits[i]);
	elf_end(elf);
	return n > 0 ? 0 : -ENOENT;
}

/* fd when its build-id is want, else closed and -ENOENT. */
static int matching(int fd, const char *want)
{
	char id[41];

	if (fd < 0)
		return -ENOENT;
	if (debug_file_build_id(fd, id) == 0 && strcmp(id, want) == 0)
		return fd;
	close(fd);
	return -ENOENT;
}

int debug_file_open(const char *root, const char *build_id, char *path, size_t len)
{
	int fd = -ENOENT;

	if (!build_id || strlen(build_id) < 3)
		return -ENOENT;
	snprintf(path, len, "/usr/lib/debug/.build-id/%.2s/%s.debug", build_id, build_id + 2);
	if (root && *root)
		fd = matching(target_file_open(root, path), build_id);
	if (fd < 0)
		fd = matching(target_file_open(NULL, path), build_id);
	return fd;
}
