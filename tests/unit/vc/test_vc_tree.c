/* Differential tests of the W3C verification path on json_tree (vc_jcs_parse_tree,
 * vc_jcs_serialize_tree, vc_proof_verify_tree) against the jansson path it replaced
 * (vc_jcs_parse, vc_jcs_serialize, vc_proof_verify_expect), which the presentation and status
 * list checks still take: over the W3C fixtures, every JSON file of tests/fixtures, the fuzz
 * corpora of verify, jcs, datamodel and jsonld_fast, and mutations of each (bytes dropped or
 * replaced, proof members removed or retyped, documents re-signed), the two accept and refuse
 * the same texts, read the same values, write the same canonical bytes and give the same proof
 * verdict, step, field and message. */
#include "vc_test.h"

#include <dirent.h>
#include <sodium.h>

#include "core/json_tree.h"
#include "vc/datamodel.h"
#include "vc/did.h"
#include "vc/jsonld_fast.h"
#include "vc/proof.h"
#include "registry/verify.h"

struct tally {
	size_t texts, both_ok, proofs, signed_ok, rules, rules_failed;
	struct vc_jsonld_terms *terms; /* the pinned contexts' terms, for the data model's step */
};

struct key {
	uint8_t pk[crypto_sign_PUBLICKEYBYTES], sk[crypto_sign_SECRETKEYBYTES];
	char vm[VC_DID_MAX];
};

static struct key test_key(void)
{
	struct key k;
	uint8_t seed[crypto_sign_SEEDBYTES];

	memset(seed, 7, sizeof(seed));
	assert_int_equal(crypto_sign_seed_keypair(k.pk, k.sk, seed), 0);
	assert_int_equal(vc_did_key_vm(k.pk, k.vm, NULL), 0);
	return k;
}

static char *dump(const json_t *v)
{
	char *s = json_dumps(v, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY |
	                                JSON_REAL_PRECISION(17));

	assert_non_null(s);
	return s;
}

/* Both proof checks on one document, under one expectation: the same everything. */
static void compare_proof(const json_t *old, const struct json_tree *t, uint32_t root,
                          const struct vc_proof_expect *expect, const char *what, struct tally *n)
{
	enum vc_proof_check f1 = VC_PROOF_VALID, f2 = VC_PROOF_VALID, f3 = VC_PROOF_VALID;
	struct ok_error e1, e2, e3;
	int r1, r2, r3;

	ok_error_clear(&e1);
	ok_error_clear(&e2);
	ok_error_clear(&e3);
	r1 = vc_proof_verify_expect(old, expect, vc_proof_resolve_did_key, NULL, &f1, &e1);
	r2 = vc_proof_verify_tree(t, root, NULL, expect, vc_proof_resolve_did_key, NULL, &f2, &e2);
	/* With the jansson copy given (as registry_verify gives its own). */
	r3 = vc_proof_verify_tree(t, root, old, expect, vc_proof_resolve_did_key, NULL, &f3, &e3);
	n->proofs++;
	if (r1 != r2 || f1 != f2 || strcmp(e1.message, e2.message) != 0 ||
	    strcmp(e1.field, e2.field) != 0)
		fail_msg("%s: jansson %d %s [%s] %s; tree %d %s [%s] %s", what, r1,
		         vc_proof_check_name(f1), e1.field, e1.message, r2, vc_proof_check_name(f2),
		         e2.field, e2.message);
	if (r3 != r2 || f3 != f2 || strcmp(e3.message, e2.message) != 0 ||
	    strcmp(e3.field, e2.field) != 0)
		fail_msg("%s: with the copy %d %s [%s] %s; without %d %s [%s] %s", what, r3,
		         vc_proof_check_name(f3), e3.field, e3.message, r2, vc_proof_check_name(f2),
		         e2.field, e2.message);
}

/* The data-model rules on both readers, with and without the JSON-LD step (by lookup through
 * the table, by full expansion without it; plain form or not): the same code, rule and
 * message. */
