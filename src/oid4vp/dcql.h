/* DCQL (the Digital Credentials Query Language of OpenID4VP 1.0) as this verifier speaks it:
 * the query built from a verifier's plain choices, the shape of a stored or received query
 * checked, a wallet's vp_token read against it, and a presented credential's disclosed claims
 * matched to its credential query. Pure: no store, no clock, no crypto.
 *
 * Invariants:
 * - A query this module accepts has 1 to OID4VP_DCQL_CREDS_MAX credential queries with unique
 *   ids of [A-Za-z0-9_-]{1,64}, each with a format string, an optional boolean multiple, an
 *   optional meta object and 0 to
 *   OID4VP_DCQL_CLAIMS_MAX claims queries whose path has 1 to OID4VP_DCQL_PATH_MAX elements
 *   (names, indices >= 0, or null) and whose values (at most OID4VP_DCQL_VALUES_MAX) are
 *   strings, integers or booleans. An ldp_vc query's meta has type_values (1 to
 *   OID4VP_DCQL_VALUES_MAX arrays of 1 to OID4VP_DCQL_VALUES_MAX strings). claim_sets are
 *   refused; credential_sets (1 to OID4VP_SETS_MAX, each with 1 to OID4VP_DCQL_CREDS_MAX options
 *   naming credential queries of the query) say which queries together answer it; without them
 *   every credential query is required.
 * - A vp_token is a JSON object whose every member is a credential query id of the query, with
 *   an array of presentations: exactly one unless the credential query says "multiple": true
 *   (DCQL's default is one), then 1 to OID4VP_PRESENTATIONS_MAX (strings; for an ldp_vc query JSON
 *   objects, the Verifiable Presentations, which the parsed token holds as their compact JSON
 *   text), each at most OID4VP_PRESENTATION_MAX bytes.
 * - Malformed input fails with OK_EINPUT (OK_ETOOBIG past a bound), naming the member.
 */
#ifndef OK_OID4VP_DCQL_H
#define OK_OID4VP_DCQL_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "core/error.h"

#define OID4VP_DCQL_CREDS_MAX    8
#define OID4VP_DCQL_CLAIMS_MAX   32
#define OID4VP_DCQL_PATH_MAX     8
#define OID4VP_DCQL_VALUES_MAX   32
#define OID4VP_ASK_LIST_MAX      16
#define OID4VP_PRESENTATIONS_MAX 4
#define OID4VP_PRESENTATION_MAX  ((size_t)256 << 10)
#define OID4VP_CREDENTIAL_QUERY  "result"     /* the id of the query built from choices */
#define OID4VP_LDP_QUERY         "result_ldp" /* the ldp_vc query beside a dc+sd-jwt one */
#define OID4VP_FORMAT_SDJWT      "dc+sd-jwt"
#define OID4VP_FORMAT_LDP        "ldp_vc"
#define OID4VP_OB_TYPE_IRI       "https://purl.imsglobal.org/spec/vc/ob/vocab.html#OpenBadgeCredential"
#define OID4VP_SETS_MAX          4

/*
 * Builds the DCQL query (a new object in *dcql) for a verifier's choices, ask:
 *   {"kinds": ["degree", …], "min_eqf_level": 1-8, "institutions": ["21PB", …],
 *    "countries": ["NL", …], "claims": ["birthdate", "grade", "credits_ects", "awarded_on"]}
 * kinds is required (diploma, degree, course, module, exam); the others are optional. The
 * holder's names, the result's title and its institution's name are always asked for. The
 * credential types are this depository's own (base_url/vct/KIND), format dc+sd-jwt.
 * "formats" (optional): ["dc+sd-jwt"] (the default), ["ldp_vc"] (a W3C credential with Data
 * Integrity, query id "result") or both (two queries, "result" and "result_ldp", either of
 * which answers the request: credential_sets). "multiple": true lets each query be answered
 * with up to OID4VP_PRESENTATIONS_MAX credentials (without it: exactly one).
 */
int oid4vp_dcql_from_ask(const json_t *ask, const char *base_url, json_t **dcql,
                         struct ok_error *err);

/* Checks the shape of a DCQL query (see the invariants). */
int oid4vp_dcql_check(const json_t *dcql, struct ok_error *err);

/*
 * Reads the n bytes of a vp_token at s against the query dcql: *out gets a new object of
 * credential query id to an array of presentation strings (a single string is taken as an
 * array of one).
 */
int oid4vp_vp_token_parse(const char *s, size_t n, const json_t *dcql, json_t **out,
                          struct ok_error *err);

/* The credential query of dcql with that id, or NULL (borrowed). */
const json_t *oid4vp_dcql_credential(const json_t *dcql, const char *id);

/*
 * Whether the disclosed claims of a presented credential answer the credential query cq: its
 * vct among meta.vct_values (when given), and every claims query's path present and, when it
 * has values, its value one of them. Returns 0, or OK_EINVALID with err's message saying which
 * claim is missing or not accepted (claim names only, never their values).
 */
int oid4vp_dcql_match(const json_t *cq, const json_t *claims, struct ok_error *err);

/*
 * The same for an ldp_vc query cq and a verified W3C credential: its expanded types (the
 * JSON-LD expansion's @type IRIs of the credential node, types) hold every IRI of one of
 * meta.type_values, and every claims query holds on the credential's JSON (null in a path:
 * some element of the array, as DCQL says).
 */
int oid4vp_dcql_match_ldp(const json_t *cq, const json_t *credential, const json_t *types,
                          struct ok_error *err);

/* Whether the credential query cq (as oid4vp_dcql_from_ask builds it, either format) asks for
 * the optional claim named as in the verifier's choices ("birthdate", "grade", "credits_ects",
 * "awarded_on", …): what the verifier did not ask for is not shown to it, whatever a wallet
 * sends (a W3C credential is presented whole; a wallet may disclose more than asked). */
bool oid4vp_dcql_asks(const json_t *cq, const char *claim);

/* Whether dcql has an ldp_vc credential query. */
bool oid4vp_dcql_has_ldp(const json_t *dcql);

/* Whether the queries answered (the members of the parsed vp_token tok) answer dcql: every
 * query when it has no credential_sets, else an option of every required set. */
bool oid4vp_dcql_answered(const json_t *dcql, const json_t *tok);

#endif
