// SPDX-License-Identifier: MIT
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "alert_why.h"
#include "alerts.h"
#include "frame_name.h"
#include "humanize.h"
#include "json.h"
#include "log.h"
#include "report_json.h"
#include "report_text.h"
#include "safe_file.h"

#define MAX_HOOK_PIDS 64
static pid_t hook_pids[MAX_HOOK_PIDS];

/* Whether argv0 names an executable, directly or through $PATH. */
static bool runnable(const char *argv0)
{
	const char *path = getenv("PATH");
	char buf[4096];

	if (strchr(argv0, '/'))
		return access(argv0, X_OK) == 0;
	for (const char *p = path ? path : "/usr/bin:/bin"; *p;) {
		size_t n = strcspn(p, ":");

		snprintf(buf, sizeof(buf), "%.*s/%s", (int)n, n ? p : ".", argv0);
		if (access(buf, X_OK) == 0)
			return true;
		p += n;
		if (*p == ':')
			p++;
	}
	return false;
}

int alert_sink_open(struct alert_sink *s, const char *jsonl_path, const char *hook)
{
	memset(s, 0, sizeof(*s));
	if (jsonl_path) {
		int err = safe_file_append_open(jsonl_path, &s->jsonl);

		if (err) {
			log_error("cannot open the alerts file %s: %s", jsonl_path,
				  err == -EPERM ? "not a regular file owned by root or by you (give a new name)"
						: strerror(-err));
			return err;
		}
		s->jsonl_path = jsonl_path;
	}
	if (hook) {
		char *copy = strdup(hook), *tok, *save = NULL;
		size_t n = 0;

		s->hook_argv = calloc(strlen(hook) / 2 + 2, sizeof(char *));
		if (!copy || !s->hook_argv) {
			free(copy);
			return -ENOMEM;
		}
		s->hook_buf = copy;
		for (tok = strtok_r(copy, " \t", &save); tok; tok = strtok_r(NULL, " \t", &save))
			s->hook_argv[n++] = tok;
		if (!n) {
			log_error("--on-alert needs a command");
			alert_sink_close(s);
			return -EINVAL;
		}
		if (!runnable(s->hook_argv[0])) {
			log_error("--on-alert: no program '%s' to run (give a path or a command in $PATH)",
				  s->hook_argv[0]);
			alert_sink_close(s);
			return -ENOENT;
		}
	}
	return 0;
}

void alert_sink_close(struct alert_sink *s)
{
	if (s->jsonl)
		fclose(s->jsonl);
	free(s->hook_argv);
	free(s->hook_buf);
	memset(s, 0, sizeof(*s));
}

static void run_hook(struct alert_sink *s, const char *json, size_t len)
{
	int fds[2], slot = -1;
	pid_t pid;

	for (int i = 0; i < MAX_HOOK_PIDS && slot < 0; i++)
		if (!hook_pids[i])
			slot = i;
	if (s->hooks_running >= ALERT_MAX_HOOKS || slot < 0) {
		s->hooks_skipped++;
		log_warn("--on-alert: %d hooks still running, this alert's hook skipped (%lu so far)",
			 s->hooks_running, s->hooks_skipped);
		return;
	}
	if (pipe2(fds, O_CLOEXEC)) {
		s->hooks_failed++;
		return;
	}
	pid = fork();
	if (pid == 0) {
		sigset_t none;

		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		dup2(fds[0], 0);
		execvp(s->hook_argv[0], s->hook_argv);
		_exit(127);
	}
	close(fds[0]);
	if (pid < 0) {
		close(fds[1]);
		s->hooks_failed++;
		return;
	}
	hook_pids[slot] = pid;
	s->hooks_running++;
	/* An alert is far below the pipe's 64 KiB: this write does not block,
	 * and a hook that never reads only loses its own input. */
	fcntl(fds[1], F_SETFL, O_NONBLOCK);
	if (write(fds[1], json, len) != (ssize_t)len)
		s->hooks_failed++;
	close(fds[1]);
}

int alert_reap(struct alert_sink *s, pid_t pid, int status)
{
	for (int i = 0; i < MAX_HOOK_PIDS; i++) {
		if (hook_pids[i] != pid || !pid)
			continue;
		hook_pids[i] = 0;
		s->hooks_running--;
		if (!WIFEXITED(status) || WEXITSTATUS(status)) {
			s->hooks_failed++;
			log_warn("--on-alert hook %s failed (status %d)", s->hook_argv[0],
				 WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
		}
		return 1;
	}
	return 0;
}

void alert_deliver(struct alert_sink *s, const struct mt_profile *p, const struct mt_alert *a)
{
	char label[512], why[512], b1[HUMAN_BUFSZ], b2[HUMAN_BUFSZ], b3[HUMAN_BUFSZ], b4[HUMAN_BUFSZ];
	char *json = NULL;
	size_t len = 0;
	FILE *mem;

	site_label(p, &a->site, 4, label, sizeof(label));
	alert_why_format(a, why, sizeof(why));
	fprintf(stderr, "memtrace: LEAK PID %d: %s grows %s/s (%s), in use %s in %s blocks, oldest %s; %s\n",
		p->pid, label, human_bytes((uint64_t)a->rate_bytes_per_s, b1), trend_name(a->trend),
		human_bytes(a->site.inuse_bytes, b2), human_count(a->site.inuse_count, b3),
		human_duration(a->oldest_age_ns, b4), why);
	mem = open_memstream(&json, &len);
	if (!mem)
		return;
	{
		struct json j;

		/* One line, newline included: what --alerts and the hook get. */
		json_init_compact(&j, mem);
		report_json_alert(&j, p, a);
	}
	fclose(mem);
	if (s->jsonl && !s->write_failed) {
		errno = EIO;
		if (fwrite(json, 1, len, s->jsonl) != len || fflush(s->jsonl)) {
			/* Said once, when it happens; the exit status says it again. */
			s->write_failed = true;
			log_error("cannot write to the alerts file %s: %s (this and later alerts are not in it)",
				  s->jsonl_path, strerror(errno));
		}
	}
	if (s->hook_argv)
		run_hook(s, json, len);
	free(json);
}
