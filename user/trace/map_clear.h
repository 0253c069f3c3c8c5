/* SPDX-License-Identifier: MIT */
/*
 * Empties a BPF hash map from user space, for fault programs made as new
 * (faults_reset).  Keys are at most 8 bytes (`ks` of them).  0 or
 * negative errno.
 */
#ifndef MEMTRACE_MAP_CLEAR_H
#define MEMTRACE_MAP_CLEAR_H

#include <stddef.h>

int map_clear(int fd, size_t ks);

#endif
