/* What an OpenID provider sends, read strictly: its discovery document, its key set and the ID
 * tokens it signs (see oidc.h). Pure: no network, so the fuzz target reaches all of it. */
#include "remote/oidc.h"

#include "jose/jws.h"

#include <sodium.h>
#include <string.h>

#define JWKS_KEYS_MAX 64

/* The authority (host[:port]) of an https URL: where it starts and its length; 0 when url is not
 * an https URL with one. */
static size_t authority(const char *url, const char **start)
{
	size_t n;

	if (strncmp(url, "https://", 8) != 0)
		return 0;
	*start = url + 8;
	n = strcspn(*start, "/?#");
	/* No user info: "https://issuer@evil/" must not pass for the issuer. */
	if (memchr(*start, '@', n))
		return 0;
	return n;
}

/* Whether s is printable ASCII without spaces: what may go into a Location header or a form. */
static bool url_chars(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x21 || (unsigned char)*s >= 0x7f)
			return false;
	return true;
}

/* Whether url is an https URL on p's issuer host or one of its endpoint_hosts. */
static bool host_allowed(const struct oidc_provider *p, const char *url)
{
	const char *a = NULL, *b = NULL, *h = p->endpoint_hosts;
	size_t n = authority(url, &a), m = authority(p->issuer, &b);

	if (!n || !url_chars(url) || strchr(url, '#'))
		return false;
	if (n == m && strncmp(a, b, n) == 0)
		return true;
	while (*h) {
		size_t k = strcspn(h, ",");
		if (k == n && strncmp(h, a, n) == 0)
			return true;
		h += k + (h[k] == ',');
	}
	return false;
}

static int endpoint(const json_t *doc, const char *name, bool required,
                    const struct oidc_provider *p, char out[OIDC_URL_MAX], struct ok_error *err)
{
	const json_t *v = json_object_get(doc, name);
	const char *s = json_string_value(v);

	out[0] = '\0';
	if (!v && !required)
		return 0;
	if (!s || strlen(s) >= OIDC_URL_MAX)
		return ok_fail_field(err, OK_EINPUT, name,
		                     "discovery document of %s: %s must be a URL", p->id, name);
	if (!host_allowed(p, s))
		return ok_fail_field(err, OK_EINPUT, name,
		                     "discovery document of %s: %s must be an https URL on the "
		                     "issuer's host or one of endpoint_hosts",
		                     p->id, name);
	memcpy(out, s, strlen(s) + 1);
	return 0;
}

static bool list_has(const json_t *list, const char *want)
{
	size_t i;

	for (i = 0; i < json_array_size(list); i++) {
		const char *s = json_string_value(json_array_get(list, i));
		if (s && strcmp(s, want) == 0)
			return true;
	}
	return false;
}

int oidc_metadata_parse(const char *doc, size_t n, const struct oidc_provider *p,
                        struct oidc_metadata *m, struct ok_error *err)
{
	static const struct {
		const char *name;
		enum jose_alg alg;
	} algs[] = {{"ES256", JOSE_ALG_ES256},
	            {"EdDSA", JOSE_ALG_EDDSA},
	            {"RS256", JOSE_ALG_RS256},
	            {"PS256", JOSE_ALG_PS256}};
	json_error_t jerr;
	json_t *o;
	const json_t *v;
	size_t i;
	int rc;

