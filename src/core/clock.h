/* The wall clock, in the one unit oorkonde keeps times in: milliseconds since the Unix epoch. */
#ifndef OK_CORE_CLOCK_H
#define OK_CORE_CLOCK_H

#include <stdint.h>

int64_t ok_now_ms(void);

#endif
