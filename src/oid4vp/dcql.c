/* DCQL queries built, checked and matched (see dcql.h). */
#include "oid4vp/dcql.h"

#include <stdio.h>
#include <string.h>

#include "core/buf.h"
#include "io/utf8.h"

static const char *const kinds[] = {"diploma", "degree", "course", "module", "exam", NULL};
/* The claims a verifier may ask for beside those always asked; the names of our own vct. */
static const char *const optional_claims[] = {"birthdate",  "grade",     "credits_ects",
                                              "awarded_on", "record_id", "programme_code",
                                              "language",   NULL};

static bool in_list(const char *s, const char *const *list)
{
	for (size_t i = 0; list[i]; i++)
		if (strcmp(s, list[i]) == 0)
			return true;
	return false;
}

/* An id of a credential query: [A-Za-z0-9_-]{1,64}. */
static bool id_ok(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > 64)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];

		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		      c == '_' || c == '-'))
			return false;
	}
	return true;
}

/* A short code from a list of the ask (an institution code, a country): printable ASCII. */
static bool code_ok(const char *s, size_t max)
{
	size_t n = strlen(s);

	if (n == 0 || n > max)
		return false;
	for (size_t i = 0; i < n; i++)
		if (s[i] <= ' ' || s[i] > '~')
			return false;
	return true;
}

/* Reads the optional string array member name of ask, each through ok, into *out (a new array
 * or NULL when absent). */
static int ask_list(const json_t *ask, const char *name, bool (*ok)(const char *), json_t **out,
                    struct ok_error *err)
{
	const json_t *v = json_object_get(ask, name), *item;
	size_t i;

	*out = NULL;
	if (!v || json_is_null(v))
		return 0;
	if (!json_is_array(v) || json_array_size(v) > OID4VP_ASK_LIST_MAX)
		return ok_fail_field(err, OK_EINPUT, name,
		                     "%s must be an array of at most %d strings", name,
		                     OID4VP_ASK_LIST_MAX);
	if (!(*out = json_array()))
		return ok_fail(err, OK_ENOMEM, "out of memory");
	json_array_foreach(v, i, item)
	{
		const char *s = json_string_value(item);
		size_t k;
		const json_t *seen;

		if (!s || strlen(s) != json_string_length(item) || !ok(s)) {
			json_decref(*out);
			*out = NULL;
			return ok_fail_field(err, OK_EINPUT, name,
			                     "%s[%zu] is not an accepted value", name, i);
		}
		json_array_foreach(*out, k,
		                   seen) if (strcmp(json_string_value(seen), s) == 0) break;
		if (k == json_array_size(*out) && json_array_append_new(*out, json_string(s))) {
			json_decref(*out);
			*out = NULL;
			return ok_fail(err, OK_ENOMEM, "out of memory");
		}
	}
	return 0;
}

static bool kind_ok(const char *s)
{
	return in_list(s, kinds);
}

static bool claim_ok(const char *s)
{
	return in_list(s, optional_claims);
}

static bool institution_ok(const char *s)
{
	return code_ok(s, 32);
}

static bool country_ok(const char *s)
{
	return strlen(s) == 2 && s[0] >= 'A' && s[0] <= 'Z' && s[1] >= 'A' && s[1] <= 'Z';
}

/* Appends {"path": [a, b]} (b may be NULL), with values when not NULL (stolen). */
static int add_claim(json_t *claims, const char *a, const char *b, json_t *values)
{
	json_t *c = json_pack("{s:[s]}", "path", a);

	if (c && b && json_array_append_new(json_object_get(c, "path"), json_string(b)))
		goto fail;
	if (c && values && json_object_set_new(c, "values", values)) {
		values = NULL;
		goto fail;
	}
	values = NULL;
	if (!c || json_array_append_new(claims, c))
		return OK_ENOMEM;
	return 0;
fail:
	json_decref(values);
	json_decref(c);
	return OK_ENOMEM;
}

int oid4vp_dcql_from_ask(const json_t *ask, const char *base_url, json_t **dcql,
                         struct ok_error *err)
{
	json_t *kinds_v = NULL, *insts = NULL, *countries = NULL, *extra = NULL;
	json_t *vct = NULL, *claims = NULL, *levels = NULL, *item;
	const json_t *min = json_object_get(ask, "min_eqf_level");
	const char *known[] = {"kinds", "min_eqf_level", "institutions",  "countries",   "claims",
	                       "label", "requester",     "response_mode", "same_device", NULL};
	const char *key;
	json_t *value;
	size_t i;
	int rc;

