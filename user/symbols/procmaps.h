/* SPDX-License-Identifier: MIT */
/* A process's memory mappings, from /proc/PID/maps. */
#ifndef MEMTRACE_PROCMAPS_H
#define MEMTRACE_PROCMAPS_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct mapping {
	uint64_t start, end, offset;
	uint64_t inode;
	uint64_t dev; /* makedev(major, minor) of the mapped file: compare with st_dev */
	bool exec, write;
	char path[PATH_MAX]; /* "" for anonymous; "[heap]", "[vdso]"... as the kernel names them */
};

struct maps {
	struct mapping *v; /* sorted by start */
	size_t n, cap;
};

/* Reads /proc/PID/maps; -ENOENT/-ESRCH when the process is gone. */
int maps_read(pid_t pid, struct maps *out);
/* The mapping that contains addr, or NULL. */
const struct mapping *maps_find(const struct maps *m, uint64_t addr);
/*
 * Folds a newer snapshot into m: mappings of `newer` replace the ones they
 * overlap, older ones that nothing replaced stay (a library dlclose'd since
 * still symbolizes the stacks it left behind).
 */
int maps_merge(struct maps *m, const struct maps *newer);
/* The first mapping of the object at path (the one with the lowest start). */
const struct mapping *maps_first_of(const struct maps *m, const char *path);
void maps_free(struct maps *m);

#endif
