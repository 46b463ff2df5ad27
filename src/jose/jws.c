/* JWS compact: ES256 (OpenSSL libcrypto), EdDSA (libsodium), RS256/PS256 verification. */
#include "jose/jws.h"

#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/rsa.h>
#include <stdlib.h>
#include <string.h>

#include "jose/b64.h"
#include "jose/jsonw.h"

static int fail(struct ok_error *err, int code, const char *field, const char *msg)
{
	return ok_fail_field(err, code, field, "%s", msg);
}

/* Maps an alg name to the enum; refuses none, HMAC and unknown names with a reason. */
static int alg_of(const char *name, enum jose_alg *alg, struct ok_error *err)
{
	static const struct {
		const char *name;
		enum jose_alg alg;
	} known[] = {{"ES256", JOSE_ALG_ES256},
	             {"EdDSA", JOSE_ALG_EDDSA},
	             {"RS256", JOSE_ALG_RS256},
	             {"PS256", JOSE_ALG_PS256}};
	size_t i;

	for (i = 0; i < sizeof(known) / sizeof(known[0]); i++)
		if (strcmp(name, known[i].name) == 0) {
			*alg = known[i].alg;
			return 0;
		}
	if (strcmp(name, "none") == 0)
		return fail(err, OK_EINPUT, "header.alg", "alg \"none\" is never accepted");
	if (strncmp(name, "HS", 2) == 0)
		return fail(err, OK_EINPUT, "header.alg", "HMAC algorithms are never accepted");
	return fail(err, OK_EINPUT, "header.alg", "the signature algorithm is not supported");
}

static int check_crit(const json_t *header, const char *const *crit_ok, struct ok_error *err)
{
	const json_t *crit = json_object_get(header, "crit"), *v;
	size_t i, k;

	if (json_object_get(header, "b64"))
		return fail(err, OK_EINPUT, "header.b64",
		            "unencoded payloads (b64) are not accepted");
	if (!crit)
		return 0;
	if (!json_is_array(crit) || json_array_size(crit) == 0)
		return fail(err, OK_EINPUT, "header.crit", "crit is not a non-empty array");
	json_array_foreach(crit, i, v)
	{
		int known = 0;

		if (!json_is_string(v))
			return fail(err, OK_EINPUT, "header.crit", "crit holds a non-string");
		for (k = 0; crit_ok && crit_ok[k]; k++)
			if (strcmp(crit_ok[k], json_string_value(v)) == 0)
				known = 1;
		if (!known)
			return fail(err, OK_EINPUT, "header.crit",
			            "the header names a critical extension this verifier does not "
			            "know");
		if (!json_object_get(header, json_string_value(v)))
			return fail(err, OK_EINPUT, "header.crit",
			            "a critical extension is named but not present");
	}
	return 0;
}

/* The header of hlen base64url characters at h, from memo when it holds them (a new reference
 * in *out either way); a header parsed anew goes into memo. */
static int read_header(const char *h, size_t hlen, struct jose_jws_header_memo *memo, json_t **out,
                       struct ok_error *err)
{
	struct buf hdr;
	json_error_t jerr;
	size_t i;
	int rc;

	*out = NULL;
	for (i = 0; memo && i < JOSE_JWS_HEADER_MEMO_ENTRIES; i++)
		if (memo->e[i].text && memo->e[i].len == hlen &&
		    memcmp(memo->e[i].text, h, hlen) == 0) {
			*out = json_incref(memo->e[i].header);
			return 0;
		}
	buf_init(&hdr, JOSE_JWS_HEADER_MAX);
	rc = jose_b64_decode_buf(h, hlen, &hdr, "header", err);
	if (rc) {
		buf_release(&hdr);
		return rc;
	}
	*out = json_loadb(hdr.data, hdr.len, JSON_REJECT_DUPLICATES, &jerr);
	buf_release(&hdr);
	if (!json_is_object(*out))
		return fail(err, OK_EINPUT, "header", "the JWS header is not a JSON object");
	if (memo) {
		char *text = malloc(hlen);

		if (text) {
			i = memo->next;
			memo->next = (memo->next + 1) % JOSE_JWS_HEADER_MEMO_ENTRIES;
			free(memo->e[i].text);
			json_decref(memo->e[i].header);
			memcpy(text, h, hlen);
			memo->e[i].text = text;
			memo->e[i].len = hlen;
			memo->e[i].header = json_incref(*out);
		}
	}
	return 0;
}

