/* The store: the one narrow interface under which records are kept. The embedded SQLite back
 * end implements it (store_sqlite*.c); a PostgreSQL back end implements the same and nothing else.
 *
 * What a back end implements:
 * - struct store_ops below (transactions, metadata, institutions, API keys, learners,
 *   achievements, the audit chain, status lists, the trust list) and every area table it points
 *   to: portal (store/portal.h), leak (leak.h), audit (audit.h), keys (keys.h), foreign
 *   (foreign.h), identity (identity.h), apikeys (apikeys.h), ratelimit (ratelimit.h), vcstatus
 *   (vcstatus.h), retention (retention.h). Every
 *   pointer is set: no caller asks whether a back end has an area. Code outside store/ calls
 *   only the inline wrappers (store_<op>(s, …)), never ->ops-> itself.
 * - An open function (store_<backend>_open) returning a struct whose first member is struct
 *   store; store_open() chooses it by URL. One struct store is one connection, used by one
 *   thread at a time; a server opens one per thread.
 *
 * Transactions:
 * - store_begin() starts a write transaction that holds the database's write lock from begin on
 *   (SQLite: BEGIN IMMEDIATE), so that two writers never meet halfway; no nesting.
 *   store_commit() ends it; a failed commit leaves it open for store_rollback(). store_rollback()
 *   without a transaction does nothing and returns 0; closing rolls back an open one.
 * - With store_set_writer_lock(), begin first takes the given mutex (shared by the connections
 *   of one process) and commit or rollback lets go of it: threads wait on the mutex instead of
 *   polling the database's lock.
 * - Writes happen inside a transaction; reads work inside or outside one and see committed data
 *   (and the connection's own uncommitted writes). A listing never takes the write lock.
 *
 * What each operation promises:
 * - It returns 0 or a negative OK_E… code and fills err: OK_ENOTFOUND for a missing record (a
 *   get or find; a remove, revoke or end of nothing, where its header says so), OK_EEXIST for an
 *   insert whose key is taken, OK_EBUSY, OK_EDISKFULL, OK_EIO (read-only), OK_ESTORE otherwise.
 * - What a get or find puts in out is meant only when it returns 0. Listings call fn once per
 * record in the order the operation states (institutions by code, an achievement list by
 * institution, award date and id, events by sequence number, the trust list by DID; the area
 * headers state theirs); no record is no call and 0; a non-zero return of fn stops the listing and
 * is returned. Counts of nothing are 0.
 * - Setting meta, and putting a trusted issuer, a signed status list, a key rotation, an issuer
 *   key, a read limit or a key's read, inserts or replaces by key (running it twice is running
 *   it once); every other add or put inserts.
 * - Text longer than its field is cut to fit when read; sealed bytes (struct buf) are read up to
 *   their buffer's cap (OK_ETOOBIG beyond).
 *
 * What crosses it: plain structs (fixed char arrays of UTF-8 text, fixed byte arrays for hashes,
 * int64_t Unix milliseconds, struct buf for sealed bytes). No back-end type (no sqlite3, no
 * PGconn, no statement or SQL text) crosses it, and no plaintext personal data: sealed fields are
 * opaque bytes to the store.
 *
 * Schema: the back end applies its missing numbered migrations in one transaction at open
 * (schema_sqlite.h, append-only) and refuses a database newer than it knows (OK_EUNSUPPORTED).
 */
#ifndef OK_STORE_STORE_H
#define OK_STORE_STORE_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"
#include "core/error.h"
#include "audit/chain.h"

#ifdef OK_TEST_HOOKS
/* Test only (builds with -Dtest_hooks=true): the whole milliseconds in environment variable name,
 * from 1 to def, or def when it is unset or anything else. Shortens the store's waits for a
 * lock (OORKONDE_TEST_LOCK_WAIT_MS) and for a PostgreSQL server's answer
 * (OORKONDE_TEST_PG_BOUND_MS), and the shared rate limits' flush round
 * (OORKONDE_TEST_RATELIMIT_ROUND_MS, http/ratelimit_flusher.c), so that a test waits
 * milliseconds where a user's server waits seconds. */