	*dcql = NULL;
	if (!json_is_object(ask))
		return ok_fail(err, OK_EINPUT, "the request must be a JSON object");
	json_object_foreach((json_t *)ask, key, value)
	{
		if (!in_list(key, known))
			return ok_fail_field(err, OK_EINPUT, key, "unknown member %s", key);
	}
	if ((rc = ask_list(ask, "kinds", kind_ok, &kinds_v, err)) ||
	    (rc = ask_list(ask, "institutions", institution_ok, &insts, err)) ||
	    (rc = ask_list(ask, "countries", country_ok, &countries, err)) ||
	    (rc = ask_list(ask, "claims", claim_ok, &extra, err)))
		goto out;
	if (!kinds_v || json_array_size(kinds_v) == 0) {
		rc = ok_fail_field(
		        err, OK_EINPUT, "kinds",
		        "kinds must name at least one of diploma, degree, course, module, "
		        "exam");
		goto out;
	}
	if (min && !json_is_null(min) &&
	    (!json_is_integer(min) || json_integer_value(min) < 1 || json_integer_value(min) > 8)) {
		rc = ok_fail_field(err, OK_EINPUT, "min_eqf_level",
		                   "min_eqf_level must be a whole number from 1 to 8");
		goto out;
	}
	rc = OK_ENOMEM;
	if (!(vct = json_array()) || !(claims = json_array()))
		goto nomem;
	json_array_foreach(kinds_v, i, item)
	{
		char url[1024];

		if (snprintf(url, sizeof(url), "%s/vct/%s", base_url, json_string_value(item)) >=
		    (int)sizeof(url)) {
			rc = ok_fail(err, OK_ETOOBIG, "the depository's base URL is too long");
			goto out;
		}
		if (json_array_append_new(vct, json_string(url)))
			goto nomem;
	}
	if (add_claim(claims, "given_name", NULL, NULL) ||
	    add_claim(claims, "family_name", NULL, NULL) ||
	    add_claim(claims, "title", NULL, NULL) ||
	    add_claim(claims, "institution", "name", NULL))
		goto nomem;
	if (min && json_is_integer(min)) {
		if (!(levels = json_array()))
			goto nomem;
		for (json_int_t l = json_integer_value(min); l <= 8; l++)
			if (json_array_append_new(levels, json_integer(l)))
				goto nomem;
		rc = add_claim(claims, "eqf_level", NULL, levels);
		levels = NULL;
		if (rc)
			goto nomem;
	}
	if (insts && json_array_size(insts)) {
		rc = add_claim(claims, "institution", "code", insts);
		insts = NULL;
		if (rc)
			goto nomem;
	}
	if (countries && json_array_size(countries)) {
		rc = add_claim(claims, "institution", "country", countries);
		countries = NULL;
		if (rc)
			goto nomem;
	}
	json_array_foreach(extra, i, item)
	{
		if (add_claim(claims, json_string_value(item), NULL, NULL))
			goto nomem;
	}
	*dcql = json_pack("{s:[{s:s,s:s,s:{s:O},s:O}]}", "credentials", "id",
	                  OID4VP_CREDENTIAL_QUERY, "format", "dc+sd-jwt", "meta", "vct_values", vct,
	                  "claims", claims);
	rc = *dcql ? 0 : OK_ENOMEM;
	if (rc)
		goto nomem;
	goto out;
nomem:
	rc = ok_fail(err, OK_ENOMEM, "out of memory");
out:
	json_decref(kinds_v);
	json_decref(insts);
	json_decref(countries);
	json_decref(extra);
	json_decref(vct);
	json_decref(claims);
	json_decref(levels);
	return rc;
}

