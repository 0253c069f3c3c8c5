/* SPDX-License-Identifier: MIT */
/* Field numbers of pprof's profile.proto and memtrace's comment keys, shared
 * by the pprof writer and reader.  Internal to pprof*.c. */
#ifndef MEMTRACE_PPROF_FIELDS_H
#define MEMTRACE_PPROF_FIELDS_H

enum {
	PROFILE_SAMPLE_TYPE = 1,
	PROFILE_SAMPLE = 2,
	PROFILE_MAPPING = 3,
	PROFILE_LOCATION = 4,
	PROFILE_FUNCTION = 5,
	PROFILE_STRING_TABLE = 6,
	PROFILE_TIME_NANOS = 9,
	PROFILE_DURATION_NANOS = 10,
	PROFILE_PERIOD_TYPE = 11,
	PROFILE_PERIOD = 12,
	PROFILE_COMMENT = 13,
	PROFILE_DEFAULT_SAMPLE_TYPE = 14,

	VT_TYPE = 1,
	VT_UNIT = 2,

	SAMPLE_LOCATION_ID = 1,
	SAMPLE_VALUE = 2,
	SAMPLE_LABEL = 3,

	LABEL_KEY = 1,
	LABEL_STR = 2,
	LABEL_NUM = 3,

	MAP_ID = 1,
	MAP_START = 2,
	MAP_LIMIT = 3,
	MAP_OFFSET = 4,
	MAP_FILENAME = 5,
	MAP_BUILD_ID = 6,
	MAP_HAS_FUNCTIONS = 7,

	LOC_ID = 1,
	LOC_MAPPING_ID = 2,
	LOC_ADDRESS = 3,
	LOC_LINE = 4,

	LINE_FUNCTION_ID = 1,
	LINE_LINE = 2,

	FN_ID = 1,
	FN_NAME = 2,
	FN_SYSTEM_NAME = 3,
	FN_FILENAME = 4,
	FN_START_LINE = 5,

	/*
	 * memtrace's own: the time series as packed varints, six per sample
	 * (t_ns, inuse_bytes, inuse_count, alloc_bytes, alloc_count, rss_bytes).
	 * Far above profile.proto's numbers; protobuf readers skip unknown fields.
	 */
	PROFILE_MT_SERIES = 19796,
};

/* Comments carry what pprof has no field for; pprof -comments shows them. */
#define MT_COMMENT_PID "memtrace.pid="
#define MT_COMMENT_COMMAND "memtrace.command="
#define MT_COMMENT_CGROUP "memtrace.cgroup="
#define MT_COMMENT_CONTAINER "memtrace.container_id="
/* alloc_count,alloc_bytes,free_count,free_bytes,inuse_count,inuse_bytes,peak_inuse_bytes */
#define MT_COMMENT_TOTALS "memtrace.totals="
/* stack_full,allocs_full,0,inflight_full,events_lost: the third field, once a
 * per-site-table count that nothing ever set, stays 0 so older readers agree */
#define MT_COMMENT_DROPS "memtrace.drops="

#endif
