/* The learner portal's use cases (issue 4): one-time login links, sessions with an idle timeout
 * and a CSRF token, the learner's own view of what is registered about them, shares (the
 * learner's consent to show chosen achievements to a named recipient until a date) and their
 * opening by a verifier, who gets each credential issued and verified on the spot.
 *
 * Invariants:
 * - Tokens are 32 random bytes written in base64url (43 characters); only a BLAKE2b hash of
 *   each is stored, and a token is found by its hash, never compared itself. A token is shown
 *   once: the login link's URL, the session cookie, the share's URL.
 * - A session's CSRF token is derived from its session token (keyed BLAKE2b), so it is never
 *   stored and a copy of the database does not reveal it.
 * - Every read of the learner's data and every change is an audit event: actor
 *   "learner:ID" for the learner, "share:ID" for a verifier opening a share.
 * - Errors name fields, never values; no token and no recipient ever goes into a message.
 */
#ifndef OK_PORTAL_PORTAL_H
#define OK_PORTAL_PORTAL_H

#include <jansson.h>
#include <stdbool.h>

#include "registry/credential.h"
#include "depository/depository.h"
#include "store/portal.h"

#define PORTAL_TOKEN_LEN  43 /* 32 bytes in base64url without padding */
#define PORTAL_TOKEN_SIZE (PORTAL_TOKEN_LEN + 1)
#define PORTAL_URL_MAX    (DEPOSITORY_HOST_MAX + 16 + 16 + PORTAL_TOKEN_LEN)

/* config.json "session_idle_s" and "login_link_ttl_s": seconds, 1..86400 (read by
 * depository_open into d->session_idle_s and d->login_link_ttl_s). */
#define PORTAL_SESSION_IDLE_S_DEFAULT   DEPOSITORY_SESSION_IDLE_S_DEFAULT
#define PORTAL_LOGIN_LINK_TTL_S_DEFAULT DEPOSITORY_LOGIN_LINK_TTL_S_DEFAULT
#define PORTAL_CONFIG_S_MAX             DEPOSITORY_CONFIG_S_MAX
/* A session ends this long after it began, however active. */
#define PORTAL_SESSION_MAX_S 43200

#define PORTAL_SHARE_DAYS_DEFAULT  30
#define PORTAL_SHARE_DAYS_MAX      365
#define PORTAL_RECIPIENT_CHARS_MAX 200
#define PORTAL_SHARE_ACHIEVEMENTS  STORE_SHARE_ACHIEVEMENTS_MAX
#define PORTAL_VIEWS_MAX           10000          /* openings listed at most, newest first */
#define PORTAL_PURPOSE_SELF        "self-service" /* the learner reading their own data */
#define PORTAL_PURPOSE_SHARE       "share"

/* Tokens */

/* Whether s has the form of a token (43 base64url characters). */
bool portal_token_valid(const char *s);
/* The CSRF token of a session token (43 base64url characters). */
void portal_csrf_token(const char *session_token, char out[PORTAL_TOKEN_SIZE]);
/* Whether csrf is the CSRF token of session_token (constant time). */
bool portal_csrf_valid(const char *session_token, const char *csrf);
/* "YYYY-MM-DDTHH:MM:SSZ" of Unix milliseconds. */
void portal_time_iso(int64_t ms, char out[32]);

/* Login links and sessions */

/*
 * Makes a one-time login link for learner_id, valid d->login_link_ttl_s seconds: url gets
 * "BASE/login/TOKEN", *expires_ms its end. actor made it (audited as "login.link").
 * OK_ENOTFOUND when there is no such learner. Links work only where config.json sets
 * allow_login_links (d->allow_login_links): else making, checking and using one fail with
 * OK_EAUTH.
 */
int portal_login_link_create(struct depository *d, const char *learner_id, const char *actor,
                             char url[PORTAL_URL_MAX], int64_t *expires_ms, struct ok_error *err);

/* The same for the learner with national_id (found without opening any personal field). */
int portal_login_link_for_national_id(struct depository *d, const char *national_id,
                                      const char *actor, char url[PORTAL_URL_MAX],
                                      int64_t *expires_ms, struct ok_error *err);

/* The same, with the purpose of the link's audit event (portal_login_link_create's is
 * "support"): a registrar's, from its Oorkonde-Purpose header. */
int portal_login_link_create_for(struct depository *d, const char *learner_id, const char *actor,
                                 const char *purpose, char url[PORTAL_URL_MAX], int64_t *expires_ms,
                                 struct ok_error *err);

struct portal_session {
	char id[STORE_ID_MAX + 1];
	char learner_id[STORE_ID_MAX + 1];
	char token[PORTAL_TOKEN_SIZE]; /* set by portal_login only: the cookie's value */
};

/*
 * Uses a login link: starts a session for its learner (audited as "learner.login", with the
 * session id and, as "via=ACTOR", who made the link) and marks the link used, in one
 * transaction. OK_ENOTFOUND for an unknown token; OK_EGONE when the link
 * was used already or has expired (the message says which).
 */
int portal_login(struct depository *d, const char *token, struct portal_session *out,
                 struct ok_error *err);

