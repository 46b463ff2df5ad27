/* The PostgreSQL store's bulk path for imports (store/import.h): a batch's lookups as one query
 * each over an array of keys, and its new rows as one binary COPY per table, straight into it.
 * Row by row, every lookup and every write of an import is a round trip to the server; here a
 * batch of ten thousand rows costs a handful. */
#include "store/import.h"
#include "store/pg_internal.h"

#include "audit/chain.h"
#include "core/buf.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

/* COPY data is sent to the server in pieces of about this size. */
#define COPY_CHUNK (1u << 20)

/* ---- lookups ---- */

/* Appends s to an array literal as one quoted element ("…" with \ and " escaped). */
static int array_add_text(struct buf *b, const char *s, size_t n)
{
	size_t i;
	int rc = buf_addch(b, b->len == 0 ? '{' : ',');

	rc = rc ? rc : buf_addch(b, '"');
	for (i = 0; i < n && !rc; i++) {
		if (s[i] == '"' || s[i] == '\\')
			rc = buf_addch(b, '\\');
		if (!rc)
			rc = buf_addch(b, s[i]);
	}
	return rc ? rc : buf_addch(b, '"');
}

static int learners_find(struct store *base, const unsigned char (*idx)[STORE_HASH_BYTES], size_t n,
                         store_learner_fn fn, void *ctx, struct ok_error *err)
{
	/* One index lookup per key, whatever the planner would make of a large array (LIMIT
	 * keeps the lateral subquery a nested loop; the index is unique anyway). */
	static const char sql[] =
	        "SELECT l.* FROM unnest($1::bytea[]) AS k(x), LATERAL (SELECT id, nid_index, "
	        "digest, key_id, created_ms, updated_ms FROM learner WHERE nid_index = k.x "
	        "LIMIT 1) AS l";
	static const char hex[] = "0123456789abcdef";
	struct store_learner l;
	struct pg_params p;
	struct buf list;
	PGresult *r = NULL;
	size_t i, j;
	int row, rc = 0;

	if (n == 0)
		return 0;
	buf_init(&list, (size_t)-1);
	/* Each element "\\x…" in the literal: the array parser takes one backslash away, bytea's
	 * input reads the hex. */
	for (i = 0; i < n && !rc; i++) {
		char text[3 + 2 * STORE_HASH_BYTES];

		text[0] = '\\';
		text[1] = 'x';
		for (j = 0; j < STORE_HASH_BYTES; j++) {
			text[2 + 2 * j] = hex[idx[i][j] >> 4];
			text[3 + 2 * j] = hex[idx[i][j] & 15];
		}
		rc = array_add_text(&list, text, 2 + 2 * STORE_HASH_BYTES);
	}
	rc = rc ? rc : buf_addch(&list, '}');
	if (rc) {
		buf_release(&list);
		return ok_fail(err, OK_ENOMEM, "find learners: out of memory");
	}
	pg_params_init(&p);
	pg_param_text(&p, list.data);
	pgs(base)->long_ops = true; /* a batch's lookups, like its loads, may take a while */
	rc = pg_exec(pgs(base), sql, &p, &r, NULL, "find learners", err);
	buf_release(&list);
	if (rc)
		return rc;
	store_learner_init(&l);
	for (row = 0; row < PQntuples(r) && !rc; row++) {
		pg_col_text(r, row, 0, l.id, sizeof(l.id));
		pg_col_fixed(r, row, 1, l.nid_index, sizeof(l.nid_index));
		pg_col_fixed(r, row, 2, l.digest, sizeof(l.digest));
		l.key_id = (uint32_t)pg_col_int64(r, row, 3);
		l.created_ms = pg_col_int64(r, row, 4);
		l.updated_ms = pg_col_int64(r, row, 5);
		rc = fn(ctx, &l);
	}
	store_learner_release(&l);
	PQclear(r);
	return rc;
}

