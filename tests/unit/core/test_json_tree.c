/* Unit tests of src/core/json_tree.c: every rule of the strict reader, lookups and errors, and a
 * differential test against jansson (JSON_REJECT_DUPLICATES) over the repository's JSON fixtures
 * and fuzz corpora and mutations of each: the same documents accepted, with the same values. */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/buf.h"
#include "core/json_tree.h"
#include "../../common/json_tree_notes.h"

/* What commit a2d6029's reader gave for answers_unchanged's inputs. */
#define ANSWERS_RESULTS  13575
#define ANSWERS_ACCEPTED 5843
#define ANSWERS_DIGEST   0x5cf75eceabc2efbbu

#define JANSSON_FLAGS (JSON_REJECT_DUPLICATES | JSON_DECODE_ANY)

static const struct json_tree_limits deep = {.depth = JSON_TREE_DEPTH_MAX};

/* Parses s (NUL-terminated) into a fresh tree; returns the code. */
static int parse(struct json_tree *t, const char *s, uint32_t *root, struct ok_error *err)
{
	json_tree_init(t);
	ok_error_clear(err);
	return json_tree_parse(t, s, strlen(s), &deep, root, err);
}

static void accepts(const char *s)
{
	struct json_tree t;
	struct ok_error err;
	uint32_t root;
	int rc = parse(&t, s, &root, &err);

	if (rc)
		fail_msg("refused %s: %s", s, err.message);
	json_tree_release(&t);
}

static void refuses(const char *s, int code)
{
	struct json_tree t;
	struct ok_error err;
	uint32_t root;
	int rc = parse(&t, s, &root, &err);

	if (rc != code)
		fail_msg("%s: got %d, expected %d (%s)", s, rc, code, err.message);
	assert_int_equal(err.code, code);
	assert_int_equal(t.count, 1); /* nothing of the document kept */
	json_tree_release(&t);
}

static void grammar(void **state)
{
	(void)state;
	accepts("{}");
	accepts("[]");
	accepts(" \t\r\n[ 1 , -0 , 0.5 , 1e5 , 1E+5 , -1.25e-3 , true , false , null , \"\" ] \n");
	accepts("\"top-level string\"");
	accepts("42");
	accepts("{\"a\":{\"b\":[{}]},\"\":1}");
	refuses("", OK_EINPUT);
	refuses("   ", OK_EINPUT);
	refuses("[1,]", OK_EINPUT);
	refuses("{\"a\":1,}", OK_EINPUT);
	refuses("{\"a\" 1}", OK_EINPUT);
	refuses("{a:1}", OK_EINPUT);
	refuses("[1 2]", OK_EINPUT);
	refuses("[1", OK_EINPUT);
	refuses("{\"a\":1", OK_EINPUT);
	refuses("[1]]", OK_EINPUT);
	refuses("[1] x", OK_EINPUT);
	refuses("{} {}", OK_EINPUT);
	refuses("tru", OK_EINPUT);
	refuses("truex", OK_EINPUT);
	refuses("[nul]", OK_EINPUT);
	refuses("NaN", OK_EINPUT);
	refuses("[Infinity]", OK_EINPUT);
	refuses("\xef\xbb\xbf{}", OK_EINPUT); /* a byte order mark */
	refuses("[1]\x0b", OK_EINPUT);        /* vertical tab is not JSON white space */
	refuses("'a'", OK_EINPUT);
}

static void numbers(void **state)
{
	struct json_tree t;
	struct ok_error err;
	uint32_t root;
	int64_t v;
	double d;

	(void)state;
	refuses("01", OK_EINPUT);
	refuses("-", OK_EINPUT);
	refuses("-a", OK_EINPUT);
	refuses("1.", OK_EINPUT);
	refuses(".5", OK_EINPUT);
	refuses("1e", OK_EINPUT);
	refuses("1e+", OK_EINPUT);
	refuses("+1", OK_EINPUT);
	refuses("0x10", OK_EINPUT);
	/* Integers must fit int64, reals a double, as jansson has them. */
	accepts("9223372036854775807");
	accepts("-9223372036854775808");
	refuses("9223372036854775808", OK_EINPUT);
	refuses("-9223372036854775809", OK_EINPUT);
	refuses("123456789012345678901234567890", OK_EINPUT);
	accepts("1e308");
	accepts("1e-400"); /* underflows to 0, as strtod */
	refuses("1e309", OK_EINPUT);
	refuses("-2e308", OK_EINPUT);

	assert_int_equal(parse(&t, "[-9223372036854775808, 9223372036854775807, 0, -0, 1.5, 12]",
	                       &root, &err),
	                 0);
	assert_int_equal(json_tree_int64(&t, json_tree_at(&t, root, 0), &v), 0);
	assert_true(v == INT64_MIN);
	assert_int_equal(json_tree_int64(&t, json_tree_at(&t, root, 1), &v), 0);
	assert_true(v == INT64_MAX);
	assert_int_equal(json_tree_int64(&t, json_tree_at(&t, root, 3), &v), 0);
	assert_int_equal(v, 0);
	assert_int_equal(json_tree_int64(&t, json_tree_at(&t, root, 4), &v), OK_EINPUT);
	assert_false(json_tree_is_integer(&t, json_tree_at(&t, root, 4)));
	assert_int_equal(json_tree_double(&t, json_tree_at(&t, root, 4), &d), 0);
	assert_true(d == 1.5);
	assert_int_equal(json_tree_int64(&t, json_tree_at(&t, root, 5), &v), 0);
	assert_int_equal(v, 12);
	{
		size_t len;
		const char *p = json_tree_number_text(&t, json_tree_at(&t, root, 4), &len);

		assert_int_equal(len, 3);
		assert_memory_equal(p, "1.5", 3);
	}
	assert_int_equal(json_tree_int64(&t, 0, &v), OK_EINPUT);
	json_tree_release(&t);
}

