/* SPDX-License-Identifier: MIT */
/*
 * How many page faults a process has taken: minflt + majflt of
 * /proc/PID/stat (fields 10 and 12).  Field 2 is the target's own comm in
 * parentheses, which may hold spaces and ')', so the text is treated as
 * hostile: read through target_file, at most PROC_FAULTS_READ_MAX bytes,
 * and fields are counted from the last ')' on.
 *
 * What a caller may rely on: 0 and *faults set, or -EINVAL (the text is not
 * a stat line: no ')', too few fields, a field not decimal) or -errno from
 * the read, and *faults left alone.  The count is cumulative for the
 * process's life (all its threads), so differences give rates.
 */
#ifndef MEMTRACE_PROC_FAULTS_H
#define MEMTRACE_PROC_FAULTS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define PROC_FAULTS_READ_MAX 4096

/* Parses the text of a /proc/PID/stat (len bytes, NUL not needed). */
int proc_faults_parse(const char *text, size_t len, uint64_t *faults);
int proc_faults_read(pid_t pid, uint64_t *faults);

#endif
