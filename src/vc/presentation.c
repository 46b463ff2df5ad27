/* Verifiable Presentations: their shape, and the VC-JOSE tokens enveloped in data: URLs. */
#include "vc/presentation.h"

#include <stdlib.h>
#include <string.h>

#include "core/format.h"
#include "vc/jwt.h"

#define CONTEXT_V2 "https://www.w3.org/ns/credentials/v2"

static bool has_type(const json_t *doc, const char *type)
{
	const json_t *t = json_object_get(doc, "type");
	size_t i;

	if (json_is_string(t))
		return strcmp(json_string_value(t), type) == 0;
	for (i = 0; i < json_array_size(t); i++)
		if (json_is_string(json_array_get(t, i)) &&
		    strcmp(json_string_value(json_array_get(t, i)), type) == 0)
			return true;
	return false;
}

/* type is a string or a non-empty array of strings. */
static bool type_well_formed(const json_t *t)
{
	size_t i;

	if (json_is_string(t))
		return true;
	if (!json_is_array(t) || json_array_size(t) == 0)
		return false;
	for (i = 0; i < json_array_size(t); i++)
		if (!json_is_string(json_array_get(t, i)))
			return false;
	return true;
}

bool vc_presentation_is(const json_t *doc)
{
	return json_is_object(doc) && has_type(doc, VC_PRESENTATION_TYPE);
}

static bool jws_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '-' || c == '_';
}

int vc_presentation_decode_jwt_url(const char *url, size_t url_len, char **jwt, size_t *len,
                                   struct ok_error *err)
{
	const size_t plen = sizeof(VC_PRESENTATION_JWT_DATA_PREFIX) - 1;
	const char *tok;
	size_t n, i, dots = 0;
	char *copy;

	*jwt = NULL;
	*len = 0;
	if (url_len < plen || memcmp(url, VC_PRESENTATION_JWT_DATA_PREFIX, plen) != 0)
		return ok_fail(err, OK_EINPUT,
		               "the id must be a data: URL of media type application/vc+jwt "
		               "(\"data:application/vc+jwt,<token>\")");
	tok = url + plen;
	n = url_len - plen;
	if (n == 0)
		return ok_fail(err, OK_EINPUT, "the data: URL holds no token");
	if (n > VC_JWT_MAX)
		return ok_fail(err, OK_ETOOBIG, "the enveloped token is larger than %zu bytes",
		               (size_t)VC_JWT_MAX);
	/* A compact JWS is base64url and two dots: anything else (percent-escapes, white space,
	 * a NUL) is refused rather than decoded. */
	for (i = 0; i < n; i++) {
		if (tok[i] == '.')
			dots++;
		else if (!jws_char(tok[i]))
			return ok_fail(err, OK_EINPUT,
			               "the enveloped token holds a character a compact JWS cannot "
			               "(at byte %zu)",
			               i);
	}
	if (dots != 2)
		return ok_fail(err, OK_EINPUT,
		               "the enveloped token is not a compact JWS (three parts separated by "
		               "dots)");
	copy = malloc(n + 1);
	if (!copy)
		return ok_fail(err, OK_ENOMEM, "out of memory");
	memcpy(copy, tok, n);
	copy[n] = '\0';
	*jwt = copy;
	*len = n;
	return 0;
}

static int item_fail(struct ok_error *err, int code, size_t i, const char *member, const char *msg)
{
	char field[64];

	/* A short fixed name and an index below 16: always fits. */
	if (ok_format(field, sizeof(field), "verifiableCredential[%zu]%s%s", i, *member ? "." : "",
	              member) != 0)
		field[0] = '\0';
	return ok_fail_field(err, code, field, "verifiableCredential[%zu]: %s", i, msg);
}

static int parse_item(const json_t *item, size_t i, struct vc_presentation_item *out,
                      struct ok_error *err)
{
	const json_t *id, *ctx;
	struct ok_error sub;
	int rc;