int64_t store_test_wait_ms(const char *name, int64_t def);
#endif

#define STORE_ID_MAX     32 /* record ids are short ASCII identifiers */
#define STORE_HASH_BYTES 32

struct store_institution {
	char code[33];
	char name[201];
	char country[3];
	char erasmus[33];
	char schac[101];
};

struct store_api_key {
	char id[STORE_ID_MAX + 1];
	char institution[33]; /* "" for an operator key bound to no institution */
	unsigned char key_hash[STORE_HASH_BYTES];
	char permissions[128]; /* comma-separated, e.g. "register,read" */
	int64_t created_ms;
	int64_t revoked_ms;   /* 0 while valid */
	int64_t last_used_ms; /* 0 while never used (store/apikeys.h) */
};

/* A learner: the personal fields sealed (privacy/seal.h), found through a blind index. */
struct store_learner {
	char id[STORE_ID_MAX + 1];
	unsigned char nid_index[STORE_HASH_BYTES];
	unsigned char digest[STORE_HASH_BYTES]; /* keyed digest of the plaintext fields */
	struct buf national_id;                 /* sealed */
	struct buf given_names;                 /* sealed */
	struct buf family_name;                 /* sealed */
	struct buf birth_date;                  /* sealed */
	uint32_t key_id;
	int64_t created_ms;
	int64_t updated_ms;
};

void store_learner_init(struct store_learner *l);
void store_learner_release(struct store_learner *l);

#define STORE_STATUS_MAX 16 /* an achievement's status text and its NUL */

struct store_achievement {
	char id[STORE_ID_MAX + 1];
	char learner_id[STORE_ID_MAX + 1];
	char institution[33];
	char record_id[257];
	char kind[16];
	char title[1201];
	char programme_code[129];
	int eqf_level;      /* 0 = none */
	long credits_centi; /* -1 = none */
	char grade[65];
	char grading_scheme[257];
	char awarded_on[11];
	char language[3];
	char status[STORE_STATUS_MAX]; /* active, suspended, revoked */
	int64_t status_list;           /* the status list the slot is in (0 until assigned) */
	int64_t status_index;          /* the slot in that list, -1 until assigned */
	unsigned char digest[STORE_HASH_BYTES];
	int version;
	int64_t created_ms;
	int64_t updated_ms;
};

/* A Bitstring Status List (one slot numbering, two lists: revocation and suspension): each
 * purpose's version grows whenever a bit of that list changes. */
struct store_status_list {
	int64_t n;
	int64_t size; /* entries (bits) */
	int64_t used; /* slots given out */
	int64_t revocation_version;
	int64_t suspension_version;
};

/* What a verification needs of the achievement a credential was issued for
 * (store_credential_status): its status and its slot (status_index -1 when none). */
struct store_credential_status {
	char status[STORE_STATUS_MAX];
	int64_t status_list;
	int64_t status_index;
};

#define STORE_ETAG_MAX 72

/* An issuer on the trust list: added locally (source "local") or from a network list. */
struct store_trusted_issuer {
	char did[257];
	char name[201];
	char country[3];
	char source[64]; /* "local", or the network list it came from */
	char status[16]; /* active, suspended */
	int64_t since_ms;
};

struct store;

/* The operations of the store's other areas, each declared in its own header. */
struct store_portal_ops;   /* store/portal.h: login links, sessions, shares */
struct store_leak_ops;     /* store/leak.h: key read windows, key blocks */
struct store_audit_ops;    /* store/audit.h: signed audit checkpoints */
struct store_keys_ops;     /* store/keys.h: data-key rotation */
struct store_foreign_ops;  /* store/foreign.h: achievements from other depositories */
struct store_identity_ops; /* store/identity.h: corrections of a learner's identity */
struct store_apikey_ops;   /* store/apikeys.h: API keys listed, revoked, last used */
struct store_import_ops;   /* store/import.h: the bulk path of imports */
/* store/ratelimit.h: request counts shared by servers */
struct store_ratelimit_ops;
struct store_vcstatus_ops;  /* store/vcstatus.h: VC-API credentials' status slots */
struct store_emrex_ops;     /* store/emrex.h: EMREX contact points and their certificates */
struct store_vp_ops;        /* store/verifier.h: OpenID4VP verifier requests and results */
struct store_retention_ops; /* store/retention.h: legal holds, due records, destruction */
struct store_vci_ops;       /* store/vci.h: wallet-issuance offers, tokens, nonces */

