// SPDX-License-Identifier: MIT
#include <stdio.h>
#include <string.h>

#include "frame_name.h"
#include "short_name.h"

const char *module_basename(const char *path)
{
	const char *slash;

	if (!path || !*path)
		return "[unknown]";
	slash = strrchr(path, '/');
	return slash && slash[1] ? slash + 1 : path;
}

static struct frame_display display;

void frame_display_set(const struct frame_display *d)
{
	display = *d;
}

const char *frame_where(const struct mt_frame *f, char *buf, size_t len)
{
	buf[0] = '\0';
	if (f->file && *f->file && f->line)
		snprintf(buf, len, "%s:%u", module_basename(f->file), f->line);
	return buf;
}

const char *frame_name(const struct mt_profile *p, const struct mt_frame *f, enum frame_style style,
		       char *buf)
{
	const struct mt_module *mod = NULL;

	if (f->module >= 0 && (size_t)f->module < p->nmodules)
		mod = &p->modules[f->module];
	if (f->function && *f->function && display.short_names && style != FRAME_STYLE_PPROF)
		short_name(f->function, buf, FRAME_NAME_MAX);
	else if (f->function && *f->function)
		snprintf(buf, FRAME_NAME_MAX, "%s", f->function);
	else if (mod)
		snprintf(buf, FRAME_NAME_MAX, "%s+0x%llx", module_basename(mod->path),
			 (unsigned long long)f->offset);
	else if (style == FRAME_STYLE_PPROF)
		snprintf(buf, FRAME_NAME_MAX, "0x%llx", (unsigned long long)f->addr);
	else
		snprintf(buf, FRAME_NAME_MAX, "[unknown]");
	if (display.lines && style != FRAME_STYLE_PPROF && f->file && f->line) {
		char where[512];
		size_t used = strlen(buf);

		snprintf(buf + used, FRAME_NAME_MAX - used, " (%s)", frame_where(f, where, sizeof(where)));
	}

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
