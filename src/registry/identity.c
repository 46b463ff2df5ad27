/* Explicit corrections of a learner's identity, with a sealed history (see identity.h). */
#include "registry/identity.h"
#include "core/format.h"
#include "audit/txn.h"

#include "registry/learner.h"
#include "store/identity.h"
#include "core/clock.h"

#include <jansson.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SEAL_FIELD "identity_change"

/* Validates the fields given in in into next (normalised as an import does). */
static int validate(const struct identity_fields *in, struct registration *next,
                    struct ok_error *err)
{
	char today[11];
	int rc;

	model_registration_init(next);
	if (!in->given_names && !in->family_name && !in->birth_date)
		return ok_fail_field(err, OK_EINPUT, "given_names",
		                     "nothing to correct: give given_names, family_name or "
		                     "birth_date");
	if (in->given_names && (rc = model_registration_set(next, REG_GIVEN_NAMES, in->given_names,
	                                                    strlen(in->given_names), err)))
		return rc;
	if (in->family_name) {
		if ((rc = model_registration_set(next, REG_FAMILY_NAME, in->family_name,
		                                 strlen(in->family_name), err)))
			return rc;
		if (!next->learner.family_name[0])
			return ok_fail_field(err, OK_EINPUT, "family_name",
			                     "family_name cannot be empty");
	}
	if (in->birth_date) {
		if ((rc = model_registration_set(next, REG_BIRTH_DATE, in->birth_date,
		                                 strlen(in->birth_date), err)))
			return rc;
		if (!next->learner.birth_date[0])
			return ok_fail_field(err, OK_EINPUT, "birth_date",
			                     "birth_date cannot be empty");
		model_today(today);
		if (strcmp(next->learner.birth_date, today) > 0)
			return ok_fail_field(err, OK_EINPUT, "birth_date",
			                     "birth_date is in the future");
	}
	return 0;
}

struct earliest {
	const char *institution; /* only this institution's records; NULL: every record */
	char min[11];            /* "" when none */
};

/* The earliest award date of a learner's achievements. A registrar's correction is bounded by
 * its own institution's records only: were it refused by another's, a few corrections would
 * find that institution's award dates. */
static int earliest_award(void *ctx, const struct store_achievement *a)
{
	struct earliest *e = ctx;

	if (e->institution && strcmp(a->institution, e->institution) != 0)
		return 0;
	if (!e->min[0] || strcmp(a->awarded_on, e->min) < 0)
		OK_COPY_ARRAY(e->min, a->awarded_on);
	return 0;
}

/* Appends name to the comma-separated list. */
static void note_field(char list[IDENTITY_FIELDS_MAX], const char *name)
{
	size_t n = strlen(list);

	/* At most the three field names, which IDENTITY_FIELDS_MAX holds: nothing is cut. */
	snprintf(list + n, IDENTITY_FIELDS_MAX - n, "%s%s", n ? "," : "", name);
}

static json_t *values_json(const struct learner_data *l)
{
	return json_pack("{s:s, s:s, s:s}", "given_names", l->given_names, "family_name",
	                 l->family_name, "birth_date", l->birth_date);
}

/* Seals {"old": …, "new": …} for change id under k into out. */
static int seal_values(const struct seal_keys *k, const char *id, const struct learner_data *old,
                       const struct learner_data *new, struct buf *out, struct ok_error *err)
{
	json_t *doc = json_pack("{s:o, s:o}", "old", values_json(old), "new", values_json(new));
	char *text = doc ? json_dumps(doc, JSON_COMPACT) : NULL;
	int rc;

	json_decref(doc);
	if (!text)
		return ok_fail(err, OK_ENOMEM, "out of memory");
	rc = seal_field(k, SEAL_FIELD, id, text, strlen(text), out, err);
	sodium_memzero(text, strlen(text));
	free(text);
	return rc;
}

/* Writes the learner l with the fields of plain, sealed under the current data key. */
static int reseal_learner(struct depository *d, struct store_learner *l,
                          const struct learner_data *plain, struct ok_error *err)
{
	const struct seal_keys *k = &d->keys;
	const struct {
		const char *field;
		const char *plain;
		struct buf *sealed;
	} fields[] = {
	        {"national_id", plain->national_id, &l->national_id},
	        {"given_names", plain->given_names, &l->given_names},
	        {"family_name", plain->family_name, &l->family_name},
	        {"birth_date", plain->birth_date, &l->birth_date},
	};
	size_t i;
	int rc;

	for (i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
		buf_reset(fields[i].sealed);
		if ((rc = seal_field(k, fields[i].field, l->id, fields[i].plain,
		                     strlen(fields[i].plain), fields[i].sealed, err)))
			return rc;
	}
	seal_blind_index(k, plain->national_id, l->nid_index);
	registry_learner_digest(k, plain, l->digest);
	l->key_id = k->key_id;
	l->updated_ms = ok_now_ms();
	return store_learner_put(d->store, l, true, err);
}

