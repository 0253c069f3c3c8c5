// SPDX-License-Identifier: MIT
/*
 * Drives user/trace/faults.c without the session: forks CMD held before exec,
 * loads and attaches the fault/mmap programs to it, lets it run, and prints
 * the "faults"/"mmap" JSON sections (stdout) and the text report (stderr).
 *
 *   faults_driver [--perf] [--wait] [--quiet] -- CMD [ARGS]
 *     --perf   force the perf-event fallback for faults
 *     --wait   CMD speaks the workloads' --wait protocol ("ready"/"done" on
 *              stdout, a line on stdin to go on): the maps are read while
 *              it is still alive, so every frame symbolizes
 *     --quiet  no JSON, no text: only the fault count (for benchmarks)
 *
 * Build (after `make build/faults.skel.h build/user/trace/faults.o build/user/formats/faults_report.o`):
 *   tests/faults/build.sh      (links the objects of user/ except main.o)
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "faults.h"
#include "faults_report.h"
#include "json.h"
#include "symbolize.h"

static int expect(FILE *in, const char *word)
{
	char line[256];

	while (fgets(line, sizeof(line), in)) {
		if (strncmp(line, word, strlen(word)) == 0)
			return 0;
		fputs(line, stderr);
	}
	return -1;
}

int main(int argc, char **argv)
{
	int perf = 0, wait_proto = 0, quiet = 0, i, go[2], to_child[2], from_child[2];
	unsigned flags = FAULTS_TRACE_ALL;
	struct faults_tracer *t;
	struct symbolizer *sym;
	struct mt_profile p = {};
	struct mt_faults *f;
	FILE *cin = NULL, *cout = NULL;
	pid_t pid;
	int status;
	char c = 1;

	for (i = 1; i < argc && strcmp(argv[i], "--"); i++) {
		if (!strcmp(argv[i], "--perf"))
			perf = 1;
		else if (!strcmp(argv[i], "--wait"))
			wait_proto = 1;
		else if (!strcmp(argv[i], "--quiet"))
			quiet = 1;
	}
	if (i + 1 >= argc) {
		fprintf(stderr, "usage: faults_driver [--perf] [--wait] [--quiet] -- CMD [ARGS]\n");
		return 2;
	}
	if (perf)
		flags |= FAULTS_FORCE_PERF;
	if (pipe(go) || pipe(to_child) || pipe(from_child))
		return 1;
	pid = fork();
	if (pid == 0) {
		close(go[1]);
		if (read(go[0], &c, 1) != 1)
			_exit(126);
		if (wait_proto) {
			dup2(to_child[0], 0);
			dup2(from_child[1], 1);
		}
		execvp(argv[i + 1], argv + i + 1);
		_exit(127);
	}
	close(go[0]);
	close(to_child[0]);
	close(from_child[1]);
	if (faults_open(&t, pid, flags, 1)) {
		kill(pid, 9);
		return 1;
	}
	sym = symbolizer_new(pid);
	if (write(go[1], &c, 1) != 1)
		return 1;
	close(go[1]);
	if (wait_proto) {
		cin = fdopen(to_child[1], "w");
		cout = fdopen(from_child[0], "r");
		if (expect(cout, "ready") || faults_refresh_ranges(t) < 0 || fputs("\n", cin) < 0 || fflush(cin) || expect(cout, "done")) {
			fprintf(stderr, "faults_driver: protocol error\n");
			return 1;
		}
		symbolizer_refresh(sym);
	} else {
		waitpid(pid, &status, 0); /* counts only: frames may not symbolize */
	}
	if (faults_collect(t, sym, &p, &f)) {
		fprintf(stderr, "faults_driver: collect failed\n");
		return 1;
	}
	if (wait_proto) {
		fputs("\n", cin);
		fflush(cin);
		waitpid(pid, &status, 0);
	}
	if (quiet) {
		fprintf(stderr, "faults: %llu via %s\n", (unsigned long long)f->count, f->source);
	} else {
		struct json j;

		json_init(&j, stdout);
		json_open_object(&j, NULL);
		json_i64(&j, "pid", pid);
		faults_json_write(&j, &p, f);
		json_close_object(&j);
		fputc('\n', stdout);
		faults_text_write(&p, f, 8, stderr);
	}
	faults_data_free(f);
	profile_free(&p);
	symbolizer_free(sym);
	faults_close(t);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 1;
}
