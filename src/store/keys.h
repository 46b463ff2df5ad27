/* The store's keys area (issue 6): what key rotation keeps. The state of each data-key rotation
 * (so that a rotation killed halfway resumes where it stopped, and reports "N of M"), the
 * history of the issuer's signing keys (when each was added, superseded, retired), and the
 * queries a rotation works through: records by the data key they are sealed under.
 *
 * Invariants:
 * - A rotation is known by the id of the key it rotates to (ids are never used twice); at most
 *   one has finished_ms 0 (it is running or was interrupted).
 * - Nothing here is personal data or key material: ids, counts, times and public keys.
 * - Writes happen in the caller's transaction (store_begin/store_commit), as in store.h.
 * - Functions return 0 or a negative OK_E… code and fill err; OK_ENOTFOUND for a missing record.
 */
#ifndef OK_STORE_KEYS_H
#define OK_STORE_KEYS_H

#include "store/store.h"

/* A data-key rotation: every learner (phase 0), then every foreign credential (phase 1), then
 * every identity correction (phase 2) sealed under another key is re-sealed under to_key, in id
 * order after the cursor. */
struct store_key_rotation {
	uint32_t to_key;
	uint32_t from_key; /* the current key when it started */
	int phase;         /* 0 learners, 1 foreign credentials, 2 identity corrections */
	char cursor[STORE_ID_MAX +
	            1]; /* the last record re-sealed in this phase, "" at its start */
	int64_t done;   /* records re-sealed */
	int64_t total;  /* records to re-seal (grows if a pass finds stragglers) */
	int64_t started_ms;
	int64_t finished_ms; /* 0 while it runs */
};

/* An issuer signing key as the history knows it (the key itself lives in issuer.key). */
struct store_issuer_key {
	uint32_t key_id;
	unsigned char public_key[32];
	int64_t added_ms;      /* 0 when unknown (the key made by init) */
	int64_t superseded_ms; /* when a newer key became current, 0 while it is current */
	int64_t retired_ms;    /* when it left the DID document, 0 while it is in it */
};

typedef int (*store_key_count_fn)(void *ctx, uint32_t key_id, int64_t count);
typedef int (*store_id_fn)(void *ctx, const char *id);
typedef int (*store_issuer_key_fn)(void *ctx, const struct store_issuer_key *k);

struct store_keys_ops {
	/* The rotation with the highest to_key (OK_ENOTFOUND when there was none). */
	int (*rotation_last)(struct store *s, struct store_key_rotation *out, struct ok_error *err);
	/* Inserts or replaces a rotation by to_key. */
	int (*rotation_put)(struct store *s, const struct store_key_rotation *r,
	                    struct ok_error *err);

	/* How many learners, and how many foreign credentials, are sealed under each key. */
	int (*learners_by_key)(struct store *s, store_key_count_fn fn, void *ctx,
	                       struct ok_error *err);
	int (*foreign_by_key)(struct store *s, store_key_count_fn fn, void *ctx,
	                      struct ok_error *err);
	/* Records sealed under a key other than key_id: how many, and up to limit ids after
	 * after_id in id order. */
	int (*learners_not_under)(struct store *s, uint32_t key_id, int64_t *count,
	                          struct ok_error *err);
	int (*foreign_not_under)(struct store *s, uint32_t key_id, int64_t *count,
	                         struct ok_error *err);
	int (*learner_ids_not_under)(struct store *s, uint32_t key_id, const char *after_id,
	                             size_t limit, store_id_fn fn, void *ctx, struct ok_error *err);
	int (*foreign_ids_not_under)(struct store *s, uint32_t key_id, const char *after_id,
	                             size_t limit, store_id_fn fn, void *ctx, struct ok_error *err);

	/* Issuer key history: insert or replace by key_id; one; all by key_id. */
	int (*issuer_key_put)(struct store *s, const struct store_issuer_key *k,
	                      struct ok_error *err);
	int (*issuer_key_get)(struct store *s, uint32_t key_id, struct store_issuer_key *out,
	                      struct ok_error *err);
	int (*issuer_key_list)(struct store *s, store_issuer_key_fn fn, void *ctx,
	                       struct ok_error *err);
	/* Credentials issued (audit events "credential.issue") at from_ms <= time < to_ms (to_ms 0:
	 * until now), leaving out those of achievements revoked since. */
	int (*credentials_issued)(struct store *s, int64_t from_ms, int64_t to_ms, int64_t *count,
	                          struct ok_error *err);
};

static inline int store_rotation_last(struct store *s, struct store_key_rotation *out,
                                      struct ok_error *err)
{
	return s->ops->keys->rotation_last(s, out, err);
}

static inline int store_rotation_put(struct store *s, const struct store_key_rotation *r,
                                     struct ok_error *err)
{
	return s->ops->keys->rotation_put(s, r, err);
}

static inline int store_learners_by_key(struct store *s, store_key_count_fn fn, void *ctx,
                                        struct ok_error *err)
{
	return s->ops->keys->learners_by_key(s, fn, ctx, err);
}

static inline int store_foreign_by_key(struct store *s, store_key_count_fn fn, void *ctx,
                                       struct ok_error *err)
{
	return s->ops->keys->foreign_by_key(s, fn, ctx, err);
}

static inline int store_learners_not_under(struct store *s, uint32_t key_id, int64_t *count,
                                           struct ok_error *err)
{
	return s->ops->keys->learners_not_under(s, key_id, count, err);
}

static inline int store_foreign_not_under(struct store *s, uint32_t key_id, int64_t *count,
                                          struct ok_error *err)
{
	return s->ops->keys->foreign_not_under(s, key_id, count, err);
}

static inline int store_learner_ids_not_under(struct store *s, uint32_t key_id,
                                              const char *after_id, size_t limit, store_id_fn fn,
                                              void *ctx, struct ok_error *err)
{
	return s->ops->keys->learner_ids_not_under(s, key_id, after_id, limit, fn, ctx, err);
}

static inline int store_foreign_ids_not_under(struct store *s, uint32_t key_id,
                                              const char *after_id, size_t limit, store_id_fn fn,
                                              void *ctx, struct ok_error *err)
{
	return s->ops->keys->foreign_ids_not_under(s, key_id, after_id, limit, fn, ctx, err);
}

static inline int store_issuer_key_put(struct store *s, const struct store_issuer_key *k,
                                       struct ok_error *err)
{
	return s->ops->keys->issuer_key_put(s, k, err);
}

static inline int store_issuer_key_get(struct store *s, uint32_t key_id,
                                       struct store_issuer_key *out, struct ok_error *err)
{
	return s->ops->keys->issuer_key_get(s, key_id, out, err);
}

static inline int store_issuer_key_list(struct store *s, store_issuer_key_fn fn, void *ctx,
                                        struct ok_error *err)
{
	return s->ops->keys->issuer_key_list(s, fn, ctx, err);
}

static inline int store_credentials_issued(struct store *s, int64_t from_ms, int64_t to_ms,
                                           int64_t *count, struct ok_error *err)
{
	return s->ops->keys->credentials_issued(s, from_ms, to_ms, count, err);
}

#endif
