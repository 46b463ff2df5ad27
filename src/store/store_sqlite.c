/* The embedded store: SQLite in WAL mode; every statement a query of sqlite_internal.h, prepared
 * once per connection on first use. This file holds the core records. */
#include "store/audit.h"
#include "store/foreign.h"
#include "store/identity.h"
#include "store/keys.h"
#include "store/portal.h"
#include "store/apikeys.h"
#include "store/leak.h"
#include "store/schema_sqlite.h"
#include "store/sqlite_internal.h"
#include "store/store_migrate.h"
#include "core/clock.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Transactions */

static const struct sqlite_query BEGIN = {ST_BEGIN, "BEGIN IMMEDIATE", "begin transaction", NULL,
                                          NULL};
static const struct sqlite_query COMMIT = {ST_COMMIT, "COMMIT", "commit", NULL, NULL};
static const struct sqlite_query ROLLBACK = {ST_ROLLBACK, "ROLLBACK", "rollback", NULL, NULL};
/* Deferred: the read lock is taken by the first read, and held until read_end. */
static const struct sqlite_query READ_BEGIN = {ST_READ_BEGIN, "BEGIN DEFERRED",
                                               "begin a read snapshot", NULL, NULL};

/* Metadata */

struct meta_row {
	struct buf *value;
};
static const struct sqlite_col meta_col[] = {SQLITE_COL(struct meta_row, value, SQ_BUF_REF)};
static const struct sqlite_cols meta_cols = SQLITE_COLS(meta_col);

static const struct sqlite_query META_GET = {ST_META_GET, "SELECT value FROM meta WHERE key = ?",
                                             "read metadata", NULL, &meta_cols};
