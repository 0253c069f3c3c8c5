/* SPDX-License-Identifier: MIT */
/*
 * A traced process's PID inside its own PID namespace: the last field of
 * the NSpid line of /proc/PID/status (the innermost namespace's PID).  The
 * file holds the target's own comm (Name:), so the text is treated as
 * hostile: read through target_file, at most PROC_NSPID_READ_MAX bytes, and
 * only a line that starts "NSpid:" and holds decimal fields is believed.
 *
 * What a caller may rely on:
 *  - the result is > 0 and <= INT32_MAX, or 0 when there is no NSpid line,
 *    its last field is not a plain decimal number in that range, or the
 *    file could not be read;
 *  - it says nothing of whether it differs from the host PID: the caller
 *    compares.
 */
#ifndef MEMTRACE_PROC_NSPID_H
#define MEMTRACE_PROC_NSPID_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define PROC_NSPID_READ_MAX 8192

/* Parses the text of a /proc/PID/status (len bytes, NUL not needed). */
int32_t proc_nspid_parse(const char *text, size_t len);
/* Reads and parses /proc/PID/status: the NSpid, or 0. */
int32_t proc_nspid_read(pid_t pid);

#endif
