/* SPDX-License-Identifier: MIT */
/*
 * The one place that decides what an unsymbolized frame is called, so the
 * folded, flame graph and pprof outputs agree and pprof_read can recognise
 * its own made-up names.
 */
#ifndef MEMTRACE_FRAME_NAME_H
#define MEMTRACE_FRAME_NAME_H

#include <stdbool.h>
#include <stddef.h>

#include "profile.h"

#define FRAME_NAME_MAX 4096 /* longer names are cut; the buffer always fits */

enum frame_style {
	FRAME_STYLE_FLAME,  /* unknown: "libc.so.6+0x1a2b", or "[unknown]" without a module */
	FRAME_STYLE_FOLDED, /* as FLAME, and ';' -> ':' and control bytes -> '?' */
	FRAME_STYLE_PPROF,  /* unknown: "libc.so.6+0x1a2b", or "0x7f12..." without a module */
};

/*
 * Writes the display name of f into buf (size >= FRAME_NAME_MAX) and returns
 * buf.  Unknown frames use the module's basename and the frame's ELF offset.
 */
const char *frame_name(const struct mt_profile *p, const struct mt_frame *f, enum frame_style style,
		       char *buf);
/*
 * How FRAME_STYLE_FLAME and FRAME_STYLE_FOLDED names look, set once by the
 * command line before anything is written (default: all false).  lines:
 * "function (file.c:42)" for frames with a source line (--lines), so a
 * flame graph or folded stack splits a function by line.  short_names:
 * templates and argument lists elided (short_name.h).  PPROF names never
 * change: pprof carries lines in their own fields.
 */
struct frame_display {
	bool lines;
	bool short_names; /* --names short: short_name.h's form */
};
void frame_display_set(const struct frame_display *d);

/*
 * "file.c:42" (the file's basename) for a frame with a source line, into
 * buf (size len); "" when it has none.  Returns buf.
 */
const char *frame_where(const struct mt_frame *f, char *buf, size_t len);
/* Basename of a module path ("libc.so.6" for "/usr/lib/.../libc.so.6"). */
const char *module_basename(const char *path);

#endif
