/* JSON-LD 1.1 context processing, term definitions and IRI expansion over the pinned contexts
 * (JSON-LD 1.1 Processing Algorithms and API, sections 4.1 to 4.3 and 5.2). */
#include "vc/jsonld_internal.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/format.h"
#include "ok_contexts.h"

/* The pinned set: src/vc/contexts/README.md says where each file comes from. */
static const struct {
	const char *url;
	const unsigned char *data;
	const size_t *len;
} pinned[] = {
        {"https://www.w3.org/ns/credentials/v2", ctx_credentials_v2, &ctx_credentials_v2_len},
        {"https://www.w3.org/ns/credentials/examples/v2", ctx_examples_v2, &ctx_examples_v2_len},
        {"https://w3id.org/security/data-integrity/v1", ctx_data_integrity_v1,
         &ctx_data_integrity_v1_len},
        {"https://w3id.org/security/data-integrity/v2", ctx_data_integrity_v2,
         &ctx_data_integrity_v2_len},
        {"https://w3id.org/security/multikey/v1", ctx_multikey_v1, &ctx_multikey_v1_len},
        {"https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json", ctx_ob_303, &ctx_ob_303_len},
        {"https://www.w3.org/ns/credentials/undefined-terms/v2", ctx_undefined_terms_v2,
         &ctx_undefined_terms_v2_len},
        /* oorkonde's own: the terms of its trust lists, destruction certificates and transfer
         * manifests (contexts/README.md) */
        {VC_CONTEXT_OORKONDE_V1, ctx_oorkonde_v1, &ctx_oorkonde_v1_len},
};

const char *vc_jsonld_context_document(const char *url, size_t *len)
{
	size_t i;

	for (i = 0; i < sizeof(pinned) / sizeof(pinned[0]); i++) {
		if (strcmp(pinned[i].url, url) == 0) {
			if (len)
				*len = *pinned[i].len;
			return (const char *)pinned[i].data;
		}
	}
	return NULL;
}

static const char *const keywords[] = {
        "@base",   "@container", "@context", "@direction", "@graph",     "@id",
        "@import", "@included",  "@index",   "@json",      "@language",  "@list",
        "@nest",   "@none",      "@prefix",  "@propagate", "@protected", "@reverse",
        "@set",    "@type",      "@value",   "@version",   "@vocab",
};

bool jl_is_keyword(const char *s)
{
	size_t i;

	if (s[0] != '@')
		return false;
	for (i = 0; i < sizeof(keywords) / sizeof(keywords[0]); i++)
		if (strcmp(s, keywords[i]) == 0)
			return true;
	return false;
}

/* "@" followed by ASCII letters only: reserved for future keywords, ignored by JSON-LD 1.1. */
bool jl_looks_like_keyword(const char *s)
{
	size_t i;

	if (s[0] != '@' || s[1] == '\0')
		return false;
	for (i = 1; s[i]; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z')))
			return false;
	return true;
}

/* An IRI with a scheme (RFC 3987): ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ) ":". */
bool jl_is_absolute_iri(const char *s)
{
	size_t i;

	if (!((s[0] >= 'a' && s[0] <= 'z') || (s[0] >= 'A' && s[0] <= 'Z')))
		return false;
	for (i = 1; s[i] && s[i] != ':'; i++) {
		char c = s[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '+' || c == '-' || c == '.'))
			return false;
	}
	return s[i] == ':';
}

void jl_printable(const char *s, char *out, size_t cap)
{
	size_t i, n = 0;

	for (i = 0; s[i] && i < 100 && n + 4 < cap; i++)
		out[n++] = (s[i] >= 0x20 && s[i] < 0x7f) ? s[i] : '?';
	if (s[i] && n + 4 < cap) {
		memcpy(out + n, "...", 3);
		n += 3;
	}
	out[n] = '\0';
}

int jl_step(struct jl *st, size_t n)
{
	st->steps += n;
	if (st->steps > st->l->max_context_steps)
		return ok_fail(st->err, OK_ETOOBIG,
		               "JSON-LD context processing passed its limit of %zu steps",
		               st->l->max_context_steps);
	return 0;
}

json_t *jl_term(const json_t *ctx, const char *term)
{
	return json_object_get(json_object_get(ctx, "terms"), term);
}

bool jl_has_container(const json_t *def, const char *c)
{
	json_t *v;
	size_t i;

	json_array_foreach(json_object_get(def, "container"), i,
	                   v) if (strcmp(json_string_value(v), c) == 0) return true;
	return false;
}

json_t *jl_ctx_new(void)
{
	return json_pack("{s:{}}", "terms");
}

