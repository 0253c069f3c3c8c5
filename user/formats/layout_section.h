/* SPDX-License-Identifier: MIT */
/*
 * The "layout savings" section of a trace's reports (memtrace --layout),
 * in the JSON report (key "layout_savings"), the text report and the HTML
 * page: per struct type the heap holds, live objects and bytes now, bytes
 * after reordering its members, the saving, and how its allocation sites
 * were matched to it (alloc_types.h).  Each writer says when the section
 * was not asked for or found nothing.
 */
#ifndef MEMTRACE_LAYOUT_SECTION_H
#define MEMTRACE_LAYOUT_SECTION_H

#include <stdio.h>

#include "json.h"
#include "layout_savings.h"

void layout_section_json(struct json *j, const struct mt_layout_savings *ls);
void layout_section_text(const struct mt_layout_savings *ls, int top, FILE *out);
int layout_section_html(const struct mt_layout_savings *ls, FILE *out);

#endif
