// SPDX-License-Identifier: MIT
/*
 * Reading recordings (record.h has the format).  The input is hostile:
 * every length, count, size and index is checked before use, and nothing
 * is allocated beyond what the bytes present can describe.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "record.h"
#include "record_body.h"
#include "record_fault_lines.h"
#include "record_faults.h"
#include "record_gc.h"
#include "record_layout.h"
#include "record_go_heap.h"
#include "record_reach.h"
#include "strpool.h"

struct cur {
	const uint8_t *p, *end;
};

static size_t left(const struct cur *c)
{
	return (size_t)(c->end - c->p);
}

/* Each takes n bytes or fails without moving. */
static int take(struct cur *c, size_t n, const uint8_t **out)
{
	if (left(c) < n)
		return -EINVAL;
	*out = c->p;
	c->p += n;
	return 0;
}

static int get32(struct cur *c, uint32_t *v)
{
	const uint8_t *b = NULL;

	if (take(c, 4, &b))
		return -EINVAL;
	*v = rd32(b);
	return 0;
}

struct rd {
	struct mt_profile *p;
	const char **strs;
	uint32_t nstrs;
	struct cur sec[NTAGS];
	int have[NTAGS];
};

static int string_ref(const struct rd *r, uint32_t ref, const char **out)
{
	if (ref == RECORD_NO_STRING) {
		*out = NULL;
		return 0;
	}
	if (ref >= r->nstrs)
		return -EINVAL;
	*out = r->strs[ref];
	return 0;
}

static int read_strings(struct rd *r)
{
	struct cur c = r->sec[RECORD_STRINGS];
	char *tmp = NULL;
	size_t tmpcap = 0;
	uint32_t n;
	int err = -EINVAL;

	if (!r->have[RECORD_STRINGS])
		return 0;
	if (get32(&c, &n) || n > left(&c) / 4)
		return -EINVAL;
	r->strs = calloc(n ? n : 1, sizeof(*r->strs));
	if (!r->strs)
		return -ENOMEM;
	for (uint32_t i = 0; i < n; i++) {
		const uint8_t *s;
		uint32_t len;

		if (get32(&c, &len) || take(&c, len, &s) || memchr(s, 0, len))
			goto cleanup;
		if (len + 1 > tmpcap) {
			char *t = realloc(tmp, len + 1);

			if (!t) {
				err = -ENOMEM;
				goto cleanup;
			}
			tmp = t;
			tmpcap = len + 1;
		}
		memcpy(tmp, s, len);
		tmp[len] = '\0';
		r->strs[i] = profile_intern(r->p, tmp);
		if (!r->strs[i]) {
			err = -ENOMEM;
			goto cleanup;
		}
		r->nstrs = i + 1;
	}
	err = left(&c) ? -EINVAL : 0;
cleanup:
	free(tmp);
	return err;
}

static int read_meta(struct rd *r)
{
	struct cur c = r->sec[RECORD_META];
	struct mt_profile *p = r->p;
	uint64_t v[14];
	const uint8_t *b = NULL;

	if (!r->have[RECORD_META] || take(&c, META_V1_LEN, &b))
		return -EINVAL;
	p->pid = (int32_t)rd32(b);
	if (string_ref(r, rd32(b + 4), &p->command))
		return -EINVAL;
	for (int i = 0; i < 14; i++) /* start, duration, 7 totals, 5 drops */
		v[i] = rd64(b + 8 + 8 * i);
	p->start_realtime_ns = v[0];
	p->duration_ns = v[1];
	p->totals = (struct mt_totals){ v[2], v[3], v[4], v[5], v[6], v[7], v[8] };
	p->drops = (struct mt_drops){ v[9], v[10], v[12], v[13] }; /* v[11]: always 0 */
	if (take(&c, 8, &b) == 0)
		p->sample_bytes = rd64(b);
	if (take(&c, 16, &b) == 0) {
		p->untracked.allocs = rd64(b);
		p->untracked.frees_unmatched = rd64(b + 8);
	}
	if (take(&c, 8, &b) == 0 &&
	    (string_ref(r, rd32(b), &p->cgroup) || string_ref(r, rd32(b + 4), &p->container_id)))
		return -EINVAL;
	if (take(&c, 8, &b) == 0)
		p->start_mono_ns = rd64(b);
	if (take(&c, 8, &b) == 0)
		p->frees_unseen = rd64(b);
	if (take(&c, 16, &b) == 0) {
		p->frees_inherited = rd64(b);
		p->fork_parent = (int32_t)rd32(b + 8);
	}
	return 0;
}

