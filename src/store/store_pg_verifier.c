/* The PostgreSQL side of the store's verifier area (see verifier.h). */
#include "store/pg_internal.h"
#include "store/verifier.h"

#define VP_COLS                                                                                   \
	"id, view_hash, nonce, state, spec, created_ms, expires_ms, answered_ms, keep_until_ms, " \
	"verified, key_id, enc_key, result, signin_from, signin_net"

static const struct pg_col vp_col[] = {
        PG_COL(struct store_vp_request, id, PG_TEXT),
        PG_COL(struct store_vp_request, view_hash, PG_BLOB),
        PG_COL(struct store_vp_request, nonce, PG_TEXT),
        PG_COL(struct store_vp_request, state, PG_TEXT),
        PG_COL(struct store_vp_request, spec, PG_TEXT),
        PG_COL(struct store_vp_request, created_ms, PG_INT),
        PG_COL(struct store_vp_request, expires_ms, PG_INT),
        PG_COL(struct store_vp_request, answered_ms, PG_INT),
        PG_COL(struct store_vp_request, keep_until_ms, PG_INT),
        PG_COL(struct store_vp_request, verified, PG_INT),
        PG_COL(struct store_vp_request, key_id, PG_UINT),
        PG_COL(struct store_vp_request, enc_key, PG_BUF),
        PG_COL(struct store_vp_request, result, PG_BUF),
        PG_COL(struct store_vp_request, signin_from, PG_TEXT),
        PG_COL(struct store_vp_request, signin_net, PG_TEXT),
};
static const struct pg_cols vp_cols = PG_COLS(vp_col);

/* What an answer writes: $1 to $5. */
static const struct pg_col answer_col[] = {
        PG_COL(struct store_vp_request, answered_ms, PG_INT),
        PG_COL(struct store_vp_request, keep_until_ms, PG_INT),
        PG_COL(struct store_vp_request, verified, PG_INT),
        PG_COL(struct store_vp_request, key_id, PG_UINT),
        PG_COL(struct store_vp_request, result, PG_BUF),
};
static const struct pg_cols answer_cols = PG_COLS(answer_col);

static const struct pg_query PUT = {"INSERT INTO vp_request (" VP_COLS
                                    ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, "
                                    "$12, $13, $14, $15)",
                                    "keep a verifier request", &vp_cols, NULL};
static const struct pg_query GET = {"SELECT " VP_COLS " FROM vp_request WHERE id = $1",
                                    "read a verifier request", NULL, &vp_cols};
static const struct pg_query FIND_VIEW = {"SELECT " VP_COLS " FROM vp_request WHERE view_hash = $1",
                                          "find a verifier request by its result link", NULL,
                                          &vp_cols};
static const struct pg_query ANSWER = {
        "UPDATE vp_request SET answered_ms = $1, keep_until_ms = $2, verified = $3, "
        "key_id = $4, result = $5 WHERE id = $6 AND answered_ms = 0 AND expires_ms > $7",
        "record a verifier request's answer", &answer_cols, NULL};
static const struct pg_query PRUNE = {"DELETE FROM vp_request WHERE keep_until_ms <= $1",
                                      "forget old verifier requests", NULL, NULL};

static const struct pg_query COUNT = {"SELECT count(*) AS n FROM vp_request",
                                      "count verifier requests", NULL, &pg_count_cols};
/* The spec is compact JSON: a string value holding the same characters is escaped (\"). */
static const struct pg_query COUNT_SIGNIN = {
        "SELECT count(*) AS n FROM vp_request WHERE strpos(spec, '\"signin\":true') > 0",
        "count wallet sign-ins", NULL, &pg_count_cols};
/* Each count reads only its column's index. */
static const struct pg_col client_col[] = {
        PG_COL(struct store_vp_client_count, address, PG_INT),
        PG_COL(struct store_vp_client_count, network, PG_INT),
};
static const struct pg_cols client_cols = PG_COLS(client_col);
static const struct pg_query COUNT_CLIENT = {
        "SELECT (SELECT count(*) FROM vp_request WHERE signin_from = $1) AS address, "
        "(SELECT count(*) FROM vp_request WHERE signin_net = $2) AS network",
        "count one client's wallet sign-ins", NULL, &client_cols};

/* A wallet sign-in's result is taken once: the row goes in the statement that finds it. */
static const struct pg_query TAKE = {
        "DELETE FROM vp_request WHERE id = $1 AND answered_ms > 0 AND keep_until_ms > $2",
        "take an answered verifier request", NULL, NULL};

static int take(struct store *base, const char *id, int64_t now_ms, struct ok_error *err)
{
	return pg_change(pgs(base), &TAKE, NULL, PG_ARGS(PG_ARG_TEXT(id), PG_ARG_INT(now_ms)), err);
}

static int count(struct store *base, int64_t *out, struct ok_error *err)
{
	return pg_count(pgs(base), &COUNT, PG_NO_ARGS, out, err);
}

static int count_signin(struct store *base, int64_t *out, struct ok_error *err)
{
	return pg_count(pgs(base), &COUNT_SIGNIN, PG_NO_ARGS, out, err);
}

static int count_client(struct store *base, const char *address, const char *network,
                        struct store_vp_client_count *out, struct ok_error *err)
{
	if (!address[0] || !network[0])
		return ok_fail(err, OK_EINTERNAL, "count sign-ins: no client");
	return pg_get(pgs(base), &COUNT_CLIENT, PG_ARGS(PG_ARG_TEXT(address), PG_ARG_TEXT(network)),
	              out, err);
}

static int put(struct store *base, const struct store_vp_request *r, struct ok_error *err)
{
	return pg_run(pgs(base), &PUT, r, PG_NO_ARGS, NULL, err);
}

static int get(struct store *base, const char *id, struct store_vp_request *out,
               struct ok_error *err)
{
	return pg_get(pgs(base), &GET, PG_ARGS(PG_ARG_TEXT(id)), out, err);
}

static int find_view(struct store *base, const uint8_t hash[STORE_VP_HASH_BYTES],
                     struct store_vp_request *out, struct ok_error *err)
{
	return pg_get(pgs(base), &FIND_VIEW, PG_ARGS(PG_ARG_BLOB(hash, STORE_VP_HASH_BYTES)), out,
	              err);
}

static int answer(struct store *base, const struct store_vp_request *r, int64_t now_ms,
                  struct ok_error *err)
{
	return pg_change(pgs(base), &ANSWER, r, PG_ARGS(PG_ARG_TEXT(r->id), PG_ARG_INT(now_ms)),
	                 err);
}

static int prune(struct store *base, int64_t now_ms, struct ok_error *err)
{
	return pg_run(pgs(base), &PRUNE, NULL, PG_ARGS(PG_ARG_INT(now_ms)), NULL, err);
}

const struct store_vp_ops pg_vp_ops = {
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
