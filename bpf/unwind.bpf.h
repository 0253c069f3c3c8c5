/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * Walking a user stack with unwind rows (--unwind auto|dwarf): for code
 * built without frame pointers.  The rows come from the objects'
 * .eh_frame (user/symbols/unwind_table.c), written by the collector into
 * unwind_rows; each executable range of the target says which rows are its
 * own (struct mt_exec_ranges).  Per frame: the range of pc, the row holding
 * at pc - 1 (a return address may follow a call that ends its function),
 * the CFA from rsp or rbp, the return address at CFA - 8 and the caller's
 * rbp where the row says it is saved.  A frame whose module has no row
 * (auto: it keeps frame pointers, user/symbols/unwind_fp.h, or it has no
 * table) is taken by its frame pointer, from the rbp that the frame below
 * left or its rows recovered.  Every frame kept passes the
 * same test as the frame-pointer walk (exec_ranges.bpf.h) and a stack cut
 * short ends with MT_FRAME_TRUNCATED.
 */
#ifndef MEMTRACE_UNWIND_BPF_H
#define MEMTRACE_UNWIND_BPF_H

#include "frames.bpf.h"

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(map_flags, BPF_F_MMAPABLE);
	__uint(max_entries, MT_UNWIND_ROWS);
	__type(key, __u32);
	__type(value, struct mt_unwind_row);
} unwind_rows SEC(".maps");

/* Lives in a per-CPU map, like frames_state, and for the same reason. */
struct uw_state {
	__u64 pc, sp, bp;
	__u64 lo;       /* sp at the probe: every CFA lies within MT_STACK_SPAN of it */
	__u64 h, check;
	__u32 n, trunc;
	__u32 mode;     /* enum mt_unwind_mode */
	__u32 pad;
};

struct unwind_walk {
	__u64 *frames;
	struct uw_state *s;
	struct mt_exec_ranges *xr;
};

#define UNWIND_SEARCH_BITS 19 /* rows of one object: at most MT_UNWIND_ROWS */

/* The row of r's range idx that holds at ELF address target, or NULL. */
static __always_inline struct mt_unwind_row *unwind_row_at(struct mt_exec_ranges *r, __u32 idx, __u64 target)
{
	__u64 first = r->row_first[idx & (MT_EXEC_RANGES - 1)], count = r->row_count[idx & (MT_EXEC_RANGES - 1)];
	__u64 lo = 0, le, in;
	__u32 j;

	if (!count || target >= (1ULL << 32))
		return NULL;
	/* Binary lifting without a branch per step, as exec_range_pos. */
#pragma unroll
	for (int k = 1 << (UNWIND_SEARCH_BITS - 1); k >= 1; k >>= 1) {
		struct mt_unwind_row *row;

		j = (__u32)(first + lo + k - 1);
		row = bpf_map_lookup_elem(&unwind_rows, &j);
		if (!row)
			return NULL;
		/* Hidden from clang, which would turn the arithmetic back
		 * into compares and branches. */
		le = target - row->pc;
		in = count - (lo + k);
		barrier_var(le);
		barrier_var(in);
		le = 1 - (le >> 63); /* row->pc <= target */
		in = 1 - (in >> 63); /* lo + k <= count */
		lo += k * (le & in);
	}
	if (!lo)
		return NULL;
	j = (__u32)(first + lo - 1);
	return bpf_map_lookup_elem(&unwind_rows, &j);
}

