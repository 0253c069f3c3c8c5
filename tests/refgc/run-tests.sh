#!/bin/sh
# Runs every refgc test (make refgc-test). About a minute on 2 CPUs.
# usage: run-tests.sh BUILD_DIR
# Each step prints PASS/FAIL; the last line is "refgc-test: N passed, N failed".
# Outside CI, steps whose tool is missing (valgrind, bpftrace, root) skip;
# with CI=true they fail instead.
set -u
out=${1:-build}
here=$(dirname "$0")
pass=0
fail=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

step() {
	name=$1
	shift
	start=$(date +%s)
	if "$@" >"$tmp/log" 2>&1; then
		pass=$((pass + 1))
		echo "PASS $name ($(( $(date +%s) - start ))s)"
		grep -E '^(stress|probes|termination|cpucap|pool|ttsp|presets):' "$tmp/log" | grep -v 'checkpoint' | sed 's/^/     /'
	else
		fail=$((fail + 1))
		echo "FAIL $name"
		tail -n 40 "$tmp/log" | sed 's/^/     /'
	fi
}

need() {
	if command -v "$1" >/dev/null 2>&1; then
		return 0
	fi
	if [ "${CI:-}" = true ]; then
		fail=$((fail + 1))
		echo "FAIL $2: $1 is not installed (CI=true: not skipping)"
	else
		echo "SKIP $2: $1 is not installed"
	fi
	return 1
}

# A bad setting must stop the program with a one-line "refgc:" message.
bad_env() {
	for kv in REFGC_MODE=fast REFGC_MODE= REFGC_GCPERCENT=-5 REFGC_GCPERCENT=lots \
		REFGC_MEMLIMIT=1KiB REFGC_MEMLIMIT=12MB REFGC_PROCS=0 REFGC_MAXPROCS=0 REFGC_MAXPROCS=2x REFGC_PRESET=turbo; do
		case $kv in *=) continue ;; esac # empty means unset, by design
		if env "$kv" "$out/refgc-bench" --seconds 0.1 --live-mib 1 >"$tmp/o" 2>"$tmp/e"; then
			echo "$kv was accepted"
			return 1
		fi
		var=${kv%%=*}
		if ! grep -q "^refgc: $var: " "$tmp/e" || [ "$(wc -l <"$tmp/e")" -ne 1 ]; then
			echo "$kv: want one line 'refgc: $var: ...', got:"
			cat "$tmp/e"
			return 1
		fi
		echo "$kv -> $(cat "$tmp/e")"
	done
}

# Every workload runs and prints the documented JSON fields.
# usage: bench_smoke [BENCH [MODE]]
bench_smoke() (
	bench=${1:-$out/refgc-bench}
	if [ -n "${2:-}" ]; then
		export REFGC_MODE="$2"
	fi
	for w in latency throughput memory balanced; do
		"$bench" --workload $w --seconds 0.5 --live-mib 8 --threads 2 --pauses \
			>"$tmp/j" || return 1
		python3 - "$tmp/j" <<'EOF' || return 1
import json, sys
d = json.load(open(sys.argv[1]))
for k in ("workload", "mode", "seconds", "ops_per_s", "gc_count", "pause_count",
          "pause_ns", "peak_heap_bytes", "gc_cpu_fraction", "pauses"):
    assert k in d, k
for k in ("p50", "p99", "max", "total"):
    assert k in d["pause_ns"], k
assert d["ops_per_s"] > 0 and d["gc_count"] > 0, d
assert len(d["pauses"]) == d["pause_count"], "pause list length"
assert all(set(p) == {"cycle", "phase", "start_ns", "duration_ns", "ttsp_ns", "marked_bytes",
                      "scan_slots"} for p in d["pauses"])
assert all(p["ttsp_ns"] <= p["duration_ns"] for p in d["pauses"]), "ttsp > pause"
for k in ("assist", "stall"):
    assert set(d[k]) == {"count", "total_ns", "max_ns"}, k
assert 0 <= d["wait_fraction"] < 1 and "term_marked_bytes_max" in d
print(d["workload"], d["mode"], d["gc_count"], "cycles ok")
EOF
	done
)