/* Called for each record of a listing; a non-zero return stops the listing and is returned. */
typedef int (*store_achievement_fn)(void *ctx, const struct store_achievement *a);
typedef int (*store_institution_fn)(void *ctx, const struct store_institution *i);
typedef int (*store_audit_fn)(void *ctx, const struct audit_event *e);
typedef int (*store_trust_fn)(void *ctx, const struct store_trusted_issuer *t);
typedef int (*store_index_fn)(void *ctx, int64_t index);

struct store_ops {
	const char *name;
	void (*close)(struct store *s);
	int (*begin)(struct store *s, struct ok_error *err);
	int (*commit)(struct store *s, struct ok_error *err);
	int (*rollback)(struct store *s);
	/* Whether a transaction is open on this connection. */
	bool (*in_transaction)(struct store *s);
	/*
	 * Makes the transactions of this connection take lock (a mutex shared by the
	 * connections of one process, e.g. a server's threads; NULL for none) from begin to
	 * commit or rollback: the threads then wait for each other's write transactions on the
	 * mutex instead of polling the database's lock. Call with no transaction open.
	 */
	void (*set_writer_lock)(struct store *s, pthread_mutex_t *lock);

	int (*meta_get)(struct store *s, const char *key, struct buf *out, struct ok_error *err);
	int (*meta_set)(struct store *s, const char *key, const char *value, struct ok_error *err);
	/* Inserts only: OK_EEXIST when key holds a value already (which stays). */
	int (*meta_add)(struct store *s, const char *key, const char *value, struct ok_error *err);

	int (*institution_add)(struct store *s, const struct store_institution *i,
	                       struct ok_error *err);
	int (*institution_get)(struct store *s, const char *code, struct store_institution *out,
	                       struct ok_error *err);
	int (*institution_list)(struct store *s, store_institution_fn fn, void *ctx,
	                        struct ok_error *err);

	int (*api_key_add)(struct store *s, const struct store_api_key *k, struct ok_error *err);
	int (*api_key_find)(struct store *s, const unsigned char hash[STORE_HASH_BYTES],
	                    struct store_api_key *out, struct ok_error *err);

	int (*learner_find)(struct store *s, const unsigned char nid_index[STORE_HASH_BYTES],
	                    struct store_learner *out, struct ok_error *err);
	int (*learner_get)(struct store *s, const char *id, struct store_learner *out,
	                   struct ok_error *err);
	int (*learner_put)(struct store *s, const struct store_learner *l, bool update,
	                   struct ok_error *err);

	int (*achievement_find)(struct store *s, const char *institution, const char *record_id,
	                        struct store_achievement *out, struct ok_error *err);
	int (*achievement_get)(struct store *s, const char *id, struct store_achievement *out,
	                       struct ok_error *err);
	/* Insert (update false) or replace by id, keeping the previous version in the history. */
	int (*achievement_put)(struct store *s, const struct store_achievement *a, bool update,
	                       const char *actor, const char *reason, struct ok_error *err);
	int (*achievement_list_by_learner)(struct store *s, const char *learner_id,
	                                   store_achievement_fn fn, void *ctx,
	                                   struct ok_error *err);
	int (*achievement_count)(struct store *s, int64_t *out, struct ok_error *err);

	/* The last event's sequence number and hash (0 and zeros when there is none). */
	int (*audit_head)(struct store *s, int64_t *seq, unsigned char hash[AUDIT_HASH_BYTES],
	                  struct ok_error *err);
	int (*audit_insert)(struct store *s, const struct audit_event *e, struct ok_error *err);
	int (*audit_list)(struct store *s, int64_t after_seq, store_audit_fn fn, void *ctx,
	                  struct ok_error *err);

