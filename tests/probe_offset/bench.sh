#!/bin/bash
# Measures what an entry uprobe costs per call on each allocator function of
# LIB, at the entry (+0) and at the placement probe_offset computes.
#   [FUNCS="malloc free"] tests/probe_offset/bench.sh [LIB [RUNS [N]]]  (root; LIB default glibc)
# Prints one line per function: name, skip, ns/call at +0, ns/call at +skip
# (medians over RUNS runs of N calls, minus the unprobed median).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
LIBC=/usr/lib/x86_64-linux-gnu/libc.so.6
LIB=${1:-$LIBC}
RUNS=${2:-5}
N=${3:-200000}
FUNCS=${FUNCS:-"malloc free calloc realloc posix_memalign aligned_alloc memalign valloc pvalloc reallocarray"}
T=$(mktemp -d /tmp/probe_offset.XXXXXX)
trap 'rm -rf "$T"' EXIT

cc -O2 -std=gnu11 -I"$ROOT/include" -I"$ROOT/user/lib" -I"$ROOT/user/symbols" -I"$ROOT/user/trace" \
	"$ROOT/tests/probe_offset/place.c" "$ROOT/user/trace/probe_offset.c" "$ROOT/user/trace/x86_insn.c" \
	"$ROOT/user/symbols/elfimg.c" "$ROOT/user/lib/strpool.c" "$ROOT/user/lib/hmap.c" "$ROOT/user/symbols/target_file.c" -lelf -lz -o "$T/place"
cc -O2 "$ROOT/tests/probe_offset/alloc_loop.c" -o "$T/alloc_loop"
cc -O2 "$ROOT/tests/probe_offset/uprobe_cost.c" -lbpf -o "$T/uprobe_cost"
clang -O2 -g -target bpf -idirafter /usr/include/$(gcc -dumpmachine) \
	-c "$ROOT/tests/probe_offset/uprobe_cost.bpf.c" -o "$T/uprobe_cost.bpf.o"

PRE=()
[ "$LIB" != "$LIBC" ] && PRE=(env LD_PRELOAD="$LIB")

# median of RUNS timings (ns per loop iteration) for probe offset $2 on function $1
med() {
	local f=$1 off=$2 i v vals=()
	for ((i = 0; i < RUNS; i++)); do
		v=$("$T/uprobe_cost" "$T/uprobe_cost.bpf.o" "$LIB" "$off" -- "${PRE[@]}" "$T/alloc_loop" "$f" "$N" 2>/dev/null)
		vals+=("$v")
	done
	printf '%s\n' "${vals[@]}" | sort -g | awk '{a[NR]=$1} END{print (NR%2)?a[(NR+1)/2]:(a[NR/2]+a[NR/2+1])/2}'
}

printf '%-15s %5s %10s %12s %s\n' function skip "+0 ns" "+skip ns" why
"$T/place" "$LIB" $FUNCS | while IFS=$'\t' read -r name vaddr off skip emu why; do
	if [ "$off" = - ]; then
		printf '%-15s %5s %10s %12s %s\n' "$name" - - - "$why"
		continue
	fi
	base=$(med "$name" -)
	at0=$(med "$name" "$off")
	if [ "$skip" != 0 ]; then
		atk=$(med "$name" $((off + skip)))
	else
		atk=$at0
	fi
	awk -v n="$name" -v s="$skip" -v b="$base" -v a="$at0" -v k="$atk" -v w="$why" \
		'BEGIN{printf "%-15s %5s %10.0f %12.0f %s\n", n, s, a-b, k-b, w}'
done
