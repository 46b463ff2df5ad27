/* did:web resolution with a cache (see did_resolver.h). */
#include "remote/did_resolver.h"
#include "core/format.h"

#include "remote/http_client.h"
#include "remote/fetch_guard.h"
#include "vc/did.h"
#include "vc/jcs.h"
#include "vc/multibase.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The verification relationships a key is kept for (a key listed under neither is not kept). */
enum {
	REL_ASSERTION = 1,      /* assertionMethod: it signs credentials */
	REL_AUTHENTICATION = 2, /* authentication: it signs presentations */
};

/* What the cache keeps of a DID document: its Ed25519 keys and what each is listed for. */
struct did_keys {
	size_t nkeys;
	struct {
		char vm[256];
		uint8_t pk[32];
		unsigned rel; /* REL_… */
	} keys[REMOTE_DID_CACHE_KEYS];
};

void remote_did_cache_init(struct remote_did_cache *c, long default_ttl_s,
                           struct remote_fetch_guard *guard)
{
	remote_ttl_cache_init(&c->docs, REMOTE_DID_CACHE_DOCS,
	                      REMOTE_DID_CACHE_DOCS * sizeof(struct did_keys));
	c->default_ttl_s = default_ttl_s;
	c->guard = guard;
}

void remote_did_cache_release(struct remote_did_cache *c)
{
	remote_ttl_cache_release(&c->docs);
	c->guard = NULL;
}

/* The key of one verification method, for one relationship. */
struct wanted {
	const char *vm;
	unsigned rel;
	uint8_t *pk;
};

/* Finds the wanted method among a document's keys: 0 found, OK_EINVALID not listed for the
 * relationship wanted. */
static int find_key(void *ctx, const void *value, size_t size)
{
	const struct did_keys *doc = value;
	const struct wanted *w = ctx;

	(void)size;
	for (size_t k = 0; k < doc->nkeys; k++) {
		if (strcmp(doc->keys[k].vm, w->vm) == 0 && (doc->keys[k].rel & w->rel)) {
			memcpy(w->pk, doc->keys[k].pk, 32);
			return 0;
		}
	}
	return OK_EINVALID;
}

/* Whether the method id is listed under the relationship name (by id or embedded). */
static bool listed(const json_t *doc, const char *name, const char *vm)
{
	const json_t *am = json_object_get(doc, name);
	size_t i;

	for (i = 0; i < json_array_size(am); i++) {
		const json_t *m = json_array_get(am, i);
		const char *id = json_is_string(m) ? json_string_value(m)
		                                   : json_string_value(json_object_get(m, "id"));
		if (id && strcmp(id, vm) == 0)
			return true;
	}
	return false;
}

/* Keeps the Ed25519 Multikey methods of doc (of did) listed under assertionMethod or
 * authentication, each with the relationships it is listed under: a key a depository lists
 * only for issuing does not sign its presentations. */
static void read_keys(const json_t *doc, const char *did, struct did_keys *e)
{
	const json_t *methods = json_object_get(doc, "verificationMethod");
	size_t i;

	for (i = 0; i < json_array_size(methods) && e->nkeys < REMOTE_DID_CACHE_KEYS; i++) {
		const json_t *m = json_array_get(methods, i);
		const char *id = json_string_value(json_object_get(m, "id"));
		const char *type = json_string_value(json_object_get(m, "type"));
		const char *controller = json_string_value(json_object_get(m, "controller"));
		const char *mb = json_string_value(json_object_get(m, "publicKeyMultibase"));
		unsigned rel;

		if (!id || !type || !mb || strcmp(type, "Multikey") != 0 || !controller ||
		    strcmp(controller, did) != 0 || strlen(id) >= sizeof(e->keys[0].vm))
			continue;
		rel = (listed(doc, "assertionMethod", id) ? REL_ASSERTION : 0u) |
		      (listed(doc, "authentication", id) ? REL_AUTHENTICATION : 0u);
		if (!rel || vc_multikey_decode_ed25519_pub(mb, e->keys[e->nkeys].pk, NULL) != 0)
			continue;
		/* Its length is checked above. */
		snprintf(e->keys[e->nkeys].vm, sizeof(e->keys[0].vm), "%s", id);
		e->keys[e->nkeys].rel = rel;
		e->nkeys++;
	}
}

