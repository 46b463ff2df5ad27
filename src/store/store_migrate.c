/* The copy under `oorkonde store migrate`: every table of the SQLite store streamed into an empty
 * PostgreSQL store with COPY (text format), then counted on both sides (see store_migrate.h). */
#include "store/store_migrate.h"
#include "io/utf8.h"
#include "store/pg_internal.h"
#include "store/sqlite_internal.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/*
 * The tables, parents before the tables whose foreign keys point at them. Both schemas have the
 * same tables and column names (schema_sqlite.h, schema_pg.h, schema_pg_areas.h), with one
 * difference: where SQLite orders rows by rowid (share_view, identity_change), PostgreSQL has an
 * identity column n, which gets the rowid, so that the order survives and the counter can be
 * set past it. The types say how each value crosses: t text, i integer (int64), b bytes (BLOB to
 * BYTEA). Every statement is a string literal made from these names.
 */
struct copy_table {
	const char *name;
	const char *source_cols; /* SQLite: what is selected, in order */
	const char *target_cols; /* PostgreSQL: the columns COPY fills, in the same order */
	const char *types;       /* one letter per column */
	const char *select;      /* on SQLite */
	const char *copy;        /* on PostgreSQL */
	const char *count;       /* on either */
};

#define TABLE(n, cols, types)                                                         \
	{                                                                             \
		n, cols, cols, types, "SELECT " cols " FROM " n,                      \
		        "COPY " n " (" cols ") FROM STDIN", "SELECT count(*) FROM " n \
	}
/* A table whose order SQLite keeps in its rowid and PostgreSQL in an identity column n. */
#define TABLE_ROWID(n, cols, types)                                                      \
	{                                                                                \
		n, "rowid, " cols, "n, " cols, "i" types,                                \
		        "SELECT rowid, " cols " FROM " n " ORDER BY rowid",              \
		        "COPY " n " (n, " cols ") FROM STDIN", "SELECT count(*) FROM " n \
	}

