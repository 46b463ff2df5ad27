/* The JSON-LD 1.1 Expansion Algorithm (5.1) and Value Expansion (5.3.2) over jansson values,
 * for the subset the pinned contexts use (jsonld.h says which). */
#include "vc/jsonld_internal.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

static int expand(struct jl *st, json_t *active, const char *prop, json_t *element, bool from_map,
                  size_t depth, json_t **out);

static int nomem(struct jl *st)
{
	return ok_fail(st->err, OK_ENOMEM, "out of memory in JSON-LD expansion");
}

static int invalid(struct jl *st, const char *key, const char *what)
{
	char shown[128];

	jl_printable(key, shown, sizeof(shown));
	return ok_fail(st->err, OK_EINPUT, "invalid JSON-LD at %s: %s", shown, what);
}

/* Dropped content: an error in strict mode, else nothing. */
static int dropped(struct jl *st, const char *key, const char *what)
{
	char shown[128];

	if (!st->l->strict)
		return 0;
	jl_printable(key, shown, sizeof(shown));
	return ok_fail(st->err, OK_EINPUT, "%s: %s (JSON-LD would drop it)", shown, what);
}

static json_t *as_array(json_t *v)
{
	return json_is_array(v) ? json_incref(v) : json_pack("[O]", v);
}

/* Appends v (or each item of an array v) to the array at obj[key]. Steals v. */
static int add_value(json_t *obj, const char *key, json_t *v)
{
	json_t *arr = json_object_get(obj, key), *item;
	size_t i;
	int rc = 0;

	if (!arr) {
		if (!(arr = json_array()) || json_object_set_new(obj, key, arr) != 0) {
			json_decref(v);
			return OK_ENOMEM;
		}
	}
	if (json_is_array(v)) {
		json_array_foreach(v, i, item) if (json_array_append(arr, item) != 0) rc =
		        OK_ENOMEM;
	} else if (json_array_append(arr, v) != 0) {
		rc = OK_ENOMEM;
	}
	json_decref(v);
	return rc;
}

static char *lower(const char *s)
{
	char *r = strdup(s);
	size_t i;

	for (i = 0; r && r[i]; i++)
		r[i] = (char)tolower((unsigned char)r[i]);
	return r;
}

static bool has_upper(const char *s)
{
	for (; *s; s++)
		if (isupper((unsigned char)*s))
			return true;
	return false;
}

/* Value Expansion (5.3.2). */
static int expand_value(struct jl *st, json_t *active, const char *prop, json_t *value,
                        json_t **out)
{
	json_t *def = prop ? jl_term(active, prop) : NULL, *r, *v, *iri;
	const char *type = json_string_value(json_object_get(def, "type"));
	int rc;

	*out = NULL;
	if (type && json_is_string(value) &&
	    (strcmp(type, "@id") == 0 || strcmp(type, "@vocab") == 0)) {
		if ((rc = jl_iri_expand_used(st, active, json_string_value(value), true,
		                             strcmp(type, "@vocab") == 0, &iri)) != 0)
			return rc;
		if (!iri)
			return dropped(st, prop, "a value that expands to no IRI");
		*out = json_pack("{s:o}", "@id", iri);
		return *out ? 0 : nomem(st);
	}
	if (!(r = json_pack("{s:O}", "@value", value)))
		return nomem(st);
	if (type && strcmp(type, "@id") && strcmp(type, "@vocab") && strcmp(type, "@none")) {
		json_object_set_new(r, "@type", json_string(type));
	} else if (json_is_string(value)) {
		v = def && json_object_get(def, "language") ? json_object_get(def, "language")
		                                            : json_object_get(active, "language");
		if (json_is_string(v)) {
			char *l = lower(json_string_value(v));
			if (!l) {
				json_decref(r);
				return nomem(st);
			}
			json_object_set_new(r, "@language", json_string(l));
			free(l);
		}
		v = def && json_object_get(def, "direction") ? json_object_get(def, "direction")
		                                             : json_object_get(active, "direction");
		if (json_is_string(v))
			json_object_set(r, "@direction", v);
	}
	*out = r;
	return 0;
}

