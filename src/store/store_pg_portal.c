/* The PostgreSQL side of the store's portal area (see portal.h): login links, sessions, shares
 * and their openings. Several servers share these rows, so every change that depends on a row's
 * state (a link used once, a share opened only while live, a session's last activity) is one
 * conditional statement, never a read followed by a write. */
#include "store/pg_internal.h"
#include "store/portal.h"

/* Login links */

#define LINK_COLS "token_hash, learner_id, created_by, created_ms, expires_ms, used_ms"
static const struct pg_col link_col[] = {
        PG_COL(struct store_login_link, token_hash, PG_BLOB),
        PG_COL(struct store_login_link, learner_id, PG_TEXT),
        PG_COL(struct store_login_link, created_by, PG_TEXT),
        PG_COL(struct store_login_link, created_ms, PG_INT),
        PG_COL(struct store_login_link, expires_ms, PG_INT),
        PG_COL(struct store_login_link, used_ms, PG_INT),
};
static const struct pg_cols link_cols = PG_COLS(link_col);

static const struct pg_query LINK_PUT = {"INSERT INTO login_link (" LINK_COLS
                                         ") VALUES ($1, $2, $3, $4, $5, $6) "
                                         "ON CONFLICT DO NOTHING",
                                         "add a login link", &link_cols, NULL};
static const struct pg_query LINK_FIND = {"SELECT " LINK_COLS
                                          " FROM login_link WHERE token_hash = $1",
                                          "find a login link", NULL, &link_cols};
/* (token_hash, used_ms): a second use waits for the first's row lock, then finds used_ms set
 * and changes nothing. */
static const struct pg_query LINK_USE = {
        "UPDATE login_link SET used_ms = $2 WHERE token_hash = $1 AND used_ms = 0",
        "use a login link", NULL, NULL};
static const struct pg_query LINK_PRUNE = {"DELETE FROM login_link WHERE expires_ms < $1",
                                           "forget expired login links", NULL, NULL};

/* Sessions */

#define SESSION_COLS "id, token_hash, learner_id, created_ms, last_seen_ms, provider"
static const struct pg_col session_col[] = {
        PG_COL(struct store_session, id, PG_TEXT),
        PG_COL(struct store_session, token_hash, PG_BLOB),
        PG_COL(struct store_session, learner_id, PG_TEXT),
        PG_COL(struct store_session, created_ms, PG_INT),
        PG_COL(struct store_session, last_seen_ms, PG_INT),
        PG_COL(struct store_session, provider, PG_TEXT),
};
static const struct pg_cols session_cols = PG_COLS(session_col);

static const struct pg_query SESSION_PUT = {"INSERT INTO session (" SESSION_COLS
                                            ") VALUES ($1, $2, $3, $4, $5, $6) "
                                            "ON CONFLICT DO NOTHING",
                                            "add a session", &session_cols, NULL};
static const struct pg_query SESSION_FIND = {"SELECT " SESSION_COLS
                                             " FROM session WHERE token_hash = $1",
                                             "find a session", NULL, &session_cols};
/* (id, at_ms) */
static const struct pg_query SESSION_TOUCH = {
        "UPDATE session SET last_seen_ms = greatest(last_seen_ms, $2::bigint) WHERE id = $1",
        "note a session's activity", NULL, NULL};
static const struct pg_query SESSION_DELETE = {"DELETE FROM session WHERE id = $1", "end a session",
                                               NULL, NULL};
/* (idle_before_ms, started_before_ms) */
static const struct pg_query SESSION_PRUNE = {
        "DELETE FROM session WHERE last_seen_ms < $1 OR created_ms < $2", "forget ended sessions",
        NULL, NULL};

/* Shares */

#define SHARE_COLS                                                                      \
	"id, token_hash, learner_id, recipient, achievements, created_ms, expires_ms, " \
	"revoked_ms, uses, last_used_ms"
