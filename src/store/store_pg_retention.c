/* The PostgreSQL side of the store's retention area (see retention.h). What a deletion leaves
 * behind on PostgreSQL (dead tuples until VACUUM, the WAL, base backups) is in
 * docs/operations.md, "Retention". */
#include "store/pg_internal.h"
#include "store/retention.h"
#include "store/retention_sql.h"

#include <stdlib.h>
#include <string.h>

#define COUNT_OVER(sub)                                                                   \
	"SELECT coalesce(sum(CASE WHEN due AND NOT held THEN 1 ELSE 0 END), 0)::bigint, " \
	"coalesce(sum(CASE WHEN due AND held THEN 1 ELSE 0 END), 0)::bigint, "            \
	"coalesce(min(CASE WHEN due THEN NULL ELSE t_ms END), 0)::bigint, "               \
	"coalesce(min(CASE WHEN due THEN NULL ELSE t_date END), '') FROM (" sub ") AS due_rows"

static const char SQL_HOLD_ADD[] =
        "INSERT INTO legal_hold (" HOLD_COLS ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8)";
static const char SQL_HOLD_GET[] = "SELECT " HOLD_COLS " FROM legal_hold WHERE id = $1";
static const char SQL_HOLD_LIST[] = "SELECT " HOLD_COLS " FROM legal_hold ORDER BY created_ms, id";
static const char SQL_HOLD_RELEASE[] = "UPDATE legal_hold SET released_by = $2, released_ms = $3 "
                                       "WHERE id = $1 AND released_ms = 0";

/* $1 cutoff_ms, $2 cutoff_date, $3 trigger name. */
static const char SQL_COUNT_RESULT[] = COUNT_OVER(
        "SELECT CASE WHEN $3::text = 'created' THEN a.created_ms <= $1::bigint ELSE " RESULT_DATE(
                "$3::text") " <= $2::text END AS due, " HELD_RESULT
                            " AS held, 0::bigint AS t_ms, " RESULT_DATE(
                                    "$3::text") " AS t_date FROM achievement a "
                                                "WHERE " RESULT_KINDS);
static const char SQL_COUNT_FOREIGN[] = COUNT_OVER(
        "SELECT CASE WHEN $3::text = 'award' THEN f.awarded_on <= $2::text ELSE f.imported_ms "
        "<= $1::bigint END AS due, " HELD_FOREIGN " AS held, f.imported_ms AS t_ms, "
        "f.awarded_on AS t_date FROM foreign_achievement f");
/* $1 cutoff_ms, $2 trigger name. */
static const char SQL_COUNT_SHARE[] = COUNT_OVER(
        "SELECT (CASE WHEN $2::text = 'created' THEN s.created_ms ELSE s.expires_ms END) <= "
        "$1::bigint AS due, " HELD_LEARNER(
                "s") " AS held, CASE WHEN $2::text = 'created' THEN "
                     "s.created_ms ELSE s.expires_ms END AS t_ms, ''::text AS t_date FROM share s");
static const char SQL_COUNT_SESSION[] = COUNT_OVER(
        "SELECT (CASE WHEN $2::text = 'created' THEN s.created_ms ELSE s.last_seen_ms END) <= "
        "$1::bigint AS due, " HELD_LEARNER("s") " AS held, CASE WHEN $2::text = 'created' THEN "
                                                "s.created_ms ELSE s.last_seen_ms END AS t_ms, "
                                                "''::text AS t_date FROM session s");
static const char SQL_COUNT_LINK[] = COUNT_OVER(
        "SELECT (CASE WHEN $2::text = 'created' THEN l.created_ms ELSE l.expires_ms END) <= "
        "$1::bigint AS due, " HELD_LEARNER("l") " AS held, CASE WHEN $2::text = 'created' THEN "
                                                "l.created_ms ELSE l.expires_ms END AS t_ms, "
                                                "''::text AS t_date FROM login_link l");

static const char SQL_COUNT_OFFER[] = COUNT_OVER(
        "SELECT (CASE WHEN $2::text = 'created' THEN o.created_ms ELSE o.expires_ms END) <= "
        "$1::bigint AS due, " HELD_LEARNER("o") " AS held, CASE WHEN $2::text = 'created' THEN "
                                                "o.created_ms ELSE o.expires_ms END AS t_ms, "
                                                "''::text AS t_date FROM vci_offer o");

static const char SQL_COUNT_AUDIT[] =
        COUNT_OVER("SELECT e.at_ms <= $1::bigint AS due, " HELD_EVENT " AS held, e.at_ms AS "
                   "t_ms, ''::text AS t_date FROM audit_event e WHERE e.actor <> ''");
