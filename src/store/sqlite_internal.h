/* What the SQLite store's files share: the store struct, the statement ids, and the column
 * tables that bind and read rows. Only store/ includes this.
 *
 * One way to run a statement: each is a static `struct sqlite_query` (its id, its SQL, what it
 * does, and the column tables of the record it binds and of the rows it returns), prepared on
 * first use and cached on the connection in the slot of its id, finalised at close. Records are
 * bound and read through their column table (name, kind, offset and size in the struct), never
 * by hand; scalar keys are passed as arguments (SQLITE_ARGS). */
#ifndef OK_STORE_SQLITE_INTERNAL_H
#define OK_STORE_SQLITE_INTERNAL_H

#include <pthread.h>
#include <sqlite3.h>
#include <stdbool.h>
#include <stddef.h>

#include "store/store.h"

/* Every statement of the SQLite store, by area: the index of its slot in the connection's
 * cache. A query's id is used by that query alone (checked when it is used). */
enum sqlite_stmt_id {
	/* store_sqlite.c */
	ST_BEGIN,
	ST_COMMIT,
	ST_ROLLBACK,
	ST_READ_BEGIN,
	ST_META_GET,
	ST_META_SET,
	ST_META_ADD,
	ST_INST_ADD,
	ST_INST_GET,
	ST_INST_LIST,
	ST_KEY_ADD,
	ST_KEY_FIND,
	ST_LEARNER_FIND,
	ST_LEARNER_GET,
	ST_LEARNER_INSERT,
	ST_LEARNER_UPDATE,
	ST_ACH_FIND,
	ST_ACH_GET,
	ST_ACH_INSERT,
	ST_ACH_UPDATE,
	ST_ACH_HISTORY,
	ST_ACH_BY_LEARNER,
	ST_ACH_COUNT,
	ST_AUDIT_HEAD,
	ST_AUDIT_INSERT,
	ST_AUDIT_LIST,
	ST_STATUS_CURRENT,
	ST_STATUS_ADD,
	ST_STATUS_BUMP,
	ST_STATUS_GET,
	ST_STATUS_BITS,
	ST_STATUS_SLOT,
	ST_SLOT_STATUS,
	ST_CREDENTIAL_ISSUED_ADD,
	ST_ACHIEVEMENT_BY_CREDENTIAL,
	ST_CREDENTIAL_STATUS,
	ST_STATUS_MEM, /* store_sqlite_statusmem.c */
	ST_STATUS_CACHE_GET,
	ST_STATUS_CACHE_PUT,
	ST_TRUST_PUT,
	ST_TRUST_GET,
	ST_TRUST_REMOVE,
	ST_TRUST_REMOVE_SOURCE,
	ST_TRUST_LIST,
	ST_DATA_VERSION,
	/* store_sqlite_apikeys.c */
	ST_APIKEY_LIST,
	ST_APIKEY_REVOKE,
	ST_APIKEY_REVOKED,
	ST_APIKEY_TOUCH,
	/* store_sqlite_audit.c */
	ST_CHECKPOINT_ADD,
	ST_CHECKPOINT_LAST,
	ST_CHECKPOINT_LIST,
	ST_AUDIT_BY_SUBJECT,
	ST_ACH_VERSIONS,
	/* store_sqlite_foreign.c */
	ST_FOREIGN_PUT,
	ST_FOREIGN_GET,
	ST_FOREIGN_FIND,
	ST_FOREIGN_BY_LEARNER,
	ST_FOREIGN_SET_STATUS,
	ST_FOREIGN_RESEAL,
	ST_FOREIGN_SEALED,
	/* store_sqlite_identity.c */
	ST_IDENTITY_PUT,
	ST_IDENTITY_GET,
	ST_IDENTITY_BY_LEARNER,
	ST_IDENTITY_RESEAL,
	ST_IDENTITY_NOT_UNDER,
	ST_IDENTITY_IDS,
	/* store_sqlite_keys.c */
	ST_ROTATION_LAST,
	ST_ROTATION_PUT,
	ST_LEARNERS_BY_KEY,
	ST_FOREIGN_BY_KEY,
	ST_LEARNERS_NOT_UNDER,
	ST_FOREIGN_NOT_UNDER,
	ST_LEARNER_IDS,
	ST_FOREIGN_IDS,
	ST_ISSUER_KEY_PUT,
	ST_ISSUER_KEY_GET,
	ST_ISSUER_KEY_LIST,
	ST_CREDENTIALS_ISSUED,
	/* store_sqlite_leak.c */
	ST_READ_WINDOW,
	ST_READ_PUT,
	ST_READ_PRUNE,
	ST_READ_CLEAR,
	ST_BLOCK_PUT,
	ST_BLOCK_GET,
	ST_BLOCK_REMOVE,
	ST_BLOCK_COUNT,
	ST_BLOCK_LIST,
	ST_LIMIT_PUT,
	ST_LIMIT_GET,
	/* store_sqlite_portal.c */
	ST_LINK_PUT,
	ST_LINK_FIND,
	ST_LINK_USE,
	ST_LINK_PRUNE,
	ST_SESSION_PUT,
	ST_SESSION_FIND,
	ST_SESSION_TOUCH,
	ST_SESSION_DELETE,
	ST_SESSION_PRUNE,
	ST_SHARE_PUT,
	ST_SHARE_GET,
	ST_SHARE_FIND,
	ST_SHARE_LIST,
	ST_SHARE_REVOKE,
	ST_SHARE_EXISTS,
	ST_SHARE_USE,
	ST_VIEW_PUT,
	ST_VIEW_LIST,
	/* store_sqlite_backup.c */
	ST_SCHEMA_VERSION,
	/* store_sqlite_ratelimit.c */
	ST_RATELIMIT_ADD,
	ST_RATELIMIT_PRUNE,
	/* store_sqlite_vcstatus.c */
	ST_VC_STATUS_ADD,
	ST_VC_STATUS_GET,
	ST_VC_STATUS_FIND_ID,
	ST_VC_STATUS_BY_SLOT,
	ST_VC_STATUS_SET,
	ST_VC_STATUS_COUNT,
	ST_VC_STATUS_COUNT_SINCE,
	/* store_sqlite_emrex.c */
	ST_EMREX_PUT,
	ST_EMREX_GET,
	ST_EMREX_LIST,
	ST_EMREX_SESSION_PUT,
	ST_EMREX_SESSION_FIND,
	ST_EMREX_SESSION_USE,
	ST_EMREX_SESSION_PRUNE,
	ST_EMREX_SESSION_OPEN_COUNT,
	/* store_sqlite_retention.c */
	ST_HOLD_ADD,
	ST_HOLD_GET,
	ST_HOLD_LIST,
	ST_HOLD_RELEASE,
	ST_RET_COUNT_RESULT,
	ST_RET_COUNT_FOREIGN,
	ST_RET_COUNT_SHARE,
	ST_RET_COUNT_SESSION,
	ST_RET_COUNT_LINK,
	ST_RET_RESULTS_DUE,
	ST_RET_RESULT_HISTORY_DEL,
	ST_RET_RESULT_DEL,
	ST_RET_SHARE_STAND_IN,
	ST_RET_OFFER_DROP_ID,
	ST_RET_OFFER_EMPTY_TOKENS,
	ST_RET_OFFER_EMPTY,
	ST_RET_SWEEP_FOREIGN,
	ST_RET_SWEEP_SHARE_VIEWS,
	ST_RET_SWEEP_SHARES,
	ST_RET_SWEEP_SESSIONS,
	ST_RET_SWEEP_LINKS,
	ST_RET_SHARES_DUE,
	ST_RET_SHARE_VIEWS_DEL,
	ST_RET_SHARE_DEL,
	ST_RET_ORPHANS,
	ST_RET_LEARNER_VIEWS_DEL,
	ST_RET_LEARNER_SHARES_DEL,
	ST_RET_LEARNER_SESSIONS_DEL,
	ST_RET_LEARNER_LINKS_DEL,
	ST_RET_LEARNER_IDENTITY_DEL,
	ST_RET_LEARNER_READS_DEL,
	ST_RET_LEARNER_DEL,
	ST_RET_ERASE_FOREIGN,
	ST_RET_RUN_OPEN,
	ST_RET_RUN_PUT,
	ST_RET_RUN_LIST,
	ST_RET_COUNT_OFFER,
	ST_RET_SWEEP_OFFER_TOKENS,
	ST_RET_SWEEP_OFFERS,
	ST_RET_LEARNER_OFFER_TOKENS_DEL,
	ST_RET_LEARNER_OFFERS_DEL,
	ST_RET_LEARNER_EMREX_DEL,
	ST_RET_OF_LEARNER_RESULTS,
	ST_RET_OF_LEARNER_RESULTS_COUNT,
	ST_RET_OF_LEARNER_FOREIGN,
	ST_RET_OF_LEARNER_FOREIGN_COUNT,
	ST_RET_FOREIGN_DUE,
	ST_RET_FOREIGN_DEL,
	ST_RET_LEARNER_HOLDS_DEL,
	ST_RET_RECORD_HOLDS_DEL,
	/* store_sqlite_vci.c */
	ST_VCI_OFFER_PUT,
	ST_VCI_OFFER_GET,
	ST_VCI_OFFER_BY_TOKEN,
	ST_VCI_OFFER_BY_CODE,
	ST_VCI_OFFER_REDEEM,
	ST_VCI_OFFER_WRONG_PIN,
	ST_VCI_TOKEN_PUT,
	ST_VCI_TOKEN_FIND,
	ST_VCI_ONCE_PUT,
	ST_VCI_ONCE_TAKE,
	ST_VCI_PRUNE_OFFERS,
	ST_VCI_PRUNE_TOKENS,
	ST_VCI_PRUNE_ONCE,
	/* store_sqlite_verifier.c */
	ST_VP_PUT,
	ST_VP_GET,
	ST_VP_FIND_VIEW,
	ST_VP_ANSWER,
	ST_VP_PRUNE,
	ST_VP_COUNT,
	ST_VP_COUNT_SIGNIN,
	ST_VP_COUNT_CLIENT,
	ST_VP_TAKE,
	ST_RET_COUNT_AUDIT,
	ST_RET_AUDIT_DUE,
	ST_RET_AUDIT_TOMBSTONE,
	ST_OIDC_FLOW_PUT,
	ST_OIDC_FLOW_TAKE,
	ST_OIDC_FLOW_PRUNE,
	/* store_sqlite_import.c */
	ST_IMPORT_LEARNER_FIND,
	ST_IMPORT_NEXT_RECORD,
	ST_IMPORT_SLOTS,
	ST_COUNT
};

