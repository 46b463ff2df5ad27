/* The SQLite side of the store's API-key area (see apikeys.h). */
#include "store/apikeys.h"
#include "store/sqlite_internal.h"

static const struct sqlite_col info_col[] = {
        SQLITE_COL(struct store_api_key_info, id, SQ_TEXT),
        SQLITE_COL(struct store_api_key_info, institution, SQ_TEXT),
        SQLITE_COL(struct store_api_key_info, permissions, SQ_TEXT),
        SQLITE_COL(struct store_api_key_info, created_ms, SQ_INT),
        SQLITE_COL(struct store_api_key_info, last_used_ms, SQ_INT),
        SQLITE_COL(struct store_api_key_info, revoked_ms, SQ_INT),
        SQLITE_COL(struct store_api_key_info, blocked_ms, SQ_INT),
};
static const struct sqlite_cols info_cols = SQLITE_COLS(info_col);

/* (institution, or NULL for every key) */
static const struct sqlite_query LIST = {
        ST_APIKEY_LIST,
        "SELECT k.id, k.institution, k.permissions, k.created_ms, k.last_used_ms, k.revoked_ms, "
        "coalesce(b.blocked_ms, 0) AS blocked_ms FROM api_key k "
        "LEFT JOIN key_block b ON b.key_id = k.id "
        "WHERE ?1 IS NULL OR k.institution = ?1 ORDER BY k.created_ms, k.id",
        "list API keys", NULL, &info_cols};
/* (id, at_ms) */
static const struct sqlite_query REVOKE = {
        ST_APIKEY_REVOKE, "UPDATE api_key SET revoked_ms = ?2 WHERE id = ?1 AND revoked_ms = 0",
        "revoke an API key", NULL, NULL};
static const struct sqlite_query REVOKED = {ST_APIKEY_REVOKED,
                                            "SELECT revoked_ms AS n FROM api_key WHERE id = ?",
                                            "find an API key", NULL, &sqlite_count_cols};
/* (id, at_ms) */
static const struct sqlite_query TOUCH = {
        ST_APIKEY_TOUCH, "UPDATE api_key SET last_used_ms = ?2 WHERE id = ?1 AND last_used_ms < ?2",
        "record an API key's use", NULL, NULL};

static int list(struct store *base, const char *institution, store_api_key_fn fn, void *ctx,
                struct ok_error *err)
{
	struct store_sqlite *s = sq(base);
	struct store_api_key_info k;
	int rc = sqlite_query(s, &LIST, SQLITE_ARGS(SQ_ARG_TEXT(institution)), err);

	while (!rc && (rc = sqlite_next(s, &LIST, &k, err)) > 0)
		rc = fn(ctx, &k);
	return sqlite_end(s, &LIST, rc);
}

static int revoke(struct store *base, const char *id, int64_t at_ms, struct ok_error *err)
{
	struct store_sqlite *s = sq(base);
	struct sqlite_count_row r;
	int rc;

	rc = sqlite_exec(s, &REVOKE, NULL, SQLITE_ARGS(SQ_ARG_TEXT(id), SQ_ARG_INT(at_ms)), err);
	if (rc)
		return rc;
	if (sqlite_changes(s) == 1)
		return 0;
	/* Nothing changed: tell an unknown key from one revoked before. */
	rc = sqlite_get(s, &REVOKED, SQLITE_ARGS(SQ_ARG_TEXT(id)), &r, err);
	if (rc == OK_ENOTFOUND)
		return ok_fail_field(err, rc, "key", "no API key %s", id);
	if (rc)
		return rc;
	return ok_fail_field(err, OK_ECONFLICT, "key", "API key %s was revoked already", id);
}

static int touch(struct store *base, const char *id, int64_t at_ms, struct ok_error *err)
{
	return sqlite_exec(sq(base), &TOUCH, NULL, SQLITE_ARGS(SQ_ARG_TEXT(id), SQ_ARG_INT(at_ms)),
	                   err);
}

const struct store_apikey_ops sqlite_apikey_ops = {
        .list = list,
        .revoke = revoke,
        .touch = touch,
};