static const struct pg_query AUDIT_DUE = {
        "SELECT " PG_EVENT_COLS " FROM audit_event e WHERE e.seq > $2 AND e.at_ms <= $1 AND "
        "e.actor <> '' AND NOT " HELD_EVENT " ORDER BY e.seq LIMIT $3",
        "list due audit details", NULL, &pg_event_cols};
static const char SQL_AUDIT_TOMBSTONE[] =
        "UPDATE audit_event SET actor = $2, subject = $3, purpose = $4, detail = $5 WHERE seq = "
        "$1";

static const char SQL_RESULTS_DUE[] =
        "SELECT a.id FROM achievement a WHERE " RESULT_KINDS
        " AND " RESULT_DATE("$3::text") " <= $1::text "
                                        "AND NOT " HELD_RESULT " ORDER BY a.id LIMIT $2::bigint";
static const char SQL_RESULT_HISTORY_DEL[] =
        "DELETE FROM achievement_history WHERE achievement_id = $1";
static const char SQL_RESULT_DEL[] = "DELETE FROM achievement WHERE id = $1";
/* $1 learner, $2 the destroyed record's id, $3 its stand-in. The list is "id,id,…" with no
 * empty entry and ids hold no comma, so ",LIST," holds ",ID," exactly where ID is listed. */
static const char SQL_SHARE_STAND_IN[] =
        "UPDATE share SET achievements = btrim(replace(',' || achievements || ',', ',' || $1 || "
        "',', ',' || $2 || ','), ',') WHERE strpos(',' || achievements || ',', ',' || $1 || "
        "',') > 0";
/* $1 the destroyed record's id: out of every wallet offer; an offer left with none is withdrawn
 * with its access tokens. */
static const char SQL_OFFER_DROP_ID[] =
        "UPDATE vci_offer SET achievements = btrim(replace(',' || achievements || ',', ',' || $1 "
        "|| "
        "',', ','), ',') WHERE strpos(',' || achievements || ',', ',' || $1 || ',') > 0";
static const char SQL_OFFER_EMPTY_TOKENS[] =
        "DELETE FROM vci_token WHERE offer_id IN (SELECT id FROM vci_offer WHERE achievements = "
        "'')";
static const char SQL_OFFER_EMPTY[] = "DELETE FROM vci_offer WHERE achievements = ''";
/* A released hold on a record that is destroyed would keep its id: it goes with it (one in
 * force keeps the record from being destroyed at all). */
static const char SQL_RECORD_HOLDS_DEL[] =
        "DELETE FROM legal_hold WHERE scope = 'achievement' AND target = $1 AND released_ms <> 0";

static const char SQL_SWEEP_FOREIGN[] =
        "DELETE FROM foreign_achievement WHERE id IN (SELECT f.id FROM foreign_achievement f "
        "WHERE CASE WHEN $3::text = 'award' THEN f.awarded_on <= $2::text ELSE f.imported_ms <= "
        "$1::bigint END AND NOT " HELD_FOREIGN " ORDER BY f.id LIMIT $4::bigint)";
#define DUE_SHARES                                                                               \
	"SELECT s.id FROM share s WHERE (CASE WHEN $2::text = 'created' THEN s.created_ms ELSE " \
	"s.expires_ms END) <= $1::bigint AND NOT " HELD_LEARNER("s") " ORDER BY s.id LIMIT "     \
	                                                             "$3::bigint"
static const char SQL_SWEEP_SHARE_VIEWS[] =
        "DELETE FROM share_view WHERE share_id IN (" DUE_SHARES ")";
static const char SQL_SWEEP_SHARES[] = "DELETE FROM share WHERE id IN (" DUE_SHARES ")";
/* The shares a sweep would take, listed for a transfer, and one share deleted with its
 * openings. */
static const char SQL_SHARES_DUE[] = DUE_SHARES;
static const char SQL_SHARE_VIEWS_DEL[] = "DELETE FROM share_view WHERE share_id = $1";
static const char SQL_SHARE_DEL[] = "DELETE FROM share WHERE id = $1";
static const char SQL_SWEEP_SESSIONS[] =
        "DELETE FROM session WHERE id IN (SELECT s.id FROM session s WHERE (CASE WHEN $2::text = "
        "'created' THEN s.created_ms ELSE s.last_seen_ms END) <= $1::bigint AND NOT " HELD_LEARNER(
                "s") " ORDER BY s.id LIMIT $3::bigint)";
