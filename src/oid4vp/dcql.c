/* DCQL queries built, checked and matched (see dcql.h). */
#include "oid4vp/dcql.h"

#include <stdio.h>
#include <stdlib.h>
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

static bool format_ok(const char *s)
{
	return strcmp(s, OID4VP_FORMAT_SDJWT) == 0 || strcmp(s, OID4VP_FORMAT_LDP) == 0;
}

/* Whether the verifier's formats (NULL: the default, dc+sd-jwt only) include f. */
static bool wants(const json_t *formats, const char *f)
{
	const json_t *v;
	size_t i;

	if (!formats)
		return strcmp(f, OID4VP_FORMAT_SDJWT) == 0;
	json_array_foreach(formats, i, v)
	{
		if (strcmp(json_string_value(v), f) == 0)
			return true;
	}
	return false;
}

/* The Open Badges 3.0 achievementType values of this depository's credentials per kind (as
 * registry/credential.c writes them). */
static int kind_types(const char *kind, json_t *out)
{
	static const char *const degree[] = {"Degree",       "AssociateDegree", "BachelorDegree",
	                                     "MasterDegree", "DoctoralDegree",  NULL};
	const char *one = strcmp(kind, "diploma") == 0  ? "Diploma"
	                  : strcmp(kind, "exam") == 0   ? "Assessment"
	                  : strcmp(kind, "module") == 0 ? "ext:Module"
	                  : strcmp(kind, "course") == 0 ? "Course"
	                                                : NULL;

	if (one)
		return json_array_append_new(out, json_string(one)) ? OK_ENOMEM : 0;
	for (size_t i = 0; degree[i]; i++)
		if (json_array_append_new(out, json_string(degree[i])))
			return OK_ENOMEM;
	return 0;
}

/* Appends {"path": [...path]} to claims, with values when not NULL (borrowed). */
static int add_path(json_t *claims, const char *const *path, const json_t *values)
{
	json_t *c = json_pack("{s:[]}", "path"), *p = json_object_get(c, "path");

	for (size_t i = 0; c && path[i]; i++)
		if (json_array_append_new(p, strcmp(path[i], "*") == 0 ? json_null()
		                                                       : json_string(path[i])))
			goto fail;
	if (!c || (values && json_object_set(c, "values", (json_t *)values)) ||
	    json_array_append_new(claims, c))
		return OK_ENOMEM;
	return 0;
fail:
	json_decref(c);
	return OK_ENOMEM;
}

/* The optional claims as paths into a W3C credential of this depository (as
 * registry/credential.c writes it); value: the one value the path's end must have, if any. The
 * birth date is the holder's identity object of type ext:birthDate. */
static const struct {
	const char *claim;
	const char *path[6];
	const char *value;
} ldp_extras[] = {
        {"birthdate",
         {"credentialSubject", "identifier", "*", "identityType", NULL},
         "ext:birthDate"},
        {"grade", {"credentialSubject", "result", NULL}, NULL},
        {"credits_ects", {"credentialSubject", "creditsEarned", NULL}, NULL},
        {"awarded_on", {"awardedDate", NULL}, NULL},
        {"programme_code", {"credentialSubject", "achievement", "humanCode", NULL}, NULL},
        {"language", {"credentialSubject", "achievement", "inLanguage", NULL}, NULL},
};
#define LDP_EXTRAS (sizeof(ldp_extras) / sizeof(ldp_extras[0]))

/* Whether path (a DCQL claims path) is the table's path p. */
static bool path_is(const json_t *path, const char *const *p)
{
	size_t i;

	for (i = 0; p[i]; i++) {
		const json_t *e = json_array_get(path, i);

		if (strcmp(p[i], "*") == 0
		            ? !json_is_null(e)
		            : !json_is_string(e) || strcmp(json_string_value(e), p[i]))
			return false;
	}
	return json_array_size(path) == i;
}

static bool is_ldp(const json_t *cq);

