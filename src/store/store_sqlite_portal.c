/* The SQLite side of the store's portal area (see portal.h): login links, sessions, shares and
 * their openings, in the tables of the portal migration. */
#include "store/portal.h"
#include "store/sqlite_internal.h"

static const char SQL_LINK_PUT[] =
        "INSERT INTO login_link (token_hash, learner_id, created_by, created_ms, expires_ms, "
        "used_ms) VALUES (?, ?, ?, ?, ?, ?)";
static const char SQL_LINK_FIND[] =
        "SELECT token_hash, learner_id, created_by, created_ms, expires_ms, used_ms "
        "FROM login_link WHERE token_hash = ?";
static const char SQL_LINK_USE[] =
        "UPDATE login_link SET used_ms = ?2 WHERE token_hash = ?1 AND used_ms = 0";
static const char SQL_LINK_PRUNE[] = "DELETE FROM login_link WHERE expires_ms < ?";

static const char SQL_SESSION_PUT[] =
        "INSERT INTO session (id, token_hash, learner_id, created_ms, last_seen_ms) "
        "VALUES (?, ?, ?, ?, ?)";
static const char SQL_SESSION_FIND[] =
        "SELECT id, token_hash, learner_id, created_ms, last_seen_ms FROM session "
        "WHERE token_hash = ?";
static const char SQL_SESSION_TOUCH[] =
        "UPDATE session SET last_seen_ms = max(last_seen_ms, ?2) WHERE id = ?1";
static const char SQL_SESSION_DELETE[] = "DELETE FROM session WHERE id = ?";
static const char SQL_SESSION_PRUNE[] =
        "DELETE FROM session WHERE last_seen_ms < ?1 OR created_ms < ?2";

#define SHARE_COLUMNS                                                                   \
	"id, token_hash, learner_id, recipient, achievements, created_ms, expires_ms, " \
	"revoked_ms, uses, last_used_ms"
static const char SQL_SHARE_PUT[] =
        "INSERT INTO share (" SHARE_COLUMNS ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";
static const char SQL_SHARE_GET[] = "SELECT " SHARE_COLUMNS " FROM share WHERE id = ?";
static const char SQL_SHARE_FIND[] = "SELECT " SHARE_COLUMNS " FROM share WHERE token_hash = ?";
static const char SQL_SHARE_LIST[] = "SELECT " SHARE_COLUMNS " FROM share WHERE learner_id = ? "
                                     "ORDER BY created_ms DESC, id DESC";
static const char SQL_SHARE_REVOKE[] =
        "UPDATE share SET revoked_ms = ?2 WHERE id = ?1 AND revoked_ms = 0";
static const char SQL_SHARE_EXISTS[] = "SELECT 1 FROM share WHERE id = ?";
static const char SQL_SHARE_USE[] =
        "UPDATE share SET uses = uses + 1, last_used_ms = max(last_used_ms, ?2) WHERE id = ?1 "
        "AND revoked_ms = 0 AND expires_ms > ?2";
static const char SQL_VIEW_PUT[] = "INSERT INTO share_view (share_id, at_ms) VALUES (?, ?)";
static const char SQL_VIEW_LIST[] =
        "SELECT v.at_ms, s.id, s.recipient FROM share_view v JOIN share s ON s.id = v.share_id "
        "WHERE s.learner_id = ? ORDER BY v.at_ms DESC, v.rowid DESC LIMIT ?";

/* Prepares sql, or returns its error code from the enclosing function. */
#define PREPARE(st, s, sql, err)                                  \
	do {                                                      \
		if (!((st) = sqlite_prepared((s), (sql), (err)))) \
			return (err) ? (err)->code : OK_ESTORE;   \
	} while (0)

/* Login links */

static int login_link_put(struct store *base, const struct store_login_link *l,
                          struct ok_error *err)
{
	struct store_sqlite *s = sq(base);
	sqlite3_stmt *st;

