/* Unit tests for RFC 8785 canonicalization: numbers, escapes, key order, strictness, limits. */
#include "vc_test.h"

#include <math.h>

struct jcs_case {
	const char *in;
	const char *out;
};

/* Canonicalizes in (a C string) and compares with want, printing both on failure. */
static void expect_canon(const char *in, size_t in_len, unsigned flags, const char *want)
{
	struct ok_error err;
	struct buf b, again;

	ok_error_clear(&err);
	buf_init(&b, 0);
	if (vc_jcs_canonicalize(in, in_len, flags, &b, &err) != 0)
		fail_msg("input %s: %s", in, err.message);
	assert_string_equal(b.data, want);
	/* Canonical output is a fixed point. */
	buf_init(&again, 0);
	assert_int_equal(vc_jcs_canonicalize(b.data, b.len, flags, &again, &err), 0);
	assert_int_equal(again.len, b.len);
	assert_memory_equal(again.data, b.data, b.len);
	buf_release(&again);
	buf_release(&b);
}

static void expect_reject(const char *in, size_t in_len, int code, const char *words)
{
	struct ok_error err;
	struct buf b;
	int rc;

	ok_error_clear(&err);
	buf_init(&b, 0);
	rc = vc_jcs_canonicalize(in, in_len, 0, &b, &err);
	if (rc != code)
		fail_msg("input %.40s: want %s, got %s (%s)", in, ok_code_name(code),
		         ok_code_name(rc), err.message);
	if (!strstr(err.message, words))
		fail_msg("input %.40s: message \"%s\" lacks \"%s\"", in, err.message, words);
	buf_release(&b);
}

#define str_expect_canon(in, flags, want)  expect_canon(in, strlen(in), flags, want)
#define str_expect_reject(in, code, words) expect_reject(in, strlen(in), code, words)