static void compare_rules(const json_t *old, const struct json_tree *t, uint32_t root,
                          const char *what, struct tally *n)
{
	const struct vc_dm_options opts[] = {
	        {NULL, NULL},
	        {vc_datamodel_types_by_jsonld, n->terms},
	        {vc_datamodel_types_plain_by_jsonld, n->terms},
	        {vc_datamodel_types_by_jsonld, NULL},
	};
	struct vc_dm_failure f1, f2;
	size_t i;
	int r1, r2;

	for (i = 0; i < sizeof(opts) / sizeof(opts[0]); i++) {
		r1 = vc_datamodel_check(old, &opts[i], &f1);
		r2 = vc_datamodel_check_tree(t, root, &opts[i], &f2);
		n->rules++;
		n->rules_failed += r1 != 0;
		if (r1 != r2 ||
		    (r1 && (strcmp(f1.rule, f2.rule) != 0 || strcmp(f1.message, f2.message) != 0)))
			fail_msg("%s (options %zu): jansson %d %s: %s; tree %d %s: %s", what, i, r1,
			         r1 ? f1.rule : "-", r1 ? f1.message : "", r2, r2 ? f2.rule : "-",
			         r2 ? f2.message : "");
	}
}

static void compare_proofs(const json_t *old, const struct json_tree *t, uint32_t root,
                           const char *what, struct tally *n)
{
	const struct vc_proof_expect auth = {VC_PROOF_PURPOSE_AUTHENTICATION, "c-1", "example.org"};
	const struct vc_proof_expect asserting = {NULL, NULL, "example.org"};

	compare_proof(old, t, root, NULL, what, n);
	compare_proof(old, t, root, &auth, what, n);
	compare_proof(old, t, root, &asserting, what, n);
}

/* One text: both parsers agree; where both read it, the same values, the same canonical
 * bytes, the same proof verdicts. Returns the jansson value (or NULL), for mutations. */
static json_t *compare_text(const char *data, size_t len, const char *what, struct tally *n)
{
	struct json_tree t;
	struct ok_error e1, e2;
	struct buf c1, c2;
	json_t *old = NULL, *conv = NULL;
	char *d1, *d2;
	uint32_t root = 0;
	int r1, r2, w1, w2;

	n->texts++;
	ok_error_clear(&e1);
	ok_error_clear(&e2);
	json_tree_init(&t);
	r1 = vc_jcs_parse(data, len, 0, &old, &e1);
	r2 = vc_jcs_parse_tree(data, len, &t, &root, &e2);
	/* Both refuse a NUL byte outside a string too (vc_jcs_parse's prescan), although
	 * jansson alone skips one after a number or literal. */
	if ((r1 == 0) != (r2 == 0))
		fail_msg("%s: jansson %d (%s), tree %d (%s)", what, r1, e1.message, r2, e2.message);
	/* The same kind of refusal: too big stays too big. */
	if (r1 && (r1 == OK_ETOOBIG) != (r2 == OK_ETOOBIG))
		fail_msg("%s: jansson %d, tree %d", what, r1, r2);
	if (r1)
		goto out;
	n->both_ok++;
	assert_int_equal(json_tree_to_jansson_flags(&t, root, JSON_TREE_TO_REALS, &conv, NULL), 0);
	d1 = dump(old);
	d2 = dump(conv);
	if (strcmp(d1, d2) != 0)
		fail_msg("%s: the values differ:\n%.300s\n%.300s", what, d1, d2);
	free(d1);
	free(d2);
	buf_init(&c1, (size_t)16 << 20);
	buf_init(&c2, (size_t)16 << 20);
	w1 = vc_jcs_serialize(old, &c1, NULL);
	w2 = vc_jcs_serialize_tree(&t, root, NULL, 0, &c2, NULL);
	if (w1 != w2 || c1.len != c2.len || (c1.len && memcmp(c1.data, c2.data, c1.len) != 0))
		fail_msg("%s: canonical forms differ (%d, %d):\n%.300s\n%.300s", what, w1, w2,
		         c1.data ? c1.data : "", c2.data ? c2.data : "");
	buf_release(&c1);
	buf_release(&c2);
	compare_proofs(old, &t, root, what, n);
	compare_rules(old, &t, root, what, n);
out:
	json_decref(conv);
	json_tree_release(&t);
	return old;
}

static void compare_value(const json_t *v, const char *what, struct tally *n)
{
	char *s = dump(v);

	json_decref(compare_text(s, strlen(s), what, n));
	free(s);
}

/* doc without its proof, signed with the test key (eddsa-jcs-2022), then verified by both: a
 * valid signature over any content the parser reads means both wrote the same bytes. */
