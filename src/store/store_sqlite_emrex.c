/* The SQLite side of the store's EMREX area (see emrex.h). */
#include "store/emrex.h"
#include "store/sqlite_internal.h"

#include <stdlib.h>

#define NCP_COLS "acronym, url, country, institutions, cert, accept_sha1, imported_ms"

static const struct sqlite_col ncp_col[] = {
        SQLITE_COL(struct store_emrex_ncp, acronym, SQ_TEXT),
        SQLITE_COL(struct store_emrex_ncp, url, SQ_TEXT),
        SQLITE_COL(struct store_emrex_ncp, country, SQ_TEXT),
        SQLITE_COL(struct store_emrex_ncp, institutions, SQ_TEXT),
        SQLITE_COL(struct store_emrex_ncp, cert, SQ_TEXT),
        SQLITE_COL(struct store_emrex_ncp, accept_sha1, SQ_INT),
        SQLITE_COL(struct store_emrex_ncp, imported_ms, SQ_INT),
};
static const struct sqlite_cols ncp_cols = SQLITE_COLS(ncp_col);

static const struct sqlite_query PUT = {ST_EMREX_PUT,
                                        "INSERT OR REPLACE INTO emrex_ncp (" NCP_COLS
                                        ") VALUES (?, ?, ?, ?, ?, ?, ?)",
                                        "keep a contact point", &ncp_cols, NULL};
static const struct sqlite_query GET = {ST_EMREX_GET,
                                        "SELECT " NCP_COLS " FROM emrex_ncp WHERE acronym = ?",
                                        "read a contact point", NULL, &ncp_cols};
static const struct sqlite_query LIST = {ST_EMREX_LIST,
                                         "SELECT " NCP_COLS " FROM emrex_ncp ORDER BY acronym",
                                         "list the contact points", NULL, &ncp_cols};

#define SESSION_COLS                                                                      \
	"id, token_hash, role, learner_id, binding, peer_session, url, ncp, created_ms, " \
	"expires_ms, used_ms"

static const struct sqlite_col session_col[] = {
        SQLITE_COL(struct store_emrex_session, id, SQ_TEXT),
        SQLITE_COL(struct store_emrex_session, token_hash, SQ_BLOB),
        SQLITE_COL(struct store_emrex_session, role, SQ_TEXT),
        SQLITE_COL(struct store_emrex_session, learner_id, SQ_TEXT),
        SQLITE_COL(struct store_emrex_session, binding, SQ_BLOB),
        SQLITE_COL(struct store_emrex_session, peer_session, SQ_TEXT),
        SQLITE_COL(struct store_emrex_session, url, SQ_TEXT),
        SQLITE_COL(struct store_emrex_session, ncp, SQ_TEXT),
        SQLITE_COL(struct store_emrex_session, created_ms, SQ_INT),
        SQLITE_COL(struct store_emrex_session, expires_ms, SQ_INT),
        SQLITE_COL(struct store_emrex_session, used_ms, SQ_INT),
};
static const struct sqlite_cols session_cols = SQLITE_COLS(session_col);

static const struct sqlite_query SESSION_PUT = {ST_EMREX_SESSION_PUT,
                                                "INSERT INTO emrex_session (" SESSION_COLS
                                                ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                                                "keep an EMREX session", &session_cols, NULL};
static const struct sqlite_query SESSION_FIND = {
        ST_EMREX_SESSION_FIND, "SELECT " SESSION_COLS " FROM emrex_session WHERE token_hash = ?",
        "find an EMREX session", NULL, &session_cols};
/* (token_hash, used_ms) */
static const struct sqlite_query SESSION_USE = {
        ST_EMREX_SESSION_USE,
        "UPDATE emrex_session SET used_ms = ?2 WHERE token_hash = ?1 AND used_ms = 0",
        "use an EMREX session", NULL, NULL};
static const struct sqlite_query SESSION_PRUNE = {ST_EMREX_SESSION_PRUNE,
                                                  "DELETE FROM emrex_session WHERE expires_ms < ?",
                                                  "forget expired EMREX sessions", NULL, NULL};
static const struct sqlite_query SESSION_OPEN_COUNT = {
        ST_EMREX_SESSION_OPEN_COUNT,
        "SELECT count(*) AS n FROM emrex_session WHERE expires_ms > ? AND role = ? AND "
        "used_ms = 0",
        "count open EMREX sessions", NULL, &sqlite_count_cols};

static int put(struct store *base, const struct store_emrex_ncp *n, struct ok_error *err)
{
	return sqlite_exec(sq(base), &PUT, n, SQLITE_NO_ARGS, err);
}

static int get(struct store *base, const char *acronym, struct store_emrex_ncp *out,
               struct ok_error *err)
{
	return sqlite_get(sq(base), &GET, SQLITE_ARGS(SQ_ARG_TEXT(acronym)), out, err);
}

static int list(struct store *base, store_emrex_fn fn, void *ctx, struct ok_error *err)
{
	struct store_sqlite *s = sq(base);
	struct store_emrex_ncp *n = calloc(1, sizeof(*n));
	int rc;

	if (!n)
		return ok_fail(err, OK_ENOMEM, "out of memory");
	rc = sqlite_query(s, &LIST, SQLITE_NO_ARGS, err);
	while (!rc && (rc = sqlite_next(s, &LIST, n, err)) > 0)
		rc = fn(ctx, n);
	free(n);
	return sqlite_end(s, &LIST, rc);
}

static int session_put(struct store *base, const struct store_emrex_session *e,
                       struct ok_error *err)
{
	return sqlite_exec(sq(base), &SESSION_PUT, e, SQLITE_NO_ARGS, err);
}

static int session_find(struct store *base, const unsigned char hash[STORE_HASH_BYTES],
                        struct store_emrex_session *out, struct ok_error *err)
{
	return sqlite_get(sq(base), &SESSION_FIND, SQLITE_ARGS(SQ_ARG_BLOB(hash, STORE_HASH_BYTES)),
	                  out, err);
}

static int session_use(struct store *base, const unsigned char hash[STORE_HASH_BYTES],
                       int64_t used_ms, struct ok_error *err)
{
	struct store_sqlite *s = sq(base);
	int rc = sqlite_exec(s, &SESSION_USE, NULL,
	                     SQLITE_ARGS(SQ_ARG_BLOB(hash, STORE_HASH_BYTES), SQ_ARG_INT(used_ms)),
	                     err);

	if (rc)
		return rc;
	if (sqlite_changes(s) == 0)
		return ok_fail(err, OK_ECONFLICT, "the EMREX session was used already");
	return 0;
}

static int session_prune(struct store *base, int64_t before_ms, struct ok_error *err)
{
	return sqlite_exec(sq(base), &SESSION_PRUNE, NULL, SQLITE_ARGS(SQ_ARG_INT(before_ms)), err);
}

static int session_open_count(struct store *base, const char *role, int64_t now_ms, int64_t *n,
                              struct ok_error *err)
{
	return sqlite_count(sq(base), &SESSION_OPEN_COUNT,
	                    SQLITE_ARGS(SQ_ARG_INT(now_ms), SQ_ARG_TEXT(role)), n, err);
}

const struct store_emrex_ops sqlite_emrex_ops = {
        .put = put,
        .get = get,
        .list = list,
        .session_put = session_put,
        .session_find = session_find,
        .session_use = session_use,
        .session_prune = session_prune,
        .session_open_count = session_open_count,
};
