// SPDX-License-Identifier: MIT
#include "sampled_set.h"

#define SET_BUCKET_BITS 13
#define SET_WAYS 8

struct bucket {
	uintptr_t way[SET_WAYS];
} __attribute__((aligned(64)));

static struct bucket set[1u << SET_BUCKET_BITS];
static uint64_t live, refused;

static struct bucket *bucket_of(uintptr_t p)
{
	/* Blocks are 16-byte aligned: the low bits carry nothing. */
	return &set[((uint64_t)(p >> 4) * 0x9E3779B97F4A7C15ull) >> (64 - SET_BUCKET_BITS)];
}

bool sampled_set_insert(uintptr_t p)
{
	struct bucket *b = bucket_of(p);

	for (int w = 0; w < SET_WAYS; w++) {
		uintptr_t zero = 0;

		if (__atomic_load_n(&b->way[w], __ATOMIC_RELAXED))
			continue;
		if (__atomic_compare_exchange_n(&b->way[w], &zero, p, false, __ATOMIC_RELEASE, __ATOMIC_RELAXED)) {
			__atomic_add_fetch(&live, 1, __ATOMIC_RELAXED);
			return true;
		}
	}
	__atomic_add_fetch(&refused, 1, __ATOMIC_RELAXED);
	return false;
}

bool sampled_set_remove(uintptr_t p)
{
	struct bucket *b = bucket_of(p);

	for (int w = 0; w < SET_WAYS; w++) {
		uintptr_t want = p;

		if (__atomic_load_n(&b->way[w], __ATOMIC_RELAXED) != p)
			continue;
		if (__atomic_compare_exchange_n(&b->way[w], &want, 0, false, __ATOMIC_ACQ_REL, __ATOMIC_RELAXED)) {
			__atomic_sub_fetch(&live, 1, __ATOMIC_RELAXED);
			return true;
		}
	}
	return false;
}

uint64_t sampled_set_live(void)
{
	return __atomic_load_n(&live, __ATOMIC_RELAXED);
}

uint64_t sampled_set_refused(void)
{
	return __atomic_load_n(&refused, __ATOMIC_RELAXED);
}