static void resign(const json_t *doc, const struct key *k, const char *what, struct tally *n)
{
	const struct vc_proof_options opt = {k->vm, "2026-12-06T19:00:00Z", VC_SUITE_JCS};
	json_t *unsecured, *secured = NULL, *ctx, *back;
	struct json_tree t;
	uint32_t root;
	char *s;

	if (!json_is_object(doc))
		return;
	unsecured = json_deep_copy(doc);
	assert_non_null(unsecured);
	json_object_del(unsecured, "proof");
	if (vc_proof_create(unsecured, &opt, k->sk, &secured, NULL) != 0) {
		json_decref(unsecured);
		return;
	}
	s = dump(secured);
	json_tree_init(&t);
	if (vc_jcs_parse_tree(s, strlen(s), &t, &root, NULL) == 0) {
		struct ok_error e;

		ok_error_clear(&e);
		if (vc_proof_verify_tree(&t, root, NULL, NULL, vc_proof_resolve_did_key, NULL, NULL,
		                         &e) != 0)
			fail_msg("%s: re-signed, the tree path says: %s", what, e.message);
		n->signed_ok++;
	}
	json_tree_release(&t);
	back = compare_text(s, strlen(s), what, n);
	free(s);
	json_decref(back);
	/* A context added after the proof's: the unsecured document takes the proof's @context,
	 * so the signature still holds, on both paths. */
	ctx = json_object_get(secured, "@context");
	if (json_is_array(ctx)) {
		json_t *more = json_deep_copy(secured);

		json_array_append_new(json_object_get(more, "@context"),
		                      json_string("https://example.org/more"));
		compare_value(more, what, n);
		json_decref(more);
	}
	json_decref(secured);
	json_decref(unsecured);
}

/* Every member of the proof removed, and set to other types, in turn. */
static void mutate_proof(const json_t *doc, const char *what, struct tally *n)
{
	json_t *proof = json_object_get(doc, "proof"), *copy, *x;
	const char *k;
	void *tmp;

	if (!json_is_object(proof))
		return;
	json_object_foreach_safe(proof, tmp, k, x)
	{
		json_t *alts[] = {NULL,         json_integer(5), json_string(""),
		                  json_array(), json_true(),     json_string("z")};
		size_t i;

		for (i = 0; i < sizeof(alts) / sizeof(alts[0]); i++) {
			copy = json_deep_copy(doc);
			if (alts[i])
				json_object_set_new(json_object_get(copy, "proof"), k, alts[i]);
			else
				json_object_del(json_object_get(copy, "proof"), k);
			compare_value(copy, what, n);
			json_decref(copy);
		}
	}
	copy = json_deep_copy(doc);
	json_object_set_new(copy, "proof", json_pack("[O]", proof));
	compare_value(copy, what, n);
	json_decref(copy);
}

/* Bytes dropped, and replaced by characters that matter to a JSON reader, at spread points. */
static void mutate_bytes(const char *data, size_t len, const char *what, struct tally *n)
{
	static const char repl[] = {'"',  '{', '}', '[', ']', ',',        ':',        '0',
	                            '\\', ' ', 'e', '-', '.', (char)0x80, (char)0xff, '\0'};
	char *m = malloc(len + 1);
	size_t step = len / 24 + 1, i, r;

	assert_non_null(m);
	for (i = 0; i < len; i += step) {
		memcpy(m, data, i);
		memcpy(m + i, data + i + 1, len - i - 1);
		json_decref(compare_text(m, len - 1, what, n));
		for (r = 0; r < sizeof(repl); r++) {
			memcpy(m, data, len);
			m[i] = repl[r];
			json_decref(compare_text(m, len, what, n));
		}
	}
	free(m);
}

static void check_file(const char *path, const struct key *k, struct tally *n)
{
	size_t len;
	char *data = vc_read_file(path, &len);
	json_t *old = compare_text(data, len, path, n);

	if (old) {
		mutate_proof(old, path, n);
		resign(old, k, path, n);
	}
	json_decref(old);
	mutate_bytes(data, len, path, n);
	free(data);
}