/* What portal_login would answer (0, OK_ENOTFOUND or OK_EGONE) without using the link: for
 * the page a GET of the link shows (mail scanners and link previews must not use it up). */
int portal_login_link_check(struct depository *d, const char *token, struct ok_error *err);

/*
 * The live session of a session token, its activity noted. OK_ENOTFOUND for an unknown token;
 * OK_EGONE when it was idle longer than d->session_idle_s or is older than
 * PORTAL_SESSION_MAX_S (it is then ended).
 */
int portal_session_check(struct depository *d, const char *token, struct portal_session *out,
                         struct ok_error *err);

/* Ends a session (logout). */
int portal_session_end(struct depository *d, const struct portal_session *s,
                       struct ok_error *err);

/* The learner's own view (actor "learner:ID", purpose self-service) */

/* {"id", "given_names", "family_name"} of the learner (audited read; new reference). */
int portal_me(struct depository *d, const char *learner_id, json_t **out, struct ok_error *err);

/*
 * {"institutions": [{"code", "name", "country", "achievements": [{"id", "kind", "title",
 * "awarded_on", "credits", "grade", "grading_scheme", "status", "eqf_level"}]}]}: institutions by
 * name; in each, diplomas and degrees first, then newest first (audited; new reference).
 */
int portal_achievements(struct depository *d, const char *learner_id, json_t **out,
                        struct ok_error *err);

/* The learner's own achievement as a signed credential appended to out; OK_ENOTFOUND for
 * another learner's achievement, as for a missing one. */
int portal_credential(struct depository *d, const char *learner_id, const char *achievement_id,
                      enum credential_format f, struct buf *out, struct ok_error *err);

/* Shares */

struct portal_share_input {
	const char *learner_id;
	const char *const *achievements; /* n ids of the learner's own achievements */
	size_t n;
	const char *recipient; /* 1..200 characters */
	int days;              /* 1..365 */
	const char *actor;     /* "learner:ID" or "operator" */
};

/*
 * Creates a share (audited as "share.create"). *out (new reference) gets {"id", "url",
 * "recipient", "expires", "achievements"}: the URL holds the token, shown only here.
 * OK_EINPUT naming the field for a bad input; an achievement that is not the learner's is
 * refused as a missing one would be.
 */
int portal_share_create(struct depository *d, const struct portal_share_input *in, json_t **out,
                        struct ok_error *err);
/* The same from a JSON body {"achievements": [ids], "recipient", "days"?}. */
int portal_share_create_json(struct depository *d, const char *learner_id, const json_t *body,
                             const char *actor, json_t **out, struct ok_error *err);

/* A share as listed: {"id", "recipient", "created", "expires", "revoked", "revoked_at" (or
 * null), "uses", "last_used" (or null), "achievements"} (new reference, NULL when out of
 * memory). */
json_t *portal_share_json(const struct store_share *sh);

/* The learner's shares, newest first, as a JSON array (new reference). actor reads them
 * (audited as "share.list"); NULL: not audited (the caller audits, e.g. an access report). */
int portal_shares_json(struct depository *d, const char *learner_id, const char *actor,
                       json_t **out, struct ok_error *err);

/*
 * Revokes a share (audited as "share.revoke"); *out (new reference, may be NULL) gets it as
 * listed. learner_id: only that learner's share (another's answers OK_ENOTFOUND); NULL: any.
 * OK_ECONFLICT when it was revoked already.
 */
int portal_share_revoke(struct depository *d, const char *learner_id, const char *share_id,
                        const char *actor, json_t **out, struct ok_error *err);

/* The openings of the learner's shares, newest first (at most PORTAL_VIEWS_MAX): a JSON array
 * of {"at", "share_id", "recipient"} (audited; new reference). */
int portal_views_json(struct depository *d, const char *learner_id, json_t **out,
                      struct ok_error *err);

/*
 * Opens a share for a verifier. Unknown token: OK_ENOTFOUND. Expired or revoked (also by a
 * revocation committed while it was being opened): OK_EGONE (the message says which) and *out
 * gets {"state": "expired"|"revoked", "expires"} (or stays NULL). Otherwise *out gets
 * {"state": "valid", "recipient", "expires", "depository": {"did", "name", "network_member"},
 * "achievements": [{"id", "title", "kind", "awarded_on", "credits", "grade", "institution":
 * {"code", "name", "country"}, "credential", "verification"}]}, each credential issued now and
 * verified in full (the VC-API result of POST /credentials/verify). An achievement that is no
 * longer the share's learner's is never issued: its item is {"id", "state": "withdrawn"}.
 * The credentials are issued outside any transaction; then one short transaction counts the
 * opening (use count, last use, a view) and records it (an audit event "share.open" by
 * "share:ID" with the learner as subject, and a "credential.issue" event per credential).
 * Nothing is returned unless that transaction committed.
 */
int portal_share_open(struct depository *d, const char *token, json_t **out, struct ok_error *err);

/* What portal_share_open answers without opening: 0 for a live share (*out stays NULL), else
 * the same OK_ENOTFOUND / OK_EGONE and *out. Counts nothing, issues nothing (for HEAD). */
int portal_share_state(struct depository *d, const char *token, json_t **out, struct ok_error *err);

#endif
