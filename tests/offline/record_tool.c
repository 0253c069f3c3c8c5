// SPDX-License-Identifier: MIT
/*
 * Converts a profile memtrace wrote (.pb.gz) into a recording, so the offline
 * commands can be exercised before --record is wired into the collector:
 *     record_tool IN.pb.gz OUT.mtrec
 */
#include <stdio.h>
#include <string.h>

#include "cmd_report.h"
#include "record.h"

int main(int argc, char **argv)
{
	struct mt_profile p;
	int err;

	if (argc != 3) {
		fprintf(stderr, "usage: %s IN OUT.mtrec\n", argv[0]);
		return 64;
	}
	if (report_load(argv[1], &p))
		return 1;
	err = record_write(argv[2], &p);
	profile_free(&p);
	if (err) {
		fprintf(stderr, "memtrace: %s: %s\n", argv[2], strerror(-err));
		return 1;
	}
	return 0;
}
