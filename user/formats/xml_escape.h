/* SPDX-License-Identifier: MIT */
/*
 * Text into SVG/HTML.  Symbol names carry < > & (C++ templates) and module
 * paths may hold any byte, so every string from a profile goes through here.
 */
#ifndef MEMTRACE_XML_ESCAPE_H
#define MEMTRACE_XML_ESCAPE_H

#include <stddef.h>
#include <stdio.h>

/*
 * Writes s escaped for XML/HTML text and attribute values (& < > " ').
 * Bytes XML 1.0 forbids (controls other than tab/newline) and invalid UTF-8
 * become '?', so the output always parses.  At most max bytes of s are read
 * when max != 0, and then a cut name ends with "..".
 */
void xml_escape(FILE *out, const char *s, size_t max);

#endif