static const struct copy_table tables[] = {
        TABLE("meta", "key, value", "tt"),
        TABLE("institution", "code, name, country, erasmus, schac, created_ms", "ttttti"),
        TABLE("api_key",
              "id, institution, key_hash, permissions, created_ms, revoked_ms, last_used_ms",
              "ttbtiii"),
        TABLE("learner",
              "id, nid_index, digest, national_id, given_names, family_name, birth_date, key_id, "
              "created_ms, updated_ms",
              "tbbbbbbiii"),
        TABLE("achievement",
              "id, learner_id, institution, record_id, kind, title, programme_code, eqf_level, "
              "credits_centi, grade, grading_scheme, awarded_on, language, status, status_index, "
              "digest, version, created_ms, updated_ms, status_list",
              "tttttttiitttttibiiii"),
        TABLE("achievement_history",
              "achievement_id, version, learner_id, kind, title, programme_code, eqf_level, "
              "credits_centi, grade, grading_scheme, awarded_on, language, status, changed_ms, "
              "actor, reason",
              "tittttiitttttitt"),
        TABLE("audit_event", "seq, at_ms, actor, action, subject, purpose, detail, prev_hash, hash",
              "iitttttbb"),
        TABLE("audit_checkpoint", "seq, at_ms, head, key_id, public_key, signature, every",
              "iibibbi"),
        TABLE("trusted_issuer", "did, name, country, source, status, since_ms", "ttttti"),
        TABLE("status_list", "n, size, used, revocation_version, suspension_version", "iiiii"),
        TABLE("status_list_credential", "purpose, n, version, etag, body, signed_ms", "tiitbi"),
        TABLE("key_read", "key_id, learner_id, at_ms", "tti"),
        TABLE("key_block", "key_id, institution, blocked_ms, learners, window_s", "ttiii"),
        TABLE("read_limit", "institution, learners, window_s", "tii"),
        TABLE("foreign_achievement",
              "id, learner_id, issuer_did, credential_key, depository, country, institution, "
              "institution_country, kind, title, awarded_on, credits_centi, grade, format, "
              "status, imported_by, imported_ms, checked_ms, key_id, credential",
              "tttttttttttittttiiib"),
        TABLE("key_rotation",
              "to_key, from_key, phase, cursor, done, total, started_ms, finished_ms", "iiitiiii"),
        TABLE("issuer_key", "key_id, public_key, added_ms, superseded_ms, retired_ms", "ibiii"),
        TABLE("login_link", "token_hash, learner_id, created_by, created_ms, expires_ms, used_ms",
              "bttiii"),
        TABLE("session", "id, token_hash, learner_id, created_ms, last_seen_ms, provider",
              "tbtiit"),
        TABLE("oidc_flow",
              "state_hash, provider, nonce_hash, verifier_hash, created_ms, expires_ms", "btbbii"),
        TABLE("share",
              "id, token_hash, learner_id, recipient, achievements, created_ms, expires_ms, "
              "revoked_ms, uses, last_used_ms",
              "tbtttiiiii"),
        TABLE_ROWID("share_view", "share_id, at_ms", "ti"),
        TABLE_ROWID("identity_change",
                    "id, learner_id, actor, purpose, fields, at_ms, key_id, sealed", "tttttiib"),
        TABLE("ratelimit_count", "scope, client, minute, count", "tbii"),
        TABLE("vc_status",
              "id, institution, key_id, status_list, status_index, status, created_ms, "
              "updated_ms",
              "tttiitii"),
        TABLE("emrex_ncp", "acronym, url, country, institutions, cert, accept_sha1, imported_ms",
              "tttttii"),
        TABLE("legal_hold",
              "id, scope, target, reason, created_by, created_ms, released_by, released_ms",
              "tttttiti"),
        TABLE("retention_run",
              "id, actor, started_ms, finished_ms, now_ms, schedule, counts, audit_from, audit_to, "
              "certificate",
              "ttiiittiit"),
        TABLE("emrex_session",
              "id, token_hash, role, learner_id, binding, peer_session, url, ncp, created_ms, "
              "expires_ms, used_ms",
              "tbttbtttiii"),
        TABLE("vci_offer",
              "id, offer_hash, code_hash, pin_hash, learner_id, achievements, vct, created_by, "
              "pin_tries, created_ms, expires_ms, redeemed_ms",
              "tbbbttttiiii"),
        TABLE("vci_token", "token_hash, offer_id, jkt, created_ms, expires_ms", "bttii"),
        TABLE("vci_once", "hash, expires_ms", "bi"),
        TABLE("vp_request",
              "id, view_hash, nonce, state, spec, created_ms, expires_ms, answered_ms, "
              "keep_until_ms, verified, key_id, enc_key, result, signin_from, signin_net",
              "tbtttiiiiiibbtt"),
        TABLE("issued_credential", "credential_id, achievement_id, issued_ms", "tti"),
};

#define NTABLES (sizeof(tables) / sizeof(tables[0]))

/* The identity counters of the tables above that have one, set past the copied rows (or back
 * to their start when none was copied). */
static const char *const fix_counters[] = {
        "SELECT setval(pg_get_serial_sequence('share_view', 'n'),"
        " coalesce((SELECT max(n) FROM share_view), 1), (SELECT count(*) FROM share_view) > 0)",
        "SELECT setval(pg_get_serial_sequence('identity_change', 'n'),"
        " coalesce((SELECT max(n) FROM identity_change), 1),"
        " (SELECT count(*) FROM identity_change) > 0)",
};

#define COPY_FLUSH_BYTES ((size_t)64 << 10)
#define COPY_ROW_MAX     ((size_t)256 << 20) /* one row's bytes as COPY text, at most */
#define PROGRESS_EVERY   10000

struct migrate {
	struct store_sqlite *from;
	struct pg_store *to;
	store_migrate_progress_fn fn;
	void *ctx;
	int64_t source_rows[NTABLES];
	int64_t done, total;
};

/* ---- the program's list against the two databases ---- */

/* Whether name is one of the comma-separated names of list ("a, b, c"). */
static bool list_has(const char *list, const char *name)
{
	size_t n = strlen(name);

	while (*list) {
		size_t w = strcspn(list, ",");
		if (w == n && strncmp(list, name, n) == 0)
			return true;
		list += w;
		list += strspn(list, ", ");
	}
	return false;
}