/* The correction inside the caller's transaction t. */
static int correct(struct audit_txn *t, const char *learner_id, const char *institution,
                   const struct identity_fields *in, const struct registration *next,
                   const char *actor, const char *purpose, struct identity_outcome *out,
                   struct ok_error *err)
{
	struct depository *d = t->d;
	struct store_identity_change change;
	struct store_learner l;
	struct learner_data old, new;
	struct earliest earliest = {institution, ""};
	char detail[160];
	int rc;

	store_learner_init(&l);
	store_identity_change_init(&change);
	memset(&old, 0, sizeof(old));
	if ((rc = depository_keys_refresh(d, err)))
		goto out;
	if (institution && (rc = registry_learner_at_institution(d, learner_id, institution, err)))
		goto out;
	rc = store_learner_get(d->store, learner_id, &l, err);
	if (rc == OK_ENOTFOUND)
		rc = ok_fail(err, OK_ENOTFOUND, "no learner with that id");
	if (rc || (rc = registry_learner_open(d, &l, &old, err)))
		goto out;
	new = old;
	if (in->given_names && strcmp(old.given_names, next->learner.given_names) != 0) {
		memcpy(new.given_names, next->learner.given_names, sizeof(new.given_names));
		note_field(out->fields, "given_names");
	}
	if (in->family_name && strcmp(old.family_name, next->learner.family_name) != 0) {
		memcpy(new.family_name, next->learner.family_name, sizeof(new.family_name));
		note_field(out->fields, "family_name");
	}
	if (in->birth_date && strcmp(old.birth_date, next->learner.birth_date) != 0) {
		memcpy(new.birth_date, next->learner.birth_date, sizeof(new.birth_date));
		note_field(out->fields, "birth_date");
		if ((rc = registry_learner_achievements(d, learner_id, earliest_award, &earliest,
		                                        err)))
			goto out;
		if (earliest.min[0] && strcmp(new.birth_date, earliest.min) >= 0) {
			rc = ok_fail_field(
			        err, OK_EINPUT, "birth_date",
			        "birth_date must be before the learner's earliest award");
			goto out;
		}
	}
	if (!out->fields[0])
		goto out; /* nothing changes: no history, no event */
	if ((rc = reseal_learner(d, &l, &new, err)))
		goto out;
	depository_new_id(change.id);
	if (ok_format(change.learner_id, sizeof(change.learner_id), "%s", learner_id) ||
	    ok_format(change.actor, sizeof(change.actor), "%s", actor) ||
	    ok_format(change.purpose, sizeof(change.purpose), "%s", purpose)) {
		rc = ok_fail(err, OK_EINPUT, "learner id, actor or purpose too long");
		goto out;
	}
	OK_COPY_ARRAY(change.fields, out->fields);
	change.at_ms = ok_now_ms();
	change.key_id = d->keys.key_id;
	if ((rc = seal_values(&d->keys, change.id, &old, &new, &change.sealed, err)) ||
	    (rc = store_identity_put(d->store, &change, err)))
		goto out;
	if (ok_format(detail, sizeof(detail), "fields=%s change=%s", out->fields, change.id)) {
		rc = ok_fail(err, OK_EINTERNAL, "audit detail too long");
		goto out;
	}
	if ((rc = audit_txn_event(t, actor, "learner.correct", learner_id, purpose, detail, err)))
		goto out;
	out->changed = true;
	OK_COPY_ARRAY(out->change_id, change.id);
out:
	sodium_memzero(&old, sizeof(old));
	sodium_memzero(&new, sizeof(new));
	store_identity_change_release(&change);
	store_learner_release(&l);
	return rc;
}

int registry_identity_correct(struct depository *d, const char *learner_id, const char *institution,
                              const struct identity_fields *in, const char *actor,
                              const char *purpose, struct identity_outcome *out,
                              struct ok_error *err)
{
	struct registration next;
	struct audit_txn txn;
	int rc;

