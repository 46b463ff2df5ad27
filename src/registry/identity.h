/* A learner's identity (names, birth date) belongs to no single institution: it changes only by
 * an explicit correction (the operator's `learner correct`, or a registrar's
 * PATCH /v1/learners/{id}), never by an import. Each correction keeps the values before and
 * after, sealed, in a history the learner sees in their access report.
 *
 * Invariants:
 * - A correction is one transaction: the learner's fields re-sealed under the current data key,
 *   one history record, one audit event ("learner.correct", naming the fields, never values).
 * - A registrar's correction needs a record of the key's institution for the learner; without
 *   one the learner does not exist to it (OK_ENOTFOUND, as for an unknown id).
 * - The national id is never corrected here (a learner is found by it).
 */
#ifndef OK_REGISTRY_IDENTITY_H
#define OK_REGISTRY_IDENTITY_H

#include <stdbool.h>
#include <stdint.h>

#include "model/registration.h"
#include "depository/depository.h"

/* The new values; NULL leaves a field as it is. given_names may be "" (a learner with one
 * name); family_name and birth_date may not. */
struct identity_fields {
	const char *given_names;
	const char *family_name;
	const char *birth_date; /* YYYY-MM-DD */
};

#define IDENTITY_FIELDS_MAX 64 /* "given_names,family_name,birth_date" */

struct identity_outcome {
	bool changed;                     /* false: the values were the learner's already */
	char fields[IDENTITY_FIELDS_MAX]; /* the fields changed, comma-separated */
	char change_id[STORE_ID_MAX + 1]; /* the history record, when changed */
};

/*
 * Corrects learner_id's identity to in. institution NULL: the operator; else the registrar's
 * institution, which must have a record for the learner. actor and purpose go into the audit
 * event. Returns 0 (see out), OK_EINPUT (err->field names the field; nothing to correct, a value
 * that does not validate, a birth date in the future or not before the learner's earliest
 * award: of the institution's own records when institution is given), OK_ENOTFOUND ("no learner
 * with that id"), or a store or key error; nothing is changed then.
 */
int registry_identity_correct(struct depository *d, const char *learner_id, const char *institution,
                              const struct identity_fields *in, const char *actor,
                              const char *purpose, struct identity_outcome *out,
                              struct ok_error *err);

/* One correction, opened. */
struct identity_change_view {
	char id[STORE_ID_MAX + 1];
	int64_t at_ms;
	char actor[129];
	char purpose[33];
	char fields[IDENTITY_FIELDS_MAX];
	struct learner_data before, after; /* national_id left empty */
};

typedef int (*identity_change_view_fn)(void *ctx, const struct identity_change_view *v);

/*
 * Calls fn for each correction of learner_id, oldest first, with the values opened (no audit
 * event: the caller, e.g. the access report, records the read). A non-zero return of fn stops
 * and is returned. OK_ECRYPTO when a record does not open.
 */
int registry_identity_history(struct depository *d, const char *learner_id,
                              identity_change_view_fn fn, void *ctx, struct ok_error *err);

/* Re-seals correction id under the current data key (a data-key rotation); 0 when it is gone or
 * under that key already. */
int registry_identity_reseal(struct depository *d, const char *id, struct ok_error *err);

#endif
