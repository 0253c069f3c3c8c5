// SPDX-License-Identifier: MIT
/*
 * A fork-per-connection server with its own allocator, for --follow: it
 * listens on 127.0.0.1 (an ephemeral port, printed as "port N" on stdout),
 * forks a child per connection, and the child reads a number K, calls
 * palloc(pool, 64) K times from serve_request(), pfree's all but the last
 * 5, answers "ok K HELD\n" and exits, HELD being the microseconds from
 * just before fork() in the server to the child's first instruction (what
 * a tracer that holds new children costs each connection).  palloc/pfree bump over a static buffer
 * and never call malloc, so they are probed with
 *   --alloc palloc:size=arg2 --free pfree:ptr=arg2
 * The server serves CONNECTIONS connections (default 20), reaps its
 * children and exits 0.  With "--hold" each child waits for one more byte
 * before it answers (to be caught while followed).
 * Usage: fork_server [CONNECTIONS] [--hold]
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static _Alignas(16) unsigned char arena[1 << 20];
static size_t top;
/* Observable, so the compiler keeps every call to pfree. */
volatile size_t freed;

struct pool {
	int id;
};

__attribute__((noinline)) void *palloc(struct pool *p, size_t n)
{
	void *r = arena + top;

	(void)p;
	if (top + n > sizeof(arena))
		return NULL;
	top += (n + 15) & ~(size_t)15;
	return r;
}

__attribute__((noinline)) void pfree(struct pool *p, void *ptr)
{
	(void)p;
	freed += ptr != NULL;
}

__attribute__((noinline)) void serve_request(int k)
{
	static void *kept[4096];
	struct pool pool = { 1 };

	if (k > 4096)
		k = 4096;
	for (int i = 0; i < k; i++)
		kept[i] = palloc(&pool, 64);
	for (int i = 0; i < k - 5; i++)
		pfree(&pool, kept[i]);
}

static struct timespec before_fork;

static long held_us(void)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (now.tv_sec - before_fork.tv_sec) * 1000000L + (now.tv_nsec - before_fork.tv_nsec) / 1000;
}

static void serve(int fd, int hold, long held)
{
	char buf[64];
	ssize_t n = read(fd, buf, sizeof(buf) - 1);
	int k;

	if (n <= 0)
		return;
	buf[n] = '\0';
	k = atoi(buf);
	if (hold)
		n = read(fd, buf, 1);
	serve_request(k);
	n = snprintf(buf, sizeof(buf), "ok %d %ld\n", k, held);
	if (write(fd, buf, (size_t)n) != n)
		return;
}

int main(int argc, char **argv)
{
	int conns = argc > 1 ? atoi(argv[1]) : 20, hold = argc > 2 && strcmp(argv[2], "--hold") == 0;
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t alen = sizeof(a);
	int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (s < 0 || bind(s, (struct sockaddr *)&a, sizeof(a)) || listen(s, 64) ||
	    getsockname(s, (struct sockaddr *)&a, &alen)) {
		perror("fork_server");
		return 1;
	}
	printf("port %d\n", ntohs(a.sin_port));
	fflush(stdout);
	for (int i = 0; i < conns; i++) {
		int c = accept(s, NULL, NULL);
		pid_t p;

		if (c < 0) {
			perror("accept");
			return 1;
		}
		clock_gettime(CLOCK_MONOTONIC, &before_fork);
		p = fork();
		if (p == 0) {
			long held = held_us();

			close(s);
			serve(c, hold, held);
			_exit(0);
		}
		close(c);
		while (waitpid(-1, NULL, WNOHANG) > 0)
			;
	}
	while (wait(NULL) > 0)
		;
	return 0;
}
