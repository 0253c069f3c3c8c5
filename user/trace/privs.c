// SPDX-License-Identifier: MIT
#include <errno.h>
#include <stdio.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "log.h"
#include "privs.h"

bool privs_have(int cap)
{
	struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct d[2] = {};

	if (cap < 0 || cap >= 64 || syscall(SYS_capget, &h, d))
		return false;
	return d[cap / 32].effective & (1u << (cap % 32));
}

int privs_check(void)
{
	bool bpf = privs_have(CAP_BPF), perfmon = privs_have(CAP_PERFMON);

	if (privs_have(CAP_SYS_ADMIN) || (bpf && perfmon))
		return 0;
	log_error("missing capability %s%s%s: loading the tracing programs needs CAP_BPF and CAP_PERFMON "
		  "(run as root, or grant them: setcap cap_bpf,cap_perfmon,cap_sys_ptrace+ep memtrace)",
		  bpf ? "" : "CAP_BPF", !bpf && !perfmon ? " and " : "", perfmon ? "" : "CAP_PERFMON");
	return -EPERM;
}

const char *privs_hint(int err, int cap)
{
	if ((err != -EPERM && err != -EACCES) || privs_have(CAP_SYS_ADMIN) || privs_have(cap))
		return "";
	switch (cap) {
	case CAP_SYS_PTRACE:
		return " (tracing another user's process needs CAP_SYS_PTRACE)";
	case CAP_SYS_ADMIN:
		return " (uprobe perf events need CAP_SYS_ADMIN: CAP_PERFMON is not enough; run as root)";
	default:
		return "";
	}
}
