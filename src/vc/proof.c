/* eddsa-jcs-2022 and eddsa-rdfc-2022 Data Integrity proofs: proof configuration, hashing,
 * signing, verifying (the rdfc transformation itself is in proof_rdfc.c). */
#include "vc/proof.h"

#include <stdlib.h>
#include <string.h>

#include "vc/did.h"
#include "vc/jcs.h"
#include "vc/sha256.h"

/* Canonical forms may be longer than their source (1e20 becomes 21 digits). */
#define CANON_MAX (VC_JCS_MAX_INPUT * 16)
#define SIG_BYTES crypto_sign_BYTES

const char *vc_suite_name(enum vc_suite suite)
{
	return suite == VC_SUITE_RDFC ? VC_PROOF_CRYPTOSUITE_RDFC : VC_PROOF_CRYPTOSUITE;
}

int vc_suite_parse(const char *s, enum vc_suite *suite)
{
	if (s && strcmp(s, VC_PROOF_CRYPTOSUITE) == 0)
		*suite = VC_SUITE_JCS;
	else if (s && strcmp(s, VC_PROOF_CRYPTOSUITE_RDFC) == 0)
		*suite = VC_SUITE_RDFC;
	else
		return OK_EINPUT;
	return 0;
}

const char *vc_proof_check_name(enum vc_proof_check check)
{
	switch (check) {
	case VC_PROOF_VALID:
		return "valid";
	case VC_PROOF_MALFORMED:
		return "malformed-proof";
	case VC_PROOF_WRONG_TYPE:
		return "wrong-proof-type";
	case VC_PROOF_UNKNOWN_CRYPTOSUITE:
		return "unknown-cryptosuite";
	case VC_PROOF_WRONG_PURPOSE:
		return "wrong-proof-purpose";
	case VC_PROOF_BAD_CREATED:
		return "bad-created";
	case VC_PROOF_BAD_MULTIBASE:
		return "bad-multibase";
	case VC_PROOF_BAD_SIGNATURE_LENGTH:
		return "bad-signature-length";
	case VC_PROOF_CONTEXT_MISMATCH:
		return "context-mismatch";
	case VC_PROOF_KEY_UNRESOLVED:
		return "key-unresolved";
	case VC_PROOF_BAD_SIGNATURE:
		return "bad-signature";
	case VC_PROOF_CHALLENGE_MISMATCH:
		return "challenge-mismatch";
	case VC_PROOF_DOMAIN_MISMATCH:
		return "domain-mismatch";
	case VC_PROOF_NOT_CANONICAL:
		return "not-canonicalizable";
	}
	return "unknown";
}

static bool digits(const char *s, size_t n, int min, int max)
{
	int v = 0;
	size_t i;

	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		v = v * 10 + (s[i] - '0');
	}
	return v >= min && v <= max;
}

bool vc_proof_valid_datetime(const char *s)
{
	size_t i = 19;

	if (!s || strlen(s) < 20)
		return false;
	/* YYYY-MM-DDTHH:MM:SS */
	if (!digits(s, 4, 0, 9999) || s[4] != '-' || !digits(s + 5, 2, 1, 12) || s[7] != '-' ||
	    !digits(s + 8, 2, 1, 31) || s[10] != 'T' || !digits(s + 11, 2, 0, 23) || s[13] != ':' ||
	    !digits(s + 14, 2, 0, 59) || s[16] != ':' || !digits(s + 17, 2, 0, 60))
		return false;
	/* A day the month has: "2099-02-30" is no date (and no time can be compared with it). */
	{
		static const int mdays[12] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
		int y = atoi(s), m = (s[5] - '0') * 10 + (s[6] - '0');
		int d = (s[8] - '0') * 10 + (s[9] - '0');
		if (d > mdays[m - 1] ||
		    (m == 2 && d == 29 && !((y % 4 == 0 && y % 100 != 0) || y % 400 == 0)))
			return false;
	}
	if (s[i] == '.') {
		i++;
		if (s[i] < '0' || s[i] > '9')
			return false;
		while (s[i] >= '0' && s[i] <= '9')
			i++;
	}
	if (s[i] == 'Z')
		return s[i + 1] == '\0';
	if (s[i] != '+' && s[i] != '-')
		return false;
	return strlen(s + i) == 6 && digits(s + i + 1, 2, 0, 23) && s[i + 3] == ':' &&
	       digits(s + i + 4, 2, 0, 59);
}

int vc_proof_resolve_did_key(void *ctx, const char *verification_method, const char *purpose,
                             uint8_t pk[VC_ED25519_PUB_BYTES], struct ok_error *err)
{
	(void)ctx;
	(void)purpose; /* a did:key's one key serves every verification relationship */
	return vc_did_key_vm_to_pub(verification_method, pk, err);
}

static int nomem(struct ok_error *err)
{
	return ok_fail(err, OK_ENOMEM, "out of memory while building a proof");
}

