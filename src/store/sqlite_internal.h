/* What the SQLite store's files share: the store struct and the statement helpers. Each area of
 * the store (core records in store_sqlite.c; portal, privacy, keys and foreign records in their
 * own store_sqlite_<area>.c) prepares its statements through sqlite_prepared(), once per
 * connection. Only store/ includes this. */
#ifndef OK_STORE_SQLITE_INTERNAL_H
#define OK_STORE_SQLITE_INTERNAL_H

#include <pthread.h>
#include <sqlite3.h>
#include <stdbool.h>

#include "store/store.h"

#define SQLITE_CORE_STMTS 64  /* room for store_sqlite.c's own statements */
#define SQLITE_AREA_STMTS 128 /* room for the statements of the other areas */

struct store_sqlite {
	struct store base;
	sqlite3 *db;
	sqlite3_stmt *stmt[SQLITE_CORE_STMTS];
	/* Prepared on first use, found by the address of their SQL text (a static string). */
	struct {
		const char *sql;
		sqlite3_stmt *st;
	} area[SQLITE_AREA_STMTS];
	size_t narea;
	pthread_mutex_t *writer; /* see store_ops.set_writer_lock; NULL: none */
	bool writer_held;
};

static inline struct store_sqlite *sq(struct store *s)
{
	return (struct store_sqlite *)(void *)s;
}

/*
 * The prepared statement for sql (a string with static storage), reset and cleared for use;
 * prepared on first use. NULL with err filled when it cannot be prepared.
 */
sqlite3_stmt *sqlite_prepared(struct store_sqlite *s, const char *sql, struct ok_error *err);

/* Maps an SQLite result to an OK_E… code with a message naming what was being done. */
int sqlite_fail(struct store_sqlite *s, int rc, const char *what, struct ok_error *err);
/* Binds a string or bytes that outlive the statement's step. */
int sqlite_bind_text(sqlite3_stmt *st, int i, const char *v);
int sqlite_bind_blob(sqlite3_stmt *st, int i, const void *v, size_t n);
/* Copies a column: text truncated to cap - 1 bytes, bytes zero-padded to n, bytes into out. */
void sqlite_col_text(sqlite3_stmt *st, int i, char *dst, size_t cap);
void sqlite_col_fixed(sqlite3_stmt *st, int i, unsigned char *dst, size_t n);
int sqlite_col_buf(sqlite3_stmt *st, int i, struct buf *out);
/* Runs a statement that returns no rows. */
int sqlite_exec_step(struct store_sqlite *s, sqlite3_stmt *st, const char *what,
                     struct ok_error *err);
/* Calls fn for each audit event a query returns (columns as in the audit_event table, seq
 * first); a non-zero return of fn stops and is returned. */
int sqlite_audit_rows(struct store_sqlite *s, sqlite3_stmt *st, store_audit_fn fn, void *ctx,
                      struct ok_error *err);
/* The work list of a key rotation, shared by the areas whose records are re-sealed: calls fn with
 * each id a query like "SELECT id … WHERE id > ? AND key_id <> ? ORDER BY id LIMIT ?" returns
 * (bound to after_id, key_id, limit); a non-zero return of fn stops and is returned. */
int sqlite_ids_not_under(struct store *base, const char *sql, const char *what, uint32_t key_id,
                         const char *after_id, size_t limit, int (*fn)(void *ctx, const char *id),
                         void *ctx, struct ok_error *err);
/* Steps a statement that returns at most one row: 0 with the row, OK_ENOTFOUND, or an error. */
int sqlite_step_one(struct store_sqlite *s, sqlite3_stmt *st, const char *what,
                    struct ok_error *err);

/* store_sqlite_backup.c: the schema version and the online backup (store_ops). */
int sqlite_schema_version(struct store *base, int *out, struct ok_error *err);
int sqlite_backup_to(struct store *base, const char *path, struct ok_error *err);

#endif
