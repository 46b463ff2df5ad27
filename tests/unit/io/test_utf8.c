/* Unit tests for strict UTF-8 validation: every boundary of RFC 3629. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "io/utf8.h"

static bool valid(const char *s)
{
	return utf8_valid(s, strlen(s));
}

static void accepts_text(void **state)
{
	(void)state;
	assert_true(utf8_valid(NULL, 0));
	assert_true(valid(""));
	assert_true(valid("plain ASCII, long enough to take the eight-byte path twice"));
	assert_true(valid("Łukasz Müller-Dağ"));
	assert_true(valid("日本語のテキスト"));
	assert_true(valid("\xF0\x9F\x8E\x93 graduate"));
	assert_true(utf8_valid("a\0b", 3)); /* NUL is UTF-8; callers refuse it themselves */
}

static void accepts_the_boundaries(void **state)
{
	(void)state;
	assert_true(valid("\x7F"));
	assert_true(valid("\xC2\x80"));         /* U+0080 */
	assert_true(valid("\xDF\xBF"));         /* U+07FF */
	assert_true(valid("\xE0\xA0\x80"));     /* U+0800 */
	assert_true(valid("\xED\x9F\xBF"));     /* U+D7FF */
	assert_true(valid("\xEE\x80\x80"));     /* U+E000 */
	assert_true(valid("\xEF\xBF\xBF"));     /* U+FFFF */
	assert_true(valid("\xF0\x90\x80\x80")); /* U+10000 */
	assert_true(valid("\xF4\x8F\xBF\xBF")); /* U+10FFFF */
}

static void refuses_overlongs(void **state)
{
	(void)state;
	assert_false(valid("\xC0\x80"));
	assert_false(valid("\xC1\xBF"));
	assert_false(valid("\xE0\x80\x80"));
	assert_false(valid("\xE0\x9F\xBF"));
	assert_false(valid("\xF0\x80\x80\x80"));
	assert_false(valid("\xF0\x8F\xBF\xBF"));
}

static void refuses_surrogates_and_beyond(void **state)
{
	(void)state;
	assert_false(valid("\xED\xA0\x80"));     /* U+D800 */
	assert_false(valid("\xED\xBF\xBF"));     /* U+DFFF */
	assert_false(valid("\xF4\x90\x80\x80")); /* U+110000 */
	assert_false(valid("\xF5\x80\x80\x80"));
	assert_false(valid("\xFE"));
	assert_false(valid("\xFF"));
}

static void refuses_broken_sequences(void **state)
{
	(void)state;
	assert_false(valid("\x80"));
	assert_false(valid("abc\xBF"));
	assert_false(valid("\xC3")); /* truncated at the end */
	assert_false(valid("\xE2\x82"));
	assert_false(valid("\xF0\x9F\x8E"));
	assert_false(valid("\xC3(")); /* bad continuation */
	assert_false(valid("\xE2\x28\xA1"));
	assert_false(valid("\xF0\x9F\x8E("));
	assert_false(valid("12345678\xE9t\xE9")); /* Latin-1 after the fast path */
	/* the length is the truth, not the NUL */
	assert_false(utf8_valid("\xC3\xA9", 1));
	assert_true(utf8_valid("\xC3\xA9", 2));
}

static void decodes_code_points(void **state)
{
	size_t len;

	(void)state;
	assert_int_equal(utf8_decode("A", &len), 0x41);
	assert_int_equal(len, 1);
	assert_int_equal(utf8_decode("\xC3\xA9", &len), 0xE9);
	assert_int_equal(len, 2);
	assert_int_equal(utf8_decode("\xE2\x80\xAE", &len), 0x202E);
	assert_int_equal(len, 3);
	assert_int_equal(utf8_decode("\xF0\x9F\x98\x80", &len), 0x1F600);
	assert_int_equal(len, 4);
}

static void finds_characters_that_hide_or_reorder_text(void **state)
{
	static const uint32_t hidden[] = {0x202A, 0x202B, 0x202C, 0x202D,  0x202E,  0x2066, 0x2067,
	                                  0x2068, 0x2069, 0x200B, 0x200C,  0x200D,  0x200E, 0x200F,
	                                  0x061C, 0x2060, 0xFEFF, 0x00AD,  0x2064,  0x2065, 0x206A,
	                                  0x3164, 0x180E, 0xFE0F, 0xE0001, 0xE0041, 0x1D173};
	static const uint32_t shown[] = {0x20,   0xE9,   0x05D0, 0x0627,  0x2029, 0x2070,
	                                 0x200A, 0x2010, 0xFEFE, 0x1F600, 0x00AC, 0xE1000};
	const char *s = "Bachelor \xE2\x80\xAE"
	                "ecneicS";
	uint32_t c = 0;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(hidden) / sizeof(hidden[0]); i++)
		assert_true(utf8_is_hidden(hidden[i]));
	for (i = 0; i < sizeof(shown) / sizeof(shown[0]); i++)
		assert_false(utf8_is_hidden(shown[i]));
	assert_int_equal(utf8_find_hidden(s, strlen(s), &c), 9);
	assert_int_equal(c, 0x202E);
	s = "\xD7\xA9\xD7\x9C\xD7\x95\xD7\x9D and caf\xC3\xA9";
	assert_int_equal(utf8_find_hidden(s, strlen(s), &c), strlen(s));
	assert_int_equal(utf8_find_hidden("", 0, &c), 0);
}

/* A byte that starts no well-formed sequence becomes U+FFFD; the rest is kept as it is. */
static void replaces_what_is_not_utf8(void **state)
{
	static const char *const cases[][2] = {
	        {"caf\xC3\xA9", "caf\xC3\xA9"},
	        {"a\xFF"
	         "b",
	         "a\xEF\xBF\xBD"
	         "b"},
	        {"\xC3", "\xEF\xBF\xBD"}, /* cut at the end */
	        {"\xE2\x82"
	         "x",
	         "\xEF\xBF\xBD\xEF\xBF\xBD"
	         "x"},                                                    /* cut inside */
	        {"\xC0\xAF", "\xEF\xBF\xBD\xEF\xBF\xBD"},                 /* overlong */
	        {"\xED\xA0\x80", "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD"}, /* a surrogate */
	        {"\x80\xF0\x9F\x8E\x93", "\xEF\xBF\xBD\xF0\x9F\x8E\x93"},
	        {"", ""},
	};
	char out[64];
	size_t i, n;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		n = utf8_replace_invalid(cases[i][0], strlen(cases[i][0]), out, sizeof(out));
		assert_string_equal(out, cases[i][1]);
		assert_int_equal(n, strlen(cases[i][1]));
		assert_true(valid(out));
	}
	/* Cut between characters when out is short: "ab" and no part of U+FFFD. */
	assert_int_equal(utf8_replace_invalid("ab\xFF", 3, out, 5), 2);
	assert_string_equal(out, "ab");
	assert_int_equal(utf8_replace_invalid("ab", 2, out, 0), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(accepts_text),
	        cmocka_unit_test(decodes_code_points),
	        cmocka_unit_test(finds_characters_that_hide_or_reorder_text),
	        cmocka_unit_test(accepts_the_boundaries),
	        cmocka_unit_test(refuses_overlongs),
	        cmocka_unit_test(refuses_surrogates_and_beyond),
	        cmocka_unit_test(refuses_broken_sequences),
	        cmocka_unit_test(replaces_what_is_not_utf8),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