/* The host part of a did:web document URL, to match against the plain-HTTP list. */
static bool plain_http(const char *url, const char *http_hosts)
{
	const char *host = url + 8; /* after "https://" */
	size_t n = strcspn(host, "/");
	const char *p = http_hosts;

	while (p && *p) {
		size_t m = strcspn(p, ",");
		if (m == n && strncmp(p, host, n) == 0)
			return true;
		p += m;
		if (*p == ',')
			p++;
	}
	return false;
}

/* Why a key listed in the document is refused for the relationship wanted. */
static int not_listed(const struct wanted *w, struct ok_error *err)
{
	return w->rel == REL_AUTHENTICATION
	               ? ok_fail(err, OK_EINVALID,
	                         "%s is not an authentication key in the holder's DID document "
	                         "(a key listed only under assertionMethod signs credentials, not "
	                         "presentations)",
	                         w->vm)
	               : ok_fail(err, OK_EINVALID,
	                         "%s is not an assertion key in the issuer's DID document", w->vm);
}

int remote_did_resolve(struct remote_did_cache *c, const char *http_hosts, const char *vm,
                       const char *purpose, uint8_t pk[32], struct ok_error *err)
{
	struct remote_http_response res;
	struct wanted w = {vm, REL_ASSERTION, pk};
	struct did_keys *keys = NULL;
	struct ok_error ferr;
	char did[VC_DID_MAX];
	struct buf url, body;
	json_t *doc = NULL;
	int rc;

	if (purpose && strcmp(purpose, "authentication") == 0)
		w.rel = REL_AUTHENTICATION;
	else if (purpose && strcmp(purpose, "assertionMethod") != 0)
		return ok_fail(err, OK_EINVALID,
		               "keys are looked up for assertionMethod or authentication only");
	if ((rc = vc_did_of_vm(vm, did, err)))
		return rc;
	rc = remote_ttl_cache_get(&c->docs, did, find_key, &w);
	if (rc == 0)
		return 0;
	if (rc == OK_EINVALID)
		return not_listed(&w, err);
	buf_init(&url, 2048);
	buf_init(&body, (size_t)256 << 10);
	ok_error_clear(&ferr);
	if ((rc = vc_did_web_url(did, &url, err)))
		goto out;
	if (http_hosts && plain_http(url.data, http_hosts)) {
		/* "https://" becomes "http://": drop one character after the scheme's 's'. */
		memmove(url.data + 4, url.data + 5, url.len - 4);
		url.len--;
	}
	/* What went wrong on the network stays in the operator's log: a client learns only that
	 * the issuer could not be reached (no addresses, ports or TLS detail). */
	rc = remote_fetch_guard_get(c->guard, url.data, did,
	                            "application/did+json, application/json", &body, &res, &ferr);
	if (rc) {
		rc = ok_fail(err, OK_EIO, "the issuer could not be resolved");
		goto out;
	}
	if (vc_jcs_parse(body.data, body.len, 0, &doc, &ferr) != 0 ||
	    !json_is_string(json_object_get(doc, "id")) ||
	    strcmp(json_string_value(json_object_get(doc, "id")), did) != 0) {
		remote_fetch_guard_fail(c->guard, url.data, "the answer is not the DID document");
		rc = ok_fail(err, OK_EIO,
		             "the issuer could not be resolved: its host did not answer with the "
		             "DID document of %s",
		             did);
		goto out;
	}
	keys = calloc(1, sizeof(*keys));
	if (!keys) {
		rc = ok_fail(err, OK_ENOMEM, "out of memory");
		goto out;
	}
	read_keys(doc, did, keys);
	rc = find_key(&w, keys, sizeof(*keys));
	if (rc)
		not_listed(&w, err);
	else
		ok_error_clear(err);
	/* The server's max-age when it gives a shorter one, else the cache's own TTL; a max-age
	 * of 0 keeps nothing. */
	remote_ttl_cache_put(&c->docs, did, keys, sizeof(*keys),
	                     1000 * (int64_t)(res.max_age >= 0 && res.max_age < c->default_ttl_s
	                                              ? res.max_age
	                                              : c->default_ttl_s));
out:
	json_decref(doc);
	buf_release(&url);
	buf_release(&body);
	return rc;
}
