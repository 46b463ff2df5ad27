/* What the PostgreSQL store's files share: the store struct, the statement, parameter and result
 * helpers, the query tables that bind and read records (struct pg_query, store_pg_rows.c), and
 * the area tables. The core records live in store_pg.c; each other area (portal, leak, audit,
 * keys, foreign, identity, API keys) in its own store_pg_<area>.c. Only store/ includes this.
 *
 * Invariants:
 * - One PGconn per struct pg_store; a statement is prepared on that connection the first time
 *   it is used (found by the address of its SQL text, a string with static storage) and kept.
 * - Parameters go as text, bytea as binary; results come back in binary format, read only
 *   through the pg_col_* helpers (which know the wire formats of int2/4/8, bool, text, bytea):
 *   by the row reader of the query tables, or by hand in the few files outside them.
 * - After a failed statement inside a transaction the transaction is aborted in PostgreSQL: the
 *   caller must roll back, as store.h already asks. pg_exec_guarded() is for the few statements
 *   whose failure a caller may tolerate and go on (it wraps them in a savepoint).
 * - Messages never contain the connection string or a password.
 */
#ifndef OK_STORE_PG_INTERNAL_H
#define OK_STORE_PG_INTERNAL_H

#include <libpq-fe.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "store/store.h"

#define PG_MAX_STMTS  192 /* prepared statements per connection, all areas together */
#define PG_MAX_PARAMS 32  /* parameters of one statement */
/* Listings that can grow without bound are read in pages of this many rows (keyset pagination:
 * each page starts after the last key the one before handed on), as libpq buffers a whole
 * result where SQLite streams. */
#define PG_PAGE 1000

struct pg_store {
	struct store base;
	PGconn *conn;
	bool in_tx;    /* BEGIN sent, COMMIT or ROLLBACK not yet */
	bool replica;  /* the server was in recovery (a hot standby) when last asked */
	bool stalled;  /* a wait ran out of its bound: the connection is given up */
	bool long_ops; /* statements bounded by PG_LONG_BOUND_MS (migration, an import's batch) */
	/* The waits for a lock (lock_timeout, the writers' lock) and for an answer: 10 s and
	 * PG_BOUND_MS, or shorter in a test (store_test_wait_ms). */
	int64_t lock_wait_ms;
	int64_t bound_ms;
	/* An import's COPY sent whole but its result not read yet (store_pg_import.c): what it
	 * does, for its error; NULL when none. Read by pg_copy_finish before anything else. */
	const char *copy_pending;
	/* Prepared on first use; the server-side name is "s" followed by the index. */
	const char *prepared[PG_MAX_STMTS];
	size_t nprepared;
};

static inline struct pg_store *pgs(struct store *s)
{
	return (struct pg_store *)(void *)s;
}

/* ---- deadlines (store_pg_wait.c) ----
 *
 * Every statement is sent without blocking and its answer awaited with poll() on the socket up
 * to a bound: PG_BOUND_MS for the statements a request makes (plus the lock wait at begin),
 * PG_LONG_BOUND_MS while s->long_ops is set (migrations at open, and a transaction into which an
 * import loads a batch, until it ends). A wait that runs out fails with OK_ENOANSWER and gives
 * up the connection; the next statement connects again, within the same bound. Nothing is sent
 * to the stalled server to cancel: PQcancel itself would wait for it.
 */
#define PG_BOUND_MS       5000
#define PG_BOUND_TXT      "5 s"
#define PG_LONG_BOUND_MS  600000
#define PG_LONG_BOUND_TXT "10 min"

int64_t pg_now_ms(void);
/* The moment a statement sent now must have been answered by; extra_ms on top of the bound. */
int64_t pg_deadline(const struct pg_store *s, int64_t extra_ms);
/* Marks s stalled and fails with OK_ENOANSWER ("the store is not answering"). */
int pg_stalled(struct pg_store *s, const char *what, struct ok_error *err);
/* Waits for events on s's socket until deadline: 1 ready, 0 out of time, -1 no socket. */
int pg_poll(struct pg_store *s, short events, int64_t deadline);
/* Sends what libpq holds for the server (non-blocking mode) by the deadline. */
int pg_flush(struct pg_store *s, int64_t deadline, const char *what, struct ok_error *err);
/* After a PQsend…: the results, by the deadline, as PQexec gives them (the last one, or the
 * first error; a COPY's start at once). *out (caller PQclears) may be NULL when the connection
 * failed: the caller reports pg_fail(s, NULL, …). Fails only when out of time. */
