/* The store's leak-detection area: what leak detection keeps (issue 6). For each API key, a sliding
 * window of the learners whose personal data it read; the keys blocked for reading too many;
 * and each institution's limit when it differs from the default.
 *
 * Invariants:
 * - A window row is (key, learner, time of the key's latest read of that learner): the distinct
 *   learners a key read in a window ending now are the rows with a time after now - window.
 * - Learners are internal record ids, never personal data.
 * - Writes happen in the caller's transaction (store_begin/store_commit), as in store.h.
 * - Functions return 0 or a negative OK_E… code and fill err; OK_ENOTFOUND for a missing
 *   record, OK_EEXIST for a key blocked twice.
 */
#ifndef OK_STORE_LEAK_H
#define OK_STORE_LEAK_H

#include "store/store.h"

/* A blocked key and what it had read when it was blocked. */
struct store_key_block {
	char key_id[STORE_ID_MAX + 1];
	char institution[33];
	int64_t blocked_ms;
	int64_t learners; /* distinct learners in the window when it was blocked */
	int64_t window_s;
};

typedef int (*store_key_block_fn)(void *ctx, const struct store_key_block *b);

struct store_leak_ops {
	/* Reading windows. The distinct learners key_id read after since_ms (*count), and whether
	 * learner_id is one of them (*seen). */
	int (*read_window)(struct store *s, const char *key_id, const char *learner_id,
	                   int64_t since_ms, int64_t *count, bool *seen, struct ok_error *err);
	/* Records a read of learner_id by key_id at at_ms (replaces an earlier time). */
	int (*read_put)(struct store *s, const char *key_id, const char *learner_id, int64_t at_ms,
	                struct ok_error *err);
	/* Forgets key_id's reads at or before before_ms (they left every window). */
	int (*read_prune)(struct store *s, const char *key_id, int64_t before_ms,
	                  struct ok_error *err);
	/* Forgets all of key_id's reads (when an operator unblocks it). */
	int (*read_clear)(struct store *s, const char *key_id, struct ok_error *err);

	/* Blocked keys. */
	int (*block_put)(struct store *s, const struct store_key_block *b, struct ok_error *err);
	int (*block_get)(struct store *s, const char *key_id, struct store_key_block *out,
	                 struct ok_error *err);
	int (*block_remove)(struct store *s, const char *key_id, struct ok_error *err);
	int (*block_count)(struct store *s, int64_t *out, struct ok_error *err);
	/* Oldest block first. */
	int (*block_list)(struct store *s, store_key_block_fn fn, void *ctx, struct ok_error *err);

	/* Per-institution limits (OK_ENOTFOUND: the institution has the default). */
	int (*limit_put)(struct store *s, const char *institution, int64_t learners,
	                 int64_t window_s, struct ok_error *err);
	int (*limit_get)(struct store *s, const char *institution, int64_t *learners,
	                 int64_t *window_s, struct ok_error *err);
};

static inline int store_read_window(struct store *s, const char *key_id, const char *learner_id,
                                    int64_t since_ms, int64_t *count, bool *seen,
                                    struct ok_error *err)
{
	return s->ops->leak->read_window(s, key_id, learner_id, since_ms, count, seen, err);
}

static inline int store_read_put(struct store *s, const char *key_id, const char *learner_id,
                                 int64_t at_ms, struct ok_error *err)
{
	return s->ops->leak->read_put(s, key_id, learner_id, at_ms, err);
}

static inline int store_read_prune(struct store *s, const char *key_id, int64_t before_ms,
                                   struct ok_error *err)
{
	return s->ops->leak->read_prune(s, key_id, before_ms, err);
}

static inline int store_read_clear(struct store *s, const char *key_id, struct ok_error *err)
{
	return s->ops->leak->read_clear(s, key_id, err);
}

static inline int store_block_put(struct store *s, const struct store_key_block *b,
                                  struct ok_error *err)
{
	return s->ops->leak->block_put(s, b, err);
}

static inline int store_block_get(struct store *s, const char *key_id, struct store_key_block *out,
                                  struct ok_error *err)
{
	return s->ops->leak->block_get(s, key_id, out, err);
}

static inline int store_block_remove(struct store *s, const char *key_id, struct ok_error *err)
{
	return s->ops->leak->block_remove(s, key_id, err);
}

static inline int store_block_count(struct store *s, int64_t *out, struct ok_error *err)
{
	return s->ops->leak->block_count(s, out, err);
}

static inline int store_block_list(struct store *s, store_key_block_fn fn, void *ctx,
                                   struct ok_error *err)
{
	return s->ops->leak->block_list(s, fn, ctx, err);
}

static inline int store_limit_put(struct store *s, const char *institution, int64_t learners,
                                  int64_t window_s, struct ok_error *err)
{
	return s->ops->leak->limit_put(s, institution, learners, window_s, err);
}

static inline int store_limit_get(struct store *s, const char *institution, int64_t *learners,
                                  int64_t *window_s, struct ok_error *err)
{
	return s->ops->leak->limit_get(s, institution, learners, window_s, err);
}

#endif