void jose_jws_header_memo_release(struct jose_jws_header_memo *memo)
{
	size_t i;

	if (!memo)
		return;
	for (i = 0; i < JOSE_JWS_HEADER_MEMO_ENTRIES; i++) {
		free(memo->e[i].text);
		json_decref(memo->e[i].header);
	}
	memset(memo, 0, sizeof(*memo));
}

int jose_jws_parse(const char *s, size_t n, unsigned allowed, const char *const *crit_ok,
                   struct jose_jws *jws, struct ok_error *err)
{
	return jose_jws_parse_memo(s, n, allowed, crit_ok, NULL, jws, err);
}

int jose_jws_parse_memo(const char *s, size_t n, unsigned allowed, const char *const *crit_ok,
                        struct jose_jws_header_memo *memo, struct jose_jws *jws,
                        struct ok_error *err)
{
	const char *dot1, *dot2, *alg_name;
	int rc;

	memset(jws, 0, sizeof(*jws));
	buf_init(&jws->payload, n);
	if (n > JOSE_JWS_MAX)
		return fail(err, OK_ETOOBIG, "jws", "the JWS is too long");
	dot1 = memchr(s, '.', n);
	dot2 = dot1 ? memchr(dot1 + 1, '.', n - (size_t)(dot1 + 1 - s)) : NULL;
	if (!dot2 || memchr(dot2 + 1, '.', n - (size_t)(dot2 + 1 - s)))
		return fail(err, OK_EINPUT, "jws", "a compact JWS has exactly three parts");
	if (dot1 == s)
		return fail(err, OK_EINPUT, "jws", "the JWS header is empty");
	if ((size_t)(dot1 - s) > JOSE_JWS_HEADER_MAX / 3 * 4)
		return fail(err, OK_ETOOBIG, "header", "the JWS header is too long");

	rc = read_header(s, (size_t)(dot1 - s), memo, &jws->header, err);
	if (rc)
		return rc;
	if (!json_is_string(json_object_get(jws->header, "alg")))
		return fail(err, OK_EINPUT, "header.alg", "the JWS header has no alg");
	alg_name = json_string_value(json_object_get(jws->header, "alg"));
	rc = alg_of(alg_name, &jws->alg, err);
	if (rc)
		return rc;
	if (!(allowed & (unsigned)jws->alg))
		return ok_fail_field(err, OK_EINPUT, "header.alg", "alg %s is not accepted here",
		                     alg_name);
	rc = check_crit(jws->header, crit_ok, err);
	if (rc)
		return rc;
	/* Checked after alg, so that an unsigned token is refused for being unsigned. */
	if (dot2 == dot1 + 1 || dot2 + 1 == s + n)
		return fail(err, OK_EINPUT, "jws", "a part of the JWS is empty");
	rc = jose_b64_decode_buf(dot1 + 1, (size_t)(dot2 - dot1 - 1), &jws->payload, "payload",
	                         err);
	if (rc)
		return rc;
	rc = jose_b64_decode(dot2 + 1, n - (size_t)(dot2 + 1 - s), jws->sig, sizeof(jws->sig),
	                     &jws->sig_len, "signature", err);
	if (rc)
		return rc;
	jws->signing_input = s;
	jws->signing_input_len = (size_t)(dot2 - s);
	return 0;
}

int jose_jws_payload_json(const struct jose_jws *jws, json_t **out, struct ok_error *err)
{
	json_error_t jerr;

	*out = json_loadb(jws->payload.data, jws->payload.len, JSON_REJECT_DUPLICATES, &jerr);
	if (!json_is_object(*out)) {
		json_decref(*out);
		*out = NULL;
		return fail(err, OK_EINPUT, "payload", "the JWS payload is not a JSON object");
	}
	return 0;
}

