/* The PostgreSQL side of the store's identity area (see identity.h): corrections of a learner's
 * identity, the values sealed (BYTEA). A learner's changes come back in the order they were
 * recorded: by time, then by the table's identity column (where SQLite has its rowid). */
#include "store/identity.h"
#include "store/pg_internal.h"

#define CHANGE_COLS "id, learner_id, actor, purpose, fields, at_ms, key_id, sealed"

static const char SQL_PUT[] = "INSERT INTO identity_change (" CHANGE_COLS ") "
                              "VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT DO NOTHING";
static const char SQL_GET[] = "SELECT " CHANGE_COLS " FROM identity_change WHERE id = $1";
static const char SQL_BY_LEARNER[] = "SELECT " CHANGE_COLS " FROM identity_change "
                                     "WHERE learner_id = $1 ORDER BY at_ms, n";
static const char SQL_RESEAL[] =
        "UPDATE identity_change SET sealed = $1, key_id = $2 WHERE id = $3";
static const char SQL_NOT_UNDER[] = "SELECT count(*) FROM identity_change WHERE key_id <> $1";
static const char SQL_IDS[] =
        "SELECT id FROM identity_change WHERE id > $1 AND key_id <> $2 ORDER BY id LIMIT $3";
/* The lock of a data-key rotation's batches (see store_pg_keys.c): this is its third phase. */
static const char SQL_ROTATION_LOCK[] = "LOCK TABLE key_rotation IN EXCLUSIVE MODE";

static int read_row(const PGresult *r, int row, struct store_identity_change *c)
{
	pg_col_text(r, row, 0, c->id, sizeof(c->id));
	pg_col_text(r, row, 1, c->learner_id, sizeof(c->learner_id));
	pg_col_text(r, row, 2, c->actor, sizeof(c->actor));
	pg_col_text(r, row, 3, c->purpose, sizeof(c->purpose));
	pg_col_text(r, row, 4, c->fields, sizeof(c->fields));
	c->at_ms = pg_col_int64(r, row, 5);
	c->key_id = (uint32_t)pg_col_int64(r, row, 6);
	return pg_col_buf(r, row, 7, &c->sealed);
}

static int change_put(struct store *base, const struct store_identity_change *c,
                      struct ok_error *err)
{
	struct pg_params p;

	pg_params_init(&p);
	pg_param_text(&p, c->id);
	pg_param_text(&p, c->learner_id);
	pg_param_text(&p, c->actor);
	pg_param_text(&p, c->purpose);
	pg_param_text(&p, c->fields);
	pg_param_int64(&p, c->at_ms);
	pg_param_int64(&p, c->key_id);
	pg_param_bytea(&p, c->sealed.data, c->sealed.len);
	return pg_insert(base, SQL_PUT, &p, "record an identity correction", err);
}

static int change_get(struct store *base, const char *id, struct store_identity_change *out,
                      struct ok_error *err)
{
	struct pg_params p;
	PGresult *r;
	int rc;

	pg_params_init(&p);
	pg_param_text(&p, id);
	rc = pg_exec_one(pgs(base), SQL_GET, &p, &r, "read an identity correction", err);
	if (rc == OK_ENOTFOUND)
		return ok_fail(err, rc, "no identity correction with that id");
	if (rc)
		return rc;
	rc = read_row(r, 0, out);
	PQclear(r);
	return rc ? ok_fail(err, OK_ENOMEM, "out of memory") : 0;
}

static int change_list(struct store *base, const char *learner_id, store_identity_change_fn fn,
                       void *ctx, struct ok_error *err)
{
	struct store_identity_change c;
	struct pg_params p;
	PGresult *r;
	int i, n, rc;

	pg_params_init(&p);
	pg_param_text(&p, learner_id);
	if ((rc = pg_exec(pgs(base), SQL_BY_LEARNER, &p, &r, NULL, "list identity corrections",
	                  err)))
		return rc;
	store_identity_change_init(&c);
	n = PQntuples(r);
	for (i = 0; i < n && !rc; i++) {
		if (read_row(r, i, &c))
			rc = ok_fail(err, OK_ENOMEM, "out of memory");
		else
			rc = fn(ctx, &c);
	}
	store_identity_change_release(&c);
	PQclear(r);
	return rc;
}

static int change_reseal(struct store *base, const char *id, const struct buf *sealed,
                         uint32_t key_id, struct ok_error *err)
{
	struct pg_params p;

	pg_params_init(&p);
	pg_param_bytea(&p, sealed->data, sealed->len);
	pg_param_int64(&p, key_id);
	pg_param_text(&p, id);
	return pg_exec(pgs(base), SQL_RESEAL, &p, NULL, NULL, "re-seal an identity correction",
	               err);
}

static int change_not_under(struct store *base, uint32_t key_id, int64_t *count,
                            struct ok_error *err)
{
	struct pg_params p;
	PGresult *r;
	int rc;

	*count = 0;
	pg_params_init(&p);
	pg_param_int64(&p, key_id);
	if ((rc = pg_exec_one(pgs(base), SQL_NOT_UNDER, &p, &r,
	                      "count identity corrections under older keys", err)))
		return rc;
	*count = pg_col_int64(r, 0, 0);
	PQclear(r);
	return 0;
}

static int change_ids_not_under(struct store *base, uint32_t key_id, const char *after_id,
                                size_t limit, store_identity_id_fn fn, void *ctx,
                                struct ok_error *err)
{
	struct pg_store *s = pgs(base);
	int rc;

	if (s->in_tx && (rc = pg_command(s, SQL_ROTATION_LOCK, "lock the key rotation", err)))
		return rc;
	return pg_ids_not_under(base, SQL_IDS, "list identity corrections under older keys", key_id,
	                        after_id, limit, fn, ctx, err);
}

const struct store_identity_ops pg_identity_ops = {
        .put = change_put,
        .get = change_get,
        .list_by_learner = change_list,
        .reseal = change_reseal,
        .not_under = change_not_under,
        .ids_not_under = change_ids_not_under,
};
