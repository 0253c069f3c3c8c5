// SPDX-License-Identifier: MIT
/*
 * A tracer's probes closed without waiting for the kernel: what a --follow
 * child's tracer does when it leaves the root's object (tracer_join.c).
 */
#include <pthread.h>
#include <stdint.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "memtrace.h"
#include "tracer.h"

static void *close_fd(void *arg)
{
	/* At a plain priority whoever started it: a uprobe's removal holds the
	 * uprobe's registration lock while it walks the processes mapping the
	 * file, and the next fork's attach of the same probes waits on it
	 * (held 2-3 ms behind a preempted nice-19 closer). */
	setpriority(PRIO_PROCESS, (id_t)syscall(SYS_gettid), 0);
	close((int)(intptr_t)arg);
	return NULL;
}

static void collect(struct probe_link *l, int n, int *fds, int *nfds, int max)
{
	for (int i = 0; i < n && *nfds < max; i++)
		if (l[i].fd >= 0 && !l[i].link) {
			fds[(*nfds)++] = l[i].fd;
			l[i].fd = -1;
		}
}

/*
 * Closes the uprobe links at once, each from a detached thread, and does
 * not wait for them: closing one waits for the kernel's readers of its
 * probes to finish (an RCU grace period, 30-600 ms under load here), and
 * the tracer need not.  Its tables may be gone meanwhile: the links are
 * filtered to a process that is gone (or, at the end of a trace, to one
 * the programs no longer find in proc_state: they write nothing).  What is
 * left (libbpf's links on kernels without multi-uprobe links) is closed
 * one by one by tracer_detach_all.
 */
void tracer_links_close_background(struct tracer *t)
{
	int fds[4 + 2 * 2 * MT_MAX_ALLOC_FUNCS + MT_MAX_CUSTOM * 2 * MT_MAX_ALLOC_FUNCS], nfds = 0;
	int max = (int)(sizeof(fds) / sizeof(fds[0]));
	pthread_attr_t attr;
	pthread_t th;

	if (t->links)
		collect(t->links, t->nlinks, fds, &nfds, max);
	for (int k = 0; k < 2; k++)
		collect(t->extra_links[k], t->nextra_links[k], fds, &nfds, max);
	collect(t->custom_links, t->ncustom_links, fds, &nfds, max);
	collect(&t->dl_link, 1, fds, &nfds, max);
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	for (int i = 0; i < nfds; i++)
		if (pthread_create(&th, &attr, close_fd, (void *)(intptr_t)fds[i]))
			close(fds[i]);
	pthread_attr_destroy(&attr);
}