static int achievements_find(struct store *base, const char *institution, const char *const *ids,
                             size_t n, store_achievement_fn fn, void *ctx, struct ok_error *err)
{
	static const char sql[] =
	        "SELECT a.* FROM unnest($2::text[]) AS k(r), LATERAL "
	        "(SELECT " PG_ACHIEVEMENT_COLS " FROM achievement WHERE institution = "
	        "$1 AND record_id = k.r LIMIT 1) AS a";
	struct store_achievement a;
	struct pg_params p;
	struct buf list;
	PGresult *r = NULL;
	size_t i;
	int row, rc = 0;

	if (n == 0)
		return 0;
	buf_init(&list, (size_t)-1);
	for (i = 0; i < n && !rc; i++)
		rc = array_add_text(&list, ids[i], strlen(ids[i]));
	rc = rc ? rc : buf_addch(&list, '}');
	if (rc) {
		buf_release(&list);
		return ok_fail(err, OK_ENOMEM, "find achievements: out of memory");
	}
	pg_params_init(&p);
	pg_param_text(&p, institution);
	pg_param_text(&p, list.data);
	pgs(base)->long_ops = true;
	rc = pg_exec(pgs(base), sql, &p, &r, NULL, "find achievements", err);
	buf_release(&list);
	if (rc)
		return rc;
	for (row = 0; row < PQntuples(r) && !rc; row++) {
		memset(&a, 0, sizeof(a));
		pg_read_achievement(r, row, &a);
		rc = fn(ctx, &a);
	}
	PQclear(r);
	return rc;
}

static int slots_taken(struct store *base, int64_t list, store_index_fn fn, void *ctx,
                       struct ok_error *err)
{
	static const char sql[] = "SELECT status_index FROM achievement "
	                          "WHERE status_list = $1 AND status_index >= 0 UNION ALL "
	                          "SELECT status_index FROM vc_status WHERE status_list = $1";
	struct pg_params p;
	PGresult *r;
	int row, rc;

	pg_params_init(&p);
	pg_param_int64(&p, list);
	if ((rc = pg_exec(pgs(base), sql, &p, &r, NULL, "read status slots", err)))
		return rc;
	for (row = 0; row < PQntuples(r) && !rc; row++)
		rc = fn(ctx, pg_col_int64(r, row, 0));
	PQclear(r);
	return rc;
}

/* ---- binary COPY ---- */

/* How a column's value is found in a row struct and sent in COPY's binary format. */
enum copy_kind {
	COPY_TEXT,  /* a NUL-terminated char array */
	COPY_FIXED, /* len bytes */
	COPY_BUF,   /* a struct buf */
	COPY_I64,   /* int64_t, as int8 */
	COPY_U32,   /* uint32_t, as int8 */
	COPY_LONG,  /* long, as int8 */
	COPY_INT,   /* int, as int4 */
};

struct copy_col {
	enum copy_kind kind;
	size_t off, len;
};

/* One target table: its COPY statement (columns in the order of cols) and its row struct. */
struct copy_table {
	const char *sql, *what;
	const struct copy_col *cols;
	size_t ncols, stride;
};

#define COL(kind, type, field)                 \
	{                                      \
		kind, offsetof(type, field), 0 \
	}
#define COL_FIXED(type, field)                                                \
	{                                                                     \
		COPY_FIXED, offsetof(type, field), sizeof(((type *)0)->field) \
	}

static const struct copy_col learner_cols[] = {
        COL(COPY_TEXT, struct store_learner, id),
        COL_FIXED(struct store_learner, nid_index),
        COL_FIXED(struct store_learner, digest),
        COL(COPY_BUF, struct store_learner, national_id),
        COL(COPY_BUF, struct store_learner, given_names),
        COL(COPY_BUF, struct store_learner, family_name),
        COL(COPY_BUF, struct store_learner, birth_date),
        COL(COPY_U32, struct store_learner, key_id),
        COL(COPY_I64, struct store_learner, created_ms),
        COL(COPY_I64, struct store_learner, updated_ms),
};

static const struct copy_col achievement_cols[] = {
        COL(COPY_TEXT, struct store_achievement, id),
        COL(COPY_TEXT, struct store_achievement, learner_id),
        COL(COPY_TEXT, struct store_achievement, institution),
        COL(COPY_TEXT, struct store_achievement, record_id),
        COL(COPY_TEXT, struct store_achievement, kind),
        COL(COPY_TEXT, struct store_achievement, title),
        COL(COPY_TEXT, struct store_achievement, programme_code),
        COL(COPY_INT, struct store_achievement, eqf_level),
        COL(COPY_LONG, struct store_achievement, credits_centi),
        COL(COPY_TEXT, struct store_achievement, grade),
        COL(COPY_TEXT, struct store_achievement, grading_scheme),
        COL(COPY_TEXT, struct store_achievement, awarded_on),
        COL(COPY_TEXT, struct store_achievement, language),
        COL(COPY_TEXT, struct store_achievement, status),
        COL(COPY_I64, struct store_achievement, status_index),
        COL_FIXED(struct store_achievement, digest),
        COL(COPY_INT, struct store_achievement, version),
        COL(COPY_I64, struct store_achievement, created_ms),
        COL(COPY_I64, struct store_achievement, updated_ms),
        COL(COPY_I64, struct store_achievement, status_list),
};

