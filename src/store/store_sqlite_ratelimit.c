/* The SQLite side of the store's rate-limit area (see ratelimit.h): one upsert that adds to a
 * client's minute and returns the sum, and the pruning of past minutes. Servers on one SQLite
 * file share it as servers on one PostgreSQL database do. */
#include "store/ratelimit.h"
#include "store/sqlite_internal.h"

/* (scope, client, minute, count) */
static const struct sqlite_query RATELIMIT_ADD = {
        ST_RATELIMIT_ADD,
        "INSERT INTO ratelimit_count (scope, client, minute, count) VALUES (?, ?, ?, ?) "
        "ON CONFLICT (scope, client, minute) DO UPDATE SET count = count + excluded.count "
        "RETURNING count AS n",
        "count a client's requests", NULL, &sqlite_count_cols};
/* (before) */
static const struct sqlite_query RATELIMIT_PRUNE = {
        ST_RATELIMIT_PRUNE, "DELETE FROM ratelimit_count WHERE minute < ?",
        "forget past minutes' request counts", NULL, NULL};

static int add(struct store *base, const char *scope, const unsigned char client[STORE_HASH_BYTES],
               int64_t minute, int64_t count, int64_t *total, struct ok_error *err)
{
	struct sqlite_count_row r = {0};
	int rc;

	/* Counting never waits for another connection's write lock (an import holds it for a
	 * batch at a time): the flusher gives the counts back and tries again a second later
	 * (http/ratelimit.c). */
	sqlite_wait_for_lock(sq(base), false);
	rc = sqlite_get(sq(base), &RATELIMIT_ADD,
	                SQLITE_ARGS(SQ_ARG_TEXT(scope), SQ_ARG_BLOB(client, STORE_HASH_BYTES),
	                            SQ_ARG_INT(minute), SQ_ARG_INT(count)),
	                &r, err);
	sqlite_wait_for_lock(sq(base), true);

	/* An upsert always returns its row. */
	if (rc == OK_ENOTFOUND)
		rc = sqlite_fail(sq(base), SQLITE_ERROR, RATELIMIT_ADD.what, err);
	*total = rc ? 0 : r.n;
	return rc;
}

static int prune(struct store *base, int64_t before, struct ok_error *err)
{
	int rc;

	/* Nor does pruning: a busy minute's pruning is caught up by the next. */
	sqlite_wait_for_lock(sq(base), false);
	rc = sqlite_exec(sq(base), &RATELIMIT_PRUNE, NULL, SQLITE_ARGS(SQ_ARG_INT(before)), err);
	sqlite_wait_for_lock(sq(base), true);
	return rc;
}

const struct store_ratelimit_ops sqlite_ratelimit_ops = {
        .add = add,
        .prune = prune,
};