static void strings_and_escapes(void **state)
{
	struct json_tree t;
	struct ok_error err;
	uint32_t root, c;
	size_t len;
	const char *p;

	(void)state;
	assert_int_equal(
	        parse(&t,
	              "[\"plain text longer than eight bytes\", \"a\\\"b\\\\c\\/d\\b\\f\\n\\r\\t\","
	              " \"\\u00e9\\u20AC\\ud83d\\ude00\", \"caf\xc3\xa9 \xe2\x82\xac "
	              "\xf0\x9f\x98\x80\"]",
	              &root, &err),
	        0);
	c = json_tree_at(&t, root, 0);
	p = json_tree_str(&t, c, &len);
	assert_int_equal(len, strlen("plain text longer than eight bytes"));
	assert_memory_equal(p, "plain text longer than eight bytes", len);
	assert_true(json_tree_str_is(&t, json_tree_at(&t, root, 1), "a\"b\\c/d\b\f\n\r\t"));
	assert_true(json_tree_str_is(&t, json_tree_at(&t, root, 2),
	                             "\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80"));
	assert_true(json_tree_str_is(&t, json_tree_at(&t, root, 3),
	                             "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80"));
	/* An unescaped string is a C string too. */
	p = json_tree_str(&t, json_tree_at(&t, root, 1), &len);
	assert_int_equal(p[len], '\0');
	assert_false(json_tree_str_is(&t, json_tree_at(&t, root, 1), "a"));
	assert_null(json_tree_str(&t, root, &len));
	assert_int_equal(len, 0);
	json_tree_release(&t);

	refuses("\"abc", OK_EINPUT);
	refuses("\"abc\\", OK_EINPUT);
	refuses("\"a\tb\"", OK_EINPUT); /* a control character */
	refuses("\"a\x01\"", OK_EINPUT);
	refuses("\"\\x41\"", OK_EINPUT); /* not a JSON escape */
	refuses("\"\\u12\"", OK_EINPUT);
	refuses("\"\\u12G4\"", OK_EINPUT);
	refuses("\"\\u0000\"", OK_EINPUT); /* NUL, as jansson without JSON_ALLOW_NUL */
	refuses("{\"\\u0000\":1}", OK_EINPUT);
	refuses("\"\\ud83d\"", OK_EINPUT); /* a lone high surrogate */
	refuses("\"\\ud83dx\"", OK_EINPUT);
	refuses("\"\\ud83d\\u0041\"", OK_EINPUT); /* high, then not a low one */
	refuses("\"\\ude00\"", OK_EINPUT);        /* a lone low surrogate */
	refuses("\"\\ude00\\ud83d\"", OK_EINPUT);
	accepts("\"\\uD83D\\uDE00\"");
	accepts("\"\\uFFFF\"");
}

static void utf8(void **state)
{
	(void)state;
	accepts("\"\x7f\"");
	accepts("\"\xc2\x80\xdf\xbf\"");
	accepts("\"\xe0\xa0\x80\xef\xbf\xbf\"");
	accepts("\"\xf0\x90\x80\x80\xf4\x8f\xbf\xbf\"");
	refuses("\"\x80\"", OK_EINPUT);             /* a continuation byte alone */
	refuses("\"\xc0\xaf\"", OK_EINPUT);         /* overlong '/' */
	refuses("\"\xc1\xbf\"", OK_EINPUT);         /* overlong */
	refuses("\"\xe0\x80\xaf\"", OK_EINPUT);     /* overlong, three bytes */
	refuses("\"\xf0\x80\x80\xaf\"", OK_EINPUT); /* overlong, four bytes */
	refuses("\"\xed\xa0\x80\"", OK_EINPUT);     /* U+D800 encoded */
	refuses("\"\xed\xbf\xbf\"", OK_EINPUT);     /* U+DFFF encoded */
	refuses("\"\xf4\x90\x80\x80\"", OK_EINPUT); /* past U+10FFFF */
	refuses("\"\xf5\x80\x80\x80\"", OK_EINPUT);
	refuses("\"\xff\"", OK_EINPUT);
	refuses("\"\xe2\x82\"", OK_EINPUT); /* cut */
	refuses("\"\xe2\x82", OK_EINPUT);
	refuses("\"\\n\xc3\x28\"", OK_EINPUT); /* bad UTF-8 after an escape */
	refuses("{\"\xc3\x28\":1}", OK_EINPUT);
}

static void duplicates(void **state)
{
	char big[4096];
	size_t n = 0;

	(void)state;
	refuses("{\"a\":1,\"a\":2}", OK_EINPUT);
	refuses("{\"a\":1,\"\\u0061\":2}", OK_EINPUT); /* the same after unescaping */
	refuses("{\"a\":{\"b\":1,\"b\":1}}", OK_EINPUT);
	accepts("{\"a\":{\"a\":1},\"b\":{\"a\":2}}"); /* the same name in other objects */
	accepts("{\"a\":1,\"A\":2,\"a \":3}");
	/* A large object (sorted, not pairwise): its last member repeats its first. */
	n += (size_t)snprintf(big + n, sizeof(big) - n, "{");
	for (int i = 0; i < 100; i++)
		n += (size_t)snprintf(big + n, sizeof(big) - n, "\"k%d\":%d,", i, i);
	n += (size_t)snprintf(big + n, sizeof(big) - n, "\"k100\":0}");
	accepts(big);
	n = 0;
	n += (size_t)snprintf(big + n, sizeof(big) - n, "{");
	for (int i = 0; i < 100; i++)
		n += (size_t)snprintf(big + n, sizeof(big) - n, "\"k%d\":%d,", i, i);
	n += (size_t)snprintf(big + n, sizeof(big) - n, "\"k0\":0}");
	refuses(big, OK_EINPUT);
}

