/* What the files of oid4vci/ share: random secrets and their stored hashes. */
#ifndef OK_OID4VCI_INTERNAL_H
#define OK_OID4VCI_INTERNAL_H

#include "oid4vci/oid4vci.h"

/* A fresh 256-bit random value in base64url (OID4VCI_SECRET_LEN characters and a NUL). */
void oid4vci_secret(char out[OID4VCI_SECRET_LEN + 1]);
/* The hash a secret of a kind ("offer", "code", "token", "nonce", "dpop", "pin") is stored
 * and found by: BLAKE2b-256 under a label per kind. salt may be NULL. */
void oid4vci_hash(const char *kind, const char *salt, const char *value,
                  unsigned char out[STORE_HASH_BYTES]);
/* The pre-authorized code of an offer's token: derived, so that neither is kept in clear. */
void oid4vci_code_of(const char *offer_token, char out[OID4VCI_SECRET_LEN + 1]);
/* Checks a DPoP proof for htm at the depository's base URL + path (with ath when access_token is
 * not NULL) and keeps its jti, in the caller's transaction, so that a replay is refused; jkt
 * gets the key's thumbprint. */
int oid4vci_dpop_accept(struct depository *d, const char *proof, const char *htm, const char *path,
                        const char *access_token, int64_t now_ms, char jkt[JOSE_THUMBPRINT_MAX],
                        const char **oauth, struct ok_error *err);
/* Refuses with the OAuth / OpenID4VCI error code what: sets *oauth, then ok_fail(err, …). */
#define OID4VCI_REFUSE(oauth, what, ...) (*(oauth) = (what), ok_fail(__VA_ARGS__))

#endif
