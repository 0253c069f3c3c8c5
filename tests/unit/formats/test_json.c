// SPDX-License-Identifier: MIT
/* json: the streaming emitter's exact text and its validity. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "json.h"

struct cap {
	char *text;
	size_t len;
	FILE *f;
};

static void cap_open(struct cap *c)
{
	c->text = NULL;
	c->len = 0;
	c->f = open_memstream(&c->text, &c->len);
	cr_assert_not_null(c->f);
}

static char *cap_close(struct cap *c)
{
	cr_assert_eq(fclose(c->f), 0);
	return c->text;
}

static char *str_of(const char *s)
{
	struct cap c;

	cap_open(&c);
	json_write_string(c.f, s);
	return cap_close(&c);
}

/* Runs python's json.load on text plus an optional check expression over `d`. */
static int python_check(const char *text, const char *expr)
{
	char cmd[2048];
	FILE *p;
	int st;

	snprintf(cmd, sizeof(cmd),
		 "python3 -c 'import json,sys; d=json.load(sys.stdin); sys.exit(0 if (%s) else 3)'",
		 expr ? expr : "True");
	p = popen(cmd, "w");
	cr_assert_not_null(p);
	fputs(text, p);
	st = pclose(p);
	cr_assert(WIFEXITED(st), "python3 did not exit");
	return WEXITSTATUS(st);
}

Test(json, escapes)
{
	char *s;

	s = str_of("plain");
	cr_assert_str_eq(s, "\"plain\"");
	free(s);
	s = str_of("say \"hi\"");
	cr_assert_str_eq(s, "\"say \\\"hi\\\"\"");
	free(s);
	s = str_of("C:\\dir\\");
	cr_assert_str_eq(s, "\"C:\\\\dir\\\\\"");
	free(s);
	s = str_of("a\nb\tc");
	cr_assert_str_eq(s, "\"a\\nb\\tc\"");
	free(s);
	s = str_of("\x01x\x1f\r");
	cr_assert_str_eq(s, "\"\\u0001x\\u001f\\u000d\"");
	free(s);
	s = str_of("");
	cr_assert_str_eq(s, "\"\"");
	free(s);
	/* UTF-8 passes through unchanged. */
	s = str_of("caf\xc3\xa9 \xe2\x82\xac");
	cr_assert_str_eq(s, "\"caf\xc3\xa9 \xe2\x82\xac\"");
	free(s);
	s = str_of("/");
	cr_assert_str_eq(s, "\"/\"");
	free(s);
}

Test(json, every_control_char_round_trips)
{
	char in[40], *s, expr[512];
	int i;

	for (i = 1; i < 0x20; i++)
		in[i - 1] = (char)i;
	in[i - 1] = '"';
	in[i] = '\\';
	in[i + 1] = '\0';
	s = str_of(in);
	for (const char *p = s; *p; p++)
		cr_assert_geq((unsigned char)*p, 0x20, "raw control char 0x%02x in output", *p);
	snprintf(expr, sizeof(expr), "d == \"\".join(map(chr, range(1, 32))) + chr(34) + chr(92)");
	cr_assert_eq(python_check(s, expr), 0, "python read back something else: %s", s);
	free(s);
}

Test(json, small_document_exact)
{
	struct cap c;
	struct json j;
	char *text;

	cap_open(&c);
	json_init(&j, c.f);
	json_open_object(&j, NULL);
	json_u64(&j, "n", 18446744073709551615ULL);
	json_i64(&j, "i", -42);
	json_str(&j, "s", "q\"");
	json_str(&j, "null", NULL);
	json_bool(&j, "t", true);
	json_bool(&j, "f", false);
	json_f64(&j, "x", 0.5);
	json_open_array(&j, "a");
	json_u64(&j, NULL, 1);
	json_open_object(&j, NULL);
	json_close_object(&j);
	json_open_array(&j, NULL);
	json_close_array(&j);
	json_close_array(&j);
	json_open_object(&j, "o");
	json_str(&j, "k", "v");
	json_close_object(&j);
	json_close_object(&j);
	text = cap_close(&c);
	cr_assert_str_eq(text, "{\n"
			       "  \"n\": 18446744073709551615,\n"
			       "  \"i\": -42,\n"
			       "  \"s\": \"q\\\"\",\n"
			       "  \"null\": null,\n"
			       "  \"t\": true,\n"
			       "  \"f\": false,\n"
			       "  \"x\": 0.5,\n"
			       "  \"a\": [\n"
			       "    1,\n"
			       "    {},\n"
			       "    []\n"
			       "  ],\n"
			       "  \"o\": {\n"
			       "    \"k\": \"v\"\n"
			       "  }\n"
			       "}\n");
	cr_assert_eq(python_check(text, "d[\"n\"] == 2**64-1 and d[\"i\"] == -42 and d[\"null\"] is None and "
					"d[\"a\"] == [1, {}, []] and d[\"o\"] == {\"k\": \"v\"}"),
		     0);
	free(text);
}