static const char SQL_SWEEP_LINKS[] =
        "DELETE FROM login_link WHERE token_hash IN (SELECT l.token_hash FROM login_link l WHERE "
        "(CASE WHEN $2::text = 'created' THEN l.created_ms ELSE l.expires_ms END) <= $1::bigint "
        "AND NOT " HELD_LEARNER("l") " ORDER BY l.token_hash LIMIT $3::bigint)";

/* Wallet offers ($1 cutoff_ms, $2 trigger name, $3 limit): the access tokens they gave first,
 * of the same offers (same order, same limit). */
#define DUE_OFFERS                                                                              \
	"SELECT o.id FROM vci_offer o WHERE (CASE WHEN $2::text = 'created' THEN o.created_ms " \
	"ELSE "                                                                                 \
	"o.expires_ms END) <= $1::bigint AND NOT " HELD_LEARNER("o") " ORDER BY o.id LIMIT "    \
	                                                             "$3::bigint"
static const char SQL_SWEEP_OFFER_TOKENS[] =
        "DELETE FROM vci_token WHERE offer_id IN (" DUE_OFFERS ")";
static const char SQL_SWEEP_OFFERS[] = "DELETE FROM vci_offer WHERE id IN (" DUE_OFFERS ")";

/* Foreign achievements due ($1 cutoff_ms, $2 cutoff_date, $3 trigger name, $4 limit), listed
 * for a transfer, and one deleted. */
static const char SQL_FOREIGN_DUE[] =
        "SELECT f.id FROM foreign_achievement f WHERE CASE WHEN $3::text = 'award' THEN "
        "f.awarded_on <= $2::text ELSE f.imported_ms <= $1::bigint END AND NOT " HELD_FOREIGN
        " ORDER BY f.id LIMIT $4::bigint";
static const char SQL_FOREIGN_DEL[] = "DELETE FROM foreign_achievement WHERE id = $1";

/* One learner's results and foreign achievements ($1 learner id, $2 limit), for learner_age. */
static const char SQL_OF_LEARNER_RESULTS[] =
        "SELECT a.id FROM achievement a WHERE a.learner_id = $1 AND " RESULT_KINDS
        " AND NOT " HELD_RESULT " ORDER BY a.id LIMIT $2::bigint";
static const char SQL_OF_LEARNER_RESULTS_COUNT[] =
        COUNT_OVER("SELECT true AS due, " HELD_RESULT " AS held, 0::bigint AS t_ms, ''::text AS "
                   "t_date FROM achievement a WHERE a.learner_id = $1 AND " RESULT_KINDS);
static const char SQL_OF_LEARNER_FOREIGN[] =
        "SELECT f.id FROM foreign_achievement f WHERE f.learner_id = $1 AND NOT " HELD_FOREIGN
        " ORDER BY f.id LIMIT $2::bigint";
static const char SQL_OF_LEARNER_FOREIGN_COUNT[] =
        COUNT_OVER("SELECT true AS due, " HELD_FOREIGN " AS held, 0::bigint AS t_ms, ''::text AS "
                   "t_date FROM foreign_achievement f WHERE f.learner_id = $1");

static const char SQL_ORPHANS[] =
        "SELECT l.id FROM learner l WHERE NOT EXISTS (SELECT 1 FROM achievement a WHERE "
        "a.learner_id = l.id) AND NOT EXISTS (SELECT 1 FROM foreign_achievement f WHERE "
        "f.learner_id = l.id) AND NOT EXISTS (SELECT 1 FROM legal_hold h WHERE h.released_ms "
        "= 0 AND h.scope = 'learner' AND h.target = l.id) ORDER BY l.id LIMIT $1::bigint";
static const char *const SQL_LEARNER_DEL[] = {
        "DELETE FROM share_view WHERE share_id IN (SELECT id FROM share WHERE learner_id = $1)",
        "DELETE FROM share WHERE learner_id = $1",
        "DELETE FROM session WHERE learner_id = $1",
        "DELETE FROM login_link WHERE learner_id = $1",
        "DELETE FROM identity_change WHERE learner_id = $1",
        "DELETE FROM key_read WHERE learner_id = $1",
        "DELETE FROM vci_token WHERE offer_id IN (SELECT id FROM vci_offer WHERE learner_id = $1)",
        "DELETE FROM vci_offer WHERE learner_id = $1",
        "DELETE FROM emrex_session WHERE learner_id = $1",
        "DELETE FROM legal_hold WHERE scope = 'learner' AND target = $1 AND released_ms <> 0",
        "DELETE FROM learner WHERE id = $1",
};

