/* The store's EMREX area (issue 19): the contact points (EMPs/NCPs) of the EMREX registry
 * (EMREG), each with the certificate its ELMO documents must be signed with.
 *
 * Invariants:
 * - One row per acronym; a registry import replaces a contact point's row whole.
 * - Nothing here is personal data. The certificate is public; it is the only key an ELMO
 *   document from that contact point is verified with (elmo/elmo.h).
 * - accept_sha1 is set only by the operator, per contact point (RSA-SHA1 signatures).
 * - An EMREX session (the exchange of one learner's results with a client or a contact point)
 *   is found by the hash of its token only, used once (used_ms set from 0 by exactly one
 *   caller) and worth nothing after expires_ms. It holds no personal data: ids, URLs and the
 *   other side's session id.
 */
#ifndef OK_STORE_EMREX_H
#define OK_STORE_EMREX_H

#include "store/store.h"

#define STORE_EMREX_CERT_MAX 16384

struct store_emrex_ncp {
	char acronym[65];
	char url[513];
	char country[3];
	char institutions[4097]; /* JSON array of the institutions it answers for, as given */
	char cert[STORE_EMREX_CERT_MAX + 1]; /* PEM */
	int accept_sha1;                     /* 0 or 1 */
	int64_t imported_ms;
};

typedef int (*store_emrex_fn)(void *ctx, const struct store_emrex_ncp *n);

#define STORE_EMREX_PEER_MAX 256  /* the other side's sessionId */
#define STORE_EMREX_URL_MAX  1024 /* a returnUrl, or the contact point's URL */

struct store_emrex_session {
	char id[STORE_ID_MAX + 1];
	unsigned char token_hash[STORE_HASH_BYTES];
	char role[8]; /* "ncp": we are the contact point; "client": we asked one */
	char learner_id[STORE_ID_MAX + 1]; /* client: the learner who asked; ncp: "" */
	/* client: the hash of the learner's portal session token (the answer counts only while
	 * that session lives); ncp: zeros */
	unsigned char binding[STORE_HASH_BYTES];
	char peer_session[STORE_EMREX_PEER_MAX + 1]; /* ncp: the client's sessionId; client: "" */
	char url[STORE_EMREX_URL_MAX + 1];           /* ncp: returnUrl; client: the NCP's URL */
	char ncp[65];                                /* client: the contact point's acronym */
	int64_t created_ms, expires_ms, used_ms;     /* used_ms 0 until used */
};

struct store_emrex_ops {
	/* Inserts n, or replaces the row with its acronym. */
	int (*put)(struct store *s, const struct store_emrex_ncp *n, struct ok_error *err);
	/* OK_ENOTFOUND when no contact point has that acronym. */
	int (*get)(struct store *s, const char *acronym, struct store_emrex_ncp *out,
	           struct ok_error *err);
	/* Every contact point, by acronym. */
	int (*list)(struct store *s, store_emrex_fn fn, void *ctx, struct ok_error *err);
	/* EMREX sessions */
	int (*session_put)(struct store *s, const struct store_emrex_session *e,
	                   struct ok_error *err);
	/* OK_ENOTFOUND when no session has that token hash. */
	int (*session_find)(struct store *s, const unsigned char hash[STORE_HASH_BYTES],
	                    struct store_emrex_session *out, struct ok_error *err);
	/* Marks the session used at used_ms; OK_ECONFLICT when it was used already (or is gone). */
	int (*session_use)(struct store *s, const unsigned char hash[STORE_HASH_BYTES],
	                   int64_t used_ms, struct ok_error *err);
	/* Forgets sessions that expired before before_ms. */
	int (*session_prune)(struct store *s, int64_t before_ms, struct ok_error *err);
	/* How many sessions of role are neither used nor expired at now_ms. */
	int (*session_open_count)(struct store *s, const char *role, int64_t now_ms, int64_t *n,
	                          struct ok_error *err);
};

static inline int store_emrex_put(struct store *s, const struct store_emrex_ncp *n,
                                  struct ok_error *err)
{
	return s->ops->emrex->put(s, n, err);
}

static inline int store_emrex_get(struct store *s, const char *acronym, struct store_emrex_ncp *out,
                                  struct ok_error *err)
{
	return s->ops->emrex->get(s, acronym, out, err);
}

static inline int store_emrex_list(struct store *s, store_emrex_fn fn, void *ctx,
                                   struct ok_error *err)
{
	return s->ops->emrex->list(s, fn, ctx, err);
}

static inline int store_emrex_session_put(struct store *s, const struct store_emrex_session *e,
                                          struct ok_error *err)
{
	return s->ops->emrex->session_put(s, e, err);
}

static inline int store_emrex_session_find(struct store *s,
                                           const unsigned char hash[STORE_HASH_BYTES],
                                           struct store_emrex_session *out, struct ok_error *err)
{
	return s->ops->emrex->session_find(s, hash, out, err);
}

static inline int store_emrex_session_use(struct store *s,
                                          const unsigned char hash[STORE_HASH_BYTES],
                                          int64_t used_ms, struct ok_error *err)
{
	return s->ops->emrex->session_use(s, hash, used_ms, err);
}

static inline int store_emrex_session_prune(struct store *s, int64_t before_ms,
                                            struct ok_error *err)
{
	return s->ops->emrex->session_prune(s, before_ms, err);
}

static inline int store_emrex_session_open_count(struct store *s, const char *role, int64_t now_ms,
                                                 int64_t *n, struct ok_error *err)
{
	return s->ops->emrex->session_open_count(s, role, now_ms, n, err);
}

#endif
