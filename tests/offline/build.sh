#!/bin/sh
# Builds the offline stand-ins into build/offline/ from the writer sources only
# (no BPF, no collector), so they work while the rest of the tree is in flux:
#   memtrace-offline  report|diff, as main.c will dispatch them
#   record_tool       .pb.gz -> .mtrec
#   bench_record      record_write/record_read timing on N synthetic stacks
#   fuzz_record       libFuzzer target (only when clang's libFuzzer is installed)
set -eu
cd "$(dirname "$0")/../.."
OUT=build/offline
mkdir -p "$OUT"
CC=${CC:-cc}
CFLAGS="-O2 -g -Wall -Wextra -Werror -std=gnu11 -Iinclude -Ibuild -Iuser"
LIB="user/record.c user/diff.c user/cmd_report.c user/output.c user/report_json.c user/json.c
     user/report_text.c user/log.c user/pprof.c user/pprof_read.c user/folded.c user/flamegraph.c
     user/html.c user/timechart.c user/humanize.c user/xml_escape.c user/frame_name.c
     user/calltree.c user/protobuf.c user/gzip_io.c user/profile.c user/strpool.c"
$CC $CFLAGS tests/offline/offline_main.c $LIB -lz -lm -o $OUT/memtrace-offline
$CC $CFLAGS tests/offline/record_tool.c $LIB -lz -lm -o $OUT/record_tool
$CC $CFLAGS -Itests/writers tests/offline/bench_record.c $LIB -lz -lm -o $OUT/bench_record
if echo 'int LLVMFuzzerTestOneInput(const char *d, long n) { return 0; }' |
	clang -fsanitize=fuzzer -x c - -o /dev/null 2>/dev/null; then
	clang -g -O1 -fsanitize=fuzzer,address,undefined -std=gnu11 -Iinclude -Iuser \
		tests/offline/fuzz_record.c user/record.c user/profile.c user/strpool.c -lz -o $OUT/fuzz_record
fi
