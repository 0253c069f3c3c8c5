/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * Hashing and comparing user stacks, shared by the BPF objects that keep
 * stacks (heap sites, fault sites).  Through bpf_loop(): its callback is
 * verified once, where a 127-step loop is walked step by step by the
 * verifier (~0.15-0.3 s of load time for every program that inlines it).
 */
#ifndef MEMTRACE_FRAMES_BPF_H
#define MEMTRACE_FRAMES_BPF_H

struct frames_ctx {
	__u64 *a;
	const __u64 *b;
	__u64 h;
	__u32 n;
	bool same;
};

static long frames_hash_step(__u32 i, struct frames_ctx *c)
{
	if (i >= MT_MAX_FRAMES)
		return 1;
	c->h = (c->h ^ c->a[i]) * 0x100000001b3ULL;
	c->h ^= c->h >> 29;
	return 0;
}

static long frames_same_step(__u32 i, struct frames_ctx *c)
{
	if (i >= MT_MAX_FRAMES)
		return 1;
	if (c->a[i] != c->b[i]) {
		c->same = false;
		return 1;
	}
	return 0;
}

/* A 64-bit key for n frames; never MT_UNKNOWN_STACK, which is reserved. */
static __always_inline __u64 frames_hash(__u64 *frames, __u32 n)
{
	struct frames_ctx c = { .a = frames, .h = 0xcbf29ce484222325ULL ^ n };

	bpf_loop(n, frames_hash_step, &c, 0);
	return c.h == MT_UNKNOWN_STACK ? 1 : c.h;
}

/* Whether the first n frames of a and b are the same addresses. */
static __always_inline bool frames_equal(__u64 *a, const __u64 *b, __u32 n)
{
	struct frames_ctx c = { .a = a, .b = b, .same = true };

	bpf_loop(n, frames_same_step, &c, 0);
	return c.same;
}

#endif
