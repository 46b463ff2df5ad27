/* The store's foreign area (issue 7): achievements a learner brought from another depository of
 * the network, each kept with its origin and the signed credential exactly as it was handed in.
 *
 * Invariants:
 * - A foreign achievement belongs to one learner; (issuer DID, credential key) is unique, so one
 *   credential is held once, for one learner.
 * - The credential holds the learner's name: the store keeps it sealed (privacy/seal.h, field
 *   "foreign_credential", bound to the record id); every other column is about the achievement
 *   and its origin, never personal data.
 * - Writes happen in the caller's transaction (store_begin/store_commit), as in store.h.
 * - Functions return 0 or a negative OK_E… code and fill err; OK_ENOTFOUND for a missing
 *   record, OK_EEXIST for a credential held already.
 */
#ifndef OK_STORE_FOREIGN_H
#define OK_STORE_FOREIGN_H

#include <string.h>

#include "store/store.h"

#define STORE_FOREIGN_KEY_MAX 512

struct store_foreign {
	char id[STORE_ID_MAX + 1];
	char learner_id[STORE_ID_MAX + 1];
	char issuer_did[257];
	/* The credential's id, or "sha256:HEX" of its bytes when it has none. */
	char credential_key[STORE_FOREIGN_KEY_MAX + 1];
	char depository[201];  /* the issuer's name on the trust list at import */
	char country[3];       /* the issuer's country on the trust list */
	char institution[201]; /* the awarding institution named in the credential, or "" */
	char institution_country[3];
	char kind[33]; /* diploma, degree, course, module, exam, or the credential's own word */
	char title[1201];
	char awarded_on[11]; /* YYYY-MM-DD */
	long credits_centi;  /* -1 = none */
	char grade[65];
	char format[16];       /* "di", "jwt", "elmo", "elmo-sha1" (ELMO signed with SHA-1) */
	char status[16];       /* active, suspended, revoked (as last verified) */
	char imported_by[129]; /* the actor: operator, institution:X/key:Y, learner:ID */
	int64_t imported_ms;
	int64_t checked_ms;    /* when the status was last verified */
	uint32_t key_id;       /* the data key the credential is sealed under */
	struct buf credential; /* sealed; left empty by listings */
};

/* A record's sealed credential may be up to 1 MiB (verification's limit) plus the seal. */
static inline void store_foreign_init(struct store_foreign *f)
{
	memset(f, 0, sizeof(*f));
	f->credits_centi = -1;
	buf_init(&f->credential, ((size_t)1 << 20) + 4096);
}

static inline void store_foreign_release(struct store_foreign *f)
{
	buf_release(&f->credential);
}

typedef int (*store_foreign_fn)(void *ctx, const struct store_foreign *f);

struct store_foreign_ops {
	/* Inserts a new record (OK_EEXIST when the credential is held already). */
	int (*put)(struct store *s, const struct store_foreign *f, struct ok_error *err);
	/* One record with its sealed credential, by id. */
	int (*get)(struct store *s, const char *id, struct store_foreign *out,
	           struct ok_error *err);
	/* The record holding a credential, by issuer and credential key (with the credential). */
	int (*find)(struct store *s, const char *issuer_did, const char *credential_key,
	            struct store_foreign *out, struct ok_error *err);
	/* A learner's records, newest award first, without the sealed credential. */
	int (*list_by_learner)(struct store *s, const char *learner_id, store_foreign_fn fn,
	                       void *ctx, struct ok_error *err);
	/* Records the outcome of a later verification. */
	int (*set_status)(struct store *s, const char *id, const char *status, int64_t checked_ms,
	                  struct ok_error *err);
	/* Replaces the sealed credential (a data-key rotation re-seals it). */
	int (*reseal)(struct store *s, const char *id, const struct buf *sealed, uint32_t key_id,
	              struct ok_error *err);
	/* Up to limit records with an id after after_id (in id order), with their credentials,
	 * sealed under a key other than key_id: the work list of a data-key rotation. */
	int (*list_sealed)(struct store *s, const char *after_id, uint32_t key_id, size_t limit,
	                   store_foreign_fn fn, void *ctx, struct ok_error *err);
};

static inline int store_foreign_put(struct store *s, const struct store_foreign *f,
                                    struct ok_error *err)
{
	return s->ops->foreign->put(s, f, err);
}

static inline int store_foreign_get(struct store *s, const char *id, struct store_foreign *out,
                                    struct ok_error *err)
{
	return s->ops->foreign->get(s, id, out, err);
}

static inline int store_foreign_find(struct store *s, const char *issuer_did,
                                     const char *credential_key, struct store_foreign *out,
                                     struct ok_error *err)
{
	return s->ops->foreign->find(s, issuer_did, credential_key, out, err);
}

static inline int store_foreign_list_by_learner(struct store *s, const char *learner_id,
                                                store_foreign_fn fn, void *ctx,
                                                struct ok_error *err)
{
	return s->ops->foreign->list_by_learner(s, learner_id, fn, ctx, err);
}

static inline int store_foreign_set_status(struct store *s, const char *id, const char *status,
                                           int64_t checked_ms, struct ok_error *err)
{
	return s->ops->foreign->set_status(s, id, status, checked_ms, err);
}

static inline int store_foreign_reseal(struct store *s, const char *id, const struct buf *sealed,
                                       uint32_t key_id, struct ok_error *err)
{
	return s->ops->foreign->reseal(s, id, sealed, key_id, err);
}

static inline int store_foreign_list_sealed(struct store *s, const char *after_id, uint32_t key_id,
                                            size_t limit, store_foreign_fn fn, void *ctx,
                                            struct ok_error *err)
{
	return s->ops->foreign->list_sealed(s, after_id, key_id, limit, fn, ctx, err);
}

#endif