static void check_dir(const char *rel, const struct key *k, bool json_only, struct tally *n)
{
	char dir[1024], path[1400];
	struct dirent *e;
	DIR *d;

	assert_true(snprintf(dir, sizeof(dir), "%s/%s", getenv("OK_SOURCE_ROOT"), rel) <
	            (int)sizeof(dir));
	d = opendir(dir);
	if (!d)
		fail_msg("cannot open %s", dir);
	while ((e = readdir(d)) != NULL) {
		size_t l = strlen(e->d_name);

		if (e->d_name[0] == '.' || e->d_type == DT_DIR)
			continue;
		if (json_only && (l < 5 || strcmp(e->d_name + l - 5, ".json") != 0))
			continue;
		assert_true(snprintf(path, sizeof(path), "%s/%s", dir, e->d_name) <
		            (int)sizeof(path));
		check_file(path, k, n);
	}
	closedir(d);
}

static void agrees_on_fixtures_and_corpora(void **state)
{
	static const struct {
		const char *dir;
		bool json_only;
	} dirs[] = {
	        {"tests/fixtures/w3c-eddsa-jcs-2022", true},
	        {"tests/fixtures/w3c-eddsa-rdfc-2022", true},
	        {"tests/fixtures/jose", true},
	        {"tests/fixtures/sd-jwt", true},
	        {"tests/fuzz/corpus/verify", false},
	        {"tests/fuzz/corpus/jcs", false},
	        {"tests/fuzz/corpus/datamodel", false},
	        {"tests/fuzz/corpus/jsonld_fast", false},
	        {"tests/fuzz/corpus/vc_tree", false},
	        {"tests/interop/fixtures", true},
	        {"tests/fixtures/rdf-canon/rdfc10", true},
	        {"tests/fuzz/corpus/jsonld", false},
	};
	struct key k = test_key();
	struct tally n = {0};
	size_t i;

	(void)state;
	n.terms = vc_jsonld_terms_new();
	assert_non_null(n.terms);
	for (i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++)
		check_dir(dirs[i].dir, &k, dirs[i].json_only, &n);
	print_message("%zu texts, %zu read by both, %zu proof comparisons, %zu re-signed, %zu "
	              "data-model comparisons (%zu refused)\n",
	              n.texts, n.both_ok, n.proofs, n.signed_ok, n.rules, n.rules_failed);
	vc_jsonld_terms_free(n.terms);
	assert_true(n.both_ok > 100);
	assert_true(n.signed_ok > 20);
	assert_true(n.rules > n.rules_failed && n.rules_failed > 100);
}

/* Numbers: the tree keeps the text, the canonical form is the double's, as before. */
static void numbers_as_before(void **state)
{
	static const char *const texts[] = {
	        "[1e21]",
	        "[-0]",
	        "[0.1]",
	        "[1E400]",
	        "[-1E400]",
	        "[1e-400]",
	        "[100000000000000000000]",
	        "[9007199254740993]",
	        "[-9007199254740993]",
	        "[999999999999999]",
	        "[1000000000000000]",
	        "[9223372036854775807]",
	        "[9223372036854775808]",
	        "[-9223372036854775809]",
	        "[123456789012345678901234567890123]",
	        "[1e-7]",
	        "[-0.0]",
	        "[0e0]",
	        "[1.5e300]",
	        "[4.9e-324]",
	        "[2.2250738585072014e-308]",
	        "[1e+2]",
	        "[-1.000]",
	        "[01]",
	        "[1.]",
	        "[.5]",
	        "[+1]",
	        "{\"a\":1,\"a\":2}",
	        "[\"\\ud800\"]",
	        "[\"\\u0000\"]",
	        "[\"\\udc00\\ud800\"]",
	        "[\"\\ud83d\\ude00\"]",
	        "{\"\\u20ac\":1,\"\\r\":2,\"\\ud83d\\ude00\":3,\"\\ufb33\":4,\"1\":5}",
	};
	struct tally n = {0};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(texts) / sizeof(texts[0]); i++)
		json_decref(compare_text(texts[i], strlen(texts[i]), texts[i], &n));
}

