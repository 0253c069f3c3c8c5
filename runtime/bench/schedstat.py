"""Per-thread scheduler times of a running process, from
/proc/PID/task/TID/schedstat (ns on a CPU, ns runnable on a run queue) and
comm.  Read by runtime/bench/gc_sched.py and tests/refgc/check_waits.py."""
import os


def sample(pid, seen):
    """Updates seen[tid] = (comm, cpu_ns, wait_ns) for every thread of pid
    still alive; a thread that exited keeps its last sample."""
    try:
        tids = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return
    for tid in tids:
        try:
            with open(f"/proc/{pid}/task/{tid}/schedstat") as f:
                cpu, wait, _ = (int(x) for x in f.read().split())
            with open(f"/proc/{pid}/task/{tid}/comm") as f:
                comm = f.read().strip()
        except (OSError, ValueError):
            continue
        seen[tid] = (comm, cpu, wait)
