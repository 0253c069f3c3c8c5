/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * Walking and hashing user stacks, shared by the BPF objects that keep
 * stacks (heap sites, fault sites).  Loops over frames run through
 * bpf_loop() past the walk's first few frames: its callback is verified
 * once, where a 127-step loop is walked step by step by the verifier
 * (~0.15-0.3 s of load time for every program that inlines it).
 */
#ifndef MEMTRACE_FRAMES_BPF_H
#define MEMTRACE_FRAMES_BPF_H

#include "exec_ranges.bpf.h"
#include "uretprobe.bpf.h"

/*
 * FRAMES_GIVE_BACK (set by the including object, before this header): the
 * walk gives back return addresses hidden by uretprobes (uretprobe.bpf.h)
 * in the frame records it follows.  The fault programs set it: a fault or a
 * syscall inside a probed function meets its trampoline.  The heap
 * programs' walk starts at an allocator's return, whose own probe has put
 * its address back by then; with it, alloc_return verified 26,955
 * instructions instead of 14,895.
 */
#ifndef FRAMES_GIVE_BACK
#define FRAMES_GIVE_BACK 0
#endif

#define FRAMES_HASH_BASIS 0xcbf29ce484222325ULL
#define FRAMES_CHECK_BASIS 0x243f6a8885a308d3ULL

struct frames_ctx {
	__u64 *a;
	__u64 h, check;
	__u32 n;
};

static __always_inline __u64 frames_mix(__u64 h, __u64 v)
{
	h = (h ^ v) * 0x100000001b3ULL;
	return h ^ (h >> 29);
}

static __always_inline __u64 frames_check_mix(__u64 h, __u64 v)
{
	h = (h + v) * 0x9e3779b97f4a7c15ULL;
	return h ^ (h >> 32);
}

/*
 * Ends a walk of n frames: a stack cut short gets the truncation marker as
 * its last frame (part of its key: a cut stack is not the whole one), and
 * the key mixes in the count.  Returns the frames kept.
 */
static __always_inline __u32 frames_end(__u64 *frames, __u32 n, bool trunc, __u64 h, __u64 chk, __u64 *key,
					__u64 *check)
{
	if (trunc && n < MT_MAX_FRAMES) {
		frames[n] = MT_FRAME_TRUNCATED;
		h = frames_mix(h, MT_FRAME_TRUNCATED);
		chk = frames_check_mix(chk, MT_FRAME_TRUNCATED);
		n++;
	}
	h = frames_mix(h, n);
	*key = h == MT_UNKNOWN_STACK ? 1 : h;
	*check = chk;
	return n;
}

/*
 * A walk whose first address is not the target's code keeps one marker:
 * MT_FRAME_EXEC when the process has no code described yet (xr NULL: the
 * launcher before the program's exec), else MT_FRAME_TRUNCATED.  Returns 1,
 * the frame count, and sets the key and check hash as frames_end() would.
 */
static __always_inline __u32 frames_none(__u64 *frames, struct mt_exec_ranges *xr, __u64 *key, __u64 *check)
{
	__u64 marker = xr ? MT_FRAME_TRUNCATED : MT_FRAME_EXEC, h;

	frames[0] = marker;
	h = frames_mix(frames_mix(FRAMES_HASH_BASIS, marker), 1);
	*key = h == MT_UNKNOWN_STACK ? 1 : h;
	*check = frames_check_mix(FRAMES_CHECK_BASIS, marker);
	return 1;
}

static long frames_hash_step(__u32 i, struct frames_ctx *c)
{
	if (i >= MT_MAX_FRAMES)
		return 1;
	c->h = frames_mix(c->h, c->a[i]);
	c->check = frames_check_mix(c->check, c->a[i]);
	return 0;
}

/*
 * Frame-pointer walk of a user stack.  A bpf_probe_read_user costs ~65 ns
 * plus ~0.06 ns a byte here (most of the 65 in the kernel's hardened-
 * usercopy check of the destination), and frames sit next to each other,
 * so the stack is read in chunks and several frames come from one read.
 *
 * The first read is sized by what the last walk from the same return
 * address needed (frames_scratch.reach): the call site decides the depth,
 * so a deep stack takes one read of the bytes it spans instead of several
 * of fixed size.  On bench_alloc's deep stack (29 frames over ~3 KiB) 3
 * reads became 1, and the return program went from ~595 to ~430 ns.  A
 * return address seen for the first time gets a small first read, cheap
 * for shallow stacks, then refills of 2 KiB (on the deep stack 2 KiB
 * refills cost ~1.34x the floor, 1 KiB ~1.42x, 512 B ~1.48x).  The key is
 * hashed as the frames come in, saving a second pass.
 */
