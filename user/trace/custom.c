// SPDX-License-Identifier: MIT
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "custom.h"
#include "custom_where.h"
#include "elfimg.h"
#include "log.h"
#include "memtrace.h"
#include "probe_boundary.h"
#include "probe_offset.h"
#include "procmaps.h"
#include "target_file.h"

static int parse_arg(const char *v, unsigned *out)
{
	if (strncmp(v, "arg", 3) || v[3] < '1' || v[3] > '6' || v[4])
		return -EINVAL;
	*out = (unsigned)(v[3] - '0');
	return 0;
}

int custom_parse(const char *what, const char *text, struct custom_spec *out)
{
	char buf[256], *save = NULL, *tok;
	bool has_size = false, has_ptr = false;

	memset(out, 0, sizeof(*out));
	snprintf(buf, sizeof(buf), "%s", text);
	tok = strtok_r(buf, ":", &save);
	if (!tok || !*tok || strlen(tok) >= sizeof(out->func))
		goto bad;
	snprintf(out->func, sizeof(out->func), "%s", tok);
	out->kind = !strcmp(what, "alloc") ? AK_CUSTOM_ALLOC : !strcmp(what, "free") ? AK_CUSTOM_FREE
										    : AK_CUSTOM_REALLOC;
	while ((tok = strtok_r(NULL, ":", &save))) {
		char *eq = strchr(tok, '=');
		unsigned n;

		if (!eq)
			goto bad;
		*eq = '\0';
		if (parse_arg(eq + 1, &n))
			goto bad;
		if (!strcmp(tok, "size") && out->kind != AK_CUSTOM_FREE) {
			has_size = true;
			if (out->kind == AK_CUSTOM_ALLOC)
				out->a = n;
			else
				out->b = n;
		} else if (!strcmp(tok, "count") && out->kind == AK_CUSTOM_ALLOC) {
			out->b = n;
		} else if (!strcmp(tok, "ptr") && out->kind != AK_CUSTOM_ALLOC) {
			has_ptr = true;
			out->a = n;
		} else {
			goto bad;
		}
	}
	if ((out->kind == AK_CUSTOM_ALLOC && !has_size) || (out->kind == AK_CUSTOM_FREE && !has_ptr) ||
	    (out->kind == AK_CUSTOM_REALLOC && (!has_ptr || !has_size)))
		goto bad;
	/* One argument cannot be both the size and the count, or the pointer and the size. */
	if (out->b && out->a == out->b)
		goto bad;
	return 0;
bad:
	return -EINVAL;
}

unsigned long long custom_cookie(const struct custom_spec *s)
{
	return MT_COOKIE((unsigned long long)s->kind, s->a, s->b);
}

static const char *what_of(int kind)
{
	return kind == AK_CUSTOM_ALLOC ? "alloc" : kind == AK_CUSTOM_FREE ? "free" : "realloc";
}

static struct allocator *set_for(struct allocator *sets, int *nsets, const char *path, uint64_t inode,
				 pid_t pid, const struct maps *m)
{
	int err;

	for (int i = 0; i < *nsets; i++)
		if (!strcmp(sets[i].path, path))
			return &sets[i];
	if (*nsets == MT_MAX_CUSTOM)
		return NULL;
	memset(&sets[*nsets], 0, sizeof(sets[*nsets]));
	snprintf(sets[*nsets].path, sizeof(sets[*nsets].path), "%s", path);
	/* Probes go on the mapped inode, whatever now sits at its path. */
	err = target_file_pin(pid, maps_first_of(m, path), sets[*nsets].host_path);
	if (err) {
		log_error("cannot attach to %s in PID %d: %s (%s)", path, (int)pid,
			  target_file_strerror(err), target_file_advice(err));
		return NULL;
	}
	sets[*nsets].inode = inode;
	return &sets[(*nsets)++];
}

/* The mapped inode's image, not whatever now sits at its path. */
static int elf_load_mapping(pid_t pid, const struct mapping *map, const char *root, struct elf_image **img)
{
	int fd = target_file_open_mapping(pid, map), err;

	if (fd < 0)
		return fd;
	err = elf_image_load_fd(fd, root, img);
	close(fd);
	return err;
}

/* The one line for a spec found nowhere, saying what the user can do. */
static void no_function(const struct custom_spec *s, pid_t pid, int why, const struct elf_image *prog,
			const char *prog_path)
{
	const char *base = prog_path && strrchr(prog_path, '/') ? strrchr(prog_path, '/') + 1 : prog_path;

	if (why == -ERANGE)
		log_error("--%s %s: the offset lies outside the function or the object's loaded segments in PID %d "
			  "(give an ELF address inside it, as nm or objdump print them)",
			  what_of(s->kind), s->func, (int)pid);
	else if (why == -ENXIO)
		/* The program's name as the user ran it may be a symlink's (redis-server). */
		log_error("--%s %s: no function or mapped object by that name in PID %d (give FUNC+OFFSET, or "
			  "OBJECT+0xADDR with OBJECT the path or file name of a library or of the program, mapped as %s)",
			  what_of(s->kind), s->func, (int)pid, prog_path ? prog_path : "?");
	else if (prog && custom_stripped(prog))
		log_error("--%s %s: no function %s in PID %d or its libraries (%s has no symbol table: give the "
			  "function's address, --%s '%s+0xADDR:...', with ADDR from nm or objdump of an unstripped "
			  "build)", what_of(s->kind), s->func, s->func, (int)pid, prog_path, what_of(s->kind), base);
	else
		log_error("--%s %s: no function %s in PID %d or its libraries", what_of(s->kind), s->func, s->func,
			  (int)pid);
}

