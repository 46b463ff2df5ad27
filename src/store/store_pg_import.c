/* The PostgreSQL store's bulk path for imports (store/import.h): a batch's lookups as one query
 * each over an array of keys, and its new rows as one binary COPY into a temporary staging table
 * and one INSERT … SELECT … ON CONFLICT per table. Row by row, every lookup and every write of
 * an import is a round trip to the server; here a batch of ten thousand rows costs a handful. */
#include "store/import.h"
#include "store/pg_internal.h"

#include "audit/chain.h"
#include "core/buf.h"

#include <stdlib.h>
#include <string.h>

/* The staging tables: private to the connection (TEMP), emptied by every commit, made once per
 * session (IF NOT EXISTS; a rolled-back transaction takes them with it, and the next batch makes
 * them again). The columns are the target's, without its keys, so a load never fails halfway. */
static const char staging_sql[] =
        "CREATE TEMP TABLE IF NOT EXISTS import_learner (LIKE learner) ON COMMIT DELETE ROWS;"
        "CREATE TEMP TABLE IF NOT EXISTS import_achievement (LIKE achievement) "
        "ON COMMIT DELETE ROWS";

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

/* The rows of one COPY … FROM STDIN (FORMAT binary), built in out and sent in pieces. */
struct copy {
	struct pg_store *s;
	struct buf out;
	int rc;
};

static void put_be(struct copy *c, uint64_t v, size_t bytes)
{
	unsigned char b[8];
	size_t i;

	for (i = 0; i < bytes; i++)
		b[i] = (unsigned char)(v >> (8 * (bytes - 1 - i)));
	if (!c->rc && buf_add(&c->out, b, bytes))
		c->rc = OK_ENOMEM;
}

static void put_field(struct copy *c, const void *data, size_t n)
{
	put_be(c, (uint32_t)n, 4);
	if (!c->rc && n && buf_add(&c->out, data, n))
		c->rc = OK_ENOMEM;
}

static void put_text(struct copy *c, const char *s)
{
	put_field(c, s, strlen(s));
}

static void put_int8(struct copy *c, int64_t v)
{
	put_be(c, 8, 4);
	put_be(c, (uint64_t)v, 8);
}

static void put_int4(struct copy *c, int32_t v)
{
	put_be(c, 4, 4);
	put_be(c, (uint32_t)v, 4);
}

static int copy_start(struct copy *c, struct pg_store *s, const char *sql, const char *what,
                      struct ok_error *err)
{
	static const char header[] = "PGCOPY\n\377\r\n"; /* and a NUL: 11 bytes */
	PGresult *r;
	int rc = 0;

	c->s = s;
	c->rc = 0;
	buf_init(&c->out, (size_t)-1);
	r = PQexec(s->conn, sql);
	if (!r)
		return ok_fail(err, OK_ENOMEM, "%s: out of memory", what);
	if (PQresultStatus(r) != PGRES_COPY_IN)
		rc = pg_fail(s, r, what, err);
	PQclear(r);
	if (rc)
		return rc;
	if (buf_add(&c->out, header, 11))
		c->rc = OK_ENOMEM;
	put_be(c, 0, 4); /* flags */
	put_be(c, 0, 4); /* header extension */
	return 0;
}

/* Sends what is built once it is big enough (or with force, all of it). */
static void copy_send(struct copy *c, bool force)
{
	if (c->rc || (!force && c->out.len < COPY_CHUNK) || c->out.len == 0)
		return;
	if (PQputCopyData(c->s->conn, c->out.data, (int)c->out.len) != 1)
		c->rc = OK_ESTORE;
	buf_reset(&c->out);
}

/* Ends the COPY: sent whole, or aborted when building it failed. */
static int copy_end(struct copy *c, const char *what, struct ok_error *err)
{
	PGresult *r;
	int rc = 0;

	put_be(c, (uint64_t)-1, 2); /* the trailer */
	copy_send(c, true);
	buf_release(&c->out);
	if (PQputCopyEnd(c->s->conn, c->rc ? "the import could not build its rows" : NULL) != 1 &&
	    !c->rc)
		c->rc = OK_ESTORE;
	while ((r = PQgetResult(c->s->conn)) != NULL) {
		if (!rc && PQresultStatus(r) != PGRES_COMMAND_OK)
			rc = pg_fail(c->s, r, what, err);
		PQclear(r);
	}
	if (c->rc == OK_ENOMEM)
		return ok_fail(err, OK_ENOMEM, "%s: out of memory", what);
	if (!rc && c->rc)
		rc = pg_fail(c->s, NULL, what, err);
	return rc;
}

/* Moves the staging table's rows into the target (merge, a static statement): OK_EEXIST when
 * fewer than n went in because a key was taken. */
static int merge(struct pg_store *s, const char *sql, size_t n, const char *what,
                 struct ok_error *err)
{
	int64_t added = 0;
	int rc = pg_exec(s, sql, NULL, NULL, &added, what, err);

	if (!rc && added != (int64_t)n)
		rc = ok_fail(err, OK_EEXIST, "%s: %zu of %zu rows were registered meanwhile", what,
		             n - (size_t)added, n);
	return rc;
}

