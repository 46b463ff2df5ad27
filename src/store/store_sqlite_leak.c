/* The SQLite side of the store's leak-detection area (see leak.h): reading windows, blocked keys
 * and per-institution read limits, in the tables of the privacy migration. */
#include "store/leak.h"
#include "store/sqlite_internal.h"

/* A key's window: how many learners it read after since_ms, and whether one of them. */
struct window_row {
	int64_t n;
	bool seen;
};
static const struct sqlite_col window_col[] = {
        SQLITE_COL(struct window_row, n, SQ_INT),
        SQLITE_COL(struct window_row, seen, SQ_BOOL),
};
static const struct sqlite_cols window_cols = SQLITE_COLS(window_col);

/* (key_id, learner_id, since_ms) */
static const struct sqlite_query READ_WINDOW = {
        ST_READ_WINDOW,
        "SELECT count(*) AS n, coalesce(max(learner_id = ?2), 0) AS seen FROM key_read "
        "WHERE key_id = ?1 AND at_ms > ?3",
        "read a key's reading window", NULL, &window_cols};
/* (key_id, learner_id, at_ms) */
static const struct sqlite_query READ_PUT = {
        ST_READ_PUT,
        "INSERT INTO key_read (key_id, learner_id, at_ms) VALUES (?, ?, ?) "
        "ON CONFLICT (key_id, learner_id) DO UPDATE SET at_ms = max(at_ms, excluded.at_ms)",
        "record a key's read", NULL, NULL};
/* (key_id, before_ms) */
static const struct sqlite_query READ_PRUNE = {
        ST_READ_PRUNE, "DELETE FROM key_read WHERE key_id = ? AND at_ms <= ?",
        "forget a key's old reads", NULL, NULL};
static const struct sqlite_query READ_CLEAR = {
        ST_READ_CLEAR, "DELETE FROM key_read WHERE key_id = ?", "forget a key's reads", NULL, NULL};

#define BLOCK_COLS "key_id, institution, blocked_ms, learners, window_s"
static const struct sqlite_col block_col[] = {
        SQLITE_COL(struct store_key_block, key_id, SQ_TEXT),
        SQLITE_COL(struct store_key_block, institution, SQ_TEXT),
        SQLITE_COL(struct store_key_block, blocked_ms, SQ_INT),
        SQLITE_COL(struct store_key_block, learners, SQ_INT),
        SQLITE_COL(struct store_key_block, window_s, SQ_INT),
};
static const struct sqlite_cols block_cols = SQLITE_COLS(block_col);

static const struct sqlite_query BLOCK_PUT = {
        ST_BLOCK_PUT, "INSERT INTO key_block (" BLOCK_COLS ") VALUES (?, ?, ?, ?, ?)",
        "block a key", &block_cols, NULL};
static const struct sqlite_query BLOCK_GET = {
        ST_BLOCK_GET, "SELECT " BLOCK_COLS " FROM key_block WHERE key_id = ?", "read a key block",
        NULL, &block_cols};
static const struct sqlite_query BLOCK_REMOVE = {
        ST_BLOCK_REMOVE, "DELETE FROM key_block WHERE key_id = ?", "unblock a key", NULL, NULL};
static const struct sqlite_query BLOCK_COUNT = {ST_BLOCK_COUNT,
                                                "SELECT count(*) AS n FROM key_block",
                                                "count blocked keys", NULL, &sqlite_count_cols};
static const struct sqlite_query BLOCK_LIST = {
        ST_BLOCK_LIST, "SELECT " BLOCK_COLS " FROM key_block ORDER BY blocked_ms, key_id",
        "list blocked keys", NULL, &block_cols};

struct limit_row {
	int64_t learners;
	int64_t window_s;
};
static const struct sqlite_col limit_col[] = {
        SQLITE_COL(struct limit_row, learners, SQ_INT),
        SQLITE_COL(struct limit_row, window_s, SQ_INT),
};
static const struct sqlite_cols limit_cols = SQLITE_COLS(limit_col);

/* (institution, learners, window_s) */
static const struct sqlite_query LIMIT_PUT = {
        ST_LIMIT_PUT,
        "INSERT INTO read_limit (institution, learners, window_s) VALUES (?, ?, ?) "
        "ON CONFLICT (institution) DO UPDATE SET learners = excluded.learners, "
        "window_s = excluded.window_s",
        "set a read limit", NULL, NULL};
