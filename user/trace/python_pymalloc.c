// SPDX-License-Identifier: MIT
/*
 * Probing pymalloc's pool refill and releases.  See python_pymalloc.h; the
 * BPF side is bpf/pymalloc.bpf.h, the code patterns python_pool_code.h.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "elfimg.h"
#include "log.h"
#include "memtrace.h" /* before the skeleton: it names struct mt_counters */
#include "memtrace.skel.h"
#include "privs.h"
#include "procmaps.h"
#include "profile.h"
#include "python_frame.h"
#include "python_pymalloc.h"
#include "target_file.h"

_Static_assert(MT_PYMALLOC_ADDR == MT_FRAME_PYMALLOC, "the BPF pool marker is the profile's");
_Static_assert(MT_PYFRAME_TAG >> 60 == 0xe && MT_PYFRAME_INDEX_MAX == 0x1fff, "one Python frame encoding");

/* Larger than any CPython's .text (python3.11: 2.6 MiB): a bound on what a
 * hostile file can make memtrace read. */
#define MAX_TEXT (64u << 20)

/* The first libpython3 mapping (a python3 linked to it has its allocator
 * there), else the executable when it is a python3. */
static const struct mapping *python_object(const struct maps *m, const char *exe)
{
	const struct mapping *map = maps_first_of(m, exe);
	const char *base;

	for (size_t i = 0; i < m->n; i++) {
		base = strrchr(m->v[i].path, '/');
		if (base && !strncmp(base + 1, "libpython3", 10))
			return &m->v[i];
	}
	base = strrchr(exe, '/');
	return map && base && !strncmp(base + 1, "python3", 7) ? map : NULL;
}

/* .text of the ELF file at fd into *buf (malloc'd), with its address. */
static int read_text(int fd, uint8_t **buf, size_t *n, uint64_t *vaddr)
{
	Elf *elf = elf_version(EV_CURRENT) != EV_NONE ? elf_begin(fd, ELF_C_READ_MMAP, NULL) : NULL;
	Elf_Scn *scn = NULL;
	size_t shstrndx;
	int err = -ENOENT;

	if (!elf || elf_getshdrstrndx(elf, &shstrndx))
		goto out;
	while ((scn = elf_nextscn(elf, scn))) {
		const char *name;
		GElf_Shdr sh;

		if (!gelf_getshdr(scn, &sh) || !(name = elf_strptr(elf, shstrndx, sh.sh_name)) ||
		    strcmp(name, ".text") || sh.sh_type != SHT_PROGBITS)
			continue;
		if (!sh.sh_size || sh.sh_size > MAX_TEXT) {
			err = -EFBIG;
			goto out;
		}
		*buf = malloc(sh.sh_size);
		if (!*buf) {
			err = -ENOMEM;
			goto out;
		}
		if (pread(fd, *buf, sh.sh_size, (off_t)sh.sh_offset) != (ssize_t)sh.sh_size) {
			free(*buf);
			*buf = NULL;
			err = -EIO;
			goto out;
		}
		*n = sh.sh_size;
		*vaddr = sh.sh_addr;
		err = 0;
		break;
	}
out:
	elf_end(elf);
	return err;
}

static int refuse(struct pymalloc *py, pid_t pid, const char *path, const char *why)
{
	log_error("PID %d: CPython's object heap (pymalloc) in %s is not traced: %s (its objects over 512 bytes "
		  "still are, as malloc calls; --no-pymalloc silences this)",
		  (int)pid, path, why);
	py->checked_err = -ENOTSUP;
	return -ENOTSUP;
}

static struct bpf_link *probe(struct bpf_program *prog, pid_t pid, const char *host, struct elf_image *img,
			      uint64_t vaddr, bool retprobe, uint64_t cookie)
{
	LIBBPF_OPTS(bpf_uprobe_opts, opts, .retprobe = retprobe, .bpf_cookie = cookie);
	uint64_t off;

	if (elf_vaddr_to_offset(img, vaddr, &off)) {
		errno = ENOENT;
		return NULL;
	}
	return bpf_program__attach_uprobe_opts(prog, (int)pid, host, (size_t)off, &opts);
}

static int attach_all(struct pymalloc *py, struct memtrace_bpf *skel, pid_t pid, const char *host,
		      struct elf_image *img, const struct pool_code *pc)
{
	py->take = probe(skel->progs.py_pool_take, pid, host, img, pc->take, false, 0);
	if (!py->take)
		return errno ? -errno : -EINVAL;
	py->taken = probe(skel->progs.py_pool_taken, pid, host, img, pc->take, true, 0);
	if (!py->taken)
		return errno ? -errno : -EINVAL;
	for (uint32_t i = 0; i < pc->nrelease; i++) {
		py->release[i] = probe(skel->progs.py_pool_release, pid, host, img, pc->release[i], false,
				       pc->release_reg[i]);
		if (!py->release[i])
			return errno ? -errno : -EINVAL;
		py->nrelease = i + 1;
	}
	return 0;
}

