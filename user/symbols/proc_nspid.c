// SPDX-License-Identifier: MIT
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "proc_nspid.h"
#include "target_file.h"

/* The last of the line's fields, each a run of digits between blanks; 0 if any is not. */
static int32_t last_field(const char *s, size_t n)
{
	int64_t v = 0;
	bool in = false;

	for (size_t i = 0; i < n; i++) {
		if (s[i] == ' ' || s[i] == '\t') {
			in = false;
			continue;
		}
		if (s[i] < '0' || s[i] > '9')
			return 0;
		if (!in) {
			v = 0;
			in = true;
		}
		v = v * 10 + (s[i] - '0');
		if (v > INT32_MAX)
			return 0;
	}
	return (int32_t)v;
}

int32_t proc_nspid_parse(const char *text, size_t len)
{
	static const char key[] = "NSpid:";
	const char *line = text, *end = text + len;

	while (line < end) {
		const char *eol = memchr(line, '\n', (size_t)(end - line));
		size_t n = eol ? (size_t)(eol - line) : (size_t)(end - line);

		/* Name: comes first and is the target's to choose: only a whole line's start counts. */
		if (n >= sizeof(key) - 1 && !memcmp(line, key, sizeof(key) - 1))
			return last_field(line + sizeof(key) - 1, n - (sizeof(key) - 1));
		if (!eol)
			break;
		line = eol + 1;
	}
	return 0;
}

int32_t proc_nspid_read(pid_t pid)
{
	char buf[PROC_NSPID_READ_MAX];
	char path[64];
	size_t len = 0;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	fd = target_file_open(NULL, path);
	if (fd < 0)
		return 0;
	while (len < sizeof(buf)) {
		ssize_t n = read(fd, buf + len, sizeof(buf) - len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		len += (size_t)n;
	}
	close(fd);
	return proc_nspid_parse(buf, len);
}