/* How a struct member is bound and read. */
enum sqlite_kind {
	SQ_TEXT,    /* NUL-terminated char array: bound as text, read cut to its size - 1 bytes */
	SQ_INT,     /* signed integer of 4 or 8 bytes (int, long, int64_t) */
	SQ_UINT,    /* unsigned integer of 4 bytes (key ids) */
	SQ_BOOL,    /* bool, as 0 or 1 */
	SQ_BLOB,    /* byte array of fixed size: read zero-padded */
	SQ_BUF,     /* struct buf (sealed values): bound as bytes, read to its cap */
	SQ_BUF_REF, /* struct buf * to the caller's buffer, as SQ_BUF */
};

/* One column of a record: its name in the SQL (checked against a query's result columns when
 * the query is prepared) and where it lives in the struct. */
struct sqlite_col {
	const char *name;
	enum sqlite_kind kind;
	size_t offset;
	size_t size;
};

struct sqlite_cols {
	const struct sqlite_col *col;
	size_t n;
};

/* A column of record type T held in member m (m may be nested, e.g. a.version: the column is
 * named by the part after the last dot). */
/* clang-format off */
#define SQLITE_COL(T, m, kind) {#m, (kind), offsetof(T, m), sizeof(((T *)0)->m)}
/* The first n columns of an array (all of them: SQLITE_COLS). */
#define SQLITE_COLS_N(array, count) {(array), (count)}
/* clang-format on */
#define SQLITE_COLS(array) SQLITE_COLS_N((array), sizeof(array) / sizeof((array)[0]))

