/* The PostgreSQL store's one way to run its own statements: a `struct pg_query` (pg_internal.h)
 * bound from its record's column table and its arguments, its rows read through its row table,
 * and a listing that grows without bound read page by page. Written once here for every area,
 * as store_sqlite_rows.c is for SQLite. */
#include "store/pg_internal.h"

#include <string.h>

/* Column i of a table. */
static const struct pg_col *col_at(const struct pg_cols *t, size_t i)
{
	return &t->col[t->pick ? t->pick[i] : i];
}

/* The name a column table gives a column: the member's name after its last dot. */
static const char *col_name(const struct pg_col *c)
{
	const char *dot = strrchr(c->name, '.');

	return dot ? dot + 1 : c->name;
}

static int64_t load_int(const char *p, size_t size, bool is_signed)
{
	int32_t i32;
	uint32_t u32;
	int64_t i64;

	if (size == sizeof(int32_t) && is_signed) {
		memcpy(&i32, p, sizeof(i32));
		return i32;
	}
	if (size == sizeof(uint32_t)) {
		memcpy(&u32, p, sizeof(u32));
		return u32;
	}
	memcpy(&i64, p, sizeof(i64));
	return i64;
}

static void bind_col(struct pg_params *p, const struct pg_col *c, const char *rec)
{
	const char *v = rec + c->offset;
	const struct buf *b;

	switch (c->kind) {
	case PG_TEXT:
		pg_param_text(p, v);
		return;
	case PG_INT:
		pg_param_int64(p, load_int(v, c->size, true));
		return;
	case PG_UINT:
		pg_param_int64(p, load_int(v, c->size, false));
		return;
	case PG_BOOL:
		pg_param_bool(p, *(const bool *)(const void *)v);
		return;
	case PG_BLOB:
		pg_param_bytea(p, v, c->size);
		return;
	case PG_BUF:
	case PG_BUF_REF:
		if (c->kind == PG_BUF)
			b = (const struct buf *)(const void *)v;
		else
			memcpy(&b, v, sizeof(b));
		pg_param_bytea(p, b->data, b->len);
		return;
	}
	p->overflow = true; /* not a kind: pg_exec refuses the statement */
}

static void bind_arg(struct pg_params *p, const struct pg_arg *a)
{
	switch (a->kind) {
	case PG_TEXT:
		pg_param_text(p, a->p);
		return;
	case PG_INT:
		pg_param_int64(p, a->i);
		return;
	case PG_BLOB:
		pg_param_bytea(p, a->p, a->n);
		return;
	default:
		p->overflow = true;
	}
}

/* The parameters of a run: rec's columns, then args. */
static void bind(struct pg_params *p, const struct pg_query *q, const void *rec,
                 const struct pg_arg *args, size_t nargs)
{
	size_t i;

	pg_params_init(p);
	if (q->params && rec)
		for (i = 0; i < q->params->n; i++)
			bind_col(p, col_at(q->params, i), rec);
	for (i = 0; i < nargs; i++)
		bind_arg(p, &args[i]);
}

/* A result whose columns are not those of its query's row table is a programming error, found
 * the first time the query runs (every query runs in the unit tests). */
static int check_columns(const PGresult *r, const struct pg_query *q, struct ok_error *err)
{
	const char *name;
	int i, n = PQnfields(r);

	if (!q->row)
		return 0;
	if ((size_t)n != q->row->n)
		return ok_fail(err, OK_EINTERNAL, "%s: the query returns %d columns, its table %zu",
		               q->what, n, q->row->n);
	for (i = 0; i < n; i++) {
		name = PQfname(r, i);
		if (!name || strcmp(name, col_name(col_at(q->row, (size_t)i))) != 0)
			return ok_fail(err, OK_EINTERNAL, "%s: column %d is %s, its table says %s",
			               q->what, i + 1, name ? name : "?",
			               col_name(col_at(q->row, (size_t)i)));
	}
	return 0;
}

/* Reads row `row` of r into rec: 0, or OK_ETOOBIG / OK_ENOMEM when a buffer cannot hold its
 * column. */
