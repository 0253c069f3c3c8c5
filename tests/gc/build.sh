#!/bin/sh
# Builds build/gcdrive from tests/gc/gcdrive.c and the GC module (run `make` first).
set -e
cd "$(dirname "$0")/../.."
make -s build/user/gc.o build/user/gc_stats.o build/user/gc_report.o build/user/elfimg.o \
	build/user/procmaps.o build/user/strpool.o build/user/log.o build/user/json.o \
	build/user/humanize.o build/user/xml_escape.o
cc -O2 -g -Wall -Wextra -Werror -std=gnu11 -Iinclude -Ibuild -Iuser tests/gc/gcdrive.c \
	build/user/gc.o build/user/gc_stats.o build/user/gc_report.o build/user/elfimg.o \
	build/user/procmaps.o build/user/strpool.o build/user/log.o build/user/json.o \
	build/user/humanize.o build/user/xml_escape.o -lbpf -lelf -lz -lm -o build/gcdrive