static int config_bound(const json_t *unsecured, const struct vc_proof_options *opt,
                        const struct vc_proof_expect *bind, json_t **config, struct ok_error *err)
{
	json_t *c, *ctx;
	int bad = 0;

	*config = NULL;
	if (!json_is_object(unsecured))
		return ok_fail(err, OK_EINPUT, "the document to sign is not a JSON object");
	if (!opt || !opt->verification_method || !*opt->verification_method)
		return ok_fail(err, OK_EINPUT, "missing verification method for the proof");
	if (opt->created && !vc_proof_valid_datetime(opt->created))
		return ok_fail_field(err, OK_EINPUT, "created",
		                     "created must be a date-time like 2023-02-24T23:36:38Z");
	c = json_object();
	if (!c)
		return nomem(err);
	/* The names, the constants and created (checked above: ASCII digits and signs) are UTF-8
	 * by construction, so jansson need not check them; the caller's strings it checks. */
	bad |= json_object_set_new_nocheck(c, "type", json_string_nocheck(VC_PROOF_TYPE));
	bad |= json_object_set_new_nocheck(c, "cryptosuite",
	                                   json_string_nocheck(vc_suite_name(opt->suite)));
	if (opt->created)
		bad |= json_object_set_new_nocheck(c, "created", json_string_nocheck(opt->created));
	bad |= json_object_set_new_nocheck(c, "verificationMethod",
	                                   json_string(opt->verification_method));
	bad |= json_object_set_new_nocheck(
	        c, "proofPurpose",
	        json_string(bind && bind->purpose ? bind->purpose : VC_PROOF_PURPOSE));
	if (bind && bind->challenge)
		bad |= json_object_set_new_nocheck(c, "challenge", json_string(bind->challenge));
	if (bind && bind->domain)
		bad |= json_object_set_new_nocheck(c, "domain", json_string(bind->domain));
	ctx = json_object_get(unsecured, "@context");
	/* Shared, not copied: the configuration is only read, and a signer pays for every copy. */
	if (ctx)
		bad |= json_object_set_nocheck(c, "@context", ctx);
	if (bad) {
		json_decref(c);
		return ok_fail(err, OK_EINPUT, "cannot build the proof configuration");
	}
	*config = c;
	return 0;
}

int vc_proof_config(const json_t *unsecured, const struct vc_proof_options *opt, json_t **config,
                    struct ok_error *err)
{
	return config_bound(unsecured, opt, NULL, config, err);
}

int vc_proof_hash(const json_t *unsecured, const json_t *config, uint8_t hash[VC_PROOF_HASH_BYTES],
                  struct buf *canon_doc, struct buf *canon_config, struct ok_error *err)
{
	struct buf own_doc, own_config;
	struct buf *d = canon_doc ? canon_doc : &own_doc;
	struct buf *c = canon_config ? canon_config : &own_config;
	enum vc_suite suite;
	size_t d_start, c_start;
	int rc;

	buf_init(&own_doc, CANON_MAX);
	buf_init(&own_config, CANON_MAX);
	if (!json_is_object(unsecured) || !json_is_object(config)) {
		rc = ok_fail(err, OK_EINPUT, "document and proof configuration must be objects");
		goto out;
	}
	if (json_object_get(unsecured, "proof")) {
		rc = ok_fail(err, OK_EINPUT, "the document to hash still holds a proof");
		goto out;
	}
	if (vc_suite_parse(json_string_value(json_object_get(config, "cryptosuite")), &suite)) {
		rc = ok_fail_field(err, OK_EINPUT, "proof.cryptosuite",
		                   "the proof configuration names no cryptosuite oorkonde knows "
		                   "(eddsa-jcs-2022 or eddsa-rdfc-2022)");
		goto out;
	}
	d_start = d->len;
	c_start = c->len;
	if (suite == VC_SUITE_RDFC) {
		rc = vc_proof_rdfc_canonicalize(config, c, err);
		if (!rc)
			rc = vc_proof_rdfc_canonicalize(unsecured, d, err);
	} else {
		rc = vc_jcs_serialize(config, c, err);
		if (!rc)
			rc = vc_jcs_serialize(unsecured, d, err);
	}
	if (rc) {
		/* Neither buffer keeps half a canonical form. */
		buf_truncate(c, c_start);
		buf_truncate(d, d_start);
		goto out;
	}
	rc = vc_sha256(c->data + c_start, c->len - c_start, hash, err);
	if (!rc)
		rc = vc_sha256(d->data + d_start, d->len - d_start, hash + 32, err);
out:
	buf_release(&own_doc);
	buf_release(&own_config);
	return rc;
}

/* Room for the canonical form of a credential and of its proof configuration (grown past it
 * when a document is larger). */
#define CANON_HINT 4096

/*
 * hashData of eddsa-jcs-2022 for a signer: vc_proof_hash's JCS steps (the same canonical forms
 * under the same cap, the configuration's first) in one buffer allocated once, without the
 * checks that vc_proof_create_bound has made already (both objects, no proof, the suite).
 */
