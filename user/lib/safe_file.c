// SPDX-License-Identifier: MIT
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"
#include "safe_file.h"

static mode_t file_mode = 0600;

int safe_file_set_mode(mode_t mode)
{
	if ((mode & ~(mode_t)0644) || (mode & 0600) != 0600)
		return -EINVAL;
	file_mode = mode;
	return 0;
}

mode_t safe_file_mode(void)
{
	return file_mode;
}

int safe_file_parse_mode(const char *text, mode_t *out)
{
	char *end;
	long v;

	if (!text || !*text)
		return -EINVAL;
	errno = 0;
	v = strtol(text, &end, 8);
	if (*end || errno || v < 0 || v > 07777)
		return -EINVAL;
	if (((mode_t)v & ~(mode_t)0644) || ((mode_t)v & 0600) != 0600)
		return -EINVAL;
	*out = (mode_t)v;
	return 0;
}

/* The directory part opened once: every later step is relative to it, so a
 * directory swapped for a symlink mid-way cannot redirect the file. */
static int open_parent(const char *path, char **name)
{
	const char *slash = strrchr(path, '/');
	char *dir;
	int fd;

	if (!*path)
		return -EINVAL;
	if (slash && !slash[1])
		return -EISDIR;
	if (!slash) {
		dir = strdup(".");
		*name = strdup(path);
	} else {
		dir = slash == path ? strdup("/") : strndup(path, (size_t)(slash - path));
		*name = strdup(slash + 1);
	}
	if (!dir || !*name) {
		free(dir);
		free(*name);
		*name = NULL;
		return -ENOMEM;
	}
	if (!strcmp(*name, ".") || !strcmp(*name, "..")) {
		free(dir);
		free(*name);
		*name = NULL;
		return -EISDIR;
	}
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	free(dir);
	if (fd < 0) {
		int err = -errno;

		free(*name);
		*name = NULL;
		return err;
	}
	return fd;
}

static int random_name(char *buf, size_t len, const char *prefix, const char *suffix)
{
	static const char abc[] = "abcdefghijklmnopqrstuvwxyz0123456789";
	unsigned char r[12];
	size_t n;

	if (getrandom(r, sizeof(r), 0) != (ssize_t)sizeof(r))
		return -EIO;
	n = (size_t)snprintf(buf, len, "%s", prefix);
	for (size_t i = 0; i < sizeof(r) && n + 1 < len; i++)
		buf[n++] = abc[r[i] % (sizeof(abc) - 1)];
	buf[n] = 0;
	if ((size_t)snprintf(buf + n, len - n, "%s", suffix) >= len - n)
		return -ENAMETOOLONG;
	return 0;
}

/* The fallback for filesystems without O_TMPFILE: a name nobody could have
 * planted, created only if it does not exist and never through a symlink. */
