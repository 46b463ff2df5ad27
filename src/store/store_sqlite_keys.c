/* The SQLite side of the store's keys area (see keys.h): data-key rotations, the issuer key
 * history, and the work lists of a rotation, in the tables of the keys migration. */
#include "store/keys.h"
#include "store/sqlite_internal.h"

#define ROTATION_COLS "to_key, from_key, phase, cursor, done, total, started_ms, finished_ms"
static const struct sqlite_col rotation_col[] = {
        SQLITE_COL(struct store_key_rotation, to_key, SQ_UINT),
        SQLITE_COL(struct store_key_rotation, from_key, SQ_UINT),
        SQLITE_COL(struct store_key_rotation, phase, SQ_INT),
        SQLITE_COL(struct store_key_rotation, cursor, SQ_TEXT),
        SQLITE_COL(struct store_key_rotation, done, SQ_INT),
        SQLITE_COL(struct store_key_rotation, total, SQ_INT),
        SQLITE_COL(struct store_key_rotation, started_ms, SQ_INT),
        SQLITE_COL(struct store_key_rotation, finished_ms, SQ_INT),
};
static const struct sqlite_cols rotation_cols = SQLITE_COLS(rotation_col);

#define ISSUER_KEY_COLS "key_id, public_key, added_ms, superseded_ms, retired_ms"
static const struct sqlite_col issuer_key_col[] = {
        SQLITE_COL(struct store_issuer_key, key_id, SQ_UINT),
        SQLITE_COL(struct store_issuer_key, public_key, SQ_BLOB),
        SQLITE_COL(struct store_issuer_key, added_ms, SQ_INT),
        SQLITE_COL(struct store_issuer_key, superseded_ms, SQ_INT),
        SQLITE_COL(struct store_issuer_key, retired_ms, SQ_INT),
};
static const struct sqlite_cols issuer_key_cols = SQLITE_COLS(issuer_key_col);

/* How many records are sealed under one key. */
struct key_count_row {
	uint32_t key_id;
	int64_t n;
};
static const struct sqlite_col key_count_col[] = {
        SQLITE_COL(struct key_count_row, key_id, SQ_UINT),
        SQLITE_COL(struct key_count_row, n, SQ_INT),
};
static const struct sqlite_cols key_count_cols = SQLITE_COLS(key_count_col);

static const struct sqlite_query ROTATION_LAST = {
        ST_ROTATION_LAST, "SELECT " ROTATION_COLS " FROM key_rotation ORDER BY to_key DESC LIMIT 1",
        "read the key rotation", NULL, &rotation_cols};