	/* Status lists: the newest list (OK_ENOTFOUND when none), one by number, a new one, and
	 * counters (used_delta slots given out, a purpose's delta when its bits changed). */
	int (*status_list_current)(struct store *s, struct store_status_list *out,
	                           struct ok_error *err);
	int (*status_list_get)(struct store *s, int64_t n, struct store_status_list *out,
	                       struct ok_error *err);
	int (*status_list_add)(struct store *s, int64_t n, int64_t size, struct ok_error *err);
	int (*status_list_bump)(struct store *s, int64_t n, int64_t used_delta,
	                        int64_t revocation_delta, int64_t suspension_delta,
	                        struct ok_error *err);
	/* Calls fn with the index of every achievement of list n whose status is status. */
	int (*status_list_bits)(struct store *s, int64_t n, const char *status, store_index_fn fn,
	                        void *ctx, struct ok_error *err);
	int (*achievement_by_slot)(struct store *s, int64_t list, int64_t index,
	                           struct store_achievement *out, struct ok_error *err);
	/* The status (active, suspended, revoked) of slot index of list n: its achievement's, or
	 * else its VC-API credential's (vcstatus.h), read in one statement; OK_ENOTFOUND when
	 * neither holds the slot. For a verification's status entry: nothing else is read. */
	int (*slot_status)(struct store *s, int64_t list, int64_t index,
	                   char status[STORE_STATUS_MAX], struct ok_error *err);
	/* Records that the credential with id credential_id (at most STORE_CREDENTIAL_ID_MAX
	 * bytes) was issued for achievement_id; the same id again changes nothing. The row goes
	 * when the achievement does. */
	int (*credential_issued_add)(struct store *s, const char *credential_id,
	                             const char *achievement_id, int64_t at_ms,
	                             struct ok_error *err);
	/* The achievement a credential of the depository's with this id was issued for
	 * (an index look-up): OK_ENOTFOUND when none was recorded. */
	int (*achievement_by_credential)(struct store *s, const char *credential_id,
	                                 struct store_achievement *out, struct ok_error *err);
	/* The same look-up, narrow, for a verification's status check: only the achievement's
	 * status and slot, in one statement (one read transaction); OK_ENOTFOUND when none was
	 * recorded. */
	int (*credential_status)(struct store *s, const char *credential_id,
	                         struct store_credential_status *out, struct ok_error *err);
	/* Optional (NULL: never). The same answers as credential_status and slot_status, from
	 * memory without a read, when the store can tell that nothing was committed to the
	 * database (by any connection or process) since it last read which records are revoked or
	 * suspended (SQLite in WAL mode: store_sqlite_statusmem.c). true when answered: status
	 * "revoked" or "suspended" (the credential's slot too), or "" for neither (active, another
	 * status, or not recorded; slot -1). false: ask credential_status / slot_status, which
	 * also report any failure. Outside a transaction only. */
	bool (*credential_status_mem)(struct store *s, const char *credential_id,
	                              struct store_credential_status *out);
	bool (*slot_status_mem)(struct store *s, int64_t list, int64_t index,
	                        char status[STORE_STATUS_MAX]);
	/* The signed list credential last made for (purpose, n), kept until a bit changes. */
	int (*status_cache_get)(struct store *s, const char *purpose, int64_t n, int64_t *version,
	                        char etag[STORE_ETAG_MAX], struct buf *body, struct ok_error *err);
	int (*status_cache_put)(struct store *s, const char *purpose, int64_t n, int64_t version,
	                        const char *etag, const struct buf *body, struct ok_error *err);

	/* Insert or replace by DID. */
	int (*trust_put)(struct store *s, const struct store_trusted_issuer *t,
	                 struct ok_error *err);
	int (*trust_get)(struct store *s, const char *did, struct store_trusted_issuer *out,
	                 struct ok_error *err);
	int (*trust_remove)(struct store *s, const char *did, struct ok_error *err);
	int (*trust_list)(struct store *s, store_trust_fn fn, void *ctx, struct ok_error *err);
	/* Removes every issuer that came from source (e.g. "network"). */
	int (*trust_remove_source)(struct store *s, const char *source, struct ok_error *err);