static int create_named(int dirfd, char *tmp, size_t len)
{
	for (int tries = 0; tries < 16; tries++) {
		int fd, err = random_name(tmp, len, ".memtrace-", ".tmp");

		if (err)
			return err;
		fd = openat(dirfd, tmp, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
		if (fd >= 0 || errno != EEXIST)
			return fd >= 0 ? fd : -errno;
	}
	return -EEXIST;
}

int safe_file_create(struct safe_file *sf, const char *path)
{
	int fd, err;

	memset(sf, 0, sizeof(*sf));
	sf->dirfd = open_parent(path, &sf->name);
	if (sf->dirfd < 0) {
		err = sf->dirfd;
		sf->dirfd = -1;
		return err;
	}
	fd = openat(sf->dirfd, ".", O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
	if (fd < 0 && (errno == EOPNOTSUPP || errno == EISDIR || errno == EINVAL))
		fd = create_named(sf->dirfd, sf->tmp, sizeof(sf->tmp));
	else if (fd < 0)
		fd = -errno;
	if (fd < 0) {
		err = fd;
		goto fail;
	}
	/* fchmod, not the open's mode: a umask of 000 must not widen it. */
	if (fchmod(fd, file_mode)) {
		err = -errno;
		close(fd);
		goto fail;
	}
	sf->f = fdopen(fd, "w+b");
	if (!sf->f) {
		err = -errno;
		close(fd);
		goto fail;
	}
	return 0;
fail:
	if (sf->tmp[0])
		unlinkat(sf->dirfd, sf->tmp, 0);
	close(sf->dirfd);
	free(sf->name);
	memset(sf, 0, sizeof(*sf));
	sf->dirfd = -1;
	return err;
}

static void release(struct safe_file *sf)
{
	if (sf->f)
		fclose(sf->f);
	if (sf->dirfd >= 0)
		close(sf->dirfd);
	free(sf->name);
	memset(sf, 0, sizeof(*sf));
	sf->dirfd = -1;
}

void safe_file_abort(struct safe_file *sf)
{
	if (sf->tmp[0] && sf->dirfd >= 0)
		unlinkat(sf->dirfd, sf->tmp, 0);
	release(sf);
}

/* Gives the nameless file a fresh random name (linkat never replaces). */
static int link_tmpfile(struct safe_file *sf, int fd, const char *prefix, const char *suffix)
{
	char proc[64];

	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
	for (int tries = 0; tries < 16; tries++) {
		int err = random_name(sf->tmp, sizeof(sf->tmp), prefix, suffix);

		if (err)
			return err;
		/* AT_EMPTY_PATH needs CAP_DAC_READ_SEARCH; /proc does not. */
		if (!linkat(fd, "", sf->dirfd, sf->tmp, AT_EMPTY_PATH) ||
		    (errno != EEXIST && !linkat(AT_FDCWD, proc, sf->dirfd, sf->tmp, AT_SYMLINK_FOLLOW)))
			return 0;
		if (errno != EEXIST) {
			sf->tmp[0] = 0;
			return -errno;
		}
	}
	sf->tmp[0] = 0;
	return -EEXIST;
}

static int flush_all(struct safe_file *sf)
{
	int fd = fileno(sf->f);

	if (fflush(sf->f))
		return errno ? -errno : -EIO;
	if (ferror(sf->f))
		return -EIO;
	if (fsync(fd))
		return -errno;
	return 0;
}

/* Copies the finished data into an open device or FIFO. */
static int copy_into(int from, int to)
{
	char buf[65536];
	off_t off = 0;

	for (;;) {
		ssize_t n = pread(from, buf, sizeof(buf), off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			return 0;
		off += n;
		for (ssize_t done = 0; done < n;) {
			ssize_t w = write(to, buf + done, (size_t)(n - done));

			if (w < 0 && errno == EINTR)
				continue;
			if (w < 0)
				return -errno;
			done += w;
		}
	}
}

/*
 * A character device or FIFO at the final name (-o /dev/null, a pipe a
 * reader waits on) is written into, never renamed over: as root, a rename
 * would replace /dev/null itself with a regular file.  Returns 1 when the
 * data went there, 0 when the name is free, a regular file or a symlink (to
 * be replaced), or a negative errno (-EISDIR, -EPERM for other kinds,
 * -ENXIO for a FIFO nobody reads).
 */
/* Writes the finished data into fd, opened O_NONBLOCK only so that opening
 * a FIFO could not hang, and closes it: 1, or a negative errno. */
static int write_through(struct safe_file *sf, int fd)
{
	int err, flags = fcntl(fd, F_GETFL);

	if (flags < 0 || fcntl(fd, F_SETFL, flags & ~O_NONBLOCK)) {
		err = -errno;
		close(fd);
		return err;
	}
	err = copy_into(fileno(sf->f), fd);
	if (close(fd) && !err)
		err = -errno;
	return err ? err : 1;
}

/* Whether only root can change the names in the directory: a symlink
 * there was put by root, and may be followed. */
static bool trusted_dir(int dirfd)
{
	struct stat d;

	return !fstat(dirfd, &d) && d.st_uid == 0 && !(d.st_mode & (S_IWGRP | S_IWOTH));
}

/*
 * A symlink in a directory only root can write (/dev/stdout, /dev/stderr):
 * to a device or FIFO, the data goes there; through /proc/self/fd or
 * /dev/fd to a regular file (a shell redirect), it is appended, as the
 * command's own output is.  1 when written, 0 to replace the link as any
 * other, or a negative errno.
 */
static int through_root_link(struct safe_file *sf)
{
	char target[64];
	struct stat got;
	ssize_t n;
	int fd;
	bool fd_link;

	if (!trusted_dir(sf->dirfd))
		return 0;
	n = readlinkat(sf->dirfd, sf->name, target, sizeof(target) - 1);
	if (n < 0)
		return 0;
	target[n] = '\0';
	fd_link = !strncmp(target, "/proc/self/fd/", 14) || !strncmp(target, "/dev/fd/", 8);
	fd = openat(sf->dirfd, sf->name, O_WRONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY | (fd_link ? O_APPEND : 0));
	if (fd < 0)
		return errno == ENOENT ? 0 : -errno;
	if (fstat(fd, &got) ||
	    !(S_ISCHR(got.st_mode) || S_ISFIFO(got.st_mode) || (fd_link && S_ISREG(got.st_mode)))) {
		close(fd);
		return 0;
	}
	return write_through(sf, fd);
}

static int into_special(struct safe_file *sf)
{
	struct stat st, got;
	int fd;

	if (fstatat(sf->dirfd, sf->name, &st, AT_SYMLINK_NOFOLLOW))
		return errno == ENOENT ? 0 : -errno;
	if (S_ISLNK(st.st_mode))
		return through_root_link(sf);
	if (S_ISREG(st.st_mode))
		return 0;
	if (S_ISDIR(st.st_mode))
		return -EISDIR;
	if (!S_ISCHR(st.st_mode) && !S_ISFIFO(st.st_mode))
		return -EPERM;
	/* O_NONBLOCK: a FIFO without a reader fails at once instead of hanging. */
	fd = openat(sf->dirfd, sf->name, O_WRONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &got) || got.st_dev != st.st_dev || got.st_ino != st.st_ino ||
	    (got.st_mode & S_IFMT) != (st.st_mode & S_IFMT)) {
		close(fd);
		return -EPERM;
	}
	return write_through(sf, fd);
}

int safe_file_commit(struct safe_file *sf)
{
	int err = flush_all(sf);

	if (!err) {
		err = into_special(sf);
		if (err == 1) {
			safe_file_abort(sf);
			return 0;
		}
	}
	if (!err && !sf->tmp[0])
		err = link_tmpfile(sf, fileno(sf->f), ".memtrace-", ".tmp");
	if (!err && renameat(sf->dirfd, sf->tmp, sf->dirfd, sf->name))
		err = -errno;
	if (err) {
		safe_file_abort(sf);
		return err;
	}
	sf->tmp[0] = 0;
	if (fclose(sf->f) && !err)
		err = -errno;
	sf->f = NULL;
	release(sf);
	return err;
}

int safe_file_commit_unique(struct safe_file *sf, const char *prefix, const char *suffix, char *out, size_t outlen)
{
	int err = flush_all(sf);

	/* The fallback's temporary name is already random: keep it. */
	if (!err && !sf->tmp[0])
		err = link_tmpfile(sf, fileno(sf->f), prefix, suffix);
	if (!err && (size_t)snprintf(out, outlen, "%s", sf->tmp) >= outlen)
		err = -ENAMETOOLONG;
	if (err) {
		safe_file_abort(sf);
		return err;
	}
	sf->tmp[0] = 0;
	if (fclose(sf->f))
		err = -errno;
	sf->f = NULL;
	release(sf);
	return err;
}

static uid_t invoking_uid(void)
{
	const char *s = getenv("SUDO_UID");
	char *end;
	unsigned long v;

	if (getuid() != 0 || !s || !*s)
		return getuid();
	v = strtoul(s, &end, 10);
	return *end || v > 0x7fffffffUL ? getuid() : (uid_t)v;
}

/* Whether an existing file is one memtrace may append to. */
static int appendable(const struct stat *st)
{
	/* Only root makes device nodes: one is never a planted trap, and a
	 * log to /dev/null or a terminal is what the user asked for. */
	if (S_ISCHR(st->st_mode))
		return st->st_uid == 0 ? 0 : -EPERM;
	if (!S_ISREG(st->st_mode) || st->st_nlink != 1)
		return -EPERM;
	if (st->st_uid != 0 && st->st_uid != invoking_uid())
		return -EPERM;
	return 0;
}

/* An O_PATH handle never blocks (FIFO), never follows the last symlink
 * (O_NOFOLLOW gives the link itself) and pins the inode that is checked. */
static int open_existing(const char *path, int flags)
{
	char proc[64];
	struct stat st;
	int pfd, fd, err;

	pfd = open(path, O_PATH | O_NOFOLLOW | O_CLOEXEC);
	if (pfd < 0)
		return -errno;
	if (fstat(pfd, &st)) {
		err = -errno;
		close(pfd);
		return err;
	}
	err = appendable(&st);
	if (err || !flags) {
		close(pfd);
		return err;
	}
	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", pfd);
	fd = open(proc, flags | O_CLOEXEC);
	err = fd < 0 ? -errno : 0;
	close(pfd);
	return fd < 0 ? err : fd;
}

int safe_file_append_open(const char *path, FILE **out)
{
	int fd;

	if (!*path)
		return -EINVAL;
	fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd >= 0) {
		if (fchmod(fd, file_mode)) {
			int err = -errno;

			close(fd);
			return err;
		}
	} else if (errno == EEXIST) {
		fd = open_existing(path, O_WRONLY | O_APPEND);
		if (fd < 0)
			return fd;
	} else {
		return -errno;
	}
	*out = fdopen(fd, "ae");
	if (!*out) {
		int err = -errno;

		close(fd);
		return err;
	}
	return 0;
}

int safe_file_check(const char *path, bool append)
{
	struct safe_file sf;
	struct stat st;
	int err;

	if (!*path)
		return -EINVAL;
	if (!stat(path, &st) && S_ISDIR(st.st_mode))
		return -EISDIR;
	if (append) {
		err = open_existing(path, 0);
		if (err != -ENOENT)
			return err;
	}
	/* A real temporary file: the only proof that the directory exists, is
	 * writable and is not on a read-only filesystem. */
	err = safe_file_create(&sf, path);
	if (err)
		return err;
	safe_file_abort(&sf);
	return 0;
}

int safe_file_write(const char *path, int (*render)(FILE *f, void *ctx), void *ctx)
{
	struct safe_file sf;
	int err;

	if (strcmp(path, "-") == 0) {
		err = render(stdout, ctx);
		if (fflush(stdout) && !err)
			err = -EIO;
		if (err)
			log_error("cannot write to stdout: %s", strerror(-err));
		return err;
	}
	err = safe_file_create(&sf, path);
	if (err) {
		log_error("cannot create %s: %s", path, strerror(-err));
		return err;
	}
	err = render(sf.f, ctx);
	/* Writers say -EIO for any stream error: the flush names the cause
	 * (ENOSPC, EDQUOT), which is what the user can act on. */
	if (err == -EIO && fflush(sf.f) && errno)
		err = -errno;
	if (err)
		safe_file_abort(&sf);
	else
		err = safe_file_commit(&sf);
	if (err)
		log_error("cannot write %s: %s", path, strerror(-err));
	return err;
}