	memset(out, 0, sizeof(*out));
	if (!learner_id || !learner_id[0] || strlen(learner_id) > STORE_ID_MAX)
		return ok_fail(err, OK_ENOTFOUND, "no learner with that id");
	/* A registrar learns nothing from validation about a learner it may not see. */
	if (institution && (rc = registry_learner_at_institution(d, learner_id, institution, err)))
		return rc;
	rc = validate(in, &next, err);
	if (!rc && !(rc = audit_txn_begin(d, &txn, err))) {
		rc = correct(&txn, learner_id, institution, in, &next, actor, purpose, out, err);
		if ((rc = audit_txn_end(&txn, rc, err)))
			memset(out, 0, sizeof(*out));
	}
	sodium_memzero(&next, sizeof(next));
	return rc;
}

/* Reads the values of one side ("old" or "new") of an opened record; OK_ETOOBIG when one does
 * not fit (they were sealed from fields of the same size, so only a damaged record). */
static int side_of(const json_t *doc, const char *side, struct learner_data *out)
{
	const json_t *o = json_object_get(doc, side);
	const char *g = json_string_value(json_object_get(o, "given_names"));
	const char *f = json_string_value(json_object_get(o, "family_name"));
	const char *b = json_string_value(json_object_get(o, "birth_date"));

	if (ok_format(out->given_names, sizeof(out->given_names), "%s", g ? g : "") ||
	    ok_format(out->family_name, sizeof(out->family_name), "%s", f ? f : "") ||
	    ok_format(out->birth_date, sizeof(out->birth_date), "%s", b ? b : ""))
		return OK_ETOOBIG;
	return 0;
}

/* Opens change c's values into plain (caller releases it). */
static int open_values(struct depository *d, const struct store_identity_change *c,
                       struct buf *plain, struct ok_error *err)
{
	const unsigned char *p = (const unsigned char *)c->sealed.data;
	const struct seal_keys *k = depository_data_key(d, seal_key_id_of(p, c->sealed.len), err);

	if (!k)
		return err && err->code ? err->code : OK_ECRYPTO;
	return seal_open(k, SEAL_FIELD, c->id, p, c->sealed.len, plain, err);
}

struct history_walk {
	struct depository *d;
	identity_change_view_fn fn;
	void *ctx;
	struct ok_error *err;
};

static int open_one(void *ctx, const struct store_identity_change *c)
{
	struct history_walk *w = ctx;
	struct identity_change_view v;
	struct buf plain;
	json_t *doc;
	int rc;

	buf_init(&plain, c->sealed.len + 1);
	rc = open_values(w->d, c, &plain, w->err);
	doc = rc ? NULL : json_loadb(plain.data, plain.len, 0, NULL);
	if (!rc && !doc)
		rc = ok_fail(w->err, OK_ECRYPTO, "an identity correction does not open");
	if (!rc) {
		memset(&v, 0, sizeof(v));
		OK_COPY_ARRAY(v.id, c->id);
		v.at_ms = c->at_ms;
		OK_COPY_ARRAY(v.actor, c->actor);
		OK_COPY_ARRAY(v.purpose, c->purpose);
		OK_COPY_ARRAY(v.fields, c->fields);
		if (side_of(doc, "old", &v.before) || side_of(doc, "new", &v.after))
			rc = ok_fail(w->err, OK_ECRYPTO,
			             "an identity correction holds a value too long");
		else
			rc = w->fn(w->ctx, &v);
		sodium_memzero(&v, sizeof(v));
	}
	json_decref(doc);
	if (plain.data)
		sodium_memzero(plain.data, plain.len);
	buf_release(&plain);
	return rc;
}

int registry_identity_history(struct depository *d, const char *learner_id,
                              identity_change_view_fn fn, void *ctx, struct ok_error *err)
{
	struct history_walk w = {d, fn, ctx, err};

	return store_identity_list_by_learner(d->store, learner_id, open_one, &w, err);
}

int registry_identity_reseal(struct depository *d, const char *id, struct ok_error *err)
{
	struct store_identity_change c;
	struct buf plain, sealed;
	int rc;

	store_identity_change_init(&c);
	buf_init(&plain, c.sealed.max);
	buf_init(&sealed, c.sealed.max);
	rc = store_identity_get(d->store, id, &c, err);
	if (rc == OK_ENOTFOUND) {
		rc = 0;
		goto out;
	}
	if (rc || c.key_id == d->keys.key_id)
		goto out;
	if (!(rc = open_values(d, &c, &plain, err)) &&
	    !(rc = seal_field(&d->keys, SEAL_FIELD, c.id, plain.data, plain.len, &sealed, err)))
		rc = store_identity_reseal(d->store, c.id, &sealed, d->keys.key_id, err);
out:
	if (plain.data)
		sodium_memzero(plain.data, plain.len);
	buf_release(&plain);
	buf_release(&sealed);
	store_identity_change_release(&c);
	return rc;
}
