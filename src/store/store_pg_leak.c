/* The PostgreSQL side of the store's leak-detection area (see leak.h): reading windows, blocked
 * keys and per-institution read limits. Several servers count the reads of one key: a
 * transaction that looks at a key's block first locks the table of reads (released at commit or
 * rollback), so that the servers' countings take turns and each sees the reads and the block the
 * one before it committed. A table lock, not an advisory one: only the oorkonde role can take
 * it. (Every transaction holds the writers' lock already; this one keeps the counting right
 * on its own.) */
#include "store/leak.h"
#include "store/pg_internal.h"

/* EXCLUSIVE: plain reads go on, every other writer of key_read waits. */
#define PG_LOCK_KEY_READ "LOCK TABLE key_read IN EXCLUSIVE MODE"

/* A key's window: how many learners it read after since_ms, and whether one of them. */
struct window_row {
	int64_t n;
	bool seen;
};
static const struct pg_col window_col[] = {
        PG_COL(struct window_row, n, PG_INT),
        PG_COL(struct window_row, seen, PG_BOOL),
};
static const struct pg_cols window_cols = PG_COLS(window_col);

/* (key_id, learner_id, since_ms) */
static const struct pg_query READ_WINDOW = {
        "SELECT count(*) AS n, coalesce(bool_or(learner_id = $2), false) AS seen FROM key_read "
        "WHERE key_id = $1 AND at_ms > $3",
        "read a key's reading window", NULL, &window_cols};
/* (key_id, learner_id, at_ms) */
static const struct pg_query READ_PUT = {
        "INSERT INTO key_read (key_id, learner_id, at_ms) VALUES ($1, $2, $3) "
        "ON CONFLICT (key_id, learner_id) "
        "DO UPDATE SET at_ms = greatest(key_read.at_ms, excluded.at_ms)",
        "record a key's read", NULL, NULL};
/* (key_id, before_ms) */
static const struct pg_query READ_PRUNE = {"DELETE FROM key_read WHERE key_id = $1 AND at_ms <= $2",
                                           "forget a key's old reads", NULL, NULL};
static const struct pg_query READ_CLEAR = {"DELETE FROM key_read WHERE key_id = $1",
                                           "forget a key's reads", NULL, NULL};

#define BLOCK_COLS "key_id, institution, blocked_ms, learners, window_s"
static const struct pg_col block_col[] = {
        PG_COL(struct store_key_block, key_id, PG_TEXT),
        PG_COL(struct store_key_block, institution, PG_TEXT),
        PG_COL(struct store_key_block, blocked_ms, PG_INT),
        PG_COL(struct store_key_block, learners, PG_INT),
        PG_COL(struct store_key_block, window_s, PG_INT),
};
static const struct pg_cols block_cols = PG_COLS(block_col);

/* A key blocked twice leaves the transaction usable: the caller is told OK_EEXIST. */
static const struct pg_query BLOCK_PUT = {"INSERT INTO key_block (" BLOCK_COLS ") "
                                          "VALUES ($1, $2, $3, $4, $5) ON CONFLICT (key_id) "
                                          "DO NOTHING",
                                          "block a key", &block_cols, NULL};
static const struct pg_query BLOCK_GET = {"SELECT " BLOCK_COLS " FROM key_block WHERE key_id = $1",
                                          "read a key block", NULL, &block_cols};
static const struct pg_query BLOCK_REMOVE = {"DELETE FROM key_block WHERE key_id = $1",
                                             "unblock a key", NULL, NULL};
static const struct pg_query BLOCK_COUNT = {"SELECT count(*) AS n FROM key_block",
                                            "count blocked keys", NULL, &pg_count_cols};
static const struct pg_query BLOCK_LIST = {"SELECT " BLOCK_COLS
                                           " FROM key_block ORDER BY blocked_ms, key_id",
                                           "list blocked keys", NULL, &block_cols};

/* An institution's read limit. */
struct limit_row {
	int64_t learners;
	int64_t window_s;
};
static const struct pg_col limit_col[] = {
        PG_COL(struct limit_row, learners, PG_INT),
        PG_COL(struct limit_row, window_s, PG_INT),
};
static const struct pg_cols limit_cols = PG_COLS(limit_col);

/* (institution, learners, window_s) */
static const struct pg_query LIMIT_PUT = {
        "INSERT INTO read_limit (institution, learners, window_s) VALUES ($1, $2, $3) "
        "ON CONFLICT (institution) DO UPDATE SET learners = excluded.learners, "
        "window_s = excluded.window_s",
        "set a read limit", NULL, NULL};
