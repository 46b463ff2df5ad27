/* The SQLite store's one way to run a statement: prepared on first use and cached on the
 * connection by its id, records bound and read through their column tables (sqlite_internal.h). */
#include "store/sqlite_internal.h"

#include <stdbool.h>
#include <string.h>

int sqlite_fail(struct store_sqlite *s, int rc, const char *what, struct ok_error *err)
{
	int code;

	switch (rc & 0xff) {
	case SQLITE_FULL:
		return ok_fail(err, OK_EDISKFULL, "%s: disk full", what);
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		return ok_fail(err, OK_EBUSY, "%s: the database is busy", what);
	case SQLITE_READONLY:
		return ok_fail(err, OK_EIO, "%s: the database is read-only", what);
	case SQLITE_CONSTRAINT:
		code = (rc == SQLITE_CONSTRAINT_UNIQUE || rc == SQLITE_CONSTRAINT_PRIMARYKEY)
		               ? OK_EEXIST
		               : OK_ESTORE;
		return ok_fail(err, code, "%s: %s", what, sqlite3_errmsg(s->db));
	case SQLITE_NOTADB:
	case SQLITE_CORRUPT:
		return ok_fail(err, OK_ESTORE, "%s: the database file is damaged or not a database",
		               what);
	default:
		return ok_fail(err, OK_ESTORE, "%s: %s", what, sqlite3_errmsg(s->db));
	}
}

/* The name a column table gives a column: the member's name after its last dot. */
static const char *col_name(const struct sqlite_col *c)
{
	const char *dot = strrchr(c->name, '.');

	return dot ? dot + 1 : c->name;
}

/* A query whose result columns are not those of its row table is a programming error, found
 * the first time it runs (every query runs in the unit tests). */
static int check_columns(sqlite3_stmt *st, const struct sqlite_query *q, struct ok_error *err)
{
	const char *name;
	int i, n = sqlite3_column_count(st);

	if (q->row && (size_t)n != q->row->n)
		return ok_fail(err, OK_EINTERNAL, "%s: the query returns %d columns, its table %zu",
		               q->what, n, q->row->n);
	for (i = 0; q->row && i < n; i++) {
		name = sqlite3_column_name(st, i);
		if (!name || strcmp(name, col_name(&q->row->col[i])) != 0)
			return ok_fail(err, OK_EINTERNAL, "%s: column %d is %s, its table says %s",
			               q->what, i + 1, name ? name : "?",
			               col_name(&q->row->col[i]));
	}
	if (q->params && (size_t)sqlite3_bind_parameter_count(st) < q->params->n)
		return ok_fail(err, OK_EINTERNAL,
		               "%s: fewer parameters than its record has columns", q->what);
	return 0;
}

/* The cached statement of q, prepared on first use, reset for its next run (its bindings are
 * all replaced by start()). */
static int prepared(struct store_sqlite *s, const struct sqlite_query *q, sqlite3_stmt **out,
                    struct ok_error *err)
{
	sqlite3_stmt *st = s->stmt[q->id].st;
	int rc;

	*out = NULL;
	if (st) {
		if (s->stmt[q->id].q != q)
			return ok_fail(err, OK_EINTERNAL, "%s: statement id %d is taken", q->what,
			               (int)q->id);
		sqlite3_reset(st);
		*out = st;
		return 0;
	}
	rc = sqlite3_prepare_v3(s->db, q->sql, -1, SQLITE_PREPARE_PERSISTENT, &st, NULL);
	if (rc != SQLITE_OK)
		return sqlite_fail(s, rc, "prepare statement", err);
	if ((rc = check_columns(st, q, err))) {
		sqlite3_finalize(st);
		return rc;
	}
	s->stmt[q->id].st = st;
	s->stmt[q->id].q = q;
	*out = st;
	return 0;
}

/* Bytes bound without a copy: they outlive the statement's step. Empty bytes are an empty
 * value, not NULL. */
static int bind_bytes(sqlite3_stmt *st, int i, const void *v, size_t n)
{
	return sqlite3_bind_blob(st, i, n ? v : "", (int)n, SQLITE_STATIC);
}

static int bind_int(sqlite3_stmt *st, int i, const void *p, size_t size, bool is_signed)
{
	int32_t i32;
	uint32_t u32;
	int64_t i64;

	if (size == sizeof(int32_t) && is_signed) {
		memcpy(&i32, p, sizeof(i32));
		return sqlite3_bind_int64(st, i, i32);
	}
	if (size == sizeof(uint32_t)) {
		memcpy(&u32, p, sizeof(u32));
		return sqlite3_bind_int64(st, i, u32);
	}
	memcpy(&i64, p, sizeof(i64));
	return sqlite3_bind_int64(st, i, i64);
}