static void limits(void **state)
{
	struct json_tree t;
	struct ok_error err;
	uint32_t root;
	char deepdoc[300];
	struct json_tree_limits lim = {.depth = 4, .field = "payload"};

	(void)state;
	json_tree_init(&t);
	/* depth 4: [[[1]]] holds the 1 at depth 4 */
	assert_int_equal(json_tree_parse(&t, "[[[1]]]", 7, &lim, &root, &err), 0);
	assert_int_equal(json_tree_parse(&t, "[[[[1]]]]", 9, &lim, &root, &err), OK_ETOOBIG);
	assert_string_equal(err.field, "payload");
	assert_int_equal(json_tree_parse(&t, "[[[[]]]]", 8, &lim, &root, &err), 0);
	lim.depth = 0; /* the default, 64 */
	memset(deepdoc, '[', 64);
	memset(deepdoc + 64, ']', 64);
	assert_int_equal(json_tree_parse(&t, deepdoc, 128, &lim, &root, &err), 0);
	memset(deepdoc, '[', 65);
	memset(deepdoc + 65, ']', 65);
	assert_int_equal(json_tree_parse(&t, deepdoc, 130, &lim, &root, &err), OK_ETOOBIG);
	/* bytes and nodes */
	lim.max_bytes = 8;
	assert_int_equal(json_tree_parse(&t, "[1,2,3,4]", 9, &lim, &root, &err), OK_ETOOBIG);
	lim.max_bytes = 0;
	lim.max_nodes = 4;
	assert_int_equal(json_tree_parse(&t, "[1,2,3]", 7, &lim, &root, &err), 0);
	assert_int_equal(json_tree_parse(&t, "[1,2,3,4]", 9, &lim, &root, &err), OK_ETOOBIG);
	/* At the most, the depth is jansson's: 2048 empty arrays, or 2047 around a value. */
	for (size_t d = 2046; d <= 2050; d++) {
		char *doc = malloc(d * 2 + 1);
		json_t *j;

		assert_non_null(doc);
		for (int with_value = 0; with_value < 2; with_value++) {
			size_t n = d * 2 + (size_t)with_value;

			memset(doc, '[', d);
			if (with_value)
				doc[d] = '1';
			memset(doc + d + (size_t)with_value, ']', d);
			j = json_loadb(doc, n, JSON_DECODE_ANY, NULL);
			assert_int_equal(json_tree_parse(&t, doc, n, &deep, &root, &err) == 0,
			                 j != NULL);
			json_decref(j);
		}
		free(doc);
	}
	json_tree_release(&t);
}

static void lookups_and_documents(void **state)
{
	struct json_tree t;
	struct ok_error err;
	uint32_t a, b, c, k;
	const char *doc1 = "{\"status\":{\"status_list\":{\"idx\":7,\"uri\":\"https://x\"}},"
	                   "\"list\":[1,[2,3],{\"x\":null},4],\"e\\u0301\":true}";
	const char *doc2 = "[\"salt\",\"name\",{\"v\":false}]";
	size_t n = 0, len;
	const char *key;
	int64_t v;

	(void)state;
	json_tree_init(&t);
	ok_error_clear(&err);
	assert_int_equal(json_tree_parse(&t, doc1, strlen(doc1), NULL, &a, &err), 0);
	assert_int_equal(json_tree_parse(&t, doc2, strlen(doc2), NULL, &b, &err), 0);
	assert_int_equal(a, 1);
	assert_true(b > a);
	/* A failed parse leaves the others as they were. */
	assert_int_equal(json_tree_parse(&t, "[1,", 3, NULL, &c, &err), OK_EINPUT);
	assert_int_equal(c, 0);
	c = json_tree_get(&t, json_tree_get(&t, json_tree_get(&t, a, "status"), "status_list"),
	                  "idx");
	assert_int_equal(json_tree_int64(&t, c, &v), 0);
	assert_int_equal(v, 7);
	assert_true(json_tree_str_is(
	        &t,
	        json_tree_get(&t, json_tree_get(&t, json_tree_get(&t, a, "status"), "status_list"),
	                      "uri"),
	        "https://x"));
	/* Chains of lookups through nothing end in nothing. */
	assert_int_equal(json_tree_get(&t, json_tree_get(&t, a, "nope"), "idx"), 0);
	assert_int_equal(json_tree_get(&t, b, "salt"), 0); /* an array has no members */
	assert_int_equal(json_tree_at(&t, a, 0), 0);       /* an object has no items */
	assert_int_equal(json_tree_type(&t, 0), JSON_TREE_NONE);
	assert_true(json_tree_is(&t, json_tree_getn(&t, a, "e\xcc\x81", 3), JSON_TREE_TRUE));
	c = json_tree_get(&t, a, "list");
	assert_int_equal(json_tree_size(&t, c), 4);
	assert_int_equal(json_tree_size(&t, json_tree_at(&t, c, 1)), 2);
	assert_true(
	        json_tree_is(&t, json_tree_get(&t, json_tree_at(&t, c, 2), "x"), JSON_TREE_NULL));
	assert_int_equal(json_tree_int64(&t, json_tree_at(&t, c, 3), &v), 0);
	assert_int_equal(v, 4);
	assert_int_equal(json_tree_at(&t, c, 4), 0);
	/* Iteration sees the members in order, and nothing of the next document. */
	json_tree_foreach(&t, a, k)
	{
		key = json_tree_key(&t, k, &len);
		assert_non_null(key);
		n++;
	}
	assert_int_equal(n, 3);
	n = 0;
	json_tree_foreach(&t, json_tree_at(&t, c, 1), k) n++;
	assert_int_equal(n, 2);
	n = 0;
	json_tree_foreach(&t, b, k) n++;
	assert_int_equal(n, 3);
	n = 0;
	json_tree_foreach(&t, 0, k) n++;
	assert_int_equal(n, 0);
	/* Clearing keeps the memory for the next documents. */
	json_tree_clear(&t);
	assert_int_equal(t.count, 1);
	assert_int_equal(json_tree_parse(&t, doc2, strlen(doc2), NULL, &b, &err), 0);
	assert_int_equal(b, 1);
	assert_true(json_tree_str_is(&t, json_tree_at(&t, b, 1), "name"));
	json_tree_release(&t);
}

