/* Reading learners: blind-index lookup, opening sealed fields, audit (see learner.h). */
#include "registry/learner.h"
#include "core/format.h"
#include "audit/txn.h"

#include "registry/achievement.h"
#include "registry/foreign.h"
#include "store/keys.h"

#include <sodium.h>
#include <stdio.h>
#include <string.h>

/* Opens one sealed field with the data key its header names (read again from data.key when a
 * rotation in another process made it). */
static int open_field(struct depository *d, const char *field, const char *id,
                      const struct buf *sealed, char *dst, size_t cap, struct ok_error *err)
{
	const unsigned char *p = (const unsigned char *)sealed->data;
	const struct seal_keys *k;
	struct buf plain;
	int rc;

	if (seal_key_id_of(p, sealed->len) == 0)
		return ok_fail(err, OK_ECRYPTO, "sealed %s is malformed", field);
	if (!(k = depository_data_key(d, seal_key_id_of(p, sealed->len), err)))
		return err ? err->code : OK_ECRYPTO;
	buf_init(&plain, cap - 1);
	rc = seal_open(k, field, id, p, sealed->len, &plain, err);
	if (!rc)
		memcpy(dst, plain.data, plain.len + 1);
	sodium_memzero(plain.data, plain.len);
	buf_release(&plain);
	return rc;
}

int registry_learner_open(struct depository *d, const struct store_learner *l,
                          struct learner_data *out, struct ok_error *err)
{
	int rc;

	if ((rc = open_field(d, "national_id", l->id, &l->national_id, out->national_id,
	                     sizeof(out->national_id), err)) ||
	    (rc = open_field(d, "given_names", l->id, &l->given_names, out->given_names,
	                     sizeof(out->given_names), err)) ||
	    (rc = open_field(d, "family_name", l->id, &l->family_name, out->family_name,
	                     sizeof(out->family_name), err)) ||
	    (rc = open_field(d, "birth_date", l->id, &l->birth_date, out->birth_date,
	                     sizeof(out->birth_date), err)))
		sodium_memzero(out, sizeof(*out));
	return rc;
}

int registry_learner_open_birth_date(struct depository *d, const struct store_learner *l,
                                     char out[11], struct ok_error *err)
{
	return open_field(d, "birth_date", l->id, &l->birth_date, out, 11, err);
}

void registry_learner_digest(const struct seal_keys *k, const struct learner_data *l,
                             unsigned char out[SEAL_DIGEST_BYTES])
{
	struct seal_digest d;

	seal_digest_init(&d, k);
	seal_digest_add_str(&d, l->national_id);
	seal_digest_add_str(&d, l->given_names);
	seal_digest_add_str(&d, l->family_name);
	seal_digest_add_str(&d, l->birth_date);
	seal_digest_final(&d, out);
}

/* After a miss under every key: records sealed under a data key this folder's data.key lacks
 * (an old key file put back) would never be found; say so instead of "no such learner". */
static int missing_key(struct depository *d, struct ok_error *err)
{
	struct store_key_rotation r;

	if (store_rotation_last(d->store, &r, NULL) != 0 ||
	    seal_keyring_find(&d->data_keys, r.to_key))
		return 0;
	return ok_fail(err, OK_ECRYPTO,
	               "the records are sealed under data key %lu, which %s/data.key does not "
	               "hold (an old or wrong key file?)",
	               (unsigned long)r.to_key, d->dir);
}

int registry_learner_lookup(struct depository *d, const char *national_id,
                            struct store_learner *out, struct ok_error *err)
{
	unsigned char idx[SEAL_INDEX_BYTES];
	struct keyfile_stamp was;
	size_t i;
	int attempt, rc;

	/* Older keys are there during a rotation, and after it until data.key is read again:
	 * read it now, so that a finished rotation's old key leaves this process's memory. */
	if (d->data_keys.count > 1 && (rc = depository_keys_refresh(d, err)))
		return rc;
	for (attempt = 0; attempt < 3; attempt++) {
		bool rotating = d->data_keys.count > 1;

		/* The current key first: outside a rotation it is the only one. */
		seal_blind_index(&d->keys, national_id, idx);
		rc = store_learner_find(d->store, idx, out, err);
		for (i = d->data_keys.count; rc == OK_ENOTFOUND && i-- > 0;) {
			if (d->data_keys.keys[i].key_id == d->keys.key_id)
				continue;
			seal_blind_index(&d->data_keys.keys[i], national_id, idx);
			rc = store_learner_find(d->store, idx, out, err);
		}
		if (rc != OK_ENOTFOUND)
			return rc;
		/* During a rotation a learner moves from an older key's blind index to the current
		 * key's, in one statement that may fall between two of the searches above (each
		 * its own snapshot): the next pass, current key first, finds one that moved, as
		 * none moves back. */
		if (rotating)
			continue;
		/* Another process may have rotated the data key since this one read it. */
		was = d->data_key_stamp;
		if (attempt == 0 && (rc = depository_keys_refresh(d, err)))
			return rc;
		if (keyfile_stamp_equal(&was, &d->data_key_stamp))
			break;
	}
	if ((rc = missing_key(d, err)))
		return rc;
	return ok_fail(err, OK_ENOTFOUND, "no learner with that national id");
}

