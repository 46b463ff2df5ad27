/* The SQLite side of the store's privacy area (see privacy.h): reading windows, blocked keys and
 * per-institution read limits, in the tables of the privacy migration. */
#include "store/leak.h"
#include "store/sqlite_internal.h"

static const char SQL_READ_WINDOW[] =
        "SELECT count(*), coalesce(max(learner_id = ?2), 0) FROM key_read "
        "WHERE key_id = ?1 AND at_ms > ?3";
static const char SQL_READ_PUT[] =
        "INSERT INTO key_read (key_id, learner_id, at_ms) VALUES (?, ?, ?) "
        "ON CONFLICT (key_id, learner_id) DO UPDATE SET at_ms = max(at_ms, excluded.at_ms)";
static const char SQL_READ_PRUNE[] = "DELETE FROM key_read WHERE key_id = ? AND at_ms <= ?";
static const char SQL_READ_CLEAR[] = "DELETE FROM key_read WHERE key_id = ?";
static const char SQL_BLOCK_PUT[] =
        "INSERT INTO key_block (key_id, institution, blocked_ms, learners, window_s) "
        "VALUES (?, ?, ?, ?, ?)";
static const char SQL_BLOCK_GET[] = "SELECT key_id, institution, blocked_ms, learners, window_s "
                                    "FROM key_block WHERE key_id = ?";
static const char SQL_BLOCK_REMOVE[] = "DELETE FROM key_block WHERE key_id = ?";
static const char SQL_BLOCK_COUNT[] = "SELECT count(*) FROM key_block";
static const char SQL_BLOCK_LIST[] = "SELECT key_id, institution, blocked_ms, learners, window_s "
                                     "FROM key_block ORDER BY blocked_ms, key_id";
static const char SQL_LIMIT_PUT[] =
        "INSERT INTO read_limit (institution, learners, window_s) VALUES (?, ?, ?) "
        "ON CONFLICT (institution) DO UPDATE SET learners = excluded.learners, "
        "window_s = excluded.window_s";
static const char SQL_LIMIT_GET[] =
        "SELECT learners, window_s FROM read_limit WHERE institution = ?";

static int read_window(struct store *base, const char *key_id, const char *learner_id,
                       int64_t since_ms, int64_t *count, bool *seen, struct ok_error *err)
{
	struct store_sqlite *s = sq(base);
	sqlite3_stmt *st = sqlite_prepared(s, SQL_READ_WINDOW, err);
	int rc;

	*count = 0;
	*seen = false;
	if (!st)
		return err ? err->code : OK_ESTORE;
	sqlite_bind_text(st, 1, key_id);
	sqlite_bind_text(st, 2, learner_id);
	sqlite3_bind_int64(st, 3, since_ms);
	rc = sqlite_step_one(s, st, "read a key's reading window", err);
	if (rc == OK_ENOTFOUND)
		return sqlite_fail(s, SQLITE_ERROR, "read a key's reading window", err);
	if (rc)
		return rc;
	*count = sqlite3_column_int64(st, 0);
	*seen = sqlite3_column_int(st, 1) != 0;
	sqlite3_reset(st);
	return 0;
}

static int read_put(struct store *base, const char *key_id, const char *learner_id, int64_t at_ms,
                    struct ok_error *err)
{
	struct store_sqlite *s = sq(base);
	sqlite3_stmt *st = sqlite_prepared(s, SQL_READ_PUT, err);

	if (!st)
		return err ? err->code : OK_ESTORE;
	sqlite_bind_text(st, 1, key_id);
	sqlite_bind_text(st, 2, learner_id);
	sqlite3_bind_int64(st, 3, at_ms);
	return sqlite_exec_step(s, st, "record a key's read", err);
}

static int read_prune(struct store *base, const char *key_id, int64_t before_ms,
                      struct ok_error *err)
{
	struct store_sqlite *s = sq(base);
	sqlite3_stmt *st = sqlite_prepared(s, SQL_READ_PRUNE, err);

	if (!st)
		return err ? err->code : OK_ESTORE;
	sqlite_bind_text(st, 1, key_id);
	sqlite3_bind_int64(st, 2, before_ms);
	return sqlite_exec_step(s, st, "forget a key's old reads", err);
}

static int read_clear(struct store *base, const char *key_id, struct ok_error *err)
{
	struct store_sqlite *s = sq(base);
	sqlite3_stmt *st = sqlite_prepared(s, SQL_READ_CLEAR, err);

	if (!st)
		return err ? err->code : OK_ESTORE;
	sqlite_bind_text(st, 1, key_id);
	return sqlite_exec_step(s, st, "forget a key's reads", err);
}