/* Whether an address given by hand starts an instruction: int3 written inside
 * one corrupts the target's code.  False (said in one line) when it does not. */
static bool starts_instruction(const struct custom_spec *s, pid_t pid, const char *host_path,
			       const struct elf_image *img, uint64_t vaddr)
{
	uint64_t insn;
	int err = probe_boundary(host_path, img, vaddr, &insn);

	if (err == -EILSEQ) {
		log_error("--%s %s: 0x%llx is inside the instruction at 0x%llx, not at its start (a probe there would "
			  "corrupt PID %d's code; give an address objdump -d shows at the start of a line)",
			  what_of(s->kind), s->func, (unsigned long long)vaddr, (unsigned long long)insn, (int)pid);
		return false;
	}
	if (err)
		log_warn("--%s %s: cannot confirm that 0x%llx starts an instruction (%s at 0x%llx); a probe inside one "
			 "would corrupt PID %d's code", what_of(s->kind), s->func, (unsigned long long)vaddr,
			 err == -ENOEXEC ? "no function start found or code not decoded" : strerror(-err),
			 (unsigned long long)insn, (int)pid);
	return true;
}

int custom_resolve(pid_t pid, const struct custom_spec *specs, int n, struct allocator *sets, int *nsets)
{
	struct elf_image *imgs[256] = {};
	const char *paths[256];
	uint64_t inodes[256];
	int nimg = 0, err = 0;
	char root[64];
	struct maps m;

	*nsets = 0;
	snprintf(root, sizeof(root), "/proc/%d/root", (int)pid);
	err = maps_read(pid, &m);
	if (err)
		return err == -ENOENT ? -ESRCH : err;
	/* Objects in map order: the program's own mappings come first. */
	for (size_t i = 0; i < m.n && nimg < 256; i++) {
		bool seen = false;

		if (m.v[i].path[0] != '/')
			continue;
		for (int k = 0; k < nimg && !seen; k++)
			seen = !strcmp(paths[k], m.v[i].path);
		if (seen || elf_load_mapping(pid, &m.v[i], root, &imgs[nimg]))
			continue;
		paths[nimg] = m.v[i].path;
		inodes[nimg++] = m.v[i].inode;
	}
	for (int i = 0; i < n; i++) {
		struct allocator *set;
		struct probe_placement pl;
		uint64_t off, vaddr;
		int k = 0, where;

		where = custom_where(specs[i].func, imgs, paths, nimg, &k, &vaddr);
		if (!where && elf_vaddr_to_offset(imgs[k], vaddr, &off))
			where = -ERANGE;
		if (where) {
			no_function(&specs[i], pid, where, nimg ? imgs[0] : NULL, nimg ? paths[0] : NULL);
			err = -ENOENT;
			continue;
		}
		set = set_for(sets, nsets, paths[k], inodes[k], pid, &m);
		if (!set || set->nfuncs == MT_MAX_ALLOC_FUNCS) {
			log_error("too many custom allocator functions (at most %d)", MT_MAX_ALLOC_FUNCS);
			err = -E2BIG;
			continue;
		}
		if (strchr(specs[i].func, '+') && !starts_instruction(&specs[i], pid, set->host_path, imgs[k], vaddr)) {
			err = -EINVAL;
			continue;
		}
		set->funcs[set->nfuncs] = (struct alloc_func){
			.name = specs[i].func, .kind = (int)custom_cookie(&specs[i]), .offset = off,
		};
		/* Skip what the kernel would single-step, keeping the arguments we read. */
		if (probe_place_file_args(set->host_path, off,
					  specs[i].a > specs[i].b ? specs[i].a : specs[i].b, &pl) == 0) {
			set->funcs[set->nfuncs].skip = pl.skip;
			set->funcs[set->nfuncs].emulated = pl.emulated;
			snprintf(set->funcs[set->nfuncs].why, sizeof(pl.why), "%s", pl.why);
		}
		set->nfuncs++;
	}
	for (int k = 0; k < nimg; k++)
		elf_image_free(imgs[k]);
	maps_free(&m);
	return err;
}

void custom_describe(const struct allocator *sets, int n, char *buf, size_t len)
{
	size_t at = 0;

	buf[0] = '\0';
	for (int i = 0; i < n && at < len; i++) {
		const char *base = strrchr(sets[i].path, '/') ? strrchr(sets[i].path, '/') + 1 : sets[i].path;

		at += (size_t)snprintf(buf + at, len - at, "; ");
		for (int f = 0; f < sets[i].nfuncs && at < len; f++)
			at += (size_t)snprintf(buf + at, len - at, "%s%s", f ? "/" : "", sets[i].funcs[f].name);
		if (at < len)
			at += (size_t)snprintf(buf + at, len - at, " in %s", base);
	}
}
