// SPDX-License-Identifier: MIT
/* func_start: .eh_frame_hdr's FDE starts against the symbol table of the
 * same fixture (the independent record of where functions start), and the
 * stripped copy, which has only the FDEs. */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#include "elfimg.h"
#include "fixture_path.h"
#include "func_start.h"

/* Every sized function of fx_pie's .symtab: an address in its middle gives its start. */
static void check_symbols_of(const char *sym_fixture, const char *fde_fixture)
{
	struct elf_image *img = NULL;
	int fd = open(fixture_path(fde_fixture, R_OK), O_RDONLY | O_CLOEXEC), checked = 0;

	cr_assert_geq(fd, 0);
	cr_assert_eq(elf_image_load(NULL, fixture_path(sym_fixture, R_OK), &img), 0);
	for (size_t i = 0; i < img->nsyms; i++) {
		const struct elf_sym *s = &img->syms[i];
		uint64_t start = 0;

		if (s->size < 2)
			continue;
		cr_assert_eq(func_start_fd(fd, s->addr + s->size / 2, &start), 0, "%s", s->name);
		cr_expect_eq(start, s->addr, "%s: FDE start 0x%llx, symbol 0x%llx", s->name,
			     (unsigned long long)start, (unsigned long long)s->addr);
		cr_assert_eq(func_start_fd(fd, s->addr, &start), 0);
		cr_expect_eq(start, s->addr, "%s at its own start", s->name);
		checked++;
	}
	cr_assert_geq(checked, 4); /* fx_alpha, fx_beta, fx_gamma_end, main, _start */
	elf_image_free(img);
	close(fd);
}

Test(func_start, fde_starts_are_the_symbols)
{
	check_symbols_of("fx_pie", "fx_pie");
}

Test(func_start, stripped_object_keeps_them)
{
	check_symbols_of("fx_pie", "fx_stripped");
}

Test(func_start, below_every_fde)
{
	int fd = open(fixture_path("fx_pie", R_OK), O_RDONLY | O_CLOEXEC);
	uint64_t start = 42;

	cr_assert_geq(fd, 0);
	cr_expect_eq(func_start_fd(fd, 0, &start), -ENODATA);
	close(fd);
}

Test(func_start, not_elf)
{
	int fd = open("/proc/self/cmdline", O_RDONLY | O_CLOEXEC);
	uint64_t start;

	cr_assert_geq(fd, 0);
	cr_expect_eq(func_start_fd(fd, 0x1000, &start), -EINVAL);
	close(fd);
}