void jose_jws_release(struct jose_jws *jws)
{
	if (!jws)
		return;
	json_decref(jws->header);
	buf_release(&jws->payload);
	memset(jws, 0, sizeof(*jws));
}

int jose_es256_verify(EVP_PKEY *key, const void *msg, size_t n, const uint8_t sig[64],
                      struct ok_error *err)
{
	ECDSA_SIG *es = ECDSA_SIG_new();
	BIGNUM *r = BN_bin2bn(sig, 32, NULL), *sv = BN_bin2bn(sig + 32, 32, NULL);
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	unsigned char *der = NULL;
	int der_len, ok = 0;

	if (!es || !r || !sv || !md) {
		BN_free(r);
		BN_free(sv);
		goto out;
	}
	ECDSA_SIG_set0(es, r, sv); /* es owns r and s from here */
	der_len = i2d_ECDSA_SIG(es, &der);
	if (der_len > 0 && EVP_DigestVerifyInit(md, NULL, EVP_sha256(), NULL, key) == 1)
		ok = EVP_DigestVerify(md, der, (size_t)der_len, msg, n) == 1;
out:
	OPENSSL_free(der);
	EVP_MD_CTX_free(md);
	ECDSA_SIG_free(es);
	return ok ? 0 : fail(err, OK_EINVALID, "signature", "the ES256 signature does not verify");
}

int jose_es256_sign(EVP_PKEY *key, const void *msg, size_t n, uint8_t sig[64], struct ok_error *err)
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	unsigned char der[80];
	const unsigned char *p = der;
	size_t der_len = sizeof(der);
	ECDSA_SIG *es = NULL;
	int ok = 0;

	if (md && EVP_DigestSignInit(md, NULL, EVP_sha256(), NULL, key) == 1 &&
	    EVP_DigestSign(md, der, &der_len, msg, n) == 1 &&
	    (es = d2i_ECDSA_SIG(NULL, &p, (long)der_len)) != NULL)
		ok = BN_bn2binpad(ECDSA_SIG_get0_r(es), sig, 32) == 32 &&
		     BN_bn2binpad(ECDSA_SIG_get0_s(es), sig + 32, 32) == 32;
	ECDSA_SIG_free(es);
	EVP_MD_CTX_free(md);
	return ok ? 0 : ok_fail(err, OK_ECRYPTO, "ES256 signing failed");
}

static int rsa_verify(const struct jose_jws *jws, EVP_PKEY *key, int pss, struct ok_error *err)
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	EVP_PKEY_CTX *pctx = NULL;
	int ok = 0;

	if ((size_t)EVP_PKEY_get_size(key) != jws->sig_len) {
		EVP_MD_CTX_free(md);
		return fail(err, OK_EINVALID, "signature",
		            "the RSA signature has the wrong length");
	}
	if (md && EVP_DigestVerifyInit(md, &pctx, EVP_sha256(), NULL, key) == 1 &&
	    (!pss || (EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) == 1 &&
	              EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_DIGEST) == 1 &&
	              EVP_PKEY_CTX_set_rsa_mgf1_md(pctx, EVP_sha256()) == 1)))
		ok = EVP_DigestVerify(md, jws->sig, jws->sig_len,
		                      (const unsigned char *)jws->signing_input,
		                      jws->signing_input_len) == 1;
	EVP_MD_CTX_free(md);
	return ok ? 0 : fail(err, OK_EINVALID, "signature", "the RSA signature does not verify");
}

