// SPDX-License-Identifier: MIT
#include <errno.h>
#include <inttypes.h>

#include "humanize.h"
#include "layout_section.h"
#include "xml_escape.h"

void layout_section_json(struct json *j, const struct mt_layout_savings *ls)
{
	json_open_object(j, "layout_savings");
	json_u64(j, "live_saving", layout_savings_live_total(ls));
	json_u64(j, "sites", ls->sites);
	json_u64(j, "sites_matched", ls->sites_matched);
	json_u64(j, "sites_ambiguous", ls->sites_ambiguous);
	json_u64(j, "sites_unmatched", ls->sites_unmatched);
	json_u64(j, "objects_read", ls->modules_read);
	json_u64(j, "objects_without_dwarf", ls->modules_no_dwarf);
	json_u64(j, "objects_unreadable", ls->modules_unreadable);
	json_open_array(j, "types");
	for (size_t i = 0; i < ls->n; i++) {
		const struct mt_layout_saving *r = &ls->rows[i];

		json_open_object(j, NULL);
		json_str(j, "type", r->type);
		json_str(j, "object", r->module);
		json_u64(j, "size", r->size);
		json_u64(j, "new_size", r->new_size);
		json_u64(j, "live_count", r->live_count);
		json_u64(j, "live_bytes", r->live_bytes);
		json_u64(j, "live_bytes_after", r->live_bytes - r->live_saving);
		json_u64(j, "live_saving", r->live_saving);
		json_u64(j, "alloc_count", r->alloc_count);
		json_u64(j, "alloc_bytes", r->alloc_bytes);
		json_u64(j, "alloc_saving", r->alloc_saving);
		json_u64(j, "sites", r->sites);
		json_str(j, "match", r->match);
		json_str(j, "confidence", r->confidence);
		json_close_object(j);
	}
	json_close_array(j);
	json_close_object(j);
}

void layout_section_text(const struct mt_layout_savings *ls, int top, FILE *out)
{
	char a[HUMAN_BUFSZ], b[HUMAN_BUFSZ], c[HUMAN_BUFSZ];

	fprintf(out, "\nlayout savings: %s of the live heap if these types' members were reordered "
		     "(memtrace layout BINARY shows how)\n",
		human_bytes(layout_savings_live_total(ls), a));
	for (size_t i = 0; i < ls->n && (int)i < top; i++) {
		const struct mt_layout_saving *r = &ls->rows[i];

		fprintf(out, "  %s (%" PRIu64 " -> %" PRIu64 " bytes): %" PRIu64 " live, %s -> %s, saves %s [%s, %s]\n",
			r->type, r->size, r->new_size, r->live_count, human_bytes(r->live_bytes, a),
			human_bytes(r->live_bytes - r->live_saving, b), human_bytes(r->live_saving, c), r->match,
			r->confidence);
	}
	fprintf(out, "  %" PRIu64 " of %" PRIu64 " sites matched to a type (%" PRIu64 " ambiguous, %" PRIu64
		     " of no type's size); DWARF read from %" PRIu64 " object(s), %" PRIu64 " without, %" PRIu64
		     " unreadable\n",
		ls->sites_matched, ls->sites, ls->sites_ambiguous, ls->sites_unmatched, ls->modules_read,
		ls->modules_no_dwarf, ls->modules_unreadable);
}

int layout_section_html(const struct mt_layout_savings *ls, FILE *out)
{
	char a[HUMAN_BUFSZ], b[HUMAN_BUFSZ], c[HUMAN_BUFSZ];

	if (!ls) {
		fputs("<p>Not asked for (<code>--layout</code>).</p>\n", out);
		return ferror(out) ? -EIO : 0;
	}
	fprintf(out, "<p>Reordering these types' members (<code>memtrace layout BINARY</code> shows how) would save "
		     "%s of the live heap.  %" PRIu64 " of %" PRIu64 " allocation sites matched to a type.</p>\n",
		human_bytes(layout_savings_live_total(ls), a), ls->sites_matched, ls->sites);
	fputs("<table id=\"layout-table\">\n<tr><th>Type</th><th class=\"num\">Size</th><th class=\"num\">Reordered</th>"
	      "<th class=\"num\">Live</th><th class=\"num\">Bytes now</th><th class=\"num\">Bytes after</th>"
	      "<th class=\"num\">Saving</th><th>Match</th><th>Object</th></tr>\n",
	      out);
	for (size_t i = 0; i < ls->n; i++) {
		const struct mt_layout_saving *r = &ls->rows[i];

		fputs("<tr><td>", out);
		xml_escape(out, r->type, 256);
		fprintf(out, "</td><td class=\"num\">%" PRIu64 "</td><td class=\"num\">%" PRIu64 "</td><td class=\"num\">%" PRIu64
			     "</td><td class=\"num\">%s</td><td class=\"num\">%s</td><td class=\"num\">%s</td><td>%s, %s</td><td>",
			r->size, r->new_size, r->live_count, human_bytes(r->live_bytes, a),
			human_bytes(r->live_bytes - r->live_saving, b), human_bytes(r->live_saving, c), r->match,
			r->confidence);
		xml_escape(out, r->module, 4096);
		fputs("</td></tr>\n", out);
	}
	fputs("</table>\n", out);
	return ferror(out) ? -EIO : 0;
}
