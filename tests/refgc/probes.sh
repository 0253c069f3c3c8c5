#!/bin/sh
# USDT probe test: trace build/librefgc.so with bpftrace while refgc-bench
# runs, then check every probe and pause (tests/refgc/check_probes.py).
# Needs root and bpftrace. Outside CI it skips without them; with CI=true
# a missing prerequisite is a failure.
# usage: probes.sh BUILD_DIR
set -eu
out=${1:-build}
lib=$(readlink -f "$out/librefgc.so")
here=$(dirname "$0")
tmp=$(mktemp -d)
bt_pid=

# bpftrace started with & from a non-interactive shell begins with SIGINT
# ignored; one run here sat 16 minutes after its INT.  Ask with INT, then
# TERM after 5 s, then KILL: each line is already written (-B line).
stop_bt() {
	kill -INT "$bt_pid" 2>/dev/null || true
	i=0
	while kill -0 "$bt_pid" 2>/dev/null; do
		i=$((i + 1))
		[ $i -ne 50 ] || kill -TERM "$bt_pid" 2>/dev/null || true
		[ $i -lt 100 ] || kill -KILL "$bt_pid" 2>/dev/null || true
		sleep 0.1
	done
	wait "$bt_pid" || true
	bt_pid=
}

cleanup() {
	if [ -n "$bt_pid" ]; then stop_bt; fi
	rm -rf "$tmp"
}
trap cleanup EXIT

skip() {
	if [ "${CI:-}" = true ]; then
		echo "probes: FAIL: $1 (CI=true: not skipping)" >&2
		exit 1
	fi
	echo "probes: SKIP: $1"
	exit 0
}

[ "$(id -u)" = 0 ] || skip "not root"
command -v bpftrace >/dev/null 2>&1 || skip "bpftrace not installed"

# The note must describe every argument as 8 bytes: "8@" (unsigned).
if readelf -n "$lib" | grep 'Arguments:' | tr ' ' '\n' | grep '@' | grep -qv '^8@'; then
	echo "probes: FAIL: a probe argument is not an unsigned 64-bit value" >&2
	readelf -n "$lib" | grep 'Arguments:' >&2
	exit 1
fi
n=$(readelf -n "$lib" | grep -c 'Semaphore: 0x0*$' || true)
[ "$n" -ge 8 ] || { echo "probes: FAIL: probes missing or semaphore-guarded" >&2; exit 1; }

# The checker itself must fail when no probe fired.
echo '{"pid": 1, "mode": "stw", "pauses": []}' >"$tmp/empty.json"
if python3 "$here/check_probes.py" /dev/null "$tmp/empty.json" 2>/dev/null; then
	echo "probes: FAIL: checker accepts a trace without probes" >&2
	exit 1
fi

for mode in stw incremental; do
	sed "s|@LIB@|$lib|g" "$here/probes.bt.in" >"$tmp/p.bt"
	# System-wide on the library file: bpftrace -c cannot resolve probes in
	# a library the child has not loaded yet. Lines carry the pid.
	bpftrace -B line "$tmp/p.bt" >"$tmp/trace.$mode" 2>"$tmp/bt.err" &
	bt_pid=$!
	i=0
	until grep -q READY "$tmp/trace.$mode" 2>/dev/null; do
		i=$((i + 1))
		if [ $i -gt 300 ] || ! kill -0 "$bt_pid" 2>/dev/null; then
			cat "$tmp/bt.err" >&2
			echo "probes: FAIL: bpftrace did not start" >&2
			exit 1
		fi
		sleep 0.1
	done
	REFGC_MODE=$mode REFGC_GCPERCENT=100 "$out/refgc-bench" --workload latency \
		--seconds 2 --live-mib 16 --pauses >"$tmp/bench.$mode"
	sleep 0.5
	stop_bt
	python3 "$here/check_probes.py" "$tmp/trace.$mode" "$tmp/bench.$mode"
done