static void numbers_follow_ecmascript(void **state)
{
	static const struct jcs_case cases[] = {
	        {"1e21", "1e+21"},
	        {"1e20", "100000000000000000000"},
	        {"1e-7", "1e-7"},
	        {"1e-6", "0.000001"},
	        {"1.5e-7", "1.5e-7"},
	        {"-0", "0"},
	        {"-0.0", "0"},
	        {"0", "0"},
	        {"9007199254740993", "9007199254740992"}, /* 2^53+1 */
	        {"9007199254740992", "9007199254740992"},
	        {"-9007199254740993", "-9007199254740992"},
	        {"18446744073709551616", "18446744073709552000"}, /* 2^64 */
	        {"0.1", "0.1"},
	        {"1e300", "1e+300"},
	        {"5e-324", "5e-324"},
	        {"1.7976931348623157e308", "1.7976931348623157e+308"},
	        {"2.2250738585072014e-308", "2.2250738585072014e-308"},
	        {"333333333.33333329", "333333333.3333333"},
	        {"1E30", "1e+30"},
	        {"4.50", "4.5"},
	        {"2e-3", "0.002"},
	        {"0.000000000000000000000000001", "1e-27"},
	        {"123456789012345680000", "123456789012345680000"},
	        {"-1.5", "-1.5"},
	        {"100", "100"},
	        {"1.0", "1"},
	        {"0.30000000000000004", "0.30000000000000004"},
	        {"295147905179352830000", "295147905179352830000"}, /* 2^68 */
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		expect_canon(cases[i].in, strlen(cases[i].in), 0, cases[i].out);
}

static void format_number_directly(void **state)
{
	char out[VC_JCS_NUMBER_MAX];
	struct ok_error err;

	(void)state;
	assert_int_equal(vc_jcs_format_number(-0.0, out, sizeof(out), NULL), 0);
	assert_string_equal(out, "0");
	assert_int_equal(vc_jcs_format_number(-1e-7, out, sizeof(out), NULL), 0);
	assert_string_equal(out, "-1e-7");
	assert_int_equal(vc_jcs_format_number(-1.2345678901234567e-300, out, sizeof(out), NULL), 0);
	assert_string_equal(out, "-1.2345678901234568e-300");
	/* Powers of two, where the gap below is half the gap above: the shortest digits are
	 * then not the correctly rounded ones (values from ECMAScript's String(2 ** k)). */
	assert_int_equal(vc_jcs_format_number(ldexp(1, -1017), out, sizeof(out), NULL), 0);
	assert_string_equal(out, "7.120236347223045e-307");
	assert_int_equal(vc_jcs_format_number(ldexp(1, -1007), out, sizeof(out), NULL), 0);
	assert_string_equal(out, "7.291122019556398e-304");
	assert_int_equal(vc_jcs_format_number(ldexp(1, 1023), out, sizeof(out), NULL), 0);
	assert_string_equal(out, "8.98846567431158e+307");
	assert_int_equal(vc_jcs_format_number(ldexp(1, 70), out, sizeof(out), NULL), 0);
	assert_string_equal(out, "1.1805916207174113e+21");
	assert_int_equal(vc_jcs_format_number(NAN, out, sizeof(out), &err), OK_EINPUT);
	assert_int_equal(vc_jcs_format_number(INFINITY, out, sizeof(out), &err), OK_EINPUT);
	assert_int_equal(vc_jcs_format_number(1, out, 4, &err), OK_ETOOBIG);
}

/* Integers below 2^53 are written by their own path: the same digits as the exact decimal, and
 * 2^53 and above still by the shortest-digits search. */
static void format_integers(void **state)
{
	char out[VC_JCS_NUMBER_MAX], want[48];
	double d;
	int i;

	(void)state;
	for (i = 0; i < 2000; i++) {
		d = i < 1000 ? (double)i * 37 : ldexp(1, 53) - (double)(i - 999);
		if (i % 2)
			d = -d;
		assert_int_equal(vc_jcs_format_number(d, out, sizeof(out), NULL), 0);
		snprintf(want, sizeof(want), "%.0f", d == 0 ? 0.0 : d);
		assert_string_equal(out, want);
	}
	assert_int_equal(vc_jcs_format_number(ldexp(1, 53), out, sizeof(out), NULL), 0);
	assert_string_equal(out, "9007199254740992");
	assert_int_equal(vc_jcs_format_number(1e20, out, sizeof(out), NULL), 0);
	assert_string_equal(out, "100000000000000000000");
	assert_int_equal(vc_jcs_format_number(240.5, out, sizeof(out), NULL), 0);
	assert_string_equal(out, "240.5");
}

static void rfc8785_sample(void **state)
{
	static const char in[] = "{\n  \"numbers\": [333333333.33333329, 1E30, 4.50, 2e-3, "
	                         "0.000000000000000000000000001],\n"
	                         "  \"string\": \"\\u20ac$\\u000F\\u000aA'\\u0042\\u0022\\u005c"
	                         "\\\\\\\"\\/\",\n"
	                         "  \"literals\": [null, true, false]\n}";
	static const char want[] = "{\"literals\":[null,true,false],\"numbers\":[333333333."
	                           "3333333,1e+30,4.5,0.002,1e-27],\"string\":\"\xe2\x82\xac$"
	                           "\\u000f\\nA'B\\\"\\\\\\\\\\\"/\"}";

	(void)state;
	expect_canon(in, strlen(in), 0, want);
}

static void strings_escape_only_what_json_requires(void **state)
{
	(void)state;
	str_expect_canon("\"\\b\\t\\n\\f\\r\\\"\\\\\\/\"", 0, "\"\\b\\t\\n\\f\\r\\\"\\\\/\"");
	str_expect_canon("\"\\u0001\\u001f\\u001F\\u007f\"", 0, "\"\\u0001\\u001f\\u001f\x7f\"");
	str_expect_canon("\"\\u00e9\\u20AC\"", 0, "\"\xc3\xa9\xe2\x82\xac\"");
	str_expect_canon("\"\xc3\xa9\"", 0, "\"\xc3\xa9\"");
	/* A surrogate pair escape becomes the literal 4-byte UTF-8 character. */
	str_expect_canon("\"\\ud83d\\ude00\"", 0, "\"\xf0\x9f\x98\x80\"");
	str_expect_canon("\"\xf0\x9f\x98\x80\"", 0, "\"\xf0\x9f\x98\x80\"");
	/* NUL only when asked for. */
	str_expect_canon("\"a\\u0000b\"", VC_JCS_ALLOW_NUL, "\"a\\u0000b\"");
	str_expect_reject("\"a\\u0000b\"", OK_EINPUT, "NUL");
}

static void keys_sort_by_utf16_code_units(void **state)
{
	/* RFC 8785 section 3.2.3's example: UTF-8 byte order would put U+1F600 last. */
	static const char in[] = "{\"\\u20ac\":\"Euro Sign\",\"\\r\":\"Carriage Return\","
	                         "\"\\ufb33\":\"Hebrew Letter Dalet With Dagesh\",\"1\":\"One\","
	                         "\"\\ud83d\\ude00\":\"Emoji: Grinning Face\",\"\\u0080\":"
	                         "\"Control\",\"\\u00f6\":\"Latin Small Letter O With Diaeresis\"}";
	static const char want[] = "{\"\\r\":\"Carriage Return\",\"1\":\"One\",\"\xc2\x80\":"
	                           "\"Control\",\"\xc3\xb6\":\"Latin Small Letter O With "
	                           "Diaeresis\",\"\xe2\x82\xac\":\"Euro Sign\",\"\xf0\x9f\x98\x80"
	                           "\":\"Emoji: Grinning Face\",\"\xef\xac\xb3\":\"Hebrew Letter "
	                           "Dalet With Dagesh\"}";

	(void)state;
	expect_canon(in, strlen(in), 0, want);
	/* U+E000 is EE 80 80 in UTF-8 (before F0 9F…) but E000 in UTF-16 (after D83D). */
	str_expect_canon("{\"\\ue000\":1,\"\\ud83d\\ude00\":2}", 0,
	                 "{\"\xf0\x9f\x98\x80\":2,\"\xee\x80\x80\":1}");
	str_expect_canon("{\"b\":1,\"a\":{\"d\":[3,{\"z\":0,\"y\":1}],\"c\":null},\"\":true}", 0,
	                 "{\"\":true,\"a\":{\"c\":null,\"d\":[3,{\"y\":1,\"z\":0}]},\"b\":1}");
	str_expect_canon("{\"ab\":1,\"a\":2,\"aa\":3}", 0, "{\"a\":2,\"aa\":3,\"ab\":1}");
	/* Keys with and without bytes >= 0xEE side by side (the bytewise shortcut and the UTF-16
	 * comparison must agree on one order), and a key that is a prefix of another. */
	str_expect_canon("{\"\\ue000x\":1,\"z\":2,\"\\ud83d\\ude00\":3,\"\\u00e9\":4,\"\\ue000\":5,"
	                 "\"\\uffff\":6,\"\\u0800\":7}",
	                 0,
	                 "{\"z\":2,\"\xc3\xa9\":4,\"\xe0\xa0\x80\":7,\"\xf0\x9f\x98\x80\":3,"
	                 "\"\xee\x80\x80\":5,\"\xee\x80\x80x\":1,\"\xef\xbf\xbf\":6}");
}

/* Escapes and non-ASCII anywhere in a long string: the writer skips plain ASCII eight bytes at a
 * time and must still stop at each of these, wherever it falls in a word. */
static void long_strings_escaped(void **state)
{
	(void)state;
	str_expect_canon(
	        "\"abcdefghijklm\\\"nopqrstu\\\\vwxyzABCD\\u001fEFGHIJKLM\\u00e9NOPQRSTUVW\\tX\"",
	        0,
	        "\"abcdefghijklm\\\"nopqrstu\\\\vwxyzABCD\\u001fEFGHIJKLM\xc3\xa9NOPQRSTUVW\\tX\"");
	str_expect_canon("\"0123456\\u007f89abcdef\\u0080\"", 0,
	                 "\"0123456\x7f"
	                 "89abcdef\xc2\x80\"");
	str_expect_canon("\"01234567\\b\"", 0, "\"01234567\\b\"");
}

/* An object larger than the writer's on-stack table is sorted the same way (on the heap). */
static void large_object_sorted(void **state)
{
	char in[2048], want[2048];
	size_t a = 0, b = 0;
	int i;

	(void)state;
	in[a++] = '{';
	want[b++] = '{';
	for (i = 99; i >= 0; i--)
		a += (size_t)snprintf(in + a, sizeof(in) - a, "%s\"k%02d\":%d", i == 99 ? "" : ",",
		                      i, i);
	for (i = 0; i < 100; i++)
		b += (size_t)snprintf(want + b, sizeof(want) - b, "%s\"k%02d\":%d", i ? "," : "", i,
		                      i);
	in[a++] = '}';
	in[a] = '\0';
	want[b++] = '}';
	want[b] = '\0';
	expect_canon(in, a, 0, want);
}

static void whitespace_and_literals(void **state)
{
	(void)state;
	str_expect_canon(" \t\r\n[ true , false , null , { } , [ ] , \"\" ] \n", 0,
	                 "[true,false,null,{},[],\"\"]");
}

static void duplicate_keys_rejected(void **state)
{
	(void)state;
	str_expect_reject("{\"a\":1,\"a\":2}", OK_EINPUT, "duplicate object key");
	/* The same key written two ways is still the same key. */
	str_expect_reject("{\"a\":1,\"\\u0061\":2}", OK_EINPUT, "duplicate object key");
	str_expect_reject("[{\"x\":{\"k\":1,\"k\":1}}]", OK_EINPUT, "duplicate object key");
}

static char *nested(int depth, size_t *len)
{
	char *s = malloc((size_t)depth * 2 + 1);
	int i;

	assert_non_null(s);
	for (i = 0; i < depth; i++) {
		s[i] = '[';
		s[depth * 2 - 1 - i] = ']';
	}
	s[depth * 2] = '\0';
	*len = (size_t)depth * 2;
	return s;
}

static void depth_limit(void **state)
{
	struct ok_error err;
	struct buf b;
	size_t len;
	char *s;
	json_t *v;
	int i;

	(void)state;
	s = nested(64, &len);
	buf_init(&b, 0);
	assert_int_equal(vc_jcs_canonicalize(s, len, 0, &b, &err), 0);
	assert_string_equal(b.data, s);
	buf_release(&b);
	free(s);
	s = nested(65, &len);
	expect_reject(s, len, OK_EINPUT, "nesting deeper than 64");
	free(s);
	str_expect_reject("{\"a\":[{\"a\":[{\"a\":[{\"a\":[{\"a\":[{\"a\":[{\"a\":[{\"a\":[{\"a\":["
	                  "{\"a\":[{\"a\":[{\"a\":[{\"a\":[{\"a\":[{\"a\":[{\"a\":[{\"a\":[{\"a\":["
	                  "{\"a\":[{\"a\":[{\"a\":[{\"a\":[{\"a\":[{\"a\":[{\"a\":[{\"a\":[{\"a\":["
	                  "{\"a\":[{\"a\":[{\"a\":[{\"a\":[{\"a\":[{\"a\":[",
	                  OK_EINPUT, "nesting deeper than 64");
	/* Brackets inside strings do not count. */
	str_expect_canon(
	        "[\"[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[\"]", 0,
	        "[\"[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[\"]");
	/* A tree built in code is held to the same limit when serialized. */
	v = json_array();
	for (i = 0; i < 65; i++) {
		json_t *outer = json_array();

		json_array_append_new(outer, v);
		v = outer;
	}
	buf_init(&b, 0);
	assert_int_equal(vc_jcs_serialize(v, &b, &err), OK_EINPUT);
	assert_non_null(strstr(err.message, "nesting"));
	buf_release(&b);
	json_decref(v);
}

static void invalid_utf8_rejected(void **state)
{
	(void)state;
	str_expect_reject("\"\xff\"", OK_EINPUT, "invalid UTF-8");
	str_expect_reject("\"\xc0\xaf\"", OK_EINPUT, "invalid UTF-8");         /* overlong */
	str_expect_reject("\"\xed\xa0\x80\"", OK_EINPUT, "invalid UTF-8");     /* surrogate */
	str_expect_reject("\"\xf4\x90\x80\x80\"", OK_EINPUT, "invalid UTF-8"); /* > U+10FFFF */
	str_expect_reject("\"\xe2\x82\"", OK_EINPUT, "invalid UTF-8");         /* truncated */
	str_expect_reject("{\"\x80\":1}", OK_EINPUT, "invalid UTF-8");
}

static void lone_surrogates_rejected(void **state)
{
	(void)state;
	str_expect_reject("\"\\ud800\"", OK_EINPUT, "lone UTF-16 high surrogate");
	str_expect_reject("\"\\udc00\"", OK_EINPUT, "lone UTF-16 low surrogate");
	str_expect_reject("\"\\ud800\\u0041\"", OK_EINPUT, "high surrogate");
	str_expect_reject("\"\\ude00\\ud83d\"", OK_EINPUT, "low surrogate");
	str_expect_reject("{\"\\uDBFF\":1}", OK_EINPUT, "surrogate");
}

static void bad_json_rejected(void **state)
{
	(void)state;
	str_expect_reject("", OK_EINPUT, "empty");
	str_expect_reject("[1,]", OK_EINPUT, "invalid JSON");
	str_expect_reject("{\"a\":1} x", OK_EINPUT, "after the JSON value");
	str_expect_reject("[1", OK_EINPUT, "ends too early");
	str_expect_reject("01", OK_EINPUT, "invalid JSON");
	str_expect_reject("NaN", OK_EINPUT, "invalid JSON");
	str_expect_reject("1e400", OK_EINPUT, "too large");
	str_expect_reject("\"\\x\"", OK_EINPUT, "invalid JSON");
	str_expect_reject("'a'", OK_EINPUT, "invalid JSON");
}

static void size_limit(void **state)
{
	size_t n = VC_JCS_MAX_INPUT + 1;
	char *s = malloc(n);

	(void)state;
	assert_non_null(s);
	memset(s, ' ', n);
	s[0] = '1';
	expect_reject(s, n, OK_ETOOBIG, "over the limit");
	/* Exactly the limit is accepted. */
	expect_canon(s, n - 1, 0, "1");
	free(s);
}

static void serializes_trees_built_in_code(void **state)
{
	struct ok_error err;
	struct buf b;
	json_t *v;
	char *s;

	(void)state;
	v = json_pack("{s:I,s:I,s:f,s:I,s:s#}", "big", (json_int_t)9007199254740993LL, "small",
	              (json_int_t)-42, "real", 0.5, "max", (json_int_t)INT64_MAX, "nul", "a\0b",
	              (int)3);
	assert_non_null(v);
	s = vc_canon(v);
	assert_string_equal(s, "{\"big\":9007199254740992,\"max\":9223372036854776000,\"nul\":"
	                       "\"a\\u0000b\",\"real\":0.5,\"small\":-42}");
	free(s);
	json_decref(v);

	v = json_real(NAN);
	buf_init(&b, 0);
	assert_int_equal(vc_jcs_serialize(v, &b, &err), OK_EINPUT);
	json_decref(v);
	buf_release(&b);

	/* The output cap is an error, never a silent cut. */
	v = json_pack("[s]", "0123456789");
	buf_init(&b, 8);
	assert_int_equal(vc_jcs_serialize(v, &b, &err), OK_ETOOBIG);
	json_decref(v);
	buf_release(&b);
}

static void parse_reports_line(void **state)
{
	struct ok_error err;
	json_t *v = NULL;

	(void)state;
	ok_error_clear(&err);
	assert_int_equal(vc_jcs_parse("{\n\"a\": 1,\n\"a\": 2}", 18, 0, &v, &err), OK_EINPUT);
	assert_null(v);
	assert_int_equal(err.line, 3);
	assert_int_equal(vc_jcs_parse("[\n\"\xff\"]", 6, 0, &v, &err), OK_EINPUT);
	assert_int_equal(err.line, 2);
}

static void w3c_documents_canonicalize(void **state)
{
	struct ok_error err;
	struct buf b;
	size_t len, want_len;
	char *text = vc_fixture("unsigned.json", &len);
	char *want = vc_fixture("canonDocJCS.txt", &want_len);

	(void)state;
	buf_init(&b, 0);
	assert_int_equal(vc_jcs_canonicalize(text, len, 0, &b, &err), 0);
	assert_int_equal(b.len, want_len);
	assert_string_equal(b.data, want);
	buf_release(&b);
	free(text);
	free(want);

	text = vc_fixture("proofConfigJCS.json", &len);
	want = vc_fixture("proofCanonJCS.txt", &want_len);
	assert_int_equal(vc_jcs_canonicalize(text, len, 0, &b, &err), 0);
	assert_string_equal(b.data, want);
	buf_release(&b);
	free(text);
	free(want);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(numbers_follow_ecmascript),
	        cmocka_unit_test(format_number_directly),
	        cmocka_unit_test(format_integers),
	        cmocka_unit_test(rfc8785_sample),
	        cmocka_unit_test(strings_escape_only_what_json_requires),
	        cmocka_unit_test(keys_sort_by_utf16_code_units),
	        cmocka_unit_test(large_object_sorted),
	        cmocka_unit_test(long_strings_escaped),
	        cmocka_unit_test(whitespace_and_literals),
	        cmocka_unit_test(duplicate_keys_rejected),
	        cmocka_unit_test(depth_limit),
	        cmocka_unit_test(invalid_utf8_rejected),
	        cmocka_unit_test(lone_surrogates_rejected),
	        cmocka_unit_test(bad_json_rejected),
	        cmocka_unit_test(size_limit),
	        cmocka_unit_test(serializes_trees_built_in_code),
	        cmocka_unit_test(parse_reports_line),
	        cmocka_unit_test(w3c_documents_canonicalize),
	};
	return cmocka_run_group_tests_name("vc/jcs", tests, NULL, NULL);
}
