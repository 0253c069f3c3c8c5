// SPDX-License-Identifier: MIT
/*
 * A --follow child is bound at its fork stop, before it runs: every block
 * it allocates is seen.  A free the BPF side counts as "unseen" in it is
 * therefore of a block of the heap fork copied from its parent (whether or
 * not the parent's trace saw that block allocated), which the report calls
 * inherited rather than "allocated before the trace began".  The counter
 * itself stays as BPF keeps it, since the leak verdicts' replacement rule
 * reads it the same way in both cases.
 */
#include "session_state.h"

void session_fork_frees(const struct session *s, struct mt_profile *p)
{
	if (!s->fork_parent)
		return;
	p->fork_parent = (int32_t)s->fork_parent;
	p->frees_inherited = p->frees_unseen;
	p->frees_unseen = 0;
}
