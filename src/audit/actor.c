/* The actor of an audit event as text (see actor.h): the one place these strings are made. */
#include "audit/actor.h"

#include <stdio.h>

const char *audit_actor_format(const struct audit_actor *a, char out[AUDIT_ACTOR_SIZE])
{
	const char *id = a->id ? a->id : "";

	/* Cut as an event would cut it: an id is a short record id, so this never happens in
	 * practice, and a cut actor is still the right one's prefix. */
	switch (a->kind) {
	case AUDIT_ACTOR_OPERATOR:
		snprintf(out, AUDIT_ACTOR_SIZE, "%s", AUDIT_OPERATOR);
		break;
	case AUDIT_ACTOR_INSTITUTION_KEY:
		snprintf(out, AUDIT_ACTOR_SIZE, "institution:%s/key:%s",
		         a->institution ? a->institution : "", id);
		break;
	case AUDIT_ACTOR_KEY:
		snprintf(out, AUDIT_ACTOR_SIZE, "key:%s", id);
		break;
	case AUDIT_ACTOR_LEARNER:
		snprintf(out, AUDIT_ACTOR_SIZE, "learner:%s", id);
		break;
	case AUDIT_ACTOR_SHARE:
		snprintf(out, AUDIT_ACTOR_SIZE, "share:%s", id);
		break;
	case AUDIT_ACTOR_SYSTEM:
		snprintf(out, AUDIT_ACTOR_SIZE, "%s", id);
		break;
	default:
		out[0] = '\0';
	}
	return out;
}

const char *audit_actor_institution_key(const char *institution, const char *key_id,
                                        char out[AUDIT_ACTOR_SIZE])
{
	struct audit_actor a = {AUDIT_ACTOR_INSTITUTION_KEY, key_id, institution};

	return audit_actor_format(&a, out);
}

const char *audit_actor_key(const char *key_id, char out[AUDIT_ACTOR_SIZE])
{
	struct audit_actor a = {AUDIT_ACTOR_KEY, key_id, NULL};

	return audit_actor_format(&a, out);
}

const char *audit_actor_learner(const char *learner_id, char out[AUDIT_ACTOR_SIZE])
{
	struct audit_actor a = {AUDIT_ACTOR_LEARNER, learner_id, NULL};

	return audit_actor_format(&a, out);
}

const char *audit_actor_share(const char *share_id, char out[AUDIT_ACTOR_SIZE])
{
	struct audit_actor a = {AUDIT_ACTOR_SHARE, share_id, NULL};

	return audit_actor_format(&a, out);
}
