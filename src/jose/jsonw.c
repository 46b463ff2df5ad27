/* Compact JSON writing into a struct buf (see jsonw.h). */
#include "jose/jsonw.h"

#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"

/* Writes the n bytes at s as a JSON string into room reserved once (an escape takes at most six
 * characters): no call per character or per run, as most names and values have nothing to
 * escape. */
static void put_str(struct buf *b, const char *s, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	char *p = b->data + b->len;
	size_t i;

	*p++ = '"';
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c >= 0x20 && c != '"' && c != '\\') {
			*p++ = (char)c;
		} else if (c == '"' || c == '\\') {
			*p++ = '\\';
			*p++ = (char)c;
		} else {
			memcpy(p, "\\u00", 4);
			p[4] = hex[c >> 4];
			p[5] = hex[c & 15];
			p += 6;
		}
	}
	*p++ = '"';
	*p = '\0';
	b->len = (size_t)(p - b->data);
}

int jose_jsonw_str(struct buf *b, const char *s, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	size_t i, run = 0, start = b->len;
	int rc;

	if (n <= (SIZE_MAX - 2) / 6 && !buf_grow(b, 6 * n + 2)) {
		put_str(b, s, n);
		return 0;
	}
	/* Near the buffer's cap the worst case may not fit where the string does: run by run. */
	rc = buf_addch(b, '"');
	for (i = 0; i < n && !rc; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c >= 0x20 && c != '"' && c != '\\')
			continue;
		rc = buf_add(b, s + run, i - run);
		if (!rc)
			rc = c == '"' || c == '\\'
			             ? buf_add(b, (const char[]){'\\', (char)c}, 2)
			             : buf_add(b,
			                       (const char[]){'\\', 'u', '0', '0', hex[c >> 4],
			                                      hex[c & 15]},
			                       6);
		run = i + 1;
	}
	if (!rc)
		rc = buf_add(b, s + run, n - run);
	if (!rc)
		rc = buf_addch(b, '"');
	if (rc)
		buf_truncate(b, start);
	return rc;
}

int jose_jsonw_name(struct buf *out, bool first, const char *name, size_t n)
{
	size_t start = out->len;
	int rc = first ? 0 : buf_addch(out, ',');

	if (!rc)
		rc = jose_jsonw_str(out, name, n);
	if (!rc)
		rc = buf_addch(out, ':');
	if (rc)
		buf_truncate(out, start);
	return rc;
}

static int write_value(struct buf *b, const json_t *v, int depth);

/* Object v at depth, its member named name (NULL: none) written as the JSON text raw, or
 * added last with that value when v has no such member. */
static int write_object(struct buf *b, const json_t *v, int depth, const char *name,
                        const char *raw)
{
	bool seen = false;
	const char *key;
	json_t *m;
	size_t i = 0;
	int rc = buf_addch(b, '{');

	json_object_foreach((json_t *)v, key, m)
	{
		bool swap = name && strcmp(key, name) == 0;

		if (!rc)
			rc = jose_jsonw_name(b, i++ == 0, key, strlen(key));
		if (!rc)
			rc = swap ? buf_addstr(b, raw) : write_value(b, m, depth + 1);
		if (rc)
			break;
		seen = seen || swap;
	}
	if (!rc && name && !seen) {
		rc = jose_jsonw_name(b, i == 0, name, strlen(name));
		if (!rc)
			rc = buf_addstr(b, raw);
	}
	return rc ? rc : buf_addch(b, '}');
}

static int write_value(struct buf *b, const json_t *v, int depth)
{
	char num[32];
	json_t *m;
	size_t i;
	int rc = 0;

	if (depth > JOSE_JSONW_DEPTH_MAX)
		return OK_ETOOBIG;
	switch (json_typeof(v)) {
	case JSON_OBJECT:
		return write_object(b, v, depth, NULL, NULL);
	case JSON_ARRAY:
		rc = buf_addch(b, '[');
		json_array_foreach(v, i, m)
		{
			if (!rc && i)
				rc = buf_addch(b, ',');
			if (!rc)
				rc = write_value(b, m, depth + 1);
			if (rc)
				break;
		}
		return rc ? rc : buf_addch(b, ']');
	case JSON_STRING:
		return jose_jsonw_str(b, json_string_value(v), json_string_length(v));
	case JSON_INTEGER: {
		json_int_t n = json_integer_value(v);
		uint64_t u = n < 0 ? 0 - (uint64_t)n : (uint64_t)n;
		char *p = num + sizeof(num);

		do {
			*--p = (char)('0' + u % 10);
			u /= 10;
		} while (u);
		if (n < 0)
			*--p = '-';
		return buf_add(b, p, (size_t)(num + sizeof(num) - p));
	}
	case JSON_REAL: {
		/* Rare in claims: jansson's own writing keeps its choice of digits. */
		char *text = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);

		if (!text)
			return OK_ENOMEM;
		rc = buf_addstr(b, text);
		free(text);
		return rc;
	}
	case JSON_TRUE:
		return buf_addstr(b, "true");
	case JSON_FALSE:
		return buf_addstr(b, "false");
	case JSON_NULL:
		return buf_addstr(b, "null");
	}
	return OK_EINPUT;
}

int jose_jsonw(struct buf *out, const json_t *v)
{
	return jose_jsonw_at(out, v, 0);
}

int jose_jsonw_object_with(struct buf *out, const json_t *obj, const char *name, const char *raw)
{
	size_t start = out->len;
	int rc = json_is_object(obj) && name && raw ? write_object(out, obj, 0, name, raw)
	                                            : OK_EINPUT;

	if (rc)
		buf_truncate(out, start);
	return rc;
}

int jose_jsonw_at(struct buf *out, const json_t *v, int depth)
{
	size_t start = out->len;
	int rc = v ? write_value(out, v, depth) : OK_EINPUT;

	if (rc)
		buf_truncate(out, start);
	return rc;
}
