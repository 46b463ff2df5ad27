/* The PostgreSQL store's audit area (see audit.h): checkpoints, events by subject, the history of
 * an achievement. Appends to the chain are serialised by the core (store_pg.c's audit_head); a
 * checkpoint is written in the same transaction as the event it signs. */
#include "store/audit.h"
#include "store/pg_internal.h"

#include <stdio.h>
#include <string.h>

#define EVENT_COLS      "seq, at_ms, actor, action, subject, purpose, detail, prev_hash, hash"
#define CHECKPOINT_COLS "seq, at_ms, head, key_id, public_key, signature, every"

/* A second checkpoint for one sequence number changes nothing and leaves the transaction
 * usable: the caller is told OK_EEXIST and goes on (audit/checkpoint.c). */
static const char sql_checkpoint_add[] =
        "INSERT INTO audit_checkpoint (" CHECKPOINT_COLS ") VALUES ($1, $2, $3, $4, $5, $6, $7) "
        "ON CONFLICT (seq) DO NOTHING";
static const char sql_checkpoint_last[] =
        "SELECT " CHECKPOINT_COLS " FROM audit_checkpoint ORDER BY seq DESC LIMIT 1";
static const char sql_checkpoint_list[] =
        "SELECT " CHECKPOINT_COLS " FROM audit_checkpoint WHERE seq > $1 ORDER BY seq LIMIT $2";
static const char sql_by_subject[] = "SELECT " EVENT_COLS " FROM audit_event "
                                     "WHERE subject = $1 AND seq > $2 ORDER BY seq LIMIT $3";
static const char sql_history[] =
        "SELECT version, learner_id, kind, title, programme_code, eqf_level, credits_centi, "
        "grade, grading_scheme, awarded_on, language, status, changed_ms, actor, reason "
        "FROM achievement_history WHERE achievement_id = $1 ORDER BY version";

static int checkpoint_add(struct store *base, const struct audit_checkpoint *c,
                          struct ok_error *err)
{
	struct pg_params p;
	int64_t added = 0;
	int rc;

	pg_params_init(&p);
	pg_param_int64(&p, c->seq);
	pg_param_int64(&p, c->at_ms);
	pg_param_bytea(&p, c->head, AUDIT_HASH_BYTES);
	pg_param_int64(&p, (int64_t)c->key_id);
	pg_param_bytea(&p, c->public_key, AUDIT_KEY_BYTES);
	pg_param_bytea(&p, c->signature, AUDIT_SIGNATURE_BYTES);
	pg_param_int64(&p, c->every);
	if ((rc = pg_exec(pgs(base), sql_checkpoint_add, &p, NULL, &added,
	                  "record audit checkpoint", err)))
		return rc;
	return added ? 0
	             : ok_fail(err, OK_EEXIST,
	                       "record audit checkpoint: event %lld has a checkpoint already",
	                       (long long)c->seq);
}

static void read_checkpoint(const PGresult *r, int row, struct audit_checkpoint *c)
{
	memset(c, 0, sizeof(*c));
	c->seq = pg_col_int64(r, row, 0);
	c->at_ms = pg_col_int64(r, row, 1);
	pg_col_fixed(r, row, 2, c->head, AUDIT_HASH_BYTES);
	c->key_id = (uint32_t)pg_col_int64(r, row, 3);
	pg_col_fixed(r, row, 4, c->public_key, AUDIT_KEY_BYTES);
	pg_col_fixed(r, row, 5, c->signature, AUDIT_SIGNATURE_BYTES);
	c->every = pg_col_int64(r, row, 6);
}

static int checkpoint_last(struct store *base, struct audit_checkpoint *out, struct ok_error *err)
{
	PGresult *r;
	int rc;

	if ((rc = pg_exec_one(pgs(base), sql_checkpoint_last, NULL, &r,
	                      "read the last audit checkpoint", err)))
		return rc;
	read_checkpoint(r, 0, out);
	PQclear(r);
	return 0;
}

static int checkpoint_list(struct store *base, int64_t after, store_checkpoint_fn fn, void *ctx,
                           struct ok_error *err)
{
	struct audit_checkpoint c;
	struct pg_params p;
	PGresult *r;
	int i, n, rc;