static const struct copy_col audit_cols[] = {
        COL(COPY_I64, struct audit_event, seq),      COL(COPY_I64, struct audit_event, at_ms),
        COL(COPY_TEXT, struct audit_event, actor),   COL(COPY_TEXT, struct audit_event, action),
        COL(COPY_TEXT, struct audit_event, subject), COL(COPY_TEXT, struct audit_event, purpose),
        COL(COPY_TEXT, struct audit_event, detail),  COL_FIXED(struct audit_event, prev_hash),
        COL_FIXED(struct audit_event, hash),
};

#define TABLE(sql, what, cols, type)                                          \
	{                                                                     \
		sql, what, cols, sizeof(cols) / sizeof(cols[0]), sizeof(type) \
	}

/*
 * Rows go straight into the tables, not through a staging table and a merge: the caller holds
 * the writer lock and its lookups found none of these keys, so a taken key can only be another
 * writer's that ignored the lock (or a random id drawn twice). COPY then fails with a unique
 * violation, told as OK_EEXIST, and the caller's rollback takes the whole load back.
 */
static const struct copy_table learner_table =
        TABLE("COPY learner (" PG_LEARNER_COLS ") FROM STDIN (FORMAT binary)", "add learners",
              learner_cols, struct store_learner);
static const struct copy_table achievement_table =
        TABLE("COPY achievement (" PG_ACHIEVEMENT_COLS ") FROM STDIN (FORMAT binary)",
              "add achievements", achievement_cols, struct store_achievement);
static const struct copy_table audit_table =
        TABLE("COPY audit_event (seq, at_ms, actor, action, subject, purpose, detail, "
              "prev_hash, hash) FROM STDIN (FORMAT binary)",
              "append audit events", audit_cols, struct audit_event);

/* The rows of one COPY … FROM STDIN (FORMAT binary), built in out and sent in pieces. */
struct copy {
	struct pg_store *s;
	struct buf out;
	int rc;
};

/* Appends n bytes; the buffer only grows to about COPY_CHUNK plus one row. */
static void put(struct copy *c, const void *data, size_t n)
{
	if (!c->rc && n && buf_add(&c->out, data, n))
		c->rc = OK_ENOMEM;
}

static void put_be(struct copy *c, uint64_t v, size_t bytes)
{
	unsigned char b[8];
	size_t i;

	for (i = 0; i < bytes; i++)
		b[i] = (unsigned char)(v >> (8 * (bytes - 1 - i)));
	put(c, b, bytes);
}

static void put_field(struct copy *c, const void *data, size_t n)
{
	put_be(c, (uint32_t)n, 4);
	put(c, data, n);
}

static void put_int(struct copy *c, uint64_t v, size_t bytes)
{
	put_be(c, bytes, 4);
	put_be(c, v, bytes);
}

/* Appends one row of t (the struct at row) in COPY's binary format. */
static void put_row(struct copy *c, const struct copy_table *t, const unsigned char *row)
{
	size_t i;

	put_be(c, t->ncols, 2);
	for (i = 0; i < t->ncols; i++) {
		const struct copy_col *col = &t->cols[i];
		const void *v = row + col->off;

		switch (col->kind) {
		case COPY_TEXT:
			put_field(c, v, strlen(v));
			break;
		case COPY_FIXED:
			put_field(c, v, col->len);
			break;
		case COPY_BUF:
			put_field(c, ((const struct buf *)v)->data, ((const struct buf *)v)->len);
			break;
		case COPY_I64:
			put_int(c, (uint64_t) * (const int64_t *)v, 8);
			break;
		case COPY_U32:
			put_int(c, *(const uint32_t *)v, 8);
			break;
		case COPY_LONG:
			put_int(c, (uint64_t)(int64_t) * (const long *)v, 8);
			break;
		case COPY_INT:
			put_int(c, (uint32_t) * (const int *)v, 4);
			break;
		}
	}
}

