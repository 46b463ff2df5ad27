/* Formatting into fixed-size fields without silent cuts, and joining paths into a buffer. */
#include "core/format.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "core/error.h"

int ok_format(char *out, size_t cap, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(out, cap, fmt, ap);
	va_end(ap);
	if (n >= 0 && (size_t)n < cap)
		return 0;
	if (cap)
		out[0] = '\0';
	return n < 0 ? OK_EINTERNAL : OK_ETOOBIG;
}

void ok_copy_bounded(char *dst, const char *src, size_t n)
{
	size_t len = n ? strnlen(src, n - 1) : 0;

	if (!n)
		return;
	memcpy(dst, src, len);
	dst[len] = '\0';
}

int ok_path_join(struct buf *path, const char *dir, const char *name)
{
	buf_reset(path);
	return buf_addf(path, "%s/%s", dir, name);
}