static int create_hash_jcs(const json_t *unsecured, const json_t *config,
                           uint8_t hash[VC_PROOF_HASH_BYTES], struct ok_error *err)
{
	struct buf b;
	int rc;

	buf_init(&b, CANON_MAX);
	/* Only a hint: if it fails, writing grows the buffer (or fails) as it would have. */
	(void)buf_grow(&b, CANON_HINT);
	rc = vc_jcs_serialize(config, &b, err);
	if (!rc)
		rc = vc_sha256(b.data, b.len, hash, err);
	if (!rc) {
		buf_reset(&b);
		rc = vc_jcs_serialize(unsecured, &b, err);
	}
	if (!rc)
		rc = vc_sha256(b.data, b.len, hash + 32, err);
	buf_release(&b);
	return rc;
}

int vc_proof_create(const json_t *unsecured, const struct vc_proof_options *opt,
                    const uint8_t sk[crypto_sign_SECRETKEYBYTES], json_t **secured,
                    struct ok_error *err)
{
	return vc_proof_create_bound(unsecured, opt, NULL, sk, secured, err);
}

int vc_proof_create_bound(const json_t *unsecured, const struct vc_proof_options *opt,
                          const struct vc_proof_expect *bind,
                          const uint8_t sk[crypto_sign_SECRETKEYBYTES], json_t **secured,
                          struct ok_error *err)
{
	uint8_t hash[VC_PROOF_HASH_BYTES], sig[SIG_BYTES];
	json_t *config = NULL, *doc = NULL;
	struct buf value;
	int rc;

	*secured = NULL;
	buf_init(&value, 256);
	if (json_is_object(unsecured) && json_object_get(unsecured, "proof")) {
		rc = ok_fail(err, OK_EUNSUPPORTED,
		             "the document already holds a proof; proof sets are not supported");
		goto out;
	}
	rc = config_bound(unsecured, opt, bind, &config, err);
	if (rc)
		goto out;
	/* The configuration's cryptosuite is vc_suite_name(opt->suite): rdfc only for RDFC. */
	if (opt->suite == VC_SUITE_RDFC)
		rc = vc_proof_hash(unsecured, config, hash, NULL, NULL, err);
	else
		rc = create_hash_jcs(unsecured, config, hash, err);
	if (rc)
		goto out;
	if (crypto_sign_detached(sig, NULL, hash, sizeof(hash), sk) != 0) {
		rc = ok_fail(err, OK_ECRYPTO, "Ed25519 signing failed");
		goto out;
	}
	rc = vc_multibase_encode(VC_MULTIBASE_BASE58BTC, sig, sizeof(sig), &value, err);
	if (rc)
		goto out;
	/* The @context was the configuration's, for hashing. An rdfc proof does not carry it (the
	 * published eddsa-rdfc-2022 vectors do not, and the verifier takes the document's); a
	 * jcs proof keeps it, as its vectors do. */
	if (opt->suite == VC_SUITE_RDFC)
		json_object_del(config, "@context");
	/* A shallow copy (see proof.h): a deep one cost about a quarter of a signature. */
	doc = json_copy((json_t *)unsecured);
	/* base58btc digits and 'z': ASCII, so UTF-8 without a check. */
	if (!doc ||
	    json_object_set_new_nocheck(config, "proofValue",
	                                json_stringn_nocheck(value.data, value.len)) ||
	    json_object_set_nocheck(doc, "proof", config)) {
		rc = nomem(err);
		goto out;
	}
	*secured = doc;
	doc = NULL;
out:
	json_decref(doc);
	json_decref(config);
	buf_release(&value);
	sodium_memzero(hash, sizeof(hash));
	return rc;
}

/* Verifying */

/* The member of the credential that a failed step is about. */
static const char *step_field(enum vc_proof_check step)
{
	switch (step) {
	case VC_PROOF_WRONG_TYPE:
		return "proof.type";
	case VC_PROOF_UNKNOWN_CRYPTOSUITE:
		return "proof.cryptosuite";
	case VC_PROOF_WRONG_PURPOSE:
		return "proof.proofPurpose";
	case VC_PROOF_BAD_CREATED:
		return "proof.created";
	case VC_PROOF_BAD_MULTIBASE:
	case VC_PROOF_BAD_SIGNATURE_LENGTH:
	case VC_PROOF_BAD_SIGNATURE:
		return "proof.proofValue";
	case VC_PROOF_CONTEXT_MISMATCH:
		return "proof.@context";
	case VC_PROOF_KEY_UNRESOLVED:
		return "proof.verificationMethod";
	case VC_PROOF_CHALLENGE_MISMATCH:
		return "proof.challenge";
	case VC_PROOF_NOT_CANONICAL:
		return "credential";
	case VC_PROOF_DOMAIN_MISMATCH:
		return "proof.domain";
	default:
		return "proof";
	}
}