static size_t list_len(const char *list)
{
	size_t n = 1;

	for (; *list; list++)
		n += *list == ',';
	return n;
}

static const struct copy_table *table_named(const char *name)
{
	size_t i;

	for (i = 0; i < NTABLES; i++)
		if (strcmp(tables[i].name, name) == 0)
			return &tables[i];
	return NULL;
}

/* Every table of the SQLite database is in the list, and has exactly the listed columns. */
static int check_sqlite_schema(struct store_sqlite *s, struct ok_error *err)
{
	static const char list_tables[] =
	        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'";
	static const char list_cols[] = "SELECT name FROM pragma_table_info(?1)";
	sqlite3_stmt *st = NULL;
	const char *name;
	size_t i, ncols;
	int rc, step;

	if ((rc = sqlite3_prepare_v2(s->db, list_tables, -1, &st, NULL)) != SQLITE_OK)
		return sqlite_fail(s, rc, "read the SQLite schema", err);
	while ((step = sqlite3_step(st)) == SQLITE_ROW) {
		name = (const char *)sqlite3_column_text(st, 0);
		if (name && !table_named(name)) {
			rc = ok_fail(err, OK_EUNSUPPORTED,
			             "the SQLite database has a table \"%s\" that store migrate "
			             "does not know; nothing was copied",
			             name);
			goto out;
		}
	}
	if (step != SQLITE_DONE) {
		rc = sqlite_fail(s, step, "read the SQLite schema", err);
		goto out;
	}
	sqlite3_finalize(st);
	st = NULL;
	if ((rc = sqlite3_prepare_v2(s->db, list_cols, -1, &st, NULL)) != SQLITE_OK)
		return sqlite_fail(s, rc, "read the SQLite schema", err);
	rc = 0;
	for (i = 0; !rc && i < NTABLES; i++) {
		const struct copy_table *t = &tables[i];
		ncols = 0;
		sqlite3_reset(st);
		sqlite3_bind_text(st, 1, t->name, -1, SQLITE_STATIC);
		while ((step = sqlite3_step(st)) == SQLITE_ROW) {
			name = (const char *)sqlite3_column_text(st, 0);
			ncols++;
			if (!name || !list_has(t->source_cols, name)) {
				rc = ok_fail(err, OK_EUNSUPPORTED,
				             "the SQLite table %s has a column \"%s\" that store "
				             "migrate does not know; nothing was copied",
				             t->name, name ? name : "");
				break;
			}
		}
		if (!rc && step != SQLITE_DONE)
			rc = sqlite_fail(s, step, "read the SQLite schema", err);
		/* rowid is selected, not a column */
		if (!rc &&
		    ncols + (strncmp(t->source_cols, "rowid,", 6) == 0) != list_len(t->source_cols))
			rc = ok_fail(err, OK_EUNSUPPORTED,
			             "the SQLite table %s does not have the columns store migrate "
			             "expects (schema version?); nothing was copied",
			             t->name);
	}
out:
	sqlite3_finalize(st);
	return rc;
}

/* src for a message, printable ASCII only and cut to fit (dst of cap > 1 bytes): a column name
 * comes from the target database, whose owner may not be us, and must carry no terminal escape
 * into a terminal or log. */
static void printable(char *dst, size_t cap, const char *src)
{
	size_t n = 0;

	for (; src && *src && n + 1 < cap; src++)
		dst[n++] = (*src >= 0x20 && *src < 0x7f) ? *src : '?';
	dst[n] = '\0';
}

