/* The SQLite side of the store's identity area (see identity.h): corrections of a learner's
 * identity, in the table of the identity migration. */
#include "store/identity.h"
#include "store/sqlite_internal.h"

#define CHANGE_COLS "id, learner_id, actor, purpose, fields, at_ms, key_id, sealed"

static const char SQL_PUT[] =
        "INSERT INTO identity_change (" CHANGE_COLS ") VALUES (?, ?, ?, ?, ?, ?, ?, ?)";
static const char SQL_GET[] = "SELECT " CHANGE_COLS " FROM identity_change WHERE id = ?";
static const char SQL_BY_LEARNER[] = "SELECT " CHANGE_COLS " FROM identity_change "
                                     "WHERE learner_id = ? ORDER BY at_ms, rowid";
static const char SQL_RESEAL[] = "UPDATE identity_change SET sealed = ?, key_id = ? WHERE id = ?";
static const char SQL_NOT_UNDER[] = "SELECT count(*) FROM identity_change WHERE key_id <> ?";
static const char SQL_IDS[] =
        "SELECT id FROM identity_change WHERE id > ? AND key_id <> ? ORDER BY id LIMIT ?";

static int read_row(sqlite3_stmt *st, struct store_identity_change *c)
{
	sqlite_col_text(st, 0, c->id, sizeof(c->id));
	sqlite_col_text(st, 1, c->learner_id, sizeof(c->learner_id));
	sqlite_col_text(st, 2, c->actor, sizeof(c->actor));
	sqlite_col_text(st, 3, c->purpose, sizeof(c->purpose));
	sqlite_col_text(st, 4, c->fields, sizeof(c->fields));
	c->at_ms = sqlite3_column_int64(st, 5);
	c->key_id = (uint32_t)sqlite3_column_int64(st, 6);
	return sqlite_col_buf(st, 7, &c->sealed);
}

static int change_put(struct store *base, const struct store_identity_change *c,
                      struct ok_error *err)
{
	struct store_sqlite *s = sq(base);
	sqlite3_stmt *st = sqlite_prepared(s, SQL_PUT, err);

	if (!st)
		return err ? err->code : OK_ESTORE;
	sqlite_bind_text(st, 1, c->id);
	sqlite_bind_text(st, 2, c->learner_id);
	sqlite_bind_text(st, 3, c->actor);
	sqlite_bind_text(st, 4, c->purpose);
	sqlite_bind_text(st, 5, c->fields);
	sqlite3_bind_int64(st, 6, c->at_ms);
	sqlite3_bind_int64(st, 7, c->key_id);
	sqlite_bind_blob(st, 8, c->sealed.data, c->sealed.len);
	return sqlite_exec_step(s, st, "record an identity correction", err);
}

static int change_get(struct store *base, const char *id, struct store_identity_change *out,
                      struct ok_error *err)
{
	struct store_sqlite *s = sq(base);
	sqlite3_stmt *st = sqlite_prepared(s, SQL_GET, err);
	int rc;

	if (!st)
		return err ? err->code : OK_ESTORE;
	sqlite_bind_text(st, 1, id);
	rc = sqlite_step_one(s, st, "read an identity correction", err);
	if (rc == OK_ENOTFOUND)
		return ok_fail(err, rc, "no identity correction with that id");
	if (rc)
		return rc;
	rc = read_row(st, out);
	sqlite3_reset(st);
	return rc ? ok_fail(err, OK_ENOMEM, "out of memory") : 0;
}

static int change_list(struct store *base, const char *learner_id, store_identity_change_fn fn,
                       void *ctx, struct ok_error *err)
{
	struct store_sqlite *s = sq(base);
	sqlite3_stmt *st = sqlite_prepared(s, SQL_BY_LEARNER, err);
	struct store_identity_change c;
	int rc;

	if (!st)
		return err ? err->code : OK_ESTORE;
	sqlite_bind_text(st, 1, learner_id);
	store_identity_change_init(&c);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (read_row(st, &c)) {
			rc = ok_fail(err, OK_ENOMEM, "out of memory");
			break;
		}
		if ((rc = fn(ctx, &c)))
			break;
	}
	sqlite3_reset(st);
	store_identity_change_release(&c);
	if (rc == SQLITE_DONE)
		return 0;
	if (rc > 0)
		return sqlite_fail(s, rc, "list identity corrections", err);
	return rc;
}

static int change_reseal(struct store *base, const char *id, const struct buf *sealed,
                         uint32_t key_id, struct ok_error *err)
{
	struct store_sqlite *s = sq(base);
	sqlite3_stmt *st = sqlite_prepared(s, SQL_RESEAL, err);

	if (!st)
		return err ? err->code : OK_ESTORE;
	sqlite_bind_blob(st, 1, sealed->data, sealed->len);
	sqlite3_bind_int64(st, 2, key_id);
	sqlite_bind_text(st, 3, id);
	return sqlite_exec_step(s, st, "re-seal an identity correction", err);
}

static int change_not_under(struct store *base, uint32_t key_id, int64_t *count,
                            struct ok_error *err)
{
	struct store_sqlite *s = sq(base);
	sqlite3_stmt *st = sqlite_prepared(s, SQL_NOT_UNDER, err);
	int rc;

	*count = 0;
	if (!st)
		return err ? err->code : OK_ESTORE;
	sqlite3_bind_int64(st, 1, key_id);
	rc = sqlite_step_one(s, st, "count identity corrections under older keys", err);
	if (rc)
		return rc;
	*count = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	return 0;
}

static int change_ids_not_under(struct store *base, uint32_t key_id, const char *after_id,
                                size_t limit, store_identity_id_fn fn, void *ctx,
                                struct ok_error *err)
{
	return sqlite_ids_not_under(base, SQL_IDS, "list identity corrections under older keys",
	                            key_id, after_id, limit, fn, ctx, err);
}

const struct store_identity_ops sqlite_identity_ops = {
        .put = change_put,
        .get = change_get,
        .list_by_learner = change_list,
        .reseal = change_reseal,
        .not_under = change_not_under,
        .ids_not_under = change_ids_not_under,
};