/* A copy of ctx that may be changed: its own terms table, the definitions shared. */
static int ctx_copy(struct jl *st, json_t *ctx, json_t **out)
{
	json_t *c, *terms;
	int rc;

	if ((rc = jl_step(st, 1 + json_object_size(json_object_get(ctx, "terms")))) != 0)
		return rc;
	c = json_copy(ctx);
	terms = c ? json_copy(json_object_get(ctx, "terms")) : NULL;
	if (!c || !terms || json_object_set_new(c, "terms", terms) != 0) {
		json_decref(c);
		return ok_fail(st->err, OK_ENOMEM, "out of memory in JSON-LD context processing");
	}
	*out = c;
	return 0;
}

static bool ctx_has_protected(const json_t *ctx)
{
	const char *k;
	json_t *def;

	json_object_foreach(json_object_get(ctx, "terms"), k,
	                    def) if (json_is_true(json_object_get(def, "protected"))) return true;
	return false;
}

/* The parsed pinned document of url, loaded at most once per call (borrowed). */
static int load_pinned(struct jl *st, const char *url, json_t **doc)
{
	char shown[128];
	const char *data;
	json_error_t jerr;
	json_t *v;
	size_t len;

	if ((v = json_object_get(st->loaded, url)) != NULL) {
		*doc = v;
		return 0;
	}
	data = vc_jsonld_context_document(url, &len);
	if (!data) {
		jl_printable(url, shown, sizeof(shown));
		return ok_fail(st->err, OK_EINPUT, "unknown context URL: %s", shown);
	}
	v = json_loadb(data, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!v || !json_is_object(json_object_get(v, "@context"))) {
		json_decref(v);
		return ok_fail(st->err, OK_EINTERNAL, "pinned context %s is not a context", url);
	}
	if (json_object_set_new(st->loaded, url, v) != 0)
		return ok_fail(st->err, OK_ENOMEM, "out of memory loading a context");
	*doc = v;
	return 0;
}

struct def_args {
	json_t *local;   /* the local context being processed */
	json_t *defined; /* term -> true (done) / false (in progress) */
	bool protect;    /* the local context's @protected */
	bool override_protected;
};

static int term_define(struct jl *st, json_t *active, const struct def_args *a, const char *term);

/* IRI Expansion (4.3): value against active, defining terms of a->local on the way. */
static int iri_expand_in(struct jl *st, json_t *active, const char *value, bool doc_relative,
                         bool vocab, const struct def_args *a, bool check, json_t **out)
{
	const char *colon, *v;
	json_t *def, *d;
	char shown[128];
	int rc;

	*out = NULL;
	if (jl_is_keyword(value)) {
		*out = json_string(value);
		goto done;
	}
	if (jl_looks_like_keyword(value))
		return 0;
	if (a && json_object_get(a->local, value) &&
	    !json_is_true(json_object_get(a->defined, value)) &&
	    (rc = term_define(st, active, a, value)) != 0)
		return rc;
	def = jl_term(active, value);
	if (def && (v = json_string_value(json_object_get(def, "id"))) && jl_is_keyword(v)) {
		*out = json_string(v);
		goto done;
	}
	if (vocab && def) {
		d = json_object_get(def, "id");
		*out = json_is_string(d) ? json_incref(d) : NULL;
		return 0;
	}
	colon = value[0] ? strchr(value + 1, ':') : NULL;
	if (value[0] && colon) {
		size_t plen = (size_t)(colon - value);
		char prefix[256];
		json_t *pdef;

		if ((plen == 1 && value[0] == '_') || strncmp(colon + 1, "//", 2) == 0) {
			*out = json_string(value);
			goto done;
		}
		if (plen < sizeof(prefix)) {
			memcpy(prefix, value, plen);
			prefix[plen] = '\0';
			if (a && json_object_get(a->local, prefix) &&
			    !json_is_true(json_object_get(a->defined, prefix)) &&
			    (rc = term_define(st, active, a, prefix)) != 0)
				return rc;
			pdef = jl_term(active, prefix);
			if (pdef && json_is_string(json_object_get(pdef, "id")) &&
			    json_is_true(json_object_get(pdef, "prefix"))) {
				*out = json_sprintf("%s%s",
				                    json_string_value(json_object_get(pdef, "id")),
				                    colon + 1);
				goto done;
			}
		}
		if (jl_is_absolute_iri(value)) {
			*out = json_string(value);
			goto done;
		}
	}
	if (vocab && (v = json_string_value(json_object_get(active, "vocab"))) != NULL) {
		/* Only the terms the document uses are checked: contexts may lean on @vocab. */
		if (check && st->l->defined_terms_only &&
		    (strcmp(v, JL_UNDEFINED_TERM) == 0 || strcmp(v, JL_ISSUER_DEPENDENT) == 0)) {
			jl_printable(value, shown, sizeof(shown));
			return ok_fail(st->err, OK_EINPUT, "term not defined by the contexts: %s",
			               shown);
		}
		*out = json_sprintf("%s%s", v, value);
		goto done;
	}
	if (doc_relative) {
		jl_printable(value, shown, sizeof(shown));
		return ok_fail(st->err, OK_EINPUT,
		               "relative IRI without a base: %s (oorkonde sets no @base)", shown);
	}
	*out = json_string(value);
done:
	if (!*out)
		return ok_fail(st->err, OK_ENOMEM, "out of memory expanding an IRI");
	return 0;
}