static const char SQL_ERASE_FOREIGN[] =
        "DELETE FROM foreign_achievement AS f WHERE f.learner_id = $1 AND NOT EXISTS (SELECT 1 "
        "FROM legal_hold h WHERE h.released_ms = 0 AND h.scope = 'achievement' AND h.target = "
        "f.id)";

static const char SQL_RUN_OPEN[] = "SELECT " RUN_COLS " FROM retention_run WHERE finished_ms = 0 "
                                   "ORDER BY started_ms LIMIT 1";
static const char SQL_RUN_PUT[] =
        "INSERT INTO retention_run (" RUN_COLS ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) "
        "ON CONFLICT (id) DO UPDATE SET actor = EXCLUDED.actor, started_ms = EXCLUDED.started_ms, "
        "finished_ms = EXCLUDED.finished_ms, now_ms = EXCLUDED.now_ms, schedule = "
        "EXCLUDED.schedule, counts = EXCLUDED.counts, audit_from = EXCLUDED.audit_from, "
        "audit_to = EXCLUDED.audit_to, certificate = EXCLUDED.certificate";
static const char SQL_RUN_LIST[] = "SELECT " RUN_COLS " FROM retention_run ORDER BY started_ms, id";

static void read_hold(const PGresult *r, int row, struct store_hold *h)
{
	pg_col_text(r, row, 0, h->id, sizeof(h->id));
	pg_col_text(r, row, 1, h->scope, sizeof(h->scope));
	pg_col_text(r, row, 2, h->target, sizeof(h->target));
	pg_col_text(r, row, 3, h->reason, sizeof(h->reason));
	pg_col_text(r, row, 4, h->created_by, sizeof(h->created_by));
	h->created_ms = pg_col_int64(r, row, 5);
	pg_col_text(r, row, 6, h->released_by, sizeof(h->released_by));
	h->released_ms = pg_col_int64(r, row, 7);
}

static void read_run(const PGresult *r, int row, struct store_retention_run *run)
{
	pg_col_text(r, row, 0, run->id, sizeof(run->id));
	pg_col_text(r, row, 1, run->actor, sizeof(run->actor));
	run->started_ms = pg_col_int64(r, row, 2);
	run->finished_ms = pg_col_int64(r, row, 3);
	run->now_ms = pg_col_int64(r, row, 4);
	pg_col_text(r, row, 5, run->schedule, sizeof(run->schedule));
	pg_col_text(r, row, 6, run->counts, sizeof(run->counts));
	run->audit_from = pg_col_int64(r, row, 7);
	run->audit_to = pg_col_int64(r, row, 8);
	pg_col_text(r, row, 9, run->certificate, sizeof(run->certificate));
}

static int hold_add(struct store *base, const struct store_hold *h, struct ok_error *err)
{
	struct pg_params p;

	pg_params_init(&p);
	pg_param_text(&p, h->id);
	pg_param_text(&p, h->scope);
	pg_param_text(&p, h->target);
	pg_param_text(&p, h->reason);
	pg_param_text(&p, h->created_by);
	pg_param_int64(&p, h->created_ms);
	pg_param_text(&p, h->released_by);
	pg_param_int64(&p, h->released_ms);
	return pg_exec(pgs(base), SQL_HOLD_ADD, &p, NULL, NULL, "add a legal hold", err);
}

static int hold_get(struct store *base, const char *id, struct store_hold *out,
                    struct ok_error *err)
{
	struct pg_params p;
	PGresult *r;
	int rc;

	pg_params_init(&p);
	pg_param_text(&p, id);
	if ((rc = pg_exec_one(pgs(base), SQL_HOLD_GET, &p, &r, "read a legal hold", err)))
		return rc;
	read_hold(r, 0, out);
	PQclear(r);
	return 0;
}

static int hold_list(struct store *base, store_hold_fn fn, void *ctx, struct ok_error *err)
{
	struct store_hold h;
	PGresult *r;
	int rc, i, n;

	if ((rc = pg_exec(pgs(base), SQL_HOLD_LIST, NULL, &r, NULL, "list legal holds", err)))
		return rc;
	n = PQntuples(r);
	for (i = 0; !rc && i < n; i++) {
		read_hold(r, i, &h);
		rc = fn(ctx, &h);
	}
	PQclear(r);
	return rc;
}

static int hold_release(struct store *base, const char *id, const char *by, int64_t at_ms,
                        struct ok_error *err)
{
	struct store_hold h;
	struct pg_params p;
	int64_t n = 0;
	int rc;

