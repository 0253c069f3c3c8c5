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
 * short ends with MT_FRAME_TRUNCATED.  The stack is read in chunks, as the
 * frame-pointer walk reads it, whichever way a frame is taken.  The heap
 * return and the fault and mmap programs (faults.bpf.c) share this walk;
 * the latter start at the instruction itself and find return addresses
 * hidden by uretprobes (uretprobe.bpf.h).
 */
#ifndef MEMTRACE_UNWIND_BPF_H
#define MEMTRACE_UNWIND_BPF_H

#include "frames.bpf.h"
#include "uretprobe.bpf.h"

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
	__u64 pos;      /* pc's range + 1 (exec_range_pos), found when pc was checked */
	__u64 first;    /* where the first read of the stack began, for the reach */
	__u64 tramp;    /* the uprobes trampoline, where a frame's own return address may hide (exact0 only) */
	__u32 n, trunc;
	__u32 mode;     /* enum mt_unwind_mode */
	__u32 exact0;   /* frame 0's pc is the instruction itself (a fault, a syscall), not a return address */
	__u32 fp0;      /* frame 0 was left by frame pointer: no row held at its pc */
	__u32 pad;
};

struct unwind_walk {
	__u64 *frames;
	struct uw_state *s;
	struct frames_scratch *fs; /* the stack is read in chunks into fs->buf, as the frame-pointer walk does */
	struct mt_exec_ranges *xr;
};

#define UNWIND_SEARCH_BITS 19 /* rows of one object: at most MT_UNWIND_OBJECT_ROWS */

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

/*
 * Two words of the stack at addr (8-aligned), from the chunk in fs->buf, or
 * a new chunk read at addr when they lie outside it: frames sit next to
 * each other, so one read serves several, row frames and frame-pointer
 * frames alike (frames.bpf.h says what a read costs).  False when the
 * stack there cannot be read.
 */
static __always_inline bool unwind_read(struct unwind_walk *w, __u64 addr, __u64 *a, __u64 *b)
{
	struct frames_scratch *fs = w->fs;
	struct frames_state *st = &fs->st;
	__u64 off = addr - st->base, idx; /* wraps to huge below base */

	if (!st->len || off >= st->len || st->len - off < 16) {
		st->fp = addr;
		if (!frames_refill(fs, st))
			return false;
		if (!w->s->first)
			w->s->first = addr;
		off = 0;
	}
	idx = off / 8;
	barrier_var(idx); /* bound idx itself, not off, for the verifier */
	if (idx >= FRAMES_BUF / 8 - 1)
		return false;
	*a = fs->buf[idx];
	*b = fs->buf[idx + 1];
	if (addr + 16 > st->end)
		st->end = addr + 16;
	return true;
}

/* The row holding at at, in the range of the current frame's pc (s->pos),
 * or NULL. */
static __always_inline struct mt_unwind_row *unwind_row_of(struct mt_exec_ranges *r, struct uw_state *s, __u64 at)
{
	__u64 pos = s->pos, idx;

	/* pc's range was found when pc was checked; at lies in it unless pc
	 * starts it. */
	if (pos && at < r->start[(pos - 1) & (MT_EXEC_RANGES - 1)])
		pos = exec_range_pos(r, at);
	if (!pos)
		return NULL;
	idx = (pos - 1) & (MT_EXEC_RANGES - 1);
	return unwind_row_at(r, (__u32)idx, at - r->bias[idx]);
}

/* Takes frame i + 1 from frame i; nonzero to stop. */
static __always_inline long unwind_frame(__u32 i, struct unwind_walk *w)
{
	struct uw_state *s = w->s;
	struct mt_exec_ranges *r = w->xr;
	struct mt_unwind_row *row;
	__u64 pc = s->pc, cfa, bp = s->bp, ret, saved, spare, pos;
	__s64 rbp_off = -16;
	__u32 rbp_rule = 1;

	barrier_var(i);
	if (i >= MT_MAX_FRAMES - 2 || !r)
		goto cut;
	/* A return address may follow a call that ends its function: its row
	 * is the one at pc - 1.  A fault's or syscall's pc is the instruction
	 * itself, whose row may have changed right at it (after a push). */
	row = unwind_row_of(r, s, pc - (i == 0 && s->exact0 ? 0 : 1));
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
		if (i == 0)
			s->fp0 = 1;
	}
	if (cfa <= s->sp || cfa > s->lo + MT_STACK_SPAN || (cfa & 7))
		goto cut;
	if (!unwind_read(w, cfa - 16, &saved, &ret))
		goto cut;
	if (rbp_rule == 1) {
		if (rbp_off == -16)
			bp = saved;
		else if (!unwind_read(w, cfa + rbp_off, &bp, &spare))
			goto cut;
	} else if (rbp_rule == 2) {
		bp = 0; /* unknown from here: a caller needing it has no frame pointer */
	}
	if (ret && ret == s->tramp) {
		ret = uretprobe_orig(cfa - 8);
		if (!ret)
			goto cut; /* the trampoline itself is no caller */
	}
	if (!ret)
		return 1;
	pos = r->stale != MT_EXEC_STALE_ALL ? exec_range_pos(r, ret) : 0;
	if (!pos && (!r->stale || !exec_addr_ok(r, ret)))
		goto cut;
	w->frames[i + 1] = ret;
	s->h = frames_mix(s->h, ret);
	s->check = frames_check_mix(s->check, ret);
	s->n = i + 2;
	s->pc = ret;
	s->sp = cfa;
	s->bp = bp;
	s->pos = pos;
	return 0;