bool oid4vp_dcql_asks(const json_t *cq, const char *claim)
{
	const char *const top[] = {claim, NULL};
	const json_t *c;
	size_t i, k;

	/* dc+sd-jwt: the claim by its own name at the top (as oid4vp_dcql_from_ask asks). */
	if (!is_ldp(cq)) {
		json_array_foreach(json_object_get(cq, "claims"), i, c)
		{
			if (path_is(json_object_get(c, "path"), top))
				return true;
		}
		return false;
	}
	for (k = 0; k < LDP_EXTRAS; k++)
		if (strcmp(ldp_extras[k].claim, claim) == 0)
			break;
	if (k == LDP_EXTRAS)
		return false;
	json_array_foreach(json_object_get(cq, "claims"), i, c)
	{
		if (path_is(json_object_get(c, "path"), ldp_extras[k].path))
			return true;
	}
	return false;
}

/*
 * The ldp_vc credential query (OpenID4VP 1.0 Appendix B.1) for the same choices: an Open Badges
 * credential (type_values as expanded IRIs), its claims as paths into the credential's JSON.
 * A W3C credential is presented whole, so the paths say what the verifier relies on; those with
 * values are the choices' restrictions. record_id is not in a W3C credential of this depository.
 */
static int ldp_query(const json_t *ask, const json_t *kinds_v, const json_t *extra, const char *id,
                     json_t **out, struct ok_error *err)
{
	static const char *const p_name[] = {"credentialSubject", "identifier", NULL};
	static const char *const p_title[] = {"credentialSubject", "achievement", "name", NULL};
	static const char *const p_inst[] = {"credentialSubject", "achievement", "creator", "name",
	                                     NULL};
	static const char *const p_type[] = {"credentialSubject", "achievement", "achievementType",
	                                     NULL};
	static const char *const p_eqf[] = {"credentialSubject", "achievement", "tag", "*", NULL};
	static const char *const p_code[] = {
	        "credentialSubject", "achievement", "creator", "otherIdentifier", "*",
	        "identifier",        NULL};
	static const char *const p_country[] = {
	        "credentialSubject", "achievement",        "creator",
	        "address",           "addressCountryCode", NULL};
	const json_t *min = json_object_get(ask, "min_eqf_level"), *item;
	const json_t *insts = json_object_get(ask, "institutions");
	const json_t *countries = json_object_get(ask, "countries");
	json_t *claims = json_array(), *types = json_array(), *levels = json_array();
	size_t i;
	int rc = OK_ENOMEM;

	*out = NULL;
	if (!claims || !types || !levels)
		goto out;
	json_array_foreach(kinds_v, i, item)
	{
		if (kind_types(json_string_value(item), types))
			goto out;
	}
	if (add_path(claims, p_name, NULL) || add_path(claims, p_title, NULL) ||
	    add_path(claims, p_inst, NULL) || add_path(claims, p_type, types))
		goto out;
	if (min && json_is_integer(min)) {
		for (json_int_t l = json_integer_value(min); l <= 8; l++) {
			char tag[16];

			snprintf(tag, sizeof(tag), "EQF %d", (int)l);
			if (json_array_append_new(levels, json_string(tag)))
				goto out;
		}
		if (add_path(claims, p_eqf, levels))
			goto out;
	}
	if (json_array_size(insts) && add_path(claims, p_code, insts))
		goto out;
	if (json_array_size(countries) && add_path(claims, p_country, countries))
		goto out;
	json_array_foreach(extra, i, item)
	{
		const char *c = json_string_value(item);
		size_t k;

		json_t *values = NULL;

		for (k = 0; k < LDP_EXTRAS; k++)
			if (strcmp(ldp_extras[k].claim, c) == 0)
				break;
		if (k == LDP_EXTRAS) {
			rc = ok_fail_field(
			        err, OK_EINPUT, "claims",
			        "%s is not in a W3C credential (ldp_vc) of this depository", c);
			goto out;
		}
		if (ldp_extras[k].value && !(values = json_pack("[s]", ldp_extras[k].value)))
			goto out;
		rc = add_path(claims, ldp_extras[k].path, values);
		json_decref(values);
		if (rc)
			goto out;
		rc = OK_ENOMEM;
	}
	*out = json_pack("{s:s, s:s, s:{s:[[s]]}, s:O}", "id", id, "format", OID4VP_FORMAT_LDP,
	                 "meta", "type_values", OID4VP_OB_TYPE_IRI, "claims", claims);
	rc = *out ? 0 : OK_ENOMEM;
out:
	if (rc == OK_ENOMEM)
		rc = ok_fail(err, OK_ENOMEM, "out of memory");
	json_decref(claims);
	json_decref(types);
	json_decref(levels);
	return rc;
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
	json_t *vct = NULL, *claims = NULL, *levels = NULL, *item, *formats = NULL, *creds = NULL;
	json_t *ldp = NULL;
	const json_t *min = json_object_get(ask, "min_eqf_level");
	const char *known[] = {"kinds",       "min_eqf_level", "institutions",   "countries",
	                       "claims",      "label",         "requester",      "response_mode",
	                       "same_device", "formats",       "accept_unbound", "multiple",
	                       NULL};
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
	    (rc = ask_list(ask, "claims", claim_ok, &extra, err)) ||
	    (rc = ask_list(ask, "formats", format_ok, &formats, err)))
		goto out;
	if (formats && json_array_size(formats) == 0) {
		rc = ok_fail_field(err, OK_EINPUT, "formats",
		                   "formats must name dc+sd-jwt, ldp_vc or both");
		goto out;
	}
	if (json_object_get(ask, "multiple") &&
	    !json_is_boolean(json_object_get(ask, "multiple"))) {
		rc = ok_fail_field(err, OK_EINPUT, "multiple", "multiple must be true or false");
		goto out;
	}
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
	if (!(creds = json_array()))
		goto nomem;
	if (wants(formats, OID4VP_FORMAT_SDJWT) &&
	    json_array_append_new(creds,
	                          json_pack("{s:s,s:s,s:{s:O},s:O}", "id", OID4VP_CREDENTIAL_QUERY,
	                                    "format", OID4VP_FORMAT_SDJWT, "meta", "vct_values",
	                                    vct, "claims", claims)))
		goto nomem;
	if (wants(formats, OID4VP_FORMAT_LDP)) {
		if ((rc = ldp_query(ask, kinds_v, extra,
		                    json_array_size(creds) ? OID4VP_LDP_QUERY
		                                           : OID4VP_CREDENTIAL_QUERY,
		                    &ldp, err)))
			goto out;
		if (json_array_append(creds, ldp))
			goto nomem;
	}
	/* Both formats: one of the two answers the request (DCQL credential_sets). */
	/* Several credentials a query only when the verifier asked for that (DCQL's default is
	 * one: review LDP-3). */
	if (json_is_true(json_object_get(ask, "multiple"))) {
		const json_t *cq;

		json_array_foreach(creds, i, cq)
		{
			if (json_object_set_new((json_t *)cq, "multiple", json_true()))
				goto nomem;
		}
	}
	if (json_array_size(creds) == 2)
		*dcql = json_pack("{s:O, s:[{s:[[s],[s]]}]}", "credentials", creds,
		                  "credential_sets", "options", OID4VP_CREDENTIAL_QUERY,
		                  OID4VP_LDP_QUERY);
	else
		*dcql = json_pack("{s:O}", "credentials", creds);
	rc = *dcql && json_array_size(creds) ? 0 : OK_ENOMEM;
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
	json_decref(formats);
	json_decref(creds);
	json_decref(ldp);
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

