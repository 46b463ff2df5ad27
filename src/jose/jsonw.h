/* Compact JSON text of jansson values written straight into a struct buf: what JWS and SD-JWT
 * issuing sign, without json_dumps's allocation and copy per call.
 *
 * Invariants:
 * - Objects keep jansson's insertion order; strings are written as they are (jansson holds
 *   valid UTF-8 only) with '"', '\\' and control characters escaped; integers in decimal; reals
 *   as jansson writes them. The text is valid JSON that json_loads reads back to an equal value.
 * - At most JOSE_JSONW_DEPTH_MAX levels of nesting (OK_ETOOBIG past it); the buf's cap bounds
 *   the length (OK_ETOOBIG). On failure out is as it was.
 */
#ifndef OK_JOSE_JSONW_H
#define OK_JOSE_JSONW_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "core/buf.h"

#define JOSE_JSONW_DEPTH_MAX 64

/* Appends the n bytes at s as a JSON string. */
int jose_jsonw_str(struct buf *out, const char *s, size_t n);
/* Appends the name of a member of an object being written: ',' unless it is the first member,
 * the n bytes at name as a JSON string, ':'. */
int jose_jsonw_name(struct buf *out, bool first, const char *name, size_t n);
/* Appends the compact JSON text of v. */
int jose_jsonw(struct buf *out, const json_t *v);
/* The same for a v written inside depth levels of nesting already (they count toward
 * JOSE_JSONW_DEPTH_MAX). */
int jose_jsonw_at(struct buf *out, const json_t *v, int depth);
/* Appends object obj with the value of its member name replaced by the JSON text raw (written
 * as it is), or that member added last when obj has none. */
int jose_jsonw_object_with(struct buf *out, const json_t *obj, const char *name, const char *raw);

#endif
