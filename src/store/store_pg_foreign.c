/* The PostgreSQL side of the store's foreign area (see foreign.h): achievements from other
 * depositories, the credential sealed (BYTEA). A credential handed in through two servers at
 * once is held once: the unique (issuer, credential key) makes the second insert OK_EEXIST. */
#include "store/foreign.h"
#include "store/pg_internal.h"

#define FOREIGN_COLS                                                                           \
	"id, learner_id, issuer_did, credential_key, depository, country, institution, "       \
	"institution_country, kind, title, awarded_on, credits_centi, grade, format, status, " \
	"imported_by, imported_ms, checked_ms, key_id"

static const char SQL_PUT[] =
        "INSERT INTO foreign_achievement (" FOREIGN_COLS ", credential) VALUES ($1, $2, $3, $4, "
        "$5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20) "
        "ON CONFLICT DO NOTHING";
static const char SQL_GET[] =
        "SELECT " FOREIGN_COLS ", credential FROM foreign_achievement WHERE id = $1";
static const char SQL_FIND[] = "SELECT " FOREIGN_COLS ", credential FROM foreign_achievement "
                               "WHERE issuer_did = $1 AND credential_key = $2";
static const char SQL_BY_LEARNER[] = "SELECT " FOREIGN_COLS " FROM foreign_achievement "
                                     "WHERE learner_id = $1 ORDER BY awarded_on DESC, id DESC";
static const char SQL_SET_STATUS[] =
        "UPDATE foreign_achievement SET status = $1, checked_ms = $2 WHERE id = $3";
static const char SQL_RESEAL[] =
        "UPDATE foreign_achievement SET credential = $1, key_id = $2 WHERE id = $3";
static const char SQL_SEALED[] = "SELECT " FOREIGN_COLS ", credential FROM foreign_achievement "
                                 "WHERE id > $1 AND key_id <> $2 ORDER BY id LIMIT $3";

/* Reads the columns of FOREIGN_COLS of a row, and the credential when with_credential. */
static int read_row(const PGresult *r, int row, struct store_foreign *f, bool with_credential)
{
	pg_col_text(r, row, 0, f->id, sizeof(f->id));
	pg_col_text(r, row, 1, f->learner_id, sizeof(f->learner_id));
	pg_col_text(r, row, 2, f->issuer_did, sizeof(f->issuer_did));
	pg_col_text(r, row, 3, f->credential_key, sizeof(f->credential_key));
	pg_col_text(r, row, 4, f->depository, sizeof(f->depository));
	pg_col_text(r, row, 5, f->country, sizeof(f->country));
	pg_col_text(r, row, 6, f->institution, sizeof(f->institution));
	pg_col_text(r, row, 7, f->institution_country, sizeof(f->institution_country));
	pg_col_text(r, row, 8, f->kind, sizeof(f->kind));
	pg_col_text(r, row, 9, f->title, sizeof(f->title));
	pg_col_text(r, row, 10, f->awarded_on, sizeof(f->awarded_on));
	f->credits_centi = (long)pg_col_int64(r, row, 11);
	pg_col_text(r, row, 12, f->grade, sizeof(f->grade));
	pg_col_text(r, row, 13, f->format, sizeof(f->format));
	pg_col_text(r, row, 14, f->status, sizeof(f->status));
	pg_col_text(r, row, 15, f->imported_by, sizeof(f->imported_by));
	f->imported_ms = pg_col_int64(r, row, 16);
	f->checked_ms = pg_col_int64(r, row, 17);
	f->key_id = (uint32_t)pg_col_int64(r, row, 18);
	buf_reset(&f->credential);
	return with_credential ? pg_col_buf(r, row, 19, &f->credential) : 0;
}

static int foreign_put(struct store *base, const struct store_foreign *f, struct ok_error *err)
{
	struct pg_params p;

	pg_params_init(&p);
	pg_param_text(&p, f->id);
	pg_param_text(&p, f->learner_id);
	pg_param_text(&p, f->issuer_did);
	pg_param_text(&p, f->credential_key);
	pg_param_text(&p, f->depository);
	pg_param_text(&p, f->country);
	pg_param_text(&p, f->institution);
	pg_param_text(&p, f->institution_country);
	pg_param_text(&p, f->kind);
	pg_param_text(&p, f->title);
	pg_param_text(&p, f->awarded_on);
	pg_param_int64(&p, f->credits_centi);
	pg_param_text(&p, f->grade);
	pg_param_text(&p, f->format);
	pg_param_text(&p, f->status);
	pg_param_text(&p, f->imported_by);
	pg_param_int64(&p, f->imported_ms);
	pg_param_int64(&p, f->checked_ms);
	pg_param_int64(&p, f->key_id);
	pg_param_bytea(&p, f->credential.data, f->credential.len);
	return pg_insert(base, SQL_PUT, &p, "store a foreign achievement", err);
}