static void errors_name_the_place(void **state)
{
	struct json_tree t;
	struct ok_error err;
	uint32_t root;

	(void)state;
	assert_int_equal(parse(&t, "{\n  \"a\": 1,\n  \"b\" 2\n}", &root, &err), OK_EINPUT);
	assert_string_equal(err.message, "the JSON is not valid at line 3, column 7 (byte 18): "
	                                 "expected ':' after a member name");
	assert_int_equal(err.line, 3);
	assert_string_equal(err.field, "json");
	json_tree_release(&t);
	assert_int_equal(parse(&t, "{\"a\":1,\"a\":2}", &root, &err), OK_EINPUT);
	assert_non_null(strstr(err.message, "a name is repeated"));
	json_tree_release(&t);
	/* The message never quotes the input. */
	assert_int_equal(parse(&t, "[\"secret-value\" x]", &root, &err), OK_EINPUT);
	assert_null(strstr(err.message, "secret"));
	json_tree_release(&t);
}

/* Differential: the same answer as jansson, and the same value. */

struct diff_stats {
	size_t docs, accepted, refused, nul_skipped;
	const char *mutation;
};

/* jansson accepted s with a NUL in it, json_tree refused it: every NUL must follow a number's
 * last character or a literal's, and s without them must read as jansson read s. */
static void nul_skipped(const char *s, size_t n, const json_t *j, const char *what,
                        struct diff_stats *st)
{
	char *c = malloc(n);
	struct json_tree t;
	struct ok_error err;
	json_t *mine = NULL;
	uint32_t root;
	size_t k = 0;

	assert_non_null(c);
	for (size_t i = 0; i < n; i++) {
		if (s[i] != '\0')
			c[k++] = s[i];
		else if (i == 0 || s[i - 1] == '\0' || !strchr("0123456789el", s[i - 1]))
			fail_msg("%s, %s: jansson accepts a NUL at byte %zu", what,
			         st->mutation ? st->mutation : "as it is", i);
	}
	json_tree_init(&t);
	if (json_tree_parse(&t, c, k, &deep, &root, &err))
		fail_msg("%s, %s, without its NUL bytes: json_tree refuses (%s)", what,
		         st->mutation ? st->mutation : "as it is", err.message);
	assert_int_equal(json_tree_to_jansson(&t, root, &mine, &err), 0);
	if (!json_equal(j, mine))
		fail_msg("%s, without its NUL bytes: jansson and json_tree read different values",
		         what);
	st->nul_skipped++;
	json_decref(mine);
	json_tree_release(&t);
	free(c);
}

static void compare(const char *s, size_t n, const char *what, struct diff_stats *st)
{
	json_error_t jerr;
	json_t *j = json_loadb(s, n, JANSSON_FLAGS, &jerr), *mine = NULL;
	struct json_tree t;
	struct ok_error err;
	uint32_t root;
	int rc;

	json_tree_init(&t);
	ok_error_clear(&err);
	rc = json_tree_parse(&t, s, n, &deep, &root, &err);
	st->docs++;
	if (memchr(s, '\0', n)) {
		/* No JSON holds a NUL byte. The one known difference: jansson skips one that
		 * follows a number or a literal (its reader takes a NUL in its look-ahead for "read
		 * on"), and accepts a NUL nowhere else; json_tree refuses it. */
		if (!rc)
			fail_msg("%s, %s: json_tree accepts a NUL byte", what,
			         st->mutation ? st->mutation : "as it is");
		if (j)
			nul_skipped(s, n, j, what, st);
		else
			st->refused++;
		json_decref(j);
		json_tree_release(&t);
		return;
	}
	if (!j != !!rc)
		fail_msg("%s, %s (%zu bytes): jansson %s, json_tree %s (%s)", what,
		         st->mutation ? st->mutation : "as it is", n, j ? "accepts" : jerr.text,
		         rc ? "refuses" : "accepts", err.message);
	if (!rc) {
		assert_int_equal(json_tree_to_jansson(&t, root, &mine, &err), 0);
		if (!json_equal(j, mine))
			fail_msg("%s: jansson and json_tree read different values", what);
		st->accepted++;
	} else {
		st->refused++;
	}
	json_decref(mine);
	json_decref(j);
	json_tree_release(&t);
}

