/* SPDX-License-Identifier: MIT */
/* Why a leak alert fired, in words: for the text report and the stderr line. */
#ifndef MEMTRACE_ALERT_WHY_H
#define MEMTRACE_ALERT_WHY_H

#include <stddef.h>
#include <stdio.h>

#include "profile.h"

/*
 * "confidence 0.97: fit 0.99 over 10.0 s (11 samples), tracked 16.0 KiB/s,
 * lately 16.0 KiB/s[, pre-attach churn discounted 80.0 KiB/s (replaced 98%,
 * process shows 100% of the rest, 5,000 pre-attach frees)][, RSS +15 KiB/s]"
 * into buf (always terminated).
 */
void alert_why_format(const struct mt_alert *a, char *buf, size_t len);
/* The same as an indented line of the text report; nothing for an alert
 * read from a recording (why.samples 0: recordings keep no verdict). */
void alert_why_text(const struct mt_alert *a, FILE *out);

#endif
