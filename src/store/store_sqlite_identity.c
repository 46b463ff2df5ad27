/* The SQLite side of the store's identity area (see identity.h): corrections of a learner's
 * identity, in the table of the identity migration. */
#include "store/identity.h"
#include "store/sqlite_internal.h"

#define CHANGE_COLS "id, learner_id, actor, purpose, fields, at_ms, key_id, sealed"
static const struct sqlite_col change_col[] = {
        SQLITE_COL(struct store_identity_change, id, SQ_TEXT),
        SQLITE_COL(struct store_identity_change, learner_id, SQ_TEXT),
        SQLITE_COL(struct store_identity_change, actor, SQ_TEXT),
        SQLITE_COL(struct store_identity_change, purpose, SQ_TEXT),
        SQLITE_COL(struct store_identity_change, fields, SQ_TEXT),
        SQLITE_COL(struct store_identity_change, at_ms, SQ_INT),
        SQLITE_COL(struct store_identity_change, key_id, SQ_UINT),
        SQLITE_COL(struct store_identity_change, sealed, SQ_BUF),
};
static const struct sqlite_cols change_cols = SQLITE_COLS(change_col);

static const struct sqlite_query PUT = {ST_IDENTITY_PUT,
                                        "INSERT INTO identity_change (" CHANGE_COLS
                                        ") VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                                        "record an identity correction", &change_cols, NULL};
static const struct sqlite_query GET = {ST_IDENTITY_GET,
                                        "SELECT " CHANGE_COLS " FROM identity_change WHERE id = ?",
                                        "read an identity correction", NULL, &change_cols};
static const struct sqlite_query BY_LEARNER = {
        ST_IDENTITY_BY_LEARNER,
        "SELECT " CHANGE_COLS " FROM identity_change WHERE learner_id = ? ORDER BY at_ms, rowid",
        "list identity corrections", NULL, &change_cols};
/* (sealed, key_id, id) */
static const struct sqlite_query RESEAL = {
        ST_IDENTITY_RESEAL, "UPDATE identity_change SET sealed = ?, key_id = ? WHERE id = ?",
        "re-seal an identity correction", NULL, NULL};
static const struct sqlite_query NOT_UNDER = {
        ST_IDENTITY_NOT_UNDER, "SELECT count(*) AS n FROM identity_change WHERE key_id <> ?",
        "count identity corrections under older keys", NULL, &sqlite_count_cols};
static const struct sqlite_query IDS = {
        ST_IDENTITY_IDS,
        "SELECT id FROM identity_change WHERE id > ? AND key_id <> ? ORDER BY id LIMIT ?",
        "list identity corrections under older keys", NULL, &sqlite_id_cols};

static int change_put(struct store *base, const struct store_identity_change *c,
                      struct ok_error *err)
{
	return sqlite_exec(sq(base), &PUT, c, SQLITE_NO_ARGS, err);
}

static int change_get(struct store *base, const char *id, struct store_identity_change *out,
                      struct ok_error *err)
{
	int rc = sqlite_get(sq(base), &GET, SQLITE_ARGS(SQ_ARG_TEXT(id)), out, err);

	if (rc == OK_ENOTFOUND)
		return ok_fail(err, rc, "no identity correction with that id");
	return rc;
}

static int change_list(struct store *base, const char *learner_id, store_identity_change_fn fn,
                       void *ctx, struct ok_error *err)
{
	struct store_sqlite *s = sq(base);
	struct store_identity_change c;
	int rc = sqlite_query(s, &BY_LEARNER, SQLITE_ARGS(SQ_ARG_TEXT(learner_id)), err);

	store_identity_change_init(&c);
	while (!rc && (rc = sqlite_next(s, &BY_LEARNER, &c, err)) > 0)
		rc = fn(ctx, &c);
	store_identity_change_release(&c);
	return sqlite_end(s, &BY_LEARNER, rc);
}

static int change_reseal(struct store *base, const char *id, const struct buf *sealed,
                         uint32_t key_id, struct ok_error *err)
{
	return sqlite_exec(sq(base), &RESEAL, NULL,
	                   SQLITE_ARGS(SQ_ARG_BLOB(sealed->data, sealed->len), SQ_ARG_INT(key_id),
	                               SQ_ARG_TEXT(id)),
	                   err);
}

static int change_not_under(struct store *base, uint32_t key_id, int64_t *count,
                            struct ok_error *err)
{
	return sqlite_count(sq(base), &NOT_UNDER, SQLITE_ARGS(SQ_ARG_INT(key_id)), count, err);
}

static int change_ids_not_under(struct store *base, uint32_t key_id, const char *after_id,
                                size_t limit, store_identity_id_fn fn, void *ctx,
                                struct ok_error *err)
{
	return sqlite_ids_not_under(base, &IDS, key_id, after_id, limit, fn, ctx, err);
}

const struct store_identity_ops sqlite_identity_ops = {
        .put = change_put,
        .get = change_get,
        .list_by_learner = change_list,
        .reseal = change_reseal,
        .not_under = change_not_under,
        .ids_not_under = change_ids_not_under,
};
