/* The exchanges with an OpenID provider: discovery and key set (cached by max-age), pushed
 * authorization requests and the token request, over libcurl with the provider's CA file, no
 * redirects, and bounds on size and time (see oidc.h). */
#include "remote/oidc.h"

#include "core/format.h"
#include "jose/jws.h"
#include "remote/http_client.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

int oidc_form_escape(struct buf *out, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";

	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		int rc;
		if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		    c == '-' || c == '.' || c == '_' || c == '~')
			rc = buf_addch(out, (char)c);
		else
			rc = buf_addf(out, "%%%c%c", hex[c >> 4], hex[c & 15]);
		if (rc)
			return rc;
	}
	return 0;
}

/* The guard's name for provider p: its failures are remembered under it. */
static void who(const struct oidc_provider *p, char out[OIDC_ID_MAX + 8])
{
	snprintf(out, OIDC_ID_MAX + 8, "oidc:%s", p->id);
}

/*
 * GET url (form NULL) or POST the form to it, authenticated with HTTP Basic when user is set,
 * through the rp's guard and before deadline_ms; body gets the answer (any status: *status
 * tells). Fails with OK_EBUSY when the provider cannot be reached in time, is at its cap of
 * exchanges in flight or failed a moment ago (each failure to reach it, and each 5xx answer,
 * is remembered for the guard's fail_ttl_s), OK_ETOOBIG past body's cap. The detail goes to the
 * guard's log only: the message would go to a learner's page.
 */
static int exchange(struct oidc_rp *rp, const struct oidc_provider *p, const char *url,
                    const char *form, const char *user, const char *pass, int64_t deadline_ms,
                    struct buf *body, long *status, long *max_age, struct ok_error *err)
{
	struct remote_http_call call = {.url = url,
	                                .accept = "application/json",
	                                .form = form,
	                                .ca_file = p->ca_file[0] ? p->ca_file : NULL,
	                                .https_only = true,
	                                .any_status = true,
	                                .connect_ms = rp->connect_ms};
	struct remote_http_response res;
	struct ok_error ferr;
	struct buf auth;
	char name[OIDC_ID_MAX + 8];
	int64_t left = deadline_ms - p->now_ms();
	int ret = 0;

	*status = 0;
	if (max_age)
		*max_age = -1;
	if (strncmp(url, "https://", 8) != 0)
		return ok_fail(err, OK_EINPUT, "provider %s: only https URLs are used", p->id);
	if (left < 50)
		return ok_fail(err, OK_EBUSY, "the identity provider %s is unavailable", p->id);
	call.total_ms = left < rp->timeout_ms ? (long)left : rp->timeout_ms;
	buf_init(&auth, 1024);
	if (user) {
		/* RFC 6749 §2.3.1: both halves form-encoded before Basic's base64. */
		struct buf raw;
		char *b64 = NULL;
		size_t b64n;
		buf_init(&raw, 800);
		ret = oidc_form_escape(&raw, user) || buf_addch(&raw, ':') ||
		      oidc_form_escape(&raw, pass);
		b64n = sodium_base64_encoded_len(raw.len, sodium_base64_VARIANT_ORIGINAL);
		if (!ret && (b64 = malloc(b64n)) != NULL) {
			sodium_bin2base64(b64, b64n, (const unsigned char *)raw.data, raw.len,
			                  sodium_base64_VARIANT_ORIGINAL);
			ret = buf_addf(&auth, "Authorization: Basic %s", b64);
			sodium_memzero(b64, b64n);
			free(b64);
		} else {
			ret = -1;
		}
		sodium_memzero(raw.data, raw.len);
		buf_release(&raw);
		if (ret) {
			ret = ok_fail(err, OK_EINPUT, "provider %s: client id or secret too long",
			              p->id);
			goto out;
		}
		call.auth_header = auth.data;
	}
	who(p, name);
	ok_error_clear(&ferr);
	if ((ret = remote_fetch_guard_enter(&rp->guard, url, name, &ferr))) {
		ret = ok_fail(err, ret == OK_EINPUT ? OK_EINPUT : OK_EBUSY,
		              "the identity provider %s is unavailable", p->id);
		goto out;
	}
	ret = remote_http_call(&call, body, &res, &ferr);
	remote_fetch_guard_leave(&rp->guard, url, name);
	*status = res.status;
	if (max_age)
		*max_age = res.max_age;
	if (ret == OK_ETOOBIG) {
		remote_fetch_guard_fail(&rp->guard, name, "its answer is too large");
		ret = ok_fail(err, OK_ETOOBIG, "provider %s: its answer is too large", p->id);
	} else if (ret) {
		remote_fetch_guard_fail(&rp->guard, name, ferr.message);
		ret = ok_fail(err, OK_EBUSY, "the identity provider %s is unavailable", p->id);
	} else if (res.status >= 500) {
		remote_fetch_guard_fail(&rp->guard, name, "it answered with a server error");
	}
out:
	if (auth.len)
		sodium_memzero(auth.data, auth.len);
	buf_release(&auth);
	return ret;
}

