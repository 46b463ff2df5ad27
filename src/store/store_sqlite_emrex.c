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

const struct store_emrex_ops sqlite_emrex_ops = {
        .put = put,
        .get = get,
        .list = list,
};
