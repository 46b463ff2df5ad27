/* The server's JSON answers written straight into the response buffer: the same bytes as
 * jansson's json_dumpb(doc, JSON_COMPACT) (members in insertion order, no spaces, non-ASCII as
 * UTF-8, only '"', '\\' and control characters escaped, reals as jansson prints them), without
 * its callback per token, its loop check per container (a key printed from the container's
 * address into a hash table) or a text of its own to copy.
 *
 * Invariants: on success b holds exactly the text and a NUL after it; on failure b's length is
 * what it was and what follows it is unspecified. Only objects and arrays are written at the
 * top (as json_dumpb without JSON_ENCODE_ANY); a string that is not well-formed UTF-8 and a
 * tree deeper than HTTP_JSON_DEPTH_MAX (which is also what a cycle looks like) are refused.
 */
#ifndef OK_HTTP_JSON_OUT_H
#define OK_HTTP_JSON_OUT_H

#include <jansson.h>
#include <stddef.h>

#include "core/buf.h"

#define HTTP_JSON_DEPTH_MAX 512

/* Appends doc's compact text to b. 0, or OK_EINTERNAL (not an object or array at the top, a
 * string that is not UTF-8, too deep), OK_ETOOBIG (past b's cap) or OK_ENOMEM. */
int http_json_write(struct buf *b, const json_t *doc);

/* Appends the n bytes at s as a JSON string (quoted, escaped as above). 0, or OK_EINTERNAL
 * (not UTF-8), OK_ETOOBIG, OK_ENOMEM. */
int http_json_write_string(struct buf *b, const char *s, size_t n);

/* Appends a number as jansson prints a json_integer and a json_real (see json_out.c). 0, or
 * OK_ETOOBIG, OK_ENOMEM (and OK_EINTERNAL for a real that is not finite). */
int http_json_write_integer(struct buf *b, json_int_t v);
int http_json_write_real(struct buf *b, double v);

#endif
