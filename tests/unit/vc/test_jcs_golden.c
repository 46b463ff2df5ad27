/* The canonical bytes do not change: JCS fixtures, fuzz seeds, mutations of them and generated
 * documents, written by both writers (jansson and json_tree), are hashed into one digest per
 * group and compared with the digests the writer of commit 6718dfc (before the signing work of
 * issue 22, session 12) gave for exactly these inputs. A difference in one byte, one error code
 * or one message of any of them changes the digest. When the inputs themselves change on
 * purpose, the digests must be made again with a writer known to be right: the first group's
 * and the mutations' were made again by 6718dfc's writer with 6c29a19's reader, which refuses a
 * NUL byte after a number (a refusal's message is part of the digest). */
#include "vc_test.h"

#include <math.h>

#include "core/json_tree.h"
#include "vc/sha256.h"

/* Every record goes into a running digest: d = SHA-256(d || record). */
struct golden {
	uint8_t d[VC_SHA256_BYTES];
	struct buf rec;
	size_t records, ok;
};

static void golden_init(struct golden *g)
{
	memset(g->d, 0, sizeof(g->d));
	buf_init(&g->rec, 0);
	g->records = 0;
	g->ok = 0;
}

/* One result: what was done (tag), its code, its message on failure, its bytes on success. */
static void golden_add(struct golden *g, const char *tag, int rc, const struct ok_error *err,
                       const struct buf *out)
{
	char head[64];

	buf_reset(&g->rec);
	assert_int_equal(buf_add(&g->rec, g->d, sizeof(g->d)), 0);
	snprintf(head, sizeof(head), "%s %d ", tag, rc);
	assert_int_equal(buf_addstr(&g->rec, head), 0);
	if (rc)
		assert_int_equal(buf_addstr(&g->rec, err->message), 0);
	else if (out)
		assert_int_equal(buf_add(&g->rec, out->data, out->len), 0);
	assert_int_equal(vc_sha256(g->rec.data, g->rec.len, g->d, NULL), 0);
	g->records++;
	g->ok += rc == 0;
}

/* Whether g ends as the writer of 6718dfc ended (prints both when not). */
static bool golden_same(struct golden *g, const char *what, const char *want, size_t records)
{
	char hex[2 * VC_SHA256_BYTES + 1];
	bool same;

	vc_hex(g->d, sizeof(g->d), hex);
	same = g->records == records && strcmp(hex, want) == 0;
	print_message("%s: %zu results (%zu written), digest %s\n", what, g->records, g->ok, hex);
	if (!same)
		print_message("%s: %zu results with digest %s; the writer of 6718dfc gave %zu with "
		              "%s\n",
		              what, g->records, hex, records, want);
	buf_release(&g->rec);
	return same;
}

/* A small deterministic generator (xorshift64*), so that every run sees the same documents. */
static uint64_t rnd(uint64_t *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 2685821657736338717u;
}

static size_t below(uint64_t *s, size_t n)
{
	return (size_t)(rnd(s) % n);
}

/* Both writers on one text: jansson's (with and without \u0000 allowed) and the tree's (whole,
 * and, for an object, without its first member and with its last value as "@context"). */
