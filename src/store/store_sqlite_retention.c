/* The SQLite side of the store's retention area (see retention.h): legal holds, due records,
 * their destruction, the runs, and overwriting what was deleted. */
#include "store/retention.h"
#include "store/sqlite_internal.h"
#include "store/retention_sql.h"

#include <stdlib.h>
#include <string.h>

static const struct sqlite_col hold_col[] = {
        SQLITE_COL(struct store_hold, id, SQ_TEXT),
        SQLITE_COL(struct store_hold, scope, SQ_TEXT),
        SQLITE_COL(struct store_hold, target, SQ_TEXT),
        SQLITE_COL(struct store_hold, reason, SQ_TEXT),
        SQLITE_COL(struct store_hold, created_by, SQ_TEXT),
        SQLITE_COL(struct store_hold, created_ms, SQ_INT),
        SQLITE_COL(struct store_hold, released_by, SQ_TEXT),
        SQLITE_COL(struct store_hold, released_ms, SQ_INT),
};
static const struct sqlite_cols hold_cols = SQLITE_COLS(hold_col);

static const struct sqlite_col run_col[] = {
        SQLITE_COL(struct store_retention_run, id, SQ_TEXT),
        SQLITE_COL(struct store_retention_run, actor, SQ_TEXT),
        SQLITE_COL(struct store_retention_run, started_ms, SQ_INT),
        SQLITE_COL(struct store_retention_run, finished_ms, SQ_INT),
        SQLITE_COL(struct store_retention_run, now_ms, SQ_INT),
        SQLITE_COL(struct store_retention_run, schedule, SQ_TEXT),
        SQLITE_COL(struct store_retention_run, counts, SQ_TEXT),
        SQLITE_COL(struct store_retention_run, audit_from, SQ_INT),
        SQLITE_COL(struct store_retention_run, audit_to, SQ_INT),
        SQLITE_COL(struct store_retention_run, certificate, SQ_TEXT),
};
static const struct sqlite_cols run_cols = SQLITE_COLS(run_col);

struct count_row {
	int64_t due, held, next_ms;
	char next_date[11];
};
static const struct sqlite_col count_col[] = {
        SQLITE_COL(struct count_row, due, SQ_INT),
        SQLITE_COL(struct count_row, held, SQ_INT),
        SQLITE_COL(struct count_row, next_ms, SQ_INT),
        SQLITE_COL(struct count_row, next_date, SQ_TEXT),
};
static const struct sqlite_cols count_cols = SQLITE_COLS(count_col);

/* The counts over a subquery of (due, held, t_ms, t_date) rows. */
#define COUNT_OVER(sub)                                                                        \
	"SELECT coalesce(sum(due AND NOT held), 0) AS due, coalesce(sum(due AND held), 0) AS " \
	"held, coalesce(min(CASE WHEN due THEN NULL ELSE t_ms END), 0) AS next_ms, "           \
	"coalesce(min(CASE WHEN due THEN NULL ELSE t_date END), '') AS next_date FROM (" sub ")"

static const struct sqlite_query HOLD_ADD = {ST_HOLD_ADD,
                                             "INSERT INTO legal_hold (" HOLD_COLS
                                             ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                                             "add a legal hold", &hold_cols, NULL};
static const struct sqlite_query HOLD_GET = {ST_HOLD_GET,
                                             "SELECT " HOLD_COLS " FROM legal_hold WHERE id = ?",
                                             "read a legal hold", NULL, &hold_cols};
static const struct sqlite_query HOLD_LIST = {
        ST_HOLD_LIST, "SELECT " HOLD_COLS " FROM legal_hold ORDER BY created_ms, id",
        "list legal holds", NULL, &hold_cols};
static const struct sqlite_query HOLD_RELEASE = {
        ST_HOLD_RELEASE,
        "UPDATE legal_hold SET released_by = ?2, released_ms = ?3 WHERE id = ?1 AND "
        "released_ms = 0",
        "release a legal hold", NULL, NULL};

/* Arguments of the counts: ?1 cutoff_ms, ?2 cutoff_date, ?3 trigger name (results and foreign
 * achievements); ?1 cutoff_ms, ?2 trigger name (the classes kept in milliseconds). */
static const struct sqlite_query COUNT_RESULT = {
        ST_RET_COUNT_RESULT,
        COUNT_OVER("SELECT CASE WHEN ?3 = 'created' THEN a.created_ms <= ?1 ELSE " RESULT_DATE(
                "?3") " <= ?2 END AS due, " HELD_RESULT
                      " AS held, 0 AS t_ms, " RESULT_DATE(
                              "?3") " "
                                    "AS t_date FROM achievement a WHERE " RESULT_KINDS),
        "count due results", NULL, &count_cols};
static const struct sqlite_query COUNT_FOREIGN = {
        ST_RET_COUNT_FOREIGN,
        COUNT_OVER("SELECT CASE WHEN ?3 = 'award' THEN f.awarded_on <= ?2 ELSE f.imported_ms <= "
                   "?1 END AS due, " HELD_FOREIGN " AS held, f.imported_ms AS t_ms, "
                   "f.awarded_on AS t_date FROM foreign_achievement f"),
        "count due foreign achievements", NULL, &count_cols};
static const struct sqlite_query COUNT_SHARE = {
        ST_RET_COUNT_SHARE,
        COUNT_OVER("SELECT (CASE WHEN ?2 = 'created' THEN s.created_ms ELSE s.expires_ms END) <= "
                   "?1 AS due, " HELD_LEARNER("s") " AS held, CASE WHEN ?2 = "
                                                   "'created' THEN s.created_ms ELSE s.expires_ms "
                                                   "END AS t_ms, '' AS t_date "
                                                   "FROM share s"),
        "count due shares", NULL, &count_cols};