	/* Backups (store_sqlite_backup.c): the schema version, and a consistent copy of the whole
	 * store written to path (a new file, 0600) while other connections go on writing. */
	int (*schema_version)(struct store *s, int *out, struct ok_error *err);
	int (*backup_to)(struct store *s, const char *path, struct ok_error *err);
	/* OK_EMOVED when this store's records were moved elsewhere (`oorkonde store migrate`:
	 * SQLite's marker), else 0. Cheap enough for every request: SQLite reads the marker again
	 * only when another connection has committed since it last looked. */
	int (*moved)(struct store *s, struct ok_error *err);
	/*
	 * A read snapshot for the reads of one request (SQLite: a deferred BEGIN): they see one
	 * state of the store and share one read lock, instead of taking and dropping one each (two
	 * fcntl(2) a statement). Inside a transaction it does nothing; store_begin ends it first,
	 * so a write always starts from the newest state. read_end ends it (nothing when none is
	 * open). PostgreSQL: nothing (each statement is its own snapshot, and a BEGIN would cost a
	 * round trip).
	 */
	int (*read_begin)(struct store *s, struct ok_error *err);
	void (*read_end)(struct store *s);

	/* The areas: every one is set (see the top of this file). */
	const struct store_portal_ops *portal;
	const struct store_leak_ops *leak;
	const struct store_audit_ops *audit;
	const struct store_keys_ops *keys;
	const struct store_foreign_ops *foreign;
	const struct store_identity_ops *identity;
	const struct store_apikey_ops *apikeys;
	const struct store_ratelimit_ops *ratelimit;
	const struct store_vcstatus_ops *vcstatus;
	const struct store_emrex_ops *emrex;
	const struct store_retention_ops *retention;
	const struct store_vci_ops *vci;
	const struct store_vp_ops *verifier;
	/* Optional, unlike the areas: NULL where imports go row by row (store/import.h). */
	const struct store_import_ops *bulk;
};

struct store {
	const struct store_ops *ops;
};

/*
 * Opens the store named by url: "sqlite:PATH" (or a bare path) for the embedded back end.
 * create: make the database if it does not exist. On success *out is owned by the caller and
 * freed with store_close().
 */
int store_open(struct store **out, const char *url, bool create, struct ok_error *err);

static inline void store_close(struct store *s)
{
	if (s)
		s->ops->close(s);
}

static inline int store_begin(struct store *s, struct ok_error *err)
{
	return s->ops->begin(s, err);
}

static inline int store_commit(struct store *s, struct ok_error *err)
{
	return s->ops->commit(s, err);
}

static inline int store_rollback(struct store *s)
{
	return s->ops->rollback(s);
}

static inline bool store_in_transaction(struct store *s)
{
	return s->ops->in_transaction(s);
}

/* One wrapper per operation: the only way code outside store/ calls the store. */

static inline void store_set_writer_lock(struct store *s, pthread_mutex_t *lock)
{
	s->ops->set_writer_lock(s, lock);
}

static inline int store_meta_get(struct store *s, const char *key, struct buf *out,
                                 struct ok_error *err)
{
	return s->ops->meta_get(s, key, out, err);
}

static inline int store_meta_set(struct store *s, const char *key, const char *value,
                                 struct ok_error *err)
{
	return s->ops->meta_set(s, key, value, err);
}

static inline int store_meta_add(struct store *s, const char *key, const char *value,
                                 struct ok_error *err)
{
	return s->ops->meta_add(s, key, value, err);
}

static inline int store_institution_add(struct store *s, const struct store_institution *i,
                                        struct ok_error *err)
{
	return s->ops->institution_add(s, i, err);
}

static inline int store_institution_get(struct store *s, const char *code,
                                        struct store_institution *out, struct ok_error *err)
{
	return s->ops->institution_get(s, code, out, err);
}

static inline int store_institution_list(struct store *s, store_institution_fn fn, void *ctx,
                                         struct ok_error *err)
{
	return s->ops->institution_list(s, fn, ctx, err);
}