/* The document and a few mutations of it: cut short, a byte changed, a byte removed. */
static void compare_with_mutations(const char *s, size_t n, const char *what, struct diff_stats *st)
{
	static const char repl[] = {'"', '\\', ',',    '}', ']', '{',
	                            '[', '0',  '\x80', 'u', ' ', '\0'};
	char *m = malloc(n + 1);
	uint32_t h = 2166136261u;

	assert_non_null(m);
	compare(s, n, what, st);
	for (size_t i = 0; i < n; i++)
		h = (h ^ (unsigned char)s[i]) * 16777619u;
	for (int k = 0; k < 12 && n > 0; k++) {
		size_t at;

		h = h * 1103515245u + 12345u;
		at = (h >> 8) % n;
		st->mutation = "cut";
		compare(s, at, what, st);
		memcpy(m, s, n);
		m[at] = repl[(size_t)k % sizeof(repl)];
		st->mutation = "byte changed";
		compare(m, n, what, st);
		memcpy(m, s, at);
		memcpy(m + at, s + at + 1, n - at - 1);
		st->mutation = "byte removed";
		compare(m, n - 1, what, st);
		st->mutation = "as it is";
	}
	free(m);
}

static void walk_dir(const char *dir, struct diff_stats *st, int depth)
{
	DIR *d = opendir(dir);
	struct dirent *e;

	if (!d || depth > 6) {
		if (d)
			closedir(d);
		return;
	}
	while ((e = readdir(d))) {
		char path[4096];
		struct stat sb;

		if (e->d_name[0] == '.')
			continue;
		if (snprintf(path, sizeof(path), "%s/%s", dir, e->d_name) >= (int)sizeof(path))
			continue;
		if (stat(path, &sb))
			continue;
		if (S_ISDIR(sb.st_mode)) {
			walk_dir(path, st, depth + 1);
		} else if (S_ISREG(sb.st_mode) && sb.st_size <= (1 << 20)) {
			FILE *f = fopen(path, "rb");
			char *buf = malloc((size_t)sb.st_size + 1);
			size_t got;

			assert_non_null(f);
			assert_non_null(buf);
			got = fread(buf, 1, (size_t)sb.st_size, f);
			fclose(f);
			compare_with_mutations(buf, got, path, st);
			free(buf);
		}
	}
	closedir(d);
}

static void differential_against_jansson(void **state)
{
	const char *root = getenv("OK_SOURCE_ROOT");
	char dir[4096];
	struct diff_stats st = {0};
	static const char *const extra[] = {
	        "{\"a\":1,\"a\":1}",
	        "[\"\\ud800\"]",
	        "[1e400]",
	        "[-1e-400]",
	        "[18446744073709551616]",
	        "\"\\u0000\"",
	        "[\"\xed\xa0\x80\"]",
	        "[\"\xc0\x80\"]",
	        "[0.1,2.5e-3,1E2]",
	        "\"\"",
	        "[[[[[[[[[[]]]]]]]]]]",
	        "{\"\":{\"\":[]}}",
	        "[true,false,null]",
	        " 7 ",
	        "-0",
	};

	(void)state;
	assert_non_null(root);
	for (size_t i = 0; i < sizeof(extra) / sizeof(extra[0]); i++)
		compare(extra[i], strlen(extra[i]), extra[i], &st);
	snprintf(dir, sizeof(dir), "%s/tests/fixtures", root);
	walk_dir(dir, &st, 0);
	snprintf(dir, sizeof(dir), "%s/tests/fuzz/corpus", root);
	walk_dir(dir, &st, 0);
	print_message("json_tree against jansson: %zu documents, %zu accepted by both, %zu refused "
	              "by both, %zu the known difference (a NUL after a scalar: jansson skips it, "
	              "json_tree refuses)\n",
	              st.docs, st.accepted, st.refused, st.nul_skipped);
	assert_true(st.accepted > 300);
	assert_true(st.nul_skipped > 0); /* the seed nul_after_scalar.json at least */
}

static void to_jansson(void **state)
{
	struct json_tree t;
	struct ok_error err;
	uint32_t root;
	json_t *j;

	(void)state;
	assert_int_equal(
	        parse(&t, "{\"k\\n\":[1,2.5,\"x\\ty\",{\"n\":null}],\"b\":true}", &root, &err), 0);
	assert_int_equal(json_tree_to_jansson(&t, json_tree_get(&t, root, "k\n"), &j, &err), 0);
	assert_true(json_is_array(j));
	assert_true(json_is_integer(json_array_get(j, 0)));
	assert_true(json_is_real(json_array_get(j, 1)));
	assert_string_equal(json_string_value(json_array_get(j, 2)), "x\ty");
	json_decref(j);
	assert_int_equal(json_tree_to_jansson(&t, 0, &j, &err), OK_EINPUT);
	assert_null(j);
	json_tree_release(&t);
}

/* Every accessor on a tree that holds no document reads the none node (F4 of the review: a
 * first parse refused before any allocation left no node 0). */
static void check_none(const struct json_tree *t, uint32_t i)
{
	size_t len = 1, k = 0;
	uint32_t c;
	int64_t v;
	double d;
	json_t *j = NULL;

	assert_int_equal(json_tree_type(t, i), JSON_TREE_NONE);
	assert_false(json_tree_is(t, i, JSON_TREE_NULL));
	assert_int_equal(json_tree_size(t, i), 0);
	assert_null(json_tree_str(t, i, &len));
	assert_int_equal(len, 0);
	assert_false(json_tree_str_is(t, i, ""));
	assert_null(json_tree_key(t, i, &len));
	assert_null(json_tree_number_text(t, i, &len));
	assert_false(json_tree_is_integer(t, i));
	assert_int_equal(json_tree_int64(t, i, &v), OK_EINPUT);
	assert_int_equal(json_tree_double(t, i, &d), OK_EINPUT);
	assert_int_equal(json_tree_get(t, json_tree_get(t, i, "a"), "b"), 0);
	assert_int_equal(json_tree_at(t, i, 0), 0);
	json_tree_foreach(t, i, c) k++;
	assert_int_equal(k, 0);
	assert_int_equal(json_tree_to_jansson(t, i, &j, NULL), OK_EINPUT);
	assert_null(j);
}

