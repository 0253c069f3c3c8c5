/* SPDX-License-Identifier: MIT */
/*
 * Where Go's own traceback ends a stack: at the switch to a system stack.
 * Go runs parts of its runtime on an M's g0 stack through runtime.systemstack,
 * runtime.mcall and runtime.morestack.  Those functions leave the frame
 * pointer as it was on the goroutine, so a frame-pointer walk goes on past
 * the switch into whatever the goroutine was doing; Go's traceback (and so
 * every stack in its pprof profiles) stops at the switch.  A g allocated by
 * `go f()` (newproc1 -> malg on g0) or an M allocated to run a woken P is
 * then the runtime's, not the Go function that happened to be below it.
 */
#ifndef MEMTRACE_GO_STACK_SWITCH_H
#define MEMTRACE_GO_STACK_SWITCH_H

#include <stdbool.h>

/*
 * Whether function (a symbolized name, NULL allowed) is one of the Go
 * runtime's stack switches, with or without the ".abi0" that .symtab gives
 * assembly functions.  A stack keeps that frame as its outermost one.
 */
bool go_stack_switch(const char *function);

#endif
