// SPDX-License-Identifier: MIT
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "pid_check.h"

#define PF_KTHREAD 0x00200000u /* include/linux/sched.h */

enum pid_verdict pid_verdict(pid_t pid, pid_t self)
{
	char path[64], buf[1024], *p;
	unsigned long flags = 0;
	char state = 0;
	ssize_t n;
	int fd;

	if (pid == self)
		return PID_SELF;
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return PID_GONE;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return PID_GONE;
	buf[n] = '\0';
	/* comm may hold spaces and ')': the fields start after the last ')'. */
	p = strrchr(buf, ')');
	if (!p || sscanf(p + 1, " %c %*d %*d %*d %*d %*d %lu", &state, &flags) != 2)
		return PID_GONE;
	if (flags & PF_KTHREAD)
		return PID_KTHREAD;
	if (state == 'Z' || state == 'X')
		return PID_ZOMBIE;
	return PID_OK;
}

int pid_check(pid_t pid, pid_t self)
{
	switch (pid_verdict(pid, self)) {
	case PID_OK:
		return 0;
	case PID_GONE:
		log_error("no process with PID %d (check the PID with ps)", (int)pid);
		return -ESRCH;
	case PID_SELF:
		log_error("PID %d is memtrace itself (give the PID of the process to trace)", (int)pid);
		return -EINVAL;
	case PID_KTHREAD:
		log_error("PID %d is a kernel thread: it has no user-space heap (give the PID of a user-space process)",
			  (int)pid);
		return -EINVAL;
	case PID_ZOMBIE:
		log_error("PID %d is a zombie: it has exited and holds no memory (nothing to trace)", (int)pid);
		return -ESRCH;
	}
	return -EINVAL;
}
