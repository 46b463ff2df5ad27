/* The PostgreSQL side of the store's wallet-issuance area (see vci.h). */
#include "store/pg_internal.h"
#include "store/vci.h"
#include "store/vci_sql.h"

/* The back end's spelling of parameter n and of a column of a row (vci_sql.h). */
#define P(n)            "$" #n
#define OFFER_COL(f, t) PG_COL(struct store_vci_offer, f, t),
#define TOKEN_COL(f, t) PG_COL(struct store_vci_token, f, t),

static const struct pg_col offer_col[] = {VCI_OFFER_COLUMNS(OFFER_COL, PG_TEXT, PG_BLOB, PG_INT)};
static const struct pg_cols offer_cols = PG_COLS(offer_col);
static const struct pg_col token_col[] = {VCI_TOKEN_COLUMNS(TOKEN_COL, PG_TEXT, PG_BLOB, PG_INT)};
static const struct pg_cols token_cols = PG_COLS(token_col);

static const struct pg_query OFFER_PUT = {VCI_OFFER_PUT(P), "keep a credential offer", &offer_cols,
                                          NULL};
static const struct pg_query OFFER_GET = {VCI_OFFER_WHERE("id", P), "read a credential offer", NULL,
                                          &offer_cols};
static const struct pg_query OFFER_BY_TOKEN = {VCI_OFFER_WHERE("offer_hash", P),
                                               "read a credential offer", NULL, &offer_cols};
static const struct pg_query OFFER_BY_CODE = {VCI_OFFER_WHERE("code_hash", P),
                                              "read a credential offer", NULL, &offer_cols};
static const struct pg_query OFFER_REDEEM = {VCI_OFFER_REDEEM(P), "redeem a credential offer", NULL,
                                             NULL};
static const struct pg_query OFFER_WRONG_PIN = {
        VCI_OFFER_WRONG_PIN(P), "count a wrong transaction code", NULL, &pg_count_cols};
static const struct pg_query TOKEN_PUT = {VCI_TOKEN_PUT(P), "keep an access token", &token_cols,
                                          NULL};
static const struct pg_query TOKEN_FIND = {VCI_TOKEN_FIND(P), "read an access token", NULL,
                                           &token_cols};
/* The one statement the dialects spell apart. */
static const struct pg_query ONCE_PUT = {
        "INSERT INTO vci_once (hash, expires_ms) VALUES ($1, $2) ON CONFLICT DO NOTHING",
        "keep a single-use value", NULL, NULL};
static const struct pg_query ONCE_TAKE = {VCI_ONCE_TAKE(P), "take a single-use value", NULL, NULL};
static const struct pg_query PRUNE_OFFERS = {VCI_PRUNE("vci_offer", P),
                                             "forget expired credential offers", NULL, NULL};
static const struct pg_query PRUNE_TOKENS = {VCI_PRUNE("vci_token", P),
                                             "forget expired access tokens", NULL, NULL};
static const struct pg_query PRUNE_ONCE = {VCI_PRUNE("vci_once", P),
                                           "forget expired single-use values", NULL, NULL};

static int offer_put(struct store *base, const struct store_vci_offer *o, struct ok_error *err)
{
	return pg_run(pgs(base), &OFFER_PUT, o, PG_NO_ARGS, NULL, err);
}

static int offer_get(struct store *base, const char *id, struct store_vci_offer *out,
                     struct ok_error *err)
{
	return pg_get(pgs(base), &OFFER_GET, PG_ARGS(PG_ARG_TEXT(id)), out, err);
}

static int offer_by_token(struct store *base, const unsigned char hash[STORE_HASH_BYTES],
                          struct store_vci_offer *out, struct ok_error *err)
{
	return pg_get(pgs(base), &OFFER_BY_TOKEN, PG_ARGS(PG_ARG_BLOB(hash, STORE_HASH_BYTES)), out,
	              err);
}