#define FRAMES_FIRST_CHUNK 256
#define FRAMES_CHUNK 2048
#define FRAMES_BUF 4096
#define FRAMES_REACH_SLOTS 256

/*
 * Where a walk is.  It lives in the scratch map, not on the BPF stack: a
 * value loaded from a map is one the verifier does not trace back, so the
 * walk's steps look alike to it and it prunes them, where on the stack the
 * read sizes and frame addresses made every path through a step's refills
 * a state of its own.  With 4 frames a bpf_loop step, `memtrace -p` took
 * 0.72 s to start and `memtrace -- CMD` with the fault programs 5.0 s; with
 * the state here, 0.07 s and 0.69 s, and the heap return program verifies
 * ~3,000 instructions.
 */
struct frames_state {
	__u64 chunk;       /* size of the next read */
	__u64 base, len;   /* user address and valid bytes of buf */
	__u64 fp;
	__u64 end;         /* end of the last frame record read */
	__u64 lo, hi;      /* the thread's stack, as far as frames may lie */
	__u64 h, check;
	__u32 n;
	__u32 trunc;       /* the walk stopped before the stack's end */
};

/* Per-CPU scratch of a walk; too big for the 512-byte BPF stack. */
struct frames_scratch {
	__u64 buf[FRAMES_BUF / 8];
	/* Bytes of stack above fp the last walk from a return address read,
	 * by a hash of that address; 0 = not known. */
	__u16 reach[FRAMES_REACH_SLOTS];
	struct frames_state st;
};

struct frames_walk {
	__u64 *frames;     /* frames[0] is set by the caller */
	struct frames_scratch *fs;
	struct mt_exec_ranges *xr; /* the target's executable mappings */
};

/* Refill buf at s->fp; false when the stack there cannot be read. */
static __always_inline bool frames_refill(struct frames_scratch *fs, struct frames_state *s)
{
	__u64 len = s->chunk;

	if (len > FRAMES_BUF)
		len = FRAMES_BUF;
	if (len < 16)
		len = 16;
	s->chunk = FRAMES_CHUNK;
	if (bpf_probe_read_user(fs->buf, len, (void *)s->fp)) {
		/* The chunk runs past the end of the stack mapping: the rest of
		 * the frame's page is mapped if the frame is. */
		len = 4096 - (s->fp & 4095);
		if (len < 16)
			len = 16;
		if (len > FRAMES_CHUNK)
			len = FRAMES_CHUNK;
		if (bpf_probe_read_user(fs->buf, len, (void *)s->fp))
			return false;
	}
	s->base = s->fp;
	s->len = len;
	return true;
}

/* Takes frame i + 1; nonzero to stop. */
static __always_inline long frames_walk_at(__u32 i, struct frames_walk *w)
{
	struct frames_scratch *fs = w->fs;
	struct frames_state *s = &fs->st;
	__u64 off, idx, next, ret, fp = s->fp;

	barrier_var(i); /* bound i itself, the register indexing below */
	/* The outermost frame's saved rbp is 0 (_start clears it) and ends
	 * the walk below, at `next`; a 0 in rbp itself is a function that
	 * keeps no frame pointer, and is cut like any other.
	 * Indexed by the loop counter, not a counter in the state, so the
	 * verifier sees one bounded state instead of one per frame count.
	 * The last slot is kept for the truncation marker. */
	if (i >= MT_MAX_FRAMES - 2 || (fp & 7) || fp < s->lo || fp >= s->hi)
		goto cut;
	off = fp - s->base; /* wraps to huge below base */
	if (!s->len || off + 16 > s->len) {
		if (!frames_refill(fs, s))
			goto cut;
		off = 0;
	}
	idx = off / 8;
	barrier_var(idx); /* bound idx itself, not off, for the verifier */
	if (idx >= FRAMES_BUF / 8 - 1)
		goto cut;
	next = fs->buf[idx];
	ret = fs->buf[idx + 1];
	s->end = fp + 16;
	if (!ret)
		return 1;
	/* rbp was not a frame pointer: what it points at is stack data, not
	 * a return address.  Keeping it would invent a frame. */
	if (!w->xr)
		goto cut;
	if (!exec_addr_ok(w->xr, ret)) {
#if FRAMES_GIVE_BACK
		/* Unless it is the uprobes trampoline in the record of a
		 * probed function (a fault inside an allocator that keeps a
		 * frame pointer): the address it hid is given back.  Looked at
		 * only when the check fails, so no other walk pays for it. */
		if (ret != uretprobe_trampoline())
			goto cut;
		ret = uretprobe_orig(fp + 8);
		if (!ret || !exec_addr_ok(w->xr, ret))
			goto cut;
#else
		goto cut;
#endif
	}
	w->frames[i + 1] = ret;
	s->h = frames_mix(s->h, ret);
	s->check = frames_check_mix(s->check, ret);
	s->n = i + 2;
	/* Frames live at rising addresses: anything else is not a frame chain. */
	if (next <= fp) {
		s->trunc = next != 0;
		return 1;
	}
	s->fp = next;
	return 0;
cut:
	s->trunc = 1;
	return 1;
}