/* A statement: params is the record bound as ?1, ?2, … in column order (NULL: none; any
 * arguments follow it), row the columns each result row is read into (NULL: no rows). */
struct sqlite_query {
	enum sqlite_stmt_id id;
	const char *sql;
	const char *what; /* what it does, for error messages: "add a session" */
	const struct sqlite_cols *params;
	const struct sqlite_cols *row;
};

/* A scalar argument of a statement. */
struct sqlite_arg {
	enum sqlite_kind kind; /* SQ_TEXT, SQ_INT or SQ_BLOB */
	const void *p;
	int64_t i;
	size_t n;
};

/* clang-format off */
#define SQ_ARG_TEXT(v)    {SQ_TEXT, (v), 0, 0}
#define SQ_ARG_INT(v)     {SQ_INT, NULL, (int64_t)(v), 0}
#define SQ_ARG_BLOB(v, n) {SQ_BLOB, (v), 0, (n)}
/* clang-format on */
/* The arguments of a call, as the array and count that the functions below take. */
#define SQLITE_ARGS(...)                          \
	(const struct sqlite_arg[]){__VA_ARGS__}, \
	        sizeof((const struct sqlite_arg[]){__VA_ARGS__}) / sizeof(struct sqlite_arg)
#define SQLITE_NO_ARGS NULL, 0

