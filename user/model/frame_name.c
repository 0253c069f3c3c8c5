// SPDX-License-Identifier: MIT
#include <stdio.h>
#include <string.h>

#include "frame_name.h"

const char *module_basename(const char *path)
{
	const char *slash;

	if (!path || !*path)
		return "[unknown]";
	slash = strrchr(path, '/');
	return slash && slash[1] ? slash + 1 : path;
}

const char *frame_name(const struct mt_profile *p, const struct mt_frame *f, enum frame_style style,
		       char *buf)
{
	const struct mt_module *mod = NULL;

	if (f->module >= 0 && (size_t)f->module < p->nmodules)
		mod = &p->modules[f->module];
	if (f->function && *f->function)
		snprintf(buf, FRAME_NAME_MAX, "%s", f->function);
	else if (mod)
		snprintf(buf, FRAME_NAME_MAX, "%s+0x%llx", module_basename(mod->path),
			 (unsigned long long)f->offset);
	else if (style == FRAME_STYLE_PPROF)
		snprintf(buf, FRAME_NAME_MAX, "0x%llx", (unsigned long long)f->addr);
	else
		snprintf(buf, FRAME_NAME_MAX, "[unknown]");

	/* flamegraph.pl splits on ';' and lines on '\n': neither may survive. */
	if (style == FRAME_STYLE_FOLDED) {
		for (char *c = buf; *c; c++) {
			if (*c == ';')
				*c = ':';
			else if ((unsigned char)*c < 0x20 || *c == 0x7f)
				*c = '?';
		}
	}
	return buf;
}
