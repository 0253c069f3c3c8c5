// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * Heap tracing on the allocator's entry points.  Aggregation happens here:
 * per-site counters and the live-block table are maps the collector reads at
 * each interval, so the hot path never formats or queues an event.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include "memtrace.h"

#include "exp_table.h"
#include "frames.bpf.h"
#include "unwind.bpf.h"

char LICENSE[] SEC("license") = "GPL";

/* The target is ptraced by memtrace: stop it at the dynamic-linker hook so
 * the allocator of a new image is probed before any of its code runs. */
const volatile bool stop_on_dl = false;
/* --sample-bytes: 0 = every allocation; N = Poisson sampling, one sample
 * per N bytes on average, decided here so unsampled calls skip the stack
 * walk and the block table. */
const volatile __u64 sample_bytes = 0;
/* --unwind: enum mt_unwind_mode; FP keeps the frame-pointer walk alone. */
const volatile __u32 unwind_mode = MT_UNWIND_FP;

/* Bytes left before the next sample, per CPU (the process is memoryless). */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __s64);
} sample_left SEC(".maps");

/*
 * Per-thread call state.  A thread takes the slot its id indexes the first
 * time it calls the allocator and keeps it: an array lookup is inlined, and
 * one cache line is all an entry touches, where task-local storage costs a
 * helper call and three dependent loads (~80 ns for the malloc entry here,
 * mostly cache misses, as the program runs after the program's own code).
 * A thread whose slot is taken by another (ids equal modulo the slot count,
 * or a dead thread's) uses task-local storage instead, always, so one
 * thread's state never moves between the two.
 */
#define INFLIGHT_SLOTS (1u << 16)

/* Set before load; 0 gives every thread but one task-local storage (a test
 * of that path: MT_TEST_ONE_INFLIGHT_SLOT). */
const volatile __u32 inflight_slot_mask = INFLIGHT_SLOTS - 1;

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, INFLIGHT_SLOTS);
	__type(key, __u32);
	__type(value, struct mt_inflight);
} inflight_slot SEC(".maps");

/* Task-local: found from the task itself, no hashing, and freed with the
 * thread, so a thread that died mid-call leaves nothing behind. */
struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct mt_inflight);
} inflight SEC(".maps");

/* Stacks, by hash.  Not preallocated: a site costs ~1 KiB and most traces
 * have few thousand. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, MT_MAX_SITES);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, __u64);
	__type(value, struct mt_site_stack);
} sites SEC(".maps");

/* Each site id's key in sites, set once the stack is there, so the
 * collector fetches each new stack once, by id (ids are the object's, shared
 * by every process it traces). */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(map_flags, BPF_F_MMAPABLE);
	__uint(max_entries, MT_MAX_SITES);
	__type(key, __u32);
	__type(value, __u64);
} site_keys SEC(".maps");

#include "proc_maps.bpf.h"

/*
 * Stacks this CPU saw last, by key: a hit skips the sites lookup, its
 * hashing and its cache misses on the bucket and the ~1 KiB value (loop1's
 * return program: ~300 -> ~250 ns).  Sites are never removed, so an entry
 * stays true for the whole trace.
 */
#define SITE_CACHE_SLOTS 64

struct site_cache_entry {
	__u64 key, check;
	__u32 nframes, id;
};

/* Too big for the 512-byte BPF stack: the stack is walked into here. */
struct walk_scratch {
	struct mt_site_stack site;
	struct frames_scratch walk;
	struct uw_state uw;
	struct site_cache_entry cache[SITE_CACHE_SLOTS];
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct walk_scratch);
} scratch SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 64 * 1024);
} events SEC(".maps");

/* The object's own counters: sites_used, stack_full, stack_collide,
 * events_lost (a process's own are in its proc_state entry). */
struct mt_counters counters;

/* CLOCK_MONOTONIC, written by the collector at each tick (100 ms): block
 * ages need no finer clock, and bpf_ktime_get_ns costs ~65 ns a call here. */
volatile __u64 now_ns;

static __always_inline bool is_target(void)
{
	return proc_state_of(bpf_get_current_pid_tgid() >> 32) != NULL;
}

#include "block_table.bpf.h"

/* Thread tid's call state (see inflight_slot); NULL when it has none and
 * create is false, or no storage is left. */
