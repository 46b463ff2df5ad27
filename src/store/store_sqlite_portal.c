/* The SQLite side of the store's portal area (see portal.h): login links, sessions, shares and
 * their openings, in the tables of the portal migration. */
#include "store/portal.h"
#include "store/sqlite_internal.h"

/* Login links */

#define LINK_COLS "token_hash, learner_id, created_by, created_ms, expires_ms, used_ms"
static const struct sqlite_col link_col[] = {
        SQLITE_COL(struct store_login_link, token_hash, SQ_BLOB),
        SQLITE_COL(struct store_login_link, learner_id, SQ_TEXT),
        SQLITE_COL(struct store_login_link, created_by, SQ_TEXT),
        SQLITE_COL(struct store_login_link, created_ms, SQ_INT),
        SQLITE_COL(struct store_login_link, expires_ms, SQ_INT),
        SQLITE_COL(struct store_login_link, used_ms, SQ_INT),
};
static const struct sqlite_cols link_cols = SQLITE_COLS(link_col);

static const struct sqlite_query LINK_PUT = {
        ST_LINK_PUT, "INSERT INTO login_link (" LINK_COLS ") VALUES (?, ?, ?, ?, ?, ?)",
        "add a login link", &link_cols, NULL};
static const struct sqlite_query LINK_FIND = {
        ST_LINK_FIND, "SELECT " LINK_COLS " FROM login_link WHERE token_hash = ?",
        "find a login link", NULL, &link_cols};
/* (token_hash, used_ms) */
static const struct sqlite_query LINK_USE = {
        ST_LINK_USE, "UPDATE login_link SET used_ms = ?2 WHERE token_hash = ?1 AND used_ms = 0",
        "use a login link", NULL, NULL};
static const struct sqlite_query LINK_PRUNE = {ST_LINK_PRUNE,
                                               "DELETE FROM login_link WHERE expires_ms < ?",
                                               "forget expired login links", NULL, NULL};

/* Sessions */

#define SESSION_COLS "id, token_hash, learner_id, created_ms, last_seen_ms, provider"
static const struct sqlite_col session_col[] = {
        SQLITE_COL(struct store_session, id, SQ_TEXT),
        SQLITE_COL(struct store_session, token_hash, SQ_BLOB),
        SQLITE_COL(struct store_session, learner_id, SQ_TEXT),
        SQLITE_COL(struct store_session, created_ms, SQ_INT),
        SQLITE_COL(struct store_session, last_seen_ms, SQ_INT),
        SQLITE_COL(struct store_session, provider, SQ_TEXT),
};
static const struct sqlite_cols session_cols = SQLITE_COLS(session_col);

static const struct sqlite_query SESSION_PUT = {
        ST_SESSION_PUT, "INSERT INTO session (" SESSION_COLS ") VALUES (?, ?, ?, ?, ?, ?)",
        "add a session", &session_cols, NULL};
static const struct sqlite_query SESSION_FIND = {
        ST_SESSION_FIND, "SELECT " SESSION_COLS " FROM session WHERE token_hash = ?",
        "find a session", NULL, &session_cols};
/* (id, at_ms) */
static const struct sqlite_query SESSION_TOUCH = {
        ST_SESSION_TOUCH, "UPDATE session SET last_seen_ms = max(last_seen_ms, ?2) WHERE id = ?1",
        "note a session's activity", NULL, NULL};
static const struct sqlite_query SESSION_DELETE = {
        ST_SESSION_DELETE, "DELETE FROM session WHERE id = ?", "end a session", NULL, NULL};
/* (idle_before_ms, started_before_ms) */
static const struct sqlite_query SESSION_PRUNE = {
        ST_SESSION_PRUNE, "DELETE FROM session WHERE last_seen_ms < ?1 OR created_ms < ?2",
        "forget ended sessions", NULL, NULL};

/* Shares */

#define SHARE_COLS                                                                      \
	"id, token_hash, learner_id, recipient, achievements, created_ms, expires_ms, " \
	"revoked_ms, uses, last_used_ms"
static const struct sqlite_col share_col[] = {
        SQLITE_COL(struct store_share, id, SQ_TEXT),
        SQLITE_COL(struct store_share, token_hash, SQ_BLOB),
        SQLITE_COL(struct store_share, learner_id, SQ_TEXT),
        SQLITE_COL(struct store_share, recipient, SQ_TEXT),
        SQLITE_COL(struct store_share, achievements, SQ_TEXT),
        SQLITE_COL(struct store_share, created_ms, SQ_INT),
        SQLITE_COL(struct store_share, expires_ms, SQ_INT),
        SQLITE_COL(struct store_share, revoked_ms, SQ_INT),
        SQLITE_COL(struct store_share, uses, SQ_INT),
        SQLITE_COL(struct store_share, last_used_ms, SQ_INT),
};
static const struct sqlite_cols share_cols = SQLITE_COLS(share_col);