static const struct sqlite_query COUNT_SESSION = {
        ST_RET_COUNT_SESSION,
        COUNT_OVER("SELECT (CASE WHEN ?2 = 'created' THEN s.created_ms ELSE s.last_seen_ms END) "
                   "<= ?1 AS due, " HELD_LEARNER("s") " AS held, CASE WHEN "
                                                      "?2 = 'created' THEN s.created_ms ELSE "
                                                      "s.last_seen_ms END AS t_ms, '' AS "
                                                      "t_date FROM session s"),
        "count due sessions", NULL, &count_cols};
static const struct sqlite_query COUNT_LINK = {
        ST_RET_COUNT_LINK,
        COUNT_OVER("SELECT (CASE WHEN ?2 = 'created' THEN l.created_ms ELSE l.expires_ms END) <= "
                   "?1 AS due, " HELD_LEARNER("l") " AS held, CASE WHEN ?2 = "
                                                   "'created' THEN l.created_ms ELSE l.expires_ms "
                                                   "END AS t_ms, '' AS t_date "
                                                   "FROM login_link l"),
        "count due login links", NULL, &count_cols};

static const struct sqlite_query COUNT_OFFER = {
        ST_RET_COUNT_OFFER,
        COUNT_OVER("SELECT (CASE WHEN ?2 = 'created' THEN o.created_ms ELSE o.expires_ms END) <= "
                   "?1 AS due, " HELD_LEARNER("o") " AS held, CASE WHEN ?2 = 'created' THEN "
                                                   "o.created_ms ELSE o.expires_ms END AS t_ms, "
                                                   "'' AS t_date FROM vci_offer o"),
        "count due wallet offers", NULL, &count_cols};

static const struct sqlite_query COUNT_AUDIT = {
        ST_RET_COUNT_AUDIT,
        COUNT_OVER("SELECT e.at_ms <= ?1 AS due, " HELD_EVENT " AS held, e.at_ms AS t_ms, '' AS "
                   "t_date FROM audit_event e WHERE e.actor <> ''"),
        "count due audit details", NULL, &count_cols};
static const struct sqlite_query AUDIT_DUE = {
        ST_RET_AUDIT_DUE,
        "SELECT " SQLITE_EVENT_COLS " FROM audit_event e WHERE e.seq > ?2 AND e.at_ms <= ?1 AND "
        "e.actor <> '' AND NOT " HELD_EVENT " ORDER BY e.seq LIMIT ?3",
        "list due audit details", NULL, &sqlite_event_cols};
static const struct sqlite_query AUDIT_TOMBSTONE = {
        ST_RET_AUDIT_TOMBSTONE,
        "UPDATE audit_event SET actor = ?2, subject = ?3, purpose = ?4, detail = ?5 WHERE seq = "
        "?1",
        "make an audit event a tombstone", NULL, NULL};

static const struct sqlite_query RESULTS_DUE = {
        ST_RET_RESULTS_DUE,
        "SELECT a.id AS id FROM achievement a WHERE " RESULT_KINDS
        " AND " RESULT_DATE("?3") " <= ?1 "
                                  "AND NOT " HELD_RESULT " ORDER BY a.id LIMIT ?2",
        "list due results", NULL, &sqlite_id_cols};
static const struct sqlite_query RESULT_HISTORY_DEL = {
        ST_RET_RESULT_HISTORY_DEL, "DELETE FROM achievement_history WHERE achievement_id = ?",
        "destroy a result's history", NULL, NULL};
/* A released hold on a record that is destroyed would keep its id: it goes with it (one in
 * force keeps the record from being destroyed at all). */
static const struct sqlite_query RECORD_HOLDS_DEL = {
        ST_RET_RECORD_HOLDS_DEL,
        "DELETE FROM legal_hold WHERE scope = 'achievement' AND target = ? AND released_ms <> 0",
        "destroy the released holds on a record", NULL, NULL};
static const struct sqlite_query RESULT_DEL = {
        ST_RET_RESULT_DEL, "DELETE FROM achievement WHERE id = ?", "destroy a result", NULL, NULL};
/* ?1 learner, ?2 the destroyed record's id, ?3 its stand-in. The list is "id,id,…" with no
 * empty entry and ids hold no comma, so ",LIST," holds ",ID," exactly where ID is listed. */
static const struct sqlite_query SHARE_STAND_IN = {
        ST_RET_SHARE_STAND_IN,
        "UPDATE share SET achievements = trim(replace(',' || achievements || ',', ',' || ?1 || "
        "',', ',' || ?2 || ','), ',') WHERE instr(',' || achievements || ',', ',' || ?1 || "
        "',') > 0",
        "put a stand-in for a destroyed record in its shares", NULL, NULL};
/* ?1 the destroyed record's id: out of every wallet offer; an offer left with none is withdrawn
 * with its access tokens. */
static const struct sqlite_query OFFER_DROP_ID = {
        ST_RET_OFFER_DROP_ID,
        "UPDATE vci_offer SET achievements = trim(replace(',' || achievements || ',', ',' || ?1 || "
        "',', ','), ',') WHERE instr(',' || achievements || ',', ',' || ?1 || ',') > 0",
        "take a destroyed record out of wallet offers", NULL, NULL};
