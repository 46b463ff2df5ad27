/* The PostgreSQL store: one libpq connection per struct store, statements prepared on first use,
 * several servers on one database. What the SQLite store makes safe with its single writer is
 * made safe here in the database: every write transaction locks the table writer_lock at begin, so
 * that the audit chain's append (head read, insert), status-list slots and the like are
 * serialised across processes as they are across a process's threads on SQLite. The locks are
 * on tables of the oorkonde role's, never advisory locks: a role that may only connect (CONNECT
 * goes to PUBLIC by default) can take any advisory lock, but cannot lock these tables. */
#include "store/apikeys.h"
#include "store/audit.h"
#include "store/foreign.h"
#include "store/identity.h"
#include "store/keys.h"
#include "store/leak.h"
#include "store/pg_connect.h"
#include "store/pg_internal.h"
#include "store/portal.h"
#include "store/schema_pg.h"
#include "core/clock.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The writers' lock, from begin to commit or rollback. EXCLUSIVE lets plain reads of the table
 * through (pg_dump's among them) and keeps every other writer out. */
#define PG_LOCK_WRITER "LOCK TABLE writer_lock IN EXCLUSIVE MODE"
/* The migrations' lock, inside the migration transaction. */
#define PG_LOCK_MIGRATE "LOCK TABLE oorkonde_schema IN EXCLUSIVE MODE"

/* Set on every connection (and again after a reconnect): how long a statement waits for a lock
 * before it answers OK_EBUSY, as SQLite's busy handler gives up after about 10 s; and the one
 * schema the tables are made and looked up in, public (pg_catalog, not listed, is searched
 * first and so cannot be shadowed), so that objects another role made in a schema of its own,
 * or in "$user", never stand in for them. */
#define PG_SESSION       "SET lock_timeout = '10s'; SET search_path = public"
#define PG_LOCK_WAIT_TXT "10 s"
#define PG_LOCK_WAIT_MS  10000

/* The schema version this program makes: one per migration. */
#define PG_SCHEMA_VERSION ((int)(sizeof(pg_migrations) / sizeof(pg_migrations[0])))

/* Audit events are listed in pages of this many, so that a long chain is never in memory
 * whole. */
#define PG_AUDIT_PAGE 2000

/* ---- parameters ---- */

void pg_params_init(struct pg_params *p)
{
	p->n = 0;
	p->overflow = false;
}

static bool param_slot(struct pg_params *p)
{
	if (p->n >= PG_MAX_PARAMS) {
		p->overflow = true;
		return false;
	}
	return true;
}

void pg_param_text(struct pg_params *p, const char *v)
{
	if (!param_slot(p))
		return;
	p->values[p->n] = v;
	p->lengths[p->n] = 0;
	p->formats[p->n] = 0;
	p->n++;
}

void pg_param_int64(struct pg_params *p, int64_t v)
{
	if (!param_slot(p))
		return;
	/* 24 bytes hold any int64 in decimal. */
	(void)snprintf(p->num[p->n], sizeof(p->num[p->n]), "%" PRId64, v);
	p->values[p->n] = p->num[p->n];
	p->lengths[p->n] = 0;
	p->formats[p->n] = 0;
	p->n++;
}

void pg_param_bytea(struct pg_params *p, const void *v, size_t n)
{
	if (!param_slot(p))
		return;
	if (n > INT32_MAX) {
		p->overflow = true;
		return;
	}
	p->values[p->n] = n ? (const char *)v : "";
	p->lengths[p->n] = (int)n;
	p->formats[p->n] = 1;
	p->n++;
}

void pg_param_bool(struct pg_params *p, bool v)
{
	pg_param_text(p, v ? "t" : "f");
}

void pg_param_null(struct pg_params *p)
{
	pg_param_text(p, NULL);
}

/* ---- errors ---- */

const char *pg_sqlstate(const PGresult *res)
{
	const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;

	return state ? state : "";
}

static void printable(char *dst, size_t cap, const char *src);

int pg_fail(struct pg_store *s, const PGresult *res, const char *what, struct ok_error *err)
{
	const char *state = pg_sqlstate(res);
	const char *msg = res ? PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY) : NULL;
	char clean[OK_ERROR_MESSAGE_MAX];

	/* The server's text may come from a trigger or function someone else wrote: no terminal
	 * escapes into a terminal or log. */
	if (msg) {
		printable(clean, sizeof(clean), msg);
		msg = clean;
	}

	/* A server restarting, shut down or failing over: the request is worth retrying once it
	 * is back (HTTP 503 with Retry-After), not an internal error; the next statement
	 * connects again. */
	if (PQstatus(s->conn) == CONNECTION_BAD || strncmp(state, "08", 2) == 0)
		return ok_fail(err, OK_ENOANSWER,
		               "%s: lost the connection to the PostgreSQL server", what);
	if (strcmp(state, "23505") == 0)
		return ok_fail(err, OK_EEXIST, "%s: %s", what, msg ? msg : "duplicate key");
	if (strcmp(state, "40001") == 0 || strcmp(state, "40P01") == 0 ||
	    strcmp(state, "55P03") == 0)
		return ok_fail(err, OK_EBUSY, "%s: the database is busy", what);
	if (strcmp(state, "53100") == 0)
		return ok_fail(err, OK_EDISKFULL, "%s: disk full", what);
	/* read_only_sql_transaction: a hot standby (or default_transaction_read_only). */
	if (strcmp(state, "25006") == 0)
		return ok_fail(err, OK_EREADONLY,
		               "%s: the database is read-only; writes go to the primary", what);
	/* Data exceptions quote the value they could not take: name only the condition. */
	if (strncmp(state, "22", 2) == 0)
		return ok_fail(err, OK_ESTORE, "%s: invalid data (SQLSTATE %s)", what, state);
	if (msg)
		return ok_fail(err, OK_ESTORE, "%s: %s", what, msg);
	return ok_fail(err, OK_ESTORE, "%s: PostgreSQL error %s", what,
	               *state ? state : "(no result)");
}

/* ---- statements ---- */

/* PG_SESSION on a new connection; a test's shorter lock wait after it (store_test_wait_ms). */
static int set_session(struct pg_store *s, const char *what, struct ok_error *err)
{
	int rc = pg_command(s, PG_SESSION, what, err);

#ifdef OK_TEST_HOOKS
	char sql[64];

	if (!rc && s->lock_wait_ms != PG_LOCK_WAIT_MS) {
		/* A number the program made, not outside input. */
		(void)snprintf(sql, sizeof(sql), "SET lock_timeout = '%lldms'",
		               (long long)s->lock_wait_ms);
		rc = pg_command(s, sql, what, err);
	}
#endif
	return rc;
}

/* A connection lost between transactions is opened again (its prepared statements with it),
 * to whichever server a multi-host connection string now finds, which may be a replica or no
 * longer one; inside a transaction the loss is the caller's error to roll back. */
static int ensure_connected(struct pg_store *s, const char *what, struct ok_error *err)
{
	int rc;

	if (!s->in_tx && !s->stalled)
		pg_notice_closed(s);
	if (PQstatus(s->conn) == CONNECTION_OK && !s->stalled)
		return 0;
	/* A stalled connection's transaction is gone with it. */
	if (s->in_tx)
		return s->stalled ? pg_stalled(s, what, err) : pg_fail(s, NULL, what, err);
	s->nprepared = 0;
	if ((rc = pg_reconnect(s, what, err)))
		return rc;
	if ((rc = set_session(s, what, err)))
		return rc;
	return pg_replica_detect(s, what, err);
}

/* After a PQsend… that returned sent: the results within the bound (pg_collect), the
 * connection back in blocking mode (store_migrate.c's COPY relies on it). */
static int send_and_collect(struct pg_store *s, int sent, int64_t extra_ms, PGresult **res,
                            const char *what, struct ok_error *err)
{
	int rc;

	*res = NULL;
	if (!sent) {
		(void)PQsetnonblocking(s->conn, 0);
		return pg_fail(s, NULL, what, err);
	}
	rc = pg_collect(s, pg_deadline(s, extra_ms), res, what, err);
	if (!rc)
		(void)PQsetnonblocking(s->conn, 0);
	return rc;
}

