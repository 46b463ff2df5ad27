/* Strict form decoding (see form.h), on the one form reader of io/form.h. */
#include "oid4vp/form.h"

#include <string.h>

#include "io/form.h"

#define FORM_FIELDS_MAX 32

struct read_ctx {
	const char *const *names;
	struct buf *out;
	bool *set;
	size_t fields;
	struct ok_error *err;
};

static int take(void *arg, const char *name, const char *value, size_t value_len)
{
	struct read_ctx *c = arg;
	size_t k;

	if (++c->fields > FORM_FIELDS_MAX)
		return ok_fail(c->err, OK_EINPUT, "the form has more than %d fields",
		               FORM_FIELDS_MAX);
	if (!name[0])
		return ok_fail(c->err, OK_EINPUT, "the form has a field without a name");
	for (k = 0; c->names[k]; k++)
		if (strcmp(c->names[k], name) == 0)
			break;
	if (!c->names[k])
		return 0;
	if (c->set[k])
		return ok_fail_field(c->err, OK_EINPUT, c->names[k],
		                     "the form has the field %s twice", c->names[k]);
	/* Every field a wallet sends here means something: an empty one (or one without '=') is
	 * a malformed answer, not an absent field. */
	if (!value_len)
		return ok_fail_field(c->err, OK_EINPUT, c->names[k], "the field %s has no value",
		                     c->names[k]);
	c->set[k] = true;
	if (buf_add(&c->out[k], value, value_len + 1))
		return ok_fail_field(c->err, OK_ETOOBIG, c->names[k], "the field %s is too long",
		                     c->names[k]);
	c->out[k].len--; /* the NUL stays after the data */
	return 0;
}

int oid4vp_form_read(const char *body, size_t n, const char *const *names, struct buf *out,
                     bool *set, struct ok_error *err)
{
	struct read_ctx c = {names, out, set, 0, err};
	size_t k;

	for (k = 0; names[k]; k++)
		set[k] = false;
	return io_form_parse(body, n, take, &c, err);
}