static int reject(enum vc_proof_check *failed, enum vc_proof_check step, struct ok_error *err,
                  const char *msg)
{
	if (failed)
		*failed = step;
	return ok_fail_field(err, OK_EINVALID, step_field(step), "%s", msg);
}

/* proofValue's base58btc text (after its 'z') decoded into sig: an Ed25519 signature of 64 bytes,
 * else the step it fails. */
static int signature_decoded(const char *value, size_t len, uint8_t sig[2 * SIG_BYTES],
                             enum vc_proof_check *failed, struct ok_error *err)
{
	struct ok_error sub;
	size_t sig_len = 0;
	int rc;

	ok_error_clear(&sub);
	rc = vc_multibase_decode(value, len, sig, 2 * SIG_BYTES, &sig_len, NULL, &sub);
	if (rc == OK_ETOOBIG)
		return reject(failed, VC_PROOF_BAD_SIGNATURE_LENGTH, err,
		              "the signature is far longer than 64 bytes");
	if (rc)
		return reject(failed, VC_PROOF_BAD_MULTIBASE, err,
		              "proofValue is not valid base58btc");
	if (sig_len != SIG_BYTES) {
		if (failed)
			*failed = VC_PROOF_BAD_SIGNATURE_LENGTH;
		return ok_fail_field(err, OK_EINVALID, "proof.proofValue",
		                     "the signature is %zu bytes, an Ed25519 signature is 64",
		                     sig_len);
	}
	return 0;
}

/* The verification method named by the proof could not be resolved to a key (sub says why). */
static int unresolved(enum vc_proof_check *failed, const struct ok_error *sub, struct ok_error *err)
{
	if (failed)
		*failed = VC_PROOF_KEY_UNRESOLVED;
	return ok_fail_field(err, OK_EINVALID, "proof.verificationMethod",
	                     "cannot resolve the verification method: %s", sub->message);
}

/* The last steps of both readers' verification: hash_rc is what hashing the document and the
 * proof configuration gave (sub its message), then the signature over hash by pk. */
static int signature_checked(int hash_rc, const struct ok_error *sub, const char *suite,
                             const uint8_t *sig, const uint8_t hash[VC_PROOF_HASH_BYTES],
                             const uint8_t pk[VC_ED25519_PUB_BYTES], enum vc_proof_check *failed,
                             struct ok_error *err)
{
	if (hash_rc == OK_EINPUT || hash_rc == OK_ETOOBIG) {
		/* Only rdfc fails here on a document the checks before let through: the document
		 * (or its proof) is no JSON-LD we can canonicalize, which no retry changes. */
		if (failed)
			*failed = VC_PROOF_NOT_CANONICAL;
		return ok_fail_field(err, hash_rc == OK_ETOOBIG ? OK_ETOOBIG : OK_EINVALID,
		                     "credential", "cannot canonicalize the document for %s: %s",
		                     suite, sub->message);
	}
	if (hash_rc)
		return ok_fail(err, hash_rc, "%s", sub->message);
	if (crypto_sign_verify_detached(sig, hash, VC_PROOF_HASH_BYTES, pk) != 0)
		return reject(failed, VC_PROOF_BAD_SIGNATURE, err,
		              "the signature does not match: the credential was altered or signed "
		              "with another key");
	if (failed)
		*failed = VC_PROOF_VALID;
	return 0;
}

/* The string member key of proof, or NULL. */
static const char *member(const json_t *proof, const char *key)
{
	return json_string_value(json_object_get(proof, key));
}

/*
 * The @context rule of eddsa-jcs-2022: the document's @context must start with all values of
 * the proof's @context, in the same order. A lone string counts as a list of one.
 */
static bool context_prefix(const json_t *proof_ctx, const json_t *doc_ctx)
{
	size_t np, nd, i;
	const json_t *p, *d;

	if (!doc_ctx)
		return false;
	np = json_is_array(proof_ctx) ? json_array_size(proof_ctx) : 1;
	nd = json_is_array(doc_ctx) ? json_array_size(doc_ctx) : 1;
	if (np > nd)
		return false;
	for (i = 0; i < np; i++) {
		p = json_is_array(proof_ctx) ? json_array_get(proof_ctx, i) : proof_ctx;
		d = json_is_array(doc_ctx) ? json_array_get(doc_ctx, i) : doc_ctx;
		if (!json_equal(p, d))
			return false;
	}
	return true;
}

/* Whether the JSON string s is want, whole: a "\u0000" inside s does not end it early. */
static bool string_is(const json_t *s, const char *want)
{
	return json_is_string(s) && json_string_length(s) == strlen(want) &&
	       memcmp(json_string_value(s), want, json_string_length(s)) == 0;
}

/* Whether the proof's domain (a string, or an array of strings) is or holds want. */
static bool domain_matches(const json_t *domain, const char *want)
{
	size_t i;

	if (json_is_string(domain))
		return string_is(domain, want);
	for (i = 0; i < json_array_size(domain); i++)
		if (string_is(json_array_get(domain, i), want))
			return true;
	return false;
}