/* count records of size >= min (checked) in what is left of c. */
static int table_header(struct cur *c, uint32_t min, uint32_t *count, uint32_t *size)
{
	if (get32(c, count) || get32(c, size) || *size < min || *size > MAX_RECORD_SIZE ||
	    *count > left(c) / *size)
		return -EINVAL;
	return 0;
}

static int read_modules(struct rd *r)
{
	struct cur c = r->sec[RECORD_MODULES];
	struct mt_profile *p = r->p;
	uint32_t n, size;

	if (!r->have[RECORD_MODULES])
		return 0;
	if (table_header(&c, MODULE_LEN, &n, &size))
		return -EINVAL;
	p->modules = calloc(n ? n : 1, sizeof(*p->modules));
	if (!p->modules)
		return -ENOMEM;
	for (uint32_t i = 0; i < n; i++) {
		struct mt_module *m = &p->modules[i];
		const uint8_t *b = NULL;

		if (take(&c, size, &b) || string_ref(r, rd32(b), &m->path) || string_ref(r, rd32(b + 4), &m->build_id))
			return -EINVAL;
		m->start = rd64(b + 8);
		m->limit = rd64(b + 16);
		m->file_offset = rd64(b + 24);
		p->nmodules = i + 1;
	}
	return 0;
}

/* n frames of fsize bytes each into a malloc'd array (NULL for none). */
static int read_frames(struct rd *r, struct cur *c, uint32_t fsize, uint32_t n, const struct mt_frame **out)
{
	struct mt_frame *f;

	if (n > left(c) / fsize)
		return -EINVAL;
	if (!n)
		return 0;
	f = calloc(n, sizeof(*f));
	if (!f)
		return -ENOMEM;
	*out = f; /* owned by the caller's profile from here */
	for (uint32_t k = 0; k < n; k++) {
		const uint8_t *b = NULL;
		int32_t mod;

		if (take(c, fsize, &b))
			return -EINVAL;
		f[k].addr = rd64(b);
		f[k].offset = rd64(b + 8);
		mod = (int32_t)rd32(b + 20);
		if (string_ref(r, rd32(b + 16), &f[k].function) || mod < -1 ||
		    (mod >= 0 && (size_t)mod >= r->p->nmodules))
			return -EINVAL;
		f[k].module = mod;
		/* Recordings before source lines have 24-byte frames: no lines. */
		if (fsize >= FRAME_LINES_LEN) {
			if (string_ref(r, rd32(b + 24), &f[k].file))
				return -EINVAL;
			f[k].line = rd32(b + 28);
			f[k].fn_line = rd32(b + 32);
			f[k].inlined = rd32(b + 36) & 1;
		}
	}
	return 0;
}

/* count, record size >= rmin, frame size >= FRAME_LEN, each record >= its size. */
static int frames_table_header(struct cur *c, uint32_t rmin, uint32_t *n, uint32_t *rsize, uint32_t *fsize)
{
	if (get32(c, n) || get32(c, rsize) || get32(c, fsize) || *rsize < rmin || *rsize > MAX_RECORD_SIZE ||
	    *fsize < FRAME_LEN || *fsize > MAX_RECORD_SIZE || *n > left(c) / *rsize)
		return -EINVAL;
	return 0;
}

static void get_site(const uint8_t *b, struct mt_site *s)
{
	s->nframes = rd32(b);
	s->alloc_count = rd64(b + 4);
	s->alloc_bytes = rd64(b + 12);
	s->inuse_count = rd64(b + 20);
	s->inuse_bytes = rd64(b + 28);
}

static int read_sites(struct rd *r)
{
	struct cur c = r->sec[RECORD_SITES];
	struct mt_profile *p = r->p;
	uint32_t n, ssize, fsize;

	if (!r->have[RECORD_SITES])
		return 0;
	if (frames_table_header(&c, SITE_LEN, &n, &ssize, &fsize))
		return -EINVAL;
	p->sites = calloc(n ? n : 1, sizeof(*p->sites));
	if (!p->sites)
		return -ENOMEM;
	for (uint32_t i = 0; i < n; i++) {
		struct mt_site *s = &p->sites[i];
		const uint8_t *b = NULL;
		int err;

		if (take(&c, ssize, &b))
			return -EINVAL;
		p->nsites = i + 1; /* from here profile_free frees its frames */
		get_site(b, s);
		err = read_frames(r, &c, fsize, s->nframes, &s->frames);
		if (err)
			return err;
	}
	return left(&c) ? -EINVAL : 0;
}

static double bits_double(uint64_t v)
{
	double d;

	memcpy(&d, &v, sizeof(d));
	return d;
}

