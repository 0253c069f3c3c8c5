// SPDX-License-Identifier: MIT
#include <stdlib.h>

#include "gc_data.h"

const char *gc_phase_name(uint32_t phase)
{
	static const char *const names[GC_PH_COUNT] = {
		[GC_PH_STW] = "stw",
		[GC_PH_MARK_START] = "mark start",
		[GC_PH_MARK_TERM] = "mark termination",
		[GC_PH_SWEEP_TERM] = "sweep termination",
		[GC_PH_YOUNG] = "young",
		[GC_PH_FULL] = "full",
		[GC_PH_GEN0] = "gen0",
		[GC_PH_GEN1] = "gen1",
		[GC_PH_GEN2] = "gen2",
	};

	return phase < GC_PH_COUNT && names[phase] ? names[phase] : "unknown";
}

const char *gc_runtime_id(unsigned rt)
{
	switch (rt) {
	case GC_RT_REFGC:
		return "refgc";
	case GC_RT_GO:
		return "go";
	case GC_RT_HOTSPOT:
		return "hotspot";
	case GC_RT_CPYTHON:
		return "cpython";
	}
	return NULL;
}

void gc_data_free(struct gc_data *d)
{
	if (!d)
		return;
	free(d->pauses);
	free(d->cycles);
	free(d->heap);
	free(d->waits);
	free(d);
}