/* Puts s's connection into non-blocking mode for a PQsend…: its sending then never waits for
 * the server (pg_flush does, within the bound). Returns s for chaining. */
static PGconn *nonblocking(struct pg_store *s)
{
	(void)PQsetnonblocking(s->conn, 1);
	return s->conn;
}

/* The server-side name of sql's prepared statement, preparing it on first use. */
static int prepared_name(struct pg_store *s, const char *sql, char name[16], struct ok_error *err)
{
	PGresult *res;
	size_t i;
	int rc = 0;

	for (i = 0; i < s->nprepared; i++)
		if (s->prepared[i] == sql)
			break;
	if (i == PG_MAX_STMTS)
		return ok_fail(err, OK_EINTERNAL, "too many prepared statements");
	(void)snprintf(name, 16, "s%zu", i);
	if (i < s->nprepared)
		return 0;
	if ((rc = send_and_collect(s, PQsendPrepare(nonblocking(s), name, sql, 0, NULL), 0, &res,
	                           "prepare statement", err)))
		return rc;
	if (!res || PQresultStatus(res) != PGRES_COMMAND_OK)
		rc = pg_fail(s, res, "prepare statement", err);
	else
		s->prepared[s->nprepared++] = sql;
	PQclear(res);
	return rc;
}

int pg_exec(struct pg_store *s, const char *sql, const struct pg_params *params, PGresult **res,
            int64_t *affected, const char *what, struct ok_error *err)
{
	char name[16];
	PGresult *r;
	int rc, n = params ? params->n : 0;

	if (res)
		*res = NULL;
	if (params && params->overflow)
		return ok_fail(err, OK_EINTERNAL, "%s: too many parameters", what);
	if ((rc = pg_copy_finish(s, err)) || (rc = ensure_connected(s, what, err)) ||
	    (rc = prepared_name(s, sql, name, err)))
		return rc;
	if ((rc = send_and_collect(
	             s,
	             PQsendQueryPrepared(nonblocking(s), name, n, n ? params->values : NULL,
	                                 n ? params->lengths : NULL, n ? params->formats : NULL, 1),
	             0, &r, what, err)))
		return rc;
	if (!r)
		return pg_fail(s, NULL, what, err);
	switch (PQresultStatus(r)) {
	case PGRES_TUPLES_OK:
		if (affected)
			*affected = PQntuples(r);
		break;
	case PGRES_COMMAND_OK:
		if (affected)
			*affected = strtoll(PQcmdTuples(r), NULL, 10);
		break;
	default:
		rc = pg_fail(s, r, what, err);
		PQclear(r);
		return rc;
	}
	if (res)
		*res = r;
	else
		PQclear(r);
	return 0;
}

int pg_exec_one(struct pg_store *s, const char *sql, const struct pg_params *params, PGresult **res,
                const char *what, struct ok_error *err)
{
	int rc = pg_exec(s, sql, params, res, NULL, what, err);

	if (rc)
		return rc;
	if (PQntuples(*res) == 0) {
		PQclear(*res);
		*res = NULL;
		return OK_ENOTFOUND;
	}
	return 0;
}

int pg_command(struct pg_store *s, const char *sql, const char *what, struct ok_error *err)
{
	return pg_command_within(s, sql, 0, what, err);
}

int pg_command_within(struct pg_store *s, const char *sql, int64_t extra_ms, const char *what,
                      struct ok_error *err)
{
	PGresult *r;
	int rc;

	if (s->stalled)
		return pg_stalled(s, what, err);
	if ((rc = pg_copy_finish(s, err)))
		return rc;
	if ((rc = send_and_collect(s, PQsendQuery(nonblocking(s), sql), extra_ms, &r, what, err)))
		return rc;
	if (!r)
		return pg_fail(s, NULL, what, err);
	if (PQresultStatus(r) != PGRES_COMMAND_OK && PQresultStatus(r) != PGRES_TUPLES_OK)
		rc = pg_fail(s, r, what, err);
	PQclear(r);
	return rc;
}

int pg_exec_guarded(struct pg_store *s, const char *sql, const struct pg_params *params,
                    PGresult **res, int64_t *affected, const char *what, struct ok_error *err)
{
	int rc;

	if (PQtransactionStatus(s->conn) != PQTRANS_INTRANS)
		return pg_exec(s, sql, params, res, affected, what, err);
	if ((rc = pg_command(s, "SAVEPOINT pg_guard", what, err)))
		return rc;
	rc = pg_exec(s, sql, params, res, affected, what, err);
	if (rc)
		(void)pg_command(s, "ROLLBACK TO SAVEPOINT pg_guard", what, NULL);
	(void)pg_command(s, "RELEASE SAVEPOINT pg_guard", what, NULL);
	return rc;
}

/* ---- results ---- */

bool pg_col_null(const PGresult *r, int row, int col)
{
	return PQgetisnull(r, row, col) != 0;
}

int64_t pg_col_int64(const PGresult *r, int row, int col)
{
	const unsigned char *v = (const unsigned char *)PQgetvalue(r, row, col);
	int len = PQgetlength(r, row, col);
	uint64_t u = 0;
	int i;

	if (PQgetisnull(r, row, col) || len < 1 || len > 8)
		return 0;
	for (i = 0; i < len; i++)
		u = (u << 8) | v[i];
	/* Sign-extend the narrower integers (int2, int4); bool is 0 or 1 either way. */
	if (len < 8 && len > 1 && (v[0] & 0x80))
		u |= ~(uint64_t)0 << (8 * len);
	return (int64_t)u;
}

bool pg_col_bool(const PGresult *r, int row, int col)
{
	return pg_col_int64(r, row, col) != 0;
}

void pg_col_text(const PGresult *r, int row, int col, char *dst, size_t cap)
{
	const char *v = PQgetvalue(r, row, col);
	size_t n = PQgetisnull(r, row, col) ? 0 : (size_t)PQgetlength(r, row, col);

	if (n >= cap) {
		n = cap - 1;
		/* Never cut a UTF-8 character in two. */
		while (n > 0 && ((unsigned char)v[n] & 0xC0) == 0x80)
			n--;
	}
	if (n)
		memcpy(dst, v, n);
	dst[n] = '\0';
}

void pg_col_fixed(const PGresult *r, int row, int col, unsigned char *dst, size_t n)
{
	size_t have = PQgetisnull(r, row, col) ? 0 : (size_t)PQgetlength(r, row, col);

	memset(dst, 0, n);
	if (have)
		memcpy(dst, PQgetvalue(r, row, col), have < n ? have : n);
}

int pg_col_buf(const PGresult *r, int row, int col, struct buf *out)
{
	size_t n = PQgetisnull(r, row, col) ? 0 : (size_t)PQgetlength(r, row, col);

	buf_reset(out);
	/* Even an empty value leaves out a terminated (empty) string, as on SQLite. */
	return buf_add(out, PQgetvalue(r, row, col), n);
}

/* ---- life cycle and transactions ---- */

static int pg_rollback(struct store *base);

static void pg_close(struct store *base)
{
	struct pg_store *s = pgs(base);

	if (s->conn) {
		(void)pg_rollback(base);
		PQfinish(s->conn);
	}
	free(s);
}

