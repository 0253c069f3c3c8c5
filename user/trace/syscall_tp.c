// SPDX-License-Identifier: MIT
#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <string.h>
#include <sys/mount.h>
#include <unistd.h>

#include "log.h"
#include "privs.h"
#include "syscall_tp.h"

#define DEBUGFS_TRACING "/sys/kernel/debug/tracing"
#define TRACEFS "/sys/kernel/tracing"
#define MMAP_ID "/events/syscalls/sys_enter_mmap/id"

bool syscall_tracepoints_readable(void)
{
	/* libbpf 1.1's use_debugfs(): an existing debugfs tracing/ wins, even
	 * when the file below it turns out unreadable. */
	if (faccessat(AT_FDCWD, DEBUGFS_TRACING, F_OK, AT_EACCESS) == 0)
		return faccessat(AT_FDCWD, DEBUGFS_TRACING MMAP_ID, R_OK, AT_EACCESS) == 0;
	return faccessat(AT_FDCWD, TRACEFS MMAP_ID, R_OK, AT_EACCESS) == 0;
}

void syscall_tracefs_mount(int verbose)
{
	if (faccessat(AT_FDCWD, TRACEFS "/events", F_OK, AT_EACCESS) == 0 ||
	    faccessat(AT_FDCWD, DEBUGFS_TRACING "/events", F_OK, AT_EACCESS) == 0 || !privs_have(CAP_SYS_ADMIN))
		return;
	if (mount("nodev", TRACEFS, "tracefs", 0, NULL))
		log_debug(verbose, 1, "tracefs is not mounted and mounting it failed (%s): mmap and friends are "
			  "traced through sys_enter/sys_exit", strerror(errno));
	else
		log_debug(verbose, 1, "mounted tracefs on " TRACEFS);
}
