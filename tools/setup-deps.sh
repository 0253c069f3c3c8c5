#!/bin/sh
# Installs the Debian packages memtrace needs, when any is missing, for the
# goals named: build, demo, test, bench (default: all four).  Needs root
# (apt-get); a no-op when all are present.  `make demo` asks for build and
# demo only, `make test` for build and test, `make bench` for build and bench.
set -eu

# build: compilers (g++: the C++ workload), libiberty (demangling), BPF
#        toolchain, libbpf, libelf, libdw and libdebuginfod (source lines, debug files), zlib, python3 (layer check, man page),
#        systemtap-sdt-dev (refgc's USDT probes, built by `make all`), xz-utils
#        (the MiniDebugInfo fixture)
BUILD="make gcc g++ clang llvm libbpf-dev bpftool libelf-dev libdw-dev libdebuginfod-dev libiberty-dev zlib1g-dev pkg-config binutils
python3 systemtap-sdt-dev xz-utils"
# demo: tools/demo.sh runs build/memtrace on build/tools/workload_service and
#       writes files: nothing beyond the build.
DEMO=""
# test: Criterion, valgrind (totals oracle), golang-go (go tool pprof), chromium (HTML),
#       libxml2-utils (xmllint), bpftrace (probe and bench oracle), util-linux,
#       libjemalloc2, libtcmalloc-minimal4, libmimalloc2.0 (allocators memtrace must follow),
#       openjdk-17-jdk-headless (HotSpot GC probes), man-db (man -l of the
#       installed page), bash-completion (the installed completion), xz-utils
#       and gzip (binary streams piped through memtrace), debuginfod (a local
#       server for the debug-file tests), rustc (a Rust workload with v0 names),
#       dwarves (pahole, the struct layout oracle), libc6-dbg (a Debian
#       library's DWARF: layout and symbol tests), prometheus (promtool
#       checks what --metrics serves), gdb (a big program without frame
#       pointers: the unwind rows it needs)
TEST="libcriterion-dev valgrind golang-go chromium libxml2-utils bpftrace util-linux
libjemalloc2 libtcmalloc-minimal4 libmimalloc2.0 openjdk-17-jdk-headless man-db bash-completion
xz-utils gzip debuginfod rustc dwarves libc6-dbg prometheus gdb"
# bench: heaptrack (a peer), libc6-dbg and libstdc++6-12-dbg (the DWARF whose
#        memory bench_collector measures), redis-server and redis-tools
#        (bench_server.py: a real server under its own client)
BENCH="heaptrack libc6-dbg libstdc++6-12-dbg redis-server redis-tools"

[ $# -gt 0 ] || set -- build demo test bench
PKGS=""
for goal in "$@"; do
	case $goal in
	build) PKGS="$PKGS $BUILD" ;;
	demo) PKGS="$PKGS $DEMO" ;;
	test) PKGS="$PKGS $TEST" ;;
	bench) PKGS="$PKGS $BENCH" ;;
	*)
		echo "memtrace: setup-deps: unknown goal '$goal' (build, demo, test or bench)" >&2
		exit 64
		;;
	esac
done

missing=""
for p in $PKGS; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" != 0 ]; then
	echo "memtrace: missing packages:$missing (run: sudo tools/setup-deps.sh $*)" >&2
	exit 1
fi
echo "memtrace: installing:$missing"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing >/dev/null
