// SPDX-License-Identifier: MIT
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "proc_faults.h"
#include "target_file.h"

/* After the comm's ')': state ppid pgrp session tty_nr tpgid flags minflt cminflt majflt. */
#define AFTER_COMM_MINFLT 7
#define AFTER_COMM_MAJFLT 9

int proc_faults_parse(const char *text, size_t len, uint64_t *faults)
{
	const char *p = NULL, *end = text + len;
	uint64_t field[AFTER_COMM_MAJFLT + 1];
	int nfield = 0;

	/* The comm may hold ')': the real end of it is the last one. */
	for (const char *q = text; q < end; q++)
		if (*q == ')')
			p = q + 1;
	if (!p)
		return -EINVAL;
	while (nfield <= AFTER_COMM_MAJFLT) {
		uint64_t v = 0;
		bool digits = true;
		const char *start;

		while (p < end && *p == ' ')
			p++;
		if (p == end)
			return -EINVAL;
		start = p;
		for (; p < end && *p != ' ' && *p != '\n'; p++) {
			if (*p < '0' || *p > '9')
				digits = false;
			else if (digits && v <= (UINT64_MAX - 9) / 10)
				v = v * 10 + (uint64_t)(*p - '0');
		}
		/* state (a letter) and tty_nr, pgrp (may be -1) are not counters; only ours must be digits. */
		if ((nfield == AFTER_COMM_MINFLT || nfield == AFTER_COMM_MAJFLT) && (!digits || p == start))
			return -EINVAL;
		field[nfield++] = v;
	}
	*faults = field[AFTER_COMM_MINFLT] + field[AFTER_COMM_MAJFLT];
	return 0;
}

int proc_faults_read(pid_t pid, uint64_t *faults)
{
	char buf[PROC_FAULTS_READ_MAX];
	char path[64];
	size_t len = 0;
	int fd, err = 0;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	fd = target_file_open(NULL, path);
	if (fd < 0)
		return fd;
	while (len < sizeof(buf)) {
		ssize_t n = read(fd, buf + len, sizeof(buf) - len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			err = -errno;
			break;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	close(fd);
	return err ? err : proc_faults_parse(buf, len, faults);
}