/*
 * Where the current thread state lives: PyThreadState_Get starts with
 * `mov _PyRuntime.gilstate.tstate_current(%rip),%rax` (48 8b 05 rel32).
 * Only for 3.11, whose frame layout bpf/pymalloc.bpf.h reads: the
 * version is Py_Version's (0x030bxxxx), read from the file.  0 when not.
 */
static uint64_t tstate_current(int fd, const struct elf_image *img, const uint8_t *text, size_t n,
			       uint64_t text_vaddr)
{
	const struct elf_sym *get = elf_image_find(img, "PyThreadState_Get", true);
	uint64_t ver, off, at;
	uint32_t version;
	int32_t rel;

	/* Py_Version is data: the image's table has functions only. */
	if (!get || elf_symbol_value_fd(fd, "Py_Version", true, &ver) || elf_vaddr_to_offset(img, ver, &off) ||
	    pread(fd, &version, sizeof(version), (off_t)off) != sizeof(version) || (version >> 16) != 0x030b)
		return 0;
	at = get->addr - text_vaddr;
	if (get->addr < text_vaddr || at + 7 > n || text[at] != 0x48 || text[at + 1] != 0x8b || text[at + 2] != 0x05)
		return 0;
	memcpy(&rel, text + at + 3, sizeof(rel));
	return get->addr + 7 + (uint64_t)(int64_t)rel;
}

/* Whether the object at map runs at its link-time addresses (a non-PIE
 * executable): vaddr is mapped at vaddr. */
static bool at_link_address(const struct maps *m, const struct mapping *map, const struct elf_image *img,
			    uint64_t vaddr)
{
	const struct mapping *at = maps_find(m, vaddr);
	uint64_t off;

	return at && at->inode == map->inode && !elf_vaddr_to_offset(img, vaddr, &off) &&
	       at->offset + (vaddr - at->start) == off;
}

/*
 * The last object decoded: a forking server's children (--follow) run the
 * same interpreter, and reading and scanning its 2.6 MiB of code for each
 * would add ~10 ms to every fork.  One entry, under a lock (children are
 * bound on more than one thread).
 */
static pthread_mutex_t decoded_lock = PTHREAD_MUTEX_INITIALIZER;
static struct {
	uint64_t dev, inode;
	struct pool_code pc;
	uint64_t tstate; /* tstate_current's answer, 0 for none */
	int err;         /* pool_code_find's; 1 when nothing is kept yet */
} decoded = { .err = 1 };

/* pool_code_find and tstate_current for the object at fd (map), through
 * the one-entry cache; -EIO when its .text cannot be read. */
static int decode(int fd, const struct elf_image *img, const struct mapping *map, uint64_t fm, uint64_t ff,
		  struct pool_code *pc, uint64_t *tstate)
{
	uint8_t *text = NULL;
	uint64_t text_vaddr;
	size_t n;
	int err;

	pthread_mutex_lock(&decoded_lock);
	if (decoded.err != 1 && decoded.dev == map->dev && decoded.inode == map->inode) {
		*pc = decoded.pc;
		*tstate = decoded.tstate;
		err = decoded.err;
		pthread_mutex_unlock(&decoded_lock);
		return err;
	}
	pthread_mutex_unlock(&decoded_lock);
	if (read_text(fd, &text, &n, &text_vaddr))
		return -EIO;
	err = pool_code_find(text, n, text_vaddr, fm, ff, pc);
	*tstate = err ? 0 : tstate_current(fd, img, text, n, text_vaddr);
	free(text);
	pthread_mutex_lock(&decoded_lock);
	decoded.dev = map->dev;
	decoded.inode = map->inode;
	decoded.pc = *pc;
	decoded.tstate = *tstate;
	decoded.err = err;
	pthread_mutex_unlock(&decoded_lock);
	return err;
}

