/* Text from outside on a terminal: values that others wrote (a foreign issuer's name, a title, a
 * recipient label, an institution's name) are shown with every control, C1 and bidi-override
 * character made visible, so that no value can move the cursor, recolour, clear the screen or
 * reorder what follows it. Every CLI table and listing prints such values through here. */
#ifndef OK_CLI_TERM_H
#define OK_CLI_TERM_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/*
 * s made safe for a terminal into out (cap bytes, always terminated): C0 controls and DEL as
 * \xHH, C1 controls and the bidi controls (U+061C, U+200E/F, U+202A-U+202E, U+2066-U+2069) as
 * \u{HHHH}, a byte that is not UTF-8 as \xHH; a backslash stays as it is. Text that does not fit
 * ends in "...". Returns out, so that it can stand in a printf argument list.
 */
const char *term_safe(const char *s, char *out, size_t cap);

/* Writes s to f as term_safe would, without a length limit. */
void term_put(FILE *f, const char *s);

/* A time in milliseconds since the epoch as "2026-01-31T14:30:00Z", or "-" for 0. */
void term_time(int64_t ms, char out[32]);

#endif