static const struct sqlite_query OFFER_EMPTY_TOKENS = {
        ST_RET_OFFER_EMPTY_TOKENS,
        "DELETE FROM vci_token WHERE offer_id IN (SELECT id FROM vci_offer WHERE achievements = "
        "'')",
        "withdraw wallet offers left without records", NULL, NULL};
static const struct sqlite_query OFFER_EMPTY = {
        ST_RET_OFFER_EMPTY, "DELETE FROM vci_offer WHERE achievements = ''",
        "withdraw wallet offers left without records", NULL, NULL};

/* Sweeps: ?1 cutoff_ms, ?2 cutoff_date, ?3 trigger name, ?4 limit; of the classes kept in
 * milliseconds only: ?1 cutoff_ms, ?2 trigger name, ?3 limit. */
static const struct sqlite_query SWEEP_FOREIGN = {
        ST_RET_SWEEP_FOREIGN,
        "DELETE FROM foreign_achievement WHERE id IN (SELECT f.id FROM foreign_achievement f "
        "WHERE CASE WHEN ?3 = 'award' THEN f.awarded_on <= ?2 ELSE f.imported_ms <= ?1 END "
        "AND NOT " HELD_FOREIGN " ORDER BY f.id LIMIT ?4)",
        "destroy foreign achievements", NULL, NULL};
#define DUE_SHARES                                                                         \
	"SELECT s.id FROM share s WHERE (CASE WHEN ?2 = 'created' THEN s.created_ms ELSE " \
	"s.expires_ms END) <= ?1 AND NOT " HELD_LEARNER("s") " ORDER BY "                  \
	                                                     "s.id LIMIT ?3"
static const struct sqlite_query SWEEP_SHARE_VIEWS = {
        ST_RET_SWEEP_SHARE_VIEWS, "DELETE FROM share_view WHERE share_id IN (" DUE_SHARES ")",
        "destroy share openings", NULL, NULL};
static const struct sqlite_query SWEEP_SHARES = {ST_RET_SWEEP_SHARES,
                                                 "DELETE FROM share WHERE id IN (" DUE_SHARES ")",
                                                 "destroy shares", NULL, NULL};
/* The shares a sweep would take (?1 cutoff_ms, ?2 trigger name, ?3 limit), listed for a
 * transfer, and one share deleted with its openings. */
static const struct sqlite_query SHARES_DUE = {ST_RET_SHARES_DUE, DUE_SHARES, "list due shares",
                                               NULL, &sqlite_id_cols};
static const struct sqlite_query SHARE_VIEWS_DEL = {ST_RET_SHARE_VIEWS_DEL,
                                                    "DELETE FROM share_view WHERE share_id = ?",
                                                    "destroy a share's openings", NULL, NULL};
static const struct sqlite_query SHARE_DEL = {ST_RET_SHARE_DEL, "DELETE FROM share WHERE id = ?",
                                              "destroy a share", NULL, NULL};
static const struct sqlite_query SWEEP_SESSIONS = {
        ST_RET_SWEEP_SESSIONS,
        "DELETE FROM session WHERE id IN (SELECT s.id FROM session s WHERE (CASE WHEN ?2 = "
        "'created' THEN s.created_ms ELSE s.last_seen_ms END) <= ?1 AND "
        "NOT " HELD_LEARNER("s") " ORDER BY s.id LIMIT ?3)",
        "destroy sessions", NULL, NULL};
static const struct sqlite_query SWEEP_LINKS = {
        ST_RET_SWEEP_LINKS,
        "DELETE FROM login_link WHERE token_hash IN (SELECT l.token_hash FROM login_link l "
        "WHERE (CASE WHEN ?2 = 'created' THEN l.created_ms ELSE l.expires_ms END) <= ?1 AND "
        "NOT " HELD_LEARNER("l") " ORDER BY l.token_hash LIMIT ?3)",
        "destroy login links", NULL, NULL};

/* Wallet offers (?1 cutoff_ms, ?2 trigger name, ?3 limit): the access tokens they gave first,
 * of the same offers (same order, same limit). */
#define DUE_OFFERS                                                                             \
	"SELECT o.id FROM vci_offer o WHERE (CASE WHEN ?2 = 'created' THEN o.created_ms ELSE " \
	"o.expires_ms END) <= ?1 AND NOT " HELD_LEARNER("o") " ORDER BY o.id LIMIT ?3"
static const struct sqlite_query SWEEP_OFFER_TOKENS = {
        ST_RET_SWEEP_OFFER_TOKENS, "DELETE FROM vci_token WHERE offer_id IN (" DUE_OFFERS ")",
        "destroy wallet offers' access tokens", NULL, NULL};
static const struct sqlite_query SWEEP_OFFERS = {
        ST_RET_SWEEP_OFFERS, "DELETE FROM vci_offer WHERE id IN (" DUE_OFFERS ")",
        "destroy wallet offers", NULL, NULL};

/* Foreign achievements due (?1 cutoff_ms, ?2 cutoff_date, ?3 trigger name, ?4 limit), listed
 * for a transfer, and one deleted. */
static const struct sqlite_query FOREIGN_DUE = {
        ST_RET_FOREIGN_DUE,
        "SELECT f.id AS id FROM foreign_achievement f WHERE CASE WHEN ?3 = 'award' THEN "
        "f.awarded_on <= ?2 ELSE f.imported_ms <= ?1 END AND NOT " HELD_FOREIGN
        " ORDER BY f.id LIMIT ?4",
        "list due foreign achievements", NULL, &sqlite_id_cols};