int jl_iri_expand(struct jl *st, json_t *active, const char *value, bool doc_relative, bool vocab,
                  json_t **out)
{
	return iri_expand_in(st, active, value, doc_relative, vocab, NULL, false, out);
}

int jl_iri_expand_used(struct jl *st, json_t *active, const char *value, bool doc_relative,
                       bool vocab, json_t **out)
{
	return iri_expand_in(st, active, value, doc_relative, vocab, NULL, true, out);
}

static const char *const containers[] = {"@graph", "@id",  "@index", "@language",
                                         "@list",  "@set", "@type"};

/* The @container value as an array of known container keywords, or NULL if invalid. */
static json_t *container_parse(json_t *v)
{
	json_t *arr = json_is_array(v) ? json_incref(v) : json_pack("[O]", v), *c;
	size_t i, j;

	if (!arr)
		return NULL;
	json_array_foreach(arr, i, c)
	{
		bool ok = false;
		for (j = 0; json_is_string(c) && j < sizeof(containers) / sizeof(containers[0]);
		     j++)
			ok = ok || strcmp(json_string_value(c), containers[j]) == 0;
		if (!ok) {
			json_decref(arr);
			return NULL;
		}
	}
	return arr;
}

/* Two definitions are the same apart from "protected" (the redefinition rule, 4.2.2 step 27). */
static bool def_same(json_t *a, json_t *b)
{
	json_t *x = json_copy(a), *y = json_copy(b);
	bool same;

	json_object_del(x, "protected");
	json_object_del(y, "protected");
	same = x && y && json_equal(x, y);
	json_decref(x);
	json_decref(y);
	return same;
}

static int def_fail(struct jl *st, const char *term, const char *what)
{
	char shown[128];

	jl_printable(term, shown, sizeof(shown));
	return ok_fail(st->err, OK_EINPUT, "invalid term definition of %s: %s", shown, what);
}

/* Create Term Definition (4.2.2). */
static int term_define_at(struct jl *st, json_t *active, const struct def_args *a,
                          const char *term);

/* A term whose IRI names another term of the same context defines that one first: a chain of
 * them is bounded, so that a hostile context cannot exhaust the stack. */
static int term_define(struct jl *st, json_t *active, const struct def_args *a, const char *term)
{
	int rc;

	if (st->def_depth >= JL_MAX_DEF_DEPTH)
		return ok_fail(st->err, OK_ETOOBIG,
		               "JSON-LD term definitions depend on each other more than %d deep",
		               JL_MAX_DEF_DEPTH);
	st->def_depth++;
	rc = term_define_at(st, active, a, term);
	st->def_depth--;
	return rc;
}