/* How long to keep a document of max-age seconds (-1: none given): at least a minute, so that
 * a provider answering no-store is not asked on every sign-in. */
static int64_t ttl_ms(long max_age)
{
	if (max_age < 0)
		max_age = OIDC_CACHE_DEFAULT_S;
	if (max_age < OIDC_CACHE_MIN_S)
		max_age = OIDC_CACHE_MIN_S;
	if (max_age > OIDC_CACHE_MAX_S)
		max_age = OIDC_CACHE_MAX_S;
	return (int64_t)max_age * 1000;
}

static int fetch_metadata(struct oidc_rp *rp, struct oidc_provider *p, int64_t deadline_ms,
                          struct ok_error *err)
{
	struct buf url, body;
	struct oidc_metadata m;
	long status, max_age = -1;
	char name[OIDC_ID_MAX + 8];
	int rc;

	buf_init(&url, OIDC_URL_MAX + 64);
	buf_init(&body, OIDC_DOC_MAX);
	/* Discovery §4: the issuer with any trailing slash removed, then the well-known path. */
	rc = buf_addstr(&url, p->issuer);
	if (!rc && url.len && url.data[url.len - 1] == '/')
		buf_truncate(&url, url.len - 1);
	if (!rc)
		rc = buf_addstr(&url, "/.well-known/openid-configuration");
	if (rc)
		rc = ok_fail(err, OK_EINPUT, "provider %s: issuer too long", p->id);
	if (!rc)
		rc = exchange(rp, p, url.data, NULL, NULL, NULL, deadline_ms, &body, &status,
		              &max_age, err);
	if (!rc && status != 200)
		rc = ok_fail(err, OK_EBUSY, "the identity provider %s is unavailable", p->id);
	if (!rc && (rc = oidc_metadata_parse(body.data, body.len, p, &m, err))) {
		/* A provider whose document is unusable is as good as down: left alone a while. */
		who(p, name);
		remote_fetch_guard_fail(&rp->guard, name, "its discovery document is unusable");
	}
	if (!rc) {
		pthread_mutex_lock(&p->lock);
		p->meta = m;
		p->meta_until_ms = p->now_ms() + ttl_ms(max_age);
		pthread_mutex_unlock(&p->lock);
	}
	buf_release(&url);
	buf_release(&body);
	return rc;
}

static int metadata_by(struct oidc_rp *rp, struct oidc_provider *p, int64_t deadline_ms,
                       struct oidc_metadata *m, struct ok_error *err)
{
	int rc = 0;
	bool fresh;

	pthread_mutex_lock(&p->lock);
	fresh = p->meta_until_ms > p->now_ms();
	if (fresh)
		*m = p->meta;
	pthread_mutex_unlock(&p->lock);
	if (fresh)
		return 0;
	if ((rc = fetch_metadata(rp, p, deadline_ms, err)))
		return rc;
	pthread_mutex_lock(&p->lock);
	*m = p->meta;
	pthread_mutex_unlock(&p->lock);
	return 0;
}

int oidc_provider_metadata(struct oidc_rp *rp, struct oidc_provider *p, struct oidc_metadata *m,
                           struct ok_error *err)
{
	return metadata_by(rp, p, p->now_ms() + rp->timeout_ms, m, err);
}

/* Fetches the key set now (the caller decided it may, and stamped jwks_fetched_ms). */
static int fetch_jwks(struct oidc_rp *rp, struct oidc_provider *p, const struct oidc_metadata *m,
                      int64_t deadline_ms, struct ok_error *err)
{
	struct buf body;
	json_t *jwks = NULL;
	long status, max_age = -1;
	int rc;

	buf_init(&body, OIDC_DOC_MAX);
	rc = exchange(rp, p, m->jwks_uri, NULL, NULL, NULL, deadline_ms, &body, &status, &max_age,
	              err);
	if (!rc && status != 200)
		rc = ok_fail(err, OK_EBUSY, "the identity provider %s is unavailable", p->id);
	if (!rc)
		rc = oidc_jwks_parse(body.data, body.len, &jwks, err);
	if (!rc) {
		pthread_mutex_lock(&p->lock);
		json_decref(p->jwks);
		p->jwks = jwks;
		p->jwks_ttl_ms = ttl_ms(max_age);
		p->jwks_until_ms = p->now_ms() + p->jwks_ttl_ms;
		pthread_mutex_unlock(&p->lock);
	}
	buf_release(&body);
	return rc;
}

