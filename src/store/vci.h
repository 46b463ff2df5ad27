/* The store's wallet-issuance area (OpenID4VCI, issue 17): credential offers with their
 * pre-authorized codes, the access tokens they were exchanged for, and single-use values
 * (c_nonces, DPoP proof ids) with an expiry.
 *
 * Invariants:
 * - Codes, PINs, tokens and nonces are never stored: only their hash (oid4vci/), which is the
 *   key they are found by.
 * - An offer is redeemed at most once: offer_redeem is one conditional statement.
 * - A single-use value is taken at most once: once_take deletes it in one statement, and
 *   once_put refuses a value already there (OK_ECONFLICT), so a replay is seen.
 * - Learners and achievements are internal record ids; nothing personal is kept here.
 * - Writes happen in the caller's transaction (store_begin/store_commit), as in store.h.
 */
#ifndef OK_STORE_VCI_H
#define OK_STORE_VCI_H

#include "store/store.h"

#define STORE_VCI_ACHIEVEMENTS_MAX 20
#define STORE_VCI_IDS_MAX          (STORE_VCI_ACHIEVEMENTS_MAX * (STORE_ID_MAX + 1))

struct store_vci_offer {
	char id[STORE_ID_MAX + 1];
	unsigned char offer_hash[STORE_HASH_BYTES]; /* of the offer URI's token */
	unsigned char code_hash[STORE_HASH_BYTES];  /* of the pre-authorized code */
	unsigned char pin_hash[STORE_HASH_BYTES];   /* of the transaction code; zeros: none */
	char learner_id[STORE_ID_MAX + 1];
	char achievements[STORE_VCI_IDS_MAX]; /* "id,id,…" */
	char vct[16];                         /* "own" or "eu-learning" */
	char created_by[129];                 /* the actor who made it */
	int64_t pin_tries;                    /* wrong transaction codes so far */
	int64_t created_ms;
	int64_t expires_ms;
	int64_t redeemed_ms; /* 0 while not redeemed (also set when burnt by wrong PINs) */
};

struct store_vci_token {
	unsigned char token_hash[STORE_HASH_BYTES];
	char offer_id[STORE_ID_MAX + 1];
	char jkt[48]; /* the DPoP key's RFC 7638 thumbprint; "" for a bearer token */
	int64_t created_ms;
	int64_t expires_ms;
};

struct store_vci_ops {
	int (*offer_put)(struct store *s, const struct store_vci_offer *o, struct ok_error *err);
	int (*offer_get)(struct store *s, const char *id, struct store_vci_offer *out,
	                 struct ok_error *err);
	/* By the hash of the offer URI's token, or of the pre-authorized code. */
	int (*offer_by_token)(struct store *s, const unsigned char hash[STORE_HASH_BYTES],
	                      struct store_vci_offer *out, struct ok_error *err);
	int (*offer_by_code)(struct store *s, const unsigned char hash[STORE_HASH_BYTES],
	                     struct store_vci_offer *out, struct ok_error *err);
	/* Marks it redeemed; OK_ECONFLICT when it was already. */
	int (*offer_redeem)(struct store *s, const char *id, int64_t at_ms, struct ok_error *err);
	/* Counts one wrong transaction code of an offer not redeemed yet and, when that makes
	 * max_tries, marks it redeemed at at_ms (burnt), in one statement; *tries the count
	 * after it. OK_ECONFLICT when the offer was redeemed (or burnt) already. */
	int (*offer_wrong_pin)(struct store *s, const char *id, int64_t max_tries, int64_t at_ms,
	                       int64_t *tries, struct ok_error *err);
	int (*token_put)(struct store *s, const struct store_vci_token *t, struct ok_error *err);
	int (*token_find)(struct store *s, const unsigned char hash[STORE_HASH_BYTES],
	                  struct store_vci_token *out, struct ok_error *err);
	/* A single-use value: keep it until expires_ms (OK_ECONFLICT when it is there already);
	 * take it if it is there and not expired at now_ms (else OK_ENOTFOUND). */
	int (*once_put)(struct store *s, const unsigned char hash[STORE_HASH_BYTES],
	                int64_t expires_ms, struct ok_error *err);
	int (*once_take)(struct store *s, const unsigned char hash[STORE_HASH_BYTES],
	                 int64_t now_ms, struct ok_error *err);
	/* Forgets offers, tokens and single-use values that expired before before_ms. */
	int (*prune)(struct store *s, int64_t before_ms, struct ok_error *err);
};

static inline int store_vci_offer_put(struct store *s, const struct store_vci_offer *o,
                                      struct ok_error *err)
{
	return s->ops->vci->offer_put(s, o, err);
}

static inline int store_vci_offer_get(struct store *s, const char *id, struct store_vci_offer *out,
                                      struct ok_error *err)
{
	return s->ops->vci->offer_get(s, id, out, err);
}

static inline int store_vci_offer_by_token(struct store *s,
                                           const unsigned char hash[STORE_HASH_BYTES],
                                           struct store_vci_offer *out, struct ok_error *err)
{
	return s->ops->vci->offer_by_token(s, hash, out, err);
}

static inline int store_vci_offer_by_code(struct store *s,
                                          const unsigned char hash[STORE_HASH_BYTES],
                                          struct store_vci_offer *out, struct ok_error *err)
{
	return s->ops->vci->offer_by_code(s, hash, out, err);
}

static inline int store_vci_offer_redeem(struct store *s, const char *id, int64_t at_ms,
                                         struct ok_error *err)
{
	return s->ops->vci->offer_redeem(s, id, at_ms, err);
}

static inline int store_vci_offer_wrong_pin(struct store *s, const char *id, int64_t max_tries,
                                            int64_t at_ms, int64_t *tries, struct ok_error *err)
{
	return s->ops->vci->offer_wrong_pin(s, id, max_tries, at_ms, tries, err);
}

static inline int store_vci_token_put(struct store *s, const struct store_vci_token *t,
                                      struct ok_error *err)
{
	return s->ops->vci->token_put(s, t, err);
}

static inline int store_vci_token_find(struct store *s, const unsigned char hash[STORE_HASH_BYTES],
                                       struct store_vci_token *out, struct ok_error *err)
{
	return s->ops->vci->token_find(s, hash, out, err);
}

static inline int store_vci_once_put(struct store *s, const unsigned char hash[STORE_HASH_BYTES],
                                     int64_t expires_ms, struct ok_error *err)
{
	return s->ops->vci->once_put(s, hash, expires_ms, err);
}

static inline int store_vci_once_take(struct store *s, const unsigned char hash[STORE_HASH_BYTES],
                                      int64_t now_ms, struct ok_error *err)
{
	return s->ops->vci->once_take(s, hash, now_ms, err);
}

static inline int store_vci_prune(struct store *s, int64_t before_ms, struct ok_error *err)
{
	return s->ops->vci->prune(s, before_ms, err);
}

#endif
