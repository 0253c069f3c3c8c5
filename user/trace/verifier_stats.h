/* SPDX-License-Identifier: MIT */
/*
 * How much work the kernel's verifier did for each loaded program, shown
 * with -vv.  A walk whose steps stop being pruned shows up here first, as
 * load time: the tests bound it.
 */
#ifndef MEMTRACE_VERIFIER_STATS_H
#define MEMTRACE_VERIFIER_STATS_H

struct bpf_object;

/* Logs "BPF program NAME: N instructions verified" for each loaded program. */
void verifier_stats_log(const struct bpf_object *obj, int verbose);

#endif