	pg_params_init(&p);
	pg_param_text(&p, id);
	pg_param_text(&p, by);
	pg_param_int64(&p, at_ms);
	if ((rc = pg_exec(pgs(base), SQL_HOLD_RELEASE, &p, NULL, &n, "release a legal hold", err)))
		return rc;
	if (n == 1)
		return 0;
	if ((rc = hold_get(base, id, &h, err)))
		return rc == OK_ENOTFOUND ? ok_fail(err, OK_ENOTFOUND, "no legal hold with that id")
		                          : rc;
	return ok_fail(err, OK_ECONFLICT, "the legal hold was released already");
}

static int count(struct store *base, enum retention_class c, enum retention_trigger t,
                 int64_t cutoff_ms, const char *cutoff_date, int64_t *due, int64_t *held,
                 int64_t *next_ms, char next_date[11], struct ok_error *err)
{
	const char *sql = NULL;
	struct pg_params p;
	PGresult *r;
	int rc;

	*due = *held = *next_ms = 0;
	next_date[0] = '\0';
	switch (c) {
	case RETENTION_RESULT:
		sql = SQL_COUNT_RESULT;
		break;
	case RETENTION_FOREIGN:
		sql = SQL_COUNT_FOREIGN;
		break;
	case RETENTION_SHARE:
		sql = SQL_COUNT_SHARE;
		break;
	case RETENTION_SESSION:
		sql = SQL_COUNT_SESSION;
		break;
	case RETENTION_LOGIN_LINK:
		sql = SQL_COUNT_LINK;
		break;
	case RETENTION_WALLET_OFFER:
		sql = SQL_COUNT_OFFER;
		break;
	case RETENTION_AUDIT_DETAIL:
		sql = SQL_COUNT_AUDIT;
		break;
	default:
		return 0;
	}
	pg_params_init(&p);
	pg_param_int64(&p, cutoff_ms);
	if (c == RETENTION_RESULT || c == RETENTION_FOREIGN)
		pg_param_text(&p, cutoff_date);
	if (c != RETENTION_AUDIT_DETAIL)
		pg_param_text(&p, retention_trigger_name(t));
	if ((rc = pg_exec_one(pgs(base), sql, &p, &r, "count due records", err)))
		return rc;
	*due = pg_col_int64(r, 0, 0);
	*held = pg_col_int64(r, 0, 1);
	*next_ms = pg_col_int64(r, 0, 2);
	pg_col_text(r, 0, 3, next_date, 11);
	PQclear(r);
	return 0;
}

static int ids(struct store *base, const char *sql, const struct pg_params *p, store_id_fn fn,
               void *ctx, const char *what, struct ok_error *err)
{
	char id[STORE_ID_MAX + 1];
	PGresult *r;
	int rc, i, n;

	if ((rc = pg_exec(pgs(base), sql, p, &r, NULL, what, err)))
		return rc;
	n = PQntuples(r);
	for (i = 0; !rc && i < n; i++) {
		pg_col_text(r, i, 0, id, sizeof(id));
		rc = fn(ctx, id);
	}
	PQclear(r);
	return rc;
}

static int results_due(struct store *base, enum retention_trigger t, const char *cutoff_date,
                       size_t limit, store_id_fn fn, void *ctx, struct ok_error *err)
{
	struct pg_params p;

	pg_params_init(&p);
	pg_param_text(&p, cutoff_date);
	pg_param_int64(&p, (int64_t)limit);
	pg_param_text(&p, retention_trigger_name(t));
	return ids(base, SQL_RESULTS_DUE, &p, fn, ctx, "list due results", err);
}

static int result_destroy(struct store *base, const char *id, struct ok_error *err)
{
	struct pg_params p;
	int64_t n = 0;
	int rc;

	pg_params_init(&p);
	pg_param_text(&p, id);
	if ((rc = pg_exec(pgs(base), SQL_RESULT_HISTORY_DEL, &p, NULL, NULL,
	                  "destroy a result's history", err)) ||
	    (rc = pg_exec(pgs(base), SQL_RECORD_HOLDS_DEL, &p, NULL, NULL,
	                  "destroy the released holds on a result", err)) ||
	    (rc = pg_exec(pgs(base), SQL_RESULT_DEL, &p, NULL, &n, "destroy a result", err)))
		return rc;
	return n == 1 ? 0 : ok_fail(err, OK_ENOTFOUND, "no achievement with that id");
}

static int share_stand_in(struct store *base, const char *id, const char *stand_in, int64_t *n,
                          struct ok_error *err)
{
	struct pg_params p;
	int rc;

