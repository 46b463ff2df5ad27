/* The access report: the JSON document and its HTML page (see report.h). */
#include "registry/report.h"

#include "registry/achievement.h"
#include "audit/log.h"
#include "registry/identity.h"
#include "registry/learner.h"
#include "registry/verify_summary.h"
#include "store/audit.h"
#include "store/foreign.h"
#include "store/portal.h"
#include "core/clock.h"

#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Building the document */

static json_t *time_json(int64_t ms)
{
	char t[32];

	if (ms <= 0)
		return json_null();
	audit_format_time(ms, t);
	return json_string(t);
}

/* Sets key to a new value; a NULL value (out of memory) is remembered in *failed. */
static void put(json_t *o, const char *key, json_t *v, bool *failed)
{
	if (!v || json_object_set_new(o, key, v) != 0)
		*failed = true;
}

static void push(json_t *a, json_t *v, bool *failed)
{
	if (!v || json_array_append_new(a, v) != 0)
		*failed = true;
}

struct achievements {
	struct store_achievement *v;
	size_t n, cap;
};

static int keep_achievement(void *ctx, const struct store_achievement *a)
{
	struct achievements *l = ctx;

	if (l->n == l->cap) {
		size_t cap = l->cap ? 2 * l->cap : 16;
		void *v = reallocarray(l->v, cap, sizeof(*l->v));
		if (!v)
			return OK_ENOMEM;
		l->v = v;
		l->cap = cap;
	}
	l->v[l->n++] = *a;
	return 0;
}

static json_t *credits_json(long centi)
{
	if (centi < 0)
		return json_null();
	if (centi % 100 == 0)
		return json_integer(centi / 100);
	return json_real((double)centi / 100.0);
}

struct history {
	json_t *list;
	bool failed;
};

static int add_version(void *ctx, const struct store_achievement_version *v)
{
	struct history *h = ctx;
	const struct store_achievement *a = &v->a;
	json_t *o =
	        json_pack("{s:i, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "version",
	                  a->version, "kind", a->kind, "title", a->title, "programme_code",
	                  a->programme_code, "grade", a->grade, "grading_scheme", a->grading_scheme,
	                  "awarded_on", a->awarded_on, "language", a->language, "status", a->status,
	                  "replaced_by", v->actor, "reason", v->reason);

	if (!o)
		return OK_ENOMEM;
	put(o, "eqf_level", a->eqf_level ? json_integer(a->eqf_level) : json_null(), &h->failed);
	put(o, "credits", credits_json(a->credits_centi), &h->failed);
	put(o, "replaced", time_json(v->changed_ms), &h->failed);
	push(h->list, o, &h->failed);
	return h->failed ? OK_ENOMEM : 0;
}

/* Adds code's name and country to the institutions object, once. */
static int note_institution(struct depository *d, json_t *institutions, const char *code,
                            struct ok_error *err)
{
	struct store_institution inst;
	int rc;

	if (!code[0] || json_object_get(institutions, code))
		return 0;
	rc = store_institution_get(d->store, code, &inst, err);
	if (rc == OK_ENOTFOUND) {
		ok_error_clear(err);
		return 0;
	}
	if (rc)
		return rc;
	if (json_object_set_new(
	            institutions, code,
	            json_pack("{s:s, s:s}", "name", inst.name, "country", inst.country)))
		return ok_fail(err, OK_ENOMEM, "out of memory");
	return 0;
}

static int achievements_json(struct depository *d, const char *learner_id, json_t *list,
                             json_t *institutions, struct ok_error *err)
{
	struct achievements all = {0};
	size_t i;
	int rc;

	rc = registry_learner_achievements(d, learner_id, keep_achievement, &all, err);
	if (rc == OK_ENOMEM)
		rc = ok_fail(err, OK_ENOMEM, "out of memory");
	for (i = 0; !rc && i < all.n; i++) {
		const struct store_achievement *a = &all.v[i];
		struct history h = {json_array(), false};
		json_t *o = registry_achievement_json(a);

		if (!o || !h.list) {
			json_decref(o);
			json_decref(h.list);
			rc = ok_fail(err, OK_ENOMEM, "out of memory");
			break;
		}
		rc = store_achievement_history(d->store, a->id, add_version, &h, err);
		if (rc == OK_ENOMEM)
			rc = ok_fail(err, OK_ENOMEM, "out of memory");
		put(o, "registered", time_json(a->created_ms), &h.failed);
		put(o, "updated", time_json(a->updated_ms), &h.failed);
		put(o, "history", h.list, &h.failed);
		push(list, o, &h.failed);
		if (!rc && h.failed)
			rc = ok_fail(err, OK_ENOMEM, "out of memory");
		if (!rc)
			rc = note_institution(d, institutions, a->institution, err);
	}
	free(all.v);
	return rc;
}

struct foreign_list {
	json_t *list;
	bool failed;
};

static int add_foreign(void *ctx, const struct store_foreign *f)
{
	struct foreign_list *l = ctx;
	json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "id",
	                      f->id, "depository", f->depository, "country", f->country,
	                      "issuer_did", f->issuer_did, "institution", f->institution, "kind",
	                      f->kind, "title", f->title, "awarded_on", f->awarded_on, "grade",
	                      f->grade, "status", f->status, "imported_by", f->imported_by);

	if (!o)
		return OK_ENOMEM;
	put(o, "credits", credits_json(f->credits_centi), &l->failed);
	put(o, "imported", time_json(f->imported_ms), &l->failed);
	push(l->list, o, &l->failed);
	return l->failed ? OK_ENOMEM : 0;
}

/* The items of a comma-separated list (a share's achievements, the fields of a correction) as a
 * JSON array, empty items left out; NULL when out of memory, *failed set when an item could not
 * be added. */
