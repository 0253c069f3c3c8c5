/* SPDX-License-Identifier: MIT */
/*
 * Compressed ELF sections (SHF_COMPRESSED, as `gcc -gz` and `ld
 * --compress-debug-sections` write them): the section holds an Elf64_Chdr
 * then a zlib stream.  The bytes come from the target's files, so the
 * inflate is bounded: the size the header claims must be at most
 * ZSECTION_MAX and within what zlib can reach from the compressed size
 * (1032:1), and the stream must yield exactly that many bytes, no fewer, no
 * more.  A 64-bit little-endian ELF's header is assumed (x86-64's).
 */
#ifndef MEMTRACE_ZSECTION_H
#define MEMTRACE_ZSECTION_H

#include <stddef.h>

#define ZSECTION_MAX (256u << 20)

/*
 * Inflates the section bytes data[0..size) into a new buffer (*out, free()
 * it) of *out_size bytes.  -ENOTSUP: not zlib (ELFCOMPRESS_ZSTD, or
 * unknown); -EFBIG: a claimed size past the bounds; -EINVAL: a short
 * header or a stream that is corrupt, ends early or runs on; -ENOMEM.
 * *out is NULL on error.
 */
int zsection_inflate(const void *data, size_t size, void **out, size_t *out_size);

#endif