static const struct pg_query LIMIT_GET = {
        "SELECT learners, window_s FROM read_limit WHERE institution = $1", "read a read limit",
        NULL, &limit_cols};

static int read_window(struct store *base, const char *key_id, const char *learner_id,
                       int64_t since_ms, int64_t *count, bool *seen, struct ok_error *err)
{
	struct window_row r = {0, false};
	int rc = pg_get(pgs(base), &READ_WINDOW,
	                PG_ARGS(PG_ARG_TEXT(key_id), PG_ARG_TEXT(learner_id), PG_ARG_INT(since_ms)),
	                &r, err);

	*count = r.n;
	*seen = r.seen;
	return rc == OK_ENOTFOUND ? 0 : rc; /* an aggregate has a row; none would be nothing */
}

static int read_put(struct store *base, const char *key_id, const char *learner_id, int64_t at_ms,
                    struct ok_error *err)
{
	return pg_run(pgs(base), &READ_PUT, NULL,
	              PG_ARGS(PG_ARG_TEXT(key_id), PG_ARG_TEXT(learner_id), PG_ARG_INT(at_ms)),
	              NULL, err);
}

static int read_prune(struct store *base, const char *key_id, int64_t before_ms,
                      struct ok_error *err)
{
	return pg_run(pgs(base), &READ_PRUNE, NULL,
	              PG_ARGS(PG_ARG_TEXT(key_id), PG_ARG_INT(before_ms)), NULL, err);
}

static int read_clear(struct store *base, const char *key_id, struct ok_error *err)
{
	return pg_run(pgs(base), &READ_CLEAR, NULL, PG_ARGS(PG_ARG_TEXT(key_id)), NULL, err);
}

static int block_put(struct store *base, const struct store_key_block *b, struct ok_error *err)
{
	int rc = pg_add(pgs(base), &BLOCK_PUT, b, PG_NO_ARGS, err);

	return rc == OK_EEXIST ? ok_fail(err, rc, "block a key: the key is blocked already") : rc;
}

static int block_get(struct store *base, const char *key_id, struct store_key_block *out,
                     struct ok_error *err)
{
	struct pg_store *s = pgs(base);
	int rc;

	/* In a transaction (leak detection's counting), the lock of the reads comes first: its own
	 * statement, so that the reads below see what a server that held it before committed. */
	if (s->in_tx && (rc = pg_command(s, PG_LOCK_KEY_READ, "lock a key's reads", err)))
		return rc;
	return pg_get(s, &BLOCK_GET, PG_ARGS(PG_ARG_TEXT(key_id)), out, err);
}

static int block_remove(struct store *base, const char *key_id, struct ok_error *err)
{
	return pg_change(pgs(base), &BLOCK_REMOVE, NULL, PG_ARGS(PG_ARG_TEXT(key_id)), err);
}

static int block_count(struct store *base, int64_t *out, struct ok_error *err)
{
	return pg_count(pgs(base), &BLOCK_COUNT, PG_NO_ARGS, out, err);
}

static int block_list(struct store *base, store_key_block_fn fn, void *ctx, struct ok_error *err)
{
	struct store_key_block b;
	struct pg_cursor c;
	int rc = pg_list(&c, pgs(base), &BLOCK_LIST, PG_NO_ARGS, err);

	while (!rc && (rc = pg_next(&c, &b, err)) > 0)
		rc = fn(ctx, &b);
	return pg_list_end(&c, rc);
}

static int limit_put(struct store *base, const char *institution, int64_t learners,
                     int64_t window_s, struct ok_error *err)
{
	return pg_run(pgs(base), &LIMIT_PUT, NULL,
	              PG_ARGS(PG_ARG_TEXT(institution), PG_ARG_INT(learners), PG_ARG_INT(window_s)),
	              NULL, err);
}

static int limit_get(struct store *base, const char *institution, int64_t *learners,
                     int64_t *window_s, struct ok_error *err)
{
	struct limit_row r;
	int rc = pg_get(pgs(base), &LIMIT_GET, PG_ARGS(PG_ARG_TEXT(institution)), &r, err);

	if (rc)
		return rc;
	*learners = r.learners;
	*window_s = r.window_s;
	return 0;
}

const struct store_leak_ops pg_leak_ops = {
        .read_window = read_window,
        .read_put = read_put,
        .read_prune = read_prune,
        .read_clear = read_clear,
        .block_put = block_put,
        .block_get = block_get,
        .block_remove = block_remove,
        .block_count = block_count,
        .block_list = block_list,
        .limit_put = limit_put,
        .limit_get = limit_get,
};
