/* application/x-www-form-urlencoded bodies, decoded field by field (see form.h). */
#include "io/form.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "io/utf8.h"

static int hex_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Decodes n bytes at s into out (room for n + 1); the decoded length, or -1 for a bad escape
 * or a NUL byte. */
static long decode(const char *s, size_t n, char *out)
{
	size_t i, o = 0;

	for (i = 0; i < n; i++) {
		char c = s[i];

		if (c == '+') {
			c = ' ';
		} else if (c == '%') {
			int hi, lo;

			if (i + 2 >= n)
				return -1;
			hi = hex_value(s[i + 1]);
			lo = hex_value(s[i + 2]);
			if (hi < 0 || lo < 0)
				return -1;
			c = (char)(hi * 16 + lo);
			i += 2;
		}
		if (c == '\0')
			return -1;
		out[o++] = c;
	}
	out[o] = '\0';
	return (long)o;
}

int io_form_parse(const char *body, size_t len, io_form_fn fn, void *ctx, struct ok_error *err)
{
	char *name = NULL, *value = NULL;
	size_t pos = 0, fields = 0;
	int rc = 0;

	while (pos < len && !rc) {
		const char *start = body + pos, *amp = memchr(start, '&', len - pos), *eq;
		size_t n = amp ? (size_t)(amp - start) : len - pos;
		long nl, vl;

		pos += n + 1;
		if (n == 0)
			continue; /* "a=1&&b=2": an empty field is no field */
		if (++fields > IO_FORM_FIELDS_MAX) {
			rc = ok_fail_field(err, OK_EINPUT, "form",
			                   "the form has more than %d fields", IO_FORM_FIELDS_MAX);
			break;
		}
		eq = memchr(start, '=', n);
		name = malloc(eq ? (size_t)(eq - start) + 1 : n + 1);
		value = malloc(eq ? n - (size_t)(eq - start) : 1);
		if (!name || !value) {
			rc = ok_fail(err, OK_ENOMEM, "out of memory");
			break;
		}
		nl = decode(start, eq ? (size_t)(eq - start) : n, name);
		vl = eq ? decode(eq + 1, n - (size_t)(eq - start) - 1, value) : 0;
		if (!eq)
			value[0] = '\0';
		if (nl < 0 || vl < 0 || !utf8_valid(name, (size_t)nl) ||
		    !utf8_valid(value, (size_t)vl)) {
			rc = ok_fail_field(
			        err, OK_EINPUT, "form",
			        "field %zu of the form is not well encoded (a bad %%-escape, "
			        "a NUL byte or invalid UTF-8)",
			        fields);
			break;
		}
		rc = fn(ctx, name, value, (size_t)vl);
		free(name);
		free(value);
		name = value = NULL;
	}
	free(name);
	free(value);
	return rc;
}
