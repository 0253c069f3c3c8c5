// SPDX-License-Identifier: MIT
/* safe_file: temporary files nobody can plant, commit by rename, modes by
 * fchmod, and append only to a regular file of root's or the invoker's. */
#include <criterion/criterion.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "safe_file.h"

static char dir[64];
static char victim[4096];
static const char secret[] = "secret\n";

static void setup(void)
{
	snprintf(dir, sizeof(dir), "/tmp/mt-safe-file-XXXXXX");
	cr_assert_not_null(mkdtemp(dir));
	snprintf(victim, sizeof(victim), "%s/victim", dir);
	FILE *f = fopen(victim, "w");
	cr_assert_not_null(f);
	fputs(secret, f);
	fclose(f);
	safe_file_set_mode(0600);
}

static void teardown(void)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	cr_assert_eq(system(cmd), 0);
	safe_file_set_mode(0600);
	unsetenv("SUDO_UID");
}

static char *in_dir(const char *name)
{
	static char buf[4][4096];
	static int i;

	i = (i + 1) % 4;
	snprintf(buf[i], sizeof(buf[i]), "%s/%s", dir, name);
	return buf[i];
}

static void assert_text(const char *path, const char *want)
{
	char got[256] = "";
	FILE *f = fopen(path, "r");

	cr_assert_not_null(f, "%s: %s", path, strerror(errno));
	size_t n = fread(got, 1, sizeof(got) - 1, f);
	got[n] = 0;
	fclose(f);
	cr_assert_str_eq(got, want, "%s", path);
}

/* Names in dir other than the victim and the names given. */
static int strays(const char *keep1, const char *keep2)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;

	cr_assert_not_null(d);
	while ((e = readdir(d))) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..") || !strcmp(e->d_name, "victim") ||
		    (keep1 && !strcmp(e->d_name, keep1)) || (keep2 && !strcmp(e->d_name, keep2)))
			continue;
		n++;
	}
	closedir(d);
	return n;
}

static int write_file(const char *path, const char *text)
{
	struct safe_file sf;
	int err = safe_file_create(&sf, path);

	if (err)
		return err;
	fputs(text, sf.f);
	return safe_file_commit(&sf);
}

TestSuite(safe_file, .init = setup, .fini = teardown);

Test(safe_file, commit_writes_0600_despite_umask_000)
{
	mode_t old = umask(0);
	struct stat st;

	cr_assert_eq(write_file(in_dir("out.json"), "hello\n"), 0);
	umask(old);
	assert_text(in_dir("out.json"), "hello\n");
	cr_assert_eq(stat(in_dir("out.json"), &st), 0);
	cr_assert_eq(st.st_mode & 07777, 0600, "mode %o", st.st_mode & 07777);
	cr_assert_eq(strays("out.json", NULL), 0, "temporary names left behind");
}

Test(safe_file, output_mode_0644_is_applied)
{
	struct stat st;

	cr_assert_eq(safe_file_set_mode(0644), 0);
	cr_assert_eq(write_file(in_dir("out.svg"), "x"), 0);
	cr_assert_eq(stat(in_dir("out.svg"), &st), 0);
	cr_assert_eq(st.st_mode & 07777, 0644);
}

Test(safe_file, modes_writable_by_others_are_refused)
{
	static const char *const bad[] = { "0666", "0664", "0622", "0755", "0700", "0400", "0200", "", "rw", "9", "010644" };
	static const char *const good[] = { "0600", "600", "0640", "0604", "0644" };
	mode_t m;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		cr_assert_eq(safe_file_parse_mode(bad[i], &m), -EINVAL, "%s accepted", bad[i]);
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		cr_assert_eq(safe_file_parse_mode(good[i], &m), 0, "%s refused", good[i]);
		cr_assert_eq(safe_file_set_mode(m), 0);
	}
	cr_assert_eq(safe_file_set_mode(0666), -EINVAL);
	cr_assert_eq(safe_file_mode(), 0644);
}

Test(safe_file, symlink_at_final_name_is_replaced_not_followed)
{
	struct stat st;

	cr_assert_eq(symlink(victim, in_dir("out.json")), 0);
	cr_assert_eq(write_file(in_dir("out.json"), "report\n"), 0);
	assert_text(victim, secret);
	cr_assert_eq(lstat(in_dir("out.json"), &st), 0);
	cr_assert(S_ISREG(st.st_mode), "the final name is still a link");
	assert_text(in_dir("out.json"), "report\n");
}

