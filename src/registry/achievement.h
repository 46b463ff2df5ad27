/* Single achievements: their JSON form, and corrections with history. */
#ifndef OK_REGISTRY_ACHIEVEMENT_H
#define OK_REGISTRY_ACHIEVEMENT_H

#include <jansson.h>

#include "depository/depository.h"

/* The public JSON form of an achievement (new reference, caller decrefs; NULL when out of
 * memory). Holds no personal data beyond the learner's internal id. */
json_t *registry_achievement_json(const struct store_achievement *a);

/* The digest that tells whether a registration changed (see import.c). Unkeyed (k is not
 * used): its fields are not sealed, and it must not change with the data key. */
void registry_achievement_digest(const struct seal_keys *k, const struct store_achievement *a,
                                 unsigned char out[SEAL_DIGEST_BYTES]);

/*
 * Gets an achievement of institution (NULL: of any institution). Another institution's
 * achievement answers OK_ENOTFOUND, exactly as a missing one does.
 */
int registry_achievement_get(struct depository *d, const char *id, const char *institution,
                             struct store_achievement *out, struct ok_error *err);

/*
 * Finds an achievement by the institution's own record id (the record_id column of its
 * imports). OK_ENOTFOUND with field "institution" for an unknown institution, "record_id" when
 * the institution holds no such record.
 */
int registry_achievement_by_record(struct depository *d, const char *institution,
                                   const char *record_id, struct store_achievement *out,
                                   struct ok_error *err);

/*
 * Corrects an achievement: patch is a JSON object with any of title, kind, programme_code,
 * eqf_level, credits, grade, grading_scheme, awarded_on, language, and a required "reason".
 * The whole result is validated as on import; the previous version is kept in the history and
 * the change audited. out receives the new version. A revoked achievement is OK_ECONFLICT (a
 * revocation is final). An award date on or before the learner's birth date is OK_EINPUT with
 * field "awarded_on" and the message ACHIEVEMENT_AWARD_BEFORE_BIRTH, which names no birth
 * date (the caller counts it as an identity conflict, registry/leak.h).
 */
#define ACHIEVEMENT_AWARD_BEFORE_BIRTH "awarded_on is not a possible award date for this learner"
int registry_achievement_correct(struct depository *d, const char *id, const char *institution,
                                 const json_t *patch, const char *actor,
                                 struct store_achievement *out, struct ok_error *err);

#endif