	*n = 0;
	pg_params_init(&p);
	pg_param_text(&p, id);
	pg_param_text(&p, stand_in);
	if ((rc = pg_exec(pgs(base), SQL_SHARE_STAND_IN, &p, NULL, n,
	                  "put a stand-in for a destroyed record in its shares", err)))
		return rc;
	pg_params_init(&p);
	pg_param_text(&p, id);
	if ((rc = pg_exec(pgs(base), SQL_OFFER_DROP_ID, &p, NULL, NULL,
	                  "take a destroyed record out of wallet offers", err)))
		return rc;
	pg_params_init(&p);
	if ((rc = pg_exec(pgs(base), SQL_OFFER_EMPTY_TOKENS, &p, NULL, NULL,
	                  "withdraw wallet offers left without records", err)))
		return rc;
	return pg_exec(pgs(base), SQL_OFFER_EMPTY, &p, NULL, NULL,
	               "withdraw wallet offers left without records", err);
}

static int due_ids(struct store *base, enum retention_class c, enum retention_trigger t,
                   int64_t cutoff_ms, const char *cutoff_date, size_t limit, store_id_fn fn,
                   void *ctx, struct ok_error *err)
{
	struct pg_params p;

	if (c == RETENTION_FOREIGN) {
		pg_params_init(&p);
		pg_param_int64(&p, cutoff_ms);
		pg_param_text(&p, cutoff_date);
		pg_param_text(&p, retention_trigger_name(t));
		pg_param_int64(&p, (int64_t)limit);
		return ids(base, SQL_FOREIGN_DUE, &p, fn, ctx, "list due foreign achievements",
		           err);
	}
	if (c != RETENTION_SHARE)
		return ok_fail(err, OK_EUNSUPPORTED, "%s records cannot be listed for a transfer",
		               retention_class_name(c));
	pg_params_init(&p);
	pg_param_int64(&p, cutoff_ms);
	pg_param_text(&p, retention_trigger_name(t));
	pg_param_int64(&p, (int64_t)limit);
	return ids(base, SQL_SHARES_DUE, &p, fn, ctx, "list due shares", err);
}

static int record_destroy(struct store *base, enum retention_class c, const char *id,
                          struct ok_error *err)
{
	struct pg_params p;
	int64_t n = 0;
	int rc;

	pg_params_init(&p);
	pg_param_text(&p, id);
	if (c == RETENTION_FOREIGN) {
		if ((rc = pg_exec(pgs(base), SQL_RECORD_HOLDS_DEL, &p, NULL, NULL,
		                  "destroy the released holds on a foreign achievement", err)) ||
		    (rc = pg_exec(pgs(base), SQL_FOREIGN_DEL, &p, NULL, &n,
		                  "destroy a foreign achievement", err)))
			return rc;
		return n == 1 ? 0
		              : ok_fail(err, OK_ENOTFOUND, "no foreign achievement with that id");
	}
	if (c != RETENTION_SHARE)
		return ok_fail(err, OK_EUNSUPPORTED, "%s records cannot be destroyed one by one",
		               retention_class_name(c));
	if ((rc = pg_exec(pgs(base), SQL_SHARE_VIEWS_DEL, &p, NULL, NULL,
	                  "destroy a share's openings", err)) ||
	    (rc = pg_exec(pgs(base), SQL_SHARE_DEL, &p, NULL, &n, "destroy a share", err)))
		return rc;
	return n == 1 ? 0 : ok_fail(err, OK_ENOTFOUND, "no share with that id");
}

static int sweep(struct store *base, enum retention_class c, enum retention_trigger t,
                 int64_t cutoff_ms, const char *cutoff_date, size_t limit, int64_t *n,
                 struct ok_error *err)
{
	const char *sql = NULL;
	struct pg_params p;
	int rc;

	*n = 0;
	pg_params_init(&p);
	pg_param_int64(&p, cutoff_ms);
	if (c == RETENTION_FOREIGN)
		pg_param_text(&p, cutoff_date);
	pg_param_text(&p, retention_trigger_name(t));
	pg_param_int64(&p, (int64_t)limit);
	switch (c) {
	case RETENTION_FOREIGN:
		sql = SQL_SWEEP_FOREIGN;
		break;
	case RETENTION_SHARE:
		/* The openings first, of the same shares (same order, same limit). */
		if ((rc = pg_exec(pgs(base), SQL_SWEEP_SHARE_VIEWS, &p, NULL, NULL,
		                  "destroy share openings", err)))
			return rc;
		sql = SQL_SWEEP_SHARES;
		break;
	case RETENTION_SESSION:
		sql = SQL_SWEEP_SESSIONS;
		break;
	case RETENTION_LOGIN_LINK:
		sql = SQL_SWEEP_LINKS;
		break;
	case RETENTION_WALLET_OFFER:
		if ((rc = pg_exec(pgs(base), SQL_SWEEP_OFFER_TOKENS, &p, NULL, NULL,
		                  "destroy wallet offers' access tokens", err)))
			return rc;
		sql = SQL_SWEEP_OFFERS;
		break;
	default:
		return 0;
	}
	return pg_exec(pgs(base), sql, &p, NULL, n, "destroy due records", err);
}

