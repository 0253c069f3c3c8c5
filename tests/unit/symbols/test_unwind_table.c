// SPDX-License-Identifier: MIT
/*
 * unwind_table: the compiled rows of real Debian libraries (libc,
 * libstdc++, and the fixtures) against an independent reader of the same
 * tables, `readelf --debug-dump=frames-interp`: at every location readelf
 * lists, the row found says the same CFA rule, the same rbp rule and the
 * same return-address rule.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "fixture_path.h"
#include "unwind_cache.h"
#include "unwind_table.h"

#define LIBC "/usr/lib/x86_64-linux-gnu/libc.so.6"
#define LIBSTDCXX "/usr/lib/x86_64-linux-gnu/libstdc++.so.6"

static struct unwind_table *load(const char *path)
{
	struct unwind_table *t = NULL;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	cr_assert_geq(fd, 0, "%s: %s", path, strerror(errno));
	cr_assert_eq(unwind_table_load_fd(fd, &t), 0, "%s", path);
	close(fd);
	return t;
}

/* What readelf says of one location, in the table's terms. */
struct expect {
	int cfa;       /* enum unwind_cfa; -1: an expression (PLT or other) */
	long cfa_off;
	int rbp;       /* enum unwind_rbp */
	long rbp_off;
};

static int column(char cols[][16], int ncols, const char *name)
{
	for (int i = 0; i < ncols; i++)
		if (!strcmp(cols[i], name))
			return i;
	return -1;
}

static struct expect interpret(char vals[][32], int nvals, int cfa_col, int rbp_col, int ra_col)
{
	struct expect e = { .rbp = UNW_RBP_SAME };
	const char *cfa = cfa_col < nvals ? vals[cfa_col] : "";
	const char *ra = ra_col >= 0 && ra_col < nvals ? vals[ra_col] : "u";

	if (!strcmp(ra, "u")) {
		e.cfa = UNW_CFA_OUTERMOST;
	} else if (!strcmp(cfa, "exp")) {
		e.cfa = -1;
	} else if (strcmp(ra, "c-8")) {
		e.cfa = UNW_CFA_OTHER;
	} else if (!strncmp(cfa, "rsp+", 4) || !strncmp(cfa, "rsp-", 4)) {
		e.cfa = UNW_CFA_RSP;
		e.cfa_off = strtol(cfa + 3, NULL, 10);
	} else if (!strncmp(cfa, "rbp+", 4) || !strncmp(cfa, "rbp-", 4)) {
		e.cfa = UNW_CFA_RBP;
		e.cfa_off = strtol(cfa + 3, NULL, 10);
	} else {
		e.cfa = UNW_CFA_OTHER;
	}
	if (rbp_col >= 0 && rbp_col < nvals) {
		const char *r = vals[rbp_col];

		if (!strcmp(r, "u") || !strcmp(r, "s"))
			e.rbp = UNW_RBP_SAME;
		else if (r[0] == 'c' && (r[1] == '-' || r[1] == '+'))
			e.rbp = UNW_RBP_AT, e.rbp_off = strtol(r + 1, NULL, 10);
		else
			e.rbp = UNW_RBP_OTHER;
	}
	return e;
}

static bool matches(const struct unwind_row *r, const struct expect *e)
{
	if (!r)
		return false;
	if (e->cfa == -1)
		return r->cfa == UNW_CFA_PLT || r->cfa == UNW_CFA_OTHER;
	if (r->cfa != e->cfa)
		return false;
	if (e->cfa == UNW_CFA_OTHER || e->cfa == UNW_CFA_OUTERMOST)
		return true;
	if (r->cfa_off != e->cfa_off || r->rbp != e->rbp)
		return false;
	return e->rbp != UNW_RBP_AT || r->rbp_off == e->rbp_off;
}

/* An FDE without a table of its own: its CIE's rule holds at its start. */
static void check_cie_rule(const struct unwind_table *t, const unsigned long *cie_off, const struct expect *cie_rule,
			   int ncies, unsigned long fde_lo, unsigned long fde_cie, size_t *checked, size_t *bad)
{
	for (int i = 0; i < ncies; i++) {
		if (cie_off[i] == fde_cie) {
			const struct unwind_row *r = unwind_table_find(t, fde_lo);

			(*checked)++;
			if (!matches(r, &cie_rule[i]))
				(*bad)++;
		}
	}
}

/*
 * Checks every location readelf lists; returns how many it checked.  An FDE
 * without a table of its own holds its CIE's initial rule, which readelf
 * prints under the CIE.
 */
