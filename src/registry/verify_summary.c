/* The one-glance summary of a verification (see verify_summary.h): holder, result, headline. */
#include "registry/verify_summary.h"
#include "core/format.h"
#include "store/vcstatus.h"
#include "vc/ob_facts.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const char *const headline_names[] = {
        [VERIFY_HEADLINE_VERIFIED] = "verified",
        [VERIFY_HEADLINE_REVOKED] = "revoked",
        [VERIFY_HEADLINE_SUSPENDED] = "suspended",
        [VERIFY_HEADLINE_INVALID] = "invalid",
        [VERIFY_HEADLINE_NOT_VERIFIED] = "not_verified",
        [VERIFY_HEADLINE_NOT_CREDENTIAL] = "not_credential",
};

const char *verify_headline_name(enum verify_headline h)
{
	return headline_names[h];
}

static bool proof_failed(const struct verify_result *r)
{
	for (size_t i = 0; i < r->count; i++)
		if (r->items[i].check == VERIFY_PROOF && !r->items[i].passed)
			return true;
	return false;
}

bool verify_item_applicable(const struct verify_result *r, size_t i)
{
	return r->items[i].check == VERIFY_PROOF || !proof_failed(r);
}

const char *verify_item_state(const struct verify_result *r, size_t i)
{
	if (!verify_item_applicable(r, i))
		return "not_applicable";
	if (!r->items[i].passed)
		return "failed";
	return r->items[i].warning ? "warning" : "passed";
}

/* Holder and result */

