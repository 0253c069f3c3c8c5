// SPDX-License-Identifier: MIT
/*
 * uprobe_cost BPF_OBJ LIB FILE_OFFSET -- CMD...: attaches an (almost) empty
 * BPF uprobe at LIB+FILE_OFFSET for CMD's process only (so other processes
 * calling the same function neither trap nor count), runs CMD, and prints
 * "hits N" on stderr.  FILE_OFFSET "-" runs CMD unprobed.
 */
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	struct bpf_object *obj;
	struct bpf_program *prog;
	struct bpf_link *link = NULL;
	int status, mapfd, go[2];
	char c = 0;
	pid_t pid;

	if (argc < 6 || strcmp(argv[4], "--")) {
		fprintf(stderr, "usage: %s BPF_OBJ LIB FILE_OFFSET|- -- CMD...\n", argv[0]);
		return 2;
	}
	obj = bpf_object__open_file(argv[1], NULL);
	if (!obj || bpf_object__load(obj)) {
		fprintf(stderr, "cannot load %s\n", argv[1]);
		return 1;
	}
	prog = bpf_object__find_program_by_name(obj, "count_hit");
	mapfd = bpf_object__find_map_fd_by_name(obj, "hits");
	if (pipe(go))
		return 1;
	pid = fork();
	if (pid == 0) { /* wait until the probe is attached to this pid */
		close(go[1]);
		if (read(go[0], &c, 1) != 1)
			_exit(126);
		execvp(argv[5], argv + 5);
		_exit(127);
	}
	close(go[0]);
	if (strcmp(argv[3], "-")) {
		size_t off = strtoull(argv[3], NULL, 0);
		link = bpf_program__attach_uprobe(prog, false, pid, argv[2], off);
		if (!link) {
			fprintf(stderr, "cannot attach %s+%#zx\n", argv[2], off);
			kill(pid, SIGKILL);
			return 1;
		}
	}
	if (write(go[1], &c, 1) != 1)
		return 1;
	close(go[1]);
	waitpid(pid, &status, 0);
	__u32 k = 0;
	__u64 v = 0;
	bpf_map_lookup_elem(mapfd, &k, &v);
	fprintf(stderr, "hits %llu\n", (unsigned long long)v);
	bpf_link__destroy(link);
	bpf_object__close(obj);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 1;
}