static __always_inline struct mt_inflight *call_state(__u32 tid, bool create)
{
	__u32 idx = tid & inflight_slot_mask & (INFLIGHT_SLOTS - 1);
	struct mt_inflight *st = bpf_map_lookup_elem(&inflight_slot, &idx);

	if (st) {
		if (st->owner == tid)
			return st;
		if (create && !st->owner && !__sync_val_compare_and_swap(&st->owner, 0, tid))
			return st;
	}
	return bpf_task_storage_get(&inflight, bpf_get_current_task_btf(), 0,
				    create ? BPF_LOCAL_STORAGE_GET_F_CREATE : 0);
}

/* The call's state for its return, or NULL when the return is not to be
 * counted (another process, a nested call, no storage). */
static __always_inline struct mt_inflight *enter(struct pt_regs *ctx, __u32 kind, __u64 size, __u64 old)
{
	__u64 sp = PT_REGS_SP(ctx), id = bpf_get_current_pid_tgid();
	struct mt_inflight *st;
	struct mt_proc *ps = proc_state_of(id >> 32);

	if (!ps)
		return NULL;
	st = call_state((__u32)id, true);
	if (!st) {
		__sync_fetch_and_add(&ps->counters.inflight_full, 1);
		return NULL;
	}
	/* An outer call is in flight on this thread: this one is nested. */
	if (st->sp && st->sp > sp)
		return NULL;
	st->size = size;
	st->old_ptr = old;
	st->sp = sp;
	st->old.ptr = 0;
	st->kind = kind;
	return st;
}

static __always_inline bool same_frames(const struct mt_site_stack *a, const struct mt_site_stack *b)
{
	return a->nframes == b->nframes && a->check == b->check;
}

/* The id of the site sc, whose key is h, from the sites map, adding it
 * if it is new; MT_UNKNOWN_STACK when it can't be kept. */
static __always_inline __u32 site_id(struct mt_site_stack *sc, __u64 h)
{
	struct mt_site_stack *site;
	__u64 *key;
	int err;

	site = bpf_map_lookup_elem(&sites, &h);
	if (site) {
		if (same_frames(site, sc))
			return site->id;
		__sync_fetch_and_add(&counters.stack_collide, 1);
		return MT_UNKNOWN_STACK;
	}
	/* A new stack: the next id.  One lost to a race below stays unused. */
	sc->id = __sync_fetch_and_add(&counters.sites_used, 1) + 1;
	if (sc->id >= MT_MAX_SITES) {
		__sync_fetch_and_add(&counters.stack_full, 1);
		return MT_UNKNOWN_STACK;
	}
	err = bpf_map_update_elem(&sites, &h, sc, BPF_NOEXIST);
	if (err == -17 /* EEXIST: another CPU inserted it */) {
		site = bpf_map_lookup_elem(&sites, &h);
		if (site && same_frames(site, sc))
			return site->id;
		__sync_fetch_and_add(&counters.stack_collide, 1);
		return MT_UNKNOWN_STACK;
	}
	if (err) {
		__sync_fetch_and_add(&counters.stack_full, 1);
		return MT_UNKNOWN_STACK;
	}
	key = bpf_map_lookup_elem(&site_keys, &sc->id);
	if (key)
		*key = h;
	return sc->id;
}

/* Frames a site may carry above its walked stack (a marker naming a kind
 * of site, as pymalloc's pools, and the interpreter's frames). */
#define SITE_PREFIX_MAX 16

struct prefix_shift {
	__u32 k, n; /* shift by k the frames [0, n) */
};

/* One step of the shift, from the top (bpf_loop's callback: verified once,
 * where an unrolled loop with a variable shift is past the verifier's limit). */
static long shift_frame(__u32 i, void *data)
{
	struct prefix_shift *s = data;
	__u32 zero = 0, dst = MT_MAX_FRAMES - 1 - i, src;
	struct walk_scratch *ws;

	if (dst < s->k || dst >= MT_MAX_FRAMES)
		return 1;
	src = dst - s->k;
	ws = bpf_map_lookup_elem(&scratch, &zero);
	if (ws && src < s->n && src < MT_MAX_FRAMES)
		ws->site.frames[dst] = ws->site.frames[src];
	return 0;
}

/* The site id of the user stack at ctx's registers (ip: a return address
 * into the caller), below the frames prefix[0..k) when prefix is not NULL,
 * k = prefix[SITE_PREFIX_MAX];
 * MT_UNKNOWN_STACK when it can't be kept. */
