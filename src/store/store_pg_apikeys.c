/* The PostgreSQL side of the store's API-key area (see apikeys.h). A key used through several
 * servers at once keeps its latest use: the touch only ever moves last_used_ms forward. */
#include "store/apikeys.h"
#include "store/pg_internal.h"

static const char SQL_LIST[] =
        "SELECT k.id, k.institution, k.permissions, k.created_ms, k.last_used_ms, k.revoked_ms, "
        "coalesce(b.blocked_ms, 0) FROM api_key k LEFT JOIN key_block b ON b.key_id = k.id "
        "WHERE $1::text IS NULL OR k.institution = $1::text ORDER BY k.created_ms, k.id";
static const char SQL_REVOKE[] =
        "UPDATE api_key SET revoked_ms = $2 WHERE id = $1 AND revoked_ms = 0";
static const char SQL_REVOKED[] = "SELECT revoked_ms FROM api_key WHERE id = $1";
static const char SQL_TOUCH[] =
        "UPDATE api_key SET last_used_ms = $2 WHERE id = $1 AND last_used_ms < $2";

static int list(struct store *base, const char *institution, store_api_key_fn fn, void *ctx,
                struct ok_error *err)
{
	struct store_api_key_info k;
	struct pg_params p;
	PGresult *r;
	int i, n, rc;

	pg_params_init(&p);
	pg_param_text(&p, institution); /* NULL: every key */
	if ((rc = pg_exec(pgs(base), SQL_LIST, &p, &r, NULL, "list API keys", err)))
		return rc;
	n = PQntuples(r);
	for (i = 0; i < n && !rc; i++) {
		pg_col_text(r, i, 0, k.id, sizeof(k.id));
		pg_col_text(r, i, 1, k.institution, sizeof(k.institution));
		pg_col_text(r, i, 2, k.permissions, sizeof(k.permissions));
		k.created_ms = pg_col_int64(r, i, 3);
		k.last_used_ms = pg_col_int64(r, i, 4);
		k.revoked_ms = pg_col_int64(r, i, 5);
		k.blocked_ms = pg_col_int64(r, i, 6);
		rc = fn(ctx, &k);
	}
	PQclear(r);
	return rc;
}

static int revoke(struct store *base, const char *id, int64_t at_ms, struct ok_error *err)
{
	struct pg_params p;
	int64_t changed = 0;
	PGresult *r;
	int rc;

	pg_params_init(&p);
	pg_param_text(&p, id);
	pg_param_int64(&p, at_ms);
	if ((rc = pg_exec(pgs(base), SQL_REVOKE, &p, NULL, &changed, "revoke an API key", err)))
		return rc;
	if (changed == 1)
		return 0;
	/* Nothing changed: tell an unknown key from one revoked before. */
	pg_params_init(&p);
	pg_param_text(&p, id);
	rc = pg_exec_one(pgs(base), SQL_REVOKED, &p, &r, "find an API key", err);
	if (rc == OK_ENOTFOUND)
		return ok_fail_field(err, rc, "key", "no API key %s", id);
	if (rc)
		return rc;
	PQclear(r);
	return ok_fail_field(err, OK_ECONFLICT, "key", "API key %s was revoked already", id);
}

static int touch(struct store *base, const char *id, int64_t at_ms, struct ok_error *err)
{
	struct pg_params p;

	pg_params_init(&p);
	pg_param_text(&p, id);
	pg_param_int64(&p, at_ms);
	return pg_exec(pgs(base), SQL_TOUCH, &p, NULL, NULL, "record an API key's use", err);
}

const struct store_apikey_ops pg_apikey_ops = {
        .list = list,
        .revoke = revoke,
        .touch = touch,
};
