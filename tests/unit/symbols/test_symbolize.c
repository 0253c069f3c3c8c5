// SPDX-License-Identifier: MIT
/* symbolize: live fixture processes resolved through /proc/PID/maps + ELF. */
#include <criterion/criterion.h>
#include <dlfcn.h>
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "elfimg.h"
#include "fixture_path.h"
#include "symbolize.h"

static const char *fx_path(const char *name)
{
	return fixture_path(name, X_OK);
}

struct fx_child {
	pid_t pid;
	int in_fd; /* its stdin: closing it lets it exit */
	uint64_t alpha, beta; /* runtime addresses it printed */
};

static void fx_start(const char *name, struct fx_child *c)
{
	const char *path = fx_path(name);
	int in[2], out[2];
	char line[256];
	unsigned long long a = 0, b = 0;
	FILE *f;

	cr_assert_eq(pipe(in), 0);
	cr_assert_eq(pipe(out), 0);
	c->pid = fork();
	cr_assert_geq(c->pid, 0);
	if (c->pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		dup2(in[0], 0);
		dup2(out[1], 1);
		close(in[0]);
		close(in[1]);
		close(out[0]);
		close(out[1]);
		execl(path, path, "wait", (char *)NULL);
		_exit(127);
	}
	close(in[0]);
	close(out[1]);
	c->in_fd = in[1];
	f = fdopen(out[0], "r");
	cr_assert_not_null(f);
	cr_assert_not_null(fgets(line, sizeof(line), f), "%s printed nothing", path);
	fclose(f);
	cr_assert_eq(sscanf(line, "fx_alpha=%llx fx_beta=%llx", &a, &b), 2, "bad line: %s", line);
	c->alpha = a;
	c->beta = b;
}

static void fx_stop(struct fx_child *c)
{
	int status;

	if (c->pid <= 0)
		return;
	close(c->in_fd);
	kill(c->pid, SIGKILL);
	waitpid(c->pid, &status, 0);
	c->pid = 0;
}

static bool ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	return n >= m && strcmp(s + n - m, suffix) == 0;
}

static struct elf_image *load(const char *name)
{
	struct elf_image *img = NULL;

	cr_assert_eq(elf_image_load(NULL, fx_path(name), &img), 0);
	return img;
}

static struct symbolizer *sym_for(pid_t pid)
{
	struct symbolizer *s = symbolizer_new(pid);
	int err;

	cr_assert_not_null(s);
	err = symbolizer_refresh(s);
	cr_assert_eq(err, 0, "symbolizer_refresh: %d", err);
	return s;
}

static void check_executable(const char *name)
{
	struct fx_child c = {};
	struct elf_image *img = load(name);
	const struct elf_sym *alpha = elf_image_find(img, "fx_alpha", false);
	struct symbolizer *s;
	struct resolved r;
	char suffix[64];

	cr_assert_not_null(alpha);
	snprintf(suffix, sizeof(suffix), "/%s", name);
	fx_start(name, &c);
	s = sym_for(c.pid);
	symbolizer_resolve(s, c.alpha + 1, 0, &r);
	cr_assert_not_null(r.function);
	cr_assert_str_eq(r.function, "fx_alpha");
	cr_assert_not_null(r.module);
	cr_assert(ends_with(r.module, suffix), "module %s", r.module);
	cr_assert_eq(r.module[0], '/');
	cr_assert_eq(r.offset, alpha->addr + 1, "offset 0x%" PRIx64 " want 0x%" PRIx64, r.offset,
		     alpha->addr + 1);
	cr_assert_not_null(r.build_id);
	cr_assert_str_eq(r.build_id, img->build_id);
	cr_assert(r.map_start <= c.alpha + 1 && c.alpha + 1 < r.map_end);
	/* The executable mapping maps file offset map_offset at map_start. */
	{
		uint64_t off;

		cr_assert_eq(elf_vaddr_to_offset(img, alpha->addr, &off), 0);
		cr_assert_eq(c.alpha - r.map_start + r.map_offset, off);
	}
	symbolizer_resolve(s, c.beta + 7, 0, &r);
	cr_assert_not_null(r.function);
	cr_assert_str_eq(r.function, "fx_beta");
	symbolizer_free(s);
	fx_stop(&c);
	elf_image_free(img);
}

