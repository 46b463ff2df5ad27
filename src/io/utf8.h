/* Strict UTF-8 validation, shared by every reader of text input.
 *
 * Strict means RFC 3629: no overlong forms, no UTF-16 surrogates (U+D800..U+DFFF), nothing above
 * U+10FFFF, no truncated sequences. NUL bytes are valid UTF-8; callers that refuse them check
 * for them themselves.
 */
#ifndef OK_IO_UTF8_H
#define OK_IO_UTF8_H

#include <stdbool.h>
#include <stddef.h>

/* Whether the n bytes at s are well-formed UTF-8 (s may be NULL when n is 0). */
bool utf8_valid(const char *s, size_t n);

#endif
