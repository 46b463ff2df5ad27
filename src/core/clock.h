/* The wall clock, in the one unit oorkonde keeps times in: milliseconds since the Unix epoch;
 * and a coarse monotonic clock for intervals. */
#ifndef OK_CORE_CLOCK_H
#define OK_CORE_CLOCK_H

#include <stdint.h>

int64_t ok_now_ms(void);
/* Milliseconds since some fixed moment, never going back, at the kernel's tick (a few ms): for
 * "at least every N ms" where a system call per use would cost more than the answer (the vDSO
 * answers it in user space). */
int64_t ok_coarse_ms(void);

#endif