static const char *str(const json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

static json_t *str_or_null(const char *s)
{
	return s ? json_string(s) : json_null();
}

static json_t *credits_json(const json_t *c);

/* An SD-JWT VC's disclosed claims (registry/sdjwt_credential.h): told apart by their vct. */
static bool is_sdjwt_vc(const json_t *vc)
{
	return json_is_string(json_object_get(vc, "vct"));
}

static json_t *sdjwt_holder(const json_t *vc)
{
	const char *given = str(vc, "given_name"), *family = str(vc, "family_name");
	char name[1024];

	if (given && family)
		snprintf(name, sizeof(name), "%s %s", given, family);
	else
		snprintf(name, sizeof(name), "%s", given ? given : family ? family : "");
	return json_pack("{s:o, s:o}", "name", str_or_null(name[0] ? name : NULL), "birth_date",
	                 str_or_null(str(vc, "birthdate")));
}

/* The claims of our own type, or of the EU Learning Credential, as the summary's facts. */
static json_t *sdjwt_achievement(const json_t *vc)
{
	const json_t *inst = json_object_get(vc, "institution");
	const char *vct = str(vc, "vct"), *kind = vct ? strstr(vct, "/vct/") : NULL;
	const json_t *credits = json_object_get(vc, "credits_ects");

	return json_pack(
	        "{s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o}", "title",
	        str_or_null(str(vc, "title") ? str(vc, "title") : str(vc, "achievement_title")),
	        "kind", str_or_null(kind ? kind + 5 : NULL), "achievement_type", json_null(),
	        "institution",
	        str_or_null(str(inst, "name") ? str(inst, "name") : str(vc, "issuing_authority")),
	        "country",
	        str_or_null(str(inst, "country") ? str(inst, "country")
	                                         : str(vc, "issuing_country")),
	        "awarded_on", str_or_null(str(vc, "awarded_on")), "credits", credits_json(credits),
	        "grade",
	        str_or_null(str(vc, "grade") ? str(vc, "grade") : str(vc, "assessment_grade")));
}

json_t *verify_holder_json(const json_t *vc)
{
	const json_t *s;

	if (!vc)
		return NULL;
	if (is_sdjwt_vc(vc))
		return sdjwt_holder(vc);
	/* The one subject's: with several, whose result this is is not stated. */
	s = json_object_get(vc, "credentialSubject");
	if (json_is_array(s))
		s = json_array_size(s) == 1 ? json_array_get(s, 0) : NULL;
	return json_pack("{s:o, s:o}", "name", str_or_null(vc_ob_identity(s, "name", NULL)),
	                 "birth_date", str_or_null(vc_ob_identity(s, "ext:birthDate", NULL)));
}

/* Shared with foreign.c, which files another issuer's credentials under the same kinds. */
const char *verify_kind_of_type(const char *type)
{
	static const struct {
		const char *type, *kind;
	} map[] = {
	        {"Diploma", "diploma"},        {"BachelorDegree", "degree"},
	        {"MasterDegree", "degree"},    {"DoctoralDegree", "degree"},
	        {"AssociateDegree", "degree"}, {"Degree", "degree"},
	        {"Assessment", "exam"},        {"ext:Module", "module"},
	        {"Course", "course"},
	};

	if (!type)
		return NULL;
	for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (strcmp(map[i].type, type) == 0)
			return map[i].kind;
	return NULL;
}

/* Our own kinds back from Open Badges achievement types; other types stay as they are. */
static const char *kind_of(const char *type)
{
	const char *kind = verify_kind_of_type(type);

	return kind ? kind : type;
}

/* Credits as a person wrote them: 180, not 180.0 (credentials are parsed as doubles). */
static json_t *credits_number(double v)
{
	/* Only a value an integer holds is converted (a hostile 1e300 is undefined behaviour). */
	if (v > -9e15 && v < 9e15 && v == (double)(json_int_t)v)
		return json_integer((json_int_t)v);
	return json_real(v);
}

static json_t *credits_json(const json_t *c)
{
	return json_is_number(c) ? credits_number(json_number_value(c)) : json_null();
}

json_t *verify_achievement_json(const json_t *vc)
{
	struct vc_ob_facts f;
	struct ok_error err;
	const char *awarded;
	char date[11] = "";

	if (!vc)
		return NULL;
	if (is_sdjwt_vc(vc))
		return sdjwt_achievement(vc);
	/* The same reader as foreign imports: what an rdfc signature fixes, whatever the JSON
	 * shape; a credential whose result is not one stated achievement has no summary. */
	ok_error_clear(&err);
	if (vc_ob_facts_read(vc, &f, &err) != 0)
		return json_null();
	/* validFrom stands in only when no award date is stated at all. */
	awarded = f.awarded_stated ? f.awarded : str(vc, "validFrom");
	if (awarded && strlen(awarded) >= 10)
		snprintf(date, sizeof(date), "%.10s", awarded); /* ten characters: fits */
	return json_pack("{s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o}", "title", str_or_null(f.title),
	                 "kind", str_or_null(kind_of(f.achievement_type)), "achievement_type",
	                 str_or_null(f.achievement_type), "institution", str_or_null(f.institution),
	                 "country", str_or_null(f.country), "awarded_on",
	                 str_or_null(date[0] ? date : NULL), "credits",
	                 f.has_credits ? credits_number(f.credits) : json_null(), "grade",
	                 str_or_null(f.grade));
}

/* The verdict */

/* "YYYY-MM-DD" of ms since the epoch, UTC. */
static void day_of(int64_t ms, char out[11])
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;

	if (!gmtime_r(&t, &tm) || strftime(out, 11, "%Y-%m-%d", &tm) != 10)
		out[0] = '\0';
}

/* For the depository's own credential: the achievement's status change, found by the slot its
 * status entry names. Returns true when the store says it is revoked or suspended. */
