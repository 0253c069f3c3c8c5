/* SPDX-License-Identifier: MIT */
/*
 * Many uprobes in one BPF link (Linux 6.6+), which libbpf 1.1 cannot create.
 * One link per program instead of one per function matters most at the end:
 * the kernel waits for an RCU grace period per unregistered link (~0.1 s
 * each here), and a batch waits once.
 */
#ifndef MEMTRACE_UPROBE_MULTI_H
#define MEMTRACE_UPROBE_MULTI_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

/* The bpf_attach_type programs must be loaded with to use uprobe_multi_attach. */
#define MT_ATTACH_UPROBE_MULTI 48

/* Whether the running kernel has multi-uprobe links (by version: a failed
 * probe attach can't be retried without reloading the program). */
bool uprobe_multi_supported(void);
/*
 * Attaches prog_fd to `n` offsets of the file at path, each with its cookie,
 * firing only in process pid.  `ret`: return probes.  Returns the link's fd
 * (close it to detach) or negative errno.
 */
int uprobe_multi_attach(int prog_fd, const char *path, const uint64_t *offsets, const uint64_t *cookies,
			uint32_t n, bool ret, pid_t pid);

#endif
