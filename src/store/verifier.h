/* The store's verifier area (issue 18): the requests this depository makes as an OpenID4VP
 * verifier, each answered at most once, and the result of its answer, kept a short while.
 *
 * Invariants:
 * - One row per request, keyed by its random id; view_hash (SHA-256 of the random token that
 *   shows the result) is unique. The request's nonce and state are random and not secret from
 *   the wallet; the view token is only ever held by whoever made the request.
 * - answered_ms is 0 until the one answer: store_vp_answer sets it in one conditional statement
 *   that also requires the request to be unexpired, so two answers never both count.
 * - The result names the holder: it is sealed (privacy/seal.h, field "vp_result", bound to the
 *   request id), as is the ephemeral decryption key of a direct_post.jwt request ("vp_enc_key").
 * - signin_from and signin_net are "" except on a wallet sign-in, where they hold the keyed
 *   hashes (hex) of the address and the network it was started from, and on an anonymous
 *   verifier request, where signin_from is one keyed hash all of them share and signin_net its
 *   network's (keyed apart from sign-ins'): indexed, so that store_vp_count_client counts one
 *   client's open sign-ins, or the anonymous requests and one network's, without reading any
 *   spec.
 * - keep_until_ms is when the row goes: store_vp_prune deletes every row past it (an unanswered
 *   request some time after it expired, an answered one when its result's time is up).
 */
#ifndef OK_STORE_VERIFIER_H
#define OK_STORE_VERIFIER_H

#include "store/store.h"

#define STORE_VP_SPEC_MAX   16384               /* the request's parameters as JSON */
#define STORE_VP_RESULT_MAX ((size_t)256 << 10) /* a sealed result */
#define STORE_VP_KEY_MAX    256                 /* a sealed ephemeral key */
#define STORE_VP_HASH_BYTES 32
#define STORE_VP_TAG_MAX    64 /* a sign-in's keyed hash of its address or network, in hex */

struct store_vp_request {
	char id[STORE_ID_MAX + 1];
	uint8_t view_hash[STORE_VP_HASH_BYTES];
	char nonce[64];
	char state[64];
	char spec[STORE_VP_SPEC_MAX + 1]; /* JSON: the DCQL query, response mode, labels */
	int64_t created_ms;
	int64_t expires_ms;    /* the wallet must answer before this */
	int64_t answered_ms;   /* 0: not answered */
	int64_t keep_until_ms; /* the row is deleted after this */
	int verified;          /* 1 when the answer was verified */
	uint32_t key_id;       /* the data key enc_key and result are sealed under */
	struct buf enc_key;    /* sealed; empty unless the response is encrypted */
	struct buf result;     /* sealed JSON; empty until answered */
	char signin_from[STORE_VP_TAG_MAX + 1]; /* a sign-in's address key; "" otherwise */
	char signin_net[STORE_VP_TAG_MAX + 1];  /* and its network's key */
};

/* How many wallet sign-ins one client holds open: from its address and from its network. */
struct store_vp_client_count {
	int64_t address;
	int64_t network;
};

struct store_vp_ops {
	int (*put)(struct store *s, const struct store_vp_request *r, struct ok_error *err);
	/* OK_ENOTFOUND when there is no such request (out's bufs must be initialised). */
	int (*get)(struct store *s, const char *id, struct store_vp_request *out,
	           struct ok_error *err);
	int (*find_view)(struct store *s, const uint8_t hash[STORE_VP_HASH_BYTES],
	                 struct store_vp_request *out, struct ok_error *err);
	/* Records r's answered_ms, keep_until_ms, verified, key_id and result on request r->id
	 * when it is unanswered and expires after now_ms; OK_ENOTFOUND (no message) otherwise. */
	int (*answer)(struct store *s, const struct store_vp_request *r, int64_t now_ms,
	              struct ok_error *err);
	/* How many requests the store holds (every one not yet pruned). */
	int (*count)(struct store *s, int64_t *out, struct ok_error *err);
	/* How many of them are wallet sign-ins (a spec with "signin":true, as oid4vp writes
	 * it), so that each kind has its own share of the cap. */
	int (*count_signin)(struct store *s, int64_t *out, struct ok_error *err);
	/* How many requests have signin_from address, and how many signin_net network (both
	 * non-empty), in one statement over the two columns' indexes. */
	int (*count_client)(struct store *s, const char *address, const char *network,
	                    struct store_vp_client_count *out, struct ok_error *err);
	/* Deletes every request whose keep_until_ms is at or before now_ms. */
	int (*prune)(struct store *s, int64_t now_ms, struct ok_error *err);
	/* Deletes request id when it is answered and its result still kept at now_ms, in one
	 * statement (a wallet sign-in's result is used once); OK_ENOTFOUND (no message) when
	 * there is no such row. */
	int (*take)(struct store *s, const char *id, int64_t now_ms, struct ok_error *err);
};

static inline int store_vp_put(struct store *s, const struct store_vp_request *r,
                               struct ok_error *err)
{
	return s->ops->verifier->put(s, r, err);
}

static inline int store_vp_get(struct store *s, const char *id, struct store_vp_request *out,
                               struct ok_error *err)
{
	return s->ops->verifier->get(s, id, out, err);
}

static inline int store_vp_find_view(struct store *s, const uint8_t hash[STORE_VP_HASH_BYTES],
                                     struct store_vp_request *out, struct ok_error *err)
{
	return s->ops->verifier->find_view(s, hash, out, err);
}

static inline int store_vp_answer(struct store *s, const struct store_vp_request *r, int64_t now_ms,
                                  struct ok_error *err)
{
	return s->ops->verifier->answer(s, r, now_ms, err);
}

static inline int store_vp_count(struct store *s, int64_t *out, struct ok_error *err)
{
	return s->ops->verifier->count(s, out, err);
}

static inline int store_vp_count_signin(struct store *s, int64_t *out, struct ok_error *err)
{
	return s->ops->verifier->count_signin(s, out, err);
}

static inline int store_vp_count_client(struct store *s, const char *address, const char *network,
                                        struct store_vp_client_count *out, struct ok_error *err)
{
	return s->ops->verifier->count_client(s, address, network, out, err);
}

static inline int store_vp_prune(struct store *s, int64_t now_ms, struct ok_error *err)
{
	return s->ops->verifier->prune(s, now_ms, err);
}

static inline int store_vp_take(struct store *s, const char *id, int64_t now_ms,
                                struct ok_error *err)
{
	return s->ops->verifier->take(s, id, now_ms, err);
}
#endif
