/* SPDX-License-Identifier: MIT */
/*
 * A streaming JSON emitter: callers open/close objects and arrays and the
 * writer places commas and escapes strings.  Output is valid JSON as long as
 * opens and closes pair up; nesting is limited to JSON_MAX_DEPTH.
 */
#ifndef MEMTRACE_JSON_H
#define MEMTRACE_JSON_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#define JSON_MAX_DEPTH 32

struct json {
	FILE *out;
	int depth;
	bool need_comma[JSON_MAX_DEPTH];
	bool after_key;
	bool compact; /* one line (JSON Lines), no indentation */
};

void json_init(struct json *j, FILE *out);
/* A document on one line, ended by a newline: for JSON Lines. */
void json_init_compact(struct json *j, FILE *out);
/* key may be NULL inside arrays or at the top level. */
void json_open_object(struct json *j, const char *key);
void json_close_object(struct json *j);
void json_open_array(struct json *j, const char *key);
void json_close_array(struct json *j);
void json_str(struct json *j, const char *key, const char *value); /* NULL -> null */
void json_u64(struct json *j, const char *key, uint64_t value);
void json_i64(struct json *j, const char *key, int64_t value);
void json_f64(struct json *j, const char *key, double value);
/* ns nanoseconds as exact decimal seconds ("-0.000001500", "12.345678901"). */
void json_seconds(struct json *j, const char *key, int64_t ns);
void json_bool(struct json *j, const char *key, bool value);
/* Writes s as a quoted, escaped JSON string. */
void json_write_string(FILE *out, const char *s);

#endif
