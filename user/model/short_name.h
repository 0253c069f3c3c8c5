/* SPDX-License-Identifier: MIT */
/*
 * Short function names for people reading a flame graph or a text report
 * (--names short), as heaptrack shows them: C++ template arguments and
 * argument lists elided, "std::vector<int>::push_back(int const&)" read as
 * "std::vector::push_back".
 *
 * What a caller may rely on: operators ("operator<<", "operator()"),
 * "(anonymous namespace)" and Rust's qualified paths ("<T as Trait>::f",
 * whose own template arguments go) survive; a name with unbalanced
 * brackets comes back whole; the result always fits len (cut if not).
 */
#ifndef MEMTRACE_SHORT_NAME_H
#define MEMTRACE_SHORT_NAME_H

#include <stddef.h>

/* Writes the short form of name into buf (size len >= 1) and returns buf. */
const char *short_name(const char *name, char *buf, size_t len);

#endif
