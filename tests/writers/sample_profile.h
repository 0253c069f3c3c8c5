/* SPDX-License-Identifier: MIT */
/* A small hand-made profile with known functions and values, for the
 * writers' end-to-end test (test_writers.py checks the numbers below). */
#ifndef MEMTRACE_SAMPLE_PROFILE_H
#define MEMTRACE_SAMPLE_PROFILE_H

#include "profile.h"

/*
 * Sites (outermost first), inuse bytes / count, alloc bytes / count:
 *   main;parse_config;xmalloc                        3 MiB / 3,     4 MiB / 10
 *   main;handle_request;std::vector<int, std::allocator<int> >::push_back;operator new
 *                                                    1 MiB / 1024,  8 MiB / 8192
 *   main;demo+0x1234 (unsymbolized, in /usr/bin/demo);leak_one
 *                                                    512 KiB / 512, 512 KiB / 512
 *   main;a;b;c (frame names "weird;name" and "tab\there" in the middle)
 *                                                    0 / 0,         64 KiB / 64
 * With before != 0, a "before" version for diff: xmalloc 1 MiB, push_back 2 MiB.
 */
int sample_profile(struct mt_profile *p, int before);

#endif