static void a_tree_without_documents_reads_as_none(void **state)
{
	const struct json_tree_limits small = {.max_bytes = 2};
	struct json_tree t;
	struct ok_error err;
	uint32_t root = 7;

	(void)state;
	json_tree_init(&t);
	check_none(&t, 0);
	/* Refused before anything was allocated. */
	assert_int_equal(json_tree_parse(&t, "[1]", 3, &small, &root, &err), OK_ETOOBIG);
	assert_int_equal(root, 0);
	check_none(&t, root);
	/* Refused after the first allocation. */
	assert_int_equal(json_tree_parse(&t, "[1,", 3, NULL, &root, &err), OK_EINPUT);
	check_none(&t, root);
	json_tree_clear(&t);
	check_none(&t, 0);
	assert_int_equal(json_tree_parse(&t, "[1]", 3, NULL, &root, &err), 0);
	assert_int_equal(json_tree_size(&t, root), 1);
	json_tree_release(&t);
	check_none(&t, 0);
	json_tree_release(&t);
}

/* Documents appended one after the other: the block grows by half at least each time, so the
 * copies are O(log n) in all, not one per document (F1 of the review: quadratic time). */
static void many_documents_grow_the_block_geometrically(void **state)
{
	enum { DOCS = 512, ZEROS = 250 };
	static char doc[32 + 2 * ZEROS];
	uint32_t roots[DOCS];
	struct json_tree t;
	struct ok_error err;
	size_t n, moves = 0;
	void *block = NULL;

	(void)state;
	/* Escaped strings, so that the text grows as well as the nodes. */
	n = (size_t)snprintf(doc, sizeof(doc), "{\"k\\u0061\":[\"a\\nb\"");
	for (int i = 0; i < ZEROS; i++)
		doc[n++] = ',', doc[n++] = '0';
	doc[n++] = ']', doc[n++] = '}';
	json_tree_init(&t);
	for (size_t d = 0; d < DOCS; d++) {
		if (json_tree_parse(&t, doc, n, NULL, &roots[d], &err))
			fail_msg("document %zu: %s", d, err.message);
		if (t.block != block)
			moves++;
		block = t.block;
	}
	/* 512 documents of 250 values and 4 bytes of text: about 128,000 nodes, 2,048 bytes of text
	 * beyond the room one parse asks for; growing by half, about 20 moves (one per document
	 * before). */
	if (moves > 32)
		fail_msg("the block moved %zu times for %d documents", moves, DOCS);
	for (size_t d = 0; d < DOCS; d++) {
		uint32_t v = json_tree_get(&t, roots[d], "ka");

		assert_int_equal(json_tree_size(&t, v), ZEROS + 1);
		assert_true(json_tree_str_is(&t, json_tree_at(&t, v, 0), "a\nb"));
	}
	json_tree_release(&t);
}

/* What json_tree.h promises of pointers into the tree: a parse that fails, even one that had to
 * grow the block, leaves them valid (F3 of the review; the sanitizer build reads them). */
static void a_failed_parse_keeps_the_strings(void **state)
{
	static char big[1 << 16];
	const char *doc = "{\"k\\t\":\"a\\nb\"}";
	struct json_tree t;
	struct ok_error err;
	uint32_t root, bad;
	const char *s, *key;
	size_t len, klen;
	void *block;

	(void)state;
	json_tree_init(&t);
	assert_int_equal(json_tree_parse(&t, doc, strlen(doc), NULL, &root, &err), 0);
	s = json_tree_str(&t, json_tree_first(&t, root), &len);
	key = json_tree_key(&t, json_tree_first(&t, root), &klen);
	assert_non_null(s);
	assert_non_null(key);
	block = t.block;
	/* Far larger than the block: it must grow before the error is found at the end. */
	big[0] = '[';
	for (size_t i = 1; i + 1 < sizeof(big); i += 2)
		big[i] = '0', big[i + 1] = ',';
	assert_int_equal(json_tree_parse(&t, big, sizeof(big), NULL, &bad, &err), OK_EINPUT);
	assert_int_equal(bad, 0);
	assert_ptr_equal(t.block, block);
	assert_int_equal(len, 3);
	assert_memory_equal(s, "a\nb", 4);
	assert_int_equal(klen, 2);
	assert_memory_equal(key, "k\t", 3);
	json_tree_release(&t);
}

/* big_integers: an integer past int64 reads as a double (as jansson's JSON_DECODE_INT_AS_REAL),
 * within a double's range; without it, refused. JSON_TREE_TO_REALS makes every number a real. */
static void big_integers_and_reals(void **state)
{
	const struct json_tree_limits big = {.big_integers = true};
	const char *doc = "[9223372036854775808,-9223372036854775809,5,-0]";
	struct json_tree t;
	struct ok_error err;
	uint32_t root, c;
	json_t *j = NULL;
	double d;
	char huge[400];

	(void)state;
	json_tree_init(&t);
	assert_int_equal(json_tree_parse(&t, doc, strlen(doc), NULL, &root, &err), OK_EINPUT);
	assert_int_equal(json_tree_parse(&t, doc, strlen(doc), &big, &root, &err), 0);
	c = json_tree_first(&t, root);
	assert_false(json_tree_is_integer(&t, c));
	assert_int_equal(json_tree_double(&t, c, &d), 0);
	assert_true(d == 9223372036854775808.0);
	assert_true(json_tree_is_integer(&t, json_tree_at(&t, root, 2)));
	assert_int_equal(json_tree_to_jansson_flags(&t, root, JSON_TREE_TO_REALS, &j, NULL), 0);
	assert_true(json_is_real(json_array_get(j, 0)) && json_is_real(json_array_get(j, 2)));
	assert_true(json_real_value(json_array_get(j, 2)) == 5.0);
	json_decref(j);
	assert_int_equal(json_tree_to_jansson(&t, root, &j, NULL), 0);
	assert_true(json_is_integer(json_array_get(j, 2)));
	json_decref(j);
	/* Past a double's range: refused even so. */
	huge[0] = '[';
	memset(huge + 1, '9', 350);
	huge[351] = ']';
	assert_int_equal(json_tree_parse(&t, huge, 352, &big, &root, &err), OK_EINPUT);
	json_tree_release(&t);
}