/* Hands what is built to libpq once it is big enough (or with force, all of it). Non-blocking:
 * libpq queues it whole and sends what the socket takes now; the rest goes at the next call. */
static void copy_send(struct copy *c, bool force)
{
	if (c->rc || (!force && c->out.len < COPY_CHUNK) || c->out.len == 0)
		return;
	if (PQputCopyData(c->s->conn, c->out.data, (int)c->out.len) != 1 ||
	    PQflush(c->s->conn) < 0)
		c->rc = OK_ESTORE;
	buf_reset(&c->out);
}

/*
 * Loads rows[0..n) into t's table with one COPY: all of them, or (told) none once the caller
 * rolls back. Returns once the rows are handed over, without waiting for the server to load
 * them: it loads them while the importer seals the next rows, and its answer is read by the
 * next call on s (pg_copy_finish: the next load, a statement, the commit), which fails if the
 * load failed. The previous load's answer is read first, as COPY's protocol is one at a time.
 */
static int copy_rows(struct pg_store *s, const struct copy_table *t, const void *rows, size_t n,
                     struct ok_error *err)
{
	static const char header[] = "PGCOPY\n\377\r\n"; /* and a NUL: 11 bytes */
	struct copy c = {.s = s, .rc = 0};
	PGresult *r;
	size_t i;
	int rc = 0;

	if (n == 0)
		return 0;
	if (s->stalled)
		return pg_stalled(s, t->what, err);
	if ((rc = pg_copy_finish(s, err)))
		return rc;
	/* Inside the import's transaction: this load and what follows it until the end of the
	 * transaction get the long bound. */
	s->long_ops = true;
	(void)PQsetnonblocking(s->conn, 1);
	if (!PQsendQuery(s->conn, t->sql))
		return pg_fail(s, NULL, t->what, err);
	if ((rc = pg_collect(s, pg_deadline(s, 0), &r, t->what, err)))
		return rc;
	if (!r || PQresultStatus(r) != PGRES_COPY_IN)
		rc = pg_fail(s, r, t->what, err);
	PQclear(r);
	if (rc)
		return rc;
	buf_init(&c.out, (size_t)-1);
	put(&c, header, 11);
	put_be(&c, 0, 4); /* flags */
	put_be(&c, 0, 4); /* header extension */
	for (i = 0; i < n && !c.rc; i++) {
		put_row(&c, t, (const unsigned char *)rows + i * t->stride);
		copy_send(&c, false);
	}
	put_be(&c, (uint64_t)-1, 2); /* the trailer */
	copy_send(&c, true);
	buf_release(&c.out);
	/* Ended whole, or aborted when building it failed. */
	if (PQputCopyEnd(s->conn, c.rc ? "the import could not build its rows" : NULL) != 1 &&
	    !c.rc)
		c.rc = OK_ESTORE;
	if (!c.rc && PQflush(s->conn) >= 0) {
		s->copy_pending = t->what;
		return 0;
	}
	/* It failed while being built or sent: its answer now. */
	s->copy_pending = t->what;
	rc = pg_copy_finish(s, err);
	if (c.rc == OK_ENOMEM)
		return ok_fail(err, OK_ENOMEM, "%s: out of memory", t->what);
	if (!rc && c.rc)
		rc = pg_fail(s, NULL, t->what, err);
	return rc;
}

static int learners_add(struct store *base, const struct store_learner *l, size_t n,
                        struct ok_error *err)
{
	return copy_rows(pgs(base), &learner_table, l, n, err);
}

static int achievements_add(struct store *base, const struct store_achievement *a, size_t n,
                            struct ok_error *err)
{
	return copy_rows(pgs(base), &achievement_table, a, n, err);
}

static int audit_add(struct store *base, const struct audit_event *e, size_t n,
                     struct ok_error *err)
{
	return copy_rows(pgs(base), &audit_table, e, n, err);
}

const struct store_import_ops pg_import_ops = {
        .learners_find = learners_find,
        .achievements_find = achievements_find,
        .slots_taken = slots_taken,
        .learners_add = learners_add,
        .achievements_add = achievements_add,
        .audit_add = audit_add,
};