static int orphans(struct store *base, size_t limit, store_id_fn fn, void *ctx,
                   struct ok_error *err)
{
	struct pg_params p;

	pg_params_init(&p);
	pg_param_int64(&p, (int64_t)limit);
	return ids(base, SQL_ORPHANS, &p, fn, ctx, "list learners with no records left", err);
}

static int learner_destroy(struct store *base, const char *id, struct ok_error *err)
{
	size_t i, last = sizeof(SQL_LEARNER_DEL) / sizeof(SQL_LEARNER_DEL[0]) - 1;
	struct pg_params p;
	int64_t n = 0;
	int rc = 0;

	pg_params_init(&p);
	pg_param_text(&p, id);
	for (i = 0; !rc && i <= last; i++)
		rc = pg_exec(pgs(base), SQL_LEARNER_DEL[i], &p, NULL, &n, "destroy a learner", err);
	if (!rc && n != 1)
		rc = ok_fail(err, OK_ENOTFOUND, "no learner with that id");
	return rc;
}

static int of_learner(struct store *base, enum retention_class c, const char *learner_id,
                      size_t limit, int64_t *due, int64_t *held, store_id_fn fn, void *ctx,
                      struct ok_error *err)
{
	const char *list, *cnt;
	struct pg_params p;
	PGresult *r;
	int rc;

	*due = *held = 0;
	if (c == RETENTION_RESULT) {
		list = SQL_OF_LEARNER_RESULTS;
		cnt = SQL_OF_LEARNER_RESULTS_COUNT;
	} else if (c == RETENTION_FOREIGN) {
		list = SQL_OF_LEARNER_FOREIGN;
		cnt = SQL_OF_LEARNER_FOREIGN_COUNT;
	} else {
		return ok_fail(err, OK_EUNSUPPORTED, "%s records have no learner's age",
		               retention_class_name(c));
	}
	pg_params_init(&p);
	pg_param_text(&p, learner_id);
	if ((rc = pg_exec_one(pgs(base), cnt, &p, &r, "count a learner's records", err)))
		return rc;
	*due = pg_col_int64(r, 0, 0);
	*held = pg_col_int64(r, 0, 1);
	PQclear(r);
	if (!limit || !*due)
		return 0;
	pg_param_int64(&p, (int64_t)limit);
	return ids(base, list, &p, fn, ctx, "list a learner's records", err);
}

/* The statements of learner_destroy that delete one class of a learner's records. */
static int erase(struct store *base, const char *learner_id, enum retention_class c, int64_t *n,
                 struct ok_error *err)
{
	struct pg_params p;
	int rc;

	*n = 0;
	pg_params_init(&p);
	pg_param_text(&p, learner_id);
	switch (c) {
	case RETENTION_SHARE:
		if ((rc = pg_exec(pgs(base), SQL_LEARNER_DEL[0], &p, NULL, NULL,
		                  "erase a learner's share openings", err)))
			return rc;
		return pg_exec(pgs(base), SQL_LEARNER_DEL[1], &p, NULL, n,
		               "erase a learner's shares", err);
	case RETENTION_SESSION: {
		/* The EMREX sessions too: a learner's exchanges with a contact point. */
		int64_t emrex = 0;
		if ((rc = pg_exec(pgs(base), SQL_LEARNER_DEL[8], &p, NULL, &emrex,
		                  "erase a learner's EMREX sessions", err)) ||
		    (rc = pg_exec(pgs(base), SQL_LEARNER_DEL[2], &p, NULL, n,
		                  "erase a learner's sessions", err)))
			return rc;
		*n += emrex;
		return 0;
	}
	case RETENTION_WALLET_OFFER:
		if ((rc = pg_exec(pgs(base), SQL_LEARNER_DEL[6], &p, NULL, NULL,
		                  "erase the access tokens of a learner's wallet offers", err)))
			return rc;
		return pg_exec(pgs(base), SQL_LEARNER_DEL[7], &p, NULL, n,
		               "erase a learner's wallet offers", err);
	case RETENTION_LOGIN_LINK:
		return pg_exec(pgs(base), SQL_LEARNER_DEL[3], &p, NULL, n,
		               "erase a learner's login links", err);
	case RETENTION_FOREIGN:
		rc = pg_exec(pgs(base), SQL_ERASE_FOREIGN, &p, NULL, n,
		             "erase a learner's foreign achievements", err);
		return rc;
	default:
		return 0;
	}
}

