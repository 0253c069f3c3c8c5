// SPDX-License-Identifier: MIT
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "alert_why.h"
#include "frame_name.h"
#include "faults_report.h"
#include "gc_report.h"
#include "layout_section.h"
#include "humanize.h"
#include "reach_report.h"
#include "report_text.h"
#include "runtime_report.h"

void site_label(const struct mt_profile *p, const struct mt_site *s, int depth, char *buf, size_t len)
{
	char name[FRAME_NAME_MAX];
	size_t used = 0;

	buf[0] = '\0';
	if (!s->nframes) {
		snprintf(buf, len, "[unknown stack]");
		return;
	}
	for (uint32_t i = 0; i < s->nframes && (int)i < depth && used < len; i++) {
		int n = snprintf(buf + used, len - used, "%s%s", i ? " <- " : "",
				 frame_name(p, &s->frames[i], FRAME_STYLE_FLAME, name));

		if (n < 0)
			break;
		used += (size_t)n;
	}
}

/* "        function at file.c:42 (inlined)" */
static void frame_line(const struct mt_profile *p, const struct mt_frame *f, FILE *out)
{
	char name[FRAME_NAME_MAX], where[512];

	fprintf(out, "        %s", frame_name(p, f, FRAME_STYLE_FLAME, name));
	/* With --lines the name carries the line already. */
	if (frame_where(f, where, sizeof(where))[0] && !strstr(name, where))
		fprintf(out, " at %s", where);
	fputs(f->inlined ? " (inlined)\n" : "\n", out);
}

static void drops_line(const struct mt_profile *p, FILE *out)
{
	const struct mt_drops *d = &p->drops;

	fprintf(out, "dropped: %llu (stack unknown %llu, block table full %llu, thread table full %llu, "
		"ring buffer full %llu)\n",
		(unsigned long long)drops_total(d), (unsigned long long)d->stack_full,
		(unsigned long long)d->allocs_full, (unsigned long long)d->inflight_full,
		(unsigned long long)d->events_lost);
	if (p->untracked.allocs)
		fprintf(out, "in use is ESTIMATED: the block table was full for %llu allocations; "
			"%llu frees of them could not be matched and are charged in proportion\n",
			(unsigned long long)p->untracked.allocs, (unsigned long long)p->untracked.frees_unmatched);
	if (p->frees_unseen)
		fprintf(out, "frees of blocks allocated before the trace began: %llu (not in the figures above)\n",
			(unsigned long long)p->frees_unseen);
	if (p->frees_inherited)
		fprintf(out, "frees of blocks inherited from the parent (PID %d) at fork: %llu (not in the figures above)\n",
			(int)p->fork_parent, (unsigned long long)p->frees_inherited);
}

void live_view_print(const struct mt_profile *p, int top, uint64_t prev_inuse, uint64_t prev_alloc,
		     uint64_t elapsed_ns, FILE *out)
{
	char a[HUMAN_BUFSZ], b[HUMAN_BUFSZ], c[HUMAN_BUFSZ], d[HUMAN_BUFSZ], e[HUMAN_BUFSZ], label[512], stamp[16];
	int64_t delta = (int64_t)(p->totals.inuse_bytes - prev_inuse);
	double secs = elapsed_ns ? elapsed_ns / 1e9 : 1;
	time_t now = time(NULL);
	struct tm tm;

	localtime_r(&now, &tm);
	strftime(stamp, sizeof(stamp), "%H:%M:%S", &tm);
	fprintf(out, "[%s] PID %d (%s): in use %s in %s blocks (%c%s), allocating %s/s, peak %s",
		stamp, p->pid, p->command ? p->command : "?", human_bytes(p->totals.inuse_bytes, a),
		human_count(p->totals.inuse_count, b), delta < 0 ? '-' : '+',
		human_bytes((uint64_t)(delta < 0 ? -delta : delta), c),
		human_bytes((uint64_t)((p->totals.alloc_bytes - prev_alloc) / secs), d),
		human_bytes(p->totals.peak_inuse_bytes, e));
	/* RSS beside the heap: the gap is fragmentation, caches, mappings. */
	if (p->nseries && p->series[p->nseries - 1].rss_bytes)
		fprintf(out, ", RSS %s", human_bytes(p->series[p->nseries - 1].rss_bytes, c));
	if (drops_total(&p->drops))
		fprintf(out, ", DROPPED %llu", (unsigned long long)drops_total(&p->drops));
	fputc('\n', out);
	for (size_t i = 0; i < p->nsites && (int)i < top; i++) {
		const struct mt_site *s = &p->sites[i];

		if (!s->inuse_bytes)
			break;
		site_label(p, s, 3, label, sizeof(label));
		fprintf(out, "  %10s %10s blocks  %s\n", human_bytes(s->inuse_bytes, a),
			human_count(s->inuse_count, b), label);
	}
	fflush(out);
}

