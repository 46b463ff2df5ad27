/* The store's portal area (issue 4): what the learner portal keeps. One-time login links,
 * learners' sessions, shares (a learner's consent to show chosen achievements to a named
 * recipient until a date) and every opening of a share.
 *
 * Invariants:
 * - Tokens (login links, sessions, shares) are never stored: only their hash, which is the key
 *   they are found by, so that a lookup never compares a raw token.
 * - Learners are internal record ids; no personal field of a learner is kept here. The
 *   recipient of a share is the learner's own label for it ("Employer X").
 * - A share's achievements are a comma-separated list of achievement ids, in the learner's
 *   order.
 * - Writes happen in the caller's transaction (store_begin/store_commit), as in store.h.
 * - Functions return 0 or a negative OK_E… code and fill err; OK_ENOTFOUND for a missing
 *   record.
 */
#ifndef OK_STORE_PORTAL_H
#define OK_STORE_PORTAL_H

#include "store/store.h"

#define STORE_SHARE_RECIPIENT_MAX    800 /* bytes: 200 characters of UTF-8 */
#define STORE_SHARE_ACHIEVEMENTS_MAX 100
#define STORE_SHARE_IDS_MAX          (STORE_SHARE_ACHIEVEMENTS_MAX * (STORE_ID_MAX + 1))
#define STORE_ACTOR_MAX              128
#define STORE_PROVIDER_MAX           32 /* an OpenID provider's id (remote/oidc.h) */

struct store_login_link {
	unsigned char token_hash[STORE_HASH_BYTES];
	char learner_id[STORE_ID_MAX + 1];
	char created_by[STORE_ACTOR_MAX + 1]; /* the actor who made it */
	int64_t created_ms;
	int64_t expires_ms;
	int64_t used_ms; /* 0 while unused */
};

struct store_session {
	char id[STORE_ID_MAX + 1];
	unsigned char token_hash[STORE_HASH_BYTES];
	char learner_id[STORE_ID_MAX + 1];
	int64_t created_ms;
	int64_t last_seen_ms;
	char provider[STORE_PROVIDER_MAX + 1]; /* the OpenID provider that signed it in; "" */
};

/* A started OpenID sign-in (portal/oidc_signin.h): hashes only, single use. */
struct store_oidc_flow {
	unsigned char state_hash[STORE_HASH_BYTES];
	char provider[STORE_PROVIDER_MAX + 1];
	unsigned char nonce_hash[STORE_HASH_BYTES];
	unsigned char verifier_hash[STORE_HASH_BYTES];
	int64_t created_ms;
	int64_t expires_ms;
};

struct store_share {
	char id[STORE_ID_MAX + 1];
	unsigned char token_hash[STORE_HASH_BYTES];
	char learner_id[STORE_ID_MAX + 1];
	char recipient[STORE_SHARE_RECIPIENT_MAX + 1];
	char achievements[STORE_SHARE_IDS_MAX]; /* "id,id,…" */
	int64_t created_ms;
	int64_t expires_ms;
	int64_t revoked_ms; /* 0 while not revoked */
	int64_t uses;
	int64_t last_used_ms; /* 0 while never opened */
};

/* One opening of a share. */
struct store_share_view {
	int64_t at_ms;
	char share_id[STORE_ID_MAX + 1];
	char recipient[STORE_SHARE_RECIPIENT_MAX + 1];
};

typedef int (*store_share_fn)(void *ctx, const struct store_share *sh);
typedef int (*store_share_view_fn)(void *ctx, const struct store_share_view *v);

struct store_portal_ops {
	/* Login links: add one; find one by its token's hash; mark it used (OK_ECONFLICT when it
	 * was used already); forget those that expired before before_ms. */
	int (*login_link_put)(struct store *s, const struct store_login_link *l,
	                      struct ok_error *err);
	int (*login_link_find)(struct store *s, const unsigned char hash[STORE_HASH_BYTES],
	                       struct store_login_link *out, struct ok_error *err);
	int (*login_link_use)(struct store *s, const unsigned char hash[STORE_HASH_BYTES],
	                      int64_t used_ms, struct ok_error *err);
	int (*login_link_prune)(struct store *s, int64_t before_ms, struct ok_error *err);

	/* Sessions: add one; find one by its token's hash; note activity; end one (OK_ENOTFOUND
	 * when there was none); forget those idle since before idle_before_ms or started before
	 * started_before_ms. */
	int (*session_put)(struct store *s, const struct store_session *se, struct ok_error *err);
	int (*session_find)(struct store *s, const unsigned char hash[STORE_HASH_BYTES],
	                    struct store_session *out, struct ok_error *err);
	int (*session_touch)(struct store *s, const char *id, int64_t at_ms, struct ok_error *err);
	int (*session_delete)(struct store *s, const char *id, struct ok_error *err);
	int (*session_prune)(struct store *s, int64_t idle_before_ms, int64_t started_before_ms,
	                     struct ok_error *err);