static int bind_col(sqlite3_stmt *st, int i, const struct sqlite_col *c, const char *rec)
{
	const char *p = rec + c->offset;
	const struct buf *b;

	switch (c->kind) {
	case SQ_TEXT:
		return sqlite3_bind_text(st, i, p, -1, SQLITE_STATIC);
	case SQ_INT:
		return bind_int(st, i, p, c->size, true);
	case SQ_UINT:
		return bind_int(st, i, p, c->size, false);
	case SQ_BOOL:
		return sqlite3_bind_int(st, i, *(const bool *)(const void *)p ? 1 : 0);
	case SQ_BLOB:
		return bind_bytes(st, i, p, c->size);
	case SQ_BUF:
		b = (const struct buf *)(const void *)p;
		return bind_bytes(st, i, b->data, b->len);
	case SQ_BUF_REF:
		memcpy(&b, p, sizeof(b));
		return bind_bytes(st, i, b->data, b->len);
	}
	return SQLITE_MISUSE;
}

static int bind_arg(sqlite3_stmt *st, int i, const struct sqlite_arg *a)
{
	switch (a->kind) {
	case SQ_TEXT:
		return sqlite3_bind_text(st, i, a->p, -1, SQLITE_STATIC);
	case SQ_INT:
		return sqlite3_bind_int64(st, i, a->i);
	case SQ_BLOB:
		return bind_bytes(st, i, a->p, a->n);
	default:
		return SQLITE_MISUSE;
	}
}

/* Prepares q and binds rec and then args. Every parameter is bound at every run (checked), so
 * no value of an earlier run is left bound and the bindings need no clearing. */
static int start(struct store_sqlite *s, const struct sqlite_query *q, const void *rec,
                 const struct sqlite_arg *args, size_t nargs, sqlite3_stmt **out,
                 struct ok_error *err)
{
	sqlite3_stmt *st;
	size_t i, n = 0;
	int rc;

	if ((rc = prepared(s, q, &st, err)))
		return rc;
	if (q->params && rec) {
		for (n = 0; n < q->params->n; n++) {
			rc = bind_col(st, (int)n + 1, &q->params->col[n], rec);
			if (rc != SQLITE_OK)
				return sqlite_fail(s, rc, q->what, err);
		}
	}
	for (i = 0; i < nargs; i++) {
		rc = bind_arg(st, (int)(n + i) + 1, &args[i]);
		if (rc != SQLITE_OK)
			return sqlite_fail(s, rc, q->what, err);
	}
	if (n + nargs != (size_t)sqlite3_bind_parameter_count(st))
		return ok_fail(err, OK_EINTERNAL, "%s: %zu of its %d parameters bound", q->what,
		               n + nargs, sqlite3_bind_parameter_count(st));
	*out = st;
	return 0;
}

/* Reads the current row into rec: 0, or OK_ETOOBIG / OK_ENOMEM when a buffer cannot hold its
 * column. */
static int read_row(sqlite3_stmt *st, const struct sqlite_cols *t, void *rec)
{
	const struct sqlite_col *c;
	const unsigned char *v;
	struct buf *b;
	char *p;
	size_t i, n;
	int64_t i64;
	int32_t i32;
	uint32_t u32;
	int rc;

	for (i = 0; i < t->n; i++) {
		c = &t->col[i];
		p = (char *)rec + c->offset;
		switch (c->kind) {
		case SQ_TEXT:
			v = sqlite3_column_text(st, (int)i);
			n = v ? (size_t)sqlite3_column_bytes(st, (int)i) : 0;
			if (n >= c->size)
				n = c->size - 1;
			if (n)
				memcpy(p, v, n);
			p[n] = '\0';
			break;
		case SQ_INT:
		case SQ_UINT:
			i64 = sqlite3_column_int64(st, (int)i);
			if (c->size == sizeof(int64_t)) {
				memcpy(p, &i64, sizeof(i64));
			} else if (c->kind == SQ_INT) {
				i32 = (int32_t)i64;
				memcpy(p, &i32, sizeof(i32));
			} else {
				u32 = (uint32_t)i64;
				memcpy(p, &u32, sizeof(u32));
			}
			break;
		case SQ_BOOL:
			*(bool *)(void *)p = sqlite3_column_int64(st, (int)i) != 0;
			break;
		case SQ_BLOB:
			v = sqlite3_column_blob(st, (int)i);
			n = (size_t)sqlite3_column_bytes(st, (int)i);
			memset(p, 0, c->size);
			if (v)
				memcpy(p, v, n < c->size ? n : c->size);
			break;
		case SQ_BUF:
		case SQ_BUF_REF:
			if (c->kind == SQ_BUF)
				b = (struct buf *)(void *)p;
			else
				memcpy(&b, p, sizeof(b));
			v = sqlite3_column_blob(st, (int)i);
			buf_reset(b);
			if ((rc = buf_add(b, v, (size_t)sqlite3_column_bytes(st, (int)i))))
				return rc;
			break;
		}
	}
	return 0;
}

