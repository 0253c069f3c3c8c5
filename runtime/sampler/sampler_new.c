// SPDX-License-Identifier: MIT
/*
 * C++ operator new and delete, every standard form (plain and array; sized,
 * aligned, nothrow), wrapped like malloc (sampler.h): each calls the next
 * definition (libstdc++'s, or jemalloc's or tcmalloc's own, which do not
 * call malloc), then samples.  Without a next one (a program that links
 * libstdc++ statically after the sampler's archive), they allocate from
 * the allocator's malloc and posix_memalign themselves.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdlib.h>

#include "sampler_hooks.h"

#define EXPORT __attribute__((visibility("default")))

/* libstdc++'s, when the program has it (weak: a C program has not). */
extern void *_ZSt15get_new_handlerv(void) __attribute__((weak));
extern void _ZSt17__throw_bad_allocv(void) __attribute__((weak, noreturn));

/* A resolved pointer, or NONE once dlsym found nothing: looked up once. */
#define NONE ((void *)1)

static void *next_fn(void **slot, const char *name)
{
	void *f = __atomic_load_n(slot, __ATOMIC_RELAXED);

	if (__builtin_expect(!f, 0)) {
		f = dlsym(RTLD_NEXT, name);
		if (!f)
			f = NONE;
		__atomic_store_n(slot, f, __ATOMIC_RELAXED);
	}
	return f == NONE ? NULL : f;
}

/* operator new's contract over malloc: retry through the new-handler,
 * then throw (or NULL for nothrow). */
static void *fallback_new(size_t size, size_t align, bool nothrow)
{
	for (;;) {
		void *p = NULL;

		if (!size)
			size = 1;
		if (align <= 16)
			p = sampler_next_malloc(size);
		else if (sampler_next_posix_memalign(&p, align, size))
			p = NULL;
		if (p)
			return p;
		void (*handler)(void) = _ZSt15get_new_handlerv ? (void (*)(void))_ZSt15get_new_handlerv() : NULL;

		if (handler) {
			handler();
			continue;
		}
		if (nothrow)
			return NULL;
		if (_ZSt17__throw_bad_allocv)
			_ZSt17__throw_bad_allocv();
		abort();
	}
}

/* Unwinding through a wrapper (bad_alloc) still leaves it: -fexceptions
 * runs the cleanup. */
static void leave_new(uint32_t *unused)
{
	(void)unused;
	sampler_ts.in_new--;
}

#define IN_NEW __attribute__((cleanup(leave_new))) uint32_t in_new_guard = ++sampler_ts.in_new

/* One operator new: sym its mangled name, PARAMS/ARGS its parameters and
 * the call, ALIGN and NOTHROW what the fallback must honour. */
#define WRAP_NEW(sym, PARAMS, ARGS, ALIGN, NOTHROW)                                                       \
	static void *next_##sym;                                                                          \
	EXPORT void *sym PARAMS                                                                           \
	{                                                                                                 \
		void *(*f) PARAMS = (void *(*)PARAMS)next_fn(&next_##sym, #sym);                          \
		void *p;                                                                                  \
                                                                                                          \
		if (__builtin_expect(!OTEL_MEMORY_ALLOC_ENABLED(), 1))                                    \
			return f ? f ARGS : fallback_new(size, ALIGN, NOTHROW);                           \
		{                                                                                         \
			IN_NEW;                                                                           \
			(void)in_new_guard;                                                               \
			p = f ? f ARGS : fallback_new(size, ALIGN, NOTHROW);                              \
		}                                                                                         \
		sampler_after_alloc(p, size);                                                             \
		return p;                                                                                 \
	}

/* One operator delete: unmarked first, then the allocator's own (or free). */
#define WRAP_DELETE(sym, PARAMS, ARGS)                                                                    \
	static void *next_##sym;                                                                          \
	EXPORT void sym PARAMS                                                                            \
	{                                                                                                 \
		void (*f) PARAMS = (void (*)PARAMS)next_fn(&next_##sym, #sym);                            \
                                                                                                          \
		sampler_before_free(p);                                                                   \
		if (f)                                                                                    \
			f ARGS;                                                                           \
		else                                                                                      \
			sampler_next_free(p);                                                             \
	}

typedef const void *nothrow_ref; /* const std::nothrow_t & */

WRAP_NEW(_Znwm, (size_t size), (size), 0, false)
WRAP_NEW(_Znam, (size_t size), (size), 0, false)
WRAP_NEW(_ZnwmRKSt9nothrow_t, (size_t size, nothrow_ref nt), (size, nt), 0, true)
WRAP_NEW(_ZnamRKSt9nothrow_t, (size_t size, nothrow_ref nt), (size, nt), 0, true)
WRAP_NEW(_ZnwmSt11align_val_t, (size_t size, size_t al), (size, al), al, false)
WRAP_NEW(_ZnamSt11align_val_t, (size_t size, size_t al), (size, al), al, false)
WRAP_NEW(_ZnwmSt11align_val_tRKSt9nothrow_t, (size_t size, size_t al, nothrow_ref nt), (size, al, nt), al, true)
WRAP_NEW(_ZnamSt11align_val_tRKSt9nothrow_t, (size_t size, size_t al, nothrow_ref nt), (size, al, nt), al, true)

WRAP_DELETE(_ZdlPv, (void *p), (p))
WRAP_DELETE(_ZdaPv, (void *p), (p))
WRAP_DELETE(_ZdlPvm, (void *p, size_t size), (p, size))
WRAP_DELETE(_ZdaPvm, (void *p, size_t size), (p, size))
WRAP_DELETE(_ZdlPvRKSt9nothrow_t, (void *p, nothrow_ref nt), (p, nt))
WRAP_DELETE(_ZdaPvRKSt9nothrow_t, (void *p, nothrow_ref nt), (p, nt))
WRAP_DELETE(_ZdlPvSt11align_val_t, (void *p, size_t al), (p, al))
WRAP_DELETE(_ZdaPvSt11align_val_t, (void *p, size_t al), (p, al))
WRAP_DELETE(_ZdlPvmSt11align_val_t, (void *p, size_t size, size_t al), (p, size, al))
WRAP_DELETE(_ZdaPvmSt11align_val_t, (void *p, size_t size, size_t al), (p, size, al))
WRAP_DELETE(_ZdlPvSt11align_val_tRKSt9nothrow_t, (void *p, size_t al, nothrow_ref nt), (p, al, nt))
WRAP_DELETE(_ZdaPvSt11align_val_tRKSt9nothrow_t, (void *p, size_t al, nothrow_ref nt), (p, al, nt))
