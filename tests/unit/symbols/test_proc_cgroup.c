// SPDX-License-Identifier: MIT
/* proc_cgroup: which cgroup and container a /proc/PID/cgroup names. */
#include <criterion/criterion.h>
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "proc_cgroup.h"

#define ID "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

static struct proc_cgroup parse(const char *text)
{
	struct proc_cgroup c;

	proc_cgroup_parse(text, strlen(text), &c);
	return c;
}

Test(proc_cgroup, v2_docker_scope)
{
	struct proc_cgroup c = parse("0::/system.slice/docker-" ID ".scope\n");

	cr_expect_str_eq(c.path, "/system.slice/docker-" ID ".scope");
	cr_expect_str_eq(c.container_id, ID);
}

Test(proc_cgroup, v1_docker_and_kubepods)
{
	struct proc_cgroup c = parse("12:memory:/docker/" ID "\n11:cpu,cpuacct:/docker/" ID "\n0::/\n");

	cr_expect_str_eq(c.path, "/docker/" ID);
	cr_expect_str_eq(c.container_id, ID);
	c = parse("0::/kubepods.slice/kubepods-pod1.slice/cri-containerd-" ID ".scope");
	cr_expect_str_eq(c.container_id, ID);
	c = parse("0::/machine.slice/libpod-" ID ".scope/container\n");
	cr_expect_str_eq(c.container_id, ID);
}

Test(proc_cgroup, v2_beats_systemd_beats_controllers)
{
	struct proc_cgroup c = parse("4:memory:/mem\n1:name=systemd:/user.slice\n0::/session-3.scope\n");

	cr_expect_str_eq(c.path, "/session-3.scope");
	c = parse("4:memory:/mem\n1:name=systemd:/user.slice\n0::/\n");
	cr_expect_str_eq(c.path, "/user.slice");
	c = parse("4:memory:/mem\n0::/\n");
	cr_expect_str_eq(c.path, "/mem");
}

Test(proc_cgroup, host_and_not_a_container)
{
	struct proc_cgroup c = parse("0::/\n");

	cr_expect_str_eq(c.path, "");
	cr_expect_str_eq(c.container_id, "");
	/* 63 or 65 digits, upper case, or a non-hex digit: no id. */
	c = parse("0::/docker-" "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcde" ".scope\n");
	cr_expect_str_eq(c.container_id, "");
	c = parse("0::/docker-" ID "0.scope\n");
	cr_expect_str_eq(c.container_id, "");
	c = parse("0::/docker-0123456789ABCDEF0123456789abcdef0123456789abcdef0123456789abcdef.scope\n");
	cr_expect_str_eq(c.container_id, "");
	c = parse("0::/x-0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdeg\n");
	cr_expect_str_eq(c.container_id, "");
}

Test(proc_cgroup, hostile_names_are_cut_and_made_printable)
{
	char text[PROC_CGROUP_PATH_MAX * 3];
	struct proc_cgroup c = parse("0::/evil\x1b[2J\x7f:name\n");

	cr_expect_str_eq(c.path, "/evil?[2J?:name");
	memcpy(text, "0::/", 4);
	memset(text + 4, 'a', sizeof(text) - 5);
	text[sizeof(text) - 1] = '\0';
	c = parse(text);
	cr_expect_eq(strlen(c.path), PROC_CGROUP_PATH_MAX - 1);
	/* No newline, no colon, nothing at all: empty, never a crash. */
	c = parse("garbage");
	cr_expect_str_eq(c.path, "");
	c = parse("");
	cr_expect_str_eq(c.path, "");
	c = parse("0:");
	cr_expect_str_eq(c.path, "");
}

Test(proc_cgroup, reads_our_own)
{
	struct proc_cgroup c;

	cr_assert_eq(proc_cgroup_read(getpid(), &c), 0);
	cr_expect_lt(strlen(c.path), sizeof(c.path));
	cr_expect_eq(proc_cgroup_read(-5, &c), -ENOENT);
}