static json_t *comma_list_json(const char *s, bool *failed)
{
	json_t *a = json_array();

	while (a && *s) {
		size_t n = strcspn(s, ",");
		if (n && json_array_append_new(a, json_stringn(s, n)) != 0)
			*failed = true;
		s += n + (s[n] == ',');
	}
	return a;
}

struct shares {
	json_t *list;
	bool failed;
};

static int add_share(void *ctx, const struct store_share *sh)
{
	struct shares *l = ctx;
	json_t *ids = comma_list_json(sh->achievements, &l->failed), *o;

	o = json_pack("{s:s, s:s, s:b, s:I, s:o}", "id", sh->id, "recipient", sh->recipient,
	              "revoked", sh->revoked_ms != 0, "uses", (json_int_t)sh->uses, "achievements",
	              ids);
	if (!o)
		return OK_ENOMEM;
	put(o, "created", time_json(sh->created_ms), &l->failed);
	put(o, "expires", time_json(sh->expires_ms), &l->failed);
	put(o, "revoked_at", time_json(sh->revoked_ms), &l->failed);
	put(o, "last_used", time_json(sh->last_used_ms), &l->failed);
	push(l->list, o, &l->failed);
	return l->failed ? OK_ENOMEM : 0;
}

struct corrections {
	json_t *list;
	bool failed;
};

static json_t *identity_json(const struct learner_data *l)
{
	return json_pack("{s:s, s:s, s:s}", "given_names", l->given_names, "family_name",
	                 l->family_name, "birth_date", l->birth_date);
}

/* One explicit correction of the learner's identity, the values before and after opened. */
static int add_correction(void *ctx, const struct identity_change_view *v)
{
	struct corrections *c = ctx;
	json_t *fields = comma_list_json(v->fields, &c->failed), *o;

	o = json_pack("{s:s, s:o, s:s, s:s, s:o, s:o, s:o}", "id", v->id, "at", time_json(v->at_ms),
	              "actor", v->actor, "purpose", v->purpose, "fields", fields, "before",
	              identity_json(&v->before), "after", identity_json(&v->after));
	if (!o)
		return OK_ENOMEM;
	push(c->list, o, &c->failed);
	return c->failed ? OK_ENOMEM : 0;
}

struct accesses {
	struct depository *d;
	json_t *list;
	json_t *institutions;
	struct ok_error *err;
};

static int add_access(void *ctx, const struct audit_event *e)
{
	struct accesses *a = ctx;
	char when[32];
	json_t *o;
	int rc;

	audit_format_time(e->at_ms, when);
	o = json_pack("{s:I, s:s, s:s, s:s, s:s, s:s, s:s}", "seq", (json_int_t)e->seq, "at", when,
	              "actor", e->actor, "action", e->action, "subject", e->subject, "purpose",
	              e->purpose, "detail", e->detail);
	if (!o || json_array_append_new(a->list, o) != 0)
		return ok_fail(a->err, OK_ENOMEM, "out of memory");
	/* Name the institutions that acted, as the page shows them. */
	if (strncmp(e->actor, "institution:", 12) == 0) {
		char code[33];
		size_t n = strcspn(e->actor + 12, "/");
		if (n < sizeof(code)) {
			memcpy(code, e->actor + 12, n);
			code[n] = '\0';
			if ((rc = note_institution(a->d, a->institutions, code, a->err)))
				return rc;
		}
	}
	return 0;
}

int registry_report_json(struct depository *d, const char *learner_id, const char *actor,
                         json_t **out, struct ok_error *err)
{
	struct learner_view view;
	json_t *doc = NULL, *learner, *list, *institutions;
	bool failed = false;
	char now[32];
	int rc;

	*out = NULL;
	rc = registry_learner_read(d, NULL, learner_id, actor, REPORT_PURPOSE, &view, err);
	if (rc)
		return rc;
	audit_format_time(ok_now_ms(), now);
	doc = json_object();
	learner =
	        json_pack("{s:s, s:s, s:s, s:s, s:s}", "id", view.id, "national_id",
	                  view.data.national_id, "given_names", view.data.given_names,
	                  "family_name", view.data.family_name, "birth_date", view.data.birth_date);
	sodium_memzero(&view.data, sizeof(view.data));
	if (!doc || !learner) {
		json_decref(learner);
		rc = ok_fail(err, OK_ENOMEM, "out of memory");
		goto out;
	}
	put(learner, "registered", time_json(view.created_ms), &failed);
	put(doc, "type", json_string("access-report"), &failed);
	put(doc, "version", json_integer(1), &failed);
	put(doc, "generated", json_string(now), &failed);
	put(doc, "depository", json_pack("{s:s, s:s}", "name", d->name, "did", d->issuer_did),
	    &failed);
	put(doc, "learner", learner, &failed);
	put(doc, "achievements", list = json_array(), &failed);
	put(doc, "institutions", institutions = json_object(), &failed);
	if (failed) {
		rc = ok_fail(err, OK_ENOMEM, "out of memory");
		goto out;
	}
	if ((rc = achievements_json(d, view.id, list, institutions, err)))
		goto out;
	put(doc, "shares", list = json_array(), &failed);
	if (!failed) {
		struct shares sl = {list, false};
		rc = store_share_list_by_learner(d->store, view.id, add_share, &sl, err);
		if (rc == OK_ENOMEM || sl.failed)
			rc = ok_fail(err, OK_ENOMEM, "out of memory");
		if (rc)
			goto out;
	}
	put(doc, "foreign_achievements", list = json_array(), &failed);
	if (!failed) {
		struct foreign_list fl = {list, false};
		rc = store_foreign_list_by_learner(d->store, view.id, add_foreign, &fl, err);
		if (rc == OK_ENOMEM || fl.failed)
			rc = ok_fail(err, OK_ENOMEM, "out of memory");
		if (rc)
			goto out;
	}
	put(doc, "identity_corrections", list = json_array(), &failed);
	if (!failed) {
		struct corrections cl = {list, false};
		rc = registry_identity_history(d, view.id, add_correction, &cl, err);
		if (rc == OK_ENOMEM || cl.failed)
			rc = ok_fail(err, OK_ENOMEM, "out of memory");
		if (rc)
			goto out;
	}
	put(doc, "accesses", list = json_array(), &failed);
	if (failed) {
		rc = ok_fail(err, OK_ENOMEM, "out of memory");
		goto out;
	}
	{
		struct accesses acc = {d, list, institutions, err};
		rc = audit_log_about_learner(d, view.id, add_access, &acc, err);
	}
out:
	sodium_memzero(&view, sizeof(view));
	if (rc) {
		json_decref(doc);
		return rc;
	}
	*out = doc;
	return 0;
}