/* meta.type_values of credential query i: absent, or 1 to OID4VP_DCQL_VALUES_MAX arrays of 1
 * to OID4VP_DCQL_VALUES_MAX strings. */
static int check_type_values(const json_t *tv, size_t i, struct ok_error *err)
{
	const json_t *set, *v;
	size_t j, k;

	if (!tv)
		return 0;
	if (!json_is_array(tv) || json_array_size(tv) == 0 ||
	    json_array_size(tv) > OID4VP_DCQL_VALUES_MAX)
		goto bad;
	json_array_foreach(tv, j, set)
	{
		if (!json_is_array(set) || json_array_size(set) == 0 ||
		    json_array_size(set) > OID4VP_DCQL_VALUES_MAX)
			goto bad;
		json_array_foreach(set, k, v)
		{
			if (!json_is_string(v) || json_string_length(v) == 0 ||
			    json_string_length(v) > 256)
				goto bad;
		}
	}
	return 0;
bad:
	return ok_fail_field(err, OK_EINPUT, "meta",
	                     "credentials[%zu].meta.type_values must have 1 to %d arrays of 1 to "
	                     "%d type IRIs",
	                     i, OID4VP_DCQL_VALUES_MAX, OID4VP_DCQL_VALUES_MAX);
}

/* credential_sets: absent, or 1 to OID4VP_SETS_MAX objects with options (1 to
 * OID4VP_DCQL_CREDS_MAX arrays of 1 to OID4VP_DCQL_CREDS_MAX ids of credential queries) and an
 * optional boolean required. */
