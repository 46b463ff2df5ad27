/* The presentation verifier (see verify_presentation.h). */
#include "registry/verify_presentation.h"

#include "registry/verify_summary.h"
#include "remote/did_resolver.h"
#include "remote/status_cache.h"
#include "vc/jcs.h"
#include "vc/proof.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define VP_MAX_INPUT ((size_t)1 << 20)
/* How far in the future a proof's created may lie (clocks differ a little), as for credentials. */
#define PROOF_CLOCK_SKEW_S 300

__attribute__((format(printf, 5, 6))) static void
add_check(struct vp_result *r, const char *name, bool passed, bool warning, const char *fmt, ...)
{
	struct vp_check *c;
	va_list ap;

	if (r->count == VP_MAX_CHECKS)
		return;
	c = &r->checks[r->count++];
	c->name = name;
	c->passed = passed;
	c->warning = warning;
	va_start(ap, fmt);
	verify_vformat(c->message, sizeof(c->message), fmt, ap);
	va_end(ap);
}

__attribute__((format(printf, 2, 3))) static int not_presentation(struct vp_result *r,
                                                                  const char *fmt, ...)
{
	va_list ap;

	r->is_presentation = false;
	r->verified = false;
	va_start(ap, fmt);
	verify_vformat(r->not_presentation, sizeof(r->not_presentation), fmt, ap);
	va_end(ap);
	return 0;
}

/* The holder's key */

struct holder_resolver {
	struct depository *d;
	struct remote_did_cache *did_cache;
	const char *holder; /* NULL: none named */
};

/* did:key offline; a did:web only for a DID on the trust list: a stranger's presentation must
 * not make the depository connect anywhere. */
static int resolve_holder_key(void *ctx, const char *vm, const char *purpose, uint8_t pk[32],
                              struct ok_error *err)
{
	struct holder_resolver *res = ctx;
	struct store_trusted_issuer t;
	struct ok_error sub;
	char did[VC_DID_MAX];
	int rc;

	if ((rc = vc_did_of_vm(vm, did, err)))
		return rc;
	if (res->holder && strcmp(did, res->holder) != 0)
		return ok_fail(err, OK_EINVALID,
		               "the key %s does not belong to the holder %s, so the holder did not "
		               "sign this presentation",
		               vm, res->holder);
	if (strncmp(vm, "did:key:", 8) == 0)
		return vc_proof_resolve_did_key(NULL, vm, purpose, pk, err);
	if (strncmp(vm, "did:web:", 8) != 0)
		return ok_fail(err, OK_EUNSUPPORTED,
		               "the holder's key %s could not be resolved (only did:key and the "
		               "did:web of a trusted depository are resolved here)",
		               vm);
	ok_error_clear(&sub);
	if (!res->d || store_trust_get(res->d->store, did, &t, &sub) != 0 ||
	    strcmp(t.status, "active") != 0)
		return ok_fail(
		        err, OK_EINVALID,
		        "the holder %s is not on the trust list, so its key is not looked up", did);
	if (!res->did_cache)
		return ok_fail(err, OK_EUNSUPPORTED, "DID documents are not fetched here");
	/* An authentication key: one the depository lists only for issuing signs no
	 * presentation of it. */
	return remote_did_resolve(res->did_cache, res->d->did_web_http_hosts, vm, purpose, pk, err);
}

static const char *proof_explanation(enum vc_proof_check c)
{
	switch (c) {
	case VC_PROOF_BAD_SIGNATURE:
		return "The presentation was changed after it was signed, or was not signed by "
		       "this key";
	case VC_PROOF_UNKNOWN_CRYPTOSUITE:
		return "The presentation's proof uses a cryptosuite oorkonde does not accept (only "
		       "eddsa-jcs-2022 and eddsa-rdfc-2022)";
	case VC_PROOF_WRONG_PURPOSE:
		return "The presentation's proof was not made to authenticate its holder (its "
		       "purpose is not authentication)";
	case VC_PROOF_KEY_UNRESOLVED:
		return "The holder's key could not be found";
	case VC_PROOF_CHALLENGE_MISMATCH:
	case VC_PROOF_DOMAIN_MISMATCH:
		return "The presentation's signature was not checked";
	default:
		return "The presentation's proof is not valid";
	}
}