/* The page */

enum lang { EN, NL };

enum text {
	T_TITLE,
	T_INTRO,
	T_GENERATED,
	T_DEPOSITORY,
	T_PERSONAL,
	T_PERSONAL_NOTE,
	T_LEARNER_ID,
	T_NATIONAL_ID,
	T_GIVEN_NAMES,
	T_FAMILY_NAME,
	T_BIRTH_DATE,
	T_REGISTERED,
	T_ACHIEVEMENTS,
	T_NO_ACHIEVEMENTS,
	T_INSTITUTION,
	T_KIND,
	T_AWARDED,
	T_CREDITS,
	T_GRADE,
	T_EQF,
	T_PROGRAMME,
	T_LANGUAGE,
	T_STATUS,
	T_RECORD_ID,
	T_VERSION,
	T_UPDATED,
	T_HISTORY,
	T_REPLACED,
	T_BY,
	T_REASON,
	T_SHARES,
	T_NO_SHARES,
	T_RECIPIENT,
	T_CREATED,
	T_EXPIRES,
	T_REVOKED,
	T_USES,
	T_FOREIGN,
	T_FROM,
	T_ACCESSES,
	T_ACCESSES_NOTE,
	T_NO_ACCESSES,
	T_WHEN,
	T_WHO,
	T_WHAT,
	T_WHY,
	T_FOOTER,
	T_YES,
	T_NO,
	T_OPERATOR,
	T_YOU,
	T_INSTITUTION_ACTOR,
	T_SHARE_ACTOR,
	T_SHARE_UNKNOWN,
	T_ABOUT,
	T_CORRECTIONS,
	T_CORRECTIONS_NOTE,
	T_BEFORE,
	T_AFTER,
	T_COUNT
};