static int block_put(struct store *base, const struct store_key_block *b, struct ok_error *err)
{
	struct store_sqlite *s = sq(base);
	sqlite3_stmt *st = sqlite_prepared(s, SQL_BLOCK_PUT, err);

	if (!st)
		return err ? err->code : OK_ESTORE;
	sqlite_bind_text(st, 1, b->key_id);
	sqlite_bind_text(st, 2, b->institution);
	sqlite3_bind_int64(st, 3, b->blocked_ms);
	sqlite3_bind_int64(st, 4, b->learners);
	sqlite3_bind_int64(st, 5, b->window_s);
	return sqlite_exec_step(s, st, "block a key", err);
}

static void read_block(sqlite3_stmt *st, struct store_key_block *b)
{
	sqlite_col_text(st, 0, b->key_id, sizeof(b->key_id));
	sqlite_col_text(st, 1, b->institution, sizeof(b->institution));
	b->blocked_ms = sqlite3_column_int64(st, 2);
	b->learners = sqlite3_column_int64(st, 3);
	b->window_s = sqlite3_column_int64(st, 4);
}

static int block_get(struct store *base, const char *key_id, struct store_key_block *out,
                     struct ok_error *err)
{
	struct store_sqlite *s = sq(base);
	sqlite3_stmt *st = sqlite_prepared(s, SQL_BLOCK_GET, err);
	int rc;

	if (!st)
		return err ? err->code : OK_ESTORE;
	sqlite_bind_text(st, 1, key_id);
	rc = sqlite_step_one(s, st, "read a key block", err);
	if (rc)
		return rc;
	read_block(st, out);
	sqlite3_reset(st);
	return 0;
}

static int block_remove(struct store *base, const char *key_id, struct ok_error *err)
{
	struct store_sqlite *s = sq(base);
	sqlite3_stmt *st = sqlite_prepared(s, SQL_BLOCK_REMOVE, err);
	int rc;

	if (!st)
		return err ? err->code : OK_ESTORE;
	sqlite_bind_text(st, 1, key_id);
	rc = sqlite_exec_step(s, st, "unblock a key", err);
	if (!rc && sqlite3_changes(s->db) == 0)
		return OK_ENOTFOUND;
	return rc;
}

static int block_count(struct store *base, int64_t *out, struct ok_error *err)
{
	struct store_sqlite *s = sq(base);
	sqlite3_stmt *st = sqlite_prepared(s, SQL_BLOCK_COUNT, err);
	int rc;

	*out = 0;
	if (!st)
		return err ? err->code : OK_ESTORE;
	rc = sqlite_step_one(s, st, "count blocked keys", err);
	if (rc)
		return rc == OK_ENOTFOUND ? 0 : rc;
	*out = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	return 0;
}

static int block_list(struct store *base, store_key_block_fn fn, void *ctx, struct ok_error *err)
{
	struct store_sqlite *s = sq(base);
	sqlite3_stmt *st = sqlite_prepared(s, SQL_BLOCK_LIST, err);
	struct store_key_block b;
	int rc;

	if (!st)
		return err ? err->code : OK_ESTORE;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		read_block(st, &b);
		if ((rc = fn(ctx, &b))) {
			sqlite3_reset(st);
			return rc;
		}
	}
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? 0 : sqlite_fail(s, rc, "list blocked keys", err);
}

static int limit_put(struct store *base, const char *institution, int64_t learners,
                     int64_t window_s, struct ok_error *err)
{
	struct store_sqlite *s = sq(base);
	sqlite3_stmt *st = sqlite_prepared(s, SQL_LIMIT_PUT, err);

	if (!st)
		return err ? err->code : OK_ESTORE;
	sqlite_bind_text(st, 1, institution);
	sqlite3_bind_int64(st, 2, learners);
	sqlite3_bind_int64(st, 3, window_s);
	return sqlite_exec_step(s, st, "set a read limit", err);
}

static int limit_get(struct store *base, const char *institution, int64_t *learners,
                     int64_t *window_s, struct ok_error *err)
{
	struct store_sqlite *s = sq(base);
	sqlite3_stmt *st = sqlite_prepared(s, SQL_LIMIT_GET, err);
	int rc;

	if (!st)
		return err ? err->code : OK_ESTORE;
	sqlite_bind_text(st, 1, institution);
	rc = sqlite_step_one(s, st, "read a read limit", err);
	if (rc)
		return rc;
	*learners = sqlite3_column_int64(st, 0);
	*window_s = sqlite3_column_int64(st, 1);
	sqlite3_reset(st);
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
