/* The SQLite side of the store's foreign area (see foreign.h): achievements from other
 * depositories, in the table of the foreign migration. */
#include "store/foreign.h"
#include "store/sqlite_internal.h"

#define FOREIGN_COLS                                                                           \
	"id, learner_id, issuer_did, credential_key, depository, country, institution, "       \
	"institution_country, kind, title, awarded_on, credits_centi, grade, format, status, " \
	"imported_by, imported_ms, checked_ms, key_id"
static const struct sqlite_col foreign_col[] = {
        SQLITE_COL(struct store_foreign, id, SQ_TEXT),
        SQLITE_COL(struct store_foreign, learner_id, SQ_TEXT),
        SQLITE_COL(struct store_foreign, issuer_did, SQ_TEXT),
        SQLITE_COL(struct store_foreign, credential_key, SQ_TEXT),
        SQLITE_COL(struct store_foreign, depository, SQ_TEXT),
        SQLITE_COL(struct store_foreign, country, SQ_TEXT),
        SQLITE_COL(struct store_foreign, institution, SQ_TEXT),
        SQLITE_COL(struct store_foreign, institution_country, SQ_TEXT),
        SQLITE_COL(struct store_foreign, kind, SQ_TEXT),
        SQLITE_COL(struct store_foreign, title, SQ_TEXT),
        SQLITE_COL(struct store_foreign, awarded_on, SQ_TEXT),
        SQLITE_COL(struct store_foreign, credits_centi, SQ_INT),
        SQLITE_COL(struct store_foreign, grade, SQ_TEXT),
        SQLITE_COL(struct store_foreign, format, SQ_TEXT),
        SQLITE_COL(struct store_foreign, status, SQ_TEXT),
        SQLITE_COL(struct store_foreign, imported_by, SQ_TEXT),
        SQLITE_COL(struct store_foreign, imported_ms, SQ_INT),
        SQLITE_COL(struct store_foreign, checked_ms, SQ_INT),
        SQLITE_COL(struct store_foreign, key_id, SQ_UINT),
        SQLITE_COL(struct store_foreign, credential, SQ_BUF),
};
/* With the sealed credential, and without it (listings: FOREIGN_COLS alone). */
static const struct sqlite_cols foreign_cols = SQLITE_COLS(foreign_col);
static const struct sqlite_cols foreign_listed_cols =
        SQLITE_COLS_N(foreign_col, sizeof(foreign_col) / sizeof(foreign_col[0]) - 1);

