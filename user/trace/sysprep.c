// SPDX-License-Identifier: MIT
#include <errno.h>
#include <linux/capability.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "log.h"
#include "sysprep.h"

#ifndef CAP_PERFMON
#define CAP_PERFMON 38
#endif
#ifndef CAP_BPF
#define CAP_BPF 39
#endif

static bool has_cap(const struct __user_cap_data_struct d[2], int cap)
{
	return d[cap / 32].effective & (1u << (cap % 32));
}

static int check_privileges(void)
{
	struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct d[2] = {};

	if (syscall(SYS_capget, &h, d))
		return -errno;
	if ((has_cap(d, CAP_BPF) && has_cap(d, CAP_PERFMON) && has_cap(d, CAP_SYS_PTRACE)) ||
	    has_cap(d, CAP_SYS_ADMIN))
		return 0;
	log_error("need root or CAP_BPF, CAP_PERFMON and CAP_SYS_PTRACE (run with sudo)");
	return -EPERM;
}

static bool exists(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0;
}

static int ensure_tracefs(int verbose)
{
	if (exists("/sys/kernel/tracing/events") || exists("/sys/kernel/debug/tracing/events"))
		return 0;
	if (mount("nodev", "/sys/kernel/tracing", "tracefs", 0, NULL)) {
		log_error("tracefs is not mounted and mounting it failed: %s "
			  "(run: mount -t tracefs nodev /sys/kernel/tracing)", strerror(errno));
		return -ENODEV;
	}
	log_debug(verbose, 1, "mounted tracefs on /sys/kernel/tracing");
	return 0;
}

int sysprep(int verbose)
{
	struct rlimit unlimited = { RLIM_INFINITY, RLIM_INFINITY };
	int err;

	err = check_privileges();
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
	err = ensure_tracefs(verbose);
	if (err)
		return err;
	/* Kernels before 5.11 charge BPF maps to RLIMIT_MEMLOCK. */
	setrlimit(RLIMIT_MEMLOCK, &unlimited);
	return 0;
}
