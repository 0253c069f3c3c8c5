// SPDX-License-Identifier: MIT
/* Launching, attaching, ptrace stops and --follow's hand-over, for session.c. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/wait.h>
#include <unistd.h>

#include "pid_check.h"
#include "log.h"
#include "memtrace.h"
#include "memtrace.skel.h"
#include "session_state.h"

/* A new process (not a thread of the target) forked under --follow: 1,
 * 0 for a thread, a negative errno when /proc cannot tell. */
static int is_new_process(const struct session *s, pid_t tid)
{
	char path[64], line[256];
	long tgid = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)tid);
	f = fopen(path, "re");
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "Tgid: %ld", &tgid) == 1)
			break;
	fclose(f);
	return tgid == tid && tid != s->pid;
}

/*
 * A new task's first stop under --follow: a process is held and bound, a
 * thread runs on.  Its parent's event told which (follow_births.h), or
 * /proc does; when neither can yet, it stays stopped until the event.
 */
static void first_stop(struct session *s, pid_t w, const struct session *kid)
{
	pid_t parent = 0;
	int kind = births_first_stop(&s->births, w, &parent), proc;

	if (kind == BIRTH_PROCESS) {
		follow_adopt(s, w, parent);
		return;
	}
	if (kind == BIRTH_THREAD) {
		ptrace(PTRACE_CONT, w, NULL, NULL);
		return;
	}
	/* A thread of a followed child, known by its Tgid. */
	proc = kid ? 0 : is_new_process(s, w);
	if (proc < 0 && proc != -ENOENT && proc != -ESRCH && !births_wait(&s->births, w))
		return;
	births_decided(&s->births, w);
	if (proc > 0)
		follow_adopt(s, w, 0);
	else
		ptrace(PTRACE_CONT, w, NULL, NULL);
}

/* The parent w's fork or clone event names its new task (read while w is
 * stopped, then w runs on); a first stop kept for want of it is answered
 * now. */
static void birth_event(struct session *s, pid_t w, enum birth_kind kind)
{
	unsigned long msg;
	int named = s->opts->follow && !ptrace(PTRACE_GETEVENTMSG, w, NULL, &msg);

	ptrace(PTRACE_CONT, w, NULL, NULL);
	if (!named)
		return;
	if (births_event(&s->births, (pid_t)msg, w, kind) != 1)
		return;
	if (kind == BIRTH_PROCESS)
		follow_adopt(s, (pid_t)msg, w);
	else
		ptrace(PTRACE_CONT, (pid_t)msg, NULL, NULL);
}

