/* SPDX-License-Identifier: MIT */
/*
 * Whether the per-syscall tracepoints (syscalls:sys_enter_mmap, ...) can be
 * attached: libbpf looks their ids up in tracefs, which only root can read
 * (its directory is mode 0700).  A caller may rely on: true means the id
 * file libbpf will open for syscalls:sys_enter_mmap is readable now, by the
 * same rule libbpf 1.1 uses to pick the tracefs mount (debugfs's
 * tracing/ when it exists, else /sys/kernel/tracing); false otherwise.
 * Nothing is mounted or changed.
 */
#ifndef MEMTRACE_SYSCALL_TP_H
#define MEMTRACE_SYSCALL_TP_H

#include <stdbool.h>

bool syscall_tracepoints_readable(void);
/*
 * With CAP_SYS_ADMIN, mounts tracefs on /sys/kernel/tracing when no
 * tracefs is mounted (neither it nor debugfs's tracing/ has events/), so
 * root gets the per-syscall tracepoints, which cost other processes
 * nothing.  Without the capability, or if mounting fails, nothing changes:
 * the BTF-typed fallback needs no tracefs.  Says what it did at -v.
 */
void syscall_tracefs_mount(int verbose);

#endif
