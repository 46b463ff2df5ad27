/* The SQLite side of the store's verifier area (see verifier.h). */
#include "store/sqlite_internal.h"
#include "store/verifier.h"

#define VP_COLS                                                                                   \
	"id, view_hash, nonce, state, spec, created_ms, expires_ms, answered_ms, keep_until_ms, " \
	"verified, key_id, enc_key, result, signin_from, signin_net"

static const struct sqlite_col vp_col[] = {
        SQLITE_COL(struct store_vp_request, id, SQ_TEXT),
        SQLITE_COL(struct store_vp_request, view_hash, SQ_BLOB),
        SQLITE_COL(struct store_vp_request, nonce, SQ_TEXT),
        SQLITE_COL(struct store_vp_request, state, SQ_TEXT),
        SQLITE_COL(struct store_vp_request, spec, SQ_TEXT),
        SQLITE_COL(struct store_vp_request, created_ms, SQ_INT),
        SQLITE_COL(struct store_vp_request, expires_ms, SQ_INT),
        SQLITE_COL(struct store_vp_request, answered_ms, SQ_INT),
        SQLITE_COL(struct store_vp_request, keep_until_ms, SQ_INT),
        SQLITE_COL(struct store_vp_request, verified, SQ_INT),
        SQLITE_COL(struct store_vp_request, key_id, SQ_UINT),
        SQLITE_COL(struct store_vp_request, enc_key, SQ_BUF),
        SQLITE_COL(struct store_vp_request, result, SQ_BUF),
        SQLITE_COL(struct store_vp_request, signin_from, SQ_TEXT),
        SQLITE_COL(struct store_vp_request, signin_net, SQ_TEXT),
};
static const struct sqlite_cols vp_cols = SQLITE_COLS(vp_col);

/* What an answer writes, in the order of ANSWER's first parameters. */
static const struct sqlite_col answer_col[] = {
        SQLITE_COL(struct store_vp_request, answered_ms, SQ_INT),
        SQLITE_COL(struct store_vp_request, keep_until_ms, SQ_INT),
        SQLITE_COL(struct store_vp_request, verified, SQ_INT),
        SQLITE_COL(struct store_vp_request, key_id, SQ_UINT),
        SQLITE_COL(struct store_vp_request, result, SQ_BUF),
};
static const struct sqlite_cols answer_cols = SQLITE_COLS(answer_col);

static const struct sqlite_query PUT = {ST_VP_PUT,
                                        "INSERT INTO vp_request (" VP_COLS
                                        ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                                        "keep a verifier request", &vp_cols, NULL};
static const struct sqlite_query GET = {ST_VP_GET,
                                        "SELECT " VP_COLS " FROM vp_request WHERE id = ?",
                                        "read a verifier request", NULL, &vp_cols};
static const struct sqlite_query FIND_VIEW = {
        ST_VP_FIND_VIEW, "SELECT " VP_COLS " FROM vp_request WHERE view_hash = ?",
        "find a verifier request by its result link", NULL, &vp_cols};
static const struct sqlite_query ANSWER = {
        ST_VP_ANSWER,
        "UPDATE vp_request SET answered_ms = ?, keep_until_ms = ?, verified = ?, key_id = ?, "
        "result = ? WHERE id = ? AND answered_ms = 0 AND expires_ms > ?",
        "record a verifier request's answer", &answer_cols, NULL};
static const struct sqlite_query PRUNE = {ST_VP_PRUNE,
                                          "DELETE FROM vp_request WHERE keep_until_ms <= ?",
                                          "forget old verifier requests", NULL, NULL};

static const struct sqlite_query COUNT = {ST_VP_COUNT, "SELECT count(*) AS n FROM vp_request",
                                          "count verifier requests", NULL, &sqlite_count_cols};
/* The spec is compact JSON: a string value holding the same characters is escaped (\"). */
static const struct sqlite_query COUNT_SIGNIN = {
        ST_VP_COUNT_SIGNIN,
        "SELECT count(*) AS n FROM vp_request WHERE instr(spec, '\"signin\":true') > 0",
        "count wallet sign-ins", NULL, &sqlite_count_cols};