tune_smoke() {
	"$out/refgc-tune" --workload latency --seconds 0.3 --live-mib 4 --repeat 2 >"$tmp/t" || return 1
	cat "$tmp/t"
	grep -q '^best p99 pause:' "$tmp/t" && grep -q '^p99 pause vs default:' "$tmp/t" &&
		grep -q '^within incremental: least pause+wait' "$tmp/t"
}

step "config tests (criterion)" "$out/refgc/test_config" --jobs 2
step "api tests (criterion)" "$out/refgc/test_api" --jobs 2
step "bad config in the environment" bad_env
step "stress incremental, 4 threads" env REFGC_MODE=incremental "$out/refgc/stress" 4 4
step "stress stw, 4 threads" env REFGC_MODE=stw "$out/refgc/stress" 3 4
step "stress incremental, ASan+UBSan" env REFGC_MODE=incremental "$out/refgc-asan/stress" 8 4
step "stress stw, ASan+UBSan" env REFGC_MODE=stw "$out/refgc-asan/stress" 5 4
step "stress incremental, TSan" env REFGC_MODE=incremental TSAN_OPTIONS=halt_on_error=1 \
	"$out/refgc-tsan/stress" 3 3
# Termination with a budget of one slot must resume concurrent marking
# (and the graphs must still check out).
resume_stress() {
	env REFGC_MODE=incremental "$out/refgc/stress-resume" 4 4 >"$tmp/s" || return 1
	cat "$tmp/s"
	grep -q 'termination resumes=[1-9]' "$tmp/s"
}
step "stress incremental, termination budget 1 slot" resume_stress
# A memory limit the live heap does not fit in is said, once.
limit_warning() {
	REFGC_MEMLIMIT=16MiB "$out/refgc-bench" --workload memory --live-mib 32 --seconds 0.5 \
		>"$tmp/o" 2>"$tmp/e" || return 1
	cat "$tmp/e"
	[ "$(grep -c '^refgc: memory limit 16 MiB is below the live heap' "$tmp/e")" -eq 1 ]
}
step "warning: memory limit below the live heap" limit_warning
# ... and GC takes at most about half the machine there (the GC CPU cap).
step "GC CPU cap under a memory limit below the live heap" "$here/check_cpu_cap.py" "$out/refgc-bench"
# The pool cuts a realistic request's allocation, per thread.
step "pool: allocation cut, per-thread reuse" "$here/check_pool.py" "$out/refgc-poolbench"
# The reproducer of a termination pause that marked the whole heap.
step "termination bounded at 64 MiB live" "$here/check_termination.py" "$out/refgc-bench"
# Pauses do not wait for the kernel to run a mutator (handoff, P limit).
step "time to safepoint at 64 MiB live" "$here/check_ttsp.py" "$out/refgc-bench"
# Each preset's claim against balanced (pauses, cycles per GiB, heap).
step "presets do what their names say" "$here/check_presets.py" "$out/refgc-bench"
# Mutator waits (assists + stalls) under the feedback trigger.
step "mutator waits at the default GC percent" "$here/check_waits.py" "$out/refgc-bench"
if need valgrind "valgrind stress"; then
	step "stress under valgrind" env REFGC_MODE=incremental valgrind -q --error-exitcode=99 \
		--leak-check=full --errors-for-leak-kinds=definite "$out/refgc/stress" 2 2
fi
step "bench workloads" bench_smoke
# The bench under ASan: the marker aborts on a reachable freed object, so
# this also checks the workloads root what they hold.
for mode in stw incremental; do
	step "bench workloads, ASan+UBSan, $mode" bench_smoke "$out/refgc-asan/refgc-bench" $mode
done
step "tune" tune_smoke
# probes.sh handles its own skipping (and refuses to skip under CI=true).
step "USDT probes (bpftrace)" "$here/probes.sh" "$out"

echo "refgc-test: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
