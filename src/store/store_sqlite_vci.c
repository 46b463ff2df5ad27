/* The SQLite side of the store's wallet-issuance area (see vci.h). */
#include "store/sqlite_internal.h"
#include "store/vci.h"
#include "store/vci_sql.h"

/* The back end's spelling of parameter n and of a column of a row (vci_sql.h). */
#define P(n)            "?" #n
#define OFFER_COL(f, t) SQLITE_COL(struct store_vci_offer, f, t),
#define TOKEN_COL(f, t) SQLITE_COL(struct store_vci_token, f, t),

static const struct sqlite_col offer_col[] = {
        VCI_OFFER_COLUMNS(OFFER_COL, SQ_TEXT, SQ_BLOB, SQ_INT)};
static const struct sqlite_cols offer_cols = SQLITE_COLS(offer_col);
static const struct sqlite_col token_col[] = {
        VCI_TOKEN_COLUMNS(TOKEN_COL, SQ_TEXT, SQ_BLOB, SQ_INT)};
static const struct sqlite_cols token_cols = SQLITE_COLS(token_col);

static const struct sqlite_query OFFER_PUT = {ST_VCI_OFFER_PUT, VCI_OFFER_PUT(P),
                                              "keep a credential offer", &offer_cols, NULL};
static const struct sqlite_query OFFER_GET = {ST_VCI_OFFER_GET, VCI_OFFER_WHERE("id", P),
                                              "read a credential offer", NULL, &offer_cols};
static const struct sqlite_query OFFER_BY_TOKEN = {ST_VCI_OFFER_BY_TOKEN,
                                                   VCI_OFFER_WHERE("offer_hash", P),
                                                   "read a credential offer", NULL, &offer_cols};
static const struct sqlite_query OFFER_BY_CODE = {ST_VCI_OFFER_BY_CODE,
                                                  VCI_OFFER_WHERE("code_hash", P),
                                                  "read a credential offer", NULL, &offer_cols};
static const struct sqlite_query OFFER_REDEEM = {ST_VCI_OFFER_REDEEM, VCI_OFFER_REDEEM(P),
                                                 "redeem a credential offer", NULL, NULL};
static const struct sqlite_query OFFER_WRONG_PIN = {ST_VCI_OFFER_WRONG_PIN, VCI_OFFER_WRONG_PIN(P),
                                                    "count a wrong transaction code", NULL,
                                                    &sqlite_count_cols};
static const struct sqlite_query TOKEN_PUT = {ST_VCI_TOKEN_PUT, VCI_TOKEN_PUT(P),
                                              "keep an access token", &token_cols, NULL};
static const struct sqlite_query TOKEN_FIND = {ST_VCI_TOKEN_FIND, VCI_TOKEN_FIND(P),
                                               "read an access token", NULL, &token_cols};
/* The one statement the dialects spell apart. */
static const struct sqlite_query ONCE_PUT = {
        ST_VCI_ONCE_PUT, "INSERT OR IGNORE INTO vci_once (hash, expires_ms) VALUES (?, ?)",
        "keep a single-use value", NULL, NULL};
static const struct sqlite_query ONCE_TAKE = {ST_VCI_ONCE_TAKE, VCI_ONCE_TAKE(P),
                                              "take a single-use value", NULL, NULL};
static const struct sqlite_query PRUNE_OFFERS = {ST_VCI_PRUNE_OFFERS, VCI_PRUNE("vci_offer", P),
                                                 "forget expired credential offers", NULL, NULL};
static const struct sqlite_query PRUNE_TOKENS = {ST_VCI_PRUNE_TOKENS, VCI_PRUNE("vci_token", P),
                                                 "forget expired access tokens", NULL, NULL};
static const struct sqlite_query PRUNE_ONCE = {ST_VCI_PRUNE_ONCE, VCI_PRUNE("vci_once", P),
                                               "forget expired single-use values", NULL, NULL};

static int offer_put(struct store *base, const struct store_vci_offer *o, struct ok_error *err)
{
	return sqlite_exec(sq(base), &OFFER_PUT, o, SQLITE_NO_ARGS, err);
}

static int offer_get(struct store *base, const char *id, struct store_vci_offer *out,
                     struct ok_error *err)
{
	return sqlite_get(sq(base), &OFFER_GET, SQLITE_ARGS(SQ_ARG_TEXT(id)), out, err);
}