static const char *const texts[2][T_COUNT] = {
        [EN] =
                {
                        [T_TITLE] = "Access report",
                        [T_INTRO] = "Everything this depository stores about you, and every "
                                    "time it was accessed (General Data Protection Regulation, "
                                    "article 15).",
                        [T_GENERATED] = "Made on",
                        [T_DEPOSITORY] = "Depository",
                        [T_PERSONAL] = "Your personal data",
                        [T_PERSONAL_NOTE] = "Stored encrypted; shown here decrypted for you.",
                        [T_LEARNER_ID] = "Learner number in this depository",
                        [T_NATIONAL_ID] = "National identification number",
                        [T_GIVEN_NAMES] = "Given names",
                        [T_FAMILY_NAME] = "Family name",
                        [T_BIRTH_DATE] = "Date of birth",
                        [T_REGISTERED] = "Registered on",
                        [T_ACHIEVEMENTS] = "Your results and diplomas",
                        [T_NO_ACHIEVEMENTS] = "Nothing is registered for you.",
                        [T_INSTITUTION] = "Institution",
                        [T_KIND] = "Kind",
                        [T_AWARDED] = "Awarded on",
                        [T_CREDITS] = "Credits (ECTS)",
                        [T_GRADE] = "Grade",
                        [T_EQF] = "EQF level",
                        [T_PROGRAMME] = "Programme code",
                        [T_LANGUAGE] = "Language",
                        [T_STATUS] = "Status",
                        [T_RECORD_ID] = "Record number at the institution",
                        [T_VERSION] = "Version",
                        [T_UPDATED] = "Last changed on",
                        [T_HISTORY] = "Earlier versions",
                        [T_REPLACED] = "Replaced on",
                        [T_BY] = "By",
                        [T_REASON] = "Reason",
                        [T_SHARES] = "Your shares",
                        [T_NO_SHARES] = "You have not shared anything.",
                        [T_RECIPIENT] = "Shared with",
                        [T_CREATED] = "Made on",
                        [T_EXPIRES] = "Valid until",
                        [T_REVOKED] = "Withdrawn",
                        [T_USES] = "Opened",
                        [T_FOREIGN] = "Results from other depositories",
                        [T_FROM] = "From",
                        [T_ACCESSES] = "Who accessed your data",
                        [T_ACCESSES_NOTE] = "Every read and change of your data, from the "
                                            "depository's tamper-evident audit log.",
                        [T_NO_ACCESSES] = "No accesses are recorded.",
                        [T_WHEN] = "When",
                        [T_WHO] = "Who",
                        [T_WHAT] = "What",
                        [T_WHY] = "Why",
                        [T_FOOTER] = "Making this report was itself recorded in the audit log.",
                        [T_YES] = "yes",
                        [T_NO] = "no",
                        [T_OPERATOR] = "the depository's operator",
                        [T_YOU] = "you",
                        [T_INSTITUTION_ACTOR] = "institution",
                        [T_SHARE_ACTOR] = "someone who opened your share for",
                        [T_SHARE_UNKNOWN] = "someone who opened your share",
                        [T_ABOUT] = "record",
                        [T_CORRECTIONS] = "Corrections of your personal data",
                        [T_CORRECTIONS_NOTE] = "Your names and date of birth change only by "
                                               "an explicit correction; each one is kept "
                                               "here, with the values before and after.",
                        [T_BEFORE] = "Before",
                        [T_AFTER] = "After",
                },
        [NL] =
                {
                        [T_TITLE] = "Inzageoverzicht",
                        [T_INTRO] = "Alles wat dit depot over u bewaart, en elke keer "
                                    "dat iemand het inzag (Algemene verordening "
                                    "gegevensbescherming, artikel 15).",
                        [T_GENERATED] = "Gemaakt op",
                        [T_DEPOSITORY] = "Depot",
                        [T_PERSONAL] = "Uw persoonsgegevens",
                        [T_PERSONAL_NOTE] = "Versleuteld bewaard; hier voor u ontsleuteld.",
                        [T_LEARNER_ID] = "Uw nummer in dit depot",
                        [T_NATIONAL_ID] = "Burgerservicenummer of ander nationaal nummer",
                        [T_GIVEN_NAMES] = "Voornamen",
                        [T_FAMILY_NAME] = "Achternaam",
                        [T_BIRTH_DATE] = "Geboortedatum",
                        [T_REGISTERED] = "Geregistreerd op",
                        [T_ACHIEVEMENTS] = "Uw resultaten en diploma's",
                        [T_NO_ACHIEVEMENTS] = "Er is niets voor u geregistreerd.",
                        [T_INSTITUTION] = "Instelling",
                        [T_KIND] = "Soort",
                        [T_AWARDED] = "Behaald op",
                        [T_CREDITS] = "Studiepunten (EC)",
                        [T_GRADE] = "Cijfer",
                        [T_EQF] = "EQF-niveau",
                        [T_PROGRAMME] = "Opleidingscode",
                        [T_LANGUAGE] = "Taal",
                        [T_STATUS] = "Status",
                        [T_RECORD_ID] = "Nummer bij de instelling",
                        [T_VERSION] = "Versie",
                        [T_UPDATED] = "Laatst gewijzigd op",
                        [T_HISTORY] = "Eerdere versies",
                        [T_REPLACED] = "Vervangen op",
                        [T_BY] = "Door",
                        [T_REASON] = "Reden",
                        [T_SHARES] = "Wat u gedeeld hebt",
                        [T_NO_SHARES] = "U hebt niets gedeeld.",
                        [T_RECIPIENT] = "Gedeeld met",
                        [T_CREATED] = "Gemaakt op",
                        [T_EXPIRES] = "Geldig tot",
                        [T_REVOKED] = "Ingetrokken",
                        [T_USES] = "Geopend",
                        [T_FOREIGN] = "Resultaten uit andere depots",
                        [T_FROM] = "Van",
                        [T_ACCESSES] = "Wie uw gegevens inzag",
                        [T_ACCESSES_NOTE] = "Elke keer dat uw gegevens gelezen of gewijzigd "
                                            "werden, uit het beveiligde auditlogboek van het "
                                            "depot.",
                        [T_NO_ACCESSES] = "Er is geen inzage vastgelegd.",
                        [T_WHEN] = "Wanneer",
                        [T_WHO] = "Wie",
                        [T_WHAT] = "Wat",
                        [T_WHY] = "Waarom",
                        [T_FOOTER] = "Ook het maken van dit overzicht is in het auditlogboek "
                                     "vastgelegd.",
                        [T_YES] = "ja",
                        [T_NO] = "nee",
                        [T_OPERATOR] = "de beheerder van het depot",
                        [T_YOU] = "uzelf",
                        [T_INSTITUTION_ACTOR] = "instelling",
                        [T_SHARE_ACTOR] = "iemand die uw gedeelde link opende, gedeeld met",
                        [T_SHARE_UNKNOWN] = "iemand die uw gedeelde link opende",
                        [T_ABOUT] = "gegeven",
                        [T_CORRECTIONS] = "Correcties van uw persoonsgegevens",
                        [T_CORRECTIONS_NOTE] = "Uw namen en geboortedatum veranderen alleen "
                                               "door een uitdrukkelijke correctie; elke "
                                               "correctie staat hier, met de gegevens ervoor "
                                               "en erna.",
                        [T_BEFORE] = "Ervoor",
                        [T_AFTER] = "Erna",
                },
};

/* Words stored as codes, in both languages; an unknown code is shown as it is. */
struct word {
	const char *code;
	const char *text[2];
};

static const struct word actions[] = {
        {"learner.read", {"read your personal data", "las uw persoonsgegevens"}},
        {"learner.correct",
         {"corrected your names or date of birth", "corrigeerde uw namen of geboortedatum"}},
        {"learner.write",
         {"registered or updated your personal data",
          "registreerde of wijzigde uw persoonsgegevens"}},
        {"achievement.read", {"read a result", "las een resultaat"}},
        {"achievement.correct", {"corrected a result", "corrigeerde een resultaat"}},
        {"achievement.revoke", {"revoked a result", "trok een resultaat in"}},
        {"achievement.suspend", {"suspended a result", "schorste een resultaat"}},
        {"achievement.reinstate", {"lifted a suspension", "hief een schorsing op"}},
        {"credential.issue", {"issued a signed credential", "gaf een ondertekend bewijs uit"}},
        {"share.create", {"shared results", "deelde resultaten"}},
        {"share.open", {"opened a share", "opende een gedeelde link"}},
        {"share.view", {"opened a share", "opende een gedeelde link"}},
        {"share.revoke", {"withdrew a share", "trok een gedeelde link in"}},
        {"share.list", {"looked at your shares", "bekeek uw gedeelde links"}},
        {"share.views",
         {"looked at who opened your shares", "bekeek wie uw gedeelde links opende"}},
        {"learner.login", {"signed in", "meldde zich aan"}},
        {"login.link", {"made a sign-in link", "maakte een aanmeldlink"}},
        {"foreign.import",
         {"added a result from another depository",
          "voegde een resultaat uit een andere depository toe"}},
        {"foreign.read",
         {"read a result from another depository", "las een resultaat uit een andere depository"}},
        {"foreign.refuse",
         {"refused a result from another depository",
          "weigerde een resultaat uit een andere depository"}},
        {NULL, {NULL, NULL}},
};