int pg_collect(struct pg_store *s, int64_t deadline, PGresult **out, const char *what,
               struct ok_error *err);
/* Opens s's connection again, within the bound. */
int pg_reconnect(struct pg_store *s, const char *what, struct ok_error *err);
/* Reads the result of s->copy_pending (0 when none): every statement, commit and rollback
 * calls it first, so that a failed load fails the next call of its transaction, before any
 * commit. */
int pg_copy_finish(struct pg_store *s, struct ok_error *err);

/* ---- a hot standby (store_pg_replica.c) ---- */

/* Asks the server whether it is a hot standby and keeps the answer in s->replica. */
int pg_replica_detect(struct pg_store *s, const char *what, struct ok_error *err);

/* 0 when s may write (asking again: a replica may have been promoted), else OK_EREADONLY. */
int pg_replica_refuse(struct pg_store *s, const char *what, struct ok_error *err);

/* Between statements, reads what the server sent unasked: a session it ended (shutdown,
 * failover, pg_terminate_backend) leaves s->conn CONNECTION_BAD, so that the next statement
 * connects again instead of failing. Sends nothing; does not wait. */
void pg_notice_closed(struct pg_store *s);

/* On a replica, which is never migrated: 0 when its schema is version want; a newer one is
 * refused at once, an older one after waiting a few seconds for the primary's migration to be
 * replayed. */
int pg_replica_schema(struct pg_store *s, int want, struct ok_error *err);

/* ---- parameters ---- */

/* The parameters of one statement, filled in order ($1, $2, …). Values are borrowed: they must
 * outlive the pg_exec call; numbers are formatted into the struct itself. */
struct pg_params {
	int n;
	bool overflow; /* more than PG_MAX_PARAMS were added: pg_exec fails */
	const char *values[PG_MAX_PARAMS];
	int lengths[PG_MAX_PARAMS];
	int formats[PG_MAX_PARAMS]; /* 0 text, 1 binary */
	char num[PG_MAX_PARAMS][24];
};

void pg_params_init(struct pg_params *p);
/* v NULL sends SQL NULL. */
void pg_param_text(struct pg_params *p, const char *v);
void pg_param_int64(struct pg_params *p, int64_t v);
/* Binary bytea; v may be NULL when n is 0 (an empty value, not SQL NULL). */
void pg_param_bytea(struct pg_params *p, const void *v, size_t n);
void pg_param_bool(struct pg_params *p, bool v);
void pg_param_null(struct pg_params *p);

/* ---- statements ---- */

/*
 * Runs sql (static storage; prepared on this connection on first use) with params (may be
 * NULL). On success *res (if res is non-NULL) holds the result, owned by the caller and freed
 * with PQclear; without res the result is freed here. *affected (if non-NULL) receives the
 * number of rows a command changed or a query returned. On failure returns pg_fail's code.
 */
int pg_exec(struct pg_store *s, const char *sql, const struct pg_params *params, PGresult **res,
            int64_t *affected, const char *what, struct ok_error *err);
/* Like pg_exec for a query that returns at most one row: 0 with *res holding it, OK_ENOTFOUND
 * (nothing to free) when it returns none. */
int pg_exec_one(struct pg_store *s, const char *sql, const struct pg_params *params, PGresult **res,
                const char *what, struct ok_error *err);
/* Like pg_exec inside a savepoint: when the statement fails, the transaction stays usable. Use
 * only where a caller goes on after a failure (e.g. a duplicate it then answers OK_EEXIST for). */
int pg_exec_guarded(struct pg_store *s, const char *sql, const struct pg_params *params,
                    PGresult **res, int64_t *affected, const char *what, struct ok_error *err);
/* Runs a fixed command without parameters and without preparing it (BEGIN, SAVEPOINT, …). */
int pg_command(struct pg_store *s, const char *sql, const char *what, struct ok_error *err);
/* pg_command with extra_ms on top of the bound (a statement that may wait for a lock). */
int pg_command_within(struct pg_store *s, const char *sql, int64_t extra_ms, const char *what,
                      struct ok_error *err);

