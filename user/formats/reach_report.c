// SPDX-License-Identifier: MIT
/* The reachability scan in text, JSON and HTML reports (see reach_report.h). */
#include <errno.h>

#include "frame_name.h"
#include "html.h"
#include "humanize.h"
#include "reach_report.h"

static const char *state_name(enum mt_reach_state s)
{
	switch (s) {
	case MT_REACH_DONE:
		return "done";
	case MT_REACH_REFUSED:
		return "refused";
	case MT_REACH_FAILED:
		return "failed";
	default:
		return "none";
	}
}

/* The scan's line: for text and HTML alike. */
static void scan_line(const struct mt_reach *r, FILE *out)
{
	char a[HUMAN_BUFSZ], b[HUMAN_BUFSZ], c[HUMAN_BUFSZ], d[HUMAN_BUFSZ], e[HUMAN_BUFSZ], f[HUMAN_BUFSZ];

	if (r->state == MT_REACH_REFUSED) {
		fprintf(out, "reachability: not scanned: the estimated pause %.1f ms is over the limit %.1f ms "
			"(--reachability-max-pause)\n", r->estimate_ns / 1e6, r->max_pause_ns / 1e6);
		return;
	}
	if (r->state == MT_REACH_FAILED) {
		fputs("reachability: not scanned: the process could not be stopped or read\n", out);
		return;
	}
	fprintf(out, "reachability: %s blocks (%s) and %s of roots scanned in %u threads; "
		"the process was stopped for %.2f ms (estimated %.2f ms)\n",
		human_count(r->blocks, a), human_bytes(r->block_bytes, b), human_bytes(r->root_bytes, c), r->threads,
		r->pause_ns / 1e6, r->estimate_ns / 1e6);
	fprintf(out, "  definitely lost: %s in %s blocks; indirectly lost: %s in %s blocks; "
		"still reachable: %s in %s blocks\n",
		human_bytes(r->total.lost_bytes, a), human_count(r->total.lost_count, b),
		human_bytes(r->total.indirect_bytes, c), human_count(r->total.indirect_count, d),
		human_bytes(r->total.reachable_bytes, e), human_count(r->total.reachable_count, f));
	if (r->before_trace_bytes)
		fprintf(out, "  %s of memory allocated before the trace was scanned as roots\n",
			human_bytes(r->before_trace_bytes, a));
	if (r->untracked_blocks || r->unreadable_bytes || r->threads_without_regs || r->overlapping)
		fprintf(out, "  not seen: %llu blocks the block table had no room for (their pointers are not followed), "
			"%llu bytes unreadable, %u threads without registers, %llu overlapping table entries\n",
			(unsigned long long)r->untracked_blocks, (unsigned long long)r->unreadable_bytes,
			r->threads_without_regs, (unsigned long long)r->overlapping);
}

void reach_text_write(const struct mt_profile *p, int top, FILE *out)
{
	char a[HUMAN_BUFSZ], b[HUMAN_BUFSZ], c[HUMAN_BUFSZ], name[FRAME_NAME_MAX];

	if (p->reach.state == MT_REACH_NONE)
		return;
	fputc('\n', out);
	scan_line(&p->reach, out);
	for (size_t i = 0; p->reach.state == MT_REACH_DONE && i < p->nleaks && (int)i < top; i++) {
		const struct mt_leak *l = &p->leaks[i];

		fprintf(out, "  #%zu  definitely lost %s in %llu, indirectly lost %s in %llu, still reachable %s in %llu\n",
			i + 1, human_bytes(l->reach.lost_bytes, a), (unsigned long long)l->reach.lost_count,
			human_bytes(l->reach.indirect_bytes, b), (unsigned long long)l->reach.indirect_count,
			human_bytes(l->reach.reachable_bytes, c), (unsigned long long)l->reach.reachable_count);
		if (!l->nframes)
			fputs("        [unknown stack]\n", out);
		for (uint32_t k = 0; k < l->nframes && k < 4; k++)
			fprintf(out, "        %s\n", frame_name(p, &l->frames[k], FRAME_STYLE_FLAME, name));
	}
}

void reach_json_counts(struct json *j, const struct mt_reach_counts *c)
{
	json_u64(j, "definitely_lost_count", c->lost_count);
	json_u64(j, "definitely_lost_bytes", c->lost_bytes);
	json_u64(j, "indirectly_lost_count", c->indirect_count);
	json_u64(j, "indirectly_lost_bytes", c->indirect_bytes);
	json_u64(j, "still_reachable_count", c->reachable_count);
	json_u64(j, "still_reachable_bytes", c->reachable_bytes);
}

void reach_json_write(struct json *j, const struct mt_reach *r)
{
	json_open_object(j, "reachability");
	json_str(j, "state", state_name(r->state));
	json_u64(j, "pause_ns", r->pause_ns);
	json_u64(j, "estimate_ns", r->estimate_ns);
	json_u64(j, "max_pause_ns", r->max_pause_ns);
	json_f64(j, "rate_bytes_per_s", r->rate_bytes_per_s);
	json_u64(j, "blocks", r->blocks);
	json_u64(j, "block_bytes", r->block_bytes);
	json_u64(j, "root_bytes", r->root_bytes);
	json_u64(j, "before_trace_bytes", r->before_trace_bytes);
	json_u64(j, "unreadable_bytes", r->unreadable_bytes);
	json_u64(j, "threads", r->threads);
	json_u64(j, "threads_without_regs", r->threads_without_regs);
	json_u64(j, "untracked_blocks", r->untracked_blocks);
	json_u64(j, "overlapping", r->overlapping);
	reach_json_counts(j, &r->total);
	json_close_object(j);
}

int reach_html_section(const struct mt_profile *p, FILE *out)
{
	char a[HUMAN_BUFSZ], b[HUMAN_BUFSZ], c[HUMAN_BUFSZ];

	if (p->reach.state == MT_REACH_NONE) {
		fputs("<p>No reachability scan (memtrace -p PID --reachability; at the exit of -- CMD it is "
		      "done by default).</p>\n", out);
		return 0;
	}
	fputs("<pre>", out);
	scan_line(&p->reach, out);
	fputs("</pre>\n", out);
	if (p->reach.state != MT_REACH_DONE || !p->nleaks)
		return 0;
	fputs("<table><tr><th>site</th><th class=\"num\">definitely lost</th><th class=\"num\">indirectly lost</th>"
	      "<th class=\"num\">still reachable</th></tr>\n", out);
	for (size_t i = 0; i < p->nleaks && i < HTML_TOP_SITES; i++) {
		const struct mt_reach_counts *r = &p->leaks[i].reach;

		fprintf(out, "<tr%s>", r->lost_bytes ? " class=\"warn\"" : "");
		html_frames_cell(p, p->leaks[i].frames, p->leaks[i].nframes, out);
		fprintf(out, "<td class=\"num\">%s in %llu</td>", human_bytes(r->lost_bytes, a),
			(unsigned long long)r->lost_count);
		fprintf(out, "<td class=\"num\">%s in %llu</td>", human_bytes(r->indirect_bytes, b),
			(unsigned long long)r->indirect_count);
		fprintf(out, "<td class=\"num\">%s in %llu</td></tr>\n", human_bytes(r->reachable_bytes, c),
			(unsigned long long)r->reachable_count);
	}
	fputs("</table>\n", out);
	return ferror(out) ? -EIO : 0;
}
