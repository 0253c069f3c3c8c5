// SPDX-License-Identifier: MIT
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/libbpf.h>

#include "gc_state.h"
#include "grow.h"
#include "log.h"
#include "otel_usdt.h"
#include "target_file.h"

/* libmemtrace-sampler's and refgc's default period (runtime/sampler/sampler.h,
 * runtime/sample.h). */
#define SAMPLER_DEFAULT_PERIOD 524288u

/*
 * The period to announce before any sample arrives: MEMTRACE_SAMPLE_BYTES
 * (REFGC_SAMPLE_BYTES for refgc, which may carry a KiB/MiB suffix) from
 * the target's environment, as the provider reads it, else the default
 * both share.  Only a label: the estimates use the weight each sample
 * carries.
 */
static uint64_t announced_period(pid_t pid, const char *var)
{
	size_t len = strlen(var);
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

		if (strncmp(e, var, len) || e[len] != '=')
			continue;
		v = strtoull(e + len + 1, &end, 10);
		if (!strcmp(end, "KiB"))
			v <<= 10, end += 3;
		else if (!strcmp(end, "MiB"))
			v <<= 20, end += 3;
		if (end != e + len + 1 && !*end && v >= 1 && v <= (1ull << 40))
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

/* Whether the object was looked at before; if not, it is from now on (a
 * full list only means it may be looked at again). */
static bool seen_before(struct otel_usdt *o, const struct mapping *mp)
{
	for (size_t i = 0; i < o->nseen; i++)
		if (o->seen[i][0] == mp->dev && o->seen[i][1] == mp->inode)
			return true;
	if (!grow((void **)&o->seen, &o->seen_cap, o->nseen, sizeof(*o->seen), 16)) {
		o->seen[o->nseen][0] = mp->dev;
		o->seen[o->nseen][1] = mp->inode;
		o->nseen++;
	}
	return false;
}

/* Whether mp is an object not looked at before that has both probes;
 * host: the path to attach through (the mapped inode itself, whatever
 * now sits at its path). */
/* Whether mp is an object not looked at before that has both probes; if
 * so, *refgc says whether the provider is refgc (its own period variable). */
static bool new_with_probes(struct otel_usdt *o, pid_t pid, const struct mapping *mp, char host[64], bool *refgc)
{
	struct elf_scan s;

	if (!mp->exec || mp->path[0] != '/' || strstr(mp->path, " (deleted)") || seen_before(o, mp))
		return false;
	if (target_file_pin(pid, mp, host) || elf_scan(host, &s) || !s.otel_alloc || !s.otel_free)
		return false;
	*refgc = s.refgc_mask != 0;
	return true;
}

/* Both probes of one object, or neither. */
static int attach_pair(struct bpf_link **alloc, struct bpf_link **free, struct bpf_program *alloc_prog,
		       struct bpf_program *free_prog, pid_t pid, const char *host)
{
	int err = attach_one(alloc, alloc_prog, pid, host, "alloc");

	if (!err)
		err = attach_one(free, free_prog, pid, host, "free");
	if (err) {
		bpf_link__destroy(*alloc);
		*alloc = *free = NULL;
	}
	return err;
}

/* The object's probes into o: the first object's fields, else a new more[]. */
static int attach_object(struct otel_usdt *o, pid_t pid, const char *host, const char *path, const char *var,
			 struct bpf_program *alloc_prog, struct bpf_program *free_prog)
{
	struct otel_usdt_obj *m;
	int err;

	if (!otel_usdt_active(o)) {
		err = attach_pair(&o->alloc, &o->free, alloc_prog, free_prog, pid, host);
		if (!err) {
			snprintf(o->path, sizeof(o->path), "%s", path);
			snprintf(o->host, sizeof(o->host), "%s", host);
			o->period = announced_period(pid, var);
		}
		return err;
	}
	if (grow((void **)&o->more, &o->more_cap, o->nmore, sizeof(*o->more), 4))
		return -ENOMEM;
	m = &o->more[o->nmore];
	err = attach_pair(&m->alloc, &m->free, alloc_prog, free_prog, pid, host);
	if (!err) {
		snprintf(m->path, sizeof(m->path), "%s", path);
		snprintf(m->host, sizeof(m->host), "%s", host);
		o->nmore++;
	}
	return err;
}

int otel_usdt_attach(struct otel_usdt *o, pid_t pid, struct bpf_program *alloc_prog,
		     struct bpf_program *free_prog, int verbose)
{
	struct maps m;
	int err = 0;

	if (maps_read(pid, &m))
		return otel_usdt_active(o) ? 0 : -ENOENT;
	for (size_t i = 0; i < m.n && !err; i++) {
		const struct mapping *mp = &m.v[i];
		char host[64];
		bool refgc;

		if (!new_with_probes(o, pid, mp, host, &refgc))
			continue;
		err = attach_object(o, pid, host, mp->path, refgc ? "REFGC_SAMPLE_BYTES" : "MEMTRACE_SAMPLE_BYTES",
				    alloc_prog, free_prog);
		if (err)
			log_error("cannot attach the otel_memory USDT probes in %s: %s (its sampled allocations "
				  "are not traced)",
				  mp->path, strerror(-err));
		else
			log_debug(verbose, 1, "otel_memory USDT probes in %s, period %llu", mp->path,
				  (unsigned long long)o->period);
	}
	maps_free(&m);
	if (err && !otel_usdt_active(o))
		return err;
	return otel_usdt_active(o) ? 0 : -ENOENT;
}

int otel_usdt_find_new(struct otel_usdt *o, pid_t pid, char *path, size_t n)
{
	struct maps m;
	int found = 0;

	if (maps_read(pid, &m))
		return 0;
	for (size_t i = 0; i < m.n && !found; i++) {
		char host[64];

		bool refgc;

		if (new_with_probes(o, pid, &m.v[i], host, &refgc)) {
			snprintf(path, n, "%s", m.v[i].path);
			found = 1;
		}
	}
	maps_free(&m);
	return found;
}

int otel_usdt_attach_like(struct otel_usdt *o, pid_t pid, struct bpf_program *alloc_prog,
			  struct bpf_program *free_prog, const struct otel_usdt *from)
{
	int err;

	if (!otel_usdt_active(from))
		return 0;
	err = attach_pair(&o->alloc, &o->free, alloc_prog, free_prog, pid, from->host);
	if (!err) {
		snprintf(o->path, sizeof(o->path), "%s", from->path);
		snprintf(o->host, sizeof(o->host), "%s", from->host);
		o->period = from->period;
	}
	for (size_t i = 0; i < from->nmore && !err; i++) {
		struct otel_usdt_obj *m;

		err = grow((void **)&o->more, &o->more_cap, o->nmore, sizeof(*o->more), 4);
		if (err)
			break;
		m = &o->more[o->nmore];
		err = attach_pair(&m->alloc, &m->free, alloc_prog, free_prog, pid, from->more[i].host);
		if (!err) {
			snprintf(m->path, sizeof(m->path), "%s", from->more[i].path);
			snprintf(m->host, sizeof(m->host), "%s", from->more[i].host);
			o->nmore++;
		}
	}
	if (err)
		otel_usdt_detach(o);
	return err;
}

void otel_usdt_detach(struct otel_usdt *o)
{
	bpf_link__destroy(o->alloc);
	bpf_link__destroy(o->free);
	o->alloc = o->free = NULL;
	o->path[0] = o->host[0] = '\0';
	for (size_t i = 0; i < o->nmore; i++) {
		bpf_link__destroy(o->more[i].alloc);
		bpf_link__destroy(o->more[i].free);
	}
	free(o->more);
	free(o->seen);
	o->more = NULL;
	o->seen = NULL;
	o->nmore = o->more_cap = o->nseen = o->seen_cap = 0;
}

static void format_every(uint64_t p, char *every, size_t n)
{
	if (p >= 1048576 && p % 1048576 == 0)
		snprintf(every, n, "%llu MiB", (unsigned long long)(p / 1048576));
	else if (p >= 1024 && p % 1024 == 0)
		snprintf(every, n, "%llu KiB", (unsigned long long)(p / 1024));
	else
		snprintf(every, n, "%llu bytes", (unsigned long long)p);
}

void otel_usdt_announce(const struct otel_usdt *o, pid_t pid, const char *comm, const char *gc, const char *end)
{
	char every[32];

	format_every(o->period, every, sizeof(every));
	fprintf(stderr, "Tracing PID %d (%s): otel_memory USDT (sampled every %s) in %s%s%s. %s\n", (int)pid, comm,
		every, o->path, gc ? "; " : "", gc ? gc : "", end);
}

void otel_usdt_announce_more(const struct otel_usdt *o, size_t i, pid_t pid, const char *comm)
{
	char every[32];

	format_every(o->period, every, sizeof(every));
	fprintf(stderr, "Also tracing PID %d (%s): otel_memory USDT (sampled every %s) in %s\n", (int)pid, comm, every,
		o->more[i].path);
}
