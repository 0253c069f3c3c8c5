// SPDX-License-Identifier: MIT
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "per_pid.h"

char *per_pid(const char *path, pid_t pid)
{
	const char *dot, *base;
	char *out;
	size_t len;

	if (!path || strcmp(path, "-") == 0)
		return path ? strdup(path) : NULL;
	len = strlen(path) + 16;
	base = strrchr(path, '/');
	base = base ? base + 1 : path;
	dot = strstr(base, ".pb.gz");
	if (!dot)
		dot = strrchr(base, '.');
	out = malloc(len);
	if (!out)
		return NULL;
	if (dot)
		snprintf(out, len, "%.*s.%d%s", (int)(dot - path), path, (int)pid, dot);
	else
		snprintf(out, len, "%s.%d", path, (int)pid);
	return out;
}

void per_pid_options(const struct options *in, pid_t pid, struct options *out)
{
	*out = *in;
	out->json_path = per_pid(in->json_path, pid);
	out->record_path = per_pid(in->record_path, pid);
	out->gc_svg = per_pid(in->gc_svg, pid);
	for (int i = 0; i < in->noutputs; i++)
		out->outputs[i] = per_pid(in->outputs[i], pid);
}

void per_pid_free(struct options *o)
{
	free((char *)o->json_path);
	free((char *)o->record_path);
	free((char *)o->gc_svg);
	for (int i = 0; i < o->noutputs; i++)
		free((char *)o->outputs[i]);
}