/* Each listed table exists in the target's schema with exactly the listed columns. */
static int check_pg_schema(struct pg_store *s, struct ok_error *err)
{
	static const char list_cols[] =
	        "SELECT column_name FROM information_schema.columns"
	        " WHERE table_schema = current_schema() AND table_name = $1";
	PGresult *r;
	char col[64];
	size_t i;
	int row, rc = 0;

	for (i = 0; !rc && i < NTABLES; i++) {
		const struct copy_table *t = &tables[i];
		const char *param = t->name;
		r = PQexecParams(s->conn, list_cols, 1, NULL, &param, NULL, NULL, 0);
		if (!r)
			return ok_fail(err, OK_ENOMEM, "read the PostgreSQL schema: out of memory");
		if (PQresultStatus(r) != PGRES_TUPLES_OK) {
			rc = pg_fail(s, r, "read the PostgreSQL schema", err);
			PQclear(r);
			break;
		}
		for (row = 0; !rc && row < PQntuples(r); row++) {
			if (list_has(t->target_cols, PQgetvalue(r, row, 0)))
				continue;
			printable(col, sizeof(col), PQgetvalue(r, row, 0));
			rc = ok_fail(
			        err, OK_EUNSUPPORTED,
			        "the PostgreSQL table %s has a column \"%s\" that store migrate "
			        "does not know; nothing was copied",
			        t->name, col);
		}
		if (!rc && (size_t)PQntuples(r) != list_len(t->target_cols))
			rc = ok_fail(err, OK_EUNSUPPORTED,
			             "the PostgreSQL table %s does not have the columns store "
			             "migrate expects; nothing was copied",
			             t->name);
		PQclear(r);
	}
	return rc;
}

/* The types string has one letter per column on both sides (a check of the list itself). */
static int check_list(struct ok_error *err)
{
	size_t i;

	for (i = 0; i < NTABLES; i++)
		if (list_len(tables[i].source_cols) != strlen(tables[i].types) ||
		    list_len(tables[i].target_cols) != strlen(tables[i].types))
			return ok_fail(err, OK_EINTERNAL, "store migrate: the column list of %s",
			               tables[i].name);
	return 0;
}

/* ---- counting ---- */

static int count_sqlite(struct store_sqlite *s, const struct copy_table *t, int64_t *out,
                        struct ok_error *err)
{
	sqlite3_stmt *st = NULL;
	int rc;

	if ((rc = sqlite3_prepare_v2(s->db, t->count, -1, &st, NULL)) != SQLITE_OK)
		return sqlite_fail(s, rc, "count the source's rows", err);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*out = sqlite3_column_int64(st, 0);
		rc = 0;
	} else {
		rc = sqlite_fail(s, rc, "count the source's rows", err);
	}
	sqlite3_finalize(st);
	return rc;
}

static int count_pg(struct pg_store *s, const struct copy_table *t, int64_t *out,
                    struct ok_error *err)
{
	PGresult *r = PQexec(s->conn, t->count);
	int rc = 0;

	if (!r)
		return ok_fail(err, OK_ENOMEM, "count the target's rows: out of memory");
	if (PQresultStatus(r) != PGRES_TUPLES_OK || PQntuples(r) != 1)
		rc = pg_fail(s, r, "count the target's rows", err);
	else
		*out = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
	PQclear(r);
	return rc;
}

/* OK_EEXIST naming the tables of the target that hold rows: the copy goes only into an empty
 * database (a second depository's records would mix with the first's). */
static int check_target_empty(struct pg_store *s, struct ok_error *err)
{
	char found[400] = "";
	size_t used = 0, i;
	int64_t n;
	int rc;

	for (i = 0; i < NTABLES; i++) {
		if ((rc = count_pg(s, &tables[i], &n, err)))
			return rc;
		if (n > 0 && used < sizeof(found)) {
			int w = snprintf(found + used, sizeof(found) - used,
			                 "%s%s (%" PRId64 " rows)", used ? ", " : "",
			                 tables[i].name, n);
			used += w > 0 ? (size_t)w : 0;
		}
	}
	if (used)
		return ok_fail(err, OK_EEXIST,
		               "the target database already holds oorkonde data: %s; store migrate "
		               "needs a new, empty database",
		               found);
	return 0;
}

/* ---- copying ---- */

static int add_hex(struct buf *b, const unsigned char *p, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	size_t i;
	int rc;

	/* COPY's text format doubles the backslash of bytea's \x form. */
	if ((rc = buf_grow(b, 3 + 2 * n)) || (rc = buf_add(b, "\\\\x", 3)))
		return rc;
	for (i = 0; i < n; i++) {
		b->data[b->len++] = hex[p[i] >> 4];
		b->data[b->len++] = hex[p[i] & 15];
	}
	b->data[b->len] = '\0';
	return 0;
}

