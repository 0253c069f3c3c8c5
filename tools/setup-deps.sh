#!/bin/sh
# Installs the Debian packages memtrace builds, tests and benchmarks with,
# when any is missing.  Needs root (apt-get); a no-op when all are present.
set -eu

# build: compilers (g++: the C++ workload and libstdc++ for demangling), BPF toolchain, libbpf, libelf, zlib
# test: Criterion, valgrind (totals oracle), golang-go (go tool pprof), chromium (HTML),
#       libxml2-utils (xmllint), bpftrace (probe and bench oracle), systemtap-sdt-dev (refgc USDT)
#       libjemalloc2, libtcmalloc-minimal4, libmimalloc2.0 (allocators memtrace must follow),
#       openjdk-17-jdk-headless (HotSpot GC probes)
# bench: heaptrack (a peer)
PKGS="make gcc g++ clang llvm libbpf-dev bpftool libelf-dev zlib1g-dev pkg-config binutils
libcriterion-dev valgrind golang-go chromium libxml2-utils bpftrace systemtap-sdt-dev
python3 util-linux heaptrack libjemalloc2 libtcmalloc-minimal4 libmimalloc2.0
openjdk-17-jdk-headless"

missing=""
for p in $PKGS; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" != 0 ]; then
	echo "memtrace: missing packages:$missing (run: sudo make deps)" >&2
	exit 1
fi
echo "memtrace: installing:$missing"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing >/dev/null
