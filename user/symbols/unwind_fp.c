// SPDX-License-Identifier: MIT
#include "unwind_fp.h"

unsigned unwind_fp_percent(const struct unwind_table *t)
{
	if (!t || !t->frame_fdes)
		return 0;
	return (unsigned)(t->fp_fdes * 100 / t->frame_fdes);
}

bool unwind_table_keeps_fp(const struct unwind_table *t)
{
	if (!t)
		return false;
	/* Go's code keeps rbp as a frame pointer and has no rows (its
	 * .debug_frame is not read): a Go binary with no rows at all is walked
	 * by frame pointer; a cgo one by its C parts' rule, its Go code by
	 * frame pointer all the same (no row there). */
	if (t->go && !t->nrows)
		return true;
	return unwind_fp_percent(t) >= UNWIND_FP_PERCENT;
}
