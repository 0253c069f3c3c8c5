/* USDT probes, provider "refgc". The contract (names, argument order, all
 * arguments 64-bit) is documented in runtime/README.md; memtrace and
 * bpftrace scripts depend on it, so change it only with them.
 * Plain STAP_PROBE: no semaphores, a probe is always a single nop. */
#ifndef REFGC_PROBES_H
#define REFGC_PROBES_H

#include <stdint.h>
#include <sys/sdt.h>

#define U64(x) ((uint64_t)(x))
#define PROBE_GC_START(c, live, goal) \
	STAP_PROBE3(refgc, gc__start, U64(c), U64(live), U64(goal))
#define PROBE_GC_DONE(c, live, freed) \
	STAP_PROBE3(refgc, gc__done, U64(c), U64(live), U64(freed))
#define PROBE_PAUSE_START(c, ph) STAP_PROBE2(refgc, pause__start, U64(c), U64(ph))
#define PROBE_PAUSE_DONE(c, ph) STAP_PROBE2(refgc, pause__done, U64(c), U64(ph))
#define PROBE_MARK_START(c) STAP_PROBE1(refgc, mark__start, U64(c))
#define PROBE_MARK_DONE(c, b, term, slots) \
	STAP_PROBE4(refgc, mark__done, U64(c), U64(b), U64(term), U64(slots))
#define PROBE_SWEEP_START(c) STAP_PROBE1(refgc, sweep__start, U64(c))
#define PROBE_SWEEP_DONE(c, b) STAP_PROBE2(refgc, sweep__done, U64(c), U64(b))

#define PROBE_ASSIST_START(c, debt) STAP_PROBE2(refgc, assist__start, U64(c), U64(debt))
#define PROBE_ASSIST_DONE(c, slots) STAP_PROBE2(refgc, assist__done, U64(c), U64(slots))
#define PROBE_STALL_START(c, live, hard) \
	STAP_PROBE3(refgc, stall__start, U64(c), U64(live), U64(hard))
#define PROBE_STALL_DONE(c, ns) STAP_PROBE2(refgc, stall__done, U64(c), U64(ns))

#endif