static void canon_text(struct golden *g, const char *text, size_t len)
{
	static const unsigned flags[2] = {0, VC_JCS_ALLOW_NUL};
	struct json_tree t;
	struct ok_error err;
	struct buf out;
	uint32_t root, c, last = 0;
	json_t *v;
	int rc;

	for (size_t f = 0; f < 2; f++) {
		buf_init(&out, 0);
		ok_error_clear(&err);
		v = NULL;
		rc = vc_jcs_parse(text, len, flags[f], &v, &err);
		if (!rc)
			rc = vc_jcs_serialize(v, &out, &err);
		golden_add(g, f ? "jansson-nul" : "jansson", rc, &err, &out);
		json_decref(v);
		buf_release(&out);
	}
	json_tree_init(&t);
	buf_init(&out, 0);
	ok_error_clear(&err);
	rc = vc_jcs_parse_tree(text, len, &t, &root, &err);
	if (!rc)
		rc = vc_jcs_serialize_tree(&t, root, NULL, 0, &out, &err);
	golden_add(g, "tree", rc, &err, &out);
	if (!rc && json_tree_size(&t, root) && json_tree_is(&t, root, JSON_TREE_OBJECT)) {
		size_t kl;
		const char *k = json_tree_key(&t, json_tree_first(&t, root), &kl);
		char *skip = strndup(k, kl);

		assert_non_null(skip);
		json_tree_foreach(&t, root, c) last = c;
		buf_reset(&out);
		rc = vc_jcs_serialize_tree(&t, root, skip, last, &out, &err);
		golden_add(g, "tree-skip", rc, &err, &out);
		free(skip);
	}
	buf_release(&out);
	json_tree_release(&t);
}

/* Bytes that move a parser between its states. */
static const char interesting[] = "\"\\{}[]:,0123456789-+.eEu tfn\x01\x1f\x7f\x80\xbf\xc2\xe0\xed"
                                  "\xee\xef\xf0\xf4\xff";

/* A mutation of text (len bytes) into m: one to four byte flips, insertions, deletions or
 * copies of a span. Returns its length. */
static size_t mutate(uint64_t *s, const char *text, size_t len, char *m, size_t cap)
{
	size_t n = len, k = 1 + below(s, 4), at, span;

	memcpy(m, text, len);
	while (k--) {
		at = n ? below(s, n) : 0;
		switch (below(s, 4)) {
		case 0:
			if (n)
				m[at] = below(s, 2) ? interesting[below(s, sizeof(interesting) - 1)]
				                    : (char)below(s, 256);
			break;
		case 1:
			if (n + 1 <= cap) {
				memmove(m + at + 1, m + at, n - at);
				m[at] = interesting[below(s, sizeof(interesting) - 1)];
				n++;
			}
			break;
		case 2:
			if (n) {
				memmove(m + at, m + at + 1, n - at - 1);
				n--;
			}
			break;
		default:
			span = n - at < 16 ? n - at : 1 + below(s, 16);
			if (n + span <= cap) {
				memmove(m + at + span, m + at, n - at);
				n += span;
			}
			break;
		}
	}
	return n;
}

static const char *const files[] = {
        "w3c-eddsa-jcs-2022/keyPair.json",
        "w3c-eddsa-jcs-2022/proofConfigJCS.json",
        "w3c-eddsa-jcs-2022/signedJCS.json",
        "w3c-eddsa-jcs-2022/unsigned.json",
        "w3c-eddsa-rdfc-2022/employmentAuth.json",
        "w3c-eddsa-rdfc-2022/keyPair.json",
        "w3c-eddsa-rdfc-2022/proofConfigDataInt.json",
        "w3c-eddsa-rdfc-2022/signedDataInt.json",
        "../fuzz/corpus/jcs/dup.json",
        "../fuzz/corpus/jcs/keys.json",
        "../fuzz/corpus/jcs/lone.json",
        "../fuzz/corpus/jcs/numbers.json",
        "../fuzz/corpus/jcs/signed.json",
        "../fuzz/corpus/vc_tree/db-valid.json",
        "../fuzz/corpus/vc_tree/demo-course.json",
        "../fuzz/corpus/vc_tree/numbers-keys.json",
        "../fuzz/corpus/vc_tree/tricky-degree.json",
        "../fuzz/corpus/json_tree/disclosure.json",
        "../fuzz/corpus/json_tree/nul_after_scalar.json",
        "../fuzz/corpus/json_tree/payload.json",
        "../fuzz/corpus/json_tree/utf8.json",
        "../fuzz/corpus/json_tree/wide.json",
};
#define NFILES    (sizeof(files) / sizeof(files[0]))
#define MUTATIONS 200

