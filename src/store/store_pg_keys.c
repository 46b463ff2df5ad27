/* The PostgreSQL side of the store's keys area (see keys.h): data-key rotations, the issuer key
 * history, and the work lists of a rotation. Servers on other machines may rotate the same
 * database: a batch's work list is read under one table lock on key_rotation held to the end of
 * the batch's transaction (pg_ids_not_under), so that batches take turns and each sees the
 * records the one before re-sealed, and a finished rotation is never marked running again by a
 * batch that started before. */
#include "store/keys.h"
#include "store/pg_internal.h"

#define ROTATION_COLS "to_key, from_key, phase, cursor, done, total, started_ms, finished_ms"
static const struct pg_col rotation_col[] = {
        PG_COL(struct store_key_rotation, to_key, PG_UINT),
        PG_COL(struct store_key_rotation, from_key, PG_UINT),
        PG_COL(struct store_key_rotation, phase, PG_INT),
        PG_COL(struct store_key_rotation, cursor, PG_TEXT),
        PG_COL(struct store_key_rotation, done, PG_INT),
        PG_COL(struct store_key_rotation, total, PG_INT),
        PG_COL(struct store_key_rotation, started_ms, PG_INT),
        PG_COL(struct store_key_rotation, finished_ms, PG_INT),
};
static const struct pg_cols rotation_cols = PG_COLS(rotation_col);

#define ISSUER_KEY_COLS "key_id, public_key, added_ms, superseded_ms, retired_ms"
static const struct pg_col issuer_key_col[] = {
        PG_COL(struct store_issuer_key, key_id, PG_UINT),
        PG_COL(struct store_issuer_key, public_key, PG_BLOB),
        PG_COL(struct store_issuer_key, added_ms, PG_INT),
        PG_COL(struct store_issuer_key, superseded_ms, PG_INT),
        PG_COL(struct store_issuer_key, retired_ms, PG_INT),
};
static const struct pg_cols issuer_key_cols = PG_COLS(issuer_key_col);

/* How many records one data key seals. */
struct key_count_row {
	uint32_t key_id;
	int64_t n;
};
static const struct pg_col key_count_col[] = {
        PG_COL(struct key_count_row, key_id, PG_UINT),
        PG_COL(struct key_count_row, n, PG_INT),
};
static const struct pg_cols key_count_cols = PG_COLS(key_count_col);

static const struct pg_query ROTATION_LAST = {"SELECT " ROTATION_COLS
                                              " FROM key_rotation ORDER BY to_key DESC LIMIT 1",
                                              "read the key rotation", NULL, &rotation_cols};
static const struct pg_query ROTATION_PUT = {
        "INSERT INTO key_rotation (" ROTATION_COLS ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8) "
        "ON CONFLICT (to_key) DO UPDATE SET from_key = excluded.from_key, "
        "phase = excluded.phase, cursor = excluded.cursor, done = excluded.done, "
        "total = excluded.total, started_ms = excluded.started_ms, "
        "finished_ms = excluded.finished_ms "
        "WHERE key_rotation.finished_ms = 0 OR excluded.finished_ms <> 0",
        "record the key rotation", &rotation_cols, NULL};
static const struct pg_query LEARNERS_BY_KEY = {
        "SELECT key_id, count(*) AS n FROM learner GROUP BY key_id ORDER BY key_id",
        "count learners by data key", NULL, &key_count_cols};
static const struct pg_query FOREIGN_BY_KEY = {
        "SELECT key_id, count(*) AS n FROM foreign_achievement GROUP BY key_id ORDER BY key_id",
        "count foreign credentials by data key", NULL, &key_count_cols};
static const struct pg_query LEARNERS_NOT_UNDER = {
        "SELECT count(*) AS n FROM learner WHERE key_id <> $1", "count learners under older keys",
        NULL, &pg_count_cols};
static const struct pg_query FOREIGN_NOT_UNDER = {
        "SELECT count(*) AS n FROM foreign_achievement WHERE key_id <> $1",
        "count foreign credentials under older keys", NULL, &pg_count_cols};
/* (after_id, key_id, limit) */
static const struct pg_query LEARNER_IDS = {
        "SELECT id FROM learner WHERE id > $1 AND key_id <> $2 ORDER BY id LIMIT $3",
        "list learners under older keys", NULL, &pg_id_cols};
static const struct pg_query FOREIGN_IDS = {
        "SELECT id FROM foreign_achievement WHERE id > $1 AND key_id <> $2 ORDER BY id LIMIT $3",
        "list foreign credentials under older keys", NULL, &pg_id_cols};
