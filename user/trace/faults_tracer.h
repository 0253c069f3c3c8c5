/* SPDX-License-Identifier: MIT */
/*
 * What a fault tracer holds, shared by faults.c (loading, attaching,
 * collecting) and faults_reset.c (emptying one for --follow's next fork).
 * Not an interface: faults.h is.
 */
#ifndef MEMTRACE_FAULTS_TRACER_H
#define MEMTRACE_FAULTS_TRACER_H

#include <stdbool.h>
#include <sys/types.h>

struct bpf_link;
struct faults_bpf;

struct faults_tracer {
	struct faults_bpf *skel;
	pid_t pid;
	unsigned flags;
	int verbose;
	const char *source; /* "tracepoint", "perf_event" or NULL */
	bool per_syscall;   /* syscalls:sys_*_mmap...; else raw sys_enter/sys_exit */
	struct bpf_link **links;
	int nlinks;
	int nlinks_ahead; /* links[0..nlinks_ahead): attached at load, kept (faults_load_unbound) */
	int *perf_fds;
	int nperf;
	bool shared_ranges; /* the heap tracer's exec_ranges: it keeps them */
};

#endif