static int read_alerts(struct rd *r)
{
	struct cur c = r->sec[RECORD_ALERTS];
	struct mt_profile *p = r->p;
	uint32_t n, asize, fsize;

	if (!r->have[RECORD_ALERTS])
		return 0;
	if (frames_table_header(&c, ALERT_LEN, &n, &asize, &fsize))
		return -EINVAL;
	p->alerts = calloc(n ? n : 1, sizeof(*p->alerts));
	if (!p->alerts)
		return -ENOMEM;
	for (uint32_t i = 0; i < n; i++) {
		struct mt_alert *a = &p->alerts[i];
		const uint8_t *b = NULL;
		uint32_t trend;
		int err;

		if (take(&c, asize, &b))
			return -EINVAL;
		p->nalerts = i + 1;
		a->t_ns = rd64(b);
		a->wall_ns = rd64(b + 8);
		a->rate_bytes_per_s = bits_double(rd64(b + 16));
		trend = rd32(b + 24);
		if (trend > MT_TREND_FLUCTUATING)
			return -EINVAL;
		a->trend = (enum mt_trend)trend;
		a->oldest_age_ns = rd64(b + 28);
		get_site(b + 36, &a->site);
		err = read_frames(r, &c, fsize, a->site.nframes, &a->site.frames);
		if (err)
			return err;
	}
	return left(&c) ? -EINVAL : 0;
}

static int read_leaks(struct rd *r)
{
	struct cur c = r->sec[RECORD_LEAKS];
	struct mt_profile *p = r->p;
	uint32_t n, lsize, fsize;

	if (!r->have[RECORD_LEAKS])
		return 0;
	if (frames_table_header(&c, LEAK_LEN, &n, &lsize, &fsize))
		return -EINVAL;
	p->leaks = calloc(n ? n : 1, sizeof(*p->leaks));
	if (!p->leaks)
		return -ENOMEM;
	for (uint32_t i = 0; i < n; i++) {
		struct mt_leak *l = &p->leaks[i];
		const uint8_t *b = NULL;
		int err;

		if (take(&c, lsize, &b))
			return -EINVAL;
		p->nleaks = i + 1;
		l->nframes = rd32(b);
		l->count = rd64(b + 4);
		l->bytes = rd64(b + 12);
		l->oldest_age_ns = rd64(b + 20);
		err = read_frames(r, &c, fsize, l->nframes, &l->frames);
		if (err)
			return err;
	}
	return left(&c) ? -EINVAL : 0;
}

static int read_series(struct rd *r)
{
	struct cur c = r->sec[RECORD_SERIES];
	struct mt_profile *p = r->p;
	uint32_t n, size;

	if (!r->have[RECORD_SERIES])
		return 0;
	if (table_header(&c, SAMPLE_LEN, &n, &size))
		return -EINVAL;
	p->series = calloc(n ? n : 1, sizeof(*p->series));
	if (!p->series)
		return -ENOMEM;
	for (uint32_t i = 0; i < n; i++) {
		const uint8_t *b = NULL;

		if (take(&c, size, &b))
			return -EINVAL;
		p->series[i] = (struct mt_sample){
			.t_ns = rd64(b),
			.inuse_bytes = rd64(b + 8),
			.inuse_count = rd64(b + 16),
			.alloc_bytes = rd64(b + 24),
			.alloc_count = rd64(b + 32),
			.free_bytes = rd64(b + 40),
			.free_count = rd64(b + 48),
			.rss_bytes = rd64(b + 56),
			.frees_unseen = size >= SAMPLE_WRITE_LEN ? rd64(b + 64) : 0,
		};
	}
	p->nseries = n;
	return 0;
}

int record_is_recording(const void *buf, size_t len)
{
	size_t n = len < RECORD_MAGIC_LEN ? len : RECORD_MAGIC_LEN;

	return len > 0 && memcmp(buf, RECORD_MAGIC, n) == 0;
}

unsigned record_version(const void *buf, size_t len)
{
	const uint8_t *b = buf;

	return len < 8 ? 0 : (unsigned)b[6] | (unsigned)b[7] << 8;
}

