/* Content negotiation (RFC 9110, section 12.5.1) for the documents a verifier fetches: status
 * lists, credentials and DID documents, each offered as its own media type (application/vc,
 * application/did+json) and as plain JSON.
 *
 * Invariants:
 * - The first offer is the default: what a request without Accept, with only wildcards, or with
 *   an Accept that matches nothing gets. A verifier that sends an odd Accept still gets the
 *   document (as JSON) rather than a 406 it would read as "status unknown".
 * - Reads at most HTTP_ACCEPT_MAX_RANGES media ranges of the header; the rest is ignored.
 */
#ifndef OK_HTTP_NEGOTIATE_H
#define OK_HTTP_NEGOTIATE_H

#include <stddef.h>

#include "registry/credential.h"

#define HTTP_ACCEPT_MAX_RANGES 32

/*
 * The index into offers (n of them, lower-case "type/subtype") that accept (the header's value,
 * or NULL when absent) prefers: the highest q of the most specific range naming each offer; at
 * equal q an offer named exactly or by its type beats one only * / * matched, then the one named
 * earlier in the header, then the earlier offer. 0 (the default) when no offer is acceptable.
 */
size_t http_negotiate(const char *accept, const char *const *offers, size_t n);

struct http_request;
struct http_response;

/* A credential download's format (?format=di|jwt, or Accept: application/vc+jwt without it) and
 * media type (a static string); adds Vary: Accept. -1 after answering 400 itself. In
 * routes_vc.c. */
int http_credential_negotiate(struct http_request *req, struct http_response *res,
                              enum credential_format *f, const char **type);

#endif
