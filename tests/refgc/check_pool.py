#!/usr/bin/env python3
"""The pool's benchmark as a test: refgc-poolbench (runtime/bench) with and
without the pool, one and two threads.

usage: check_pool.py POOLBENCH [SECONDS]
Fails when
 - with the pool, a request allocates more than 20% of the bytes it
   allocates without (the lesson's "pools cut allocations 80%"; a 4 KiB
   scratch buffer per request is the reused object),
 - the pool's hit rate is under 90% with one thread or with two (each
   thread reuses its own objects: a cache per thread, no shared lock), or
 - a run reports no requests (nothing was measured).
Two threads' requests per second against one thread's are printed, not
asserted: on a shared 2-CPU machine the second thread often has no CPU."""
import json
import subprocess
import sys


def fail(msg):
    print(f"pool: FAIL: {msg}", file=sys.stderr)
    sys.exit(1)


def run(bench, secs, *args):
    p = subprocess.run([bench, "--seconds", secs, *args], capture_output=True, text=True, timeout=300,
                       env={"REFGC_MODE": "incremental"})
    if p.returncode != 0:
        fail(f"{' '.join(args)}: exit {p.returncode}: {p.stderr[-300:]}")
    r = json.loads(p.stdout.strip().splitlines()[-1])
    if r["requests"] <= 0:
        fail(f"{' '.join(args)}: no requests")
    return r


def main():
    bench = sys.argv[1]
    secs = sys.argv[2] if len(sys.argv) > 2 else "1"
    base = run(bench, secs, "--threads", "1")
    one = run(bench, secs, "--pool", "--threads", "1")
    two = run(bench, secs, "--pool", "--threads", "2")
    cut = 1 - one["bytes_per_req"] / base["bytes_per_req"]
    print(f"pool: bytes per request {base['bytes_per_req']:.0f} -> {one['bytes_per_req']:.0f} "
          f"({cut:.1%} less), objects {base['allocs_per_req']:.2f} -> {one['allocs_per_req']:.2f}; "
          f"hit rate {one['pool_hit_rate']:.3f} (1 thread), {two['pool_hit_rate']:.3f} (2 threads); "
          f"requests/s {base['req_per_s']:.0f} without, {one['req_per_s']:.0f} with (1 thread), "
          f"{two['req_per_s']:.0f} (2 threads)")
    if cut < 0.8:
        fail(f"the pool cut bytes per request by {cut:.1%}, under 80%")
    for name, r in (("1 thread", one), ("2 threads", two)):
        if r["pool_hit_rate"] < 0.9:
            fail(f"{name}: hit rate {r['pool_hit_rate']:.3f}, under 0.9")
    print("pool: ok")


if __name__ == "__main__":
    main()
