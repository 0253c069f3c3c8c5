// SPDX-License-Identifier: MIT
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "custom_where.h"

/* "LEFT+NUMBER" split at its last '+'; false when spec is not that form. */
static bool split(const char *spec, char *left, size_t len, uint64_t *off)
{
	const char *plus = strrchr(spec, '+');
	char *end;

	if (!plus || plus == spec || !plus[1] || (size_t)(plus - spec) >= len)
		return false;
	errno = 0;
	*off = strtoull(plus + 1, &end, 0);
	if (errno || *end || plus[1] == '-')
		return false;
	memcpy(left, spec, (size_t)(plus - spec));
	left[plus - spec] = '\0';
	return true;
}

static bool names(const char *path, const char *name)
{
	const char *base = strrchr(path, '/');

	return !strcmp(path, name) || (base && !strcmp(base + 1, name));
}

/* In code: a uprobe in a data segment is accepted by the kernel and never fires. */
static bool loaded(const struct elf_image *img, uint64_t vaddr)
{
	for (int i = 0; i < img->nsegs; i++)
		if (img->segs[i].exec && vaddr >= img->segs[i].vaddr && vaddr - img->segs[i].vaddr < img->segs[i].filesz)
			return true;
	return false;
}

int custom_where(const char *spec, struct elf_image *const *imgs, const char *const *paths, int n, int *k,
		 uint64_t *vaddr)
{
	char left[256];
	uint64_t off = 0;
	bool plus = split(spec, left, sizeof(left), &off);
	const char *func = plus ? left : spec;

	if (plus)
		for (int i = 0; i < n; i++)
			if (names(paths[i], left)) {
				*k = i;
				*vaddr = off;
				return loaded(imgs[i], off) ? 0 : -ERANGE;
			}
	for (int i = 0; i < n; i++) {
		const struct elf_sym *sym = elf_image_find(imgs[i], func, false);

		if (!sym)
			continue;
		if (sym->size && off >= sym->size)
			return -ERANGE;
		*k = i;
		*vaddr = sym->addr + off;
		return 0;
	}
	return plus ? -ENXIO : -ENOENT;
}

bool custom_stripped(const struct elf_image *img)
{
	for (size_t i = 0; i < img->nsyms; i++)
		if (!img->syms[i].dynamic)
			return false;
	return true;
}