/* The proof's expires passed, or created further ahead than clocks differ; explains in msg. */
static bool time_problem(const json_t *proof, char *msg, size_t cap)
{
	const json_t *created = json_object_get(proof, "created");
	const json_t *expires = json_object_get(proof, "expires");
	long long now = (long long)time(NULL), t = 0;

	/* Fixed texts and parsed dates (short ASCII): they fit the callers' buffers. */
	if (expires &&
	    (!json_is_string(expires) || verify_parse_time(json_string_value(expires), &t) != 0)) {
		snprintf(msg, cap,
		         "The presentation's proof has an expires that is not a date and "
		         "time");
		return true;
	}
	if (expires && t <= now) {
		snprintf(msg, cap, "The presentation's proof has expired: it was valid until %s",
		         json_string_value(expires));
		return true;
	}
	if (json_is_string(created) && verify_parse_time(json_string_value(created), &t) == 0 &&
	    t > now + PROOF_CLOCK_SKEW_S) {
		snprintf(msg, cap,
		         "The presentation's proof was made in the future (created %s): a signer's "
		         "clock that far ahead cannot be trusted",
		         json_string_value(created));
		return true;
	}
	return false;
}

/* Whether the JSON string s is want, whole ("\u0000" inside does not end it early). */
static bool string_is(const json_t *s, const char *want)
{
	return json_is_string(s) && json_string_length(s) == strlen(want) &&
	       memcmp(json_string_value(s), want, json_string_length(s)) == 0;
}

/* The challenge or domain (name) of the proof against what the verifier asked for (want). */
static void check_binding(const json_t *proof, const char *name, const char *want,
                          struct vp_result *r)
{
	const json_t *got = json_object_get(proof, name);
	bool match = false;
	size_t i;

	if (!want) {
		if (got)
			add_check(r, name, true, true,
			          "The proof carries a %s, but none was asked for, so it was not "
			          "compared: a replayed presentation would not be noticed",
			          name);
		/* Only a challenge of the verifier's own makes a replay show. */
		else if (strcmp(name, "challenge") == 0)
			add_check(
			        r, name, true, true,
			        "No challenge was asked for: a replayed presentation would not be "
			        "noticed");
		return;
	}
	match = string_is(got, want);
	/* A domain may be a set of strings (Data Integrity); a challenge is one string. */
	for (i = 0; strcmp(name, "domain") == 0 && i < json_array_size(got); i++)
		if (string_is(json_array_get(got, i), want))
			match = true;
	if (match)
		add_check(r, name, true, false, "The proof's %s is the one asked for", name);
	else if (got)
		add_check(r, name, false, false,
		          "The proof's %s is not the one asked for: the presentation was made for "
		          "another verifier or another request (or is replayed)",
		          name);
	else
		add_check(r, name, false, false,
		          "The proof has no %s, but one was asked for: the presentation may be "
		          "replayed",
		          name);
}

static int check_presentation_proof(struct depository *d, const struct vc_presentation *p,
                                    const struct vp_options *o, struct vp_result *r,
                                    struct ok_error *err)
{
	const json_t *proof = json_object_get(p->document, "proof");
	struct holder_resolver res = {d, o->verify.did_cache, p->holder};
	struct vc_proof_expect expect = {VC_PROOF_PURPOSE_AUTHENTICATION, o->challenge, o->domain};
	enum vc_proof_check failed = VC_PROOF_VALID;
	char when[VERIFY_MESSAGE_MAX];
	struct ok_error perr;
	int rc;

	if (!proof) {
		check_binding(NULL, "challenge", o->challenge, r);
		check_binding(NULL, "domain", o->domain, r);
		add_check(r, "proof", false, false,
		          "The presentation has no proof: nothing shows that its holder presents "
		          "these credentials");
		return 0;
	}
	check_binding(json_is_object(proof) ? proof : NULL, "challenge", o->challenge, r);
	check_binding(json_is_object(proof) ? proof : NULL, "domain", o->domain, r);
	if (json_is_object(proof) && time_problem(proof, when, sizeof(when))) {
		add_check(r, "proof", false, false, "%s", when);
		return 0;
	}
	ok_error_clear(&perr);
	rc = vc_proof_verify_expect(p->document, &expect, resolve_holder_key, &res, &failed, &perr);
	if (rc == OK_ENOMEM)
		return ok_fail(err, rc, "%s", perr.message);
	if (!rc)
		add_check(r, "proof", true, false,
		          "The presentation's signature is valid: %s presents exactly these "
		          "credentials",
		          p->holder ? "its holder" : "the key's owner");
	else if (failed == VC_PROOF_BAD_SIGNATURE)
		add_check(r, "proof", false, false, "%s", proof_explanation(failed));
	else
		add_check(r, "proof", false, false, "%s: %s", proof_explanation(failed),
		          perr.message);
	return 0;
}

/* Every credential */

