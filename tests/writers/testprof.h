/* SPDX-License-Identifier: MIT */
/*
 * Builds profiles for the writers' unit tests from folded-style specs, e.g.
 * tp_site(&p, "main;parse;xmalloc", inuse_bytes, inuse_count, alloc_bytes,
 * alloc_count).  A frame written "?N" has no name and lies in module N
 * ("?-" : no module either).  Header-only so tests/unit needs no extra object.
 */
#ifndef MEMTRACE_TESTPROF_H
#define MEMTRACE_TESTPROF_H

#include <stdlib.h>
#include <string.h>

#include "profile.h"

static inline void tp_init(struct mt_profile *p, int nmodules)
{
	memset(p, 0, sizeof(*p));
	p->pid = 77;
	p->command = profile_intern(p, "tp-cmd");
	p->start_realtime_ns = 1700000000ULL * 1000000000ULL;
	p->duration_ns = 3000000000ULL;
	p->modules = calloc((size_t)nmodules + 1, sizeof(*p->modules));
	p->nmodules = (size_t)nmodules;
	for (int i = 0; i < nmodules; i++) {
		char path[64];

		snprintf(path, sizeof(path), "/opt/lib/libtp%d.so", i);
		p->modules[i].path = profile_intern(p, path);
		p->modules[i].build_id = i % 2 ? NULL : profile_intern(p, "deadbeef");
		p->modules[i].start = 0x10000000ULL * (uint64_t)(i + 1);
		p->modules[i].limit = p->modules[i].start + 0x100000;
		p->modules[i].file_offset = 0x1000;
	}
}

/* Appends one site; frames in spec are outermost first, ';'-separated. */
static inline struct mt_site *tp_site(struct mt_profile *p, const char *spec, uint64_t inuse_b,
				      uint64_t inuse_c, uint64_t alloc_b, uint64_t alloc_c)
{
	char buf[1024], *save = NULL, *tok;
	const char *names[128];
	uint32_t n = 0;
	struct mt_frame *f;
	struct mt_site *s;

	snprintf(buf, sizeof(buf), "%s", spec);
	for (tok = strtok_r(buf, ";", &save); tok && n < 128; tok = strtok_r(NULL, ";", &save))
		names[n++] = tok;
	p->sites = realloc(p->sites, (p->nsites + 1) * sizeof(*p->sites));
	s = &p->sites[p->nsites++];
	memset(s, 0, sizeof(*s));
	f = calloc(n ? n : 1, sizeof(*f));
	for (uint32_t i = 0; i < n; i++) {
		struct mt_frame *fr = &f[n - 1 - i];
		const char *name = names[i];

		fr->module = p->nmodules ? 0 : -1;
		if (name[0] == '?')
			fr->module = name[1] == '-' ? -1 : atoi(name + 1);
		else
			fr->function = profile_intern(p, name);
		if (fr->module >= 0) {
			fr->addr = p->modules[fr->module].start + 0x100 * (i + 1) + p->nsites;
			fr->offset = fr->addr - p->modules[fr->module].start + p->modules[fr->module].file_offset;
		} else {
			fr->addr = 0xdead0000ULL + 0x10 * i;
			fr->offset = fr->addr;
		}
	}
	s->frames = f;
	s->nframes = n;
	s->inuse_bytes = inuse_b;
	s->inuse_count = inuse_c;
	s->alloc_bytes = alloc_b;
	s->alloc_count = alloc_c;
	return s;
}

/* Runs a writer into memory; the caller frees the returned NUL-terminated text. */
#define TP_CAPTURE(text, len, rc, call)                                                        \
	do {                                                                                   \
		FILE *out = open_memstream(&(text), &(len));                                   \
		(rc) = (call);                                                                 \
		fclose(out);                                                                   \
	} while (0)

/*
 * Minimal XML well-formedness check: balanced, properly nested tags, skipping
 * the prolog, comments and CDATA, and no bare '&' or '<' in text.  Returns
 * 0 when fine, or the offset + 1 of the first problem.
 */
static inline size_t tp_xml_check(const char *s)
{
	const char *stack[256];
	size_t lens[256];
	int depth = 0;
	const char *p = s;

	while (*p) {
		if (*p == '&') {
			const char *semi = strchr(p, ';');

			if (!semi || semi - p > 8)
				return (size_t)(p - s) + 1;
			p = semi + 1;
			continue;
		}
		if (*p != '<') {
			p++;
			continue;
		}
		if (!strncmp(p, "<![CDATA[", 9)) {
			p = strstr(p, "]]>");
			if (!p)
				return (size_t)-1;
			p += 3;
		} else if (!strncmp(p, "<!--", 4)) {
			p = strstr(p, "-->");
			if (!p)
				return (size_t)-1;
			p += 3;
		} else if (p[1] == '?' || p[1] == '!') {
			p = strchr(p, '>');
			if (!p)
				return (size_t)-1;
			p++;
		} else if (p[1] == '/') {
			size_t n = strcspn(p + 2, " >");

			if (!depth || lens[depth - 1] != n || strncmp(stack[depth - 1], p + 2, n))
				return (size_t)(p - s) + 1;
			depth--;
			p = strchr(p, '>');
			if (!p)
				return (size_t)-1;
			p++;
		} else {
			const char *end = p + 1;
			char quote = 0;

			/* Attribute values may hold '>' only escaped; '<' never. */
			for (; *end && (quote || *end != '>'); end++) {
				if (quote && *end == '<')
					return (size_t)(end - s) + 1;
				if (*end == '"' || *end == '\'')
					quote = quote == *end ? 0 : quote ? quote : *end;
			}
			if (!*end)
				return (size_t)-1;
			if (end[-1] != '/') {
				if (depth == 256)
					return (size_t)-1;
				stack[depth] = p + 1;
				lens[depth++] = strcspn(p + 1, " />\n");
			}
			p = end + 1;
		}
	}
	return depth ? (size_t)-1 : 0;
}

#endif
