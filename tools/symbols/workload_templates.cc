// SPDX-License-Identifier: MIT
// Allocations from C++ templates and the standard library's containers, for
// the demangling tests: JSON keeps names whole, --names short elides
// template arguments and argument lists.
#include <cstddef>
#include <map>
#include <string>
#include <vector>

namespace shapes {
template <typename T, std::size_t N> struct Grid {
	T cells[N];
};

// One call site per instantiation: Grid<double, 64> and Grid<int, 16>.
template <typename T, std::size_t N> __attribute__((noinline)) Grid<T, N> *make_grid(const std::string &tag)
{
	auto *g = new Grid<T, N>();
	g->cells[0] = static_cast<T>(tag.size());
	return g;
}
} // namespace shapes

static std::vector<void *> kept;

int main()
{
	std::map<int, std::vector<std::string>> index;

	for (int i = 0; i < 30; i++)
		kept.push_back(shapes::make_grid<double, 64>("double"));
	for (int i = 0; i < 20; i++)
		kept.push_back(shapes::make_grid<int, 16>("int"));
	for (int i = 0; i < 100; i++)
		index[i].push_back(std::string(40, 'x'));
	return index.size() == 100 ? 0 : 1;
}
