/* The SQLite side of the store's foreign area (see foreign.h): achievements from other
 * depositories, in the table of the foreign migration. */
#include "store/foreign.h"
#include "store/sqlite_internal.h"

#define FOREIGN_COLS                                                                           \
	"id, learner_id, issuer_did, credential_key, depository, country, institution, "       \
	"institution_country, kind, title, awarded_on, credits_centi, grade, format, status, " \
	"imported_by, imported_ms, checked_ms, key_id"

static const char SQL_PUT[] = "INSERT INTO foreign_achievement (" FOREIGN_COLS ", credential) "
                              "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, "
                              "?, ?)";
static const char SQL_GET[] =
        "SELECT " FOREIGN_COLS ", credential FROM foreign_achievement WHERE id = ?";
static const char SQL_FIND[] = "SELECT " FOREIGN_COLS ", credential FROM foreign_achievement "
                               "WHERE issuer_did = ? AND credential_key = ?";
static const char SQL_BY_LEARNER[] = "SELECT " FOREIGN_COLS " FROM foreign_achievement "
                                     "WHERE learner_id = ? ORDER BY awarded_on DESC, id DESC";
static const char SQL_SET_STATUS[] =
        "UPDATE foreign_achievement SET status = ?, checked_ms = ? WHERE id = ?";
static const char SQL_RESEAL[] =
        "UPDATE foreign_achievement SET credential = ?, key_id = ? WHERE id = ?";
static const char SQL_SEALED[] = "SELECT " FOREIGN_COLS ", credential FROM foreign_achievement "
                                 "WHERE id > ? AND key_id <> ? ORDER BY id LIMIT ?";

/* Reads the columns of FOREIGN_COLS, and the credential when with_credential. */
static int read_row(sqlite3_stmt *st, struct store_foreign *f, bool with_credential)
{
	sqlite_col_text(st, 0, f->id, sizeof(f->id));
	sqlite_col_text(st, 1, f->learner_id, sizeof(f->learner_id));
	sqlite_col_text(st, 2, f->issuer_did, sizeof(f->issuer_did));
	sqlite_col_text(st, 3, f->credential_key, sizeof(f->credential_key));
	sqlite_col_text(st, 4, f->depository, sizeof(f->depository));
	sqlite_col_text(st, 5, f->country, sizeof(f->country));
	sqlite_col_text(st, 6, f->institution, sizeof(f->institution));
	sqlite_col_text(st, 7, f->institution_country, sizeof(f->institution_country));
	sqlite_col_text(st, 8, f->kind, sizeof(f->kind));
	sqlite_col_text(st, 9, f->title, sizeof(f->title));
	sqlite_col_text(st, 10, f->awarded_on, sizeof(f->awarded_on));
	f->credits_centi = (long)sqlite3_column_int64(st, 11);
	sqlite_col_text(st, 12, f->grade, sizeof(f->grade));
	sqlite_col_text(st, 13, f->format, sizeof(f->format));
	sqlite_col_text(st, 14, f->status, sizeof(f->status));
	sqlite_col_text(st, 15, f->imported_by, sizeof(f->imported_by));
	f->imported_ms = sqlite3_column_int64(st, 16);
	f->checked_ms = sqlite3_column_int64(st, 17);
	f->key_id = (uint32_t)sqlite3_column_int64(st, 18);
	buf_reset(&f->credential);
	return with_credential ? sqlite_col_buf(st, 19, &f->credential) : 0;
}

static int foreign_put(struct store *base, const struct store_foreign *f, struct ok_error *err)
{
	struct store_sqlite *s = sq(base);
	sqlite3_stmt *st = sqlite_prepared(s, SQL_PUT, err);

	if (!st)
		return err ? err->code : OK_ESTORE;
	sqlite_bind_text(st, 1, f->id);
	sqlite_bind_text(st, 2, f->learner_id);
	sqlite_bind_text(st, 3, f->issuer_did);
	sqlite_bind_text(st, 4, f->credential_key);
	sqlite_bind_text(st, 5, f->depository);
	sqlite_bind_text(st, 6, f->country);
	sqlite_bind_text(st, 7, f->institution);
	sqlite_bind_text(st, 8, f->institution_country);
	sqlite_bind_text(st, 9, f->kind);
	sqlite_bind_text(st, 10, f->title);
	sqlite_bind_text(st, 11, f->awarded_on);
	sqlite3_bind_int64(st, 12, f->credits_centi);
	sqlite_bind_text(st, 13, f->grade);
	sqlite_bind_text(st, 14, f->format);
	sqlite_bind_text(st, 15, f->status);
	sqlite_bind_text(st, 16, f->imported_by);
	sqlite3_bind_int64(st, 17, f->imported_ms);
	sqlite3_bind_int64(st, 18, f->checked_ms);
	sqlite3_bind_int64(st, 19, f->key_id);
	sqlite_bind_blob(st, 20, f->credential.data, f->credential.len);
	return sqlite_exec_step(s, st, "store a foreign achievement", err);
}