/*
 * The first frames are taken inline: a bpf_loop() step is an indirect call,
 * a retpoline on this kind of machine, and most stacks stop within a few
 * frames.  4 inline steps took ~30 ns off the heap return program; 8 took
 * no more.
 */
#define FRAMES_INLINE 4

/*
 * Each bpf_loop() step takes several frames: a step costs a call and a
 * return, and a return goes through the return thunk (SRSO's "Safe RET"
 * here).  4 frames a step instead of 1 took the deep stack's return
 * program from ~815 to ~640 ns; 8 did no better.
 */
#define FRAMES_PER_STEP 4

static long frames_walk_step(__u32 i, struct frames_walk *w)
{
	__u32 first = i * FRAMES_PER_STEP + FRAMES_INLINE;

#pragma unroll
	for (int k = 0; k < FRAMES_PER_STEP; k++)
		if (frames_walk_at(first + k, w))
			return 1;
	return 0;
}

/*
 * Walk from (ip, sp, fp) into frames[]; returns the frame count (at least
 * 1) and sets *key to the stack's key, never MT_UNKNOWN_STACK, which is
 * reserved, and *check to a second hash of the frames.  Every frame kept
 * lies in an executable mapping of the current process (exec_ranges); a
 * walk that stopped before the stack's end (see MT_FRAME_TRUNCATED) ends
 * with the marker.
 */
static __always_inline __u32 frames_walk(__u64 *frames, struct frames_scratch *fs, __u64 ip, __u64 sp, __u64 fp,
					 __u64 *key, __u64 *check)
{
	__u16 *reach = &fs->reach[(__u32)((ip * 0x9e3779b97f4a7c15ULL) >> 56) & (FRAMES_REACH_SLOTS - 1)];
	__u32 tgid = bpf_get_current_pid_tgid() >> 32;
	struct frames_walk w = { .frames = frames, .fs = fs };
	struct frames_state *s = &fs->st;

	w.xr = bpf_map_lookup_elem(&exec_ranges, &tgid);
	s->trunc = 0;
	/* Not even the first address is code: nothing to keep. */
	if (!w.xr || !exec_addr_ok(w.xr, ip))
		return frames_none(frames, w.xr, key, check);
	s->lo = sp;
	s->hi = sp + MT_STACK_SPAN;

	s->chunk = *reach ? *reach : FRAMES_FIRST_CHUNK;
	s->base = 0;
	s->len = 0;
	s->fp = fp;
	s->end = fp;
	s->n = 1;
	frames[0] = ip;
	s->h = frames_mix(FRAMES_HASH_BASIS, ip);
	s->check = frames_check_mix(FRAMES_CHECK_BASIS, ip);
#pragma unroll
	for (int k = 0; k < FRAMES_INLINE; k++)
		if (frames_walk_at(k, &w))
			goto done;
	bpf_loop((MT_MAX_FRAMES - FRAMES_INLINE + FRAMES_PER_STEP - 1) / FRAMES_PER_STEP, frames_walk_step, &w, 0);
done:
	/* Only a reach one read can take is worth keeping. */
	*reach = s->end - fp <= FRAMES_BUF ? s->end - fp : 0;
	return frames_end(frames, s->n, s->trunc, s->h, s->check, key, check);
}

/* The key and check hash frames_walk() gives for these n frames; the key
 * is never MT_UNKNOWN_STACK, which is reserved. */
static __always_inline __u64 frames_hash(__u64 *frames, __u32 n, __u64 *check)
{
	struct frames_ctx c = { .a = frames, .h = FRAMES_HASH_BASIS, .check = FRAMES_CHECK_BASIS };

	bpf_loop(n, frames_hash_step, &c, 0);
	c.h = frames_mix(c.h, n);
	*check = c.check;
	return c.h == MT_UNKNOWN_STACK ? 1 : c.h;
}

#endif