static int read_row(const PGresult *r, int row, const struct pg_cols *t, void *rec)
{
	const struct pg_col *c;
	struct buf *b;
	char *p;
	int64_t i64;
	int32_t i32;
	uint32_t u32;
	size_t i;
	int rc, col;

	for (i = 0; i < t->n; i++) {
		c = col_at(t, i);
		p = (char *)rec + c->offset;
		col = (int)i;
		switch (c->kind) {
		case PG_TEXT:
			pg_col_text(r, row, col, p, c->size);
			break;
		case PG_INT:
		case PG_UINT:
			i64 = pg_col_int64(r, row, col);
			if (c->size == sizeof(int64_t)) {
				memcpy(p, &i64, sizeof(i64));
			} else if (c->kind == PG_INT) {
				i32 = (int32_t)i64;
				memcpy(p, &i32, sizeof(i32));
			} else {
				u32 = (uint32_t)i64;
				memcpy(p, &u32, sizeof(u32));
			}
			break;
		case PG_BOOL:
			*(bool *)(void *)p = pg_col_int64(r, row, col) != 0;
			break;
		case PG_BLOB:
			pg_col_fixed(r, row, col, (unsigned char *)p, c->size);
			break;
		case PG_BUF:
		case PG_BUF_REF:
			if (c->kind == PG_BUF)
				b = (struct buf *)(void *)p;
			else
				memcpy(&b, p, sizeof(b));
			if ((rc = pg_col_buf(r, row, col, b)))
				return rc;
			break;
		}
	}
	return 0;
}

/* Runs q with p; on success *res holds the result (checked against the row table). */
static int run(struct pg_store *s, const struct pg_query *q, const struct pg_params *p,
               PGresult **res, int64_t *changed, struct ok_error *err)
{
	int rc = pg_exec(s, q->sql, p, res, changed, q->what, err);

	if (!rc && res && (rc = check_columns(*res, q, err))) {
		PQclear(*res);
		*res = NULL;
	}
	return rc;
}

int pg_run(struct pg_store *s, const struct pg_query *q, const void *rec, const struct pg_arg *args,
           size_t nargs, int64_t *changed, struct ok_error *err)
{
	struct pg_params p;

	bind(&p, q, rec, args, nargs);
	return run(s, q, &p, NULL, changed, err);
}

int pg_add(struct pg_store *s, const struct pg_query *q, const void *rec, const struct pg_arg *args,
           size_t nargs, struct ok_error *err)
{
	int64_t added = 0;
	int rc = pg_run(s, q, rec, args, nargs, &added, err);

	if (!rc && added == 0)
		rc = ok_fail(err, OK_EEXIST, "%s: it exists already", q->what);
	return rc;
}

int pg_change(struct pg_store *s, const struct pg_query *q, const void *rec,
              const struct pg_arg *args, size_t nargs, struct ok_error *err)
{
	int64_t changed = 0;
	int rc = pg_run(s, q, rec, args, nargs, &changed, err);

	return !rc && changed == 0 ? OK_ENOTFOUND : rc;
}

int pg_get(struct pg_store *s, const struct pg_query *q, const struct pg_arg *args, size_t nargs,
           void *out, struct ok_error *err)
{
	struct pg_params p;
	PGresult *r;
	int rc;

	bind(&p, q, NULL, args, nargs);
	if ((rc = run(s, q, &p, &r, NULL, err)))
		return rc;
	if (PQntuples(r) == 0)
		rc = OK_ENOTFOUND;
	else if ((rc = read_row(r, 0, q->row, out)))
		rc = ok_fail(err, rc, "%s: %s", q->what, ok_strerror(rc));
	PQclear(r);
	return rc;
}

int pg_count(struct pg_store *s, const struct pg_query *q, const struct pg_arg *args, size_t nargs,
             int64_t *out, struct ok_error *err)
{
	struct pg_count_row row = {0};
	int rc = pg_get(s, q, args, nargs, &row, err);

	*out = row.n;
	return rc == OK_ENOTFOUND ? 0 : rc; /* an aggregate has a row; none would be zero */
}

