/* The SQLite side of the store's keys area (see keys.h): data-key rotations, the issuer key
 * history, and the work lists of a rotation, in the tables of the keys migration. */
#include "store/keys.h"
#include "store/sqlite_internal.h"

#define ROTATION_COLS   "to_key, from_key, phase, cursor, done, total, started_ms, finished_ms"
#define ISSUER_KEY_COLS "key_id, public_key, added_ms, superseded_ms, retired_ms"

static const char SQL_ROTATION_LAST[] =
        "SELECT " ROTATION_COLS " FROM key_rotation ORDER BY to_key DESC LIMIT 1";
static const char SQL_ROTATION_PUT[] =
        "INSERT OR REPLACE INTO key_rotation (" ROTATION_COLS ") VALUES (?, ?, ?, ?, ?, ?, ?, ?)";
static const char SQL_LEARNERS_BY_KEY[] =
        "SELECT key_id, count(*) FROM learner GROUP BY key_id ORDER BY key_id";
static const char SQL_FOREIGN_BY_KEY[] =
        "SELECT key_id, count(*) FROM foreign_achievement GROUP BY key_id ORDER BY key_id";
static const char SQL_LEARNERS_NOT_UNDER[] = "SELECT count(*) FROM learner WHERE key_id <> ?";
static const char SQL_FOREIGN_NOT_UNDER[] =
        "SELECT count(*) FROM foreign_achievement WHERE key_id <> ?";
static const char SQL_LEARNER_IDS[] =
        "SELECT id FROM learner WHERE id > ? AND key_id <> ? ORDER BY id LIMIT ?";
static const char SQL_FOREIGN_IDS[] =
        "SELECT id FROM foreign_achievement WHERE id > ? AND key_id <> ? ORDER BY id LIMIT ?";
static const char SQL_ISSUER_KEY_PUT[] =
        "INSERT OR REPLACE INTO issuer_key (" ISSUER_KEY_COLS ") VALUES (?, ?, ?, ?, ?)";
static const char SQL_ISSUER_KEY_GET[] =
        "SELECT " ISSUER_KEY_COLS " FROM issuer_key WHERE key_id = ?";
static const char SQL_ISSUER_KEY_LIST[] =
        "SELECT " ISSUER_KEY_COLS " FROM issuer_key ORDER BY key_id";
/* An issuance with an achievement as subject counts unless that achievement was revoked; one
 * of the VC-API (no achievement) always counts. */
static const char SQL_CREDENTIALS_ISSUED[] =
        "SELECT count(*) FROM audit_event e LEFT JOIN achievement a ON a.id = e.subject "
        "WHERE e.action = 'credential.issue' AND e.at_ms >= ?1 AND (?2 = 0 OR e.at_ms < ?2) "
        "AND (a.status IS NULL OR a.status <> 'revoked')";

static int rotation_last(struct store *base, struct store_key_rotation *out, struct ok_error *err)
{
	struct store_sqlite *s = sq(base);
	sqlite3_stmt *st = sqlite_prepared(s, SQL_ROTATION_LAST, err);
	int rc;

	if (!st)
		return err ? err->code : OK_ESTORE;
	rc = sqlite_step_one(s, st, "read the key rotation", err);
	if (rc)
		return rc;
	out->to_key = (uint32_t)sqlite3_column_int64(st, 0);
	out->from_key = (uint32_t)sqlite3_column_int64(st, 1);
	out->phase = sqlite3_column_int(st, 2);
	sqlite_col_text(st, 3, out->cursor, sizeof(out->cursor));
	out->done = sqlite3_column_int64(st, 4);
	out->total = sqlite3_column_int64(st, 5);
	out->started_ms = sqlite3_column_int64(st, 6);
	out->finished_ms = sqlite3_column_int64(st, 7);
	sqlite3_reset(st);
	return 0;
}

static int rotation_put(struct store *base, const struct store_key_rotation *r,
                        struct ok_error *err)
{
	struct store_sqlite *s = sq(base);
	sqlite3_stmt *st = sqlite_prepared(s, SQL_ROTATION_PUT, err);

	if (!st)
		return err ? err->code : OK_ESTORE;
	sqlite3_bind_int64(st, 1, r->to_key);
	sqlite3_bind_int64(st, 2, r->from_key);
	sqlite3_bind_int(st, 3, r->phase);
	sqlite_bind_text(st, 4, r->cursor);
	sqlite3_bind_int64(st, 5, r->done);
	sqlite3_bind_int64(st, 6, r->total);
	sqlite3_bind_int64(st, 7, r->started_ms);
	sqlite3_bind_int64(st, 8, r->finished_ms);
	return sqlite_exec_step(s, st, "record the key rotation", err);
}

static int count_by_key(struct store *base, const char *sql, const char *what,
                        store_key_count_fn fn, void *ctx, struct ok_error *err)
{
	struct store_sqlite *s = sq(base);
	sqlite3_stmt *st = sqlite_prepared(s, sql, err);
	int rc;

	if (!st)
		return err ? err->code : OK_ESTORE;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if ((rc = fn(ctx, (uint32_t)sqlite3_column_int64(st, 0),
		             sqlite3_column_int64(st, 1)))) {
			sqlite3_reset(st);
			return rc;
		}
	}
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? 0 : sqlite_fail(s, rc, what, err);
}

static int learners_by_key(struct store *s, store_key_count_fn fn, void *ctx, struct ok_error *err)
{
	return count_by_key(s, SQL_LEARNERS_BY_KEY, "count learners by data key", fn, ctx, err);
}

