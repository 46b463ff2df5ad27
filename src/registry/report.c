/* The access report: the JSON document, and its page rendered by render/ (see report.h). */
#include "registry/report.h"
#include "core/format.h"

#include "registry/achievement.h"
#include "audit/log.h"
#include "registry/identity.h"
#include "registry/learner.h"
#include "store/audit.h"
#include "store/foreign.h"
#include "store/portal.h"
#include "core/clock.h"
#include "render/report.h"

#include <sodium.h>
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
	json_t *o =
	        json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "id",
	                  f->id, "depository", f->depository, "country", f->country, "issuer_did",
	                  f->issuer_did, "institution", f->institution, "kind", f->kind, "title",
	                  f->title, "awarded_on", f->awarded_on, "grade", f->grade, "status",
	                  f->status, "imported_by", f->imported_by, "format", f->format);

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

int registry_report_page(struct depository *d, const char *learner_id, const char *actor,
                         const char *lang, struct buf *out, struct ok_error *err)
{
	json_t *doc = NULL;
	int rc = registry_report_json(d, learner_id, actor, &doc, err);

	if (rc == 0)
		rc = render_report_html(doc, lang, out, err);
	json_decref(doc);
	return rc;
}
