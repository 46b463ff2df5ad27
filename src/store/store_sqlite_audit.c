/* The SQLite store's audit area (see audit.h): checkpoints, events by subject, the
 * history of an achievement. */
#include "store/audit.h"
#include "store/sqlite_internal.h"

#include <stdio.h>
#include <string.h>

#define CHECKPOINT_COLS "seq, at_ms, head, key_id, public_key, signature, every"
static const struct sqlite_col checkpoint_col[] = {
        SQLITE_COL(struct audit_checkpoint, seq, SQ_INT),
        SQLITE_COL(struct audit_checkpoint, at_ms, SQ_INT),
        SQLITE_COL(struct audit_checkpoint, head, SQ_BLOB),
        SQLITE_COL(struct audit_checkpoint, key_id, SQ_UINT),
        SQLITE_COL(struct audit_checkpoint, public_key, SQ_BLOB),
        SQLITE_COL(struct audit_checkpoint, signature, SQ_BLOB),
        SQLITE_COL(struct audit_checkpoint, every, SQ_INT),
};
static const struct sqlite_cols checkpoint_cols = SQLITE_COLS(checkpoint_col);

static const struct sqlite_query CHECKPOINT_ADD = {
        ST_CHECKPOINT_ADD,
        "INSERT INTO audit_checkpoint (" CHECKPOINT_COLS ") VALUES (?, ?, ?, ?, ?, ?, ?)",
        "record audit checkpoint", &checkpoint_cols, NULL};
static const struct sqlite_query CHECKPOINT_LAST = {
        ST_CHECKPOINT_LAST,
        "SELECT " CHECKPOINT_COLS " FROM audit_checkpoint ORDER BY seq DESC LIMIT 1",
        "read the last audit checkpoint", NULL, &checkpoint_cols};
static const struct sqlite_query CHECKPOINT_LIST = {
        ST_CHECKPOINT_LIST,
        "SELECT " CHECKPOINT_COLS " FROM audit_checkpoint WHERE seq > ? ORDER BY seq",
        "list audit checkpoints", NULL, &checkpoint_cols};
static const struct sqlite_query BY_SUBJECT = {ST_AUDIT_BY_SUBJECT,
                                               "SELECT " SQLITE_EVENT_COLS
                                               " FROM audit_event WHERE subject = ? ORDER BY seq",
                                               "list audit events", NULL, &sqlite_event_cols};

/* What the history keeps of an achievement's earlier version. */
static const struct sqlite_col version_col[] = {
        SQLITE_COL(struct store_achievement_version, a.version, SQ_INT),
        SQLITE_COL(struct store_achievement_version, a.learner_id, SQ_TEXT),
        SQLITE_COL(struct store_achievement_version, a.kind, SQ_TEXT),
        SQLITE_COL(struct store_achievement_version, a.title, SQ_TEXT),
        SQLITE_COL(struct store_achievement_version, a.programme_code, SQ_TEXT),
        SQLITE_COL(struct store_achievement_version, a.eqf_level, SQ_INT),
        SQLITE_COL(struct store_achievement_version, a.credits_centi, SQ_INT),
        SQLITE_COL(struct store_achievement_version, a.grade, SQ_TEXT),
        SQLITE_COL(struct store_achievement_version, a.grading_scheme, SQ_TEXT),
        SQLITE_COL(struct store_achievement_version, a.awarded_on, SQ_TEXT),
        SQLITE_COL(struct store_achievement_version, a.language, SQ_TEXT),
        SQLITE_COL(struct store_achievement_version, a.status, SQ_TEXT),
        SQLITE_COL(struct store_achievement_version, changed_ms, SQ_INT),
        SQLITE_COL(struct store_achievement_version, actor, SQ_TEXT),
        SQLITE_COL(struct store_achievement_version, reason, SQ_TEXT),
};
static const struct sqlite_cols version_cols = SQLITE_COLS(version_col);

static const struct sqlite_query VERSIONS = {
        ST_ACH_VERSIONS,
        "SELECT version, learner_id, kind, title, programme_code, eqf_level, credits_centi, "
        "grade, grading_scheme, awarded_on, language, status, changed_ms, actor, reason "
        "FROM achievement_history WHERE achievement_id = ? ORDER BY version",
        "list achievement history", NULL, &version_cols};

static int checkpoint_add(struct store *base, const struct audit_checkpoint *c,
                          struct ok_error *err)
{
	return sqlite_exec(sq(base), &CHECKPOINT_ADD, c, SQLITE_NO_ARGS, err);
}

static int checkpoint_last(struct store *base, struct audit_checkpoint *out, struct ok_error *err)
{
	struct audit_checkpoint c;
	int rc;

	memset(&c, 0, sizeof(c));
	if ((rc = sqlite_get(sq(base), &CHECKPOINT_LAST, SQLITE_NO_ARGS, &c, err)))
		return rc;
	*out = c;
	return 0;
}

static int checkpoint_list(struct store *base, int64_t after, store_checkpoint_fn fn, void *ctx,
                           struct ok_error *err)
{
	struct store_sqlite *s = sq(base);
	struct audit_checkpoint c;
	int rc = sqlite_query(s, &CHECKPOINT_LIST, SQLITE_ARGS(SQ_ARG_INT(after)), err);

	while (!rc) {
		memset(&c, 0, sizeof(c));
		if ((rc = sqlite_next(s, &CHECKPOINT_LIST, &c, err)) <= 0)
			break;
		rc = fn(ctx, &c);
	}
	return sqlite_end(s, &CHECKPOINT_LIST, rc);
}

static int by_subject(struct store *base, const char *subject, store_audit_fn fn, void *ctx,
                      struct ok_error *err)
{
	return sqlite_audit_rows(sq(base), &BY_SUBJECT, SQLITE_ARGS(SQ_ARG_TEXT(subject)), fn, ctx,
	                         err);
}

static int history(struct store *base, const char *achievement_id, store_version_fn fn, void *ctx,
                   struct ok_error *err)
{
	struct store_sqlite *s = sq(base);
	struct store_achievement_version v;
	int rc = sqlite_query(s, &VERSIONS, SQLITE_ARGS(SQ_ARG_TEXT(achievement_id)), err);

	if (strlen(achievement_id) >= sizeof(v.a.id))
		return sqlite_end(s, &VERSIONS, rc); /* no achievement has an id this long */
	while (!rc) {
		memset(&v, 0, sizeof(v));
		if ((rc = sqlite_next(s, &VERSIONS, &v, err)) <= 0)
			break;
		memcpy(v.a.id, achievement_id, strlen(achievement_id) + 1); /* checked above */
		v.a.status_index = -1;
		rc = fn(ctx, &v);
	}
	return sqlite_end(s, &VERSIONS, rc);
}

const struct store_audit_ops sqlite_audit_ops = {
        .checkpoint_add = checkpoint_add,
        .checkpoint_last = checkpoint_last,
        .checkpoint_list = checkpoint_list,
        .by_subject = by_subject,
        .history = history,
};