Test(json, empty_top_level_containers)
{
	struct cap c;
	struct json j;
	char *text;

	cap_open(&c);
	json_init(&j, c.f);
	json_open_object(&j, NULL);
	json_close_object(&j);
	text = cap_close(&c);
	cr_assert_str_eq(text, "{}\n");
	free(text);

	cap_open(&c);
	json_init(&j, c.f);
	json_open_array(&j, NULL);
	json_str(&j, NULL, "x");
	json_i64(&j, NULL, INT64_MIN);
	json_close_array(&j);
	text = cap_close(&c);
	cr_assert_str_eq(text, "[\n  \"x\",\n  -9223372036854775808\n]\n");
	free(text);
}

Test(json, non_finite_floats_are_null)
{
	struct cap c;
	struct json j;
	char *text;

	cap_open(&c);
	json_init(&j, c.f);
	json_open_array(&j, NULL);
	json_f64(&j, NULL, NAN);
	json_f64(&j, NULL, INFINITY);
	json_f64(&j, NULL, -INFINITY);
	json_f64(&j, NULL, 1e300);
	json_f64(&j, NULL, -0.000123);
	json_close_array(&j);
	text = cap_close(&c);
	cr_assert_eq(python_check(text, "d[:3] == [None]*3 and d[3] == 1e300 and d[4] == -0.000123"), 0, "%s",
		     text);
	free(text);
}

Test(json, keys_are_escaped)
{
	struct cap c;
	struct json j;
	char *text;

	cap_open(&c);
	json_init(&j, c.f);
	json_open_object(&j, NULL);
	json_u64(&j, "a\"b\\c\n", 1);
	json_close_object(&j);
	text = cap_close(&c);
	cr_assert_str_eq(text, "{\n  \"a\\\"b\\\\c\\n\": 1\n}\n");
	cr_assert_eq(python_check(text, "d == {\"a\\\"b\\\\c\\n\": 1}"), 0);
	free(text);
}

Test(json, big_nested_document_is_valid)
{
	struct cap c;
	struct json j;
	char *text, name[64];

	cap_open(&c);
	json_init(&j, c.f);
	json_open_object(&j, NULL);
	json_open_array(&j, "rows");
	for (int i = 0; i < 500; i++) {
		json_open_object(&j, NULL);
		snprintf(name, sizeof(name), "row \"%d\"\t\\\x02", i);
		json_str(&j, "name", name);
		json_u64(&j, "i", (uint64_t)i);
		json_open_array(&j, "sq");
		for (int k = 0; k < i % 4; k++)
			json_i64(&j, NULL, -(int64_t)k * i);
		json_close_array(&j);
		json_open_object(&j, "empty");
		json_close_object(&j);
		json_close_object(&j);
	}
	json_close_array(&j);
	json_bool(&j, "done", true);
	json_close_object(&j);
	text = cap_close(&c);
	cr_assert_eq(python_check(text, "len(d[\"rows\"]) == 500 and d[\"done\"] and "
					"d[\"rows\"][7][\"name\"] == \"row \\\"7\\\"\\t\\\\\\x02\" and "
					"d[\"rows\"][7][\"sq\"] == [0, -7, -14] and d[\"rows\"][8][\"sq\"] == []"),
		     0);
	free(text);
}

/* Nesting as deep as the header promises (JSON_MAX_DEPTH levels), with siblings. */
static char *nested(int levels)
{
	struct cap c;
	struct json j;

	cap_open(&c);
	json_init(&j, c.f);
	for (int i = 0; i < levels; i++) {
		json_open_array(&j, NULL);
		json_u64(&j, NULL, (uint64_t)i);
	}
	for (int i = 0; i < levels; i++) {
		json_u64(&j, NULL, 100);
		json_close_array(&j);
	}
	return cap_close(&c);
}

Test(json, nesting_below_limit_is_valid)
{
	char *text = nested(JSON_MAX_DEPTH - 1);

	cr_assert_eq(python_check(text, "d[0] == 0 and d[1][0] == 1 and d[-1] == 100"), 0, "%s", text);
	free(text);
}

Test(json, nesting_at_limit_is_valid)
{
	char *text = nested(JSON_MAX_DEPTH);

	cr_assert_eq(python_check(text, "d[0] == 0 and d[1][0] == 1 and d[-1] == 100"), 0, "%s", text);
	free(text);
}

Test(json, invalid_utf8_stays_valid_json)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	cr_assert_not_null(f);
	json_write_string(f, "ok \xc3\xa9 bad \xff x \xe2\x82");
	fclose(f);
	cr_assert_str_eq(text, "\"ok \xc3\xa9 bad \\u00ff x \\u00e2\\u0082\"");
	free(text);
}

Test(json, seconds_are_exact)
{
	struct cap c;
	struct json j;
	char *text;

	cap_open(&c);
	json_init_compact(&j, c.f);
	json_open_array(&j, NULL);
	json_seconds(&j, NULL, 0);
	json_seconds(&j, NULL, 12345678901);
	json_seconds(&j, NULL, -1500);
	json_seconds(&j, NULL, INT64_MIN);
	json_close_array(&j);
	text = cap_close(&c);
	cr_assert_str_eq(text, "[0.000000000, 12.345678901, -0.000001500, -9223372036.854775808]\n");
	free(text);
}
