/* The server's JSON writer (http/json_out.h): the same bytes as jansson's
 * json_dumpb(JSON_COMPACT) for every document, hand-picked (escapes, reals, keys with NUL,
 * insertion order) and generated at random, and the refusals (a string that is not UTF-8, a
 * scalar at the top, a tree too deep). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/error.h"
#include "http/json_out.h"

/* Writes doc both ways and compares the texts; the buffer starts with a prefix that must stay. */
static void same_as_jansson(json_t *doc)
{
	char *want = json_dumps(doc, JSON_COMPACT);
	struct buf b;

	assert_non_null(want);
	buf_init(&b, 0);
	assert_int_equal(buf_addstr(&b, "x"), 0);
	assert_int_equal(http_json_write(&b, doc), 0);
	assert_int_equal(b.len, strlen(want) + 1);
	assert_string_equal(b.data + 1, want);
	buf_release(&b);
	free(want);
}

static void test_hand_picked(void **state)
{
	static const double reals[] = {0.0,  -0.0,    1.0,   -1.5,   0.1,      1e20,
	                               1e-7, 123e45,  1e300, 5e-324, DBL_MAX,  2.5e-10,
	                               1e16, 3.0e100, -2e-5, 1e21,   1234.5678};
	json_t *doc = json_object(), *arr = json_array();
	size_t i;

	(void)state;
	/* Members in the order they were set, not sorted. */
	json_object_set_new(doc, "zeta", json_integer(0));
	json_object_set_new(doc, "alpha", json_integer(-9223372036854775807LL - 1));
	json_object_set_new(doc, "max", json_integer(9223372036854775807LL));
	json_object_set_new(doc, "quote\"back\\slash/", json_string("\"\\/\b\f\n\r\t\x01\x1f\x7f"));
	json_object_set_new(doc, "utf8", json_string("Łukasz Müller-Dağ Nguyễn 😀 \xe2\x80\xa8"));
	json_object_setn_new(doc, "nul\0key", 7, json_stringn("a\0b", 3));
	json_object_set_new(doc, "", json_string(""));
	json_object_set_new(doc, "t", json_true());
	json_object_set_new(doc, "f", json_false());
	json_object_set_new(doc, "n", json_null());
	json_object_set_new(doc, "empty_object", json_object());
	json_object_set_new(doc, "empty_array", json_array());
	for (i = 0; i < sizeof(reals) / sizeof(reals[0]); i++)
		json_array_append_new(arr, json_real(reals[i]));
	json_object_set_new(doc, "reals", arr);
	same_as_jansson(doc);
	json_object_del(doc, "alpha");
	json_object_set_new(doc, "alpha", json_integer(1)); /* now last */
	same_as_jansson(doc);
	json_decref(doc);
	doc = json_loads("[[[]],{},[1,2.5,{\"a\":[null]}]]", 0, NULL);
	same_as_jansson(doc);
	json_decref(doc);
}

/* A random byte string that is valid UTF-8 more often than not, with controls and escapes. */
static json_t *random_string(unsigned *seed)
{
	static const char *const pieces[] = {"a", "\"",   "\\", "/", "\n", "\x01", "\x1f",
	                                     " ", "\x7f", "é",  "€", "😀",  "\xc3", "\xed\xa0\x80",
	                                     "z0"};
	char text[64];
	size_t n = 0, k = (size_t)rand_r(seed) % 8;

	while (k--) {
		const char *p = pieces[(size_t)rand_r(seed) % (sizeof(pieces) / sizeof(pieces[0]))];
		size_t len = strlen(p);
		if (n + len >= sizeof(text))
			break;
		memcpy(text + n, p, len);
		n += len;
	}
	/* Not UTF-8: json_stringn_nocheck keeps it, and both writers must refuse it. */
	return json_stringn_nocheck(text, n);
}

static json_t *random_value(unsigned *seed, int depth)
{
	int kind = rand_r(seed) % (depth > 4 ? 6 : 8);
	json_t *v;
	int i, n;

	switch (kind) {
	case 0:
		return json_integer((json_int_t)rand_r(seed) - RAND_MAX / 2);
	case 1:
		return json_real(
		        ldexp((double)rand_r(seed) - RAND_MAX / 2, rand_r(seed) % 200 - 100));
	case 2:
		return random_string(seed);
	case 3:
		return json_true();
	case 4:
		return json_null();
	case 5:
		return json_false();
	case 6:
		v = json_array();
		n = rand_r(seed) % 5;
		for (i = 0; i < n; i++)
			json_array_append_new(v, random_value(seed, depth + 1));
		return v;
	default:
		v = json_object();
		n = rand_r(seed) % 5;
		for (i = 0; i < n; i++) {
			json_t *key = random_string(seed);
			/* Keys that are UTF-8 only: jansson writes a broken one as broken JSON
			 * (it ignores its own failure there), which json_out refuses. */
			json_object_setn_new(v, json_string_value(key), json_string_length(key),
			                     random_value(seed, depth + 1));
			json_decref(key);
		}
		return v;
	}
}

static void test_random_documents(void **state)
{
	unsigned seed = 22;
	int i, agreed = 0, refused = 0;

	(void)state;
	for (i = 0; i < 20000; i++) {
		json_t *doc = json_array();
		char *want;
		struct buf b;
		int rc;

		json_array_append_new(doc, random_value(&seed, 0));
		want = json_dumps(doc, JSON_COMPACT);
		buf_init(&b, 0);
		rc = http_json_write(&b, doc);
		if (want) {
			assert_int_equal(rc, 0);
			assert_int_equal(b.len, strlen(want));
			assert_memory_equal(b.data, want, b.len);
			agreed++;
		} else {
			/* jansson refuses only a string that is not UTF-8. */
			assert_int_equal(rc, OK_EINTERNAL);
			assert_int_equal(b.len, 0);
			refused++;
		}
		free(want);
		buf_release(&b);
		json_decref(doc);
	}
	/* Both kinds were tried. */
	assert_true(agreed > 1000);
	assert_true(refused > 1000);
}

static void test_refusals(void **state)
{
	json_t *deep = json_array(), *inner = deep, *scalar = json_string("top");
	struct buf b;
	int i;

	(void)state;
	buf_init(&b, 0);
	/* A scalar at the top, as json_dumpb without JSON_ENCODE_ANY. */
	assert_int_equal(http_json_write(&b, scalar), OK_EINTERNAL);
	assert_int_equal(http_json_write(&b, NULL), OK_EINTERNAL);
	for (i = 0; i < HTTP_JSON_DEPTH_MAX + 1; i++) {
		json_t *next = json_array();
		json_array_append_new(inner, next);
		inner = next;
	}
	assert_int_equal(http_json_write(&b, deep), OK_EINTERNAL);
	assert_int_equal(b.len, 0);
	/* The buffer's cap holds: past it, OK_ETOOBIG and nothing half written. */
	buf_release(&b);
	buf_init(&b, 8);
	json_decref(scalar);
	scalar = json_pack("{s:s}", "key", "a value longer than eight bytes");
	assert_int_equal(http_json_write(&b, scalar), OK_ETOOBIG);
	assert_int_equal(b.len, 0);
	buf_release(&b);
	json_decref(scalar);
	json_decref(deep);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_hand_picked),
	        cmocka_unit_test(test_random_documents),
	        cmocka_unit_test(test_refusals),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