static int foreign_by_key(struct store *s, store_key_count_fn fn, void *ctx, struct ok_error *err)
{
	return count_by_key(s, SQL_FOREIGN_BY_KEY, "count foreign credentials by data key", fn, ctx,
	                    err);
}

static int count_one(struct store *base, const char *sql, const char *what, int64_t a, int64_t b,
                     bool two, int64_t *count, struct ok_error *err)
{
	struct store_sqlite *s = sq(base);
	sqlite3_stmt *st = sqlite_prepared(s, sql, err);
	int rc;

	*count = 0;
	if (!st)
		return err ? err->code : OK_ESTORE;
	sqlite3_bind_int64(st, 1, a);
	if (two)
		sqlite3_bind_int64(st, 2, b);
	rc = sqlite_step_one(s, st, what, err);
	if (rc == OK_ENOTFOUND)
		return sqlite_fail(s, SQLITE_ERROR, what, err);
	if (rc)
		return rc;
	*count = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	return 0;
}

static int learners_not_under(struct store *s, uint32_t key_id, int64_t *count,
                              struct ok_error *err)
{
	return count_one(s, SQL_LEARNERS_NOT_UNDER, "count learners under older keys", key_id, 0,
	                 false, count, err);
}

static int foreign_not_under(struct store *s, uint32_t key_id, int64_t *count, struct ok_error *err)
{
	return count_one(s, SQL_FOREIGN_NOT_UNDER, "count foreign credentials under older keys",
	                 key_id, 0, false, count, err);
}

static int learner_ids_not_under(struct store *s, uint32_t key_id, const char *after_id,
                                 size_t limit, store_id_fn fn, void *ctx, struct ok_error *err)
{
	return sqlite_ids_not_under(s, SQL_LEARNER_IDS, "list learners under older keys", key_id,
	                            after_id, limit, fn, ctx, err);
}

static int foreign_ids_not_under(struct store *s, uint32_t key_id, const char *after_id,
                                 size_t limit, store_id_fn fn, void *ctx, struct ok_error *err)
{
	return sqlite_ids_not_under(s, SQL_FOREIGN_IDS, "list foreign credentials under older keys",
	                            key_id, after_id, limit, fn, ctx, err);
}

static int issuer_key_put(struct store *base, const struct store_issuer_key *k,
                          struct ok_error *err)
{
	struct store_sqlite *s = sq(base);
	sqlite3_stmt *st = sqlite_prepared(s, SQL_ISSUER_KEY_PUT, err);

	if (!st)
		return err ? err->code : OK_ESTORE;
	sqlite3_bind_int64(st, 1, k->key_id);
	sqlite_bind_blob(st, 2, k->public_key, sizeof(k->public_key));
	sqlite3_bind_int64(st, 3, k->added_ms);
	sqlite3_bind_int64(st, 4, k->superseded_ms);
	sqlite3_bind_int64(st, 5, k->retired_ms);
	return sqlite_exec_step(s, st, "record an issuer key", err);
}

static void read_issuer_key(sqlite3_stmt *st, struct store_issuer_key *k)
{
	k->key_id = (uint32_t)sqlite3_column_int64(st, 0);
	sqlite_col_fixed(st, 1, k->public_key, sizeof(k->public_key));
	k->added_ms = sqlite3_column_int64(st, 2);
	k->superseded_ms = sqlite3_column_int64(st, 3);
	k->retired_ms = sqlite3_column_int64(st, 4);
}

static int issuer_key_get(struct store *base, uint32_t key_id, struct store_issuer_key *out,
                          struct ok_error *err)
{
	struct store_sqlite *s = sq(base);
	sqlite3_stmt *st = sqlite_prepared(s, SQL_ISSUER_KEY_GET, err);
	int rc;

	if (!st)
		return err ? err->code : OK_ESTORE;
	sqlite3_bind_int64(st, 1, key_id);
	rc = sqlite_step_one(s, st, "read an issuer key", err);
	if (rc)
		return rc;
	read_issuer_key(st, out);
	sqlite3_reset(st);
	return 0;
}

static int issuer_key_list(struct store *base, store_issuer_key_fn fn, void *ctx,
                           struct ok_error *err)
{
	struct store_sqlite *s = sq(base);
	sqlite3_stmt *st = sqlite_prepared(s, SQL_ISSUER_KEY_LIST, err);
	struct store_issuer_key k;
	int rc;

	if (!st)
		return err ? err->code : OK_ESTORE;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		read_issuer_key(st, &k);
		if ((rc = fn(ctx, &k))) {
			sqlite3_reset(st);
			return rc;
		}
	}
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? 0 : sqlite_fail(s, rc, "list issuer keys", err);
}

static int credentials_issued(struct store *s, int64_t from_ms, int64_t to_ms, int64_t *count,
                              struct ok_error *err)
{
	return count_one(s, SQL_CREDENTIALS_ISSUED, "count issued credentials", from_ms, to_ms,
	                 true, count, err);
}

const struct store_keys_ops sqlite_keys_ops = {
        .rotation_last = rotation_last,
        .rotation_put = rotation_put,
        .learners_by_key = learners_by_key,
        .foreign_by_key = foreign_by_key,
        .learners_not_under = learners_not_under,
        .foreign_not_under = foreign_not_under,
        .learner_ids_not_under = learner_ids_not_under,
        .foreign_ids_not_under = foreign_ids_not_under,
        .issuer_key_put = issuer_key_put,
        .issuer_key_get = issuer_key_get,
        .issuer_key_list = issuer_key_list,
        .credentials_issued = credentials_issued,
};
