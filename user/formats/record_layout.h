/* SPDX-License-Identifier: MIT */
/*
 * What record_write.c and record_read.c share: the fixed sizes of the
 * recording's records and the little-endian helpers.  The format itself
 * is described in record.h.
 */
#ifndef MEMTRACE_RECORD_LAYOUT_H
#define MEMTRACE_RECORD_LAYOUT_H

#include <stdint.h>

#include "record.h"

#define STAGE 65536
#define ZCHUNK 65536
#define META_LEN 128u
#define META_V1_LEN 120u /* before sample_bytes: still read, as an exact recording */
#define MODULE_LEN 32u
#define SITE_LEN 36u
#define FRAME_LEN 24u       /* addr, offset, function, module: the least a reader accepts */
#define FRAME_LINES_LEN 40u /* + file, line, fn_line, flags (bit 0: inlined): what is written */
#define SAMPLE_LEN 64u /* the first records' size; readers take any larger one */
#define SAMPLE_WRITE_LEN 72u /* + frees of blocks from before the trace */
#define ALERT_LEN 72u
#define LEAK_LEN 28u
#define NTAGS (RECORD_GO_HEAP + 1)
#define SECTION_HDR_LEN 12u
#define MAX_RECORD_SIZE 65536u /* larger per-record sizes are refused as corrupt */

static inline void le16(uint8_t *b, uint16_t v)
{
	b[0] = (uint8_t)v;
	b[1] = (uint8_t)(v >> 8);
}

static inline void le32(uint8_t *b, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		b[i] = (uint8_t)(v >> (8 * i));
}

static inline void le64(uint8_t *b, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		b[i] = (uint8_t)(v >> (8 * i));
}

static inline uint32_t rd32(const uint8_t *b)
{
	return (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
}

static inline uint64_t rd64(const uint8_t *b)
{
	return (uint64_t)rd32(b) | (uint64_t)rd32(b + 4) << 32;
}

#endif
