// SPDX-License-Identifier: MIT
/*
 * Known address-space changes from known functions, for the end-to-end
 * tests.  Each function's comment gives its exact counts and page-aligned
 * bytes; the syscall is made through glibc's wrapper, so frames[0] is the
 * wrapper and frames[1] the function below (mremap goes through syscall():
 * glibc's variadic mremap keeps a stack frame that hides its caller).
 *
 * Usage: workload_mmap [--wait]   (see workload_faults)
 */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#define PAGE 4096UL

static char *maps[3];

static void *map(size_t len)
{
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED) {
		perror("mmap");
		exit(1);
	}
	return p;
}

/* mmap: 3 calls, 3 x 10 pages = 122880 bytes. */
__attribute__((noinline)) void map_anon(void)
{
	for (int i = 0; i < 3; i++) {
		maps[i] = mmap(NULL, 10 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (maps[i] == MAP_FAILED)
			exit(1);
	}
}

/* munmap: 3 calls, 122880 bytes. */
__attribute__((noinline)) void unmap_anon(void)
{
	for (int i = 0; i < 3; i++)
		munmap(maps[i], 10 * PAGE);
}

/* mmap: 1 call of 5000 bytes = 8192 page-aligned; a failing mmap is not counted. */
__attribute__((noinline)) void map_odd_length(void)
{
	maps[0] = mmap(NULL, 5000, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (mmap(NULL, 4096, PROT_READ, MAP_PRIVATE, -1 /* bad fd */, 0) != MAP_FAILED)
		exit(1);
}

/* mremap: 2 calls, grows 4 -> 16 pages (+49152), shrinks 16 -> 2 pages (-57344). */
__attribute__((noinline)) void remap_grow_shrink(char *p)
{
	p = (char *)syscall(SYS_mremap, p, 4 * PAGE, 16 * PAGE, MREMAP_MAYMOVE, 0);
	if (p == MAP_FAILED)
		exit(1);
	p = (char *)syscall(SYS_mremap, p, 16 * PAGE, 2 * PAGE, 0, 0);
	if (p == MAP_FAILED)
		exit(1);
}

/* brk: 1 call growing the break by 8 pages (32768). */
__attribute__((noinline)) void brk_grow(char *base)
{
	if (brk(base + 8 * PAGE))
		exit(1);
}

/* brk: 1 call shrinking the break by 6 pages (24576). */
__attribute__((noinline)) void brk_shrink(char *base)
{
	if (brk(base + 2 * PAGE))
		exit(1);
}

/* madvise: 2 counted calls, DONTNEED 8 pages + FREE 4 pages = 49152; MADV_NORMAL is not counted. */
__attribute__((noinline)) void give_back(char *p)
{
	madvise(p, 8 * PAGE, MADV_DONTNEED);
	madvise(p + 8 * PAGE, 4 * PAGE, MADV_FREE);
	madvise(p, 20 * PAGE, MADV_NORMAL);
}

static void wait_line(const char *say)
{
	char line[64];

	printf("%s\n", say);
	fflush(stdout);
	if (!fgets(line, sizeof(line), stdin))
		return;
}

int main(int argc, char **argv)
{
	int wait = argc > 1 && strcmp(argv[1], "--wait") == 0;
	char *cur, *base, *p;

	if (wait)
		wait_line("ready");
	map_anon();
	unmap_anon();
	map_odd_length();
	remap_grow_shrink(map(4 * PAGE));
	/* No malloc from here to the brk calls: it could move the break. */
	cur = sbrk(0);
	base = (char *)(((uintptr_t)cur + PAGE - 1) & ~(PAGE - 1));
	brk_grow(base);
	brk_shrink(base);
	p = map(20 * PAGE);
	memset(p, 1, 20 * PAGE);
	give_back(p);
	if (wait)
		wait_line("done");
	return 0;
}
