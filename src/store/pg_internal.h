/* What the PostgreSQL store's files share: the store struct, the statement, parameter and result
 * helpers, and the area tables. The core records live in store_pg.c; each other area (portal,
 * leak, audit, keys, foreign, identity, API keys) in its own store_pg_<area>.c. Only store/
 * includes this.
 *
 * Invariants:
 * - One PGconn per struct pg_store; a statement is prepared on that connection the first time
 *   it is used (found by the address of its SQL text, a string with static storage) and kept.
 * - Parameters go as text, bytea as binary; results come back in binary format, read only
 *   through the pg_col_* helpers (which know the wire formats of int2/4/8, bool, text, bytea).
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
	bool in_tx;   /* BEGIN sent, COMMIT or ROLLBACK not yet */
	bool replica; /* the server was in recovery (a hot standby) when last asked */
	/* Prepared on first use; the server-side name is "s" followed by the index. */
	const char *prepared[PG_MAX_STMTS];
	size_t nprepared;
};

static inline struct pg_store *pgs(struct store *s)
{
	return (struct pg_store *)(void *)s;
}

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

bool pg_col_null(const PGresult *r, int row, int col);
/* int2, int4 or int8 (and bool as 0/1); 0 for NULL. */
int64_t pg_col_int64(const PGresult *r, int row, int col);

/* The columns of a learner and of an achievement, in the order their readers take them. */
#define PG_LEARNER_COLS                                                                      \
	"id, nid_index, digest, national_id, given_names, family_name, birth_date, key_id, " \
	"created_ms, updated_ms"
#define PG_ACHIEVEMENT_COLS                                                                  \
	"id, learner_id, institution, record_id, kind, title, programme_code, eqf_level, "   \
	"credits_centi, grade, grading_scheme, awarded_on, language, status, status_index, " \
	"digest, version, created_ms, updated_ms, status_list"
/* One achievement of a result whose columns are PG_ACHIEVEMENT_COLS. */
void pg_read_achievement(const PGresult *r, int row, struct store_achievement *a);
bool pg_col_bool(const PGresult *r, int row, int col);
/* Text truncated to cap - 1 bytes (at a character boundary) and NUL-terminated; "" for NULL. */
void pg_col_text(const PGresult *r, int row, int col, char *dst, size_t cap);
/* Bytes copied to dst, cut or zero-padded to n. */
void pg_col_fixed(const PGresult *r, int row, int col, unsigned char *dst, size_t n);
/* Bytes (or text) replacing the contents of out. */
int pg_col_buf(const PGresult *r, int row, int col, struct buf *out);
/* A text column whole (never cut), NUL-terminated and owned by the caller (free); NULL when
 * out of memory. For the key a page of a listing ends at: the next page starts after it. */
char *pg_col_dup(const PGresult *r, int row, int col);

/* ---- shared by the areas ---- */

/* Calls fn for each audit event of a result whose columns are those of the audit_event table
 * (seq, at_ms, actor, action, subject, purpose, detail, prev_hash, hash); a non-zero return of
 * fn stops and is returned. */
int pg_audit_rows(const PGresult *r, store_audit_fn fn, void *ctx);
/* The work list of a key rotation: calls fn with each id a query like
 * "SELECT id … WHERE id > $1 AND key_id <> $2 ORDER BY id LIMIT $3" returns (bound to after_id,
 * key_id, limit); a non-zero return of fn stops and is returned. */
int pg_ids_not_under(struct store *base, const char *sql, const char *what, uint32_t key_id,
                     const char *after_id, size_t limit, int (*fn)(void *ctx, const char *id),
                     void *ctx, struct ok_error *err);

/* Runs an "INSERT … ON CONFLICT DO NOTHING": OK_EEXIST when a unique key held the row already,
 * as SQLite answers a duplicate, and the transaction stays usable as it does on SQLite. */
static inline int pg_insert(struct store *base, const char *sql, const struct pg_params *params,
                            const char *what, struct ok_error *err)
{
	int64_t added = 0;
	int rc = pg_exec(pgs(base), sql, params, NULL, &added, what, err);

	if (!rc && added == 0)
		rc = ok_fail(err, OK_EEXIST, "%s: it exists already", what);
	return rc;
}

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
extern const struct store_vcstatus_ops pg_vcstatus_ops; /* store_pg_vcstatus.c */

/* Schema: schema_pg.h holds the migrations (version 1 = the whole schema of today). The areas'
 * tables are in schema_pg_areas.h, which defines PG_SCHEMA_AREAS_V1: one string of CREATE
 * statements (separated by ";") that schema_pg.h puts into version 1 after the core's tables.
 * Later changes to an area's tables become new numbered migrations in schema_pg.h. */

#endif