int vc_proof_verify(const json_t *secured, vc_proof_resolve_fn resolve, void *ctx,
                    enum vc_proof_check *failed, struct ok_error *err)
{
	return vc_proof_verify_expect(secured, NULL, resolve, ctx, failed, err);
}

int vc_proof_verify_expect(const json_t *secured, const struct vc_proof_expect *expect,
                           vc_proof_resolve_fn resolve, void *ctx, enum vc_proof_check *failed,
                           struct ok_error *err)
{
	const char *want_purpose = expect && expect->purpose ? expect->purpose : VC_PROOF_PURPOSE;
	uint8_t sig[2 * SIG_BYTES], pk[VC_ED25519_PUB_BYTES], hash[VC_PROOF_HASH_BYTES];
	json_t *proof, *unsecured = NULL, *config = NULL, *proof_ctx, *doc_ctx;
	const char *type, *suite, *purpose, *vm, *created, *value;
	enum vc_suite suite_id;
	struct ok_error sub;
	int rc;

	if (failed)
		*failed = VC_PROOF_MALFORMED;
	ok_error_clear(&sub);
	if (!json_is_object(secured))
		return reject(failed, VC_PROOF_MALFORMED, err,
		              "the credential is not a JSON object");
	proof = json_object_get(secured, "proof");
	if (!proof)
		return reject(failed, VC_PROOF_MALFORMED, err, "the credential has no proof");
	if (json_is_array(proof))
		return reject(failed, VC_PROOF_MALFORMED, err,
		              "the credential holds a proof set; only a single proof is supported");
	if (!json_is_object(proof))
		return reject(failed, VC_PROOF_MALFORMED, err, "the proof is not a JSON object");

	type = member(proof, "type");
	if (!type || strcmp(type, VC_PROOF_TYPE) != 0)
		return reject(failed, VC_PROOF_WRONG_TYPE, err,
		              "the proof type is not DataIntegrityProof");
	suite = member(proof, "cryptosuite");
	if (vc_suite_parse(suite, &suite_id) != 0)
		return reject(failed, VC_PROOF_UNKNOWN_CRYPTOSUITE, err,
		              "unknown cryptosuite: only eddsa-jcs-2022 and eddsa-rdfc-2022 are "
		              "supported");
	purpose = member(proof, "proofPurpose");
	if (!purpose || strcmp(purpose, want_purpose) != 0) {
		if (failed)
			*failed = VC_PROOF_WRONG_PURPOSE;
		return ok_fail_field(err, OK_EINVALID, "proof.proofPurpose",
		                     "the proof purpose is not %s", want_purpose);
	}
	/* Compared before any key is looked up: a replayed presentation costs no fetch. */
	if (expect && expect->challenge &&
	    !string_is(json_object_get(proof, "challenge"), expect->challenge))
		return reject(failed, VC_PROOF_CHALLENGE_MISMATCH, err,
		              member(proof, "challenge")
		                      ? "the proof's challenge is not the one asked for"
		                      : "the proof has no challenge, and one was asked for");
	if (expect && expect->domain &&
	    !domain_matches(json_object_get(proof, "domain"), expect->domain))
		return reject(failed, VC_PROOF_DOMAIN_MISMATCH, err,
		              json_object_get(proof, "domain")
		                      ? "the proof's domain is not the one asked for"
		                      : "the proof has no domain, and one was asked for");
	vm = member(proof, "verificationMethod");
	if (!vm || !*vm)
		return reject(failed, VC_PROOF_MALFORMED, err,
		              "the proof has no verificationMethod string");
	if (json_object_get(proof, "created")) {
		created = member(proof, "created");
		if (!vc_proof_valid_datetime(created))
			return reject(failed, VC_PROOF_BAD_CREATED, err,
			              "the proof's created is not a valid date-time");
	}
	if (!json_object_get(proof, "proofValue"))
		return reject(failed, VC_PROOF_MALFORMED, err, "the proof has no proofValue");
	value = member(proof, "proofValue");
	if (!value || value[0] != 'z')
		return reject(failed, VC_PROOF_BAD_MULTIBASE, err,
		              "proofValue is not a base58btc multibase string (starting with 'z')");
	if ((rc = signature_decoded(value, strlen(value), sig, failed, err)))
		return rc;

	/* The @context rule, then the unsecured document and proof configuration it implies. */
	proof_ctx = json_object_get(proof, "@context");
	doc_ctx = json_object_get(secured, "@context");
	if (proof_ctx && !context_prefix(proof_ctx, doc_ctx))
		return reject(failed, VC_PROOF_CONTEXT_MISMATCH, err,
		              "the document's @context does not start with the proof's @context");
	unsecured = json_copy((json_t *)secured);
	config = json_copy(proof);
	if (!unsecured || !config) {
		rc = nomem(err);
		goto out;
	}
	json_object_del(unsecured, "proof");
	json_object_del(config, "proofValue");
	if (proof_ctx && json_object_set(unsecured, "@context", proof_ctx)) {
		rc = nomem(err);
		goto out;
	}
	doc_ctx = json_object_get(unsecured, "@context");
	if (doc_ctx && json_object_set(config, "@context", doc_ctx)) {
		rc = nomem(err);
		goto out;
	}

