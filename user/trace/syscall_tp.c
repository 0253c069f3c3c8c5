// SPDX-License-Identifier: MIT
#include <fcntl.h>
#include <unistd.h>

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
