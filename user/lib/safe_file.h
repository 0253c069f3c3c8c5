/* SPDX-License-Identifier: MIT */
/*
 * The one way memtrace writes a file.  memtrace runs as root and writes
 * where a user points it, often into a directory that user (or another)
 * can write: no name it uses may be planted in advance.
 *
 * Callers may rely on:
 *  - safe_file_create never opens an existing name and never follows a
 *    symlink: the data goes to an O_TMPFILE (no name at all) or, where the
 *    filesystem has none, to a new random name made with
 *    O_CREAT|O_EXCL|O_NOFOLLOW, both relative to a descriptor of the
 *    destination directory opened once.
 *  - safe_file_commit gives the data a name only once it is all written and
 *    flushed: linkat to a new random name (never an existing one), then
 *    renameat over the final name.  A symlink planted at the final name is
 *    replaced, never followed.  The final file has the mode of
 *    safe_file_set_mode, set with fchmod (the umask plays no part).
 *  - A character device or FIFO already at the final name (-o /dev/null)
 *    is written into, opened with O_NOFOLLOW and never renamed over; a FIFO
 *    nobody reads gives -ENXIO at once; a directory -EISDIR, other kinds
 *    -EPERM.  A symlink in a directory only root can write (/dev/stdout)
 *    is followed to a device or FIFO, and appended through when it is a
 *    /proc/self/fd or /dev/fd link to a regular file; anywhere else a
 *    symlink is replaced, as above.
 *  - safe_file_append_open refuses (-EPERM) a path that is a symlink, not a
 *    regular file or a root-owned character device (/dev/null), has other
 *    links, or is owned by neither root nor the user who ran memtrace (under
 *    sudo, SUDO_UID).
 *  - Every function returns 0 or a negative errno and reports nothing:
 *    callers say what failed, in their own words.
 */
#ifndef MEMTRACE_SAFE_FILE_H
#define MEMTRACE_SAFE_FILE_H

#include <stdbool.h>
#include <stdio.h>
#include <sys/types.h>

struct safe_file {
	FILE *f;        /* write here (read too: opened "w+") */
	int dirfd;      /* the destination directory */
	char *name;     /* the final name, relative to dirfd */
	char tmp[64];   /* its random temporary name, "" while it has none (O_TMPFILE) */
};

/* Mode of created files: 0600 unless changed.  -EINVAL for a mode that
 * lets group or others write, or the owner not read and write. */
int safe_file_set_mode(mode_t mode);
mode_t safe_file_mode(void);
/* "0600" or "0644"-style octal text to a mode safe_file_set_mode takes. */
int safe_file_parse_mode(const char *text, mode_t *out);

/* Opens a nameless temporary file in path's directory. */
int safe_file_create(struct safe_file *sf, const char *path);
/* Flushes, syncs and names the file path; on error the data is dropped
 * (the old file at path, if any, stays).  Always releases sf. */
int safe_file_commit(struct safe_file *sf);
/* Drops the data; path is left as it was. */
void safe_file_abort(struct safe_file *sf);

/* Opens path for appending, creating it (with the mode above) if missing. */
int safe_file_append_open(const char *path, FILE **out);
/* Whether path can be created or appended to now (append: as
 * safe_file_append_open would take it), without leaving anything behind;
 * -EINVAL for an empty path, -EISDIR for a directory. */
int safe_file_check(const char *path, bool append);
/* Instead of safe_file_commit: names the file prefix<random>suffix in its
 * directory (never an existing name) and puts that name in out.  For data
 * that must not be lost to an existing file or a bad final name. */
int safe_file_commit_unique(struct safe_file *sf, const char *prefix, const char *suffix, char *out, size_t outlen);

/*
 * The one way memtrace writes a whole file: render runs on a new temporary
 * file in path's directory (safe_file_create), which then replaces path
 * (safe_file_commit); on any error the old file stays as it was.  Path "-"
 * renders to stdout.  Reports its own errors ("memtrace: ..."), naming the
 * cause the user can act on (ENOSPC rather than EIO).
 */
int safe_file_write(const char *path, int (*render)(FILE *f, void *ctx), void *ctx);

#endif
