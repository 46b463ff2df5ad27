/* A wallet's answer to an ldp_vc credential query (OpenID4VP 1.0 Appendix B.1): a W3C Verifiable
 * Presentation whose Data Integrity proof (purpose authentication) carries the request's nonce as
 * challenge and its client_id as domain, holding one Data Integrity credential, verified through
 * registry/verify_presentation.h and matched to the query. No cache is given to the verifier, so
 * nothing in the answer makes the depository fetch anything: a holder resolves as did:key only,
 * and only the depository's own status lists are read (verifier.h's invariant). */
#include <stdio.h>
#include <string.h>

#include "oid4vp/dcql.h"
#include "oid4vp/internal.h"
#include "registry/verify_presentation.h"
#include "store/store.h"
#include "registry/verify_summary.h"
#include "vc/jcs.h"
#include "vc/jsonld.h"
#include "vc/presentation.h"

/* The first reason a presentation fails: its own checks, then its credential's. */
static const char *reason_of(const struct vp_result *r)
{
	bool unsigned_vp = !json_object_get(r->presentation, "proof");

	if (!r->is_presentation)
		return r->not_presentation;
	/* Without a proof, that is the reason (its challenge and domain are missing with it). */
	for (size_t i = 0; unsigned_vp && i < r->count; i++)
		if (!r->checks[i].passed && strcmp(r->checks[i].name, "proof") == 0)
			return r->checks[i].message;
	for (size_t i = 0; i < r->count; i++)
		if (!r->checks[i].passed)
			return r->checks[i].message;
	/* One credential per presentation (checked before any is verified). */
	return r->n_credentials ? oid4vp_first_failure(&r->credentials[0].r) : "not verified";
}

/* Whether a credential names an id for a subject (of any, when several). */
static bool names_subject(const json_t *vc)
{
	const json_t *s = json_object_get(vc, "credentialSubject");
	size_t n = json_is_array(s) ? json_array_size(s) : 1;

	for (size_t i = 0; s && i < n; i++)
		if (json_object_get(json_is_array(s) ? json_array_get(s, i) : s, "id"))
			return true;
	return false;
}

#define OWN_ACHIEVEMENT "urn:oorkonde:achievement:"

/*
 * Whether the credential states a result of this depository's records (review LDP9-1): only the
 * registry names an achievement urn:oorkonde:achievement:… (a VC-API key may not sign one:
 * registry/credential.c), and a credential issued to a holder's key is recorded by its id with
 * the achievement it was issued for (issue --holder-did), whose title it must state. Else
 * *why says why not. A negative code only when the store does not answer.
 */
static int own_result(struct depository *d, const json_t *vc, bool bound_to_key, const char **why,
                      struct ok_error *err)
{
	const json_t *subject = json_object_get(vc, "credentialSubject");
	const json_t *a = json_object_get(subject, "achievement");
	const char *aid = json_string_value(json_object_get(a, "id"));
	const char *title = json_string_value(json_object_get(a, "name"));
	const char *cid = json_string_value(json_object_get(vc, "id"));
	struct store_achievement rec;
	struct ok_error e;
	int rc;

	*why = NULL;
	if (!json_is_object(subject) || !aid ||
	    strncmp(aid, OWN_ACHIEVEMENT, strlen(OWN_ACHIEVEMENT))) {
		*why = "the credential does not state a result of this depository's records";
		return 0;
	}
	if (!bound_to_key)
		return 0;
	ok_error_clear(&e);
	rc = cid && strlen(cid) <= STORE_CREDENTIAL_ID_MAX
	             ? store_achievement_by_credential(d->store, cid, &rec, &e)
	             : OK_ENOTFOUND;
	if (rc == OK_ENOTFOUND || (!rc && (!title || strcmp(rec.title, title) != 0))) {
		*why = "the credential was not issued by this depository to a holder from its "
		       "records";
		return 0;
	}
	if (rc) {
		*err = e;
		return rc;
	}
	return 0;
}

/* The credential node's expanded types (a new array), for meta.type_values. */
static int expanded_types(const json_t *credential, json_t **out, struct ok_error *err)
{
	json_t *expanded = NULL;
	const json_t *t;
	int rc;

	*out = NULL;
	if ((rc = vc_jsonld_expand(credential, NULL, &expanded, err)))
		return rc;
	t = json_object_get(json_array_get(expanded, 0), "@type");
	*out = json_is_array(t) ? json_incref((json_t *)t) : json_array();
	json_decref(expanded);
	return *out ? 0 : ok_fail(err, OK_ENOMEM, "out of memory");
}

/* Whether item check of a credential's result is there and passed. */
static bool item_passed(const struct verify_result *r, enum verify_check check)
{
	for (size_t i = 0; i < r->count; i++)
		if (r->items[i].check == check)
			return r->items[i].passed;
	return false;
}

