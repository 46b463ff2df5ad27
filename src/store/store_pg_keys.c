/* The PostgreSQL side of the store's keys area (see keys.h): data-key rotations, the issuer key
 * history, and the work lists of a rotation. Servers on other machines may rotate the same
 * database: a batch's work list is read under one table lock held to the end of the batch's
 * transaction, so that batches take turns and each sees the records the one before re-sealed,
 * and a finished rotation is never marked running again by a batch that started before. */
#include "store/keys.h"
#include "store/pg_internal.h"

#define ROTATION_COLS   "to_key, from_key, phase, cursor, done, total, started_ms, finished_ms"
#define ISSUER_KEY_COLS "key_id, public_key, added_ms, superseded_ms, retired_ms"

/* The lock of a rotation's batches, on the table of rotations (only the oorkonde role can take
 * it, unlike an advisory lock). The same text is in store_pg_identity.c, whose records are a
 * rotation's third phase. */
static const char SQL_ROTATION_LOCK[] = "LOCK TABLE key_rotation IN EXCLUSIVE MODE";
static const char SQL_ROTATION_LAST[] =
        "SELECT " ROTATION_COLS " FROM key_rotation ORDER BY to_key DESC LIMIT 1";
static const char SQL_ROTATION_PUT[] =
        "INSERT INTO key_rotation (" ROTATION_COLS ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8) "
        "ON CONFLICT (to_key) DO UPDATE SET from_key = excluded.from_key, "
        "phase = excluded.phase, cursor = excluded.cursor, done = excluded.done, "
        "total = excluded.total, started_ms = excluded.started_ms, "
        "finished_ms = excluded.finished_ms "
        "WHERE key_rotation.finished_ms = 0 OR excluded.finished_ms <> 0";
static const char SQL_LEARNERS_BY_KEY[] =
        "SELECT key_id, count(*) FROM learner GROUP BY key_id ORDER BY key_id";
static const char SQL_FOREIGN_BY_KEY[] =
        "SELECT key_id, count(*) FROM foreign_achievement GROUP BY key_id ORDER BY key_id";
static const char SQL_LEARNERS_NOT_UNDER[] = "SELECT count(*) FROM learner WHERE key_id <> $1";
static const char SQL_FOREIGN_NOT_UNDER[] =
        "SELECT count(*) FROM foreign_achievement WHERE key_id <> $1";
static const char SQL_LEARNER_IDS[] =
        "SELECT id FROM learner WHERE id > $1 AND key_id <> $2 ORDER BY id LIMIT $3";
static const char SQL_FOREIGN_IDS[] =
        "SELECT id FROM foreign_achievement WHERE id > $1 AND key_id <> $2 ORDER BY id LIMIT $3";
static const char SQL_ISSUER_KEY_PUT[] =
        "INSERT INTO issuer_key (" ISSUER_KEY_COLS ") VALUES ($1, $2, $3, $4, $5) "
        "ON CONFLICT (key_id) DO UPDATE SET public_key = excluded.public_key, "
        "added_ms = excluded.added_ms, superseded_ms = excluded.superseded_ms, "
        "retired_ms = excluded.retired_ms";
static const char SQL_ISSUER_KEY_GET[] =
        "SELECT " ISSUER_KEY_COLS " FROM issuer_key WHERE key_id = $1";
static const char SQL_ISSUER_KEY_LIST[] =
        "SELECT " ISSUER_KEY_COLS " FROM issuer_key ORDER BY key_id";
/* An issuance with an achievement as subject counts unless that achievement was revoked; one
 * of the VC-API (no achievement) always counts. */
static const char SQL_CREDENTIALS_ISSUED[] =
        "SELECT count(*) FROM audit_event e LEFT JOIN achievement a ON a.id = e.subject "
        "WHERE e.action = 'credential.issue' AND e.at_ms >= $1::bigint "
        "AND ($2::bigint = 0 OR e.at_ms < $2::bigint) "
        "AND (a.status IS NULL OR a.status <> 'revoked')";

static int rotation_last(struct store *base, struct store_key_rotation *out, struct ok_error *err)
{
	PGresult *r;
	int rc;

	if ((rc = pg_exec_one(pgs(base), SQL_ROTATION_LAST, NULL, &r, "read the key rotation",
	                      err)))
		return rc;
	out->to_key = (uint32_t)pg_col_int64(r, 0, 0);
	out->from_key = (uint32_t)pg_col_int64(r, 0, 1);
	out->phase = (int)pg_col_int64(r, 0, 2);
	pg_col_text(r, 0, 3, out->cursor, sizeof(out->cursor));
	out->done = pg_col_int64(r, 0, 4);
	out->total = pg_col_int64(r, 0, 5);
	out->started_ms = pg_col_int64(r, 0, 6);
	out->finished_ms = pg_col_int64(r, 0, 7);
	PQclear(r);
	return 0;
}

static int rotation_put(struct store *base, const struct store_key_rotation *r,
                        struct ok_error *err)
{
	struct pg_params p;

	pg_params_init(&p);
	pg_param_int64(&p, r->to_key);
	pg_param_int64(&p, r->from_key);
	pg_param_int64(&p, r->phase);
	pg_param_text(&p, r->cursor);
	pg_param_int64(&p, r->done);
	pg_param_int64(&p, r->total);
	pg_param_int64(&p, r->started_ms);
	pg_param_int64(&p, r->finished_ms);
	return pg_exec(pgs(base), SQL_ROTATION_PUT, &p, NULL, NULL, "record the key rotation", err);
}

