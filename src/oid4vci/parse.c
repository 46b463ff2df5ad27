/* The OpenID4VCI parsers of outside input, free of any store (oid4vci.h): a token request's
 * form body, a credential request's JSON, proof JWTs and DPoP proofs. */
#include <openssl/sha.h>
#include <string.h>

#include "core/format.h"
#include "io/form.h"
#include "jose/b64.h"
#include "jose/jws.h"
#include "oid4vci/oid4vci.h"

struct form_ctx {
	struct oid4vci_form *f;
	struct ok_error *err;
};

static int form_field(void *arg, const char *name, const char *value, size_t value_len)
{
	struct form_ctx *c = arg;
	struct oid4vci_form *f = c->f;
	char *dst;
	size_t cap;
	bool *seen;

	if (strcmp(name, "grant_type") == 0) {
		dst = f->grant_type, cap = sizeof(f->grant_type), seen = &f->has_grant_type;
	} else if (strcmp(name, "pre-authorized_code") == 0) {
		dst = f->code, cap = sizeof(f->code), seen = &f->has_code;
	} else if (strcmp(name, "tx_code") == 0) {
		dst = f->tx_code, cap = sizeof(f->tx_code), seen = &f->has_tx_code;
	} else {
		return 0; /* client_id and the like: not used in this flow */
	}
	if (*seen)
		return ok_fail_field(c->err, OK_EINPUT, name, "%s is given twice", name);
	*seen = true;
	if (!value_len)
		return ok_fail_field(c->err, OK_EINPUT, name, "%s has no value", name);
	if (value_len >= cap)
		return ok_fail_field(c->err, OK_EINPUT, name, "%s is too long", name);
	memcpy(dst, value, value_len + 1);
	return 0;
}

int oid4vci_form_parse(const char *body, size_t n, struct oid4vci_form *f, struct ok_error *err)
{
	struct form_ctx c = {f, err};

	memset(f, 0, sizeof(*f));
	if (n > OID4VCI_FORM_MAX)
		return ok_fail(err, OK_ETOOBIG, "the form is larger than %d bytes",
		               OID4VCI_FORM_MAX);
	return io_form_parse(body, n, form_field, &c, err);
}

int oid4vci_cred_body_parse(const json_t *body, struct oid4vci_cred_body *b, const char **oauth,
                            struct ok_error *err)
{
	const json_t *id, *conf, *proofs, *jwt, *v;
	const char *key;
	size_t i;

	memset(b, 0, sizeof(*b));
	*oauth = "invalid_credential_request";
	if (!json_is_object(body))
		return ok_fail(err, OK_EINPUT, "the credential request is not a JSON object");
	id = json_object_get(body, "credential_identifier");
	conf = json_object_get(body, "credential_configuration_id");
	if ((id != NULL) == (conf != NULL))
		return ok_fail(err, OK_EINPUT,
		               "send exactly one of credential_identifier and "
		               "credential_configuration_id");
	if ((id && !json_is_string(id)) || (conf && !json_is_string(conf)))
		return ok_fail(err, OK_EINPUT, "%s must be a string",
		               id ? "credential_identifier" : "credential_configuration_id");
	b->identifier = id ? json_string_value(id) : NULL;
	b->configuration = conf ? json_string_value(conf) : NULL;
	if (json_object_get(body, "proof"))
		return ok_fail_field(err, OK_EINPUT, "proof",
		                     "proof (singular) is not taken: send proofs.jwt");
	if (json_object_get(body, "credential_response_encryption")) {
		*oauth = "invalid_encryption_parameters";
		return ok_fail(err, OK_EINPUT, "encrypted credential responses are not offered");
	}
	proofs = json_object_get(body, "proofs");
	if (!json_is_object(proofs))
		return ok_fail_field(err, OK_EINPUT, "proofs", "proofs must be an object with jwt");
	json_object_foreach((json_t *)proofs, key, v) if (strcmp(key, "jwt") != 0)
	{
		*oauth = "invalid_proof";
		return ok_fail_field(err, OK_EINPUT, "proofs", "proof type %s is not supported",
		                     strlen(key) <= 32 ? key : "(long)");
	}
	jwt = json_object_get(proofs, "jwt");
	if (!json_is_array(jwt) || json_array_size(jwt) == 0)
		return ok_fail_field(err, OK_EINPUT, "proofs.jwt",
		                     "proofs.jwt must be a non-empty array");
	if (json_array_size(jwt) > OID4VCI_BATCH_MAX)
		return ok_fail_field(err, OK_EINPUT, "proofs.jwt",
		                     "at most %d proofs in one request", OID4VCI_BATCH_MAX);
	json_array_foreach(jwt, i, v)
	{
		if (!json_is_string(v))
			return ok_fail_field(err, OK_EINPUT, "proofs.jwt",
			                     "proofs.jwt[%zu] is not a string", i);
		b->jwts[i] = json_string_value(v);
	}
	b->njwts = json_array_size(jwt);
	*oauth = NULL;
	return 0;
}

