// SPDX-License-Identifier: MIT
/* memtrace layout: command line, analysis of every type, output. */
#include <argp.h>
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "alloc_types.h"
#include "cmd_layout.h"
#include "cmd_report.h"
#include "dwarf_types.h"
#include "layout.h"
#include "layout_report.h"
#include "log.h"
#include "safe_file.h"
#include "usage_line.h"

#define EXIT_USAGE 64

struct layout_args {
	const char *binary;
	const char *type;
	const char *output;
	const char *profile;
	uint64_t min_waste;
	bool json;
	int rc; /* the exit status a stopped parse returns */
};

enum {
	KEY_TYPE = 0x100,
	KEY_MIN_WASTE,
	KEY_JSON,
	KEY_PROFILE,
};

static const struct argp_option layout_opts[] = {
	{ "type", KEY_TYPE, "NAME", 0, "Only the type(s) named NAME", 0 },
	{ "min-waste", KEY_MIN_WASTE, "BYTES", 0, "Only types whose reordering saves at least BYTES per object", 0 },
	{ "json", KEY_JSON, NULL, 0, "JSON instead of text", 0 },
	{ "profile", KEY_PROFILE, "FILE", 0,
	  "Rank types by what the heap of FILE (a recording or .pb.gz of this very build) would save", 0 },
	{ "output", 'o', "OUT", 0, "Write OUT instead of stdout", 0 },
	{ "help", 'h', NULL, 0, "Give this help list", -1 },
	{ NULL, 0, NULL, 0, NULL, 0 },
};

static error_t parse_opt(int key, char *arg, struct argp_state *state)
{
	struct layout_args *a = state->input;
	char *end;

	switch (key) {
	case ARGP_KEY_INIT:
		state->err_stream = usage_line_stream();
		return 0;
	case KEY_TYPE:
		a->type = arg;
		return 0;
	case KEY_MIN_WASTE:
		errno = 0;
		a->min_waste = strtoull(arg, &end, 10);
		if (errno || end == arg || *end || arg[0] == '-') {
			log_error("layout: invalid --min-waste '%s' (a number of bytes)", arg);
			return EINVAL;
		}
		return 0;
	case KEY_JSON:
		a->json = true;
		return 0;
	case KEY_PROFILE:
		a->profile = arg;
		return 0;
	case 'o':
		a->output = arg;
		return 0;
	case 'h':
		argp_state_help(state, stdout, ARGP_HELP_STD_HELP & ~ARGP_HELP_EXIT_OK);
		a->rc = 0;
		return ECANCELED;
	case ARGP_KEY_ARG:
		if (a->binary) {
			log_error("layout: expected one BINARY (see memtrace layout --help)");
			return EINVAL;
		}
		a->binary = arg;
		return 0;
	case ARGP_KEY_END:
		if (!a->binary) {
			log_error("layout: expected one BINARY (see memtrace layout --help)");
			return EINVAL;
		}
		return 0;
	}
	return ARGP_ERR_UNKNOWN;
}

static const char layout_doc[] =
	"Lists BINARY's struct, union and class types (its DWARF, or its debug file's) with their holes and "
	"padding as pahole counts them, and a reordering of their members that removes padding, largest saving first."
	"\vExamples:\n"
	"  memtrace layout ./server --min-waste 8\n"
	"  memtrace layout ./server --type request --json\n"
	"  memtrace layout ./server --profile server.mtrec\n";

struct render_ctx {
	const struct layout_doc *doc;
	bool json;
};

static int render(FILE *f, void *ctx)
{
	const struct render_ctx *r = ctx;

	if (r->json)
		layout_report_json(f, r->doc);
	else
		layout_report_text(f, r->doc);
	return ferror(f) ? -EIO : 0;
}

static int row_cmp(const void *a, const void *b)
{
	const struct layout_row *x = a, *y = b;
	uint64_t sx = layout_saving(x->t, &x->s), sy = layout_saving(y->t, &y->s);
	int c;

	/* With a profile: what the live heap, then the allocation volume, would save. */
	if (x->heap.live_saving != y->heap.live_saving)
		return x->heap.live_saving > y->heap.live_saving ? -1 : 1;
	if (x->heap.alloc_saving != y->heap.alloc_saving)
		return x->heap.alloc_saving > y->heap.alloc_saving ? -1 : 1;

	if (sx != sy)
		return sx > sy ? -1 : 1;
	if (x->t->size != y->t->size)
		return x->t->size > y->t->size ? -1 : 1;
	c = strcmp(x->t->name, y->t->name);
	return c ? c : (x->t < y->t ? -1 : x->t > y->t);
}

static void rows_free(struct layout_row *rows, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		layout_suggestion_free(&rows[i].s);
		free(rows[i].hole);
		free(rows[i].bit_hole);
	}
	free(rows);
}

/* What the profile's heap holds of type i, and would save. */
static void weigh(struct layout_row *r, const struct alloc_hits *hit)
{
	uint64_t saving = layout_saving(r->t, &r->s);

	r->heap = (struct layout_heap){
		.live_count = hit->live_objects,
		.live_bytes = hit->live_bytes,
		.alloc_count = hit->alloc_objects,
		.alloc_bytes = hit->alloc_bytes,
		.live_saving = hit->live_objects * saving,
		.alloc_saving = hit->alloc_objects * saving,
		.sites = hit->sites,
		.match = alloc_match_name(hit->weakest),
		.confidence = alloc_match_confidence(hit->weakest),
	};
}

