// SPDX-License-Identifier: MIT
/* Batched reads of the target's memory (see reach_mem.h). */
#define _GNU_SOURCE
#include <errno.h>
#include <string.h>
#include <sys/uio.h>

#include "reach_mem.h"

#define PAGE 4096ull

/* One range that failed as a whole: page by page, so what is mapped of it
 * is still scanned. */
static void read_pages(pid_t pid, uint64_t addr, uint64_t len, char *buf, uint64_t *unreadable)
{
	while (len) {
		uint64_t n = PAGE - (addr & (PAGE - 1));
		struct iovec l, r;

		if (n > len)
			n = len;
		l = (struct iovec){ buf, n };
		r = (struct iovec){ (void *)addr, n };
		if (process_vm_readv(pid, &l, 1, &r, 1, 0) != (ssize_t)n) {
			memset(buf, 0, n);
			*unreadable += n;
		}
		addr += n;
		buf += n;
		len -= n;
	}
}

int reach_read(pid_t pid, const struct reach_range *r, size_t n, void *buf, uint64_t *unreadable)
{
	struct iovec local[REACH_BATCH_RANGES], remote[REACH_BATCH_RANGES];
	char *p = buf;
	size_t i = 0;

	if (n > REACH_BATCH_RANGES)
		return -EINVAL;
	while (i < n) {
		size_t k = 0;
		char *q = p;
		ssize_t got;

		for (size_t j = i; j < n; j++, k++) {
			local[k] = (struct iovec){ q, r[j].len };
			remote[k] = (struct iovec){ (void *)r[j].addr, r[j].len };
			q += r[j].len;
		}
		got = process_vm_readv(pid, local, k, remote, k, 0);
		if (got < 0 && errno == ESRCH)
			return -ESRCH;
		if (got < 0)
			got = 0;
		/* A short read stops inside the first range that failed: keep
		 * the whole ranges before it, read that one page by page, and go
		 * on after it. */
		while (i < n && (uint64_t)got >= r[i].len) {
			got -= (ssize_t)r[i].len;
			p += r[i].len;
			i++;
		}
		if (i < n) {
			read_pages(pid, r[i].addr, r[i].len, p, unreadable);
			p += r[i].len;
			i++;
		}
	}
	return 0;
}
