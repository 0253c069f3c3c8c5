#!/bin/sh
# Builds build/faults_driver from the collector's objects (see faults_driver.c).
set -e
cd "$(dirname "$0")/../.."
make --no-print-directory build/faults.skel.h build/tools/workload_faults build/tools/workload_mmap
objs=
for src in $(find user -name '*.c' | sort); do
	case $src in user/main.c | user/*/main_*.c) continue ;; esac
	obj=build/${src%.c}.o
	make --no-print-directory "$obj" >/dev/null
	objs="$objs $obj"
done
inc="-Iuser $(for d in user/*/; do printf -- '-I%s ' "${d%/}"; done)"
# shellcheck disable=SC2086
cc -O2 -g -std=gnu11 -Wall -Wextra -Werror -Iinclude -Ibuild $inc tests/faults/faults_driver.c $objs \
	-lbpf -ldw -lelf -lz -lm -lpthread -lstdc++ -o build/faults_driver
