/* The learner's own view in the portal: their names, their achievements grouped by institution,
 * and any of them as a signed credential (see portal.h). Every read is audited with the learner
 * as the actor. */
#include "registry/achievement.h"
#include "core/format.h"
#include "registry/learner.h"
#include "portal/portal.h"
#include "portal/internal.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

int portal_me(struct depository *d, const char *learner_id, json_t **out, struct ok_error *err)
{
	char actor[AUDIT_ACTOR_SIZE];
	struct learner_view view;
	int rc;

	*out = NULL;
	if (!depository_id_valid(learner_id))
		return ok_fail(err, OK_ENOTFOUND, "no such learner");
	audit_actor_learner(learner_id, actor);
	if ((rc = registry_learner_read(d, NULL, learner_id, actor, PORTAL_PURPOSE_SELF, &view,
	                                err)))
		return rc;
	*out = json_pack("{s:s, s:s, s:s}", "id", view.id, "given_names", view.data.given_names,
	                 "family_name", view.data.family_name);
	sodium_memzero(&view, sizeof(view));
	return *out ? 0 : ok_fail(err, OK_ENOMEM, "out of memory");
}

/* One achievement with what it is sorted by. */
struct listed {
	struct store_achievement a;
	struct store_institution inst;
};

struct listing {
	struct depository *d;
	struct listed *v;
	size_t n, cap;
	struct ok_error *err;
};

static int collect(void *ctx, const struct store_achievement *a)
{
	struct listing *l = ctx;
	struct listed *x;
	int rc;

	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 16;
		struct listed *v = realloc(l->v, cap * sizeof(*v));
		if (!v)
			return ok_fail(l->err, OK_ENOMEM, "out of memory");
		l->v = v;
		l->cap = cap;
	}
	x = &l->v[l->n];
	x->a = *a;
	/* The previous achievement is most often of the same institution. */
	if (l->n && strcmp(l->v[l->n - 1].a.institution, a->institution) == 0)
		x->inst = l->v[l->n - 1].inst;
	else if ((rc = store_institution_get(l->d->store, a->institution, &x->inst, l->err)))
		return rc;
	l->n++;
	return 0;
}

static int kind_rank(const char *kind)
{
	if (strcmp(kind, "diploma") == 0)
		return 0;
	if (strcmp(kind, "degree") == 0)
		return 1;
	return 2;
}

/* Institutions by name (then code); in each, diplomas and degrees first, then newest first. */
static int by_place(const void *pa, const void *pb)
{
	const struct listed *a = pa, *b = pb;
	int c;

	if ((c = strcmp(a->inst.name, b->inst.name)) || (c = strcmp(a->inst.code, b->inst.code)))
		return c;
	if ((c = kind_rank(a->a.kind) - kind_rank(b->a.kind)))
		return c;
	if ((c = strcmp(b->a.awarded_on, a->a.awarded_on)))
		return c;
	if ((c = strcmp(a->a.title, b->a.title)))
		return c;
	return strcmp(a->a.id, b->a.id);
}

json_t *portal_achievement_json(const struct store_achievement *a)
{
	json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "id", a->id, "kind", a->kind,
	                      "title", a->title, "awarded_on", a->awarded_on, "grade", a->grade,
	                      "grading_scheme", a->grading_scheme, "status", a->status);

	if (!o)
		return NULL;
	if (a->credits_centi < 0)
		json_object_set_new(o, "credits", json_null());
	else if (a->credits_centi % 100 == 0)
		json_object_set_new(o, "credits", json_integer(a->credits_centi / 100));
	else
		json_object_set_new(o, "credits", json_real((double)a->credits_centi / 100.0));
	json_object_set_new(o, "eqf_level",
	                    a->eqf_level ? json_integer(a->eqf_level) : json_null());
	return o;
}

static json_t *grouped(const struct listing *l)
{
	json_t *list = json_array(), *group = NULL, *items = NULL;
	size_t i;

	for (i = 0; list && i < l->n; i++) {
		const struct listed *x = &l->v[i];
		if (!group || strcmp(x->inst.code, l->v[i - 1].inst.code) != 0) {
			items = json_array();
			group = json_pack("{s:s, s:s, s:s, s:o}", "code", x->inst.code, "name",
			                  x->inst.name, "country", x->inst.country, "achievements",
			                  items);
			if (!items || !group || json_array_append_new(list, group)) {
				json_decref(list);
				return NULL;
			}
		}
		if (json_array_append_new(items, portal_achievement_json(&x->a))) {
			json_decref(list);
			return NULL;
		}
	}
	return list;
}

int portal_achievements(struct depository *d, const char *learner_id, json_t **out,
                        struct ok_error *err)
{
	struct listing l = {d, NULL, 0, 0, err};
	char actor[AUDIT_ACTOR_SIZE], detail[32];
	json_t *list;
	int rc;

	*out = NULL;
	if (!depository_id_valid(learner_id))
		return ok_fail(err, OK_ENOTFOUND, "no such learner");
	if ((rc = registry_learner_achievements(d, learner_id, collect, &l, err)))
		goto out;
	if (l.n)
		qsort(l.v, l.n, sizeof(*l.v), by_place);
	audit_actor_learner(learner_id, actor);
	if (ok_format(detail, sizeof(detail), "count=%zu", l.n)) {
		rc = ok_fail(err, OK_EINTERNAL, "audit detail too long");
		goto out;
	}
	if ((rc = audit_record(d, actor, "achievement.read", learner_id, PORTAL_PURPOSE_SELF,
	                       detail, err)))
		goto out;
	list = grouped(&l);
	*out = list ? json_pack("{s:o}", "institutions", list) : NULL;
	if (!*out)
		rc = ok_fail(err, OK_ENOMEM, "out of memory");
out:
	free(l.v);
	return rc;
}

int portal_credential(struct depository *d, const char *learner_id, const char *achievement_id,
                      enum credential_format f, struct buf *out, struct ok_error *err)
{
	struct store_achievement a;
	char actor[AUDIT_ACTOR_SIZE];
	int rc;

	if (!depository_id_valid(achievement_id))
		return ok_fail(err, OK_ENOTFOUND, "no such achievement");
	if ((rc = registry_achievement_get(d, achievement_id, NULL, &a, err)))
		return rc;
	/* Another learner's achievement is, to this learner, no achievement at all. */
	if (strcmp(a.learner_id, learner_id) != 0)
		return ok_fail(err, OK_ENOTFOUND, "no such achievement");
	/* What the institution has withdrawn, for good or while it looks into it, is not issued
	 * afresh to the learner either (as shares and wallet offers: share.c, oid4vci/offer.c). */
	if (strcmp(a.status, "revoked") == 0 || strcmp(a.status, "suspended") == 0)
		return ok_fail(err, OK_ECONFLICT, "the achievement is %s by the institution",
		               a.status);
	audit_actor_learner(learner_id, actor);
	return registry_credential_issue_for(d, a.id, NULL, f, actor, PORTAL_PURPOSE_SELF, out,
	                                     err);
}
