/* SPDX-License-Identifier: MIT */
/*
 * Checks that this machine can run memtrace (CAP_BPF and CAP_PERFMON, see
 * privs.h; BTF; uprobes), and lifts RLIMIT_MEMLOCK for old kernels.  Each failure is reported
 * as one "memtrace:" line saying what to do; returns negative errno.
 */
#ifndef MEMTRACE_SYSPREP_H
#define MEMTRACE_SYSPREP_H

int sysprep(int verbose);

#endif