cut:
	s->trunc = 1;
	return 1;
}

/*
 * Whether the walk's last frame (s->pc, a return address) is the stack's
 * first, as unwind_frame would find on its next step: its row says so
 * (_start's), or, with no row, the rbp left for it is 0.
 */
static __always_inline bool unwind_is_first_frame(struct unwind_walk *w)
{
	struct uw_state *s = w->s;
	struct mt_unwind_row *row;

	if (!w->xr)
		return false;
	row = unwind_row_of(w->xr, s, s->pc - 1);
	if (row && (row->kind & 15) != 0)
		return (row->kind & 15) == 4;
	return s->mode != MT_UNWIND_DWARF && !s->bp;
}

/* Each bpf_loop() step takes several frames, as frames_walk_step does and
 * for the same reason (a step's call and return cost more than a frame).
 * Verified instructions of alloc_return (test_core's bound is 50,000): 1
 * frame a step 33,221, 2 frames 37,005, 4 frames 95,005. */
#define UNWIND_PER_STEP 2

static long unwind_step(__u32 i, struct unwind_walk *w)
{
	__u32 first = i * UNWIND_PER_STEP;

#pragma unroll
	for (int k = 0; k < UNWIND_PER_STEP; k++)
		if (unwind_frame(first + k, w))
			return 1;
	return 0;
}

/*
 * frames_walk's contract (frames[], key, check, the marker), by the rows,
 * from the user registers (ip, sp, rbp).  At the allocator's return ip is
 * the return address into the caller (exact0 false); at a fault or a
 * syscall it is the instruction itself (exact0 true).  s->fp0 says after
 * the walk whether frame 0 was left by its frame pointer.  fs is the chunk
 * buffer and the first-read size by ip (frames_scratch.reach), shared with
 * frames_walk.
 */
static __always_inline __u32 unwind_walk(__u64 *frames, struct uw_state *s, struct frames_scratch *fs,
					 __u32 mode, bool exact0, __u64 ip, __u64 sp, __u64 bp, __u64 *key,
					 __u64 *check)
{
	__u16 *reach = &fs->reach[(__u32)((ip * 0x9e3779b97f4a7c15ULL) >> 56) & (FRAMES_REACH_SLOTS - 1)];
	__u32 tgid = bpf_get_current_pid_tgid() >> 32;
	struct unwind_walk w = { .frames = frames, .s = s, .fs = fs };
	struct frames_state *st = &fs->st;

	s->trunc = 0;
	s->fp0 = 0;
	w.xr = bpf_map_lookup_elem(&exec_ranges, &tgid);
	if (!w.xr || !exec_addr_ok(w.xr, ip))
		return frames_none(frames, w.xr, key, check);
	s->pos = w.xr->stale != MT_EXEC_STALE_ALL ? exec_range_pos(w.xr, ip) : 0;
	s->pc = ip;
	s->sp = sp;
	s->lo = sp;
	s->bp = bp;
	s->mode = mode;
	s->exact0 = exact0;
	/* Any frame may be one with a return probe: the allocator's own at a
	 * fault or syscall inside it (exact0), or an outer probed function at
	 * an allocator's return (pymalloc's pool refill around its calloc). */
	s->tramp = uretprobe_trampoline();
	s->first = 0;
	s->n = 1;
	st->chunk = *reach ? *reach : FRAMES_FIRST_CHUNK;
	st->base = 0;
	st->len = 0;
	st->end = 0;
	frames[0] = ip;
	s->h = frames_mix(FRAMES_HASH_BASIS, ip);
	s->check = frames_check_mix(FRAMES_CHECK_BASIS, ip);
	bpf_loop((MT_MAX_FRAMES - 1 + UNWIND_PER_STEP - 1) / UNWIND_PER_STEP, unwind_step, &w, 0);
	/* A walk that filled every slot but the marker's stopped before its
	 * last frame could say it is the stack's first (_start's): asked here,
	 * once, so a whole stack of MT_MAX_FRAMES - 1 frames is not marked
	 * truncated.  Asked in every step instead, it cost alloc_return
	 * 8,608 more verified instructions; here, 1,172. */
	if (s->trunc && s->n == MT_MAX_FRAMES - 1 && unwind_is_first_frame(&w))
		s->trunc = 0;
	/* Only a reach one read can take is worth keeping. */
	*reach = s->first && st->end - s->first <= FRAMES_BUF ? st->end - s->first : 0;
	return frames_end(frames, s->n, s->trunc, s->h, s->check, key, check);
}

#endif
