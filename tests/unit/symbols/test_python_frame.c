// SPDX-License-Identifier: MIT
/*
 * python_frame: 3.11's location table.  The table is the one CPython
 * 3.11 wrote for
 *     def f(x):            # line 1
 *         y = x + 1        # line 2
 *         return y         # line 3
 * (f.__code__.co_linetable, by Debian's python3.11), and the lines are
 * those of f.__code__.co_positions() for each of its 8 code units.
 */
#include <criterion/criterion.h>

#include "python_frame.h"

Test(python_frame, lines_of_a_location_table)
{
	static const uint8_t table[] = { 128, 0, 216, 8, 9, 136, 65, 137, 5, 128, 65, 216, 11, 12, 128, 72 };
	static const uint32_t want[] = { 1, 2, 2, 2, 2, 2, 3, 3, 0 };

	for (uint32_t i = 0; i < sizeof(want) / sizeof(want[0]); i++)
		cr_expect_eq(python_line_at(table, sizeof(table), 1, i), want[i], "unit %u: line %u, expected %u", i,
			     python_line_at(table, sizeof(table), 1, i), want[i]);
}

Test(python_frame, long_and_no_location_forms)
{
	/* Long form (code 14, 2 units): line +10 (svarint 20), end line, two
	 * columns; then no location (code 15, 1 unit); then no-column form
	 * (code 13, 1 unit) line -3 (svarint 7). */
	static const uint8_t table[] = { 0xf1, 20, 0, 1, 2, 0xf8, 0xe8, 7 };

	cr_expect_eq(python_line_at(table, sizeof(table), 5, 0), 15);
	cr_expect_eq(python_line_at(table, sizeof(table), 5, 1), 15);
	cr_expect_eq(python_line_at(table, sizeof(table), 5, 2), 0);
	cr_expect_eq(python_line_at(table, sizeof(table), 5, 3), 12);
	/* Not an entry's first byte: no line, rather than a wrong one. */
	cr_expect_eq(python_line_at((const uint8_t[]){ 0x10 }, 1, 5, 0), 0);
}

Test(python_frame, frames_are_tagged)
{
	cr_expect(frame_is_python(MT_PYFRAME_TAG | 3ULL << 47 | 0x7f0012345678ULL));
	cr_expect(!frame_is_python(0x7f0012345678ULL));
	cr_expect(!frame_is_python(0xfffffffffffffffeULL));
}