Test(symbolize, live_pie)
{
	check_executable("fx_pie");
}

Test(symbolize, live_nopie)
{
	struct fx_child c = {};
	struct elf_image *img = load("fx_nopie");

	check_executable("fx_nopie");
	/* Not relocated: the runtime address is the ELF address. */
	fx_start("fx_nopie", &c);
	cr_assert_eq(c.alpha, elf_image_find(img, "fx_alpha", false)->addr);
	fx_stop(&c);
	elf_image_free(img);
}

Test(symbolize, live_stripped_keeps_module_and_offset)
{
	struct fx_child c = {};
	struct elf_image *pie = load("fx_pie");
	const struct elf_sym *alpha = elf_image_find(pie, "fx_alpha", false);
	struct symbolizer *s;
	struct resolved r;

	cr_assert_not_null(alpha);
	fx_start("fx_stripped", &c);
	s = sym_for(c.pid);
	symbolizer_resolve(s, c.alpha + 1, 0, &r);
	cr_assert_null(r.function, "stripped resolved to %s", r.function);
	cr_assert_not_null(r.module, "frame dropped: no module");
	cr_assert(ends_with(r.module, "/fx_stripped"), "module %s", r.module);
	/* Same layout as fx_pie: the offset is the ELF vaddr, for addr2line. */
	cr_assert_eq(r.offset, alpha->addr + 1, "offset 0x%" PRIx64 " want 0x%" PRIx64, r.offset,
		     alpha->addr + 1);
	cr_assert_not_null(r.build_id);
	cr_assert_str_eq(r.build_id, pie->build_id);
	symbolizer_resolve(s, c.beta, 1, &r);
	cr_assert_null(r.function);
	cr_assert_not_null(r.module);
	symbolizer_free(s);
	fx_stop(&c);
	elf_image_free(pie);
}

Test(symbolize, return_address_charged_to_caller)
{
	struct fx_child c = {};
	struct elf_image *img = load("fx_pie");
	const struct elf_sym *alpha = elf_image_find(img, "fx_alpha", false);
	const struct elf_sym *beta = elf_image_find(img, "fx_beta", false);
	struct symbolizer *s;
	struct resolved r;

	cr_assert_not_null(alpha);
	cr_assert_not_null(beta);
	/* The fixture's precondition: fx_beta starts where fx_alpha ends. */
	cr_assert_eq(alpha->addr + alpha->size, beta->addr);
	fx_start("fx_pie", &c);
	cr_assert_eq(c.beta - c.alpha, beta->addr - alpha->addr);
	s = sym_for(c.pid);
	/* A call that is fx_alpha's last instruction returns to fx_beta's start. */
	symbolizer_resolve(s, c.beta, 1, &r);
	cr_assert_not_null(r.function);
	cr_assert_str_eq(r.function, "fx_alpha");
	/* The offset stays the address itself, not addr - 1. */
	cr_assert_eq(r.offset, beta->addr);
	/* Not a return address: fx_beta itself (and the cache keeps them apart). */
	symbolizer_resolve(s, c.beta, 0, &r);
	cr_assert_not_null(r.function);
	cr_assert_str_eq(r.function, "fx_beta");
	symbolizer_resolve(s, c.beta, 1, &r);
	cr_assert_str_eq(r.function, "fx_alpha");
	symbolizer_resolve(s, c.beta + 1, 1, &r);
	cr_assert_str_eq(r.function, "fx_beta");
	symbolizer_free(s);
	fx_stop(&c);
	elf_image_free(img);
}

Test(symbolize, unmapped_address)
{
	struct fx_child c = {};
	struct symbolizer *s;
	struct resolved r;

	fx_start("fx_pie", &c);
	s = sym_for(c.pid);
	memset(&r, 0xa5, sizeof(r));
	symbolizer_resolve(s, 0x10, 0, &r);
	cr_assert_null(r.module);
	cr_assert_null(r.function);
	cr_assert_null(r.build_id);
	cr_assert_eq(r.offset, 0x10);
	memset(&r, 0xa5, sizeof(r));
	symbolizer_resolve(s, 0x10, 1, &r);
	cr_assert_null(r.module);
	cr_assert_null(r.function);
	symbolizer_free(s);
	fx_stop(&c);
}