static void fixtures_and_mutations(void **state)
{
	struct golden whole, mutated;
	uint64_t s = 0x6a09e667f3bcc908u;
	bool same;

	(void)state;
	golden_init(&whole);
	golden_init(&mutated);
	for (size_t i = 0; i < NFILES; i++) {
		size_t len, n;
		char *text = vc_fixture_at(files[i], &len);
		char *m = malloc(len + 64);

		assert_non_null(m);
		canon_text(&whole, text, len);
		for (size_t j = 0; j < MUTATIONS; j++) {
			n = mutate(&s, text, len, m, len + 64);
			canon_text(&mutated, m, n);
		}
		free(m);
		free(text);
	}
	same = golden_same(&whole, "fixtures and seeds",
	                   "c3cba75c345829496e1317f3e4bb6b1d7c544cf5d2cc07d3d19437b35e3ded16", 81);
	same &= golden_same(&mutated, "their mutations",
	                    "e112f86339d8248d9fdf0fe528b7af7de2b7f0246f34c47a217fef2ff95bb872",
	                    14018);
	assert_true(same);
}

/* A string of n random bytes for a document built in code: mostly text (ASCII, escapes, every
 * UTF-8 length, code points on both sides of U+E000 and past U+FFFF), now and then a byte that
 * is no UTF-8 at all when bad allows it. */
static size_t random_string(uint64_t *s, char *p, size_t n, bool bad)
{
	static const char *const pieces[] = {
	        "a",
	        "Z",
	        "0",
	        " ",
	        "/",
	        ":",
	        "\"",
	        "\\",
	        "\n",
	        "\t",
	        "\x01",
	        "\x1f",
	        "\x7f",
	        "\xc3\xa9",         /* U+00E9 */
	        "\xdf\xbf",         /* U+07FF */
	        "\xe2\x82\xac",     /* U+20AC */
	        "\xed\x9f\xbf",     /* U+D7FF */
	        "\xee\x80\x80",     /* U+E000 */
	        "\xef\xbf\xbd",     /* U+FFFD */
	        "\xef\xbf\xbf",     /* U+FFFF */
	        "\xf0\x9f\x98\x80", /* U+1F600 */
	        "\xf4\x8f\xbf\xbf", /* U+10FFFF */
	        "plain ascii text ",
	        "https://www.w3.org/ns/credentials/v2",
	};
	static const char *const broken[] = {"\x80", "\xc0\xaf", "\xed\xa0\x80", "\xf5",
	                                     "\xe2\x82"};
	size_t o = 0, k;
	const char *piece;
	char one[2] = {0, 0};

	while (o < n) {
		if (bad && below(s, 200) == 0)
			piece = broken[below(s, sizeof(broken) / sizeof(broken[0]))];
		else if (below(s, 3) == 0)
			piece = pieces[below(s, sizeof(pieces) / sizeof(pieces[0]))];
		else {
			one[0] = (char)(0x20 + below(s, 95));
			piece = one;
		}
		k = strlen(piece);
		if (o + k > n)
			break;
		memcpy(p + o, piece, k);
		o += k;
	}
	return o;
}

static json_t *random_number(uint64_t *s)
{
	static const double edges[] = {
	        0.0,   -0.0,   1e21, 1e-7, 9007199254740992.0, 9007199254740993.0,
	        1e300, 5e-324, 0.1,  -1.5, 123456789.125};
	uint64_t bits;
	double d;

	switch (below(s, 6)) {
	case 0:
		return json_integer((json_int_t)below(s, 1000) - 500);
	case 1:
		return json_integer((json_int_t)rnd(s));
	case 2:
		return json_integer(((json_int_t)1 << 53) + (json_int_t)below(s, 5) - 2);
	case 3:
		return json_real(edges[below(s, sizeof(edges) / sizeof(edges[0]))]);
	case 4:
		return json_real((double)(int64_t)rnd(s) / (double)(1 + below(s, 1000000)));
	default:
		bits = rnd(s);
		memcpy(&d, &bits, sizeof(d));
		/* jansson makes no NaN or infinity (test_jcs.c refuses them another way). */
		if (!isfinite(d))
			d = 2.5;
		return json_real(d);
	}
}

