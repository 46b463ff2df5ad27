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
static const char SQL_KEY_LOCK[] = "LOCK TABLE key_read IN EXCLUSIVE MODE";
static const char SQL_READ_WINDOW[] =
        "SELECT count(*), coalesce(bool_or(learner_id = $2), false) FROM key_read "
        "WHERE key_id = $1 AND at_ms > $3";
static const char SQL_READ_PUT[] =
        "INSERT INTO key_read (key_id, learner_id, at_ms) VALUES ($1, $2, $3) "
        "ON CONFLICT (key_id, learner_id) "
        "DO UPDATE SET at_ms = greatest(key_read.at_ms, excluded.at_ms)";
static const char SQL_READ_PRUNE[] = "DELETE FROM key_read WHERE key_id = $1 AND at_ms <= $2";
static const char SQL_READ_CLEAR[] = "DELETE FROM key_read WHERE key_id = $1";
/* A key blocked twice leaves the transaction usable: the caller is told OK_EEXIST. */
static const char SQL_BLOCK_PUT[] =
        "INSERT INTO key_block (key_id, institution, blocked_ms, learners, window_s) "
        "VALUES ($1, $2, $3, $4, $5) ON CONFLICT (key_id) DO NOTHING";
static const char SQL_BLOCK_GET[] = "SELECT key_id, institution, blocked_ms, learners, window_s "
                                    "FROM key_block WHERE key_id = $1";
static const char SQL_BLOCK_REMOVE[] = "DELETE FROM key_block WHERE key_id = $1";
static const char SQL_BLOCK_COUNT[] = "SELECT count(*) FROM key_block";
static const char SQL_BLOCK_LIST[] = "SELECT key_id, institution, blocked_ms, learners, window_s "
                                     "FROM key_block ORDER BY blocked_ms, key_id";
static const char SQL_LIMIT_PUT[] =
        "INSERT INTO read_limit (institution, learners, window_s) VALUES ($1, $2, $3) "
        "ON CONFLICT (institution) DO UPDATE SET learners = excluded.learners, "
        "window_s = excluded.window_s";
static const char SQL_LIMIT_GET[] =
        "SELECT learners, window_s FROM read_limit WHERE institution = $1";

static int read_window(struct store *base, const char *key_id, const char *learner_id,
                       int64_t since_ms, int64_t *count, bool *seen, struct ok_error *err)
{
	struct pg_params p;
	PGresult *r;
	int rc;

	*count = 0;
	*seen = false;
	pg_params_init(&p);
	pg_param_text(&p, key_id);
	pg_param_text(&p, learner_id);
	pg_param_int64(&p, since_ms);
	rc = pg_exec_one(pgs(base), SQL_READ_WINDOW, &p, &r, "read a key's reading window", err);
	if (rc == OK_ENOTFOUND)
		return ok_fail(err, OK_ESTORE, "read a key's reading window: no count");
	if (rc)
		return rc;
	*count = pg_col_int64(r, 0, 0);
	*seen = pg_col_bool(r, 0, 1);
	PQclear(r);
	return 0;
}

static int read_put(struct store *base, const char *key_id, const char *learner_id, int64_t at_ms,
                    struct ok_error *err)
{
	struct pg_params p;

	pg_params_init(&p);
	pg_param_text(&p, key_id);
	pg_param_text(&p, learner_id);
	pg_param_int64(&p, at_ms);
	return pg_exec(pgs(base), SQL_READ_PUT, &p, NULL, NULL, "record a key's read", err);
}

static int read_prune(struct store *base, const char *key_id, int64_t before_ms,
                      struct ok_error *err)
{
	struct pg_params p;

	pg_params_init(&p);
	pg_param_text(&p, key_id);
	pg_param_int64(&p, before_ms);
	return pg_exec(pgs(base), SQL_READ_PRUNE, &p, NULL, NULL, "forget a key's old reads", err);
}

static int read_clear(struct store *base, const char *key_id, struct ok_error *err)
{
	struct pg_params p;

	pg_params_init(&p);
	pg_param_text(&p, key_id);
	return pg_exec(pgs(base), SQL_READ_CLEAR, &p, NULL, NULL, "forget a key's reads", err);
}