static int check_claim(const json_t *c, size_t ci, size_t k, struct ok_error *err)
{
	const json_t *path = json_object_get(c, "path"), *values = json_object_get(c, "values");
	const json_t *p;
	const char *key;
	json_t *value;
	size_t i;

	if (!json_is_object(c))
		return ok_fail_field(err, OK_EINPUT, "claims",
		                     "credentials[%zu].claims[%zu] is not an object", ci, k);
	json_object_foreach((json_t *)c, key, value)
	{
		if (strcmp(key, "path") && strcmp(key, "values") && strcmp(key, "id"))
			return ok_fail_field(err, OK_EINPUT, "claims",
			                     "credentials[%zu].claims[%zu] has an unknown member",
			                     ci, k);
	}
	if (json_object_get(c, "id") && (!json_is_string(json_object_get(c, "id")) ||
	                                 !id_ok(json_string_value(json_object_get(c, "id")))))
		return ok_fail_field(err, OK_EINPUT, "claims", "credentials[%zu].claims[%zu].id",
		                     ci, k);
	if (!json_is_array(path) || json_array_size(path) == 0 ||
	    json_array_size(path) > OID4VP_DCQL_PATH_MAX)
		return ok_fail_field(err, OK_EINPUT, "path",
		                     "credentials[%zu].claims[%zu].path must have 1 to %d elements",
		                     ci, k, OID4VP_DCQL_PATH_MAX);
	json_array_foreach(path, i, p)
	{
		if (!(json_is_string(p) && json_string_length(p) > 0 &&
		      json_string_length(p) <= 256) &&
		    !(json_is_integer(p) && json_integer_value(p) >= 0) && !json_is_null(p))
			return ok_fail_field(
			        err, OK_EINPUT, "path",
			        "credentials[%zu].claims[%zu].path[%zu] must be a name, "
			        "an index or null",
			        ci, k, i);
	}
	if (values) {
		if (!json_is_array(values) || json_array_size(values) == 0 ||
		    json_array_size(values) > OID4VP_DCQL_VALUES_MAX)
			return ok_fail_field(
			        err, OK_EINPUT, "values",
			        "credentials[%zu].claims[%zu].values must have 1 to %d "
			        "elements",
			        ci, k, OID4VP_DCQL_VALUES_MAX);
		json_array_foreach(values, i, p)
		{
			if (!json_is_string(p) && !json_is_integer(p) && !json_is_boolean(p))
				return ok_fail_field(
				        err, OK_EINPUT, "values",
				        "credentials[%zu].claims[%zu].values[%zu] must be "
				        "a string, an integer or a boolean",
				        ci, k, i);
		}
	}
	return 0;
}

int oid4vp_dcql_check(const json_t *dcql, struct ok_error *err)
{
	const json_t *creds = json_object_get(dcql, "credentials"), *cq;
	const char *key;
	json_t *value;
	size_t i, j;
	int rc;

	if (!json_is_object(dcql))
		return ok_fail_field(err, OK_EINPUT, "dcql_query",
		                     "the DCQL query is not an object");
	json_object_foreach((json_t *)dcql, key, value)
	{
		if (strcmp(key, "credentials") != 0)
			return ok_fail_field(err, OK_EINPUT, "dcql_query",
			                     "the DCQL query has a member this verifier does not "
			                     "support (only credentials)");
	}
	if (!json_is_array(creds) || json_array_size(creds) == 0 ||
	    json_array_size(creds) > OID4VP_DCQL_CREDS_MAX)
		return ok_fail_field(err, OK_EINPUT, "credentials",
		                     "credentials must have 1 to %d credential queries",
		                     OID4VP_DCQL_CREDS_MAX);
	json_array_foreach(creds, i, cq)
	{
		const json_t *id = json_object_get(cq, "id"), *meta, *claims, *c;

		if (!json_is_object(cq) || !json_is_string(id) || !id_ok(json_string_value(id)) ||
		    strlen(json_string_value(id)) != json_string_length(id))
			return ok_fail_field(err, OK_EINPUT, "id",
			                     "credentials[%zu].id must match [A-Za-z0-9_-]{1,64}",
			                     i);
		for (j = 0; j < i; j++)
			if (strcmp(json_string_value(
			                   json_object_get(json_array_get(creds, j), "id")),
			           json_string_value(id)) == 0)
				return ok_fail_field(err, OK_EINPUT, "id",
				                     "credentials[%zu].id is used twice", i);
		json_object_foreach((json_t *)cq, key, value)
		{
			if (strcmp(key, "id") && strcmp(key, "format") && strcmp(key, "meta") &&
			    strcmp(key, "claims"))
				return ok_fail_field(
				        err, OK_EINPUT, "credentials",
				        "credentials[%zu] has a member this verifier does "
				        "not support",
				        i);
		}
		if (!json_is_string(json_object_get(cq, "format")))
			return ok_fail_field(err, OK_EINPUT, "format",
			                     "credentials[%zu].format must be a string", i);
		meta = json_object_get(cq, "meta");
		if (meta) {
			const json_t *vv = json_object_get(meta, "vct_values"), *v;

			if (!json_is_object(meta) ||
			    (vv && (!json_is_array(vv) || json_array_size(vv) == 0 ||
			            json_array_size(vv) > OID4VP_DCQL_VALUES_MAX)))
				return ok_fail_field(
				        err, OK_EINPUT, "meta",
				        "credentials[%zu].meta must be an object whose "
				        "vct_values has 1 to %d strings",
				        i, OID4VP_DCQL_VALUES_MAX);
			json_array_foreach(vv, j, v)
			{
				if (!json_is_string(v))
					return ok_fail_field(
					        err, OK_EINPUT, "meta",
					        "credentials[%zu].meta.vct_values[%zu] is "
					        "not a string",
					        i, j);
			}
		}
		claims = json_object_get(cq, "claims");
		if (claims && (!json_is_array(claims) || json_array_size(claims) == 0 ||
		               json_array_size(claims) > OID4VP_DCQL_CLAIMS_MAX))
			return ok_fail_field(
			        err, OK_EINPUT, "claims",
			        "credentials[%zu].claims must have 1 to %d claims queries", i,
			        OID4VP_DCQL_CLAIMS_MAX);
		json_array_foreach(claims, j, c)
		{
			if ((rc = check_claim(c, i, j, err)))
				return rc;
		}
	}
	return 0;
}

