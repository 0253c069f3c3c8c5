// SPDX-License-Identifier: MIT
#define _GNU_SOURCE
#include <stdio.h>
#include <string.h>
#include <sys/types.h>

#include "usage_line.h"

#define HINT " (see memtrace --help)"

struct pending {
	char line[1024];
	size_t n;
};

int usage_line_keep(const char *line)
{
	return strncmp(line, "Try `", 5) != 0;
}

/* An ended line goes out with the hint, so the advice argp gives is not lost. */
static void flush_line(struct pending *p, int ended)
{
	p->line[p->n] = '\0';
	if (!ended) {
		fputs(p->line, stderr);
	} else if (usage_line_keep(p->line)) {
		/* argp's own lines ("memtrace: ...") get the hint; --help's text never comes here. */
		int hint = !strncmp(p->line, "memtrace: ", 10) && p->n && p->line[p->n - 1] != ')';

		fprintf(stderr, "%s%s\n", p->line, hint ? HINT : "");
	}
	p->n = 0;
}

static ssize_t cookie_write(void *c, const char *buf, size_t len)
{
	struct pending *p = c;

	for (size_t i = 0; i < len; i++) {
		if (buf[i] == '\n') {
			flush_line(p, 1);
			continue;
		}
		if (p->n + 1 >= sizeof(p->line))
			flush_line(p, 0);
		p->line[p->n++] = buf[i];
	}
	return (ssize_t)len;
}

static int cookie_close(void *c)
{
	struct pending *p = c;

	if (p->n)
		flush_line(p, 0);
	fflush(stderr);
	return 0;
}

FILE *usage_line_stream(void)
{
	static struct pending p;
	static FILE *f;
	cookie_io_functions_t io = { .write = cookie_write, .close = cookie_close };

	if (!f)
		f = fopencookie(&p, "w", io);
	if (f)
		setvbuf(f, NULL, _IOLBF, 0);
	return f ? f : stderr;
}
