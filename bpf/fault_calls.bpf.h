/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * The target's address-space calls (mmap, munmap, mremap, brk, madvise),
 * for the fault tracer's syscall programs (faults.bpf.c): enter_call notes
 * a call's lengths per thread at entry, exit_call charges them to the
 * calling stack's site when the call succeeded; call_kind and SYSCALL_NR
 * name a call from the raw sys_enter/sys_exit pair's numbers.  The includer
 * defines fcounters, vma_gen, page_align() and current_site() first.
 */
#ifndef MEMTRACE_FAULT_CALLS_BPF_H
#define MEMTRACE_FAULT_CALLS_BPF_H

/* LRU: a thread that died inside a syscall is evicted, never fills it. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, MT_MAX_THREADS);
	__type(key, __u32);
	__type(value, struct mt_sys_inflight);
} sys_inflight SEC(".maps");

/*
 * Without tracefs (a user with only CAP_BPF and CAP_PERFMON cannot read it)
 * the syscalls are seen through the BTF-typed raw tracepoints sys_enter and
 * sys_exit, filtered by number.
 * Native numbers only: the old per-syscall tracepoints ignored 32-bit
 * (compat) calls, whose numbers mean other calls, and so do these.
 */
#if defined(__TARGET_ARCH_x86)
#define NR_MMAP 9
#define NR_MUNMAP 11
#define NR_BRK 12
#define NR_MREMAP 25
#define NR_MADVISE 28
#define SYSCALL_NR(regs) ((regs)->orig_ax)
#elif defined(__TARGET_ARCH_arm64)
#define NR_MMAP 222
#define NR_MUNMAP 215
#define NR_BRK 214
#define NR_MREMAP 216
#define NR_MADVISE 233
#define SYSCALL_NR(regs) ((regs)->syscallno)
#else
#error "fault_calls.bpf.h: syscall numbers for this architecture are missing"
#endif

static __always_inline void sys_enter(__u32 kind, __u64 a0, __u64 a1)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	struct mt_sys_inflight st = { .a0 = a0, .a1 = a1, .kind = kind };

	if (bpf_map_update_elem(&sys_inflight, &tid, &st, BPF_ANY))
		__sync_fetch_and_add(&fcounters.inflight_full, 1);
}

/* The in-flight call of kind on this thread, cleared; false when none. */
static __always_inline bool sys_exit(__u32 kind, struct mt_sys_inflight *out)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	struct mt_sys_inflight *st = bpf_map_lookup_elem(&sys_inflight, &tid);

	if (!st || st->kind != kind)
		return false;
	*out = *st;
	st->kind = 0;
	if (kind != MT_SYS_MADVISE)
		__sync_fetch_and_add(&vma_gen, 1); /* the address space may have changed */
	return true;
}

static __always_inline bool failed(__s64 ret)
{
	return ret < 0 && ret >= -4095;
}

/* A 32-bit (compat) call: its number means another call. */
static __always_inline bool compat_call(struct task_struct *task)
{
#if defined(__TARGET_ARCH_x86)
	return task->thread_info.status & 0x0002 /* TS_COMPAT */;
#else
	return false; /* arm64: AArch32 tasks are not told apart yet */
#endif
}

/*
 * Notes a call of kind by the target at entry, from its arguments: mmap,
 * munmap: len (arg1); mremap: old and new len (arg1, arg2); brk: the break
 * before the call; madvise: len and advice, DONTNEED and FREE only.
 */
static __always_inline void enter_call(__u32 kind, __u64 arg0, __u64 arg1, __u64 arg2)
{
	struct task_struct *task;

	switch (kind) {
	case MT_SYS_MMAP:
	case MT_SYS_MUNMAP:
		sys_enter(kind, arg1, 0);
		break;
	case MT_SYS_MREMAP:
		sys_enter(kind, arg1, arg2);
		break;
	case MT_SYS_BRK:
		task = bpf_get_current_task_btf();
		if (task->mm)
			sys_enter(kind, BPF_CORE_READ(task, mm, brk), arg0);
		break;
	case MT_SYS_MADVISE:
		/* MADV_DONTNEED (4), MADV_FREE (8): memory handed back to the kernel. */
		if (arg2 == 4 || arg2 == 8)
			sys_enter(kind, arg1, arg2);
		break;
	}
}

