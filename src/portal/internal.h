/* What the learner portal's files share (portal.c, portal_view.c, share.c); only they (and the
 * fuzz target of the share request) include this. */
#ifndef OK_PORTAL_INTERNAL_H
#define OK_PORTAL_INTERNAL_H

#include "audit/txn.h"
#include "portal/portal.h"

/* A fresh token: 32 random bytes in base64url. */
void portal_token_new(char out[PORTAL_TOKEN_SIZE]);
/* The stored hash of a token of a kind ("login", "session", "share"). */
void portal_token_hash(const char *kind, const char *token, unsigned char out[STORE_HASH_BYTES]);
/* An achievement as the portal shows it: {"id", "kind", "title", "awarded_on", "credits" (or
 * null), "grade", "grading_scheme", "status", "eqf_level" (or null)} (new reference). */
json_t *portal_achievement_json(const struct store_achievement *a);
/*
 * The share request of a JSON body {"achievements": [ids], "recipient", "days"?} for learner_id
 * by actor, checked as portal_share_create checks it (no store used): 0 with *out filled (its
 * strings point into body and ids), else OK_EINPUT naming the field.
 */
int portal_share_request(const json_t *body, const char *learner_id, const char *actor,
                         const char *ids[PORTAL_SHARE_ACHIEVEMENTS], struct portal_share_input *out,
                         struct ok_error *err);

/*
 * Starts a session for learner_id in the caller's audit transaction: ended sessions pruned, the
 * new one stored (provider: the OpenID provider that signed it in, "" for a link) and a
 * "learner.login" event "session=ID via=VIA". out gets the token and ids.
 */
int portal_session_open(struct depository *d, struct audit_txn *txn, const char *learner_id,
                        const char *provider, const char *via, struct portal_session *out,
                        struct ok_error *err);

/*
 * The learner of a national identifier of country cc as a national sign-in reads it
 * (remote/oidc.h's schemes; oidc_signin.c): with cc's code in front, or bare with a record of an
 * institution of cc. OK_ENOTFOUND (or OK_EINPUT for a form the importer refuses) when none.
 */
int portal_find_in_scheme(struct depository *d, const char *national_id, const char *cc,
                          char learner_id[STORE_ID_MAX + 1], struct ok_error *err);

#endif
