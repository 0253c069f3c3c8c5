#!/bin/sh
# Rebuilds the ELF fuzz seeds in tests/elf/corpus from the unit-test fixtures
# (run `make unit-test` first): a PIE, a non-PIE, a shared library (debug
# sections dropped to keep them small, symbols kept), a stripped PIE, one
# whose unwind rows are a zlib-compressed .debug_frame, an ELF header with
# nothing behind it, and a small Go .gopclntab.
set -eu
cd "$(dirname "$0")/../.."
C=tests/elf/corpus
mkdir -p "$C"
for f in fx_pie fx_nopie libfx.so; do
	strip --strip-debug "build/fixtures/$f" -o "$C/$f"
done
cp build/fixtures/fx_stripped "$C/fx_stripped"
strip --strip-debug --keep-section=.debug_frame build/fixtures/fx_gz_frame -o "$C/fx_gz_frame"
head -c 64 build/fixtures/fx_pie >"$C/header_only"
python3 tests/elf/make_gopclntab_seed.py >"$C/gopclntab_118"
chmod 644 "$C"/*
