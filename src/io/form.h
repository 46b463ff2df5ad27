/* application/x-www-form-urlencoded bodies (HTML forms, and EMREX's POSTs between servers):
 * split into fields and percent-decoded, within a cap on the number of fields.
 *
 * Invariants:
 * - A name or value is handed on decoded ('+' is a space, %XX a byte) and NUL-terminated; a
 *   decoded NUL byte, a bad %-escape or invalid UTF-8 refuses the whole body: nothing a form
 *   of ours sends has them, and a C string must not be cut short by one.
 * - The callback sees fields in body order; it may stop the walk by returning non-zero, which
 *   io_form_parse then returns.
 */
#ifndef OK_IO_FORM_H
#define OK_IO_FORM_H

#include <stddef.h>

#include "core/error.h"

#define IO_FORM_FIELDS_MAX 1000

typedef int (*io_form_fn)(void *ctx, const char *name, const char *value, size_t value_len);

/* Walks the fields of body (len bytes). OK_EINPUT (field "form") for a malformed body or more
 * than IO_FORM_FIELDS_MAX fields, OK_ENOMEM, or what fn returned. */
int io_form_parse(const char *body, size_t len, io_form_fn fn, void *ctx, struct ok_error *err);

#endif