/* The header's jwk (a public key; kid and x5c are not taken beside it). */
static int header_key(const json_t *header, struct jose_jwk *key, struct ok_error *err)
{
	const json_t *jwk = json_object_get(header, "jwk");

	if (!json_is_object(jwk))
		return ok_fail_field(err, OK_EINPUT, "header.jwk", "the header has no jwk");
	if (json_object_get(header, "kid") || json_object_get(header, "x5c"))
		return ok_fail_field(err, OK_EINPUT, "header", "kid or x5c beside jwk");
	return jose_jwk_parse(jwk, key, err);
}

/* Whether the payload's iat is an integer within the window around now. */
static int iat_check(const json_t *payload, int64_t now_s, const char *what, struct ok_error *err)
{
	const json_t *iat = json_object_get(payload, "iat");
	json_int_t t;

	if (!json_is_integer(iat))
		return ok_fail_field(err, OK_EINPUT, "iat", "the %s has no iat", what);
	t = json_integer_value(iat);
	if (t < now_s - OID4VCI_SKEW_S)
		return ok_fail_field(err, OK_EINVALID, "iat", "the %s is too old (iat)", what);
	if (t > now_s + OID4VCI_FUTURE_S)
		return ok_fail_field(err, OK_EINVALID, "iat", "the %s is from the future (iat)",
		                     what);
	return 0;
}

/* Parses and verifies a compact JWS whose header names typ and carries the signing jwk. */
static int signed_by_header_key(const char *jwt, const char *typ, const char *what,
                                struct jose_jws *jws, struct jose_jwk *key, json_t **payload,
                                struct ok_error *err)
{
	size_t n = strlen(jwt);
	const json_t *t;
	int rc;

	if (n > OID4VCI_PROOF_MAX)
		return ok_fail(err, OK_EINPUT, "the %s is longer than %d bytes", what,
		               OID4VCI_PROOF_MAX);
	if ((rc = jose_jws_parse(jwt, n, JOSE_ALG_ES256 | JOSE_ALG_EDDSA, NULL, jws, err)))
		return rc;
	t = json_object_get(jws->header, "typ");
	if (!json_is_string(t) || strcmp(json_string_value(t), typ) != 0)
		return ok_fail_field(err, OK_EINPUT, "header.typ", "the %s's typ must be %s", what,
		                     typ);
	if ((rc = header_key(jws->header, key, err)) || (rc = jose_jws_verify(jws, key, err)) ||
	    (rc = jose_jws_payload_json(jws, payload, err)))
		return rc;
	return 0;
}