static size_t check_against_readelf(const char *path, const struct unwind_table *t)
{
	char cmd[1024], line[4096], cols[64][16];
	struct expect cie_rule[64];
	unsigned long cie_off[64];
	int ncies = 0, ncols = 0, cur_cie = -1;
	bool in_fde = false, fde_rows = false;
	unsigned long fde_lo = 0, fde_cie = 0;
	size_t checked = 0, bad = 0;
	FILE *f;

	snprintf(cmd, sizeof(cmd), "readelf --debug-dump=frames-interp '%s' 2>/dev/null", path);
	f = popen(cmd, "r");
	cr_assert_not_null(f);
	while (fgets(line, sizeof(line), f)) {
		unsigned long off, lo, hi, loc, cie;
		char vals[64][32];
		int n = 0, pos = 0, used;

		/* A new section (.eh_frame, then .debug_frame): offsets start
		 * again, and "Contents" is no address. */
		if (!strncmp(line, "Contents of ", 12)) {
			if (in_fde && !fde_rows)
				check_cie_rule(t, cie_off, cie_rule, ncies, fde_lo, fde_cie, &checked, &bad);
			ncies = 0;
			ncols = 0;
			cur_cie = -1;
			in_fde = false;
			continue;
		}
		if (strstr(line, " CIE ") && sscanf(line, "%lx", &off) == 1) {
			in_fde = false;
			cur_cie = ncies < 64 ? ncies++ : -1;
			if (cur_cie >= 0)
				cie_off[cur_cie] = off;
			continue;
		}
		if (strstr(line, " FDE cie=") &&
		    sscanf(strstr(line, "cie="), "cie=%lx pc=%lx..%lx", &cie, &lo, &hi) == 3) {
			if (in_fde && !fde_rows)
				check_cie_rule(t, cie_off, cie_rule, ncies, fde_lo, fde_cie, &checked, &bad);
			in_fde = true;
			fde_rows = false;
			fde_lo = lo;
			fde_cie = cie;
			cur_cie = -1;
			continue;
		}
		if (strstr(line, "   LOC")) {
			char *p = line;

			ncols = 0;
			while (ncols < 64 && sscanf(p, "%15s%n", cols[ncols], &used) == 1) {
				ncols++;
				p += used;
			}
			continue;
		}
		if (sscanf(line, "%lx%n", &loc, &pos) != 1 || ncols < 2 || strstr(line, "ZERO terminator"))
			continue;
		{
			char *p = line + pos, tok[32];

			/* "r3 (rbx)" is one value: a register, named twice. */
			while (n < 63 && sscanf(p, "%31s%n", tok, &used) == 1) {
				p += used;
				if (tok[0] == '(' && n)
					continue;
				snprintf(vals[++n], sizeof(vals[0]), "%s", tok);
			}
		}
		strcpy(vals[0], "loc");
		n++;
		{
			struct expect e = interpret(vals, n, column(cols, ncols, "CFA"), column(cols, ncols, "rbp"),
						    column(cols, ncols, "ra"));

			if (in_fde) {
				const struct unwind_row *r = unwind_table_find(t, loc);

				fde_rows = true;
				checked++;
				if (!matches(r, &e)) {
					if (bad < 5)
						fprintf(stderr, "%s: at 0x%lx readelf says %s: row cfa %d%+d rbp %d%+d\n",
							path, loc, line, r ? r->cfa : -9, r ? r->cfa_off : 0,
							r ? r->rbp : -9, r ? r->rbp_off : 0);
					bad++;
				}
			} else if (cur_cie >= 0) {
				cie_rule[cur_cie] = e;
			}
		}
	}
	pclose(f);
	cr_assert_eq(bad, 0, "%s: %zu of %zu locations differ from readelf", path, bad, checked);
	return checked;
}

Test(unwind_table, libc_matches_readelf)
{
	struct unwind_table *t = load(LIBC);
	size_t n = check_against_readelf(LIBC, t);

	cr_assert_gt(n, 10000, "only %zu locations checked", n);
	cr_assert_eq(t->bad_entries, 0);
	unwind_table_free(t);
}

Test(unwind_table, libstdcxx_matches_readelf)
{
	struct unwind_table *t = load(LIBSTDCXX);
	size_t n = check_against_readelf(LIBSTDCXX, t);

	cr_assert_gt(n, 10000, "only %zu locations checked", n);
	cr_assert_eq(t->bad_entries, 0);
	unwind_table_free(t);
}

Test(unwind_table, fixtures_match_readelf)
{
	const char *names[] = { "fx_pie", "fx_nopie", "libfx.so", "fx_gz_frame" };

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		const char *path = fixture_path(names[i], R_OK);
		struct unwind_table *t = load(path);

		cr_assert_gt(check_against_readelf(path, t), 0, "%s", path);
		unwind_table_free(t);
	}
}