static inline int store_api_key_add(struct store *s, const struct store_api_key *k,
                                    struct ok_error *err)
{
	return s->ops->api_key_add(s, k, err);
}

static inline int store_api_key_find(struct store *s, const unsigned char hash[STORE_HASH_BYTES],
                                     struct store_api_key *out, struct ok_error *err)
{
	return s->ops->api_key_find(s, hash, out, err);
}

static inline int store_learner_find(struct store *s,
                                     const unsigned char nid_index[STORE_HASH_BYTES],
                                     struct store_learner *out, struct ok_error *err)
{
	return s->ops->learner_find(s, nid_index, out, err);
}

static inline int store_learner_get(struct store *s, const char *id, struct store_learner *out,
                                    struct ok_error *err)
{
	return s->ops->learner_get(s, id, out, err);
}

static inline int store_learner_put(struct store *s, const struct store_learner *l, bool update,
                                    struct ok_error *err)
{
	return s->ops->learner_put(s, l, update, err);
}

static inline int store_achievement_find(struct store *s, const char *institution,
                                         const char *record_id, struct store_achievement *out,
                                         struct ok_error *err)
{
	return s->ops->achievement_find(s, institution, record_id, out, err);
}

static inline int store_achievement_get(struct store *s, const char *id,
                                        struct store_achievement *out, struct ok_error *err)
{
	return s->ops->achievement_get(s, id, out, err);
}

static inline int store_achievement_put(struct store *s, const struct store_achievement *a,
                                        bool update, const char *actor, const char *reason,
                                        struct ok_error *err)
{
	return s->ops->achievement_put(s, a, update, actor, reason, err);
}

static inline int store_achievement_list_by_learner(struct store *s, const char *learner_id,
                                                    store_achievement_fn fn, void *ctx,
                                                    struct ok_error *err)
{
	return s->ops->achievement_list_by_learner(s, learner_id, fn, ctx, err);
}

static inline int store_achievement_count(struct store *s, int64_t *out, struct ok_error *err)
{
	return s->ops->achievement_count(s, out, err);
}

static inline int store_audit_head(struct store *s, int64_t *seq,
                                   unsigned char hash[AUDIT_HASH_BYTES], struct ok_error *err)
{
	return s->ops->audit_head(s, seq, hash, err);
}

static inline int store_audit_insert(struct store *s, const struct audit_event *e,
                                     struct ok_error *err)
{
	return s->ops->audit_insert(s, e, err);
}

static inline int store_audit_list(struct store *s, int64_t after_seq, store_audit_fn fn, void *ctx,
                                   struct ok_error *err)
{
	return s->ops->audit_list(s, after_seq, fn, ctx, err);
}

static inline int store_status_list_current(struct store *s, struct store_status_list *out,
                                            struct ok_error *err)
{
	return s->ops->status_list_current(s, out, err);
}

static inline int store_status_list_get(struct store *s, int64_t n, struct store_status_list *out,
                                        struct ok_error *err)
{
	return s->ops->status_list_get(s, n, out, err);
}

static inline int store_status_list_add(struct store *s, int64_t n, int64_t size,
                                        struct ok_error *err)
{
	return s->ops->status_list_add(s, n, size, err);
}

static inline int store_status_list_bump(struct store *s, int64_t n, int64_t used_delta,
                                         int64_t revocation_delta, int64_t suspension_delta,
                                         struct ok_error *err)
{
	return s->ops->status_list_bump(s, n, used_delta, revocation_delta, suspension_delta, err);
}

static inline int store_status_list_bits(struct store *s, int64_t n, const char *status,
                                         store_index_fn fn, void *ctx, struct ok_error *err)
{
	return s->ops->status_list_bits(s, n, status, fn, ctx, err);
}

static inline int store_achievement_by_slot(struct store *s, int64_t list, int64_t index,
                                            struct store_achievement *out, struct ok_error *err)
{
	return s->ops->achievement_by_slot(s, list, index, out, err);
}

