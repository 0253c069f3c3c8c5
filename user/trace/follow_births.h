/* SPDX-License-Identifier: MIT */
/*
 * Under --follow, which new task is a process and which a thread, from
 * ptrace alone: the parent's PTRACE_EVENT_FORK/VFORK or _CLONE stop names
 * the new task (PTRACE_GETEVENTMSG), and the new task reports a first stop
 * of its own, the two in either order.  When the event came first, the
 * first stop is answered from here, with no read of /proc while the child
 * is held; when the stop came first and /proc cannot tell (memtrace can
 * open no file), the task is kept stopped until the event names it.
 *
 * A caller may rely on: an entry is answered once and then forgotten;
 * entries the caller marks decided (the stop was answered from /proc) are
 * dropped by the event that comes later, or, past BIRTHS_MAX_DECIDED
 * entries, oldest first, so interrupt stops that no event follows cost no
 * memory for long.
 */
#ifndef MEMTRACE_FOLLOW_BIRTHS_H
#define MEMTRACE_FOLLOW_BIRTHS_H

#include <stddef.h>
#include <sys/types.h>

#define BIRTHS_MAX_DECIDED 256

enum birth_kind {
	BIRTH_NONE = 0, /* births_first_stop: no event named the task yet */
	BIRTH_PROCESS,  /* a fork or vfork */
	BIRTH_THREAD,   /* a clone of a thread */
	BIRTH_WAITING,  /* its first stop is kept until the event */
	BIRTH_DECIDED,  /* its first stop was answered from /proc */
};

struct birth {
	pid_t tid, parent;
	enum birth_kind kind;
};

struct births {
	struct birth *v;
	size_t n, cap;
};

/*
 * The parent's event named tid (PROCESS or THREAD).  Returns 1 when tid's
 * first stop is waiting (births_wait): the caller answers it now; 0
 * otherwise; -ENOMEM when it could not be kept (the first stop will be
 * answered from /proc).
 */
int births_event(struct births *b, pid_t tid, pid_t parent, enum birth_kind kind);
/* tid's first stop: PROCESS (*parent set) or THREAD when its event came,
 * forgotten then; BIRTH_NONE when not. */
enum birth_kind births_first_stop(struct births *b, pid_t tid, pid_t *parent);
/* The first stop of tid is kept until its event: 0 or -ENOMEM. */
int births_wait(struct births *b, pid_t tid);
/* The first stop of tid was answered otherwise: its event is to be ignored. */
void births_decided(struct births *b, pid_t tid);
/* tid ended: forgotten. */
void births_forget(struct births *b, pid_t tid);
void births_free(struct births *b);

#endif