static int check_sets(const json_t *dcql, struct ok_error *err)
{
	const json_t *sets = json_object_get(dcql, "credential_sets"), *set, *opt, *id;
	size_t i, j, k;

	if (!sets)
		return 0;
	if (!json_is_array(sets) || json_array_size(sets) == 0 ||
	    json_array_size(sets) > OID4VP_SETS_MAX)
		goto bad;
	json_array_foreach(sets, i, set)
	{
		const json_t *options = json_object_get(set, "options");
		const json_t *req = json_object_get(set, "required");
		const char *key;
		json_t *value;

		if (!json_is_object(set) || !json_is_array(options) ||
		    json_array_size(options) == 0 ||
		    json_array_size(options) > OID4VP_DCQL_CREDS_MAX ||
		    (req && !json_is_boolean(req)))
			goto bad;
		json_object_foreach((json_t *)set, key, value)
		{
			if (strcmp(key, "options") && strcmp(key, "required"))
				goto bad;
		}
		json_array_foreach(options, j, opt)
		{
			if (!json_is_array(opt) || json_array_size(opt) == 0 ||
			    json_array_size(opt) > OID4VP_DCQL_CREDS_MAX)
				goto bad;
			json_array_foreach(opt, k, id)
			{
				if (!json_is_string(id) ||
				    !oid4vp_dcql_credential(dcql, json_string_value(id)))
					goto bad;
			}
		}
	}
	return 0;
bad:
	return ok_fail_field(err, OK_EINPUT, "credential_sets",
	                     "credential_sets must have 1 to %d sets, each with 1 to %d options "
	                     "naming credential queries of the query",
	                     OID4VP_SETS_MAX, OID4VP_DCQL_CREDS_MAX);
}

