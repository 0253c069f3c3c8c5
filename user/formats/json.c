// SPDX-License-Identifier: MIT
#include <inttypes.h>
#include <math.h>

#include "json.h"

void json_init(struct json *j, FILE *out)
{
	*j = (struct json){ .out = out };
}

void json_init_compact(struct json *j, FILE *out)
{
	*j = (struct json){ .out = out, .compact = true };
}

/* Length of the valid UTF-8 sequence at p, or 0 when it is not one. */
static int utf8_len(const unsigned char *p)
{
	int n = p[0] >= 0xf0 && p[0] <= 0xf4 ? 4 : p[0] >= 0xe0 ? 3 : p[0] >= 0xc2 && p[0] <= 0xdf ? 2 : 0;

	for (int i = 1; i < n; i++)
		if ((p[i] & 0xc0) != 0x80)
			return 0;
	return n;
}

/* Runs of bytes that need no escape go out in one fwrite: a character at
 * a time took the stream's lock for each (fputc; memtrace writes from
 * several threads), a third of --follow's CPU on postgres' reports. */
void json_write_string(FILE *out, const char *s)
{
	const unsigned char *p = (const unsigned char *)s, *run = p;

	fputc('"', out);
	for (; *p; p++) {
		const char *esc = NULL;

		if (*p >= 0x80) {
			int n = utf8_len(p);

			if (n) {
				p += n - 1;
				continue;
			}
		} else if (*p >= 0x20 && *p != '"' && *p != '\\') {
			continue;
		}
		fwrite(run, 1, (size_t)(p - run), out);
		run = p + 1;
		switch (*p) {
		case '"':
			esc = "\\\"";
			break;
		case '\\':
			esc = "\\\\";
			break;
		case '\n':
			esc = "\\n";
			break;
		case '\t':
			esc = "\\t";
			break;
		}
		/* Names come from binaries and /proc, not from UTF-8 text: a
		 * stray byte is written as its Latin-1 code point so the
		 * document stays valid JSON. */
		if (esc)
			fputs(esc, out);
		else
			fprintf(out, "\\u%04x", *p);
	}
	fwrite(run, 1, (size_t)(p - run), out);
	fputc('"', out);
}

static void begin_value(struct json *j, const char *key)
{
	if (j->need_comma[j->depth])
		fputs(j->compact ? ", " : ",", j->out);
	j->need_comma[j->depth] = true;
	if (j->depth && !j->compact)
		fprintf(j->out, "\n%*s", 2 * j->depth, "");
	if (key) {
		json_write_string(j->out, key);
		fputs(": ", j->out);
	}
}

static void open_container(struct json *j, const char *key, char c)
{
	begin_value(j, key);
	fputc(c, j->out);
	if (j->depth + 1 < JSON_MAX_DEPTH)
		j->depth++;
	j->need_comma[j->depth] = false;
}

static void close_container(struct json *j, char c)
{
	bool had = j->need_comma[j->depth];

	if (j->depth)
		j->depth--;
	if (had && !j->compact)
		fprintf(j->out, "\n%*s", 2 * j->depth, "");
	fputc(c, j->out);
	if (!j->depth)
		fputc('\n', j->out);
}

void json_open_object(struct json *j, const char *key)
{
	open_container(j, key, '{');
}

void json_close_object(struct json *j)
{
	close_container(j, '}');
}

void json_open_array(struct json *j, const char *key)
{
	open_container(j, key, '[');
}

void json_close_array(struct json *j)
{
	close_container(j, ']');
}

void json_str(struct json *j, const char *key, const char *value)
{
	begin_value(j, key);
	if (value)
		json_write_string(j->out, value);
	else
		fputs("null", j->out);
}

void json_u64(struct json *j, const char *key, uint64_t value)
{
	begin_value(j, key);
	fprintf(j->out, "%" PRIu64, value);
}

void json_i64(struct json *j, const char *key, int64_t value)
{
	begin_value(j, key);
	fprintf(j->out, "%" PRId64, value);
}

void json_f64(struct json *j, const char *key, double value)
{
	begin_value(j, key);
	if (isfinite(value))
		fprintf(j->out, "%.6g", value);
	else
		fputs("null", j->out);
}

void json_seconds(struct json *j, const char *key, int64_t ns)
{
	uint64_t a = ns < 0 ? (uint64_t)0 - (uint64_t)ns : (uint64_t)ns;

	begin_value(j, key);
	fprintf(j->out, "%s%llu.%09llu", ns < 0 ? "-" : "", (unsigned long long)(a / 1000000000ULL),
		(unsigned long long)(a % 1000000000ULL));
}

void json_bool(struct json *j, const char *key, bool value)
{
	begin_value(j, key);
	fputs(value ? "true" : "false", j->out);
}