	memset(m, 0, sizeof(*m));
	if (n > OIDC_DOC_MAX)
		return ok_fail(err, OK_ETOOBIG, "discovery document of %s: too large", p->id);
	o = json_loadb(doc, n, JSON_REJECT_DUPLICATES, &jerr);
	if (!json_is_object(o)) {
		json_decref(o);
		return ok_fail(err, OK_EINPUT, "discovery document of %s: not a JSON object", p->id);
	}
	/* OpenID Connect Discovery §4.3: the issuer it names is exactly the one asked for. */
	v = json_object_get(o, "issuer");
	if (!json_is_string(v) || strcmp(json_string_value(v), p->issuer) != 0) {
		rc = ok_fail_field(err, OK_EINPUT, "issuer",
		                   "discovery document of %s: issuer differs from the configured one",
		                   p->id);
		goto out;
	}
	if ((rc = endpoint(o, "authorization_endpoint", true, p, m->authorization_endpoint, err)) ||
	    (rc = endpoint(o, "token_endpoint", true, p, m->token_endpoint, err)) ||
	    (rc = endpoint(o, "jwks_uri", true, p, m->jwks_uri, err)) ||
	    (rc = endpoint(o, "pushed_authorization_request_endpoint", false, p, m->par_endpoint,
	                   err)) ||
	    (rc = endpoint(o, "end_session_endpoint", false, p, m->end_session_endpoint, err)))
		goto out;
	v = json_object_get(o, "code_challenge_methods_supported");
	if (v && !list_has(v, "S256")) {
		rc = ok_fail_field(err, OK_EINPUT, "code_challenge_methods_supported",
		                   "discovery document of %s: PKCE with S256 is not offered", p->id);
		goto out;
	}
	v = json_object_get(o, "response_types_supported");
	if (!list_has(v, "code")) {
		rc = ok_fail_field(err, OK_EINPUT, "response_types_supported",
		                   "discovery document of %s: the code flow is not offered", p->id);
		goto out;
	}
	v = json_object_get(o, "id_token_signing_alg_values_supported");
	for (i = 0; i < sizeof(algs) / sizeof(algs[0]); i++)
		if (list_has(v, algs[i].name))
			m->algs |= algs[i].alg;
	m->algs &= p->algs_allowed;
	if (!m->algs)
		rc = ok_fail_field(err, OK_EINPUT, "id_token_signing_alg_values_supported",
		                   "discovery document of %s: no ID token algorithm oorkonde accepts "
		                   "(ES256, EdDSA, RS256, PS256)",
		                   p->id);
out:
	json_decref(o);
	return rc;
}

int oidc_jwks_parse(const char *doc, size_t n, json_t **out, struct ok_error *err)
{
	json_error_t jerr;
	json_t *o, *keys;
	size_t i;

	*out = NULL;
	if (n > OIDC_DOC_MAX)
		return ok_fail(err, OK_ETOOBIG, "key set too large");
	o = json_loadb(doc, n, JSON_REJECT_DUPLICATES, &jerr);
	keys = json_object_get(o, "keys");
	if (!json_is_object(o) || !json_is_array(keys) || json_array_size(keys) > JWKS_KEYS_MAX) {
		json_decref(o);
		return ok_fail_field(err, OK_EINPUT, "keys",
		                     "the key set must be {\"keys\": [...]} of at most %d keys",
		                     JWKS_KEYS_MAX);
	}
	for (i = 0; i < json_array_size(keys); i++)
		if (!json_is_object(json_array_get(keys, i))) {
			json_decref(o);
			return ok_fail_field(err, OK_EINPUT, "keys", "a key of the set is no object");
		}
	*out = o;
	return 0;
}

/* Whether a JWK's kty suits alg. */
static bool kty_suits(const char *kty, const char *crv, enum jose_alg alg)
{
	if (!kty)
		return false;
	switch (alg) {
	case JOSE_ALG_ES256:
		return strcmp(kty, "EC") == 0 && crv && strcmp(crv, "P-256") == 0;
	case JOSE_ALG_EDDSA:
		return strcmp(kty, "OKP") == 0 && crv && strcmp(crv, "Ed25519") == 0;
	case JOSE_ALG_RS256:
	case JOSE_ALG_PS256:
		return strcmp(kty, "RSA") == 0;
	default:
		return false;
	}
}

int oidc_jwks_key(const json_t *jwks, const char *kid, enum jose_alg alg, struct jose_jwk *key,
                  struct ok_error *err)
{
	const json_t *keys = json_object_get(jwks, "keys"), *found = NULL;
	size_t i, matches = 0;

