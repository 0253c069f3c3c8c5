/* SPDX-License-Identifier: MIT */
/* Detaching many BPF links at once. */
#ifndef MEMTRACE_LINKCLOSE_H
#define MEMTRACE_LINKCLOSE_H

struct bpf_link;

/*
 * Destroys links[0..n) (NULL entries skipped), concurrently: the kernel
 * waits for an RCU grace period per detached tracepoint or probe (~70 ms
 * each here), and in parallel those waits overlap instead of adding up.
 */
void links_destroy_all(struct bpf_link **links, int n);

#endif