static const struct sqlite_query FOREIGN_DEL = {ST_RET_FOREIGN_DEL,
                                                "DELETE FROM foreign_achievement WHERE id = ?",
                                                "destroy a foreign achievement", NULL, NULL};

/* One learner's results and foreign achievements (?1 learner id, ?2 limit), for learner_age. */
static const struct sqlite_query OF_LEARNER_RESULTS = {
        ST_RET_OF_LEARNER_RESULTS,
        "SELECT a.id AS id FROM achievement a WHERE a.learner_id = ?1 AND " RESULT_KINDS
        " AND NOT " HELD_RESULT " ORDER BY a.id LIMIT ?2",
        "list a learner's results", NULL, &sqlite_id_cols};
static const struct sqlite_query OF_LEARNER_RESULTS_COUNT = {
        ST_RET_OF_LEARNER_RESULTS_COUNT,
        COUNT_OVER("SELECT 1 AS due, " HELD_RESULT " AS held, 0 AS t_ms, '' AS t_date FROM "
                   "achievement a WHERE a.learner_id = ?1 AND " RESULT_KINDS),
        "count a learner's results", NULL, &count_cols};
static const struct sqlite_query OF_LEARNER_FOREIGN = {
        ST_RET_OF_LEARNER_FOREIGN,
        "SELECT f.id AS id FROM foreign_achievement f WHERE f.learner_id = ?1 AND NOT " HELD_FOREIGN
        " ORDER BY f.id LIMIT ?2",
        "list a learner's foreign achievements", NULL, &sqlite_id_cols};
static const struct sqlite_query OF_LEARNER_FOREIGN_COUNT = {
        ST_RET_OF_LEARNER_FOREIGN_COUNT,
        COUNT_OVER("SELECT 1 AS due, " HELD_FOREIGN " AS held, 0 AS t_ms, '' AS t_date FROM "
                   "foreign_achievement f WHERE f.learner_id = ?1"),
        "count a learner's foreign achievements", NULL, &count_cols};

static const struct sqlite_query ORPHANS = {
        ST_RET_ORPHANS,
        "SELECT l.id AS id FROM learner l WHERE NOT EXISTS (SELECT 1 FROM achievement a WHERE "
        "a.learner_id = l.id) AND NOT EXISTS (SELECT 1 FROM foreign_achievement f WHERE "
        "f.learner_id = l.id) AND NOT EXISTS (SELECT 1 FROM legal_hold h WHERE h.released_ms "
        "= 0 AND h.scope = 'learner' AND h.target = l.id) ORDER BY l.id LIMIT ?1",
        "list learners with no records left", NULL, &sqlite_id_cols};
static const struct sqlite_query LEARNER_DEL[] = {
        {ST_RET_LEARNER_VIEWS_DEL,
         "DELETE FROM share_view WHERE share_id IN (SELECT id FROM share WHERE learner_id = ?)",
         "destroy a learner's share openings", NULL, NULL},
        {ST_RET_LEARNER_SHARES_DEL, "DELETE FROM share WHERE learner_id = ?",
         "destroy a learner's shares", NULL, NULL},
        {ST_RET_LEARNER_SESSIONS_DEL, "DELETE FROM session WHERE learner_id = ?",
         "destroy a learner's sessions", NULL, NULL},
        {ST_RET_LEARNER_LINKS_DEL, "DELETE FROM login_link WHERE learner_id = ?",
         "destroy a learner's login links", NULL, NULL},
        {ST_RET_LEARNER_IDENTITY_DEL, "DELETE FROM identity_change WHERE learner_id = ?",
         "destroy a learner's identity corrections", NULL, NULL},
        {ST_RET_LEARNER_READS_DEL, "DELETE FROM key_read WHERE learner_id = ?",
         "destroy a learner's key reads", NULL, NULL},
        {ST_RET_LEARNER_OFFER_TOKENS_DEL,
         "DELETE FROM vci_token WHERE offer_id IN (SELECT id FROM vci_offer WHERE learner_id = "
         "?)",
         "destroy the access tokens of a learner's wallet offers", NULL, NULL},
        {ST_RET_LEARNER_OFFERS_DEL, "DELETE FROM vci_offer WHERE learner_id = ?",
         "destroy a learner's wallet offers", NULL, NULL},
        {ST_RET_LEARNER_EMREX_DEL, "DELETE FROM emrex_session WHERE learner_id = ?",
         "destroy a learner's EMREX sessions", NULL, NULL},
        {ST_RET_LEARNER_HOLDS_DEL,
         "DELETE FROM legal_hold WHERE scope = 'learner' AND target = ? AND released_ms <> 0",
         "destroy the released holds on a learner", NULL, NULL},
        {ST_RET_LEARNER_DEL, "DELETE FROM learner WHERE id = ?", "destroy a learner", NULL, NULL},
};

static const struct sqlite_query ERASE_FOREIGN = {
        ST_RET_ERASE_FOREIGN,
        "DELETE FROM foreign_achievement AS f WHERE f.learner_id = ?1 AND NOT EXISTS (SELECT 1 "
        "FROM legal_hold h WHERE h.released_ms = 0 AND h.scope = 'achievement' AND h.target = "
        "f.id)",
        "erase a learner's foreign achievements", NULL, NULL};

static const struct sqlite_query RUN_OPEN = {
        ST_RET_RUN_OPEN,
        "SELECT " RUN_COLS " FROM retention_run WHERE finished_ms = 0 ORDER BY started_ms LIMIT 1",
        "read the open retention run", NULL, &run_cols};
