// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * GC pause tracing.  One USDT program (refgc, hotspot, python probes) and
 * one uprobe program (Go runtime functions, entry only); each attachment's
 * cookie says which probe it is.  Every hit is one timestamped ring-buffer
 * event: pairing pauses and attributing them to cycles is user space's job.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/usdt.bpf.h>

#include "gc_events.h"

char LICENSE[] SEC("license") = "GPL";

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, GC_RINGBUF_BYTES);
} gc_events SEC(".maps");

struct gc_counters gc_counters;

/*
 * No wakeup per event: waking the collector from inside a probe can get the
 * probed thread preempted right there, before the runtime reads its own
 * clock, and the pause would look longer than it is.  The collector polls
 * (gc_poll at its ticks); it is woken only when the ring fills up.
 */
static __always_inline void submit(struct gc_event *e)
{
	__u64 flags = bpf_ringbuf_query(&gc_events, BPF_RB_AVAIL_DATA) > GC_RINGBUF_BYTES / 4 ?
			      BPF_RB_FORCE_WAKEUP : BPF_RB_NO_WAKEUP;

	bpf_ringbuf_submit(e, flags);
}

static __always_inline struct gc_event *reserve(__u32 kind)
{
	__u64 id = bpf_get_current_pid_tgid();
	struct gc_event *e = bpf_ringbuf_reserve(&gc_events, sizeof(*e), 0);

	if (!e) {
		__sync_fetch_and_add(&gc_counters.lost, 1);
		return NULL;
	}
	e->ts_ns = bpf_ktime_get_ns();
	e->kind = kind;
	e->tid = (__u32)id;
	e->pid = (__u32)(id >> 32);
	e->nargs = 0;
	e->args[0] = e->args[1] = e->args[2] = 0;
	return e;
}

SEC("usdt")
int gc_usdt(struct pt_regs *ctx)
{
	__u32 kind = (__u32)bpf_usdt_cookie(ctx);
	struct gc_event *e = reserve(kind);
	int n;

	if (!e)
		return 0;
	n = bpf_usdt_arg_cnt(ctx);
	if (n < 0)
		n = 0;
	if (n > GC_EVENT_ARGS)
		n = GC_EVENT_ARGS;
	for (int i = 0; i < GC_EVENT_ARGS; i++) {
		long v = 0;

		if (i >= n)
			break;
		if (bpf_usdt_arg(ctx, (__u64)i, &v))
			__sync_fetch_and_add(&gc_counters.bad_args, 1);
		e->args[i] = (__u64)v;
	}
	e->nargs = (__u32)n;
	/* A memory manager's name: its first 8 bytes say which it is. */
	if (kind == GCP_HOTSPOT_POOL_BEGIN || kind == GCP_HOTSPOT_POOL_END) {
		__u64 name = 0;

		if (bpf_probe_read_user(&name, sizeof(name), (void *)e->args[0]))
			__sync_fetch_and_add(&gc_counters.bad_args, 1);
		e->args[2] = name;
	}
	__sync_fetch_and_add(&gc_counters.events, 1);
	submit(e);
	return 0;
}

SEC("uprobe")
int gc_uprobe(struct pt_regs *ctx)
{
	struct gc_event *e = reserve((__u32)bpf_get_attach_cookie(ctx));

	if (!e)
		return 0;
	/* Go's register ABI: the first integer argument is in AX. */
	e->args[0] = PT_REGS_RC(ctx);
	e->args[1] = ctx->bx; /* the second (resetLive's bytes marked) */
	e->nargs = 1;
	__sync_fetch_and_add(&gc_counters.events, 1);
	submit(e);
	return 0;
}
