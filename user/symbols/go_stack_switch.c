// SPDX-License-Identifier: MIT
#include <string.h>

#include "go_stack_switch.h"

bool go_stack_switch(const char *function)
{
	/* runtime.mstart and runtime.goexit start stacks of their own: a walk
	 * ends there anyway, nothing lies past them. */
	static const char *const names[] = { "runtime.systemstack", "runtime.mcall", "runtime.morestack" };
	size_t n;

	if (!function || strncmp(function, "runtime.", 8))
		return false;
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		n = strlen(names[i]);
		if (!strncmp(function, names[i], n) && (!function[n] || !strcmp(function + n, ".abi0")))
			return true;
	}
	return false;
}