	memset(out, 0, sizeof(*out));
	if (!json_is_object(item))
		return item_fail(
		        err, OK_EINPUT, i, "",
		        "an item must be a credential object or an "
		        "EnvelopedVerifiableCredential (a string or a link is not accepted)");
	if (!type_well_formed(json_object_get(item, "type")))
		return item_fail(err, OK_EINPUT, i, "type",
		                 "type must be a string or an array of strings");
	if (has_type(item, VC_PRESENTATION_ENVELOPED_TYPE)) {
		ctx = json_object_get(item, "@context");
		if (ctx && !(json_is_array(ctx) && json_is_string(json_array_get(ctx, 0)) &&
		             strcmp(json_string_value(json_array_get(ctx, 0)), CONTEXT_V2) == 0))
			return item_fail(err, OK_EINPUT, i, "@context",
			                 "an envelope's @context must start with " CONTEXT_V2);
		id = json_object_get(item, "id");
		if (!json_is_string(id))
			return item_fail(
			        err, OK_EINPUT, i, "id",
			        "an EnvelopedVerifiableCredential needs its id: a data: URL "
			        "holding the credential");
		ok_error_clear(&sub);
		rc = vc_presentation_decode_jwt_url(json_string_value(id), json_string_length(id),
		                                    &out->jwt, &out->jwt_len, &sub);
		if (rc)
			return item_fail(err, rc, i, "id", sub.message);
		out->kind = VC_PRESENTATION_ENVELOPED;
		out->credential = item;
		return 0;
	}
	if (!has_type(item, "VerifiableCredential"))
		return item_fail(err, OK_EINPUT, i, "type",
		                 "an item must be a VerifiableCredential or an "
		                 "EnvelopedVerifiableCredential");
	out->kind = VC_PRESENTATION_EMBEDDED;
	out->credential = item;
	return 0;
}

int vc_presentation_parse(const json_t *vp, struct vc_presentation *p, struct ok_error *err)
{
	const json_t *ctx, *id, *holder, *vcs;
	size_t i, n;
	int rc;

	memset(p, 0, sizeof(*p));
	if (!json_is_object(vp))
		return ok_fail(err, OK_EINPUT, "a presentation must be a JSON object");
	ctx = json_object_get(vp, "@context");
	if (!json_is_array(ctx) || !json_is_string(json_array_get(ctx, 0)) ||
	    strcmp(json_string_value(json_array_get(ctx, 0)), CONTEXT_V2) != 0)
		return ok_fail_field(err, OK_EINPUT, "@context",
		                     "not a W3C Verifiable Presentation 2.0: @context must be an "
		                     "array starting with " CONTEXT_V2);
	for (i = 1; i < json_array_size(ctx); i++)
		if (!json_is_string(json_array_get(ctx, i)) &&
		    !json_is_object(json_array_get(ctx, i)))
			return ok_fail_field(err, OK_EINPUT, "@context",
			                     "every @context item must be a URL or an object");
	if (!type_well_formed(json_object_get(vp, "type")) || !has_type(vp, VC_PRESENTATION_TYPE))
		return ok_fail_field(err, OK_EINPUT, "type",
		                     "not a presentation: type must hold VerifiablePresentation");
	id = json_object_get(vp, "id");
	if (id && !json_is_string(id))
		return ok_fail_field(err, OK_EINPUT, "id", "the presentation's id must be a URL");
	holder = json_object_get(vp, "holder");
	if (json_is_object(holder))
		holder = json_object_get(holder, "id");
	if (json_object_get(vp, "holder") &&
	    (!json_is_string(holder) || !*json_string_value(holder)))
		return ok_fail_field(err, OK_EINPUT, "holder",
		                     "holder must be a URL or an object with an id");
	vcs = json_object_get(vp, "verifiableCredential");
	if (json_is_array(vcs) && json_array_size(vcs) > VC_PRESENTATION_MAX_CREDENTIALS)
		return ok_fail_field(err, OK_ETOOBIG, "verifiableCredential",
		                     "a presentation may carry at most %d credentials here",
		                     VC_PRESENTATION_MAX_CREDENTIALS);
	n = !vcs ? 0 : json_is_array(vcs) ? json_array_size(vcs) : 1;
	for (i = 0; i < n; i++) {
		rc = parse_item(json_is_array(vcs) ? json_array_get(vcs, i) : vcs, i, &p->items[i],
		                err);
		if (rc) {
			p->count = i;
			vc_presentation_release(p);
			return rc;
		}
	}
	p->count = n;
	p->document = vp;
	p->holder = json_string_value(holder);
	return 0;
}

void vc_presentation_release(struct vc_presentation *p)
{
	size_t i;

	for (i = 0; i < p->count; i++) {
		free(p->items[i].jwt);
		p->items[i].jwt = NULL;
	}
	p->count = 0;
}