/* The reader's answers do not change: fixed seeds, generated documents (compact and with white
 * space, every kind of string, escape, number and nesting) and mutations of each, read under
 * several limits; each result (code, message, and on success every node: kind, the flags of
 * commit a2d6029, sizes, links, names and bytes) goes into one running digest, compared with
 * the digest that commit's reader gave for exactly these inputs. */
struct tree_digest {
	uint64_t h;
	size_t results, accepted;
};

static void digest_bytes(struct tree_digest *g, const void *p, size_t n)
{
	const unsigned char *b = p;

	for (size_t i = 0; i < n; i++)
		g->h = (g->h ^ b[i]) * 0x100000001b3u;
	g->h = (g->h ^ 0xffu) * 0x100000001b3u; /* a separator: "ab","c" is not "a","bc" */
}

static void digest_number(struct tree_digest *g, uint64_t v)
{
	digest_bytes(g, &v, sizeof(v));
}

static void digest_parse(struct tree_digest *g, const char *s, size_t n,
                         const struct json_tree_limits *lim)
{
	struct json_tree t;
	struct ok_error err;
	uint32_t root;
	int rc;

	json_tree_init(&t);
	ok_error_clear(&err);
	rc = json_tree_parse(&t, s, n, lim, &root, &err);
	digest_number(g, (uint64_t)(int64_t)rc);
	g->results++;
	if (rc) {
		digest_bytes(g, err.message, strlen(err.message));
		digest_bytes(g, err.field, strlen(err.field));
		digest_number(g, err.line);
	} else {
		g->accepted++;
		assert_int_equal(json_tree_notes_check(&t, root, false), t.nesting);
		digest_number(g, root);
		digest_number(g, t.count);
		for (uint32_t i = root; i < t.count; i++) {
			const struct json_tree_node *nd = &t.nodes[i];
			const char *p;
			size_t len;

			digest_number(g, nd->type | (uint64_t)(nd->flags & 7u) << 8 |
			                         (uint64_t)nd->len << 16 |
			                         (uint64_t)nd->next << 40);
			p = json_tree_key(&t, i, &len);
			digest_bytes(g, p ? p : "", i == root ? 0 : len);
			p = json_tree_str(&t, i, &len);
			if (!p)
				p = json_tree_number_text(&t, i, &len);
			digest_bytes(g, p ? p : "", p ? len : 0);
		}
	}
	json_tree_release(&t);
}