	memset(key, 0, sizeof(*key));
	for (i = 0; i < json_array_size(keys); i++) {
		const json_t *k = json_array_get(keys, i);
		const char *use = json_string_value(json_object_get(k, "use"));
		const char *kalg = json_string_value(json_object_get(k, "alg"));
		const char *kkid = json_string_value(json_object_get(k, "kid"));

		if (use && strcmp(use, "sig") != 0)
			continue;
		if (kalg && strcmp(kalg, jose_alg_name(alg)) != 0)
			continue;
		if (!kty_suits(json_string_value(json_object_get(k, "kty")),
		               json_string_value(json_object_get(k, "crv")), alg))
			continue;
		if (kid && (!kkid || strcmp(kkid, kid) != 0))
			continue;
		found = k;
		matches++;
	}
	/* Without a kid only a set with one key of the kind is unambiguous. */
	if (!found || matches > 1)
		return ok_fail_field(err, OK_ENOTFOUND, "kid",
		                     "no key of the provider's key set matches the token's kid");
	return jose_jwk_parse(found, key, err);
}

/* Whether aud (a string or a list) names client_id; *count gets the audiences. */
static bool aud_has(const json_t *aud, const char *client_id, size_t *count)
{
	size_t i;

	*count = 0;
	if (json_is_string(aud)) {
		*count = 1;
		return strcmp(json_string_value(aud), client_id) == 0;
	}
	if (!json_is_array(aud))
		return false;
	*count = json_array_size(aud);
	for (i = 0; i < *count; i++) {
		const char *s = json_string_value(json_array_get(aud, i));
		if (s && strcmp(s, client_id) == 0)
			return true;
	}
	return false;
}

/* Whether the space-separated list has word. */
static bool words_have(const char *list, const char *word)
{
	size_t n = strlen(word);

	while (*list) {
		size_t k = strcspn(list, " ");
		if (k == n && strncmp(list, word, n) == 0)
			return true;
		list += k + (list[k] == ' ');
	}
	return false;
}

