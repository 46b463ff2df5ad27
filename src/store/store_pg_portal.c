/* The PostgreSQL side of the store's portal area (see portal.h): login links, sessions, shares
 * and their openings. Several servers share these rows, so every change that depends on a row's
 * state (a link used once, a share opened only while live, a session's last activity) is one
 * conditional statement, never a read followed by a write. */
#include "store/pg_internal.h"
#include "store/portal.h"

#include <stdlib.h>

static const char SQL_LINK_PUT[] =
        "INSERT INTO login_link (token_hash, learner_id, created_by, created_ms, expires_ms, "
        "used_ms) VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING";
static const char SQL_LINK_FIND[] =
        "SELECT token_hash, learner_id, created_by, created_ms, expires_ms, used_ms "
        "FROM login_link WHERE token_hash = $1";
/* A second use waits for the first's row lock, then finds used_ms set and changes nothing. */
static const char SQL_LINK_USE[] =
        "UPDATE login_link SET used_ms = $2 WHERE token_hash = $1 AND used_ms = 0";
static const char SQL_LINK_PRUNE[] = "DELETE FROM login_link WHERE expires_ms < $1";

static const char SQL_SESSION_PUT[] =
        "INSERT INTO session (id, token_hash, learner_id, created_ms, last_seen_ms) "
        "VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING";
static const char SQL_SESSION_FIND[] =
        "SELECT id, token_hash, learner_id, created_ms, last_seen_ms FROM session "
        "WHERE token_hash = $1";
static const char SQL_SESSION_TOUCH[] =
        "UPDATE session SET last_seen_ms = greatest(last_seen_ms, $2::bigint) WHERE id = $1";
static const char SQL_SESSION_DELETE[] = "DELETE FROM session WHERE id = $1";
static const char SQL_SESSION_PRUNE[] =
        "DELETE FROM session WHERE last_seen_ms < $1 OR created_ms < $2";

#define SHARE_COLUMNS                                                                   \
	"id, token_hash, learner_id, recipient, achievements, created_ms, expires_ms, " \
	"revoked_ms, uses, last_used_ms"
static const char SQL_SHARE_PUT[] = "INSERT INTO share (" SHARE_COLUMNS ") "
                                    "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) "
                                    "ON CONFLICT DO NOTHING";
static const char SQL_SHARE_GET[] = "SELECT " SHARE_COLUMNS " FROM share WHERE id = $1";
static const char SQL_SHARE_FIND[] = "SELECT " SHARE_COLUMNS " FROM share WHERE token_hash = $1";
/* In pages, each after the (created_ms, id) the one before ended at. */
static const char SQL_SHARE_LIST[] = "SELECT " SHARE_COLUMNS " FROM share WHERE learner_id = $1 "
                                     "AND (created_ms, id) < ($2, $3) "
                                     "ORDER BY created_ms DESC, id DESC LIMIT $4";
static const char SQL_SHARE_REVOKE[] =
        "UPDATE share SET revoked_ms = $2 WHERE id = $1 AND revoked_ms = 0";
static const char SQL_SHARE_EXISTS[] = "SELECT 1 FROM share WHERE id = $1";
/* The count and the view row in one statement: the share's state is checked on the row the
 * update locks, so a revocation committed by another server meanwhile is seen here. */
static const char SQL_SHARE_USE[] =
        "WITH used AS (UPDATE share SET uses = uses + 1, "
        "last_used_ms = greatest(last_used_ms, $2::bigint) "
        "WHERE id = $1 AND revoked_ms = 0 AND expires_ms > $2::bigint RETURNING id) "
        "INSERT INTO share_view (share_id, at_ms) SELECT id, $2::bigint FROM used";
static const char SQL_VIEW_LIST[] =
        "SELECT v.at_ms, s.id, s.recipient FROM share_view v JOIN share s ON s.id = v.share_id "
        "WHERE s.learner_id = $1 ORDER BY v.at_ms DESC, v.n DESC LIMIT $2";

/* Login links */

