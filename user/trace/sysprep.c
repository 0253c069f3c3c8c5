// SPDX-License-Identifier: MIT
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"
#include "privs.h"
#include "syscall_tp.h"
#include "sysprep.h"

static bool exists(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0;
}

int sysprep(int verbose)
{
	struct rlimit unlimited = { RLIM_INFINITY, RLIM_INFINITY };
	int err;

	/* Nothing needs tracefs (tp_btf programs, uprobes through their PMU
	 * type in sysfs), but root's cheaper per-syscall tracepoints do. */

	err = privs_check();
	if (err)
		return err;
	if (!exists("/sys/kernel/btf/vmlinux")) {
		log_error("this kernel has no BTF (/sys/kernel/btf/vmlinux missing): "
			  "use a kernel built with CONFIG_DEBUG_INFO_BTF=y");
		return -ENOTSUP;
	}
	if (!exists("/sys/bus/event_source/devices/uprobe/type")) {
		log_error("this kernel has no uprobes: use a kernel built with CONFIG_UPROBE_EVENTS=y");
		return -ENOTSUP;
	}
	syscall_tracefs_mount(verbose);
	/* Kernels before 5.11 charge BPF maps to RLIMIT_MEMLOCK. */
	setrlimit(RLIMIT_MEMLOCK, &unlimited);
	return 0;
}