/* A language map (13.7): {"en": "x", "nl": ["y"]} into value objects. */
static int expand_language_map(struct jl *st, json_t *active, json_t *def, json_t *map,
                               json_t **out)
{
	json_t *arr = json_array(), *vals, *item, *dir = json_object_get(def, "direction");
	const char *lang;
	json_t *v;
	size_t i;
	int rc;

	if (!arr)
		return nomem(st);
	if (!dir)
		dir = json_object_get(active, "direction");
	json_object_foreach(map, lang, v)
	{
		json_t *exp_lang = NULL;
		if ((rc = jl_iri_expand(st, active, lang, false, true, &exp_lang)) != 0)
			goto fail;
		bool none = strcmp(lang, "@none") == 0 ||
		            (exp_lang && strcmp(json_string_value(exp_lang), "@none") == 0);
		json_decref(exp_lang);
		if (!(vals = as_array(v))) {
			rc = nomem(st);
			goto fail;
		}
		json_array_foreach(vals, i, item)
		{
			json_t *o;
			if (json_is_null(item))
				continue;
			if (!json_is_string(item)) {
				json_decref(vals);
				rc = invalid(st, lang, "a language map value that is not a string");
				goto fail;
			}
			if (st->l->plain_form && has_upper(lang)) {
				json_decref(vals);
				rc = invalid(st, lang, "a language tag not in lower case");
				goto fail;
			}
			o = json_pack("{s:O}", "@value", item);
			if (o && !none) {
				char *l = lower(lang);
				json_object_set_new(o, "@language", json_string(l ? l : ""));
				free(l);
			}
			if (o && json_is_string(dir))
				json_object_set(o, "@direction", dir);
			if (!o || json_array_append_new(arr, o) != 0) {
				json_decref(vals);
				rc = nomem(st);
				goto fail;
			}
		}
		json_decref(vals);
	}
	*out = arr;
	return 0;
fail:
	json_decref(arr);
	return rc;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The keys of obj in lexicographic (code point) order; the caller free()s the array. */
static const char **sorted_keys(json_t *obj, size_t *n)
{
	const char **keys = malloc((json_object_size(obj) + 1) * sizeof(*keys));
	const char *k;
	json_t *v;
	size_t i = 0;

	if (!keys)
		return NULL;
	json_object_foreach(obj, k, v)
	{
		(void)v;
		keys[i++] = k;
	}
	qsort(keys, i, sizeof(*keys), cmp_str);
	*n = i;
	return keys;
}

/* The plain form (vc_jsonld_limits.plain_form): what one member of an object may be, whatever
 * the context says. Content the quads would not carry, or an inline context that could give a
 * property the verifier reads another name, is refused before any work. */
static int plain_member(struct jl *st, const char *k, json_t *x)
{
	char shown[128];
	json_t *c;
	size_t i;

	jl_printable(k, shown, sizeof(shown));
	if (json_is_null(x))
		return ok_fail(st->err, OK_EINPUT, "%s is null: the signature would not cover it",
		               shown);
	if (strcmp(k, "@index") == 0 || strcmp(k, "@direction") == 0)
		return ok_fail(st->err, OK_EINPUT,
		               "%s is not allowed: the signature would not cover it", shown);
	/* What the verifier reads as a string is a string (review P2): a value object or an array
	 * there means the same quads, but the verifier would then refuse the credential later
	 * with a message blaming its status entry or dates. */
	if (!json_is_string(x) &&
	    (strcmp(k, "validFrom") == 0 || strcmp(k, "validUntil") == 0 ||
	     strcmp(k, "statusPurpose") == 0 || strcmp(k, "statusListIndex") == 0 ||
	     strcmp(k, "statusListCredential") == 0))
		return ok_fail(st->err, OK_EINPUT,
		               "%s: the verifier reads it as a string; write it as one (plain form)",
		               shown);
	/* An empty array adds no quad: JSON the signature does not cover, like null. */
	if (json_is_array(x) && json_array_size(x) == 0 && k[0] != '@')
		return ok_fail(st->err, OK_EINPUT,
		               "%s is an empty array: the signature would not cover it", shown);
	if (strcmp(k, "@context") == 0) {
		if (json_is_string(x))
			return 0;
		json_array_foreach(x, i, c) if (!json_is_string(c)) break;
		if (!json_is_array(x) || i < json_array_size(x))
			return ok_fail(
			        st->err, OK_EINPUT,
			        "@context: only context URLs are allowed, not inline contexts");
	}
	return 0;
}

#define OB "https://purl.imsglobal.org/spec/vc/ob/vocab.html#"
#define VC "https://www.w3.org/2018/credentials#"
#define SEC "https://w3id.org/security#"
#define STATUS "https://www.w3.org/ns/credentials/status#"
const struct vc_jsonld_read_prop vc_jsonld_read_props[] = {
        {"credentialStatus", VC "credentialStatus"},
        {"credentialSubject", VC "credentialSubject"},
        {"issuer", VC "issuer"},
        {"validFrom", VC "validFrom"},
        {"validUntil", VC "validUntil"},
        {"verifiableCredential", VC "verifiableCredential"},
        {"holder", VC "holder"},
        {"proof", SEC "proof"},
        {"created", "http://purl.org/dc/terms/created"},
        {"expires", SEC "expiration"},
        {"verificationMethod", SEC "verificationMethod"},
        {"proofPurpose", SEC "proofPurpose"},
        {"challenge", SEC "challenge"},
        {"domain", SEC "domain"},
        {"statusPurpose", STATUS "statusPurpose"},
        {"statusListIndex", STATUS "statusListIndex"},
        {"statusListCredential", STATUS "statusListCredential"},
        {"encodedList", STATUS "encodedList"},
        /* What the summary and foreign imports read of an Open Badges credential. */
        {"name", "https://schema.org/name"},
        {"achievement", OB "achievement"},
        {"achievementType", OB "achievementType"},
        {"awardedDate", OB "awardedDate"},
        {"creditsEarned", OB "creditsEarned"},
        {"creditsAvailable", OB "creditsAvailable"},
        {"result", OB "result"},
        {"value", "https://schema.org/value"},
        {"creator", OB "creator"},
        {"address", OB "address"},
        {"addressCountryCode", OB "CountryCode"},
        {"identifier", OB "identifier"},
        {"identityType", OB "identityType"},
        {"identityHash", OB "identityHash"},
        {"hashed", OB "hashed"},
};
const size_t vc_jsonld_read_props_count =
        sizeof(vc_jsonld_read_props) / sizeof(vc_jsonld_read_props[0]);
#undef OB
#undef VC
#undef SEC
#undef STATUS

/* The plain form for one key of a node or value object expanding to ep. */
static int plain_key(struct jl *st, json_t *active, const char *key, const char *ep)
{
	char shown[128];
	size_t i;

	jl_printable(key, shown, sizeof(shown));
	if (jl_is_keyword(ep)) {
		if ((strcmp(ep, "@id") == 0 && strcmp(key, "id") == 0) ||
		    (strcmp(ep, "@type") == 0 && strcmp(key, "type") == 0) ||
		    (strcmp(key, ep) == 0 &&
		     (strcmp(ep, "@value") == 0 || strcmp(ep, "@language") == 0)))
			return 0;
		return ok_fail(st->err, OK_EINPUT,
		               "%s: this keyword or keyword alias is not allowed in a credential's "
		               "plain form",
		               shown);
	}
	if (!jl_term(active, key) && (strchr(key, ':') || key[0] == '@'))
		return ok_fail(
		        st->err, OK_EINPUT,
		        "%s: an IRI or keyword as a key is not allowed; use the context's term",
		        shown);
	for (i = 0; i < vc_jsonld_read_props_count; i++)
		if (strcmp(ep, vc_jsonld_read_props[i].iri) == 0 &&
		    strcmp(key, vc_jsonld_read_props[i].key) != 0)
			return ok_fail(st->err, OK_EINPUT,
			               "%s: another name for %s is not allowed; write %s", shown,
			               vc_jsonld_read_props[i].key, vc_jsonld_read_props[i].key);
	return 0;
}

/* Refuses, before any expansion work, an object with more than JL_MAX_KEYS members, an array
 * with more than JL_MAX_ITEMS items or a "type"/"@type" array with more than JL_MAX_TYPES:
 * the work per object and per array then stays bounded whatever the order of the input. */
static int check_sizes(struct jl *st, const json_t *v, size_t depth)
{
	const char *k;
	json_t *x;
	size_t i;
	int rc;

	if (depth > st->l->max_depth)
		return ok_fail(st->err, OK_ETOOBIG, "the document nests deeper than %zu levels",
		               st->l->max_depth);
	if (json_is_object(v)) {
		if (json_object_size(v) > JL_MAX_KEYS)
			return ok_fail(st->err, OK_EINPUT,
			               "an object has %zu members, more than the limit of %d",
			               json_object_size(v), JL_MAX_KEYS);
		json_object_foreach((json_t *)v, k, x)
		{
			if (st->l->plain_form && (rc = plain_member(st, k, x)) != 0)
				return rc;
			if ((strcmp(k, "type") == 0 || strcmp(k, "@type") == 0) &&
			    json_array_size(x) > JL_MAX_TYPES) {
				char shown[128];
				jl_printable(k, shown, sizeof(shown));
				return ok_fail(st->err, OK_EINPUT,
				               "%s has %zu values, more than the limit of %d types",
				               shown, json_array_size(x), JL_MAX_TYPES);
			}
			if ((rc = check_sizes(st, x, depth + 1)) != 0)
				return rc;
		}
	} else if (json_is_array(v)) {
		if (json_array_size(v) > JL_MAX_ITEMS)
			return ok_fail(st->err, OK_EINPUT,
			               "an array has %zu items, more than the limit of %d",
			               json_array_size(v), JL_MAX_ITEMS);
		json_array_foreach(v, i, x)
		{
			if (st->l->plain_form && json_is_null(x))
				return ok_fail(
				        st->err, OK_EINPUT,
				        "null in an array: the signature would not cover it");
			if ((rc = check_sizes(st, x, depth + 1)) != 0)
				return rc;
		}
	}
	return 0;
}

/* The plain form: a type written as an IRI (or compact IRI) that a term of the context names
 * is refused, so that a type the verifier compares by its term cannot be given in another
 * spelling. The scan of the terms counts as context work, so it stays within the step limit. */
static int plain_type(struct jl *st, json_t *ctx, const char *value, json_t *iri)
{
	json_t *terms = json_object_get(ctx, "terms"), *def;
	const char *term, *want = json_string_value(iri);
	char shown[128];
	int rc;

	if (!st->l->plain_form || !want || !strchr(value, ':') || jl_term(ctx, value))
		return 0;
	if ((rc = jl_step(st, json_object_size(terms))) != 0)
		return rc;
	json_object_foreach(terms, term, def)
	{
		const char *id = json_string_value(json_object_get(def, "id"));
		if (id && strcmp(id, want) == 0) {
			jl_printable(value, shown, sizeof(shown));
			return ok_fail(
			        st->err, OK_EINPUT,
			        "type %s: a type the context names as a term is written as an "
			        "IRI; use the term",
			        shown);
		}
	}
	return 0;
}

/* The expanded value of an @type entry (13.4.4): one IRI for a string, an array for an array;
 * added to what an alias of @type already gave (have). */
static int expand_type(struct jl *st, json_t *type_scoped, const char *key, json_t *value,
                       json_t *have, json_t **out)
{
	json_t *vals, *t, *e, *arr;
	size_t j;
	int rc = 0;

	*out = NULL;
	if (json_is_string(value) && !have) {
		if ((rc = jl_iri_expand_used(st, type_scoped, json_string_value(value), true, true,
		                             out)) != 0)
			return rc;
		if (*out &&
		    (rc = plain_type(st, type_scoped, json_string_value(value), *out)) != 0) {
			json_decref(*out);
			*out = NULL;
			return rc;
		}
		return *out ? 0 : dropped(st, key, "a type no context defines");
	}
	if (!json_is_string(value) && !json_is_array(value))
		return invalid(st, key, "@type is not a string or an array of strings");
	vals = as_array(value);
	arr = json_is_array(have) ? json_copy(have) : have ? json_pack("[O]", have) : json_array();
	if (!vals || !arr) {
		json_decref(vals);
		json_decref(arr);
		return nomem(st);
	}
	json_array_foreach(vals, j, t)
	{
		if (!json_is_string(t)) {
			rc = invalid(st, key, "@type is not a string");
			break;
		}
		if ((rc = jl_iri_expand_used(st, type_scoped, json_string_value(t), true, true,
		                             &e)) != 0)
			break;
		if (e && (rc = plain_type(st, type_scoped, json_string_value(t), e)) != 0) {
			json_decref(e);
			break;
		}
		if (!e) {
			if ((rc = dropped(st, key, "a type no context defines")) != 0)
				break;
			continue;
		}
		json_array_append_new(arr, e);
	}
	json_decref(vals);
	if (rc != 0) {
		json_decref(arr);
		return rc;
	}
	*out = arr;
	return 0;
}

/* Steps 13 and 14 of the Expansion Algorithm: the entries of element into result. */
static int expand_entries(struct jl *st, json_t *active, json_t *type_scoped, const char *prop,
                          json_t *element, const char *input_type, json_t *result, size_t depth,
                          const char **sorted, size_t sorted_n)
{
	const char **keys = NULL;
	size_t n = sorted_n, i, j;
	json_t *nests = json_array();
	int rc = 0;

	/* The caller's sorted keys of element when it has them: each object is sorted once. */
	if (!nests || (!sorted && !(keys = sorted_keys(element, &n)))) {
		json_decref(nests);
		return nomem(st);
	}
	for (i = 0; i < n; i++) {
		const char *key = sorted ? sorted[i] : keys[i], *ep;
		json_t *value = json_object_get(element, key), *eprop = NULL, *ev = NULL, *def;

		if (strcmp(key, "@context") == 0)
			continue;
		if ((rc = jl_iri_expand_used(st, active, key, false, true, &eprop)) != 0)
			goto out;
		ep = eprop ? json_string_value(eprop) : NULL;
		if (!ep || (!strchr(ep, ':') && !jl_is_keyword(ep))) {
			json_decref(eprop);
			if ((rc = dropped(st, key, "a key that no context defines")) != 0)
				goto out;
			continue;
		}
		if (st->l->plain_form && (rc = plain_key(st, active, key, ep)) != 0) {
			json_decref(eprop);
			goto out;
		}
		if (jl_is_keyword(ep)) {
			if (json_object_get(result, ep) && strcmp(ep, "@type") != 0) {
				rc = invalid(st, key, "colliding keywords");
			} else if (strcmp(ep, "@id") == 0) {
				if (!json_is_string(value))
					rc = invalid(st, key, "@id is not a string");
				else if (st->l->plain_form &&
				         strncmp(json_string_value(value), "_:", 2) == 0)
					rc = invalid(st, key,
					             "a blank-node id written in the JSON");
				else if ((rc = jl_iri_expand(st, active, json_string_value(value),
				                             true, false, &ev)) == 0 &&
				         !ev)
					rc = dropped(st, key, "an @id that expands to nothing");
			} else if (strcmp(ep, "@type") == 0) {
				rc = expand_type(st, type_scoped, key, value,
				                 json_object_get(result, "@type"), &ev);
			} else if (strcmp(ep, "@graph") == 0) {
				json_t *g = NULL;
				if ((rc = expand(st, active, "@graph", value, false, depth + 1,
				                 &g)) == 0)
					ev = g ? as_array(g) : json_array();
				json_decref(g);
			} else if (strcmp(ep, "@value") == 0) {
				if (input_type && strcmp(input_type, "@json") == 0)
					ev = json_incref(value);
				else if (json_is_object(value) || json_is_array(value))
					rc = invalid(st, key, "@value is not a scalar");
				else
					ev = json_incref(value);
				if (rc == 0) {
					json_object_set_new(result, "@value",
					                    ev ? ev : json_null());
					json_decref(eprop);
					continue;
				}
			} else if (strcmp(ep, "@language") == 0) {
				char *l;
				if (!json_is_string(value)) {
					rc = invalid(st, key, "@language is not a string");
				} else if (st->l->plain_form &&
				           has_upper(json_string_value(value))) {
					rc = invalid(st, key, "a language tag not in lower case");
				} else if (!(l = lower(json_string_value(value)))) {
					rc = nomem(st);
				} else {
					ev = json_string(l);
					free(l);
				}
			} else if (strcmp(ep, "@direction") == 0) {
				const char *d = json_string_value(value);
				if (!d || (strcmp(d, "ltr") && strcmp(d, "rtl")))
					rc = invalid(st, key, "@direction is not ltr or rtl");
				else
					ev = json_incref(value);
			} else if (strcmp(ep, "@index") == 0) {
				if (!json_is_string(value))
					rc = invalid(st, key, "@index is not a string");
				else
					ev = json_incref(value);
			} else if (strcmp(ep, "@list") == 0) {
				json_t *l = NULL;
				if (!prop || strcmp(prop, "@graph") == 0) {
					json_decref(eprop);
					if ((rc = dropped(st, key, "a list outside a property")) !=
					    0)
						goto out;
					continue;
				}
				if ((rc = expand(st, active, prop, value, false, depth + 1, &l)) ==
				    0)
					ev = l ? as_array(l) : json_array();
				json_decref(l);
			} else if (strcmp(ep, "@set") == 0) {
				rc = expand(st, active, prop, value, false, depth + 1, &ev);
			} else if (strcmp(ep, "@nest") == 0) {
				json_array_append_new(nests, json_string(key));
				json_decref(eprop);
				continue;
			} else if (strcmp(ep, "@included") == 0 || strcmp(ep, "@reverse") == 0) {
				char shown[32];
				jl_printable(ep, shown, sizeof(shown));
				rc = ok_fail(st->err, OK_EINPUT, "%s is not supported", shown);
			} else {
				rc = invalid(st, key, "a keyword out of place");
			}
			if (rc == 0 && ev && !json_is_null(ev))
				json_object_set(result, ep, ev);
			json_decref(ev);
			json_decref(eprop);
			if (rc != 0)
				goto out;
			continue;
		}
		def = jl_term(active, key);
		if (json_is_string(json_object_get(def, "type")) &&
		    strcmp(json_string_value(json_object_get(def, "type")), "@json") == 0) {
			ev = json_pack("{s:O,s:s}", "@value", value, "@type", "@json");
		} else if (jl_has_container(def, "@language") && json_is_object(value)) {
			rc = expand_language_map(st, active, def, value, &ev);
		} else if (json_is_object(value) &&
		           (jl_has_container(def, "@index") || jl_has_container(def, "@id") ||
		            jl_has_container(def, "@type"))) {
			rc = ok_fail(st->err, OK_EINPUT,
			             "index, id and type maps are not supported");
		} else {
			rc = expand(st, active, key, value, false, depth + 1, &ev);
		}
		if (rc != 0) {
			json_decref(eprop);
			goto out;
		}
		if (!ev) {
			json_decref(eprop);
			continue;
		}
		if (jl_has_container(def, "@list") && !json_object_get(ev, "@list")) {
			json_t *l = json_pack("{s:o}", "@list", as_array(ev));
			json_decref(ev);
			ev = l;
		}
		if (jl_has_container(def, "@graph") && !jl_has_container(def, "@id") &&
		    !jl_has_container(def, "@index")) {
			json_t *arr = as_array(ev), *g = json_array(), *item;
			json_array_foreach(arr, j, item) json_array_append_new(
			        g, json_pack("{s:o}", "@graph", as_array(item)));
			json_decref(arr);
			json_decref(ev);
			ev = g;
		}
		if (!ev || add_value(result, ep, ev) != 0) {
			json_decref(eprop);
			rc = nomem(st);
			goto out;
		}
		json_decref(eprop);
	}
	/* Step 14: nested properties, expanded as if they were the element's own. */
	json_t *nk;
	json_array_foreach(nests, i, nk)
	{
		json_t *vals = as_array(json_object_get(element, json_string_value(nk))), *nv;
		json_array_foreach(vals, j, nv)
		{
			json_t *e = NULL;
			if (!json_is_object(nv)) {
				rc = invalid(st, json_string_value(nk),
				             "a nested value is not an object");
			} else if ((rc = jl_iri_expand(st, active, "@value", false, true, &e)) ==
			           0) {
				const char *k;
				json_t *x;
				json_object_foreach(nv, k, x)
				{
					json_t *ek = NULL;
					(void)x;
					if ((rc = jl_iri_expand(st, active, k, false, true, &ek)) !=
					    0)
						break;
					if (ek && strcmp(json_string_value(ek), "@value") == 0)
						rc = invalid(st, k, "a value object in a nest");
					json_decref(ek);
					if (rc)
						break;
				}
				if (rc == 0)
					rc = expand_entries(st, active, type_scoped, prop, nv,
					                    input_type, result, depth + 1, NULL, 0);
			}
			json_decref(e);
			if (rc)
				break;
		}
		json_decref(vals);
		if (rc)
			goto out;
	}
out:
	free(keys);
	json_decref(nests);
	return rc;
}

/* Does element have a key expanding to want (keyword)? When only_key, that key must be alone. */
static int has_keyword_key(struct jl *st, json_t *active, json_t *element, const char *want,
                           bool *found)
{
	const char *k;
	json_t *v, *e;
	int rc;

	*found = false;
	json_object_foreach(element, k, v)
	{
		(void)v;
		if ((rc = jl_iri_expand(st, active, k, false, true, &e)) != 0)
			return rc;
		if (e && strcmp(json_string_value(e), want) == 0)
			*found = true;
		json_decref(e);
	}
	return 0;
}

/* The Expansion Algorithm (5.1.2) for one map element (steps 7 to 20). */
static int expand_map(struct jl *st, json_t *active, const char *prop, json_t *element,
                      bool from_map, size_t depth, json_t **out)
{
	json_t *def = prop ? jl_term(active, prop) : NULL, *psc = json_object_get(def, "context");
	json_t *ctx = json_incref(active), *next, *type_scoped = NULL, *result = NULL, *v;
	json_t *outer_ids = NULL;
	const char **keys = NULL;
	char *input_type = NULL;
	size_t n, i, j;
	bool found;
	int rc;

	*out = NULL;
	/* A graph of its own (each of a presentation's credentials, a proof): its nodes are
	 * described apart from the enclosing graph's, so their ids are counted apart. */
	if (jl_has_container(def, "@graph")) {
		outer_ids = st->ids;
		if (!(st->ids = json_object())) {
			st->ids = outer_ids;
			outer_ids = NULL;
			return nomem(st);
		}
	}
	if (++st->nodes > st->l->max_nodes) {
		rc = ok_fail(st->err, OK_ETOOBIG, "the document has more than %zu JSON-LD nodes",
		             st->l->max_nodes);
		goto out;
	}
	/* Step 7: a type-scoped context does not reach into nested nodes. */
	if (json_object_get(ctx, "previous") && !from_map) {
		bool value_obj, only_id = false;
		if ((rc = has_keyword_key(st, ctx, element, "@value", &value_obj)) != 0)
			goto out;
		if (json_object_size(element) == 1 &&
		    (rc = has_keyword_key(st, ctx, element, "@id", &only_id)) != 0)
			goto out;
		if (!value_obj && !only_id) {
			next = json_incref(json_object_get(ctx, "previous"));
			json_decref(ctx);
			ctx = next;
		}
	}
	if (psc) {
		json_t *remote = json_array();
		rc = remote ? jl_ctx_process(st, ctx, psc, remote, true, true, &next) : nomem(st);
		json_decref(remote);
		if (rc != 0)
			goto out;
		json_decref(ctx);
		ctx = next;
	}
	if ((v = json_object_get(element, "@context")) != NULL) {
		json_t *remote = json_array();
		rc = remote ? jl_ctx_process(st, ctx, v, remote, false, true, &next) : nomem(st);
		json_decref(remote);
		if (rc != 0)
			goto out;
		json_decref(ctx);
		ctx = next;
	}
	type_scoped = json_incref(ctx);
	/* Step 11: type-scoped contexts, in lexicographic order of the types' terms. */
	if (!(keys = sorted_keys(element, &n))) {
		rc = nomem(st);
		goto out;
	}
	for (i = 0; i < n; i++) {
		json_t *e, *vals, *t;
		const char **types;
		size_t tn = 0;

		if ((rc = jl_iri_expand(st, ctx, keys[i], false, true, &e)) != 0)
			goto out;
		found = e && strcmp(json_string_value(e), "@type") == 0;
		json_decref(e);
		if (!found)
			continue;
		vals = as_array(json_object_get(element, keys[i]));
		types = vals ? malloc((json_array_size(vals) + 1) * sizeof(*types)) : NULL;
		if (!types) {
			json_decref(vals);
			rc = nomem(st);
			goto out;
		}
		if (json_array_size(vals) > JL_MAX_TYPES) {
			json_decref(vals);
			free(types);
			rc = ok_fail(st->err, OK_EINPUT,
			             "a node has %zu types, more than the limit of %d",
			             json_array_size(vals), JL_MAX_TYPES);
			goto out;
		}
		json_array_foreach(vals, j, t)
		{
			if (json_is_string(t))
				types[tn++] = json_string_value(t);
		}
		qsort(types, tn, sizeof(*types), cmp_str);
		for (j = 0; j < tn && rc == 0; j++) {
			json_t *tdef = jl_term(type_scoped, types[j]), *remote;
			if (!tdef || !json_object_get(tdef, "context"))
				continue;
			if (!(remote = json_array())) {
				rc = nomem(st);
				break;
			}
			rc = jl_ctx_process(st, ctx, json_object_get(tdef, "context"), remote,
			                    false, false, &next);
			json_decref(remote);
			if (rc == 0) {
				json_decref(ctx);
				ctx = next;
			}
		}
		if (rc == 0 && json_array_size(vals) > 0 &&
		    json_is_string(json_array_get(vals, json_array_size(vals) - 1))) {
			json_t *it = NULL;
			rc = jl_iri_expand(
			        st, type_scoped,
			        json_string_value(json_array_get(vals, json_array_size(vals) - 1)),
			        false, true, &it);
			free(input_type);
			input_type = it ? strdup(json_string_value(it)) : NULL;
			json_decref(it);
		}
		free(types);
		json_decref(vals);
		if (rc != 0)
			goto out;
	}
	if (!(result = json_object())) {
		rc = nomem(st);
		goto out;
	}
	if ((rc = expand_entries(st, ctx, type_scoped, prop, element, input_type, result, depth,
	                         keys, n)) != 0)
		goto out;
	/* Steps 15 to 19: value, list and set objects; free-floating values dropped. */
	if ((v = json_object_get(result, "@value")) != NULL) {
		const char *k;
		json_t *x, *t = json_object_get(result, "@type");
		json_object_foreach(result, k, x)
		{
			(void)x;
			if (strcmp(k, "@value") && strcmp(k, "@type") && strcmp(k, "@language") &&
			    strcmp(k, "@direction") && strcmp(k, "@index")) {
				rc = invalid(st, k, "not allowed in a value object");
				goto out;
			}
		}
		if (t && (json_object_get(result, "@language") ||
		          json_object_get(result, "@direction"))) {
			rc = invalid(st, "@value", "a value object with both @type and @language");
			goto out;
		}
		if (t && json_is_array(t)) {
			rc = invalid(st, "@type", "a value object's @type is not one IRI");
			goto out;
		}
		if (t && strcmp(json_string_value(t), "@json") == 0) {
			/* any JSON */
		} else if (json_is_null(v)) {
			json_decref(result);
			result = NULL;
		} else if (json_object_get(result, "@language") && !json_is_string(v)) {
			rc = invalid(st, "@value", "a language-tagged value that is not a string");
			goto out;
		} else if (t && !jl_is_absolute_iri(json_string_value(t))) {
			rc = invalid(st, "@type", "a value's datatype is not an IRI");
			goto out;
		}
	} else if ((v = json_object_get(result, "@type")) != NULL && !json_is_array(v)) {
		json_object_set_new(result, "@type", json_pack("[O]", v));
	} else if (json_object_get(result, "@set") || json_object_get(result, "@list")) {
		size_t want = 1 + (json_object_get(result, "@index") ? 1 : 0);
		if (json_object_size(result) > want) {
			rc = invalid(st, "@list", "a list or set object with other entries");
			goto out;
		}
		if ((v = json_object_get(result, "@set")) != NULL) {
			next = json_incref(v);
			json_decref(result);
			result = next;
		}
	}
	if (json_is_object(result) && json_object_size(result) == 1 &&
	    json_object_get(result, "@language")) {
		if (st->l->plain_form) {
			rc = invalid(st, "@language", "an object with @language and no @value");
			goto out;
		}
		json_decref(result);
		result = NULL;
	}
	if (json_is_object(result) && (!prop || strcmp(prop, "@graph") == 0)) {
		if (json_object_size(result) == 0 || json_object_get(result, "@value") ||
		    json_object_get(result, "@list")) {
			if (json_object_size(result) > 0 &&
			    (rc = dropped(st, prop ? prop : "(top)",
			                  "a value outside a property")) != 0)
				goto out;
			json_decref(result);
			result = NULL;
		} else if (json_object_size(result) == 1 && json_object_get(result, "@id")) {
			json_decref(result);
			result = NULL;
		}
	}
	/* The plain form: one node, one place. Two objects with the same id would merge into one
	 * node, so what the verifier reads at one place could be said at another. */
	if (st->l->plain_form && json_is_object(result) && json_object_size(result) > 1 &&
	    json_is_string(json_object_get(result, "@id")) && !json_object_get(result, "@value")) {
		const char *id = json_string_value(json_object_get(result, "@id"));
		if (json_object_get(st->ids, id)) {
			rc = invalid(st, "id", "the same node is described in two places");
			goto out;
		}
		if (json_object_set_new(st->ids, id, json_true()) != 0) {
			rc = nomem(st);
			goto out;
		}
	}
	*out = result;
	result = NULL;
	rc = 0;
out:
	if (outer_ids) {
		json_decref(st->ids);
		st->ids = outer_ids;
	}
	free(keys);
	free(input_type);
	json_decref(result);
	json_decref(type_scoped);
	json_decref(ctx);
	return rc;
}

static int expand(struct jl *st, json_t *active, const char *prop, json_t *element, bool from_map,
                  size_t depth, json_t **out)
{
	json_t *def, *psc, *ctx;
	int rc;

	*out = NULL;
	if (depth > st->l->max_depth)
		return ok_fail(st->err, OK_ETOOBIG, "the document nests deeper than %zu levels",
		               st->l->max_depth);
	if (json_is_null(element))
		return 0;
	if (json_is_array(element)) {
		json_t *result = json_array(), *item, *e;
		size_t i;

		if (!result)
			return nomem(st);
		def = prop ? jl_term(active, prop) : NULL;
		json_array_foreach(element, i, item)
		{
			if ((rc = expand(st, active, prop, item, from_map, depth + 1, &e)) != 0) {
				json_decref(result);
				return rc;
			}
			if (!e)
				continue;
			if (jl_has_container(def, "@list") && json_is_array(e)) {
				json_t *l = json_pack("{s:o}", "@list", e);
				e = l;
			}
			if (!e || (json_is_array(e) ? json_array_extend(result, e)
			                            : json_array_append(result, e)) != 0) {
				json_decref(e);
				json_decref(result);
				return nomem(st);
			}
			json_decref(e);
		}
		*out = result;
		return 0;
	}
	if (json_is_object(element))
		return expand_map(st, active, prop, element, from_map, depth, out);
	/* A scalar (step 4). */
	if (!prop || strcmp(prop, "@graph") == 0)
		return dropped(st, prop ? prop : "(top)", "a value outside a property");
	def = jl_term(active, prop);
	psc = json_object_get(def, "context");
	ctx = json_incref(active);
	if (psc) {
		json_t *remote = json_array(), *next = NULL;
		rc = remote ? jl_ctx_process(st, active, psc, remote, true, true, &next)
		            : nomem(st);
		json_decref(remote);
		if (rc != 0) {
			json_decref(ctx);
			return rc;
		}
		json_decref(ctx);
		ctx = next;
	}
	rc = expand_value(st, ctx, prop, element, out);
	json_decref(ctx);
	return rc;
}

int jl_check_sizes(struct jl *st, const json_t *doc)
{
	return check_sizes(st, doc, 0);
}

int jl_expand_doc(struct jl *st, const json_t *doc, json_t **out)
{
	json_t *active = jl_ctx_new(), *r = NULL, *g;
	int rc;

	*out = NULL;
	if (!active)
		return nomem(st);
	if (!json_is_object(doc) && !json_is_array(doc)) {
		json_decref(active);
		return ok_fail(st->err, OK_EINPUT, "a JSON-LD document is an object or an array");
	}
	rc = check_sizes(st, doc, 0);
	if (rc == 0)
		rc = expand(st, active, NULL, (json_t *)doc, false, 0, &r);
	json_decref(active);
	if (rc != 0)
		return rc;
	if (json_is_object(r) && json_object_size(r) == 1 && (g = json_object_get(r, "@graph"))) {
		g = json_incref(g);
		json_decref(r);
		r = g;
	}
	if (!r)
		r = json_array();
	else if (!json_is_array(r)) {
		g = json_pack("[o]", r);
		r = g;
	}
	if (!r)
		return nomem(st);
	*out = r;
	return 0;
}
