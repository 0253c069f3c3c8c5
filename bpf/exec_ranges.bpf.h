/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * Whether an address lies in one of the target's executable mappings: the
 * test every frame of a stack walk passes before it is kept (frames.bpf.h).
 * The ranges come from the collector (struct mt_exec_ranges), one value per
 * tgid; a process without one has no frame checked true.
 */
#ifndef MEMTRACE_EXEC_RANGES_BPF_H
#define MEMTRACE_EXEC_RANGES_BPF_H

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, MT_EXEC_TGIDS);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, __u32);
	__type(value, struct mt_exec_ranges);
} exec_ranges SEC(".maps");

/*
 * Binary search without a branch: the verifier sees one path whatever the
 * addresses are, where a branch per step would make 2^9 of them in each of
 * the walk's inlined steps.  pos counts the starts <= addr (binary lifting
 * over the 511 searchable slots); (addr - start) >> 63 is 1 exactly when
 * start > addr, as both are below 2^63.  Returns the index of addr's range
 * + 1, or 0 when no range holds addr.
 */
static __always_inline __u64 exec_range_pos(struct mt_exec_ranges *r, __u64 addr)
{
	__u64 pos = 0, le, in;

	if (addr >= MT_EXEC_USER_LIMIT)
		return 0;
#pragma unroll
	for (int k = MT_EXEC_RANGES / 2; k >= 1; k >>= 1) {
		le = 1 - ((addr - r->start[(pos + k - 1) & (MT_EXEC_RANGES - 1)]) >> 63);
		pos += k * le;
	}
	in = (addr - r->end[(pos - 1) & (MT_EXEC_RANGES - 1)]) >> 63; /* addr < end */
	return pos * in;
}

/* Whether addr lies in one of the ranges (not asking the VMAs). */
static __always_inline bool exec_range_has(struct mt_exec_ranges *r, __u64 addr)
{
	return exec_range_pos(r, addr) != 0;
}

struct exec_vma_ctx {
	bool exec;
};

static long exec_vma_cb(struct task_struct *task, struct vm_area_struct *vma, struct exec_vma_ctx *c)
{
	c->exec = (vma->vm_flags & 0x4 /* VM_EXEC */) != 0;
	return 0;
}

/* Whether addr is code of the current process: the ranges, or while they
 * are stale the process's own VMAs (slow, ~1 us, but only then). */
static __always_inline bool exec_addr_ok(struct mt_exec_ranges *r, __u64 addr)
{
	struct exec_vma_ctx c = {};

	if (r->stale != MT_EXEC_STALE_ALL && exec_range_has(r, addr))
		return true;
	if (!r->stale || addr >= MT_EXEC_USER_LIMIT)
		return false;
	if (bpf_find_vma(bpf_get_current_task_btf(), addr, exec_vma_cb, &c, 0))
		return false;
	return c.exec;
}

/* The target's objects changed: trust the VMAs until the collector has
 * written the ranges again. */
static __always_inline void exec_ranges_stale(__u32 tgid, __u32 how)
{
	struct mt_exec_ranges *r = bpf_map_lookup_elem(&exec_ranges, &tgid);

	if (r && r->stale < how)
		r->stale = how;
}

#endif