	if (!resolve) {
		rc = reject(failed, VC_PROOF_KEY_UNRESOLVED, err, "no key resolver given");
		goto out;
	}
	rc = resolve(ctx, vm, purpose, pk, &sub);
	if (rc) {
		rc = unresolved(failed, &sub, err);
		goto out;
	}
	rc = vc_proof_hash(unsecured, config, hash, NULL, NULL, &sub);
	rc = signature_checked(rc, &sub, suite, sig, hash, pk, failed, err);
out:
	json_decref(unsecured);
	json_decref(config);
	return rc;
}

/* Verifying from a json_tree */

/* Objects of more members than this are compared by their members sorted by name. */
#define SMALL_OBJECT 16

struct member_ref {
	const char *key;
	size_t len;
	uint32_t node;
};

static int cmp_member(const void *a, const void *b)
{
	const struct member_ref *x = a, *y = b;

	if (x->len != y->len)
		return x->len < y->len ? -1 : 1;
	return memcmp(x->key, y->key, x->len);
}

static int tree_equal(const struct json_tree *t, uint32_t a, uint32_t b);

/* The members of object o into refs (json_tree_size(t, o) of them), sorted by name. */
static void sorted_members(const struct json_tree *t, uint32_t o, struct member_ref *refs)
{
	size_t k = 0;
	uint32_t c;

	json_tree_foreach(t, o, c)
	{
		refs[k].key = json_tree_key(t, c, &refs[k].len);
		refs[k].node = c;
		k++;
	}
	qsort(refs, k, sizeof(*refs), cmp_member);
}

/* Objects a and b of n members each: names are unique (the reader refuses repeats), so they are
 * equal when their members sorted by name pair up, name and value: O(n log n). */
static int objects_equal(const struct json_tree *t, uint32_t a, uint32_t b, size_t n)
{
	struct member_ref *ra = malloc(2 * n * sizeof(*ra)), *rb;
	int rc = 1;

	if (!ra)
		return OK_ENOMEM;
	rb = ra + n;
	sorted_members(t, a, ra);
	sorted_members(t, b, rb);
	for (size_t i = 0; i < n && rc == 1; i++)
		rc = cmp_member(&ra[i], &rb[i]) != 0 ? 0 : tree_equal(t, ra[i].node, rb[i].node);
	free(ra);
	return rc;
}

/* Deep equality as json_equal sees the values vc_jcs_parse makes (every number a double):
 * 1 equal, 0 not, OK_ENOMEM. */
static int tree_equal(const struct json_tree *t, uint32_t a, uint32_t b)
{
	enum json_tree_type ty = json_tree_type(t, a);
	const char *sa, *sb;
	size_t la, lb, n;
	double da, db;
	uint32_t c, d;
	int rc;

	if (ty != json_tree_type(t, b))
		return 0;
	switch (ty) {
	case JSON_TREE_STRING:
		sa = json_tree_str(t, a, &la);
		sb = json_tree_str(t, b, &lb);
		return la == lb && memcmp(sa, sb, la) == 0;
	case JSON_TREE_NUMBER:
		return json_tree_double(t, a, &da) == 0 && json_tree_double(t, b, &db) == 0 &&
		       da == db;
	case JSON_TREE_ARRAY:
		if (json_tree_size(t, a) != json_tree_size(t, b))
			return 0;
		for (c = json_tree_first(t, a), d = json_tree_first(t, b); c;
		     c = json_tree_next(t, a, c), d = json_tree_next(t, b, d))
			if ((rc = tree_equal(t, c, d)) != 1)
				return rc;
		return 1;
	case JSON_TREE_OBJECT:
		n = json_tree_size(t, a);
		if (n != json_tree_size(t, b))
			return 0;
		if (n > SMALL_OBJECT)
			return objects_equal(t, a, b, n);
		json_tree_foreach(t, a, c)
		{
			sa = json_tree_key(t, c, &la);
			d = json_tree_getn(t, b, sa, la);
			if (!d)
				return 0;
			if ((rc = tree_equal(t, c, d)) != 1)
				return rc;
		}
		return 1;
	default:
		return 1;
	}
}