/* Whether acr may go into an audit detail: one of acr_values, or 1-40 of [A-Za-z0-9:._/-]. */
static bool acr_recordable(const struct oidc_provider *p, const char *acr)
{
	size_t n = strlen(acr);

	if (p->acr_values[0])
		return n < 64 && words_have(p->acr_values, acr);
	return n >= 1 && n <= 40 &&
	       strspn(acr, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789:._/-") == n;
}

static int claims_check(const struct oidc_provider *p, const json_t *c, const char *nonce,
                        int64_t now_ms, struct oidc_identity *out, struct ok_error *err)
{
	const json_t *exp = json_object_get(c, "exp"), *iat = json_object_get(c, "iat");
	const json_t *nbf = json_object_get(c, "nbf");
	const char *iss = json_string_value(json_object_get(c, "iss"));
	const char *azp = json_string_value(json_object_get(c, "azp"));
	const char *tnonce = json_string_value(json_object_get(c, "nonce"));
	const char *acr = json_string_value(json_object_get(c, "acr"));
	const json_t *nid = json_object_get(c, p->claim);
	int64_t now = now_ms / 1000;
	size_t auds;

	if (!iss || strcmp(iss, p->issuer) != 0)
		return ok_fail_field(err, OK_EINVALID, "iss", "the ID token is not from the issuer");
	if (!aud_has(json_object_get(c, "aud"), p->client_id, &auds))
		return ok_fail_field(err, OK_EINVALID, "aud", "the ID token is for another audience");
	/* Core §3.1.3.7: with several audiences azp must name us; when present it must anyway. */
	if ((auds > 1 && !azp) || (azp && strcmp(azp, p->client_id) != 0))
		return ok_fail_field(err, OK_EINVALID, "azp",
		                     "the ID token was issued to another party (azp)");
	/* now - skew, not exp + skew: exp is the sender's and may be near INT64_MAX. */
	if (!json_is_integer(exp) || json_integer_value(exp) <= now - OIDC_SKEW_S)
		return ok_fail_field(err, OK_EINVALID, "exp", "the ID token has expired");
	/* RFC 7519 §4.1.5: not before nbf, when it is there. */
	if (nbf && (!json_is_integer(nbf) || json_integer_value(nbf) > now + OIDC_SKEW_S))
		return ok_fail_field(err, OK_EINVALID, "nbf", "the ID token is not valid yet (nbf)");
	if (!json_is_integer(iat) || json_integer_value(iat) > now + OIDC_SKEW_S ||
	    json_integer_value(iat) < now - OIDC_IAT_MAX_AGE_S)
		return ok_fail_field(err, OK_EINVALID, "iat",
		                     "the ID token's issue time is in the future or too long ago");
	if (!tnonce || strlen(tnonce) != strlen(nonce) ||
	    sodium_memcmp(tnonce, nonce, strlen(nonce)) != 0)
		return ok_fail_field(err, OK_EINVALID, "nonce",
		                     "the ID token's nonce is not this sign-in's");
	if (p->acr_values[0] && (!acr || !words_have(p->acr_values, acr)))
		return ok_fail_field(err, OK_EINVALID, "acr",
		                     "the ID token lacks the required assurance level (acr)");
	/* Recorded in the audit log: only a level asked for, or a short token of safe
	 * characters, so that a provider cannot write fields or personal data there. */
	if (acr && acr_recordable(p, acr))
		memcpy(out->acr, acr, strlen(acr) + 1);
	else if (acr)
		memcpy(out->acr, "other", 6);
	/* The national id is text; a BSN may come as a number, whose leading zeros JSON lost. */
	if (json_is_integer(nid) && p->scheme == OIDC_SCHEME_NL_BSN &&
	    json_integer_value(nid) >= 0 && json_integer_value(nid) <= 999999999) {
		char digits[16];
		snprintf(digits, sizeof(digits), "%09lld", (long long)json_integer_value(nid));
		return oidc_scheme_read(p, digits, strlen(digits), out, err);
	}
	if (!json_is_string(nid))
		return ok_fail_field(err, OK_EINVALID, "national_id_claim",
		                     "the ID token carries no national identifier (claim %s) as text",
		                     p->claim);
	return oidc_scheme_read(p, json_string_value(nid), json_string_length(nid), out, err);
	return 0;
}

int oidc_id_token_check(const struct oidc_provider *p, unsigned algs, const json_t *jwks,
                        const char *token, const char *nonce, int64_t now_ms,
                        struct oidc_identity *out, struct ok_error *err)
{
	struct jose_jws jws;
	struct jose_jwk key;
	json_t *claims = NULL;
	const char *kid;
	int rc;

	memset(out, 0, sizeof(*out));
	memset(&jws, 0, sizeof(jws));
	memset(&key, 0, sizeof(key));
	if ((rc = jose_jws_parse(token, strlen(token), algs & p->algs_allowed, NULL, &jws, err))) {
		rc = rc == OK_ETOOBIG ? rc : OK_EINVALID;
		goto out;
	}
	kid = json_string_value(json_object_get(jws.header, "kid"));
	if ((rc = oidc_jwks_key(jwks, kid, jws.alg, &key, err)))
		goto out;
	if ((rc = jose_jws_verify(&jws, &key, err)))
		goto out;
	if ((rc = jose_jws_payload_json(&jws, &claims, err)))
		goto out;
	rc = claims_check(p, claims, nonce, now_ms, out, err);
out:
	if (rc && rc != OK_ENOTFOUND && rc != OK_ETOOBIG && err)
		err->code = rc = OK_EINVALID;
	if (rc)
		sodium_memzero(out, sizeof(*out));
	/* The claims hold the national id: wiped before the memory goes back to the heap (the
	 * string in place, jansson's copy of it; the decoded payload). */
	{
		json_t *nid = json_object_get(claims, p->claim);
		if (json_is_string(nid) && json_string_length(nid))
			sodium_memzero((char *)json_string_value(nid), json_string_length(nid));
	}
	json_decref(claims);
	if (jws.payload.len)
		sodium_memzero(jws.payload.data, jws.payload.len);
	jose_jwk_release(&key);
	jose_jws_release(&jws);
	return rc;
}