/* Holes and suggestion of every type that passes the filters (with hits: only types the heap holds). */
static int analyse(const struct dwarf_types *dt, const struct layout_args *a, const struct alloc_hits *hits,
		   struct layout_doc *d)
{
	d->rows = calloc(dt->ntypes ? dt->ntypes : 1, sizeof(*d->rows));
	if (!d->rows)
		return -ENOMEM;
	for (size_t i = 0; i < dt->ntypes; i++) {
		const struct lt_type *t = &dt->types[i];
		struct layout_row *r = &d->rows[d->nrows];
		size_t n = t->nmembers ? t->nmembers : 1;

		if ((a->type && strcmp(a->type, t->name)) || (hits && !hits[i].sites)) {
			d->filtered++;
			continue;
		}
		r->t = t;
		r->hole = calloc(n, sizeof(*r->hole));
		r->bit_hole = calloc(n, sizeof(*r->bit_hole));
		if (!r->hole || !r->bit_hole || layout_reorder(t, &r->s)) {
			d->nrows++;
			return -ENOMEM;
		}
		layout_holes(t, &r->h, r->hole, r->bit_hole);
		if (r->h.packed && !r->s.reordered)
			r->s.why_not = "packed: its members sit off their alignment, there is no padding to remove";
		d->nrows++;
		if (hits)
			weigh(r, &hits[i]);
		if (layout_saving(t, &r->s) < a->min_waste) {
			d->filtered++;
			layout_suggestion_free(&r->s);
			free(r->hole);
			free(r->bit_hole);
			memset(r, 0, sizeof(*r));
			d->nrows--;
		}
	}
	qsort(d->rows, d->nrows, sizeof(*d->rows), row_cmp);
	return 0;
}

/* Loads the profile and matches its sites to dt's types; one line on failure. */
static int load_hits(const struct layout_args *a, const struct dwarf_types *dt, struct alloc_hits **out,
		     struct layout_doc *d)
{
	struct mt_profile prof;
	struct alloc_summary sum;
	int err;

	err = report_load(a->profile, &prof);
	if (err)
		return err;
	*out = calloc(dt->ntypes ? dt->ntypes : 1, sizeof(**out));
	err = *out ? alloc_types_match(&prof, dt, *out, &sum) : -ENOMEM;
	profile_free(&prof);
	if (err == -ENOENT) {
		log_error("layout: %s: no object in it has %s's build-id %s (profile a run of this very build)", a->profile,
			  a->binary, dt->build_id[0] ? dt->build_id : "(none)");
		return err;
	}
	if (err) {
		log_error("layout: %s: out of memory", a->profile);
		return err;
	}
	d->profiled = true;
	d->profile = a->profile;
	d->sites_total = sum.sites;
	d->sites_matched = sum.matched;
	d->sites_by_call_site = sum.by_call_site;
	d->sites_ambiguous = sum.ambiguous;
	d->sites_unmatched = sum.unmatched;
	d->sites_other_binary = sum.other_binary;
	return 0;
}

int cmd_layout(int argc, char **argv)
{
	struct layout_args a = { .rc = EXIT_USAGE };
	struct argp argp = { layout_opts, parse_opt, "layout BINARY", layout_doc, NULL, NULL, NULL };
	struct dwarf_types *dt = NULL;
	struct layout_doc d = { 0 };
	struct render_ctx rc = { &d, false };
	struct alloc_hits *hits = NULL;
	char *name = argv[0];
	int err, status = 1;

	argv[0] = "memtrace";
	err = argp_parse(&argp, argc, argv, ARGP_NO_EXIT | ARGP_NO_HELP, NULL, &a);
	argv[0] = name;
	if (err)
		return a.rc;
	err = dwarf_types_load(a.binary, &dt);
	if (err) {
		log_error("layout: %s: %s (%s)", a.binary, dwarf_types_strerror(err),
			  err == -ENODATA ? "build it with -g, or install its debug file" : "check the path");
		return 1;
	}
	d.binary = a.binary;
	d.build_id = dt->build_id;
	d.debug_path = dt->debug_path;
	d.ntypes = dt->ntypes;
	d.duplicates = dt->duplicates;
	d.refused = dt->refused;
	if (a.profile) {
		err = load_hits(&a, dt, &hits, &d);
		if (err)
			goto cleanup;
	}
	err = analyse(dt, &a, hits, &d);
	if (err) {
		log_error("layout: %s: out of memory (try --type NAME)", a.binary);
		goto cleanup;
	}
	if (a.type && !d.nrows && d.filtered == dt->ntypes) {
		log_error("layout: %s: no struct, union or class named '%s' (see memtrace layout %s)", a.binary, a.type,
			  a.binary);
		goto cleanup;
	}
	rc.json = a.json;
	if (safe_file_write(a.output ? a.output : "-", render, &rc) == 0)
		status = 0;
cleanup:
	rows_free(d.rows, d.nrows);
	free(hits);
	dwarf_types_free(dt);
	return status;
}
