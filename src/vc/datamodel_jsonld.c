/* The data model's second step (vc/datamodel.h): "every type is defined by the contexts", told by
 * JSON-LD expansion over the pinned contexts, with nothing left to a catch-all @vocab. */
#include "vc/datamodel.h"

#include <string.h>

#include "vc/jsonld.h"
#include "vc/jsonld_fast.h"

static bool rdfc_proof(struct vc_dmv proof)
{
	struct vc_dmv p;
	struct vc_dmv_it it;

	for (p = vc_dmv_each(proof, &it); vc_dmv_there(p); p = vc_dmv_each_next(&it))
		if (vc_dmv_str_is(vc_dmv_get(p, "cryptosuite"), "eddsa-rdfc-2022"))
			return true;
	return false;
}

/* The credential's member "proof", as the rules' pass found it when it did. */
static struct vc_dmv proof_of(struct vc_dmv credential, const struct vc_dm_walked *w)
{
	return w && w->has_proof ? w->proof : vc_dmv_get(credential, "proof");
}

/* shared: NULL, or the caller's jansson copy of a tree's credential (NULL until made): made
 * here when the expansion first needs it and left to the caller, or used as it is. */
static int types_by_jsonld(struct vc_jsonld_terms *terms, struct vc_dmv credential, bool plain,
                           json_t **shared, const struct vc_dm_walked *w, struct vc_dm_failure *f)
{
	struct vc_jsonld_limits l = vc_jsonld_limits_default;
	struct ok_error err;
	json_t *expanded = NULL, *copy = NULL;
	const json_t *doc = credential.j;
	int rc;

	/* Strict, and a term that only issuer-dependent# or undefined-term# would give an IRI is
	 * an error too: such a type is one that no context defines. */
	l.defined_terms_only = true;
	l.plain_form = plain;
	/* Told by lookup when it can be (the same verdict, jsonld_fast.h); else, and for every
	 * failure and its message, the full expansion. */
	if (vc_jsonld_fast_check_sized(terms, credential, &l, NULL, w ? &w->sized : NULL) == 1)
		return 0;
	ok_error_clear(&err);
	/* The expansion reads jansson: a tree's credential is converted for it, here only (the
	 * verifier's copy, every number a real, as vc_jcs_parse reads it). */
	rc = credential.t && !(shared && *shared)
	             ? json_tree_to_jansson_flags(credential.t, credential.i, JSON_TREE_TO_REALS,
	                                          &copy, &err)
	             : 0;
	if (!rc) {
		if (copy)
			doc = copy;
		else if (credential.t)
			doc = *shared;
		rc = vc_jsonld_expand(doc, &l, &expanded, &err);
	}
	json_decref(expanded);
	if (shared && copy)
		*shared = copy;
	else
		json_decref(copy);
	if (rc) {
		/* Set here as well: the caller names the rule only for OK_EINPUT. */
		f->rule = "type.defined";
		const char *prefix =
		        rc == OK_ETOOBIG ? "too large to tell whether every term is defined: " : "";
		size_t n = strlen(prefix), m = strlen(err.message);

		/* The JSON-LD messages show only printable ASCII of the document: a cut is safe. */
		if (n + m >= sizeof(f->message))
			m = sizeof(f->message) - 1 - n;
		memcpy(f->message, prefix, n);
		memcpy(f->message + n, err.message, m);
		f->message[n + m] = '\0';
	}
	return rc;
}

int vc_datamodel_types_by_jsonld(void *ctx, struct vc_dmv credential, const struct vc_dm_walked *w,
                                 struct vc_dm_failure *f)
{
	/* The plain form (vc/jsonld.h) where an eddsa-rdfc-2022 proof signs the RDF and not the
	 * JSON; a JCS proof signs the JSON as it is, so its shape needs no such rule for our own
	 * verifier (the issuer applies it to everything it signs). */
	return types_by_jsonld(ctx, credential, rdfc_proof(proof_of(credential, w)), NULL, w, f);
}

int vc_datamodel_types_by_jsonld_shared(void *ctx, struct vc_dmv credential,
                                        const struct vc_dm_walked *w, struct vc_dm_failure *f)
{
	struct vc_dm_jsonld_shared *s = ctx;

	return types_by_jsonld(s->terms, credential, rdfc_proof(proof_of(credential, w)), &s->copy,
	                       w, f);
}

int vc_datamodel_types_plain_by_jsonld(void *ctx, struct vc_dmv credential,
                                       const struct vc_dm_walked *w, struct vc_dm_failure *f)
{
	return types_by_jsonld(ctx, credential, true, NULL, w, f);
}
