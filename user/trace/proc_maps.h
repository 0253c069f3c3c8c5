/* SPDX-License-Identifier: MIT */
/*
 * One traced process's heap tables in a loaded heap object: inner maps in
 * a slot of the object's arrays of maps (proc_state, proc_counts,
 * proc_blocks, proc_more), and its tgid -> slot in proc_slot
 * (bpf/proc_maps.bpf.h).  Making a slot creates maps and enters them
 * (nothing is verified; each entry waits for an RCU grace period, 0.1-4
 * ms here); slots made ahead (proc_slots_fill) turn a fork into one plain
 * hash update; an ended child's slot is cleared and made ready again
 * (proc_maps_recycle), with its maps and their mappings kept.  Not
 * thread-safe: one caller per proc_maps.
 */
#ifndef MEMTRACE_PROC_MAPS_H
#define MEMTRACE_PROC_MAPS_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct memtrace_bpf;

struct proc_maps {
	bool made;     /* false (as zeroed): no slot, no fd held */
	uint32_t tgid; /* 0 while no process has it */
	uint32_t slot;
	unsigned bucket_bits;
	int state_fd, counts_fd, blocks_fd, more_fd;
	/* Its tables mapped read-write for as long as the slot lives
	 * (proc_views.h): the reader borrows them.  NULL when not mapped. */
	void *state_view, *counts_view, *blocks_view;
};

#define PROC_SLOTS_READY 4

/* An object's slots: the ones made ahead, and the free indices. */
struct proc_slots {
	pthread_mutex_t lock; /* over the fields below */
	pthread_cond_t idle;
	int busy; /* threads of proc_maps_remove_later still at work */
	struct proc_maps ready[PROC_SLOTS_READY];
	int nready;
	int want;             /* slots of want_bits buckets kept ready */
	unsigned want_bits;
	uint32_t *free;
	size_t nfree, cap;
	uint32_t next; /* indices below it were given out once */
};

/* NULL when out of memory. */
struct proc_slots *proc_slots_new(void);
/*
 * Enters tgid in slots' object with a block table of 2^bucket_bits
 * buckets: a ready slot of that size when there is one, else one made now.
 * The programs trace tgid from that moment.  On failure nothing is left
 * (pm->made false); a negative errno.
 */
int proc_maps_add(struct memtrace_bpf *skel, struct proc_slots *slots, uint32_t tgid, unsigned bucket_bits,
		  struct proc_maps *pm);
/* Takes pm's process out (no longer traced: at once), removes its maps
 * from the object and frees its slot; a no-op when pm holds none. */
void proc_maps_remove(struct memtrace_bpf *skel, struct proc_slots *slots, struct proc_maps *pm);
/*
 * The same, but only the first step here (a hash delete): a detached
 * thread removes the maps, or gives the slot new ones and makes it ready
 * again when fewer than slots->want are, since each entry waits for a
 * grace period (0.1-4 ms here, 8 per slot) that the event loop, and a fork
 * it would hold, need not.  pm holds nothing after.
 */
void proc_maps_remove_later(struct memtrace_bpf *skel, struct proc_slots *slots, struct proc_maps *pm);
/* Stops tracing pm's process at once (a hash delete): its tables stay
 * as they are, for its report, and pm keeps its slot. */
void proc_maps_untrace(struct memtrace_bpf *skel, struct proc_maps *pm);
/*
 * The slot of a process that is gone, its tables read: cleared and made
 * ready for the next process when fewer than PROC_SLOTS_READY slots of
 * its size are (true; pm holds nothing after), else nothing is done
 * (false: remove it).
 */
bool proc_maps_recycle(struct memtrace_bpf *skel, struct proc_slots *slots, struct proc_maps *pm);
/* Makes slots ready until n (at most PROC_SLOTS_READY) of 2^bucket_bits
 * buckets are, and keeps that many ready from then on; the first error. */
int proc_slots_fill(struct memtrace_bpf *skel, struct proc_slots *slots, unsigned bucket_bits, int n);
/* Waits for the threads at work, removes the ready slots, frees slots. */
void proc_slots_free(struct memtrace_bpf *skel, struct proc_slots *slots);

#endif