static bool own_status(struct depository *d, const json_t *vc, struct verify_verdict *v)
{
	const json_t *status = json_object_get(vc, "credentialStatus"), *e;
	const char *cid = json_string_value(json_object_get(vc, "id"));
	size_t base = strlen(d->base_url), i, n;
	struct store_achievement by_id;

	/* The record the credential was issued for, by its id (an index look-up), else by the
	 * slot its status entries name. */
	if (cid && strlen(cid) <= STORE_CREDENTIAL_ID_MAX &&
	    store_achievement_by_credential(d->store, cid, &by_id, NULL) == 0) {
		if (strcmp(by_id.status, "revoked") && strcmp(by_id.status, "suspended"))
			return false;
		v->headline = strcmp(by_id.status, "revoked") == 0 ? VERIFY_HEADLINE_REVOKED
		                                                   : VERIFY_HEADLINE_SUSPENDED;
		day_of(by_id.updated_ms, v->since);
		return true;
	}
	n = json_is_array(status) ? json_array_size(status) : status ? 1 : 0;
	for (i = 0; i < n; i++) {
		struct store_achievement a;
		const char *url, *index_text, *rest;
		char *end;
		long long list, index;

		e = json_is_array(status) ? json_array_get(status, i) : status;
		url = str(e, "statusListCredential");
		index_text = str(e, "statusListIndex");
		if (!url || !index_text || strncmp(url, d->base_url, base) != 0 ||
		    strncmp(url + base, "/status/", 8) != 0)
			continue;
		rest = strchr(url + base + 8, '/');
		if (!rest)
			continue;
		list = strtoll(rest + 1, &end, 10);
		if (*end || list < 1)
			continue;
		index = strtoll(index_text, &end, 10);
		if (*end || end == index_text || index < 0)
			continue;
		if (store_achievement_by_slot(d->store, list, index, &a, NULL) != 0) {
			/* A VC-API credential issued with status holds the slot instead. */
			struct store_vc_status vs;
			if (store_vc_status_by_slot(d->store, list, index, &vs, NULL) != 0)
				continue;
			OK_COPY_ARRAY(a.status, vs.status);
			a.updated_ms = vs.updated_ms;
			/* The slot of a result the retention schedule destroyed (retention.h). */
			v->destroyed = strcmp(vs.key_id, "retention") == 0 &&
			               strncmp(vs.id, "urn:oorkonde:retention:", 23) == 0;
		}
		if (strcmp(a.status, "revoked") && strcmp(a.status, "suspended"))
			return false;
		v->headline = strcmp(a.status, "revoked") == 0 ? VERIFY_HEADLINE_REVOKED
		                                               : VERIFY_HEADLINE_SUSPENDED;
		/* A status change is the record's last change: revoked records are final, and a
		 * suspended one changes only when it is reinstated. */
		day_of(a.updated_ms, v->since);
		return true;
	}
	return false;
}

void verify_verdict_of(struct depository *d, const struct verify_result *r,
                       struct verify_verdict *v)
{
	const char *issuer;
	bool signed_ok = false;
	size_t i;

	memset(v, 0, sizeof(*v));
	if (!r->is_credential) {
		v->headline = VERIFY_HEADLINE_NOT_CREDENTIAL;
		return;
	}
	if (proof_failed(r)) {
		v->headline = VERIFY_HEADLINE_INVALID;
		return;
	}
	/* "Genuine" only when the signature was checked and held (options.checks may leave the
	 * proof out); nor does a credential nobody was seen to sign get a record's date. */
	for (i = 0; i < r->count; i++)
		if (r->items[i].check == VERIFY_PROOF && r->items[i].passed)
			signed_ok = true;
	v->headline =
	        r->verified && signed_ok ? VERIFY_HEADLINE_VERIFIED : VERIFY_HEADLINE_NOT_VERIFIED;
	for (i = 0; i < r->count; i++) {
		const struct verify_item *it = &r->items[i];
		if (it->check != VERIFY_STATUS || it->passed)
			continue;
		issuer = r->credential ? str(r->credential, "issuer") : NULL;
		if (!issuer)
			issuer = str(json_object_get(r->credential, "issuer"), "id");
		if (d && signed_ok && issuer && strcmp(issuer, d->issuer_did) == 0 &&
		    own_status(d, r->credential, v))
			return;
		/* Another issuer's list says only that the bit is set, not since when. */
		if (strstr(it->message, "revoked by its issuer"))
			v->headline = VERIFY_HEADLINE_REVOKED;
		else if (strstr(it->message, "suspended by its issuer"))
			v->headline = VERIFY_HEADLINE_SUSPENDED;
	}
}

/* Formatting */

