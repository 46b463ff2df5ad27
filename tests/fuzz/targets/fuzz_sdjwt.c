/* libFuzzer target for the SD-JWT reader (jose_sdjwt_verify): any bytes, with the issuer's key
 * taken from the header's "jwk" member when there is one (so that inputs past the signature can
 * be reached from the seeds), and as a presentation input (jose_sdjwt_present). On success the
 * claims are an object without _sd or _sd_alg; on failure nothing is returned. The same input
 * through a memo of parsed headers (jose/jws.h) gives the same answer, parsed and remembered.
 * The same bytes are also the payload of a key-binding JWT that a fixed holder signs, after a
 * fixed SD-JWT naming that holder, so that every input reaches the KB-JWT's payload reader
 * ("@H" in the input stands for the presentation's sd_hash); a KB-JWT that verifies has a
 * payload jansson reads as an object without repeated names, with the nonce and aud asked for. */
#include <sodium.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "jose/jwk.h"
#include "jose/jws.h"
#include "jose/sdjwt.h"

/* The fixed issuer and holder and the SD-JWT the KB-JWTs follow, made once at start and only
 * read afterwards. */
static struct {
	struct jose_signer issuer, holder;
	struct buf issued; /* "<jws>~" */
	char sd_hash[64];
} kb;

static int fixed_issuer(void *ctx, const json_t *header, const json_t *payload,
                        struct jose_jwk *key, struct ok_error *err)
{
	(void)header;
	(void)payload;
	return jose_signer_public(ctx, key, err);
}

static void kb_fixture(void)
{
	uint8_t seed[JOSE_ED25519_BYTES], h[crypto_hash_sha256_BYTES];
	struct jose_jwk pub = {0};
	json_t *jwk = NULL, *claims;

	memset(seed, 1, sizeof(seed));
	if (jose_signer_ed25519_from_seed(&kb.issuer, seed, NULL))
		abort();
	memset(seed, 2, sizeof(seed));
	if (jose_signer_ed25519_from_seed(&kb.holder, seed, NULL) ||
	    jose_signer_public(&kb.holder, &pub, NULL) || jose_jwk_to_json(&pub, &jwk, NULL))
		abort();
	claims = json_pack("{s:s,s:{s:o}}", "iss", "https://i.example", "cnf", "jwk", jwk);
	buf_init(&kb.issued, (size_t)1 << 16);
	if (!claims || jose_sdjwt_issue(claims, NULL, NULL, &kb.issuer, &kb.issued, NULL))
		abort();
	crypto_hash_sha256(h, (const uint8_t *)kb.issued.data, kb.issued.len);
	sodium_bin2base64(kb.sd_hash, sizeof(kb.sd_hash), h, sizeof(h),
	                  sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	json_decref(claims);
	jose_jwk_release(&pub);
}

/* The input as a KB-JWT's payload. */
static void kb_payload(const uint8_t *data, size_t size)
{
	struct jose_sdjwt_expect x = {
	        .algs = JOSE_ALG_EDDSA,
	        .issuer_key = fixed_issuer,
	        .ctx = &kb.issuer,
	        .now = 1767225600,
	        .kb_max_age_s = 1000000000,
	        .aud = "a",
	        .nonce = "n",
	};
	json_t *header = json_pack("{s:s}", "typ", "kb+jwt"), *p;
	struct jose_sdjwt_result r;
	struct buf text, pres;
	struct ok_error err;
	int rc;

	buf_init(&text, (size_t)1 << 20);
	buf_init(&pres, JOSE_SDJWT_MAX);
	for (size_t i = 0; i < size; i++) {
		bool hash = data[i] == '@' && i + 1 < size && data[i + 1] == 'H';

		if (hash ? buf_addstr(&text, kb.sd_hash) : buf_addch(&text, (char)data[i]))
			goto out;
		i += hash;
	}
	if (!header || buf_add(&pres, kb.issued.data, kb.issued.len) ||
	    jose_jws_sign(header, text.data, text.len, &kb.holder, &pres, NULL))
		goto out;
	ok_error_clear(&err);
	rc = jose_sdjwt_verify(pres.data, pres.len, &x, &r, &err);
	if (rc == 0) {
		p = json_loadb(text.data, text.len, JSON_REJECT_DUPLICATES, NULL);
		const char *nonce = json_string_value(json_object_get(p, "nonce"));
		const char *aud = json_string_value(json_object_get(p, "aud"));

		if (!r.key_bound || !json_is_object(p) || !nonce || strcmp(nonce, "n") != 0 ||
		    !aud || strcmp(aud, "a") != 0)
			abort();
		json_decref(p);
	} else if (err.code == 0 || r.key_bound) {
		abort();
	}
	jose_sdjwt_result_release(&r);
out:
	json_decref(header);
	buf_release(&text);
	buf_release(&pres);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	if (sodium_init() < 0)
		abort();
	kb_fixture();
	return 0;
}

static int key_from_header(void *ctx, const json_t *header, const json_t *payload,
                           struct jose_jwk *key, struct ok_error *err)
{
	(void)ctx;
	(void)payload;
	return jose_jwk_parse(json_object_get(header, "jwk"), key, err);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct jose_sdjwt_expect x = {
	        .algs = JOSE_ALG_ES256 | JOSE_ALG_EDDSA,
	        .issuer_key = key_from_header,
	        .now = 1767225600,
	        .kb_max_age_s = 1000000000,
	};
	json_t *frame = json_pack("{s:b,s:{s:b}}", "a", 1, "b", "0", 1);
	struct jose_sdjwt_result r;
	struct ok_error err;
	struct buf out;
	int rc;

	ok_error_clear(&err);
	rc = jose_sdjwt_verify((const char *)data, size, &x, &r, &err);
	if (rc == 0) {
		if (!json_is_object(r.claims) || json_object_get(r.claims, "_sd") ||
		    json_object_get(r.claims, "_sd_alg") || !json_is_object(r.header))
			abort();
	} else if (err.code == 0 || r.claims || r.header || r.key_bound) {
		abort();
	}
	jose_sdjwt_result_release(&r);
	/* Through a verifier's memo of headers, twice (parsed, then remembered): the same answer.
	 */
	{
		struct jose_jws_header_memo memo;
		int again;

		memset(&memo, 0, sizeof(memo));
		x.headers = &memo;
		for (int i = 0; i < 2; i++) {
			again = jose_sdjwt_verify((const char *)data, size, &x, &r, NULL);
			jose_sdjwt_result_release(&r);
			if (again != rc)
				abort();
		}
		jose_jws_header_memo_release(&memo);
	}
	buf_init(&out, JOSE_SDJWT_MAX);
	(void)jose_sdjwt_present((const char *)data, size, frame, NULL, &out, NULL);
	buf_release(&out);
	json_decref(frame);
	kb_payload(data, size);
	return 0;
}