/* The first page (or the whole listing): the caller's arguments, and the page size. */
static int first_page(struct pg_cursor *c, struct ok_error *err)
{
	struct pg_params p;

	bind(&p, c->q, NULL, c->args, c->nargs);
	if (c->page)
		pg_param_int64(&p, c->page->rows);
	return run(c->s, c->q, &p, &c->r, NULL, err);
}

/* The page after a full one: the caller's arguments but the key, the key taken from the last
 * row handed on, as the server sent it, and the page size. */
static int next_page(struct pg_cursor *c, struct ok_error *err)
{
	const struct pg_query *q = c->q;
	const struct pg_page *page = c->page;
	PGresult *before = c->r;
	struct pg_params p;
	int i, last = c->rows - 1, rc;

	if (page->nkeys < 0 || (size_t)page->nkeys > c->nargs ||
	    (size_t)page->nkeys > sizeof(page->key) / sizeof(page->key[0]))
		return ok_fail(err, OK_EINTERNAL, "%s: a page's key is not in its arguments",
		               q->what);
	for (i = 0; i < page->nkeys; i++)
		if (page->key[i] < 0 || page->key[i] >= PQnfields(before))
			return ok_fail(err, OK_EINTERNAL, "%s: a page's key is not a column",
			               q->what);
	bind(&p, q, NULL, c->args, c->nargs - (size_t)page->nkeys);
	for (i = 0; i < page->nkeys && p.n < PG_MAX_PARAMS; i++) {
		p.values[p.n] = PQgetvalue(before, last, page->key[i]);
		p.lengths[p.n] = PQgetlength(before, last, page->key[i]);
		p.formats[p.n] = 1;
		p.n++;
	}
	if (i < page->nkeys)
		p.overflow = true;
	pg_param_int64(&p, page->rows);
	/* The key's values live in the page before until this page has come. */
	c->r = NULL;
	rc = run(c->s, q, &p, &c->r, NULL, err);
	PQclear(before);
	return rc;
}

int pg_pages(struct pg_cursor *c, struct pg_store *s, const struct pg_query *q,
             const struct pg_page *page, const struct pg_arg *args, size_t nargs,
             struct ok_error *err)
{
	int rc;

	memset(c, 0, sizeof(*c));
	c->s = s;
	c->q = q;
	c->page = page;
	c->args = args;
	c->nargs = nargs;
	if ((rc = first_page(c, err)))
		return rc;
	c->rows = PQntuples(c->r);
	return 0;
}

int pg_list(struct pg_cursor *c, struct pg_store *s, const struct pg_query *q,
            const struct pg_arg *args, size_t nargs, struct ok_error *err)
{
	return pg_pages(c, s, q, NULL, args, nargs, err);
}

int pg_next(struct pg_cursor *c, void *out, struct ok_error *err)
{
	int rc;

	if (!c->r)
		return 0;
	if (c->row == c->rows) {
		/* A short page is the last; a full one may have more after it. */
		if (!c->page || c->rows < c->page->rows)
			return 0;
		if ((rc = next_page(c, err)))
			return rc;
		c->row = 0;
		c->rows = PQntuples(c->r);
		if (c->rows == 0)
			return 0;
	}
	if ((rc = read_row(c->r, c->row, c->q->row, out)))
		return ok_fail(err, rc, "%s: %s", c->q->what, ok_strerror(rc));
	c->row++;
	return 1;
}

int pg_list_end(struct pg_cursor *c, int rc)
{
	PQclear(c->r);
	c->r = NULL;
	return rc;
}

/* ---- tables and listings shared by the areas ---- */

static const struct pg_col count_col[] = {PG_COL(struct pg_count_row, n, PG_INT)};
const struct pg_cols pg_count_cols = PG_COLS(count_col);

static const struct pg_col id_col[] = {PG_COL(struct pg_id_row, id, PG_TEXT)};
const struct pg_cols pg_id_cols = PG_COLS(id_col);