bool oid4vp_dcql_answered(const json_t *dcql, const json_t *tok)
{
	const json_t *sets = json_object_get(dcql, "credential_sets"), *set, *cq;
	size_t i;

	if (!sets) {
		json_array_foreach(json_object_get(dcql, "credentials"), i, cq)
		{
			if (!json_object_get(tok, json_string_value(json_object_get(cq, "id"))))
				return false;
		}
		return true;
	}
	json_array_foreach(sets, i, set)
	{
		const json_t *opt, *id;
		bool one = false;
		size_t j, k;

		if (json_is_false(json_object_get(set, "required")))
			continue;
		json_array_foreach(json_object_get(set, "options"), j, opt)
		{
			bool all = true;

			json_array_foreach(opt, k, id)
			{
				if (!json_object_get(tok, json_string_value(id)))
					all = false;
			}
			if (all)
				one = true;
		}
		if (!one)
			return false;
	}
	return true;
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
		if (strcmp(key, "credentials") != 0 && strcmp(key, "credential_sets") != 0)
			return ok_fail_field(err, OK_EINPUT, "dcql_query",
			                     "the DCQL query has a member this verifier does not "
			                     "support (only credentials and credential_sets)");
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
			    strcmp(key, "claims") && strcmp(key, "multiple"))
				return ok_fail_field(
				        err, OK_EINPUT, "credentials",
				        "credentials[%zu] has a member this verifier does "
				        "not support",
				        i);
		}
		if (json_object_get(cq, "multiple") &&
		    !json_is_boolean(json_object_get(cq, "multiple")))
			return ok_fail_field(err, OK_EINPUT, "multiple",
			                     "credentials[%zu].multiple must be true or false", i);
		if (!json_is_string(json_object_get(cq, "format")))
			return ok_fail_field(err, OK_EINPUT, "format",
			                     "credentials[%zu].format must be a string", i);
		meta = json_object_get(cq, "meta");
		if (meta && (rc = check_type_values(json_object_get(meta, "type_values"), i, err)))
			return rc;
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
	return check_sets(dcql, err);
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

static bool is_ldp(const json_t *cq)
{
	const char *f = json_string_value(json_object_get(cq, "format"));

	return f && strcmp(f, OID4VP_FORMAT_LDP) == 0;
}

bool oid4vp_dcql_has_ldp(const json_t *dcql)
{
	const json_t *cq;
	size_t i;

	json_array_foreach(json_object_get(dcql, "credentials"), i, cq)
	{
		if (is_ldp(cq))
			return true;
	}
	return false;
}

/* The presentations of an ldp_vc query are JSON objects: each replaced by its compact text,
 * bounded as a string presentation is (a list of one object came as the object itself). */
static int ldp_texts(json_t *list, struct ok_error *err)
{
	json_t *p;
	size_t i;

	json_array_foreach(list, i, p)
	{
		char *text;

		if (!json_is_object(p))
			continue;
		if (!(text = json_dumps(p, JSON_COMPACT)))
			return ok_fail(err, OK_ENOMEM, "out of memory");
		if (strlen(text) > OID4VP_PRESENTATION_MAX ||
		    json_array_set_new(list, i, json_string(text))) {
			free(text);
			return ok_fail_field(err, OK_ETOOBIG, "vp_token",
			                     "a presentation in vp_token is longer than %zu bytes",
			                     OID4VP_PRESENTATION_MAX);
		}
		free(text);
	}
	return 0;
}

/* Whether the answered queries (members of tok) meet at most one option of each credential
 * set, unless every query of the set says "multiple": either option answers the request, and
 * both at once would be two credentials (of two people, possibly) for a request about one. */