/*
 * Maps a failed result (or, with res NULL, the connection's state) to an OK_E… code with a
 * message naming what was being done: 23505 (unique) → OK_EEXIST; 40001, 40P01, 55P03
 * (serialization, deadlock, lock not available) → OK_EBUSY; 53100 → OK_EDISKFULL; 25006 (read-only
 * transaction, e.g. on a replica) → OK_EIO; a lost connection → OK_ESTORE; the rest OK_ESTORE.
 */
int pg_fail(struct pg_store *s, const PGresult *res, const char *what, struct ok_error *err);
/* The SQLSTATE of a failed result, "" when there is none. */
const char *pg_sqlstate(const PGresult *res);

/* ---- results (binary format) ---- */

/* Reading a result column by hand, for the few statements outside the query tables below
 * (migrations, replicas, imports, rate limits). */
bool pg_col_null(const PGresult *r, int row, int col);
/* int2, int4 or int8 (and bool as 0/1); 0 for NULL. */
int64_t pg_col_int64(const PGresult *r, int row, int col);
bool pg_col_bool(const PGresult *r, int row, int col);
/* Text truncated to cap - 1 bytes (at a character boundary) and NUL-terminated; "" for NULL. */
void pg_col_text(const PGresult *r, int row, int col, char *dst, size_t cap);
/* Bytes copied to dst, cut or zero-padded to n. */
void pg_col_fixed(const PGresult *r, int row, int col, unsigned char *dst, size_t n);
/* Bytes (or text) replacing the contents of out. */
int pg_col_buf(const PGresult *r, int row, int col, struct buf *out);

/* ---- queries (store_pg_rows.c) ---- */

/*
 * The one way the store's own statements run: each is a static `struct pg_query` (its SQL, what
 * it does, the column tables of the record it binds and of the rows it reads), prepared on first
 * use like any statement. Records are bound and read through their column table (name, kind,
 * offset and size in the struct), never by hand; scalar keys are passed as arguments (PG_ARGS).
 * A result's column names are checked against the row table whenever a result comes back (a
 * mismatch is OK_EINTERNAL), so that a query and its table cannot drift apart unnoticed.
 */

/* How a struct member is bound and read. */
enum pg_kind {
	PG_TEXT,    /* NUL-terminated char array: bound as text, read cut to its size - 1 bytes */
	PG_INT,     /* signed integer of 4 or 8 bytes (int, long, int64_t) */
	PG_UINT,    /* unsigned integer of 4 bytes (key ids) */
	PG_BOOL,    /* bool */
	PG_BLOB,    /* byte array of fixed size: bound as bytea, read cut or zero-padded */
	PG_BUF,     /* struct buf (sealed values): bound as bytea, read whole up to its cap */
	PG_BUF_REF, /* struct buf * to the caller's buffer, as PG_BUF */
};

/* One column of a record: its name in the SQL (the part of the member after its last dot) and
 * where it lives in the struct. */
struct pg_col {
	const char *name;
	enum pg_kind kind;
	size_t offset;
	size_t size;
};

/* A record's columns: col[0…n-1], or with pick, col[pick[0]], col[pick[1]], … (n of them): a
 * statement that binds some of a record's columns in an order of its own uses the record's one
 * table through a pick. */
struct pg_cols {
	const struct pg_col *col;
	size_t n;
	const unsigned char *pick;
};

/* A column of record type T held in member m (m may be nested, e.g. a.version). */
/* clang-format off */
#define PG_COL(T, m, kind) {#m, (kind), offsetof(T, m), sizeof(((T *)0)->m)}
/* The first n columns of an array (all of them: PG_COLS). */
#define PG_COLS_N(array, count) {(array), (count), NULL}
/* The columns of an array that pick (an array of indices) names, in its order. */
#define PG_COLS_PICK(array, pick) {(array), sizeof(pick) / sizeof((pick)[0]), (pick)}
/* clang-format on */
#define PG_COLS(array) PG_COLS_N((array), sizeof(array) / sizeof((array)[0]))

/* A statement: params is the record bound as $1, $2, … in column order (NULL: none; any
 * arguments follow it), row the columns each result row is read into (NULL: no rows). */
