/* SPDX-License-Identifier: MIT */
/* The JSON report: one object, schema version 1 (documented in README.md). */
#ifndef MEMTRACE_REPORT_JSON_H
#define MEMTRACE_REPORT_JSON_H

#include <stdio.h>

#include "profile.h"

int report_json_write(const struct mt_profile *p, FILE *out);
/* The "frames" member every section uses (function, module, address,
 * offset; without the truncation marker), then "truncated". */
struct json;
void report_json_frames(struct json *j, const struct mt_profile *p, const struct mt_frame *frames, uint32_t n);
/* One leak alert as an object: an element of "alerts", and each --alerts line. */
void report_json_alert(struct json *j, const struct mt_profile *p, const struct mt_alert *a);

#endif
