/* The local trust list: issuers (other depositories) whose credentials this depository accepts.
 * The depository itself is always trusted and is never on the list. */
#ifndef OK_REGISTRY_TRUST_H
#define OK_REGISTRY_TRUST_H

#include <jansson.h>

#include "core/buf.h"
#include "depository/depository.h"
#include "vc/did.h"

int registry_trust_add(struct depository *d, const char *did, const char *name, const char *country,
                       struct ok_error *err);
int registry_trust_remove(struct depository *d, const char *did, struct ok_error *err);
/* Calls fn for every entry of the trust list, local and network, in the store's order. */
int registry_trust_list(struct depository *d, store_trust_fn fn, void *ctx, struct ok_error *err);

/*
 * A network trust list is a credential signed by the network's key (eddsa-jcs-2022, a did:key
 * issuer) whose subject lists the member depositories: {"type": "TrustList", "members":
 * [{"id": DID, "name", "country", "status": "active"|"suspended", "since": "YYYY-MM-DD"}]}.
 */

/* Signs a trust list of members (a JSON array as above) with the network key seed. */
int registry_trust_publish(const unsigned char seed[32], const json_t *members, json_t **out,
                           struct ok_error *err);

/*
 * A network operator's step: signs the members of the JSON file members_path with the network
 * key in key_path (a key file, made when missing), into *out (new reference). network_did gets
 * the did:key of the network key. Errors name the file they are about.
 */
int registry_trust_publish_file(const char *key_path, const char *members_path, json_t **out,
                                char network_did[VC_DID_MAX], struct ok_error *err);

/* Fetches a network's trust list from url (http:// or https://, 10 s, at most out->max bytes)
 * into out; no depository needed, so a list can be fetched before the data folder opens. */
int registry_trust_fetch(const char *url, struct buf *out, struct ok_error *err);

/*
 * Verifies a trust list (JSON text) as signed by network_did, then replaces the network part of
 * the local list with its members in one transaction; local additions stay, and win over a
 * network entry for the same DID. A list that does not verify changes nothing.
 */
int registry_trust_import(struct depository *d, const char *data, size_t len,
                          const char *network_did, size_t *imported, struct ok_error *err);

#endif