/* Text with COPY's escapes for backslash, tab, newline and carriage return. */
static int add_text(struct buf *b, const unsigned char *p, size_t n)
{
	size_t i, start = 0;
	int rc = 0;

	for (i = 0; !rc && i < n; i++) {
		const char *esc = p[i] == '\\'   ? "\\\\"
		                  : p[i] == '\t' ? "\\t"
		                  : p[i] == '\n' ? "\\n"
		                  : p[i] == '\r' ? "\\r"
		                                 : NULL;
		if (!esc)
			continue;
		if (!(rc = buf_add(b, p + start, i - start)))
			rc = buf_add(b, esc, 2);
		start = i + 1;
	}
	return rc ? rc : buf_add(b, p + start, n - start);
}

/* The name of the selected column col (our own list's, so printable). */
static const char *column_name(sqlite3_stmt *st, int col)
{
	const char *name = sqlite3_column_name(st, col);

	return name ? name : "?";
}

/* One value of column col as COPY text; a value whose SQLite type is not the column's is
 * refused (naming table, column and row number, never the value). */
static int add_value(struct buf *b, sqlite3_stmt *st, int col, char type,
                     const struct copy_table *t, int64_t row, struct ok_error *err)
{
	int have = sqlite3_column_type(st, col);
	const unsigned char *p;
	size_t n;

	if (have == SQLITE_NULL)
		return buf_add(b, "\\N", 2);
	if (type == 'i' && have == SQLITE_INTEGER)
		return buf_addf(b, "%lld", (long long)sqlite3_column_int64(st, col));
	if (type == 'b' && have == SQLITE_BLOB) {
		p = sqlite3_column_blob(st, col);
		n = (size_t)sqlite3_column_bytes(st, col);
		return add_hex(b, p, n);
	}
	if (type == 't' && have == SQLITE_TEXT) {
		p = sqlite3_column_text(st, col);
		n = (size_t)sqlite3_column_bytes(st, col);
		/* PostgreSQL text holds no NUL byte; SQLite's can. */
		if (p && memchr(p, '\0', n))
			return ok_fail(err, OK_EINPUT,
			               "%s row %" PRId64 " column %s: text with a NUL byte cannot "
			               "move to PostgreSQL",
			               t->name, row, column_name(st, col));
		/* PostgreSQL refuses it too, but naming neither table nor row; SQLite takes any
		 * bytes as text (a row written by hand). */
		if (p && !utf8_valid((const char *)p, n))
			return ok_fail(err, OK_EINPUT,
			               "%s row %" PRId64
			               " column %s: text that is not UTF-8 cannot "
			               "move to PostgreSQL",
			               t->name, row, column_name(st, col));
		return add_text(b, p, n);
	}
	return ok_fail(err, OK_EINPUT,
	               "%s row %" PRId64 " column %s: the value is not of the column's type (%s)",
	               t->name, row, column_name(st, col),
	               type == 'i'   ? "integer"
	               : type == 'b' ? "bytes"
	                             : "text");
}

static int put(struct pg_store *s, struct buf *b, struct ok_error *err)
{
	if (b->len && PQputCopyData(s->conn, b->data, (int)b->len) != 1)
		return pg_fail(s, NULL, "copy rows to PostgreSQL", err);
	buf_reset(b);
	return 0;
}

/* Ends a COPY: with failed set, aborts it; reads the result and the rows it took. */
static int end_copy(struct pg_store *s, bool failed, int64_t *copied, struct ok_error *err)
{
	PGresult *r;
	int rc = 0;

	if (PQputCopyEnd(s->conn, failed ? "store migrate stopped" : NULL) != 1 && !failed)
		rc = pg_fail(s, NULL, "finish copying rows to PostgreSQL", err);
	while ((r = PQgetResult(s->conn)) != NULL) {
		if (!failed && !rc && PQresultStatus(r) != PGRES_COMMAND_OK)
			rc = pg_fail(s, r, "copy rows to PostgreSQL", err);
		else if (!failed && !rc)
			*copied = strtoll(PQcmdTuples(r), NULL, 10);
		PQclear(r);
		/* A COPY left in progress by a lost connection gives no end of results. */
		if (PQstatus(s->conn) == CONNECTION_BAD)
			break;
	}
	return rc;
}

