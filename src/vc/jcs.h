/* RFC 8785 JSON Canonicalization Scheme (JCS): the bytes that eddsa-jcs-2022 hashes and signs.
 *
 * Invariants:
 * - Input accepted by the parser is strict I-JSON: well-formed UTF-8, no lone surrogates in \u
 *   escapes, no duplicate object keys, nesting at most VC_JCS_MAX_DEPTH levels, at most
 *   VC_JCS_MAX_INPUT bytes. Anything else fails with OK_EINPUT (OK_ETOOBIG for size) and a
 *   message that says which rule was broken.
 * - Every number is an IEEE 754 double, as in ECMAScript: the parser turns every number into a
 *   json_real (2^53+1 becomes 9007199254740992), and the serializer writes doubles with
 *   ECMAScript's Number::toString (1e21 -> "1e+21", 1e-7 -> "1e-7", -0 -> "0").
 * - Canonical output: no whitespace, object keys sorted by their UTF-16 code units, strings
 *   escaped only where JSON requires it (\b \t \n \f \r \" \\ and \u00xx for other control
 *   characters); everything else is literal UTF-8. Canonicalizing canonical output gives the same
 *   bytes.
 * - No function keeps state between calls; all are safe to call from several threads.
 */
#ifndef OK_VC_JCS_H
#define OK_VC_JCS_H

#include <jansson.h>
#include <stddef.h>

#include "core/buf.h"
#include "core/error.h"
#include "core/json_tree.h"

#define VC_JCS_MAX_INPUT  ((size_t)1 << 20) /* bytes of JSON text */
#define VC_JCS_MAX_DEPTH  64                /* nested arrays and objects */
#define VC_JCS_NUMBER_MAX 32                /* room for any formatted double, with its NUL */

/* Parser flags. */
#define VC_JCS_ALLOW_NUL                                                  \
	0x1u /* accept \u0000 inside strings (by default refused, since C \
	      * string consumers would silently cut such a value short) */

/* Parsing */

/*
 * Parses the len bytes at data under the rules above. On success *out holds a new reference
 * (the caller json_decref()s it); on failure *out is NULL and err says why, with err->line set
 * to the line of the problem where known.
 */
int vc_jcs_parse(const char *data, size_t len, unsigned flags, json_t **out, struct ok_error *err);

/*
 * The same rules read into a json_tree (core/json_tree.h) instead of jansson: what
 * vc_jcs_parse(data, len, 0, …) refuses, this refuses too, with a message of json_tree's words
 * (OK_ETOOBIG past VC_JCS_MAX_INPUT); one difference: a NUL byte outside a string, which jansson
 * skips after a number or literal, is refused. Numbers keep their text; integers outside int64
 * are read as doubles, as vc_jcs_parse reads every number. data must outlive t; *root gets the
 * document's index.
 */
int vc_jcs_parse_tree(const char *data, size_t len, struct json_tree *t, uint32_t *root,
                      struct ok_error *err);

/* Writing */

/*
 * Appends the canonical form of v to out (whose cap limits the output). Fails with OK_EINPUT on
 * values JCS cannot express (NaN, infinities, invalid UTF-8 in a string made without checks,
 * nesting over VC_JCS_MAX_DEPTH) and OK_ETOOBIG when out's cap is reached; out may then hold a
 * partial result, which the caller discards.
 */
int vc_jcs_serialize(const json_t *v, struct buf *out, struct ok_error *err);

/*
 * Appends the canonical form of value i of t, as vc_jcs_serialize() writes the json_t that
 * vc_jcs_parse() makes of the same text (every number through ECMAScript's Number::toString).
 * t's strings and names are not checked for UTF-8 again: json_tree's reader has (and only it
 * writes trees), so they are only escaped, and copied as they are when the reader noted that
 * they hold nothing to escape; jansson's, which json_string_nocheck may have made,
 * vc_jcs_serialize() checks as it writes them.
 * When i is an object, its member named skip (NULL: none) is left out, and when ctx is not 0,
 * its "@context" is written as the value ctx of t (added when i has none): the proof's
 * unsecured document and configuration written from the secured one, without copies.
 */
int vc_jcs_serialize_tree(const struct json_tree *t, uint32_t i, const char *skip, uint32_t ctx,
                          struct buf *out, struct ok_error *err);

/* vc_jcs_parse() then vc_jcs_serialize(): JSON text in, canonical JSON text appended to out. */
int vc_jcs_canonicalize(const char *data, size_t len, unsigned flags, struct buf *out,
                        struct ok_error *err);

/*
 * Writes ECMAScript's Number::toString(d) into out (cap bytes, at least VC_JCS_NUMBER_MAX), NUL
 * terminated. Fails with OK_EINPUT for NaN and infinities, OK_ETOOBIG when cap is too small.
 */
int vc_jcs_format_number(double d, char *out, size_t cap, struct ok_error *err);

#endif
