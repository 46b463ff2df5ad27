/* JSON answers written straight into the response buffer (see json_out.h). */
#include "http/json_out.h"

#include "core/error.h"
#include "io/utf8.h"

#include <inttypes.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

/* Appends n bytes; the buffer's NUL is put back by the caller's last append (buf_add). */
static int put(struct buf *b, const char *s, size_t n)
{
	return buf_add(b, s, n);
}

/* Whether byte c must be escaped inside a JSON string: '"', '\\' and the controls below 0x20
 * (as jansson: DEL and everything from U+0080 go out as they are). */
static bool needs_escape(unsigned char c)
{
	return c < 0x20 || c == '"' || c == '\\';
}

#define ONES  UINT64_C(0x0101010101010101)
#define HIGHS UINT64_C(0x8080808080808080)

/* Whether any of the 8 bytes in w needs an escape: a byte below 0x20 (the borrow trick, exact
 * for "any"), or a byte equal to '"' or '\\' (a zero byte after the XOR). */
static bool any_escape(uint64_t w)
{
	uint64_t q = w ^ (ONES * '"'), bs = w ^ (ONES * '\\');

	return (((w - ONES * 0x20) & ~w) | ((q - ONES) & ~q) | ((bs - ONES) & ~bs)) & HIGHS;
}

/* The length of the run at s[0..n) that needs no escape. */
static size_t plain_run(const char *s, size_t n)
{
	size_t i = 0;
	uint64_t w;

	while (n - i >= 8) {
		memcpy(&w, s + i, 8);
		if (any_escape(w))
			break;
		i += 8;
	}
	while (i < n && !needs_escape((unsigned char)s[i]))
		i++;
	return i;
}

int http_json_write_string(struct buf *b, const char *s, size_t n)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t i = 0, run, start = b->len;
	int rc;

	if (!utf8_valid(s, n))
		return OK_EINTERNAL;
	/* Room for the usual case (nothing to escape) at once. */
	if ((rc = buf_grow(b, n + 2)))
		return rc;
	b->data[b->len++] = '"';
	while (i < n) {
		char esc[6];
		size_t elen = 2;
		unsigned char c;

		run = i + plain_run(s + i, n - i);
		if (run > i && (rc = put(b, s + i, run - i)))
			goto fail;
		if (run == n)
			break;
		c = (unsigned char)s[run];
		esc[0] = '\\';
		switch (c) {
		case '"':
			esc[1] = '"';
			break;
		case '\\':
			esc[1] = '\\';
			break;
		case '\b':
			esc[1] = 'b';
			break;
		case '\f':
			esc[1] = 'f';
			break;
		case '\n':
			esc[1] = 'n';
			break;
		case '\r':
			esc[1] = 'r';
			break;
		case '\t':
			esc[1] = 't';
			break;
		default: /* jansson's "\\u%04X" */
			esc[1] = 'u';
			esc[2] = '0';
			esc[3] = '0';
			esc[4] = hex[c >> 4];
			esc[5] = hex[c & 0xF];
			elen = 6;
			break;
		}
		if ((rc = put(b, esc, elen)))
			goto fail;
		i = run + 1;
	}
	if ((rc = put(b, "\"", 1)))
		goto fail;
	return 0;
fail:
	b->len = start;
	return rc;
}

/* An integer as jansson prints it ("%" JSON_INTEGER_FORMAT), without printf. */
int http_json_write_integer(struct buf *b, json_int_t v)
{
	char text[24], *p = text + sizeof(text);
	/* Through the unsigned type, so that the most negative value has a magnitude. */
	unsigned long long m = v < 0 ? 0ULL - (unsigned long long)v : (unsigned long long)v;

	do {
		*--p = (char)('0' + m % 10);
		m /= 10;
	} while (m);
	if (v < 0)
		*--p = '-';
	return put(b, p, (size_t)(text + sizeof(text) - p));
}

/*
 * A real as jansson prints it (jsonp_dtostr with its default precision): "%.17g", then ".0"
 * when the text has neither '.' nor 'e', then the exponent without '+' and leading zeros.
 * (No locale: oorkonde never calls setlocale, so '.' is the decimal point.)
 */
int http_json_write_real(struct buf *b, double v)
{
	char text[32], *e, *from, *to;
	int n;

	if (!isfinite(v)) /* json_real refuses these too */
		return OK_EINTERNAL;
	n = snprintf(text, sizeof(text), "%.17g", v);

	if (n < 0 || (size_t)n >= sizeof(text) - 3)
		return OK_EINTERNAL;
	if (!strchr(text, '.') && !strchr(text, 'e')) {
		memcpy(text + n, ".0", 3);
		n += 2;
	}
	if ((e = strchr(text, 'e'))) {
		to = e + 1;
		if (*to == '-')
			to++;
		from = e + 2; /* past the sign jansson assumes is there */
		while (*from == '0')
			from++;
		if (from != to) {
			memmove(to, from, (size_t)(text + n - from) + 1);
			n -= (int)(from - to);
		}
	}
	return put(b, text, (size_t)n);
}

static int write_value(struct buf *b, const json_t *v, unsigned depth)
{
	size_t i, n;
	int rc = 0;

	if (depth > HTTP_JSON_DEPTH_MAX)
		return OK_EINTERNAL;
	switch (json_typeof(v)) {
	case JSON_OBJECT: {
		void *it = json_object_iter((json_t *)v);
		bool first = true;

		if ((rc = put(b, "{", 1)))
			return rc;
		for (; it; it = json_object_iter_next((json_t *)v, it)) {
			const char *key = json_object_iter_key(it);

			if ((!first && (rc = put(b, ",", 1))) ||
			    (rc = http_json_write_string(b, key, json_object_iter_key_len(it))) ||
			    (rc = put(b, ":", 1)) ||
			    (rc = write_value(b, json_object_iter_value(it), depth + 1)))
				return rc;
			first = false;
		}
		return put(b, "}", 1);
	}
	case JSON_ARRAY:
		if ((rc = put(b, "[", 1)))
			return rc;
		n = json_array_size(v);
		for (i = 0; i < n; i++)
			if ((i && (rc = put(b, ",", 1))) ||
			    (rc = write_value(b, json_array_get(v, i), depth + 1)))
				return rc;
		return put(b, "]", 1);
	case JSON_STRING:
		return http_json_write_string(b, json_string_value(v), json_string_length(v));
	case JSON_INTEGER:
		return http_json_write_integer(b, json_integer_value(v));
	case JSON_REAL:
		return http_json_write_real(b, json_real_value(v));
	case JSON_TRUE:
		return put(b, "true", 4);
	case JSON_FALSE:
		return put(b, "false", 5);
	case JSON_NULL:
		return put(b, "null", 4);
	}
	return OK_EINTERNAL;
}

int http_json_write(struct buf *b, const json_t *doc)
{
	size_t start = b->len;
	int rc;

	if (!doc || !(json_is_object(doc) || json_is_array(doc)))
		return OK_EINTERNAL;
	rc = write_value(b, doc, 0);
	if (rc) {
		b->len = start;
		return rc;
	}
	return 0;
}