/* context_prefix on the tree: 1 a prefix, 0 not, OK_ENOMEM. */
static int tree_context_prefix(const struct json_tree *t, uint32_t proof_ctx, uint32_t doc_ctx)
{
	bool pa = json_tree_is(t, proof_ctx, JSON_TREE_ARRAY);
	bool da = json_tree_is(t, doc_ctx, JSON_TREE_ARRAY);
	size_t np = pa ? json_tree_size(t, proof_ctx) : 1;
	size_t nd = da ? json_tree_size(t, doc_ctx) : 1;
	uint32_t p = pa ? json_tree_first(t, proof_ctx) : proof_ctx;
	uint32_t d = da ? json_tree_first(t, doc_ctx) : doc_ctx;
	size_t i;
	int rc;

	if (!doc_ctx || np > nd)
		return 0;
	for (i = 0; i < np; i++) {
		if ((rc = tree_equal(t, p, d)) != 1)
			return rc;
		p = pa ? json_tree_next(t, proof_ctx, p) : 0;
		d = da ? json_tree_next(t, doc_ctx, d) : 0;
	}
	return 1;
}

static bool tree_domain_matches(const struct json_tree *t, uint32_t domain, const char *want)
{
	uint32_t c;

	if (json_tree_is(t, domain, JSON_TREE_STRING))
		return json_tree_str_is(t, domain, want);
	if (json_tree_is(t, domain, JSON_TREE_ARRAY))
		json_tree_foreach(t, domain, c) if (json_tree_str_is(t, c, want)) return true;
	return false;
}

/* vc_proof_valid_datetime of string i (a fraction may make it long: copied whole). */
static bool tree_datetime(const struct json_tree *t, uint32_t i)
{
	char small[64], *c = small;
	size_t len;
	const char *s = json_tree_str(t, i, &len);
	bool ok;

	if (!s)
		return false;
	if (len >= sizeof(small) && !(c = malloc(len + 1)))
		return false;
	memcpy(c, s, len);
	c[len] = '\0';
	ok = vc_proof_valid_datetime(c);
	if (c != small)
		free(c);
	return ok;
}

/* eddsa-rdfc-2022 on jansson: same, the caller's copy of the document (numbers as doubles), or
 * one converted here when it has none. */
static int verify_tree_rdfc(const struct json_tree *t, uint32_t doc, const json_t *same,
                            const struct vc_proof_expect *expect, vc_proof_resolve_fn resolve,
                            void *ctx, enum vc_proof_check *failed, struct ok_error *err)
{
	json_t *v = NULL;
	int rc;

	if (same)
		return vc_proof_verify_expect(same, expect, resolve, ctx, failed, err);
	if ((rc = json_tree_to_jansson_flags(t, doc, JSON_TREE_TO_REALS, &v, err)))
		return rc;
	rc = vc_proof_verify_expect(v, expect, resolve, ctx, failed, err);
	json_decref(v);
	return rc;
}

#define TREE_HASH_CONFIG_ROOM 1023
#define TREE_HASH_DOC_ROOM    4095

/* Hashes the unsecured document and the proof configuration, both written from the tree. */
static int tree_hash(const struct json_tree *t, uint32_t doc, uint32_t proof, uint32_t proof_ctx,
                     uint8_t hash[VC_PROOF_HASH_BYTES], struct ok_error *err)
{
	uint32_t doc_ctx = proof_ctx ? proof_ctx : json_tree_get(t, doc, "@context");
	struct buf c, d;
	int rc;

	buf_init(&c, CANON_MAX);
	buf_init(&d, CANON_MAX);
	/* Room for a typical proof configuration and credential at once (1 and 4 KiB with the
	 * NUL), not grown by doubling from nothing (a larger one still grows). */
	if (buf_grow(&c, TREE_HASH_CONFIG_ROOM) || buf_grow(&d, TREE_HASH_DOC_ROOM))
		rc = ok_fail(err, OK_ENOMEM, "out of memory");
	else
		rc = vc_jcs_serialize_tree(t, proof, "proofValue", doc_ctx, &c, err);
	if (!rc)
		rc = vc_jcs_serialize_tree(t, doc, "proof", proof_ctx, &d, err);
	if (!rc)
		rc = vc_sha256(c.data, c.len, hash, err);
	if (!rc)
		rc = vc_sha256(d.data, d.len, hash + 32, err);
	buf_release(&c);
	buf_release(&d);
	return rc;
}