static __always_inline __u32 current_site_prefixed(struct pt_regs *ctx, const __u64 *prefix)
{
	struct site_cache_entry *e;
	struct mt_site_stack *sc;
	struct walk_scratch *ws;
	__u32 zero = 0, id, k;
	__u64 h;

	ws = bpf_map_lookup_elem(&scratch, &zero);
	if (!ws)
		return MT_UNKNOWN_STACK;
	sc = &ws->site;
	/* At the return probe ip is the return address into the caller, so
	 * frames[0] is the function that called the allocator. */
	if (unwind_mode != MT_UNWIND_FP)
		sc->nframes = unwind_walk(sc->frames, &ws->uw, &ws->walk, unwind_mode, false, PT_REGS_IP(ctx), PT_REGS_SP(ctx),
					  PT_REGS_FP(ctx), &h, &sc->check);
	else
		sc->nframes = frames_walk(sc->frames, &ws->walk, PT_REGS_IP(ctx), PT_REGS_SP(ctx),
					  PT_REGS_FP(ctx), &h, &sc->check);
	/* The prefix's length is read only now, from memory: had it stayed in
	 * a register through the walk, the verifier would walk once per
	 * length the caller's loop can end with (16x the instructions). */
	k = prefix ? (__u32)*(volatile const __u64 *)&prefix[SITE_PREFIX_MAX] : 0;
	if (k && k <= SITE_PREFIX_MAX) {
		__u32 n = sc->nframes + k <= MT_MAX_FRAMES ? sc->nframes : MT_MAX_FRAMES - k;
		struct prefix_shift shift = { .k = k, .n = n };

		/* The prefix goes first; a full stack loses its outermost frames
		 * and ends as truncated. */
		bpf_loop(MT_MAX_FRAMES, shift_frame, &shift, 0);
		for (__u32 i = 0; i < SITE_PREFIX_MAX && i < k; i++) {
			sc->frames[i] = prefix[i];
			h = (h ^ prefix[i]) * 0x9e3779b97f4a7c15ULL;
			sc->check = (sc->check ^ prefix[i]) * 0xff51afd7ed558ccdULL;
		}
		if (n < sc->nframes)
			sc->frames[MT_MAX_FRAMES - 1] = MT_FRAME_TRUNCATED;
		sc->nframes = n + k;
	}
	e = &ws->cache[h & (SITE_CACHE_SLOTS - 1)];
	if (e->key == h && e->check == sc->check && e->nframes == sc->nframes)
		return e->id;
	id = site_id(sc, h);
	if (id != MT_UNKNOWN_STACK) {
		/* The key goes last: a program that preempts this one on this
		 * CPU sees no entry or a whole one. */
		e->key = 0;
		barrier();
		e->check = sc->check;
		e->nframes = sc->nframes;
		e->id = id;
		barrier();
		e->key = h;
	}
	return id;
}

static __always_inline __u32 current_site(struct pt_regs *ctx)
{
	return current_site_prefixed(ctx, NULL);
}

/* Whether this allocation is sampled: each byte is with probability 1/N,
 * so a block of s bytes is with 1 - exp(-s/N), which the collector undoes. */
static __always_inline bool sampled(__u64 size)
{
	__u32 zero = 0, r;
	__s64 *left;

	if (!sample_bytes)
		return true;
	left = bpf_map_lookup_elem(&sample_left, &zero);
	if (!left)
		return true;
	*left -= (__s64)size;
	if (*left > 0)
		return false;
	/* Memoryless: the next sample point lies an exponential draw past the
	 * end of this block, however many points the block itself covered. */
	r = bpf_get_prandom_u32() & ((1 << MT_EXP_TABLE_BITS) - 1);
	*left = (__s64)((sample_bytes * mt_exp_table[r]) >> 16) + 1;
	return true;
}

