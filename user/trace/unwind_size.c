// SPDX-License-Identifier: MIT
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "elf_needed.h"
#include "log.h"
#include "procmaps.h"
#include "target_file.h"
#include "unwind_fp.h"
#include "unwind_size.h"

static const char *size_program;
static uint32_t size_forced;
static uint32_t size_last; /* the last target's: --follow's children map what their parent did */

void unwind_size_set(const char *program, uint32_t forced_rows)
{
	size_program = program;
	size_forced = forced_rows;
}

/* Rows of the object open on fd; 0 when it has none or cannot be read. */
static size_t rows_of(struct unwind_loader *l, int fd, uint64_t dev, uint64_t inode)
{
	const struct unwind_table *t = NULL;
	char key[64];
	size_t index;

	unwind_loader_key(fd, dev, inode, key);
	if (unwind_cache_get_index(&l->cache, key, fd, &t, &index) || !t)
		return 0;
	/* auto walks an object that keeps frame pointers by them: no rows. */
	if (l->mode == MT_UNWIND_AUTO && unwind_table_keeps_fp(t))
		return 0;
	return t->nrows;
}

/* execvp's search, for a name without a slash; the path as given otherwise. */
static int program_open(const char *name)
{
	const char *path = getenv("PATH");
	char buf[PATH_MAX];

	if (strchr(name, '/'))
		return target_file_open(NULL, name);
	if (!path)
		path = "/usr/local/bin:/usr/bin:/bin";
	while (*path) {
		size_t n = strcspn(path, ":");
		int fd;

		if (snprintf(buf, sizeof(buf), "%.*s/%s", (int)n, n ? path : ".", name) < (int)sizeof(buf)) {
			fd = target_file_open(NULL, buf);
			if (fd >= 0 && access(buf, X_OK) == 0)
				return fd;
			if (fd >= 0)
				close(fd);
		}
		path += n + (path[n] == ':');
	}
	return -ENOENT;
}

/* The objects counted for a program not yet run: at most this many, each once. */
#define PROGRAM_OBJECTS 512

struct closure {
	struct unwind_loader *l;
	struct stat seen[PROGRAM_OBJECTS];
	size_t n;
	size_t rows;
};

static void count_fd(struct closure *c, int fd);

/* Where the dynamic linker of a Debian x86-64 system finds a library by
 * name, short of ld.so.cache and RUNPATH: an estimate, not a resolution. */
static void count_needed(const char *name, void *ctx)
{
	static const char *const dirs[] = { "/lib/x86_64-linux-gnu", "/usr/lib/x86_64-linux-gnu", "/lib64",
					    "/usr/lib64", "/lib", "/usr/lib" };
	char path[PATH_MAX];

	if (strchr(name, '/')) {
		int fd = target_file_open(NULL, name);

		if (fd >= 0)
			count_fd(ctx, fd);
		return;
	}
	for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		int fd;

		if (snprintf(path, sizeof(path), "%s/%s", dirs[i], name) >= (int)sizeof(path))
			continue;
		fd = target_file_open(NULL, path);
		if (fd >= 0) {
			count_fd(ctx, fd);
			return;
		}
	}
}

/* Counts the object open on fd (closing it) and the libraries it needs. */
static void count_fd(struct closure *c, int fd)
{
	struct stat st;

	if (fstat(fd, &st) || c->n == PROGRAM_OBJECTS)
		goto out;
	for (size_t i = 0; i < c->n; i++)
		if (c->seen[i].st_dev == st.st_dev && c->seen[i].st_ino == st.st_ino)
			goto out;
	c->seen[c->n++] = st;
	c->rows += rows_of(c->l, fd, st.st_dev, st.st_ino);
	elf_needed_each(fd, count_needed, c);
out:
	close(fd);
}

/* The program's rows and its libraries' (DT_NEEDED, transitively). */
static size_t program_rows(struct unwind_loader *l)
{
	struct closure *c;
	size_t rows;
	int fd;

	if (!size_program)
		return 0;
	fd = program_open(size_program);
	c = calloc(1, sizeof(*c));
	if (fd < 0 || !c) {
		if (fd >= 0)
			close(fd);
		free(c);
		return 0;
	}
	c->l = l;
	count_fd(c, fd);
	rows = c->rows;
	free(c);
	return rows;
}

/* Each object once: its executable mappings are all one table. */
static size_t mapped_rows(struct unwind_loader *l, pid_t pid)
{
	struct maps m = {};
	size_t rows = 0;

	if (maps_read(pid, &m))
		return 0;
	for (size_t i = 0; i < m.n; i++) {
		const struct mapping *e = &m.v[i];
		bool seen = false;
		int fd;

		if (!e->exec || !e->path[0] || e->path[0] == '[')
			continue;
		for (size_t k = 0; k < i && !seen; k++)
			seen = m.v[k].exec && m.v[k].inode == e->inode && m.v[k].dev == e->dev;
		if (seen)
			continue;
		fd = target_file_open_mapping(pid, e);
		if (fd < 0)
			continue;
		rows += rows_of(l, fd, e->dev, e->inode);
		close(fd);
	}
	maps_free(&m);
	return rows;
}

/* Whether pid is still memtrace's own image: a launched child held before exec. */
static bool before_exec(pid_t pid)
{
	struct stat self, target;
	char path[64];

	snprintf(path, sizeof(path), "/proc/%d/exe", (int)pid);
	return stat("/proc/self/exe", &self) == 0 && stat(path, &target) == 0 && self.st_dev == target.st_dev &&
	       self.st_ino == target.st_ino;
}

uint32_t unwind_size_for(struct unwind_loader *l, pid_t pid)
{
	size_t rows;

	if (size_forced)
		return size_forced;
	/* Read by tracer_pool's loading thread, written by the main one. */
	if (pid <= 0)
		return __atomic_load_n(&size_last, __ATOMIC_RELAXED) > MT_UNWIND_ROWS
			       ? __atomic_load_n(&size_last, __ATOMIC_RELAXED)
			       : MT_UNWIND_ROWS;
	rows = before_exec(pid) ? program_rows(l) : mapped_rows(l, pid);
	rows += MT_UNWIND_ROWS;
	/* Whole 64 KiB pages of rows (8 bytes each), as the array is mmapped. */
	rows = (rows + 8191) & ~(size_t)8191;
	rows = rows > MT_UNWIND_ROWS_MAX ? MT_UNWIND_ROWS_MAX : rows;
	__atomic_store_n(&size_last, (uint32_t)rows, __ATOMIC_RELAXED);
	return (uint32_t)rows;
}

void unwind_full_warn(const struct unwind_loader *l, pid_t pid)
{
	size_t want = ((size_t)l->used + l->full_rows + 8191) & ~(size_t)8191;

	if (!l->full)
		return;
	if (want <= MT_UNWIND_ROWS_MAX)
		log_warn("unwind rows: %zu object%s of PID %d left without rows (%zu rows did not fit in %u): "
			 "their frames end the stack as [truncated] (rerun with --unwind-rows %zu)",
			 l->full, l->full == 1 ? "" : "s", (int)pid, l->full_rows, l->cap, want);
	else
		log_warn("unwind rows: %zu object%s of PID %d left without rows (%zu rows did not fit in %u, more "
			 "than --unwind-rows allows, %u): their frames end the stack as [truncated] (--unwind fp "
			 "walks them by frame pointer, if they keep it)",
			 l->full, l->full == 1 ? "" : "s", (int)pid, l->full_rows, l->cap, MT_UNWIND_ROWS_MAX);
}
