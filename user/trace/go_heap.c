// SPDX-License-Identifier: MIT
/*
 * Probing runtime.mallocgc.  See go_heap.h; the BPF side is
 * bpf/go_heap.bpf.h, which says why the probe sits on the prologue's
 * `jbe morestack` and how the entry registers are read.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "elfimg.h"
#include "gc_state.h" /* elf_scan: Go's build info */
#include "go_class_tables.h"
#include "go_heap_bpf.h"
#include "go_heap.h"
#include "log.h"
#include "memtrace.h" /* before the skeleton: it names struct mt_counters */
#include "memtrace.skel.h"
#include "privs.h"
#include "procmaps.h"
#include "target_file.h"

/* Go >= 1.17 passes arguments in registers on amd64. */
static bool register_abi(const char *version)
{
	int major = 0, minor = 0;

	if (sscanf(version, "go%d.%d", &major, &minor) != 2)
		return true; /* no build info: a devel build, newer than 1.17 */
	return major > 1 || (major == 1 && minor >= 17);
}

/*
 * Offset from mallocgc's entry of the prologue's `jbe morestack`, which
 * follows `cmp 0x10(%r14),%rsp` (49 3b 66 10): 4.  -ENOEXEC for any other
 * prologue (a frame too big for that compare, another compiler).
 */
static int jbe_offset(const char *host_path, uint64_t off)
{
	static const unsigned char cmp[] = { 0x49, 0x3b, 0x66, 0x10 };
	unsigned char code[16];
	int fd = target_file_open(NULL, host_path);
	ssize_t n;

	if (fd < 0)
		return fd;
	n = pread(fd, code, sizeof(code), (off_t)off);
	close(fd);
	if (n != (ssize_t)sizeof(code))
		return -EIO;
	if (memcmp(code, cmp, sizeof(cmp)))
		return -ENOEXEC;
	if (code[4] == 0x76 || (code[4] == 0x0f && code[5] == 0x86))
		return (int)sizeof(cmp);
	return -ENOEXEC;
}

/* Copies n bytes of one of Go's size-class tables (data symbol name) from the file. */
static int read_table(int fd, const struct elf_image *img, const char *name, void *buf, size_t n)
{
	uint64_t vaddr, off;

	if (elf_symbol_value_fd(fd, name, false, &vaddr) || elf_vaddr_to_offset(img, vaddr, &off))
		return -ENOENT;
	return pread(fd, buf, n, (off_t)off) == (ssize_t)n ? 0 : -EIO;
}

/*
 * Go's size classes into the BPF map; without them (another layout of the
 * tables) requested sizes are charged, and -v says so.  class_to_size
 * rises to maxSmallSize, which ends it.
 */
static void load_classes(struct memtrace_bpf *skel, const char *host_path, const struct elf_image *img,
			 const struct elf_sym *mallocgc, int verbose)
{
	struct mt_go_classes c = { 0 };
	int fd = target_file_open(NULL, host_path), err = fd < 0 ? fd : 0;
	__u32 zero = 0;

	if (!err)
		err = read_table(fd, img, "runtime.size_to_class8", c.class8, MT_GO_SMALL_MAX / 8 + 1);
	if (!err)
		err = read_table(fd, img, "runtime.size_to_class128", c.class128,
				 (MT_GO_MAX_SMALL - MT_GO_SMALL_MAX) / 128 + 1);
	if (!err)
		err = read_table(fd, img, "runtime.class_to_size", c.class_to_size, sizeof(c.class_to_size));
	if (err == -ENOENT) /* stripped: through mallocgc's code */
		err = go_class_tables_find(fd, img, mallocgc, &c);
	if (fd >= 0)
		close(fd);
	for (unsigned i = 1; !err && i < 128 && !c.nclasses; i++) {
		if (c.class_to_size[i] <= c.class_to_size[i - 1])
			break;
		if (c.class_to_size[i] == MT_GO_MAX_SMALL)
			c.nclasses = i + 1;
	}
	if (err || !c.nclasses) {
		log_debug(verbose, 1, "Go's size-class tables not found: Go allocations are charged the bytes asked for");
		return;
	}
	if (bpf_map_update_elem(bpf_map__fd(skel->maps.go_classes), &zero, &c, BPF_ANY))
		log_debug(verbose, 1, "cannot load Go's size classes: %s", strerror(errno));
}

static int refuse(struct go_heap *g, uint64_t inode, pid_t pid, const char *path, const char *why)
{
	if (g->refused_inode != inode)
		log_error("PID %d: the Go heap of %s is not traced: %s", (int)pid, path, why);
	g->refused_inode = inode;
	g->checked_err = -ENOTSUP;
	return -ENOTSUP;
}

