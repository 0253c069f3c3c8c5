// SPDX-License-Identifier: MIT
/* addr_memo: runs stay where they were handed out, answers come back exact,
 * "none" is remembered too. */
#include <criterion/criterion.h>
#include <stdint.h>

#include "addr_memo.h"

struct elem {
	const char *name;
	uint32_t a, b;
};

Test(addr_memo, runs_never_move_and_come_back)
{
	enum { N = 20000 };
	static const void *given[N];
	struct addr_memo m;
	struct elem run[3];

	addr_memo_init(&m, sizeof(struct elem));
	/* Enough runs for many chunks: every earlier run must stay put. */
	for (uint32_t i = 0; i < N; i++) {
		uint32_t n = i % 4; /* 0: none */

		for (uint32_t k = 0; k < n; k++)
			run[k] = (struct elem){ "x", i, k };
		given[i] = addr_memo_add(&m, 0x400000 + 16 * (uint64_t)i, run, n);
		cr_assert_eq(given[i] == NULL, n == 0);
	}
	for (uint32_t i = 0; i < N; i++) {
		const void *got;
		uint32_t n;

		cr_assert(addr_memo_find(&m, 0x400000 + 16 * (uint64_t)i, &got, &n));
		cr_assert_eq(n, i % 4);
		cr_assert_eq(got, given[i]);
		for (uint32_t k = 0; k < n; k++) {
			const struct elem *e = (const struct elem *)got + k;

			cr_assert_eq(e->a, i);
			cr_assert_eq(e->b, k);
		}
	}
	cr_assert_not(addr_memo_find(&m, 0x400008, &(const void *){ NULL }, &(uint32_t){ 0 }));
	addr_memo_free(&m);
	cr_assert_not(addr_memo_find(&m, 0x400000, &(const void *){ NULL }, &(uint32_t){ 0 }));
}

Test(addr_memo, too_long_a_run_is_refused)
{
	static struct elem run[ADDR_MEMO_MAX_RUN + 1];
	struct addr_memo m;

	addr_memo_init(&m, sizeof(struct elem));
	cr_assert_null(addr_memo_add(&m, 1, run, ADDR_MEMO_MAX_RUN + 1));
	cr_assert_not(addr_memo_find(&m, 1, &(const void *){ NULL }, &(uint32_t){ 0 }));
	cr_assert_not_null(addr_memo_add(&m, 1, run, ADDR_MEMO_MAX_RUN));
	addr_memo_free(&m);
}