static int copy_table(struct migrate *m, size_t ti, int64_t *copied, struct ok_error *err)
{
	const struct copy_table *t = &tables[ti];
	int ncols = (int)strlen(t->types), col, rc, step;
	sqlite3_stmt *st = NULL;
	int64_t rows = 0;
	PGresult *r;
	struct buf b;

	buf_init(&b, COPY_ROW_MAX + COPY_FLUSH_BYTES);
	if ((rc = sqlite3_prepare_v2(m->from->db, t->select, -1, &st, NULL)) != SQLITE_OK) {
		rc = sqlite_fail(m->from, rc, "read the source", err);
		goto out;
	}
	r = PQexec(m->to->conn, t->copy);
	if (!r || PQresultStatus(r) != PGRES_COPY_IN) {
		rc = r ? pg_fail(m->to, r, "start copying to PostgreSQL", err)
		       : ok_fail(err, OK_ENOMEM, "start copying to PostgreSQL: out of memory");
		PQclear(r);
		goto out;
	}
	PQclear(r);
	rc = 0;
	if (m->fn)
		m->fn(m->ctx, t->name, 0, m->done, m->total);
	while (!rc && (step = sqlite3_step(st)) == SQLITE_ROW) {
		rows++;
		for (col = 0; !rc && col < ncols; col++) {
			if (col)
				rc = buf_addch(&b, '\t');
			if (!rc)
				rc = add_value(&b, st, col, t->types[col], t, rows, err);
		}
		if (!rc)
			rc = buf_addch(&b, '\n');
		if (rc == OK_ETOOBIG || rc == OK_ENOMEM)
			rc = ok_fail(err, rc, "%s row %" PRId64 ": %s", t->name, rows,
			             rc == OK_ETOOBIG ? "too large to copy" : "out of memory");
		if (!rc && b.len >= COPY_FLUSH_BYTES)
			rc = put(m->to, &b, err);
		if (!rc && rows % PROGRESS_EVERY == 0 && m->fn)
			m->fn(m->ctx, t->name, rows, m->done + rows, m->total);
	}
	if (!rc && step != SQLITE_DONE)
		rc = sqlite_fail(m->from, step, "read the source", err);
	if (!rc)
		rc = put(m->to, &b, err);
	if (rc)
		(void)end_copy(m->to, true, copied, NULL);
	else
		rc = end_copy(m->to, false, copied, err);
	if (!rc && *copied != rows)
		rc = ok_fail(err, OK_ESTORE, "%s: read %" PRId64 " rows, PostgreSQL took %" PRId64,
		             t->name, rows, *copied);
	if (!rc) {
		m->done += rows;
		if (m->fn)
			m->fn(m->ctx, t->name, rows, m->done, m->total);
	}
out:
	sqlite3_finalize(st);
	buf_release(&b);
	return rc;
}

static int run_fix_counters(struct pg_store *s, struct ok_error *err)
{
	size_t i;
	int rc = 0;

	for (i = 0; !rc && i < sizeof(fix_counters) / sizeof(fix_counters[0]); i++) {
		PGresult *r = PQexec(s->conn, fix_counters[i]);
		if (!r)
			return ok_fail(err, OK_ENOMEM, "set the identity counters: out of memory");
		if (PQresultStatus(r) != PGRES_TUPLES_OK)
			rc = pg_fail(s, r, "set the identity counters", err);
		PQclear(r);
	}
	return rc;
}

