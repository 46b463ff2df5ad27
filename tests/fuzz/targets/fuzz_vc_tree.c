/* libFuzzer target for the W3C verification path on json_tree, against the jansson path it
 * replaced: any bytes are read by vc_jcs_parse and vc_jcs_parse_tree, which must accept and
 * refuse alike (a NUL byte outside a string too, which jansson alone would skip), read the same
 * values, write the same canonical bytes and give the same proof verdict, step and message; a
 * document re-signed by the jansson signer must verify on the tree. The data-model rules (with
 * the JSON-LD step by lookup, by full expansion, in the plain form) and the JSON-LD lookup give
 * the same answers, rules and messages on the tree as on jansson. */
#include <sodium.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/error.h"
#include "core/json_tree.h"
#include "vc/datamodel.h"
#include "vc/did.h"
#include "vc/jcs.h"
#include "vc/jsonld_fast.h"
#include "vc/proof.h"

static uint8_t pk[crypto_sign_PUBLICKEYBYTES], sk[crypto_sign_SECRETKEYBYTES];
static char vm[VC_DID_MAX];
static struct vc_jsonld_terms *terms;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	uint8_t seed[crypto_sign_SEEDBYTES];

	(void)argc;
	(void)argv;
	memset(seed, 7, sizeof(seed));
	if (sodium_init() < 0 || crypto_sign_seed_keypair(pk, sk, seed) != 0 ||
	    vc_did_key_vm(pk, vm, NULL) != 0 || !(terms = vc_jsonld_terms_new()))
		abort();
	return 0;
}

static char *dump(const json_t *v)
{
	char *s = json_dumps(v, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY |
	                                JSON_REAL_PRECISION(17));

	if (!s)
		abort();
	return s;
}

static void same_proof(const json_t *old, const struct json_tree *t, uint32_t root,
                       const struct vc_proof_expect *expect)
{
	enum vc_proof_check f1 = VC_PROOF_VALID, f2 = VC_PROOF_VALID;
	struct ok_error e1, e2;
	int r1, r2;

	ok_error_clear(&e1);
	ok_error_clear(&e2);
	r1 = vc_proof_verify_expect(old, expect, vc_proof_resolve_did_key, NULL, &f1, &e1);
	r2 = vc_proof_verify_tree(t, root, NULL, expect, vc_proof_resolve_did_key, NULL, &f2, &e2);
	if (r1 != r2 || f1 != f2 || strcmp(e1.message, e2.message) != 0 ||
	    strcmp(e1.field, e2.field) != 0)
		abort();
}

static void same_rules(const json_t *old, const struct json_tree *t, uint32_t root)
{
	const struct vc_dm_options opts[] = {
	        {NULL, NULL},
	        {vc_datamodel_types_by_jsonld, terms},
	        {vc_datamodel_types_plain_by_jsonld, terms},
	        {vc_datamodel_types_by_jsonld, NULL},
	};
	struct vc_jsonld_limits l = vc_jsonld_limits_default;
	struct vc_dm_failure f1, f2;
	size_t i, s1 = 0, s2 = 0;
	int r1, r2;

	for (i = 0; i < sizeof(opts) / sizeof(opts[0]); i++) {
		r1 = vc_datamodel_check(old, &opts[i], &f1);
		r2 = vc_datamodel_check_tree(t, root, &opts[i], &f2);
		if (r1 != r2 ||
		    (r1 && (strcmp(f1.rule, f2.rule) != 0 || strcmp(f1.message, f2.message) != 0)))
			abort();
	}
	for (i = 0; i < 4; i++) {
		l.defined_terms_only = i & 1;
		l.plain_form = (i & 2) != 0;
		r1 = vc_jsonld_fast_check(terms, old, &l, &s1);
		r2 = vc_jsonld_fast_check_tree(terms, t, root, &l, &s2);
		if (r1 != r2 || (r1 == 1 && s1 != s2))
			abort();
	}
}

/* Returns the jansson value when both read the text (the caller decrefs it). */
static json_t *compare(const char *data, size_t len)
{
	const struct vc_proof_expect auth = {VC_PROOF_PURPOSE_AUTHENTICATION, "c-1", "example.org"};
	struct json_tree t;
	struct buf c1, c2;
	json_t *old = NULL, *conv = NULL;
	uint32_t root = 0;
	char *d1, *d2;
	int r1, r2, w1, w2;

	json_tree_init(&t);
	r1 = vc_jcs_parse(data, len, 0, &old, NULL);
	r2 = vc_jcs_parse_tree(data, len, &t, &root, NULL);
	if ((r1 == 0) != (r2 == 0))
		abort();
	if (r1 || r2) {
		json_decref(old);
		json_tree_release(&t);
		return NULL;
	}
	if (json_tree_to_jansson_flags(&t, root, JSON_TREE_TO_REALS, &conv, NULL) != 0)
		abort();
	d1 = dump(old);
	d2 = dump(conv);
	if (strcmp(d1, d2) != 0)
		abort();
	free(d1);
	free(d2);
	json_decref(conv);
	buf_init(&c1, (size_t)16 << 20);
	buf_init(&c2, (size_t)16 << 20);
	w1 = vc_jcs_serialize(old, &c1, NULL);
	w2 = vc_jcs_serialize_tree(&t, root, NULL, 0, &c2, NULL);
	if (w1 != w2 || c1.len != c2.len || (c1.len && memcmp(c1.data, c2.data, c1.len) != 0))
		abort();
	buf_release(&c1);
	buf_release(&c2);
	same_proof(old, &t, root, NULL);
	same_proof(old, &t, root, &auth);
	same_rules(old, &t, root);
	json_tree_release(&t);
	return old;
}

/* The document without its proof, signed by the jansson signer, verified on the tree. */
static void resign(const json_t *doc)
{
	const struct vc_proof_options opt = {vm, "2026-12-06T19:00:00Z", VC_SUITE_JCS};
	json_t *unsecured, *secured = NULL;
	struct json_tree t;
	uint32_t root;
	char *s;

	if (!json_is_object(doc) || !(unsecured = json_deep_copy(doc)))
		return;
	json_object_del(unsecured, "proof");
	if (vc_proof_create(unsecured, &opt, sk, &secured, NULL) == 0) {
		s = dump(secured);
		json_tree_init(&t);
		if (vc_jcs_parse_tree(s, strlen(s), &t, &root, NULL) == 0 &&
		    vc_proof_verify_tree(&t, root, NULL, NULL, vc_proof_resolve_did_key, NULL, NULL,
		                         NULL) != 0)
			abort();
		json_tree_release(&t);
		free(s);
	}
	json_decref(secured);
	json_decref(unsecured);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	json_t *old = compare((const char *)data, size);

	if (old)
		resign(old);
	json_decref(old);
	return 0;
}
