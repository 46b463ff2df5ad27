/* The shape of a W3C Verifiable Presentation (VC Data Model 2.0, section 4.13) and of the
 * credentials it carries: embedded credentials and enveloped VC-JOSE tokens.
 *
 * Invariants:
 * - A presentation is a JSON object whose @context is an array starting with
 *   https://www.w3.org/ns/credentials/v2, whose type (a string or an array of strings) holds
 *   VerifiablePresentation, whose id (if any) is a string, whose holder (if any) is a string or an
 *   object with a string id, and whose verifiableCredential (if any) is one item or an array of at
 *   most VC_PRESENTATION_MAX_CREDENTIALS items.
 * - Each item is either an embedded credential (an object whose type holds VerifiableCredential)
 *   or an EnvelopedVerifiableCredential whose id is "data:application/vc+jwt," followed by a
 *   compact JWS (base64url characters and two dots, at most VC_JWT_MAX bytes). Nothing else is
 *   accepted: no other media type, no parameters, no base64 flag, no percent-encoding (a JWS
 *   needs none). Whether a credential is genuine is not decided here (registry/verify.h).
 * - Parsing borrows the JSON it reads: a struct vc_presentation is valid while the document
 *   lives. Only the decoded tokens are owned (vc_presentation_release frees them).
 * - Errors are OK_EINPUT with err->field naming the member ("verifiableCredential[2].id").
 */
#ifndef OK_VC_PRESENTATION_H
#define OK_VC_PRESENTATION_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "core/error.h"

#define VC_PRESENTATION_TYPE            "VerifiablePresentation"
#define VC_PRESENTATION_ENVELOPED_TYPE  "EnvelopedVerifiableCredential"
#define VC_PRESENTATION_JWT_DATA_PREFIX "data:application/vc+jwt,"
/* Credentials one presentation may carry: each is verified in full, status lists included. */
#define VC_PRESENTATION_MAX_CREDENTIALS 16

enum vc_presentation_kind {
	VC_PRESENTATION_EMBEDDED,  /* a credential object with its own proof */
	VC_PRESENTATION_ENVELOPED, /* a VC-JOSE token in a data: URL */
};

struct vc_presentation_item {
	enum vc_presentation_kind kind;
	const json_t *credential; /* embedded: the credential (borrowed); enveloped: the envelope */
	char *jwt;                /* enveloped: the token, NUL terminated (owned); else NULL */
	size_t jwt_len;
};

struct vc_presentation {
	const json_t *document; /* borrowed */
	const char *holder;     /* the holder's id (borrowed), or NULL when none is named */
	size_t count;
	struct vc_presentation_item items[VC_PRESENTATION_MAX_CREDENTIALS];
};

/* Reading */

/* Whether doc is an object whose type holds VerifiablePresentation (nothing else checked). */
bool vc_presentation_is(const json_t *doc);

/*
 * Checks the shape of vp and fills p. On failure p holds nothing to release. Call
 * vc_presentation_release(p) after success.
 */
int vc_presentation_parse(const json_t *vp, struct vc_presentation *p, struct ok_error *err);
void vc_presentation_release(struct vc_presentation *p);

/*
 * Decodes the id of an EnvelopedVerifiableCredential: "data:application/vc+jwt,<JWS>". On
 * success *jwt is a new NUL-terminated copy of the token (caller free()s), *len its length.
 */
int vc_presentation_decode_jwt_url(const char *url, size_t url_len, char **jwt, size_t *len,
                                   struct ok_error *err);

#endif
