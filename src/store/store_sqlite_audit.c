/* The SQLite store's audit area (see audit.h): checkpoints, events by subject, the
 * history of an achievement. */
#include "store/audit.h"
#include "store/sqlite_internal.h"

#include <stdio.h>
#include <string.h>

#define EVENT_COLS      "seq, at_ms, actor, action, subject, purpose, detail, prev_hash, hash"
#define CHECKPOINT_COLS "seq, at_ms, head, key_id, public_key, signature, every"

static const char sql_checkpoint_add[] =
        "INSERT INTO audit_checkpoint (" CHECKPOINT_COLS ") VALUES (?, ?, ?, ?, ?, ?, ?)";
static const char sql_checkpoint_last[] =
        "SELECT " CHECKPOINT_COLS " FROM audit_checkpoint ORDER BY seq DESC LIMIT 1";
static const char sql_checkpoint_list[] =
        "SELECT " CHECKPOINT_COLS " FROM audit_checkpoint WHERE seq > ? ORDER BY seq";
static const char sql_by_subject[] =
        "SELECT " EVENT_COLS " FROM audit_event WHERE subject = ? ORDER BY seq";
static const char sql_history[] =
        "SELECT version, learner_id, kind, title, programme_code, eqf_level, credits_centi, "
        "grade, grading_scheme, awarded_on, language, status, changed_ms, actor, reason "
        "FROM achievement_history WHERE achievement_id = ? ORDER BY version";

static int checkpoint_add(struct store *base, const struct audit_checkpoint *c,
                          struct ok_error *err)
{
	struct store_sqlite *s = sq(base);
	sqlite3_stmt *st = sqlite_prepared(s, sql_checkpoint_add, err);

	if (!st)
		return err ? err->code : OK_ESTORE;
	sqlite3_bind_int64(st, 1, c->seq);
	sqlite3_bind_int64(st, 2, c->at_ms);
	sqlite_bind_blob(st, 3, c->head, AUDIT_HASH_BYTES);
	sqlite3_bind_int64(st, 4, (sqlite3_int64)c->key_id);
	sqlite_bind_blob(st, 5, c->public_key, AUDIT_KEY_BYTES);
	sqlite_bind_blob(st, 6, c->signature, AUDIT_SIGNATURE_BYTES);
	sqlite3_bind_int64(st, 7, c->every);
	return sqlite_exec_step(s, st, "record audit checkpoint", err);
}

static void read_checkpoint(sqlite3_stmt *st, struct audit_checkpoint *c)
{
	memset(c, 0, sizeof(*c));
	c->seq = sqlite3_column_int64(st, 0);
	c->at_ms = sqlite3_column_int64(st, 1);
	sqlite_col_fixed(st, 2, c->head, AUDIT_HASH_BYTES);
	c->key_id = (uint32_t)sqlite3_column_int64(st, 3);
	sqlite_col_fixed(st, 4, c->public_key, AUDIT_KEY_BYTES);
	sqlite_col_fixed(st, 5, c->signature, AUDIT_SIGNATURE_BYTES);
	c->every = sqlite3_column_int64(st, 6);
}

static int checkpoint_last(struct store *base, struct audit_checkpoint *out, struct ok_error *err)
{
	struct store_sqlite *s = sq(base);
	sqlite3_stmt *st = sqlite_prepared(s, sql_checkpoint_last, err);
	int rc;

	if (!st)
		return err ? err->code : OK_ESTORE;
	rc = sqlite_step_one(s, st, "read the last audit checkpoint", err);
	if (rc)
		return rc;
	read_checkpoint(st, out);
	sqlite3_reset(st);
	return 0;
}

static int checkpoint_list(struct store *base, int64_t after, store_checkpoint_fn fn, void *ctx,
                           struct ok_error *err)
{
	struct store_sqlite *s = sq(base);
	sqlite3_stmt *st = sqlite_prepared(s, sql_checkpoint_list, err);
	struct audit_checkpoint c;
	int rc;

	if (!st)
		return err ? err->code : OK_ESTORE;
	sqlite3_bind_int64(st, 1, after);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		read_checkpoint(st, &c);
		rc = fn(ctx, &c);
		if (rc) {
			sqlite3_reset(st);
			return rc;
		}
	}
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? 0 : sqlite_fail(s, rc, "list audit checkpoints", err);
}

/* Runs an event query whose one parameter is text, calling fn for each row. */
static int list_events(struct store *base, const char *sql, const char *value, store_audit_fn fn,
                       void *ctx, struct ok_error *err)
{
	struct store_sqlite *s = sq(base);
	sqlite3_stmt *st = sqlite_prepared(s, sql, err);

	if (!st)
		return err ? err->code : OK_ESTORE;
	sqlite_bind_text(st, 1, value);
	return sqlite_audit_rows(s, st, fn, ctx, err);
}

static int by_subject(struct store *base, const char *subject, store_audit_fn fn, void *ctx,
                      struct ok_error *err)
{
	return list_events(base, sql_by_subject, subject, fn, ctx, err);
}

static int history(struct store *base, const char *achievement_id, store_version_fn fn, void *ctx,
                   struct ok_error *err)
{
	struct store_sqlite *s = sq(base);
	sqlite3_stmt *st = sqlite_prepared(s, sql_history, err);
	struct store_achievement_version v;
	int rc;

	if (!st)
		return err ? err->code : OK_ESTORE;
	if (strlen(achievement_id) >= sizeof(v.a.id))
		return 0; /* no achievement has an id this long: its history is empty */
	sqlite_bind_text(st, 1, achievement_id);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		memset(&v, 0, sizeof(v));
		memcpy(v.a.id, achievement_id, strlen(achievement_id) + 1); /* checked above */
		v.a.version = sqlite3_column_int(st, 0);
		sqlite_col_text(st, 1, v.a.learner_id, sizeof(v.a.learner_id));
		sqlite_col_text(st, 2, v.a.kind, sizeof(v.a.kind));
		sqlite_col_text(st, 3, v.a.title, sizeof(v.a.title));
		sqlite_col_text(st, 4, v.a.programme_code, sizeof(v.a.programme_code));
		v.a.eqf_level = sqlite3_column_int(st, 5);
		v.a.credits_centi = (long)sqlite3_column_int64(st, 6);
		sqlite_col_text(st, 7, v.a.grade, sizeof(v.a.grade));
		sqlite_col_text(st, 8, v.a.grading_scheme, sizeof(v.a.grading_scheme));
		sqlite_col_text(st, 9, v.a.awarded_on, sizeof(v.a.awarded_on));
		sqlite_col_text(st, 10, v.a.language, sizeof(v.a.language));
		sqlite_col_text(st, 11, v.a.status, sizeof(v.a.status));
		v.changed_ms = sqlite3_column_int64(st, 12);
		sqlite_col_text(st, 13, v.actor, sizeof(v.actor));
		sqlite_col_text(st, 14, v.reason, sizeof(v.reason));
		v.a.status_index = -1;
		rc = fn(ctx, &v);
		if (rc) {
			sqlite3_reset(st);
			return rc;
		}
	}
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? 0 : sqlite_fail(s, rc, "list achievement history", err);
}

const struct store_audit_ops store_sqlite_audit_ops = {
        .checkpoint_add = checkpoint_add,
        .checkpoint_last = checkpoint_last,
        .checkpoint_list = checkpoint_list,
        .by_subject = by_subject,
        .history = history,
};