static int probe_object(struct pymalloc *py, struct memtrace_bpf *skel, pid_t pid, const struct maps *m,
			const struct mapping *map, int verbose)
{
	const struct elf_sym *fm, *ff;
	struct elf_image *img = NULL;
	struct pool_code *pc = NULL;
	uint64_t tstate = 0;
	char host[64];
	int fd = -1, err;

	fd = target_file_open_mapping(pid, map);
	if (fd < 0)
		return -ENOENT;
	err = target_file_pin(pid, map, host);
	if (!err)
		err = elf_image_load(NULL, host, &img);
	if (err) {
		err = -ENOENT;
		goto out;
	}
	fm = elf_image_find(img, "PyObject_Malloc", true);
	ff = elf_image_find(img, "PyObject_Free", true);
	if (!fm || !ff) {
		err = -ENOENT;
		goto out;
	}
	pc = malloc(sizeof(*pc));
	err = pc ? decode(fd, img, map, fm->addr, ff->addr, pc, &tstate) : -ENOMEM;
	if (err == -EIO || err == -ENOMEM) {
		err = refuse(py, pid, map->path, "its .text cannot be read");
		goto out;
	}
	if (err) {
		err = refuse(py, pid, map->path,
			     pc->take ? "no inlined pool release was recognized in its code"
				      : "PyObject_Malloc's code is not the pymalloc build this knows (CPython 3.10-3.11, "
					"GCC, x86-64, non-PIE)");
		goto out;
	}
	err = attach_all(py, skel, pid, host, img, pc);
	/* -ESRCH: the process ended first (a --follow child's are probed from a
	 * thread while it runs): nothing to say. */
	if (err && err != -ESRCH)
		log_error("PID %d: cannot probe pymalloc in %s: %s; CPython's object heap is not traced%s", (int)pid,
			  map->path, strerror(-err), privs_hint(err, CAP_SYS_ADMIN));
	if (err) {
		pymalloc_detach(py);
		py->checked_err = err;
		goto out;
	}
	/* A non-PIE executable's addresses are the runtime ones; in a
	 * library they move, and Python frames are left out. */
	skel->bss->py_tstate_current = at_link_address(m, map, img, fm->addr) ? tstate : 0;
	snprintf(py->path, sizeof(py->path), "%s", map->path);
	py->inode = map->inode;
	py->checked_err = 0;
	log_debug(verbose, 1,
		  "pymalloc: pool refill at 0x%llx, %u inlined pool releases probed (%u other uses of arenas "
		  "left), usedpools 0x%llx, arenas 0x%llx; Python frames %s (thread state at 0x%llx)",
		  (unsigned long long)pc->take, pc->nrelease, pc->unmatched, (unsigned long long)pc->usedpools,
		  (unsigned long long)pc->arenas, skel->bss->py_tstate_current ? "read" : "not read (not 3.11 at its link address)",
		  (unsigned long long)skel->bss->py_tstate_current);
out:
	if (fd >= 0)
		close(fd);
	free(pc);
	elf_image_free(img);
	return err;
}

int pymalloc_attach(struct pymalloc *py, struct memtrace_bpf *skel, pid_t pid, int verbose)
{
	char exe_link[64], exe[PATH_MAX];
	const struct mapping *map;
	struct maps m;
	ssize_t n;
	int err;

	snprintf(exe_link, sizeof(exe_link), "/proc/%d/exe", (int)pid);
	n = readlink(exe_link, exe, sizeof(exe) - 1);
	if (n <= 0)
		return -ESRCH;
	exe[n] = '\0';
	if (maps_read(pid, &m))
		return -ESRCH;
	map = python_object(&m, exe);
	if (!map) {
		err = -ENOENT;
		goto out;
	}
	if ((py->take && py->inode == map->inode && !strcmp(py->path, map->path)) || py->checked_inode == map->inode) {
		err = py->take ? 0 : py->checked_err;
		goto out;
	}
	/* A new image: the old one's probes have nothing left to probe. */
	pymalloc_detach(py);
	py->checked_inode = map->inode;
	py->checked_err = -ENOENT;
	err = probe_object(py, skel, pid, &m, map, verbose);
out:
	maps_free(&m);
	return err;
}

struct mt_py_counters pymalloc_counters_read(const struct memtrace_bpf *skel)
{
	struct mt_py_counters c = { 0 };

	if (skel && skel->bss) {
		c.takes = skel->bss->pymalloc_counters[MT_PY_POOL_TAKES];
		c.releases = skel->bss->pymalloc_counters[MT_PY_POOL_RELEASES];
		c.nested = skel->bss->pymalloc_counters[MT_PY_POOL_NESTED];
	}
	return c;
}

void pymalloc_report(const struct pymalloc *py, const struct memtrace_bpf *skel, pid_t pid, int verbose)
{
	struct mt_py_counters c = pymalloc_counters_read(skel);

	if (!py->path[0])
		return;
	log_debug(verbose, 1, "pymalloc: %llu pools taken, %llu released, %llu Python frames read",
		  (unsigned long long)c.takes, (unsigned long long)c.releases,
		  (unsigned long long)skel->bss->pymalloc_counters[MT_PY_FRAMES]);
	if (c.nested)
		log_error("PID %d: %llu pymalloc pool refills were not counted: each began inside another on its "
			  "thread (nothing to do; report it if you see it)",
			  (int)pid, (unsigned long long)c.nested);
}

void pymalloc_detach(struct pymalloc *py)
{
	bpf_link__destroy(py->take);
	bpf_link__destroy(py->taken);
	for (uint32_t i = 0; i < py->nrelease; i++)
		bpf_link__destroy(py->release[i]);
	py->take = py->taken = NULL;
	py->nrelease = 0;
	py->path[0] = '\0';
}