const json_t *oid4vp_dcql_credential(const json_t *dcql, const char *id)
{
	const json_t *cq;
	size_t i;

	json_array_foreach(json_object_get(dcql, "credentials"), i, cq)
	{
		const char *cid = json_string_value(json_object_get(cq, "id"));

		if (cid && strcmp(cid, id) == 0)
			return cq;
	}
	return NULL;
}

int oid4vp_vp_token_parse(const char *s, size_t n, const json_t *dcql, json_t **out,
                          struct ok_error *err)
{
	json_error_t jerr;
	json_t *tok, *res = NULL;
	const char *key;
	json_t *value;
	int rc = 0;

	*out = NULL;
	if (n > (size_t)OID4VP_PRESENTATIONS_MAX * OID4VP_DCQL_CREDS_MAX * OID4VP_PRESENTATION_MAX)
		return ok_fail_field(err, OK_ETOOBIG, "vp_token", "vp_token is too long");
	if (!utf8_valid(s, n))
		return ok_fail_field(err, OK_EINPUT, "vp_token", "vp_token is not UTF-8");
	tok = json_loadb(s, n, JSON_REJECT_DUPLICATES, &jerr);
	if (!tok)
		return ok_fail_field(err, OK_EINPUT, "vp_token",
		                     "vp_token is not JSON (%s at character %d)", jerr.text,
		                     jerr.position);
	if (!json_is_object(tok) || json_object_size(tok) == 0 ||
	    json_object_size(tok) > OID4VP_DCQL_CREDS_MAX) {
		rc = ok_fail_field(err, OK_EINPUT, "vp_token",
		                   "vp_token must be a JSON object keyed by credential query id");
		goto out;
	}
	if (!(res = json_object())) {
		rc = ok_fail(err, OK_ENOMEM, "out of memory");
		goto out;
	}
	json_object_foreach(tok, key, value)
	{
		json_t *list = value, *p;
		size_t i;

		if (!oid4vp_dcql_credential(dcql, key)) {
			rc = ok_fail_field(err, OK_EINPUT, "vp_token",
			                   "vp_token names a credential query the request does not "
			                   "have");
			goto out;
		}
		if (json_is_string(value)) {
			if (!(list = json_pack("[O]", value))) {
				rc = ok_fail(err, OK_ENOMEM, "out of memory");
				goto out;
			}
		} else {
			json_incref(list);
		}
		if (!json_is_array(list) || json_array_size(list) == 0 ||
		    json_array_size(list) > OID4VP_PRESENTATIONS_MAX) {
			json_decref(list);
			rc = ok_fail_field(err, OK_EINPUT, "vp_token",
			                   "each member of vp_token must be an array of 1 to %d "
			                   "presentations",
			                   OID4VP_PRESENTATIONS_MAX);
			goto out;
		}
		json_array_foreach(list, i, p)
		{
			if (!json_is_string(p) || json_string_length(p) == 0 ||
			    json_string_length(p) > OID4VP_PRESENTATION_MAX ||
			    strlen(json_string_value(p)) != json_string_length(p)) {
				json_decref(list);
				rc = ok_fail_field(
				        err, OK_EINPUT, "vp_token",
				        "each presentation in vp_token must be a string of "
				        "at most %zu bytes",
				        OID4VP_PRESENTATION_MAX);
				goto out;
			}
		}
		if (json_object_set_new(res, key, list)) {
			rc = ok_fail(err, OK_ENOMEM, "out of memory");
			goto out;
		}
	}
	*out = res;
	res = NULL;
out:
	json_decref(res);
	json_decref(tok);
	return rc;
}

