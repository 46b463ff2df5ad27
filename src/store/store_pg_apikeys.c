/* The PostgreSQL side of the store's API-key area (see apikeys.h). A key used through several
 * servers at once keeps its latest use: the touch only ever moves last_used_ms forward. */
#include "store/apikeys.h"
#include "store/pg_internal.h"

static const struct pg_col info_col[] = {
        PG_COL(struct store_api_key_info, id, PG_TEXT),
        PG_COL(struct store_api_key_info, institution, PG_TEXT),
        PG_COL(struct store_api_key_info, permissions, PG_TEXT),
        PG_COL(struct store_api_key_info, created_ms, PG_INT),
        PG_COL(struct store_api_key_info, last_used_ms, PG_INT),
        PG_COL(struct store_api_key_info, revoked_ms, PG_INT),
        PG_COL(struct store_api_key_info, blocked_ms, PG_INT),
};
static const struct pg_cols info_cols = PG_COLS(info_col);

/* (institution, or NULL for every key) */
static const struct pg_query LIST = {
        "SELECT k.id, k.institution, k.permissions, k.created_ms, k.last_used_ms, k.revoked_ms, "
        "coalesce(b.blocked_ms, 0) AS blocked_ms FROM api_key k "
        "LEFT JOIN key_block b ON b.key_id = k.id "
        "WHERE $1::text IS NULL OR k.institution = $1::text ORDER BY k.created_ms, k.id",
        "list API keys", NULL, &info_cols};
/* (id, at_ms) */
static const struct pg_query REVOKE = {
        "UPDATE api_key SET revoked_ms = $2 WHERE id = $1 AND revoked_ms = 0", "revoke an API key",
        NULL, NULL};
static const struct pg_query REVOKED = {"SELECT revoked_ms AS n FROM api_key WHERE id = $1",
                                        "find an API key", NULL, &pg_count_cols};
/* (id, at_ms) */
static const struct pg_query TOUCH = {
        "UPDATE api_key SET last_used_ms = $2 WHERE id = $1 AND last_used_ms < $2",
        "record an API key's use", NULL, NULL};

static int list(struct store *base, const char *institution, store_api_key_fn fn, void *ctx,
                struct ok_error *err)
{
	struct store_api_key_info k;
	struct pg_cursor c;
	int rc = pg_list(&c, pgs(base), &LIST, PG_ARGS(PG_ARG_TEXT(institution)), err);

	while (!rc && (rc = pg_next(&c, &k, err)) > 0)
		rc = fn(ctx, &k);
	return pg_list_end(&c, rc);
}

static int revoke(struct store *base, const char *id, int64_t at_ms, struct ok_error *err)
{
	struct pg_count_row r;
	int rc = pg_change(pgs(base), &REVOKE, NULL, PG_ARGS(PG_ARG_TEXT(id), PG_ARG_INT(at_ms)),
	                   err);

	if (rc != OK_ENOTFOUND)
		return rc;
	/* Nothing changed: tell an unknown key from one revoked before. */
	rc = pg_get(pgs(base), &REVOKED, PG_ARGS(PG_ARG_TEXT(id)), &r, err);
	if (rc == OK_ENOTFOUND)
		return ok_fail_field(err, rc, "key", "no API key %s", id);
	if (rc)
		return rc;
	return ok_fail_field(err, OK_ECONFLICT, "key", "API key %s was revoked already", id);
}

static int touch(struct store *base, const char *id, int64_t at_ms, struct ok_error *err)
{
	return pg_run(pgs(base), &TOUCH, NULL, PG_ARGS(PG_ARG_TEXT(id), PG_ARG_INT(at_ms)), NULL,
	              err);
}

const struct store_apikey_ops pg_apikey_ops = {
        .list = list,
        .revoke = revoke,
        .touch = touch,
};
