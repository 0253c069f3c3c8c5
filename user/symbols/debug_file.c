// SPDX-License-Identifier: MIT
#include <errno.h>
#include <gelf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include <elfutils/debuginfod.h>
#include <elfutils/libdwelf.h>

#include "debug_file.h"
#include "log.h"
#include "target_file.h"

int debug_file_build_id(int fd, char out[41])
{
	const unsigned char *bits;
	ssize_t n;
	Elf *elf;

	out[0] = '\0';
	elf_version(EV_CURRENT);
	elf = elf_begin(fd, ELF_C_READ_MMAP, NULL);
	if (!elf)
		return -EINVAL;
	n = dwelf_elf_gnu_build_id(elf, (const void **)&bits);
	for (ssize_t i = 0; i < n && i < 20; i++)
		snprintf(out + 2 * i, 3, "%02x", bits[i]);
	elf_end(elf);
	return n > 0 ? 0 : -ENOENT;
}

/* fd when its build-id is want, else closed and -ENOENT. */
static int build_id_matches(int fd, const char *want)
{
	char id[41];

	if (fd < 0)
		return -ENOENT;
	if (debug_file_build_id(fd, id) == 0 && strcmp(id, want) == 0)
		return fd;
	close(fd);
	return -ENOENT;
}

/* fd when the CRC32 of its whole content is crc (what .gnu_debuglink holds), else closed. */
static int crc_matches(int fd, uint32_t crc)
{
	unsigned char buf[65536];
	uLong c = crc32(0, Z_NULL, 0);
	ssize_t n;

	if (fd < 0)
		return -ENOENT;
	if (lseek(fd, 0, SEEK_SET) == 0) {
		while ((n = read(fd, buf, sizeof(buf))) > 0)
			c = crc32(c, buf, (uInt)n);
		if (n == 0 && (uint32_t)c == crc && lseek(fd, 0, SEEK_SET) == 0)
			return fd;
	}
	close(fd);
	return -ENOENT;
}

/* path in root, then on the host; each kept only if check accepts it. */
static int open_checked(const struct debug_want *w, const char *path, bool by_crc)
{
	int fd = -ENOENT;

	if (w->root && *w->root) {
		fd = target_file_open(w->root, path);
		fd = by_crc ? crc_matches(fd, w->crc) : build_id_matches(fd, w->build_id);
	}
	if (fd < 0) {
		fd = target_file_open(NULL, path);
		fd = by_crc ? crc_matches(fd, w->crc) : build_id_matches(fd, w->build_id);
	}
	return fd;
}

static int by_build_id(const struct debug_want *w, char *path, size_t len)
{
	snprintf(path, len, "/usr/lib/debug/.build-id/%.2s/%s.debug", w->build_id, w->build_id + 2);
	return open_checked(w, path, false);
}

/* gdb's three places for a debuglink: beside the object, its .debug/, /usr/lib/debug/ + its directory. */
static int by_debuglink(const struct debug_want *w, char *path, size_t len)
{
	const char *slash = w->object ? strrchr(w->object, '/') : NULL;
	int dirlen = slash ? (int)(slash - w->object) : 0;
	int fd = -ENOENT;

	if (!slash || strchr(w->debuglink, '/') || !strcmp(w->debuglink, ".") || !strcmp(w->debuglink, ".."))
		return -ENOENT;
	for (int i = 0; i < 3 && fd < 0; i++) {
		static const char *const fmt[] = { "%.*s/%s", "%.*s/.debug/%s", "/usr/lib/debug%.*s/%s" };

		if (snprintf(path, len, fmt[i], dirlen, w->object, w->debuglink) >= (int)len)
			return -ENOENT;
		fd = open_checked(w, path, true);
	}
	return fd;
}

struct fetch {
	const char *what; /* the object, for the progress line */
	bool said;
};

static int progress(debuginfod_client *c, long a, long b)
{
	struct fetch *f = debuginfod_get_user_data(c);

	(void)a, (void)b;
	if (!f->said) {
		/* A download can take seconds: say why memtrace waits (always shown). */
		log_debug(0, 0, "fetching debug info for %s from debuginfod (%s)", f->what, getenv("DEBUGINFOD_URLS"));
		f->said = true;
	}
	return 0;
}

/* Build-ids asked for in this process: a miss is not asked again. */
static char (*asked)[41];
static size_t nasked;

static int by_debuginfod(const struct debug_want *w, char *path, size_t len)
{
	const char *urls = getenv("DEBUGINFOD_URLS");
	unsigned char id[20];
	size_t idlen = strlen(w->build_id) / 2;
	debuginfod_client *c;
	char *found = NULL;
	struct fetch f = { w->object ? w->object : w->build_id, false };
	void *grown;
	int fd;

	if (!urls || !*urls || idlen > sizeof(id))
		return -ENOENT;
	for (size_t i = 0; i < nasked; i++)
		if (!strcmp(asked[i], w->build_id))
			return -ENOENT;
	grown = realloc(asked, (nasked + 1) * sizeof(*asked));
	if (!grown)
		return -ENOMEM;
	asked = grown;
	snprintf(asked[nasked++], sizeof(*asked), "%s", w->build_id);
	for (size_t i = 0; i < idlen; i++)
		sscanf(w->build_id + 2 * i, "%2hhx", &id[i]);
	setenv("DEBUGINFOD_TIMEOUT", "10", 0);
	c = debuginfod_begin();
	if (!c)
		return -ENOENT;
	debuginfod_set_user_data(c, &f);
	debuginfod_set_progressfn(c, progress);
	fd = debuginfod_find_debuginfo(c, id, (int)idlen, &found);
	debuginfod_end(c);
	if (fd < 0) {
		free(found);
		return -ENOENT;
	}
	/* Re-opened through the same checks as a local file: the server is no proof either. */
	close(fd);
	snprintf(path, len, "%s", found);
	free(found);
	return build_id_matches(target_file_open(NULL, path), w->build_id);
}

int debug_file_find(const struct debug_want *w, char *path, size_t len, enum debug_source *src)
{
	bool id = w->build_id && strlen(w->build_id) >= 4;
	int fd = -ENOENT;

	if (id && (fd = by_build_id(w, path, len)) >= 0)
		*src = DEBUG_BUILD_ID;
	else if (w->debuglink && *w->debuglink && (fd = by_debuglink(w, path, len)) >= 0)
		*src = DEBUG_LINK;
	else if (id && (fd = by_debuginfod(w, path, len)) >= 0)
		*src = DEBUG_DEBUGINFOD;
	return fd < 0 ? -ENOENT : fd;
}
