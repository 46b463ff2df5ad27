/* The PostgreSQL store's audit area (see audit.h): checkpoints, events by subject, the history of
 * an achievement. Appends to the chain are serialised by the core (store_pg.c's audit_head); a
 * checkpoint is written in the same transaction as the event it signs. */
#include "store/audit.h"
#include "store/pg_internal.h"

#include <stdio.h>
#include <string.h>

#define CHECKPOINT_COLS "seq, at_ms, head, key_id, public_key, signature, every"
static const struct pg_col checkpoint_col[] = {
        PG_COL(struct audit_checkpoint, seq, PG_INT),
        PG_COL(struct audit_checkpoint, at_ms, PG_INT),
        PG_COL(struct audit_checkpoint, head, PG_BLOB),
        PG_COL(struct audit_checkpoint, key_id, PG_UINT),
        PG_COL(struct audit_checkpoint, public_key, PG_BLOB),
        PG_COL(struct audit_checkpoint, signature, PG_BLOB),
        PG_COL(struct audit_checkpoint, every, PG_INT),
};
static const struct pg_cols checkpoint_cols = PG_COLS(checkpoint_col);

/* A second checkpoint for one sequence number changes nothing and leaves the transaction
 * usable: the caller is told OK_EEXIST and goes on (audit/checkpoint.c). */
static const struct pg_query CHECKPOINT_ADD = {"INSERT INTO audit_checkpoint (" CHECKPOINT_COLS
                                               ") VALUES ($1, $2, $3, $4, $5, $6, $7) "
                                               "ON CONFLICT (seq) DO NOTHING",
                                               "record audit checkpoint", &checkpoint_cols, NULL};
static const struct pg_query CHECKPOINT_LAST = {
        "SELECT " CHECKPOINT_COLS " FROM audit_checkpoint ORDER BY seq DESC LIMIT 1",
        "read the last audit checkpoint", NULL, &checkpoint_cols};
/* (after) in pages */
static const struct pg_query CHECKPOINT_LIST = {
        "SELECT " CHECKPOINT_COLS " FROM audit_checkpoint WHERE seq > $1 ORDER BY seq LIMIT $2",
        "list audit checkpoints", NULL, &checkpoint_cols};
/* (subject, after_seq) in pages: the events of one subject grow with public activity (share
 * openings). */
static const struct pg_query BY_SUBJECT = {
        "SELECT " PG_EVENT_COLS " FROM audit_event WHERE subject = $1 AND seq > $2 ORDER BY seq "
        "LIMIT $3",
        "list audit events", NULL, &pg_event_cols};
/* Both listings page after the sequence number of the last row handed on. */
static const struct pg_page SEQ_PAGE = {PG_PAGE, 1, {0}};

/* What the history keeps of an achievement's earlier version. */
static const struct pg_col version_col[] = {
        PG_COL(struct store_achievement_version, a.version, PG_INT),
        PG_COL(struct store_achievement_version, a.learner_id, PG_TEXT),
        PG_COL(struct store_achievement_version, a.kind, PG_TEXT),
        PG_COL(struct store_achievement_version, a.title, PG_TEXT),
        PG_COL(struct store_achievement_version, a.programme_code, PG_TEXT),
        PG_COL(struct store_achievement_version, a.eqf_level, PG_INT),
        PG_COL(struct store_achievement_version, a.credits_centi, PG_INT),
        PG_COL(struct store_achievement_version, a.grade, PG_TEXT),
        PG_COL(struct store_achievement_version, a.grading_scheme, PG_TEXT),
        PG_COL(struct store_achievement_version, a.awarded_on, PG_TEXT),
        PG_COL(struct store_achievement_version, a.language, PG_TEXT),
        PG_COL(struct store_achievement_version, a.status, PG_TEXT),
        PG_COL(struct store_achievement_version, changed_ms, PG_INT),
        PG_COL(struct store_achievement_version, actor, PG_TEXT),
        PG_COL(struct store_achievement_version, reason, PG_TEXT),
};
static const struct pg_cols version_cols = PG_COLS(version_col);

static const struct pg_query VERSIONS = {
        "SELECT version, learner_id, kind, title, programme_code, eqf_level, credits_centi, "
        "grade, grading_scheme, awarded_on, language, status, changed_ms, actor, reason "
        "FROM achievement_history WHERE achievement_id = $1 ORDER BY version",
        "list achievement history", NULL, &version_cols};

static int checkpoint_add(struct store *base, const struct audit_checkpoint *c,
                          struct ok_error *err)
{
	int rc = pg_add(pgs(base), &CHECKPOINT_ADD, c, PG_NO_ARGS, err);

	if (rc == OK_EEXIST)
		return ok_fail(err, rc,
		               "record audit checkpoint: event %lld has a checkpoint already",
		               (long long)c->seq);
	return rc;
}

static int checkpoint_last(struct store *base, struct audit_checkpoint *out, struct ok_error *err)
{
	memset(out, 0, sizeof(*out));
	return pg_get(pgs(base), &CHECKPOINT_LAST, PG_NO_ARGS, out, err);
}

static int checkpoint_list(struct store *base, int64_t after, store_checkpoint_fn fn, void *ctx,
                           struct ok_error *err)
{
	struct audit_checkpoint c;
	struct pg_cursor cur;
	int rc = pg_pages(&cur, pgs(base), &CHECKPOINT_LIST, &SEQ_PAGE, PG_ARGS(PG_ARG_INT(after)),
	                  err);

	while (!rc) {
		memset(&c, 0, sizeof(c));
		if ((rc = pg_next(&cur, &c, err)) <= 0)
			break;
		rc = fn(ctx, &c);
	}
	return pg_list_end(&cur, rc);
}

static int by_subject(struct store *base, const char *subject, store_audit_fn fn, void *ctx,
                      struct ok_error *err)
{
	return pg_audit_rows(pgs(base), &BY_SUBJECT, &SEQ_PAGE,
	                     PG_ARGS(PG_ARG_TEXT(subject), PG_ARG_INT(0)), fn, ctx, err);
}

static int history(struct store *base, const char *achievement_id, store_version_fn fn, void *ctx,
                   struct ok_error *err)
{
	struct store_achievement_version v;
	struct pg_cursor c;
	int rc = pg_list(&c, pgs(base), &VERSIONS, PG_ARGS(PG_ARG_TEXT(achievement_id)), err);

	while (!rc) {
		memset(&v, 0, sizeof(v));
		if ((rc = pg_next(&c, &v, err)) <= 0)
			break;
		snprintf(v.a.id, sizeof(v.a.id), "%s", achievement_id);
		v.a.status_index = -1;
		rc = fn(ctx, &v);
	}
	return pg_list_end(&c, rc);
}

const struct store_audit_ops pg_audit_ops = {
        .checkpoint_add = checkpoint_add,
        .checkpoint_last = checkpoint_last,
        .checkpoint_list = checkpoint_list,
        .by_subject = by_subject,
        .history = history,
};
