/* Poisson byte sampling for the otel_memory probes: see sample.h.  The
 * scheme is libmemtrace-sampler's (runtime/sampler/sampler.c), so the two
 * providers' estimates mean the same thing. */
#include <math.h>

#include "sample.h"

/* The USDT semaphores the kernel counts up while a profiler's probe is
 * attached.  Hidden: a program that also preloads libmemtrace-sampler
 * keeps two providers with a semaphore each, not one interposed on the
 * other. */
__attribute__((visibility("hidden"))) volatile unsigned short otel_memory_alloc_semaphore
	__attribute__((section(".probes")));
__attribute__((visibility("hidden"))) volatile unsigned short otel_memory_free_semaphore
	__attribute__((section(".probes")));

_Atomic uint64_t sample_live;

struct sample_state {
	int64_t left; /* bytes before the next sample */
	uint64_t rng; /* xorshift64*, 0 until the thread's first enabled call */
};
static __thread struct sample_state st __attribute__((tls_model("initial-exec")));

uint64_t sample_period(void)
{
	uint64_t p = rt.cfg.sample_bytes;

	return p ? p : REFGC_SAMPLE_DEFAULT_BYTES;
}

/* An exponential draw of mean period: the distance to the next sampled byte. */
static int64_t next_gap(void)
{
	uint64_t x = st.rng;
	double u;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	st.rng = x;
	u = (double)(((x * 0x2545F4914F6CDD1Dull) >> 11) + 1) * 0x1.0p-53; /* (0, 1] */
	return (int64_t)(-log(u) * (double)sample_period()) + 1;
}

bool sample_take(uint64_t bytes)
{
	if (__builtin_expect(!st.rng, 0)) {
		/* Distinct per thread, no syscall. */
		st.rng = ((uint64_t)(uintptr_t)&st * 0x9E3779B97F4A7C15ull) | 1;
		st.left = next_gap();
	}
	st.left -= (int64_t)bytes;
	if (st.left > 0)
		return false;
	/* Memoryless: the next point lies a fresh draw past this object. */
	st.left = next_gap();
	return true;
}