static int verify_credentials(struct depository *d, const struct vc_presentation *p,
                              const struct vp_options *o, struct vp_result *r, struct ok_error *err)
{
	size_t i;
	int rc;

	if (p->count == 0)
		return 0;
	r->credentials = calloc(p->count, sizeof(*r->credentials));
	if (!r->credentials)
		return ok_fail(err, OK_ENOMEM, "out of memory");
	for (i = 0; i < p->count; i++) {
		struct vp_credential_result *c = &r->credentials[i];
		const struct vc_presentation_item *it = &p->items[i];

		c->kind = it->kind;
		rc = it->kind == VC_PRESENTATION_ENVELOPED
		             ? registry_verify(d, it->jwt, it->jwt_len, &o->verify, &c->r, err)
		             : registry_verify_document(d, (json_t *)it->credential, &o->verify,
		                                        &c->r, err);
		r->n_credentials = i + 1;
		if (rc)
			return rc;
	}
	return 0;
}

/* Whether the credential names holder as the id of its subject (of every one, when several). */
static bool subject_is(const json_t *credential, const char *holder)
{
	const json_t *s = json_object_get(credential, "credentialSubject");
	size_t i, n = json_is_array(s) ? json_array_size(s) : 1;

	if (!s || n == 0)
		return false;
	for (i = 0; i < n; i++) {
		const json_t *one = json_is_array(s) ? json_array_get(s, i) : s;
		const json_t *id = json_object_get(one, "id");
		if (!json_is_string(id) || strcmp(json_string_value(id), holder) != 0)
			return false;
	}
	return true;
}

/*
 * Holder binding, shown as a warning where it is missing (VC 2.0 leaves it to the verifier's
 * policy): a valid proof shows only that the key's owner presents these credentials, not that
 * they are about the presenter. Bound only when the presentation names its holder and every
 * credential names that holder as its subject; oorkonde's own credentials name the learner by
 * identity objects only, so for them the verifier must check the person another way.
 */
static void check_holder_binding(const struct vc_presentation *p, struct vp_result *r)
{
	size_t i;
	bool bound = p->holder && r->n_credentials > 0;

	for (i = 0; bound && i < r->n_credentials; i++)
		bound = r->credentials[i].r.credential &&
		        subject_is(r->credentials[i].r.credential, p->holder);
	if (bound)
		add_check(r, "holder", true, false,
		          "The holder is the subject of every credential it presents");
	else
		add_check(r, "holder", true, true,
		          "The presenter is not shown to be the credentials' subject: %s",
		          p->holder ? "not every credential names the holder as its subject"
		                    : "the presentation names no holder");
}

int registry_verify_presentation_document(struct depository *d, json_t *vp,
                                          const struct vp_options *o, struct vp_result *r,
                                          struct ok_error *err)
{
	struct vc_presentation p;
	struct ok_error perr;
	size_t i;
	int rc;

	memset(r, 0, sizeof(*r));
	r->is_presentation = true;
	ok_error_clear(&perr);
	rc = vc_presentation_parse(vp, &p, &perr);
	if (rc == OK_ENOMEM)
		return ok_fail(err, rc, "out of memory");
	if (rc)
		return not_presentation(r, "%s", perr.message);
	r->presentation = json_incref(vp);
	if (p.holder && strlen(p.holder) >= sizeof(r->holder)) {
		rc = not_presentation(r, "the holder's id is longer than %zu bytes",
		                      sizeof(r->holder) - 1);
		goto out;
	}
	if (p.holder)
		memcpy(r->holder, p.holder, strlen(p.holder) + 1); /* its length is checked */
	if ((rc = check_presentation_proof(d, &p, o, r, err)))
		goto out;
	if ((rc = verify_credentials(d, &p, o, r, err)))
		goto out;
	check_holder_binding(&p, r);
	r->verified = true;
	for (i = 0; i < r->count; i++)
		if (!r->checks[i].passed)
			r->verified = false;
	for (i = 0; i < r->n_credentials; i++)
		if (!r->credentials[i].r.verified)
			r->verified = false;
out:
	vc_presentation_release(&p);
	return rc;
}

bool registry_is_presentation(const char *data, size_t len)
{
	struct ok_error err;
	json_t *doc = NULL;
	bool is;

	ok_error_clear(&err);
	if (len > VP_MAX_INPUT || vc_jcs_parse(data, len, 0, &doc, &err) != 0)
		return false;
	is = vc_presentation_is(doc);
	json_decref(doc);
	return is;
}

int registry_verify_presentation(struct depository *d, const char *data, size_t len,
                                 const struct vp_options *o, struct vp_result *r,
                                 struct ok_error *err)
{
	struct ok_error perr;
	json_t *vp = NULL;
	int rc;

	memset(r, 0, sizeof(*r));
	if (len > VP_MAX_INPUT)
		return not_presentation(r, "the input is larger than 1 MiB");
	ok_error_clear(&perr);
	if (vc_jcs_parse(data, len, 0, &vp, &perr) != 0)
		return not_presentation(r, "the input is not usable: %s", perr.message);
	rc = registry_verify_presentation_document(d, vp, o, r, err);
	json_decref(vp);
	return rc;
}

