/* The SQLite side of the store's API-key area (see apikeys.h). */
#include "store/apikeys.h"
#include "store/sqlite_internal.h"

static const char SQL_LIST[] =
        "SELECT k.id, k.institution, k.permissions, k.created_ms, k.last_used_ms, k.revoked_ms, "
        "coalesce(b.blocked_ms, 0) FROM api_key k LEFT JOIN key_block b ON b.key_id = k.id "
        "WHERE ?1 IS NULL OR k.institution = ?1 ORDER BY k.created_ms, k.id";
static const char SQL_REVOKE[] =
        "UPDATE api_key SET revoked_ms = ?2 WHERE id = ?1 AND revoked_ms = 0";
static const char SQL_REVOKED[] = "SELECT revoked_ms FROM api_key WHERE id = ?";
static const char SQL_TOUCH[] =
        "UPDATE api_key SET last_used_ms = ?2 WHERE id = ?1 AND last_used_ms < ?2";

static int list(struct store *base, const char *institution, store_api_key_fn fn, void *ctx,
                struct ok_error *err)
{
	struct store_sqlite *s = sq(base);
	sqlite3_stmt *st = sqlite_prepared(s, SQL_LIST, err);
	struct store_api_key_info k;
	int rc;

	if (!st)
		return err ? err->code : OK_ESTORE;
	if (institution)
		sqlite_bind_text(st, 1, institution);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		sqlite_col_text(st, 0, k.id, sizeof(k.id));
		sqlite_col_text(st, 1, k.institution, sizeof(k.institution));
		sqlite_col_text(st, 2, k.permissions, sizeof(k.permissions));
		k.created_ms = sqlite3_column_int64(st, 3);
		k.last_used_ms = sqlite3_column_int64(st, 4);
		k.revoked_ms = sqlite3_column_int64(st, 5);
		k.blocked_ms = sqlite3_column_int64(st, 6);
		if ((rc = fn(ctx, &k))) {
			sqlite3_reset(st);
			return rc;
		}
	}
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? 0 : sqlite_fail(s, rc, "list API keys", err);
}

static int revoke(struct store *base, const char *id, int64_t at_ms, struct ok_error *err)
{
	struct store_sqlite *s = sq(base);
	sqlite3_stmt *st = sqlite_prepared(s, SQL_REVOKE, err);
	int rc;

	if (!st)
		return err ? err->code : OK_ESTORE;
	sqlite_bind_text(st, 1, id);
	sqlite3_bind_int64(st, 2, at_ms);
	if ((rc = sqlite_exec_step(s, st, "revoke an API key", err)))
		return rc;
	if (sqlite3_changes(s->db) == 1)
		return 0;
	/* Nothing changed: tell an unknown key from one revoked before. */
	if (!(st = sqlite_prepared(s, SQL_REVOKED, err)))
		return err ? err->code : OK_ESTORE;
	sqlite_bind_text(st, 1, id);
	rc = sqlite_step_one(s, st, "find an API key", err);
	if (rc == OK_ENOTFOUND)
		return ok_fail_field(err, rc, "key", "no API key %s", id);
	if (rc)
		return rc;
	sqlite3_reset(st);
	return ok_fail_field(err, OK_ECONFLICT, "key", "API key %s was revoked already", id);
}

static int touch(struct store *base, const char *id, int64_t at_ms, struct ok_error *err)
{
	struct store_sqlite *s = sq(base);
	sqlite3_stmt *st = sqlite_prepared(s, SQL_TOUCH, err);

	if (!st)
		return err ? err->code : OK_ESTORE;
	sqlite_bind_text(st, 1, id);
	sqlite3_bind_int64(st, 2, at_ms);
	return sqlite_exec_step(s, st, "record an API key's use", err);
}

const struct store_apikey_ops sqlite_apikey_ops = {
        .list = list,
        .revoke = revoke,
        .touch = touch,
};