	do {
		pg_params_init(&p);
		pg_param_int64(&p, after);
		pg_param_int64(&p, PG_PAGE);
		if ((rc = pg_exec(pgs(base), sql_checkpoint_list, &p, &r, NULL,
		                  "list audit checkpoints", err)))
			return rc;
		n = PQntuples(r);
		for (i = 0; i < n && !rc; i++) {
			read_checkpoint(r, i, &c);
			after = c.seq;
			rc = fn(ctx, &c);
		}
		PQclear(r);
	} while (!rc && n == PG_PAGE);
	return rc;
}

/* Remembers the last sequence number a page handed on, for the next page. */
struct subject_page {
	store_audit_fn fn;
	void *ctx;
	int64_t last;
};

static int subject_page_row(void *ctx, const struct audit_event *e)
{
	struct subject_page *page = ctx;

	page->last = e->seq;
	return page->fn(page->ctx, e);
}

/* Events of one subject grow with public activity (share openings): read in pages. */
static int by_subject(struct store *base, const char *subject, store_audit_fn fn, void *ctx,
                      struct ok_error *err)
{
	struct subject_page page = {fn, ctx, 0};
	struct pg_params p;
	PGresult *r;
	int n, rc;

	do {
		pg_params_init(&p);
		pg_param_text(&p, subject);
		pg_param_int64(&p, page.last);
		pg_param_int64(&p, PG_PAGE);
		if ((rc = pg_exec(pgs(base), sql_by_subject, &p, &r, NULL, "list audit events",
		                  err)))
			return rc;
		n = PQntuples(r);
		rc = pg_audit_rows(r, subject_page_row, &page);
		PQclear(r);
	} while (!rc && n == PG_PAGE);
	return rc;
}

static int history(struct store *base, const char *achievement_id, store_version_fn fn, void *ctx,
                   struct ok_error *err)
{
	struct store_achievement_version v;
	struct pg_params p;
	PGresult *r;
	int i, n, rc;

	pg_params_init(&p);
	pg_param_text(&p, achievement_id);
	if ((rc = pg_exec(pgs(base), sql_history, &p, &r, NULL, "list achievement history", err)))
		return rc;
	n = PQntuples(r);
	for (i = 0; i < n && !rc; i++) {
		memset(&v, 0, sizeof(v));
		snprintf(v.a.id, sizeof(v.a.id), "%s", achievement_id);
		v.a.version = (int)pg_col_int64(r, i, 0);
		pg_col_text(r, i, 1, v.a.learner_id, sizeof(v.a.learner_id));
		pg_col_text(r, i, 2, v.a.kind, sizeof(v.a.kind));
		pg_col_text(r, i, 3, v.a.title, sizeof(v.a.title));
		pg_col_text(r, i, 4, v.a.programme_code, sizeof(v.a.programme_code));
		v.a.eqf_level = (int)pg_col_int64(r, i, 5);
		v.a.credits_centi = (long)pg_col_int64(r, i, 6);
		pg_col_text(r, i, 7, v.a.grade, sizeof(v.a.grade));
		pg_col_text(r, i, 8, v.a.grading_scheme, sizeof(v.a.grading_scheme));
		pg_col_text(r, i, 9, v.a.awarded_on, sizeof(v.a.awarded_on));
		pg_col_text(r, i, 10, v.a.language, sizeof(v.a.language));
		pg_col_text(r, i, 11, v.a.status, sizeof(v.a.status));
		v.changed_ms = pg_col_int64(r, i, 12);
		pg_col_text(r, i, 13, v.actor, sizeof(v.actor));
		pg_col_text(r, i, 14, v.reason, sizeof(v.reason));
		v.a.status_index = -1;
		rc = fn(ctx, &v);
	}
	PQclear(r);
	return rc;
}

const struct store_audit_ops pg_audit_ops = {
        .checkpoint_add = checkpoint_add,
        .checkpoint_last = checkpoint_last,
        .checkpoint_list = checkpoint_list,
        .by_subject = by_subject,
        .history = history,
};