static const struct word purposes[] = {
        {"registration", {"registration", "registratie"}},
        {"correction", {"correction", "correctie"}},
        {"issuance", {"issuing a credential", "uitgifte van een bewijs"}},
        {"admission-check", {"admission check", "toelatingscontrole"}},
        {"support", {"support for you", "ondersteuning voor u"}},
        {"audit", {"audit", "controle (audit)"}},
        {"administration", {"administration", "beheer"}},
        {"status", {"status change", "statuswijziging"}},
        {"access-report", {"access report", "inzageoverzicht"}},
        {"share", {"sharing", "delen"}},
        {"self-service", {"your own use", "eigen gebruik"}},
        {NULL, {NULL, NULL}},
};

static const struct word kinds[] = {
        {"diploma", {"diploma", "diploma"}}, {"degree", {"degree", "graad"}},
        {"course", {"course", "vak"}},       {"module", {"module", "module"}},
        {"exam", {"exam", "examen"}},        {NULL, {NULL, NULL}},
};

static const struct word statuses[] = {
        {"active", {"valid", "geldig"}},
        {"suspended", {"suspended", "geschorst"}},
        {"revoked", {"revoked", "ingetrokken"}},
        {NULL, {NULL, NULL}},
};

static const char *word(const struct word *w, const char *code, enum lang l)
{
	for (; w->code; w++)
		if (strcmp(w->code, code) == 0)
			return w->text[l];
	return code;
}

/* The page's one style element: its hash goes into the Content-Security-Policy. */
static const char style[] =
        "body{font:16px/1.5 system-ui,sans-serif;color:#1a1a1a;background:#fff;margin:0}"
        "main{max-width:60rem;margin:0 auto;padding:1rem}"
        "h1{font-size:1.6rem}h2{font-size:1.25rem;margin-top:2rem;border-bottom:2px solid "
        "#1d4f91}h3{font-size:1.05rem;margin-bottom:.25rem}"
        "table{border-collapse:collapse;width:100%;margin:.5rem 0}"
        "th,td{text-align:left;vertical-align:top;padding:.3rem .5rem;border-bottom:1px solid "
        "#ccc}th{background:#eef2f8}"
        "dl{display:grid;grid-template-columns:minmax(10rem,max-content) 1fr;gap:.2rem 1rem;"
        "margin:.25rem 0}dt{font-weight:600}dd{margin:0}"
        "article{border:1px solid #ccc;border-radius:4px;padding:.5rem 1rem;margin:.75rem 0}"
        ".note{color:#444}.code{font-family:monospace;font-size:.9em;word-break:break-all}"
        "@media (max-width:40rem){dl{grid-template-columns:1fr}td,th{display:block}"
        "thead{display:none}}";

void registry_report_csp(char out[REPORT_CSP_MAX])
{
	unsigned char h[crypto_hash_sha256_BYTES];
	char b64[sodium_base64_ENCODED_LEN(crypto_hash_sha256_BYTES,
	                                   sodium_base64_VARIANT_ORIGINAL)];

	crypto_hash_sha256(h, (const unsigned char *)style, sizeof(style) - 1);
	sodium_bin2base64(b64, sizeof(b64), h, sizeof(h), sodium_base64_VARIANT_ORIGINAL);
	snprintf(out, REPORT_CSP_MAX,
	         "default-src 'none'; style-src 'sha256-%s'; base-uri 'none'; form-action 'none'; "
	         "frame-ancestors 'none'",
	         b64);
}

struct page {
	struct buf *b;
	enum lang l;
	int failed; /* the buffer refused to grow */
	const json_t *doc;
};

static void raw(struct page *p, const char *s)
{
	if (!p->failed && buf_addstr(p->b, s) != 0)
		p->failed = 1;
}

/* Text as HTML: the five characters that can end an element or attribute are escaped. */
static void esc(struct page *p, const char *s)
{
	const char *run = s;

	for (; *s; s++) {
		const char *rep = NULL;
		switch (*s) {
		case '&':
			rep = "&amp;";
			break;
		case '<':
			rep = "&lt;";
			break;
		case '>':
			rep = "&gt;";
			break;
		case '"':
			rep = "&quot;";
			break;
		case '\'':
			rep = "&#39;";
			break;
		}
		if (!rep)
			continue;
		if (!p->failed && buf_add(p->b, run, (size_t)(s - run)) != 0)
			p->failed = 1;
		raw(p, rep);
		run = s + 1;
	}
	raw(p, run);
}

static void t(struct page *p, enum text id)
{
	esc(p, texts[p->l][id]);
}

/* Opens a table's body after a head row of the columns' texts (T_COUNT ends the list); the
 * caller has written "<table>" and any caption. */
static void table_head(struct page *p, const enum text *columns)
{
	size_t i;

	raw(p, "<thead><tr>");
	for (i = 0; columns[i] != T_COUNT; i++) {
		raw(p, "<th>");
		t(p, columns[i]);
		raw(p, "</th>");
	}
	raw(p, "</tr></thead><tbody>");
}

