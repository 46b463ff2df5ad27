/* The one growable byte buffer of oorkonde: length-carrying, NUL-terminated, with a hard cap.
 *
 * Invariants:
 * - data is never NULL and data[len] == '\0', so text can be used as a C string (binary data may
 *   hold NULs too; len is the truth).
 * - len never exceeds max; growth that would pass max fails with OK_ETOOBIG and changes nothing.
 * - The buffer owns data; buf_release() frees it, buf_detach() hands it to the caller.
 */
#ifndef OK_CORE_BUF_H
#define OK_CORE_BUF_H

#include <stdarg.h>
#include <stddef.h>

struct buf {
	char *data;
	size_t len;
	size_t alloc; /* bytes allocated, 0 while data points at the shared empty string */
	size_t max;   /* the cap on len */
};

#define BUF_DEFAULT_MAX ((size_t)64 << 20)

/* Life cycle */
void buf_init(struct buf *b, size_t max);
void buf_release(struct buf *b);
/* Hands data to the caller (free() it) and leaves b empty; never NULL (may be a new "" string). */
char *buf_detach(struct buf *b, size_t *len);

/* Writing: each returns 0 or OK_ETOOBIG / OK_ENOMEM, and leaves b unchanged on failure. */
int buf_grow(struct buf *b, size_t extra);
int buf_add(struct buf *b, const void *data, size_t n);
int buf_addstr(struct buf *b, const char *s);
int buf_addch(struct buf *b, char c);
int buf_addf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int buf_vaddf(struct buf *b, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));
void buf_reset(struct buf *b);
/* Cuts the buffer to n bytes (n <= len). */
void buf_truncate(struct buf *b, size_t n);

#endif
