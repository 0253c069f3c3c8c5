// SPDX-License-Identifier: MIT
#include <string.h>

#include "alloc_wrapper.h"

/* Whole names.  Only functions that allocate and return what they got:
 * a function that builds something (sdsnewlen, g_string_new) is where the
 * memory goes, and names its site. */
static const char *const exact[] = {
	/* redis (src/zmalloc.c) */
	"zmalloc", "zcalloc", "zrealloc", "zmalloc_usable", "zcalloc_usable", "zrealloc_usable", "zmalloc_no_tcache",
	"zcalloc_num", "zstrdup", "ztrymalloc", "ztrycalloc", "ztryrealloc", "ztrymalloc_usable",
	"ztrycalloc_usable", "ztryrealloc_usable", "ztrymalloc_usable_internal", "ztrycalloc_usable_internal",
	"ztryrealloc_usable_internal", "zmalloc_with_flags",
	/* gnulib, git, gcc's libiberty */
	"xmalloc", "xcalloc", "xrealloc", "xzalloc", "xstrdup", "xstrndup", "xmemdup", "xnmalloc", "xnrealloc",
	"x2nrealloc", "x2realloc", "xcharalloc", "ximalloc", "xicalloc", "xirealloc", "xmallocz", "xmallocz_gently",
	"xreallocarray", "xireallocarray",
	/* glib */
	"g_malloc", "g_malloc0", "g_realloc", "g_try_malloc", "g_try_malloc0", "g_try_realloc", "g_malloc_n",
	"g_malloc0_n", "g_realloc_n", "g_try_malloc_n", "g_try_malloc0_n", "g_try_realloc_n", "g_strdup",
	"g_strndup", "g_memdup", "g_memdup2", "g_slice_alloc", "g_slice_alloc0", "g_aligned_alloc",
	"g_aligned_alloc0",
	/* CPython */
	"PyMem_Malloc", "PyMem_Calloc", "PyMem_Realloc", "PyMem_RawMalloc", "PyMem_RawCalloc", "PyMem_RawRealloc",
	"_PyMem_RawMalloc", "_PyMem_RawCalloc", "_PyMem_RawRealloc", "PyObject_Malloc", "PyObject_Calloc",
	"PyObject_Realloc", "_PyObject_Malloc", "_PyObject_Calloc", "_PyObject_Realloc", "pymalloc_alloc",
	"_PyMem_DebugRawAlloc", "_PyMem_DebugRawMalloc", "_PyMem_DebugRawCalloc", "_PyMem_DebugRawRealloc",
	"_PyMem_DebugMalloc", "_PyMem_DebugCalloc", "_PyMem_DebugRealloc",
	/* Perl, PHP, OpenSSL, SQLite */
	"Perl_safesysmalloc", "Perl_safesyscalloc", "Perl_safesysrealloc", "emalloc", "_emalloc", "ecalloc",
	"_ecalloc", "erealloc", "_erealloc", "CRYPTO_malloc", "CRYPTO_zalloc", "CRYPTO_realloc", "CRYPTO_clear_realloc",
	"CRYPTO_strdup", "CRYPTO_strndup", "CRYPTO_memdup", "sqlite3Malloc", "sqlite3MallocZero", "sqlite3Realloc",
	"sqlite3_malloc", "sqlite3_malloc64", "sqlite3_realloc", "sqlite3_realloc64", "sqlite3MemMalloc",
	"sqlite3MemRealloc",
	/* libc's own copies */
	"strdup", "strndup", "__strdup", "__strndup", "__GI___strdup", "__GI___strndup", "wcsdup",
};

/* Name prefixes: C++'s, whose full names carry argument lists and templates. */
static const char *const prefix[] = {
	"operator new(", "operator new[](",
	"__gnu_cxx::new_allocator<", "std::__new_allocator<", "std::allocator<", "std::allocator_traits<",
	"__gnu_cxx::__alloc_traits<", "std::_Vector_base<", /* _M_allocate */
};

bool alloc_wrapper_is(const char *name)
{
	if (!name)
		return false;
	for (size_t i = 0; i < sizeof(exact) / sizeof(exact[0]); i++)
		if (!strcmp(name, exact[i]))
			return true;
	for (size_t i = 0; i < sizeof(prefix) / sizeof(prefix[0]); i++) {
		size_t n = strlen(prefix[i]);

		if (!strncmp(name, prefix[i], n)) {
			/* Of the class templates only their allocating members. */
			if (prefix[i][n - 1] != '<' || strstr(name, "::allocate(") || strstr(name, "::_M_allocate("))
				return true;
		}
	}
	return false;
}

uint32_t alloc_wrapper_naming_frame(const struct mt_site *s)
{
	for (uint32_t i = 0; i < s->nframes; i++)
		if (!alloc_wrapper_is(s->frames[i].function))
			return i;
	return 0;
}