static const struct pg_col share_col[] = {
        PG_COL(struct store_share, id, PG_TEXT),
        PG_COL(struct store_share, token_hash, PG_BLOB),
        PG_COL(struct store_share, learner_id, PG_TEXT),
        PG_COL(struct store_share, recipient, PG_TEXT),
        PG_COL(struct store_share, achievements, PG_TEXT),
        PG_COL(struct store_share, created_ms, PG_INT),
        PG_COL(struct store_share, expires_ms, PG_INT),
        PG_COL(struct store_share, revoked_ms, PG_INT),
        PG_COL(struct store_share, uses, PG_INT),
        PG_COL(struct store_share, last_used_ms, PG_INT),
};
static const struct pg_cols share_cols = PG_COLS(share_col);

static const struct pg_query SHARE_PUT = {"INSERT INTO share (" SHARE_COLS
                                          ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) "
                                          "ON CONFLICT DO NOTHING",
                                          "add a share", &share_cols, NULL};
static const struct pg_query SHARE_GET = {"SELECT " SHARE_COLS " FROM share WHERE id = $1",
                                          "read a share", NULL, &share_cols};
static const struct pg_query SHARE_FIND = {"SELECT " SHARE_COLS " FROM share WHERE token_hash = $1",
                                           "read a share", NULL, &share_cols};
/* (learner_id, then the key: created_ms, id) in pages, newest first. */
static const struct pg_query SHARE_LIST = {
        "SELECT " SHARE_COLS " FROM share WHERE learner_id = $1 AND (created_ms, id) < ($2, $3) "
        "ORDER BY created_ms DESC, id DESC LIMIT $4",
        "list a learner's shares", NULL, &share_cols};
static const struct pg_page SHARE_PAGE = {PG_PAGE, 2, {5, 0}}; /* before created_ms, id */
/* (id, at_ms) */
static const struct pg_query SHARE_REVOKE = {
        "UPDATE share SET revoked_ms = $2 WHERE id = $1 AND revoked_ms = 0", "revoke a share", NULL,
        NULL};
static const struct pg_query SHARE_EXISTS = {"SELECT 1 AS n FROM share WHERE id = $1",
                                             "find a share", NULL, &pg_count_cols};
/* (id, at_ms): the count and the view row in one statement; the share's state is checked on
 * the row the update locks, so a revocation committed by another server meanwhile is seen. */
static const struct pg_query SHARE_USE = {
        "WITH used AS (UPDATE share SET uses = uses + 1, "
        "last_used_ms = greatest(last_used_ms, $2::bigint) "
        "WHERE id = $1 AND revoked_ms = 0 AND expires_ms > $2::bigint RETURNING id) "
        "INSERT INTO share_view (share_id, at_ms) SELECT id, $2::bigint FROM used",
        "record a share's opening", NULL, NULL};

static const struct pg_col view_col[] = {
        PG_COL(struct store_share_view, at_ms, PG_INT),
        PG_COL(struct store_share_view, share_id, PG_TEXT),
        PG_COL(struct store_share_view, recipient, PG_TEXT),
};
static const struct pg_cols view_cols = PG_COLS(view_col);

/* (learner_id, limit) */
static const struct pg_query VIEW_LIST = {
        "SELECT v.at_ms, s.id AS share_id, s.recipient FROM share_view v "
        "JOIN share s ON s.id = v.share_id "
        "WHERE s.learner_id = $1 ORDER BY v.at_ms DESC, v.n DESC LIMIT $2",
        "list the openings of shares", NULL, &view_cols};

/* OpenID sign-in flows */

#define FLOW_COLS "state_hash, provider, nonce_hash, verifier_hash, created_ms, expires_ms"
static const struct pg_col flow_col[] = {
        PG_COL(struct store_oidc_flow, state_hash, PG_BLOB),
        PG_COL(struct store_oidc_flow, provider, PG_TEXT),
        PG_COL(struct store_oidc_flow, nonce_hash, PG_BLOB),
        PG_COL(struct store_oidc_flow, verifier_hash, PG_BLOB),
        PG_COL(struct store_oidc_flow, created_ms, PG_INT),
        PG_COL(struct store_oidc_flow, expires_ms, PG_INT),
};
static const struct pg_cols flow_cols = PG_COLS(flow_col);

static const struct pg_query FLOW_PUT = {"INSERT INTO oidc_flow (" FLOW_COLS
                                         ") VALUES ($1, $2, $3, $4, $5, $6)",
                                         "start a sign-in", &flow_cols, NULL};
