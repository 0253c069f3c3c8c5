#!/bin/sh
# Builds build/faults_driver from the collector's objects (see faults_driver.c).
set -e
cd "$(dirname "$0")/../.."
make --no-print-directory build/faults.skel.h build/tools/workload_faults build/tools/workload_mmap
objs=
for src in user/*.c; do
	base=$(basename "$src" .c)
	[ "$base" = main ] && continue
	make --no-print-directory "build/user/$base.o" >/dev/null
	objs="$objs build/user/$base.o"
done
cc -O2 -g -std=gnu11 -Wall -Wextra -Werror -Iinclude -Ibuild -Iuser tests/faults/faults_driver.c $objs \
	-lbpf -lelf -lz -lm -lpthread -lstdc++ -o build/faults_driver
