/* Background credit for assists, as Go's bgScanCredit: slots the
 * background workers scanned this cycle pay mutators' assist debt before
 * the mutators mark anything themselves. The debt formula (pacer.c)
 * already lowers the rate when the workers are ahead, but without credit
 * every mutator still marks its share of whatever is left; with it, a
 * mutator marks only when the workers fall behind the allocation, which
 * the feedback trigger (pacer_trigger.c) then corrects by starting the
 * next cycle earlier. */
#include "internal.h"

static _Atomic uint64_t taken; /* credit already spent this cycle */

void assist_credit_reset(void)
{
	atomic_store(&taken, 0);
}

long assist_credit_pay(long debt)
{
	uint64_t all = atomic_load_explicit(&rt.cycle_scanned, memory_order_relaxed);
	uint64_t mut = atomic_load_explicit(&rt.cycle_assist_scanned, memory_order_relaxed);
	uint64_t bg = all > mut ? all - mut : 0;
	uint64_t t = atomic_load(&taken), n;

	if (debt <= 0)
		return debt;
	do {
		if (t >= bg)
			return debt;
		n = bg - t < (uint64_t)debt ? bg - t : (uint64_t)debt;
	} while (!atomic_compare_exchange_weak(&taken, &t, t + n));
	return debt - (long)n;
}