static inline int store_slot_status(struct store *s, int64_t list, int64_t index,
                                    char status[STORE_STATUS_MAX], struct ok_error *err)
{
	return s->ops->slot_status(s, list, index, status, err);
}

#define STORE_CREDENTIAL_ID_MAX 512

static inline int store_credential_issued_add(struct store *s, const char *credential_id,
                                              const char *achievement_id, int64_t at_ms,
                                              struct ok_error *err)
{
	return s->ops->credential_issued_add(s, credential_id, achievement_id, at_ms, err);
}

static inline int store_achievement_by_credential(struct store *s, const char *credential_id,
                                                  struct store_achievement *out,
                                                  struct ok_error *err)
{
	return s->ops->achievement_by_credential(s, credential_id, out, err);
}

static inline int store_credential_status(struct store *s, const char *credential_id,
                                          struct store_credential_status *out, struct ok_error *err)
{
	return s->ops->credential_status(s, credential_id, out, err);
}

static inline bool store_credential_status_mem(struct store *s, const char *credential_id,
                                               struct store_credential_status *out)
{
	return s->ops->credential_status_mem &&
	       s->ops->credential_status_mem(s, credential_id, out);
}

static inline bool store_slot_status_mem(struct store *s, int64_t list, int64_t index,
                                         char status[STORE_STATUS_MAX])
{
	return s->ops->slot_status_mem && s->ops->slot_status_mem(s, list, index, status);
}

static inline int store_status_cache_get(struct store *s, const char *purpose, int64_t n,
                                         int64_t *version, char etag[STORE_ETAG_MAX],
                                         struct buf *body, struct ok_error *err)
{
	return s->ops->status_cache_get(s, purpose, n, version, etag, body, err);
}

static inline int store_status_cache_put(struct store *s, const char *purpose, int64_t n,
                                         int64_t version, const char *etag, const struct buf *body,
                                         struct ok_error *err)
{
	return s->ops->status_cache_put(s, purpose, n, version, etag, body, err);
}

static inline int store_trust_put(struct store *s, const struct store_trusted_issuer *t,
                                  struct ok_error *err)
{
	return s->ops->trust_put(s, t, err);
}

static inline int store_trust_get(struct store *s, const char *did,
                                  struct store_trusted_issuer *out, struct ok_error *err)
{
	return s->ops->trust_get(s, did, out, err);
}

static inline int store_trust_remove(struct store *s, const char *did, struct ok_error *err)
{
	return s->ops->trust_remove(s, did, err);
}

static inline int store_trust_list(struct store *s, store_trust_fn fn, void *ctx,
                                   struct ok_error *err)
{
	return s->ops->trust_list(s, fn, ctx, err);
}

static inline int store_trust_remove_source(struct store *s, const char *source,
                                            struct ok_error *err)
{
	return s->ops->trust_remove_source(s, source, err);
}

static inline int store_schema_version(struct store *s, int *out, struct ok_error *err)
{
	return s->ops->schema_version(s, out, err);
}

static inline int store_backup_to(struct store *s, const char *path, struct ok_error *err)
{
	return s->ops->backup_to(s, path, err);
}

static inline int store_moved(struct store *s, struct ok_error *err)
{
	return s->ops->moved(s, err);
}

static inline int store_read_begin(struct store *s, struct ok_error *err)
{
	return s->ops->read_begin(s, err);
}

static inline void store_read_end(struct store *s)
{
	s->ops->read_end(s);
}

/* Back ends. */
int store_sqlite_open(struct store **out, const char *path, bool create, struct ok_error *err);
/* conninfo: a postgresql:// (or postgres://) URI or a libpq keyword string ("host=… dbname=…"). */
int store_pg_open(struct store **out, const char *conninfo, bool create, struct ok_error *err);
/* Whether url names a PostgreSQL database: a postgresql:// or postgres:// URI, or a keyword
 * string whose keywords are all libpq's (PQconndefaults); "db=x.sqlite" is a SQLite path. */
bool store_url_is_pg(const char *url);
/* Whether url is a PostgreSQL connection string that carries a password (better kept in a
 * password file, PGPASSFILE). */
bool store_url_has_password(const char *url);

#endif
