/* SPDX-License-Identifier: MIT */
/*
 * CPython's object heap (pymalloc) in the heap profile, one 16 KiB pool at
 * a time (bpf/pymalloc.bpf.h): a pool a size class takes is charged to the
 * stack that took it, below a "[pymalloc pool]" frame, and freed when the
 * pool empties.  The code is found by python_pool_code.h in the object
 * that defines PyObject_Malloc (the executable, or libpython3.*.so).
 *
 * What a caller may rely on: pool sites show pools, not objects: in-use
 * is pool bytes (a site's objects plus the free room of its pools), and
 * the stack is the allocation that found its size class full, one among
 * that class's allocations (weighted by how many there are), not
 * necessarily the code that keeps the objects.  Objects over 512 bytes
 * are pymalloc's malloc calls and are in malloc's sites already.
 *
 * On CPython 3.11 at its link address (Debian's python3.11), a pool site
 * also carries the Python frames that took the pool, between its marker
 * and its C stack (symbols/python_frame.h names them as "py:qualname" at
 * file:line).  Elsewhere (another version, a libpython) there are none.
 */
#ifndef MEMTRACE_PYTHON_PYMALLOC_H
#define MEMTRACE_PYTHON_PYMALLOC_H

#include <limits.h>
#include <stdint.h>
#include <sys/types.h>

#include "pymalloc_bpf.h"
#include "python_pool_code.h"

struct memtrace_bpf;
struct bpf_link;

struct pymalloc {
	char path[PATH_MAX]; /* the probed object as the target sees it; "" when none */
	uint64_t inode;
	struct bpf_link *take, *taken;
	struct bpf_link *release[PY_MAX_RELEASE_SITES];
	uint32_t nrelease;
	/* The last object looked at and its result: every dlopen re-resolves,
	 * and one look per image is enough. */
	uint64_t checked_inode;
	int checked_err;
};

/* pymalloc_counters[] read back. */
struct mt_py_counters {
	uint64_t takes, releases, nested;
};

/*
 * Probes pid's pymalloc when its executable or a libpython3 defines
 * PyObject_Malloc.  0 when probed (or already was); -ENOENT when there is
 * no CPython (nothing printed); other negative errno after one "memtrace:"
 * line saying why (code not recognized, attach refused).
 */
int pymalloc_attach(struct pymalloc *py, struct memtrace_bpf *skel, pid_t pid, int verbose);
/* Every pool event so far, sampled or not. */
struct mt_py_counters pymalloc_counters_read(const struct memtrace_bpf *skel);
/* At the end of a trace: the totals with -v, and one line when refills
 * were missed (a refill that started inside another on one thread). */
void pymalloc_report(const struct pymalloc *py, const struct memtrace_bpf *skel, pid_t pid, int verbose);
void pymalloc_detach(struct pymalloc *py);

#endif
