/* Reading a learner: finding them by national id or internal id, opening their sealed fields,
 * and recording the read in the audit log. */
#ifndef OK_REGISTRY_LEARNER_H
#define OK_REGISTRY_LEARNER_H

#include "model/registration.h"
#include "depository/depository.h"
#include "store/foreign.h"

struct learner_view {
	char id[STORE_ID_MAX + 1];
	struct learner_data data; /* opened personal fields */
	int64_t created_ms;
};

/*
 * Finds a learner by national id (normalised as on import) or, when national_id is NULL, by
 * internal id; opens the personal fields and audits the read (actor, purpose). OK_ENOTFOUND
 * when there is no such learner (and no audit event: nothing personal was read).
 */
int registry_learner_read(struct depository *d, const char *national_id, const char *learner_id,
                          const char *actor, const char *purpose, struct learner_view *out,
                          struct ok_error *err);

/* Finds a learner's internal id by national id without opening any personal field (and so
 * without an audit event). OK_ENOTFOUND when there is none. */
int registry_learner_find_id(struct depository *d, const char *national_id,
                             char id_out[STORE_ID_MAX + 1], struct ok_error *err);

/*
 * Finds the learner of a national id already normalised (model_registration_set) through the
 * blind index under every data key this depository holds, the current one first: during a
 * data-key rotation a learner is under the old key or the new one. On a miss it reads data.key
 * again if another process changed it, and tries once more. OK_ENOTFOUND ("no learner with that
 * national id") when there is none; OK_ECRYPTO when the records are sealed under a key that
 * data.key lacks. Opens nothing (no audit event).
 */
int registry_learner_lookup(struct depository *d, const char *national_id,
                            struct store_learner *out, struct ok_error *err);

/* Opens the four sealed fields of l, each with the data key its header names (no audit: the
 * caller records the read). OK_ECRYPTO when one does not open; out is wiped then. */
int registry_learner_open(struct depository *d, const struct store_learner *l,
                          struct learner_data *out, struct ok_error *err);

/* Opens only the birth date of l ("YYYY-MM-DD") into out; as registry_learner_open (no audit:
 * the caller records the read). */
int registry_learner_open_birth_date(struct depository *d, const struct store_learner *l,
                                     char out[11], struct ok_error *err);

/* The keyed digest of a learner's fields that tells the importer whether they changed; under
 * the data key the learner is sealed under. */
void registry_learner_digest(const struct seal_keys *k, const struct learner_data *l,
                             unsigned char out[SEAL_DIGEST_BYTES]);

/*
 * Whether learner_id has an achievement of institution (opens nothing, no audit event). 0 when
 * it has; OK_ENOTFOUND ("no learner with that id", the words for an unknown id) when it has none
 * or there is no such learner: to an institution, a learner without a record there does not
 * exist.
 */
int registry_learner_at_institution(struct depository *d, const char *learner_id,
                                    const char *institution, struct ok_error *err);

/* Lists a learner's achievements (no personal fields beyond the link to the learner). */
int registry_learner_achievements(struct depository *d, const char *learner_id,
                                  store_achievement_fn fn, void *ctx, struct ok_error *err);

/* Which learner to show: by national_id, by learner_id, or by the record an institution knows
 * by its own record_id (exactly one of the three). */
struct learner_query {
	const char *national_id;
	const char *learner_id;
	const char *institution, *record_id;
};

/* Where registry_learner_records hands what it read, in this order; a callback's non-zero
 * return stops it and is returned. */
struct learner_records_fns {
	int (*learner)(void *ctx, const struct learner_view *v); /* once, first */
	store_achievement_fn achievement; /* only the record's achievement for a record_id query */
	store_foreign_fn foreign;         /* foreign achievements; not for a record_id query */
	void *ctx;
};

/*
 * A learner and everything registered for them, as an operator reads it: the learner's read is
 * audited (actor, purpose); the opened fields are wiped when the call returns. OK_ENOTFOUND
 * when there is no such learner or record (see registry_achievement_by_record).
 */
int registry_learner_records(struct depository *d, const struct learner_query *q, const char *actor,
                             const char *purpose, const struct learner_records_fns *fns,
                             struct ok_error *err);

#endif