int registry_verify_presentation_once(struct depository *d, const char *data, size_t len,
                                      const struct vp_options *o, long ttl_s, struct vp_result *r,
                                      struct ok_error *err)
{
	struct vp_options own = *o;
	struct remote_status_cache statuses;
	struct remote_did_cache dids;
	int rc;

	remote_status_cache_init(&statuses, ttl_s, NULL);
	remote_did_cache_init(&dids, ttl_s, NULL);
	own.verify.status_cache = &statuses;
	own.verify.did_cache = &dids;
	rc = registry_verify_presentation(d, data, len, &own, r, err);
	remote_status_cache_release(&statuses);
	remote_did_cache_release(&dids);
	return rc;
}

void vp_result_release(struct vp_result *r)
{
	size_t i;

	for (i = 0; i < r->n_credentials; i++)
		verify_result_release(&r->credentials[i].r);
	free(r->credentials);
	r->credentials = NULL;
	r->n_credentials = 0;
	json_decref(r->presentation);
	r->presentation = NULL;
}

/* The answer */

static json_t *presentation_json(const struct vp_result *r, json_t *errors)
{
	json_t *checks = json_array(), *warnings = json_array(), *details = json_array();
	bool verified = r->is_presentation;
	size_t i;

	if (!r->is_presentation)
		json_array_append_new(errors, json_pack("{s:s, s:s, s:s}", "type",
		                                        "/problems/not-a-presentation", "title",
		                                        "Not a presentation", "detail",
		                                        r->not_presentation));
	for (i = 0; i < r->count; i++) {
		const struct vp_check *c = &r->checks[i];
		json_array_append_new(details, json_pack("{s:s, s:b, s:s, s:s}", "check", c->name,
		                                         "passed", c->passed, "state",
		                                         !c->passed   ? "failed"
		                                         : c->warning ? "warning"
		                                                      : "passed",
		                                         "message", c->message));
		if (c->passed)
			json_array_append_new(checks, json_string(c->name));
		else
			verified = false;
		if (c->warning)
			json_array_append_new(warnings, json_pack("{s:s, s:s, s:s}", "type",
			                                          "/problems/warning", "check",
			                                          c->name, "detail", c->message));
		if (!c->passed)
			json_array_append_new(errors,
			                      json_pack("{s:s, s:s, s:s, s:s}", "type",
			                                "/problems/presentation-check-failed",
			                                "title", "Presentation check failed",
			                                "check", c->name, "detail", c->message));
	}
	return json_pack("{s:b, s:s?, s:o, s:o, s:o}", "verified", verified, "holder",
	                 r->holder[0] ? r->holder : NULL, "checks", checks, "warnings", warnings,
	                 "details", details);
}

json_t *vp_result_json(struct depository *d, const struct vp_result *r)
{
	json_t *errors = json_array(), *creds = json_array(), *pres, *one;
	size_t i;

	if (!errors || !creds)
		goto fail;
	pres = presentation_json(r, errors);
	if (!pres)
		goto fail;
	/* The presentation's own errors, without the per-credential ones (those are in each
	 * credential's result), and then one line per credential that did not verify. */
	if (json_object_set(pres, "errors", errors)) {
		json_decref(pres);
		goto fail;
	}
	json_decref(errors);
	errors = json_deep_copy(json_object_get(pres, "errors"));
	for (i = 0; i < r->n_credentials; i++) {
		const struct vp_credential_result *c = &r->credentials[i];
		one = verify_report_json(d, &c->r);
		if (!one || json_object_set_new(one, "index", json_integer((json_int_t)i)) ||
		    json_object_set_new(one, "format", json_string(c->r.format)) ||
		    json_object_set_new(one, "enveloped",
		                        json_boolean(c->kind == VC_PRESENTATION_ENVELOPED)) ||
		    json_array_append_new(creds, one)) {
			json_decref(pres);
			goto fail;
		}
		if (!c->r.verified)
			json_array_append_new(
			        errors,
			        json_pack("{s:s, s:s, s:I, s:s}", "type",
			                  "/problems/credential-not-verified", "title",
			                  "Credential not verified", "credential", (json_int_t)i,
			                  "detail",
			                  "a credential of the presentation did not verify: "
			                  "see credentialResults"));
	}
	return json_pack("{s:b, s:o, s:o, s:o}", "verified", r->verified, "presentationResult",
	                 pres, "credentialResults", creds, "errors", errors);
fail:
	json_decref(errors);
	json_decref(creds);
	return NULL;
}
