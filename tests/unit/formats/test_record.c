// SPDX-License-Identifier: MIT
#include <criterion/criterion.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "../../writers/testprof.h"
#include "record.h"

static struct mt_frame *frames_copy(const struct mt_site *s)
{
	struct mt_frame *f = calloc(s->nframes ? s->nframes : 1, sizeof(*f));

	memcpy(f, s->frames, s->nframes * sizeof(*f));
	return f;
}

static void sample(struct mt_profile *p)
{
	struct mt_frame *f;

	tp_init(p, 3);
	tp_site(p, "main;parse;xmalloc", 3 << 20, 3, 4 << 20, 10);
	tp_site(p, "main;handle;std::vector<int>::push_back;operator new", 1 << 20, 1024, 8 << 20, 8192);
	tp_site(p, "main;?1;?-;leak", 512, 2, 512, 2);
	tp_site(p, "main;?2;freed", 0, 0, 64, 1);
	tp_site(p, "", 5, 5, 5, 5); /* a site with no frames */
	/* An empty (not NULL) function name, and a huge module-less address. */
	f = (struct mt_frame *)p->sites[0].frames;
	f[1].function = profile_intern(p, "");
	f[2].addr = UINT64_MAX;
	p->totals = (struct mt_totals){ 1, 2, 3, 4, 5, 6, 7 };
	p->drops = (struct mt_drops){ 8, 9, 11, 12 };
	p->untracked.allocs = 13;
	p->untracked.frees_unmatched = 14;
	p->frees_unseen = 15;
	p->frees_inherited = 16;
	p->fork_parent = 4242;
	p->pid = -5;
	p->start_mono_ns = 123456789012345;
	p->cgroup = profile_intern(p, "/system.slice/docker-0123.scope");
	p->container_id = profile_intern(p, "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef");
	p->nseries = 3;
	p->series = calloc(3, sizeof(*p->series));
	for (size_t i = 0; i < 3; i++)
		p->series[i] = (struct mt_sample){ .t_ns = i * 1000, .inuse_bytes = 100 * i, .inuse_count = i,
						   .alloc_bytes = 200 * i, .alloc_count = 2 * i,
						   .free_bytes = 100 * i, .free_count = i + 7,
						   .rss_bytes = i ? 4096 * i : 0 };
	p->nalerts = 2;
	p->alerts = calloc(2, sizeof(*p->alerts));
	for (size_t i = 0; i < 2; i++) {
		p->alerts[i] = (struct mt_alert){ .t_ns = 10 + i, .wall_ns = 20 + i, .rate_bytes_per_s = 1.5 * (double)i - 0.25,
						  .trend = (enum mt_trend)(i + 1), .oldest_age_ns = 30 + i };
		p->alerts[i].site = p->sites[i];
		p->alerts[i].site.frames = frames_copy(&p->sites[i]);
	}
	p->nleaks = 1;
	p->leaks = calloc(1, sizeof(*p->leaks));
	p->leaks[0] = (struct mt_leak){ .frames = frames_copy(&p->sites[2]), .nframes = p->sites[2].nframes,
					.count = 2, .bytes = 512, .oldest_age_ns = 99 };
}

static void assert_str(const char *a, const char *b, const char *what)
{
	if (a)
		cr_assert(b && strcmp(a, b) == 0, "%s: '%s' != '%s'", what, a, b ? b : "(null)");
	else
		cr_assert_null(b, "%s: NULL became '%s'", what, b);
}

static void assert_frames(const struct mt_frame *a, const struct mt_frame *b, uint32_t n)
{
	for (uint32_t k = 0; k < n; k++) {
		cr_assert_eq(a[k].addr, b[k].addr);
		cr_assert_eq(a[k].offset, b[k].offset);
		cr_assert_eq(a[k].module, b[k].module);
		assert_str(a[k].function, b[k].function, "function");
	}
}

static void assert_site(const struct mt_site *x, const struct mt_site *y)
{
	cr_assert_eq(x->nframes, y->nframes);
	cr_assert_eq(x->alloc_count, y->alloc_count);
	cr_assert_eq(x->alloc_bytes, y->alloc_bytes);
	cr_assert_eq(x->inuse_count, y->inuse_count);
	cr_assert_eq(x->inuse_bytes, y->inuse_bytes);
	assert_frames(x->frames, y->frames, x->nframes);
}