static const struct sqlite_query SHARE_PUT = {
        ST_SHARE_PUT, "INSERT INTO share (" SHARE_COLS ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        "add a share", &share_cols, NULL};
static const struct sqlite_query SHARE_GET = {ST_SHARE_GET,
                                              "SELECT " SHARE_COLS " FROM share WHERE id = ?",
                                              "read a share", NULL, &share_cols};
static const struct sqlite_query SHARE_FIND = {
        ST_SHARE_FIND, "SELECT " SHARE_COLS " FROM share WHERE token_hash = ?", "read a share",
        NULL, &share_cols};
static const struct sqlite_query SHARE_LIST = {
        ST_SHARE_LIST,
        "SELECT " SHARE_COLS " FROM share WHERE learner_id = ? ORDER BY created_ms DESC, id DESC",
        "list a learner's shares", NULL, &share_cols};
/* (id, at_ms) */
static const struct sqlite_query SHARE_REVOKE = {
        ST_SHARE_REVOKE, "UPDATE share SET revoked_ms = ?2 WHERE id = ?1 AND revoked_ms = 0",
        "revoke a share", NULL, NULL};
static const struct sqlite_query SHARE_EXISTS = {ST_SHARE_EXISTS,
                                                 "SELECT 1 AS n FROM share WHERE id = ?",
                                                 "find a share", NULL, &sqlite_count_cols};
/* (id, at_ms) */
static const struct sqlite_query SHARE_USE = {
        ST_SHARE_USE,
        "UPDATE share SET uses = uses + 1, last_used_ms = max(last_used_ms, ?2) WHERE id = ?1 "
        "AND revoked_ms = 0 AND expires_ms > ?2",
        "count a share's use", NULL, NULL};
/* (share_id, at_ms) */
static const struct sqlite_query VIEW_PUT = {
        ST_VIEW_PUT, "INSERT INTO share_view (share_id, at_ms) VALUES (?, ?)",
        "record a share's opening", NULL, NULL};

static const struct sqlite_col view_col[] = {
        SQLITE_COL(struct store_share_view, at_ms, SQ_INT),
        SQLITE_COL(struct store_share_view, share_id, SQ_TEXT),
        SQLITE_COL(struct store_share_view, recipient, SQ_TEXT),
};
static const struct sqlite_cols view_cols = SQLITE_COLS(view_col);

/* (learner_id, limit) */
static const struct sqlite_query VIEW_LIST = {
        ST_VIEW_LIST,
        "SELECT v.at_ms, s.id AS share_id, s.recipient FROM share_view v "
        "JOIN share s ON s.id = v.share_id "
        "WHERE s.learner_id = ? ORDER BY v.at_ms DESC, v.rowid DESC LIMIT ?",
        "list the openings of shares", NULL, &view_cols};

/* OpenID sign-in flows */

#define FLOW_COLS "state_hash, provider, nonce_hash, verifier_hash, created_ms, expires_ms"
static const struct sqlite_col flow_col[] = {
        SQLITE_COL(struct store_oidc_flow, state_hash, SQ_BLOB),
        SQLITE_COL(struct store_oidc_flow, provider, SQ_TEXT),
        SQLITE_COL(struct store_oidc_flow, nonce_hash, SQ_BLOB),
        SQLITE_COL(struct store_oidc_flow, verifier_hash, SQ_BLOB),
        SQLITE_COL(struct store_oidc_flow, created_ms, SQ_INT),
        SQLITE_COL(struct store_oidc_flow, expires_ms, SQ_INT),
};
static const struct sqlite_cols flow_cols = SQLITE_COLS(flow_col);

static const struct sqlite_query FLOW_PUT = {
        ST_OIDC_FLOW_PUT, "INSERT INTO oidc_flow (" FLOW_COLS ") VALUES (?, ?, ?, ?, ?, ?)",
        "start a sign-in", &flow_cols, NULL};
/* (state_hash, provider, nonce_hash, verifier_hash, now_ms) */
static const struct sqlite_query FLOW_TAKE = {
        ST_OIDC_FLOW_TAKE,
        "DELETE FROM oidc_flow WHERE state_hash = ?1 AND provider = ?2 AND nonce_hash = ?3 "
        "AND verifier_hash = ?4 AND expires_ms > ?5",
        "finish a sign-in", NULL, NULL};
