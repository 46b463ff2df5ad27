/* The PostgreSQL side of the store's rate-limit area (see ratelimit.h). Each call is one
 * statement outside any transaction: the upsert's row lock orders the servers' additions to one
 * client's minute, and no advisory lock is taken, so counting never waits for a writer of
 * records. */
#include "store/pg_internal.h"
#include "store/ratelimit.h"

static const char SQL_RATELIMIT_ADD[] =
        "INSERT INTO ratelimit_count (scope, client, minute, count) VALUES ($1, $2, $3, $4) "
        "ON CONFLICT (scope, client, minute) "
        "DO UPDATE SET count = ratelimit_count.count + excluded.count RETURNING count";
static const char SQL_RATELIMIT_PRUNE[] = "DELETE FROM ratelimit_count WHERE minute < $1";

static int add(struct store *base, const char *scope, const unsigned char client[STORE_HASH_BYTES],
               int64_t minute, int64_t count, int64_t *total, struct ok_error *err)
{
	struct pg_params p;
	PGresult *r;
	int rc;

	*total = 0;
	pg_params_init(&p);
	pg_param_text(&p, scope);
	pg_param_bytea(&p, client, STORE_HASH_BYTES);
	pg_param_int64(&p, minute);
	pg_param_int64(&p, count);
	rc = pg_exec_one(pgs(base), SQL_RATELIMIT_ADD, &p, &r, "count a client's requests", err);
	if (rc == OK_ENOTFOUND)
		return ok_fail(err, OK_ESTORE, "count a client's requests: no count");
	if (rc)
		return rc;
	*total = pg_col_int64(r, 0, 0);
	PQclear(r);
	return 0;
}

static int prune(struct store *base, int64_t before, struct ok_error *err)
{
	struct pg_params p;

	pg_params_init(&p);
	pg_param_int64(&p, before);
	return pg_exec(pgs(base), SQL_RATELIMIT_PRUNE, &p, NULL, NULL,
	               "forget past minutes' request counts", err);
}

const struct store_ratelimit_ops pg_ratelimit_ops = {
        .add = add,
        .prune = prune,
};