static uint64_t xs(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

/* A random JSON text into b (room for at least 4 KiB more): values of every kind, names that
 * repeat now and then, escapes, UTF-8 of every length (and now and then a bad byte), numbers at
 * the edges, white space of every kind or none. */
static void gen_value(uint64_t *s, struct buf *b, int depth, bool pretty)
{
	static const char *const atoms[] = {
	        "a",
	        "type",
	        "id",
	        "\\n",
	        "\\\"",
	        "\\\\",
	        "\\/",
	        "\\u00e9",
	        "\\u0001",
	        "\\ud83d\\ude00",
	        "\\uffff",
	        "\\u001f",
	        "\xc3\xa9",
	        "\xe2\x82\xac",
	        "\xef\xbf\xbd",
	        "\xee\x80\x80",
	        "\xf0\x9f\x98\x80",
	        "\xed\x9f\xbf",
	        " ",
	        "0123456789abcdef",
	        "\\ud800",
	        "\\udc00",
	        "\\u0000",
	        "\x80",
	        "\xc0\xaf",
	        "\x1f",
	        "\xf4\x90\x80\x80",
	        "\\x",
	};
	static const char *const numbers[] = {
	        "0",
	        "-0",
	        "7",
	        "-12",
	        "9223372036854775807",
	        "-9223372036854775808",
	        "9223372036854775808",
	        "1e400",
	        "-1e-400",
	        "0.5",
	        "1E2",
	        "2.5e-3",
	        "01",
	        "1.",
	        "-",
	        "1e",
	        "123456789012345678901234567890",
	};
	const char *ws[] = {"", " ", "\n  ", "\t", "\r\n", "\n                  "};
	unsigned k = (unsigned)(xs(s) % (depth > 6 ? 4 : 8));
	const char *sp = pretty ? ws[xs(s) % 6] : "";

	if (b->len > 60000)
		k = 0;
	switch (k) {
	case 0:
	case 1: {
		unsigned parts = (unsigned)(xs(s) % 6);

		buf_addstr(b, "\"");
		for (unsigned j = 0; j < parts; j++) {
			unsigned a = (unsigned)(xs(s) % (sizeof(atoms) / sizeof(atoms[0])));

			/* The refused atoms only now and then, so that most documents are read. */
			if (a >= 20 && xs(s) % 8)
				a = (unsigned)(xs(s) % 20);
			buf_addstr(b, atoms[a]);
		}
		buf_addstr(b, "\"");
		break;
	}
	case 2: {
		unsigned a = (unsigned)(xs(s) % (sizeof(numbers) / sizeof(numbers[0])));

		if (a >= 12 && xs(s) % 8)
			a = (unsigned)(xs(s) % 12);
		buf_addstr(b, numbers[a]);
		break;
	}
	case 3:
		buf_addstr(b, xs(s) % 3 == 0 ? "true" : xs(s) % 2 ? "false" : "null");
		break;
	case 4:
	case 5: {
		unsigned items = (unsigned)(xs(s) % 5);

		buf_addstr(b, "[");
		for (unsigned j = 0; j < items; j++) {
			buf_addstr(b, j ? "," : "");
			buf_addstr(b, sp);
			gen_value(s, b, depth + 1, pretty);
		}
		buf_addstr(b, sp);
		buf_addstr(b, "]");
		break;
	}
	default: {
		unsigned members = (unsigned)(xs(s) % (xs(s) % 4 ? 6 : 24));
		static const char *const names[] = {
		        "id", "type",        "name",     "@context",     "a",
		        "b",  "\\u0061",     "\xc3\xa9", "\xee\x80\x80", "\xf0\x9f\x98\x80",
		        "",   "identityHash"};

		buf_addstr(b, "{");
		for (unsigned j = 0; j < members; j++) {
			char name[48];

			buf_addstr(b, j ? "," : "");
			buf_addstr(b, sp);
			/* Mostly distinct names; a repeated one now and then. */
			if (xs(s) % 10)
				snprintf(name, sizeof(name), "\"%s%u\":", names[xs(s) % 12], j);
			else
				snprintf(name, sizeof(name), "\"%s\":", names[xs(s) % 12]);
			buf_addstr(b, name);
			buf_addstr(b, pretty && xs(s) % 2 ? " " : "");
			gen_value(s, b, depth + 1, pretty);
		}
		buf_addstr(b, sp);
		buf_addstr(b, "}");
		break;
	}
	}
}

static void digest_all_limits(struct tree_digest *g, const char *s, size_t n)
{
	const struct json_tree_limits lims[] = {
	        {.depth = JSON_TREE_DEPTH_MAX},
	        {0},
	        {.depth = 3, .field = "f"},
	        {.max_nodes = 9, .big_integers = true},
	        {.max_bytes = 200, .depth = 65, .big_integers = true},
	};

	for (size_t k = 0; k < sizeof(lims) / sizeof(lims[0]); k++)
		digest_parse(g, s, n, &lims[k]);
}

static void answers_unchanged(void **state)
{
	static const char *const seeds[] = {
	        "{\"a\":1,\"a\":1}",
	        "[\"\\ud800\"]",
	        "{\"a\":{\"b\":[1,2,{\"c\":null}]}}",
	        "  [ 1 , 2 ]  ",
	        "\"\\u00e9\\n\"",
	        "{\"\xc3\xa9\":\"\xe2\x82\xac\"}",
	        "[[[[[[[[[[]]]]]]]]]]",
	        "{}",
	        "[]",
	        "",
	        " ",
	        "{\"a\" 1}",
	        "[1,]",
	        "{,}",
	        ("{\"x\":1,\"y\":2,\"z\":3,\"w\":4,\"v\":5,\"u\":6,\"t\":7,\"s\":8,"
	         "\"r\":9,\"q\":10,\"p\":11,\"o\":12,\"n\":13,\"m\":14,\"l\":15,"
	         "\"k\":16,\"j\":17,\"x\":18}"),
	};
	struct tree_digest whole = {0xcbf29ce484222325u, 0, 0};
	uint64_t s = 0x9e3779b97f4a7c15u;
	struct buf b;
	char *m;

	(void)state;
	buf_init(&b, 0);
	for (size_t i = 0; i < sizeof(seeds) / sizeof(seeds[0]); i++)
		digest_all_limits(&whole, seeds[i], strlen(seeds[i]));
	for (int d = 0; d < 1500; d++) {
		buf_reset(&b);
		gen_value(&s, &b, 0, d % 2 == 1);
		digest_all_limits(&whole, b.data, b.len);
		m = malloc(b.len + 1);
		assert_non_null(m);
		for (int k = 0; k < 4 && b.len; k++) {
			size_t at = (size_t)(xs(&s) % b.len), n = b.len;
			static const char repl[] = "\"\\{}[]:, \n0-e.u\x80\xc3\xee\xf0\x01";

			memcpy(m, b.data, b.len);
			switch (xs(&s) % 3) {
			case 0:
				m[at] = repl[xs(&s) % (sizeof(repl) - 1)];
				break;
			case 1:
				memmove(m + at, m + at + 1, n - at - 1);
				n--;
				break;
			default:
				n = at;
				break;
			}
			digest_parse(&whole, m, n, &deep);
		}
		free(m);
	}
	buf_release(&b);
	print_message("json_tree answers: %zu results, %zu accepted, digest %016llx\n",
	              whole.results, whole.accepted, (unsigned long long)whole.h);
	assert_int_equal(whole.results, ANSWERS_RESULTS);
	assert_int_equal(whole.accepted, ANSWERS_ACCEPTED);
	assert_int_equal(whole.h, ANSWERS_DIGEST);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(grammar),
	        cmocka_unit_test(numbers),
	        cmocka_unit_test(strings_and_escapes),
	        cmocka_unit_test(utf8),
	        cmocka_unit_test(duplicates),
	        cmocka_unit_test(limits),
	        cmocka_unit_test(lookups_and_documents),
	        cmocka_unit_test(errors_name_the_place),
	        cmocka_unit_test(to_jansson),
	        cmocka_unit_test(a_tree_without_documents_reads_as_none),
	        cmocka_unit_test(many_documents_grow_the_block_geometrically),
	        cmocka_unit_test(a_failed_parse_keeps_the_strings),
	        cmocka_unit_test(differential_against_jansson),
	        cmocka_unit_test(big_integers_and_reals),
	        cmocka_unit_test(answers_unchanged),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