static const struct sqlite_query RUN_PUT = {ST_RET_RUN_PUT,
                                            "INSERT OR REPLACE INTO retention_run (" RUN_COLS
                                            ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
                                            "record a retention run", &run_cols, NULL};
static const struct sqlite_query RUN_LIST = {
        ST_RET_RUN_LIST, "SELECT " RUN_COLS " FROM retention_run ORDER BY started_ms, id",
        "list retention runs", NULL, &run_cols};

static int hold_add(struct store *base, const struct store_hold *h, struct ok_error *err)
{
	return sqlite_exec(sq(base), &HOLD_ADD, h, SQLITE_NO_ARGS, err);
}

static int hold_get(struct store *base, const char *id, struct store_hold *out,
                    struct ok_error *err)
{
	return sqlite_get(sq(base), &HOLD_GET, SQLITE_ARGS(SQ_ARG_TEXT(id)), out, err);
}

static int hold_list(struct store *base, store_hold_fn fn, void *ctx, struct ok_error *err)
{
	struct store_sqlite *s = sq(base);
	struct store_hold h;
	int rc = sqlite_query(s, &HOLD_LIST, SQLITE_NO_ARGS, err);

	while (!rc && (rc = sqlite_next(s, &HOLD_LIST, &h, err)) > 0)
		rc = fn(ctx, &h);
	return sqlite_end(s, &HOLD_LIST, rc);
}

static int hold_release(struct store *base, const char *id, const char *by, int64_t at_ms,
                        struct ok_error *err)
{
	struct store_sqlite *s = sq(base);
	struct store_hold h;
	int rc = sqlite_exec(s, &HOLD_RELEASE, NULL,
	                     SQLITE_ARGS(SQ_ARG_TEXT(id), SQ_ARG_TEXT(by), SQ_ARG_INT(at_ms)), err);

	if (rc || sqlite_changes(s) == 1)
		return rc;
	if ((rc = hold_get(base, id, &h, err)))
		return rc == OK_ENOTFOUND ? ok_fail(err, OK_ENOTFOUND, "no legal hold with that id")
		                          : rc;
	return ok_fail(err, OK_ECONFLICT, "the legal hold was released already");
}

static int count(struct store *base, enum retention_class c, enum retention_trigger t,
                 int64_t cutoff_ms, const char *cutoff_date, int64_t *due, int64_t *held,
                 int64_t *next_ms, char next_date[11], struct ok_error *err)
{
	const struct sqlite_query *q = NULL;
	struct count_row r;
	int rc;

	*due = *held = *next_ms = 0;
	next_date[0] = '\0';
	switch (c) {
	case RETENTION_RESULT:
		q = &COUNT_RESULT;
		break;
	case RETENTION_FOREIGN:
		q = &COUNT_FOREIGN;
		break;
	case RETENTION_SHARE:
		q = &COUNT_SHARE;
		break;
	case RETENTION_SESSION:
		q = &COUNT_SESSION;
		break;
	case RETENTION_LOGIN_LINK:
		q = &COUNT_LINK;
		break;
	case RETENTION_WALLET_OFFER:
		q = &COUNT_OFFER;
		break;
	case RETENTION_AUDIT_DETAIL:
		q = &COUNT_AUDIT;
		break;
	default:
		return 0;
	}
	if (c == RETENTION_AUDIT_DETAIL)
		rc = sqlite_get(sq(base), q, SQLITE_ARGS(SQ_ARG_INT(cutoff_ms)), &r, err);
	else if (c == RETENTION_RESULT || c == RETENTION_FOREIGN)
		rc = sqlite_get(sq(base), q,
		                SQLITE_ARGS(SQ_ARG_INT(cutoff_ms), SQ_ARG_TEXT(cutoff_date),
		                            SQ_ARG_TEXT(retention_trigger_name(t))),
		                &r, err);
	else
		rc = sqlite_get(
		        sq(base), q,
		        SQLITE_ARGS(SQ_ARG_INT(cutoff_ms), SQ_ARG_TEXT(retention_trigger_name(t))),
		        &r, err);
	if (rc)
		return rc;
	*due = r.due;
	*held = r.held;
	*next_ms = r.next_ms;
	memcpy(next_date, r.next_date, sizeof(r.next_date));
	return 0;
}

static int ids(struct store_sqlite *s, const struct sqlite_query *q, const struct sqlite_arg *args,
               size_t nargs, store_id_fn fn, void *ctx, struct ok_error *err)
{
	struct sqlite_id_row r;
	int rc = sqlite_query(s, q, args, nargs, err);

	while (!rc && (rc = sqlite_next(s, q, &r, err)) > 0)
		rc = fn(ctx, r.id);
	return sqlite_end(s, q, rc);
}

static int results_due(struct store *base, enum retention_trigger t, const char *cutoff_date,
                       size_t limit, store_id_fn fn, void *ctx, struct ok_error *err)
{
	return ids(sq(base), &RESULTS_DUE,
	           SQLITE_ARGS(SQ_ARG_TEXT(cutoff_date), SQ_ARG_INT((int64_t)limit),
	                       SQ_ARG_TEXT(retention_trigger_name(t))),
	           fn, ctx, err);
}

static int result_destroy(struct store *base, const char *id, struct ok_error *err)
{
	struct store_sqlite *s = sq(base);
	int rc = sqlite_exec(s, &RESULT_HISTORY_DEL, NULL, SQLITE_ARGS(SQ_ARG_TEXT(id)), err);

	if (!rc)
		rc = sqlite_exec(s, &RECORD_HOLDS_DEL, NULL, SQLITE_ARGS(SQ_ARG_TEXT(id)), err);
	if (!rc)
		rc = sqlite_exec(s, &RESULT_DEL, NULL, SQLITE_ARGS(SQ_ARG_TEXT(id)), err);
	if (!rc && sqlite_changes(s) != 1)
		rc = ok_fail(err, OK_ENOTFOUND, "no achievement with that id");
	return rc;
}