/* Runs a one-row query and reads it (with the credential). */
static int read_one(struct store *base, const char *sql, const struct pg_params *p,
                    struct store_foreign *out, struct ok_error *err)
{
	PGresult *r;
	int rc;

	if ((rc = pg_exec_one(pgs(base), sql, p, &r, "read a foreign achievement", err)))
		return rc;
	rc = read_row(r, 0, out, true);
	PQclear(r);
	return rc ? ok_fail(err, rc, "read a foreign achievement: the credential is too large") : 0;
}

static int foreign_get(struct store *base, const char *id, struct store_foreign *out,
                       struct ok_error *err)
{
	struct pg_params p;

	pg_params_init(&p);
	pg_param_text(&p, id);
	return read_one(base, SQL_GET, &p, out, err);
}

static int foreign_find(struct store *base, const char *issuer_did, const char *credential_key,
                        struct store_foreign *out, struct ok_error *err)
{
	struct pg_params p;

	pg_params_init(&p);
	pg_param_text(&p, issuer_did);
	pg_param_text(&p, credential_key);
	return read_one(base, SQL_FIND, &p, out, err);
}

/* Runs sql and calls fn for each row; a non-zero return of fn stops and is returned. */
static int each_row(struct store *base, const char *sql, const struct pg_params *p,
                    bool with_credential, store_foreign_fn fn, void *ctx, const char *what,
                    struct ok_error *err)
{
	struct store_foreign f;
	PGresult *r;
	int i, n, rc;

	if ((rc = pg_exec(pgs(base), sql, p, &r, NULL, what, err)))
		return rc;
	store_foreign_init(&f);
	n = PQntuples(r);
	for (i = 0; i < n && !rc; i++) {
		if (read_row(r, i, &f, with_credential) != 0)
			rc = ok_fail(err, OK_ETOOBIG, "%s: a credential is too large", what);
		else
			rc = fn(ctx, &f);
	}
	store_foreign_release(&f);
	PQclear(r);
	return rc;
}

static int foreign_list_by_learner(struct store *base, const char *learner_id, store_foreign_fn fn,
                                   void *ctx, struct ok_error *err)
{
	struct pg_params p;

	pg_params_init(&p);
	pg_param_text(&p, learner_id);
	return each_row(base, SQL_BY_LEARNER, &p, false, fn, ctx, "list foreign achievements", err);
}

/* Runs an update of one record by id (its last parameter): OK_ENOTFOUND when there is none. */
static int update_one(struct store *base, const char *sql, const struct pg_params *p,
                      const char *what, struct ok_error *err)
{
	int64_t changed = 0;
	int rc = pg_exec(pgs(base), sql, p, NULL, &changed, what, err);

	if (!rc && changed == 0)
		return ok_fail(err, OK_ENOTFOUND, "no foreign achievement with that id");
	return rc;
}

static int foreign_set_status(struct store *base, const char *id, const char *status,
                              int64_t checked_ms, struct ok_error *err)
{
	struct pg_params p;

	pg_params_init(&p);
	pg_param_text(&p, status);
	pg_param_int64(&p, checked_ms);
	pg_param_text(&p, id);
	return update_one(base, SQL_SET_STATUS, &p, "record a foreign achievement's status", err);
}

static int foreign_reseal(struct store *base, const char *id, const struct buf *sealed,
                          uint32_t key_id, struct ok_error *err)
{
	struct pg_params p;

	pg_params_init(&p);
	pg_param_bytea(&p, sealed->data, sealed->len);
	pg_param_int64(&p, key_id);
	pg_param_text(&p, id);
	return update_one(base, SQL_RESEAL, &p, "re-seal a foreign credential", err);
}

static int foreign_list_sealed(struct store *base, const char *after_id, uint32_t key_id,
                               size_t limit, store_foreign_fn fn, void *ctx, struct ok_error *err)
{
	struct pg_params p;

	pg_params_init(&p);
	pg_param_text(&p, after_id ? after_id : "");
	pg_param_int64(&p, key_id);
	pg_param_int64(&p, (int64_t)(limit > 100000 ? 100000 : limit));
	return each_row(base, SQL_SEALED, &p, true, fn, ctx, "list sealed foreign credentials",
	                err);
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
