/* VC-JOSE compact JWS with EdDSA: signing, and strict splitting and verifying. */
#include "vc/jwt.h"

#include <stdlib.h>
#include <string.h>

#include "vc/jcs.h"
#include "vc/multibase.h"

#define HEADER_MAX 8192

static int fail_part(struct ok_error *err, int code, const char *field, const char *msg)
{
	return ok_fail_field(err, code, field, "%s", msg);
}

/* Appends the base64url of the canonical JSON of v to out. */
static int add_json_part(const json_t *v, struct buf *out, struct ok_error *err)
{
	struct buf json;
	int rc;

	buf_init(&json, VC_JWT_MAX);
	rc = vc_jcs_serialize(v, &json, err);
	if (!rc)
		rc = vc_base64url_encode((const uint8_t *)json.data, json.len, out, err);
	buf_release(&json);
	return rc;
}

int vc_jwt_sign(const json_t *payload, const char *kid,
                const uint8_t sk[crypto_sign_SECRETKEYBYTES], struct buf *out, struct ok_error *err)
{
	uint8_t sig[crypto_sign_BYTES];
	size_t start = out->len;
	json_t *header;
	int rc;

	if (!json_is_object(payload))
		return fail_part(err, OK_EINPUT, "payload", "the credential is not a JSON object");
	if (!kid || !*kid)
		return fail_part(err, OK_EINPUT, "header.kid", "missing key id (kid)");
	header = json_pack("{s:s,s:s,s:s}", "alg", VC_JWT_ALG, "kid", kid, "typ", VC_JWT_TYP);
	if (!header)
		return fail_part(err, OK_EINPUT, "header.kid", "key id is not valid UTF-8");
	rc = add_json_part(header, out, err);
	json_decref(header);
	if (!rc)
		rc = buf_addch(out, '.') ? ok_fail(err, OK_ETOOBIG, "JWS too long") : 0;
	if (!rc)
		rc = add_json_part(payload, out, err);
	if (rc)
		goto out;
	if (crypto_sign_detached(sig, NULL, (const unsigned char *)out->data + start,
	                         out->len - start, sk) != 0) {
		rc = ok_fail(err, OK_ECRYPTO, "Ed25519 signing failed");
		goto out;
	}
	rc = buf_addch(out, '.') ? ok_fail(err, OK_ETOOBIG, "JWS too long") : 0;
	if (!rc)
		rc = vc_base64url_encode(sig, sizeof(sig), out, err);
out:
	if (rc)
		buf_truncate(out, start);
	return rc;
}

/* Decodes base64url text and parses it as strict JSON. */
static int decode_json(const char *text, size_t n, size_t max, const char *field, json_t **out,
                       struct ok_error *err)
{
	struct ok_error sub;
	uint8_t *bin;
	size_t len, room;
	int rc;

	*out = NULL;
	room = n / 4 * 3 + 3;
	bin = malloc(room);
	if (!bin)
		return ok_fail(err, OK_ENOMEM, "out of memory");
	ok_error_clear(&sub);
	rc = vc_base64url_decode(text, n, bin, room < max ? room : max, &len, &sub);
	if (rc) {
		rc = ok_fail_field(err, rc == OK_ETOOBIG ? OK_ETOOBIG : OK_EINPUT, field, "%s: %s",
		                   field, sub.message);
		goto out;
	}
	rc = vc_jcs_parse((const char *)bin, len, 0, out, &sub);
	if (rc) {
		rc = ok_fail_field(err, rc, field, "%s is not valid JSON: %s", field, sub.message);
		goto out;
	}
	if (!json_is_object(*out)) {
		json_decref(*out);
		*out = NULL;
		rc = ok_fail_field(err, OK_EINPUT, field, "%s is not a JSON object", field);
	}
out:
	free(bin);
	return rc;
}

