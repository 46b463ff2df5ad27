/* The exchanges with an OpenID provider: discovery and key set (cached by max-age), pushed
 * authorization requests and the token request, over libcurl with the provider's CA file, no
 * redirects, and bounds on size and time (see oidc.h). */
#include "remote/oidc.h"

#include "core/format.h"
#include "jose/jws.h"

#include <curl/curl.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

struct sink {
	struct buf *body;
	long max_age;
	bool too_big;
};

static size_t on_body(char *data, size_t size, size_t n, void *ctx)
{
	struct sink *s = ctx;

	if (buf_add(s->body, data, size * n) != 0) {
		s->too_big = true;
		return 0;
	}
	return size * n;
}

static size_t on_header(char *data, size_t size, size_t n, void *ctx)
{
	struct sink *s = ctx;
	size_t len = size * n;
	char line[256];
	const char *p;

	if (len >= sizeof(line) || len < 14 || strncasecmp(data, "cache-control:", 14) != 0)
		return len;
	memcpy(line, data, len);
	line[len] = '\0';
	if ((p = strstr(line, "max-age=")) != NULL)
		s->max_age = strtol(p + 8, NULL, 10);
	if (strstr(line, "no-store") || strstr(line, "no-cache"))
		s->max_age = 0;
	return len;
}

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

/*
 * GET url (form NULL) or POST the form to it, authenticated with HTTP Basic when user is set;
 * body gets the answer (any status: *status tells). Fails with OK_EBUSY when the provider
 * cannot be reached in time, OK_ETOOBIG past body's cap. The detail stays out of the message:
 * it would go to a learner's page.
 */
static int exchange(const struct oidc_rp *rp, const struct oidc_provider *p, const char *url,
                    const char *form, const char *user, const char *pass, struct buf *body,
                    long *status, long *max_age, struct ok_error *err)
{
	struct sink sink = {body, -1, false};
	struct curl_slist *headers = NULL;
	struct buf auth;
	CURL *c;
	CURLcode rc;
	int ret = 0;

	*status = 0;
	buf_init(&auth, 1024);
	if (strncmp(url, "https://", 8) != 0)
		return ok_fail(err, OK_EINPUT, "provider %s: only https URLs are used", p->id);
	c = curl_easy_init();
	if (!c)
		return ok_fail(err, OK_ENOMEM, "cannot start an HTTP client");
	headers = curl_slist_append(headers, "Accept: application/json");
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
		headers = curl_slist_append(headers, auth.data);
	}
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "https");
	curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, rp->timeout_ms);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, rp->connect_ms);
	curl_easy_setopt(c, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)body->max);
	curl_easy_setopt(c, CURLOPT_USERAGENT, "oorkonde");
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &sink);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, &sink);
	if (p->ca_file[0])
		curl_easy_setopt(c, CURLOPT_CAINFO, p->ca_file);
	if (form) {
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, form);
		curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)strlen(form));
	}
	rc = curl_easy_perform(c);
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, status);
	if (sink.too_big || rc == CURLE_FILESIZE_EXCEEDED)
		ret = ok_fail(err, OK_ETOOBIG, "provider %s: its answer is too large", p->id);
	else if (rc != CURLE_OK)
		ret = ok_fail(err, OK_EBUSY, "the identity provider %s is unavailable", p->id);
	if (max_age)
		*max_age = sink.max_age;
out:
	if (auth.len)
		sodium_memzero(auth.data, auth.len);
	buf_release(&auth);
	curl_slist_free_all(headers);
	curl_easy_cleanup(c);
	return ret;
}

static int64_t ttl_ms(long max_age)
{
	if (max_age < 0)
		max_age = OIDC_CACHE_DEFAULT_S;
	if (max_age > OIDC_CACHE_MAX_S)
		max_age = OIDC_CACHE_MAX_S;
	return (int64_t)max_age * 1000;
}

static int fetch_metadata(const struct oidc_rp *rp, struct oidc_provider *p,
                          struct ok_error *err)
{
	struct buf url, body;
	struct oidc_metadata m;
	long status, max_age = -1;
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
		rc = exchange(rp, p, url.data, NULL, NULL, NULL, &body, &status, &max_age, err);
	if (!rc && status != 200)
		rc = ok_fail(err, OK_EBUSY, "the identity provider %s is unavailable", p->id);
	if (!rc)
		rc = oidc_metadata_parse(body.data, body.len, p, &m, err);
	if (!rc) {
		pthread_mutex_lock(&p->lock);
		p->meta = m;
		p->meta_until_ms = p->now_ms() + (ttl_ms(max_age) ? ttl_ms(max_age) : 1);
		pthread_mutex_unlock(&p->lock);
	}
	buf_release(&url);
	buf_release(&body);
	return rc;
}

int oidc_provider_metadata(const struct oidc_rp *rp, struct oidc_provider *p,
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
	if ((rc = fetch_metadata(rp, p, err)))
		return rc;
	pthread_mutex_lock(&p->lock);
	*m = p->meta;
	pthread_mutex_unlock(&p->lock);
	return 0;
}