static int term_define_at(struct jl *st, json_t *active, const struct def_args *a, const char *term)
{
	json_t *state = json_object_get(a->defined, term), *value, *def = NULL, *prev, *v,
	       *iri = NULL;
	json_t *terms = json_object_get(active, "terms");
	const char *colon;
	bool simple = false;
	char shown[128];
	const char *k;
	int rc;

	if (state)
		return json_is_true(state) ? 0 : def_fail(st, term, "cyclic IRI mapping");
	if ((rc = jl_step(st, 1)) != 0)
		return rc;
	if (term[0] == '\0')
		return def_fail(st, term, "empty term");
	json_object_set_new(a->defined, term, json_false());
	value = json_object_get(a->local, term);
	if (strcmp(term, "@type") == 0)
		return ok_fail(st->err, OK_EINPUT, "a definition of @type is not supported");
	if (jl_is_keyword(term)) {
		jl_printable(term, shown, sizeof(shown));
		return ok_fail(st->err, OK_EINPUT, "keyword redefinition: %s", shown);
	}
	if (jl_looks_like_keyword(term))
		return 0;
	prev = json_incref(jl_term(active, term));
	json_object_del(terms, term);
	def = json_object();
	if (!def)
		goto nomem;
	if (json_is_null(value)) {
		value = NULL;
	} else if (json_is_string(value)) {
		simple = true;
	} else if (!json_is_object(value)) {
		rc = def_fail(st, term, "not a string, object or null");
		goto out;
	}
	v = json_is_object(value) ? json_object_get(value, "@protected") : NULL;
	if (v && !json_is_boolean(v)) {
		rc = def_fail(st, term, "@protected is not a boolean");
		goto out;
	}
	json_object_set_new(def, "protected", json_boolean(v ? json_is_true(v) : a->protect));
	json_object_set_new(def, "prefix", json_false());
	if (json_is_object(value)) {
		json_object_foreach(value, k, v)
		{
			if (strcmp(k, "@id") && strcmp(k, "@type") && strcmp(k, "@container") &&
			    strcmp(k, "@context") && strcmp(k, "@language") &&
			    strcmp(k, "@direction") && strcmp(k, "@nest") && strcmp(k, "@prefix") &&
			    strcmp(k, "@protected")) {
				if (strcmp(k, "@reverse") == 0 || strcmp(k, "@index") == 0) {
					jl_printable(k, shown, sizeof(shown));
					rc = ok_fail(st->err, OK_EINPUT,
					             "%s in a term definition is not supported",
					             shown);
				} else {
					rc = def_fail(st, term, "unknown keyword in it");
				}
				goto out;
			}
		}
		if ((v = json_object_get(value, "@type")) != NULL) {
			json_t *t;
			const char *ts;
			if (!json_is_string(v)) {
				rc = def_fail(st, term, "@type is not a string");
				goto out;
			}
			if ((rc = iri_expand_in(st, active, json_string_value(v), false, true, a,
			                        false, &t)) != 0)
				goto out;
			ts = t ? json_string_value(t) : "";
			if (strcmp(ts, "@id") && strcmp(ts, "@json") && strcmp(ts, "@none") &&
			    strcmp(ts, "@vocab") && !jl_is_absolute_iri(ts)) {
				json_decref(t);
				rc = def_fail(st, term,
				              "@type is not @id, @vocab, @json, @none or an IRI");
				goto out;
			}
			json_object_set_new(def, "type", t);
		}
	}
	v = simple ? value : json_object_get(value, "@id");
	if (!value) {
		json_object_set_new(def, "id", json_null());
	} else if (v && !(json_is_string(v) && strcmp(json_string_value(v), term) == 0)) {
		const char *is;
		if (json_is_null(v)) {
			json_object_set_new(def, "id", json_null());
			goto container;
		}
		if (!json_is_string(v)) {
			rc = def_fail(st, term, "@id is not a string");
			goto out;
		}
		if (!jl_is_keyword(json_string_value(v)) &&
		    jl_looks_like_keyword(json_string_value(v))) {
			rc = 0; /* reserved for a future keyword: ignored, as the spec says */
			goto out;
		}
		if ((rc = iri_expand_in(st, active, json_string_value(v), false, true, a, false,
		                        &iri)) != 0)
			goto out;
		is = iri ? json_string_value(iri) : "";
		if (!jl_is_keyword(is) && !jl_is_absolute_iri(is) && strncmp(is, "_:", 2) != 0) {
			rc = def_fail(st, term, "@id is not an IRI, blank node or keyword");
			goto out;
		}
		if (strcmp(is, "@context") == 0) {
			rc = def_fail(st, term, "@id is @context");
			goto out;
		}
		if (strchr(term + 1, ':') || strchr(term, '/')) {
			json_t *again;
			json_object_set_new(a->defined, term, json_true());
			rc = iri_expand_in(st, active, term, false, true, a, false, &again);
			if (rc == 0 && !(again && json_equal(again, iri)))
				rc = def_fail(st, term, "an IRI-like term mapped to another IRI");
			json_decref(again);
			json_object_set_new(a->defined, term, json_false());
			if (rc != 0)
				goto out;
		}
		if (!strchr(term, ':') && !strchr(term, '/') && simple) {
			size_t n = strlen(is);
			if (strncmp(is, "_:", 2) == 0 || (n && strchr(":/?#[]@", is[n - 1])))
				json_object_set_new(def, "prefix", json_true());
		}
		json_object_set(def, "id", iri);
	} else if ((colon = strchr(term + 1, ':')) != NULL) {
		size_t plen = (size_t)(colon - term);
		char prefix[256];
		json_t *pdef;

		if (plen < sizeof(prefix)) {
			memcpy(prefix, term, plen);
			prefix[plen] = '\0';
			if (json_object_get(a->local, prefix) &&
			    (rc = term_define(st, active, a, prefix)) != 0)
				goto out;
		}
		pdef = plen < sizeof(prefix) ? jl_term(active, prefix) : NULL;
		if (pdef && json_is_string(json_object_get(pdef, "id")))
			iri = json_sprintf("%s%s", json_string_value(json_object_get(pdef, "id")),
			                   colon + 1);
		else
			iri = json_string(term);
		json_object_set(def, "id", iri);
	} else if (strchr(term, '/')) {
		rc = def_fail(st, term, "a relative IRI as a term (oorkonde sets no @base)");
		goto out;
	} else if (json_is_string(json_object_get(active, "vocab"))) {
		iri = json_sprintf("%s%s", json_string_value(json_object_get(active, "vocab")),
		                   term);
		json_object_set(def, "id", iri);
	} else {
		rc = def_fail(st, term, "no IRI and no @vocab");
		goto out;
	}
container:
	if (json_is_object(value) && (v = json_object_get(value, "@container")) != NULL) {
		json_t *c = container_parse(v);
		if (!c) {
			rc = def_fail(st, term, "invalid @container");
			goto out;
		}
		json_object_set_new(def, "container", c);
	}
	if (json_is_object(value) && (v = json_object_get(value, "@context")) != NULL)
		json_object_set(def, "context", v);
	if (json_is_object(value) && !json_object_get(value, "@type")) {
		if ((v = json_object_get(value, "@language")) != NULL) {
			if (!json_is_null(v) && !json_is_string(v)) {
				rc = def_fail(st, term, "@language is not a string or null");
				goto out;
			}
			json_object_set(def, "language", v);
		}
		if ((v = json_object_get(value, "@direction")) != NULL) {
			const char *d = json_string_value(v);
			if (!json_is_null(v) && !(d && (!strcmp(d, "ltr") || !strcmp(d, "rtl")))) {
				rc = def_fail(st, term, "@direction is not ltr, rtl or null");
				goto out;
			}
			json_object_set(def, "direction", v);
		}
	}
	if (json_is_object(value) && (v = json_object_get(value, "@nest")) != NULL) {
		if (!json_is_string(v) || (jl_is_keyword(json_string_value(v)) &&
		                           strcmp(json_string_value(v), "@nest") != 0)) {
			rc = def_fail(st, term, "@nest is not a term or @nest");
			goto out;
		}
		json_object_set(def, "nest", v);
	}
	if (json_is_object(value) && (v = json_object_get(value, "@prefix")) != NULL) {
		if (strchr(term, ':') || strchr(term, '/') || !json_is_boolean(v)) {
			rc = def_fail(st, term, "@prefix on an IRI-like term or not a boolean");
			goto out;
		}
		json_object_set(def, "prefix", v);
	}
	if (!a->override_protected && prev && json_is_true(json_object_get(prev, "protected"))) {
		if (!def_same(def, prev)) {
			jl_printable(term, shown, sizeof(shown));
			rc = ok_fail(st->err, OK_EINPUT, "protected term redefinition: %s", shown);
			goto out;
		}
		json_decref(def);
		def = json_incref(prev);
	}
	if (json_object_set(terms, term, def) != 0)
		goto nomem;
	json_object_set_new(a->defined, term, json_true());
	rc = 0;
	goto out;
nomem:
	rc = ok_fail(st->err, OK_ENOMEM, "out of memory defining a JSON-LD term");
out:
	json_decref(iri);
	json_decref(def);
	json_decref(prev);
	return rc;
}