static int offer_by_token(struct store *base, const unsigned char hash[STORE_HASH_BYTES],
                          struct store_vci_offer *out, struct ok_error *err)
{
	return sqlite_get(sq(base), &OFFER_BY_TOKEN,
	                  SQLITE_ARGS(SQ_ARG_BLOB(hash, STORE_HASH_BYTES)), out, err);
}

static int offer_by_code(struct store *base, const unsigned char hash[STORE_HASH_BYTES],
                         struct store_vci_offer *out, struct ok_error *err)
{
	return sqlite_get(sq(base), &OFFER_BY_CODE,
	                  SQLITE_ARGS(SQ_ARG_BLOB(hash, STORE_HASH_BYTES)), out, err);
}

static int offer_redeem(struct store *base, const char *id, int64_t at_ms, struct ok_error *err)
{
	struct store_sqlite *s = sq(base);
	int rc = sqlite_exec(s, &OFFER_REDEEM, NULL,
	                     SQLITE_ARGS(SQ_ARG_TEXT(id), SQ_ARG_INT(at_ms)), err);

	if (rc)
		return rc;
	if (sqlite_changes(s) == 0)
		return ok_fail(err, OK_ECONFLICT, "the credential offer was redeemed already");
	return 0;
}

static int offer_wrong_pin(struct store *base, const char *id, int64_t max_tries, int64_t at_ms,
                           int64_t *tries, struct ok_error *err)
{
	struct sqlite_count_row r = {0};
	int rc = sqlite_get(sq(base), &OFFER_WRONG_PIN,
	                    SQLITE_ARGS(SQ_ARG_TEXT(id), SQ_ARG_INT(max_tries), SQ_ARG_INT(at_ms)),
	                    &r, err);

	*tries = r.n;
	if (rc == OK_ENOTFOUND)
		return ok_fail(err, OK_ECONFLICT, "the credential offer was redeemed already");
	return rc;
}

static int token_put(struct store *base, const struct store_vci_token *t, struct ok_error *err)
{
	return sqlite_exec(sq(base), &TOKEN_PUT, t, SQLITE_NO_ARGS, err);
}

static int token_find(struct store *base, const unsigned char hash[STORE_HASH_BYTES],
                      struct store_vci_token *out, struct ok_error *err)
{
	return sqlite_get(sq(base), &TOKEN_FIND, SQLITE_ARGS(SQ_ARG_BLOB(hash, STORE_HASH_BYTES)),
	                  out, err);
}

static int once_put(struct store *base, const unsigned char hash[STORE_HASH_BYTES],
                    int64_t expires_ms, struct ok_error *err)
{
	struct store_sqlite *s = sq(base);
	int rc = sqlite_exec(
	        s, &ONCE_PUT, NULL,
	        SQLITE_ARGS(SQ_ARG_BLOB(hash, STORE_HASH_BYTES), SQ_ARG_INT(expires_ms)), err);

	if (rc)
		return rc;
	if (sqlite_changes(s) == 0)
		return ok_fail(err, OK_ECONFLICT, "the single-use value was seen already");
	return 0;
}

static int once_take(struct store *base, const unsigned char hash[STORE_HASH_BYTES], int64_t now_ms,
                     struct ok_error *err)
{
	struct store_sqlite *s = sq(base);
	int rc = sqlite_exec(s, &ONCE_TAKE, NULL,
	                     SQLITE_ARGS(SQ_ARG_BLOB(hash, STORE_HASH_BYTES), SQ_ARG_INT(now_ms)),
	                     err);

	if (rc)
		return rc;
	if (sqlite_changes(s) == 0)
		return ok_fail(err, OK_ENOTFOUND, "no such single-use value");
	return 0;
}

static int prune(struct store *base, int64_t before_ms, struct ok_error *err)
{
	struct store_sqlite *s = sq(base);
	int rc = sqlite_exec(s, &PRUNE_OFFERS, NULL, SQLITE_ARGS(SQ_ARG_INT(before_ms)), err);

	if (!rc)
		rc = sqlite_exec(s, &PRUNE_TOKENS, NULL, SQLITE_ARGS(SQ_ARG_INT(before_ms)), err);
	if (!rc)
		rc = sqlite_exec(s, &PRUNE_ONCE, NULL, SQLITE_ARGS(SQ_ARG_INT(before_ms)), err);
	return rc;
}

const struct store_vci_ops sqlite_vci_ops = {
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
