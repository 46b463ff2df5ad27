/* Resolving another depository's did:web: its DID document is fetched over HTTPS (plain HTTP
 * only for hosts the configuration marks as test hosts), and only Ed25519 Multikey methods
 * listed under assertionMethod or authentication are kept, each with the relationships it is
 * listed under, cached for the document's max-age (at most the cache's TTL). A credential's
 * key must be an assertion key, a presentation's an authentication key. */
#ifndef OK_REMOTE_DID_RESOLVER_H
#define OK_REMOTE_DID_RESOLVER_H

#include <stdint.h>

#include "core/error.h"
#include "remote/ttl_cache.h"

struct remote_fetch_guard;

#define REMOTE_DID_CACHE_DOCS 32 /* documents kept, the least recently used given up first */
#define REMOTE_DID_CACHE_KEYS 8  /* assertion and authentication keys kept of each */

struct remote_did_cache {
	struct remote_ttl_cache docs; /* by DID: the document's keys (struct did_keys) */
	long default_ttl_s;           /* at most, and when the document's server gives no max-age */
	struct remote_fetch_guard *guard; /* shared limits on fetches; NULL: time limits only */
};

/* The cache holds at most REMOTE_DID_CACHE_DOCS documents of REMOTE_DID_CACHE_KEYS keys: its size
 * is bounded. guard (may be NULL) is not owned. */
void remote_did_cache_init(struct remote_did_cache *c, long default_ttl_s,
                           struct remote_fetch_guard *guard);
void remote_did_cache_release(struct remote_did_cache *c);

/*
 * The Ed25519 key of verification method vm ("did:web:HOST#key-1") for the proof purpose
 * purpose: "assertionMethod" (or NULL: a credential's) or "authentication" (a presentation's).
 * http_hosts (may be NULL) is a comma-separated list of hosts reached over plain HTTP (tests on
 * loopback). OK_EIO when the document cannot be fetched or is not the DID's document ("the
 * issuer could not be resolved", the detail only in the guard's log; a failure is remembered by
 * the guard), OK_EINVALID when it does not list vm under the purpose's relationship (or the
 * purpose is another).
 */
int remote_did_resolve(struct remote_did_cache *c, const char *http_hosts, const char *vm,
                       const char *purpose, uint8_t pk[32], struct ok_error *err);

#endif
