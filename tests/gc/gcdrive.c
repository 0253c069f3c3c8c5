// SPDX-License-Identifier: MIT
/*
 * Test driver for the GC module before it is wired into memtrace:
 *   gcdrive [-v] [-o OUT.json] [-s OUT.svg] [-H OUT.html] -p PID SECONDS
 *   gcdrive [-v] [-o OUT.json] [-s OUT.svg] [-H OUT.html] -- CMD ARGS...
 * With a command it is started under ptrace, held at its entry point (its
 * libraries mapped, main not run yet) while the probes go in, then let go.
 */
#define _GNU_SOURCE
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "gc.h"
#include "gc_report.h"
#include "json.h"

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static uint64_t entry_of(pid_t pid)
{
	char path[64];
	Elf64_auxv_t a;
	uint64_t entry = 0;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/auxv", (int)pid);
	fd = open(path, O_RDONLY);
	while (fd >= 0 && read(fd, &a, sizeof(a)) == sizeof(a) && a.a_type != AT_NULL) {
		if (a.a_type == AT_ENTRY)
			entry = a.a_un.a_val;
	}
	if (fd >= 0)
		close(fd);
	return entry;
}

/* Starts argv held at its entry point; returns its pid. */
static pid_t launch(char **argv)
{
	pid_t pid = fork();
	int st;
	uint64_t entry;
	long word;
	struct user_regs_struct regs;

	if (pid == 0) {
		ptrace(PTRACE_TRACEME, 0, NULL, NULL);
		execvp(argv[0], argv);
		_exit(127);
	}
	if (waitpid(pid, &st, 0) < 0 || !WIFSTOPPED(st))
		return -1;
	entry = entry_of(pid);
	word = ptrace(PTRACE_PEEKTEXT, pid, (void *)entry, NULL);
	ptrace(PTRACE_POKETEXT, pid, (void *)entry, (void *)((word & ~0xffL) | 0xcc));
	ptrace(PTRACE_CONT, pid, NULL, NULL);
	if (waitpid(pid, &st, 0) < 0 || !WIFSTOPPED(st) || WSTOPSIG(st) != SIGTRAP)
		return -1;
	ptrace(PTRACE_POKETEXT, pid, (void *)entry, (void *)word);
	ptrace(PTRACE_GETREGS, pid, NULL, &regs);
	regs.rip = entry;
	ptrace(PTRACE_SETREGS, pid, NULL, &regs);
	return pid;
}

int main(int argc, char **argv)
{
	const char *json_path = NULL, *svg_path = NULL, *html_path = NULL;
	struct gc_tracer *t = NULL;
	struct gc_data *d = NULL;
	double seconds = 0;
	pid_t pid = 0;
	bool launched = false;
	int verbose = 0, opt, err, status = 0;
	uint64_t deadline, last_live;

	while ((opt = getopt(argc, argv, "vo:s:H:p:")) != -1) {
		switch (opt) {
		case 'v':
			verbose++;
			break;
		case 'o':
			json_path = optarg;
			break;
		case 's':
			svg_path = optarg;
			break;
		case 'H':
			html_path = optarg;
			break;
		case 'p':
			pid = atoi(optarg);
			break;
		default:
			return 2;
		}
	}
	if (pid && optind < argc)
		seconds = atof(argv[optind]);
	else if (!pid && optind < argc) {
		pid = launch(argv + optind);
		launched = true;
		if (pid <= 0) {
			fprintf(stderr, "gcdrive: cannot start %s\n", argv[optind]);
			return 1;
		}
	} else {
		fprintf(stderr, "usage: gcdrive [-v] [-o JSON] [-s SVG] [-H HTML] -p PID SECONDS | -- CMD...\n");
		return 2;
	}
	/* Launched: keep watching, a runtime may be dlopen'd later (libjvm.so). */
	err = launched ? gc_open_watch(&t, pid, verbose) : gc_open(&t, pid, verbose);
	if (launched)
		ptrace(PTRACE_DETACH, pid, NULL, NULL);
	if (err || !t) {
		fprintf(stderr, "gcdrive: %s\n", err ? strerror(-err) : "no GC runtime found");
		if (launched)
			waitpid(pid, &status, 0);
		return 1;
	}
	if (gc_runtime_name(t))
		fprintf(stderr, "gcdrive: tracing %s: %s\n", gc_runtime_name(t), gc_describe(t));
	deadline = seconds ? now_ns() + (uint64_t)(seconds * 1e9) : 0;
	last_live = now_ns();
	for (;;) {
		struct pollfd p = { .fd = gc_epoll_fd(t), .events = POLLIN };

		poll(&p, 1, gc_runtime_name(t) ? 100 : 5);
		if (!gc_runtime_name(t)) {
			gc_refresh(t);
			if (gc_runtime_name(t))
				fprintf(stderr, "gcdrive: tracing %s: %s\n", gc_runtime_name(t), gc_describe(t));
		}
		gc_poll(t);
		if (launched) {
			if (waitpid(pid, &status, WNOHANG) == pid)
				break;
		} else if (kill(pid, 0) && errno == ESRCH) {
			break;
		}
		if (deadline && now_ns() >= deadline)
			break;
		if (verbose && now_ns() - last_live >= 1000000000ULL) {
			if (!gc_collect(t, &d)) {
				gc_live_line(d, last_live, stderr);
				gc_data_free(d);
			}
			last_live = now_ns();
		}
	}
	gc_stop(t);
	err = gc_collect(t, &d);
	if (err) {
		fprintf(stderr, "gcdrive: collect: %s\n", strerror(-err));
		return 1;
	}
	if (json_path) {
		FILE *f = fopen(json_path, "w");
		struct json j;

		json_init(&j, f);
		json_open_object(&j, NULL);
		gc_json_write(&j, d);
		json_close_object(&j);
		fputc('\n', f);
		fclose(f);
	}
	if (svg_path)
		gc_svg_save(d, svg_path);
	if (html_path) {
		FILE *f = fopen(html_path, "w");

		fputs("<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>gc</title></head><body>\n", f);
		gc_html_section(d, f);
		fputs("</body></html>\n", f);
		fclose(f);
	}
	gc_text_write(d, 10, stderr);
	gc_data_free(d);
	gc_close(t);
	if (launched && WIFEXITED(status))
		return WEXITSTATUS(status);
	return 0;
}
