/* application/x-www-form-urlencoded bodies, as a wallet posts its answer to the response URI
 * (direct_post): the value of one field, decoded strictly.
 *
 * Invariants: read by io/form.h ('+' is a space and %XX a byte; a bad escape, %00 or a value
 * that is not UTF-8 refuses the whole form); a field of ours named twice or empty fails with
 * OK_EINPUT naming the field; nothing is skipped silently.
 */
#ifndef OK_OID4VP_FORM_H
#define OK_OID4VP_FORM_H

#include <stdbool.h>
#include <stddef.h>

#include "core/buf.h"
#include "core/error.h"

/*
 * Checks that the n bytes at body are a well-formed form whose field names are unique, and
 * decodes each field with a name of names (NULL-terminated) into the buf of the same index of
 * out (set: whether it was present). Fields with other names are checked and ignored.
 */
int oid4vp_form_read(const char *body, size_t n, const char *const *names, struct buf *out,
                     bool *set, struct ok_error *err);

#endif
