// SPDX-License-Identifier: MIT
/*
 * Blocks of every reachability class, for tests/e2e/test_reach.py, each
 * class allocated in a function of its own so reports can be compared site
 * by site with valgrind --leak-check=full:
 *   make_lost      5 x 100 B  definitely lost (the only pointers are dropped)
 *   make_list      10 x 64 B  a linked list whose head is lost: 1 definitely
 *                             lost, 9 indirectly lost
 *   make_bss       200 B      still reachable: a pointer in a struct in .bss
 *   make_bss_child 48 B       still reachable through the make_bss block
 *   on_stack       300 B      still reachable: only on a second thread's stack
 *   in_register    400 B      still reachable: only in a third thread's r12
 * Built -O0 -g (the Makefile's own rule): the locals stay on the stack,
 * where the program puts them.
 *
 * usage: workload_reach [--wait] [SECONDS]
 *   --wait: build only after SIGUSR1 (a tracer attaches first), then
 *   print "built" and sleep SECONDS (default 1) before returning from main.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct holder {
	long tag;
	char *block;
};

struct node {
	struct node *next;
	char pad[56];
};

struct holder g_holder; /* .bss */

/* Overwrites the stack below the caller, where the callees of earlier calls
 * left copies of pointers: the scans look only above the stack pointer and
 * its 128-byte red zone, but a later call could bring such a copy back in
 * range. */
static void scrub(void)
{
	volatile char buf[8192];

	memset((char *)buf, 0, sizeof(buf));
}

static void make_lost(void)
{
	for (int i = 0; i < 5; i++) {
		char *volatile p = malloc(100);

		memset(p, 1, 100);
		p = NULL;
	}
}

static void make_list(void)
{
	struct node *volatile head = NULL;

	for (int i = 0; i < 10; i++) {
		struct node *n = malloc(sizeof(*n));

		memset(n, 0, sizeof(*n));
		n->next = head;
		head = n;
		n = NULL;
	}
	head = NULL;
}

static void *make_bss_child(void)
{
	void *p = malloc(48);

	memset(p, 0, 48);
	return p;
}

static void make_bss(void)
{
	g_holder.tag = 1;
	g_holder.block = malloc(200);
	memset(g_holder.block, 0, 200);
	*(void **)g_holder.block = make_bss_child();
}

static pthread_barrier_t ready;

static void *on_stack(void *arg)
{
	void *volatile p = malloc(300);

	(void)arg;
	memset(p, 0, 300);
	scrub();
	pthread_barrier_wait(&ready);
	for (;;)
		pause();
	return p;
}

static void *in_register(void *arg)
{
	void *volatile p = malloc(400);
	register void *r asm("r12") = p;

	(void)arg;
	p = NULL;
	scrub();
	pthread_barrier_wait(&ready);
	scrub();
	/* pause(2) forever, by hand: no call, so the pointer lives in r12 alone. */
	asm volatile("1: mov $34, %%eax\n\tsyscall\n\tjmp 1b" : : "r"(r) : "rax", "rcx", "r11", "memory");
	return NULL;
}

int main(int argc, char **argv)
{
	int wait_first = argc > 1 && strcmp(argv[1], "--wait") == 0;
	int seconds = argc > 1 + wait_first ? atoi(argv[1 + wait_first]) : 1;
	pthread_t t;

	setvbuf(stdout, NULL, _IONBF, 0);
	if (wait_first) {
		sigset_t set;
		int sig;

		sigemptyset(&set);
		sigaddset(&set, SIGUSR1);
		sigprocmask(SIG_BLOCK, &set, NULL);
		printf("waiting\n");
		sigwait(&set, &sig);
	}
	pthread_barrier_init(&ready, NULL, 3);
	make_lost();
	make_list();
	make_bss();
	pthread_create(&t, NULL, on_stack, NULL);
	pthread_create(&t, NULL, in_register, NULL);
	pthread_barrier_wait(&ready);
	scrub();
	printf("built\n");
	sleep((unsigned)seconds);
	return 0;
}