/* Depth: 64 containers with a scalar inside read, a 65th container refused, by both. */
static void depth_as_before(void **state)
{
	char text[400];
	struct tally n = {0};
	size_t d, i, o;

	(void)state;
	for (d = 62; d <= 66; d++) {
		o = 0;
		for (i = 0; i < d; i++)
			text[o++] = '[';
		text[o++] = '1';
		for (i = 0; i < d; i++)
			text[o++] = ']';
		json_decref(compare_text(text, o, "nested with a number", &n));
		o = 0;
		for (i = 0; i < d; i++)
			text[o++] = '[';
		for (i = 0; i < d; i++)
			text[o++] = ']';
		json_decref(compare_text(text, o, "nested empty", &n));
		o = 0;
		for (i = 0; i < d; i++) {
			memcpy(text + o, "{\"a\":", 5);
			o += 5;
		}
		text[o++] = '{';
		text[o++] = '}';
		for (i = 0; i < d; i++)
			text[o++] = '}';
		json_decref(compare_text(text, o, "nested objects", &n));
	}
}

/* The size limit: one byte over 1 MiB is too big on both. */
static void size_as_before(void **state)
{
	size_t len = VC_JCS_MAX_INPUT + 1;
	char *text = malloc(len);
	struct tally n = {0};

	(void)state;
	assert_non_null(text);
	memset(text, ' ', len);
	text[0] = '1';
	json_decref(compare_text(text, len, "over 1 MiB", &n));
	json_decref(compare_text(text, len - 1, "1 MiB", &n));
	free(text);
}

/* An object of n members k0000…, each an object {"@id", "n": [i]}, inserted in order or
 * reversed; member 'odd' (if < n) gets another value, or another name when renamed. */
static json_t *members(size_t n, bool reversed, size_t odd, bool renamed)
{
	json_t *o = json_object();

	assert_non_null(o);
	for (size_t j = 0; j < n; j++) {
		size_t i = reversed ? n - 1 - j : j;
		char name[32];
		json_t *v = json_pack("{s:s, s:[I]}", "@id", "https://example.org/k", "n",
		                      (json_int_t)(i == odd && !renamed ? 7 * n + 1 : i));

		assert_non_null(v);
		snprintf(name, sizeof(name), "%s%04zu", i == odd && renamed ? "x" : "k", i);
		assert_int_equal(json_object_set_new(o, name, v), 0);
	}
	return o;
}

/* The document signed with members in order; the proof's @context given the same object with
 * its members reversed (odd = n: equal) or with one member other. */
static void check_context_order(const struct key *k, size_t n, size_t odd, bool renamed,
                                enum vc_proof_check want)
{
	const struct vc_proof_options opt = {k->vm, "2026-12-06T19:00:00Z", VC_SUITE_JCS};
	json_t *doc, *secured = NULL;
	enum vc_proof_check got = VC_PROOF_MALFORMED;
	struct json_tree t;
	struct ok_error e;
	struct tally tl = {0};
	uint32_t root;
	char *s, what[64];

	snprintf(what, sizeof(what), "%zu members, member %zu%s", n, odd,
	         renamed ? " renamed" : " changed");
	doc = json_pack("{s:[s,o], s:[s], s:s, s:{s:s}}", "@context",
	                "https://www.w3.org/ns/credentials/v2", members(n, false, n, false), "type",
	                "VerifiableCredential", "issuer", "did:example:issuer", "credentialSubject",
	                "id", "did:example:1");
	assert_non_null(doc);
	assert_int_equal(vc_proof_create(doc, &opt, k->sk, &secured, NULL), 0);
	assert_int_equal(
	        json_object_set_new(json_object_get(secured, "proof"), "@context",
	                            json_pack("[s,o]", "https://www.w3.org/ns/credentials/v2",
	                                      members(n, true, odd, renamed))),
	        0);
	/* Written in insertion order: the proof's members come in the opposite order. */
	s = json_dumps(secured, JSON_COMPACT | JSON_PRESERVE_ORDER);
	assert_non_null(s);
	json_tree_init(&t);
	assert_int_equal(vc_jcs_parse_tree(s, strlen(s), &t, &root, NULL), 0);
	ok_error_clear(&e);
	vc_proof_verify_tree(&t, root, NULL, NULL, vc_proof_resolve_did_key, NULL, &got, &e);
	if (got != want)
		fail_msg("%s: %s, expected %s (%s)", what, vc_proof_check_name(got),
		         vc_proof_check_name(want), e.message);
	json_tree_release(&t);
	/* And the jansson path says the same. */
	json_decref(compare_text(s, strlen(s), what, &tl));
	assert_int_equal(tl.both_ok, 1);
	free(s);
	json_decref(secured);
	json_decref(doc);
}