int jose_jws_verify(const struct jose_jws *jws, const struct jose_jwk *key, struct ok_error *err)
{
	switch (jws->alg) {
	case JOSE_ALG_ES256:
		if (key->kty != JOSE_KTY_EC)
			return fail(err, OK_EINVALID, "header.alg", "ES256 needs an EC P-256 key");
		if (jws->sig_len != 64)
			return fail(err, OK_EINVALID, "signature",
			            "an ES256 signature is 64 bytes");
		return jose_es256_verify(key->pkey, jws->signing_input, jws->signing_input_len,
		                         jws->sig, err);
	case JOSE_ALG_EDDSA:
		if (key->kty != JOSE_KTY_OKP)
			return fail(err, OK_EINVALID, "header.alg", "EdDSA needs an Ed25519 key");
		if (jws->sig_len != crypto_sign_BYTES)
			return fail(err, OK_EINVALID, "signature",
			            "an Ed25519 signature is 64 bytes");
		if (crypto_sign_verify_detached(jws->sig, (const unsigned char *)jws->signing_input,
		                                jws->signing_input_len, key->ed25519) != 0)
			return fail(err, OK_EINVALID, "signature",
			            "the EdDSA signature does not verify");
		return 0;
	case JOSE_ALG_RS256:
	case JOSE_ALG_PS256:
		if (key->kty != JOSE_KTY_RSA)
			return fail(err, OK_EINVALID, "header.alg",
			            "RS256 and PS256 need an RSA key");
		return rsa_verify(jws, key->pkey, jws->alg == JOSE_ALG_PS256, err);
	default:
		return fail(err, OK_EINVALID, "header.alg", "no accepted algorithm");
	}
}

int jose_jws_sign(const json_t *header, const void *payload, size_t n,
                  const struct jose_signer *signer, struct buf *out, struct ok_error *err)
{
	const char *alg = jose_alg_name(signer->alg), *k;
	uint8_t sig[64];
	size_t start = out->len;
	struct buf text;
	json_t *v;
	int rc;

	if (!alg || (signer->alg != JOSE_ALG_ES256 && signer->alg != JOSE_ALG_EDDSA))
		return ok_fail(err, OK_EINPUT, "no signing key");
	if (header && !json_is_object(header))
		return ok_fail(err, OK_EINPUT, "the JWS header is not a JSON object");
	/* {"alg":…,members of header but alg} written straight, with no object built for it. */
	buf_init(&text, JOSE_JWS_HEADER_MAX);
	rc = buf_addstr(&text, "{\"alg\":");
	if (!rc)
		rc = jose_jsonw_str(&text, alg, strlen(alg));
	if (header)
		json_object_foreach((json_t *)header, k, v)
		{
			if (rc || strcmp(k, "alg") == 0)
				continue;
			rc = buf_addch(&text, ',');
			if (!rc)
				rc = jose_jsonw_str(&text, k, strlen(k));
			if (!rc)
				rc = buf_addch(&text, ':');
			if (!rc)
				rc = jose_jsonw(&text, v);
		}
	if (!rc)
		rc = buf_addch(&text, '}');
	if (rc) {
		buf_release(&text);
		return ok_fail(err, rc, "the JWS header is too long");
	}
	rc = jose_b64_encode(text.data, text.len, out, err);
	buf_release(&text);
	if (!rc)
		rc = buf_addch(out, '.') ? ok_fail(err, OK_ETOOBIG, "JWS too long") : 0;
	if (!rc)
		rc = jose_b64_encode(payload, n, out, err);
	if (rc)
		goto out;
	if (signer->alg == JOSE_ALG_ES256)
		rc = jose_es256_sign(signer->ec, out->data + start, out->len - start, sig, err);
	else if (crypto_sign_detached(sig, NULL, (const unsigned char *)out->data + start,
	                              out->len - start, signer->ed25519_sk) != 0)
		rc = ok_fail(err, OK_ECRYPTO, "Ed25519 signing failed");
	if (!rc)
		rc = buf_addch(out, '.') ? ok_fail(err, OK_ETOOBIG, "JWS too long") : 0;
	if (!rc)
		rc = jose_b64_encode(sig, sizeof(sig), out, err);
out:
	sodium_memzero(sig, sizeof(sig));
	if (rc)
		buf_truncate(out, start);
	return rc;
}

int jose_jws_sign_json(const json_t *header, const json_t *payload,
                       const struct jose_signer *signer, struct buf *out, struct ok_error *err)
{
	struct buf text;
	int rc;

	buf_init(&text, JOSE_JWS_MAX);
	rc = json_is_object(payload) || json_is_array(payload) ? jose_jsonw(&text, payload)
	                                                       : OK_EINPUT;
	if (rc)
		rc = ok_fail(err, rc, "the payload cannot be written as JSON");
	else
		rc = jose_jws_sign(header, text.data, text.len, signer, out, err);
	buf_release(&text);
	return rc;
}