static int audit_due(struct store *base, int64_t cutoff_ms, int64_t after_seq, size_t limit,
                     store_audit_fn fn, void *ctx, struct ok_error *err)
{
	struct pg_store *s = pgs(base);
	struct pg_cursor c;
	struct audit_event e;
	int rc = pg_list(
	        &c, s, &AUDIT_DUE,
	        PG_ARGS(PG_ARG_INT(cutoff_ms), PG_ARG_INT(after_seq), PG_ARG_INT((int64_t)limit)),
	        err);

	while (!rc) {
		memset(&e, 0, sizeof(e));
		if ((rc = pg_next(&c, &e, err)) <= 0)
			break;
		rc = fn(ctx, &e);
	}
	return pg_list_end(&c, rc);
}

static int audit_tombstone(struct store *base, const struct audit_event *e, struct ok_error *err)
{
	struct pg_params p;
	int64_t n = 0;
	int rc;

	pg_params_init(&p);
	pg_param_int64(&p, e->seq);
	pg_param_text(&p, e->actor);
	pg_param_text(&p, e->subject);
	pg_param_text(&p, e->purpose);
	pg_param_text(&p, e->detail);
	if ((rc = pg_exec(pgs(base), SQL_AUDIT_TOMBSTONE, &p, NULL, &n,
	                  "make an audit event a tombstone", err)))
		return rc;
	return n == 1 ? 0 : ok_fail(err, OK_ENOTFOUND, "no audit event with that sequence number");
}

static int run_open(struct store *base, struct store_retention_run *out, struct ok_error *err)
{
	PGresult *r;
	int rc = pg_exec_one(pgs(base), SQL_RUN_OPEN, NULL, &r, "read the open retention run", err);

	if (rc)
		return rc;
	read_run(r, 0, out);
	PQclear(r);
	return 0;
}

static int run_put(struct store *base, const struct store_retention_run *run, struct ok_error *err)
{
	struct pg_params p;

	pg_params_init(&p);
	pg_param_text(&p, run->id);
	pg_param_text(&p, run->actor);
	pg_param_int64(&p, run->started_ms);
	pg_param_int64(&p, run->finished_ms);
	pg_param_int64(&p, run->now_ms);
	pg_param_text(&p, run->schedule);
	pg_param_text(&p, run->counts);
	pg_param_int64(&p, run->audit_from);
	pg_param_int64(&p, run->audit_to);
	pg_param_text(&p, run->certificate);
	return pg_exec(pgs(base), SQL_RUN_PUT, &p, NULL, NULL, "record a retention run", err);
}

static int run_list(struct store *base, store_run_fn fn, void *ctx, struct ok_error *err)
{
	struct store_retention_run *run = calloc(1, sizeof(*run)); /* 8 KiB: not on the stack */
	PGresult *r = NULL;
	int rc, i, n;

	if (!run)
		return ok_fail(err, OK_ENOMEM, "list retention runs: out of memory");
	if (!(rc = pg_exec(pgs(base), SQL_RUN_LIST, NULL, &r, NULL, "list retention runs", err))) {
		n = PQntuples(r);
		for (i = 0; !rc && i < n; i++) {
			read_run(r, i, run);
			rc = fn(ctx, run);
		}
		PQclear(r);
	}
	free(run);
	return rc;
}

/* PostgreSQL has no way to overwrite a deleted row in place: the row stays as a dead tuple until
 * VACUUM reclaims its space (compact below), and in the WAL and base backups until they age
 * out (docs/operations.md). */
static int secure_delete(struct store *base, struct ok_error *err)
{
	(void)base;
	(void)err;
	return 0;
}

static int compact(struct store *base, struct ok_error *err)
{
	return pg_command(pgs(base),
	                  "VACUUM achievement, achievement_history, learner, foreign_achievement, "
	                  "share, share_view, session, login_link, identity_change, key_read, "
	                  "vci_offer, vci_token, emrex_session, issued_credential, legal_hold, "
	                  "audit_event",
	                  "vacuum the tables retention emptied", err);
}

const struct store_retention_ops pg_retention_ops = {
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