void verify_headline_text(const struct verify_verdict *v, char *out, size_t cap)
{
	char date[RENDER_DATE_TEXT_MAX];

	/* A headline for people, of fixed words and a date: a cut only shortens it. */
	render_date_text(v->since, "en", date, sizeof(date));
	switch (v->headline) {
	case VERIFY_HEADLINE_VERIFIED:
		snprintf(out, cap, "Verified: genuine and valid");
		break;
	case VERIFY_HEADLINE_REVOKED:
		if (v->destroyed)
			snprintf(out, cap,
			         "Revoked: the record was destroyed under the retention "
			         "schedule%s%s",
			         v->since[0] ? " on " : "", v->since[0] ? date : "");
		else
			snprintf(out, cap, "Revoked by the institution%s%s",
			         v->since[0] ? " on " : "", v->since[0] ? date : "");
		break;
	case VERIFY_HEADLINE_SUSPENDED:
		snprintf(out, cap, "Suspended by the institution%s%s", v->since[0] ? " since " : "",
		         v->since[0] ? date : "");
		break;
	case VERIFY_HEADLINE_INVALID:
		snprintf(out, cap, "Not genuine: the signature does not hold");
		break;
	case VERIFY_HEADLINE_NOT_VERIFIED:
		snprintf(out, cap, "Not verified");
		break;
	case VERIFY_HEADLINE_NOT_CREDENTIAL:
		snprintf(out, cap, "Not a credential");
		break;
	}
}

/* The report */

/* Why an item came out as it did, as a code the pages explain in their own language. */
static const char *reason_of(const struct verify_result *r, size_t i,
                             const struct verify_verdict *v)
{
	const struct verify_item *it = &r->items[i];

	if (!verify_item_applicable(r, i))
		return "not_applicable";
	if (it->passed)
		return it->warning ? "warning" : "ok";
	if (it->check == VERIFY_STATUS)
		return v->headline == VERIFY_HEADLINE_REVOKED     ? "revoked"
		       : v->headline == VERIFY_HEADLINE_SUSPENDED ? "suspended"
		                                                  : "unknown";
	return "bad";
}

json_t *verify_report_json(struct depository *d, const struct verify_result *r)
{
	struct verify_verdict v;
	char text[160];
	json_t *doc = verify_result_json(r), *checks, *details, *o;
	bool stated;
	size_t i;

	if (!doc)
		return NULL;
	verify_verdict_of(d, r, &v);
	verify_headline_text(&v, text, sizeof(text));
	checks = json_array();
	details = json_object_get(doc, "details");
	for (i = 0; i < r->count && checks; i++) {
		o = json_array_get(details, i);
		if (json_object_set_new(o, "state", json_string(verify_item_state(r, i))) ||
		    json_object_set_new(o, "reason", json_string(reason_of(r, i, &v))))
			goto fail;
		/* A check that does not apply neither passed nor failed. */
		if (!verify_item_applicable(r, i) && json_object_set_new(o, "passed", json_false()))
			goto fail;
		/* A check that does not apply did not pass: it is not listed as one that did. */
		if (r->items[i].passed && verify_item_applicable(r, i) &&
		    json_array_append_new(checks,
		                          json_string(verify_check_name(r->items[i].check))))
			goto fail;
	}
	if (!checks || json_object_set_new(doc, "checks", checks))
		goto fail_doc;
	/* Nor is it listed among the errors: only the signature failed. */
	if (proof_failed(r)) {
		json_t *errors = json_object_get(doc, "errors"), *e;
		for (i = json_array_size(errors); i-- > 0;) {
			const char *c = str(e = json_array_get(errors, i), "check");
			if (c && strcmp(c, "proof") != 0 && json_array_remove(errors, i))
				goto fail_doc;
		}
	}
	/* What a credential whose signature fails states was not verified: it is not repeated
	 * as if it were (nor echoed into an error answer). */
	stated = r->credential && v.headline != VERIFY_HEADLINE_INVALID;
	if (json_object_set_new(doc, "holder",
	                        stated ? verify_holder_json(r->credential) : json_null()) ||
	    json_object_set_new(doc, "achievement",
	                        stated ? verify_achievement_json(r->credential) : json_null()) ||
	    json_object_set_new(
	            doc, "headline",
	            json_pack("{s:s, s:o, s:s}", "state", verify_headline_name(v.headline), "since",
	                      v.since[0] ? json_string(v.since) : json_null(), "text", text)))
		goto fail_doc;
	/* Only for a result destroyed under the retention schedule: "reason": "destroyed". */
	if (v.destroyed && json_object_set_new(json_object_get(doc, "headline"), "reason",
	                                       json_string("destroyed")))
		goto fail_doc;
	return doc;
fail:
	json_decref(checks);
fail_doc:
	json_decref(doc);
	return NULL;
}
