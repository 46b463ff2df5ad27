/* The PostgreSQL side of the store's identity area (see identity.h): corrections of a learner's
 * identity, the values sealed (BYTEA). A learner's changes come back in the order they were
 * recorded: by time, then by the table's identity column (where SQLite has its rowid). */
#include "store/identity.h"
#include "store/pg_internal.h"

#define CHANGE_COLS "id, learner_id, actor, purpose, fields, at_ms, key_id, sealed"
static const struct pg_col change_col[] = {
        PG_COL(struct store_identity_change, id, PG_TEXT),
        PG_COL(struct store_identity_change, learner_id, PG_TEXT),
        PG_COL(struct store_identity_change, actor, PG_TEXT),
        PG_COL(struct store_identity_change, purpose, PG_TEXT),
        PG_COL(struct store_identity_change, fields, PG_TEXT),
        PG_COL(struct store_identity_change, at_ms, PG_INT),
        PG_COL(struct store_identity_change, key_id, PG_UINT),
        PG_COL(struct store_identity_change, sealed, PG_BUF),
};
static const struct pg_cols change_cols = PG_COLS(change_col);

static const struct pg_query PUT = {
        "INSERT INTO identity_change (" CHANGE_COLS ") "
        "VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT DO NOTHING",
        "record an identity correction", &change_cols, NULL};
static const struct pg_query GET = {"SELECT " CHANGE_COLS " FROM identity_change WHERE id = $1",
                                    "read an identity correction", NULL, &change_cols};
static const struct pg_query BY_LEARNER = {
        "SELECT " CHANGE_COLS " FROM identity_change WHERE learner_id = $1 ORDER BY at_ms, n",
        "list identity corrections", NULL, &change_cols};
/* (sealed, key_id, id) */
static const struct pg_query RESEAL = {
        "UPDATE identity_change SET sealed = $1, key_id = $2 WHERE id = $3",
        "re-seal an identity correction", NULL, NULL};
static const struct pg_query NOT_UNDER = {
        "SELECT count(*) AS n FROM identity_change WHERE key_id <> $1",
        "count identity corrections under older keys", NULL, &pg_count_cols};
/* The third phase of a data-key rotation's batches (see store_pg_keys.c). */
static const struct pg_query IDS = {
        "SELECT id FROM identity_change WHERE id > $1 AND key_id <> $2 ORDER BY id LIMIT $3",
        "list identity corrections under older keys", NULL, &pg_id_cols};

static int change_put(struct store *base, const struct store_identity_change *c,
                      struct ok_error *err)
{
	return pg_add(pgs(base), &PUT, c, PG_NO_ARGS, err);
}

static int change_get(struct store *base, const char *id, struct store_identity_change *out,
                      struct ok_error *err)
{
	int rc = pg_get(pgs(base), &GET, PG_ARGS(PG_ARG_TEXT(id)), out, err);

	return rc == OK_ENOTFOUND ? ok_fail(err, rc, "no identity correction with that id") : rc;
}

static int change_list(struct store *base, const char *learner_id, store_identity_change_fn fn,
                       void *ctx, struct ok_error *err)
{
	struct store_identity_change c;
	struct pg_cursor cur;
	int rc = pg_list(&cur, pgs(base), &BY_LEARNER, PG_ARGS(PG_ARG_TEXT(learner_id)), err);

	store_identity_change_init(&c);
	while (!rc && (rc = pg_next(&cur, &c, err)) > 0)
		rc = fn(ctx, &c);
	store_identity_change_release(&c);
	return pg_list_end(&cur, rc);
}

static int change_reseal(struct store *base, const char *id, const struct buf *sealed,
                         uint32_t key_id, struct ok_error *err)
{
	return pg_run(pgs(base), &RESEAL, NULL,
	              PG_ARGS(PG_ARG_BLOB(sealed->data, sealed->len), PG_ARG_INT(key_id),
	                      PG_ARG_TEXT(id)),
	              NULL, err);
}

static int change_not_under(struct store *base, uint32_t key_id, int64_t *count,
                            struct ok_error *err)
{
	return pg_count(pgs(base), &NOT_UNDER, PG_ARGS(PG_ARG_INT(key_id)), count, err);
}

static int change_ids_not_under(struct store *base, uint32_t key_id, const char *after_id,
                                size_t limit, store_identity_id_fn fn, void *ctx,
                                struct ok_error *err)
{
	return pg_ids_not_under(base, &IDS, key_id, after_id, limit, fn, ctx, err);
}

const struct store_identity_ops pg_identity_ops = {
        .put = change_put,
        .get = change_get,
        .list_by_learner = change_list,
        .reseal = change_reseal,
        .not_under = change_not_under,
        .ids_not_under = change_ids_not_under,
};