int record_decode(const void *buf, size_t len, struct mt_profile *out)
{
	const uint8_t *b = buf;
	struct rd r = { .p = out };
	struct record_section secs[NTAGS];
	uint64_t clen, ulen;
	int err;

	memset(out, 0, sizeof(*out));
	if (!record_is_recording(buf, len))
		return -ENOEXEC;
	if (len < 8)
		return -ENODATA;
	if (b[5] != 0x1a)
		return -ENOEXEC;
	if (record_version(buf, len) != RECORD_VERSION)
		return -EPROTONOSUPPORT;
	if (len < RECORD_HEADER_LEN)
		return -ENODATA;
	if (rd32(b + 32) != (uint32_t)crc32(0, b, 32))
		return -EBADMSG;
	clen = rd64(b + 16);
	ulen = rd64(b + 24);
	if (clen > RECORD_READ_MAX || ulen > RECORD_READ_MAX)
		return -EFBIG;
	if (len - RECORD_HEADER_LEN < clen)
		return -ENODATA;
	if (len - RECORD_HEADER_LEN > clen)
		return -EINVAL; /* trailing bytes: not what we wrote */
	if (rd32(b + 12) != (uint32_t)crc32(0, b + RECORD_HEADER_LEN, (uInt)clen))
		return -EBADMSG;
	/* Streamed and split as it inflates: memory follows real bytes, not ulen. */
	err = record_body_split(b + RECORD_HEADER_LEN, (size_t)clen, ulen, secs, NTAGS);
	for (int t = 0; !err && t < NTAGS; t++) {
		r.have[t] = secs[t].have;
		r.sec[t] = (struct cur){ secs[t].p, secs[t].p + secs[t].len };
	}
	if (!err)
		err = read_strings(&r);
	if (!err)
		err = read_meta(&r);
	if (!err)
		err = read_modules(&r);
	if (!err)
		err = read_sites(&r);
	if (!err)
		err = read_series(&r);
	if (!err)
		err = read_alerts(&r);
	if (!err)
		err = read_leaks(&r);
	if (!err && r.have[RECORD_GC])
		err = record_gc_decode(r.sec[RECORD_GC].p, (size_t)(r.sec[RECORD_GC].end - r.sec[RECORD_GC].p),
				       &out->gc);
	if (!err && r.have[RECORD_FAULTS])
		err = record_faults_decode(r.sec[RECORD_FAULTS].p,
					   (size_t)(r.sec[RECORD_FAULTS].end - r.sec[RECORD_FAULTS].p), out, &out->faults);
	if (!err && out->faults && r.have[RECORD_FAULT_LINES])
		err = record_fault_lines_decode(r.sec[RECORD_FAULT_LINES].p,
						(size_t)(r.sec[RECORD_FAULT_LINES].end - r.sec[RECORD_FAULT_LINES].p),
						out, out->faults);
	if (!err && r.have[RECORD_REACH])
		err = record_reach_decode(r.sec[RECORD_REACH].p, (size_t)(r.sec[RECORD_REACH].end - r.sec[RECORD_REACH].p),
					  out);
	if (!err && r.have[RECORD_GO_HEAP])
		err = record_go_heap_decode(r.sec[RECORD_GO_HEAP].p,
					    (size_t)(r.sec[RECORD_GO_HEAP].end - r.sec[RECORD_GO_HEAP].p), out);
	free(r.strs);
	record_body_free(secs, NTAGS);
	if (err)
		profile_free(out);
	return err;
}

/* The whole file, refusing more than a header and RECORD_READ_MAX bytes. */
static int slurp(const char *path, uint8_t **buf, size_t *len)
{
	const size_t max = RECORD_READ_MAX + RECORD_HEADER_LEN;
	size_t cap = 65536, n = 0;
	uint8_t *b = NULL;
	struct stat st;
	int fd, err = 0;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0)
		cap = (uint64_t)st.st_size < max ? (size_t)st.st_size + 1 : max + 1;
	b = malloc(cap);
	if (!b) {
		err = -ENOMEM;
		goto cleanup;
	}
	for (;;) {
		ssize_t r;

		if (n == cap) {
			uint8_t *nb;

			if (cap > max) {
				err = -EFBIG;
				goto cleanup;
			}
			cap = cap * 2 > max + 1 ? max + 1 : cap * 2;
			nb = realloc(b, cap);
			if (!nb) {
				err = -ENOMEM;
				goto cleanup;
			}
			b = nb;
		}
		r = read(fd, b + n, cap - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			err = -errno;
			goto cleanup;
		}
		if (r == 0)
			break;
		n += (size_t)r;
	}
cleanup:
	close(fd);
	if (err) {
		free(b);
		return err;
	}
	*buf = b;
	*len = n;
	return 0;
}

int record_read(const char *path, struct mt_profile *out)
{
	uint8_t *buf = NULL;
	size_t len = 0;
	int err;

	memset(out, 0, sizeof(*out));
	err = slurp(path, &buf, &len);
	if (err)
		return err;
	err = record_decode(buf, len, out);
	free(buf);
	return err;
}
