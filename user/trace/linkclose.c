// SPDX-License-Identifier: MIT
#include <pthread.h>

#include <bpf/libbpf.h>

#include "linkclose.h"

#define MAX_PARALLEL 32

static void *destroy_one(void *link)
{
	bpf_link__destroy(link);
	return NULL;
}

void links_destroy_all(struct bpf_link **links, int n)
{
	pthread_t th[MAX_PARALLEL];
	int started[MAX_PARALLEL];

	for (int base = 0; base < n; base += MAX_PARALLEL) {
		int m = n - base < MAX_PARALLEL ? n - base : MAX_PARALLEL;

		for (int i = 0; i < m; i++) {
			struct bpf_link *l = links[base + i];

			/* A thread that cannot start: this one just waits its turn. */
			started[i] = l && pthread_create(&th[i], NULL, destroy_one, l) == 0;
			if (l && !started[i])
				bpf_link__destroy(l);
		}
		for (int i = 0; i < m; i++)
			if (started[i])
				pthread_join(th[i], NULL);
	}
}
