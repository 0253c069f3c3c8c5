// SPDX-License-Identifier: MIT
/* alloc_wrapper: which frame names a site (the --metrics function label). */
#include <criterion/criterion.h>

#include "alloc_wrapper.h"

Test(alloc_wrapper, known_wrappers)
{
	cr_assert(alloc_wrapper_is("zmalloc"));
	cr_assert(alloc_wrapper_is("ztrymalloc_usable_internal"));
	cr_assert(alloc_wrapper_is("xmalloc"));
	cr_assert(alloc_wrapper_is("g_malloc0"));
	cr_assert(alloc_wrapper_is("PyMem_RawMalloc"));
	cr_assert(alloc_wrapper_is("operator new(unsigned long)"));
	cr_assert(alloc_wrapper_is("operator new[](unsigned long, std::nothrow_t const&)"));
	cr_assert(alloc_wrapper_is("__gnu_cxx::new_allocator<int>::allocate(unsigned long, void const*)"));
	cr_assert(alloc_wrapper_is("std::_Vector_base<int, std::allocator<int> >::_M_allocate(unsigned long)"));
}

Test(alloc_wrapper, callers_are_not)
{
	cr_assert_not(alloc_wrapper_is(NULL));
	cr_assert_not(alloc_wrapper_is("sdsnewlen"));
	cr_assert_not(alloc_wrapper_is("createObject"));
	cr_assert_not(alloc_wrapper_is("zmalloc_get_rss_x")); /* whole names only */
	cr_assert_not(alloc_wrapper_is("xmalloc_helper"));
	cr_assert_not(alloc_wrapper_is("operator new_thing"));
	/* A class template's other members build something: not wrappers. */
	cr_assert_not(alloc_wrapper_is("std::_Vector_base<int, std::allocator<int> >::_Vector_impl::_Vector_impl()"));
	cr_assert_not(alloc_wrapper_is("std::allocator<char>::allocator()"));
}

Test(alloc_wrapper, naming_frame)
{
	struct mt_frame f[4] = { { .function = "ztrymalloc_usable_internal" }, { .function = "zmalloc" },
				 { .function = "sdsnewlen" }, { .function = "main" } };
	struct mt_frame w[2] = { { .function = "zmalloc" }, { .function = "xmalloc" } };
	struct mt_frame u[2] = { { .function = NULL }, { .function = "main" } };
	struct mt_site s = { .frames = f, .nframes = 4 };

	cr_assert_eq(alloc_wrapper_naming_frame(&s), 2);
	s = (struct mt_site){ .frames = w, .nframes = 2 };
	cr_assert_eq(alloc_wrapper_naming_frame(&s), 0, "all wrappers: the leaf, as before");
	s = (struct mt_site){ .frames = u, .nframes = 2 };
	cr_assert_eq(alloc_wrapper_naming_frame(&s), 0, "an unnamed leaf is no wrapper");
	s = (struct mt_site){ .frames = NULL, .nframes = 0 };
	cr_assert_eq(alloc_wrapper_naming_frame(&s), 0);
}