static json_t *random_value(uint64_t *s, int depth, bool bad, char *scratch, size_t cap);

static json_t *random_object(uint64_t *s, int depth, bool bad, char *scratch, size_t cap)
{
	json_t *o = json_object();
	size_t n = below(s, 8) == 0 ? 33 + below(s, 40) : below(s, 12), len;

	assert_non_null(o);
	for (size_t i = 0; i < n; i++) {
		/* The value first: it uses scratch too. */
		json_t *v = random_value(s, depth + 1, bad, scratch, cap);

		len = random_string(s, scratch, below(s, 3) ? 1 + below(s, 12) : below(s, 40), bad);
		assert_int_equal(json_object_setn_new_nocheck(o, scratch, len, v), 0);
	}
	return o;
}

static json_t *random_value(uint64_t *s, int depth, bool bad, char *scratch, size_t cap)
{
	size_t n, len;
	json_t *a;

	switch (depth > 6 ? 2 + below(s, 4) : below(s, 7)) {
	case 0:
		return random_object(s, depth, bad, scratch, cap);
	case 1:
		a = json_array();
		assert_non_null(a);
		n = below(s, 6);
		for (size_t i = 0; i < n; i++)
			assert_int_equal(json_array_append_new(
			                         a, random_value(s, depth + 1, bad, scratch, cap)),
			                 0);
		return a;
	case 2:
	case 3:
		n = below(s, 50) == 0 ? cap : below(s, 4) ? below(s, 24) : below(s, 300);
		len = random_string(s, scratch, n, bad);
		return json_stringn_nocheck(scratch, len);
	case 4:
		return random_number(s);
	default:
		return below(s, 3) == 0 ? json_true() : below(s, 2) ? json_false() : json_null();
	}
}

#define DOCS 1000

/* Documents built in code: jansson's writer on them (with the output capped now and then), then
 * their canonical text and a dump with \u escapes read by both writers. */
static void generated_documents(void **state)
{
	struct golden built, texts;
	uint64_t s = 0xbb67ae8584caa73bu;
	bool same;
	size_t cap = 70000;
	char *scratch = malloc(cap);
	struct ok_error err;
	struct buf out;
	json_t *v;
	char *dump;
	int rc;

	(void)state;
	assert_non_null(scratch);
	golden_init(&built);
	golden_init(&texts);
	for (size_t i = 0; i < DOCS; i++) {
		bool bad = i % 5 == 4;

		v = random_object(&s, 0, bad, scratch, below(&s, 8) ? 600 : cap);
		buf_init(&out, below(&s, 10) ? 0 : 1 + below(&s, 4000));
		ok_error_clear(&err);
		rc = vc_jcs_serialize(v, &out, &err);
		golden_add(&built, "built", rc, &err, &out);
		if (!rc)
			canon_text(&texts, out.data, out.len);
		buf_release(&out);
		dump = json_dumps(v, JSON_ENSURE_ASCII | (below(&s, 2) ? JSON_INDENT(1) : 0));
		if (dump) {
			canon_text(&texts, dump, strlen(dump));
			free(dump);
		}
		json_decref(v);
	}
	free(scratch);
	same = golden_same(&built, "documents built in code",
	                   "11e9d80e55e2509a76e8c1668ae33199e3045530b6aa965b89d445ae715c9882",
	                   1000);
	same &= golden_same(&texts, "their texts",
	                    "f7ed278db045613860dcce5b8df3d6cccdc46a3f0ee31b88d8826cdd67b44ebd",
	                    6473);
	assert_true(same);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(fixtures_and_mutations),
	        cmocka_unit_test(generated_documents),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