static int login_link_put(struct store *base, const struct store_login_link *l,
                          struct ok_error *err)
{
	struct pg_params p;

	pg_params_init(&p);
	pg_param_bytea(&p, l->token_hash, STORE_HASH_BYTES);
	pg_param_text(&p, l->learner_id);
	pg_param_text(&p, l->created_by);
	pg_param_int64(&p, l->created_ms);
	pg_param_int64(&p, l->expires_ms);
	pg_param_int64(&p, l->used_ms);
	return pg_insert(base, SQL_LINK_PUT, &p, "add a login link", err);
}

static int login_link_find(struct store *base, const unsigned char hash[STORE_HASH_BYTES],
                           struct store_login_link *out, struct ok_error *err)
{
	struct pg_params p;
	PGresult *r;
	int rc;

	pg_params_init(&p);
	pg_param_bytea(&p, hash, STORE_HASH_BYTES);
	if ((rc = pg_exec_one(pgs(base), SQL_LINK_FIND, &p, &r, "find a login link", err)))
		return rc;
	pg_col_fixed(r, 0, 0, out->token_hash, STORE_HASH_BYTES);
	pg_col_text(r, 0, 1, out->learner_id, sizeof(out->learner_id));
	pg_col_text(r, 0, 2, out->created_by, sizeof(out->created_by));
	out->created_ms = pg_col_int64(r, 0, 3);
	out->expires_ms = pg_col_int64(r, 0, 4);
	out->used_ms = pg_col_int64(r, 0, 5);
	PQclear(r);
	return 0;
}

static int login_link_use(struct store *base, const unsigned char hash[STORE_HASH_BYTES],
                          int64_t used_ms, struct ok_error *err)
{
	struct pg_params p;
	int64_t changed = 0;
	int rc;

	pg_params_init(&p);
	pg_param_bytea(&p, hash, STORE_HASH_BYTES);
	pg_param_int64(&p, used_ms);
	if ((rc = pg_exec(pgs(base), SQL_LINK_USE, &p, NULL, &changed, "use a login link", err)))
		return rc;
	if (changed == 0)
		return ok_fail(err, OK_ECONFLICT, "the login link was used already");
	return 0;
}

static int login_link_prune(struct store *base, int64_t before_ms, struct ok_error *err)
{
	struct pg_params p;

	pg_params_init(&p);
	pg_param_int64(&p, before_ms);
	return pg_exec(pgs(base), SQL_LINK_PRUNE, &p, NULL, NULL, "forget expired login links",
	               err);
}

/* Sessions */

static int session_put(struct store *base, const struct store_session *se, struct ok_error *err)
{
	struct pg_params p;

	pg_params_init(&p);
	pg_param_text(&p, se->id);
	pg_param_bytea(&p, se->token_hash, STORE_HASH_BYTES);
	pg_param_text(&p, se->learner_id);
	pg_param_int64(&p, se->created_ms);
	pg_param_int64(&p, se->last_seen_ms);
	return pg_insert(base, SQL_SESSION_PUT, &p, "add a session", err);
}

static int session_find(struct store *base, const unsigned char hash[STORE_HASH_BYTES],
                        struct store_session *out, struct ok_error *err)
{
	struct pg_params p;
	PGresult *r;
	int rc;

	pg_params_init(&p);
	pg_param_bytea(&p, hash, STORE_HASH_BYTES);
	if ((rc = pg_exec_one(pgs(base), SQL_SESSION_FIND, &p, &r, "find a session", err)))
		return rc;
	pg_col_text(r, 0, 0, out->id, sizeof(out->id));
	pg_col_fixed(r, 0, 1, out->token_hash, STORE_HASH_BYTES);
	pg_col_text(r, 0, 2, out->learner_id, sizeof(out->learner_id));
	out->created_ms = pg_col_int64(r, 0, 3);
	out->last_seen_ms = pg_col_int64(r, 0, 4);
	PQclear(r);
	return 0;
}