static int offer_by_code(struct store *base, const unsigned char hash[STORE_HASH_BYTES],
                         struct store_vci_offer *out, struct ok_error *err)
{
	return pg_get(pgs(base), &OFFER_BY_CODE, PG_ARGS(PG_ARG_BLOB(hash, STORE_HASH_BYTES)), out,
	              err);
}

static int offer_redeem(struct store *base, const char *id, int64_t at_ms, struct ok_error *err)
{
	int rc = pg_change(pgs(base), &OFFER_REDEEM, NULL,
	                   PG_ARGS(PG_ARG_TEXT(id), PG_ARG_INT(at_ms)), err);

	if (rc == OK_ENOTFOUND)
		return ok_fail(err, OK_ECONFLICT, "the credential offer was redeemed already");
	return rc;
}

static int offer_wrong_pin(struct store *base, const char *id, int64_t max_tries, int64_t at_ms,
                           int64_t *tries, struct ok_error *err)
{
	struct pg_count_row r = {0};
	int rc =
	        pg_get(pgs(base), &OFFER_WRONG_PIN,
	               PG_ARGS(PG_ARG_TEXT(id), PG_ARG_INT(max_tries), PG_ARG_INT(at_ms)), &r, err);

	*tries = r.n;
	if (rc == OK_ENOTFOUND)
		return ok_fail(err, OK_ECONFLICT, "the credential offer was redeemed already");
	return rc;
}

static int token_put(struct store *base, const struct store_vci_token *t, struct ok_error *err)
{
	return pg_run(pgs(base), &TOKEN_PUT, t, PG_NO_ARGS, NULL, err);
}

static int token_find(struct store *base, const unsigned char hash[STORE_HASH_BYTES],
                      struct store_vci_token *out, struct ok_error *err)
{
	return pg_get(pgs(base), &TOKEN_FIND, PG_ARGS(PG_ARG_BLOB(hash, STORE_HASH_BYTES)), out,
	              err);
}

static int once_put(struct store *base, const unsigned char hash[STORE_HASH_BYTES],
                    int64_t expires_ms, struct ok_error *err)
{
	int rc = pg_change(pgs(base), &ONCE_PUT, NULL,
	                   PG_ARGS(PG_ARG_BLOB(hash, STORE_HASH_BYTES), PG_ARG_INT(expires_ms)),
	                   err);

	if (rc == OK_ENOTFOUND)
		return ok_fail(err, OK_ECONFLICT, "the single-use value was seen already");
	return rc;
}

static int once_take(struct store *base, const unsigned char hash[STORE_HASH_BYTES], int64_t now_ms,
                     struct ok_error *err)
{
	int rc = pg_change(pgs(base), &ONCE_TAKE, NULL,
	                   PG_ARGS(PG_ARG_BLOB(hash, STORE_HASH_BYTES), PG_ARG_INT(now_ms)), err);

	if (rc == OK_ENOTFOUND)
		return ok_fail(err, OK_ENOTFOUND, "no such single-use value");
	return rc;
}

static int prune(struct store *base, int64_t before_ms, struct ok_error *err)
{
	struct pg_store *s = pgs(base);
	int rc = pg_run(s, &PRUNE_OFFERS, NULL, PG_ARGS(PG_ARG_INT(before_ms)), NULL, err);

	if (!rc)
		rc = pg_run(s, &PRUNE_TOKENS, NULL, PG_ARGS(PG_ARG_INT(before_ms)), NULL, err);
	if (!rc)
		rc = pg_run(s, &PRUNE_ONCE, NULL, PG_ARGS(PG_ARG_INT(before_ms)), NULL, err);
	return rc;
}

const struct store_vci_ops pg_vci_ops = {
        .offer_put = offer_put,
        .offer_get = offer_get,
        .offer_by_token = offer_by_token,
        .offer_by_code = offer_by_code,
        .offer_redeem = offer_redeem,
        .offer_wrong_pin = offer_wrong_pin,
        .token_put = token_put,
        .token_find = token_find,
        .once_put = once_put,
        .once_take = once_take,
        .prune = prune,
};
