/* The PostgreSQL side of the store's foreign area (see foreign.h): achievements from other
 * depositories, the credential sealed (BYTEA). A credential handed in through two servers at
 * once is held once: the unique (issuer, credential key) makes the second insert OK_EEXIST. */
#include "store/foreign.h"
#include "store/pg_internal.h"

#define FOREIGN_COLS                                                                           \
	"id, learner_id, issuer_did, credential_key, depository, country, institution, "       \
	"institution_country, kind, title, awarded_on, credits_centi, grade, format, status, " \
	"imported_by, imported_ms, checked_ms, key_id"
static const struct pg_col foreign_col[] = {
        PG_COL(struct store_foreign, id, PG_TEXT),
        PG_COL(struct store_foreign, learner_id, PG_TEXT),
        PG_COL(struct store_foreign, issuer_did, PG_TEXT),
        PG_COL(struct store_foreign, credential_key, PG_TEXT),
        PG_COL(struct store_foreign, depository, PG_TEXT),
        PG_COL(struct store_foreign, country, PG_TEXT),
        PG_COL(struct store_foreign, institution, PG_TEXT),
        PG_COL(struct store_foreign, institution_country, PG_TEXT),
        PG_COL(struct store_foreign, kind, PG_TEXT),
        PG_COL(struct store_foreign, title, PG_TEXT),
        PG_COL(struct store_foreign, awarded_on, PG_TEXT),
        PG_COL(struct store_foreign, credits_centi, PG_INT),
        PG_COL(struct store_foreign, grade, PG_TEXT),
        PG_COL(struct store_foreign, format, PG_TEXT),
        PG_COL(struct store_foreign, status, PG_TEXT),
        PG_COL(struct store_foreign, imported_by, PG_TEXT),
        PG_COL(struct store_foreign, imported_ms, PG_INT),
        PG_COL(struct store_foreign, checked_ms, PG_INT),
        PG_COL(struct store_foreign, key_id, PG_UINT),
        PG_COL(struct store_foreign, credential, PG_BUF),
};
/* With the sealed credential, and without it (listings: FOREIGN_COLS alone). */
static const struct pg_cols foreign_cols = PG_COLS(foreign_col);
static const struct pg_cols foreign_listed_cols =
        PG_COLS_N(foreign_col, sizeof(foreign_col) / sizeof(foreign_col[0]) - 1);

static const struct pg_query PUT = {
        "INSERT INTO foreign_achievement (" FOREIGN_COLS ", credential) VALUES ($1, $2, $3, $4, "
        "$5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20) "
        "ON CONFLICT DO NOTHING",
        "store a foreign achievement", &foreign_cols, NULL};
static const struct pg_query GET = {"SELECT " FOREIGN_COLS
                                    ", credential FROM foreign_achievement WHERE id = $1",
                                    "read a foreign achievement", NULL, &foreign_cols};
static const struct pg_query FIND = {"SELECT " FOREIGN_COLS ", credential FROM foreign_achievement "
                                     "WHERE issuer_did = $1 AND credential_key = $2",
                                     "read a foreign achievement", NULL, &foreign_cols};
static const struct pg_query BY_LEARNER = {
        "SELECT " FOREIGN_COLS " FROM foreign_achievement "
        "WHERE learner_id = $1 ORDER BY awarded_on DESC, id DESC",
        "list foreign achievements", NULL, &foreign_listed_cols};
/* (status, checked_ms, id) */
static const struct pg_query SET_STATUS = {
        "UPDATE foreign_achievement SET status = $1, checked_ms = $2 WHERE id = $3",
        "record a foreign achievement's status", NULL, NULL};
/* (credential, key_id, id) */
static const struct pg_query RESEAL = {
        "UPDATE foreign_achievement SET credential = $1, key_id = $2 WHERE id = $3",
        "re-seal a foreign credential", NULL, NULL};