static int share_stand_in(struct store *base, const char *id, const char *stand_in, int64_t *n,
                          struct ok_error *err)
{
	struct store_sqlite *s = sq(base);
	int rc = sqlite_exec(s, &SHARE_STAND_IN, NULL,
	                     SQLITE_ARGS(SQ_ARG_TEXT(id), SQ_ARG_TEXT(stand_in)), err);

	*n = rc ? 0 : (int64_t)sqlite_changes(s);
	if (!rc)
		rc = sqlite_exec(s, &OFFER_DROP_ID, NULL, SQLITE_ARGS(SQ_ARG_TEXT(id)), err);
	if (!rc)
		rc = sqlite_exec(s, &OFFER_EMPTY_TOKENS, NULL, SQLITE_NO_ARGS, err);
	if (!rc)
		rc = sqlite_exec(s, &OFFER_EMPTY, NULL, SQLITE_NO_ARGS, err);
	return rc;
}

static int sweep(struct store *base, enum retention_class c, enum retention_trigger t,
                 int64_t cutoff_ms, const char *cutoff_date, size_t limit, int64_t *n,
                 struct ok_error *err)
{
	struct store_sqlite *s = sq(base);
	const struct sqlite_query *q = NULL;
	const struct sqlite_arg dated[] = {SQ_ARG_INT(cutoff_ms), SQ_ARG_TEXT(cutoff_date),
	                                   SQ_ARG_TEXT(retention_trigger_name(t)),
	                                   SQ_ARG_INT((int64_t)limit)};
	const struct sqlite_arg timed[] = {SQ_ARG_INT(cutoff_ms),
	                                   SQ_ARG_TEXT(retention_trigger_name(t)),
	                                   SQ_ARG_INT((int64_t)limit)};
	const struct sqlite_arg *args = timed;
	size_t nargs = 3;
	int rc;

	*n = 0;
	switch (c) {
	case RETENTION_FOREIGN:
		q = &SWEEP_FOREIGN;
		args = dated;
		nargs = 4;
		break;
	case RETENTION_SHARE:
		/* The openings first, of the same shares (same order, same limit). */
		if ((rc = sqlite_exec(s, &SWEEP_SHARE_VIEWS, NULL, args, nargs, err)))
			return rc;
		q = &SWEEP_SHARES;
		break;
	case RETENTION_SESSION:
		q = &SWEEP_SESSIONS;
		break;
	case RETENTION_LOGIN_LINK:
		q = &SWEEP_LINKS;
		break;
	case RETENTION_WALLET_OFFER:
		if ((rc = sqlite_exec(s, &SWEEP_OFFER_TOKENS, NULL, args, nargs, err)))
			return rc;
		q = &SWEEP_OFFERS;
		break;
	default:
		return 0;
	}
	if ((rc = sqlite_exec(s, q, NULL, args, nargs, err)))
		return rc;
	*n = sqlite_changes(s);
	return 0;
}

static int due_ids(struct store *base, enum retention_class c, enum retention_trigger t,
                   int64_t cutoff_ms, const char *cutoff_date, size_t limit, store_id_fn fn,
                   void *ctx, struct ok_error *err)
{
	if (c == RETENTION_FOREIGN)
		return ids(sq(base), &FOREIGN_DUE,
		           SQLITE_ARGS(SQ_ARG_INT(cutoff_ms), SQ_ARG_TEXT(cutoff_date),
		                       SQ_ARG_TEXT(retention_trigger_name(t)),
		                       SQ_ARG_INT((int64_t)limit)),
		           fn, ctx, err);
	if (c != RETENTION_SHARE)
		return ok_fail(err, OK_EUNSUPPORTED, "%s records cannot be listed for a transfer",
		               retention_class_name(c));
	return ids(sq(base), &SHARES_DUE,
	           SQLITE_ARGS(SQ_ARG_INT(cutoff_ms), SQ_ARG_TEXT(retention_trigger_name(t)),
	                       SQ_ARG_INT((int64_t)limit)),
	           fn, ctx, err);
}

static int record_destroy(struct store *base, enum retention_class c, const char *id,
                          struct ok_error *err)
{
	struct store_sqlite *s = sq(base);
	int rc;

	if (c == RETENTION_FOREIGN) {
		if ((rc = sqlite_exec(s, &RECORD_HOLDS_DEL, NULL, SQLITE_ARGS(SQ_ARG_TEXT(id)),
		                      err)) ||
		    (rc = sqlite_exec(s, &FOREIGN_DEL, NULL, SQLITE_ARGS(SQ_ARG_TEXT(id)), err)))
			return rc;
		return sqlite_changes(s) == 1
		               ? 0
		               : ok_fail(err, OK_ENOTFOUND, "no foreign achievement with that id");
	}
	if (c != RETENTION_SHARE)
		return ok_fail(err, OK_EUNSUPPORTED, "%s records cannot be destroyed one by one",
		               retention_class_name(c));
	if ((rc = sqlite_exec(s, &SHARE_VIEWS_DEL, NULL, SQLITE_ARGS(SQ_ARG_TEXT(id)), err)) ||
	    (rc = sqlite_exec(s, &SHARE_DEL, NULL, SQLITE_ARGS(SQ_ARG_TEXT(id)), err)))
		return rc;
	return sqlite_changes(s) == 1 ? 0 : ok_fail(err, OK_ENOTFOUND, "no share with that id");
}

