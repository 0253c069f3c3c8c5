/* SPDX-License-Identifier: MIT */
/*
 * gzip streams over stdio, written with zlib's deflate directly (the gzip
 * header comes from windowBits 31), so a writer can stream any amount of
 * output through a fixed buffer.
 */
#ifndef MEMTRACE_GZIP_IO_H
#define MEMTRACE_GZIP_IO_H

#include <stddef.h>
#include <stdio.h>

struct gzip_out;

/* Compressor writing to out (not closed by gzip_out_finish); NULL on ENOMEM. */
struct gzip_out *gzip_out_new(FILE *out, int level);
/* 0, -EIO when out fails, -EINVAL after an earlier error. */
int gzip_out_write(struct gzip_out *g, const void *buf, size_t len);
/* Writes the trailer, flushes out and frees g (also on error); 0 or -errno. */
int gzip_out_finish(struct gzip_out *g);
/* Frees g without finishing the stream (error paths). */
void gzip_out_abort(struct gzip_out *g);

/*
 * Real pprof profiles inflate about 1.3:1 to 10:1; deflate allows 1032:1,
 * which let a 4 MB .pb.gz make the reader hold 1 GiB.
 */
#define GZIP_MAX_RATIO 64u

/*
 * Inflates a whole gzip stream held in memory (one member, nothing after
 * it), growing its buffer as output comes.  Output is bounded by the
 * smallest of max, GZIP_MAX_RATIO x inlen and the trailer's ISIZE: -EFBIG
 * before inflating when ISIZE exceeds one of the first two, -EFBIG as soon
 * as output passes ISIZE (a trailer that lies).  Otherwise as below.
 */
int gzip_inflate(const unsigned char *in, size_t inlen, size_t max, unsigned char **buf,
		 size_t *len);
/*
 * Reads path whole into a malloc'd buffer, inflating it when it starts with
 * the gzip magic (gzip_inflate, with its bounds), and passing it through
 * as-is otherwise.  Output past max bytes is refused (-EFBIG), so a
 * decompression bomb cannot exhaust memory.
 * Returns 0, -errno from open/read, -EINVAL for a corrupt or truncated
 * stream, -ENOMEM.
 */
int gzip_read_file(const char *path, size_t max, unsigned char **buf, size_t *len);

#endif