/* A new block of size bytes at ptr, allocated at site. */
static __always_inline void record_in(const struct proc *p, __u32 site, __u64 ptr, __u64 size, bool replaces)
{
	struct mt_block blk = { .ptr = ptr, .size = size, .alloc_ns = now_ns, .site = site }, stale;
	struct mt_site_counts *c;
	__u64 inuse;

	c = bpf_map_lookup_elem(p->counts, &blk.site);
	if (c) {
		__sync_fetch_and_add(&c->alloc_count, 1);
		__sync_fetch_and_add(&c->alloc_bytes, size);
		if (replaces)
			__sync_fetch_and_add(&c->replaced, 1);
	}
	/* The allocator handed out an address we still hold as live: its
	 * free was missed, so release the old block before taking the new. */
	if (block_take(p, ptr, &stale))
		account_free(p, &stale);
	if (!block_put(p, &blk)) {
		__sync_fetch_and_add(&p->st->counters.allocs_full, 1);
		if (c) {
			__sync_fetch_and_add(&c->untracked_count, 1);
			__sync_fetch_and_add(&c->untracked_bytes, size);
		}
		return;
	}
	inuse = __sync_add_and_fetch(&p->st->counters.inuse_bytes, size);
	/* Racy max across CPUs by design: a lost update costs one concurrent
	 * allocation's bytes at most, and a lock would cost every call. */
	if (inuse > p->st->counters.peak_inuse_bytes)
		p->st->counters.peak_inuse_bytes = inuse;
}

static __always_inline void record(const struct proc *p, struct pt_regs *ctx, __u64 ptr, __u64 size, bool replaces)
{
	record_in(p, current_site(ctx), ptr, size, replaces);
}

#include "arg_n.bpf.h"

/*
 * A free of a block the table never held.  Once the table overflowed it
 * may be one of ours (frees_unmatched); under --sample-bytes most are
 * unsampled blocks; otherwise it was allocated before the trace began
 * (frees_unseen), and the thread's next allocation is taken to replace it.
 */
static __always_inline void free_unknown(const struct proc *p, struct mt_inflight *st)
{
	if (p->st->counters.allocs_full) {
		__sync_fetch_and_add(&p->st->counters.frees_unmatched, 1);
		return;
	}
	if (sample_bytes)
		return;
	__sync_fetch_and_add(&p->st->counters.frees_unseen, 1);
	if (st && st->unseen_pending < MT_UNSEEN_PENDING_MAX)
		st->unseen_pending++;
}

static __always_inline void free_ptr(__u64 ptr)
{
	struct mt_block b;
	struct proc p;

	if (!ptr || !proc_current(&p))
		return;
	if (block_take(&p, ptr, &b))
		account_free(&p, &b);
	else
		/* Rare once the pre-attach population is gone: only this
		 * path pays for the call-state lookup. */
		free_unknown(&p, call_state((__u32)bpf_get_current_pid_tgid(), true));
}

/* realloc's old block leaves the table at entry: see mt_inflight.old. */
static __always_inline void realloc_enter(struct pt_regs *ctx, __u64 size, __u64 old)
{
	struct mt_inflight *st = enter(ctx, MT_CALL_REALLOC, size, old);
	struct proc p;

	if (st && old && proc_current(&p) && !block_take(&p, old, &st->old)) {
		st->old.ptr = 0;
		free_unknown(&p, st);
	}
}

/*
 * One program on every allocator entry point; the attach cookie says which
 * function it is (enum alloc_kind), so all entries share one link.
 */
SEC("uprobe")
int alloc_enter(struct pt_regs *ctx)
{
	__u64 a0 = PT_REGS_PARM1(ctx), a1 = PT_REGS_PARM2(ctx), a2 = PT_REGS_PARM3(ctx);
	__u64 cookie = bpf_get_attach_cookie(ctx), a, b;

	switch (MT_COOKIE_KIND(cookie)) {
	case AK_MALLOC:
	case AK_VALLOC:
		enter(ctx, MT_CALL_MALLOC, a0, 0);
		break;
	case AK_CALLOC:
		enter(ctx, MT_CALL_MALLOC, a0 * a1, 0);
		break;
	case AK_MEMALIGN: /* memalign, aligned_alloc: (alignment, size) */
		enter(ctx, MT_CALL_MALLOC, a1, 0);
		break;
	case AK_PVALLOC:
		/* pvalloc hands out whole pages: that is what the process pays for. */
		enter(ctx, MT_CALL_MALLOC, (a0 + 4095) & ~4095ULL, 0);
		break;
	case AK_POSIX_MEMALIGN: /* (void **memptr, alignment, size) */
		enter(ctx, MT_CALL_POSIX_MEMALIGN, a2, a0);
		break;
	case AK_REALLOC:
		realloc_enter(ctx, a1, a0);
		break;
	case AK_REALLOCARRAY:
		realloc_enter(ctx, a1 * a2, a0);
		break;
	case AK_FREE:
		free_ptr(a0);
		break;
	case AK_CUSTOM_ALLOC:
		a = arg_n(ctx, MT_COOKIE_A(cookie));
		b = MT_COOKIE_B(cookie) ? arg_n(ctx, MT_COOKIE_B(cookie)) : 1;
		enter(ctx, MT_CALL_MALLOC, a * b, 0);
		break;
	case AK_CUSTOM_FREE:
		free_ptr(arg_n(ctx, MT_COOKIE_A(cookie)));
		break;
	case AK_CUSTOM_REALLOC:
		realloc_enter(ctx, arg_n(ctx, MT_COOKIE_B(cookie)), arg_n(ctx, MT_COOKIE_A(cookie)));
		break;
	}
	return 0;
}

