/* The store's EMREX area (issue 19): the contact points (EMPs/NCPs) of the EMREX registry
 * (EMREG), each with the certificate its ELMO documents must be signed with.
 *
 * Invariants:
 * - One row per acronym; a registry import replaces a contact point's row whole.
 * - Nothing here is personal data. The certificate is public; it is the only key an ELMO
 *   document from that contact point is verified with (elmo/elmo.h).
 * - accept_sha1 is set only by the operator, per contact point (RSA-SHA1 signatures).
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

struct store_emrex_ops {
	/* Inserts n, or replaces the row with its acronym. */
	int (*put)(struct store *s, const struct store_emrex_ncp *n, struct ok_error *err);
	/* OK_ENOTFOUND when no contact point has that acronym. */
	int (*get)(struct store *s, const char *acronym, struct store_emrex_ncp *out,
	           struct ok_error *err);
	/* Every contact point, by acronym. */
	int (*list)(struct store *s, store_emrex_fn fn, void *ctx, struct ok_error *err);
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

#endif