/* One object of a local context (5.2 steps 5.5 to 5.13) applied to *result. */
static int ctx_apply_object(struct jl *st, json_t **result, json_t *ctx, bool override_protected)
{
	struct def_args a = {ctx, json_object(), false, override_protected};
	json_t *v;
	const char *k;
	int rc = 0;

	if (!a.defined)
		return ok_fail(st->err, OK_ENOMEM, "out of memory in context processing");
	if ((v = json_object_get(ctx, "@version")) != NULL &&
	    !(json_is_number(v) && json_number_value(v) == 1.1)) {
		rc = ok_fail(st->err, OK_EINPUT, "invalid @version value (only 1.1 is known)");
		goto out;
	}
	if (json_object_get(ctx, "@import")) {
		rc = ok_fail(st->err, OK_EINPUT, "@import in a context is not supported");
		goto out;
	}
	if ((v = json_object_get(ctx, "@base")) != NULL && !json_is_null(v)) {
		rc = ok_fail(st->err, OK_EINPUT, "@base in a context is not supported");
		goto out;
	}
	if ((v = json_object_get(ctx, "@vocab")) != NULL) {
		json_t *iri = NULL;
		if (json_is_null(v)) {
			json_object_del(*result, "vocab");
		} else if (!json_is_string(v)) {
			rc = ok_fail(st->err, OK_EINPUT, "invalid vocab mapping: not a string");
			goto out;
		} else {
			if ((rc = iri_expand_in(st, *result, json_string_value(v), true, true, NULL,
			                        false, &iri)) != 0)
				goto out;
			if (!iri || (!jl_is_absolute_iri(json_string_value(iri)) &&
			             strncmp(json_string_value(iri), "_:", 2) != 0)) {
				json_decref(iri);
				rc = ok_fail(st->err, OK_EINPUT, "invalid vocab mapping");
				goto out;
			}
			json_object_set_new(*result, "vocab", iri);
		}
	}
	if ((v = json_object_get(ctx, "@language")) != NULL) {
		if (json_is_null(v)) {
			json_object_del(*result, "language");
		} else if (json_is_string(v)) {
			json_object_set(*result, "language", v);
		} else {
			rc = ok_fail(st->err, OK_EINPUT, "invalid default language");
			goto out;
		}
	}
	if ((v = json_object_get(ctx, "@direction")) != NULL) {
		const char *d = json_string_value(v);
		if (json_is_null(v)) {
			json_object_del(*result, "direction");
		} else if (d && (!strcmp(d, "ltr") || !strcmp(d, "rtl"))) {
			json_object_set(*result, "direction", v);
		} else {
			rc = ok_fail(st->err, OK_EINPUT, "invalid base direction");
			goto out;
		}
	}
	if ((v = json_object_get(ctx, "@propagate")) != NULL && !json_is_boolean(v)) {
		rc = ok_fail(st->err, OK_EINPUT, "invalid @propagate value");
		goto out;
	}
	if ((v = json_object_get(ctx, "@protected")) != NULL) {
		if (!json_is_boolean(v)) {
			rc = ok_fail(st->err, OK_EINPUT, "invalid @protected value");
			goto out;
		}
		a.protect = json_is_true(v);
	}
	json_object_foreach(ctx, k, v)
	{
		if (!strcmp(k, "@base") || !strcmp(k, "@direction") || !strcmp(k, "@import") ||
		    !strcmp(k, "@language") || !strcmp(k, "@propagate") ||
		    !strcmp(k, "@protected") || !strcmp(k, "@version") || !strcmp(k, "@vocab"))
			continue;
		if ((rc = term_define(st, *result, &a, k)) != 0)
			goto out;
	}
out:
	json_decref(a.defined);
	return rc;
}