static const struct sqlite_query META_SET = {
        ST_META_SET,
        "INSERT INTO meta (key, value) VALUES (?, ?) "
        "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        "write metadata", NULL, NULL};
static const struct sqlite_query META_ADD = {
        ST_META_ADD, "INSERT INTO meta (key, value) VALUES (?, ?)", "add metadata", NULL, NULL};

/* Institutions and keys */

static const struct sqlite_col institution_col[] = {
        SQLITE_COL(struct store_institution, code, SQ_TEXT),
        SQLITE_COL(struct store_institution, name, SQ_TEXT),
        SQLITE_COL(struct store_institution, country, SQ_TEXT),
        SQLITE_COL(struct store_institution, erasmus, SQ_TEXT),
        SQLITE_COL(struct store_institution, schac, SQ_TEXT),
};
static const struct sqlite_cols institution_cols = SQLITE_COLS(institution_col);

/* The record, then the time it was added. */
static const struct sqlite_query INST_ADD = {
        ST_INST_ADD,
        "INSERT INTO institution (code, name, country, erasmus, schac, created_ms) "
        "VALUES (?, ?, ?, ?, ?, ?)",
        "add institution", &institution_cols, NULL};
static const struct sqlite_query INST_GET = {
        ST_INST_GET, "SELECT code, name, country, erasmus, schac FROM institution WHERE code = ?",
        "read institution", NULL, &institution_cols};
static const struct sqlite_query INST_LIST = {
        ST_INST_LIST, "SELECT code, name, country, erasmus, schac FROM institution ORDER BY code",
        "list institutions", NULL, &institution_cols};

static const struct sqlite_col api_key_col[] = {
        SQLITE_COL(struct store_api_key, id, SQ_TEXT),
        SQLITE_COL(struct store_api_key, institution, SQ_TEXT),
        SQLITE_COL(struct store_api_key, key_hash, SQ_BLOB),
        SQLITE_COL(struct store_api_key, permissions, SQ_TEXT),
        SQLITE_COL(struct store_api_key, created_ms, SQ_INT),
        SQLITE_COL(struct store_api_key, revoked_ms, SQ_INT),
        SQLITE_COL(struct store_api_key, last_used_ms, SQ_INT),
};
static const struct sqlite_cols api_key_cols = SQLITE_COLS(api_key_col);
/* A new key: not revoked, never used. */
static const struct sqlite_cols api_key_new_cols = SQLITE_COLS_N(api_key_col, 5);

static const struct sqlite_query KEY_ADD = {
        ST_KEY_ADD,
        "INSERT INTO api_key (id, institution, key_hash, permissions, created_ms) "
        "VALUES (?, ?, ?, ?, ?)",
        "add API key", &api_key_new_cols, NULL};
static const struct sqlite_query KEY_FIND = {
        ST_KEY_FIND,
        "SELECT id, institution, key_hash, permissions, created_ms, revoked_ms, last_used_ms "
        "FROM api_key WHERE key_hash = ?",
        "find API key", NULL, &api_key_cols};

/* Learners */

#define LEARNER_COLS                                                                         \
	"id, nid_index, digest, national_id, given_names, family_name, birth_date, key_id, " \
	"created_ms, updated_ms"
static const struct sqlite_col learner_col[] = {
        SQLITE_COL(struct store_learner, id, SQ_TEXT),
        SQLITE_COL(struct store_learner, nid_index, SQ_BLOB),
        SQLITE_COL(struct store_learner, digest, SQ_BLOB),
        SQLITE_COL(struct store_learner, national_id, SQ_BUF),
        SQLITE_COL(struct store_learner, given_names, SQ_BUF),
        SQLITE_COL(struct store_learner, family_name, SQ_BUF),
        SQLITE_COL(struct store_learner, birth_date, SQ_BUF),
        SQLITE_COL(struct store_learner, key_id, SQ_UINT),
        SQLITE_COL(struct store_learner, created_ms, SQ_INT),
        SQLITE_COL(struct store_learner, updated_ms, SQ_INT),
};
static const struct sqlite_cols learner_cols = SQLITE_COLS(learner_col);

static const struct sqlite_query LEARNER_FIND = {
        ST_LEARNER_FIND, "SELECT " LEARNER_COLS " FROM learner WHERE nid_index = ?", "read learner",
        NULL, &learner_cols};
static const struct sqlite_query LEARNER_GET = {ST_LEARNER_GET,
                                                "SELECT " LEARNER_COLS " FROM learner WHERE id = ?",
                                                "read learner", NULL, &learner_cols};
static const struct sqlite_query LEARNER_INSERT = {ST_LEARNER_INSERT,
                                                   "INSERT INTO learner (" LEARNER_COLS
                                                   ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                                                   "add learner", &learner_cols, NULL};
/* Every column but created_ms (?9), by its place in the record. */
static const struct sqlite_query LEARNER_UPDATE = {
        ST_LEARNER_UPDATE,
        "UPDATE learner SET nid_index = ?2, digest = ?3, national_id = ?4, given_names = ?5, "
        "family_name = ?6, birth_date = ?7, key_id = ?8, updated_ms = ?10 WHERE id = ?1",
        "update learner", &learner_cols, NULL};

/* Achievements */

#define ACHIEVEMENT_COLS                                                                     \
	"id, learner_id, institution, record_id, kind, title, programme_code, eqf_level, "   \
	"credits_centi, grade, grading_scheme, awarded_on, language, status, status_index, " \
	"digest, version, created_ms, updated_ms, status_list"
static const struct sqlite_col achievement_col[] = {
        SQLITE_COL(struct store_achievement, id, SQ_TEXT),
        SQLITE_COL(struct store_achievement, learner_id, SQ_TEXT),
        SQLITE_COL(struct store_achievement, institution, SQ_TEXT),
        SQLITE_COL(struct store_achievement, record_id, SQ_TEXT),
        SQLITE_COL(struct store_achievement, kind, SQ_TEXT),
        SQLITE_COL(struct store_achievement, title, SQ_TEXT),
        SQLITE_COL(struct store_achievement, programme_code, SQ_TEXT),
        SQLITE_COL(struct store_achievement, eqf_level, SQ_INT),
        SQLITE_COL(struct store_achievement, credits_centi, SQ_INT),
        SQLITE_COL(struct store_achievement, grade, SQ_TEXT),
        SQLITE_COL(struct store_achievement, grading_scheme, SQ_TEXT),
        SQLITE_COL(struct store_achievement, awarded_on, SQ_TEXT),
        SQLITE_COL(struct store_achievement, language, SQ_TEXT),
        SQLITE_COL(struct store_achievement, status, SQ_TEXT),
        SQLITE_COL(struct store_achievement, status_index, SQ_INT),
        SQLITE_COL(struct store_achievement, digest, SQ_BLOB),
        SQLITE_COL(struct store_achievement, version, SQ_INT),
        SQLITE_COL(struct store_achievement, created_ms, SQ_INT),
        SQLITE_COL(struct store_achievement, updated_ms, SQ_INT),
        SQLITE_COL(struct store_achievement, status_list, SQ_INT),
};
static const struct sqlite_cols achievement_cols = SQLITE_COLS(achievement_col);

static const struct sqlite_query ACH_FIND = {
        ST_ACH_FIND,
        "SELECT " ACHIEVEMENT_COLS " FROM achievement WHERE institution = ? AND record_id = ?",
        "read achievement", NULL, &achievement_cols};
static const struct sqlite_query ACH_GET = {
        ST_ACH_GET, "SELECT " ACHIEVEMENT_COLS " FROM achievement WHERE id = ?", "read achievement",
        NULL, &achievement_cols};
/* A new row that collides with a unique key (record id, status slot) is not written. */
static const struct sqlite_query ACH_INSERT = {
        ST_ACH_INSERT,
        "INSERT INTO achievement (" ACHIEVEMENT_COLS ") "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
        "ON CONFLICT DO NOTHING",
        "add achievement", &achievement_cols, NULL};
/* Every column but institution, record_id and created_ms, by its place in the record. */
static const struct sqlite_query ACH_UPDATE = {
        ST_ACH_UPDATE,
        "UPDATE achievement SET learner_id = ?2, kind = ?5, title = ?6, programme_code = ?7, "
        "eqf_level = ?8, credits_centi = ?9, grade = ?10, grading_scheme = ?11, "
        "awarded_on = ?12, language = ?13, status = ?14, status_index = ?15, digest = ?16, "
        "version = ?17, updated_ms = ?19, status_list = ?20 WHERE id = ?1",
        "update achievement", &achievement_cols, NULL};
/* (id, changed_ms, actor, reason) */
static const struct sqlite_query ACH_HISTORY = {
        ST_ACH_HISTORY,
        "INSERT INTO achievement_history SELECT id, version, learner_id, kind, title, "
        "programme_code, eqf_level, credits_centi, grade, grading_scheme, awarded_on, language, "
        "status, ?2, ?3, ?4 FROM achievement WHERE id = ?1",
        "keep achievement history", NULL, NULL};
static const struct sqlite_query ACH_BY_LEARNER = {ST_ACH_BY_LEARNER,
                                                   "SELECT " ACHIEVEMENT_COLS
                                                   " FROM achievement WHERE learner_id = ? "
                                                   "ORDER BY institution, awarded_on, id",
                                                   "list achievements", NULL, &achievement_cols};
static const struct sqlite_query ACH_COUNT = {ST_ACH_COUNT, "SELECT count(*) AS n FROM achievement",
                                              "count achievements", NULL, &sqlite_count_cols};

/* Audit */

struct head_row {
	int64_t seq;
	unsigned char hash[AUDIT_HASH_BYTES];
};
static const struct sqlite_col head_col[] = {
        SQLITE_COL(struct head_row, seq, SQ_INT),
        SQLITE_COL(struct head_row, hash, SQ_BLOB),
};
static const struct sqlite_cols head_cols = SQLITE_COLS(head_col);

static const struct sqlite_query AUDIT_HEAD = {
        ST_AUDIT_HEAD, "SELECT seq, hash FROM audit_event ORDER BY seq DESC LIMIT 1",
        "read audit head", NULL, &head_cols};
static const struct sqlite_query AUDIT_INSERT = {ST_AUDIT_INSERT,
                                                 "INSERT INTO audit_event (" SQLITE_EVENT_COLS
                                                 ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                                                 "append audit event", &sqlite_event_cols, NULL};
static const struct sqlite_query AUDIT_LIST = {
        ST_AUDIT_LIST, "SELECT " SQLITE_EVENT_COLS " FROM audit_event WHERE seq > ? ORDER BY seq",
        "list audit events", NULL, &sqlite_event_cols};

/* Status lists */

#define STATUS_LIST_COLS "n, size, used, revocation_version, suspension_version"
static const struct sqlite_col status_list_col[] = {
        SQLITE_COL(struct store_status_list, n, SQ_INT),
        SQLITE_COL(struct store_status_list, size, SQ_INT),
        SQLITE_COL(struct store_status_list, used, SQ_INT),
        SQLITE_COL(struct store_status_list, revocation_version, SQ_INT),
        SQLITE_COL(struct store_status_list, suspension_version, SQ_INT),
};
static const struct sqlite_cols status_list_cols = SQLITE_COLS(status_list_col);

static const struct sqlite_query STATUS_CURRENT = {
        ST_STATUS_CURRENT, "SELECT " STATUS_LIST_COLS " FROM status_list ORDER BY n DESC LIMIT 1",
        "read status lists", NULL, &status_list_cols};
/* (n, size) */
static const struct sqlite_query STATUS_ADD = {
        ST_STATUS_ADD, "INSERT INTO status_list (" STATUS_LIST_COLS ") VALUES (?, ?, 0, 1, 1)",
        "add status list", NULL, NULL};
/* (n, used_delta, revocation_delta, suspension_delta) */
static const struct sqlite_query STATUS_BUMP = {
        ST_STATUS_BUMP,
        "UPDATE status_list SET used = used + ?2, revocation_version = revocation_version + ?3, "
        "suspension_version = suspension_version + ?4 WHERE n = ?1",
        "update status list", NULL, NULL};
static const struct sqlite_query STATUS_GET = {
        ST_STATUS_GET, "SELECT " STATUS_LIST_COLS " FROM status_list WHERE n = ?",
        "read status list", NULL, &status_list_cols};

struct index_row {
	int64_t status_index;
};
static const struct sqlite_col index_col[] = {SQLITE_COL(struct index_row, status_index, SQ_INT)};
static const struct sqlite_cols index_cols = SQLITE_COLS(index_col);

static const struct sqlite_query STATUS_BITS = {
        ST_STATUS_BITS,
        "SELECT status_index FROM achievement WHERE status_list = ?1 AND status = ?2 "
        "AND status <> 'active' UNION ALL SELECT status_index FROM vc_status "
        "WHERE status_list = ?1 AND status = ?2 AND status <> 'active'",
        "read status list", NULL, &index_cols};
static const struct sqlite_query STATUS_SLOT = {ST_STATUS_SLOT,
                                                "SELECT " ACHIEVEMENT_COLS
                                                " FROM achievement WHERE status_list = ? AND "
                                                "status_index = ? AND status_index >= 0",
                                                "read achievement", NULL, &achievement_cols};

/* A slot's status alone: an achievement's, else a VC-API credential's (a slot is never both). */
static const struct sqlite_query SLOT_STATUS = {
        ST_SLOT_STATUS,
        "SELECT status AS id FROM achievement WHERE status_list = ?1 AND status_index = ?2 "
        "AND status_index >= 0 UNION ALL SELECT status AS id FROM vc_status WHERE "
        "status_list = ?1 AND status_index = ?2 LIMIT 1",
        "read a status entry", NULL, &sqlite_id_cols};

static const struct sqlite_query CREDENTIAL_ISSUED_ADD = {
        ST_CREDENTIAL_ISSUED_ADD,
        "INSERT OR IGNORE INTO issued_credential (credential_id, achievement_id, issued_ms) "
        "VALUES (?, ?, ?)",
        "record an issued credential", NULL, NULL};
static const struct sqlite_query ACHIEVEMENT_BY_CREDENTIAL = {
        ST_ACHIEVEMENT_BY_CREDENTIAL,
        "SELECT " ACHIEVEMENT_COLS " FROM achievement WHERE id = (SELECT achievement_id FROM "
        "issued_credential WHERE credential_id = ?)",
        "read achievement", NULL, &achievement_cols};

/* Only what a verification's status check reads of the achievement (not its whole row). */
static const struct sqlite_col credential_status_col[] = {
        SQLITE_COL(struct store_credential_status, status, SQ_TEXT),
        SQLITE_COL(struct store_credential_status, status_list, SQ_INT),
        SQLITE_COL(struct store_credential_status, status_index, SQ_INT),
};
static const struct sqlite_cols credential_status_cols = SQLITE_COLS(credential_status_col);
static const struct sqlite_query CREDENTIAL_STATUS = {
        ST_CREDENTIAL_STATUS,
        "SELECT status, status_list, status_index FROM achievement WHERE id = (SELECT "
        "achievement_id FROM issued_credential WHERE credential_id = ?)",
        "read a credential's status", NULL, &credential_status_cols};

/* A signed list credential as kept, its body read into the caller's buffer. */
struct cache_row {
	int64_t version;
	char etag[STORE_ETAG_MAX];
	struct buf *body;
};
static const struct sqlite_col cache_col[] = {
        SQLITE_COL(struct cache_row, version, SQ_INT),
        SQLITE_COL(struct cache_row, etag, SQ_TEXT),
        SQLITE_COL(struct cache_row, body, SQ_BUF_REF),
};
static const struct sqlite_cols cache_cols = SQLITE_COLS(cache_col);

static const struct sqlite_query STATUS_CACHE_GET = {
        ST_STATUS_CACHE_GET,
        "SELECT version, etag, body FROM status_list_credential WHERE purpose = ? AND n = ?",
        "read signed status list", NULL, &cache_cols};
/* (purpose, n, version, etag, body, signed_ms) */
static const struct sqlite_query STATUS_CACHE_PUT = {
        ST_STATUS_CACHE_PUT,
        "INSERT INTO status_list_credential (purpose, n, version, etag, body, signed_ms) "
        "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (purpose, n) DO UPDATE SET "
        "version = excluded.version, etag = excluded.etag, body = excluded.body, "
        "signed_ms = excluded.signed_ms",
        "store signed status list", NULL, NULL};

/* Trust list */

#define TRUSTED_COLS "did, name, country, source, status, since_ms"
static const struct sqlite_col trusted_col[] = {
        SQLITE_COL(struct store_trusted_issuer, did, SQ_TEXT),
        SQLITE_COL(struct store_trusted_issuer, name, SQ_TEXT),
        SQLITE_COL(struct store_trusted_issuer, country, SQ_TEXT),
        SQLITE_COL(struct store_trusted_issuer, source, SQ_TEXT),
        SQLITE_COL(struct store_trusted_issuer, status, SQ_TEXT),
        SQLITE_COL(struct store_trusted_issuer, since_ms, SQ_INT),
};
static const struct sqlite_cols trusted_cols = SQLITE_COLS(trusted_col);

/* A DID added again keeps the time it was first trusted. */
static const struct sqlite_query TRUST_PUT = {
        ST_TRUST_PUT,
        "INSERT INTO trusted_issuer (" TRUSTED_COLS ") VALUES (?, ?, ?, ?, ?, ?) "
        "ON CONFLICT (did) DO UPDATE SET name = excluded.name, country = excluded.country, "
        "source = excluded.source, status = excluded.status",
        "add trusted issuer", &trusted_cols, NULL};
static const struct sqlite_query TRUST_GET = {
        ST_TRUST_GET, "SELECT " TRUSTED_COLS " FROM trusted_issuer WHERE did = ?",
        "read trust list", NULL, &trusted_cols};
static const struct sqlite_query TRUST_REMOVE = {ST_TRUST_REMOVE,
                                                 "DELETE FROM trusted_issuer WHERE did = ?",
                                                 "remove trusted issuer", NULL, NULL};
static const struct sqlite_query TRUST_REMOVE_SOURCE = {
        ST_TRUST_REMOVE_SOURCE, "DELETE FROM trusted_issuer WHERE source = ?", "replace trust list",
        NULL, NULL};
static const struct sqlite_query TRUST_LIST = {
        ST_TRUST_LIST, "SELECT " TRUSTED_COLS " FROM trusted_issuer ORDER BY did",
        "list trust list", NULL, &trusted_cols};

/* Life cycle */

static int sqlite_rollback(struct store *base);

static void sqlite_close(struct store *base)
{
	struct store_sqlite *s = sq(base);
	size_t i;

	if (s->db)
		sqlite_rollback(base); /* an open transaction lets go of the writer lock too */
	for (i = 0; i < ST_COUNT; i++)
		sqlite3_finalize(s->stmt[i].st);
	if (s->db) {
		/* A clean close checkpoints the WAL into the database file. */
		sqlite3_close(s->db);
	}
	sqlite_statusmem_free(s->statusmem);
	free(s);
}

/* The writer lock shared by the connections of one process (when set): taken before the
 * database's own write lock, let go once the transaction has ended. */
static void writer_release(struct store_sqlite *s)
{
	if (s->writer_held) {
		s->writer_held = false;
		pthread_mutex_unlock(s->writer);
	}
}

/*
 * OK_EMOVED when `oorkonde store migrate` moved this database's records to PostgreSQL (its
 * marker, STORE_MOVED_META, is in meta), else 0. A process that opened oorkonde.db before the
 * move (a server not restarted) would otherwise keep writing records that no one reads any
 * more. Asked inside the write transaction, under the write lock the move held: a writer that
 * waited for the move sees its marker.
 */
static int refuse_if_moved(struct store_sqlite *s, struct ok_error *err)
{
	struct buf at;
	struct meta_row r = {&at};
	char when[32] = "";
	size_t i;
	int rc;

	buf_init(&at, 64);
	rc = sqlite_get(s, &META_GET, SQLITE_ARGS(SQ_ARG_TEXT(STORE_MOVED_META)), &r, err);
	if (rc == OK_ENOTFOUND) {
		ok_error_clear(err);
		rc = 0;
	} else if (!rc) {
		/* The value is printed: only a time of our own format is. */
		for (i = 0; i < at.len && i + 1 < sizeof(when) && at.data[i] &&
		            strchr("0123456789-:TZ", at.data[i]);
		     i++)
			when[i] = at.data[i];
		when[i] = '\0';
		rc = ok_fail(
		        err, OK_EMOVED,
		        "this depository's records moved to PostgreSQL on %s (oorkonde store "
		        "migrate); oorkonde.db takes no more writes: restart the server, which "
		        "then uses the store config.json names (docs/operations.md)",
		        i == at.len && i ? when : "(time unknown)");
	}
	buf_release(&at);
	return rc;
}

/* PRAGMA data_version: it changes when another connection (or process) commits. The pragma
 * itself, not its table-valued form (pragma_data_version), which prepares the pragma again at
 * every call: a third of what a request's store work cost. */
struct data_version_row {
	int64_t data_version;
};
static const struct sqlite_col data_version_col[] = {
        SQLITE_COL(struct data_version_row, data_version, SQ_INT)};
static const struct sqlite_cols data_version_cols = SQLITE_COLS(data_version_col);
static const struct sqlite_query DATA_VERSION = {ST_DATA_VERSION, "PRAGMA data_version",
                                                 "read the data version", NULL, &data_version_cols};

/*
 * The move's marker for every request of a server, not only its writes (reads of a moved
 * database are stale: status lists, API keys, the trust list). The version is read before the
 * marker, so a move committed in between is seen at the next call.
 */
static int sqlite_moved(struct store *base, struct ok_error *err)
{
	struct store_sqlite *s = sq(base);
	struct data_version_row dv = {0};
	int64_t version;
	int rc = sqlite_get(s, &DATA_VERSION, SQLITE_NO_ARGS, &dv, err);

	if (rc)
		return rc;
	version = dv.data_version;
	if (s->moved_known && version == s->data_version && !s->moved)
		return 0;
	rc = refuse_if_moved(s, err);
	if (rc && rc != OK_EMOVED)
		return rc;
	s->moved_known = true;
	s->moved = rc == OK_EMOVED;
	s->data_version = version;
	return rc;
}

static void sqlite_read_end(struct store *base)
{
	struct store_sqlite *s = sq(base);

	/* A read-only transaction: its COMMIT only lets go of the read lock. */
	if (s->reading && !sqlite3_get_autocommit(s->db))
		sqlite_exec(s, &COMMIT, NULL, SQLITE_NO_ARGS, NULL);
	s->reading = false;
}

static int sqlite_read_begin(struct store *base, struct ok_error *err)
{
	struct store_sqlite *s = sq(base);
	int rc;

	if (s->reading || !sqlite3_get_autocommit(s->db))
		return 0;
	sqlite_statusmem_begin(s);
	rc = sqlite_exec(s, &READ_BEGIN, NULL, SQLITE_NO_ARGS, err);
	s->reading = rc == 0;
	return rc;
}

static int sqlite_begin(struct store *base, struct ok_error *err)
{
	struct store_sqlite *s = sq(base);
	int rc;

	/* A write starts from the newest state, not from the snapshot a request read in. */
	if (s->reading)
		sqlite_read_end(base);
	if (s->writer && !s->writer_held) {
		pthread_mutex_lock(s->writer);
		s->writer_held = true;
	}
	rc = sqlite_exec(s, &BEGIN, NULL, SQLITE_NO_ARGS, err);
	if (!rc && (rc = refuse_if_moved(s, err)))
		sqlite_exec(s, &ROLLBACK, NULL, SQLITE_NO_ARGS, NULL);
	if (rc)
		writer_release(s);
	return rc;
}

static int sqlite_commit(struct store *base, struct ok_error *err)
{
	struct store_sqlite *s = sq(base);
	int rc = sqlite_exec(s, &COMMIT, NULL, SQLITE_NO_ARGS, err);

	/* A commit that failed leaves the transaction open for the caller to roll back. */
	if (sqlite3_get_autocommit(s->db)) {
		s->reading = false;
		writer_release(s);
	}
	return rc;
}

static int sqlite_rollback(struct store *base)
{
	struct store_sqlite *s = sq(base);
	int rc = 0;

	if (!sqlite3_get_autocommit(s->db))
		rc = sqlite_exec(s, &ROLLBACK, NULL, SQLITE_NO_ARGS, NULL);
	s->reading = false;
	writer_release(s);
	return rc;
}

static void sqlite_set_writer_lock(struct store *base, pthread_mutex_t *lock)
{
	struct store_sqlite *s = sq(base);

	writer_release(s);
	s->writer = lock;
}

/* A read snapshot is no transaction: nothing written in it is waiting for a commit. */
static bool sqlite_in_transaction(struct store *base)
{
	return !sqlite3_get_autocommit(sq(base)->db) && !sq(base)->reading;
}

/* Metadata */

static int sqlite_meta_get(struct store *base, const char *key, struct buf *out,
                           struct ok_error *err)
{
	struct meta_row r = {out};

	return sqlite_get(sq(base), &META_GET, SQLITE_ARGS(SQ_ARG_TEXT(key)), &r, err);
}

static int sqlite_meta_set(struct store *base, const char *key, const char *value,
                           struct ok_error *err)
{
	return sqlite_exec(sq(base), &META_SET, NULL,
	                   SQLITE_ARGS(SQ_ARG_TEXT(key), SQ_ARG_TEXT(value)), err);
}

static int sqlite_meta_add(struct store *base, const char *key, const char *value,
                           struct ok_error *err)
{
	return sqlite_exec(sq(base), &META_ADD, NULL,
	                   SQLITE_ARGS(SQ_ARG_TEXT(key), SQ_ARG_TEXT(value)), err);
}

/* Institutions and keys */

static int sqlite_institution_add(struct store *base, const struct store_institution *i,
                                  struct ok_error *err)
{
	return sqlite_exec(sq(base), &INST_ADD, i, SQLITE_ARGS(SQ_ARG_INT(ok_now_ms())), err);
}

static int sqlite_institution_get(struct store *base, const char *code,
                                  struct store_institution *out, struct ok_error *err)
{
	return sqlite_get(sq(base), &INST_GET, SQLITE_ARGS(SQ_ARG_TEXT(code)), out, err);
}

static int sqlite_institution_list(struct store *base, store_institution_fn fn, void *ctx,
                                   struct ok_error *err)
{
	struct store_sqlite *s = sq(base);
	struct store_institution i;
	int rc = sqlite_query(s, &INST_LIST, SQLITE_NO_ARGS, err);

	while (!rc && (rc = sqlite_next(s, &INST_LIST, &i, err)) > 0)
		rc = fn(ctx, &i);
	return sqlite_end(s, &INST_LIST, rc);
}

static int sqlite_api_key_add(struct store *base, const struct store_api_key *k,
                              struct ok_error *err)
{
	return sqlite_exec(sq(base), &KEY_ADD, k, SQLITE_NO_ARGS, err);
}

static int sqlite_api_key_find(struct store *base, const unsigned char hash[STORE_HASH_BYTES],
                               struct store_api_key *out, struct ok_error *err)
{
	return sqlite_get(sq(base), &KEY_FIND, SQLITE_ARGS(SQ_ARG_BLOB(hash, STORE_HASH_BYTES)),
	                  out, err);
}

/* Learners */

void store_learner_init(struct store_learner *l)
{
	memset(l, 0, sizeof(*l));
	buf_init(&l->national_id, 4096);
	buf_init(&l->given_names, 4096);
	buf_init(&l->family_name, 4096);
	buf_init(&l->birth_date, 4096);
}

void store_learner_release(struct store_learner *l)
{
	buf_release(&l->national_id);
	buf_release(&l->given_names);
	buf_release(&l->family_name);
	buf_release(&l->birth_date);
}

static int sqlite_learner_find(struct store *base, const unsigned char idx[STORE_HASH_BYTES],
                               struct store_learner *out, struct ok_error *err)
{
	return sqlite_get(sq(base), &LEARNER_FIND, SQLITE_ARGS(SQ_ARG_BLOB(idx, STORE_HASH_BYTES)),
	                  out, err);
}

static int sqlite_learner_get(struct store *base, const char *id, struct store_learner *out,
                              struct ok_error *err)
{
	return sqlite_get(sq(base), &LEARNER_GET, SQLITE_ARGS(SQ_ARG_TEXT(id)), out, err);
}

static int sqlite_learner_put(struct store *base, const struct store_learner *l, bool update,
                              struct ok_error *err)
{
	return sqlite_exec(sq(base), update ? &LEARNER_UPDATE : &LEARNER_INSERT, l, SQLITE_NO_ARGS,
	                   err);
}

/* Achievements */

static int sqlite_achievement_find(struct store *base, const char *institution,
                                   const char *record_id, struct store_achievement *out,
                                   struct ok_error *err)
{
	return sqlite_get(sq(base), &ACH_FIND,
	                  SQLITE_ARGS(SQ_ARG_TEXT(institution), SQ_ARG_TEXT(record_id)), out, err);
}

static int sqlite_achievement_get(struct store *base, const char *id, struct store_achievement *out,
                                  struct ok_error *err)
{
	return sqlite_get(sq(base), &ACH_GET, SQLITE_ARGS(SQ_ARG_TEXT(id)), out, err);
}

static int sqlite_achievement_put(struct store *base, const struct store_achievement *a,
                                  bool update, const char *actor, const char *reason,
                                  struct ok_error *err)
{
	struct store_sqlite *s = sq(base);
	int rc;

	if (update) {
		rc = sqlite_exec(s, &ACH_HISTORY, NULL,
		                 SQLITE_ARGS(SQ_ARG_TEXT(a->id), SQ_ARG_INT(a->updated_ms),
		                             SQ_ARG_TEXT(actor), SQ_ARG_TEXT(reason)),
		                 err);
		if (rc)
			return rc;
	}
	rc = sqlite_exec(s, update ? &ACH_UPDATE : &ACH_INSERT, a, SQLITE_NO_ARGS, err);
	if (!rc && !update && sqlite_changes(s) == 0)
		return ok_fail(err, OK_EEXIST,
		               "add achievement: its record id or status slot is taken");
	return rc;
}

static int sqlite_achievement_list_by_learner(struct store *base, const char *learner_id,
                                              store_achievement_fn fn, void *ctx,
                                              struct ok_error *err)
{
	struct store_sqlite *s = sq(base);
	struct store_achievement a;
	int rc = sqlite_query(s, &ACH_BY_LEARNER, SQLITE_ARGS(SQ_ARG_TEXT(learner_id)), err);

	while (!rc && (rc = sqlite_next(s, &ACH_BY_LEARNER, &a, err)) > 0)
		rc = fn(ctx, &a);
	return sqlite_end(s, &ACH_BY_LEARNER, rc);
}

static int sqlite_achievement_count(struct store *base, int64_t *out, struct ok_error *err)
{
	int rc;

	/* /healthz counts: a server whose records moved reports itself unhealthy, so that a load
	 * balancer stops sending it requests. */
	if ((rc = refuse_if_moved(sq(base), err)))
		return rc;
	return sqlite_count(sq(base), &ACH_COUNT, SQLITE_NO_ARGS, out, err);
}

/* Audit */

static int sqlite_audit_head(struct store *base, int64_t *seq, unsigned char hash[AUDIT_HASH_BYTES],
                             struct ok_error *err)
{
	struct head_row r = {0};
	int rc = sqlite_get(sq(base), &AUDIT_HEAD, SQLITE_NO_ARGS, &r, err);

	if (rc && rc != OK_ENOTFOUND)
		return rc;
	*seq = r.seq; /* none yet: 0 and zeros */
	memcpy(hash, r.hash, AUDIT_HASH_BYTES);
	return 0;
}

static int sqlite_audit_insert(struct store *base, const struct audit_event *e,
                               struct ok_error *err)
{
	return sqlite_exec(sq(base), &AUDIT_INSERT, e, SQLITE_NO_ARGS, err);
}

static int sqlite_audit_list(struct store *base, int64_t after_seq, store_audit_fn fn, void *ctx,
                             struct ok_error *err)
{
	return sqlite_audit_rows(sq(base), &AUDIT_LIST, SQLITE_ARGS(SQ_ARG_INT(after_seq)), fn, ctx,
	                         err);
}

/* Status lists */

static int sqlite_status_list_current(struct store *base, struct store_status_list *out,
                                      struct ok_error *err)
{
	return sqlite_get(sq(base), &STATUS_CURRENT, SQLITE_NO_ARGS, out, err);
}

static int sqlite_status_list_get(struct store *base, int64_t n, struct store_status_list *out,
                                  struct ok_error *err)
{
	return sqlite_get(sq(base), &STATUS_GET, SQLITE_ARGS(SQ_ARG_INT(n)), out, err);
}

static int sqlite_status_list_add(struct store *base, int64_t n, int64_t size, struct ok_error *err)
{
	return sqlite_exec(sq(base), &STATUS_ADD, NULL,
	                   SQLITE_ARGS(SQ_ARG_INT(n), SQ_ARG_INT(size)), err);
}

static int sqlite_status_list_bump(struct store *base, int64_t n, int64_t used_delta,
                                   int64_t revocation_delta, int64_t suspension_delta,
                                   struct ok_error *err)
{
	return sqlite_exec(sq(base), &STATUS_BUMP, NULL,
	                   SQLITE_ARGS(SQ_ARG_INT(n), SQ_ARG_INT(used_delta),
	                               SQ_ARG_INT(revocation_delta), SQ_ARG_INT(suspension_delta)),
	                   err);
}

static int sqlite_status_list_bits(struct store *base, int64_t n, const char *status,
                                   store_index_fn fn, void *ctx, struct ok_error *err)
{
	struct store_sqlite *s = sq(base);
	struct index_row r;
	int rc =
	        sqlite_query(s, &STATUS_BITS, SQLITE_ARGS(SQ_ARG_INT(n), SQ_ARG_TEXT(status)), err);

	while (!rc && (rc = sqlite_next(s, &STATUS_BITS, &r, err)) > 0)
		rc = fn(ctx, r.status_index);
	return sqlite_end(s, &STATUS_BITS, rc);
}

static int sqlite_achievement_by_slot(struct store *base, int64_t list, int64_t index,
                                      struct store_achievement *out, struct ok_error *err)
{
	return sqlite_get(sq(base), &STATUS_SLOT, SQLITE_ARGS(SQ_ARG_INT(list), SQ_ARG_INT(index)),
	                  out, err);
}

static int sqlite_slot_status(struct store *base, int64_t list, int64_t index,
                              char status[STORE_STATUS_MAX], struct ok_error *err)
{
	struct sqlite_id_row r;
	int rc = sqlite_get(sq(base), &SLOT_STATUS,
	                    SQLITE_ARGS(SQ_ARG_INT(list), SQ_ARG_INT(index)), &r, err);

	size_t n;

	if (rc)
		return rc;
	/* The statuses are short words: one longer is cut, and then none of them. */
	n = strnlen(r.id, STORE_STATUS_MAX - 1);
	memcpy(status, r.id, n);
	status[n] = '\0';
	return 0;
}

static int sqlite_credential_issued_add(struct store *base, const char *credential_id,
                                        const char *achievement_id, int64_t at_ms,
                                        struct ok_error *err)
{
	return sqlite_exec(sq(base), &CREDENTIAL_ISSUED_ADD, NULL,
	                   SQLITE_ARGS(SQ_ARG_TEXT(credential_id), SQ_ARG_TEXT(achievement_id),
	                               SQ_ARG_INT(at_ms)),
	                   err);
}

static int sqlite_achievement_by_credential(struct store *base, const char *credential_id,
                                            struct store_achievement *out, struct ok_error *err)
{
	return sqlite_get(sq(base), &ACHIEVEMENT_BY_CREDENTIAL,
	                  SQLITE_ARGS(SQ_ARG_TEXT(credential_id)), out, err);
}

static int sqlite_credential_status(struct store *base, const char *credential_id,
                                    struct store_credential_status *out, struct ok_error *err)
{
	return sqlite_get(sq(base), &CREDENTIAL_STATUS, SQLITE_ARGS(SQ_ARG_TEXT(credential_id)),
	                  out, err);
}

static int sqlite_status_cache_get(struct store *base, const char *purpose, int64_t n,
                                   int64_t *version, char etag[STORE_ETAG_MAX], struct buf *body,
                                   struct ok_error *err)
{
	struct cache_row r = {.body = body};
	int rc = sqlite_get(sq(base), &STATUS_CACHE_GET,
	                    SQLITE_ARGS(SQ_ARG_TEXT(purpose), SQ_ARG_INT(n)), &r, err);

	if (rc)
		return rc;
	*version = r.version;
	memcpy(etag, r.etag, STORE_ETAG_MAX);
	return 0;
}

static int sqlite_status_cache_put(struct store *base, const char *purpose, int64_t n,
                                   int64_t version, const char *etag, const struct buf *body,
                                   struct ok_error *err)
{
	return sqlite_exec(sq(base), &STATUS_CACHE_PUT, NULL,
	                   SQLITE_ARGS(SQ_ARG_TEXT(purpose), SQ_ARG_INT(n), SQ_ARG_INT(version),
	                               SQ_ARG_TEXT(etag), SQ_ARG_BLOB(body->data, body->len),
	                               SQ_ARG_INT(ok_now_ms())),
	                   err);
}

/* Trust list */

static int sqlite_trust_put(struct store *base, const struct store_trusted_issuer *t,
                            struct ok_error *err)
{
	return sqlite_exec(sq(base), &TRUST_PUT, t, SQLITE_NO_ARGS, err);
}

static int sqlite_trust_get(struct store *base, const char *did, struct store_trusted_issuer *out,
                            struct ok_error *err)
{
	return sqlite_get(sq(base), &TRUST_GET, SQLITE_ARGS(SQ_ARG_TEXT(did)), out, err);
}

static int sqlite_trust_remove(struct store *base, const char *did, struct ok_error *err)
{
	struct store_sqlite *s = sq(base);
	int rc = sqlite_exec(s, &TRUST_REMOVE, NULL, SQLITE_ARGS(SQ_ARG_TEXT(did)), err);

	if (!rc && sqlite_changes(s) == 0)
		return OK_ENOTFOUND;
	return rc;
}

static int sqlite_trust_remove_source(struct store *base, const char *source, struct ok_error *err)
{
	return sqlite_exec(sq(base), &TRUST_REMOVE_SOURCE, NULL, SQLITE_ARGS(SQ_ARG_TEXT(source)),
	                   err);
}

static int sqlite_trust_list(struct store *base, store_trust_fn fn, void *ctx, struct ok_error *err)
{
	struct store_sqlite *s = sq(base);
	struct store_trusted_issuer t;
	int rc = sqlite_query(s, &TRUST_LIST, SQLITE_NO_ARGS, err);

	while (!rc && (rc = sqlite_next(s, &TRUST_LIST, &t, err)) > 0)
		rc = fn(ctx, &t);
	return sqlite_end(s, &TRUST_LIST, rc);
}

static const struct store_ops sqlite_ops = {
        .name = "sqlite",
        .close = sqlite_close,
        .begin = sqlite_begin,
        .commit = sqlite_commit,
        .rollback = sqlite_rollback,
        .in_transaction = sqlite_in_transaction,
        .set_writer_lock = sqlite_set_writer_lock,
        .meta_get = sqlite_meta_get,
        .meta_set = sqlite_meta_set,
        .meta_add = sqlite_meta_add,
        .institution_add = sqlite_institution_add,
        .institution_get = sqlite_institution_get,
        .institution_list = sqlite_institution_list,
        .api_key_add = sqlite_api_key_add,
        .api_key_find = sqlite_api_key_find,
        .learner_find = sqlite_learner_find,
        .learner_get = sqlite_learner_get,
        .learner_put = sqlite_learner_put,
        .achievement_find = sqlite_achievement_find,
        .achievement_get = sqlite_achievement_get,
        .achievement_put = sqlite_achievement_put,
        .achievement_list_by_learner = sqlite_achievement_list_by_learner,
        .achievement_count = sqlite_achievement_count,
        .audit_head = sqlite_audit_head,
        .audit_insert = sqlite_audit_insert,
        .audit_list = sqlite_audit_list,
        .status_list_current = sqlite_status_list_current,
        .status_list_get = sqlite_status_list_get,
        .status_list_add = sqlite_status_list_add,
        .status_list_bump = sqlite_status_list_bump,
        .status_list_bits = sqlite_status_list_bits,
        .achievement_by_slot = sqlite_achievement_by_slot,
        .slot_status = sqlite_slot_status,
        .credential_issued_add = sqlite_credential_issued_add,
        .achievement_by_credential = sqlite_achievement_by_credential,
        .credential_status = sqlite_credential_status,
        .credential_status_mem = sqlite_credential_status_mem,
        .slot_status_mem = sqlite_slot_status_mem,
        .status_cache_get = sqlite_status_cache_get,
        .status_cache_put = sqlite_status_cache_put,
        .trust_put = sqlite_trust_put,
        .trust_get = sqlite_trust_get,
        .trust_remove = sqlite_trust_remove,
        .trust_remove_source = sqlite_trust_remove_source,
        .trust_list = sqlite_trust_list,
        .schema_version = sqlite_schema_version,
        .backup_to = sqlite_backup_to,
        .moved = sqlite_moved,
        .read_begin = sqlite_read_begin,
        .read_end = sqlite_read_end,
        .leak = &sqlite_leak_ops,
        .apikeys = &sqlite_apikey_ops,
        .ratelimit = &sqlite_ratelimit_ops,
        .vcstatus = &sqlite_vcstatus_ops,
        .emrex = &sqlite_emrex_ops,
        .vci = &sqlite_vci_ops,
        .verifier = &sqlite_vp_ops,
        .retention = &sqlite_retention_ops,
        .bulk = &sqlite_import_ops,
        .audit = &sqlite_audit_ops,
        .foreign = &sqlite_foreign_ops,
        .identity = &sqlite_identity_ops,
        .keys = &sqlite_keys_ops,
        .portal = &sqlite_portal_ops,
};

/*
 * Called while another connection holds the write lock: waits a little and tries again, for
 * up to about 10 s. SQLite's own busy timeout sleeps a millisecond or more at a time, longer
 * than most of our write transactions take; the server's threads, which share one database,
 * would then wait far longer than the lock is held. Short sleeps first, then longer ones.
 */
static int wait_for_lock(void *ctx, int count)
{
	const struct store_sqlite *s = ctx;

	if (count < 200) {
		usleep(50); /* the first 10 ms */
		return 1;
	}
	if (count < 200 + s->lock_wait_ms / 10) {
		usleep(10000); /* then up to s->lock_wait_ms (10 s) more */
		return 1;
	}
	return 0;
}

void sqlite_wait_for_lock(struct store_sqlite *s, bool wait)
{
	sqlite3_busy_handler(s->db, wait ? wait_for_lock : NULL, s);
}

/* Applies the migrations the database lacks, all in one transaction. */
static int migrate(struct store_sqlite *s, struct ok_error *err)
{
	int have = 0, want = (int)(sizeof(sqlite_migrations) / sizeof(sqlite_migrations[0]));
	sqlite3_stmt *st = NULL;
	char sql[64];
	int rc;

	rc = sqlite3_exec(s->db, "BEGIN IMMEDIATE", NULL, NULL, NULL);
	if (rc != SQLITE_OK)
		return sqlite_fail(s, rc, "open database", err);
	rc = sqlite3_prepare_v2(s->db, "PRAGMA user_version", -1, &st, NULL);
	if (rc == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
		have = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	if (rc != SQLITE_OK) {
		rc = sqlite_fail(s, rc, "read schema version", err);
		goto fail;
	}
	if (have > want) {
		rc = ok_fail(err, OK_EUNSUPPORTED,
		             "the database has schema version %d; this oorkonde knows up to %d",
		             have, want);
		goto fail;
	}
	for (; have < want; have++) {
		rc = sqlite3_exec(s->db, sqlite_migrations[have], NULL, NULL, NULL);
		if (rc != SQLITE_OK) {
			rc = sqlite_fail(s, rc, "apply schema migration", err);
			goto fail;
		}
	}
	/* PRAGMA takes no bound parameters; the value is our own integer. */
	if (snprintf(sql, sizeof(sql), "PRAGMA user_version = %d", want) >= (int)sizeof(sql)) {
		rc = ok_fail(err, OK_EINTERNAL, "schema version");
		goto fail;
	}
	rc = sqlite3_exec(s->db, sql, NULL, NULL, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_exec(s->db, "COMMIT", NULL, NULL, NULL);
	if (rc != SQLITE_OK) {
		rc = sqlite_fail(s, rc, "apply schema migration", err);
		goto fail;
	}
	return 0;
fail:
	sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
	return rc;
}

/* Whether the database ended up in WAL mode (a database in memory, or on a file system without
 * shared memory, keeps another journal): only then does statusmem read the WAL-index header. */
static bool journal_is_wal(struct store_sqlite *s)
{
	sqlite3_stmt *st = NULL;
	bool wal = false;

	if (sqlite3_prepare_v2(s->db, "PRAGMA journal_mode", -1, &st, NULL) == SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW) {
		const unsigned char *mode = sqlite3_column_text(st, 0);

		wal = mode && strcmp((const char *)mode, "wal") == 0;
	}
	sqlite3_finalize(st);
	return wal;
}

int store_sqlite_open(struct store **out, const char *path, bool create, struct ok_error *err)
{
	/* auto_vacuum takes effect only on a database without tables yet (a new one): retention
	 * gives freed pages back in small steps (store_sqlite_retention.c). */
	static const char pragmas[] = "PRAGMA auto_vacuum = INCREMENTAL;"
	                              "PRAGMA journal_mode = WAL;"
	                              "PRAGMA synchronous = NORMAL;"
	                              "PRAGMA foreign_keys = ON;"
	                              /* 16 MiB of pages: a batch's index pages stay in memory. */
	                              "PRAGMA cache_size = -16384;"
	                              "PRAGMA secure_delete = ON;"
	                              /* A database file may come from elsewhere (a restored
	                               * backup): its schema runs no functions with side effects,
	                               * and no SQL can corrupt the file on purpose. */
	                              "PRAGMA trusted_schema = OFF;";
	struct store_sqlite *s;
	int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX | (create ? SQLITE_OPEN_CREATE : 0);
	int rc;

	*out = NULL;
	s = calloc(1, sizeof(*s));
	if (!s)
		return ok_fail(err, OK_ENOMEM, "open database: out of memory");
	s->base.ops = &sqlite_ops;
	s->lock_wait_ms = SQLITE_LOCK_WAIT_MS;
#ifdef OK_TEST_HOOKS
	s->lock_wait_ms = store_test_wait_ms("OORKONDE_TEST_LOCK_WAIT_MS", SQLITE_LOCK_WAIT_MS);
#endif
	rc = sqlite3_open_v2(path, &s->db, flags, NULL);
	if (rc != SQLITE_OK) {
		rc = (rc == SQLITE_CANTOPEN) ? ok_fail(err, OK_EIO, "cannot open database %s", path)
		                             : sqlite_fail(s, rc, "open database", err);
		goto fail;
	}
	sqlite3_extended_result_codes(s->db, 1);
	sqlite_wait_for_lock(s, true);
	rc = sqlite3_db_config(s->db, SQLITE_DBCONFIG_DEFENSIVE, 1, (int *)NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_exec(s->db, pragmas, NULL, NULL, NULL);
	if (rc != SQLITE_OK) {
		rc = sqlite_fail(s, rc, "open database", err);
		goto fail;
	}
	rc = migrate(s, err);
	if (rc)
		goto fail;
	s->wal = journal_is_wal(s);
#ifdef OK_TEST_HOOKS
	/* Benchmarks compare with the reads of every verification (bench/vc). */
	if (getenv("OORKONDE_TEST_STATUSMEM_OFF"))
		s->wal = false;
#endif
	*out = &s->base;
	return 0;
fail:
	sqlite_close(&s->base);
	return rc;
}
