/* SPDX-License-Identifier: MIT */
/*
 * pprof's profile.proto, gzip-compressed, shaped like a Go heap profile so
 * `go tool pprof` and every pprof front end read it as one:
 *
 *   sample types  alloc_objects/count alloc_space/bytes
 *                 inuse_objects/count inuse_space/bytes  (default inuse_space)
 *   period type   space/bytes
 *   mappings      one per module, with file name and build ID, has_functions
 *   locations     the frame's runtime address (return addresses as they are,
 *                 like Go), its mapping, one line naming its function
 *   functions     the symbol, or "module+0xoffset" / "0xaddr" when unknown
 *   labels        on every sample: pid, comm, and cgroup and container_id
 *                 when known, nspid (a number) when it differs from pid
 *                 (go tool pprof -tags, -tagfocus)
 *   comments      "memtrace.<key>=<value>": pid, command, cgroup,
 *                 container_id, totals, drops and the time series, which
 *                 pprof has no fields for
 *
 * Callers may rely on pprof_read(pprof_write(p)) giving back p's pid,
 * command, cgroup, container_id, times, totals, drops, modules, series and sites (in order, with
 * the same frames and values; sites are not re-sorted).
 */
#ifndef MEMTRACE_PPROF_H
#define MEMTRACE_PPROF_H

#include <stddef.h>
#include <stdio.h>

#include "profile.h"

/* Largest decompressed profile pprof_read accepts. */
#define PPROF_READ_MAX ((size_t)1 << 30)

/* 0, or -ENOMEM, -EIO (out failed). Memory grows with distinct frames, not sites. */
int pprof_write(const struct mt_profile *p, FILE *out);

/*
 * What a view of events that are not allocations holds (faults_view's page
 * faults or mappings): two sample types, "<count>/count" and "<bytes>/bytes"
 * (default <bytes>), taken from each site's alloc_count and alloc_bytes;
 * period type <count>/count, period 1 (every event traced).  Viewers then
 * say "faults" or "mapped", never "inuse_space".
 */
struct pprof_view {
	const char *count; /* e.g. "faults" */
	const char *bytes; /* e.g. "fault_bytes" */
};

/* pprof_write of such a view; view NULL is pprof_write. */
int pprof_write_view(const struct mt_profile *p, const struct pprof_view *view, FILE *out);
/*
 * Loads a profile written by pprof_write (gzip'd or plain) into *out, which
 * it zeroes first; free it with profile_free().  Profiles from other tools
 * load too when they have at least one of the four heap sample types; a
 * view's profile (pprof_write_view with faults_view's names) loads with its
 * counts and bytes as both alloc_* and inuse_*, as faults_view made them.
 * Returns 0, -errno from opening/reading path, -EINVAL for anything corrupt
 * or truncated (never crashes), -EFBIG, -ENOMEM.  *out is empty on error.
 */
int pprof_read(const char *path, struct mt_profile *out);
/* pprof_read on an uncompressed profile.proto already in memory. */
int pprof_decode(const unsigned char *buf, size_t len, struct mt_profile *out);

#endif
