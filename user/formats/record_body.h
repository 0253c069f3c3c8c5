/* SPDX-License-Identifier: MIT */
/*
 * A recording's body (record.h), inflated as a stream and split into its
 * sections on the way, so that what a hostile file claims never decides
 * what is allocated: memory follows the bytes that really come out of the
 * zlib stream, unknown sections are skipped without being kept, and the
 * first inconsistency stops the inflate.
 *
 * Before inflating anything, the declared body length must be at most
 * RECORD_MAX_RATIO times the compressed length: memtrace's writer
 * (deflate level 3) reaches about 5:1 on real traces and 14:1 on a day of
 * an idle process's samples, while deflate itself allows 1032:1, which let
 * a 2 MB file claim a 2 GiB body.
 */
#ifndef MEMTRACE_RECORD_BODY_H
#define MEMTRACE_RECORD_BODY_H

#include <stddef.h>
#include <stdint.h>

#define RECORD_MAX_RATIO 64u

struct record_section {
	uint8_t *p;   /* malloc'd payload (NULL when absent or empty) */
	size_t len;
	int have;     /* the section was present */
};

/*
 * Inflates the zlib stream z[0..zlen) that must give exactly ulen bytes
 * of sections (u32 tag, u64 length, payload) and keeps the payloads of
 * tags 1..ntags-1 in secs[tag] (secs has ntags entries, zeroed by the
 * call).  Tags from ntags up are skipped; tag 0 is never written and is
 * corrupt.  Returns 0; -EFBIG when ulen exceeds RECORD_MAX_RATIO x zlen;
 * -EINVAL as soon as the stream gives more than ulen bytes, a section
 * overruns ulen, a known tag comes twice, or the stream or a section ends
 * early; -ENOMEM.  On error secs holds nothing (all freed).
 */
int record_body_split(const uint8_t *z, size_t zlen, uint64_t ulen, struct record_section *secs,
		      unsigned ntags);
/* Frees the payloads record_body_split kept. */
void record_body_free(struct record_section *secs, unsigned ntags);

#endif
