// SPDX-License-Identifier: MIT
/*
 * The 3.11 layouts below are those of Include/cpython/code.h and
 * unicodeobject.h, checked against the DWARF of a 3.11.7 build
 * (`memtrace layout libpython3.11.so --type PyCodeObject`); they do not
 * change within 3.11.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <string.h>
#include <stdbool.h>
#include <sys/uio.h>

#include "grow.h"
#include "hmap.h"
#include "python_frame.h"

#define OB_TYPE 8
#define TP_NAME 24
#define CO_FIRSTLINENO 72
#define CO_FILENAME 112
#define CO_QUALNAME 128
#define CO_LINETABLE 136
#define CO_SIZE 144
#define STR_LENGTH 16
#define STR_STATE 32
#define STR_ASCII_DATA 48 /* sizeof(PyASCIIObject) */
#define STR_LATIN1_DATA 72 /* sizeof(PyCompactUnicodeObject) */
#define BYTES_SIZE 16
#define BYTES_DATA 32
#define MAX_LINETABLE 4096

static int peek(pid_t pid, uint64_t addr, void *buf, size_t n)
{
	struct iovec local = { buf, n }, remote = { (void *)(uintptr_t)addr, n };

	if (!addr || addr > MT_PYFRAME_ADDR_MASK)
		return -EFAULT;
	return process_vm_readv(pid, &local, 1, &remote, 1, 0) == (ssize_t)n ? 0 : -EFAULT;
}

