/* Roots: registered global slot ranges and per-thread handle scopes.
 * Both are only read by the collector inside stop-the-world pauses, which
 * is why pushing a handle needs no barrier or lock. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "internal.h"

struct root_range {
	void **slots;
	size_t n;
};

static pthread_mutex_t roots_lock = PTHREAD_MUTEX_INITIALIZER;
static struct root_range *ranges;
static size_t nranges, ranges_cap;

int refgc_root_add(void **slots, size_t n)
{
	int err = 0;

	if (!slots || !n) {
		set_error("refgc_root_add: empty root range");
		return -EINVAL;
	}
	pthread_mutex_lock(&roots_lock);
	if (nranges == ranges_cap) {
		size_t cap = ranges_cap ? ranges_cap * 2 : 32;
		struct root_range *r = realloc(ranges, cap * sizeof(*r));

		if (!r) {
			set_error("refgc_root_add: out of memory");
			err = -ENOMEM;
			goto out;
		}
		ranges = r;
		ranges_cap = cap;
	}
	ranges[nranges++] = (struct root_range){ slots, n };
out:
	pthread_mutex_unlock(&roots_lock);
	return err;
}

int refgc_root_remove(void **slots)
{
	int err = -ENOENT;

	pthread_mutex_lock(&roots_lock);
	for (size_t i = 0; i < nranges; i++) {
		if (ranges[i].slots == slots) {
			ranges[i] = ranges[--nranges];
			err = 0;
			break;
		}
	}
	pthread_mutex_unlock(&roots_lock);
	if (err)
		set_error("refgc_root_remove: %p is not a registered root", (void *)slots);
	return err;
}

void roots_scan(struct marker *m)
{
	pthread_mutex_lock(&roots_lock);
	for (size_t i = 0; i < nranges; i++) {
		for (size_t j = 0; j < ranges[i].n; j++) {
			void *v = __atomic_load_n(&ranges[i].slots[j], __ATOMIC_RELAXED);

			if (v)
				mark_shade(m, v);
		}
	}
	pthread_mutex_unlock(&roots_lock);
	roots_scan_threads(m);
}

void roots_fini(void)
{
	pthread_mutex_lock(&roots_lock);
	free(ranges);
	ranges = NULL;
	nranges = ranges_cap = 0;
	pthread_mutex_unlock(&roots_lock);
}

refgc_scope refgc_scope_enter(void)
{
	return self_thread ? self_thread->nroots : 0;
}

void refgc_scope_leave(refgc_scope s)
{
	struct rthread *th = self_thread;

	if (th && s <= th->nroots)
		th->nroots = s;
}

void refgc_root_push(void **slot)
{
	struct rthread *th = self_thread;

	if (!th) {
		fprintf(stderr, "refgc: refgc_root_push from a thread that is not attached\n");
		abort();
	}
	if (unlikely(th->nroots == th->roots_cap)) {
		size_t cap = th->roots_cap ? th->roots_cap * 2 : 64;
		void ***r = realloc(th->roots, cap * sizeof(*r));

		/* A lost root means a freed live object later: fail loudly now. */
		if (!r) {
			fprintf(stderr, "refgc: out of memory growing the root stack\n");
			abort();
		}
		th->roots = r;
		th->roots_cap = cap;
	}
	th->roots[th->nroots++] = slot;
}
