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

const struct store_emrex_ops pg_emrex_ops = {
        .put = put,
        .get = get,
        .list = list,
};