static const struct sqlite_query ROTATION_PUT = {
        ST_ROTATION_PUT,
        "INSERT OR REPLACE INTO key_rotation (" ROTATION_COLS ") VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        "record the key rotation", &rotation_cols, NULL};
static const struct sqlite_query LEARNERS_BY_KEY = {
        ST_LEARNERS_BY_KEY,
        "SELECT key_id, count(*) AS n FROM learner GROUP BY key_id ORDER BY key_id",
        "count learners by data key", NULL, &key_count_cols};
static const struct sqlite_query FOREIGN_BY_KEY = {
        ST_FOREIGN_BY_KEY,
        "SELECT key_id, count(*) AS n FROM foreign_achievement GROUP BY key_id ORDER BY key_id",
        "count foreign credentials by data key", NULL, &key_count_cols};
static const struct sqlite_query LEARNERS_NOT_UNDER = {
        ST_LEARNERS_NOT_UNDER, "SELECT count(*) AS n FROM learner WHERE key_id <> ?",
        "count learners under older keys", NULL, &sqlite_count_cols};
static const struct sqlite_query FOREIGN_NOT_UNDER = {
        ST_FOREIGN_NOT_UNDER, "SELECT count(*) AS n FROM foreign_achievement WHERE key_id <> ?",
        "count foreign credentials under older keys", NULL, &sqlite_count_cols};
static const struct sqlite_query LEARNER_IDS = {
        ST_LEARNER_IDS, "SELECT id FROM learner WHERE id > ? AND key_id <> ? ORDER BY id LIMIT ?",
        "list learners under older keys", NULL, &sqlite_id_cols};
static const struct sqlite_query FOREIGN_IDS = {
        ST_FOREIGN_IDS,
        "SELECT id FROM foreign_achievement WHERE id > ? AND key_id <> ? ORDER BY id LIMIT ?",
        "list foreign credentials under older keys", NULL, &sqlite_id_cols};
static const struct sqlite_query ISSUER_KEY_PUT = {
        ST_ISSUER_KEY_PUT,
        "INSERT OR REPLACE INTO issuer_key (" ISSUER_KEY_COLS ") VALUES (?, ?, ?, ?, ?)",
        "record an issuer key", &issuer_key_cols, NULL};
static const struct sqlite_query ISSUER_KEY_GET = {
        ST_ISSUER_KEY_GET, "SELECT " ISSUER_KEY_COLS " FROM issuer_key WHERE key_id = ?",
        "read an issuer key", NULL, &issuer_key_cols};
static const struct sqlite_query ISSUER_KEY_LIST = {
        ST_ISSUER_KEY_LIST, "SELECT " ISSUER_KEY_COLS " FROM issuer_key ORDER BY key_id",
        "list issuer keys", NULL, &issuer_key_cols};
/* (from_ms, to_ms) An issuance with an achievement as subject counts unless that achievement
 * was revoked; one of the VC-API (no achievement) always counts. */
static const struct sqlite_query CREDENTIALS_ISSUED = {
        ST_CREDENTIALS_ISSUED,
        "SELECT count(*) AS n FROM audit_event e LEFT JOIN achievement a ON a.id = e.subject "
        "WHERE e.action = 'credential.issue' AND e.at_ms >= ?1 AND (?2 = 0 OR e.at_ms < ?2) "
        "AND (a.status IS NULL OR a.status <> 'revoked')",
        "count issued credentials", NULL, &sqlite_count_cols};

static int rotation_last(struct store *base, struct store_key_rotation *out, struct ok_error *err)
{
	return sqlite_get(sq(base), &ROTATION_LAST, SQLITE_NO_ARGS, out, err);
}

static int rotation_put(struct store *base, const struct store_key_rotation *r,
                        struct ok_error *err)
{
	return sqlite_exec(sq(base), &ROTATION_PUT, r, SQLITE_NO_ARGS, err);
}

static int count_by_key(struct store *base, const struct sqlite_query *q, store_key_count_fn fn,
                        void *ctx, struct ok_error *err)
{
	struct store_sqlite *s = sq(base);
	struct key_count_row r;
	int rc = sqlite_query(s, q, SQLITE_NO_ARGS, err);

	while (!rc && (rc = sqlite_next(s, q, &r, err)) > 0)
		rc = fn(ctx, r.key_id, r.n);
	return sqlite_end(s, q, rc);
}

static int learners_by_key(struct store *s, store_key_count_fn fn, void *ctx, struct ok_error *err)
{
	return count_by_key(s, &LEARNERS_BY_KEY, fn, ctx, err);
}

static int foreign_by_key(struct store *s, store_key_count_fn fn, void *ctx, struct ok_error *err)
{
	return count_by_key(s, &FOREIGN_BY_KEY, fn, ctx, err);
}

static int learners_not_under(struct store *s, uint32_t key_id, int64_t *count,
                              struct ok_error *err)
{
	return sqlite_count(sq(s), &LEARNERS_NOT_UNDER, SQLITE_ARGS(SQ_ARG_INT(key_id)), count,
	                    err);
}

static int foreign_not_under(struct store *s, uint32_t key_id, int64_t *count, struct ok_error *err)
{
	return sqlite_count(sq(s), &FOREIGN_NOT_UNDER, SQLITE_ARGS(SQ_ARG_INT(key_id)), count, err);
}

static int learner_ids_not_under(struct store *s, uint32_t key_id, const char *after_id,
                                 size_t limit, store_id_fn fn, void *ctx, struct ok_error *err)
{
	return sqlite_ids_not_under(s, &LEARNER_IDS, key_id, after_id, limit, fn, ctx, err);
}

static int foreign_ids_not_under(struct store *s, uint32_t key_id, const char *after_id,
                                 size_t limit, store_id_fn fn, void *ctx, struct ok_error *err)
{
	return sqlite_ids_not_under(s, &FOREIGN_IDS, key_id, after_id, limit, fn, ctx, err);
}

static int issuer_key_put(struct store *base, const struct store_issuer_key *k,
                          struct ok_error *err)
{
	return sqlite_exec(sq(base), &ISSUER_KEY_PUT, k, SQLITE_NO_ARGS, err);
}

static int issuer_key_get(struct store *base, uint32_t key_id, struct store_issuer_key *out,
                          struct ok_error *err)
{
	return sqlite_get(sq(base), &ISSUER_KEY_GET, SQLITE_ARGS(SQ_ARG_INT(key_id)), out, err);
}

static int issuer_key_list(struct store *base, store_issuer_key_fn fn, void *ctx,
                           struct ok_error *err)
{
	struct store_sqlite *s = sq(base);
	struct store_issuer_key k;
	int rc = sqlite_query(s, &ISSUER_KEY_LIST, SQLITE_NO_ARGS, err);

	while (!rc && (rc = sqlite_next(s, &ISSUER_KEY_LIST, &k, err)) > 0)
		rc = fn(ctx, &k);
	return sqlite_end(s, &ISSUER_KEY_LIST, rc);
}

static int credentials_issued(struct store *s, int64_t from_ms, int64_t to_ms, int64_t *count,
                              struct ok_error *err)
{
	return sqlite_count(sq(s), &CREDENTIALS_ISSUED,
	                    SQLITE_ARGS(SQ_ARG_INT(from_ms), SQ_ARG_INT(to_ms)), count, err);
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
