/* The store's audit area: signed checkpoints of the audit chain, the audit events about one
 * subject (indexed), and the earlier versions of an achievement (for access reports).
 *
 * Invariants: a checkpoint is written in the caller's transaction, so that it exists exactly
 * when the event it signs does; one checkpoint per sequence number. Listings run in sequence
 * (or version) order and never take a write lock: appending events is never held up by them.
 */
#ifndef OK_STORE_AUDIT_H
#define OK_STORE_AUDIT_H

#include "store/store.h"

/* An earlier version of an achievement, as it was until changed_ms, when actor replaced it
 * for reason. Only the fields that the history keeps are set in a (not institution,
 * record_id, slots, digest). */
struct store_achievement_version {
	struct store_achievement a;
	int64_t changed_ms;
	char actor[AUDIT_TEXT_MAX + 1];
	char reason[AUDIT_TEXT_MAX + 1];
};

typedef int (*store_checkpoint_fn)(void *ctx, const struct audit_checkpoint *c);
typedef int (*store_version_fn)(void *ctx, const struct store_achievement_version *v);

struct store_audit_ops {
	/* Records a checkpoint; OK_EEXIST when its sequence number has one already. */
	int (*checkpoint_add)(struct store *s, const struct audit_checkpoint *c,
	                      struct ok_error *err);
	/* The checkpoint with the highest sequence number; OK_ENOTFOUND when there is none. */
	int (*checkpoint_last)(struct store *s, struct audit_checkpoint *out, struct ok_error *err);
	/* Checkpoints with seq > after, in order; fn as in store.h. */
	int (*checkpoint_list)(struct store *s, int64_t after, store_checkpoint_fn fn, void *ctx,
	                       struct ok_error *err);
	/* Events whose subject is exactly the given text (an index), in order. */
	int (*by_subject)(struct store *s, const char *subject, store_audit_fn fn, void *ctx,
	                  struct ok_error *err);
	/* The earlier versions of an achievement, oldest first. */
	int (*history)(struct store *s, const char *achievement_id, store_version_fn fn, void *ctx,
	               struct ok_error *err);
};

static inline int store_checkpoint_add(struct store *s, const struct audit_checkpoint *c,
                                       struct ok_error *err)
{
	return s->ops->audit->checkpoint_add(s, c, err);
}

static inline int store_checkpoint_last(struct store *s, struct audit_checkpoint *out,
                                        struct ok_error *err)
{
	return s->ops->audit->checkpoint_last(s, out, err);
}

static inline int store_checkpoint_list(struct store *s, int64_t after, store_checkpoint_fn fn,
                                        void *ctx, struct ok_error *err)
{
	return s->ops->audit->checkpoint_list(s, after, fn, ctx, err);
}

static inline int store_audit_by_subject(struct store *s, const char *subject, store_audit_fn fn,
                                         void *ctx, struct ok_error *err)
{
	return s->ops->audit->by_subject(s, subject, fn, ctx, err);
}

static inline int store_achievement_history(struct store *s, const char *achievement_id,
                                            store_version_fn fn, void *ctx, struct ok_error *err)
{
	return s->ops->audit->history(s, achievement_id, fn, ctx, err);
}

#endif
