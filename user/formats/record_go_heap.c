// SPDX-License-Identifier: MIT
/* Go's heap totals in a recording.  See record_go_heap.h. */
#include <errno.h>
#include <stdlib.h>

#include "bytebuf.h"
#include "record_go_heap.h"

#define GO_HEAP_FIXED 36u

int record_go_heap_encode(const struct mt_profile *p, uint8_t **out, size_t *len)
{
	struct wbuf w = { 0 };

	wb_u32(&w, GO_HEAP_FIXED);
	wb_u64(&w, p->go_heap.calls);
	wb_u64(&w, p->go_heap.bytes);
	wb_u64(&w, p->go_heap.missed);
	wb_u64(&w, p->go_heap.restarts);
	wb_str(&w, p->go_heap.version);
	if (w.err) {
		free(w.b);
		return w.err;
	}
	*out = w.b;
	*len = w.len;
	return 0;
}

int record_go_heap_decode(const uint8_t *buf, size_t len, struct mt_profile *p)
{
	struct rbuf r = { buf, buf + len, 0 };
	uint32_t fixed = rb_u32(&r);
	char version[64];
	const char *v;

	/* A later writer's fixed part may be longer: its extra is skipped. */
	if (r.err || fixed < GO_HEAP_FIXED || fixed > len)
		return -EINVAL;
	p->go_heap.calls = rb_u64(&r);
	p->go_heap.bytes = rb_u64(&r);
	p->go_heap.missed = rb_u64(&r);
	p->go_heap.restarts = rb_u64(&r);
	r.p = buf + fixed;
	v = rb_str(&r, version, sizeof(version));
	if (r.err)
		return -EINVAL;
	p->go_heap.version = v ? profile_intern(p, v) : NULL;
	return v && !p->go_heap.version ? -ENOMEM : 0;
}
