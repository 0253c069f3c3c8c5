// SPDX-License-Identifier: MIT
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/libbpf.h>

#include "gc_state.h"
#include "log.h"
#include "otel_usdt.h"
#include "target_file.h"

/* libmemtrace-sampler's default period (runtime/sampler/sampler.h). */
#define SAMPLER_DEFAULT_PERIOD 524288u

/*
 * The period to announce before any sample arrives: MEMTRACE_SAMPLE_BYTES
 * from the target's environment, as the sampler reads it, else its
 * default.  Only a label: the estimates use the weight each sample carries.
 */
static uint64_t announced_period(pid_t pid)
{
	char path[64], buf[65536];
	uint64_t period = SAMPLER_DEFAULT_PERIOD;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/environ", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return period;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return period;
	buf[n] = '\0';
	for (char *e = buf; e < buf + n; e += strlen(e) + 1) {
		char *end;
		unsigned long long v;

		if (strncmp(e, "MEMTRACE_SAMPLE_BYTES=", 22))
			continue;
		v = strtoull(e + 22, &end, 10);
		if (end != e + 22 && !*end && v >= 1 && v <= (1ull << 40))
			period = v;
	}
	return period;
}

static int attach_one(struct bpf_link **out, struct bpf_program *prog, pid_t pid, const char *host,
		      const char *name)
{
	*out = bpf_program__attach_usdt(prog, pid, host, "otel_memory", name, NULL);
	return *out ? 0 : (errno ? -errno : -EINVAL);
}

int otel_usdt_attach(struct otel_usdt *o, pid_t pid, struct bpf_program *alloc_prog,
		     struct bpf_program *free_prog, int verbose)
{
	struct maps m;
	int err = -ENOENT;

	if (otel_usdt_active(o))
		return 0;
	if (maps_read(pid, &m))
		return -ENOENT;
	for (size_t i = 0; i < m.n && err == -ENOENT; i++) {
		const struct mapping *mp = &m.v[i];
		char host[64];
		struct elf_scan s;

		if (!mp->exec || mp->path[0] != '/' || strstr(mp->path, " (deleted)"))
			continue;
		/* The mapped inode itself, whatever now sits at its path. */
		if (target_file_pin(pid, mp, host) || elf_scan(host, &s) || !s.otel_alloc || !s.otel_free)
			continue;
		err = attach_one(&o->alloc, alloc_prog, pid, host, "alloc");
		if (!err)
			err = attach_one(&o->free, free_prog, pid, host, "free");
		if (err) {
			log_error("cannot attach the otel_memory USDT probes in %s: %s", mp->path, strerror(-err));
			otel_usdt_detach(o);
			break;
		}
		snprintf(o->path, sizeof(o->path), "%s", mp->path);
		snprintf(o->host, sizeof(o->host), "%s", host);
		o->period = announced_period(pid);
		log_debug(verbose, 1, "otel_memory USDT probes in %s, period %llu", mp->path,
			  (unsigned long long)o->period);
	}
	maps_free(&m);
	return err;
}

int otel_usdt_attach_like(struct otel_usdt *o, pid_t pid, struct bpf_program *alloc_prog,
			  struct bpf_program *free_prog, const struct otel_usdt *from)
{
	int err;

	if (!otel_usdt_active(from))
		return 0;
	err = attach_one(&o->alloc, alloc_prog, pid, from->host, "alloc");
	if (!err)
		err = attach_one(&o->free, free_prog, pid, from->host, "free");
	if (err) {
		otel_usdt_detach(o);
		return err;
	}
	snprintf(o->path, sizeof(o->path), "%s", from->path);
	snprintf(o->host, sizeof(o->host), "%s", from->host);
	o->period = from->period;
	return 0;
}

void otel_usdt_detach(struct otel_usdt *o)
{
	bpf_link__destroy(o->alloc);
	bpf_link__destroy(o->free);
	o->alloc = o->free = NULL;
	o->path[0] = o->host[0] = '\0';
}

void otel_usdt_announce(const struct otel_usdt *o, pid_t pid, const char *comm, const char *gc, const char *end)
{
	char every[32];
	uint64_t p = o->period;

	if (p >= 1048576 && p % 1048576 == 0)
		snprintf(every, sizeof(every), "%llu MiB", (unsigned long long)(p / 1048576));
	else if (p >= 1024 && p % 1024 == 0)
		snprintf(every, sizeof(every), "%llu KiB", (unsigned long long)(p / 1024));
	else
		snprintf(every, sizeof(every), "%llu bytes", (unsigned long long)p);
	fprintf(stderr, "Tracing PID %d (%s): otel_memory USDT (sampled every %s) in %s%s%s. %s\n", (int)pid, comm,
		every, o->path, gc ? "; " : "", gc ? gc : "", end);
}
