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
	/* Go's .debug_frame describes CFA = rsp + N only, though its code
	 * keeps rbp as a frame pointer: the count cannot see it. */
	return t->go || unwind_fp_percent(t) >= UNWIND_FP_PERCENT;
}
