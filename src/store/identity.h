/* The store's identity area (issue 13): the history of explicit corrections of a learner's
 * identity (names, birth date), each with the values before and after, sealed.
 *
 * Invariants:
 * - A change belongs to one learner and is never altered but to be re-sealed under a newer data
 *   key (its id, learner, actor and time stay).
 * - The values are personal data: the store keeps them only sealed (privacy/seal.h, field
 *   "identity_change", bound to the change's id); every other column is not personal.
 * - Writes happen in the caller's transaction (store_begin/store_commit), as in store.h.
 * - Functions return 0 or a negative OK_E… code and fill err; OK_ENOTFOUND for a missing
 *   record.
 */
#ifndef OK_STORE_IDENTITY_H
#define OK_STORE_IDENTITY_H

#include <string.h>

#include "store/store.h"

struct store_identity_change {
	char id[STORE_ID_MAX + 1];
	char learner_id[STORE_ID_MAX + 1];
	char actor[129];  /* operator, institution:X/key:Y */
	char purpose[33]; /* "correction" */
	char fields[64];  /* the fields changed, comma-separated (names, never values) */
	int64_t at_ms;
	uint32_t key_id;   /* the data key the values are sealed under */
	struct buf sealed; /* {"old": {…}, "new": {…}} sealed; left empty by id listings */
};

static inline void store_identity_change_init(struct store_identity_change *c)
{
	memset(c, 0, sizeof(*c));
	buf_init(&c->sealed, 64 * 1024);
}

static inline void store_identity_change_release(struct store_identity_change *c)
{
	buf_release(&c->sealed);
}

typedef int (*store_identity_change_fn)(void *ctx, const struct store_identity_change *c);
typedef int (*store_identity_id_fn)(void *ctx, const char *id);

struct store_identity_ops {
	int (*put)(struct store *s, const struct store_identity_change *c, struct ok_error *err);
	int (*get)(struct store *s, const char *id, struct store_identity_change *out,
	           struct ok_error *err);
	/* A learner's changes, oldest first, with their sealed values. */
	int (*list_by_learner)(struct store *s, const char *learner_id, store_identity_change_fn fn,
	                       void *ctx, struct ok_error *err);
	/* Replaces the sealed values (a data-key rotation re-seals them). */
	int (*reseal)(struct store *s, const char *id, const struct buf *sealed, uint32_t key_id,
	              struct ok_error *err);
	/* Changes sealed under a key other than key_id: how many, and up to limit ids after
	 * after_id in id order. */
	int (*not_under)(struct store *s, uint32_t key_id, int64_t *count, struct ok_error *err);
	int (*ids_not_under)(struct store *s, uint32_t key_id, const char *after_id, size_t limit,
	                     store_identity_id_fn fn, void *ctx, struct ok_error *err);
};

static inline int store_identity_put(struct store *s, const struct store_identity_change *c,
                                     struct ok_error *err)
{
	return s->ops->identity->put(s, c, err);
}

static inline int store_identity_get(struct store *s, const char *id,
                                     struct store_identity_change *out, struct ok_error *err)
{
	return s->ops->identity->get(s, id, out, err);
}

static inline int store_identity_list_by_learner(struct store *s, const char *learner_id,
                                                 store_identity_change_fn fn, void *ctx,
                                                 struct ok_error *err)
{
	return s->ops->identity->list_by_learner(s, learner_id, fn, ctx, err);
}

static inline int store_identity_reseal(struct store *s, const char *id, const struct buf *sealed,
                                        uint32_t key_id, struct ok_error *err)
{
	return s->ops->identity->reseal(s, id, sealed, key_id, err);
}

static inline int store_identity_not_under(struct store *s, uint32_t key_id, int64_t *count,
                                           struct ok_error *err)
{
	*count = 0;
	return s->ops->identity->not_under(s, key_id, count, err);
}

static inline int store_identity_ids_not_under(struct store *s, uint32_t key_id,
                                               const char *after_id, size_t limit,
                                               store_identity_id_fn fn, void *ctx,
                                               struct ok_error *err)
{
	return s->ops->identity->ids_not_under(s, key_id, after_id, limit, fn, ctx, err);
}

#endif