int vc_proof_verify_tree(const struct json_tree *t, uint32_t doc, const json_t *same,
                         const struct vc_proof_expect *expect, vc_proof_resolve_fn resolve,
                         void *ctx, enum vc_proof_check *failed, struct ok_error *err)
{
	const char *want_purpose = expect && expect->purpose ? expect->purpose : VC_PROOF_PURPOSE;
	uint8_t sig[2 * SIG_BYTES], pk[VC_ED25519_PUB_BYTES], hash[VC_PROOF_HASH_BYTES];
	uint32_t proof, n_purpose, n_vm, n_created, n_value, proof_ctx, doc_ctx;
	const char *s, *suite;
	struct ok_error sub;
	size_t len;
	char *vm = NULL;
	int rc;

	if (failed)
		*failed = VC_PROOF_MALFORMED;
	ok_error_clear(&sub);
	if (!json_tree_is(t, doc, JSON_TREE_OBJECT))
		return reject(failed, VC_PROOF_MALFORMED, err,
		              "the credential is not a JSON object");
	proof = json_tree_get(t, doc, "proof");
	if (!proof)
		return reject(failed, VC_PROOF_MALFORMED, err, "the credential has no proof");
	if (json_tree_is(t, proof, JSON_TREE_ARRAY))
		return reject(failed, VC_PROOF_MALFORMED, err,
		              "the credential holds a proof set; only a single proof is supported");
	if (!json_tree_is(t, proof, JSON_TREE_OBJECT))
		return reject(failed, VC_PROOF_MALFORMED, err, "the proof is not a JSON object");
	if (json_tree_str_is(t, json_tree_get(t, proof, "cryptosuite"), VC_PROOF_CRYPTOSUITE_RDFC))
		return verify_tree_rdfc(t, doc, same, expect, resolve, ctx, failed, err);

	if (!json_tree_str_is(t, json_tree_get(t, proof, "type"), VC_PROOF_TYPE))
		return reject(failed, VC_PROOF_WRONG_TYPE, err,
		              "the proof type is not DataIntegrityProof");
	if (!json_tree_str_is(t, json_tree_get(t, proof, "cryptosuite"), VC_PROOF_CRYPTOSUITE))
		return reject(failed, VC_PROOF_UNKNOWN_CRYPTOSUITE, err,
		              "unknown cryptosuite: only eddsa-jcs-2022 and eddsa-rdfc-2022 are "
		              "supported");
	suite = VC_PROOF_CRYPTOSUITE;
	n_purpose = json_tree_get(t, proof, "proofPurpose");
	if (!json_tree_str_is(t, n_purpose, want_purpose)) {
		if (failed)
			*failed = VC_PROOF_WRONG_PURPOSE;
		return ok_fail_field(err, OK_EINVALID, "proof.proofPurpose",
		                     "the proof purpose is not %s", want_purpose);
	}
	if (expect && expect->challenge &&
	    !json_tree_str_is(t, json_tree_get(t, proof, "challenge"), expect->challenge))
		return reject(
		        failed, VC_PROOF_CHALLENGE_MISMATCH, err,
		        json_tree_is(t, json_tree_get(t, proof, "challenge"), JSON_TREE_STRING)
		                ? "the proof's challenge is not the one asked for"
		                : "the proof has no challenge, and one was asked for");
	if (expect && expect->domain &&
	    !tree_domain_matches(t, json_tree_get(t, proof, "domain"), expect->domain))
		return reject(failed, VC_PROOF_DOMAIN_MISMATCH, err,
		              json_tree_get(t, proof, "domain")
		                      ? "the proof's domain is not the one asked for"
		                      : "the proof has no domain, and one was asked for");
	n_vm = json_tree_get(t, proof, "verificationMethod");
	s = json_tree_str(t, n_vm, &len);
	if (!s || len == 0)
		return reject(failed, VC_PROOF_MALFORMED, err,
		              "the proof has no verificationMethod string");
	n_created = json_tree_get(t, proof, "created");
	if (n_created && !tree_datetime(t, n_created))
		return reject(failed, VC_PROOF_BAD_CREATED, err,
		              "the proof's created is not a valid date-time");
	n_value = json_tree_get(t, proof, "proofValue");
	if (!n_value)
		return reject(failed, VC_PROOF_MALFORMED, err, "the proof has no proofValue");
	s = json_tree_str(t, n_value, &len);
	if (!s || len == 0 || s[0] != 'z')
		return reject(failed, VC_PROOF_BAD_MULTIBASE, err,
		              "proofValue is not a base58btc multibase string (starting with 'z')");
	if ((rc = signature_decoded(s, len, sig, failed, err)))
		return rc;
	proof_ctx = json_tree_get(t, proof, "@context");
	doc_ctx = json_tree_get(t, doc, "@context");
	if (proof_ctx && (rc = tree_context_prefix(t, proof_ctx, doc_ctx)) != 1) {
		if (rc < 0)
			return nomem(err);
		return reject(failed, VC_PROOF_CONTEXT_MISMATCH, err,
		              "the document's @context does not start with the proof's @context");
	}
	if (!resolve)
		return reject(failed, VC_PROOF_KEY_UNRESOLVED, err, "no key resolver given");
	/* The resolver takes C strings: the purpose was compared whole, so it is want_purpose. */
	s = json_tree_str(t, n_vm, &len);
	vm = malloc(len + 1);
	if (!vm)
		return nomem(err);
	memcpy(vm, s, len);
	vm[len] = '\0';
	rc = resolve(ctx, vm, want_purpose, pk, &sub);
	if (rc) {
		rc = unresolved(failed, &sub, err);
		goto out;
	}
	rc = tree_hash(t, doc, proof, proof_ctx, hash, &sub);
	rc = signature_checked(rc, &sub, suite, sig, hash, pk, failed, err);
out:
	free(vm);
	sodium_memzero(hash, sizeof(hash));
	return rc;
}