/*
 * The key set held (new reference), fetched first when none is fresh, or when refetch is set
 * and the last fetch is more than OIDC_JWKS_REFETCH_MS old; one thread fetches, the others use
 * the set held meanwhile. An expired set still serves while the provider cannot be reached, for
 * at most its own lifetime and OIDC_JWKS_STALE_MAX_MS: a key the provider withdrew must not stay
 * good because its key set cannot be fetched. *out stays NULL when none can be had.
 */
static int jwks_get(struct oidc_rp *rp, struct oidc_provider *p, const struct oidc_metadata *m,
                    bool refetch, int64_t deadline_ms, json_t **out, struct ok_error *err)
{
	int64_t now = p->now_ms(), grace;
	bool fetch;
	int rc = 0;

	/* Decided and stamped together, so that concurrent sign-ins fetch it once. */
	pthread_mutex_lock(&p->lock);
	fetch = !p->jwks || ((p->jwks_until_ms <= now ||
	                      (refetch && now - p->jwks_fetched_ms >= OIDC_JWKS_REFETCH_MS)) &&
	                     now - p->jwks_fetched_ms >= 1000);
	if (fetch)
		p->jwks_fetched_ms = now;
	pthread_mutex_unlock(&p->lock);
	if (fetch)
		rc = fetch_jwks(rp, p, m, deadline_ms, err);
	pthread_mutex_lock(&p->lock);
	grace = p->jwks_ttl_ms < OIDC_JWKS_STALE_MAX_MS ? p->jwks_ttl_ms : OIDC_JWKS_STALE_MAX_MS;
	*out = p->jwks && now < p->jwks_until_ms + grace ? json_incref(p->jwks) : NULL;
	pthread_mutex_unlock(&p->lock);
	if (!*out && !rc)
		rc = ok_fail(err, OK_EBUSY, "the identity provider %s is unavailable", p->id);
	return *out ? 0 : rc;
}

/* Appends the client authentication to form (private_key_jwt) or sets *user / *pass (Basic). */
static int client_auth(const struct oidc_provider *p, const char *aud, struct buf *form,
                       const char **user, const char **pass, struct ok_error *err)
{
	json_t *claims, *header;
	struct buf jwt;
	unsigned char jti[16];
	char jti_hex[33];
	int64_t now = p->now_ms() / 1000;
	int rc;

	*user = *pass = NULL;
	if (p->auth == OIDC_AUTH_SECRET_BASIC) {
		*user = p->client_id;
		*pass = p->secret;
		return 0;
	}
	/* RFC 7523 §3: a short-lived assertion, unique by its jti. */
	randombytes_buf(jti, sizeof(jti));
	sodium_bin2hex(jti_hex, sizeof(jti_hex), jti, sizeof(jti));
	claims = json_pack("{s:s, s:s, s:s, s:s, s:I, s:I}", "iss", p->client_id, "sub",
	                   p->client_id, "aud", aud, "jti", jti_hex, "iat", (json_int_t)now, "exp",
	                   (json_int_t)(now + 60));
	header = json_pack("{s:s, s:s}", "typ", "JWT", "kid", p->key_kid);
	buf_init(&jwt, 8192);
	if (!claims || !header)
		rc = ok_fail(err, OK_ENOMEM, "out of memory");
	else
		rc = jose_jws_sign_json(header, claims, &p->key, &jwt, err);
	if (!rc &&
	    buf_addf(form, "&client_assertion_type=urn%%3Aietf%%3Aparams%%3Aoauth%%3A"
	                   "client-assertion-type%%3Ajwt-bearer&client_assertion=%s",
	             jwt.data))
		rc = ok_fail(err, OK_ETOOBIG, "the client assertion is too long");
	json_decref(claims);
	json_decref(header);
	buf_release(&jwt);
	return rc;
}

/* client_id for private_key_jwt, which carries it in the form (escaped). */
static int add_client_id(const struct oidc_provider *p, struct buf *form)
{
	if (p->auth != OIDC_AUTH_PRIVATE_KEY_JWT)
		return 0;
	return buf_addstr(form, "&client_id=") || oidc_form_escape(form, p->client_id);
}

