/* USDT probes, provider "refgc". The contract (names, argument order, all
 * arguments 64-bit) is documented in runtime/README.md; memtrace and
 * bpftrace scripts depend on it, so change it only with them.
 * Plain STAP_PROBE: no semaphores, a probe is always a single nop. */
#ifndef REFGC_PROBES_H
#define REFGC_PROBES_H

#include <stdint.h>
#include <sys/sdt.h>

/* The probe site is a 5-byte nop (0f 1f 44 00 00), not sdt.h's 1-byte
 * one: Linux 6.18 on x86-64 turns a uprobe on a 5-byte nop into a call to
 * a trampoline after its first hit. The int3 trap it replaces took 5-10 us
 * here, 1% of traps over 20 us, and half of each pause probe's trap falls
 * between the probe and the runtime's own timestamp, so a tracer measured
 * pauses 8 us longer than refgc did (p50), more than 20 us longer for 3%
 * of them. No commas: sdt.h passes the nop through a macro argument. */
#if defined(__x86_64__) && !defined(REFGC_PROBE_NOP1)
#undef _SDT_NOP
#define _SDT_NOP .byte 0x0f; .byte 0x1f; .byte 0x44; .byte 0x00; .byte 0x00
#endif

#define U64(x) ((uint64_t)(x))
#define PROBE_GC_START(c, live, goal, trig_pm) \
	STAP_PROBE4(refgc, gc__start, U64(c), U64(live), U64(goal), U64(trig_pm))
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