/* gcc -gz -fno-asynchronous-unwind-tables: the fixture's own functions have
 * rows only in its zlib-compressed .debug_frame, read whole and clean. */
Test(unwind_table, compressed_debug_frame_is_read)
{
	const char *path = fixture_path("fx_gz_frame", R_OK);
	struct unwind_table *t = load(path);

	cr_assert_eq(t->bad_entries, 0);
	cr_assert_gt(check_against_readelf(path, t), 0);
	unwind_table_free(t);
}

/* _start's return address is undefined (the stack's first frame); libc's
 * PLT has the PLT expression; rows are sorted with no equal neighbours. */
Test(unwind_table, outermost_plt_and_order)
{
	struct unwind_table *t = load(LIBC);
	size_t plt = 0, outermost = 0;

	for (size_t i = 0; i < t->nrows; i++) {
		if (i) {
			cr_assert_lt(t->rows[i - 1].pc, t->rows[i].pc);
			cr_assert(t->rows[i - 1].cfa != t->rows[i].cfa || t->rows[i - 1].cfa_off != t->rows[i].cfa_off ||
				  t->rows[i - 1].rbp != t->rows[i].rbp || t->rows[i - 1].rbp_off != t->rows[i].rbp_off);
		}
		plt += t->rows[i].cfa == UNW_CFA_PLT;
		outermost += t->rows[i].cfa == UNW_CFA_OUTERMOST;
	}
	cr_assert_gt(plt, 0);
	cr_assert_gt(outermost, 0);
	unwind_table_free(t);
}

/* Load time and size for libc + libstdc++ + an executable (issue 14's goal: < 200 ms). */
Test(unwind_table, load_time_and_size)
{
	const char *paths[] = { LIBC, LIBSTDCXX, "/usr/bin/python3.11" };
	struct timespec a, b;
	size_t rows = 0;
	uint64_t text = 0;
	double ms;

	clock_gettime(CLOCK_MONOTONIC, &a);
	for (size_t i = 0; i < 3; i++) {
		struct unwind_table *t;

		if (access(paths[i], R_OK))
			continue;
		t = load(paths[i]);
		rows += t->nrows;
		text += t->text_bytes;
		unwind_table_free(t);
	}
	clock_gettime(CLOCK_MONOTONIC, &b);
	ms = (double)(b.tv_sec - a.tv_sec) * 1e3 + (double)(b.tv_nsec - a.tv_nsec) / 1e6;
	fprintf(stderr, "unwind tables: %zu rows, %.1f ms, %.0f bytes of rows per MB of text\n", rows, ms,
		(double)rows * sizeof(struct unwind_row) / ((double)text / 1e6));
	cr_assert_lt(ms, 1000.0, "%.1f ms", ms);
}

/* Not ELF, or ELF without tables: refused, not guessed. */
Test(unwind_table, refuses_what_it_cannot_read)
{
	struct unwind_table *t = NULL;
	char path[] = "/tmp/mt-unwind-XXXXXX";
	int fd = mkstemp(path);

	cr_assert_geq(fd, 0);
	cr_assert_eq(write(fd, "not an ELF file at all\n", 23), 23);
	cr_assert_eq(unwind_table_load_fd(fd, &t), -EINVAL);
	cr_assert_null(t);
	close(fd);
	unlink(path);
}

/* One table per build-id: the second process mapping libc reuses it. */
Test(unwind_table, cache_shares_by_build_id)
{
	struct unwind_cache c = {};
	const struct unwind_table *a = NULL, *b = NULL;
	int fd = open(LIBC, O_RDONLY | O_CLOEXEC), fd2 = open(LIBSTDCXX, O_RDONLY | O_CLOEXEC);

	cr_assert_geq(fd, 0);
	cr_assert_geq(fd2, 0);
	cr_assert_eq(unwind_cache_get(&c, "libc-build-id", fd, &a), 0);
	cr_assert_eq(unwind_cache_get(&c, "libc-build-id", fd2, &b), 0);
	cr_assert_eq(a, b, "the same key compiled twice");
	cr_assert_eq(c.compiled, 1);
	cr_assert_eq(c.hits, 1);
	cr_assert_eq(unwind_cache_get(&c, "libstdc++-build-id", fd2, &b), 0);
	cr_assert_neq(a, b);
	cr_assert_eq(c.compiled, 2);
	unwind_cache_free(&c);
	close(fd);
	close(fd2);
}