int oidc_par(struct oidc_rp *rp, struct oidc_provider *p, const struct oidc_metadata *m,
             const char *params, char request_uri[OIDC_URL_MAX], struct ok_error *err)
{
	struct buf form, body;
	const char *user, *pass;
	json_t *o = NULL;
	json_error_t jerr;
	const char *uri;
	long status;
	int rc;

	request_uri[0] = '\0';
	buf_init(&form, 16384);
	buf_init(&body, OIDC_DOC_MAX);
	rc = buf_addstr(&form, params) ? ok_fail(err, OK_ETOOBIG, "request too long") : 0;
	/* params carry client_id already. */
	if (!rc)
		rc = client_auth(p, p->issuer, &form, &user, &pass, err);
	if (!rc)
		rc = exchange(rp, p, m->par_endpoint, form.data, user, pass,
		              p->now_ms() + rp->timeout_ms, &body, &status, NULL, err);
	if (!rc && status != 201 && status != 200)
		rc = ok_fail(err, status >= 500 ? OK_EBUSY : OK_EAUTH,
		             "the identity provider %s refused the sign-in request (HTTP %ld)", p->id,
		             status);
	if (!rc)
		o = json_loadb(body.data, body.len, JSON_REJECT_DUPLICATES, &jerr);
	uri = json_string_value(json_object_get(o, "request_uri"));
	/* It goes into the Location header: printable ASCII only. */
	if (!rc && (!uri || strspn(uri, "!\"#$%&'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	                                "[\\]^_`abcdefghijklmnopqrstuvwxyz{|}~") != strlen(uri) ||
	            ok_format(request_uri, OIDC_URL_MAX, "%s", uri)))
		rc = ok_fail(err, OK_EINPUT, "provider %s: its PAR answer holds no request_uri",
		             p->id);
	json_decref(o);
	sodium_memzero(form.data, form.len);
	buf_release(&form);
	buf_release(&body);
	return rc;
}

int oidc_redeem(struct oidc_rp *rp, struct oidc_provider *p, const char *code,
                const char *verifier, const char *redirect_uri, const char *nonce,
                struct oidc_identity *out, struct ok_error *err)
{
	struct oidc_metadata m;
	struct buf form, body;
	const char *user = NULL, *pass = NULL, *token;
	json_t *o = NULL, *jwks = NULL;
	json_error_t jerr;
	long status;
	int64_t deadline_ms = p->now_ms() + rp->timeout_ms;
	int rc;

	memset(out, 0, sizeof(*out));
	buf_init(&form, 16384);
	buf_init(&body, OIDC_DOC_MAX);
	/* One deadline for every exchange of the callback, not one each. */
	if ((rc = metadata_by(rp, p, deadline_ms, &m, err)))
		goto out;
	if (buf_addstr(&form, "grant_type=authorization_code&code=") ||
	    oidc_form_escape(&form, code) || buf_addstr(&form, "&redirect_uri=") ||
	    oidc_form_escape(&form, redirect_uri) || buf_addstr(&form, "&code_verifier=") ||
	    oidc_form_escape(&form, verifier) || add_client_id(p, &form)) {
		rc = ok_fail(err, OK_ETOOBIG, "the token request is too long");
		goto out;
	}
	if ((rc = client_auth(p, p->issuer, &form, &user, &pass, err)))
		goto out;
	if ((rc = exchange(rp, p, m.token_endpoint, form.data, user, pass, deadline_ms, &body,
	                   &status, NULL, err)))
		goto out;
	if (status != 200) {
		/* 400 invalid_grant: a code used already, expired or not ours. */
		rc = ok_fail(err, status >= 500 ? OK_EBUSY : OK_EAUTH,
		             status >= 500 ? "the identity provider %s is unavailable"
		                           : "the identity provider %s refused the code",
		             p->id);
		goto out;
	}
	o = json_loadb(body.data, body.len, JSON_REJECT_DUPLICATES, &jerr);
	token = json_string_value(json_object_get(o, "id_token"));
	if (!token) {
		rc = ok_fail_field(err, OK_EINVALID, "id_token",
		                   "the identity provider %s sent no ID token", p->id);
		goto out;
	}
	if ((rc = jwks_get(rp, p, &m, false, deadline_ms, &jwks, err)))
		goto out;
	rc = oidc_id_token_check(p, m.algs, jwks, token, nonce, p->now_ms(), out, err);
	if (rc == OK_ENOTFOUND) {
		/* A key rotated at the provider: its new set, at most once a minute. */
		json_decref(jwks);
		jwks = NULL;
		if ((rc = jwks_get(rp, p, &m, true, deadline_ms, &jwks, err)) == 0)
			rc = oidc_id_token_check(p, m.algs, jwks, token, nonce, p->now_ms(), out,
			                         err);
		if (rc == OK_ENOTFOUND)
			rc = ok_fail_field(err, OK_EINVALID, "kid",
			                   "the ID token's key is not in the provider's key set");
	}
out:
	json_decref(o);
	json_decref(jwks);
	if (form.len)
		sodium_memzero(form.data, form.len);
	buf_release(&form);
	if (body.len)
		sodium_memzero(body.data, body.len);
	buf_release(&body);
	return rc;
}