static int session_touch(struct store *base, const char *id, int64_t at_ms, struct ok_error *err)
{
	struct pg_params p;

	pg_params_init(&p);
	pg_param_text(&p, id);
	pg_param_int64(&p, at_ms);
	return pg_exec(pgs(base), SQL_SESSION_TOUCH, &p, NULL, NULL, "note a session's activity",
	               err);
}

static int session_delete(struct store *base, const char *id, struct ok_error *err)
{
	struct pg_params p;
	int64_t changed = 0;
	int rc;

	pg_params_init(&p);
	pg_param_text(&p, id);
	if ((rc = pg_exec(pgs(base), SQL_SESSION_DELETE, &p, NULL, &changed, "end a session", err)))
		return rc;
	return changed ? 0 : ok_fail(err, OK_ENOTFOUND, "no such session");
}

static int session_prune(struct store *base, int64_t idle_before_ms, int64_t started_before_ms,
                         struct ok_error *err)
{
	struct pg_params p;

	pg_params_init(&p);
	pg_param_int64(&p, idle_before_ms);
	pg_param_int64(&p, started_before_ms);
	return pg_exec(pgs(base), SQL_SESSION_PRUNE, &p, NULL, NULL, "forget ended sessions", err);
}

/* Shares */

static int share_put(struct store *base, const struct store_share *sh, struct ok_error *err)
{
	struct pg_params p;

	pg_params_init(&p);
	pg_param_text(&p, sh->id);
	pg_param_bytea(&p, sh->token_hash, STORE_HASH_BYTES);
	pg_param_text(&p, sh->learner_id);
	pg_param_text(&p, sh->recipient);
	pg_param_text(&p, sh->achievements);
	pg_param_int64(&p, sh->created_ms);
	pg_param_int64(&p, sh->expires_ms);
	pg_param_int64(&p, sh->revoked_ms);
	pg_param_int64(&p, sh->uses);
	pg_param_int64(&p, sh->last_used_ms);
	return pg_insert(base, SQL_SHARE_PUT, &p, "add a share", err);
}

static void read_share(const PGresult *r, int row, struct store_share *sh)
{
	pg_col_text(r, row, 0, sh->id, sizeof(sh->id));
	pg_col_fixed(r, row, 1, sh->token_hash, STORE_HASH_BYTES);
	pg_col_text(r, row, 2, sh->learner_id, sizeof(sh->learner_id));
	pg_col_text(r, row, 3, sh->recipient, sizeof(sh->recipient));
	pg_col_text(r, row, 4, sh->achievements, sizeof(sh->achievements));
	sh->created_ms = pg_col_int64(r, row, 5);
	sh->expires_ms = pg_col_int64(r, row, 6);
	sh->revoked_ms = pg_col_int64(r, row, 7);
	sh->uses = pg_col_int64(r, row, 8);
	sh->last_used_ms = pg_col_int64(r, row, 9);
}

/* Runs a one-row share query whose one parameter is text or a hash. */
static int share_one(struct store *base, const char *sql, const struct pg_params *p,
                     struct store_share *out, struct ok_error *err)
{
	PGresult *r;
	int rc;

	if ((rc = pg_exec_one(pgs(base), sql, p, &r, "read a share", err)))
		return rc;
	read_share(r, 0, out);
	PQclear(r);
	return 0;
}

static int share_get(struct store *base, const char *id, struct store_share *out,
                     struct ok_error *err)
{
	struct pg_params p;

	pg_params_init(&p);
	pg_param_text(&p, id);
	return share_one(base, SQL_SHARE_GET, &p, out, err);
}

static int share_find(struct store *base, const unsigned char hash[STORE_HASH_BYTES],
                      struct store_share *out, struct ok_error *err)
{
	struct pg_params p;

	pg_params_init(&p);
	pg_param_bytea(&p, hash, STORE_HASH_BYTES);
	return share_one(base, SQL_SHARE_FIND, &p, out, err);
}

