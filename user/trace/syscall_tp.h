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

#endif