int go_heap_attach(struct go_heap *g, struct memtrace_bpf *skel, pid_t pid, int verbose)
{
	char exe_link[64], exe[PATH_MAX], host[64];
	const struct mapping *map;
	struct elf_image *img = NULL;
	const struct elf_sym *fn;
	struct elf_scan scan;
	struct maps m;
	uint64_t off;
	ssize_t n;
	int err, skip;

	snprintf(exe_link, sizeof(exe_link), "/proc/%d/exe", (int)pid);
	n = readlink(exe_link, exe, sizeof(exe) - 1);
	if (n <= 0)
		return -ESRCH;
	exe[n] = '\0';
	err = maps_read(pid, &m);
	if (err)
		return -ESRCH;
	map = maps_first_of(&m, exe);
	if (!map) {
		err = -ENOENT;
		goto out;
	}
	if (g->link && g->inode == map->inode && !strcmp(g->path, exe)) {
		err = 0;
		goto out;
	}
	if (g->checked_inode == map->inode) {
		err = g->checked_err;
		goto out;
	}
	/* A new image: the old one's probe has nothing left to probe. */
	go_heap_detach(g);
	err = target_file_pin(pid, map, host);
	if (!err)
		err = elf_scan(host, &scan);
	if (err) {
		err = -ENOENT;
		goto out;
	}
	g->checked_inode = map->inode;
	g->checked_err = -ENOENT;
	if (!scan.go)
		goto out;
	if (!scan.go_symtab && !scan.go_pclntab) {
		err = g->checked_err = -ENODATA;
		goto out;
	}
	if (!register_abi(scan.go_version)) {
		err = refuse(g, map->inode, pid, exe, "Go before 1.17 passes arguments on the stack (needs Go >= 1.17)");
		goto out;
	}
	err = elf_image_load(NULL, host, &img);
	if (err)
		goto out;
	fn = elf_image_find(img, "runtime.mallocgc", false);
	if (!fn || elf_vaddr_to_offset(img, fn->addr, &off)) {
		err = refuse(g, map->inode, pid, exe, "it has no runtime.mallocgc");
		goto out;
	}
	skip = jbe_offset(host, off);
	if (skip < 0) {
		err = refuse(g, map->inode, pid, exe, "runtime.mallocgc's prologue is not the stack check it should be");
		goto out;
	}
	load_classes(skel, host, img, fn, verbose);
	{
		LIBBPF_OPTS(bpf_uprobe_opts, opts);

		g->link = bpf_program__attach_uprobe_opts(skel->progs.go_mallocgc, (int)pid, host,
							  (size_t)(off + (uint64_t)skip), &opts);
	}
	if (!g->link) {
		err = g->checked_err = errno ? -errno : -EINVAL;
		log_error("PID %d: cannot probe runtime.mallocgc in %s: %s; the Go heap is not traced%s", (int)pid,
			  exe, strerror(-err), privs_hint(err, CAP_SYS_ADMIN));
		goto out;
	}
	snprintf(g->path, sizeof(g->path), "%s", exe);
	snprintf(g->version, sizeof(g->version), "%s", scan.go_version);
	g->alone = !scan.needs_libs;
	g->inode = map->inode;
	g->checked_err = 0;
	log_debug(verbose, 1, "probe runtime.mallocgc at %s+0x%llx (its jbe morestack)", exe,
		  (unsigned long long)(off + (uint64_t)skip));
	err = 0;
out:
	elf_image_free(img);
	maps_free(&m);
	return err;
}

void go_heap_name(const struct go_heap *g, char *buf, size_t n)
{
	int major, minor;

	if (sscanf(g->version, "go%d.%d", &major, &minor) == 2)
		snprintf(buf, n, "Go %d.%d", major, minor);
	else
		snprintf(buf, n, "Go");
}

struct mt_go_counters go_heap_counters(const struct memtrace_bpf *skel)
{
	struct mt_go_counters c = { 0 };

	if (skel && skel->bss) {
		c.calls = skel->bss->go_heap_counters[MT_GO_CALLS];
		c.bytes = skel->bss->go_heap_counters[MT_GO_BYTES];
		c.restarts = skel->bss->go_heap_counters[MT_GO_RESTARTS];
		c.unreadable = skel->bss->go_heap_counters[MT_GO_UNREADABLE];
	}
	return c;
}

void go_heap_stop(struct go_heap *g)
{
	bpf_link__destroy(g->link);
	g->link = NULL;
}

void go_heap_detach(struct go_heap *g)
{
	go_heap_stop(g);
	g->path[0] = '\0';
}
