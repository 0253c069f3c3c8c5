/* SPDX-License-Identifier: MIT */
/*
 * Which cgroup, and which container, a traced process runs in: read from
 * /proc/PID/cgroup, which names cgroups whoever made them chose (a
 * container manager, or the target itself under a delegated tree), so the
 * text is treated as hostile: read through target_file, at most
 * PROC_CGROUP_READ_MAX bytes, names cut to PROC_CGROUP_PATH_MAX - 1 bytes
 * and every byte outside printable ASCII replaced by '?'.
 *
 * What a caller may rely on:
 *  - path is the cgroup v2 path (the "0::" line) when it is not "/";
 *    otherwise the first non-root cgroup v1 path (name=systemd first, then
 *    the controllers in file order); "" when every line says "/" or
 *    nothing could be read;
 *  - container_id is the 64 lowercase hex digits of the last path
 *    component that holds such a run as the whole name or between '-' and
 *    ".scope"/end (docker, containerd, CRI-O, podman:
 *    "/docker/<id>", "/system.slice/docker-<id>.scope",
 *    ".../cri-containerd-<id>.scope", ".../libpod-<id>.scope"), searched
 *    over every line; "" when none has one;
 *  - both are NUL-terminated, always.
 */
#ifndef MEMTRACE_PROC_CGROUP_H
#define MEMTRACE_PROC_CGROUP_H

#include <stddef.h>
#include <sys/types.h>

#define PROC_CGROUP_READ_MAX 65536
#define PROC_CGROUP_PATH_MAX 1024
#define PROC_CGROUP_ID_LEN 64

struct proc_cgroup {
	char path[PROC_CGROUP_PATH_MAX];
	char container_id[PROC_CGROUP_ID_LEN + 1];
};

/* Parses the text of a /proc/PID/cgroup (len bytes, NUL not needed). */
void proc_cgroup_parse(const char *text, size_t len, struct proc_cgroup *out);
/* Reads and parses /proc/PID/cgroup: 0, or -errno (*out is then empty). */
int proc_cgroup_read(pid_t pid, struct proc_cgroup *out);

#endif