static int orphans(struct store *base, size_t limit, store_id_fn fn, void *ctx,
                   struct ok_error *err)
{
	return ids(sq(base), &ORPHANS, SQLITE_ARGS(SQ_ARG_INT((int64_t)limit)), fn, ctx, err);
}

static int learner_destroy(struct store *base, const char *id, struct ok_error *err)
{
	struct store_sqlite *s = sq(base);
	size_t i;
	int rc = 0;

	for (i = 0; !rc && i < sizeof(LEARNER_DEL) / sizeof(LEARNER_DEL[0]); i++)
		rc = sqlite_exec(s, &LEARNER_DEL[i], NULL, SQLITE_ARGS(SQ_ARG_TEXT(id)), err);
	if (!rc && sqlite_changes(s) != 1)
		rc = ok_fail(err, OK_ENOTFOUND, "no learner with that id");
	return rc;
}

static int of_learner(struct store *base, enum retention_class c, const char *learner_id,
                      size_t limit, int64_t *due, int64_t *held, store_id_fn fn, void *ctx,
                      struct ok_error *err)
{
	struct store_sqlite *s = sq(base);
	const struct sqlite_query *list, *cnt;
	struct count_row r;
	int rc;

	*due = *held = 0;
	if (c == RETENTION_RESULT) {
		list = &OF_LEARNER_RESULTS;
		cnt = &OF_LEARNER_RESULTS_COUNT;
	} else if (c == RETENTION_FOREIGN) {
		list = &OF_LEARNER_FOREIGN;
		cnt = &OF_LEARNER_FOREIGN_COUNT;
	} else {
		return ok_fail(err, OK_EUNSUPPORTED, "%s records have no learner's age",
		               retention_class_name(c));
	}
	if ((rc = sqlite_get(s, cnt, SQLITE_ARGS(SQ_ARG_TEXT(learner_id)), &r, err)))
		return rc;
	*due = r.due;
	*held = r.held;
	if (!limit || !r.due)
		return 0;
	return ids(s, list, SQLITE_ARGS(SQ_ARG_TEXT(learner_id), SQ_ARG_INT((int64_t)limit)), fn,
	           ctx, err);
}

/* The statements of learner_destroy that delete one class of a learner's records. */
static int erase(struct store *base, const char *learner_id, enum retention_class c, int64_t *n,
                 struct ok_error *err)
{
	struct store_sqlite *s = sq(base);
	int rc;

	*n = 0;
	switch (c) {
	case RETENTION_SHARE:
		if ((rc = sqlite_exec(s, &LEARNER_DEL[0], NULL,
		                      SQLITE_ARGS(SQ_ARG_TEXT(learner_id)), err)) ||
		    (rc = sqlite_exec(s, &LEARNER_DEL[1], NULL,
		                      SQLITE_ARGS(SQ_ARG_TEXT(learner_id)), err)))
			return rc;
		break;
	case RETENTION_SESSION:
		/* The EMREX sessions too: a learner's exchanges with a contact point. */
		if ((rc = sqlite_exec(s, &LEARNER_DEL[8], NULL,
		                      SQLITE_ARGS(SQ_ARG_TEXT(learner_id)), err)))
			return rc;
		*n = sqlite_changes(s);
		if ((rc = sqlite_exec(s, &LEARNER_DEL[2], NULL,
		                      SQLITE_ARGS(SQ_ARG_TEXT(learner_id)), err)))
			return rc;
		*n += sqlite_changes(s);
		return 0;
	case RETENTION_WALLET_OFFER:
		if ((rc = sqlite_exec(s, &LEARNER_DEL[6], NULL,
		                      SQLITE_ARGS(SQ_ARG_TEXT(learner_id)), err)) ||
		    (rc = sqlite_exec(s, &LEARNER_DEL[7], NULL,
		                      SQLITE_ARGS(SQ_ARG_TEXT(learner_id)), err)))
			return rc;
		break;
	case RETENTION_LOGIN_LINK:
		if ((rc = sqlite_exec(s, &LEARNER_DEL[3], NULL,
		                      SQLITE_ARGS(SQ_ARG_TEXT(learner_id)), err)))
			return rc;
		break;
	case RETENTION_FOREIGN:
		if ((rc = sqlite_exec(s, &ERASE_FOREIGN, NULL, SQLITE_ARGS(SQ_ARG_TEXT(learner_id)),
		                      err)))
			return rc;
		break;
	default:
		return 0;
	}
	*n = sqlite_changes(s);
	return 0;
}

static int audit_due(struct store *base, int64_t cutoff_ms, int64_t after_seq, size_t limit,
                     store_audit_fn fn, void *ctx, struct ok_error *err)
{
	return sqlite_audit_rows(sq(base), &AUDIT_DUE,
	                         SQLITE_ARGS(SQ_ARG_INT(cutoff_ms), SQ_ARG_INT(after_seq),
	                                     SQ_ARG_INT((int64_t)limit)),
	                         fn, ctx, err);
}

static int audit_tombstone(struct store *base, const struct audit_event *e, struct ok_error *err)
{
	struct store_sqlite *s = sq(base);
	int rc = sqlite_exec(s, &AUDIT_TOMBSTONE, NULL,
	                     SQLITE_ARGS(SQ_ARG_INT(e->seq), SQ_ARG_TEXT(e->actor),
	                                 SQ_ARG_TEXT(e->subject), SQ_ARG_TEXT(e->purpose),
	                                 SQ_ARG_TEXT(e->detail)),
	                     err);

	if (!rc && sqlite_changes(s) != 1)
		rc = ok_fail(err, OK_ENOTFOUND, "no audit event with that sequence number");
	return rc;
}

