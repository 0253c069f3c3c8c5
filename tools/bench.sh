#!/bin/sh
# memtrace benchmark entry point (make bench): the probes' cost per call
# (tools/bench.py --help), a real server's throughput (tools/bench_server.py),
# then the collector's (tools/bench_collector.py).
set -e
cd "$(dirname "$0")/.."
"${PYTHON:-python3}" tools/bench.py "$@"
"${PYTHON:-python3}" tools/bench_server.py
exec "${PYTHON:-python3}" tools/bench_collector.py