void report_text_write(const struct mt_profile *p, int top, FILE *out)
{
	char a[HUMAN_BUFSZ], b[HUMAN_BUFSZ], c[HUMAN_BUFSZ], d[HUMAN_BUFSZ];
	const struct mt_totals *t = &p->totals;

	fprintf(out, "memtrace report: PID %d (%s), %s traced\n", p->pid, p->command ? p->command : "?",
		human_duration(p->duration_ns, a));
	if (p->cgroup || p->container_id || p->nspid) {
		fprintf(out, "cgroup: %s%s%s%s", p->cgroup ? p->cgroup : "?", p->container_id ? " (container " : "",
			p->container_id ? p->container_id : "", p->container_id ? ")" : "");
		if (p->nspid)
			fprintf(out, "; nspid %d", p->nspid);
		fputc('\n', out);
	}
	fprintf(out, "allocated: %s in %s calls; freed: %s in %s calls\n", human_bytes(t->alloc_bytes, a),
		human_count(t->alloc_count, b), human_bytes(t->free_bytes, c), human_count(t->free_count, d));
	fprintf(out, "in use at end: %s in %s blocks; peak in use: %s\n", human_bytes(t->inuse_bytes, a),
		human_count(t->inuse_count, b), human_bytes(t->peak_inuse_bytes, c));
	report_text_go_heap(p, out);
	drops_line(p, out);
	fprintf(out, "\ntop %d sites by bytes in use (then allocated):\n", top);
	for (size_t i = 0; i < p->nsites && (int)i < top; i++) {
		const struct mt_site *s = &p->sites[i];

		fprintf(out, "  #%zu  in use %s in %s blocks; allocated %s in %s calls\n", i + 1,
			human_bytes(s->inuse_bytes, a), human_count(s->inuse_count, b),
			human_bytes(s->alloc_bytes, c), human_count(s->alloc_count, d));
		if (!s->nframes)
			fprintf(out, "        [unknown stack]\n");
		for (uint32_t k = 0; k < s->nframes && k < 8; k++)
			frame_line(p, &s->frames[k], out);
		if (s->nframes > 8)
			fprintf(out, "        ... %u more frames\n", s->nframes - 8);
	}
	if (p->nalerts) {
		fprintf(out, "\nleak alerts: %zu\n", p->nalerts);
		for (size_t i = 0; i < p->nalerts; i++) {
			const struct mt_alert *al = &p->alerts[i];
			char label[512];

			site_label(p, &al->site, 4, label, sizeof(label));
			fprintf(out, "  at %s: %s grows %s/s (%s), oldest block %s\n", human_duration(al->t_ns, a),
				label, human_bytes((uint64_t)al->rate_bytes_per_s, b), trend_name(al->trend),
				human_duration(al->oldest_age_ns, c));
			alert_why_text(al, out);
		}
	}
	reach_text_write(p, top, out);
	if (p->gc)
		gc_text_write(p->gc, 10, out);
	if (p->faults)
		faults_text_write(p, p->faults, top, out);
	if (p->layout)
		layout_section_text(p->layout, top, out);
	fflush(out);
}