int oid4vci_proof_check(const char *jwt, const char *issuer, int64_t now_s, struct jose_jwk *key,
                        char *nonce, size_t cap, const char **oauth, struct ok_error *err)
{
	struct jose_jws jws;
	json_t *payload = NULL;
	const json_t *aud, *n;
	int rc;

	memset(&jws, 0, sizeof(jws));
	*oauth = "invalid_proof";
	if ((rc = signed_by_header_key(jwt, OID4VCI_PROOF_TYP, "proof", &jws, key, &payload, err)))
		goto out;
	aud = json_object_get(payload, "aud");
	if (!json_is_string(aud) || strcmp(json_string_value(aud), issuer) != 0) {
		rc = ok_fail_field(err, OK_EINVALID, "aud", "the proof's aud is not this issuer");
		goto out;
	}
	if ((rc = iat_check(payload, now_s, "proof", err)))
		goto out;
	n = json_object_get(payload, "nonce");
	if (!json_is_string(n) || json_string_length(n) == 0 || json_string_length(n) >= cap) {
		*oauth = "invalid_nonce";
		rc = ok_fail_field(err, OK_EINPUT, "nonce", "the proof carries no c_nonce");
		goto out;
	}
	memcpy(nonce, json_string_value(n), json_string_length(n) + 1);
	*oauth = NULL;
out:
	json_decref(payload);
	jose_jws_release(&jws);
	return rc;
}

/* htu compared without query and fragment (RFC 9449 section 4.3). */
static bool htu_matches(const char *got, const char *want)
{
	size_t n = strcspn(got, "?#");

	return strlen(want) == n && strncmp(got, want, n) == 0;
}

int oid4vci_dpop_check(const char *proof, const char *htm, const char *htu,
                       const char *access_token, int64_t now_s, char jkt[JOSE_THUMBPRINT_MAX],
                       char *jti, size_t jti_cap, struct ok_error *err)
{
	struct jose_jws jws;
	struct jose_jwk key = {0};
	json_t *payload = NULL;
	const json_t *v;
	int rc;

	memset(&jws, 0, sizeof(jws));
	if ((rc = signed_by_header_key(proof, OID4VCI_DPOP_TYP, "DPoP proof", &jws, &key, &payload,
	                               err)))
		goto out;
	v = json_object_get(payload, "htm");
	if (!json_is_string(v) || strcmp(json_string_value(v), htm) != 0) {
		rc = ok_fail_field(err, OK_EINVALID, "htm", "the DPoP proof's htm is not %s", htm);
		goto out;
	}
	v = json_object_get(payload, "htu");
	if (!json_is_string(v) || !htu_matches(json_string_value(v), htu)) {
		rc = ok_fail_field(err, OK_EINVALID, "htu", "the DPoP proof's htu is not %s", htu);
		goto out;
	}
	if ((rc = iat_check(payload, now_s, "DPoP proof", err)))
		goto out;
	v = json_object_get(payload, "jti");
	if (!json_is_string(v) || json_string_length(v) == 0 || json_string_length(v) >= jti_cap) {
		rc = ok_fail_field(err, OK_EINPUT, "jti", "the DPoP proof needs a jti");
		goto out;
	}
	memcpy(jti, json_string_value(v), json_string_length(v) + 1);
	if (access_token) {
		unsigned char h[SHA256_DIGEST_LENGTH];
		struct buf ath;

		SHA256((const unsigned char *)access_token, strlen(access_token), h);
		buf_init(&ath, 64);
		rc = jose_b64_encode(h, sizeof(h), &ath, err);
		v = json_object_get(payload, "ath");
		if (!rc && (!json_is_string(v) || json_string_length(v) != ath.len ||
		            memcmp(json_string_value(v), ath.data, ath.len) != 0))
			rc = ok_fail_field(err, OK_EINVALID, "ath",
			                   "the DPoP proof's ath is not the access token's hash");
		buf_release(&ath);
		if (rc)
			goto out;
	}
	rc = jose_jwk_thumbprint(&key, jkt, err);
out:
	json_decref(payload);
	jose_jwk_release(&key);
	jose_jws_release(&jws);
	return rc;
}