SEC("uretprobe")
int BPF_KRETPROBE(alloc_return, __u64 ret)
{
	struct mt_inflight *st;
	struct mt_block old;
	__u64 ptr = ret, size, old_ptr;
	struct proc p;
	bool replaces;
	__u32 kind;

	/* Only a traced process's entries create call state. */
	st = call_state((__u32)bpf_get_current_pid_tgid(), false);
	/* Only the return of the outermost call: its sp is entry sp + 8. */
	if (!st || !st->sp || PT_REGS_SP(ctx) != st->sp + 8)
		return 0;
	if (!proc_current(&p)) {
		st->sp = 0;
		return 0;
	}
	size = st->size;
	old_ptr = st->old_ptr;
	kind = st->kind;
	old = st->old;
	st->sp = 0;

	if (kind == MT_CALL_POSIX_MEMALIGN) {
		if ((int)ret != 0 || bpf_probe_read_user(&ptr, sizeof(ptr), (void *)old_ptr))
			return 0;
	} else if (kind == MT_CALL_REALLOC && old.ptr) {
		/* Success moves or resizes the block, and realloc(p, 0) frees
		 * it; on failure the old block is still the program's. */
		if (ret || !size)
			account_free(&p, &old);
		else if (!block_put(&p, &old))
			__sync_fetch_and_add(&p.st->counters.allocs_full, 1);
	}
	if (!ptr || !sampled(size))
		return 0;
	replaces = st->unseen_pending != 0;
	if (replaces)
		st->unseen_pending--;
	record(&p, ctx, ptr, size, replaces);
	return 0;
}

/* The otel_memory USDT contract's programs (--source usdt). */
#include "otel_usdt.bpf.h"

/* The benchmark's floor: what the traps alone cost, at the same places. */
SEC("uprobe")
int floor_enter(struct pt_regs *ctx)
{
	return 0;
}

SEC("uretprobe")
int floor_return(struct pt_regs *ctx)
{
	return 0;
}

static __always_inline void emit(__u32 type)
{
	struct mt_event *ev = bpf_ringbuf_reserve(&events, sizeof(*ev), 0);

	if (!ev) {
		__sync_fetch_and_add(&counters.events_lost, 1);
		return;
	}
	ev->type = type;
	ev->pid = bpf_get_current_pid_tgid() >> 32;
	ev->ts_ns = bpf_ktime_get_ns();
	bpf_ringbuf_submit(ev, 0);
}

/* BTF-typed: attaching needs no tracefs (and so no root). */
SEC("tp_btf/sched_process_exec")
int on_exec(void *ctx)
{
	if (is_target()) {
		exec_ranges_stale(bpf_get_current_pid_tgid() >> 32, MT_EXEC_STALE_ALL);
		emit(MT_EV_EXEC);
	}
	return 0;
}

/* ld.so calls _dl_debug_state whenever its list of loaded objects changes. */
SEC("uprobe")
int dl_debug_state(struct pt_regs *ctx)
{
	struct mt_proc *ps = proc_state_of(bpf_get_current_pid_tgid() >> 32);

	if (!ps)
		return 0;
	exec_ranges_stale(bpf_get_current_pid_tgid() >> 32, MT_EXEC_STALE_ADDED);
	if (stop_on_dl) {
		__sync_fetch_and_add(&ps->counters.dl_stops, 1);
		bpf_send_signal(19 /* SIGSTOP */);
		return 0;
	}
	emit(MT_EV_DLOPEN);
	return 0;
}

/* Go's allocations share the sites above (go_heap.bpf.h). */
#include "go_heap.bpf.h"

/* CPython's pymalloc pools share them too (pymalloc.bpf.h). */
#include "pymalloc.bpf.h"
