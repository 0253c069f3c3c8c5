// SPDX-License-Identifier: MIT
/*
 * A fault tracer made as new once its process is gone, for --follow's next
 * fork: a load costs ~19k verified instructions per program (100-300 ms of
 * CPU here), emptying its maps a few ms.  Its programs are detached first,
 * so nothing writes to the maps while they are cleared.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "faults.h"
#include "faults.skel.h"
#include "faults_tracer.h"
#include "map_clear.h"

int faults_reset(struct faults_tracer *t)
{
	struct mt_fault_site_value *unknown;
	__u64 key = MT_UNKNOWN_STACK;
	int err;

	faults_unbind(t);
	unknown = calloc(1, sizeof(*unknown));
	if (!unknown)
		return -ENOMEM;
	err = map_clear(bpf_map__fd(t->skel->maps.fsites), sizeof(__u64));
	/* Events whose stack can't be kept are charged here (faults_open). */
	if (!err && bpf_map_update_elem(bpf_map__fd(t->skel->maps.fsites), &key, unknown, BPF_ANY))
		err = -errno;
	free(unknown);
	if (!err)
		err = map_clear(bpf_map__fd(t->skel->maps.sys_inflight), sizeof(__u32));
	/* A next process may get the old one's mm address: its cached VMAs go. */
	if (!err)
		err = map_clear(bpf_map__fd(t->skel->maps.vma_cache), sizeof(__u64));
	if (err)
		return err;
	memset((void *)&t->skel->bss->fcounters, 0, sizeof(t->skel->bss->fcounters));
	t->skel->bss->vma_gen++;
	return 0;
}