static int run_open(struct store *base, struct store_retention_run *out, struct ok_error *err)
{
	return sqlite_get(sq(base), &RUN_OPEN, SQLITE_NO_ARGS, out, err);
}

static int run_put(struct store *base, const struct store_retention_run *r, struct ok_error *err)
{
	return sqlite_exec(sq(base), &RUN_PUT, r, SQLITE_NO_ARGS, err);
}

static int run_list(struct store *base, store_run_fn fn, void *ctx, struct ok_error *err)
{
	struct store_sqlite *s = sq(base);
	struct store_retention_run *r = calloc(1, sizeof(*r)); /* 8 KiB: not on the stack */
	int rc;

	if (!r)
		return ok_fail(err, OK_ENOMEM, "list retention runs: out of memory");
	rc = sqlite_query(s, &RUN_LIST, SQLITE_NO_ARGS, err);
	while (!rc && (rc = sqlite_next(s, &RUN_LIST, r, err)) > 0)
		rc = fn(ctx, r);
	rc = sqlite_end(s, &RUN_LIST, rc);
	free(r);
	return rc;
}

static int secure_delete(struct store *base, struct ok_error *err)
{
	struct store_sqlite *s = sq(base);
	int rc = sqlite3_exec(s->db, "PRAGMA secure_delete = ON", NULL, NULL, NULL);

	return rc == SQLITE_OK ? 0 : sqlite_fail(s, rc, "turn on secure_delete", err);
}

/* Pages an incremental vacuum step gives back: one short write transaction each, so that a
 * serving server's writes wait milliseconds for the lock, never its busy timeout. */
#define VACUUM_STEP "PRAGMA incremental_vacuum(256)"

static int pragma_int(struct store_sqlite *s, const char *sql, int64_t *out, struct ok_error *err)
{
	sqlite3_stmt *st = NULL;
	int rc = sqlite3_prepare_v2(s->db, sql, -1, &st, NULL);

	if (rc == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		*out = sqlite3_column_int64(st, 0);
		rc = SQLITE_OK;
	}
	sqlite3_finalize(st);
	return rc == SQLITE_OK || rc == SQLITE_DONE
	               ? 0
	               : sqlite_fail(s, rc, "compact the database", err);
}

/*
 * Deleted cells and freed pages are zeroed where they are (secure_delete, on for every
 * connection), so nothing of a destroyed record is left in the file's free space. Then, on a
 * database made with auto_vacuum = INCREMENTAL (every one made since; store_sqlite.c), the free
 * pages are given back to the file system in small steps, each its own short transaction,
 * instead of a VACUUM that rebuilds the whole file under the write lock; an older database keeps
 * its zeroed free pages for reuse. Last, a checkpoint copies everything into the database file
 * and cuts the write-ahead log to nothing, so that no old frame remains in it.
 */
static int compact(struct store *base, struct ok_error *err)
{
	struct store_sqlite *s = sq(base);
	int64_t mode = 0, free_pages = 0, before;
	int rc;

	if (store_in_transaction(base))
		return ok_fail(err, OK_EINTERNAL, "compact: a transaction is open");
	if ((rc = pragma_int(s, "PRAGMA auto_vacuum", &mode, err)))
		return rc;
	while (mode == 2) {
		if ((rc = pragma_int(s, "PRAGMA freelist_count", &free_pages, err)))
			return rc;
		if (free_pages == 0)
			break;
		before = free_pages;
		/* incremental_vacuum returns no row; each call is its own write transaction. */
		if ((rc = sqlite3_exec(s->db, VACUUM_STEP, NULL, NULL, NULL)) != SQLITE_OK)
			return sqlite_fail(s, rc, "compact the database", err);
		if ((rc = pragma_int(s, "PRAGMA freelist_count", &free_pages, err)))
			return rc;
		if (free_pages >= before)
			break; /* another writer took them: nothing left to give back */
	}
	/* A passive checkpoint first copies the frames without blocking writers, so that the
	 * truncating one, which does, has little left to copy. */
	if ((rc = sqlite3_exec(s->db, "PRAGMA wal_checkpoint(PASSIVE)", NULL, NULL, NULL)) !=
	    SQLITE_OK)
		return sqlite_fail(s, rc, "compact the database", err);
	if ((rc = sqlite3_exec(s->db, "PRAGMA wal_checkpoint(TRUNCATE)", NULL, NULL, NULL)) !=
	    SQLITE_OK)
		return sqlite_fail(s, rc, "compact the database", err);
	return 0;
}

const struct store_retention_ops sqlite_retention_ops = {
        .hold_add = hold_add,
        .hold_get = hold_get,
        .hold_list = hold_list,
        .hold_release = hold_release,
        .count = count,
        .results_due = results_due,
        .result_destroy = result_destroy,
        .share_stand_in = share_stand_in,
        .sweep = sweep,
        .due_ids = due_ids,
        .record_destroy = record_destroy,
        .orphans = orphans,
        .learner_destroy = learner_destroy,
        .of_learner = of_learner,
        .erase = erase,
        .audit_due = audit_due,
        .audit_tombstone = audit_tombstone,
        .run_open = run_open,
        .run_put = run_put,
        .run_list = run_list,
        .secure_delete = secure_delete,
        .compact = compact,
};
