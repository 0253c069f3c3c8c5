// SPDX-License-Identifier: MIT
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "hmap.h"

#define FIRST_SLOTS 64
#define FNV_BASIS 1469598103934665603ULL
#define FNV_PRIME 1099511628211ULL

static void put(struct hmap_slot *slots, size_t nslots, uint32_t hash, uint32_t entry1)
{
	size_t j = (size_t)hash & (nslots - 1);

	while (slots[j].entry)
		j = (j + 1) & (nslots - 1);
	slots[j].hash = hash;
	slots[j].entry = entry1;
}

static int rehash(struct hmap *m, size_t nslots)
{
	struct hmap_slot *slots;

	if (nslots > (size_t)1 << 32 || nslots > SIZE_MAX / sizeof(*slots))
		return -ENOMEM;
	slots = calloc(nslots, sizeof(*slots));
	if (!slots)
		return -ENOMEM;
	for (size_t i = 0; i < m->nslots; i++)
		if (m->slots[i].entry)
			put(slots, nslots, m->slots[i].hash, m->slots[i].entry);
	free(m->slots);
	m->slots = slots;
	m->nslots = nslots;
	return 0;
}

int hmap_add(struct hmap *m, uint64_t hash, uint32_t entry)
{
	int err;

	if (entry == HMAP_NONE)
		return -EOVERFLOW;
	/* At most half full, so probes stay short and one slot is always empty. */
	if ((m->n + 1) * 2 > m->nslots) {
		err = rehash(m, m->nslots ? m->nslots * 2 : FIRST_SLOTS);
		if (err)
			return err;
	}
	put(m->slots, m->nslots, (uint32_t)hash, entry + 1);
	m->n++;
	return 0;
}

void hmap_clear(struct hmap *m)
{
	if (m->slots)
		memset(m->slots, 0, m->nslots * sizeof(*m->slots));
	m->n = 0;
}

void hmap_free(struct hmap *m)
{
	free(m->slots);
	memset(m, 0, sizeof(*m));
}

uint64_t hmap_hash_str(const char *s)
{
	uint64_t h = FNV_BASIS;

	while (*s)
		h = (h ^ (unsigned char)*s++) * FNV_PRIME;
	/* FNV's low bits, which pick the slot, are its weakest: mix them in. */
	return hmap_hash_u64(h);
}
