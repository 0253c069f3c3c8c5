/* Poisson byte sampling for the otel_memory probes: see sample.h.  The
 * draw is libmemtrace-sampler's own (sampler/otel_sample.h), so the two
 * providers' estimates mean the same thing. */
#include "sample.h"
#include "sampler/otel_sample.h"

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

bool sample_take(uint64_t bytes)
{
	return otel_sample_take(&st.left, &st.rng, &st, bytes, sample_period());
}
