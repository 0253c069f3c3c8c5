// SPDX-License-Identifier: MIT
/*
 * libFuzzer target for the recording reader (tests/offline/build.sh builds it
 * when clang's libFuzzer is installed):
 *     build/offline/fuzz_record -max_total_time=60 build/offline/corpus
 * First byte even: the rest is a whole file, as read from disk.  Odd: the
 * rest is an uncompressed body, wrapped in a valid header with the right
 * checksums, so mutations reach the section parser instead of dying at the
 * crc check.  Every input must give an error with an empty profile, or a
 * profile whose indexes are all valid.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "record.h"

static void wr(uint8_t *b, uint64_t v, int n)
{
	for (int i = 0; i < n; i++)
		b[i] = (uint8_t)(v >> (8 * i));
}

static void check(const uint8_t *data, size_t size)
{
	struct mt_profile p;

	if (record_decode(data, size, &p) == 0) {
		for (size_t i = 0; i < p.nsites; i++)
			for (uint32_t k = 0; k < p.sites[i].nframes; k++)
				if (p.sites[i].frames[k].module >= (int32_t)p.nmodules ||
				    p.sites[i].frames[k].module < -1 ||
				    (p.sites[i].frames[k].function && strlen(p.sites[i].frames[k].function) > size))
					abort();
		profile_free(&p);
	} else if (p.nsites || p.strings || p.modules || p.series || p.alerts || p.leaks) {
		abort(); /* *out must be empty on error */
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uLongf clen;
	uint8_t *file;

	if (!size)
		return 0;
	if (!(data[0] & 1)) {
		check(data + 1, size - 1);
		return 0;
	}
	clen = compressBound(size - 1);
	file = malloc(RECORD_HEADER_LEN + clen);
	if (!file || compress(file + RECORD_HEADER_LEN, &clen, data + 1, size - 1) != Z_OK)
		abort();
	memset(file, 0, RECORD_HEADER_LEN);
	memcpy(file, "MTREC\x1a\x01\x00", 8);
	wr(file + 12, crc32(0, file + RECORD_HEADER_LEN, (uInt)clen), 4);
	wr(file + 16, clen, 8);
	wr(file + 24, size - 1, 8);
	wr(file + 32, crc32(0, file, 32), 4);
	check(file, RECORD_HEADER_LEN + clen);
	free(file);
	return 0;
}
