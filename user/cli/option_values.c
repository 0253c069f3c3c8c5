// SPDX-License-Identifier: MIT
#include <errno.h>
#include <stdlib.h>

#include "option_values.h"

int top_parse(const char *s, int *out)
{
	char *end;
	long v = strtol(s, &end, 10);

	if (end == s || *end || v <= 0 || v > TOP_MAX)
		return -EINVAL;
	*out = (int)v;
	return 0;
}