static void context_members_in_other_orders(void **state)
{
	const struct key k = test_key();

	(void)state;
	/* Few members (compared by name lookups) and many (compared sorted), 1000 the most the
	 * JSON-LD step lets through. */
	for (size_t i = 0; i < 3; i++) {
		size_t n = (size_t[]){3, 17, 1000}[i];

		check_context_order(&k, n, n, false, VC_PROOF_VALID);
		check_context_order(&k, n, 0, false, VC_PROOF_CONTEXT_MISMATCH);
		check_context_order(&k, n, n / 2, false, VC_PROOF_CONTEXT_MISMATCH);
		check_context_order(&k, n, n - 1, false, VC_PROOF_CONTEXT_MISMATCH);
		check_context_order(&k, n, 0, true, VC_PROOF_CONTEXT_MISMATCH);
		check_context_order(&k, n, n - 1, true, VC_PROOF_CONTEXT_MISMATCH);
	}
}

/* eddsa-rdfc-2022 reads the jansson copy it is given, not a second conversion of the tree: the
 * W3C credential verifies with its own copy, and a copy altered in one value is what fails. */
static void rdfc_reads_the_copy_given(void **state)
{
	size_t len;
	char *text = vc_fixture_at("w3c-eddsa-rdfc-2022/signedDataInt.json", &len);
	enum vc_proof_check got = VC_PROOF_MALFORMED;
	json_t *same = NULL, *other;
	struct json_tree t;
	struct ok_error e;
	uint32_t root;

	(void)state;
	json_tree_init(&t);
	assert_int_equal(vc_jcs_parse_tree(text, len, &t, &root, NULL), 0);
	assert_int_equal(json_tree_to_jansson_flags(&t, root, JSON_TREE_TO_REALS, &same, NULL), 0);
	ok_error_clear(&e);
	if (vc_proof_verify_tree(&t, root, same, NULL, vc_proof_resolve_did_key, NULL, &got, &e))
		fail_msg("with its copy: %s", e.message);
	assert_int_equal(got, VC_PROOF_VALID);
	other = json_deep_copy(same);
	assert_non_null(other);
	assert_int_equal(json_object_set_new(other, "issuer", json_string("did:example:other")), 0);
	assert_int_not_equal(vc_proof_verify_tree(&t, root, other, NULL, vc_proof_resolve_did_key,
	                                          NULL, &got, &e),
	                     0);
	assert_int_equal(got, VC_PROOF_BAD_SIGNATURE);
	json_decref(other);
	json_decref(same);
	json_tree_release(&t);
	free(text);
}

#ifdef OK_TEST_HOOKS
/* A credential whose member `where` is an array of n copies of item (for @context, after the v2
 * URL); malloc'd. */
static char *long_array(const char *where, const char *item, size_t n)
{
	const char *head = "{\"@context\":[\"https://www.w3.org/ns/credentials/v2\"";
	const char *rest =
	        strcmp(where, "credentialSubject") == 0
	                ? "],\"type\":[\"VerifiableCredential\"],\"issuer\":\"did:example:i\""
	                : "],\"type\":[\"VerifiableCredential\"],\"issuer\":\"did:example:i\","
	                  "\"credentialSubject\":{\"id\":\"did:example:s\"}";
	size_t cap = strlen(head) + strlen(rest) + strlen(where) + 16 + n * (strlen(item) + 1);
	char *s = malloc(cap), *p;
	size_t k;

	assert_non_null(s);
	p = s + sprintf(s, "%s", head);
	if (strcmp(where, "@context") == 0) {
		for (k = 0; k < n; k++)
			p += sprintf(p, ",%s", item);
		sprintf(p, "%s}", rest);
		return s;
	}
	p += sprintf(p, "%s,\"%s\":[", rest, where);
	for (k = 0; k < n; k++)
		p += sprintf(p, "%s%s", k ? "," : "", item);
	sprintf(p, "]}");
	return s;
}

/* Review of s12/vctree, finding 1: the rules read a long array item after item (O(1) each), not
 * item k by walking k siblings (O(n^2) on a tree, minutes of CPU for one 1 MiB request). The
 * tree counts its sibling steps (OK_TEST_HOOKS); the rules' walk over a credential must stay
 * within a small multiple of its nodes, for each array the rules loop over, with the JSON-LD step
 * (rdfc_proof reads every proof) and without. The quadratic code takes n^2 / 2 steps here. */