Test(symbolize, vdso_is_module_plus_offset)
{
	struct fx_child c = {};
	struct symbolizer *s;
	const struct maps *m;
	const struct mapping *vdso;
	struct resolved r;

	fx_start("fx_pie", &c);
	s = sym_for(c.pid);
	m = symbolizer_maps(s);
	cr_assert_gt(m->n, 3);
	vdso = maps_first_of(m, "[vdso]");
	if (!vdso) {
		symbolizer_free(s);
		fx_stop(&c);
		cr_skip_test("no [vdso] mapping");
	}
	symbolizer_resolve(s, vdso->start + 0x10, 0, &r);
	cr_assert_not_null(r.module);
	cr_assert_str_eq(r.module, "[vdso]");
	cr_assert_null(r.function);
	cr_assert_eq(r.offset, 0x10);
	cr_assert_eq(r.map_start, vdso->start);
	symbolizer_free(s);
	fx_stop(&c);
}

Test(symbolize, maps_hold_the_executable)
{
	struct fx_child c = {};
	struct symbolizer *s;
	const struct maps *m;
	const struct mapping *exe = NULL;
	char abs[4096];

	cr_assert_not_null(realpath(fx_path("fx_pie"), abs));
	fx_start("fx_pie", &c);
	s = sym_for(c.pid);
	m = symbolizer_maps(s);
	exe = maps_first_of(m, abs);
	cr_assert_not_null(exe, "%s not in the maps", abs);
	cr_assert_eq(exe->offset, 0);
	cr_assert_leq(exe->start, c.alpha);
	symbolizer_free(s);
	fx_stop(&c);
}

Test(symbolize, exited_process_keeps_old_maps)
{
	struct fx_child c = {};
	struct symbolizer *s;
	struct resolved r;
	uint64_t alpha;

	fx_start("fx_pie", &c);
	alpha = c.alpha;
	s = sym_for(c.pid);
	fx_stop(&c);
	cr_assert_eq(symbolizer_refresh(s), -ESRCH);
	/* Not resolved before: read from the inode the refresh held open. */
	symbolizer_resolve(s, alpha + 2, 0, &r);
	cr_assert_not_null(r.function);
	cr_assert_str_eq(r.function, "fx_alpha");
	cr_assert(ends_with(r.module, "/fx_pie"), "module %s", r.module);
	symbolizer_free(s);
}

Test(symbolize, no_such_process)
{
	struct symbolizer *s = symbolizer_new(0x3ffffff0);
	struct resolved r;

	cr_assert_not_null(s);
	cr_assert_eq(symbolizer_refresh(s), -ESRCH);
	symbolizer_resolve(s, 0x401000, 0, &r);
	cr_assert_null(r.module);
	cr_assert_null(r.function);
	symbolizer_free(s);
}

Test(symbolize, shared_library_in_self)
{
	char abs[4096];
	void *h, *gamma;
	struct elf_image *img = load("libfx.so");
	const struct elf_sym *g = elf_image_find(img, "libfx_gamma", true);
	struct symbolizer *s;
	struct resolved r;

	cr_assert_not_null(g);
	cr_assert_not_null(realpath(fx_path("libfx.so"), abs));
	h = dlopen(abs, RTLD_NOW | RTLD_LOCAL);
	cr_assert_not_null(h, "dlopen: %s", dlerror());
	gamma = dlsym(h, "libfx_gamma");
	cr_assert_not_null(gamma);
	s = sym_for(getpid());
	symbolizer_resolve(s, (uint64_t)(uintptr_t)gamma + 4, 0, &r);
	cr_assert_not_null(r.function);
	cr_assert_str_eq(r.function, "libfx_gamma");
	cr_assert_not_null(r.module);
	cr_assert_str_eq(r.module, abs);
	cr_assert_eq(r.offset, g->addr + 4);
	cr_assert_not_null(r.build_id);
	cr_assert_str_eq(r.build_id, img->build_id);
	/* A library unloaded later still resolves from the merged maps. */
	dlclose(h);
	cr_assert_eq(symbolizer_refresh(s), 0);
	symbolizer_resolve(s, (uint64_t)(uintptr_t)gamma + 5, 0, &r);
	cr_assert_not_null(r.function);
	cr_assert_str_eq(r.function, "libfx_gamma");
	symbolizer_free(s);
	elf_image_free(img);
}