/* Writes the path as a.b.0 into out. */
static void path_text(const json_t *path, char *out, size_t cap)
{
	const json_t *p;
	size_t i, len = 0;

	out[0] = '\0';
	json_array_foreach(path, i, p)
	{
		int w;

		if (json_is_string(p))
			w = snprintf(out + len, cap - len, "%s%s", i ? "." : "",
			             json_string_value(p));
		else if (json_is_integer(p))
			w = snprintf(out + len, cap - len, "%s%lld", i ? "." : "",
			             (long long)json_integer_value(p));
		else
			w = snprintf(out + len, cap - len, "%s*", i ? "." : "");
		if (w < 0 || (size_t)w >= cap - len)
			return;
		len += (size_t)w;
	}
}

/* Whether a value at path (from element i on) exists under v and, when values is set, one of
 * them; null in a path means every element of an array (all must match). */
static bool path_holds(const json_t *v, const json_t *path, size_t i, const json_t *values,
                       bool *present)
{
	const json_t *p = json_array_get(path, i);

	if (i == json_array_size(path)) {
		const json_t *want;
		size_t k;

		*present = true;
		if (!values)
			return true;
		json_array_foreach(values, k, want)
		{
			if (json_equal((json_t *)want, (json_t *)v))
				return true;
		}
		return false;
	}
	if (json_is_string(p))
		return json_is_object(v) && json_object_get(v, json_string_value(p)) &&
		       path_holds(json_object_get(v, json_string_value(p)), path, i + 1, values,
		                  present);
	if (json_is_integer(p))
		return json_is_array(v) && json_array_get(v, (size_t)json_integer_value(p)) &&
		       path_holds(json_array_get(v, (size_t)json_integer_value(p)), path, i + 1,
		                  values, present);
	if (json_is_array(v) && json_array_size(v) > 0) {
		const json_t *e;
		size_t k;

		json_array_foreach(v, k, e)
		{
			if (!path_holds(e, path, i + 1, values, present))
				return false;
		}
		return true;
	}
	return false;
}

int oid4vp_dcql_match(const json_t *cq, const json_t *claims, struct ok_error *err)
{
	const json_t *vv = json_object_get(json_object_get(cq, "meta"), "vct_values"), *c;
	const char *vct = json_string_value(json_object_get(claims, "vct"));
	size_t i;

	if (vv) {
		const json_t *v;
		bool found = false;

		json_array_foreach(vv, i, v)
		{
			if (vct && strcmp(json_string_value(v), vct) == 0)
				found = true;
		}
		if (!found)
			return ok_fail_field(err, OK_EINVALID, "vct",
			                     "the credential is not of a type asked for (vct)");
	}
	json_array_foreach(json_object_get(cq, "claims"), i, c)
	{
		const json_t *path = json_object_get(c, "path");
		bool present = false;
		char name[256];

		if (path_holds(claims, path, 0, json_object_get(c, "values"), &present))
			continue;
		path_text(path, name, sizeof(name));
		if (!present)
			return ok_fail_field(
			        err, OK_EINVALID, "claims",
			        "the credential does not disclose %s, which the request "
			        "asks for",
			        name);
		return ok_fail_field(err, OK_EINVALID, "claims",
		                     "the credential's %s is not one of the values the request "
		                     "accepts",
		                     name);
	}
	return 0;
}