struct pg_query {
	const char *sql;  /* static storage: its address finds the prepared statement */
	const char *what; /* what it does, for error messages: "add a session" */
	const struct pg_cols *params;
	const struct pg_cols *row;
};

/*
 * A listing that can grow without bound is read in pages (pg_pages), as libpq holds a whole
 * result in memory where SQLite streams: its query's last parameter is the page size (rows),
 * and the nkeys arguments before it the key a page starts after (keyset pagination). The caller
 * passes the first page's key; each next page's is the values of the row columns key[] of the
 * page before's last row, sent back as they came (binary, never cut): those parameters must
 * have the types of those columns.
 */
struct pg_page {
	int rows;
	int nkeys;
	int key[3];
};

/* A scalar argument of a statement. */
struct pg_arg {
	enum pg_kind kind; /* PG_TEXT (p NULL: SQL NULL), PG_INT or PG_BLOB */
	const void *p;
	int64_t i;
	size_t n;
};

/* clang-format off */
#define PG_ARG_TEXT(v)    {PG_TEXT, (v), 0, 0}
#define PG_ARG_INT(v)     {PG_INT, NULL, (int64_t)(v), 0}
#define PG_ARG_BLOB(v, n) {PG_BLOB, (v), 0, (n)}
/* clang-format on */
/* The arguments of a call, as the array and count that the functions below take. */
#define PG_ARGS(...)                          \
	(const struct pg_arg[]){__VA_ARGS__}, \
	        sizeof((const struct pg_arg[]){__VA_ARGS__}) / sizeof(struct pg_arg)
#define PG_NO_ARGS NULL, 0

/*
 * pg_run: runs q with rec bound (q->params) and then args; *changed (if non-NULL) receives the
 *   number of rows it changed. 0 or an error.
 * pg_add: pg_run for an "INSERT … ON CONFLICT DO NOTHING": OK_EEXIST when a unique key held the
 *   row already, as SQLite answers a duplicate, and the transaction stays usable as on SQLite.
 * pg_change: pg_run for a statement meant to change a row: OK_ENOTFOUND (no message) when it
 *   changed none.
 * pg_get: the first row into out; 0, OK_ENOTFOUND (no message) when there is none, or an error.
 * pg_count: the one integer of a query whose row is pg_count_cols; 0 when it returns no row.
 */
int pg_run(struct pg_store *s, const struct pg_query *q, const void *rec, const struct pg_arg *args,
           size_t nargs, int64_t *changed, struct ok_error *err);
int pg_add(struct pg_store *s, const struct pg_query *q, const void *rec, const struct pg_arg *args,
           size_t nargs, struct ok_error *err);
int pg_change(struct pg_store *s, const struct pg_query *q, const void *rec,
              const struct pg_arg *args, size_t nargs, struct ok_error *err);
int pg_get(struct pg_store *s, const struct pg_query *q, const struct pg_arg *args, size_t nargs,
           void *out, struct ok_error *err);
int pg_count(struct pg_store *s, const struct pg_query *q, const struct pg_arg *args, size_t nargs,
             int64_t *out, struct ok_error *err);

/*
 * A listing: pg_list runs q (pg_pages: in pages); pg_next reads the next row into out and
 * returns 1, or 0 at the end (of the last page), or an error; pg_list_end frees what is held and
 * returns rc. args must stay valid until pg_list_end (a paged listing binds them again for each
 * page).
 *
 *   rc = pg_list(&c, s, &Q, PG_ARGS(...), err);
 *   while (!rc && (rc = pg_next(&c, &rec, err)) > 0)
 *           rc = fn(ctx, &rec);
 *   return pg_list_end(&c, rc);
 */
struct pg_cursor {
	struct pg_store *s;
	const struct pg_query *q;
	const struct pg_page *page; /* NULL: one result */
	const struct pg_arg *args;
	size_t nargs;
	PGresult *r;
	int row, rows;
};
int pg_list(struct pg_cursor *c, struct pg_store *s, const struct pg_query *q,
            const struct pg_arg *args, size_t nargs, struct ok_error *err);
int pg_pages(struct pg_cursor *c, struct pg_store *s, const struct pg_query *q,
             const struct pg_page *page, const struct pg_arg *args, size_t nargs,
             struct ok_error *err);
int pg_next(struct pg_cursor *c, void *out, struct ok_error *err);
int pg_list_end(struct pg_cursor *c, int rc);

