/* Reading a learner: finding them by national id or internal id, opening their sealed fields,
 * and recording the read in the audit log. */
#ifndef OK_REGISTRY_LEARNER_H
#define OK_REGISTRY_LEARNER_H

#include "model/registration.h"
#include "registry/depository.h"

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

/* Lists a learner's achievements (no personal fields beyond the link to the learner). */
int registry_learner_achievements(struct depository *d, const char *learner_id,
                                  store_achievement_fn fn, void *ctx, struct ok_error *err);

#endif
