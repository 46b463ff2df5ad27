/* IETF Token Status Lists for SD-JWT VC credentials: each credential's status.status_list
 * {idx, uri} names the same slot (list n, index) as its achievement's Bitstring Status List
 * entries, so that revoking or suspending flips both. 2 bits per entry: 0 valid, 1 revoked
 * (INVALID), 2 suspended. Served as a signed application/statuslist+jwt (ES256, x5c), made
 * again only when either Bitstring list's version moved (kept like the Bitstring lists). */
#ifndef OK_REGISTRY_SDJWT_STATUS_H
#define OK_REGISTRY_SDJWT_STATUS_H

#include <stdint.h>

#include "core/buf.h"
#include "core/error.h"
#include "depository/depository.h"

#define SDJWT_STATUS_TYP     "statuslist+jwt"
#define SDJWT_STATUS_VALID     0
#define SDJWT_STATUS_INVALID   1
#define SDJWT_STATUS_SUSPENDED 2

/* The URI of token status list n: BASE/statuslists/N. 0 or OK_ETOOBIG. */
int registry_token_status_url(const struct depository *d, int64_t n, char *out, size_t cap);

/* The signed Token Status List n (a compact JWS) appended to body, with its ETag. */
int registry_token_status_list(struct depository *d, int64_t n, struct buf *body,
                               char etag[STORE_ETAG_MAX], struct ok_error *err);

/* For a status_list entry of this depository's own lists: the 2-bit status of idx.
 * OK_ENOTFOUND when uri is not one of ours. */
int registry_token_status_local(struct depository *d, const char *uri, int64_t idx, int *status,
                                struct ok_error *err);

#endif