static const struct sqlite_query FLOW_PRUNE = {ST_OIDC_FLOW_PRUNE,
                                               "DELETE FROM oidc_flow WHERE expires_ms < ?",
                                               "forget expired sign-ins", NULL, NULL};

static int oidc_flow_put(struct store *base, const struct store_oidc_flow *f,
                         struct ok_error *err)
{
	return sqlite_exec(sq(base), &FLOW_PUT, f, SQLITE_NO_ARGS, err);
}

static int oidc_flow_take(struct store *base, const struct store_oidc_flow *f, int64_t now_ms,
                          struct ok_error *err)
{
	struct store_sqlite *s = sq(base);
	int rc = sqlite_exec(s, &FLOW_TAKE, NULL,
	                     SQLITE_ARGS(SQ_ARG_BLOB(f->state_hash, STORE_HASH_BYTES),
	                                 SQ_ARG_TEXT(f->provider),
	                                 SQ_ARG_BLOB(f->nonce_hash, STORE_HASH_BYTES),
	                                 SQ_ARG_BLOB(f->verifier_hash, STORE_HASH_BYTES),
	                                 SQ_ARG_INT(now_ms)),
	                     err);

	if (rc)
		return rc;
	if (sqlite_changes(s) == 0)
		return ok_fail(err, OK_ENOTFOUND, "no such sign-in, or it was finished already");
	return 0;
}

static int oidc_flow_prune(struct store *base, int64_t before_ms, struct ok_error *err)
{
	return sqlite_exec(sq(base), &FLOW_PRUNE, NULL, SQLITE_ARGS(SQ_ARG_INT(before_ms)), err);
}

/* Login links */

static int login_link_put(struct store *base, const struct store_login_link *l,
                          struct ok_error *err)
{
	return sqlite_exec(sq(base), &LINK_PUT, l, SQLITE_NO_ARGS, err);
}

static int login_link_find(struct store *base, const unsigned char hash[STORE_HASH_BYTES],
                           struct store_login_link *out, struct ok_error *err)
{
	return sqlite_get(sq(base), &LINK_FIND, SQLITE_ARGS(SQ_ARG_BLOB(hash, STORE_HASH_BYTES)),
	                  out, err);
}

static int login_link_use(struct store *base, const unsigned char hash[STORE_HASH_BYTES],
                          int64_t used_ms, struct ok_error *err)
{
	struct store_sqlite *s = sq(base);
	int rc = sqlite_exec(s, &LINK_USE, NULL,
	                     SQLITE_ARGS(SQ_ARG_BLOB(hash, STORE_HASH_BYTES), SQ_ARG_INT(used_ms)),
	                     err);

	if (rc)
		return rc;
	if (sqlite_changes(s) == 0)
		return ok_fail(err, OK_ECONFLICT, "the login link was used already");
	return 0;
}

static int login_link_prune(struct store *base, int64_t before_ms, struct ok_error *err)
{
	return sqlite_exec(sq(base), &LINK_PRUNE, NULL, SQLITE_ARGS(SQ_ARG_INT(before_ms)), err);
}

/* Sessions */

static int session_put(struct store *base, const struct store_session *se, struct ok_error *err)
{
	return sqlite_exec(sq(base), &SESSION_PUT, se, SQLITE_NO_ARGS, err);
}

static int session_find(struct store *base, const unsigned char hash[STORE_HASH_BYTES],
                        struct store_session *out, struct ok_error *err)
{
	return sqlite_get(sq(base), &SESSION_FIND, SQLITE_ARGS(SQ_ARG_BLOB(hash, STORE_HASH_BYTES)),
	                  out, err);
}

static int session_touch(struct store *base, const char *id, int64_t at_ms, struct ok_error *err)
{
	return sqlite_exec(sq(base), &SESSION_TOUCH, NULL,
	                   SQLITE_ARGS(SQ_ARG_TEXT(id), SQ_ARG_INT(at_ms)), err);
}

static int session_delete(struct store *base, const char *id, struct ok_error *err)
{
	struct store_sqlite *s = sq(base);
	int rc = sqlite_exec(s, &SESSION_DELETE, NULL, SQLITE_ARGS(SQ_ARG_TEXT(id)), err);

	if (rc)
		return rc;
	return sqlite_changes(s) ? 0 : ok_fail(err, OK_ENOTFOUND, "no such session");
}

static int session_prune(struct store *base, int64_t idle_before_ms, int64_t started_before_ms,
                         struct ok_error *err)
{
	return sqlite_exec(sq(base), &SESSION_PRUNE, NULL,
	                   SQLITE_ARGS(SQ_ARG_INT(idle_before_ms), SQ_ARG_INT(started_before_ms)),
	                   err);
}

/* Shares */