Test(safe_file, old_predictable_temporary_names_are_not_used)
{
	char name[64];

	/* The name the old writer used, and a dangling link, both planted. */
	snprintf(name, sizeof(name), "out.json.tmp.%d", (int)getpid());
	cr_assert_eq(symlink(victim, in_dir(name)), 0);
	cr_assert_eq(symlink(in_dir("nowhere"), in_dir(".memtrace-tmp")), 0);
	cr_assert_eq(write_file(in_dir("out.json"), "report\n"), 0);
	assert_text(victim, secret);
	cr_assert_eq(access(in_dir("nowhere"), F_OK), -1);
	assert_text(in_dir("out.json"), "report\n");
}

Test(safe_file, abort_leaves_the_old_file)
{
	struct safe_file sf;

	cr_assert_eq(write_file(in_dir("out.json"), "old\n"), 0);
	cr_assert_eq(safe_file_create(&sf, in_dir("out.json")), 0);
	fputs("half a new rep", sf.f);
	safe_file_abort(&sf);
	assert_text(in_dir("out.json"), "old\n");
	cr_assert_eq(strays("out.json", NULL), 0);
}

Test(safe_file, bad_paths)
{
	struct safe_file sf;

	cr_assert_eq(safe_file_create(&sf, ""), -EINVAL);
	cr_assert_eq(safe_file_create(&sf, "/nonexistent/dir/x.svg"), -ENOENT);
	cr_assert_eq(safe_file_create(&sf, in_dir("sub/")), -EISDIR);
	cr_assert_eq(safe_file_create(&sf, in_dir("victim/x")), -ENOTDIR);
	cr_assert_eq(safe_file_check("", false), -EINVAL);
	cr_assert_eq(safe_file_check(dir, false), -EISDIR);
	cr_assert_eq(safe_file_check("/nonexistent/dir/x.svg", false), -ENOENT);
	cr_assert_eq(safe_file_check("/proc/x.json", false) < 0, 1);
	cr_assert_eq(safe_file_check(in_dir("fine.json"), false), 0);
	cr_assert_eq(strays(NULL, NULL), 0, "the check left a file behind");
}

Test(safe_file, commit_unique_never_replaces)
{
	struct safe_file sf;
	char name[64];

	cr_assert_eq(safe_file_create(&sf, in_dir("x")), 0);
	fputs("trace", sf.f);
	cr_assert_eq(safe_file_commit_unique(&sf, "memtrace-rescue-", ".mtrace", name, sizeof(name)), 0);
	cr_assert_eq(strncmp(name, "memtrace-rescue-", 16), 0, "%s", name);
	cr_assert_str_eq(name + strlen(name) - 7, ".mtrace");
	assert_text(in_dir(name), "trace");
	cr_assert_eq(access(in_dir("x"), F_OK), -1);
}

static int append_line(const char *path, const char *line)
{
	FILE *f;
	int err = safe_file_append_open(path, &f);

	if (err)
		return err;
	fputs(line, f);
	return fclose(f) ? -errno : 0;
}

Test(safe_file, append_creates_with_mode_then_appends)
{
	struct stat st;
	mode_t old = umask(0);

	cr_assert_eq(append_line(in_dir("a.jsonl"), "1\n"), 0);
	umask(old);
	cr_assert_eq(append_line(in_dir("a.jsonl"), "2\n"), 0);
	assert_text(in_dir("a.jsonl"), "1\n2\n");
	cr_assert_eq(stat(in_dir("a.jsonl"), &st), 0);
	cr_assert_eq(st.st_mode & 07777, 0600);
}

Test(safe_file, append_refuses_symlinks)
{
	cr_assert_eq(symlink(victim, in_dir("a.jsonl")), 0);
	cr_assert_eq(append_line(in_dir("a.jsonl"), "alert\n"), -EPERM);
	cr_assert_eq(symlink(in_dir("nowhere"), in_dir("b.jsonl")), 0);
	cr_assert_eq(append_line(in_dir("b.jsonl"), "alert\n"), -EPERM);
	cr_assert_eq(access(in_dir("nowhere"), F_OK), -1, "a dangling link was followed");
	assert_text(victim, secret);
	cr_assert_eq(safe_file_check(in_dir("a.jsonl"), true), -EPERM);
}

Test(safe_file, append_refuses_fifo_without_blocking)
{
	cr_assert_eq(mkfifo(in_dir("a.fifo"), 0600), 0);
	cr_assert_eq(append_line(in_dir("a.fifo"), "alert\n"), -EPERM);
}

/* A device node is root's: appending to one (--log-file /dev/null) is safe. */
Test(safe_file, append_to_a_root_device_is_allowed)
{
	cr_assert_eq(mknod(in_dir("null"), S_IFCHR | 0666, makedev(1, 3)), 0);
	cr_assert_eq(append_line(in_dir("null"), "alert\n"), 0);
}

