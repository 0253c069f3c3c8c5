// SPDX-License-Identifier: MIT
/* Go's size-class tables through mallocgc's code.  See go_class_tables.h. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "elfimg.h"
#include "go_class_tables.h"

/* mallocgc is ~2 KiB in Go 1.17-1.22; the tables' loads come early. */
#define SCAN_MAX 8192
#define MAX_TARGETS 64
#define CLASS8_N (MT_GO_SMALL_MAX / 8 + 1)
#define CLASS128_N ((MT_GO_MAX_SMALL - MT_GO_SMALL_MAX) / 128 + 1)

/*
 * Every `lea disp32(%rip),%reg` (REX.W 8d, ModRM mod 00 r/m 101) in the
 * code, as the address it loads.  A match inside another instruction's
 * bytes only adds a candidate that the shape checks then refuse.
 */
static int lea_targets(const unsigned char *code, size_t n, uint64_t vaddr, uint64_t *out, int max)
{
	int k = 0;

	for (size_t i = 0; i + 7 <= n && k < max; i++) {
		int32_t disp;

		if ((code[i] & 0xfb) != 0x48 || code[i + 1] != 0x8d || (code[i + 2] & 0xc7) != 0x05)
			continue;
		memcpy(&disp, code + i + 3, 4);
		out[k++] = vaddr + i + 7 + (uint64_t)(int64_t)disp;
	}
	return k;
}

static int read_at(int fd, const struct elf_image *img, uint64_t vaddr, void *buf, size_t n)
{
	uint64_t off;

	if (elf_vaddr_to_offset(img, vaddr, &off))
		return -ENOENT;
	return pread(fd, buf, n, (off_t)off) == (ssize_t)n ? 0 : -EIO;
}

static bool rising(const unsigned char *v, size_t n)
{
	for (size_t i = 1; i < n; i++) {
		if (v[i] < v[i - 1] || v[i] >= 128)
			return false;
	}
	return true;
}

static bool is_class8(const unsigned char *v)
{
	return v[0] == 0 && v[1] == 1 && rising(v, CLASS8_N);
}

static bool is_class_to_size(const unsigned short *v)
{
	if (v[0] != 0)
		return false;
	for (unsigned i = 1; i < 128; i++) {
		if (v[i] <= v[i - 1])
			return false;
		if (v[i] == MT_GO_MAX_SMALL)
			return true;
	}
	return false;
}

int go_class_tables_find(int fd, const struct elf_image *img, const struct elf_sym *mallocgc,
			 struct mt_go_classes *c)
{
	size_t n = mallocgc->size && mallocgc->size < SCAN_MAX ? mallocgc->size : SCAN_MAX;
	uint64_t targets[MAX_TARGETS];
	bool found8 = false, found128 = false, found_sizes = false;
	unsigned char *code = malloc(n);
	int k;

	if (!code || read_at(fd, img, mallocgc->addr, code, n)) {
		free(code);
		return -ENOENT;
	}
	k = lea_targets(code, n, mallocgc->addr, targets, MAX_TARGETS);
	free(code);
	for (int i = 0; i < k && !found8; i++)
		found8 = !read_at(fd, img, targets[i], c->class8, CLASS8_N) && is_class8(c->class8);
	for (int i = 0; i < k && found8 && !found128; i++)
		found128 = !read_at(fd, img, targets[i], c->class128, CLASS128_N) && rising(c->class128, CLASS128_N) &&
			   c->class128[0] == c->class8[CLASS8_N - 1];
	for (int i = 0; i < k && !found_sizes; i++)
		found_sizes = !read_at(fd, img, targets[i], c->class_to_size, sizeof(c->class_to_size)) &&
			      is_class_to_size(c->class_to_size);
	return found8 && found128 && found_sizes ? 0 : -ENOENT;
}
