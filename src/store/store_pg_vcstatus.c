/* The PostgreSQL side of the store's VC-API status area (see vcstatus.h). */
#include "store/pg_internal.h"
#include "store/vcstatus.h"

#define VC_STATUS_COLS \
	"id, institution, key_id, status_list, status_index, status, created_ms, updated_ms"

/* Nothing is inserted when the id or the slot is taken here, or the slot by an achievement (the
 * slot allocator guards the other direction). */
static const char SQL_ADD[] =
        "INSERT INTO vc_status (" VC_STATUS_COLS ") SELECT $1, $2, $3, $4, $5, $6, $7, $8 "
        "WHERE NOT EXISTS (SELECT 1 FROM achievement WHERE status_list = $4 AND "
        "status_index = $5) ON CONFLICT DO NOTHING";
static const char SQL_GET[] =
        "SELECT " VC_STATUS_COLS " FROM vc_status WHERE institution = $1 AND id = $2";
/* Two rows at most: enough to tell one from several. */
static const char SQL_FIND_ID[] =
        "SELECT " VC_STATUS_COLS " FROM vc_status WHERE id = $1 ORDER BY institution LIMIT 2";
static const char SQL_BY_SLOT[] =
        "SELECT " VC_STATUS_COLS " FROM vc_status WHERE status_list = $1 AND status_index = $2";
static const char SQL_SET[] =
        "UPDATE vc_status SET status = $3, updated_ms = $4 WHERE institution = $1 AND id = $2";
static const char SQL_COUNT[] = "SELECT count(*) FROM vc_status WHERE status_list = $1";
static const char SQL_COUNT_SINCE[] =
        "SELECT count(*) FROM vc_status WHERE institution = $1 AND created_ms >= $2";

static void read_row(const PGresult *r, struct store_vc_status *v)
{
	pg_col_text(r, 0, 0, v->id, sizeof(v->id));
	pg_col_text(r, 0, 1, v->institution, sizeof(v->institution));
	pg_col_text(r, 0, 2, v->key_id, sizeof(v->key_id));
	v->status_list = pg_col_int64(r, 0, 3);
	v->status_index = pg_col_int64(r, 0, 4);
	pg_col_text(r, 0, 5, v->status, sizeof(v->status));
	v->created_ms = pg_col_int64(r, 0, 6);
	v->updated_ms = pg_col_int64(r, 0, 7);
}

static int add(struct store *base, const struct store_vc_status *v, struct ok_error *err)
{
	struct pg_params p;
	int64_t n = 0;
	int rc;

	pg_params_init(&p);
	pg_param_text(&p, v->id);
	pg_param_text(&p, v->institution);
	pg_param_text(&p, v->key_id);
	pg_param_int64(&p, v->status_list);
	pg_param_int64(&p, v->status_index);
	pg_param_text(&p, v->status);
	pg_param_int64(&p, v->created_ms);
	pg_param_int64(&p, v->updated_ms);
	if ((rc = pg_exec(pgs(base), SQL_ADD, &p, NULL, &n, "add a credential's status", err)))
		return rc;
	return n == 1 ? 0
	              : ok_fail(err, OK_EEXIST,
	                        "add a credential's status: the id or slot is taken");
}

static int get_one(struct store *base, const char *sql, struct pg_params *p,
                   struct store_vc_status *out, struct ok_error *err)
{
	PGresult *r;
	int rc = pg_exec_one(pgs(base), sql, p, &r, "read a credential's status", err);

	if (rc)
		return rc;
	read_row(r, out);
	PQclear(r);
	return 0;
}

static int get(struct store *base, const char *institution, const char *id,
               struct store_vc_status *out, struct ok_error *err)
{
	struct pg_params p;

	pg_params_init(&p);
	pg_param_text(&p, institution);
	pg_param_text(&p, id);
	return get_one(base, SQL_GET, &p, out, err);
}

static int find_id(struct store *base, const char *id, struct store_vc_status *out,
                   struct ok_error *err)
{
	struct pg_params p;
	PGresult *r;
	int64_t n = 0;
	int rc;

	pg_params_init(&p);
	pg_param_text(&p, id);
	if ((rc = pg_exec(pgs(base), SQL_FIND_ID, &p, &r, &n, "find a credential's status", err)))
		return rc;
	if (n == 1)
		read_row(r, out);
	PQclear(r);
	if (n == 0)
		return ok_fail(err, OK_ENOTFOUND, "no credential with that id");
	if (n > 1)
		return ok_fail(err, OK_ECONFLICT,
		               "more than one institution issued a credential with that id");
	return 0;
}

static int by_slot(struct store *base, int64_t list, int64_t index, struct store_vc_status *out,
                   struct ok_error *err)
{
	struct pg_params p;

	pg_params_init(&p);
	pg_param_int64(&p, list);
	pg_param_int64(&p, index);
	return get_one(base, SQL_BY_SLOT, &p, out, err);
}

static int set_status(struct store *base, const char *institution, const char *id,
                      const char *status, int64_t at_ms, struct ok_error *err)
{
	struct pg_params p;
	int64_t n = 0;
	int rc;

	pg_params_init(&p);
	pg_param_text(&p, institution);
	pg_param_text(&p, id);
	pg_param_text(&p, status);
	pg_param_int64(&p, at_ms);
	if ((rc = pg_exec(pgs(base), SQL_SET, &p, NULL, &n, "change a credential's status", err)))
		return rc;
	return n == 1 ? 0 : ok_fail(err, OK_ENOTFOUND, "no credential with that id");
}

static int count_in_list(struct store *base, int64_t list, int64_t *out, struct ok_error *err)
{
	struct pg_params p;
	PGresult *r;
	int rc;

	pg_params_init(&p);
	pg_param_int64(&p, list);
	if ((rc = pg_exec_one(pgs(base), SQL_COUNT, &p, &r, "count credentials' status slots",
	                      err)))
		return rc;
	*out = pg_col_int64(r, 0, 0);
	PQclear(r);
	return 0;
}

static int count_since(struct store *base, const char *institution, int64_t since_ms, int64_t *out,
                       struct ok_error *err)
{
	struct pg_params p;
	PGresult *r;
	int rc;

	pg_params_init(&p);
	pg_param_text(&p, institution);
	pg_param_int64(&p, since_ms);
	if ((rc = pg_exec_one(pgs(base), SQL_COUNT_SINCE, &p, &r,
	                      "count an institution's credentials with status", err)))
		return rc;
	*out = pg_col_int64(r, 0, 0);
	PQclear(r);
	return 0;
}

const struct store_vcstatus_ops pg_vcstatus_ops = {
        .add = add,
        .get = get,
        .find_id = find_id,
        .by_slot = by_slot,
        .set_status = set_status,
        .count_in_list = count_in_list,
        .count_since = count_since,
};
