/* SPDX-License-Identifier: MIT */
/*
 * The pprof reader's own state, shared by pprof_read.c (samples, series,
 * comments, and the entry points pprof.h declares) and pprof_read_tables.c
 * (the tables samples refer to: strings, sample types, mappings,
 * functions, locations).  Nothing else includes this.
 */
#ifndef MEMTRACE_PPROF_READER_H
#define MEMTRACE_PPROF_READER_H

#include <stddef.h>
#include <stdint.h>

#include "profile.h"

#define MAX_FRAMES_PER_SITE 65536
#define MAX_FRAMES_TOTAL ((uint64_t)1 << 26)

struct span {
	const uint8_t *p;
	size_t len;
};

struct rd_function {
	uint64_t id;
	const char *name;
	const char *filename; /* "" when absent */
	uint32_t start_line;
};

struct rd_location {
	uint64_t id, mapping_id, address;
	size_t first_line, nlines; /* into reader.lines: function ids */
};

struct rd_mapping {
	uint64_t id;
	size_t module;
};

struct reader {
	struct mt_profile *p;
	struct span *fields[16]; /* top-level fields by tag, for the tags we read */
	size_t nfields[16];
	const char **strs;
	size_t nstrs;
	struct rd_function *fns;
	size_t nfns;
	struct rd_location *locs;
	size_t nlocs;
	uint64_t *lines;
	size_t nlines, linecap;
	uint32_t *line_nos; /* Line.line beside each of lines, 0 when absent */
	size_t line_nos_cap;
	struct rd_mapping *maps;
	int value_slot[4]; /* sample value index of alloc_objects..inuse_space, -1 when absent */
	uint64_t total_frames;
	struct span series;
};

/* pprof_read_tables.c: each 0 or -EINVAL (or -ENOMEM); they run in this order. */
int index_fields(struct reader *r, const uint8_t *buf, size_t len);
int read_strings(struct reader *r);
int str_at(const struct reader *r, uint64_t idx, const char **out);
int read_sample_types(struct reader *r);
int read_mappings(struct reader *r);
int read_functions(struct reader *r);
int read_locations(struct reader *r);

#endif
