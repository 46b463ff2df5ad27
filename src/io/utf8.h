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
#include <stdint.h>

/* Whether the n bytes at s are well-formed UTF-8 (s may be NULL when n is 0). */
bool utf8_valid(const char *s, size_t n);

/* The code point at s, which must start a well-formed sequence (utf8_valid), and its length in
 * bytes in *len. */
uint32_t utf8_decode(const char *s, size_t *len);

/*
 * Copies the n bytes at s into out (cap bytes, NUL-terminated) with each byte that does not
 * start a well-formed sequence replaced by U+FFFD, so that a text of unknown bytes can still be
 * shown; cut at a character boundary when it does not fit (3 * n + 1 bytes always do). Returns
 * the bytes written before the NUL.
 */
size_t utf8_replace_invalid(const char *s, size_t n, char *out, size_t cap);

/* Whether c reorders or hides text when shown: the bidirectional embeddings, overrides and
 * isolates (U+202A-U+202E, U+2066-U+2069), the direction marks (U+200E, U+200F, U+061C), the
 * zero-width characters (U+200B-U+200D, U+2060, U+FEFF), and every other default-ignorable
 * code point (the soft hyphen, invisible operators, fillers, variation selectors, tags).
 * Text from outside that holds one can show one thing to a reader and mean another. */
bool utf8_is_hidden(uint32_t c);

/*
 * Finds the first hidden character (utf8_is_hidden) in n bytes of well-formed UTF-8 at s:
 * returns its byte offset and sets *c, or returns n when there is none.
 */
size_t utf8_find_hidden(const char *s, size_t n, uint32_t *c);

#endif
