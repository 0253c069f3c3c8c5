/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * Each traced process's heap tables, found by its tgid: one loaded object
 * traces a whole --follow tree.  proc_slot gives a traced tgid its slot,
 * the index of its inner maps in the arrays of maps below; a process with
 * no slot is not traced.  The collector makes slots ahead (maps created
 * and entered, which waits for an RCU grace period per entry), so a fork
 * costs one plain hash update: its tgid -> a ready slot.
 *
 * proc_state:  struct mt_proc (counters, block-table size), mmapable;
 * proc_counts: site_counts, by site id (ids are the object's: a stack has
 *              one id in every process), mmapable;
 * proc_blocks: the live-block table (struct mt_block_bucket), mmapable, of
 *              2^mt_proc.bucket_bits buckets (BPF_F_INNER_MAP: sizes differ);
 * proc_more:   blocks whose bucket was full, by address (looked up only
 *              once a process has some).
 */
#ifndef MEMTRACE_PROC_MAPS_BPF_H
#define MEMTRACE_PROC_MAPS_BPF_H

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, MT_MAX_PROCS);
	__type(key, __u32);
	__type(value, __u32);
} proc_slot SEC(".maps");

/* Inner maps are declared by size: clang gives their value types only as
 * forward declarations in BTF, which libbpf cannot size. */

struct proc_state_inner {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(map_flags, BPF_F_MMAPABLE);
	__uint(max_entries, 1);
	__uint(key_size, sizeof(__u32));
	__uint(value_size, sizeof(struct mt_proc));
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
	__uint(max_entries, MT_MAX_PROCS);
	__type(key, __u32);
	__array(values, struct proc_state_inner);
} proc_state SEC(".maps");

struct proc_counts_inner {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(map_flags, BPF_F_MMAPABLE);
	__uint(max_entries, MT_MAX_SITES);
	__uint(key_size, sizeof(__u32));
	__uint(value_size, sizeof(struct mt_site_counts));
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
	__uint(max_entries, MT_MAX_PROCS);
	__type(key, __u32);
	__array(values, struct proc_counts_inner);
} proc_counts SEC(".maps");

struct proc_blocks_inner {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(map_flags, BPF_F_MMAPABLE | BPF_F_INNER_MAP);
	__uint(max_entries, 1u << MT_BLOCK_BUCKET_BITS_MIN);
	__uint(key_size, sizeof(__u32));
	__uint(value_size, sizeof(struct mt_block_bucket));
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
	__uint(max_entries, MT_MAX_PROCS);
	__type(key, __u32);
	__array(values, struct proc_blocks_inner);
} proc_blocks SEC(".maps");

/* Not preallocated: a bucket fills only as the table nears its capacity
 * (the multiplicative hash spreads the addresses evenly). */
struct proc_more_inner {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, MT_MAX_BLOCKS_MORE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(key_size, sizeof(__u64));
	__uint(value_size, sizeof(struct mt_block));
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
	__uint(max_entries, MT_MAX_PROCS);
	__type(key, __u32);
	__array(values, struct proc_more_inner);
} proc_more SEC(".maps");

/* One process's tables, looked up once per probe hit. */
struct proc {
	struct mt_proc *st;
	void *blocks; /* its proc_blocks inner map */
	void *counts; /* its proc_counts inner map */
	__u32 slot;
};

/* The state in slot, or NULL. */
static __always_inline struct mt_proc *slot_state(__u32 slot)
{
	__u32 zero = 0;
	void *m = bpf_map_lookup_elem(&proc_state, &slot);

	return m ? bpf_map_lookup_elem(m, &zero) : NULL;
}

/* tgid's state, or NULL when it is not traced: what an entry probe needs. */
static __always_inline struct mt_proc *proc_state_of(__u32 tgid)
{
	__u32 *slot = bpf_map_lookup_elem(&proc_slot, &tgid);

	return slot ? slot_state(*slot) : NULL;
}

/* Fills *p with tgid's tables; false when it is not traced. */
static __always_inline bool proc_find(__u32 tgid, struct proc *p)
{
	__u32 *slot = bpf_map_lookup_elem(&proc_slot, &tgid);

	if (!slot)
		return false;
	p->slot = *slot;
	p->st = slot_state(p->slot);
	if (!p->st)
		return false;
	p->blocks = bpf_map_lookup_elem(&proc_blocks, &p->slot);
	if (!p->blocks)
		return false;
	p->counts = bpf_map_lookup_elem(&proc_counts, &p->slot);
	if (!p->counts)
		return false;
	return true;
}

static __always_inline bool proc_current(struct proc *p)
{
	return proc_find(bpf_get_current_pid_tgid() >> 32, p);
}

#endif