static int share_list_by_learner(struct store *base, const char *learner_id, store_share_fn fn,
                                 void *ctx, struct ok_error *err)
{
	struct store_share sh;
	struct pg_params p;
	int64_t before_ms = INT64_MAX;
	char *before_id = NULL;
	PGresult *r;
	int i, n, rc;

	do {
		pg_params_init(&p);
		pg_param_text(&p, learner_id);
		pg_param_int64(&p, before_ms);
		pg_param_text(&p, before_id ? before_id : "");
		pg_param_int64(&p, PG_PAGE);
		if ((rc = pg_exec(pgs(base), SQL_SHARE_LIST, &p, &r, NULL,
		                  "list a learner's shares", err)))
			break;
		n = PQntuples(r);
		for (i = 0; i < n && !rc; i++) {
			read_share(r, i, &sh);
			rc = fn(ctx, &sh);
		}
		free(before_id);
		before_id = NULL;
		if (!rc && n == PG_PAGE) {
			before_ms = pg_col_int64(r, n - 1, 5); /* created_ms */
			if (!(before_id = pg_col_dup(r, n - 1, 0)))
				rc = ok_fail(err, OK_ENOMEM,
				             "list a learner's shares: out of memory");
		}
		PQclear(r);
	} while (!rc && n == PG_PAGE);
	free(before_id);
	return rc;
}

static int share_exists(struct store *base, const char *id, struct ok_error *err)
{
	struct pg_params p;
	PGresult *r;
	int rc;

	pg_params_init(&p);
	pg_param_text(&p, id);
	rc = pg_exec_one(pgs(base), SQL_SHARE_EXISTS, &p, &r, "find a share", err);
	if (rc == OK_ENOTFOUND)
		return ok_fail(err, OK_ENOTFOUND, "no such share");
	if (!rc)
		PQclear(r);
	return rc;
}

static int share_revoke(struct store *base, const char *id, int64_t at_ms, struct ok_error *err)
{
	struct pg_params p;
	int64_t changed = 0;
	int rc;

	pg_params_init(&p);
	pg_param_text(&p, id);
	pg_param_int64(&p, at_ms);
	if ((rc = pg_exec(pgs(base), SQL_SHARE_REVOKE, &p, NULL, &changed, "revoke a share", err)))
		return rc;
	if (changed)
		return 0;
	if ((rc = share_exists(base, id, err)))
		return rc;
	return ok_fail(err, OK_ECONFLICT, "the share was revoked already");
}

static int share_use(struct store *base, const char *id, int64_t at_ms, struct ok_error *err)
{
	struct pg_params p;
	int64_t changed = 0;
	int rc;

	pg_params_init(&p);
	pg_param_text(&p, id);
	pg_param_int64(&p, at_ms);
	if ((rc = pg_exec(pgs(base), SQL_SHARE_USE, &p, NULL, &changed, "record a share's opening",
	                  err)))
		return rc;
	if (changed)
		return 0;
	return (rc = share_exists(base, id, err))
	               ? rc
	               : ok_fail(err, OK_EGONE, "the share was revoked or has expired");
}

static int view_list_by_learner(struct store *base, const char *learner_id, size_t limit,
                                store_share_view_fn fn, void *ctx, struct ok_error *err)
{
	struct store_share_view v;
	struct pg_params p;
	PGresult *r;
	int i, n, rc;

	pg_params_init(&p);
	pg_param_text(&p, learner_id);
	pg_param_int64(&p, (int64_t)(limit > 1000000 ? 1000000 : limit));
	if ((rc = pg_exec(pgs(base), SQL_VIEW_LIST, &p, &r, NULL, "list the openings of shares",
	                  err)))
		return rc;
	n = PQntuples(r);
	for (i = 0; i < n && !rc; i++) {
		v.at_ms = pg_col_int64(r, i, 0);
		pg_col_text(r, i, 1, v.share_id, sizeof(v.share_id));
		pg_col_text(r, i, 2, v.recipient, sizeof(v.recipient));
		rc = fn(ctx, &v);
	}
	PQclear(r);
	return rc;
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
};
