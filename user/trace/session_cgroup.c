// SPDX-License-Identifier: MIT
/* Where the target runs (its cgroup, container and PID namespace), for session.c's profiles. */
#include <errno.h>

#include "session_state.h"

void session_read_cgroup(struct session *s)
{
	struct proc_cgroup now;
	int32_t nspid;

	/* Read at the start and at each exec: a process gone keeps its last. */
	if (proc_cgroup_read(s->pid, &now) == 0)
		s->cgroup = now;
	nspid = proc_nspid_read(s->pid);
	if (nspid)
		s->nspid = nspid;
}

int session_label_cgroup(const struct session *s, struct mt_profile *p)
{
	p->nspid = s->nspid != s->pid ? s->nspid : 0;
	if (s->cgroup.path[0] && !(p->cgroup = profile_intern(p, s->cgroup.path)))
		return -ENOMEM;
	if (s->cgroup.container_id[0] && !(p->container_id = profile_intern(p, s->cgroup.container_id)))
		return -ENOMEM;
	return 0;
}
