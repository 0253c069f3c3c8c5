// SPDX-License-Identifier: MIT
/* target_file: opening a target's files without leaving its root, blocking
 * on a FIFO, or reading another inode than the mapped one. */
#define _GNU_SOURCE
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "procmaps.h"
#include "target_file.h"

static char root[] = "/tmp/mt-target-file-XXXXXX";

static void put(const char *rel, const char *text)
{
	char p[256];
	FILE *f;

	snprintf(p, sizeof(p), "%s%s", root, rel);
	f = fopen(p, "w");
	cr_assert_not_null(f, "%s", p);
	fputs(text, f);
	fclose(f);
}

static void at(char *out, size_t n, const char *rel)
{
	snprintf(out, n, "%s%s", root, rel);
}

/* A root with: /etc/hostname ("inside"), /lib/abs -> /etc/hostname,
 * /lib/up -> ../../../../etc/hostname, /fifo, /dir/. */
static void make_root(void)
{
	char p[256], q[256];

	cr_assert_not_null(mkdtemp(root));
	at(p, sizeof(p), "/etc");
	cr_assert_eq(mkdir(p, 0755), 0);
	at(p, sizeof(p), "/lib");
	cr_assert_eq(mkdir(p, 0755), 0);
	at(p, sizeof(p), "/dir");
	cr_assert_eq(mkdir(p, 0755), 0);
	put("/etc/hostname", "inside");
	at(p, sizeof(p), "/lib/abs");
	cr_assert_eq(symlink("/etc/hostname", p), 0);
	at(p, sizeof(p), "/lib/up");
	cr_assert_eq(symlink("../../../../etc/hostname", p), 0);
	at(q, sizeof(q), "/fifo");
	cr_assert_eq(mkfifo(q, 0600), 0);
}

static void remove_root(void)
{
	char cmd[300];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", root);
	cr_assert_eq(system(cmd), 0);
}

static void read_back(int fd, const char *want)
{
	char buf[64] = "";

	cr_assert_geq(fd, 0, "open: %s", strerror(-fd));
	cr_assert_gt(read(fd, buf, sizeof(buf) - 1), 0);
	close(fd);
	cr_assert_str_eq(buf, want);
}

TestSuite(target_file, .init = make_root, .fini = remove_root);

Test(target_file, absolute_symlink_resolves_inside_the_root)
{
	read_back(target_file_open(root, "/lib/abs"), "inside");
}

Test(target_file, dotdot_stays_inside_the_root)
{
	read_back(target_file_open(root, "/lib/up"), "inside");
	read_back(target_file_open(root, "/../../../../etc/hostname"), "inside");
}

Test(target_file, fifo_is_refused_without_blocking)
{
	char p[256];

	cr_assert_eq(target_file_open(root, "/fifo"), TARGET_FILE_ENOTREG);
	at(p, sizeof(p), "/fifo");
	cr_assert_eq(target_file_open(NULL, p), TARGET_FILE_ENOTREG);
	cr_assert_str_eq(target_file_strerror(TARGET_FILE_ENOTREG), "not a regular file");
}

Test(target_file, devices_and_directories_are_refused)
{
	cr_assert_eq(target_file_open(NULL, "/dev/null"), TARGET_FILE_ENOTREG);
	cr_assert_eq(target_file_open("/", "/dev/zero"), TARGET_FILE_ENOTREG);
	cr_assert_eq(target_file_open(root, "/dir"), TARGET_FILE_ENOTREG);
}

Test(target_file, magic_links_are_not_followed_inside_a_root)
{
	/* /proc/self/exe would lead to memtrace's own binary, outside any root. */
	cr_assert_lt(target_file_open("/", "/proc/self/exe"), 0);
}

Test(target_file, files_past_the_cap_are_refused)
{
	char p[256];
	int fd;

	at(p, sizeof(p), "/big");
	fd = open(p, O_CREAT | O_WRONLY, 0600);
	cr_assert_geq(fd, 0);
	cr_assert_eq(ftruncate(fd, (off_t)TARGET_FILE_MAX_SIZE + 1), 0); /* sparse */
	close(fd);
	cr_assert_eq(target_file_open(root, "/big"), -EFBIG);
	cr_assert_eq(target_file_open(NULL, p), -EFBIG);
}

Test(target_file, missing_file_and_root)
{
	cr_assert_eq(target_file_open(root, "/nope"), -ENOENT);
	cr_assert_eq(target_file_open("/nonexistent-root-mt", "/etc/hostname"), -ENOENT);
}

/* The mapping of this test binary's own code. */
static struct mapping self_text(struct maps *m)
{
	const struct mapping *e;

	cr_assert_eq(maps_read(getpid(), m), 0);
	e = maps_find(m, (uint64_t)(uintptr_t)&self_text);
	cr_assert_not_null(e);
	return *e;
}

Test(target_file, mapping_opens_the_mapped_inode)
{
	struct maps m;
	struct mapping e = self_text(&m);
	struct stat st;
	int fd = target_file_open_mapping(getpid(), &e);

	cr_assert_geq(fd, 0, "%s", strerror(-fd));
	cr_assert_eq(fstat(fd, &st), 0);
	cr_assert_eq(st.st_ino, e.inode);
	cr_assert_eq(st.st_dev, e.dev);
	close(fd);
	maps_free(&m);
}

Test(target_file, pin_names_the_mapped_inode_once)
{
	struct maps m;
	struct mapping e = self_text(&m);
	char a[64], b[64];
	struct stat st;

	cr_assert_eq(target_file_pin(getpid(), &e, a), 0);
	cr_assert_eq(target_file_pin(getpid(), &e, b), 0);
	cr_assert_str_eq(a, b);
	cr_assert_eq(strncmp(a, "/proc/self/fd/", 14), 0);
	cr_assert_eq(stat(a, &st), 0);
	cr_assert_eq(st.st_ino, e.inode);
	maps_free(&m);
}

/* Kernels before 5.6 have no openat2: this process gets ENOSYS for it. */
static void without_openat2(void)
{
	struct sock_filter f[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_openat2, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | ENOSYS),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_fprog prog = { .len = sizeof(f) / sizeof(f[0]), .filter = f };

	cr_assert_eq(prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0), 0);
	cr_assert_eq(prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog), 0);
}

Test(target_file, without_openat2_the_walk_follows_no_symlink)
{
	without_openat2();
	read_back(target_file_open(root, "/etc/hostname"), "inside");
	read_back(target_file_open(root, "/../../etc/./hostname"), "inside");
	cr_assert_eq(target_file_open(root, "/lib/abs"), -ELOOP);
	cr_assert_eq(target_file_open(root, "/fifo"), TARGET_FILE_ENOTREG);
	cr_assert_eq(target_file_open(root, "/nope"), -ENOENT);
}