/* Normalises a national id as the importer does into norm. */
static int normalise(const char *national_id, struct registration *norm, struct ok_error *err)
{
	model_registration_init(norm);
	return model_registration_set(norm, REG_NATIONAL_ID, national_id, strlen(national_id), err);
}

int registry_learner_find_id(struct depository *d, const char *national_id,
                             char id_out[STORE_ID_MAX + 1], struct ok_error *err)
{
	struct registration norm;
	struct store_learner l;
	int rc;

	store_learner_init(&l);
	rc = normalise(national_id, &norm, err);
	if (!rc)
		rc = registry_learner_lookup(d, norm.learner.national_id, &l, err);
	if (!rc)
		memcpy(id_out, l.id, sizeof(l.id));
	sodium_memzero(&norm, sizeof(norm));
	store_learner_release(&l);
	return rc;
}

int registry_learner_read(struct depository *d, const char *national_id, const char *learner_id,
                          const char *actor, const char *purpose, struct learner_view *out,
                          struct ok_error *err)
{
	struct store_learner l;
	struct registration norm;
	int rc;

	char wanted[STORE_ID_MAX + 1];

	/* learner_id may point into out (a re-read of a view): keep it before clearing out. */
	rc = ok_format(wanted, sizeof(wanted), "%s", learner_id ? learner_id : "");
	memset(out, 0, sizeof(*out));
	if (rc && !national_id)
		return ok_fail(err, OK_ENOTFOUND,
		               "no learner with that id"); /* none is that long */
	learner_id = wanted;
	store_learner_init(&l);
	if (national_id) {
		rc = normalise(national_id, &norm, err);
		if (!rc)
			rc = registry_learner_lookup(d, norm.learner.national_id, &l, err);
		sodium_memzero(&norm, sizeof(norm));
	} else {
		rc = store_learner_get(d->store, learner_id, &l, err);
		if (rc == OK_ENOTFOUND)
			rc = ok_fail(err, OK_ENOTFOUND, "no learner with that id");
	}
	if (rc)
		goto out;
	OK_COPY_ARRAY(out->id, l.id);
	out->created_ms = l.created_ms;
	if ((rc = registry_learner_open(d, &l, &out->data, err)))
		goto out;
	rc = audit_record(d, actor, "learner.read", l.id, purpose, "", err);
out:
	if (rc)
		sodium_memzero(out, sizeof(*out));
	store_learner_release(&l);
	return rc;
}

int registry_learner_achievements(struct depository *d, const char *learner_id,
                                  store_achievement_fn fn, void *ctx, struct ok_error *err)
{
	return store_achievement_list_by_learner(d->store, learner_id, fn, ctx, err);
}

/* Stops the listing at the first achievement of the institution sought. */
static int at_institution(void *ctx, const struct store_achievement *a)
{
	return strcmp(a->institution, ctx) == 0 ? 1 : 0;
}

int registry_learner_at_institution(struct depository *d, const char *learner_id,
                                    const char *institution, struct ok_error *err)
{
	int rc;

	if (!learner_id || !institution || !institution[0] || strlen(learner_id) > STORE_ID_MAX)
		return ok_fail(err, OK_ENOTFOUND, "no learner with that id");
	rc = registry_learner_achievements(d, learner_id, at_institution, (void *)institution, err);
	if (rc == 1)
		return 0;
	if (rc == 0 || rc == OK_ENOTFOUND)
		return ok_fail(err, OK_ENOTFOUND, "no learner with that id");
	return rc;
}

/* Hands on the achievements of a record_id query's learner, only the record's one. */
struct only_record {
	const struct learner_records_fns *fns;
	const char *id;
};

static int only_the_record(void *ctx, const struct store_achievement *a)
{
	struct only_record *o = ctx;

	return strcmp(a->id, o->id) == 0 ? o->fns->achievement(o->fns->ctx, a) : 0;
}

int registry_learner_records(struct depository *d, const struct learner_query *q, const char *actor,
                             const char *purpose, const struct learner_records_fns *fns,
                             struct ok_error *err)
{
	struct store_achievement found;
	struct only_record only = {fns, NULL};
	struct learner_view view;
	const char *learner_id = q->learner_id;
	int rc;

	if (q->record_id) {
		/* The record names its learner: the learner, and of theirs only this one. */
		if ((rc = registry_achievement_by_record(d, q->institution, q->record_id, &found,
		                                         err)))
			return rc;
		learner_id = found.learner_id;
		only.id = found.id;
	}
	rc = registry_learner_read(d, q->record_id ? NULL : q->national_id, learner_id, actor,
	                           purpose, &view, err);
	if (!rc)
		rc = fns->learner(fns->ctx, &view);
	if (!rc && only.id)
		rc = registry_learner_achievements(d, view.id, only_the_record, &only, err);
	else if (!rc)
		rc = registry_learner_achievements(d, view.id, fns->achievement, fns->ctx, err);
	if (!rc && !q->record_id)
		rc = registry_foreign_list(d, view.id, fns->foreign, fns->ctx, err);
	sodium_memzero(&view, sizeof(view));
	return rc;
}