static const struct pg_query ISSUER_KEY_PUT = {
        "INSERT INTO issuer_key (" ISSUER_KEY_COLS ") VALUES ($1, $2, $3, $4, $5) "
        "ON CONFLICT (key_id) DO UPDATE SET public_key = excluded.public_key, "
        "added_ms = excluded.added_ms, superseded_ms = excluded.superseded_ms, "
        "retired_ms = excluded.retired_ms",
        "record an issuer key", &issuer_key_cols, NULL};
static const struct pg_query ISSUER_KEY_GET = {"SELECT " ISSUER_KEY_COLS
                                               " FROM issuer_key WHERE key_id = $1",
                                               "read an issuer key", NULL, &issuer_key_cols};
static const struct pg_query ISSUER_KEY_LIST = {"SELECT " ISSUER_KEY_COLS
                                                " FROM issuer_key ORDER BY key_id",
                                                "list issuer keys", NULL, &issuer_key_cols};
/* (from_ms, to_ms): an issuance with an achievement as subject counts unless that achievement
 * was revoked; one of the VC-API (no achievement) always counts. */
static const struct pg_query CREDENTIALS_ISSUED = {
        "SELECT count(*) AS n FROM audit_event e LEFT JOIN achievement a ON a.id = e.subject "
        "WHERE e.action = 'credential.issue' AND e.at_ms >= $1::bigint "
        "AND ($2::bigint = 0 OR e.at_ms < $2::bigint) "
        "AND (a.status IS NULL OR a.status <> 'revoked')",
        "count issued credentials", NULL, &pg_count_cols};

static int rotation_last(struct store *base, struct store_key_rotation *out, struct ok_error *err)
{
	return pg_get(pgs(base), &ROTATION_LAST, PG_NO_ARGS, out, err);
}

static int rotation_put(struct store *base, const struct store_key_rotation *r,
                        struct ok_error *err)
{
	return pg_run(pgs(base), &ROTATION_PUT, r, PG_NO_ARGS, NULL, err);
}

static int count_by_key(struct store *base, const struct pg_query *q, store_key_count_fn fn,
                        void *ctx, struct ok_error *err)
{
	struct key_count_row r;
	struct pg_cursor c;
	int rc = pg_list(&c, pgs(base), q, PG_NO_ARGS, err);

	while (!rc && (rc = pg_next(&c, &r, err)) > 0)
		rc = fn(ctx, r.key_id, r.n);
	return pg_list_end(&c, rc);
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
	return pg_count(pgs(s), &LEARNERS_NOT_UNDER, PG_ARGS(PG_ARG_INT(key_id)), count, err);
}

static int foreign_not_under(struct store *s, uint32_t key_id, int64_t *count, struct ok_error *err)
{
	return pg_count(pgs(s), &FOREIGN_NOT_UNDER, PG_ARGS(PG_ARG_INT(key_id)), count, err);
}

static int learner_ids_not_under(struct store *s, uint32_t key_id, const char *after_id,
                                 size_t limit, store_id_fn fn, void *ctx, struct ok_error *err)
{
	return pg_ids_not_under(s, &LEARNER_IDS, key_id, after_id, limit, fn, ctx, err);
}

static int foreign_ids_not_under(struct store *s, uint32_t key_id, const char *after_id,
                                 size_t limit, store_id_fn fn, void *ctx, struct ok_error *err)
{
	return pg_ids_not_under(s, &FOREIGN_IDS, key_id, after_id, limit, fn, ctx, err);
}

static int issuer_key_put(struct store *base, const struct store_issuer_key *k,
                          struct ok_error *err)
{
	return pg_run(pgs(base), &ISSUER_KEY_PUT, k, PG_NO_ARGS, NULL, err);
}

static int issuer_key_get(struct store *base, uint32_t key_id, struct store_issuer_key *out,
                          struct ok_error *err)
{
	return pg_get(pgs(base), &ISSUER_KEY_GET, PG_ARGS(PG_ARG_INT(key_id)), out, err);
}

static int issuer_key_list(struct store *base, store_issuer_key_fn fn, void *ctx,
                           struct ok_error *err)
{
	struct store_issuer_key k;
	struct pg_cursor c;
	int rc = pg_list(&c, pgs(base), &ISSUER_KEY_LIST, PG_NO_ARGS, err);

	while (!rc && (rc = pg_next(&c, &k, err)) > 0)
		rc = fn(ctx, &k);
	return pg_list_end(&c, rc);
}

static int credentials_issued(struct store *s, int64_t from_ms, int64_t to_ms, int64_t *count,
                              struct ok_error *err)
{
	return pg_count(pgs(s), &CREDENTIALS_ISSUED,
	                PG_ARGS(PG_ARG_INT(from_ms), PG_ARG_INT(to_ms)), count, err);
}

const struct store_keys_ops pg_keys_ops = {
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