/* Each count reads only its column's index. */
static const struct sqlite_col client_col[] = {
        SQLITE_COL(struct store_vp_client_count, address, SQ_INT),
        SQLITE_COL(struct store_vp_client_count, network, SQ_INT),
};
static const struct sqlite_cols client_cols = SQLITE_COLS(client_col);
static const struct sqlite_query COUNT_CLIENT = {
        ST_VP_COUNT_CLIENT,
        "SELECT (SELECT count(*) FROM vp_request WHERE signin_from = ?1) AS address, "
        "(SELECT count(*) FROM vp_request WHERE signin_net = ?2) AS network",
        "count one client's wallet sign-ins", NULL, &client_cols};

/* A wallet sign-in's result is taken once: the row goes in the statement that finds it. */
static const struct sqlite_query TAKE = {
        ST_VP_TAKE, "DELETE FROM vp_request WHERE id = ? AND answered_ms > 0 AND keep_until_ms > ?",
        "take an answered verifier request", NULL, NULL};

static int take(struct store *base, const char *id, int64_t now_ms, struct ok_error *err)
{
	struct store_sqlite *s = sq(base);
	int rc = sqlite_exec(s, &TAKE, NULL, SQLITE_ARGS(SQ_ARG_TEXT(id), SQ_ARG_INT(now_ms)), err);

	if (rc)
		return rc;
	return sqlite_changes(s) == 0 ? OK_ENOTFOUND : 0;
}

static int count(struct store *base, int64_t *out, struct ok_error *err)
{
	return sqlite_count(sq(base), &COUNT, SQLITE_NO_ARGS, out, err);
}

static int count_signin(struct store *base, int64_t *out, struct ok_error *err)
{
	return sqlite_count(sq(base), &COUNT_SIGNIN, SQLITE_NO_ARGS, out, err);
}

static int count_client(struct store *base, const char *address, const char *network,
                        struct store_vp_client_count *out, struct ok_error *err)
{
	if (!address[0] || !network[0])
		return ok_fail(err, OK_EINTERNAL, "count sign-ins: no client");
	return sqlite_get(sq(base), &COUNT_CLIENT,
	                  SQLITE_ARGS(SQ_ARG_TEXT(address), SQ_ARG_TEXT(network)), out, err);
}

static int put(struct store *base, const struct store_vp_request *r, struct ok_error *err)
{
	return sqlite_exec(sq(base), &PUT, r, SQLITE_NO_ARGS, err);
}

static int get(struct store *base, const char *id, struct store_vp_request *out,
               struct ok_error *err)
{
	return sqlite_get(sq(base), &GET, SQLITE_ARGS(SQ_ARG_TEXT(id)), out, err);
}

static int find_view(struct store *base, const uint8_t hash[STORE_VP_HASH_BYTES],
                     struct store_vp_request *out, struct ok_error *err)
{
	return sqlite_get(sq(base), &FIND_VIEW, SQLITE_ARGS(SQ_ARG_BLOB(hash, STORE_VP_HASH_BYTES)),
	                  out, err);
}

static int answer(struct store *base, const struct store_vp_request *r, int64_t now_ms,
                  struct ok_error *err)
{
	struct store_sqlite *s = sq(base);
	int rc = sqlite_exec(s, &ANSWER, r, SQLITE_ARGS(SQ_ARG_TEXT(r->id), SQ_ARG_INT(now_ms)),
	                     err);

	if (rc)
		return rc;
	return sqlite_changes(s) == 0 ? OK_ENOTFOUND : 0;
}

static int prune(struct store *base, int64_t now_ms, struct ok_error *err)
{
	return sqlite_exec(sq(base), &PRUNE, NULL, SQLITE_ARGS(SQ_ARG_INT(now_ms)), err);
}

const struct store_vp_ops sqlite_vp_ops = {
        .put = put,
        .get = get,
        .find_view = find_view,
        .answer = answer,
        .count = count,
        .count_signin = count_signin,
        .count_client = count_client,
        .prune = prune,
        .take = take,
};
