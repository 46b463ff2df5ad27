/* Reading learners: blind-index lookup, opening sealed fields, audit (see learner.h). */
#include "registry/learner.h"

#include <sodium.h>
#include <stdio.h>
#include <string.h>

static int open_field(const struct seal_keys *k, const char *field, const char *id,
                      const struct buf *sealed, char *dst, size_t cap, struct ok_error *err)
{
	struct buf plain;
	int rc;

	buf_init(&plain, cap - 1);
	rc = seal_open(k, field, id, (const unsigned char *)sealed->data, sealed->len, &plain, err);
	if (!rc)
		memcpy(dst, plain.data, plain.len + 1);
	sodium_memzero(plain.data, plain.len);
	buf_release(&plain);
	return rc;
}

/* The blind index of a national id as the user typed it (normalised as on import). */
static int index_of(struct depository *d, const char *national_id,
                    unsigned char idx[SEAL_INDEX_BYTES], struct ok_error *err)
{
	struct registration norm;
	int rc;

	model_registration_init(&norm);
	rc = model_registration_set(&norm, REG_NATIONAL_ID, national_id, strlen(national_id), err);
	if (!rc)
		seal_blind_index(&d->keys, norm.learner.national_id, idx);
	sodium_memzero(&norm, sizeof(norm));
	return rc;
}

int registry_learner_find_id(struct depository *d, const char *national_id,
                             char id_out[STORE_ID_MAX + 1], struct ok_error *err)
{
	unsigned char idx[SEAL_INDEX_BYTES];
	struct store_learner l;
	int rc;

	if ((rc = index_of(d, national_id, idx, err)))
		return rc;
	store_learner_init(&l);
	rc = d->store->ops->learner_find(d->store, idx, &l, err);
	if (!rc)
		memcpy(id_out, l.id, sizeof(l.id));
	else if (rc == OK_ENOTFOUND)
		rc = ok_fail(err, OK_ENOTFOUND, "no learner with that national id");
	store_learner_release(&l);
	return rc;
}

int registry_learner_read(struct depository *d, const char *national_id, const char *learner_id,
                          const char *actor, const char *purpose, struct learner_view *out,
                          struct ok_error *err)
{
	struct store_learner l;
	struct registration norm;
	unsigned char idx[SEAL_INDEX_BYTES];
	int rc;

	char wanted[STORE_ID_MAX + 1];

	/* learner_id may point into out (a re-read of a view): keep it before clearing out. */
	snprintf(wanted, sizeof(wanted), "%s", learner_id ? learner_id : "");
	learner_id = wanted;
	memset(out, 0, sizeof(*out));
	store_learner_init(&l);
	if (national_id) {
		model_registration_init(&norm);
		rc = model_registration_set(&norm, REG_NATIONAL_ID, national_id,
		                            strlen(national_id), err);
		if (rc)
			goto out;
		seal_blind_index(&d->keys, norm.learner.national_id, idx);
		sodium_memzero(&norm, sizeof(norm));
		rc = d->store->ops->learner_find(d->store, idx, &l, err);
	} else {
		rc = d->store->ops->learner_get(d->store, learner_id, &l, err);
	}
	if (rc == OK_ENOTFOUND) {
		rc = ok_fail(err, OK_ENOTFOUND, "no learner with that %s",
		             national_id ? "national id" : "id");
		goto out;
	}
	if (rc)
		goto out;
	snprintf(out->id, sizeof(out->id), "%s", l.id);
	out->created_ms = l.created_ms;
	if ((rc = open_field(&d->keys, "national_id", l.id, &l.national_id, out->data.national_id,
	                     sizeof(out->data.national_id), err)) ||
	    (rc = open_field(&d->keys, "given_names", l.id, &l.given_names, out->data.given_names,
	                     sizeof(out->data.given_names), err)) ||
	    (rc = open_field(&d->keys, "family_name", l.id, &l.family_name, out->data.family_name,
	                     sizeof(out->data.family_name), err)) ||
	    (rc = open_field(&d->keys, "birth_date", l.id, &l.birth_date, out->data.birth_date,
	                     sizeof(out->data.birth_date), err)))
		goto out;
	rc = depository_audit(d, actor, "learner.read", l.id, purpose, "", true, err);
out:
	if (rc)
		sodium_memzero(out, sizeof(*out));
	store_learner_release(&l);
	return rc;
}

int registry_learner_achievements(struct depository *d, const char *learner_id,
                                  store_achievement_fn fn, void *ctx, struct ok_error *err)
{
	return d->store->ops->achievement_list_by_learner(d->store, learner_id, fn, ctx, err);
}