/* Context Processing (4.1.2). */
static int ctx_process(struct jl *st, json_t *active, json_t *local, json_t *remote,
                       bool override_protected, bool propagate, json_t **out);

/*
 * The pinned contexts as a document's top-level @context names them ("…/credentials/v2", then
 * the Open Badges context), processed from the initial context: the same result for every
 * document, so made once per process and shared (a verifier would otherwise rebuild a few
 * hundred term definitions per credential). The same holds for pinned URLs applied to a
 * context that is itself shared (a proof's own @context, inside the credential's). Contexts
 * never change once made; jansson counts references atomically, so threads may share them.
 * Only successes are kept, at most PINNED_CACHE_MAX (base, list of URLs) pairs (the list's key
 * is its URLs joined by newlines; base NULL for the initial context, else a shared context,
 * held by reference so that no other object takes its address); they live as long as the
 * process.
 */
#define PINNED_CACHE_MAX 32
#define PINNED_KEY_MAX   1024

/* Threads share the cached contexts' references: jansson must count them atomically (older
 * builds without these count with a plain ++). */
#if !JSON_HAVE_ATOMIC_BUILTINS && !JSON_HAVE_SYNC_BUILTINS
#error "the shared JSON-LD context cache needs a jansson with atomic reference counts"
#endif

static pthread_mutex_t pinned_lock = PTHREAD_MUTEX_INITIALIZER;
static struct {
	char key[PINNED_KEY_MAX];
	json_t *base; /* NULL: the initial context */
	json_t *ctx;
	size_t cost; /* the context-processing steps it took, charged again on each use */
} pinned_cache[PINNED_CACHE_MAX];
static size_t pinned_count;

static bool shared_locked(const json_t *ctx);

/* active, or NULL when it is the initial context (nothing defined). */
static json_t *pinned_base(json_t *active)
{
	return json_object_size(active) == 1 &&
	                       json_object_size(json_object_get(active, "terms")) == 0
	               ? NULL
	               : active;
}

bool jl_pinned_urls_key(const json_t *local, char *key, size_t cap)
{
	size_t i, n = json_is_array(local) ? json_array_size(local) : 1, used = 0, len;
	const json_t *v;

	/* Real credentials name at most three contexts, each once: other lists are not kept, so
	 * junk lists cannot take the table's slots as easily (review R4). */
	if (n == 0 || n > 3)
		return false;
	for (i = 0; i < n; i++) {
		v = json_is_array(local) ? json_array_get(local, i) : local;
		if (!json_is_string(v) || !vc_jsonld_context_document(json_string_value(v), NULL))
			return false;
		for (size_t j = 0; j < i; j++)
			if (json_equal(json_array_get(local, j), (json_t *)v))
				return false;
		len = json_string_length(v);
		if (used + len + 1 >= cap)
			return false;
		memcpy(key + used, json_string_value(v), len);
		used += len;
		key[used++] = '\n';
	}
	key[used] = '\0';
	return true;
}

/* The cache key of local, or false when the result may not be shared: local is not a (list of)
 * pinned URL(s). */
static bool pinned_key(const json_t *local, bool override_protected, bool propagate,
                       char key[PINNED_KEY_MAX])
{
	return !override_protected && propagate && jl_pinned_urls_key(local, key, PINNED_KEY_MAX);
}