const struct pg_col pg_achievement_col[PG_ACHIEVEMENT_NCOLS] = {
        PG_COL(struct store_achievement, id, PG_TEXT),
        PG_COL(struct store_achievement, learner_id, PG_TEXT),
        PG_COL(struct store_achievement, institution, PG_TEXT),
        PG_COL(struct store_achievement, record_id, PG_TEXT),
        PG_COL(struct store_achievement, kind, PG_TEXT),
        PG_COL(struct store_achievement, title, PG_TEXT),
        PG_COL(struct store_achievement, programme_code, PG_TEXT),
        PG_COL(struct store_achievement, eqf_level, PG_INT),
        PG_COL(struct store_achievement, credits_centi, PG_INT),
        PG_COL(struct store_achievement, grade, PG_TEXT),
        PG_COL(struct store_achievement, grading_scheme, PG_TEXT),
        PG_COL(struct store_achievement, awarded_on, PG_TEXT),
        PG_COL(struct store_achievement, language, PG_TEXT),
        PG_COL(struct store_achievement, status, PG_TEXT),
        PG_COL(struct store_achievement, status_index, PG_INT),
        PG_COL(struct store_achievement, digest, PG_BLOB),
        PG_COL(struct store_achievement, version, PG_INT),
        PG_COL(struct store_achievement, created_ms, PG_INT),
        PG_COL(struct store_achievement, updated_ms, PG_INT),
        PG_COL(struct store_achievement, status_list, PG_INT),
};
const struct pg_cols pg_achievement_cols = PG_COLS(pg_achievement_col);

void pg_read_achievement(const PGresult *r, int row, struct store_achievement *a)
{
	(void)read_row(r, row, &pg_achievement_cols, a); /* no buffers: cannot fail */
}

static const struct pg_col event_col[] = {
        PG_COL(struct audit_event, seq, PG_INT),
        PG_COL(struct audit_event, at_ms, PG_INT),
        PG_COL(struct audit_event, actor, PG_TEXT),
        PG_COL(struct audit_event, action, PG_TEXT),
        PG_COL(struct audit_event, subject, PG_TEXT),
        PG_COL(struct audit_event, purpose, PG_TEXT),
        PG_COL(struct audit_event, detail, PG_TEXT),
        PG_COL(struct audit_event, prev_hash, PG_BLOB),
        PG_COL(struct audit_event, hash, PG_BLOB),
};
const struct pg_cols pg_event_cols = PG_COLS(event_col);

int pg_audit_rows(struct pg_store *s, const struct pg_query *q, const struct pg_page *page,
                  const struct pg_arg *args, size_t nargs, store_audit_fn fn, void *ctx,
                  struct ok_error *err)
{
	struct pg_cursor c;
	struct audit_event e;
	int rc = pg_pages(&c, s, q, page, args, nargs, err);

	while (!rc) {
		memset(&e, 0, sizeof(e));
		if ((rc = pg_next(&c, &e, err)) <= 0)
			break;
		rc = fn(ctx, &e);
	}
	return pg_list_end(&c, rc);
}

/* The lock of a data-key rotation's batches, on the table of rotations (only the oorkonde role
 * can take it, unlike an advisory lock): see store_pg_keys.c. */
#define PG_LOCK_ROTATION "LOCK TABLE key_rotation IN EXCLUSIVE MODE"

int pg_ids_not_under(struct store *base, const struct pg_query *q, uint32_t key_id,
                     const char *after_id, size_t limit, int (*fn)(void *ctx, const char *id),
                     void *ctx, struct ok_error *err)
{
	struct pg_store *s = pgs(base);
	struct pg_cursor c;
	struct pg_id_row r;
	int rc;

	if (s->in_tx && (rc = pg_command(s, PG_LOCK_ROTATION, "lock the key rotation", err)))
		return rc;
	rc = pg_list(&c, s, q,
	             PG_ARGS(PG_ARG_TEXT(after_id), PG_ARG_INT(key_id), PG_ARG_INT(limit)), err);
	while (!rc && (rc = pg_next(&c, &r, err)) > 0)
		rc = fn(ctx, r.id);
	return pg_list_end(&c, rc);
}
