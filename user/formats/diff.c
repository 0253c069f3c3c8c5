// SPDX-License-Identifier: MIT
#define _GNU_SOURCE /* qsort_r */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "calltree.h"
#include "folded.h"
#include "diff.h"
#include "frame_name.h"
#include "grow.h"
#include "humanize.h"
#include "json.h"
#include "report_text.h"
#include "strpool.h"

struct item {
	const char *key;
	const struct mt_profile *prof;
	const struct mt_site *site;
	int side; /* 0 before, 1 after */
};

static const enum mt_metric all_metrics[DIFF_NMETRICS] = {
	MT_INUSE_SPACE, MT_INUSE_OBJECTS, MT_ALLOC_SPACE, MT_ALLOC_OBJECTS,
};

int64_t diff_delta(const struct diff_entry *e, enum mt_metric m)
{
	return (int64_t)(e->after[m] - e->before[m]);
}

/* The folded stack of s, interned in pool; NULL on ENOMEM. */
static const char *site_key(struct strpool *pool, const struct mt_profile *p, const struct mt_site *s,
			    char **buf, size_t *cap)
{
	char name[FRAME_NAME_MAX];
	size_t used = 0;

	for (uint32_t i = s->nframes; i-- > 0;) {
		size_t n = strlen(frame_name(p, &s->frames[i], FRAME_STYLE_FOLDED, name));

		if (grow_to((void **)buf, cap, used + n + 2, 1, 512))
			return NULL;
		if (used)
			(*buf)[used++] = ';';
		memcpy(*buf + used, name, n);
		used += n;
	}
	if (!*buf && !(*buf = malloc(*cap = 256)))
		return NULL;
	(*buf)[used] = '\0';
	return strpool_intern(pool, *buf);
}

static int cmp_item(const void *a, const void *b)
{
	const struct item *x = a, *y = b;

	if (x->key != y->key)
		return (uintptr_t)x->key < (uintptr_t)y->key ? -1 : 1;
	return x->side - y->side;
}

static int cmp_entry(const void *a, const void *b, void *ctx)
{
	const struct diff_entry *x = a, *y = b;
	enum mt_metric m = *(const enum mt_metric *)ctx;
	int64_t dx = diff_delta(x, m), dy = diff_delta(y, m);

	if (dx != dy)
		return dx < dy ? 1 : -1;
	if (x->after[m] != y->after[m])
		return x->after[m] < y->after[m] ? 1 : -1;
	return strcmp(x->key, y->key);
}

static int add_items(struct strpool *pool, const struct mt_profile *p, int side, struct item *items,
		     size_t *n)
{
	char *buf = NULL;
	size_t cap = 0;

	for (size_t i = 0; i < p->nsites; i++) {
		const char *key = site_key(pool, p, &p->sites[i], &buf, &cap);

		if (!key) {
			free(buf);
			return -ENOMEM;
		}
		items[(*n)++] = (struct item){ key, p, &p->sites[i], side };
	}
	free(buf);
	return 0;
}

int diff_build(const struct mt_profile *before, const struct mt_profile *after, enum mt_metric m,
	       struct diff *out)
{
	size_t total = before->nsites + after->nsites, n = 0;
	struct item *items;
	int err = -ENOMEM;

	memset(out, 0, sizeof(*out));
	out->metric = m;
	items = malloc((total ? total : 1) * sizeof(*items));
	out->keys = strpool_new();
	out->entries = calloc(total ? total : 1, sizeof(*out->entries));
	if (!items || !out->keys || !out->entries)
		goto cleanup;
	err = add_items(out->keys, before, 0, items, &n);
	if (!err)
		err = add_items(out->keys, after, 1, items, &n);
	if (err)
		goto cleanup;
	/* Interned keys: equal stacks are equal pointers, so sort and merge runs. */
	qsort(items, n, sizeof(*items), cmp_item);
	for (size_t i = 0; i < n; i++) {
		struct diff_entry *e;

		if (!i || items[i].key != items[i - 1].key) {
			e = &out->entries[out->n++];
			e->key = items[i].key;
			e->prof = items[i].prof;
			e->site = items[i].site;
		}
		e = &out->entries[out->n - 1];
		for (int k = 0; k < DIFF_NMETRICS; k++) {
			uint64_t v = site_metric(items[i].site, all_metrics[k]);

			if (items[i].side)
				e->after[all_metrics[k]] += v;
			else
				e->before[all_metrics[k]] += v;
		}
	}
	qsort_r(out->entries, out->n, sizeof(*out->entries), cmp_entry, &m);
	err = 0;
cleanup:
	free(items);
	if (err)
		diff_free(out);
	return err;
}

void diff_free(struct diff *d)
{
	free(d->entries);
	strpool_free(d->keys);
	memset(d, 0, sizeof(*d));
}

static uint64_t total_metric(const struct mt_profile *p, enum mt_metric m)
{
	switch (m) {
	case MT_INUSE_SPACE:
		return p->totals.inuse_bytes;
	case MT_INUSE_OBJECTS:
		return p->totals.inuse_count;
	case MT_ALLOC_SPACE:
		return p->totals.alloc_bytes;
	case MT_ALLOC_OBJECTS:
		return p->totals.alloc_count;
	}
	return 0;
}

