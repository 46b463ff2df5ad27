/* The PostgreSQL side of the store's EMREX area (see emrex.h). */
#include "store/emrex.h"
#include "store/pg_internal.h"

#include <stdlib.h>

#define NCP_COLS "acronym, url, country, institutions, cert, accept_sha1, imported_ms"

static const struct pg_col ncp_col[] = {
        PG_COL(struct store_emrex_ncp, acronym, PG_TEXT),
        PG_COL(struct store_emrex_ncp, url, PG_TEXT),
        PG_COL(struct store_emrex_ncp, country, PG_TEXT),
        PG_COL(struct store_emrex_ncp, institutions, PG_TEXT),
        PG_COL(struct store_emrex_ncp, cert, PG_TEXT),
        PG_COL(struct store_emrex_ncp, accept_sha1, PG_INT),
        PG_COL(struct store_emrex_ncp, imported_ms, PG_INT),
};
static const struct pg_cols ncp_cols = PG_COLS(ncp_col);

static const struct pg_query PUT = {
        "INSERT INTO emrex_ncp (" NCP_COLS ") VALUES ($1, $2, $3, $4, $5, $6, $7) "
        "ON CONFLICT (acronym) DO UPDATE SET url = EXCLUDED.url, country = EXCLUDED.country, "
        "institutions = EXCLUDED.institutions, cert = EXCLUDED.cert, "
        "accept_sha1 = EXCLUDED.accept_sha1, imported_ms = EXCLUDED.imported_ms",
        "keep a contact point", &ncp_cols, NULL};
static const struct pg_query GET = {"SELECT " NCP_COLS " FROM emrex_ncp WHERE acronym = $1",
                                    "read a contact point", NULL, &ncp_cols};
static const struct pg_query LIST = {"SELECT " NCP_COLS " FROM emrex_ncp ORDER BY acronym",
                                     "list the contact points", NULL, &ncp_cols};

#define SESSION_COLS                                                                      \
	"id, token_hash, role, learner_id, binding, peer_session, url, ncp, created_ms, " \
	"expires_ms, used_ms"

static const struct pg_col session_col[] = {
        PG_COL(struct store_emrex_session, id, PG_TEXT),
        PG_COL(struct store_emrex_session, token_hash, PG_BLOB),
        PG_COL(struct store_emrex_session, role, PG_TEXT),
        PG_COL(struct store_emrex_session, learner_id, PG_TEXT),
        PG_COL(struct store_emrex_session, binding, PG_BLOB),
        PG_COL(struct store_emrex_session, peer_session, PG_TEXT),
        PG_COL(struct store_emrex_session, url, PG_TEXT),
        PG_COL(struct store_emrex_session, ncp, PG_TEXT),
        PG_COL(struct store_emrex_session, created_ms, PG_INT),
        PG_COL(struct store_emrex_session, expires_ms, PG_INT),
        PG_COL(struct store_emrex_session, used_ms, PG_INT),
};
static const struct pg_cols session_cols = PG_COLS(session_col);

static const struct pg_query SESSION_PUT = {
        "INSERT INTO emrex_session (" SESSION_COLS
        ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
        "keep an EMREX session", &session_cols, NULL};
static const struct pg_query SESSION_FIND = {"SELECT " SESSION_COLS
                                             " FROM emrex_session WHERE token_hash = $1",
                                             "find an EMREX session", NULL, &session_cols};
static const struct pg_query SESSION_USE = {
        "UPDATE emrex_session SET used_ms = $2 WHERE token_hash = $1 AND used_ms = 0",
        "use an EMREX session", NULL, NULL};
static const struct pg_query SESSION_PRUNE = {"DELETE FROM emrex_session WHERE expires_ms < $1",
                                              "forget expired EMREX sessions", NULL, NULL};
static const struct pg_query SESSION_OPEN_COUNT = {
        "SELECT count(*) AS n FROM emrex_session WHERE expires_ms > $1 AND role = $2 AND "
        "used_ms = 0",
        "count open EMREX sessions", NULL, &pg_count_cols};

static int put(struct store *base, const struct store_emrex_ncp *n, struct ok_error *err)
{
	return pg_run(pgs(base), &PUT, n, PG_NO_ARGS, NULL, err);
}

static int get(struct store *base, const char *acronym, struct store_emrex_ncp *out,
               struct ok_error *err)
{
	return pg_get(pgs(base), &GET, PG_ARGS(PG_ARG_TEXT(acronym)), out, err);
}

static int list(struct store *base, store_emrex_fn fn, void *ctx, struct ok_error *err)
{
	struct store_emrex_ncp *n = calloc(1, sizeof(*n));
	struct pg_cursor c;
	int rc;

	if (!n)
		return ok_fail(err, OK_ENOMEM, "out of memory");
	rc = pg_list(&c, pgs(base), &LIST, PG_NO_ARGS, err);
	while (!rc && (rc = pg_next(&c, n, err)) > 0)
		rc = fn(ctx, n);
	free(n);
	return pg_list_end(&c, rc);
}

static int session_put(struct store *base, const struct store_emrex_session *e,
                       struct ok_error *err)
{
	return pg_run(pgs(base), &SESSION_PUT, e, PG_NO_ARGS, NULL, err);
}

static int session_find(struct store *base, const unsigned char hash[STORE_HASH_BYTES],
                        struct store_emrex_session *out, struct ok_error *err)
{
	return pg_get(pgs(base), &SESSION_FIND, PG_ARGS(PG_ARG_BLOB(hash, STORE_HASH_BYTES)), out,
	              err);
}

static int session_use(struct store *base, const unsigned char hash[STORE_HASH_BYTES],
                       int64_t used_ms, struct ok_error *err)
{
	int rc = pg_change(pgs(base), &SESSION_USE, NULL,
	                   PG_ARGS(PG_ARG_BLOB(hash, STORE_HASH_BYTES), PG_ARG_INT(used_ms)), err);

	if (rc == OK_ENOTFOUND)
		return ok_fail(err, OK_ECONFLICT, "the EMREX session was used already");
	return rc;
}

static int session_prune(struct store *base, int64_t before_ms, struct ok_error *err)
{
	return pg_run(pgs(base), &SESSION_PRUNE, NULL, PG_ARGS(PG_ARG_INT(before_ms)), NULL, err);
}

static int session_open_count(struct store *base, const char *role, int64_t now_ms, int64_t *n,
                              struct ok_error *err)
{
	return pg_count(pgs(base), &SESSION_OPEN_COUNT,
	                PG_ARGS(PG_ARG_INT(now_ms), PG_ARG_TEXT(role)), n, err);
}

const struct store_emrex_ops pg_emrex_ops = {
        .put = put,
        .get = get,
        .list = list,
        .session_put = session_put,
        .session_find = session_find,
        .session_use = session_use,
        .session_prune = session_prune,
        .session_open_count = session_open_count,
};