	PREPARE(st, s, SQL_LINK_PUT, err);
	sqlite_bind_blob(st, 1, l->token_hash, STORE_HASH_BYTES);
	sqlite_bind_text(st, 2, l->learner_id);
	sqlite_bind_text(st, 3, l->created_by);
	sqlite3_bind_int64(st, 4, l->created_ms);
	sqlite3_bind_int64(st, 5, l->expires_ms);
	sqlite3_bind_int64(st, 6, l->used_ms);
	return sqlite_exec_step(s, st, "add a login link", err);
}

static int login_link_find(struct store *base, const unsigned char hash[STORE_HASH_BYTES],
                           struct store_login_link *out, struct ok_error *err)
{
	struct store_sqlite *s = sq(base);
	sqlite3_stmt *st;
	int rc;

	PREPARE(st, s, SQL_LINK_FIND, err);
	sqlite_bind_blob(st, 1, hash, STORE_HASH_BYTES);
	if ((rc = sqlite_step_one(s, st, "find a login link", err)))
		return rc;
	sqlite_col_fixed(st, 0, out->token_hash, STORE_HASH_BYTES);
	sqlite_col_text(st, 1, out->learner_id, sizeof(out->learner_id));
	sqlite_col_text(st, 2, out->created_by, sizeof(out->created_by));
	out->created_ms = sqlite3_column_int64(st, 3);
	out->expires_ms = sqlite3_column_int64(st, 4);
	out->used_ms = sqlite3_column_int64(st, 5);
	sqlite3_reset(st);
	return 0;
}

static int login_link_use(struct store *base, const unsigned char hash[STORE_HASH_BYTES],
                          int64_t used_ms, struct ok_error *err)
{
	struct store_sqlite *s = sq(base);
	sqlite3_stmt *st;
	int rc;

	PREPARE(st, s, SQL_LINK_USE, err);
	sqlite_bind_blob(st, 1, hash, STORE_HASH_BYTES);
	sqlite3_bind_int64(st, 2, used_ms);
	if ((rc = sqlite_exec_step(s, st, "use a login link", err)))
		return rc;
	if (sqlite3_changes(s->db) == 0)
		return ok_fail(err, OK_ECONFLICT, "the login link was used already");
	return 0;
}

static int login_link_prune(struct store *base, int64_t before_ms, struct ok_error *err)
{
	struct store_sqlite *s = sq(base);
	sqlite3_stmt *st;

	PREPARE(st, s, SQL_LINK_PRUNE, err);
	sqlite3_bind_int64(st, 1, before_ms);
	return sqlite_exec_step(s, st, "forget expired login links", err);
}

/* Sessions */

static int session_put(struct store *base, const struct store_session *se, struct ok_error *err)
{
	struct store_sqlite *s = sq(base);
	sqlite3_stmt *st;

	PREPARE(st, s, SQL_SESSION_PUT, err);
	sqlite_bind_text(st, 1, se->id);
	sqlite_bind_blob(st, 2, se->token_hash, STORE_HASH_BYTES);
	sqlite_bind_text(st, 3, se->learner_id);
	sqlite3_bind_int64(st, 4, se->created_ms);
	sqlite3_bind_int64(st, 5, se->last_seen_ms);
	return sqlite_exec_step(s, st, "add a session", err);
}

static int session_find(struct store *base, const unsigned char hash[STORE_HASH_BYTES],
                        struct store_session *out, struct ok_error *err)
{
	struct store_sqlite *s = sq(base);
	sqlite3_stmt *st;
	int rc;

	PREPARE(st, s, SQL_SESSION_FIND, err);
	sqlite_bind_blob(st, 1, hash, STORE_HASH_BYTES);
	if ((rc = sqlite_step_one(s, st, "find a session", err)))
		return rc;
	sqlite_col_text(st, 0, out->id, sizeof(out->id));
	sqlite_col_fixed(st, 1, out->token_hash, STORE_HASH_BYTES);
	sqlite_col_text(st, 2, out->learner_id, sizeof(out->learner_id));
	out->created_ms = sqlite3_column_int64(st, 3);
	out->last_seen_ms = sqlite3_column_int64(st, 4);
	sqlite3_reset(st);
	return 0;
}