/* Steps a one-row query and reads it (with the credential). */
static int read_one(struct store_sqlite *s, sqlite3_stmt *st, struct store_foreign *out,
                    struct ok_error *err)
{
	int rc = sqlite_step_one(s, st, "read a foreign achievement", err);

	if (rc)
		return rc;
	rc = read_row(st, out, true);
	sqlite3_reset(st);
	return rc ? ok_fail(err, rc, "read a foreign achievement: the credential is too large") : 0;
}

static int foreign_get(struct store *base, const char *id, struct store_foreign *out,
                       struct ok_error *err)
{
	struct store_sqlite *s = sq(base);
	sqlite3_stmt *st = sqlite_prepared(s, SQL_GET, err);

	if (!st)
		return err ? err->code : OK_ESTORE;
	sqlite_bind_text(st, 1, id);
	return read_one(s, st, out, err);
}

static int foreign_find(struct store *base, const char *issuer_did, const char *credential_key,
                        struct store_foreign *out, struct ok_error *err)
{
	struct store_sqlite *s = sq(base);
	sqlite3_stmt *st = sqlite_prepared(s, SQL_FIND, err);

	if (!st)
		return err ? err->code : OK_ESTORE;
	sqlite_bind_text(st, 1, issuer_did);
	sqlite_bind_text(st, 2, credential_key);
	return read_one(s, st, out, err);
}

/* Calls fn for each row of st; a non-zero return of fn stops and is returned. */
static int each_row(struct store_sqlite *s, sqlite3_stmt *st, bool with_credential,
                    store_foreign_fn fn, void *ctx, const char *what, struct ok_error *err)
{
	struct store_foreign f;
	int rc;

	store_foreign_init(&f);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (read_row(st, &f, with_credential) != 0) {
			rc = ok_fail(err, OK_ETOOBIG, "%s: a credential is too large", what);
			goto out;
		}
		if ((rc = fn(ctx, &f)) != 0)
			goto out;
	}
	rc = rc == SQLITE_DONE ? 0 : sqlite_fail(s, rc, what, err);
out:
	sqlite3_reset(st);
	store_foreign_release(&f);
	return rc;
}

static int foreign_list_by_learner(struct store *base, const char *learner_id, store_foreign_fn fn,
                                   void *ctx, struct ok_error *err)
{
	struct store_sqlite *s = sq(base);
	sqlite3_stmt *st = sqlite_prepared(s, SQL_BY_LEARNER, err);

	if (!st)
		return err ? err->code : OK_ESTORE;
	sqlite_bind_text(st, 1, learner_id);
	return each_row(s, st, false, fn, ctx, "list foreign achievements", err);
}

static int foreign_set_status(struct store *base, const char *id, const char *status,
                              int64_t checked_ms, struct ok_error *err)
{
	struct store_sqlite *s = sq(base);
	sqlite3_stmt *st = sqlite_prepared(s, SQL_SET_STATUS, err);
	int rc;

	if (!st)
		return err ? err->code : OK_ESTORE;
	sqlite_bind_text(st, 1, status);
	sqlite3_bind_int64(st, 2, checked_ms);
	sqlite_bind_text(st, 3, id);
	rc = sqlite_exec_step(s, st, "record a foreign achievement's status", err);
	if (!rc && sqlite3_changes(s->db) == 0)
		return ok_fail(err, OK_ENOTFOUND, "no foreign achievement with that id");
	return rc;
}

static int foreign_reseal(struct store *base, const char *id, const struct buf *sealed,
                          uint32_t key_id, struct ok_error *err)
{
	struct store_sqlite *s = sq(base);
	sqlite3_stmt *st = sqlite_prepared(s, SQL_RESEAL, err);
	int rc;

	if (!st)
		return err ? err->code : OK_ESTORE;
	sqlite_bind_blob(st, 1, sealed->data, sealed->len);
	sqlite3_bind_int64(st, 2, key_id);
	sqlite_bind_text(st, 3, id);
	rc = sqlite_exec_step(s, st, "re-seal a foreign credential", err);
	if (!rc && sqlite3_changes(s->db) == 0)
		return ok_fail(err, OK_ENOTFOUND, "no foreign achievement with that id");
	return rc;
}

static int foreign_list_sealed(struct store *base, const char *after_id, uint32_t key_id,
                               size_t limit, store_foreign_fn fn, void *ctx, struct ok_error *err)
{
	struct store_sqlite *s = sq(base);
	sqlite3_stmt *st = sqlite_prepared(s, SQL_SEALED, err);

	if (!st)
		return err ? err->code : OK_ESTORE;
	sqlite_bind_text(st, 1, after_id ? after_id : "");
	sqlite3_bind_int64(st, 2, key_id);
	sqlite3_bind_int64(st, 3, (sqlite3_int64)(limit > 100000 ? 100000 : limit));
	return each_row(s, st, true, fn, ctx, "list sealed foreign credentials", err);
}

const struct store_foreign_ops sqlite_foreign_ops = {
        .put = foreign_put,
        .get = foreign_get,
        .find = foreign_find,
        .list_by_learner = foreign_list_by_learner,
        .set_status = foreign_set_status,
        .reseal = foreign_reseal,
        .list_sealed = foreign_list_sealed,
};