int store_migrate_copy(struct store *from, struct store *to, store_migrate_progress_fn fn,
                       void *ctx, struct store_migrate_report *out, struct ok_error *err)
{
	struct migrate m;
	int64_t copied, counted;
	size_t i;
	int rc;

	memset(out, 0, sizeof(*out));
	memset(&m, 0, sizeof(m));
	if (strcmp(from->ops->name, "sqlite") != 0 || strcmp(to->ops->name, "postgresql") != 0)
		return ok_fail(err, OK_EUNSUPPORTED,
		               "store migrate moves an SQLite store into a PostgreSQL one");
	if (!store_in_transaction(from) || !store_in_transaction(to))
		return ok_fail(err, OK_EINTERNAL, "store migrate: both transactions must be open");
	if (NTABLES > STORE_MIGRATE_TABLES_MAX)
		return ok_fail(err, OK_EINTERNAL, "store migrate: too many tables");
	m.from = sq(from);
	m.to = pgs(to);
	m.fn = fn;
	m.ctx = ctx;
	if ((rc = check_list(err)) || (rc = check_sqlite_schema(m.from, err)) ||
	    (rc = check_pg_schema(m.to, err)) || (rc = check_target_empty(m.to, err)))
		return rc;
	for (i = 0; i < NTABLES; i++) {
		if ((rc = count_sqlite(m.from, &tables[i], &m.source_rows[i], err)))
			return rc;
		m.total += m.source_rows[i];
	}
	for (i = 0; i < NTABLES; i++) {
		copied = 0;
		if ((rc = copy_table(&m, i, &copied, err)))
			return rc;
	}
	if ((rc = run_fix_counters(m.to, err)))
		return rc;
	/* Counted again on both sides, inside both transactions: what the target will commit is
	 * what the source holds. */
	for (i = 0; i < NTABLES; i++) {
		if ((rc = count_pg(m.to, &tables[i], &counted, err)))
			return rc;
		if (counted != m.source_rows[i])
			return ok_fail(err, OK_ESTORE,
			               "%s: %" PRId64 " rows in SQLite but %" PRId64
			               " in PostgreSQL after the copy",
			               tables[i].name, m.source_rows[i], counted);
		out->tables[i].name = tables[i].name;
		out->tables[i].rows = counted;
		out->rows += counted;
	}
	out->ntables = NTABLES;
	return 0;
}

int store_migrate_clear(struct store *to, struct ok_error *err)
{
	static const char truncate_all[] =
	        "TRUNCATE meta, institution, api_key, learner, achievement, achievement_history,"
	        " audit_event, audit_checkpoint, trusted_issuer, status_list,"
	        " status_list_credential, key_read, key_block, read_limit, foreign_achievement,"
	        " key_rotation, issuer_key, login_link, session, share, share_view,"
	        " identity_change, ratelimit_count, vc_status, emrex_ncp, legal_hold, "
	        "retention_run,"
	        " emrex_session,"
	        " vci_offer, vci_token, vci_once,"
	        " vp_request, issued_credential, oidc_flow"
	        " RESTART IDENTITY";
	PGresult *r;
	int rc;

	if (strcmp(to->ops->name, "postgresql") != 0)
		return ok_fail(err, OK_EUNSUPPORTED, "store migrate clears only PostgreSQL");
	if ((rc = store_begin(to, err)))
		return rc;
	r = PQexec(pgs(to)->conn, truncate_all);
	if (!r)
		rc = ok_fail(err, OK_ENOMEM, "empty the target: out of memory");
	else if (PQresultStatus(r) != PGRES_COMMAND_OK)
		rc = pg_fail(pgs(to), r, "empty the target", err);
	PQclear(r);
	if (!rc)
		rc = store_commit(to, err);
	if (rc)
		store_rollback(to);
	return rc;
}

int store_migrate_mark(struct store *from, const char *at, struct ok_error *err)
{
	int rc;

	if (strcmp(from->ops->name, "sqlite") != 0 || !store_in_transaction(from))
		return ok_fail(err, OK_EINTERNAL, "store migrate: marks only an SQLite store");
	if ((rc = store_meta_set(from, "moved_to", "postgresql", err)))
		return rc;
	return store_meta_set(from, STORE_MOVED_META, at, err);
}

int store_migrate_unmark(struct store *from, struct ok_error *err)
{
	static const char unmark[] =
	        "BEGIN IMMEDIATE;"
	        "DELETE FROM meta WHERE key IN ('moved_to', '" STORE_MOVED_META "');"
	        "COMMIT";
	struct store_sqlite *s;
	int rc;

	if (strcmp(from->ops->name, "sqlite") != 0 || store_in_transaction(from))
		return ok_fail(err, OK_EINTERNAL, "store migrate: unmarks only an SQLite store");
	s = sq(from);
	/* Not through store_begin, which refuses a moved store. */
	if ((rc = sqlite3_exec(s->db, unmark, NULL, NULL, NULL)) != SQLITE_OK) {
		rc = sqlite_fail(s, rc, "take the move's marker out of oorkonde.db", err);
		sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
	}
	return rc;
}