int session_ptrace_stops(struct session *s)
{
	int status, err = 0;
	pid_t w;

again:
	while ((w = waitpid(-1, &status, WNOHANG | __WALL)) > 0) {
		struct session *kid = w == s->pid ? NULL : follow_find(s, w);
		int sig, event;

		if (kid)
			follow_settle_kid(s, kid);
		if (WIFEXITED(status) || WIFSIGNALED(status)) {
			births_forget(&s->births, w);
			if (w == s->pid) {
				s->exited = true;
				s->wait_status = status;
			} else if (kid && kid->pid == w) {
				follow_exited(s, kid, status);
			} else if (s->hooks->reap) {
				s->hooks->reap(s->hooks->ctx, w, status);
			}
			continue;
		}
		if (!WIFSTOPPED(status))
			continue;
		sig = WSTOPSIG(status);
		event = status >> 16;
		switch (event) {
		case PTRACE_EVENT_FORK:
		case PTRACE_EVENT_VFORK:
			/* The child reports its own first stop; it is handed over then. */
			birth_event(s, w, BIRTH_PROCESS);
			break;
		case PTRACE_EVENT_EXEC:
			/* A child's failure costs its own trace, not the others'. */
			if (kid) {
				follow_exec(kid);
				session_on_exec(kid);
			} else {
				err = session_on_exec(s);
				if (!err && s->opts->follow)
					follow_warm_symbols(s);
			}
			ptrace(PTRACE_CONT, w, NULL, NULL);
			break;
		case PTRACE_EVENT_EXIT:
			if (w == s->pid) {
				session_warm_symbols(s);
				session_reach_at_exit(s);
			}
			ptrace(PTRACE_CONT, w, NULL, NULL);
			break;
		case PTRACE_EVENT_CLONE:
			birth_event(s, w, BIRTH_THREAD);
			break;
		case PTRACE_EVENT_STOP:
			/* A new thread's first stop, or a group stop (SIGSTOP from
			 * someone else): let the thread go, keep the group stopped. */
			if (sig == SIGTRAP && s->opts->follow && w != s->pid && (!kid || kid->pid != w))
				first_stop(s, w, kid);
			else if (sig == SIGTRAP)
				ptrace(PTRACE_CONT, w, NULL, NULL);
			else
				ptrace(PTRACE_LISTEN, w, NULL, NULL);
			break;
		default:
			if (sig == SIGSTOP && kid && tracer_dl_stops(&kid->tracer) != kid->dl_stops_seen) {
				kid->dl_stops_seen = tracer_dl_stops(&kid->tracer);
				follow_own_symbols(kid);
				session_reprobe(kid);
				ptrace(PTRACE_CONT, w, NULL, NULL);
			} else if (sig == SIGSTOP && tracer_dl_stops(&s->tracer) != s->dl_stops_seen) {
				/* Ours, from the dynamic-linker hook: swallow it. */
				s->dl_stops_seen = tracer_dl_stops(&s->tracer);
				err = session_reprobe(s);
				if (!err && s->opts->follow)
					follow_warm_symbols(s);
				ptrace(PTRACE_CONT, w, NULL, NULL);
			} else {
				ptrace(PTRACE_CONT, w, NULL, (void *)(long)sig);
			}
		}
		if (err)
			return err;
	}
	/* A child's report waits until no stop is pending: a fork is held
	 * meanwhile, an ended child is not. */
	follow_settle(s);
	if (follow_finish_one(s))
		goto again;
	return 0;
}

int session_start_launched(struct session *s, struct launch *l)
{
	int err;

	err = launch_prepare(s->opts->argv, s->opts->follow, l);
	if (err) {
		log_error("cannot start '%s': %s", s->opts->argv[0], strerror(-err));
		return err;
	}
	s->pid = l->pid;
	s->launched = s->ptraced = true;
	snprintf(s->comm, sizeof(s->comm), "%s", s->opts->argv[0]);
	return 0;
}

/*
 * -p with --follow: seize every thread (new ones come with PTRACE_O_TRACECLONE)
 * to hear of its forks.  The process is not stopped by this.
 */
static int seize_threads(struct session *s)
{
	long options = launch_ptrace_options(true);
	pid_t seized[4096];
	int nseized = 0;
	bool added = true;
	char path[64];

	snprintf(path, sizeof(path), "/proc/%d/task", (int)s->pid);
	/* Again until a pass finds no thread it had not seized: a thread
	 * started meanwhile by one not yet seized is not announced. */
	while (added) {
		struct dirent *d;
		DIR *dir = opendir(path);

		if (!dir)
			return -errno;
		added = false;
		while ((d = readdir(dir))) {
			pid_t tid = (pid_t)atoi(d->d_name);
			bool known = false;

			if (tid <= 0)
				continue;
			for (int i = 0; i < nseized && !known; i++)
				known = seized[i] == tid;
			if (known || nseized == (int)(sizeof(seized) / sizeof(seized[0])))
				continue;
			if (ptrace(PTRACE_SEIZE, tid, NULL, (void *)options) && errno != ESRCH) {
				int err = -errno;

				closedir(dir);
				log_error("--follow: cannot trace PID %d's thread %d: %s (is it already traced?)",
					  (int)s->pid, (int)tid, strerror(errno));
				return err;
			}
			seized[nseized++] = tid;
			added = true;
		}
		closedir(dir);
	}
	s->ptraced = true;
	return 0;
}

int session_start_attached(struct session *s)
{
	s->pid = s->opts->pid;
	/* Under multi_run the parent checked the PID against its own. */
	if (pid_check(s->pid, getpid()))
		return -ESRCH;
	session_read_comm(s);
	return s->opts->follow ? seize_threads(s) : 0;
}