static const struct sqlite_query LIMIT_GET = {
        ST_LIMIT_GET, "SELECT learners, window_s FROM read_limit WHERE institution = ?",
        "read a read limit", NULL, &limit_cols};

static int read_window(struct store *base, const char *key_id, const char *learner_id,
                       int64_t since_ms, int64_t *count, bool *seen, struct ok_error *err)
{
	struct window_row r = {0, false};
	int rc = sqlite_get(
	        sq(base), &READ_WINDOW,
	        SQLITE_ARGS(SQ_ARG_TEXT(key_id), SQ_ARG_TEXT(learner_id), SQ_ARG_INT(since_ms)), &r,
	        err);

	/* An aggregate always has its row. */
	if (rc == OK_ENOTFOUND)
		rc = sqlite_fail(sq(base), SQLITE_ERROR, READ_WINDOW.what, err);
	*count = rc ? 0 : r.n;
	*seen = rc ? false : r.seen;
	return rc;
}

static int read_put(struct store *base, const char *key_id, const char *learner_id, int64_t at_ms,
                    struct ok_error *err)
{
	return sqlite_exec(
	        sq(base), &READ_PUT, NULL,
	        SQLITE_ARGS(SQ_ARG_TEXT(key_id), SQ_ARG_TEXT(learner_id), SQ_ARG_INT(at_ms)), err);
}

static int read_prune(struct store *base, const char *key_id, int64_t before_ms,
                      struct ok_error *err)
{
	return sqlite_exec(sq(base), &READ_PRUNE, NULL,
	                   SQLITE_ARGS(SQ_ARG_TEXT(key_id), SQ_ARG_INT(before_ms)), err);
}

static int read_clear(struct store *base, const char *key_id, struct ok_error *err)
{
	return sqlite_exec(sq(base), &READ_CLEAR, NULL, SQLITE_ARGS(SQ_ARG_TEXT(key_id)), err);
}

static int block_put(struct store *base, const struct store_key_block *b, struct ok_error *err)
{
	return sqlite_exec(sq(base), &BLOCK_PUT, b, SQLITE_NO_ARGS, err);
}

static int block_get(struct store *base, const char *key_id, struct store_key_block *out,
                     struct ok_error *err)
{
	return sqlite_get(sq(base), &BLOCK_GET, SQLITE_ARGS(SQ_ARG_TEXT(key_id)), out, err);
}

static int block_remove(struct store *base, const char *key_id, struct ok_error *err)
{
	struct store_sqlite *s = sq(base);
	int rc = sqlite_exec(s, &BLOCK_REMOVE, NULL, SQLITE_ARGS(SQ_ARG_TEXT(key_id)), err);

	if (!rc && sqlite_changes(s) == 0)
		return OK_ENOTFOUND;
	return rc;
}

static int block_count(struct store *base, int64_t *out, struct ok_error *err)
{
	return sqlite_count(sq(base), &BLOCK_COUNT, SQLITE_NO_ARGS, out, err);
}

static int block_list(struct store *base, store_key_block_fn fn, void *ctx, struct ok_error *err)
{
	struct store_sqlite *s = sq(base);
	struct store_key_block b;
	int rc = sqlite_query(s, &BLOCK_LIST, SQLITE_NO_ARGS, err);

	while (!rc && (rc = sqlite_next(s, &BLOCK_LIST, &b, err)) > 0)
		rc = fn(ctx, &b);
	return sqlite_end(s, &BLOCK_LIST, rc);
}

static int limit_put(struct store *base, const char *institution, int64_t learners,
                     int64_t window_s, struct ok_error *err)
{
	return sqlite_exec(
	        sq(base), &LIMIT_PUT, NULL,
	        SQLITE_ARGS(SQ_ARG_TEXT(institution), SQ_ARG_INT(learners), SQ_ARG_INT(window_s)),
	        err);
}

static int limit_get(struct store *base, const char *institution, int64_t *learners,
                     int64_t *window_s, struct ok_error *err)
{
	struct limit_row r;
	int rc = sqlite_get(sq(base), &LIMIT_GET, SQLITE_ARGS(SQ_ARG_TEXT(institution)), &r, err);

	if (rc)
		return rc;
	*learners = r.learners;
	*window_s = r.window_s;
	return 0;
}

const struct store_leak_ops sqlite_leak_ops = {
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
