// SPDX-License-Identifier: MIT
// C++ growth through libstdc++ (built without frame pointers), from code
// built -O2 -fomit-frame-pointer: main > grow_strings > grow_string
// appends to a std::string (each reallocation: libstdc++'s _M_mutate and
// _M_create, then operator new), main > grow_vectors > grow_vector pushes
// to a std::vector.  Prints how many times each changed capacity (one
// operator new each): "strings N vectors M".
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#define NOINL __attribute__((noinline))

static volatile unsigned long sink;

NOINL static size_t grow_string(int n)
{
	std::string s;
	size_t changes = 0, cap = s.capacity();

	for (int i = 0; i < n; i++) {
		s += static_cast<char>('a' + i % 26);
		if (s.capacity() != cap) {
			changes++;
			cap = s.capacity();
		}
	}
	sink += s.size();
	return changes;
}

NOINL static size_t grow_vector(int n)
{
	std::vector<long> v;
	size_t changes = 0, cap = v.capacity();

	for (int i = 0; i < n; i++) {
		v.push_back(i);
		if (v.capacity() != cap) {
			changes++;
			cap = v.capacity();
		}
	}
	sink += v.size();
	return changes;
}

NOINL static size_t grow_strings(int rounds, int n)
{
	size_t c = 0;

	for (int r = 0; r < rounds; r++)
		c += grow_string(n + r);
	sink += c;
	return c;
}

NOINL static size_t grow_vectors(int rounds, int n)
{
	size_t c = 0;

	for (int r = 0; r < rounds; r++)
		c += grow_vector(n + r);
	sink += c;
	return c;
}

int main(int argc, char **argv)
{
	int rounds = argc > 1 ? atoi(argv[1]) : 100;
	size_t s = grow_strings(rounds, 5000);
	size_t v = grow_vectors(rounds, 5000);

	std::printf("strings %zu vectors %zu\n", s, v);
	return 0;
}