/* Takes frame i + 1 from frame i; nonzero to stop. */
static long unwind_step(__u32 i, struct unwind_walk *w)
{
	struct uw_state *s = w->s;
	struct mt_exec_ranges *r = w->xr;
	struct mt_unwind_row *row = NULL;
	__u64 pc = s->pc, cfa, bp = s->bp, ret, pos, buf[2];
	__s64 rbp_off = -16;
	__u32 rbp_rule = 1;

	barrier_var(i);
	if (i >= MT_MAX_FRAMES - 2 || !r)
		goto cut;
	pos = exec_range_pos(r, pc - 1);
	if (pos && r->stale != MT_EXEC_STALE_ALL)
		row = unwind_row_at(r, (__u32)(pos - 1), pc - 1 - r->bias[(pos - 1) & (MT_EXEC_RANGES - 1)]);
	if (row && (row->kind & 15) != 0) {
		switch (row->kind & 15) {
		case 1:
			cfa = s->sp + (__s64)row->cfa_off;
			break;
		case 2:
			cfa = bp + (__s64)row->cfa_off;
			break;
		case 4:
			return 1; /* the stack's first frame */
		default:
			goto cut; /* PLT (never a caller) or a rule the walk cannot follow */
		}
		rbp_rule = row->kind >> 4;
		rbp_off = row->rbp_off8 * 8;
	} else {
		/* No row: the function keeps a frame pointer, or the walk ends. */
		if (s->mode == MT_UNWIND_DWARF)
			goto cut;
		/* rbp 0 here is _start's (it clears rbp), as the rows of the
		 * frame below recovered it: the stack's first frame, as the
		 * frame-pointer walk ends at a saved rbp of 0. */
		if (!bp)
			return 1;
		cfa = bp + 16;
	}
	if (cfa <= s->sp || cfa > s->lo + MT_STACK_SPAN || (cfa & 7))
		goto cut;
	if (bpf_probe_read_user(buf, sizeof(buf), (void *)(cfa - 16)))
		goto cut;
	ret = buf[1];
	if (rbp_rule == 1) {
		if (rbp_off == -16)
			bp = buf[0];
		else if (bpf_probe_read_user(&bp, sizeof(bp), (void *)(cfa + rbp_off)))
			goto cut;
	} else if (rbp_rule == 2) {
		bp = 0; /* unknown from here: a caller needing it has no frame pointer */
	}
	if (!ret)
		return 1;
	if (!exec_addr_ok(r, ret))
		goto cut;
	w->frames[i + 1] = ret;
	s->h = frames_mix(s->h, ret);
	s->check = frames_check_mix(s->check, ret);
	s->n = i + 2;
	s->pc = ret;
	s->sp = cfa;
	s->bp = bp;
	return 0;
cut:
	s->trunc = 1;
	return 1;
}

/*
 * frames_walk's contract (frames[], key, check, the marker), by the rows:
 * from the registers at the allocator's return (ip = the return address
 * into the caller, sp and rbp the caller's).
 */
static __always_inline __u32 unwind_walk(__u64 *frames, struct uw_state *s, __u32 mode, __u64 ip, __u64 sp,
					 __u64 bp, __u64 *key, __u64 *check)
{
	__u32 tgid = bpf_get_current_pid_tgid() >> 32;
	struct unwind_walk w = { .frames = frames, .s = s };
	__u64 h;

	w.xr = bpf_map_lookup_elem(&exec_ranges, &tgid);
	if (!w.xr || !exec_addr_ok(w.xr, ip)) {
		frames[0] = MT_FRAME_TRUNCATED;
		h = frames_mix(frames_mix(FRAMES_HASH_BASIS, MT_FRAME_TRUNCATED), 1);
		*key = h == MT_UNKNOWN_STACK ? 1 : h;
		*check = frames_check_mix(FRAMES_CHECK_BASIS, MT_FRAME_TRUNCATED);
		return 1;
	}
	s->pc = ip;
	s->sp = sp;
	s->lo = sp;
	s->bp = bp;
	s->mode = mode;
	s->n = 1;
	s->trunc = 0;
	frames[0] = ip;
	s->h = frames_mix(FRAMES_HASH_BASIS, ip);
	s->check = frames_check_mix(FRAMES_CHECK_BASIS, ip);
	bpf_loop(MT_MAX_FRAMES - 1, unwind_step, &w, 0);
	return frames_end(frames, s->n, s->trunc, s->h, s->check, key, check);
}

#endif
