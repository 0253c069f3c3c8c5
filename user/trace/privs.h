/* SPDX-License-Identifier: MIT */
/*
 * Which capabilities memtrace runs with, and what each one is for (as
 * measured on Linux 6.18, perf_event_paranoid 2):
 *
 *  - CAP_BPF and CAP_PERFMON: always.  Loading the tracing programs (uprobe,
 *    tp_btf, perf_event) and creating their maps and links.
 *  - CAP_SYS_PTRACE: only to trace a process memtrace may not ptrace
 *    otherwise (another user's, or one with capabilities memtrace lacks):
 *    -p, its /proc/PID/root and /proc/PID/mem.  "-- CMD" and --follow
 *    trace memtrace's own children and do without.
 *  - CAP_SYS_ADMIN: the GC probes (--gc) of USDT and Go runtimes, which are
 *    perf-event uprobes: the uprobe PMU refuses CAP_PERFMON alone (EACCES).
 *
 * CAP_SYS_ADMIN stands for all of them.
 */
#ifndef MEMTRACE_PRIVS_H
#define MEMTRACE_PRIVS_H

#include <linux/capability.h> /* CAP_* numbers */
#include <stdbool.h>

#ifndef CAP_PERFMON
#define CAP_PERFMON 38
#endif
#ifndef CAP_BPF
#define CAP_BPF 39
#endif

/* Whether cap is in the effective set (CAP_SYS_ADMIN does not count as cap here). */
bool privs_have(int cap);
/*
 * Checks CAP_BPF and CAP_PERFMON (or CAP_SYS_ADMIN).  When one is missing,
 * prints one "memtrace:" line naming each missing capability and returns
 * -EPERM; 0 otherwise.
 */
int privs_check(void);
/*
 * For a failed access to another process or the kernel (err -EPERM or
 * -EACCES): " (needs CAP_x: ...)" naming cap when it is missing, else "".
 * The string is static.
 */
const char *privs_hint(int err, int cap);

#endif