static int pg_begin(struct store *base, struct ok_error *err)
{
	struct pg_store *s = pgs(base);
	int rc;

	/* Reconnect first: a lost connection's status is PQTRANS_UNKNOWN, not an open
	 * transaction (review F6). */
	if ((rc = ensure_connected(s, "begin transaction", err)))
		return rc;
	if (PQtransactionStatus(s->conn) == PQTRANS_INTRANS ||
	    PQtransactionStatus(s->conn) == PQTRANS_INERROR)
		return ok_fail(err, OK_ESTORE, "begin transaction: a transaction is already open");
	if (s->replica && (rc = pg_replica_refuse(s, "begin transaction", err)))
		return rc;
	/* A connection found lost by BEGIN itself lost nothing: connect again and begin once
	 * more (a failover between two transactions is not the caller's error). */
	if ((rc = pg_command(s, "BEGIN", "begin transaction", err)) &&
	    PQstatus(s->conn) == CONNECTION_BAD) {
		if ((rc = ensure_connected(s, "begin transaction", err)) ||
		    (s->replica && (rc = pg_replica_refuse(s, "begin transaction", err))))
			return rc;
		rc = pg_command(s, "BEGIN", "begin transaction", err);
	}
	if (rc)
		return rc;
	s->in_tx = true;
	/* The writers of all servers take turns, as a process's threads do on SQLite. */
	rc = pg_command_within(s, PG_LOCK_WRITER, s->lock_wait_ms, "begin transaction", err);
	if (rc == OK_EBUSY)
		rc = ok_fail(err, rc,
		             "begin transaction: another writer has held the database's writer "
		             "lock for " PG_LOCK_WAIT_TXT "; try again");
	if (rc)
		(void)pg_rollback(base);
	return rc;
}

static int pg_commit(struct store *base, struct ok_error *err)
{
	struct pg_store *s = pgs(base);
	PGresult *r;
	int rc = 0;

	/* The last load's result first: a failed one leaves nothing to commit. */
	if ((rc = pg_copy_finish(s, err)))
		return rc;
	/* A transaction in which a statement failed cannot commit: the caller rolls it back. */
	if (PQtransactionStatus(s->conn) != PQTRANS_INTRANS)
		return ok_fail(err, OK_ESTORE, "commit: %s",
		               PQtransactionStatus(s->conn) == PQTRANS_IDLE
		                       ? "no transaction is open"
		                       : "a statement of the transaction failed");
	if ((rc = send_and_collect(s, PQsendQuery(nonblocking(s), "COMMIT"), 0, &r, "commit",
	                           err))) {
		/* Whether it committed is unknown; the connection is given up either way. */
		s->in_tx = false;
		s->long_ops = false;
		return rc;
	}
	if (!r)
		rc = pg_fail(s, NULL, "commit", err);
	else if (PQresultStatus(r) != PGRES_COMMAND_OK)
		rc = pg_fail(s, r, "commit", err);
	else if (strcmp(PQcmdStatus(r), "COMMIT") != 0)
		rc = ok_fail(err, OK_ESTORE, "commit: the transaction was rolled back");
	PQclear(r);
	if (PQtransactionStatus(s->conn) == PQTRANS_IDLE) {
		s->in_tx = false;
		s->long_ops = false;
	}
	return rc;
}

static int pg_rollback(struct store *base)
{
	struct pg_store *s = pgs(base);
	int rc = 0;

	(void)pg_copy_finish(s, NULL); /* rolled back whatever it answers */
	/* A stalled connection is dropped at the next statement, and its transaction with it. */
	if (!s->stalled && PQstatus(s->conn) == CONNECTION_OK &&
	    PQtransactionStatus(s->conn) != PQTRANS_IDLE)
		rc = pg_command(s, "ROLLBACK", "rollback", NULL);
	s->in_tx = false;
	s->long_ops = false;
	return rc;
}

static bool pg_in_transaction(struct store *base)
{
	struct pg_store *s = pgs(base);

	return s->in_tx && PQtransactionStatus(s->conn) != PQTRANS_IDLE;
}

/* The table lock taken at begin already keeps the writers of all processes apart. */
static void pg_set_writer_lock(struct store *base, pthread_mutex_t *lock)
{
	(void)base;
	(void)lock;
}

/* ---- metadata ---- */

/* A value of meta read into the caller's buffer. */
struct meta_row {
	struct buf *value;
};
static const struct pg_col meta_col[] = {PG_COL(struct meta_row, value, PG_BUF_REF)};
static const struct pg_cols meta_cols = PG_COLS(meta_col);

static const struct pg_query META_GET = {"SELECT value FROM meta WHERE key = $1", "read metadata",
                                         NULL, &meta_cols};
