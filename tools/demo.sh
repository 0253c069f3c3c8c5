#!/bin/sh
# The demo: trace the bundled service workload (request churn, a bounded
# cache, a pool, and one function that leaks 64 KiB/s) for 10 seconds.
set -eu
cd "$(dirname "$0")/.."
mkdir -p build/demo
echo "== memtrace -i 2 -o build/demo/heap.html -o build/demo/heap.svg -o build/demo/heap.pb.gz -- build/tools/workload_service --seconds 10 --leak-bytes-per-s 65536"
build/memtrace -i 2 --top 8 -o build/demo/heap.html -o build/demo/heap.svg -o build/demo/heap.pb.gz \
	--json build/demo/heap.json \
	-- build/tools/workload_service --seconds 10 --leak-bytes-per-s 65536
echo
echo "Open build/demo/heap.html (report) or build/demo/heap.svg (flamegraph);"
echo "go tool pprof -top build/demo/heap.pb.gz also works."
