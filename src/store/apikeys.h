/* The store's API-key area: listing keys with their state, revoking one, and when each was last
 * used. Keys are added and found by hash through the core operations (store.h).
 *
 * Invariants: a key's secret never reaches the store, only its hash; a revoked key stays listed
 * (revoked_ms > 0) and is never valid again.
 */
#ifndef OK_STORE_APIKEYS_H
#define OK_STORE_APIKEYS_H

#include "store/store.h"

/* One key as an operator sees it: never its hash. */
struct store_api_key_info {
	char id[STORE_ID_MAX + 1];
	char institution[33]; /* "" for a key bound to no institution */
	char permissions[128];
	int64_t created_ms;
	int64_t last_used_ms; /* 0 while never used */
	int64_t revoked_ms;   /* 0 while valid */
	int64_t blocked_ms;   /* 0 unless leak detection blocked it (store/leak.h) */
};

typedef int (*store_api_key_fn)(void *ctx, const struct store_api_key_info *k);

struct store_apikey_ops {
	/* Every key (of one institution when institution is not NULL), oldest first. */
	int (*list)(struct store *s, const char *institution, store_api_key_fn fn, void *ctx,
	            struct ok_error *err);
	/* Marks key id revoked at at_ms: OK_ENOTFOUND when there is no such key, OK_ECONFLICT
	 * when it was revoked already. */
	int (*revoke)(struct store *s, const char *id, int64_t at_ms, struct ok_error *err);
	/* Records that key id was used at at_ms (kept only when later than what is there). */
	int (*touch)(struct store *s, const char *id, int64_t at_ms, struct ok_error *err);
};

static inline int store_api_key_list(struct store *s, const char *institution, store_api_key_fn fn,
                                     void *ctx, struct ok_error *err)
{
	return s->ops->apikeys->list(s, institution, fn, ctx, err);
}

static inline int store_api_key_revoke(struct store *s, const char *id, int64_t at_ms,
                                       struct ok_error *err)
{
	return s->ops->apikeys->revoke(s, id, at_ms, err);
}

static inline int store_api_key_touch(struct store *s, const char *id, int64_t at_ms,
                                      struct ok_error *err)
{
	return s->ops->apikeys->touch(s, id, at_ms, err);
}

#endif