/* Fetches the key set now (the caller decided it may). */
static int fetch_jwks(const struct oidc_rp *rp, struct oidc_provider *p,
                      const struct oidc_metadata *m, struct ok_error *err)
{
	struct buf body;
	json_t *jwks = NULL;
	long status, max_age = -1;
	int rc;

	buf_init(&body, OIDC_DOC_MAX);
	pthread_mutex_lock(&p->lock);
	p->jwks_fetched_ms = p->now_ms();
	pthread_mutex_unlock(&p->lock);
	rc = exchange(rp, p, m->jwks_uri, NULL, NULL, NULL, &body, &status, &max_age, err);
	if (!rc && status != 200)
		rc = ok_fail(err, OK_EBUSY, "the identity provider %s is unavailable", p->id);
	if (!rc)
		rc = oidc_jwks_parse(body.data, body.len, &jwks, err);
	if (!rc) {
		pthread_mutex_lock(&p->lock);
		json_decref(p->jwks);
		p->jwks = jwks;
		p->jwks_until_ms = p->now_ms() + ttl_ms(max_age);
		pthread_mutex_unlock(&p->lock);
	}
	buf_release(&body);
	return rc;
}

/* The key set held (new reference), fetched first when none is fresh, or when refetch is set
 * and the last fetch is more than OIDC_JWKS_REFETCH_MS old. *out stays NULL when none can be
 * had. */
static int jwks_get(const struct oidc_rp *rp, struct oidc_provider *p,
                    const struct oidc_metadata *m, bool refetch, json_t **out,
                    struct ok_error *err)
{
	int64_t now = p->now_ms();
	bool fetch;
	int rc = 0;

	pthread_mutex_lock(&p->lock);
	fetch = !p->jwks || p->jwks_until_ms <= now ||
	        (refetch && now - p->jwks_fetched_ms >= OIDC_JWKS_REFETCH_MS);
	pthread_mutex_unlock(&p->lock);
	if (fetch)
		rc = fetch_jwks(rp, p, m, err);
	pthread_mutex_lock(&p->lock);
	*out = p->jwks ? json_incref(p->jwks) : NULL;
	pthread_mutex_unlock(&p->lock);
	/* A stale key set still serves while the provider is briefly away. */
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

int oidc_par(const struct oidc_rp *rp, struct oidc_provider *p, const struct oidc_metadata *m,
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
		rc = client_auth(p, m->token_endpoint, &form, &user, &pass, err);
	if (!rc)
		rc = exchange(rp, p, m->par_endpoint, form.data, user, pass, &body, &status, NULL,
		              err);
	if (!rc && status != 201 && status != 200)
		rc = ok_fail(err, status >= 500 ? OK_EBUSY : OK_EAUTH,
		             "the identity provider %s refused the sign-in request (HTTP %ld)", p->id,
		             status);
	if (!rc)
		o = json_loadb(body.data, body.len, JSON_REJECT_DUPLICATES, &jerr);
	uri = json_string_value(json_object_get(o, "request_uri"));
	if (!rc && (!uri || ok_format(request_uri, OIDC_URL_MAX, "%s", uri)))
		rc = ok_fail(err, OK_EINPUT, "provider %s: its PAR answer holds no request_uri",
		             p->id);
	json_decref(o);
	sodium_memzero(form.data, form.len);
	buf_release(&form);
	buf_release(&body);
	return rc;
}

int oidc_redeem(const struct oidc_rp *rp, struct oidc_provider *p, const char *code,
                const char *verifier, const char *redirect_uri, const char *nonce,
                struct oidc_identity *out, struct ok_error *err)
{
	struct oidc_metadata m;
	struct buf form, body;
	const char *user = NULL, *pass = NULL, *token;
	json_t *o = NULL, *jwks = NULL;
	json_error_t jerr;
	long status;
	int rc;

	memset(out, 0, sizeof(*out));
	buf_init(&form, 16384);
	buf_init(&body, OIDC_DOC_MAX);
	if ((rc = oidc_provider_metadata(rp, p, &m, err)))
		goto out;
	if (buf_addstr(&form, "grant_type=authorization_code&code=") ||
	    oidc_form_escape(&form, code) || buf_addstr(&form, "&redirect_uri=") ||
	    oidc_form_escape(&form, redirect_uri) || buf_addstr(&form, "&code_verifier=") ||
	    oidc_form_escape(&form, verifier) || add_client_id(p, &form)) {
		rc = ok_fail(err, OK_ETOOBIG, "the token request is too long");
		goto out;
	}
	if ((rc = client_auth(p, m.token_endpoint, &form, &user, &pass, err)))
		goto out;
	if ((rc = exchange(rp, p, m.token_endpoint, form.data, user, pass, &body, &status, NULL,
	                   err)))
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
	if ((rc = jwks_get(rp, p, &m, false, &jwks, err)))
		goto out;
	rc = oidc_id_token_check(p, m.algs, jwks, token, nonce, p->now_ms(), out, err);
	if (rc == OK_ENOTFOUND) {
		/* A key rotated at the provider: its new set, at most once a minute. */
		json_decref(jwks);
		jwks = NULL;
		if ((rc = jwks_get(rp, p, &m, true, &jwks, err)) == 0)
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