static int session_touch(struct store *base, const char *id, int64_t at_ms, struct ok_error *err)
{
	struct store_sqlite *s = sq(base);
	sqlite3_stmt *st;

	PREPARE(st, s, SQL_SESSION_TOUCH, err);
	sqlite_bind_text(st, 1, id);
	sqlite3_bind_int64(st, 2, at_ms);
	return sqlite_exec_step(s, st, "note a session's activity", err);
}

static int session_delete(struct store *base, const char *id, struct ok_error *err)
{
	struct store_sqlite *s = sq(base);
	sqlite3_stmt *st;
	int rc;

	PREPARE(st, s, SQL_SESSION_DELETE, err);
	sqlite_bind_text(st, 1, id);
	if ((rc = sqlite_exec_step(s, st, "end a session", err)))
		return rc;
	return sqlite3_changes(s->db) ? 0 : ok_fail(err, OK_ENOTFOUND, "no such session");
}

static int session_prune(struct store *base, int64_t idle_before_ms, int64_t started_before_ms,
                         struct ok_error *err)
{
	struct store_sqlite *s = sq(base);
	sqlite3_stmt *st;

	PREPARE(st, s, SQL_SESSION_PRUNE, err);
	sqlite3_bind_int64(st, 1, idle_before_ms);
	sqlite3_bind_int64(st, 2, started_before_ms);
	return sqlite_exec_step(s, st, "forget ended sessions", err);
}

/* Shares */

static int share_put(struct store *base, const struct store_share *sh, struct ok_error *err)
{
	struct store_sqlite *s = sq(base);
	sqlite3_stmt *st;

	PREPARE(st, s, SQL_SHARE_PUT, err);
	sqlite_bind_text(st, 1, sh->id);
	sqlite_bind_blob(st, 2, sh->token_hash, STORE_HASH_BYTES);
	sqlite_bind_text(st, 3, sh->learner_id);
	sqlite_bind_text(st, 4, sh->recipient);
	sqlite_bind_text(st, 5, sh->achievements);
	sqlite3_bind_int64(st, 6, sh->created_ms);
	sqlite3_bind_int64(st, 7, sh->expires_ms);
	sqlite3_bind_int64(st, 8, sh->revoked_ms);
	sqlite3_bind_int64(st, 9, sh->uses);
	sqlite3_bind_int64(st, 10, sh->last_used_ms);
	return sqlite_exec_step(s, st, "add a share", err);
}

static void read_share(sqlite3_stmt *st, struct store_share *sh)
{
	sqlite_col_text(st, 0, sh->id, sizeof(sh->id));
	sqlite_col_fixed(st, 1, sh->token_hash, STORE_HASH_BYTES);
	sqlite_col_text(st, 2, sh->learner_id, sizeof(sh->learner_id));
	sqlite_col_text(st, 3, sh->recipient, sizeof(sh->recipient));
	sqlite_col_text(st, 4, sh->achievements, sizeof(sh->achievements));
	sh->created_ms = sqlite3_column_int64(st, 5);
	sh->expires_ms = sqlite3_column_int64(st, 6);
	sh->revoked_ms = sqlite3_column_int64(st, 7);
	sh->uses = sqlite3_column_int64(st, 8);
	sh->last_used_ms = sqlite3_column_int64(st, 9);
}

static int share_one(struct store_sqlite *s, sqlite3_stmt *st, struct store_share *out,
                     struct ok_error *err)
{
	int rc = sqlite_step_one(s, st, "read a share", err);

	if (rc)
		return rc;
	read_share(st, out);
	sqlite3_reset(st);
	return 0;
}

static int share_get(struct store *base, const char *id, struct store_share *out,
                     struct ok_error *err)
{
	struct store_sqlite *s = sq(base);
	sqlite3_stmt *st;

	PREPARE(st, s, SQL_SHARE_GET, err);
	sqlite_bind_text(st, 1, id);
	return share_one(s, st, out, err);
}