int vc_jwt_verify(const char *jws, size_t len, vc_proof_resolve_fn resolve, void *ctx,
                  json_t **payload, json_t **header, struct ok_error *err)
{
	const char *dot1, *dot2, *alg, *typ, *kid;
	uint8_t sig[crypto_sign_BYTES + 1], pk[VC_ED25519_PUB_BYTES];
	json_t *hdr = NULL, *body = NULL;
	struct ok_error sub;
	size_t sig_len, i;
	int rc;

	*payload = NULL;
	if (header)
		*header = NULL;
	ok_error_clear(&sub);
	if (len > VC_JWT_MAX)
		return ok_fail_field(err, OK_ETOOBIG, "jws", "JWS of %zu bytes is over the limit",
		                     len);
	/* Three parts, each non-empty, nothing but base64url characters and two dots. */
	dot1 = memchr(jws, '.', len);
	dot2 = dot1 ? memchr(dot1 + 1, '.', len - (size_t)(dot1 + 1 - jws)) : NULL;
	if (!dot2 || memchr(dot2 + 1, '.', len - (size_t)(dot2 + 1 - jws)))
		return fail_part(err, OK_EINPUT, "jws",
		                 "not a compact JWS: it must have exactly three parts");
	if (dot1 == jws || dot2 == dot1 + 1 || dot2 + 1 == jws + len)
		return fail_part(err, OK_EINPUT, "jws", "a part of the JWS is empty");
	for (i = 0; i < len; i++) {
		char c = jws[i];

		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		      c == '-' || c == '_' || c == '.'))
			return ok_fail_field(err, OK_EINPUT, "jws",
			                     "character at position %zu is not base64url", i + 1);
	}

	rc = decode_json(jws, (size_t)(dot1 - jws), HEADER_MAX, "header", &hdr, err);
	if (rc)
		goto out;
	alg = json_string_value(json_object_get(hdr, "alg"));
	typ = json_string_value(json_object_get(hdr, "typ"));
	kid = json_string_value(json_object_get(hdr, "kid"));
	if (!alg) {
		rc = fail_part(err, OK_EINPUT, "header.alg", "the JWS header has no alg");
		goto out;
	}
	if (strcmp(alg, VC_JWT_ALG) != 0) {
		rc = fail_part(err, OK_EINVALID, "header.alg",
		               strcmp(alg, "none") == 0
		                       ? "unsigned JWS (alg none) is refused"
		                       : "unsupported alg: only EdDSA is accepted");
		goto out;
	}
	if (json_object_get(hdr, "typ") && (!typ || strcmp(typ, VC_JWT_TYP) != 0)) {
		rc = fail_part(err, OK_EINVALID, "header.typ", "the JWS typ is not vc+jwt");
		goto out;
	}
	if (json_object_get(hdr, "crit")) {
		rc = fail_part(
		        err, OK_EINVALID, "header.crit",
		        "the JWS header has critical extensions (crit) we do not understand");
		goto out;
	}
	if (!kid || !*kid) {
		rc = fail_part(err, OK_EINVALID, "header.kid", "the JWS header has no kid");
		goto out;
	}

	rc = vc_base64url_decode(dot2 + 1, len - (size_t)(dot2 + 1 - jws), sig, sizeof(sig),
	                         &sig_len, &sub);
	if (rc == OK_ETOOBIG || (!rc && sig_len != crypto_sign_BYTES)) {
		rc = fail_part(err, OK_EINVALID, "signature",
		               "the signature is not 64 bytes, as an Ed25519 signature is");
		goto out;
	}
	if (rc) {
		rc = ok_fail_field(err, OK_EINPUT, "signature", "signature: %s", sub.message);
		goto out;
	}
	if (!resolve) {
		rc = fail_part(err, OK_EINVALID, "header.kid", "no key resolver given");
		goto out;
	}
	rc = resolve(ctx, kid, VC_PROOF_PURPOSE, pk, &sub);
	if (rc) {
		rc = ok_fail_field(err, OK_EINVALID, "header.kid", "cannot resolve the kid: %s",
		                   sub.message);
		goto out;
	}
	if (crypto_sign_verify_detached(sig, (const unsigned char *)jws, (size_t)(dot2 - jws),
	                                pk) != 0) {
		rc = fail_part(err, OK_EINVALID, "signature",
		               "the signature does not match: the JWS was altered or signed with "
		               "another key");
		goto out;
	}
	/* Authentic: now the payload may be read. */
	rc = decode_json(dot1 + 1, (size_t)(dot2 - dot1 - 1), VC_JWT_MAX, "payload", &body, err);
	if (rc)
		goto out;
	*payload = body;
	body = NULL;
	if (header) {
		*header = hdr;
		hdr = NULL;
	}
out:
	json_decref(hdr);
	json_decref(body);
	return rc;
}