/* /dev/stdout is a symlink in a root-only directory: followed to the
 * device, never replaced by a regular file. */
Test(safe_file, commit_through_a_link_in_a_root_only_directory)
{
	struct stat st;
	const char *dev = in_dir("rootonly/null"), *link = in_dir("rootonly/stdout");

	cr_assert_eq(mkdir(in_dir("rootonly"), 0755), 0);
	cr_assert_eq(mknod(dev, S_IFCHR | 0666, makedev(1, 3)), 0);
	cr_assert_eq(symlink(dev, link), 0);
	cr_assert_eq(write_file(link, "report\n"), 0);
	cr_assert_eq(lstat(link, &st), 0);
	cr_assert(S_ISLNK(st.st_mode), "the link was replaced");
	cr_assert_eq(lstat(dev, &st), 0);
	cr_assert(S_ISCHR(st.st_mode));
}

/* In a directory others may write, a link is replaced, never followed. */
Test(safe_file, link_to_a_device_in_a_shared_directory_is_replaced)
{
	struct stat st;

	cr_assert_eq(chmod(dir, 01777), 0);
	cr_assert_eq(mknod(in_dir("null"), S_IFCHR | 0666, makedev(1, 3)), 0);
	cr_assert_eq(symlink(in_dir("null"), in_dir("out")), 0);
	cr_assert_eq(write_file(in_dir("out"), "report\n"), 0);
	cr_assert_eq(lstat(in_dir("out"), &st), 0);
	cr_assert(S_ISREG(st.st_mode));
	assert_text(in_dir("out"), "report\n");
	cr_assert_eq(lstat(in_dir("null"), &st), 0);
	cr_assert(S_ISCHR(st.st_mode));
}

Test(safe_file, append_refuses_hard_links)
{
	cr_assert_eq(link(victim, in_dir("a.jsonl")), 0);
	cr_assert_eq(append_line(in_dir("a.jsonl"), "alert\n"), -EPERM);
	assert_text(victim, secret);
}

Test(safe_file, append_refuses_other_users_files_but_the_invokers)
{
	cr_assert_eq(append_line(in_dir("a.jsonl"), "1\n"), 0);
	cr_assert_eq(chown(in_dir("a.jsonl"), 4242, 4242), 0);
	cr_assert_eq(append_line(in_dir("a.jsonl"), "2\n"), -EPERM);
	cr_assert_eq(safe_file_check(in_dir("a.jsonl"), true), -EPERM);
	/* Under sudo the invoking user's own file is theirs to extend. */
	setenv("SUDO_UID", "4242", 1);
	cr_assert_eq(append_line(in_dir("a.jsonl"), "2\n"), 0);
	assert_text(in_dir("a.jsonl"), "1\n2\n");
}

/* Renaming over /dev/null as root would leave the system a regular file
 * there; a device at the final name is written into instead. */
Test(safe_file, commit_into_a_device_keeps_the_device)
{
	struct stat st;

	cr_assert_eq(mknod(in_dir("null"), S_IFCHR | 0666, makedev(1, 3)), 0);
	cr_assert_eq(write_file(in_dir("null"), "report\n"), 0);
	cr_assert_eq(lstat(in_dir("null"), &st), 0);
	cr_assert(S_ISCHR(st.st_mode), "the device was replaced");
	cr_assert_eq(st.st_rdev, makedev(1, 3));
	cr_assert_eq(strays("null", NULL), 0);
}

Test(safe_file, commit_into_a_fifo_reaches_its_reader)
{
	char got[64] = "";
	struct stat st;
	int rd;

	cr_assert_eq(mkfifo(in_dir("out.fifo"), 0600), 0);
	rd = open(in_dir("out.fifo"), O_RDONLY | O_NONBLOCK);
	cr_assert_geq(rd, 0);
	cr_assert_eq(write_file(in_dir("out.fifo"), "report\n"), 0);
	cr_assert_eq(read(rd, got, sizeof(got) - 1), 7);
	cr_assert_str_eq(got, "report\n");
	close(rd);
	cr_assert_eq(lstat(in_dir("out.fifo"), &st), 0);
	cr_assert(S_ISFIFO(st.st_mode));
	cr_assert_eq(strays("out.fifo", NULL), 0);
}

Test(safe_file, commit_into_a_fifo_without_reader_fails_at_once)
{
	struct stat st;

	cr_assert_eq(mkfifo(in_dir("out.fifo"), 0600), 0);
	cr_assert_eq(write_file(in_dir("out.fifo"), "report\n"), -ENXIO);
	cr_assert_eq(lstat(in_dir("out.fifo"), &st), 0);
	cr_assert(S_ISFIFO(st.st_mode));
	cr_assert_eq(strays("out.fifo", NULL), 0);
}