/* (after_id, key_id, limit) */
static const struct pg_query SEALED = {"SELECT " FOREIGN_COLS
                                       ", credential FROM foreign_achievement "
                                       "WHERE id > $1 AND key_id <> $2 ORDER BY id LIMIT $3",
                                       "list sealed foreign credentials", NULL, &foreign_cols};

static int foreign_put(struct store *base, const struct store_foreign *f, struct ok_error *err)
{
	return pg_add(pgs(base), &PUT, f, PG_NO_ARGS, err);
}

static int foreign_get(struct store *base, const char *id, struct store_foreign *out,
                       struct ok_error *err)
{
	return pg_get(pgs(base), &GET, PG_ARGS(PG_ARG_TEXT(id)), out, err);
}

static int foreign_find(struct store *base, const char *issuer_did, const char *credential_key,
                        struct store_foreign *out, struct ok_error *err)
{
	return pg_get(pgs(base), &FIND,
	              PG_ARGS(PG_ARG_TEXT(issuer_did), PG_ARG_TEXT(credential_key)), out, err);
}

/* Runs q and calls fn for each row; a non-zero return of fn stops and is returned. A listing
 * without the credential leaves it empty. */
static int each_row(struct store *base, const struct pg_query *q, const struct pg_arg *args,
                    size_t nargs, store_foreign_fn fn, void *ctx, struct ok_error *err)
{
	struct store_foreign f;
	struct pg_cursor c;
	int rc = pg_list(&c, pgs(base), q, args, nargs, err);

	store_foreign_init(&f);
	while (!rc && (rc = pg_next(&c, &f, err)) > 0)
		rc = fn(ctx, &f);
	store_foreign_release(&f);
	return pg_list_end(&c, rc);
}

static int foreign_list_by_learner(struct store *base, const char *learner_id, store_foreign_fn fn,
                                   void *ctx, struct ok_error *err)
{
	return each_row(base, &BY_LEARNER, PG_ARGS(PG_ARG_TEXT(learner_id)), fn, ctx, err);
}

/* An update of one record by id: OK_ENOTFOUND when there is none. */
static int update_one(struct store *base, const struct pg_query *q, const struct pg_arg *args,
                      size_t nargs, struct ok_error *err)
{
	int rc = pg_change(pgs(base), q, NULL, args, nargs, err);

	return rc == OK_ENOTFOUND ? ok_fail(err, rc, "no foreign achievement with that id") : rc;
}

static int foreign_set_status(struct store *base, const char *id, const char *status,
                              int64_t checked_ms, struct ok_error *err)
{
	return update_one(base, &SET_STATUS,
	                  PG_ARGS(PG_ARG_TEXT(status), PG_ARG_INT(checked_ms), PG_ARG_TEXT(id)),
	                  err);
}

static int foreign_reseal(struct store *base, const char *id, const struct buf *sealed,
                          uint32_t key_id, struct ok_error *err)
{
	return update_one(base, &RESEAL,
	                  PG_ARGS(PG_ARG_BLOB(sealed->data, sealed->len), PG_ARG_INT(key_id),
	                          PG_ARG_TEXT(id)),
	                  err);
}

static int foreign_list_sealed(struct store *base, const char *after_id, uint32_t key_id,
                               size_t limit, store_foreign_fn fn, void *ctx, struct ok_error *err)
{
	return each_row(base, &SEALED,
	                PG_ARGS(PG_ARG_TEXT(after_id ? after_id : ""), PG_ARG_INT(key_id),
	                        PG_ARG_INT(limit > 100000 ? 100000 : limit)),
	                fn, ctx, err);
}

const struct store_foreign_ops pg_foreign_ops = {
        .put = foreign_put,
        .get = foreign_get,
        .find = foreign_find,
        .list_by_learner = foreign_list_by_learner,
        .set_status = foreign_set_status,
        .reseal = foreign_reseal,
        .list_sealed = foreign_list_sealed,
};
