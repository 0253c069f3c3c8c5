// SPDX-License-Identifier: MIT
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "proc_cgroup.h"
#include "target_file.h"

/* Copies [s, s + n) into out (size outlen), cut and made printable: a
 * cgroup name may hold any byte but '/', terminal escapes included. */
static void copy_clean(char *out, size_t outlen, const char *s, size_t n)
{
	if (n >= outlen)
		n = outlen - 1;
	for (size_t i = 0; i < n; i++)
		out[i] = s[i] >= 0x20 && s[i] < 0x7f ? s[i] : '?';
	out[n] = '\0';
}

static bool is_hex_id(const char *s, size_t n)
{
	if (n != PROC_CGROUP_ID_LEN)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	return true;
}

/* The id in one path component: "<id>", "<prefix>-<id>" or "<prefix>-<id>.scope". */
static bool component_id(const char *c, size_t n, char id[PROC_CGROUP_ID_LEN + 1])
{
	const char *start = c;

	if (n > 6 && memcmp(c + n - 6, ".scope", 6) == 0)
		n -= 6;
	for (size_t i = n; i > 0; i--) {
		if (c[i - 1] == '-') {
			start = c + i;
			break;
		}
	}
	n -= (size_t)(start - c);
	if (!is_hex_id(start, n))
		return false;
	memcpy(id, start, n);
	id[n] = '\0';
	return true;
}

/* The last component of path [p, p + n) naming a container. */
static void path_id(const char *p, size_t n, char id[PROC_CGROUP_ID_LEN + 1])
{
	size_t i = 0;

	while (i < n) {
		size_t j = i;

		while (j < n && p[j] != '/')
			j++;
		if (j > i)
			component_id(p + i, j - i, id);
		i = j + 1;
	}
}

void proc_cgroup_parse(const char *text, size_t len, struct proc_cgroup *out)
{
	const char *end = text + len, *line = text;
	/* Where the chosen path is: v2 beats systemd's v1 tree beats a controller's. */
	const char *best = NULL;
	size_t best_len = 0;
	int best_rank = 0;

	memset(out, 0, sizeof(*out));
	while (line < end) {
		const char *nl = memchr(line, '\n', (size_t)(end - line));
		const char *eol = nl ? nl : end, *c1, *c2;
		int rank;

		/* hierarchy-ID:controllers:path; the path may itself hold ':'. */
		c1 = memchr(line, ':', (size_t)(eol - line));
		c2 = c1 ? memchr(c1 + 1, ':', (size_t)(eol - c1 - 1)) : NULL;
		if (c2) {
			const char *path = c2 + 1;
			size_t plen = (size_t)(eol - path);
			bool v2 = c1 - line == 1 && line[0] == '0' && c2 == c1 + 1;
			bool systemd = (size_t)(c2 - c1 - 1) == 12 && memcmp(c1 + 1, "name=systemd", 12) == 0;

			path_id(path, plen, out->container_id);
			rank = v2 ? 3 : systemd ? 2 : 1;
			if (!(plen == 1 && path[0] == '/') && plen && rank > best_rank) {
				best = path;
				best_len = plen;
				best_rank = rank;
			}
		}
		line = eol + 1;
	}
	if (best)
		copy_clean(out->path, sizeof(out->path), best, best_len);
}

int proc_cgroup_read(pid_t pid, struct proc_cgroup *out)
{
	static char buf[PROC_CGROUP_READ_MAX];
	char path[64];
	size_t len = 0;
	int fd;

	memset(out, 0, sizeof(*out));
	snprintf(path, sizeof(path), "/proc/%d/cgroup", (int)pid);
	fd = target_file_open(NULL, path);
	if (fd < 0)
		return fd;
	while (len < sizeof(buf)) {
		ssize_t n = read(fd, buf + len, sizeof(buf) - len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			int err = -errno;

			close(fd);
			return err;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	close(fd);
	proc_cgroup_parse(buf, len, out);
	return 0;
}