static json_t *pinned_get(const json_t *base, const char *key, size_t *cost)
{
	json_t *hit = NULL;
	size_t i;

	pthread_mutex_lock(&pinned_lock);
	for (i = 0; i < pinned_count && !hit; i++)
		if (pinned_cache[i].base == base && strcmp(pinned_cache[i].key, key) == 0) {
			hit = json_incref(pinned_cache[i].ctx);
			*cost = pinned_cache[i].cost;
		}
	pthread_mutex_unlock(&pinned_lock);
	return hit;
}

bool jl_pinned_cached(const char *key)
{
	bool found = false;
	size_t i;

	pthread_mutex_lock(&pinned_lock);
	for (i = 0; i < pinned_count && !found; i++)
		found = !pinned_cache[i].base && strcmp(pinned_cache[i].key, key) == 0;
	pthread_mutex_unlock(&pinned_lock);
	return found;
}

static void pinned_put(json_t *base, const char *key, json_t *ctx, size_t cost)
{
	size_t i;

	pthread_mutex_lock(&pinned_lock);
	for (i = 0; i < pinned_count; i++)
		if (pinned_cache[i].base == base && strcmp(pinned_cache[i].key, key) == 0)
			break;
	if (i == pinned_count && pinned_count < PINNED_CACHE_MAX &&
	    (!base || shared_locked(base))) {
		memcpy(pinned_cache[i].key, key, strlen(key) + 1);
		pinned_cache[i].base = json_incref(base);
		pinned_cache[i].ctx = json_incref(ctx);
		pinned_cache[i].cost = cost;
		pinned_count++;
	}
	pthread_mutex_unlock(&pinned_lock);
}

/*
 * The scoped contexts of those shared contexts (an Open Badges type's or property's own
 * context, a term definition's "context") applied to them: the same result every time too, so
 * kept per process as well, keyed by the two contexts' addresses. Each entry holds a reference
 * to both, so no other object can take either address while it is kept; only a local context
 * that one of the active context's term definitions holds is kept (a document's own inline
 * contexts never are), which bounds the table by what the pinned contexts define.
 */
#define SCOPED_CACHE_MAX 256

static struct {
	json_t *active, *local, *ctx;
	bool override_protected, propagate;
	size_t cost;
} scoped_cache[SCOPED_CACHE_MAX];
static size_t scoped_count;

/* Whether ctx is one of the shared contexts (the caller holds pinned_lock). */
static bool shared_locked(const json_t *ctx)
{
	size_t i;

	for (i = 0; i < pinned_count; i++)
		if (pinned_cache[i].ctx == ctx)
			return true;
	for (i = 0; i < scoped_count; i++)
		if (scoped_cache[i].ctx == ctx)
			return true;
	return false;
}

static json_t *scoped_get(const json_t *active, const json_t *local, bool override_protected,
                          bool propagate, size_t *cost)
{
	json_t *hit = NULL;
	size_t i;

	pthread_mutex_lock(&pinned_lock);
	for (i = 0; i < scoped_count && !hit; i++)
		if (scoped_cache[i].active == active && scoped_cache[i].local == local &&
		    scoped_cache[i].override_protected == override_protected &&
		    scoped_cache[i].propagate == propagate) {
			hit = json_incref(scoped_cache[i].ctx);
			*cost = scoped_cache[i].cost;
		}
	pthread_mutex_unlock(&pinned_lock);
	return hit;
}

/* Whether one of active's term definitions holds local as its scoped context. */
static bool scoped_owned(const json_t *active, const json_t *local)
{
	const char *k;
	json_t *def;

	json_object_foreach(json_object_get(active, "terms"), k, def)
	{
		if (json_object_get(def, "context") == local)
			return true;
	}
	return false;
}

static void scoped_put(json_t *active, json_t *local, bool override_protected, bool propagate,
                       json_t *ctx, size_t cost)
{
	size_t i;

	pthread_mutex_lock(&pinned_lock);
	/* Two threads may have made the same entry: keep one. */
	for (i = 0; i < scoped_count; i++)
		if (scoped_cache[i].active == active && scoped_cache[i].local == local &&
		    scoped_cache[i].override_protected == override_protected &&
		    scoped_cache[i].propagate == propagate)
			break;
	if (i == scoped_count && scoped_count < SCOPED_CACHE_MAX && shared_locked(active) &&
	    scoped_owned(active, local)) {
		scoped_cache[scoped_count].active = json_incref(active);
		scoped_cache[scoped_count].local = json_incref(local);
		scoped_cache[scoped_count].ctx = json_incref(ctx);
		scoped_cache[scoped_count].override_protected = override_protected;
		scoped_cache[scoped_count].propagate = propagate;
		scoped_cache[scoped_count].cost = cost;
		scoped_count++;
	}
	pthread_mutex_unlock(&pinned_lock);
}

/* A shared context taken from a cache: its steps are charged as if it had been made here, so
 * that the limits answer the same whatever the process did before. */