static const struct sqlite_query PUT = {
        ST_FOREIGN_PUT,
        "INSERT INTO foreign_achievement (" FOREIGN_COLS ", credential) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        "store a foreign achievement", &foreign_cols, NULL};
static const struct sqlite_query GET = {
        ST_FOREIGN_GET, "SELECT " FOREIGN_COLS ", credential FROM foreign_achievement WHERE id = ?",
        "read a foreign achievement", NULL, &foreign_cols};
static const struct sqlite_query FIND = {ST_FOREIGN_FIND,
                                         "SELECT " FOREIGN_COLS
                                         ", credential FROM foreign_achievement "
                                         "WHERE issuer_did = ? AND credential_key = ?",
                                         "read a foreign achievement", NULL, &foreign_cols};
static const struct sqlite_query BY_LEARNER = {
        ST_FOREIGN_BY_LEARNER,
        "SELECT " FOREIGN_COLS " FROM foreign_achievement "
        "WHERE learner_id = ? ORDER BY awarded_on DESC, id DESC",
        "list foreign achievements", NULL, &foreign_listed_cols};
/* (status, checked_ms, id) */
static const struct sqlite_query SET_STATUS = {
        ST_FOREIGN_SET_STATUS,
        "UPDATE foreign_achievement SET status = ?, checked_ms = ? WHERE id = ?",
        "record a foreign achievement's status", NULL, NULL};
/* (credential, key_id, id) */
static const struct sqlite_query RESEAL = {
        ST_FOREIGN_RESEAL, "UPDATE foreign_achievement SET credential = ?, key_id = ? WHERE id = ?",
        "re-seal a foreign credential", NULL, NULL};
/* (after_id, key_id, limit) */
static const struct sqlite_query SEALED = {ST_FOREIGN_SEALED,
                                           "SELECT " FOREIGN_COLS
                                           ", credential FROM foreign_achievement "
                                           "WHERE id > ? AND key_id <> ? ORDER BY id LIMIT ?",
                                           "list sealed foreign credentials", NULL, &foreign_cols};

static int foreign_put(struct store *base, const struct store_foreign *f, struct ok_error *err)
{
	return sqlite_exec(sq(base), &PUT, f, SQLITE_NO_ARGS, err);
}

static int foreign_get(struct store *base, const char *id, struct store_foreign *out,
                       struct ok_error *err)
{
	return sqlite_get(sq(base), &GET, SQLITE_ARGS(SQ_ARG_TEXT(id)), out, err);
}

static int foreign_find(struct store *base, const char *issuer_did, const char *credential_key,
                        struct store_foreign *out, struct ok_error *err)
{
	return sqlite_get(sq(base), &FIND,
	                  SQLITE_ARGS(SQ_ARG_TEXT(issuer_did), SQ_ARG_TEXT(credential_key)), out,
	                  err);
}

/* Calls fn for each row of a query begun by sqlite_query; a non-zero return of fn stops and is
 * returned. A listing without the credential leaves it empty. */
static int each_row(struct store_sqlite *s, const struct sqlite_query *q, int rc,
                    store_foreign_fn fn, void *ctx, struct ok_error *err)
{
	struct store_foreign f;

	store_foreign_init(&f);
	while (!rc && (rc = sqlite_next(s, q, &f, err)) > 0)
		rc = fn(ctx, &f);
	store_foreign_release(&f);
	return sqlite_end(s, q, rc);
}

static int foreign_list_by_learner(struct store *base, const char *learner_id, store_foreign_fn fn,
                                   void *ctx, struct ok_error *err)
{
	struct store_sqlite *s = sq(base);
	int rc = sqlite_query(s, &BY_LEARNER, SQLITE_ARGS(SQ_ARG_TEXT(learner_id)), err);

	return each_row(s, &BY_LEARNER, rc, fn, ctx, err);
}

static int foreign_set_status(struct store *base, const char *id, const char *status,
                              int64_t checked_ms, struct ok_error *err)
{
	struct store_sqlite *s = sq(base);
	int rc = sqlite_exec(
	        s, &SET_STATUS, NULL,
	        SQLITE_ARGS(SQ_ARG_TEXT(status), SQ_ARG_INT(checked_ms), SQ_ARG_TEXT(id)), err);

	if (!rc && sqlite_changes(s) == 0)
		return ok_fail(err, OK_ENOTFOUND, "no foreign achievement with that id");
	return rc;
}

static int foreign_reseal(struct store *base, const char *id, const struct buf *sealed,
                          uint32_t key_id, struct ok_error *err)
{
	struct store_sqlite *s = sq(base);
	int rc = sqlite_exec(s, &RESEAL, NULL,
	                     SQLITE_ARGS(SQ_ARG_BLOB(sealed->data, sealed->len), SQ_ARG_INT(key_id),
	                                 SQ_ARG_TEXT(id)),
	                     err);

	if (!rc && sqlite_changes(s) == 0)
		return ok_fail(err, OK_ENOTFOUND, "no foreign achievement with that id");
	return rc;
}

static int foreign_list_sealed(struct store *base, const char *after_id, uint32_t key_id,
                               size_t limit, store_foreign_fn fn, void *ctx, struct ok_error *err)
{
	struct store_sqlite *s = sq(base);
	int rc = sqlite_query(s, &SEALED,
	                      SQLITE_ARGS(SQ_ARG_TEXT(after_id ? after_id : ""), SQ_ARG_INT(key_id),
	                                  SQ_ARG_INT(limit > 100000 ? 100000 : limit)),
	                      err);

	return each_row(s, &SEALED, rc, fn, ctx, err);
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