static int block_put(struct store *base, const struct store_key_block *b, struct ok_error *err)
{
	struct pg_params p;
	int64_t added = 0;
	int rc;

	pg_params_init(&p);
	pg_param_text(&p, b->key_id);
	pg_param_text(&p, b->institution);
	pg_param_int64(&p, b->blocked_ms);
	pg_param_int64(&p, b->learners);
	pg_param_int64(&p, b->window_s);
	if ((rc = pg_exec(pgs(base), SQL_BLOCK_PUT, &p, NULL, &added, "block a key", err)))
		return rc;
	return added ? 0 : ok_fail(err, OK_EEXIST, "block a key: the key is blocked already");
}

static void read_block(const PGresult *r, int row, struct store_key_block *b)
{
	pg_col_text(r, row, 0, b->key_id, sizeof(b->key_id));
	pg_col_text(r, row, 1, b->institution, sizeof(b->institution));
	b->blocked_ms = pg_col_int64(r, row, 2);
	b->learners = pg_col_int64(r, row, 3);
	b->window_s = pg_col_int64(r, row, 4);
}

static int block_get(struct store *base, const char *key_id, struct store_key_block *out,
                     struct ok_error *err)
{
	struct pg_store *s = pgs(base);
	struct pg_params p;
	PGresult *r;
	int rc;

	pg_params_init(&p);
	pg_param_text(&p, key_id);
	/* In a transaction (leak detection's counting), the lock of the reads comes first: its own
	 * statement, so that the reads below see what a server that held it before committed. */
	if (s->in_tx && (rc = pg_command(s, SQL_KEY_LOCK, "lock a key's reads", err)))
		return rc;
	if ((rc = pg_exec_one(s, SQL_BLOCK_GET, &p, &r, "read a key block", err)))
		return rc;
	read_block(r, 0, out);
	PQclear(r);
	return 0;
}

static int block_remove(struct store *base, const char *key_id, struct ok_error *err)
{
	struct pg_params p;
	int64_t changed = 0;
	int rc;

	pg_params_init(&p);
	pg_param_text(&p, key_id);
	rc = pg_exec(pgs(base), SQL_BLOCK_REMOVE, &p, NULL, &changed, "unblock a key", err);
	if (!rc && changed == 0)
		return OK_ENOTFOUND;
	return rc;
}

static int block_count(struct store *base, int64_t *out, struct ok_error *err)
{
	PGresult *r;
	int rc;

	*out = 0;
	rc = pg_exec_one(pgs(base), SQL_BLOCK_COUNT, NULL, &r, "count blocked keys", err);
	if (rc)
		return rc == OK_ENOTFOUND ? 0 : rc;
	*out = pg_col_int64(r, 0, 0);
	PQclear(r);
	return 0;
}

static int block_list(struct store *base, store_key_block_fn fn, void *ctx, struct ok_error *err)
{
	struct store_key_block b;
	PGresult *r;
	int i, n, rc;

	if ((rc = pg_exec(pgs(base), SQL_BLOCK_LIST, NULL, &r, NULL, "list blocked keys", err)))
		return rc;
	n = PQntuples(r);
	for (i = 0; i < n && !rc; i++) {
		read_block(r, i, &b);
		rc = fn(ctx, &b);
	}
	PQclear(r);
	return rc;
}

static int limit_put(struct store *base, const char *institution, int64_t learners,
                     int64_t window_s, struct ok_error *err)
{
	struct pg_params p;

	pg_params_init(&p);
	pg_param_text(&p, institution);
	pg_param_int64(&p, learners);
	pg_param_int64(&p, window_s);
	return pg_exec(pgs(base), SQL_LIMIT_PUT, &p, NULL, NULL, "set a read limit", err);
}

static int limit_get(struct store *base, const char *institution, int64_t *learners,
                     int64_t *window_s, struct ok_error *err)
{
	struct pg_params p;
	PGresult *r;
	int rc;

	pg_params_init(&p);
	pg_param_text(&p, institution);
	if ((rc = pg_exec_one(pgs(base), SQL_LIMIT_GET, &p, &r, "read a read limit", err)))
		return rc;
	*learners = pg_col_int64(r, 0, 0);
	*window_s = pg_col_int64(r, 0, 1);
	PQclear(r);
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
