/* The growable, capped byte buffer (see buf.h). */
#include "core/buf.h"

#include "core/error.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Shared by every empty buffer; never written, since nothing is written before growth. */
static char buf_empty_string[1];

void buf_init(struct buf *b, size_t max)
{
	b->data = buf_empty_string;
	b->len = 0;
	b->alloc = 0;
	b->max = max ? max : BUF_DEFAULT_MAX;
}

void buf_release(struct buf *b)
{
	if (b->alloc)
		free(b->data);
	buf_init(b, b->max);
}

char *buf_detach(struct buf *b, size_t *len)
{
	char *out;

	if (len)
		*len = b->len;
	if (b->alloc) {
		out = b->data;
	} else {
		out = calloc(1, 1);
	}
	buf_init(b, b->max);
	return out;
}

int buf_grow(struct buf *b, size_t extra)
{
	size_t need, want;
	char *p;

	if (extra > b->max || b->len > b->max - extra)
		return OK_ETOOBIG;
	need = b->len + extra + 1;
	if (need <= b->alloc)
		return 0;
	want = b->alloc ? b->alloc : 64;
	while (want < need)
		want = want > SIZE_MAX / 2 ? need : want * 2;
	/* Never allocate far past the cap: the cap is the point. (No cap, SIZE_MAX: max + 1 would
	 * wrap to 0 and make every append a realloc of exactly what it needs.) */
	if (b->max < SIZE_MAX && want > b->max + 1)
		want = b->max + 1;
	if (want < need)
		want = need;
	p = b->alloc ? realloc(b->data, want) : malloc(want);
	if (!p)
		return OK_ENOMEM;
	if (!b->alloc)
		p[0] = '\0';
	b->data = p;
	b->alloc = want;
	return 0;
}

int buf_add(struct buf *b, const void *data, size_t n)
{
	int rc;

	if (n == 0)
		return 0;
	rc = buf_grow(b, n);
	if (rc)
		return rc;
	memcpy(b->data + b->len, data, n);
	b->len += n;
	b->data[b->len] = '\0';
	return 0;
}

int buf_addstr(struct buf *b, const char *s)
{
	return buf_add(b, s, strlen(s));
}

int buf_addch(struct buf *b, char c)
{
	return buf_add(b, &c, 1);
}

int buf_vaddf(struct buf *b, const char *fmt, va_list ap)
{
	va_list copy;
	int n;
	int rc;

	va_copy(copy, ap);
	n = vsnprintf(NULL, 0, fmt, copy);
	va_end(copy);
	if (n < 0)
		return OK_EINPUT;
	rc = buf_grow(b, (size_t)n);
	if (rc)
		return rc;
	if (vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap) != n)
		return OK_EINTERNAL;
	b->len += (size_t)n;
	return 0;
}

int buf_addf(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = buf_vaddf(b, fmt, ap);
	va_end(ap);
	return rc;
}

void buf_reset(struct buf *b)
{
	buf_truncate(b, 0);
}

void buf_truncate(struct buf *b, size_t n)
{
	if (n > b->len)
		return;
	b->len = n;
	if (b->alloc)
		b->data[n] = '\0';
}
