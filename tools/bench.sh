#!/bin/sh
# memtrace benchmark entry point (make bench): see tools/bench.py --help.
set -e
cd "$(dirname "$0")/.."
exec "${PYTHON:-python3}" tools/bench.py "$@"
