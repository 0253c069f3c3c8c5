/* SPDX-License-Identifier: MIT */
/*
 * The one place that decides what an unsymbolized frame is called, so the
 * folded, flame graph and pprof outputs agree and pprof_read can recognise
 * its own made-up names.
 */
#ifndef MEMTRACE_FRAME_NAME_H
#define MEMTRACE_FRAME_NAME_H

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
/* Basename of a module path ("libc.so.6" for "/usr/lib/.../libc.so.6"). */
const char *module_basename(const char *path);

#endif