static void json_change(struct json *j, const char *key, uint64_t before, uint64_t after)
{
	json_open_object(j, key);
	json_u64(j, "before", before);
	json_u64(j, "after", after);
	json_i64(j, "delta", (int64_t)(after - before));
	json_close_object(j);
}

static void json_side(struct json *j, const char *key, const struct mt_profile *p)
{
	json_open_object(j, key);
	json_i64(j, "pid", p->pid);
	json_str(j, "command", p->command);
	json_u64(j, "start_time_ns", p->start_realtime_ns);
	json_u64(j, "duration_ns", p->duration_ns);
	json_close_object(j);
}

int diff_write_json(const struct diff *d, const struct mt_profile *before,
		    const struct mt_profile *after, FILE *out)
{
	char name[FRAME_NAME_MAX];
	struct json j;

	json_init(&j, out);
	json_open_object(&j, NULL);
	json_u64(&j, "version", 1);
	json_str(&j, "metric", metric_name(d->metric));
	json_side(&j, "before", before);
	json_side(&j, "after", after);
	json_open_object(&j, "totals");
	for (int k = 0; k < DIFF_NMETRICS; k++)
		json_change(&j, metric_name(all_metrics[k]), total_metric(before, all_metrics[k]),
			    total_metric(after, all_metrics[k]));
	json_close_object(&j);
	json_open_array(&j, "sites");
	for (size_t i = 0; i < d->n; i++) {
		const struct diff_entry *e = &d->entries[i];

		json_open_object(&j, NULL);
		json_open_array(&j, "frames");
		for (uint32_t k = 0; k < e->site->nframes; k++)
			json_str(&j, NULL, frame_name(e->prof, &e->site->frames[k], FRAME_STYLE_FLAME, name));
		json_close_array(&j);
		json_u64(&j, "before", e->before[d->metric]);
		json_u64(&j, "after", e->after[d->metric]);
		json_i64(&j, "delta", diff_delta(e, d->metric));
		for (int k = 0; k < DIFF_NMETRICS; k++)
			json_change(&j, metric_name(all_metrics[k]), e->before[all_metrics[k]],
				    e->after[all_metrics[k]]);
		json_close_object(&j);
	}
	json_close_array(&j);
	json_close_object(&j);
	fputc('\n', out);
	return ferror(out) ? -EIO : 0;
}

int diff_write_folded(const struct mt_profile *before, const struct mt_profile *after,
		      enum mt_metric m, FILE *out)
{
	struct calltree t;
	int err;

	err = calltree_init(&t, FRAME_STYLE_FOLDED);
	if (err)
		return err;
	err = calltree_add_profile(&t, before, m, 0);
	if (!err)
		err = calltree_add_profile(&t, after, m, 1);
	if (!err)
		err = folded_write_tree(&t, 2, out);
	calltree_free(&t);
	return err;
}

#define SIGNED_BUFSZ (HUMAN_BUFSZ + 1)

/* "+1.5 KiB", "-3 objects": buf holds SIGNED_BUFSZ bytes. */
static char *signed_metric(enum mt_metric m, int64_t v, char *buf)
{
	buf[0] = v < 0 ? '-' : '+';
	human_metric(m, v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v, buf + 1);
	return buf;
}

static void text_entry(const struct diff *d, const struct diff_entry *e, FILE *out)
{
	char a[SIGNED_BUFSZ], b[HUMAN_BUFSZ], c[HUMAN_BUFSZ], label[1024];

	site_label(e->prof, e->site, 4, label, sizeof(label));
	fprintf(out, "  %12s  (%s -> %s)  %s\n", signed_metric(d->metric, diff_delta(e, d->metric), a),
		human_metric(d->metric, e->before[d->metric], b), human_metric(d->metric, e->after[d->metric], c),
		label);
}

void diff_write_text(const struct diff *d, const struct mt_profile *before,
		     const struct mt_profile *after, int top, FILE *out)
{
	char a[HUMAN_BUFSZ], b[HUMAN_BUFSZ], c[SIGNED_BUFSZ];
	enum mt_metric m = d->metric;
	uint64_t tb = total_metric(before, m), ta = total_metric(after, m);
	int shown = 0;

	fprintf(out, "memtrace diff (%s): before PID %d (%s), after PID %d (%s)\n", metric_name(m),
		before->pid, before->command ? before->command : "?", after->pid,
		after->command ? after->command : "?");
	fprintf(out, "total: %s -> %s (%s)\n", human_metric(m, tb, a), human_metric(m, ta, b),
		signed_metric(m, (int64_t)(ta - tb), c));
	fprintf(out, "\ntop %d sites by growth:\n", top);
	for (size_t i = 0; i < d->n && shown < top && diff_delta(&d->entries[i], m) > 0; i++, shown++)
		text_entry(d, &d->entries[i], out);
	if (!shown)
		fprintf(out, "  (none)\n");
	shown = 0;
	fprintf(out, "\ntop %d sites by shrinkage:\n", top);
	for (size_t i = d->n; i-- > 0 && shown < top && diff_delta(&d->entries[i], m) < 0; shown++)
		text_entry(d, &d->entries[i], out);
	if (!shown)
		fprintf(out, "  (none)\n");
	fflush(out);
}