/* One integer column named n (alias an expression: "count(*) AS n"). */
struct pg_count_row {
	int64_t n;
};
extern const struct pg_cols pg_count_cols;

/* One id column named id. */
struct pg_id_row {
	char id[STORE_ID_MAX + 1];
};
extern const struct pg_cols pg_id_cols;

/* The columns of a learner and of an achievement, in the order of their column tables
 * (store_pg.c) and of store_pg_import.c's COPY. */
#define PG_LEARNER_COLS                                                                      \
	"id, nid_index, digest, national_id, given_names, family_name, birth_date, key_id, " \
	"created_ms, updated_ms"
#define PG_ACHIEVEMENT_COLS                                                                  \
	"id, learner_id, institution, record_id, kind, title, programme_code, eqf_level, "   \
	"credits_centi, grade, grading_scheme, awarded_on, language, status, status_index, " \
	"digest, version, created_ms, updated_ms, status_list"
#define PG_ACHIEVEMENT_NCOLS 20
extern const struct pg_col pg_achievement_col[PG_ACHIEVEMENT_NCOLS];
extern const struct pg_cols pg_achievement_cols;
/* One achievement of a result whose columns are PG_ACHIEVEMENT_COLS (store_pg_import.c). */
void pg_read_achievement(const PGresult *r, int row, struct store_achievement *a);

/* The columns of an audit event, in the order of the audit_event table (seq first). */
#define PG_EVENT_COLS "seq, at_ms, actor, action, subject, purpose, detail, prev_hash, hash"
extern const struct pg_cols pg_event_cols;

/* Calls fn for each event a listing whose row is pg_event_cols returns; a non-zero return of fn
 * stops and is returned. */
int pg_audit_rows(struct pg_store *s, const struct pg_query *q, const struct pg_page *page,
                  const struct pg_arg *args, size_t nargs, store_audit_fn fn, void *ctx,
                  struct ok_error *err);
/* The work list of a key rotation: calls fn with each id a query like
 * "SELECT id … WHERE id > $1 AND key_id <> $2 ORDER BY id LIMIT $3" returns (bound to after_id,
 * key_id, limit), read under the rotation's table lock when in a transaction (store_pg_keys.c);
 * a non-zero return of fn stops and is returned. */
int pg_ids_not_under(struct store *base, const struct pg_query *q, uint32_t key_id,
                     const char *after_id, size_t limit, int (*fn)(void *ctx, const char *id),
                     void *ctx, struct ok_error *err);

/* ---- the areas' tables (store_pg_<area>.c) ---- */

extern const struct store_portal_ops pg_portal_ops;     /* store_pg_portal.c */
extern const struct store_leak_ops pg_leak_ops;         /* store_pg_leak.c */
extern const struct store_audit_ops pg_audit_ops;       /* store_pg_audit.c */
extern const struct store_keys_ops pg_keys_ops;         /* store_pg_keys.c */
extern const struct store_foreign_ops pg_foreign_ops;   /* store_pg_foreign.c */
extern const struct store_identity_ops pg_identity_ops; /* store_pg_identity.c */
extern const struct store_apikey_ops pg_apikey_ops;     /* store_pg_apikeys.c */
extern const struct store_import_ops pg_import_ops;     /* store_pg_import.c */
/* store_pg_ratelimit.c */
extern const struct store_ratelimit_ops pg_ratelimit_ops;
extern const struct store_vcstatus_ops pg_vcstatus_ops;   /* store_pg_vcstatus.c */
extern const struct store_emrex_ops pg_emrex_ops;         /* store_pg_emrex.c */
extern const struct store_vci_ops pg_vci_ops;             /* store_pg_vci.c */
extern const struct store_vp_ops pg_vp_ops;               /* store_pg_verifier.c */
extern const struct store_retention_ops pg_retention_ops; /* store_pg_retention.c */

/* Schema: schema_pg.h holds the migrations (version 1 = the whole schema of today). The areas'
 * tables are in schema_pg_areas.h, which defines PG_SCHEMA_AREAS_V1: one string of CREATE
 * statements (separated by ";") that schema_pg.h puts into version 1 after the core's tables.
 * Later changes to an area's tables become new numbered migrations in schema_pg.h. */

#endif
