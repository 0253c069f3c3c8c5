// SPDX-License-Identifier: MIT
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/bpf.h>

#include "exec_ranges.h"
#include "log.h"
#include "memtrace.h"
#include "procmaps.h"
#include "profile.h"
#include "unwind_load.h"

_Static_assert(MT_TRUNCATED_ADDR == MT_FRAME_TRUNCATED, "the BPF walk's marker is the profile's");
_Static_assert(MT_EXEC_ADDR == MT_FRAME_EXEC, "the BPF walk's exec marker is the profile's");

int exec_ranges_load(int map_fd, pid_t pid, struct unwind_loader *ul)
{
	static bool said;
	struct mt_exec_ranges *v = NULL;
	struct maps m = {};
	__u32 key = (__u32)pid;
	int err;

	err = maps_read(pid, &m);
	if (err)
		return err;
	v = calloc(1, sizeof(*v));
	if (!v) {
		err = -ENOMEM;
		goto cleanup;
	}
	/* maps_read gives the mappings sorted by start: no sort needed. */
	for (size_t i = 0; i < m.n; i++) {
		const struct mapping *e = &m.v[i];

		/* [vsyscall] lies above user space, where the search's
		 * arithmetic needs starts below 2^63; no stack returns there. */
		if (!e->exec || e->start >= MT_EXEC_USER_LIMIT)
			continue;
		/* The uretprobe trampoline is code, but never a caller: a walk
		 * that cannot give the real address back must stop there. */
		if (!strcmp(e->path, "[uprobes]"))
			continue;
		if (!ul && v->n && v->end[v->n - 1] == e->start) {
			v->end[v->n - 1] = e->end;
			continue;
		}
		if (v->n == MT_EXEC_RANGES - 1) {
			v->dropped++;
			continue;
		}
		v->start[v->n] = e->start;
		v->end[v->n] = e->end;
		if (ul)
			unwind_loader_fill(ul, pid, e, v, v->n);
		v->n++;
	}
	for (__u32 i = v->n; i < MT_EXEC_RANGES; i++)
		v->start[i] = v->end[i] = MT_EXEC_PAD;
	if (v->dropped && !said) {
		said = true;
		log_warn("PID %d has %u executable mappings past the first %d: frames in them end their stacks "
			 "as [truncated] (nothing to do; stacks stay true, only shorter)",
			 (int)pid, v->dropped, MT_EXEC_RANGES - 1);
	}
	if (bpf_map_update_elem(map_fd, &key, v, BPF_ANY)) {
		err = -errno;
		goto cleanup;
	}
	err = (int)v->n;
cleanup:
	free(v);
	maps_free(&m);
	return err;
}
