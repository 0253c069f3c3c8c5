#!/bin/sh
# Reproduces the figures in runtime/README.md: latency workload, both
# modes, several live heap sizes. usage: runtime/bench/measure.sh [BUILD_DIR] [SECONDS]
set -eu
out=${1:-build}
secs=${2:-5}
printf '%-12s %8s %10s %10s %10s %12s %10s %8s %10s\n' mode live_MiB p50_us p99_us max_us ttsp_p99_us ops/s gcs peak_MiB
for live in 32 64 128 256; do
	for mode in stw incremental; do
		REFGC_MODE=$mode "$out/refgc-bench" --workload latency --seconds "$secs" \
			--live-mib "$live" | python3 -c '
import json, sys
d = json.load(sys.stdin)
p = d["pause_ns"]
print("%-12s %8.0f %10.1f %10.1f %10.1f %12.1f %10.0f %8d %10.1f" % (d["mode"], d["live_mib"],
      p["p50"] / 1e3, p["p99"] / 1e3, p["max"] / 1e3, d["ttsp_ns"]["p99"] / 1e3,
      d["ops_per_s"], d["gc_count"],
      d["peak_heap_bytes"] / 2**20))'
	done
done