/* (state_hash, provider, nonce_hash, verifier_hash, now_ms): a second take waits for the
 * first's row lock, then finds no row. */
static const struct pg_query FLOW_TAKE = {
        "DELETE FROM oidc_flow WHERE state_hash = $1 AND provider = $2 AND nonce_hash = $3 "
        "AND verifier_hash = $4 AND expires_ms > $5",
        "finish a sign-in", NULL, NULL};
static const struct pg_query FLOW_PRUNE = {"DELETE FROM oidc_flow WHERE expires_ms < $1",
                                           "forget expired sign-ins", NULL, NULL};

static int oidc_flow_put(struct store *base, const struct store_oidc_flow *f,
                         struct ok_error *err)
{
	return pg_add(pgs(base), &FLOW_PUT, f, PG_NO_ARGS, err);
}

static int oidc_flow_take(struct store *base, const struct store_oidc_flow *f, int64_t now_ms,
                          struct ok_error *err)
{
	int rc = pg_change(pgs(base), &FLOW_TAKE, NULL,
	                   PG_ARGS(PG_ARG_BLOB(f->state_hash, STORE_HASH_BYTES),
	                           PG_ARG_TEXT(f->provider),
	                           PG_ARG_BLOB(f->nonce_hash, STORE_HASH_BYTES),
	                           PG_ARG_BLOB(f->verifier_hash, STORE_HASH_BYTES),
	                           PG_ARG_INT(now_ms)),
	                   err);

	if (rc == OK_ENOTFOUND)
		return ok_fail(err, OK_ENOTFOUND, "no such sign-in, or it was finished already");
	return rc;
}

static int oidc_flow_prune(struct store *base, int64_t before_ms, struct ok_error *err)
{
	return pg_run(pgs(base), &FLOW_PRUNE, NULL, PG_ARGS(PG_ARG_INT(before_ms)), NULL, err);
}

/* Login links */

static int login_link_put(struct store *base, const struct store_login_link *l,
                          struct ok_error *err)
{
	return pg_add(pgs(base), &LINK_PUT, l, PG_NO_ARGS, err);
}

static int login_link_find(struct store *base, const unsigned char hash[STORE_HASH_BYTES],
                           struct store_login_link *out, struct ok_error *err)
{
	return pg_get(pgs(base), &LINK_FIND, PG_ARGS(PG_ARG_BLOB(hash, STORE_HASH_BYTES)), out,
	              err);
}

static int login_link_use(struct store *base, const unsigned char hash[STORE_HASH_BYTES],
                          int64_t used_ms, struct ok_error *err)
{
	int rc = pg_change(pgs(base), &LINK_USE, NULL,
	                   PG_ARGS(PG_ARG_BLOB(hash, STORE_HASH_BYTES), PG_ARG_INT(used_ms)), err);

	if (rc == OK_ENOTFOUND)
		return ok_fail(err, OK_ECONFLICT, "the login link was used already");
	return rc;
}

static int login_link_prune(struct store *base, int64_t before_ms, struct ok_error *err)
{
	return pg_run(pgs(base), &LINK_PRUNE, NULL, PG_ARGS(PG_ARG_INT(before_ms)), NULL, err);
}

/* Sessions */

static int session_put(struct store *base, const struct store_session *se, struct ok_error *err)
{
	return pg_add(pgs(base), &SESSION_PUT, se, PG_NO_ARGS, err);
}

static int session_find(struct store *base, const unsigned char hash[STORE_HASH_BYTES],
                        struct store_session *out, struct ok_error *err)
{
	return pg_get(pgs(base), &SESSION_FIND, PG_ARGS(PG_ARG_BLOB(hash, STORE_HASH_BYTES)), out,
	              err);
}

static int session_touch(struct store *base, const char *id, int64_t at_ms, struct ok_error *err)
{
	return pg_run(pgs(base), &SESSION_TOUCH, NULL, PG_ARGS(PG_ARG_TEXT(id), PG_ARG_INT(at_ms)),
	              NULL, err);
}

