/* SPDX-License-Identifier: MIT */
/*
 * The page-fault section of a recording (RECORD_FAULTS): fault and
 * mapping sites with their frames (names inline, modules as indexes into
 * the recording's module table), totals and drops.
 */
#ifndef MEMTRACE_RECORD_FAULTS_H
#define MEMTRACE_RECORD_FAULTS_H

#include <stddef.h>
#include <stdint.h>

struct mt_faults;
struct mt_profile;

/* Encodes f into a malloc'd buffer (*out, *len).  0 or -ENOMEM. */
int record_faults_encode(const struct mt_faults *f, uint8_t **out, size_t *len);
/*
 * Decodes a section payload into *out, strings interned in owner, whose
 * modules must already be read (frame module indexes are checked against
 * them).  -EINVAL for anything inconsistent, never a crash.
 */
int record_faults_decode(const uint8_t *buf, size_t len, struct mt_profile *owner, struct mt_faults **out);

#endif