static void rules_walk_long_arrays_linearly(void **state)
{
	static const struct {
		const char *where, *item;
	} shapes[] = {
	        {"@context", "{}"},
	        {"@context", "\"https://www.w3.org/ns/credentials/examples/v2\""},
	        {"credentialSubject", "{\"a\":1}"},
	        {"evidence", "{\"type\":\"A\"}"},
	        {"termsOfUse", "{\"type\":\"A\"}"},
	        {"credentialStatus", "{\"type\":\"A\"}"},
	        {"refreshService", "{\"type\":\"A\"}"},
	        {"credentialSchema", "{\"type\":\"A\",\"id\":\"https://example.org/s\"}"},
	        {"proof", "{}"},
	};
	const struct vc_dm_options opts[] = {
	        {NULL, NULL},
	        {vc_datamodel_types_by_jsonld, NULL},
	};
	const size_t n = 6000;
	size_t i, o, steps, bad = 0;
	(void)state;

	for (i = 0; i < sizeof(shapes) / sizeof(shapes[0]); i++)
		for (o = 0; o < sizeof(opts) / sizeof(opts[0]); o++) {
			char *text = long_array(shapes[i].where, shapes[i].item, n);
			struct json_tree t;
			struct json_tree_limits lim = {0};
			struct vc_dm_failure f;
			struct ok_error err;
			uint32_t root;

			json_tree_init(&t);
			assert_int_equal(json_tree_parse(&t, text, strlen(text), &lim, &root, &err),
			                 0);
			assert_true(t.count > n);
			steps = 0;
			t.test_steps = &steps;
			(void)vc_datamodel_check_tree(&t, root, &opts[o], &f);
			t.test_steps = NULL;
			if (steps > 8 * t.count) {
				print_error(
				        "%s %s: %zu sibling steps over %zu nodes (options %zu)\n",
				        shapes[i].where, shapes[i].item, steps, t.count, o);
				bad++;
			}
			json_tree_release(&t);
			free(text);
		}
	assert_int_equal(bad, 0);
}
/* Review of s12/vctree, finding 3: one jansson copy of a tree's eddsa-rdfc-2022 credential per
 * verification, shared by the JSON-LD expansion, the proof and r->credential. Counted as the
 * tree's sibling steps: with the copy for r->credential (want_credential) the walk is exactly
 * the walk without it, because the copy the expansion made is the one kept (before: one more
 * conversion for r->credential, and one more for the proof). */
static void rdfc_credential_converted_once(void **state)
{
	size_t len, steps[2];
	char *text = vc_fixture_at("w3c-eddsa-rdfc-2022/signedDataInt.json", &len);
	struct json_tree t;
	struct ok_error err;
	uint32_t root;
	int k;
	(void)state;

	json_tree_init(&t);
	assert_int_equal(vc_jcs_parse_tree(text, len, &t, &root, &err), 0);
	for (k = 0; k < 2; k++) {
		struct verify_options o = {0};
		struct verify_result r;

		memset(&r, 0, sizeof(r));
		o.want_credential = k == 0;
		steps[k] = 0;
		t.test_steps = &steps[k];
		assert_int_equal(registry_verify_tree(NULL, &t, root, &o, &r, &err), 0);
		t.test_steps = NULL;
		assert_true(r.is_credential);
		assert_true(k == 1 ? r.credential == NULL : r.credential != NULL);
		verify_result_release(&r);
	}
	assert_true(steps[0] > t.count);
	assert_int_equal(steps[0], steps[1]);
	json_tree_release(&t);
	free(text);
}
#endif

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(numbers_as_before),
	        cmocka_unit_test(depth_as_before),
	        cmocka_unit_test(size_as_before),
	        cmocka_unit_test(context_members_in_other_orders),
	        cmocka_unit_test(rdfc_reads_the_copy_given),
	        cmocka_unit_test(agrees_on_fixtures_and_corpora),
#ifdef OK_TEST_HOOKS
	        cmocka_unit_test(rules_walk_long_arrays_linearly),
	        cmocka_unit_test(rdfc_credential_converted_once),
#endif
	};

	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
