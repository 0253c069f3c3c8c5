// SPDX-License-Identifier: MIT
/*
 * Known bytes per function through C++ operator new, for the sampler's
 * operator new wrappers (tests/e2e/test_otel_cxx.py).  Each site allocates
 * 128 MiB and holds its last 4096 objects:
 *   new_site      new Obj (4 KiB)                       16 MiB held
 *   array_site    new char[2048]                          8 MiB held
 *   aligned_site  new Aligned (4 KiB, alignas(256))     16 MiB held
 *   nothrow_site  new (std::nothrow) char[1024]           4 MiB held
 * With "free" as argument everything is deleted (sized and aligned delete
 * included) and the program waits 300 ms before it exits.
 */
#include <cstdio>
#include <cstring>
#include <new>
#include <unistd.h>

#define KEEP 4096
#define TOTAL (128u << 20)

struct Obj {
	char b[4096];
};
struct alignas(256) Aligned {
	char b[4096];
};

static Obj *objs[KEEP];
static char *arrays[KEEP];
static Aligned *aligned[KEEP];
static char *nothrows[KEEP];

__attribute__((noinline)) void new_site()
{
	for (size_t i = 0; i < TOTAL / sizeof(Obj); i++) {
		delete objs[i % KEEP];
		objs[i % KEEP] = new Obj;
	}
}

__attribute__((noinline)) void array_site()
{
	for (size_t i = 0; i < TOTAL / 2048; i++) {
		delete[] arrays[i % KEEP];
		arrays[i % KEEP] = new char[2048];
	}
}

__attribute__((noinline)) void aligned_site()
{
	for (size_t i = 0; i < TOTAL / sizeof(Aligned); i++) {
		delete aligned[i % KEEP];
		aligned[i % KEEP] = new Aligned;
		if ((reinterpret_cast<unsigned long>(aligned[i % KEEP]) & 255) != 0) {
			fprintf(stderr, "workload_otel_cxx: misaligned\n");
			_exit(1);
		}
	}
}

__attribute__((noinline)) void nothrow_site()
{
	for (size_t i = 0; i < TOTAL / 1024; i++) {
		delete[] nothrows[i % KEEP];
		nothrows[i % KEEP] = new (std::nothrow) char[1024];
	}
}

int main(int argc, char **argv)
{
	new_site();
	array_site();
	aligned_site();
	nothrow_site();
	if (argc > 1 && !strcmp(argv[1], "free")) {
		for (int i = 0; i < KEEP; i++) {
			delete objs[i];
			delete[] arrays[i];
			delete aligned[i];
			delete[] nothrows[i];
		}
		usleep(300000);
	}
	return 0;
}