int sqlite_exec(struct store_sqlite *s, const struct sqlite_query *q, const void *rec,
                const struct sqlite_arg *args, size_t nargs, struct ok_error *err)
{
	sqlite3_stmt *st;
	int rc;

	if ((rc = start(s, q, rec, args, nargs, &st, err)))
		return rc;
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? 0 : sqlite_fail(s, rc, q->what, err);
}

int sqlite_query(struct store_sqlite *s, const struct sqlite_query *q,
                 const struct sqlite_arg *args, size_t nargs, struct ok_error *err)
{
	sqlite3_stmt *st;

	return start(s, q, NULL, args, nargs, &st, err);
}

int sqlite_next(struct store_sqlite *s, const struct sqlite_query *q, void *out,
                struct ok_error *err)
{
	sqlite3_stmt *st = s->stmt[q->id].st;
	int rc = sqlite3_step(st);

	if (rc == SQLITE_ROW) {
		if ((rc = read_row(st, q->row, out)) == 0)
			return 1;
		sqlite3_reset(st);
		return ok_fail(err, rc, "%s: %s", q->what, ok_strerror(rc));
	}
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? 0 : sqlite_fail(s, rc, q->what, err);
}

int sqlite_end(struct store_sqlite *s, const struct sqlite_query *q, int rc)
{
	if (s->stmt[q->id].q == q)
		sqlite3_reset(s->stmt[q->id].st);
	return rc;
}

int sqlite_get(struct store_sqlite *s, const struct sqlite_query *q, const struct sqlite_arg *args,
               size_t nargs, void *out, struct ok_error *err)
{
	int rc = sqlite_query(s, q, args, nargs, err);

	if (!rc)
		rc = sqlite_next(s, q, out, err);
	if (rc == 0)
		return OK_ENOTFOUND;
	return sqlite_end(s, q, rc < 0 ? rc : 0);
}

static const struct sqlite_col count_col[] = {SQLITE_COL(struct sqlite_count_row, n, SQ_INT)};
const struct sqlite_cols sqlite_count_cols = SQLITE_COLS(count_col);

static const struct sqlite_col id_col[] = {SQLITE_COL(struct sqlite_id_row, id, SQ_TEXT)};
const struct sqlite_cols sqlite_id_cols = SQLITE_COLS(id_col);

int sqlite_count(struct store_sqlite *s, const struct sqlite_query *q,
                 const struct sqlite_arg *args, size_t nargs, int64_t *out, struct ok_error *err)
{
	struct sqlite_count_row r = {0};
	int rc = sqlite_get(s, q, args, nargs, &r, err);

	*out = r.n;
	return rc == OK_ENOTFOUND ? 0 : rc; /* an aggregate has a row; none would be zero */
}

static const struct sqlite_col event_col[] = {
        SQLITE_COL(struct audit_event, seq, SQ_INT),
        SQLITE_COL(struct audit_event, at_ms, SQ_INT),
        SQLITE_COL(struct audit_event, actor, SQ_TEXT),
        SQLITE_COL(struct audit_event, action, SQ_TEXT),
        SQLITE_COL(struct audit_event, subject, SQ_TEXT),
        SQLITE_COL(struct audit_event, purpose, SQ_TEXT),
        SQLITE_COL(struct audit_event, detail, SQ_TEXT),
        SQLITE_COL(struct audit_event, prev_hash, SQ_BLOB),
        SQLITE_COL(struct audit_event, hash, SQ_BLOB),
};
const struct sqlite_cols sqlite_event_cols = SQLITE_COLS(event_col);

int sqlite_audit_rows(struct store_sqlite *s, const struct sqlite_query *q,
                      const struct sqlite_arg *args, size_t nargs, store_audit_fn fn, void *ctx,
                      struct ok_error *err)
{
	struct audit_event e;
	int rc = sqlite_query(s, q, args, nargs, err);

	while (!rc) {
		memset(&e, 0, sizeof(e));
		if ((rc = sqlite_next(s, q, &e, err)) <= 0)
			break;
		rc = fn(ctx, &e);
	}
	return sqlite_end(s, q, rc);
}

int sqlite_ids_not_under(struct store *base, const struct sqlite_query *q, uint32_t key_id,
                         const char *after_id, size_t limit, int (*fn)(void *ctx, const char *id),
                         void *ctx, struct ok_error *err)
{
	struct store_sqlite *s = sq(base);
	struct sqlite_id_row r;
	int rc = sqlite_query(
	        s, q, SQLITE_ARGS(SQ_ARG_TEXT(after_id), SQ_ARG_INT(key_id), SQ_ARG_INT(limit)),
	        err);

	while (!rc && (rc = sqlite_next(s, q, &r, err)) > 0)
		rc = fn(ctx, r.id);
	return sqlite_end(s, q, rc);
}
