// SPDX-License-Identifier: MIT
// C++ allocations through every operator new variant, from known functions:
// memtrace must charge each to the function that called new, not to new.
#include <cstdlib>
#include <new>
#include <vector>

struct Widget {
	char payload[200];
};

struct alignas(64) Aligned {
	char payload[128];
};

static std::vector<void *> kept;

__attribute__((noinline)) void make_widgets()
{
	for (int i = 0; i < 10; i++)
		kept.push_back(new Widget());
}

__attribute__((noinline)) void make_arrays()
{
	for (int i = 0; i < 5; i++)
		kept.push_back(new int[100]);
}

__attribute__((noinline)) void make_nothrow()
{
	for (int i = 0; i < 3; i++)
		kept.push_back(new (std::nothrow) Widget());
}

__attribute__((noinline)) void make_aligned()
{
	for (int i = 0; i < 4; i++)
		kept.push_back(new Aligned());
}

__attribute__((noinline)) void churn_widgets()
{
	for (int i = 0; i < 50; i++) {
		Widget *volatile w = new Widget();
		delete w;
	}
}

int main()
{
	kept.reserve(64);
	make_widgets();
	make_arrays();
	make_nothrow();
	make_aligned();
	churn_widgets();
	return kept.size() == 22 ? 0 : 1;
}
