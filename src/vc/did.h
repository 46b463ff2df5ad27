/* Decentralized identifiers of the depository: did:key and did:web for an Ed25519 key, their
 * verification method ids, and their DID documents (Multikey verification method).
 *
 * Invariants:
 * - A did:key is "did:key:" + the key's Multikey ("z6Mk…"); its one verification method is
 *   "did:key:z6Mk…#z6Mk…".
 * - A did:web is "did:web:" + the host (a port's colon written %3A) + optional path segments
 *   joined by ':'; its one verification method is "<did>#key-1".
 * - Ids are written into fixed char arrays of VC_DID_MAX bytes, NUL terminated.
 * - Nothing here touches the network: resolving a did:web is the caller's business.
 */
#ifndef OK_VC_DID_H
#define OK_VC_DID_H

#include <jansson.h>
#include <stdint.h>

#include "core/buf.h"
#include "core/error.h"
#include "vc/multibase.h"

#define VC_DID_MAX 256 /* bytes for a DID or verification method id, with its NUL */

#define VC_DID_WEB_KEY_FRAGMENT "key-1"

/* did:key */

/* Writes "did:key:z6Mk…" for pk into did. */
int vc_did_key(const uint8_t pk[VC_ED25519_PUB_BYTES], char did[VC_DID_MAX], struct ok_error *err);
/* Writes "did:key:z6Mk…#z6Mk…" for pk into vm. */
int vc_did_key_vm(const uint8_t pk[VC_ED25519_PUB_BYTES], char vm[VC_DID_MAX],
                  struct ok_error *err);
/*
 * Reads the Ed25519 public key of a did:key verification method "did:key:X#X" (or a bare
 * "did:key:X"). Fails with OK_EINPUT when it is not a did:key, the fragment differs from X, or
 * X is not an Ed25519 Multikey.
 */
int vc_did_key_vm_to_pub(const char *vm, uint8_t pk[VC_ED25519_PUB_BYTES], struct ok_error *err);

/* did:web */

/*
 * Writes the did:web for host into did. host is "name[:port][/path/segments]": a DNS name
 * (letters, digits, '-', '.'), an optional port 1-65535, optional path segments of letters,
 * digits and "-._~". Anything else fails with OK_EINPUT.
 */
int vc_did_web(const char *host, char did[VC_DID_MAX], struct ok_error *err);
/* Writes "did:web:…#key-1" for host into vm. */
int vc_did_web_vm(const char *host, char vm[VC_DID_MAX], struct ok_error *err);
/*
 * Appends to url where the DID document of a did:web lives:
 * https://HOST[:PORT]/.well-known/did.json, or https://HOST/PATH/did.json with a path.
 */
int vc_did_web_url(const char *did, struct buf *url, struct ok_error *err);

/* Verification methods and DID documents */

/* Writes the DID part of a verification method id (everything before '#') into did. */
int vc_did_of_vm(const char *vm, char did[VC_DID_MAX], struct ok_error *err);

/*
 * Builds the DID document of did with one Multikey verification method vm_id for pk, listed
 * under assertionMethod and authentication. *out is a new reference (caller json_decref()s).
 */
int vc_did_document(const char *did, const char *vm_id, const uint8_t pk[VC_ED25519_PUB_BYTES],
                    json_t **out, struct ok_error *err);
/* The DID document of the did:key of pk. *out is a new reference. */
int vc_did_document_key(const uint8_t pk[VC_ED25519_PUB_BYTES], json_t **out, struct ok_error *err);
/* The DID document of the did:web of host with key pk. *out is a new reference. */
int vc_did_document_web(const char *host, const uint8_t pk[VC_ED25519_PUB_BYTES], json_t **out,
                        struct ok_error *err);

#endif