int oid4vp_ldp_verify(struct depository *d, const json_t *cq, const char *s, size_t n,
                      const char *nonce, const char *client_id, bool accept_unbound, json_t **entry,
                      bool *holder_proved, struct ok_error *err)
{
	const char *qid = json_string_value(json_object_get(cq, "id"));
	struct vp_options o = {.challenge = nonce, .domain = client_id};
	struct vp_result r;
	struct ok_error e;
	json_t *report = NULL, *types = NULL, *doc = NULL;
	const char *reason = NULL;
	bool bound = false, unbound = false, unbound_ok = false;
	int rc;

	*entry = NULL;
	*holder_proved = false;
	ok_error_clear(&e);
	memset(&r, 0, sizeof(r));
	/* One credential a query: a presentation carrying more is refused before any of them is
	 * verified, so that an answer costs at most one credential's work per presentation. */
	if (vc_jcs_parse(s, n, 0, &doc, &e) == 0 && vc_presentation_is(doc)) {
		struct vc_presentation p;

		ok_error_clear(&e);
		rc = vc_presentation_parse(doc, &p, &e);
		if (rc == OK_ENOMEM) {
			rc = ok_fail(err, rc, "out of memory");
			goto out;
		}
		if (rc == 0 && p.count != 1)
			reason = "the presentation must hold exactly one credential for the query";
		if (rc == 0)
			vc_presentation_release(&p);
		rc = 0;
	}
	if (!reason && (rc = registry_verify_presentation(d, s, n, &o, &r, err)))
		goto out;
	if (!reason && r.is_presentation && r.n_credentials != 1)
		reason = "the presentation must hold exactly one credential for the query";
	else if (!reason && r.is_presentation && r.credentials[0].kind != VC_PRESENTATION_EMBEDDED)
		reason = "the presentation's credential is not a Data Integrity credential "
		         "(ldp_vc), "
		         "the format the query asked for";
	if (r.is_presentation && r.n_credentials == 1 &&
	    (!(report = verify_report_json(d, &r.credentials[0].r)) ||
	     oid4vp_report_trim(cq, report))) {
		rc = ok_fail(err, OK_ENOMEM, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < r.count; i++)
		if (strcmp(r.checks[i].name, "holder") == 0)
			bound = r.checks[i].passed && !r.checks[i].warning;
	if (!reason && !r.verified)
		reason = reason_of(&r);
	/* A credential issued to a holder (its subject's id, issue --holder-did) counts only when
	 * that holder presents it: its proof made with the subject's key. */
	if (!reason && names_subject(r.credentials[0].r.credential) && !bound)
		reason =
		        "the credential was issued to another holder than the one who presented it "
		        "(its subject's id is not the presentation's holder)";
	if (!reason &&
	    (rc = own_result(d, r.credentials[0].r.credential,
	                     names_subject(r.credentials[0].r.credential), &reason, err)))
		goto out;
	if (!reason) {
		const json_t *vc = r.credentials[0].r.credential;

		ok_error_clear(&e);
		rc = expanded_types(vc, &types, &e);
		if (rc == OK_ENOMEM) {
			rc = ok_fail(err, rc, "out of memory");
			goto out;
		}
		rc = 0;
		if (!types || oid4vp_dcql_match_ldp(cq, vc, types, &e))
			reason = e.message[0] ? e.message : "the credential's types cannot be read";
	}
	/* A W3C credential issued without a holder names its learner by name and birth date, not
	 * by a key: whoever holds a copy (every share link hands one out) can present it, so the
	 * presentation proves nothing about who presents it (review LDP-1). It is not verified;
	 * where the request accepted such credentials it is "verified_unbound", never "verified".
	 */
	if (!reason && !names_subject(r.credentials[0].r.credential)) {
		unbound_ok = accept_unbound;
		unbound = true;
		reason = OID4VP_UNBOUND_REASON;
	}
	/* Made by the holder's wallet (finding s16-3): a credential of a trusted issuer, signed
	 * as issued, presented with a proof for this request's challenge and domain by the key of
	 * its subject; or, naming no subject where the request accepts that, one that passed
	 * every check (verified_unbound). Anything less anyone could post: a credential naming no
	 * holder is in every share link. */
	if (r.is_presentation && r.n_credentials == 1 && (bound || unbound_ok) &&
	    item_passed(&r.credentials[0].r, VERIFY_PROOF) &&
	    item_passed(&r.credentials[0].r, VERIFY_ISSUER)) {
		unsigned held = 0;

		for (size_t i = 0; i < r.count; i++)
			if (!strcmp(r.checks[i].name, "proof") ||
			    !strcmp(r.checks[i].name, "challenge") ||
			    !strcmp(r.checks[i].name, "domain"))
				held += r.checks[i].passed && !r.checks[i].warning ? 1u : 100u;
		*holder_proved = held == 3;
	}
	if (report && oid4vp_report_verdict(report, reason == NULL, unbound)) {
		rc = ok_fail(err, OK_ENOMEM, "out of memory");
		goto out;
	}
	*entry = json_pack("{s:s, s:b, s:b, s:s?, s:o*, s:s, s:s?, s:b}", "query", qid, "verified",
	                   reason == NULL, "verified_unbound", unbound_ok, "reason", reason,
	                   "report", report, "format", OID4VP_FORMAT_LDP, "holder",
	                   r.holder[0] ? r.holder : NULL, "holder_bound", bound);
	report = NULL;
	if (!*entry)
		rc = ok_fail(err, OK_ENOMEM, "out of memory");
out:
	json_decref(report);
	json_decref(types);
	json_decref(doc);
	vp_result_release(&r);
	return rc;
}
