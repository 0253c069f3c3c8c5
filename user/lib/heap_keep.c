// SPDX-License-Identifier: MIT
#include <errno.h>
#include <malloc.h>

#include "heap_keep.h"

int heap_keep_freed(void)
{
	/* Setting either fixes both: glibc stops moving them on its own, so
	 * a profile's large arrays would otherwise stay mmap'ed at 128 KiB. */
	if (!mallopt(M_TRIM_THRESHOLD, HEAP_KEEP_BYTES) || !mallopt(M_MMAP_THRESHOLD, HEAP_KEEP_BYTES / 2))
		return -EINVAL;
	return 0;
}