static bool one_option_each(const json_t *dcql, const json_t *tok)
{
	const json_t *set, *opt, *id;
	size_t i, j, k;

	json_array_foreach(json_object_get(dcql, "credential_sets"), i, set)
	{
		size_t answered = 0;
		bool multiple = true;

		json_array_foreach(json_object_get(set, "options"), j, opt)
		{
			bool any = false;

			json_array_foreach(opt, k, id)
			{
				const char *qid = json_string_value(id);

				any = any || json_object_get(tok, qid);
				multiple = multiple &&
				           json_is_true(json_object_get(
				                   oid4vp_dcql_credential(dcql, qid), "multiple"));
			}
			answered += any;
		}
		if (answered > 1 && !multiple)
			return false;
	}
	return true;
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
		size_t i, max;

		if (!oid4vp_dcql_credential(dcql, key)) {
			rc = ok_fail_field(err, OK_EINPUT, "vp_token",
			                   "vp_token names a credential query the request does not "
			                   "have");
			goto out;
		}
		if (json_is_string(value) ||
		    (json_is_object(value) && is_ldp(oid4vp_dcql_credential(dcql, key)))) {
			if (!(list = json_pack("[O]", value))) {
				rc = ok_fail(err, OK_ENOMEM, "out of memory");
				goto out;
			}
		} else {
			json_incref(list);
		}
		/* DCQL: without "multiple": true a credential query asks for one credential, so
		 * an answer with more (other learners' credentials, or the same one again) is not
		 * an answer to it (review LDP-3). */
		max = json_is_true(json_object_get(oid4vp_dcql_credential(dcql, key), "multiple"))
		              ? OID4VP_PRESENTATIONS_MAX
		              : 1;
		if (!json_is_array(list) || json_array_size(list) == 0 ||
		    json_array_size(list) > max) {
			json_decref(list);
			rc = ok_fail_field(
			        err, OK_EINPUT, "vp_token",
			        "vp_token's %s must be an array of 1 to %zu presentations%s", key,
			        max,
			        max == 1 ? " (its query asks for one credential: more than "
			                   "one presentation is no answer to it)"
			                 : "");
			goto out;
		}
		if (is_ldp(oid4vp_dcql_credential(dcql, key)) && (rc = ldp_texts(list, err))) {
			json_decref(list);
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
	if (!one_option_each(dcql, res)) {
		rc = ok_fail_field(err, OK_EINPUT, "vp_token",
		                   "vp_token answers more than one option of the request's "
		                   "credential sets: answer one");
		goto out;
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
                       bool *present, bool any)
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
		                  present, any);
	if (json_is_integer(p))
		return json_is_array(v) && json_array_get(v, (size_t)json_integer_value(p)) &&
		       path_holds(json_array_get(v, (size_t)json_integer_value(p)), path, i + 1,
		                  values, present, any);
	if (json_is_array(v) && json_array_size(v) > 0) {
		const json_t *e;
		size_t k;

		json_array_foreach(v, k, e)
		{
			bool held = path_holds(e, path, i + 1, values, present, any);

			if (any && held)
				return true;
			if (!any && !held)
				return false;
		}
		return !any;
	}
	return false;
}

static int match_claims(const json_t *cq, const json_t *claims, bool any, struct ok_error *err);

int oid4vp_dcql_match(const json_t *cq, const json_t *claims, struct ok_error *err)
{
	const json_t *vv = json_object_get(json_object_get(cq, "meta"), "vct_values");
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
	return match_claims(cq, claims, false, err);
}

int oid4vp_dcql_match_ldp(const json_t *cq, const json_t *credential, const json_t *types,
                          struct ok_error *err)
{
	const json_t *tv = json_object_get(json_object_get(cq, "meta"), "type_values"), *set;
	bool found = !tv;
	size_t i;

	json_array_foreach(tv, i, set)
	{
		const json_t *want, *have;
		bool all = true;
		size_t j, k;

		json_array_foreach(set, j, want)
		{
			bool one = false;

			json_array_foreach(types, k, have)
			{
				if (json_equal((json_t *)want, (json_t *)have))
					one = true;
			}
			all = all && one;
		}
		found = found || all;
	}
	if (!found)
		return ok_fail_field(err, OK_EINVALID, "type",
		                     "the credential is not of a type asked for (type_values)");
	return match_claims(cq, credential, true, err);
}

/* Every claims query of cq holds on claims; any: null in a path is some element, else every
 * element. */
static int match_claims(const json_t *cq, const json_t *claims, bool any, struct ok_error *err)
{
	const json_t *c;
	size_t i;

	json_array_foreach(json_object_get(cq, "claims"), i, c)
	{
		const json_t *path = json_object_get(c, "path");
		bool present = false;
		char name[256];

		if (path_holds(claims, path, 0, json_object_get(c, "values"), &present, any))
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
