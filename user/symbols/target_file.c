// SPDX-License-Identifier: MIT
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "target_file.h"

/* O_NONBLOCK: a FIFO put where a library was must not hang the open. */
#define UNTRUSTED_FLAGS (O_RDONLY | O_NONBLOCK | O_NOFOLLOW | O_CLOEXEC)

static int check_regular(int fd, const struct mapping *want)
{
	struct stat st;

	if (fstat(fd, &st))
		return -errno;
	if (!S_ISREG(st.st_mode))
		return TARGET_FILE_ENOTREG;
	if ((unsigned long long)st.st_size > TARGET_FILE_MAX_SIZE)
		return -EFBIG;
	if (want && (st.st_ino != want->inode || st.st_dev != want->dev))
		return TARGET_FILE_EWRONGINODE;
	return 0;
}

static int checked(int fd, const struct mapping *want)
{
	int err;

	if (fd < 0)
		return fd;
	err = check_regular(fd, want);
	if (err) {
		close(fd);
		return err;
	}
	return fd;
}

/*
 * Where openat2 is missing (before 5.6): one component at a time, following
 * no symlink at all, ".." clamped at the root.  Stricter than
 * RESOLVE_IN_ROOT (a symlinked path fails with -ELOOP) but never outside.
 */
static int walk_in_root(int rootfd, const char *path)
{
	char comp[256];
	int dir = dup(rootfd), depth = 0;

	if (dir < 0)
		return -errno;
	while (*path) {
		const char *end;
		size_t len;
		int next;
		bool last;

		while (*path == '/')
			path++;
		end = strchrnul(path, '/');
		len = (size_t)(end - path);
		last = !*end || !end[strspn(end, "/")];
		if (!len)
			break;
		if (len >= sizeof(comp)) {
			close(dir);
			return -ENAMETOOLONG;
		}
		memcpy(comp, path, len);
		comp[len] = '\0';
		path = end;
		if (!strcmp(comp, "."))
			continue;
		if (!strcmp(comp, "..") && depth == 0)
			continue;
		next = openat(dir, comp, last ? UNTRUSTED_FLAGS : O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (next < 0) {
			next = -errno;
			close(dir);
			return next;
		}
		close(dir);
		dir = next;
		depth += strcmp(comp, "..") ? 1 : -1;
		if (last)
			return dir;
	}
	close(dir);
	return -EISDIR;
}

static int open_in_root(int rootfd, const char *path)
{
	struct open_how how = {
		.flags = UNTRUSTED_FLAGS,
		.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS,
	};
	long fd = syscall(SYS_openat2, rootfd, path, &how, sizeof(how));

	if (fd >= 0)
		return (int)fd;
	if (errno == ENOSYS)
		return walk_in_root(rootfd, path);
	/* O_NOFOLLOW on a final symlink: resolve it in the root, still no magic links. */
	if (errno == ELOOP) {
		how.flags &= ~(unsigned long long)O_NOFOLLOW;
		fd = syscall(SYS_openat2, rootfd, path, &how, sizeof(how));
		if (fd >= 0)
			return (int)fd;
	}
	return -errno;
}

int target_file_open(const char *root, const char *path)
{
	int rootfd, fd;

	if (!root || !*root) {
		fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
		return checked(fd < 0 ? -errno : fd, NULL);
	}
	rootfd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (rootfd < 0)
		return -errno;
	fd = open_in_root(rootfd, path);
	close(rootfd);
	return checked(fd, NULL);
}

int target_file_open_mapping(pid_t pid, const struct mapping *m)
{
	char p[96];
	int fd, rootfd;

	snprintf(p, sizeof(p), "/proc/%d/map_files/%llx-%llx", (int)pid, (unsigned long long)m->start,
		 (unsigned long long)m->end);
	/* The link is the mapping itself: no path to resolve, nothing to check
	 * but the kind of file (a mapped device is not ELF). */
	fd = open(p, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (fd >= 0)
		return checked(fd, NULL);
	/* Following map_files needs CAP_SYS_ADMIN or CAP_CHECKPOINT_RESTORE:
	 * without them, the path, and proof that it is the mapped inode. */
	if (errno != EPERM && errno != EACCES)
		return -errno;
	snprintf(p, sizeof(p), "/proc/%d/root", (int)pid);
	rootfd = open(p, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (rootfd < 0)
		return -errno;
	fd = open_in_root(rootfd, m->path);
	close(rootfd);
	return checked(fd, m);
}

static struct {
	dev_t dev;
	ino_t ino;
	int fd;
} pins[256];
static int npins;

int target_file_pin(pid_t pid, const struct mapping *m, char out[64])
{
	struct stat st;
	int fd;

	fd = target_file_open_mapping(pid, m);
	if (fd < 0)
		return fd;
	if (fstat(fd, &st)) {
		close(fd);
		return -errno;
	}
	for (int i = 0; i < npins; i++) {
		if (pins[i].dev == st.st_dev && pins[i].ino == st.st_ino) {
			close(fd);
			snprintf(out, 64, "/proc/self/fd/%d", pins[i].fd);
			return 0;
		}
	}
	if (npins == (int)(sizeof(pins) / sizeof(pins[0]))) {
		close(fd);
		return -EMFILE;
	}
	pins[npins].dev = st.st_dev;
	pins[npins].ino = st.st_ino;
	pins[npins++].fd = fd;
	snprintf(out, 64, "/proc/self/fd/%d", fd);
	return 0;
}

const char *target_file_strerror(int err)
{
	switch (err) {
	case TARGET_FILE_ENOTREG:
		return "not a regular file";
	case TARGET_FILE_EWRONGINODE:
		return "the file at that path is not the one mapped";
	case -EFBIG:
		return "larger than 1 GiB";
	case -ELOOP:
		return "a symlink memtrace does not follow";
	case -EXDEV:
		return "a path leaving the target's root";
	default:
		return strerror(-err);
	}
}

const char *target_file_advice(int err)
{
	switch (err) {
	case TARGET_FILE_EWRONGINODE:
		return "give memtrace CAP_CHECKPOINT_RESTORE to reach the mapped file through /proc/PID/map_files";
	case -EMFILE:
		return "the target maps too many distinct files to hold them all open";
	default:
		return "the probes would go on another file, or none";
	}
}
