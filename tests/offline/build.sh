#!/bin/sh
# Builds the recording format's benchmark and fuzz target into build/offline/
# (run `make` first: they link the collector's objects):
#   bench_record  record_write/record_read timing on N synthetic stacks
#   fuzz_record   libFuzzer target (only when clang's libFuzzer is installed);
#                 seeds: tests/offline/make_seeds.py, and the decompression
#                 bombs of tests/offline/make_bombs.py OUTDIR --seeds
set -eu
cd "$(dirname "$0")/../.."
OUT=build/offline
mkdir -p "$OUT"
CC=${CC:-cc}
INC="-Iuser $(for d in user/*/; do printf -- '-I%s ' "${d%/}"; done)"
CFLAGS="-O2 -g -Wall -Wextra -Werror -std=gnu11 -Iinclude -Ibuild $INC"
# The objects of today's sources (not stale ones of moved files), mains left out.
OBJS=$(find user -name '*.c' ! -name main.c ! -name 'main_*.c' | sort | sed 's|^|build/|; s|\.c$|.o|')
LIBS="-lbpf -ldw -lelf -lz -lm -lpthread -lstdc++"
# shellcheck disable=SC2086
$CC $CFLAGS -Itests/writers tests/offline/bench_record.c $OBJS $LIBS -o $OUT/bench_record
if echo 'int LLVMFuzzerTestOneInput(const char *d, long n) { return 0; }' |
	clang -fsanitize=fuzzer -x c - -o /dev/null 2>/dev/null; then
	# The reader instrumented; everything it links against as built.
	# shellcheck disable=SC2086
	clang -g -O1 -fsanitize=fuzzer,address,undefined -std=gnu11 -Iinclude -Ibuild $INC \
		tests/offline/fuzz_record.c user/formats/record_read.c $(echo $OBJS | tr ' ' '\n' | grep -v '/record_read\.o$') \
		$LIBS -o $OUT/fuzz_record
fi
