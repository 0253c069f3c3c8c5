// SPDX-License-Identifier: MIT
/* short_name: --names short, on names as libiberty prints them. */
#include <criterion/criterion.h>
#include <string.h>

#include "short_name.h"

static void check(const char *full, const char *want)
{
	char buf[512];

	cr_assert_str_eq(short_name(full, buf, sizeof(buf)), want, "%s", full);
}

Test(short_name, cxx_templates_and_arguments)
{
	check("std::_Rb_tree<int, std::pair<int const, int>, std::_Select1st<std::pair<int const, int> >, "
	      "std::less<int>, std::allocator<std::pair<int const, int> > >::_M_erase(std::_Rb_tree_node<"
	      "std::pair<int const, int> >*)",
	      "std::_Rb_tree::_M_erase");
	check("std::vector<int, std::allocator<int> >::push_back(int const&)", "std::vector::push_back");
	check("Cache::get(std::string const&) const", "Cache::get");
	check("main", "main");
	check("(anonymous namespace)::helper(int)", "(anonymous namespace)::helper");
	check("foo()::{lambda(int)#1}::operator()(int) const", "foo::{lambda#1}::operator()");
}

Test(short_name, operators_survive)
{
	check("std::basic_ostream<char, std::char_traits<char> >& std::operator<< <std::char_traits<char> >"
	      "(std::basic_ostream<char, std::char_traits<char> >&, char const*)",
	      "std::operator<<");
	check("shapes::Grid<double, 64ul>* shapes::make_grid<double, 64ul>(std::__cxx11::basic_string<char, "
	      "std::char_traits<char>, std::allocator<char> > const&)",
	      "shapes::make_grid");
	check("operator new(unsigned long)", "operator new");
	check("Matrix::operator[](unsigned long)", "Matrix::operator[]");
	check("a::operator<=>(a const&) const", "a::operator<=>");
}

Test(short_name, rust_paths)
{
	check("<alloc::vec::Vec<T,A> as core::ops::drop::Drop>::drop", "<alloc::vec::Vec as core::ops::drop::Drop>::drop");
	check("alloc::raw_vec::RawVec<T,A>::reserve::do_reserve_and_handle", "alloc::raw_vec::RawVec::reserve::do_reserve_and_handle");
	check("mycrate::make_names", "mycrate::make_names");
}

Test(short_name, unbalanced_and_cut)
{
	char small[8];

	check("broken<int(", "broken<int(");
	check("broken>x", "broken>x");
	cr_assert_str_eq(short_name("abcdefghijkl", small, sizeof(small)), "abcdefg");
}