/* The call of kind by syscall number nr; 0 for the calls not traced. */
static __always_inline __u32 call_kind(long nr)
{
	switch (nr) {
	case NR_MMAP:
		return MT_SYS_MMAP;
	case NR_MUNMAP:
		return MT_SYS_MUNMAP;
	case NR_MREMAP:
		return MT_SYS_MREMAP;
	case NR_BRK:
		return MT_SYS_BRK;
	case NR_MADVISE:
		return MT_SYS_MADVISE;
	}
	return 0;
}

static __always_inline void mmap_done(__s64 ret, const struct mt_sys_inflight *st)
{
	struct mt_fault_site_value *site;

	if (failed(ret))
		return;
	site = current_site(true);
	if (site) {
		__sync_fetch_and_add(&site->mmap_count, 1);
		__sync_fetch_and_add(&site->mmap_bytes, page_align(st->a0));
	}
}

static __always_inline void munmap_done(__s64 ret, const struct mt_sys_inflight *st)
{
	struct mt_fault_site_value *site;

	if (ret != 0)
		return;
	site = current_site(true);
	if (site) {
		__sync_fetch_and_add(&site->munmap_count, 1);
		__sync_fetch_and_add(&site->munmap_bytes, page_align(st->a0));
	}
}

static __always_inline void mremap_done(__s64 ret, const struct mt_sys_inflight *st)
{
	struct mt_fault_site_value *site;
	__u64 old_len, new_len;

	if (failed(ret))
		return;
	old_len = page_align(st->a0);
	new_len = page_align(st->a1);
	site = current_site(true);
	if (!site)
		return;
	__sync_fetch_and_add(&site->mremap_count, 1);
	if (new_len > old_len)
		__sync_fetch_and_add(&site->mremap_grow_bytes, new_len - old_len);
	else if (old_len > new_len)
		__sync_fetch_and_add(&site->mremap_shrink_bytes, old_len - new_len);
}

static __always_inline void brk_done(__s64 ret, const struct mt_sys_inflight *st)
{
	struct mt_fault_site_value *site;
	__u64 old_brk, new_brk;

	/* brk returns the break, moved or not: page-aligned, the change is
	 * what was mapped or unmapped.  brk(0) and refusals change nothing. */
	old_brk = page_align(st->a0);
	new_brk = page_align((__u64)ret);
	if (old_brk == new_brk)
		return;
	site = current_site(true);
	if (!site)
		return;
	__sync_fetch_and_add(&site->brk_count, 1);
	if (new_brk > old_brk)
		__sync_fetch_and_add(&site->brk_grow_bytes, new_brk - old_brk);
	else
		__sync_fetch_and_add(&site->brk_shrink_bytes, old_brk - new_brk);
}

static __always_inline void madvise_done(__s64 ret, const struct mt_sys_inflight *st)
{
	struct mt_fault_site_value *site;

	if (ret != 0)
		return;
	site = current_site(true);
	if (site) {
		__sync_fetch_and_add(&site->madvise_count, 1);
		__sync_fetch_and_add(&site->madvise_bytes, page_align(st->a0));
	}
}

/* Charges the target's call of kind, noted at entry, when it succeeded. */
static __always_inline void exit_call(__u32 kind, __s64 ret)
{
	struct mt_sys_inflight st;

	if (!sys_exit(kind, &st))
		return;
	switch (kind) {
	case MT_SYS_MMAP:
		mmap_done(ret, &st);
		break;
	case MT_SYS_MUNMAP:
		munmap_done(ret, &st);
		break;
	case MT_SYS_MREMAP:
		mremap_done(ret, &st);
		break;
	case MT_SYS_BRK:
		brk_done(ret, &st);
		break;
	default:
		madvise_done(ret, &st);
		break;
	}
}

#endif
