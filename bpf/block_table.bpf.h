/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * A process's live-block table (struct mt_block_bucket in memtrace.h) and
 * its overflow map: put, take, and the free charged to a block's site.
 * Needs proc_maps.bpf.h.
 */
#ifndef MEMTRACE_BLOCK_TABLE_BPF_H
#define MEMTRACE_BLOCK_TABLE_BPF_H

static __always_inline struct mt_block_bucket *bucket_of(const struct proc *p, __u64 ptr)
{
	__u32 idx = mt_block_bucket_in(ptr, p->st->bucket_bits);

	return bpf_map_lookup_elem(p->blocks, &idx);
}

/* Removes ptr's block from the table into *out; false when it is not
 * there (never tracked, or another CPU took it first). */
static __always_inline bool block_take(const struct proc *p, __u64 ptr, struct mt_block *out)
{
	struct mt_block_bucket *bk = bucket_of(p, ptr);
	struct mt_block *m;
	void *more;

	if (bk) {
#pragma unroll
		for (int w = 0; w < MT_BLOCK_WAYS; w++) {
			struct mt_block_data *d = &bk->data[w];

			if (bk->ptr[w] != ptr)
				continue;
			out->ptr = ptr;
			out->size = d->size;
			out->site = d->site;
			out->alloc_ns = d->alloc_ns;
			/* Zero marks a way being written, for the collector's reads;
			 * cleared before the way is given up, never after. */
			d->alloc_ns = 0;
			return __sync_val_compare_and_swap(&bk->ptr[w], ptr, 0) == ptr;
		}
	}
	if (!p->st->counters.blocks_more)
		return false;
	more = bpf_map_lookup_elem(&proc_more, &p->slot);
	if (!more)
		return false;
	m = bpf_map_lookup_elem(more, &ptr);
	if (!m)
		return false;
	*out = *m;
	if (bpf_map_delete_elem(more, &ptr))
		return false;
	__sync_fetch_and_sub(&p->st->counters.blocks_more, 1);
	return true;
}

/* Puts b into the table; false when its bucket and the overflow map are full. */
static __always_inline bool block_put(const struct proc *p, const struct mt_block *b)
{
	struct mt_block_bucket *bk = bucket_of(p, b->ptr);
	void *more;

	if (bk) {
#pragma unroll
		for (int w = 0; w < MT_BLOCK_WAYS; w++) {
			struct mt_block_data *d = &bk->data[w];

			if (bk->ptr[w] || __sync_val_compare_and_swap(&bk->ptr[w], 0, b->ptr))
				continue;
			d->size = b->size;
			d->site = b->site;
			d->alloc_ns = b->alloc_ns; /* last: the way is complete */
			return true;
		}
	}
	more = bpf_map_lookup_elem(&proc_more, &p->slot);
	if (!more || bpf_map_update_elem(more, &b->ptr, b, BPF_ANY))
		return false;
	__sync_fetch_and_add(&p->st->counters.blocks_more, 1);
	return true;
}

/* A block left the heap: charge the free to its site. */
static __always_inline void account_free(const struct proc *p, const struct mt_block *b)
{
	__u32 id = b->site;
	struct mt_site_counts *c = bpf_map_lookup_elem(p->counts, &id);

	if (c) {
		__sync_fetch_and_add(&c->free_count, 1);
		__sync_fetch_and_add(&c->free_bytes, b->size);
	}
	__sync_fetch_and_sub(&p->st->counters.inuse_bytes, b->size);
}

#endif
