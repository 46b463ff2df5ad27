/* The SQLite side of the store's VC-API status area (see vcstatus.h). */
#include "store/sqlite_internal.h"
#include "store/vcstatus.h"

#define VC_STATUS_COLS \
	"id, institution, key_id, status_list, status_index, status, created_ms, updated_ms"

static const struct sqlite_col vc_col[] = {
        SQLITE_COL(struct store_vc_status, id, SQ_TEXT),
        SQLITE_COL(struct store_vc_status, institution, SQ_TEXT),
        SQLITE_COL(struct store_vc_status, key_id, SQ_TEXT),
        SQLITE_COL(struct store_vc_status, status_list, SQ_INT),
        SQLITE_COL(struct store_vc_status, status_index, SQ_INT),
        SQLITE_COL(struct store_vc_status, status, SQ_TEXT),
        SQLITE_COL(struct store_vc_status, created_ms, SQ_INT),
        SQLITE_COL(struct store_vc_status, updated_ms, SQ_INT),
};
static const struct sqlite_cols vc_cols = SQLITE_COLS(vc_col);

/* Nothing is inserted when the id or the slot is taken here, or the slot by an achievement (the
 * slot allocator guards the other direction). */
static const struct sqlite_query ADD = {
        ST_VC_STATUS_ADD,
        "INSERT OR IGNORE INTO vc_status (" VC_STATUS_COLS ") "
        "SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8 WHERE NOT EXISTS (SELECT 1 FROM achievement "
        "WHERE status_list = ?4 AND status_index = ?5)",
        "add a credential's status", &vc_cols, NULL};
static const struct sqlite_query GET = {ST_VC_STATUS_GET,
                                        "SELECT " VC_STATUS_COLS
                                        " FROM vc_status WHERE institution = ? AND id = ?",
                                        "read a credential's status", NULL, &vc_cols};
/* Two rows at most: enough to tell one from several. */
static const struct sqlite_query FIND_ID = {
        ST_VC_STATUS_FIND_ID,
        "SELECT " VC_STATUS_COLS " FROM vc_status WHERE id = ? ORDER BY institution LIMIT 2",
        "find a credential's status", NULL, &vc_cols};
static const struct sqlite_query BY_SLOT = {
        ST_VC_STATUS_BY_SLOT,
        "SELECT " VC_STATUS_COLS " FROM vc_status WHERE status_list = ? AND status_index = ?",
        "read a credential's status", NULL, &vc_cols};
static const struct sqlite_query SET = {
        ST_VC_STATUS_SET,
        "UPDATE vc_status SET status = ?3, updated_ms = ?4 WHERE institution = ?1 AND id = ?2",
        "change a credential's status", NULL, NULL};

static const struct sqlite_query COUNT = {
        ST_VC_STATUS_COUNT, "SELECT count(*) AS n FROM vc_status WHERE status_list = ?",
        "count credentials' status slots", NULL, &sqlite_count_cols};

static const struct sqlite_query COUNT_SINCE = {
        ST_VC_STATUS_COUNT_SINCE,
        "SELECT count(*) AS n FROM vc_status WHERE institution = ? AND created_ms >= ?",
        "count an institution's credentials with status", NULL, &sqlite_count_cols};

static int add(struct store *base, const struct store_vc_status *v, struct ok_error *err)
{
	struct store_sqlite *s = sq(base);
	int rc = sqlite_exec(s, &ADD, v, SQLITE_NO_ARGS, err);

	if (!rc && sqlite_changes(s) != 1)
		rc = ok_fail(err, OK_EEXIST, "add a credential's status: the id or slot is taken");
	return rc;
}

static int get(struct store *base, const char *institution, const char *id,
               struct store_vc_status *out, struct ok_error *err)
{
	return sqlite_get(sq(base), &GET, SQLITE_ARGS(SQ_ARG_TEXT(institution), SQ_ARG_TEXT(id)),
	                  out, err);
}

static int find_id(struct store *base, const char *id, struct store_vc_status *out,
                   struct ok_error *err)
{
	struct store_sqlite *s = sq(base);
	struct store_vc_status other;
	int rc = sqlite_query(s, &FIND_ID, SQLITE_ARGS(SQ_ARG_TEXT(id)), err);
	int n = 0;

	while (!rc && (rc = sqlite_next(s, &FIND_ID, n ? &other : out, err)) > 0) {
		n++;
		rc = 0;
	}
	rc = sqlite_end(s, &FIND_ID, rc);
	if (!rc && n == 0)
		rc = ok_fail(err, OK_ENOTFOUND, "no credential with that id");
	else if (!rc && n > 1)
		rc = ok_fail(err, OK_ECONFLICT,
		             "more than one institution issued a credential with that id");
	return rc;
}

static int by_slot(struct store *base, int64_t list, int64_t index, struct store_vc_status *out,
                   struct ok_error *err)
{
	return sqlite_get(sq(base), &BY_SLOT, SQLITE_ARGS(SQ_ARG_INT(list), SQ_ARG_INT(index)), out,
	                  err);
}

static int set_status(struct store *base, const char *institution, const char *id,
                      const char *status, int64_t at_ms, struct ok_error *err)
{
	struct store_sqlite *s = sq(base);
	int rc = sqlite_exec(s, &SET, NULL,
	                     SQLITE_ARGS(SQ_ARG_TEXT(institution), SQ_ARG_TEXT(id),
	                                 SQ_ARG_TEXT(status), SQ_ARG_INT(at_ms)),
	                     err);

	if (!rc && sqlite_changes(s) != 1)
		rc = ok_fail(err, OK_ENOTFOUND, "no credential with that id");
	return rc;
}

static int count_in_list(struct store *base, int64_t list, int64_t *out, struct ok_error *err)
{
	return sqlite_count(sq(base), &COUNT, SQLITE_ARGS(SQ_ARG_INT(list)), out, err);
}

static int count_since(struct store *base, const char *institution, int64_t since_ms, int64_t *out,
                       struct ok_error *err)
{
	return sqlite_count(sq(base), &COUNT_SINCE,
	                    SQLITE_ARGS(SQ_ARG_TEXT(institution), SQ_ARG_INT(since_ms)), out, err);
}

const struct store_vcstatus_ops sqlite_vcstatus_ops = {
        .add = add,
        .get = get,
        .find_id = find_id,
        .by_slot = by_slot,
        .set_status = set_status,
        .count_in_list = count_in_list,
        .count_since = count_since,
};