static uint64_t u64_at(const uint8_t *p)
{
	uint64_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

/* A str object into buf: compact, one byte per character (ASCII or latin-1). */
static int read_str(pid_t pid, uint64_t obj, char *buf, size_t n)
{
	uint8_t head[STR_ASCII_DATA];
	uint64_t len;
	uint32_t state;

	if (peek(pid, obj, head, sizeof(head)))
		return -EFAULT;
	len = u64_at(head + STR_LENGTH);
	memcpy(&state, head + STR_STATE, sizeof(state));
	/* state: kind in bits 2-4 (1 = one byte), compact bit 5, ascii bit 6. */
	if (((state >> 2) & 7) != 1 || !(state & (1u << 5)))
		return -EINVAL;
	if (len >= n)
		len = n - 1;
	if (peek(pid, obj + ((state & (1u << 6)) ? STR_ASCII_DATA : STR_LATIN1_DATA), buf, (size_t)len))
		return -EFAULT;
	buf[len] = '\0';
	return memchr(buf, '\0', (size_t)len) ? -EINVAL : 0;
}

static int is_code(pid_t pid, uint64_t code)
{
	uint64_t type, name;
	char tp[8];

	if (peek(pid, code + OB_TYPE, &type, sizeof(type)) || peek(pid, type + TP_NAME, &name, sizeof(name)) ||
	    peek(pid, name, tp, 5))
		return 0;
	return !memcmp(tp, "code", 5);
}

static uint32_t varint(const uint8_t *t, size_t n, size_t *i)
{
	uint32_t v = 0;

	for (unsigned shift = 0; *i < n && shift < 32; shift += 6) {
		uint8_t b = t[(*i)++];

		v |= (uint32_t)(b & 63) << shift;
		if (!(b & 64))
			break;
	}
	return v;
}

static int32_t svarint(const uint8_t *t, size_t n, size_t *i)
{
	uint32_t v = varint(t, n, i);

	return (v & 1) ? -(int32_t)(v >> 1) : (int32_t)(v >> 1);
}

/* Objects/locations.md of 3.11: each entry starts with a byte 1cccclll
 * (code c, l + 1 code units); codes 0-9 short forms, 10-12 one-line forms
 * (line delta c - 10), 13 no column (line delta), 14 long form (line
 * delta, end line, columns), 15 no location. */
uint32_t python_line_at(const uint8_t *t, size_t n, uint32_t first_line, uint32_t index)
{
	int64_t line = first_line;
	uint32_t at = 0;
	size_t i = 0;

	while (i < n) {
		uint8_t b = t[i++];
		unsigned code = (b >> 3) & 15, len = (b & 7) + 1;
		bool none = false;

		if (!(b & 0x80))
			return 0; /* not an entry's start: a table we do not know */
		if (code == 15) {
			none = true;
		} else if (code == 14) {
			line += svarint(t, n, &i);
			varint(t, n, &i);
			varint(t, n, &i);
			varint(t, n, &i);
		} else if (code == 13) {
			line += svarint(t, n, &i);
		} else if (code >= 10) {
			line += code - 10;
			i += 2;
		} else {
			i += 1;
		}
		if (index < at + len)
			return none || line <= 0 ? 0 : (uint32_t)line;
		at += len;
	}
	return 0;
}

static int read_live(pid_t pid, uint64_t frame, struct python_frame *out)
{
	uint64_t code = frame & MT_PYFRAME_ADDR_MASK, index = (frame >> 47) & MT_PYFRAME_INDEX_MAX, bytes;
	uint8_t co[CO_SIZE], table[MAX_LINETABLE], bh[BYTES_DATA];
	uint32_t first;
	uint64_t n;

	memset(out, 0, sizeof(*out));
	if (!frame_is_python(frame) || !is_code(pid, code) || peek(pid, code, co, sizeof(co))) 
		return -EINVAL;
	if (read_str(pid, u64_at(co + CO_QUALNAME), out->qualname, sizeof(out->qualname)) ||
	    read_str(pid, u64_at(co + CO_FILENAME), out->file, sizeof(out->file)))
		return -EINVAL;
	memcpy(&first, co + CO_FIRSTLINENO, sizeof(first));
	bytes = u64_at(co + CO_LINETABLE);
	if (peek(pid, bytes, bh, sizeof(bh)))
		return 0;
	n = u64_at(bh + BYTES_SIZE);
	if (n > sizeof(table))
		n = sizeof(table);
	if (!peek(pid, bytes + BYTES_DATA, table, (size_t)n))
		out->line = python_line_at(table, (size_t)n, first, (uint32_t)index);
	return 0;
}

/*
 * Names read at a stack's first sight, while its code objects are most
 * likely alive (a module's code is freed once it ran, and the process may
 * be gone when the report is written).  Symbolizing may run on another
 * thread than the collector's reads: one lock.
 */
struct seen {
	uint64_t frame;
	pid_t pid;
	struct python_frame pf;
};

#define SEEN_MAX 65536

static pthread_mutex_t seen_lock = PTHREAD_MUTEX_INITIALIZER;
static struct seen *seen;
static size_t nseen, seen_cap;
static struct hmap seen_index;

static uint64_t seen_hash(pid_t pid, uint64_t frame)
{
	return (frame ^ (uint64_t)pid << 40) * 0x9e3779b97f4a7c15ULL;
}

/* The entry for (pid, frame), or HMAP_NONE; under seen_lock. */
static uint32_t seen_find(pid_t pid, uint64_t frame)
{
	struct hmap_probe p;

	for (uint32_t i = hmap_first(&seen_index, seen_hash(pid, frame), &p); i != HMAP_NONE;
	     i = hmap_next(&seen_index, &p))
		if (seen[i].frame == frame && seen[i].pid == pid)
			return i;
	return HMAP_NONE;
}

void python_frame_remember(pid_t pid, uint64_t frame)
{
	struct python_frame pf;

	if (!frame_is_python(frame))
		return;
	pthread_mutex_lock(&seen_lock);
	if (seen_find(pid, frame) == HMAP_NONE && nseen < SEEN_MAX && !read_live(pid, frame, &pf) &&
	    !grow_to((void **)&seen, &seen_cap, nseen + 1, sizeof(*seen), 64) &&
	    !hmap_add(&seen_index, seen_hash(pid, frame), (uint32_t)nseen))
		seen[nseen++] = (struct seen){ .frame = frame, .pid = pid, .pf = pf };
	pthread_mutex_unlock(&seen_lock);
}

int python_frame_read(pid_t pid, uint64_t frame, struct python_frame *out)
{
	uint32_t i;

	pthread_mutex_lock(&seen_lock);
	i = seen_find(pid, frame);
	if (i != HMAP_NONE)
		*out = seen[i].pf;
	pthread_mutex_unlock(&seen_lock);
	return i != HMAP_NONE ? 0 : read_live(pid, frame, out);
}