static const char *str(const json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));
	return s ? s : "";
}

/* A time as stored ("2026-01-31T14:30:00Z"), shown as "2026-01-31 14:30 UTC". */
static void when(struct page *p, const char *iso)
{
	char shown[VERIFY_DATE_TEXT_MAX + 16], day[11], text[VERIFY_DATE_TEXT_MAX];

	if (!iso[0]) {
		raw(p, "–");
		return;
	}
	/* Written out in the page's language: "4 juli 2024 12:00 UTC", "4 July 2024". */
	snprintf(day, sizeof(day), "%.10s", iso);
	verify_date_text(day, p->l == NL ? "nl" : "en", text, sizeof(text));
	if (strlen(iso) == 20 && iso[10] == 'T')
		snprintf(shown, sizeof(shown), "%s %.5s UTC", text, iso + 11);
	else
		snprintf(shown, sizeof(shown), "%s", text);
	raw(p, "<time datetime=\"");
	esc(p, iso);
	raw(p, "\">");
	esc(p, shown);
	raw(p, "</time>");
}

static void number(struct page *p, const json_t *v)
{
	char n[48];

	if (json_is_integer(v))
		snprintf(n, sizeof(n), "%lld", (long long)json_integer_value(v));
	else if (json_is_real(v))
		snprintf(n, sizeof(n), "%.2f", json_real_value(v));
	else
		snprintf(n, sizeof(n), "–");
	/* 7.50 → 7.5, and 7,5 on a Dutch page */
	if (strchr(n, '.')) {
		size_t len = strlen(n);
		while (len && n[len - 1] == '0')
			n[--len] = '\0';
		if (len && n[len - 1] == '.')
			n[--len] = '\0';
		if (p->l == NL && strchr(n, '.'))
			*strchr(n, '.') = ',';
	}
	esc(p, n);
}

/* One "term: value" pair of a description list (value escaped; skipped when empty). */
static void pair(struct page *p, enum text term, const char *value)
{
	if (!value || !value[0])
		return;
	raw(p, "<dt>");
	t(p, term);
	raw(p, "</dt><dd>");
	esc(p, value);
	raw(p, "</dd>");
}

/* A date in words and a grade written the page's way ("4 juli 2024", "9,4"). */
static const char *date_text(const struct page *p, const char *ymd, char *out, size_t cap)
{
	verify_date_text(ymd, p->l == NL ? "nl" : "en", out, cap);
	return out;
}

static const char *grade_text(const struct page *p, const char *grade, char *out, size_t cap)
{
	verify_grade_text(grade, p->l == NL ? "nl" : "en", out, cap);
	return out;
}

static void institution_name(struct page *p, const char *code)
{
	const json_t *inst = json_object_get(json_object_get(p->doc, "institutions"), code);

	esc(p, code);
	if (inst) {
		raw(p, " (");
		esc(p, str(inst, "name"));
		raw(p, ")");
	}
}

static void personal(struct page *p)
{
	const json_t *l = json_object_get(p->doc, "learner");

	raw(p, "<section><h2>");
	t(p, T_PERSONAL);
	raw(p, "</h2><p class=\"note\">");
	t(p, T_PERSONAL_NOTE);
	raw(p, "</p><dl>");
	pair(p, T_GIVEN_NAMES, str(l, "given_names"));
	pair(p, T_FAMILY_NAME, str(l, "family_name"));
	pair(p, T_BIRTH_DATE, str(l, "birth_date"));
	pair(p, T_NATIONAL_ID, str(l, "national_id"));
	pair(p, T_LEARNER_ID, str(l, "id"));
	raw(p, "<dt>");
	t(p, T_REGISTERED);
	raw(p, "</dt><dd>");
	when(p, str(l, "registered"));
	raw(p, "</dd></dl></section>");
}

static void who(struct page *p, const char *actor);

/* One side of a correction: the names and the birth date. */
static void identity_cell(struct page *p, const json_t *o)
{
	const char *given = str(o, "given_names");

	esc(p, given);
	if (given[0])
		raw(p, " ");
	esc(p, str(o, "family_name"));
	raw(p, "<br>");
	esc(p, str(o, "birth_date"));
}

static void corrections(struct page *p)
{
	const json_t *list = json_object_get(p->doc, "identity_corrections"), *c;
	size_t i;

	if (!json_array_size(list))
		return;
	raw(p, "<section><h2>");
	t(p, T_CORRECTIONS);
	raw(p, "</h2><p class=\"note\">");
	t(p, T_CORRECTIONS_NOTE);
	raw(p, "</p><table>");
	table_head(p, (const enum text[]){T_WHEN, T_WHO, T_BEFORE, T_AFTER, T_COUNT});
	json_array_foreach(list, i, c)
	{
		raw(p, "<tr><td>");
		when(p, str(c, "at"));
		raw(p, "</td><td>");
		who(p, str(c, "actor"));
		raw(p, "</td><td>");
		identity_cell(p, json_object_get(c, "before"));
		raw(p, "</td><td>");
		identity_cell(p, json_object_get(c, "after"));
		raw(p, "</td></tr>");
	}
	raw(p, "</tbody></table></section>");
}

