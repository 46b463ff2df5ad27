/* The local trust list: issuers (other depositories) whose credentials this depository accepts.
 * The depository itself is always trusted and is never on the list. */
#ifndef OK_REGISTRY_TRUST_H
#define OK_REGISTRY_TRUST_H

#include <jansson.h>

#include "depository/depository.h"

int registry_trust_add(struct depository *d, const char *did, const char *name, const char *country,
                       struct ok_error *err);
int registry_trust_remove(struct depository *d, const char *did, struct ok_error *err);

/*
 * A network trust list is a credential signed by the network's key (eddsa-jcs-2022, a did:key
 * issuer) whose subject lists the member depositories: {"type": "TrustList", "members":
 * [{"id": DID, "name", "country", "status": "active"|"suspended", "since": "YYYY-MM-DD"}]}.
 */

/* Signs a trust list of members (a JSON array as above) with the network key seed. */
int registry_trust_publish(const unsigned char seed[32], const json_t *members, json_t **out,
                           struct ok_error *err);

/*
 * Verifies a trust list (JSON text) as signed by network_did, then replaces the network part of
 * the local list with its members in one transaction; local additions stay, and win over a
 * network entry for the same DID. A list that does not verify changes nothing.
 */
int registry_trust_import(struct depository *d, const char *data, size_t len,
                          const char *network_did, size_t *imported, struct ok_error *err);

#endif
