/* The store's bulk path for imports (issue 16): what a batch of an import needs from the store
 * in a few round trips instead of several per row. Both back ends have one (PostgreSQL: a query
 * per lookup and a COPY per table; SQLite: the batch's keys sorted, so that its lookups and
 * inserts walk the indexes in order); a back end without one leaves store_ops.bulk NULL and the
 * importer uses the per-row operations of store.h.
 *
 * Invariants:
 * - Everything runs in the caller's write transaction (store_begin … store_commit): the lookups
 *   see the transaction's own writes, and the writer lock keeps other writers out between a
 *   lookup and the write that depends on it.
 * - learners_add and achievements_add write new rows only; a row whose key is taken (by a
 *   writer that did not hold the lock) fails the whole call with OK_EEXIST and nothing of it
 *   stays once the caller rolls back, as store.h asks after a failed write.
 * - Functions return 0 or a negative OK_E… code and fill err.
 */
#ifndef OK_STORE_IMPORT_H
#define OK_STORE_IMPORT_H

#include "store/store.h"

/* A learner as a lookup returns it: id, blind index, digest, key and times; the sealed fields
 * are left empty (the importer reads them, when it must, with store_learner_find). */
typedef int (*store_learner_fn)(void *ctx, const struct store_learner *l);

struct store_import_ops {
	/* Calls fn for each learner whose blind index is one of idx[0..n). */
	int (*learners_find)(struct store *s, const unsigned char (*idx)[STORE_HASH_BYTES],
	                     size_t n, store_learner_fn fn, void *ctx, struct ok_error *err);
	/* Calls fn for each achievement of institution whose record id is one of ids[0..n). */
	int (*achievements_find)(struct store *s, const char *institution, const char *const *ids,
	                         size_t n, store_achievement_fn fn, void *ctx,
	                         struct ok_error *err);
	/* Calls fn with every slot of status list `list` that an achievement holds. */
	int (*slots_taken)(struct store *s, int64_t list, store_index_fn fn, void *ctx,
	                   struct ok_error *err);
	/* Adds new learners (all fields set), then new achievements (created_ms, version and
	 * status set): one bulk load per table. */
	int (*learners_add)(struct store *s, const struct store_learner *l, size_t n,
	                    struct ok_error *err);
	int (*achievements_add)(struct store *s, const struct store_achievement *a, size_t n,
	                        struct ok_error *err);
	/* Appends audit events already linked after the chain head (audit/txn_bulk.h), in one
	 * bulk load; a taken sequence number fails it with OK_EEXIST. */
	int (*audit_add)(struct store *s, const struct audit_event *e, size_t n,
	                 struct ok_error *err);
};

/* The back end's bulk path, or NULL when it has none. */
static inline const struct store_import_ops *store_bulk(struct store *s)
{
	return s->ops->bulk;
}

#endif