static void history(struct page *p, const json_t *versions)
{
	const json_t *v;
	char text[VERIFY_DATE_TEXT_MAX + 64];
	size_t i;

	if (!json_array_size(versions))
		return;
	raw(p, "<table><caption>");
	t(p, T_HISTORY);
	raw(p, "</caption>");
	table_head(p, (const enum text[]){T_VERSION, T_REPLACED, T_BY, T_REASON, T_GRADE, T_STATUS,
	                                  T_COUNT});
	json_array_foreach(versions, i, v)
	{
		raw(p, "<tr><td>");
		number(p, json_object_get(v, "version"));
		raw(p, " – ");
		esc(p, str(v, "title"));
		raw(p, "</td><td>");
		when(p, str(v, "replaced"));
		raw(p, "</td><td>");
		esc(p, str(v, "replaced_by"));
		raw(p, "</td><td>");
		esc(p, str(v, "reason"));
		raw(p, "</td><td>");
		esc(p, grade_text(p, str(v, "grade"), text, sizeof(text)));
		raw(p, "</td><td>");
		esc(p, word(statuses, str(v, "status"), p->l));
		raw(p, "</td></tr>");
	}
	raw(p, "</tbody></table>");
}

static void achievements(struct page *p)
{
	const json_t *list = json_object_get(p->doc, "achievements"), *a;
	char text[VERIFY_DATE_TEXT_MAX + 64];
	size_t i;

	raw(p, "<section><h2>");
	t(p, T_ACHIEVEMENTS);
	raw(p, "</h2>");
	if (!json_array_size(list)) {
		raw(p, "<p>");
		t(p, T_NO_ACHIEVEMENTS);
		raw(p, "</p>");
	}
	json_array_foreach(list, i, a)
	{
		raw(p, "<article><h3>");
		esc(p, str(a, "title"));
		raw(p, "</h3><dl><dt>");
		t(p, T_INSTITUTION);
		raw(p, "</dt><dd>");
		institution_name(p, str(a, "institution"));
		raw(p, "</dd>");
		pair(p, T_KIND, word(kinds, str(a, "kind"), p->l));
		pair(p, T_AWARDED, date_text(p, str(a, "awarded_on"), text, sizeof(text)));
		if (json_object_get(a, "credits")) {
			raw(p, "<dt>");
			t(p, T_CREDITS);
			raw(p, "</dt><dd>");
			number(p, json_object_get(a, "credits"));
			raw(p, "</dd>");
		}
		if (str(a, "grade")[0]) {
			raw(p, "<dt>");
			t(p, T_GRADE);
			raw(p, "</dt><dd>");
			esc(p, grade_text(p, str(a, "grade"), text, sizeof(text)));
			if (str(a, "grading_scheme")[0]) {
				raw(p, " (");
				esc(p, str(a, "grading_scheme"));
				raw(p, ")");
			}
			raw(p, "</dd>");
		}
		if (json_object_get(a, "eqf_level")) {
			raw(p, "<dt>");
			t(p, T_EQF);
			raw(p, "</dt><dd>");
			number(p, json_object_get(a, "eqf_level"));
			raw(p, "</dd>");
		}
		pair(p, T_PROGRAMME, str(a, "programme_code"));
		pair(p, T_LANGUAGE, str(a, "language"));
		pair(p, T_STATUS, word(statuses, str(a, "status"), p->l));
		pair(p, T_RECORD_ID, str(a, "record_id"));
		raw(p, "<dt>");
		t(p, T_VERSION);
		raw(p, "</dt><dd>");
		number(p, json_object_get(a, "version"));
		raw(p, "</dd><dt>");
		t(p, T_REGISTERED);
		raw(p, "</dt><dd>");
		when(p, str(a, "registered"));
		raw(p, "</dd><dt>");
		t(p, T_UPDATED);
		raw(p, "</dt><dd>");
		when(p, str(a, "updated"));
		raw(p, "</dd></dl>");
		history(p, json_object_get(a, "history"));
		raw(p, "</article>");
	}
	raw(p, "</section>");
}

static void shares(struct page *p)
{
	const json_t *list = json_object_get(p->doc, "shares"), *s, *ids, *id;
	size_t i, j;

	raw(p, "<section><h2>");
	t(p, T_SHARES);
	raw(p, "</h2>");
	if (!json_array_size(list)) {
		raw(p, "<p>");
		t(p, T_NO_SHARES);
		raw(p, "</p></section>");
		return;
	}
	raw(p, "<table>");
	table_head(p, (const enum text[]){T_RECIPIENT, T_CREATED, T_EXPIRES, T_REVOKED, T_USES,
	                                  T_ACHIEVEMENTS, T_COUNT});
	json_array_foreach(list, i, s)
	{
		raw(p, "<tr><td>");
		esc(p, str(s, "recipient"));
		raw(p, "</td><td>");
		when(p, str(s, "created"));
		raw(p, "</td><td>");
		when(p, str(s, "expires"));
		raw(p, "</td><td>");
		t(p, json_is_true(json_object_get(s, "revoked")) ? T_YES : T_NO);
		raw(p, "</td><td>");
		number(p, json_object_get(s, "uses"));
		raw(p, "</td><td class=\"code\">");
		ids = json_object_get(s, "achievements");
		json_array_foreach(ids, j, id)
		{
			if (j)
				raw(p, ", ");
			esc(p, json_string_value(id) ? json_string_value(id) : "");
		}
		raw(p, "</td></tr>");
	}
	raw(p, "</tbody></table></section>");
}

static void foreign(struct page *p)
{
	const json_t *list = json_object_get(p->doc, "foreign_achievements"), *f;
	char text[VERIFY_DATE_TEXT_MAX + 64];
	size_t i;

	if (!json_array_size(list))
		return;
	raw(p, "<section><h2>");
	t(p, T_FOREIGN);
	raw(p, "</h2>");
	json_array_foreach(list, i, f)
	{
		raw(p, "<article><h3>");
		esc(p, str(f, "title"));
		raw(p, "</h3><dl>");
		pair(p, T_FROM, str(f, "depository"));
		pair(p, T_INSTITUTION, str(f, "institution"));
		pair(p, T_KIND, word(kinds, str(f, "kind"), p->l));
		pair(p, T_AWARDED, date_text(p, str(f, "awarded_on"), text, sizeof(text)));
		pair(p, T_GRADE, grade_text(p, str(f, "grade"), text, sizeof(text)));
		pair(p, T_STATUS, word(statuses, str(f, "status"), p->l));
		raw(p, "</dl></article>");
	}
	raw(p, "</section>");
}

