// SPDX-License-Identifier: MIT
#include <stdio.h>

#include "humanize.h"
#include "runtime_report.h"

void report_text_go_heap(const struct mt_profile *p, FILE *out)
{
	char a[HUMAN_BUFSZ], b[HUMAN_BUFSZ];

	if (!p->go_heap.calls)
		return;
	fprintf(out,
		"Go heap (%s, runtime.mallocgc): allocated %s in %s calls, in the sites below as allocated and "
		"freed at once: Go's in-use is not per stack (the GC frees without calls)\n",
		p->go_heap.version ? p->go_heap.version : "Go", human_bytes(p->go_heap.bytes, a),
		human_count(p->go_heap.calls, b));
	if (p->go_heap.missed)
		fprintf(out, "Go heap: %llu calls MISSED (their return address could not be read)\n",
			(unsigned long long)p->go_heap.missed);
}

void report_json_go_heap(struct json *j, const struct mt_profile *p)
{
	if (!p->go_heap.calls)
		return;
	json_open_object(j, "go_heap");
	json_str(j, "version", p->go_heap.version);
	json_u64(j, "calls", p->go_heap.calls);
	json_u64(j, "bytes", p->go_heap.bytes);
	json_u64(j, "missed", p->go_heap.missed);
	json_u64(j, "restarts", p->go_heap.restarts);
	json_str(j, "inuse", "not per stack: the GC frees without calls");
	json_close_object(j);
}
