/* SPDX-License-Identifier: MIT */
/*
 * Recordings (--record FILE, conventionally *.mtrec): a whole mt_profile in a
 * compact, versioned, checksummed binary file, so every report format can be
 * rendered later, after the target exited and on another machine.
 *
 * File layout (all integers little-endian, fixed width):
 *
 *   off size
 *    0   5   magic "MTREC"
 *    5   1   0x1a
 *    6   2   u16 format version (RECORD_VERSION); bytes 0..7 never change
 *    8   4   u32 flags, 0 (readers ignore it)
 *   12   4   u32 crc32 of the compressed body
 *   16   8   u64 compressed body length (the file is exactly 36 + this long)
 *   24   8   u64 uncompressed body length
 *   32   4   u32 crc32 of bytes 0..31
 *   36   ... body: one zlib stream
 *
 * The uncompressed body is a sequence of sections, each
 *
 *   u32 tag, u64 payload length, payload
 *
 * Readers skip tags they do not know, so later sections (leak alerts, GC
 * pauses, page faults...) need no version bump; sections other than META
 * may be absent (empty modules/sites/series).  Every record below carries
 * its own size in its section header: a reader takes the fields it knows
 * and skips the rest, so records may grow at their end.
 *
 *   STRINGS (1)  u32 count; count x (u32 len, len bytes, no NUL)
 *                Each distinct string once; "string refs" below index it,
 *                RECORD_NO_STRING (0xffffffff) meaning NULL.
 *   META    (2)  i32 pid, u32 command ref, u64 start_realtime_ns,
 *                u64 duration_ns, totals (7 x u64 in struct order),
 *                drops (5 x u64 in struct order), u64 sample_bytes
 *                (absent in older recordings: read as 0, exact), then
 *                (absent in older files) untracked allocs, unmatched
 *                frees (2 x u64), then (absent in older files: NULL)
 *                u32 cgroup ref, u32 container_id ref, then (absent in
 *                older files: 0) u64 start_mono_ns, u64 frees_unseen,
 *                then (absent in older files: 0) u64 frees_inherited,
 *                i32 fork_parent, u32 0
 *   MODULES (3)  u32 count, u32 record size (>= 32); per module:
 *                u32 path ref, u32 build_id ref, u64 start, u64 limit,
 *                u64 file_offset
 *   SITES   (4)  u32 count, u32 site size (>= 36), u32 frame size (>= 24);
 *                per site: u32 nframes, u64 alloc_count, u64 alloc_bytes,
 *                u64 inuse_count, u64 inuse_bytes, then nframes frames:
 *                u64 addr, u64 offset, u32 function ref, i32 module, and
 *                when the frame size is >= 40 (written since source lines):
 *                u32 file ref, u32 line, u32 fn_line, u32 flags (bit 0:
 *                inlined)
 *   SERIES  (5)  u32 count, u32 record size (>= 64); per sample u64 t_ns,
 *                inuse_bytes, inuse_count, alloc_bytes, alloc_count,
 *                free_bytes, free_count, rss_bytes
 *   ALERTS  (6)  u32 count, u32 alert size (>= 72), u32 frame size (>= 24);
 *                per alert: u64 t_ns, u64 wall_ns, u64 rate_bytes_per_s
 *                (IEEE-754 double bits), u32 trend (enum mt_trend; larger
 *                values are corrupt), u64 oldest_age_ns, then the site as in
 *                SITES (36 bytes) and its frames.  Absent when none.
 *   LEAKS   (7)  u32 count, u32 leak size (>= 28), u32 frame size (>= 24);
 *                per leak: u32 nframes, u64 count, u64 bytes,
 *                u64 oldest_age_ns, then its frames.  Absent when none.
 *   GC (8), FAULTS (9), FAULT_LINES (10), REACH (11), GO_HEAP (12): see
 *                record_gc.h, record_faults.h, record_fault_lines.h,
 *                record_reach.h, record_go_heap.h.  A reader skips tags it does not know.
 *
 * Callers may rely on: record_read(record_write(p)) gives back every field
 * of p (sites and series in the same order, not re-sorted; NULL strings
 * stay NULL); the reader never crashes nor allocates much more than the
 * file claims on any input; the writer's memory grows with distinct
 * strings, not with sites or frames.
 */
#ifndef MEMTRACE_RECORD_H
#define MEMTRACE_RECORD_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "profile.h"

#define RECORD_MAGIC "MTREC"
#define RECORD_MAGIC_LEN 5
#define RECORD_VERSION 1
#define RECORD_HEADER_LEN 36
#define RECORD_NO_STRING 0xffffffffu
/* Largest file, and largest uncompressed body, record_read accepts. */
#define RECORD_READ_MAX ((uint64_t)1 << 31)

enum record_tag {
	RECORD_STRINGS = 1,
	RECORD_META = 2,
	RECORD_MODULES = 3,
	RECORD_SITES = 4,
	RECORD_SERIES = 5,
	RECORD_ALERTS = 6,
	RECORD_LEAKS = 7,
	RECORD_GC = 8,     /* record_gc.h */
	RECORD_FAULTS = 9, /* record_faults.h */
	RECORD_FAULT_LINES = 10, /* record_fault_lines.h */
	RECORD_REACH = 11,       /* record_reach.h */
	RECORD_GO_HEAP = 12,     /* record_go_heap.h */
	/* Free for later sections: 13 and up. */
};

/*
 * Writes p to path atomically through safe_file (a nameless temporary
 * file in the same directory, fsync'd, then renamed).  0, -ENOMEM, -EOVERFLOW (more than 2^32 - 1
 * strings, sites or frames in a site), or -errno from the file system.
 * Does not print anything.
 */
int record_write(const char *path, const struct mt_profile *p);
/* Writes p to a new file memtrace-rescue-<random>.mtrace in dir (never an
 * existing name) and puts its path in out: a long trace's last copy when
 * its outputs failed.  Errors as record_write. */
int record_write_rescue(const char *dir, const struct mt_profile *p, char *out, size_t outlen);
/* The same into out, which must be seekable (the header is filled in last). */
int record_encode(const struct mt_profile *p, FILE *out);

/*
 * Loads a recording into *out, which it zeroes first; free it with
 * profile_free().  *out is empty on error.  Errors:
 *   -ENOEXEC          not a recording (no magic)
 *   -ENODATA          truncated
 *   -EBADMSG          checksum mismatch
 *   -EPROTONOSUPPORT  written by a newer format version (see *version)
 *   -EINVAL           checksums fine but the content is inconsistent
 *   -EFBIG, -ENOMEM, or -errno from opening/reading path.
 */
int record_read(const char *path, struct mt_profile *out);
/* record_read on a file already in memory. */
int record_decode(const void *buf, size_t len, struct mt_profile *out);
/* Format version in a file's first bytes (0 when len < 8), for messages. */
unsigned record_version(const void *buf, size_t len);
/* 1 when buf starts like a recording (or a prefix of its magic, len < 5). */
int record_is_recording(const void *buf, size_t len);

#endif