	/* Shares: add one (uses, last use and revocation as given); one by id; one by its token's
	 * hash; a learner's, newest first; revoke one (OK_ECONFLICT when it was revoked already);
	 * record an opening (use count, last use, a view row) of a share neither revoked nor
	 * expired at at_ms (OK_EGONE when it is either, OK_ENOTFOUND when there is none). */
	int (*share_put)(struct store *s, const struct store_share *sh, struct ok_error *err);
	int (*share_get)(struct store *s, const char *id, struct store_share *out,
	                 struct ok_error *err);
	int (*share_find)(struct store *s, const unsigned char hash[STORE_HASH_BYTES],
	                  struct store_share *out, struct ok_error *err);
	int (*share_list_by_learner)(struct store *s, const char *learner_id, store_share_fn fn,
	                             void *ctx, struct ok_error *err);
	int (*share_revoke)(struct store *s, const char *id, int64_t at_ms, struct ok_error *err);
	int (*share_use)(struct store *s, const char *id, int64_t at_ms, struct ok_error *err);
	/* The openings of a learner's shares, newest first, at most limit. */
	int (*view_list_by_learner)(struct store *s, const char *learner_id, size_t limit,
	                            store_share_view_fn fn, void *ctx, struct ok_error *err);

	/* OpenID sign-in flows: add one; take one, deleting it, when every hash and the
	 * provider match and it has not expired at now_ms (OK_ENOTFOUND otherwise, also for the
	 * second of two takes: one conditional statement); forget those expired before
	 * before_ms. */
	int (*oidc_flow_put)(struct store *s, const struct store_oidc_flow *f,
	                     struct ok_error *err);
	int (*oidc_flow_take)(struct store *s, const struct store_oidc_flow *f, int64_t now_ms,
	                      struct ok_error *err);
	int (*oidc_flow_prune)(struct store *s, int64_t before_ms, struct ok_error *err);
};

static inline int store_oidc_flow_put(struct store *s, const struct store_oidc_flow *f,
                                      struct ok_error *err)
{
	return s->ops->portal->oidc_flow_put(s, f, err);
}

static inline int store_oidc_flow_take(struct store *s, const struct store_oidc_flow *f,
                                       int64_t now_ms, struct ok_error *err)
{
	return s->ops->portal->oidc_flow_take(s, f, now_ms, err);
}

static inline int store_oidc_flow_prune(struct store *s, int64_t before_ms, struct ok_error *err)
{
	return s->ops->portal->oidc_flow_prune(s, before_ms, err);
}

static inline int store_login_link_put(struct store *s, const struct store_login_link *l,
                                       struct ok_error *err)
{
	return s->ops->portal->login_link_put(s, l, err);
}

static inline int store_login_link_find(struct store *s, const unsigned char hash[STORE_HASH_BYTES],
                                        struct store_login_link *out, struct ok_error *err)
{
	return s->ops->portal->login_link_find(s, hash, out, err);
}

static inline int store_login_link_use(struct store *s, const unsigned char hash[STORE_HASH_BYTES],
                                       int64_t used_ms, struct ok_error *err)
{
	return s->ops->portal->login_link_use(s, hash, used_ms, err);
}

static inline int store_login_link_prune(struct store *s, int64_t before_ms, struct ok_error *err)
{
	return s->ops->portal->login_link_prune(s, before_ms, err);
}

static inline int store_session_put(struct store *s, const struct store_session *se,
                                    struct ok_error *err)
{
	return s->ops->portal->session_put(s, se, err);
}

static inline int store_session_find(struct store *s, const unsigned char hash[STORE_HASH_BYTES],
                                     struct store_session *out, struct ok_error *err)
{
	return s->ops->portal->session_find(s, hash, out, err);
}

static inline int store_session_touch(struct store *s, const char *id, int64_t at_ms,
                                      struct ok_error *err)
{
	return s->ops->portal->session_touch(s, id, at_ms, err);
}

static inline int store_session_delete(struct store *s, const char *id, struct ok_error *err)
{
	return s->ops->portal->session_delete(s, id, err);
}

static inline int store_session_prune(struct store *s, int64_t idle_before_ms,
                                      int64_t started_before_ms, struct ok_error *err)
{
	return s->ops->portal->session_prune(s, idle_before_ms, started_before_ms, err);
}

static inline int store_share_put(struct store *s, const struct store_share *sh,
                                  struct ok_error *err)
{
	return s->ops->portal->share_put(s, sh, err);
}

static inline int store_share_get(struct store *s, const char *id, struct store_share *out,
                                  struct ok_error *err)
{
	return s->ops->portal->share_get(s, id, out, err);
}

static inline int store_share_find(struct store *s, const unsigned char hash[STORE_HASH_BYTES],
                                   struct store_share *out, struct ok_error *err)
{
	return s->ops->portal->share_find(s, hash, out, err);
}

static inline int store_share_list_by_learner(struct store *s, const char *learner_id,
                                              store_share_fn fn, void *ctx, struct ok_error *err)
{
	return s->ops->portal->share_list_by_learner(s, learner_id, fn, ctx, err);
}

static inline int store_share_revoke(struct store *s, const char *id, int64_t at_ms,
                                     struct ok_error *err)
{
	return s->ops->portal->share_revoke(s, id, at_ms, err);
}

static inline int store_share_use(struct store *s, const char *id, int64_t at_ms,
                                  struct ok_error *err)
{
	return s->ops->portal->share_use(s, id, at_ms, err);
}

static inline int store_view_list_by_learner(struct store *s, const char *learner_id, size_t limit,
                                             store_share_view_fn fn, void *ctx,
                                             struct ok_error *err)
{
	return s->ops->portal->view_list_by_learner(s, learner_id, limit, fn, ctx, err);
}

#endif
