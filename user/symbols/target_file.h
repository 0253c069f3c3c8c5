/* SPDX-License-Identifier: MIT */
/*
 * Opening a traced process's files, which it controls: every read of a
 * target's executable, library or debug file goes through here.
 *
 * What a caller may rely on, for every fd returned:
 *  - it is a regular file of at most TARGET_FILE_MAX_SIZE bytes, opened
 *    O_RDONLY|O_CLOEXEC (never a FIFO or device: opening cannot block);
 *  - a path inside a root never escapes it: symlinks, absolute ones too,
 *    resolve against that root (openat2 RESOLVE_IN_ROOT, or a walk that
 *    follows no symlink where openat2 is missing), magic links refused;
 *  - nothing falls back to the host's file of the same name.
 * Errors are negative errno; target_file_strerror() says what they mean here.
 */
#ifndef MEMTRACE_TARGET_FILE_H
#define MEMTRACE_TARGET_FILE_H

#include <sys/types.h>

#include "procmaps.h"

/* ELF objects past 1 GiB are not read (-EFBIG). */
#define TARGET_FILE_MAX_SIZE (1ULL << 30)
/* Returned for a FIFO, device, socket or directory. */
#define TARGET_FILE_ENOTREG (-EBADFD)
/* The file found is not the inode the process has mapped (covered, replaced). */
#define TARGET_FILE_EWRONGINODE (-ESTALE)

/*
 * Opens path resolved inside root (a directory such as "/proc/42/root").
 * root NULL or "": path is memtrace's own (a fixture, an offline file,
 * /proc/self/fd/N from target_file_pin) and is opened as given, with the
 * same regular-file and size checks.
 */
int target_file_open(const char *root, const char *path);

/*
 * Opens the very inode pid has mapped at m: /proc/PID/map_files/START-END
 * (also for a deleted or covered file, and for a chrooted target whose maps
 * show host paths); where that is refused (it needs CAP_SYS_ADMIN or CAP_CHECKPOINT_RESTORE), m->path
 * inside /proc/PID/root, accepted only if its st_dev/st_ino are m's
 * (TARGET_FILE_EWRONGINODE otherwise).
 */
int target_file_open_mapping(pid_t pid, const struct mapping *m);

/*
 * A path naming exactly the inode mapped at m, for APIs that take a path
 * (uprobe attach, libbpf's USDT reader): "/proc/self/fd/N" of an fd opened
 * by target_file_open_mapping and kept open until exit (one per inode, at
 * most 256 inodes: -EMFILE past that).  The kernel's uprobe lookup follows
 * that link to the opened inode, whatever now sits at m->path.
 */
int target_file_pin(pid_t pid, const struct mapping *m, char out[64]);

/* Why an error from this module happened, in words for a user. */
const char *target_file_strerror(int err);
/* What a user can do about it, for the "(...)" of an error line. */
const char *target_file_advice(int err);

#endif