static int share_put(struct store *base, const struct store_share *sh, struct ok_error *err)
{
	return sqlite_exec(sq(base), &SHARE_PUT, sh, SQLITE_NO_ARGS, err);
}

static int share_get(struct store *base, const char *id, struct store_share *out,
                     struct ok_error *err)
{
	return sqlite_get(sq(base), &SHARE_GET, SQLITE_ARGS(SQ_ARG_TEXT(id)), out, err);
}

static int share_find(struct store *base, const unsigned char hash[STORE_HASH_BYTES],
                      struct store_share *out, struct ok_error *err)
{
	return sqlite_get(sq(base), &SHARE_FIND, SQLITE_ARGS(SQ_ARG_BLOB(hash, STORE_HASH_BYTES)),
	                  out, err);
}

static int share_list_by_learner(struct store *base, const char *learner_id, store_share_fn fn,
                                 void *ctx, struct ok_error *err)
{
	struct store_sqlite *s = sq(base);
	struct store_share sh;
	int rc = sqlite_query(s, &SHARE_LIST, SQLITE_ARGS(SQ_ARG_TEXT(learner_id)), err);

	while (!rc && (rc = sqlite_next(s, &SHARE_LIST, &sh, err)) > 0)
		rc = fn(ctx, &sh);
	return sqlite_end(s, &SHARE_LIST, rc);
}

static int share_exists(struct store_sqlite *s, const char *id, struct ok_error *err)
{
	struct sqlite_count_row r;
	int rc = sqlite_get(s, &SHARE_EXISTS, SQLITE_ARGS(SQ_ARG_TEXT(id)), &r, err);

	if (rc == OK_ENOTFOUND)
		return ok_fail(err, OK_ENOTFOUND, "no such share");
	return rc;
}

static int share_revoke(struct store *base, const char *id, int64_t at_ms, struct ok_error *err)
{
	struct store_sqlite *s = sq(base);
	int rc = sqlite_exec(s, &SHARE_REVOKE, NULL,
	                     SQLITE_ARGS(SQ_ARG_TEXT(id), SQ_ARG_INT(at_ms)), err);

	if (rc)
		return rc;
	if (sqlite_changes(s))
		return 0;
	if ((rc = share_exists(s, id, err)))
		return rc;
	return ok_fail(err, OK_ECONFLICT, "the share was revoked already");
}

static int share_use(struct store *base, const char *id, int64_t at_ms, struct ok_error *err)
{
	struct store_sqlite *s = sq(base);
	int rc = sqlite_exec(s, &SHARE_USE, NULL, SQLITE_ARGS(SQ_ARG_TEXT(id), SQ_ARG_INT(at_ms)),
	                     err);

	if (rc)
		return rc;
	/* Checked in the same statement that counts: a revocation committed since the caller
	 * looked is seen here. */
	if (sqlite_changes(s) == 0)
		return (rc = share_exists(s, id, err))
		               ? rc
		               : ok_fail(err, OK_EGONE, "the share was revoked or has expired");
	return sqlite_exec(s, &VIEW_PUT, NULL, SQLITE_ARGS(SQ_ARG_TEXT(id), SQ_ARG_INT(at_ms)),
	                   err);
}

static int view_list_by_learner(struct store *base, const char *learner_id, size_t limit,
                                store_share_view_fn fn, void *ctx, struct ok_error *err)
{
	struct store_sqlite *s = sq(base);
	struct store_share_view v;
	int rc = sqlite_query(
	        s, &VIEW_LIST,
	        SQLITE_ARGS(SQ_ARG_TEXT(learner_id), SQ_ARG_INT(limit > 1000000 ? 1000000 : limit)),
	        err);

	while (!rc && (rc = sqlite_next(s, &VIEW_LIST, &v, err)) > 0)
		rc = fn(ctx, &v);
	return sqlite_end(s, &VIEW_LIST, rc);
}

const struct store_portal_ops sqlite_portal_ops = {
        .login_link_put = login_link_put,
        .login_link_find = login_link_find,
        .login_link_use = login_link_use,
        .login_link_prune = login_link_prune,
        .session_put = session_put,
        .session_find = session_find,
        .session_touch = session_touch,
        .session_delete = session_delete,
        .session_prune = session_prune,
        .share_put = share_put,
        .share_get = share_get,
        .share_find = share_find,
        .share_list_by_learner = share_list_by_learner,
        .share_revoke = share_revoke,
        .share_use = share_use,
        .view_list_by_learner = view_list_by_learner,
        .oidc_flow_put = oidc_flow_put,
        .oidc_flow_take = oidc_flow_take,
        .oidc_flow_prune = oidc_flow_prune,
};