struct store_sqlite {
	struct store base;
	sqlite3 *db;
	/* Prepared on first use; the query is kept to check that no other uses the slot. */
	struct {
		sqlite3_stmt *st;
		const struct sqlite_query *q;
	} stmt[ST_COUNT];
	pthread_mutex_t *writer; /* see store_ops.set_writer_lock; NULL: none */
	bool writer_held;
	/* A read snapshot is open (store_read_begin): a deferred transaction that only reads. */
	bool reading;
	/* store_moved: the data version at which the move's marker was last read, and what was
	 * found then (the marker is read again only after another connection committed). */
	bool moved_known;
	bool moved;
	int64_t data_version;
	/* How long a statement waits for another connection's write lock: SQLITE_LOCK_WAIT_MS, or
	 * shorter in a test (store_test_wait_ms). */
	int64_t lock_wait_ms;
	/* The database is in WAL mode; and the set of revoked and suspended records kept for
	 * verifications (store_sqlite_statusmem.c; NULL until first used). */
	bool wal;
	struct sqlite_statusmem *statusmem;
};

#define SQLITE_LOCK_WAIT_MS 10000

/* Whether a statement waits (about 10 s at most) for another connection's write lock, as every
 * statement does, or answers OK_EBUSY at once: for writes that must never hold up a request. */
void sqlite_wait_for_lock(struct store_sqlite *s, bool wait);

/* The areas of the SQLite back end, each in its store_sqlite_<area>.c. */
extern const struct store_portal_ops sqlite_portal_ops;
extern const struct store_leak_ops sqlite_leak_ops;
extern const struct store_audit_ops sqlite_audit_ops;
extern const struct store_keys_ops sqlite_keys_ops;
extern const struct store_foreign_ops sqlite_foreign_ops;
extern const struct store_identity_ops sqlite_identity_ops;
extern const struct store_apikey_ops sqlite_apikey_ops;
extern const struct store_ratelimit_ops sqlite_ratelimit_ops;
extern const struct store_vcstatus_ops sqlite_vcstatus_ops;
extern const struct store_emrex_ops sqlite_emrex_ops;
extern const struct store_vci_ops sqlite_vci_ops;
extern const struct store_vp_ops sqlite_vp_ops;
extern const struct store_retention_ops sqlite_retention_ops;
extern const struct store_import_ops sqlite_import_ops;

static inline struct store_sqlite *sq(struct store *s)
{
	return (struct store_sqlite *)(void *)s;
}

/* Maps an SQLite result to an OK_E… code with a message naming what was being done. */
int sqlite_fail(struct store_sqlite *s, int rc, const char *what, struct ok_error *err);