static int session_delete(struct store *base, const char *id, struct ok_error *err)
{
	int rc = pg_change(pgs(base), &SESSION_DELETE, NULL, PG_ARGS(PG_ARG_TEXT(id)), err);

	return rc == OK_ENOTFOUND ? ok_fail(err, rc, "no such session") : rc;
}

static int session_prune(struct store *base, int64_t idle_before_ms, int64_t started_before_ms,
                         struct ok_error *err)
{
	return pg_run(pgs(base), &SESSION_PRUNE, NULL,
	              PG_ARGS(PG_ARG_INT(idle_before_ms), PG_ARG_INT(started_before_ms)), NULL,
	              err);
}

/* Shares */

static int share_put(struct store *base, const struct store_share *sh, struct ok_error *err)
{
	return pg_add(pgs(base), &SHARE_PUT, sh, PG_NO_ARGS, err);
}

static int share_get(struct store *base, const char *id, struct store_share *out,
                     struct ok_error *err)
{
	return pg_get(pgs(base), &SHARE_GET, PG_ARGS(PG_ARG_TEXT(id)), out, err);
}

static int share_find(struct store *base, const unsigned char hash[STORE_HASH_BYTES],
                      struct store_share *out, struct ok_error *err)
{
	return pg_get(pgs(base), &SHARE_FIND, PG_ARGS(PG_ARG_BLOB(hash, STORE_HASH_BYTES)), out,
	              err);
}

static int share_list_by_learner(struct store *base, const char *learner_id, store_share_fn fn,
                                 void *ctx, struct ok_error *err)
{
	struct store_share sh;
	struct pg_cursor c;
	int rc = pg_pages(&c, pgs(base), &SHARE_LIST, &SHARE_PAGE,
	                  PG_ARGS(PG_ARG_TEXT(learner_id), PG_ARG_INT(INT64_MAX), PG_ARG_TEXT("")),
	                  err);

	while (!rc && (rc = pg_next(&c, &sh, err)) > 0)
		rc = fn(ctx, &sh);
	return pg_list_end(&c, rc);
}

/* After a change that changed nothing: OK_ENOTFOUND when there is no such share, else 0. */
static int share_exists(struct store *base, const char *id, struct ok_error *err)
{
	struct pg_count_row r;
	int rc = pg_get(pgs(base), &SHARE_EXISTS, PG_ARGS(PG_ARG_TEXT(id)), &r, err);

	return rc == OK_ENOTFOUND ? ok_fail(err, rc, "no such share") : rc;
}

static int share_revoke(struct store *base, const char *id, int64_t at_ms, struct ok_error *err)
{
	int rc = pg_change(pgs(base), &SHARE_REVOKE, NULL,
	                   PG_ARGS(PG_ARG_TEXT(id), PG_ARG_INT(at_ms)), err);

	if (rc != OK_ENOTFOUND)
		return rc;
	return (rc = share_exists(base, id, err))
	               ? rc
	               : ok_fail(err, OK_ECONFLICT, "the share was revoked already");
}

static int share_use(struct store *base, const char *id, int64_t at_ms, struct ok_error *err)
{
	int rc = pg_change(pgs(base), &SHARE_USE, NULL, PG_ARGS(PG_ARG_TEXT(id), PG_ARG_INT(at_ms)),
	                   err);

	if (rc != OK_ENOTFOUND)
		return rc;
	return (rc = share_exists(base, id, err))
	               ? rc
	               : ok_fail(err, OK_EGONE, "the share was revoked or has expired");
}

static int view_list_by_learner(struct store *base, const char *learner_id, size_t limit,
                                store_share_view_fn fn, void *ctx, struct ok_error *err)
{
	struct store_share_view v;
	struct pg_cursor c;
	int rc = pg_list(
	        &c, pgs(base), &VIEW_LIST,
	        PG_ARGS(PG_ARG_TEXT(learner_id), PG_ARG_INT(limit > 1000000 ? 1000000 : limit)),
	        err);

	while (!rc && (rc = pg_next(&c, &v, err)) > 0)
		rc = fn(ctx, &v);
	return pg_list_end(&c, rc);
}

const struct store_portal_ops pg_portal_ops = {
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
