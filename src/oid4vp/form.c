/* Strict form decoding (see form.h). */
#include "oid4vp/form.h"

#include <string.h>

#include "io/utf8.h"

#define FORM_FIELDS_MAX 32

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Decodes s[0..n) into out (appended, NUL-terminated); OK_EINPUT on a bad escape or %00. */
static int decode(const char *s, size_t n, struct buf *out)
{
	for (size_t i = 0; i < n; i++) {
		char c = s[i];

		if (c == '+') {
			c = ' ';
		} else if (c == '%') {
			int hi, lo;

			if (i + 2 >= n)
				return OK_EINPUT;
			hi = hexval(s[i + 1]);
			lo = hexval(s[i + 2]);
			if (hi < 0 || lo < 0 || (hi == 0 && lo == 0))
				return OK_EINPUT;
			c = (char)(hi * 16 + lo);
			i += 2;
		} else if (c == '\0') {
			return OK_EINPUT;
		}
		if (buf_add(out, &c, 1))
			return OK_ETOOBIG;
	}
	return 0;
}

int oid4vp_form_read(const char *body, size_t n, const char *const *names, struct buf *out,
                     bool *set, struct ok_error *err)
{
	const char *p = body, *end = body + n;
	size_t fields = 0, k;
	struct buf name;
	int rc = 0;

	for (k = 0; names[k]; k++)
		set[k] = false;
	buf_init(&name, 256);
	while (p < end) {
		const char *amp = memchr(p, '&', (size_t)(end - p)), *eq;
		const char *field_end = amp ? amp : end;

		if (++fields > FORM_FIELDS_MAX) {
			rc = ok_fail(err, OK_EINPUT, "the form has more than %d fields",
			             FORM_FIELDS_MAX);
			goto out;
		}
		eq = memchr(p, '=', (size_t)(field_end - p));
		if (!eq || eq == p) {
			rc = ok_fail(err, OK_EINPUT,
			             "the form has a field without a name or value");
			goto out;
		}
		buf_reset(&name);
		if (decode(p, (size_t)(eq - p), &name) || buf_add(&name, "", 1)) {
			rc = ok_fail(err, OK_EINPUT, "the form has a malformed field name");
			goto out;
		}
		for (k = 0; names[k]; k++)
			if (strcmp(names[k], name.data) == 0)
				break;
		if (names[k]) {
			struct buf *o = &out[k];

			if (set[k]) {
				rc = ok_fail_field(err, OK_EINPUT, names[k],
				                   "the form has the field %s twice", names[k]);
				goto out;
			}
			set[k] = true;
			rc = decode(eq + 1, (size_t)(field_end - eq - 1), o);
			if (!rc && !utf8_valid(o->data, o->len))
				rc = OK_EINPUT;
			if (!rc && buf_add(o, "", 1))
				rc = OK_ETOOBIG;
			if (rc) {
				rc = ok_fail_field(err, rc, names[k],
				                   rc == OK_ETOOBIG
				                           ? "the field %s is too long"
				                           : "the field %s is not well encoded",
				                   names[k]);
				goto out;
			}
			o->len--; /* the NUL stays after the data */
		}
		p = amp ? amp + 1 : end;
	}
out:
	buf_release(&name);
	return rc;
}
