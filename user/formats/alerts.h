/* SPDX-License-Identifier: MIT */
/*
 * Delivering leak alerts: a line on stderr, a JSON line per alert in the
 * --alerts file, and the --on-alert hook (argv as given, no shell) fed the
 * alert JSON on stdin.  A slow or failing hook never stalls tracing: it
 * gets the JSON through a pipe that is written without blocking, and at
 * most ALERT_MAX_HOOKS run at once (more are counted as skipped).
 */
#ifndef MEMTRACE_ALERTS_H
#define MEMTRACE_ALERTS_H

#include <stdbool.h>
#include <stdio.h>
#include <sys/types.h>

#include "profile.h"

#define ALERT_MAX_HOOKS 4

struct alert_sink {
	FILE *jsonl;         /* --alerts, NULL when not asked */
	const char *jsonl_path;
	bool write_failed;   /* a line could not be written: the run is incomplete */
	char **hook_argv;    /* --on-alert split on spaces, NULL when not asked */
	char *hook_buf;      /* the copy hook_argv points into */
	int hooks_running;
	unsigned long hooks_skipped, hooks_failed;
};

/* Opens --alerts (append, through safe_file_append_open: no symlink, no
 * file of another user) and splits --on-alert; reports its own errors. */
int alert_sink_open(struct alert_sink *s, const char *jsonl_path, const char *hook);
void alert_sink_close(struct alert_sink *s);
/* Delivers one alert; p supplies the strings of a->site and the pid. */
void alert_deliver(struct alert_sink *s, const struct mt_profile *p, const struct mt_alert *a);
/* Call on SIGCHLD: reaps finished hooks; returns whether pid was one. */
int alert_reap(struct alert_sink *s, pid_t pid, int status);

#endif