static int learners_add(struct store *base, const struct store_learner *l, size_t n,
                        struct ok_error *err)
{
	static const char copy_sql[] =
	        "COPY import_learner (" PG_LEARNER_COLS ") FROM STDIN (FORMAT binary)";
	static const char merge_sql[] =
	        "WITH moved AS (DELETE FROM import_learner RETURNING " PG_LEARNER_COLS ") "
	        "INSERT INTO learner (" PG_LEARNER_COLS ") SELECT " PG_LEARNER_COLS
	        " FROM moved ON CONFLICT DO NOTHING";
	struct pg_store *s = pgs(base);
	struct copy c;
	size_t i;
	int rc;

	if (n == 0)
		return 0;
	if ((rc = pg_command(s, staging_sql, "make staging tables", err)) ||
	    (rc = copy_start(&c, s, copy_sql, "load learners", err)))
		return rc;
	for (i = 0; i < n && !c.rc; i++) {
		put_be(&c, 10, 2);
		put_text(&c, l[i].id);
		put_field(&c, l[i].nid_index, sizeof(l[i].nid_index));
		put_field(&c, l[i].digest, sizeof(l[i].digest));
		put_field(&c, l[i].national_id.data, l[i].national_id.len);
		put_field(&c, l[i].given_names.data, l[i].given_names.len);
		put_field(&c, l[i].family_name.data, l[i].family_name.len);
		put_field(&c, l[i].birth_date.data, l[i].birth_date.len);
		put_int8(&c, l[i].key_id);
		put_int8(&c, l[i].created_ms);
		put_int8(&c, l[i].updated_ms);
		copy_send(&c, false);
	}
	if ((rc = copy_end(&c, "load learners", err)))
		return rc;
	return merge(s, merge_sql, n, "add learners", err);
}

static int achievements_add(struct store *base, const struct store_achievement *a, size_t n,
                            struct ok_error *err)
{
	static const char copy_sql[] =
	        "COPY import_achievement (" PG_ACHIEVEMENT_COLS ") FROM STDIN (FORMAT binary)";
	static const char merge_sql[] =
	        "WITH moved AS (DELETE FROM import_achievement RETURNING " PG_ACHIEVEMENT_COLS
	        ") INSERT INTO achievement (" PG_ACHIEVEMENT_COLS ") SELECT " PG_ACHIEVEMENT_COLS
	        " FROM moved ON CONFLICT DO NOTHING";
	struct pg_store *s = pgs(base);
	struct copy c;
	size_t i;
	int rc;

	if (n == 0)
		return 0;
	if ((rc = pg_command(s, staging_sql, "make staging tables", err)) ||
	    (rc = copy_start(&c, s, copy_sql, "load achievements", err)))
		return rc;
	for (i = 0; i < n && !c.rc; i++) {
		put_be(&c, 20, 2);
		put_text(&c, a[i].id);
		put_text(&c, a[i].learner_id);
		put_text(&c, a[i].institution);
		put_text(&c, a[i].record_id);
		put_text(&c, a[i].kind);
		put_text(&c, a[i].title);
		put_text(&c, a[i].programme_code);
		put_int4(&c, a[i].eqf_level);
		put_int8(&c, a[i].credits_centi);
		put_text(&c, a[i].grade);
		put_text(&c, a[i].grading_scheme);
		put_text(&c, a[i].awarded_on);
		put_text(&c, a[i].language);
		put_text(&c, a[i].status);
		put_int8(&c, a[i].status_index);
		put_field(&c, a[i].digest, sizeof(a[i].digest));
		put_int4(&c, a[i].version);
		put_int8(&c, a[i].created_ms);
		put_int8(&c, a[i].updated_ms);
		put_int8(&c, a[i].status_list);
		copy_send(&c, false);
	}
	if ((rc = copy_end(&c, "load achievements", err)))
		return rc;
	return merge(s, merge_sql, n, "add achievements", err);
}

static int audit_add(struct store *base, const struct audit_event *e, size_t n,
                     struct ok_error *err)
{
	static const char copy_sql[] =
	        "COPY audit_event (seq, at_ms, actor, action, subject, "
	        "purpose, detail, prev_hash, hash) FROM STDIN (FORMAT binary)";
	struct pg_store *s = pgs(base);
	struct copy c;
	size_t i;
	int rc;

	if (n == 0)
		return 0;
	if ((rc = copy_start(&c, s, copy_sql, "append audit events", err)))
		return rc;
	for (i = 0; i < n && !c.rc; i++) {
		put_be(&c, 9, 2);
		put_int8(&c, e[i].seq);
		put_int8(&c, e[i].at_ms);
		put_text(&c, e[i].actor);
		put_text(&c, e[i].action);
		put_text(&c, e[i].subject);
		put_text(&c, e[i].purpose);
		put_text(&c, e[i].detail);
		put_field(&c, e[i].prev_hash, sizeof(e[i].prev_hash));
		put_field(&c, e[i].hash, sizeof(e[i].hash));
		copy_send(&c, false);
	}
	return copy_end(&c, "append audit events", err);
}

const struct store_import_ops pg_import_ops = {
        .learners_find = learners_find,
        .achievements_find = achievements_find,
        .slots_taken = slots_taken,
        .learners_add = learners_add,
        .achievements_add = achievements_add,
        .audit_add = audit_add,
};