static int charge(struct jl *st, json_t *hit, size_t cost, json_t **out)
{
	int rc = jl_step(st, cost);

	if (rc) {
		json_decref(hit);
		return rc;
	}
	*out = hit;
	return 0;
}

int jl_ctx_process(struct jl *st, json_t *active, json_t *local, json_t *remote,
                   bool override_protected, bool propagate, json_t **out)
{
	char pkey[PINNED_KEY_MAX], key[96];
	size_t before, cost = 0;
	json_t *hit;
	bool by_url;
	int rc;

	*out = NULL;
	if ((rc = jl_step(st, 1)) != 0)
		return rc;
	if (json_array_size(remote) != 0 || !st->memo ||
	    ok_format(key, sizeof(key), "%p %p %d%d", (void *)active, (void *)local,
	              override_protected, propagate) != 0)
		return ctx_process(st, active, local, remote, override_protected, propagate, out);
	/* The same scoped context applied to the same context again (the status entries, the
	 * identity objects of a credential) gives the same result: contexts never change once
	 * made, and the memo holds a reference to both, so their addresses stay theirs. A second
	 * use within a call costs nothing. */
	if ((hit = json_object_get(st->memo, key)) != NULL) {
		*out = json_incref(json_array_get(hit, 2));
		return 0;
	}
	by_url = pinned_key(local, override_protected, propagate, pkey);
	hit = by_url ? pinned_get(pinned_base(active), pkey, &cost)
	      : json_is_object(local)
	              ? scoped_get(active, local, override_protected, propagate, &cost)
	              : NULL;
	if (hit) {
		rc = charge(st, hit, cost, out);
	} else {
		before = st->steps;
		rc = ctx_process(st, active, local, remote, override_protected, propagate, out);
		if (!rc && by_url)
			pinned_put(pinned_base(active), pkey, *out, st->steps - before);
		else if (!rc && json_is_object(local))
			scoped_put(active, local, override_protected, propagate, *out,
			           st->steps - before);
	}
	if (!rc)
		json_object_set_new(st->memo, key, json_pack("[OOO]", active, local, *out));
	return rc;
}

static int ctx_process(struct jl *st, json_t *active, json_t *local, json_t *remote,
                       bool override_protected, bool propagate, json_t **out)
{
	json_t *result = NULL, *list, *ctx, *v;
	size_t i;
	int rc;

	*out = NULL;
	if (json_is_object(local) && (v = json_object_get(local, "@propagate")) != NULL &&
	    json_is_boolean(v))
		propagate = json_is_true(v);
	if ((rc = ctx_copy(st, active, &result)) != 0)
		return rc;
	if (!propagate && !json_object_get(result, "previous"))
		json_object_set(result, "previous", active);
	list = json_is_array(local) ? json_incref(local) : json_pack("[O]", local);
	if (!list) {
		rc = ok_fail(st->err, OK_ENOMEM, "out of memory in context processing");
		goto out;
	}
	json_array_foreach(list, i, ctx)
	{
		if (json_is_null(ctx)) {
			json_t *fresh;
			if (!override_protected && ctx_has_protected(result)) {
				rc = ok_fail(
				        st->err, OK_EINPUT,
				        "invalid context nullification: it has protected terms");
				goto out;
			}
			if (!(fresh = jl_ctx_new())) {
				rc = ok_fail(st->err, OK_ENOMEM,
				             "out of memory in context processing");
				goto out;
			}
			if (!propagate)
				json_object_set(fresh, "previous", result);
			json_decref(result);
			result = fresh;
		} else if (json_is_string(ctx)) {
			const char *url = json_string_value(ctx);
			json_t *doc, *next = NULL;
			size_t j;
			json_t *seen;

			json_array_foreach(remote, j,
			                   seen) if (strcmp(json_string_value(seen), url) == 0)
			{
				rc = ok_fail(st->err, OK_EINPUT, "recursive context inclusion");
				goto out;
			}
			if (json_array_size(remote) >= JL_MAX_REMOTE_DEPTH) {
				rc = ok_fail(st->err, OK_ETOOBIG, "context overflow");
				goto out;
			}
			if ((rc = load_pinned(st, url, &doc)) != 0)
				goto out;
			json_array_append(remote, ctx);
			rc = jl_ctx_process(st, result, json_object_get(doc, "@context"), remote,
			                    false, true, &next);
			json_array_remove(remote, json_array_size(remote) - 1);
			if (rc != 0)
				goto out;
			json_decref(result);
			result = next;
		} else if (json_is_object(ctx)) {
			/* result is this call's own copy: changed in place. */
			if ((rc = ctx_apply_object(st, &result, ctx, override_protected)) != 0)
				goto out;
		} else {
			rc = ok_fail(st->err, OK_EINPUT,
			             "invalid local context: not a URL, an object or null");
			goto out;
		}
	}
	*out = result;
	result = NULL;
	rc = 0;
out:
	json_decref(list);
	json_decref(result);
	return rc;
}
