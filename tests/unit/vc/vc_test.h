/* Helpers shared by the vc unit tests: fixtures from $OK_FIXTURES, hex, canonical forms. */
#ifndef OK_TEST_VC_TEST_H
#define OK_TEST_VC_TEST_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "core/buf.h"
#include "core/error.h"
#include "vc/jcs.h"

/* Reads path whole (NUL-terminated; *len its length when len is not NULL); a file that cannot
 * be read fails the test. The caller free()s it. */
static inline char *vc_read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *data;
	long n;

	if (!f)
		fail_msg("cannot open fixture %s", path);
	assert_int_equal(fseek(f, 0, SEEK_END), 0);
	n = ftell(f);
	assert_true(n >= 0);
	rewind(f);
	data = malloc((size_t)n + 1);
	assert_non_null(data);
	assert_int_equal(fread(data, 1, (size_t)n, f), (size_t)n);
	data[n] = '\0';
	fclose(f);
	if (len)
		*len = (size_t)n;
	return data;
}

/* Reads $OK_FIXTURES/rel whole; the caller free()s it. */
static inline char *vc_fixture_at(const char *rel, size_t *len)
{
	const char *dir = getenv("OK_FIXTURES");
	char path[1024];

	assert_non_null(dir);
	assert_true(snprintf(path, sizeof(path), "%s/%s", dir, rel) < (int)sizeof(path));
	return vc_read_file(path, len);
}

/* Reads $OK_FIXTURES/w3c-eddsa-jcs-2022/name whole; the caller free()s it. */
static inline char *vc_fixture(const char *name, size_t *len)
{
	char rel[512];

	assert_true(snprintf(rel, sizeof(rel), "w3c-eddsa-jcs-2022/%s", name) < (int)sizeof(rel));
	return vc_fixture_at(rel, len);
}

/* Parses a fixture with the strict JCS parser; the caller json_decref()s it. */
static inline json_t *vc_fixture_json(const char *name)
{
	struct ok_error err;
	json_t *v = NULL;
	size_t len;
	char *text = vc_fixture(name, &len);

	ok_error_clear(&err);
	if (vc_jcs_parse(text, len, 0, &v, &err) != 0)
		fail_msg("fixture %s: %s", name, err.message);
	free(text);
	return v;
}

static inline void vc_hex(const uint8_t *b, size_t n, char *out)
{
	static const char hex[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < n; i++) {
		out[2 * i] = hex[b[i] >> 4];
		out[2 * i + 1] = hex[b[i] & 15];
	}
	out[2 * n] = '\0';
}

/* The canonical form of v as a new string; the caller free()s it. */
static inline char *vc_canon(const json_t *v)
{
	struct ok_error err;
	struct buf b;

	buf_init(&b, 0);
	ok_error_clear(&err);
	if (vc_jcs_serialize(v, &b, &err) != 0)
		fail_msg("canonicalize: %s", err.message);
	return buf_detach(&b, NULL);
}

#endif