static void assert_same(const struct mt_profile *a, const struct mt_profile *b)
{
	cr_assert_eq(a->pid, b->pid);
	assert_str(a->command, b->command, "command");
	assert_str(a->cgroup, b->cgroup, "cgroup");
	assert_str(a->container_id, b->container_id, "container_id");
	cr_assert_eq(a->start_realtime_ns, b->start_realtime_ns);
	cr_assert_eq(a->start_mono_ns, b->start_mono_ns);
	cr_assert_eq(a->duration_ns, b->duration_ns);
	cr_assert_eq(memcmp(&a->totals, &b->totals, sizeof(a->totals)), 0);
	cr_assert_eq(memcmp(&a->drops, &b->drops, sizeof(a->drops)), 0);
	cr_assert_eq(a->untracked.allocs, b->untracked.allocs);
	cr_assert_eq(a->untracked.frees_unmatched, b->untracked.frees_unmatched);
	cr_assert_eq(a->frees_unseen, b->frees_unseen);
	cr_assert_eq(a->frees_inherited, b->frees_inherited);
	cr_assert_eq(a->fork_parent, b->fork_parent);
	cr_assert_eq(a->nmodules, b->nmodules);
	for (size_t i = 0; i < a->nmodules; i++) {
		assert_str(a->modules[i].path, b->modules[i].path, "module path");
		assert_str(a->modules[i].build_id, b->modules[i].build_id, "build id");
		cr_assert_eq(a->modules[i].start, b->modules[i].start);
		cr_assert_eq(a->modules[i].limit, b->modules[i].limit);
		cr_assert_eq(a->modules[i].file_offset, b->modules[i].file_offset);
	}
	cr_assert_eq(a->nsites, b->nsites);
	for (size_t i = 0; i < a->nsites; i++)
		assert_site(&a->sites[i], &b->sites[i]);
	cr_assert_eq(a->nseries, b->nseries);
	if (a->nseries)
		cr_assert_eq(memcmp(a->series, b->series, a->nseries * sizeof(*a->series)), 0);
	cr_assert_eq(a->nalerts, b->nalerts);
	for (size_t i = 0; i < a->nalerts; i++) {
		const struct mt_alert *x = &a->alerts[i], *y = &b->alerts[i];

		cr_assert_eq(x->t_ns, y->t_ns);
		cr_assert_eq(x->wall_ns, y->wall_ns);
		cr_assert_eq(memcmp(&x->rate_bytes_per_s, &y->rate_bytes_per_s, sizeof(double)), 0);
		cr_assert_eq(x->trend, y->trend);
		cr_assert_eq(x->oldest_age_ns, y->oldest_age_ns);
		assert_site(&x->site, &y->site);
	}
	cr_assert_eq(a->nleaks, b->nleaks);
	for (size_t i = 0; i < a->nleaks; i++) {
		cr_assert_eq(a->leaks[i].nframes, b->leaks[i].nframes);
		cr_assert_eq(a->leaks[i].count, b->leaks[i].count);
		cr_assert_eq(a->leaks[i].bytes, b->leaks[i].bytes);
		cr_assert_eq(a->leaks[i].oldest_age_ns, b->leaks[i].oldest_age_ns);
		assert_frames(a->leaks[i].frames, b->leaks[i].frames, a->leaks[i].nframes);
	}
}