static int share_find(struct store *base, const unsigned char hash[STORE_HASH_BYTES],
                      struct store_share *out, struct ok_error *err)
{
	struct store_sqlite *s = sq(base);
	sqlite3_stmt *st;

	PREPARE(st, s, SQL_SHARE_FIND, err);
	sqlite_bind_blob(st, 1, hash, STORE_HASH_BYTES);
	return share_one(s, st, out, err);
}

static int share_list_by_learner(struct store *base, const char *learner_id, store_share_fn fn,
                                 void *ctx, struct ok_error *err)
{
	struct store_sqlite *s = sq(base);
	struct store_share sh;
	sqlite3_stmt *st;
	int rc;

	PREPARE(st, s, SQL_SHARE_LIST, err);
	sqlite_bind_text(st, 1, learner_id);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		read_share(st, &sh);
		if ((rc = fn(ctx, &sh))) {
			sqlite3_reset(st);
			return rc;
		}
	}
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? 0 : sqlite_fail(s, rc, "list a learner's shares", err);
}

static int share_exists(struct store_sqlite *s, const char *id, struct ok_error *err)
{
	sqlite3_stmt *st;
	int rc;

	PREPARE(st, s, SQL_SHARE_EXISTS, err);
	sqlite_bind_text(st, 1, id);
	rc = sqlite_step_one(s, st, "find a share", err);
	if (rc == OK_ENOTFOUND)
		return ok_fail(err, OK_ENOTFOUND, "no such share");
	sqlite3_reset(st);
	return rc;
}

static int share_revoke(struct store *base, const char *id, int64_t at_ms, struct ok_error *err)
{
	struct store_sqlite *s = sq(base);
	sqlite3_stmt *st;
	int rc;

	PREPARE(st, s, SQL_SHARE_REVOKE, err);
	sqlite_bind_text(st, 1, id);
	sqlite3_bind_int64(st, 2, at_ms);
	if ((rc = sqlite_exec_step(s, st, "revoke a share", err)))
		return rc;
	if (sqlite3_changes(s->db))
		return 0;
	if ((rc = share_exists(s, id, err)))
		return rc;
	return ok_fail(err, OK_ECONFLICT, "the share was revoked already");
}

static int share_use(struct store *base, const char *id, int64_t at_ms, struct ok_error *err)
{
	struct store_sqlite *s = sq(base);
	sqlite3_stmt *st;
	int rc;

	PREPARE(st, s, SQL_SHARE_USE, err);
	sqlite_bind_text(st, 1, id);
	sqlite3_bind_int64(st, 2, at_ms);
	if ((rc = sqlite_exec_step(s, st, "count a share's use", err)))
		return rc;
	/* Checked in the same statement that counts: a revocation committed since the caller
	 * looked is seen here. */
	if (sqlite3_changes(s->db) == 0)
		return (rc = share_exists(s, id, err))
		               ? rc
		               : ok_fail(err, OK_EGONE, "the share was revoked or has expired");
	PREPARE(st, s, SQL_VIEW_PUT, err);
	sqlite_bind_text(st, 1, id);
	sqlite3_bind_int64(st, 2, at_ms);
	return sqlite_exec_step(s, st, "record a share's opening", err);
}

static int view_list_by_learner(struct store *base, const char *learner_id, size_t limit,
                                store_share_view_fn fn, void *ctx, struct ok_error *err)
{
	struct store_sqlite *s = sq(base);
	struct store_share_view v;
	sqlite3_stmt *st;
	int rc;

	PREPARE(st, s, SQL_VIEW_LIST, err);
	sqlite_bind_text(st, 1, learner_id);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)(limit > 1000000 ? 1000000 : limit));
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		v.at_ms = sqlite3_column_int64(st, 0);
		sqlite_col_text(st, 1, v.share_id, sizeof(v.share_id));
		sqlite_col_text(st, 2, v.recipient, sizeof(v.recipient));
		if ((rc = fn(ctx, &v))) {
			sqlite3_reset(st);
			return rc;
		}
	}
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? 0 : sqlite_fail(s, rc, "list the openings of shares", err);
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
};