/* Who an actor is, in words: the operator, you, an institution by name, a share's recipient. */
static void who(struct page *p, const char *actor)
{
	const char *self = str(json_object_get(p->doc, "learner"), "id");
	const json_t *s;
	size_t i;

	if (strcmp(actor, "operator") == 0) {
		t(p, T_OPERATOR);
		return;
	}
	if (strncmp(actor, "learner:", 8) == 0 && strcmp(actor + 8, self) == 0) {
		t(p, T_YOU);
		return;
	}
	if (strncmp(actor, "institution:", 12) == 0) {
		char code[33];
		size_t n = strcspn(actor + 12, "/");
		t(p, T_INSTITUTION_ACTOR);
		raw(p, " ");
		if (n < sizeof(code)) {
			memcpy(code, actor + 12, n);
			code[n] = '\0';
			institution_name(p, code);
		} else {
			esc(p, actor + 12);
		}
		return;
	}
	if (strncmp(actor, "share:", 6) == 0) {
		json_array_foreach(json_object_get(p->doc, "shares"), i, s)
		{
			if (strcmp(str(s, "id"), actor + 6) == 0) {
				t(p, T_SHARE_ACTOR);
				raw(p, " ");
				esc(p, str(s, "recipient"));
				return;
			}
		}
		t(p, T_SHARE_UNKNOWN);
		return;
	}
	esc(p, actor);
}

/* What an event was about: nothing more for the learner's own record, an achievement's title,
 * else the record id. */
static void subject(struct page *p, const char *id)
{
	const json_t *a;
	size_t i;

	if (!id[0] || strcmp(id, str(json_object_get(p->doc, "learner"), "id")) == 0)
		return;
	json_array_foreach(json_object_get(p->doc, "achievements"), i, a)
	{
		if (strcmp(str(a, "id"), id) == 0) {
			raw(p, ": ");
			esc(p, str(a, "title"));
			return;
		}
	}
	raw(p, " <span class=\"code\">(");
	t(p, T_ABOUT);
	raw(p, " ");
	esc(p, id);
	raw(p, ")</span>");
}

static void accesses(struct page *p)
{
	const json_t *list = json_object_get(p->doc, "accesses"), *e;
	size_t i;

	raw(p, "<section><h2>");
	t(p, T_ACCESSES);
	raw(p, "</h2><p class=\"note\">");
	t(p, T_ACCESSES_NOTE);
	raw(p, "</p>");
	if (!json_array_size(list)) {
		raw(p, "<p>");
		t(p, T_NO_ACCESSES);
		raw(p, "</p></section>");
		return;
	}
	raw(p, "<table>");
	table_head(p, (const enum text[]){T_WHEN, T_WHO, T_WHAT, T_WHY, T_COUNT});
	/* Newest first: what a reader looks for. */
	for (i = json_array_size(list); i-- > 0;) {
		e = json_array_get(list, i);
		raw(p, "<tr><td>");
		when(p, str(e, "at"));
		raw(p, "</td><td>");
		who(p, str(e, "actor"));
		raw(p, "</td><td>");
		esc(p, word(actions, str(e, "action"), p->l));
		subject(p, str(e, "subject"));
		raw(p, "</td><td>");
		esc(p, word(purposes, str(e, "purpose"), p->l));
		raw(p, "</td></tr>");
	}
	raw(p, "</tbody></table></section>");
}

int registry_report_html(const json_t *doc, const char *lang, struct buf *out, struct ok_error *err)
{
	struct page p = {out, lang && strcmp(lang, "nl") == 0 ? NL : EN, 0, doc};
	const json_t *dep = json_object_get(doc, "depository");

	if (!json_is_object(doc) || !json_is_object(json_object_get(doc, "learner")))
		return ok_fail(err, OK_EINPUT, "not an access report");
	raw(&p, "<!DOCTYPE html>\n<html lang=\"");
	raw(&p, p.l == NL ? "nl" : "en");
	raw(&p, "\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" "
	        "content=\"width=device-width, initial-scale=1\"><meta name=\"robots\" "
	        "content=\"noindex\"><title>");
	t(&p, T_TITLE);
	raw(&p, "</title><style>");
	raw(&p, style);
	raw(&p, "</style></head>\n<body><main><h1>");
	t(&p, T_TITLE);
	raw(&p, "</h1><p>");
	t(&p, T_INTRO);
	raw(&p, "</p><dl><dt>");
	t(&p, T_DEPOSITORY);
	raw(&p, "</dt><dd>");
	esc(&p, str(dep, "name"));
	raw(&p, " <span class=\"code\">");
	esc(&p, str(dep, "did"));
	raw(&p, "</span></dd><dt>");
	t(&p, T_GENERATED);
	raw(&p, "</dt><dd>");
	when(&p, str(doc, "generated"));
	raw(&p, "</dd></dl>\n");
	personal(&p);
	corrections(&p);
	raw(&p, "\n");
	achievements(&p);
	raw(&p, "\n");
	foreign(&p);
	shares(&p);
	raw(&p, "\n");
	accesses(&p);
	raw(&p, "\n<footer><p class=\"note\">");
	t(&p, T_FOOTER);
	raw(&p, "</p></footer></main></body></html>\n");
	if (p.failed)
		return ok_fail(err, OK_ETOOBIG, "the report is too large to render");
	return 0;
}