/* (key, value) */
static const struct pg_query META_SET = {"INSERT INTO meta (key, value) VALUES ($1, $2) "
                                         "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                                         "write metadata", NULL, NULL};
static const struct pg_query META_ADD = {
        "INSERT INTO meta (key, value) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING",
        "add metadata", NULL, NULL};

static int pg_meta_get(struct store *base, const char *key, struct buf *out, struct ok_error *err)
{
	struct meta_row r = {out};

	return pg_get(pgs(base), &META_GET, PG_ARGS(PG_ARG_TEXT(key)), &r, err);
}

static int pg_meta_set(struct store *base, const char *key, const char *value, struct ok_error *err)
{
	return pg_run(pgs(base), &META_SET, NULL, PG_ARGS(PG_ARG_TEXT(key), PG_ARG_TEXT(value)),
	              NULL, err);
}

static int pg_meta_add(struct store *base, const char *key, const char *value, struct ok_error *err)
{
	return pg_add(pgs(base), &META_ADD, NULL, PG_ARGS(PG_ARG_TEXT(key), PG_ARG_TEXT(value)),
	              err);
}

/* ---- institutions and API keys ---- */

#define INSTITUTION_COLS "code, name, country, erasmus, schac"
static const struct pg_col institution_col[] = {
        PG_COL(struct store_institution, code, PG_TEXT),
        PG_COL(struct store_institution, name, PG_TEXT),
        PG_COL(struct store_institution, country, PG_TEXT),
        PG_COL(struct store_institution, erasmus, PG_TEXT),
        PG_COL(struct store_institution, schac, PG_TEXT),
};
static const struct pg_cols institution_cols = PG_COLS(institution_col);

/* (the institution, created_ms) */
static const struct pg_query INST_ADD = {"INSERT INTO institution (" INSTITUTION_COLS
                                         ", created_ms) "
                                         "VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING",
                                         "add institution", &institution_cols, NULL};
static const struct pg_query INST_GET = {"SELECT " INSTITUTION_COLS
                                         " FROM institution WHERE code = $1",
                                         "read institution", NULL, &institution_cols};
static const struct pg_query INST_LIST = {"SELECT " INSTITUTION_COLS
                                          " FROM institution ORDER BY code",
                                          "list institutions", NULL, &institution_cols};

#define API_KEY_COLS "id, institution, key_hash, permissions, created_ms, revoked_ms, last_used_ms"
static const struct pg_col api_key_col[] = {
        PG_COL(struct store_api_key, id, PG_TEXT),
        PG_COL(struct store_api_key, institution, PG_TEXT),
        PG_COL(struct store_api_key, key_hash, PG_BLOB),
        PG_COL(struct store_api_key, permissions, PG_TEXT),
        PG_COL(struct store_api_key, created_ms, PG_INT),
        PG_COL(struct store_api_key, revoked_ms, PG_INT),
        PG_COL(struct store_api_key, last_used_ms, PG_INT),
};
static const struct pg_cols api_key_cols = PG_COLS(api_key_col);
/* A new key: the columns up to created_ms. */
static const struct pg_cols api_key_new_cols = PG_COLS_N(api_key_col, 5);

static const struct pg_query KEY_ADD = {
        "INSERT INTO api_key (id, institution, key_hash, permissions, created_ms) "
        "VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING",
        "add API key", &api_key_new_cols, NULL};
static const struct pg_query KEY_FIND = {"SELECT " API_KEY_COLS " FROM api_key WHERE key_hash = $1",
                                         "find API key", NULL, &api_key_cols};

static int pg_institution_add(struct store *base, const struct store_institution *i,
                              struct ok_error *err)
{
	return pg_add(pgs(base), &INST_ADD, i, PG_ARGS(PG_ARG_INT(ok_now_ms())), err);
}

static int pg_institution_get(struct store *base, const char *code, struct store_institution *out,
                              struct ok_error *err)
{
	return pg_get(pgs(base), &INST_GET, PG_ARGS(PG_ARG_TEXT(code)), out, err);
}

static int pg_institution_list(struct store *base, store_institution_fn fn, void *ctx,
                               struct ok_error *err)
{
	struct store_institution i;
	struct pg_cursor c;
	int rc = pg_list(&c, pgs(base), &INST_LIST, PG_NO_ARGS, err);

	while (!rc && (rc = pg_next(&c, &i, err)) > 0)
		rc = fn(ctx, &i);
	return pg_list_end(&c, rc);
}

static int pg_api_key_add(struct store *base, const struct store_api_key *k, struct ok_error *err)
{
	return pg_add(pgs(base), &KEY_ADD, k, PG_NO_ARGS, err);
}

static int pg_api_key_find(struct store *base, const unsigned char hash[STORE_HASH_BYTES],
                           struct store_api_key *out, struct ok_error *err)
{
	return pg_get(pgs(base), &KEY_FIND, PG_ARGS(PG_ARG_BLOB(hash, STORE_HASH_BYTES)), out, err);
}

/* ---- learners ---- */

static const struct pg_col learner_col[] = {
        PG_COL(struct store_learner, id, PG_TEXT),
        PG_COL(struct store_learner, nid_index, PG_BLOB),
        PG_COL(struct store_learner, digest, PG_BLOB),
        PG_COL(struct store_learner, national_id, PG_BUF),
        PG_COL(struct store_learner, given_names, PG_BUF),
        PG_COL(struct store_learner, family_name, PG_BUF),
        PG_COL(struct store_learner, birth_date, PG_BUF),
        PG_COL(struct store_learner, key_id, PG_UINT),
        PG_COL(struct store_learner, created_ms, PG_INT),
        PG_COL(struct store_learner, updated_ms, PG_INT),
};
static const struct pg_cols learner_cols = PG_COLS(learner_col);
/* What an update binds: every column but created_ms (8). */
static const unsigned char learner_change_pick[] = {0, 1, 2, 3, 4, 5, 6, 7, 9};
static const struct pg_cols learner_change_cols = PG_COLS_PICK(learner_col, learner_change_pick);

static const struct pg_query LEARNER_FIND = {"SELECT " PG_LEARNER_COLS
                                             " FROM learner WHERE nid_index = $1",
                                             "read learner", NULL, &learner_cols};
static const struct pg_query LEARNER_GET = {"SELECT " PG_LEARNER_COLS " FROM learner WHERE id = $1",
                                            "read learner", NULL, &learner_cols};
static const struct pg_query LEARNER_INSERT = {
        "INSERT INTO learner (" PG_LEARNER_COLS ") "
        "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) ON CONFLICT DO NOTHING",
        "add learner", &learner_cols, NULL};
static const struct pg_query LEARNER_UPDATE = {
        "UPDATE learner SET nid_index = $2, digest = $3, national_id = $4, given_names = $5, "
        "family_name = $6, birth_date = $7, key_id = $8, updated_ms = $9 WHERE id = $1",
        "update learner", &learner_change_cols, NULL};

static int pg_learner_find(struct store *base, const unsigned char idx[STORE_HASH_BYTES],
                           struct store_learner *out, struct ok_error *err)
{
	return pg_get(pgs(base), &LEARNER_FIND, PG_ARGS(PG_ARG_BLOB(idx, STORE_HASH_BYTES)), out,
	              err);
}

static int pg_learner_get(struct store *base, const char *id, struct store_learner *out,
                          struct ok_error *err)
{
	return pg_get(pgs(base), &LEARNER_GET, PG_ARGS(PG_ARG_TEXT(id)), out, err);
}

static int pg_learner_put(struct store *base, const struct store_learner *l, bool update,
                          struct ok_error *err)
{
	if (update)
		return pg_run(pgs(base), &LEARNER_UPDATE, l, PG_NO_ARGS, NULL, err);
	return pg_add(pgs(base), &LEARNER_INSERT, l, PG_NO_ARGS, err);
}

/* ---- achievements ---- */

/* What an update binds: the id, then every column it may change (not institution, record_id
 * and created_ms: 2, 3, 17). */
static const unsigned char achievement_change_pick[] = {0,  1,  4,  5,  6,  7,  8,  9, 10,
                                                        11, 12, 13, 14, 15, 16, 18, 19};
static const struct pg_cols achievement_change_cols =
        PG_COLS_PICK(pg_achievement_col, achievement_change_pick);

static const struct pg_query ACH_FIND = {
        "SELECT " PG_ACHIEVEMENT_COLS " FROM achievement WHERE institution = $1 AND record_id = $2",
        "read achievement", NULL, &pg_achievement_cols};
static const struct pg_query ACH_GET = {"SELECT " PG_ACHIEVEMENT_COLS
                                        " FROM achievement WHERE id = $1",
                                        "read achievement", NULL, &pg_achievement_cols};
/* A new row that collides with a unique key (record id, status slot) is not written. */
static const struct pg_query ACH_INSERT = {
        "INSERT INTO achievement (" PG_ACHIEVEMENT_COLS ") VALUES ($1, $2, $3, $4, $5, $6, $7, "
        "$8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20) ON CONFLICT DO NOTHING",
        "add achievement", &pg_achievement_cols, NULL};
static const struct pg_query ACH_UPDATE = {
        "UPDATE achievement SET learner_id = $2, kind = $3, title = $4, programme_code = $5, "
        "eqf_level = $6, credits_centi = $7, grade = $8, grading_scheme = $9, awarded_on = $10, "
        "language = $11, status = $12, status_index = $13, digest = $14, version = $15, "
        "updated_ms = $16, status_list = $17 WHERE id = $1",
        "update achievement", &achievement_change_cols, NULL};
/* (id, changed_ms, actor, reason) */
static const struct pg_query ACH_HISTORY = {
        "INSERT INTO achievement_history SELECT id, version, learner_id, kind, title, "
        "programme_code, eqf_level, credits_centi, grade, grading_scheme, awarded_on, "
        "language, status, $2::bigint, $3::text, $4::text FROM achievement WHERE id = $1",
        "keep achievement history", NULL, NULL};
/* (learner_id, then the key: institution, awarded_on, id) in pages; "" is before every key,
 * as no id is empty. */
static const struct pg_query ACH_BY_LEARNER = {
        "SELECT " PG_ACHIEVEMENT_COLS " FROM achievement WHERE learner_id = $1 AND "
        "(institution, awarded_on, id) > ($2, $3, $4) ORDER BY institution, awarded_on, id "
        "LIMIT $5",
        "list achievements", NULL, &pg_achievement_cols};
/* Columns 2, 11 and 0: institution, awarded_on, id. */
static const struct pg_page ACH_PAGE = {PG_PAGE, 3, {2, 11, 0}};
static const struct pg_query ACH_COUNT = {"SELECT count(*) AS n FROM achievement",
                                          "count achievements", NULL, &pg_count_cols};

static int pg_achievement_find(struct store *base, const char *institution, const char *record_id,
                               struct store_achievement *out, struct ok_error *err)
{
	return pg_get(pgs(base), &ACH_FIND,
	              PG_ARGS(PG_ARG_TEXT(institution), PG_ARG_TEXT(record_id)), out, err);
}

static int pg_achievement_get(struct store *base, const char *id, struct store_achievement *out,
                              struct ok_error *err)
{
	return pg_get(pgs(base), &ACH_GET, PG_ARGS(PG_ARG_TEXT(id)), out, err);
}

static int pg_achievement_put(struct store *base, const struct store_achievement *a, bool update,
                              const char *actor, const char *reason, struct ok_error *err)
{
	struct pg_store *s = pgs(base);
	int64_t n = 0;
	int rc;

	if (update) {
		rc = pg_run(s, &ACH_HISTORY, NULL,
		            PG_ARGS(PG_ARG_TEXT(a->id), PG_ARG_INT(a->updated_ms),
		                    PG_ARG_TEXT(actor), PG_ARG_TEXT(reason)),
		            NULL, err);
		return rc ? rc : pg_run(s, &ACH_UPDATE, a, PG_NO_ARGS, NULL, err);
	}
	rc = pg_run(s, &ACH_INSERT, a, PG_NO_ARGS, &n, err);
	if (!rc && n == 0)
		return ok_fail(err, OK_EEXIST,
		               "add achievement: its record id or status slot is taken");
	return rc;
}

static int pg_achievement_list_by_learner(struct store *base, const char *learner_id,
                                          store_achievement_fn fn, void *ctx, struct ok_error *err)
{
	struct store_achievement a;
	struct pg_cursor c;
	int rc = pg_pages(
	        &c, pgs(base), &ACH_BY_LEARNER, &ACH_PAGE,
	        PG_ARGS(PG_ARG_TEXT(learner_id), PG_ARG_TEXT(""), PG_ARG_TEXT(""), PG_ARG_TEXT("")),
	        err);

	while (!rc && (rc = pg_next(&c, &a, err)) > 0)
		rc = fn(ctx, &a);
	return pg_list_end(&c, rc);
}

static int pg_achievement_count(struct store *base, int64_t *out, struct ok_error *err)
{
	return pg_count(pgs(base), &ACH_COUNT, PG_NO_ARGS, out, err);
}

/* ---- audit ---- */

struct head_row {
	int64_t seq;
	unsigned char hash[AUDIT_HASH_BYTES];
};
static const struct pg_col head_col[] = {
        PG_COL(struct head_row, seq, PG_INT),
        PG_COL(struct head_row, hash, PG_BLOB),
};
static const struct pg_cols head_cols = PG_COLS(head_col);

static const struct pg_query AUDIT_HEAD = {
        "SELECT seq, hash FROM audit_event ORDER BY seq DESC LIMIT 1", "read audit head", NULL,
        &head_cols};
static const struct pg_query AUDIT_INSERT = {"INSERT INTO audit_event (" PG_EVENT_COLS
                                             ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
                                             "append audit event", &pg_event_cols, NULL};
/* (after_seq) in pages of PG_AUDIT_PAGE: a long chain is never in memory whole. */
static const struct pg_query AUDIT_LIST = {"SELECT " PG_EVENT_COLS
                                           " FROM audit_event WHERE seq > $1 ORDER BY seq LIMIT $2",
                                           "list audit events", NULL, &pg_event_cols};
static const struct pg_page AUDIT_PAGE = {PG_AUDIT_PAGE, 1, {0}}; /* after seq */

/* Inside a write transaction the head is read under the writer lock taken at begin, so that
 * no other server appends between this read and the insert that follows it. */
static int pg_audit_head(struct store *base, int64_t *seq, unsigned char hash[AUDIT_HASH_BYTES],
                         struct ok_error *err)
{
	struct head_row r = {0};
	int rc = pg_get(pgs(base), &AUDIT_HEAD, PG_NO_ARGS, &r, err);

	if (rc == OK_ENOTFOUND)
		rc = 0; /* no event yet: sequence 0, a zero hash */
	*seq = r.seq;
	memcpy(hash, r.hash, AUDIT_HASH_BYTES);
	return rc;
}

static int pg_audit_insert(struct store *base, const struct audit_event *e, struct ok_error *err)
{
	return pg_run(pgs(base), &AUDIT_INSERT, e, PG_NO_ARGS, NULL, err);
}

static int pg_audit_list(struct store *base, int64_t after_seq, store_audit_fn fn, void *ctx,
                         struct ok_error *err)
{
	return pg_audit_rows(pgs(base), &AUDIT_LIST, &AUDIT_PAGE, PG_ARGS(PG_ARG_INT(after_seq)),
	                     fn, ctx, err);
}

/* ---- status lists ---- */

#define STATUS_COLS "n, size, used, revocation_version, suspension_version"
static const struct pg_col status_list_col[] = {
        PG_COL(struct store_status_list, n, PG_INT),
        PG_COL(struct store_status_list, size, PG_INT),
        PG_COL(struct store_status_list, used, PG_INT),
        PG_COL(struct store_status_list, revocation_version, PG_INT),
        PG_COL(struct store_status_list, suspension_version, PG_INT),
};
static const struct pg_cols status_list_cols = PG_COLS(status_list_col);

struct index_row {
	int64_t status_index;
};
static const struct pg_col index_col[] = {PG_COL(struct index_row, status_index, PG_INT)};
static const struct pg_cols index_cols = PG_COLS(index_col);

/* A signed list credential as kept, its body read into the caller's buffer. */
struct cache_row {
	int64_t version;
	char etag[STORE_ETAG_MAX];
	struct buf *body;
};
static const struct pg_col cache_col[] = {
        PG_COL(struct cache_row, version, PG_INT),
        PG_COL(struct cache_row, etag, PG_TEXT),
        PG_COL(struct cache_row, body, PG_BUF_REF),
};
static const struct pg_cols cache_cols = PG_COLS(cache_col);

static const struct pg_query STATUS_CURRENT = {"SELECT " STATUS_COLS
                                               " FROM status_list ORDER BY n DESC LIMIT 1",
                                               "read status list", NULL, &status_list_cols};
static const struct pg_query STATUS_GET = {"SELECT " STATUS_COLS " FROM status_list WHERE n = $1",
                                           "read status list", NULL, &status_list_cols};
/* (n, size) */
static const struct pg_query STATUS_ADD = {"INSERT INTO status_list (" STATUS_COLS
                                           ") VALUES ($1, $2, 0, 1, 1) ON CONFLICT DO NOTHING",
                                           "add status list", NULL, NULL};
/* (n, used, revocation and suspension deltas) */
static const struct pg_query STATUS_BUMP = {
        "UPDATE status_list SET used = used + $2, revocation_version = revocation_version + $3, "
        "suspension_version = suspension_version + $4 WHERE n = $1",
        "update status list", NULL, NULL};
/* (list, status) */
static const struct pg_query STATUS_BITS = {
        "SELECT status_index FROM achievement WHERE status_list = $1 AND status = $2 "
        "AND status <> 'active' UNION ALL "
        "SELECT status_index FROM vc_status WHERE status_list = $1 AND status = $2 "
        "AND status <> 'active'",
        "read status list", NULL, &index_cols};
/* (list, index) */
static const struct pg_query STATUS_SLOT = {"SELECT " PG_ACHIEVEMENT_COLS
                                            " FROM achievement WHERE status_list = $1 AND "
                                            "status_index = $2 AND status_index >= 0",
                                            "read achievement", NULL, &pg_achievement_cols};
/* (list, index): a slot's status alone, an achievement's, else a VC-API credential's. */
static const struct pg_query SLOT_STATUS = {
        "SELECT status AS id FROM achievement WHERE status_list = $1 AND status_index = $2 "
        "AND status_index >= 0 UNION ALL SELECT status AS id FROM vc_status WHERE "
        "status_list = $1 AND status_index = $2 LIMIT 1",
        "read a status entry", NULL, &pg_id_cols};
static const struct pg_query CREDENTIAL_ISSUED_ADD = {
        "INSERT INTO issued_credential (credential_id, achievement_id, issued_ms) "
        "VALUES ($1, $2, $3) ON CONFLICT (credential_id) DO NOTHING",
        "record an issued credential", NULL, NULL};
static const struct pg_query ACHIEVEMENT_BY_CREDENTIAL = {
        "SELECT " PG_ACHIEVEMENT_COLS " FROM achievement WHERE id = (SELECT achievement_id "
        "FROM issued_credential WHERE credential_id = $1)",
        "read achievement", NULL, &pg_achievement_cols};
/* (credential_id): only what a verification's status check reads of the achievement. */
static const struct pg_col credential_status_col[] = {
        PG_COL(struct store_credential_status, status, PG_TEXT),
        PG_COL(struct store_credential_status, status_list, PG_INT),
        PG_COL(struct store_credential_status, status_index, PG_INT),
};
static const struct pg_cols credential_status_cols = PG_COLS(credential_status_col);
static const struct pg_query CREDENTIAL_STATUS = {
        "SELECT status, status_list, status_index FROM achievement WHERE id = (SELECT "
        "achievement_id FROM issued_credential WHERE credential_id = $1)",
        "read a credential's status", NULL, &credential_status_cols};
/* (purpose, n) */
static const struct pg_query STATUS_CACHE_GET = {
        "SELECT version, etag, body FROM status_list_credential WHERE purpose = $1 AND n = $2",
        "read signed status list", NULL, &cache_cols};
/* (purpose, n, version, etag, body, signed_ms) */
static const struct pg_query STATUS_CACHE_PUT = {
        "INSERT INTO status_list_credential (purpose, n, version, etag, body, signed_ms) "
        "VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (purpose, n) DO UPDATE SET "
        "version = excluded.version, etag = excluded.etag, body = excluded.body, "
        "signed_ms = excluded.signed_ms",
        "store signed status list", NULL, NULL};

static int pg_status_list_current(struct store *base, struct store_status_list *out,
                                  struct ok_error *err)
{
	return pg_get(pgs(base), &STATUS_CURRENT, PG_NO_ARGS, out, err);
}

static int pg_status_list_get(struct store *base, int64_t n, struct store_status_list *out,
                              struct ok_error *err)
{
	return pg_get(pgs(base), &STATUS_GET, PG_ARGS(PG_ARG_INT(n)), out, err);
}

static int pg_status_list_add(struct store *base, int64_t n, int64_t size, struct ok_error *err)
{
	return pg_add(pgs(base), &STATUS_ADD, NULL, PG_ARGS(PG_ARG_INT(n), PG_ARG_INT(size)), err);
}

static int pg_status_list_bump(struct store *base, int64_t n, int64_t used_delta,
                               int64_t revocation_delta, int64_t suspension_delta,
                               struct ok_error *err)
{
	return pg_run(pgs(base), &STATUS_BUMP, NULL,
	              PG_ARGS(PG_ARG_INT(n), PG_ARG_INT(used_delta), PG_ARG_INT(revocation_delta),
	                      PG_ARG_INT(suspension_delta)),
	              NULL, err);
}

static int pg_status_list_bits(struct store *base, int64_t n, const char *status, store_index_fn fn,
                               void *ctx, struct ok_error *err)
{
	struct index_row r;
	struct pg_cursor c;
	int rc = pg_list(&c, pgs(base), &STATUS_BITS, PG_ARGS(PG_ARG_INT(n), PG_ARG_TEXT(status)),
	                 err);

	while (!rc && (rc = pg_next(&c, &r, err)) > 0)
		rc = fn(ctx, r.status_index);
	return pg_list_end(&c, rc);
}

static int pg_achievement_by_slot(struct store *base, int64_t list, int64_t index,
                                  struct store_achievement *out, struct ok_error *err)
{
	return pg_get(pgs(base), &STATUS_SLOT, PG_ARGS(PG_ARG_INT(list), PG_ARG_INT(index)), out,
	              err);
}

static int pg_slot_status(struct store *base, int64_t list, int64_t index,
                          char status[STORE_STATUS_MAX], struct ok_error *err)
{
	struct pg_id_row r;
	int rc = pg_get(pgs(base), &SLOT_STATUS, PG_ARGS(PG_ARG_INT(list), PG_ARG_INT(index)), &r,
	                err);

	size_t n;

	if (rc)
		return rc;
	/* The statuses are short words: one longer is cut, and then none of them. */
	n = strnlen(r.id, STORE_STATUS_MAX - 1);
	memcpy(status, r.id, n);
	status[n] = '\0';
	return 0;
}

static int pg_credential_issued_add(struct store *base, const char *credential_id,
                                    const char *achievement_id, int64_t at_ms, struct ok_error *err)
{
	return pg_run(
	        pgs(base), &CREDENTIAL_ISSUED_ADD, NULL,
	        PG_ARGS(PG_ARG_TEXT(credential_id), PG_ARG_TEXT(achievement_id), PG_ARG_INT(at_ms)),
	        NULL, err);
}

static int pg_achievement_by_credential(struct store *base, const char *credential_id,
                                        struct store_achievement *out, struct ok_error *err)
{
	return pg_get(pgs(base), &ACHIEVEMENT_BY_CREDENTIAL, PG_ARGS(PG_ARG_TEXT(credential_id)),
	              out, err);
}

static int pg_credential_status(struct store *base, const char *credential_id,
                                struct store_credential_status *out, struct ok_error *err)
{
	return pg_get(pgs(base), &CREDENTIAL_STATUS, PG_ARGS(PG_ARG_TEXT(credential_id)), out, err);
}

static int pg_status_cache_get(struct store *base, const char *purpose, int64_t n, int64_t *version,
                               char etag[STORE_ETAG_MAX], struct buf *body, struct ok_error *err)
{
	struct cache_row r = {.body = body};
	int rc = pg_get(pgs(base), &STATUS_CACHE_GET, PG_ARGS(PG_ARG_TEXT(purpose), PG_ARG_INT(n)),
	                &r, err);

	if (rc)
		return rc;
	*version = r.version;
	memcpy(etag, r.etag, STORE_ETAG_MAX);
	return 0;
}

static int pg_status_cache_put(struct store *base, const char *purpose, int64_t n, int64_t version,
                               const char *etag, const struct buf *body, struct ok_error *err)
{
	return pg_run(pgs(base), &STATUS_CACHE_PUT, NULL,
	              PG_ARGS(PG_ARG_TEXT(purpose), PG_ARG_INT(n), PG_ARG_INT(version),
	                      PG_ARG_TEXT(etag), PG_ARG_BLOB(body->data, body->len),
	                      PG_ARG_INT(ok_now_ms())),
	              NULL, err);
}

/* ---- trust list ---- */

#define TRUST_COLS "did, name, country, source, status, since_ms"
static const struct pg_col trusted_col[] = {
        PG_COL(struct store_trusted_issuer, did, PG_TEXT),
        PG_COL(struct store_trusted_issuer, name, PG_TEXT),
        PG_COL(struct store_trusted_issuer, country, PG_TEXT),
        PG_COL(struct store_trusted_issuer, source, PG_TEXT),
        PG_COL(struct store_trusted_issuer, status, PG_TEXT),
        PG_COL(struct store_trusted_issuer, since_ms, PG_INT),
};
static const struct pg_cols trusted_cols = PG_COLS(trusted_col);

static const struct pg_query TRUST_PUT = {
        "INSERT INTO trusted_issuer (" TRUST_COLS ") VALUES ($1, $2, $3, $4, $5, $6) "
        "ON CONFLICT (did) DO UPDATE SET name = excluded.name, country = excluded.country, "
        "source = excluded.source, status = excluded.status",
        "add trusted issuer", &trusted_cols, NULL};
static const struct pg_query TRUST_GET = {"SELECT " TRUST_COLS
                                          " FROM trusted_issuer WHERE did = $1",
                                          "read trust list", NULL, &trusted_cols};
static const struct pg_query TRUST_REMOVE = {"DELETE FROM trusted_issuer WHERE did = $1",
                                             "remove trusted issuer", NULL, NULL};
static const struct pg_query TRUST_REMOVE_SOURCE = {"DELETE FROM trusted_issuer WHERE source = $1",
                                                    "replace trust list", NULL, NULL};
/* (the DID the first page starts after) in pages */
static const struct pg_query TRUST_LIST = {
        "SELECT " TRUST_COLS " FROM trusted_issuer WHERE did > $1 ORDER BY did LIMIT $2",
        "list trust list", NULL, &trusted_cols};
static const struct pg_page TRUST_PAGE = {PG_PAGE, 1, {0}}; /* after did */

static int pg_trust_put(struct store *base, const struct store_trusted_issuer *t,
                        struct ok_error *err)
{
	return pg_run(pgs(base), &TRUST_PUT, t, PG_NO_ARGS, NULL, err);
}

static int pg_trust_get(struct store *base, const char *did, struct store_trusted_issuer *out,
                        struct ok_error *err)
{
	return pg_get(pgs(base), &TRUST_GET, PG_ARGS(PG_ARG_TEXT(did)), out, err);
}

static int pg_trust_remove(struct store *base, const char *did, struct ok_error *err)
{
	return pg_change(pgs(base), &TRUST_REMOVE, NULL, PG_ARGS(PG_ARG_TEXT(did)), err);
}

static int pg_trust_remove_source(struct store *base, const char *source, struct ok_error *err)
{
	return pg_run(pgs(base), &TRUST_REMOVE_SOURCE, NULL, PG_ARGS(PG_ARG_TEXT(source)), NULL,
	              err);
}

static int pg_trust_list(struct store *base, store_trust_fn fn, void *ctx, struct ok_error *err)
{
	struct store_trusted_issuer t;
	struct pg_cursor c;
	int rc = pg_pages(&c, pgs(base), &TRUST_LIST, &TRUST_PAGE, PG_ARGS(PG_ARG_TEXT("")), err);

	while (!rc && (rc = pg_next(&c, &t, err)) > 0)
		rc = fn(ctx, &t);
	return pg_list_end(&c, rc);
}

/* ---- schema and backups ---- */

struct version_row {
	int version;
};
static const struct pg_col version_col[] = {PG_COL(struct version_row, version, PG_INT)};
static const struct pg_cols version_cols = PG_COLS(version_col);

static const struct pg_query SCHEMA_VERSION = {"SELECT version FROM oorkonde_schema",
                                               "read schema version", NULL, &version_cols};

static int pg_schema_version(struct store *base, int *out, struct ok_error *err)
{
	struct version_row r = {0};
	int rc = pg_get(pgs(base), &SCHEMA_VERSION, PG_NO_ARGS, &r, err);

	if (!rc)
		*out = r.version;
	return rc;
}

static int pg_backup_to(struct store *base, const char *path, struct ok_error *err)
{
	(void)base;
	(void)path;
	return ok_fail(err, OK_EUNSUPPORTED,
	               "use pg_dump or a base backup with WAL archiving (docs/operations.md)");
}

/* Records are moved from SQLite to PostgreSQL, never away from PostgreSQL. */
static int pg_moved(struct store *base, struct ok_error *err)
{
	(void)base;
	(void)err;
	return 0;
}

/* Each statement is its own snapshot here, as before: a BEGIN would only add a round trip. */
static int pg_read_begin(struct store *base, struct ok_error *err)
{
	(void)base;
	(void)err;
	return 0;
}

static void pg_read_end(struct store *base)
{
	(void)base;
}

static const struct store_ops pg_ops = {
        .name = "postgresql",
        .close = pg_close,
        .begin = pg_begin,
        .commit = pg_commit,
        .rollback = pg_rollback,
        .in_transaction = pg_in_transaction,
        .set_writer_lock = pg_set_writer_lock,
        .meta_get = pg_meta_get,
        .meta_set = pg_meta_set,
        .meta_add = pg_meta_add,
        .institution_add = pg_institution_add,
        .institution_get = pg_institution_get,
        .institution_list = pg_institution_list,
        .api_key_add = pg_api_key_add,
        .api_key_find = pg_api_key_find,
        .learner_find = pg_learner_find,
        .learner_get = pg_learner_get,
        .learner_put = pg_learner_put,
        .achievement_find = pg_achievement_find,
        .achievement_get = pg_achievement_get,
        .achievement_put = pg_achievement_put,
        .achievement_list_by_learner = pg_achievement_list_by_learner,
        .achievement_count = pg_achievement_count,
        .audit_head = pg_audit_head,
        .audit_insert = pg_audit_insert,
        .audit_list = pg_audit_list,
        .status_list_current = pg_status_list_current,
        .status_list_get = pg_status_list_get,
        .status_list_add = pg_status_list_add,
        .status_list_bump = pg_status_list_bump,
        .status_list_bits = pg_status_list_bits,
        .achievement_by_slot = pg_achievement_by_slot,
        .slot_status = pg_slot_status,
        .credential_issued_add = pg_credential_issued_add,
        .achievement_by_credential = pg_achievement_by_credential,
        .credential_status = pg_credential_status,
        .status_cache_get = pg_status_cache_get,
        .status_cache_put = pg_status_cache_put,
        .trust_put = pg_trust_put,
        .trust_get = pg_trust_get,
        .trust_remove = pg_trust_remove,
        .trust_remove_source = pg_trust_remove_source,
        .trust_list = pg_trust_list,
        .schema_version = pg_schema_version,
        .backup_to = pg_backup_to,
        .moved = pg_moved,
        .read_begin = pg_read_begin,
        .read_end = pg_read_end,
        .portal = &pg_portal_ops,
        .leak = &pg_leak_ops,
        .audit = &pg_audit_ops,
        .keys = &pg_keys_ops,
        .foreign = &pg_foreign_ops,
        .bulk = &pg_import_ops,
        .identity = &pg_identity_ops,
        .apikeys = &pg_apikey_ops,
        .ratelimit = &pg_ratelimit_ops,
        .vcstatus = &pg_vcstatus_ops,
        .emrex = &pg_emrex_ops,
        .vci = &pg_vci_ops,
        .verifier = &pg_vp_ops,
        .retention = &pg_retention_ops,
};

/* ---- open ---- */

/* Libraries do not print: the server's notices (e.g. "relation exists, skipping") are
 * dropped. */
static void ignore_notice(void *arg, const char *message)
{
	(void)arg;
	(void)message;
}

/*
 * Applies the migrations the database lacks, in one transaction that first locks the schema
 * version's table (after the session's lock_timeout is set, so that a start stalled by a lock
 * holder fails after the timeout instead of hanging): when several servers start at once, the
 * first migrates and the others then find the schema current. A database whose schema is newer
 * than this program knows is refused.
 */
/*
 * Refuses a database where anything in schema public is not the connecting role's own, or where
 * a table carries a trigger, rule or row-level policy (oorkonde makes none): a role that could
 * create objects there before the first start (the default before PostgreSQL 15) could have
 * made the tables itself, and would then read every row and could undo any write through a
 * trigger. Runs under the migration lock, before any migration and at every start.
 */
static int check_own_objects(struct pg_store *s, struct ok_error *err)
{
	static const char foreign_objects[] =
	        "SELECT what, name FROM ("
	        " SELECT 'object' AS what, c.relname::text AS name FROM pg_class c"
	        "  JOIN pg_namespace n ON n.oid = c.relnamespace"
	        "  WHERE n.nspname = 'public' AND c.relowner <>"
	        "   (SELECT oid FROM pg_roles WHERE rolname = current_user)"
	        " UNION ALL SELECT 'trigger', t.tgname::text || ' on ' || c.relname FROM "
	        "pg_trigger t"
	        "  JOIN pg_class c ON c.oid = t.tgrelid JOIN pg_namespace n ON n.oid = "
	        "c.relnamespace"
	        "  WHERE n.nspname = 'public' AND NOT t.tgisinternal"
	        " UNION ALL SELECT 'rule', r.rulename::text || ' on ' || c.relname FROM pg_rewrite "
	        "r"
	        "  JOIN pg_class c ON c.oid = r.ev_class JOIN pg_namespace n ON n.oid = "
	        "c.relnamespace"
	        "  WHERE n.nspname = 'public' AND r.rulename <> '_RETURN'"
	        " UNION ALL SELECT 'policy', p.polname::text || ' on ' || c.relname FROM pg_policy "
	        "p"
	        "  JOIN pg_class c ON c.oid = p.polrelid JOIN pg_namespace n ON n.oid = "
	        "c.relnamespace"
	        "  WHERE n.nspname = 'public'"
	        ") x ORDER BY 1, 2 LIMIT 1";
	char what[16], name[128];
	PGresult *r;
	int rc = pg_exec_one(s, foreign_objects, NULL, &r, "check the schema's owner", err);

	if (rc == OK_ENOTFOUND)
		return 0;
	if (rc)
		return rc;
	pg_col_text(r, 0, 0, what, sizeof(what));
	pg_col_text(r, 0, 1, name, sizeof(name));
	PQclear(r);
	if (strcmp(what, "object") == 0)
		return ok_fail(err, OK_ESTORE,
		               "the database's %s is not owned by the role oorkonde connects as: "
		               "oorkonde uses only tables of its own role (docs/operations.md, "
		               "PostgreSQL roles and privileges)",
		               name);
	return ok_fail(err, OK_ESTORE,
	               "the database has a %s %s, which oorkonde does not make: it refuses a "
	               "schema that others changed (docs/operations.md, PostgreSQL roles and "
	               "privileges)",
	               what, name);
}

static int migrate_once(struct pg_store *s, struct ok_error *err)
{
	static const char read_version[] = "SELECT version FROM oorkonde_schema";
	static const char set_version[] = "UPDATE oorkonde_schema SET version = $1";
	static const char add_version[] = "INSERT INTO oorkonde_schema (version) VALUES ($1)";
	int want = (int)(sizeof(pg_migrations) / sizeof(pg_migrations[0]));
	int have = 0, rc;
	bool found;
	struct pg_params p;
	PGresult *r;

	if ((rc = pg_command(s, "BEGIN", "apply schema migration", err)))
		return rc;
	if ((rc = pg_command(
	             s, "CREATE TABLE IF NOT EXISTS oorkonde_schema (version INTEGER NOT NULL)",
	             "read schema version", err)))
		goto fail;
	if ((rc = pg_command(s, PG_LOCK_MIGRATE, "lock the schema for migration", err))) {
		if (rc == OK_EBUSY)
			rc = ok_fail(
			        err, rc,
			        "lock the schema for migration: another connection has held "
			        "the lock on oorkonde_schema for " PG_LOCK_WAIT_TXT
			        " (a migration still running, or a stalled session); try again");
		goto fail;
	}
	if ((rc = check_own_objects(s, err)))
		goto fail;
	rc = pg_exec_one(s, read_version, NULL, &r, "read schema version", err);
	if (rc && rc != OK_ENOTFOUND)
		goto fail;
	found = rc == 0;
	if (found) {
		have = (int)pg_col_int64(r, 0, 0);
		PQclear(r);
	}
	if (have > want) {
		rc = ok_fail(err, OK_EUNSUPPORTED,
		             "the database has schema version %d; this oorkonde knows up to %d",
		             have, want);
		goto fail;
	}
	if (have == want)
		return pg_command(s, "ROLLBACK", "read schema version", err);
	for (; have < want; have++)
		if ((rc = pg_command(s, pg_migrations[have], "apply schema migration", err)))
			goto fail;
	pg_params_init(&p);
	pg_param_int64(&p, want);
	if ((rc = pg_exec(s, found ? set_version : add_version, &p, NULL, NULL,
	                  "apply schema migration", err)))
		goto fail;
	return pg_command(s, "COMMIT", "apply schema migration", err);
fail:
	(void)pg_command(s, "ROLLBACK", "apply schema migration", NULL);
	return rc;
}

static int migrate(struct pg_store *s, struct ok_error *err)
{
	/* Two first starts on an empty database can both create oorkonde_schema; the one that
	 * loses that race fails once (a unique violation in the catalog) and then finds the
	 * table. */
	int rc = migrate_once(s, err);

	if (rc == OK_EEXIST)
		rc = migrate_once(s, err);
	return rc;
}

/* Copies src to dst for a message, printable ASCII only and cut to fit; "?" for none. */
static void printable(char *dst, size_t cap, const char *src)
{
	size_t n = 0;

	for (; src && *src && n + 1 < cap; src++)
		dst[n++] = (*src >= 0x20 && *src < 0x7f) ? *src : '?';
	if (n == 0 && cap > 1)
		dst[n++] = '?';
	dst[n] = '\0';
}

/*
 * Why a connection failed, in words of ours. libpq's own message may quote the connection
 * string (a parse error quotes the token it failed on, which may be a password), so it is only
 * looked at for a few known causes, never copied.
 */
static const char *connect_failure(PGconn *c)
{
	const char *m = PQerrorMessage(c);

	if (PQconnectionNeedsPassword(c))
		return "the server asks for a password and none was given (a password file, "
		       "PGPASSFILE, provides it)";
	if (strstr(m, "password authentication failed") || strstr(m, "authentication failed"))
		return "the server refused the credentials";
	if (strstr(m, "no pg_hba.conf entry"))
		return "the server's pg_hba.conf does not admit this connection";
	if (strstr(m, "does not exist"))
		return "the database or role does not exist";
	if (strstr(m, "Connection refused") || strstr(m, "No such file or directory"))
		return "no server answers there";
	if (strstr(m, "timeout expired"))
		return "the connection timed out";
	if (strstr(m, "too many") || strstr(m, "remaining connection slots"))
		return "the server has no connection slots left";
	if (strstr(m, "starting up") || strstr(m, "shutting down") || strstr(m, "recovery mode"))
		return "the server is starting up or shutting down";
	return "the server could not be reached or refused the connection (its log says why)";
}

int store_pg_open(struct store **out, const char *conninfo, bool create, struct ok_error *err)
{
	struct pg_store *s;
	PQconninfoOption *parsed;
	char *why = NULL;
	char host[96], port[16], user[64], db[64];
	int rc;

	(void)create; /* the database itself is made by its administrator (createdb) */
	*out = NULL;
	/* Parsed first: libpq's parse errors quote the string, so its message is dropped. */
	parsed = PQconninfoParse(conninfo, &why);
	PQfreemem(why);
	if (!parsed)
		return ok_fail(err, OK_EINPUT,
		               "the store connection string is malformed (see libpq's connection "
		               "string syntax); it is not shown here as it may hold a password");
	PQconninfoFree(parsed);
	s = calloc(1, sizeof(*s));
	if (!s)
		return ok_fail(err, OK_ENOMEM, "open database: out of memory");
	s->base.ops = &pg_ops;
	s->lock_wait_ms = PG_LOCK_WAIT_MS;
	s->bound_ms = PG_BOUND_MS;
#ifdef OK_TEST_HOOKS
	s->lock_wait_ms = store_test_wait_ms("OORKONDE_TEST_LOCK_WAIT_MS", PG_LOCK_WAIT_MS);
	s->bound_ms = store_test_wait_ms("OORKONDE_TEST_PG_BOUND_MS", PG_BOUND_MS);
#endif
	/* Bounds a server that stops answering (pg_connect.h). */
	s->conn = pg_connect_bounded(conninfo);
	if (!s->conn) {
		rc = ok_fail(err, OK_ENOMEM, "open database: out of memory");
		goto fail;
	}
	if (PQstatus(s->conn) != CONNECTION_OK) {
		printable(host, sizeof(host), PQhost(s->conn));
		printable(port, sizeof(port), PQport(s->conn));
		printable(user, sizeof(user), PQuser(s->conn));
		printable(db, sizeof(db), PQdb(s->conn));
		rc = ok_fail(err, OK_EIO,
		             "cannot connect to the PostgreSQL database %s on %s port %s as %s: %s",
		             db, host, port, user, connect_failure(s->conn));
		goto fail;
	}
	PQsetNoticeProcessor(s->conn, ignore_notice, NULL);
	pg_socket_buffers(s->conn);
	/* A hot standby cannot be migrated: its schema must already be this program's. */
	s->long_ops = true;
	if ((rc = set_session(s, "open database", err)) ||
	    (rc = pg_replica_detect(s, "open database", err)) ||
	    (rc = s->replica ? pg_replica_schema(s, PG_SCHEMA_VERSION, err) : migrate(s, err)))
		goto fail;
	s->long_ops = false;
	*out = &s->base;
	return 0;
fail:
	pg_close(&s->base);
	return rc;
}