static int count_by_key(struct store *base, const char *sql, const char *what,
                        store_key_count_fn fn, void *ctx, struct ok_error *err)
{
	PGresult *r;
	int i, n, rc;

	if ((rc = pg_exec(pgs(base), sql, NULL, &r, NULL, what, err)))
		return rc;
	n = PQntuples(r);
	for (i = 0; i < n && !rc; i++)
		rc = fn(ctx, (uint32_t)pg_col_int64(r, i, 0), pg_col_int64(r, i, 1));
	PQclear(r);
	return rc;
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

/* A count(*) query over p. */
static int count_one(struct store *base, const char *sql, const char *what,
                     const struct pg_params *p, int64_t *count, struct ok_error *err)
{
	PGresult *r;
	int rc;

	*count = 0;
	rc = pg_exec_one(pgs(base), sql, p, &r, what, err);
	if (rc == OK_ENOTFOUND)
		return ok_fail(err, OK_ESTORE, "%s: no count", what);
	if (rc)
		return rc;
	*count = pg_col_int64(r, 0, 0);
	PQclear(r);
	return 0;
}

static int count_not_under(struct store *s, const char *sql, const char *what, uint32_t key_id,
                           int64_t *count, struct ok_error *err)
{
	struct pg_params p;

	pg_params_init(&p);
	pg_param_int64(&p, key_id);
	return count_one(s, sql, what, &p, count, err);
}

static int learners_not_under(struct store *s, uint32_t key_id, int64_t *count,
                              struct ok_error *err)
{
	return count_not_under(s, SQL_LEARNERS_NOT_UNDER, "count learners under older keys", key_id,
	                       count, err);
}

static int foreign_not_under(struct store *s, uint32_t key_id, int64_t *count, struct ok_error *err)
{
	return count_not_under(s, SQL_FOREIGN_NOT_UNDER,
	                       "count foreign credentials under older keys", key_id, count, err);
}

/* A work list of a rotation's batch, read under the rotation's lock when in a transaction. */
static int ids_not_under(struct store *base, const char *sql, const char *what, uint32_t key_id,
                         const char *after_id, size_t limit, store_id_fn fn, void *ctx,
                         struct ok_error *err)
{
	struct pg_store *s = pgs(base);
	int rc;

	if (s->in_tx && (rc = pg_command(s, SQL_ROTATION_LOCK, "lock the key rotation", err)))
		return rc;
	return pg_ids_not_under(base, sql, what, key_id, after_id, limit, fn, ctx, err);
}

static int learner_ids_not_under(struct store *s, uint32_t key_id, const char *after_id,
                                 size_t limit, store_id_fn fn, void *ctx, struct ok_error *err)
{
	return ids_not_under(s, SQL_LEARNER_IDS, "list learners under older keys", key_id, after_id,
	                     limit, fn, ctx, err);
}

static int foreign_ids_not_under(struct store *s, uint32_t key_id, const char *after_id,
                                 size_t limit, store_id_fn fn, void *ctx, struct ok_error *err)
{
	return ids_not_under(s, SQL_FOREIGN_IDS, "list foreign credentials under older keys",
	                     key_id, after_id, limit, fn, ctx, err);
}

static int issuer_key_put(struct store *base, const struct store_issuer_key *k,
                          struct ok_error *err)
{
	struct pg_params p;

	pg_params_init(&p);
	pg_param_int64(&p, k->key_id);
	pg_param_bytea(&p, k->public_key, sizeof(k->public_key));
	pg_param_int64(&p, k->added_ms);
	pg_param_int64(&p, k->superseded_ms);
	pg_param_int64(&p, k->retired_ms);
	return pg_exec(pgs(base), SQL_ISSUER_KEY_PUT, &p, NULL, NULL, "record an issuer key", err);
}

static void read_issuer_key(const PGresult *r, int row, struct store_issuer_key *k)
{
	k->key_id = (uint32_t)pg_col_int64(r, row, 0);
	pg_col_fixed(r, row, 1, k->public_key, sizeof(k->public_key));
	k->added_ms = pg_col_int64(r, row, 2);
	k->superseded_ms = pg_col_int64(r, row, 3);
	k->retired_ms = pg_col_int64(r, row, 4);
}

static int issuer_key_get(struct store *base, uint32_t key_id, struct store_issuer_key *out,
                          struct ok_error *err)
{
	struct pg_params p;
	PGresult *r;
	int rc;

	pg_params_init(&p);
	pg_param_int64(&p, key_id);
	if ((rc = pg_exec_one(pgs(base), SQL_ISSUER_KEY_GET, &p, &r, "read an issuer key", err)))
		return rc;
	read_issuer_key(r, 0, out);
	PQclear(r);
	return 0;
}

static int issuer_key_list(struct store *base, store_issuer_key_fn fn, void *ctx,
                           struct ok_error *err)
{
	struct store_issuer_key k;
	PGresult *r;
	int i, n, rc;

	if ((rc = pg_exec(pgs(base), SQL_ISSUER_KEY_LIST, NULL, &r, NULL, "list issuer keys", err)))
		return rc;
	n = PQntuples(r);
	for (i = 0; i < n && !rc; i++) {
		read_issuer_key(r, i, &k);
		rc = fn(ctx, &k);
	}
	PQclear(r);
	return rc;
}

static int credentials_issued(struct store *s, int64_t from_ms, int64_t to_ms, int64_t *count,
                              struct ok_error *err)
{
	struct pg_params p;

	pg_params_init(&p);
	pg_param_int64(&p, from_ms);
	pg_param_int64(&p, to_ms);
	return count_one(s, SQL_CREDENTIALS_ISSUED, "count issued credentials", &p, count, err);
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