/* The recording of p, in memory. */
static unsigned char *encode(const struct mt_profile *p, size_t *len)
{
	FILE *f = tmpfile();
	unsigned char *buf;
	long n;

	cr_assert_not_null(f);
	cr_assert_eq(record_encode(p, f), 0);
	n = ftell(f);
	cr_assert_gt(n, RECORD_HEADER_LEN);
	buf = malloc((size_t)n);
	rewind(f);
	cr_assert_eq(fread(buf, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	*len = (size_t)n;
	return buf;
}

static uint64_t rd64(const unsigned char *b)
{
	uint64_t v = 0;

	for (int i = 7; i >= 0; i--)
		v = v << 8 | b[i];
	return v;
}

static void wr32(unsigned char *b, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		b[i] = (unsigned char)(v >> (8 * i));
}

static void wr64(unsigned char *b, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		b[i] = (unsigned char)(v >> (8 * i));
}

/* The uncompressed body of a recording. */
static unsigned char *body_of(const unsigned char *file, size_t *ulen)
{
	uLongf n = (uLongf)rd64(file + 24);
	unsigned char *body = malloc(n ? n : 1);

	cr_assert_eq(uncompress(body, &n, file + RECORD_HEADER_LEN, (uLong)rd64(file + 16)), Z_OK);
	*ulen = n;
	return body;
}

/* A well-formed file (right sizes and checksums) around any body. */
static unsigned char *wrap(const unsigned char *body, size_t ulen, size_t *len)
{
	uLongf clen = compressBound(ulen);
	unsigned char *file = malloc(RECORD_HEADER_LEN + clen);

	cr_assert_eq(compress(file + RECORD_HEADER_LEN, &clen, body, ulen), Z_OK);
	memset(file, 0, RECORD_HEADER_LEN);
	memcpy(file, "MTREC\x1a\x01\x00", 8);
	wr32(file + 12, (uint32_t)crc32(0, file + RECORD_HEADER_LEN, (uInt)clen));
	wr64(file + 16, clen);
	wr64(file + 24, ulen);
	wr32(file + 32, (uint32_t)crc32(0, file, 32));
	*len = RECORD_HEADER_LEN + clen;
	return file;
}

Test(record, round_trip_every_field)
{
	struct mt_profile p, back;
	char path[] = "/tmp/mt-record-XXXXXX";
	int fd = mkstemp(path);

	cr_assert_geq(fd, 0);
	close(fd);
	sample(&p);
	cr_assert_eq(record_write(path, &p), 0);
	cr_assert_eq(record_read(path, &back), 0);
	assert_same(&p, &back);
	cr_assert_null(back.sites[4].frames);
	unlink(path);
	profile_free(&back);
	profile_free(&p);
}

Test(record, round_trip_empty_profile)
{
	struct mt_profile p = { 0 }, back;
	unsigned char *buf;
	size_t len;

	buf = encode(&p, &len);
	cr_assert_eq(record_decode(buf, len, &back), 0);
	assert_same(&p, &back);
	cr_assert_null(back.command);
	profile_free(&back);
	free(buf);
}

Test(record, strings_are_stored_once)
{
	struct mt_profile p;
	unsigned char *buf, *body;
	size_t len, ulen;
	int hits = 0;

	tp_init(&p, 1);
	for (int i = 0; i < 50; i++)
		tp_site(&p, "main;a_rather_long_function_name_to_count;leaf", 1, 1, 1, 1);
	buf = encode(&p, &len);
	body = body_of(buf, &ulen);
	for (size_t i = 0; i + 10 <= ulen; i++)
		hits += memcmp(body + i, "a_rather_l", 10) == 0;
	cr_assert_eq(hits, 1);
	free(body);
	free(buf);
	profile_free(&p);
}

Test(record, write_is_atomic_and_reports_errors)
{
	struct mt_profile p, back;
	char dir[] = "/tmp/mt-record-dir-XXXXXX", path[256];
	struct stat st;
	int n = 0;

	cr_assert_not_null(mkdtemp(dir));
	sample(&p);
	snprintf(path, sizeof(path), "%s/out.mtrec", dir);
	cr_assert_eq(record_write(path, &p), 0);
	cr_assert_eq(stat(path, &st), 0);
	/* Nothing but the recording is left in the directory. */
	DIR *d = opendir(dir);
	for (struct dirent *e; (e = readdir(d));)
		n += e->d_name[0] != '.';
	closedir(d);
	cr_assert_eq(n, 1);
	snprintf(path, sizeof(path), "%s/missing/out.mtrec", dir);
	cr_assert_eq(record_write(path, &p), -ENOENT);
	cr_assert_eq(record_read(path, &back), -ENOENT);
	cr_assert_null(back.sites);
	snprintf(path, sizeof(path), "rm -rf %s", dir);
	cr_assert_eq(system(path), 0);
	profile_free(&p);
}

Test(record, errors_by_cause)
{
	struct mt_profile p, back;
	unsigned char *buf, *bad;
	size_t len;

	sample(&p);
	buf = encode(&p, &len);
	bad = malloc(len + 1);

	memcpy(bad, buf, len);
	memcpy(bad, "MTRAC", 5);
	cr_assert_eq(record_decode(bad, len, &back), -ENOEXEC);
	cr_assert_eq(record_decode("\x1f\x8b\x08", 3, &back), -ENOEXEC);
	cr_assert_eq(record_decode("", 0, &back), -ENOEXEC);

	memcpy(bad, buf, len);
	bad[6] = 2;
	cr_assert_eq(record_decode(bad, len, &back), -EPROTONOSUPPORT);
	cr_assert_eq(record_version(bad, len), 2);
	bad[6] = 0;
	bad[7] = 1;
	cr_assert_eq(record_decode(bad, len, &back), -EPROTONOSUPPORT);
	cr_assert_eq(record_version(bad, len), 256);

	cr_assert_eq(record_decode(buf, 3, &back), -ENODATA);
	cr_assert_eq(record_decode(buf, RECORD_HEADER_LEN - 1, &back), -ENODATA);
	cr_assert_eq(record_decode(buf, len - 1, &back), -ENODATA);

	memcpy(bad, buf, len);
	bad[len - 3] ^= 0x10;
	cr_assert_eq(record_decode(bad, len, &back), -EBADMSG);
	memcpy(bad, buf, len);
	bad[20] ^= 0x01; /* a length in the header */
	cr_assert_eq(record_decode(bad, len, &back), -EBADMSG);

	memcpy(bad, buf, len);
	bad[len] = 0;
	cr_assert_eq(record_decode(bad, len + 1, &back), -EINVAL);
	cr_assert_eq(back.nsites, 0);
	cr_assert_null(back.strings);

	cr_assert_eq(record_decode(buf, len, &back), 0);
	profile_free(&back);
	free(bad);
	free(buf);
	profile_free(&p);
}

/* Appends a section header to a hand-built body. */
static size_t section(unsigned char *b, size_t at, uint32_t tag, uint64_t len)
{
	wr32(b + at, tag);
	wr64(b + at + 4, len);
	return at + 12;
}

Test(record, skips_unknown_sections_and_longer_records)
{
	unsigned char body[1024] = { 0 }, *file;
	struct mt_profile back;
	size_t at = 0, len;

	/* A future writer: an unknown section first, records 8 bytes longer. */
	at = section(body, at, 42, 5);
	memcpy(body + at, "later", 5);
	at += 5;
	at = section(body, at, RECORD_STRINGS, 4 + 4 + 3);
	wr32(body + at, 1);
	wr32(body + at + 4, 3);
	memcpy(body + at + 8, "foo", 3);
	at += 11;
	at = section(body, at, RECORD_META, 120 + 8);
	wr32(body + at, 4242);
	wr32(body + at + 4, 0);
	wr64(body + at + 8 + 8 * 6, 777); /* totals.inuse_count */
	at += 128;
	at = section(body, at, RECORD_SITES, 12 + 44 + 32);
	wr32(body + at, 1);
	wr32(body + at + 4, 44);
	wr32(body + at + 8, 32);
	at += 12;
	wr32(body + at, 1);           /* nframes */
	wr64(body + at + 28, 4096);   /* inuse_bytes */
	at += 44;
	wr64(body + at, 0x1234);      /* addr */
	wr32(body + at + 16, 0);      /* function "foo" */
	wr32(body + at + 20, 0xffffffffu); /* no module */
	at += 32;
	at = section(body, at, 43, 0);
	file = wrap(body, at, &len);
	cr_assert_eq(record_decode(file, len, &back), 0);
	cr_assert_eq(back.pid, 4242);
	cr_assert_str_eq(back.command, "foo");
	cr_assert_eq(back.totals.inuse_count, 777);
	cr_assert_eq(back.nmodules, 0);
	cr_assert_eq(back.nseries, 0);
	cr_assert_eq(back.nsites, 1);
	cr_assert_eq(back.sites[0].inuse_bytes, 4096);
	cr_assert_eq(back.sites[0].frames[0].addr, 0x1234);
	cr_assert_str_eq(back.sites[0].frames[0].function, "foo");
	cr_assert_eq(back.sites[0].frames[0].module, -1);
	profile_free(&back);
	free(file);
}

Test(record, rejects_inconsistent_bodies)
{
	unsigned char body[512] = { 0 }, *file;
	struct mt_profile back;
	size_t at, len;

	/* No META. */
	at = section(body, 0, RECORD_STRINGS, 4);
	file = wrap(body, at, &len);
	cr_assert_eq(record_decode(file, len, &back), -EINVAL);
	free(file);
	/* META twice. */
	memset(body, 0, sizeof(body));
	at = section(body, 0, RECORD_META, 120);
	at = section(body, at + 120, RECORD_META, 120);
	file = wrap(body, at + 120, &len);
	cr_assert_eq(record_decode(file, len, &back), -EINVAL);
	free(file);
	/* A command string ref past the (absent) string table. */
	memset(body, 0, sizeof(body));
	at = section(body, 0, RECORD_META, 120);
	wr32(body + at + 4, 3);
	file = wrap(body, at + 120, &len);
	cr_assert_eq(record_decode(file, len, &back), -EINVAL);
	free(file);
	/* A section longer than the body. */
	memset(body, 0, sizeof(body));
	at = section(body, 0, RECORD_META, 4000);
	file = wrap(body, at + 120, &len);
	cr_assert_eq(record_decode(file, len, &back), -EINVAL);
	free(file);
	/* A site count the section cannot hold. */
	memset(body, 0, sizeof(body));
	at = section(body, 0, RECORD_META, 120);
	wr32(body + at + 4, RECORD_NO_STRING);
	at = section(body, at + 120, RECORD_SITES, 12);
	wr32(body + at, 0x7fffffff);
	wr32(body + at + 4, 36);
	wr32(body + at + 8, 24);
	file = wrap(body, at + 12, &len);
	cr_assert_eq(record_decode(file, len, &back), -EINVAL);
	free(file);
}

/* Any decode result must be an error with an empty profile, or a sane profile. */
static int check_decode(const unsigned char *buf, size_t len)
{
	struct mt_profile back;
	int rc = record_decode(buf, len, &back);

	if (rc) {
		cr_assert(back.nsites == 0 && back.strings == NULL && back.modules == NULL && back.series == NULL &&
			  back.alerts == NULL && back.leaks == NULL);
		return rc;
	}
	for (size_t i = 0; i < back.nsites; i++)
		for (uint32_t k = 0; k < back.sites[i].nframes; k++) {
			const struct mt_frame *f = &back.sites[i].frames[k];

			cr_assert(f->module >= -1 && f->module < (int32_t)back.nmodules);
			if (f->function)
				(void)strlen(f->function);
		}
	for (size_t i = 0; i < back.nmodules; i++)
		if (back.modules[i].path)
			(void)strlen(back.modules[i].path);
	profile_free(&back);
	return 0;
}

Test(record, fuzz_prefixes_and_bit_flips)
{
	struct mt_profile p;
	unsigned char *buf, *bad, *body, *file;
	size_t len, ulen, flen;
	int ok = 0;

	sample(&p);
	buf = encode(&p, &len);
	/* Every proper prefix is an error: the header says how long the file is. */
	for (size_t n = 0; n < len; n++)
		cr_assert_neq(check_decode(buf, n), 0, "prefix of %zu bytes decoded", n);
	cr_assert_eq(check_decode(buf, len), 0);

	/* Raw bit flips: the checksums (or magic/version) catch every one. */
	bad = malloc(len);
	srand(12345);
	for (int i = 0; i < 3000; i++) {
		size_t at = (size_t)rand() % len;

		memcpy(bad, buf, len);
		bad[at] ^= (unsigned char)(1u << (rand() % 8));
		cr_assert_neq(check_decode(bad, len), 0, "flip at %zu decoded", at);
	}
	free(bad);

	/* Flips inside the body behind valid checksums: the parser itself must hold. */
	body = body_of(buf, &ulen);
	bad = malloc(ulen);
	for (int i = 0; i < 4000; i++) {
		memcpy(bad, body, ulen);
		for (int k = 0; k <= i % 4; k++)
			bad[(size_t)rand() % ulen] ^= (unsigned char)(1u << (rand() % 8));
		file = wrap(bad, ulen, &flen);
		ok += check_decode(file, flen) == 0;
		free(file);
	}
	/* Some flips only touch values, so both outcomes must have happened. */
	cr_assert_gt(ok, 0);
	cr_assert_lt(ok, 4000);
	/* Truncated bodies behind valid checksums. */
	for (size_t n = 0; n < ulen; n++) {
		file = wrap(body, n, &flen);
		check_decode(file, flen);
		free(file);
	}
	free(bad);
	free(body);
	free(buf);
	profile_free(&p);
}