/*
 * Running a query. Each prepares q on first use (checking its result columns against q->row),
 * resets it, and binds rec (q->params) and then args.
 *
 * sqlite_exec: a statement that returns no rows; 0 or an error.
 * sqlite_get: the first row into out; 0, OK_ENOTFOUND when there is none, or an error.
 * sqlite_count: the one integer of the first row of a query whose row is sqlite_count_cols.
 * sqlite_query + sqlite_next: a listing. sqlite_next reads the next row into out and returns
 *   1, or 0 at the end, or an error; sqlite_end resets the query (a listing stopped early
 *   must not keep its read snapshot) and returns rc.
 */
int sqlite_exec(struct store_sqlite *s, const struct sqlite_query *q, const void *rec,
                const struct sqlite_arg *args, size_t nargs, struct ok_error *err);
int sqlite_get(struct store_sqlite *s, const struct sqlite_query *q, const struct sqlite_arg *args,
               size_t nargs, void *out, struct ok_error *err);
int sqlite_count(struct store_sqlite *s, const struct sqlite_query *q,
                 const struct sqlite_arg *args, size_t nargs, int64_t *out, struct ok_error *err);
int sqlite_query(struct store_sqlite *s, const struct sqlite_query *q,
                 const struct sqlite_arg *args, size_t nargs, struct ok_error *err);
int sqlite_next(struct store_sqlite *s, const struct sqlite_query *q, void *out,
                struct ok_error *err);
int sqlite_end(struct store_sqlite *s, const struct sqlite_query *q, int rc);

/* Rows changed by the last statement run on this connection. */
static inline int sqlite_changes(struct store_sqlite *s)
{
	return sqlite3_changes(s->db);
}

/* One integer column named n (alias an expression: "count(*) AS n"). */
struct sqlite_count_row {
	int64_t n;
};
extern const struct sqlite_cols sqlite_count_cols;

/* One id column named id. */
struct sqlite_id_row {
	char id[STORE_ID_MAX + 1];
};
extern const struct sqlite_cols sqlite_id_cols;

/* The columns of an audit event, in the order of the audit_event table (seq first). */
#define SQLITE_EVENT_COLS "seq, at_ms, actor, action, subject, purpose, detail, prev_hash, hash"
extern const struct sqlite_cols sqlite_event_cols;

/* Calls fn for each event a query returns (its row sqlite_event_cols); a non-zero return of fn
 * stops and is returned. */
int sqlite_audit_rows(struct store_sqlite *s, const struct sqlite_query *q,
                      const struct sqlite_arg *args, size_t nargs, store_audit_fn fn, void *ctx,
                      struct ok_error *err);
/* The work list of a key rotation, shared by the areas whose records are re-sealed: calls fn
 * with each id a query like "SELECT id … WHERE id > ? AND key_id <> ? ORDER BY id LIMIT ?"
 * returns (bound to after_id, key_id, limit); a non-zero return of fn stops and is returned. */
int sqlite_ids_not_under(struct store *base, const struct sqlite_query *q, uint32_t key_id,
                         const char *after_id, size_t limit, int (*fn)(void *ctx, const char *id),
                         void *ctx, struct ok_error *err);

/* store_sqlite_statusmem.c: store_ops.credential_status_mem and slot_status_mem; the set is
 * freed with the connection (sqlite_statusmem_free, NULL allowed). */
struct sqlite_statusmem;
bool sqlite_credential_status_mem(struct store *base, const char *credential_id,
                                  struct store_credential_status *out);
bool sqlite_slot_status_mem(struct store *base, int64_t list, int64_t index,
                            char status[STORE_STATUS_MAX]);
void sqlite_statusmem_free(struct sqlite_statusmem *m);
/* Called just before a read snapshot's deferred BEGIN: notes the WAL-index header, so that the
 * set may be loaded inside the snapshot while the header is still the same. */
void sqlite_statusmem_begin(struct store_sqlite *s);

/* store_sqlite_backup.c: the schema version and the online backup (store_ops). */
int sqlite_schema_version(struct store *base, int *out, struct ok_error *err);
int sqlite_backup_to(struct store *base, const char *path, struct ok_error *err);

#endif
