/* The embedded store: SQLite in WAL mode, every statement prepared once at open. */
#include "store/audit.h"
#include "store/foreign.h"
#include "store/identity.h"
#include "store/keys.h"
#include "store/portal.h"
#include "store/apikeys.h"
#include "store/leak.h"
#include "store/schema_sqlite.h"
#include "store/sqlite_internal.h"
#include "core/clock.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define LEARNER_COLS                                                                         \
	"id, nid_index, digest, national_id, given_names, family_name, birth_date, key_id, " \
	"created_ms, updated_ms"
#define ACHIEVEMENT_COLS                                                                     \
	"id, learner_id, institution, record_id, kind, title, programme_code, eqf_level, "   \
	"credits_centi, grade, grading_scheme, awarded_on, language, status, status_index, " \
	"digest, version, created_ms, updated_ms, status_list"

enum stmt_id {
	ST_META_GET,
	ST_META_SET,
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
	ST_STATUS_CACHE_GET,
	ST_STATUS_CACHE_PUT,
	ST_TRUST_PUT,
	ST_TRUST_GET,
	ST_TRUST_REMOVE,
	ST_TRUST_REMOVE_SOURCE,
	ST_TRUST_LIST,
	ST_BEGIN,
	ST_COMMIT,
	ST_ROLLBACK,
	ST_COUNT
};

_Static_assert(ST_COUNT <= SQLITE_CORE_STMTS, "raise SQLITE_CORE_STMTS");

static const char *const stmt_sql[ST_COUNT] = {
        [ST_META_GET] = "SELECT value FROM meta WHERE key = ?",
        [ST_META_SET] = "INSERT INTO meta (key, value) VALUES (?, ?) "
                        "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        [ST_INST_ADD] = "INSERT INTO institution (code, name, country, erasmus, schac, created_ms) "
                        "VALUES (?, ?, ?, ?, ?, ?)",
        [ST_INST_GET] =
                "SELECT code, name, country, erasmus, schac FROM institution WHERE code = ?",
        [ST_INST_LIST] =
                "SELECT code, name, country, erasmus, schac FROM institution ORDER BY code",
        [ST_KEY_ADD] = "INSERT INTO api_key (id, institution, key_hash, permissions, created_ms) "
                       "VALUES (?, ?, ?, ?, ?)",
        [ST_KEY_FIND] = "SELECT id, institution, key_hash, permissions, created_ms, revoked_ms, "
                        "last_used_ms FROM api_key WHERE key_hash = ?",
        [ST_LEARNER_FIND] = "SELECT " LEARNER_COLS " FROM learner WHERE nid_index = ?",
        [ST_LEARNER_GET] = "SELECT " LEARNER_COLS " FROM learner WHERE id = ?",
        [ST_LEARNER_INSERT] = "INSERT INTO learner (" LEARNER_COLS ") "
                              "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [ST_LEARNER_UPDATE] = "UPDATE learner SET nid_index = ?2, digest = ?3, national_id = ?4, "
                              "given_names = ?5, family_name = ?6, birth_date = ?7, key_id = ?8, "
                              "updated_ms = ?10 WHERE id = ?1",
        [ST_ACH_FIND] = "SELECT " ACHIEVEMENT_COLS
                        " FROM achievement WHERE institution = ? AND record_id = ?",
        [ST_ACH_GET] = "SELECT " ACHIEVEMENT_COLS " FROM achievement WHERE id = ?",
        [ST_ACH_INSERT] = "INSERT INTO achievement (" ACHIEVEMENT_COLS ") "
                          "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
                          "ON CONFLICT DO NOTHING",
        [ST_ACH_UPDATE] = "UPDATE achievement SET learner_id = ?2, kind = ?5, title = ?6, "
                          "programme_code = ?7, eqf_level = ?8, credits_centi = ?9, grade = ?10, "
                          "grading_scheme = ?11, awarded_on = ?12, language = ?13, status = ?14, "
                          "status_index = ?15, digest = ?16, version = ?17, updated_ms = ?19, "
                          "status_list = ?20 "
                          "WHERE id = ?1",
        [ST_ACH_HISTORY] =
                "INSERT INTO achievement_history SELECT id, version, learner_id, kind, "
                "title, programme_code, eqf_level, credits_centi, grade, grading_scheme, "
                "awarded_on, language, status, ?2, ?3, ?4 FROM achievement WHERE id = ?1",
        [ST_ACH_BY_LEARNER] = "SELECT " ACHIEVEMENT_COLS " FROM achievement WHERE learner_id = ? "
                              "ORDER BY institution, awarded_on, id",
        [ST_ACH_COUNT] = "SELECT count(*) FROM achievement",
        [ST_AUDIT_HEAD] = "SELECT seq, hash FROM audit_event ORDER BY seq DESC LIMIT 1",
        [ST_AUDIT_INSERT] = "INSERT INTO audit_event (seq, at_ms, actor, action, subject, purpose, "
                            "detail, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [ST_AUDIT_LIST] = "SELECT seq, at_ms, actor, action, subject, purpose, detail, prev_hash, "
                          "hash FROM audit_event WHERE seq > ? ORDER BY seq",
        [ST_STATUS_CURRENT] =
                "SELECT n, size, used, revocation_version, suspension_version FROM status_list "
                "ORDER BY n DESC LIMIT 1",
        [ST_STATUS_ADD] = "INSERT INTO status_list (n, size, used, revocation_version, "
                          "suspension_version) VALUES (?, ?, 0, 1, 1)",
        [ST_STATUS_BUMP] = "UPDATE status_list SET used = used + ?2, "
                           "revocation_version = revocation_version + ?3, "
                           "suspension_version = suspension_version + ?4 "
                           "WHERE n = ?1",
        [ST_STATUS_GET] = "SELECT n, size, used, revocation_version, suspension_version FROM "
                          "status_list WHERE n = ?",
        [ST_STATUS_BITS] =
                "SELECT status_index FROM achievement WHERE status_list = ? AND status = ? "
                "AND status <> 'active'",
        [ST_STATUS_SLOT] = "SELECT " ACHIEVEMENT_COLS " FROM achievement WHERE status_list = ? AND "
                           "status_index = ? AND status_index >= 0",
        [ST_STATUS_CACHE_GET] = "SELECT version, etag, body FROM status_list_credential "
                                "WHERE purpose = ? AND n = ?",
        [ST_STATUS_CACHE_PUT] =
                "INSERT INTO status_list_credential (purpose, n, version, etag, body, signed_ms) "
                "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (purpose, n) DO UPDATE SET "
                "version = excluded.version, etag = excluded.etag, body = excluded.body, "
                "signed_ms = excluded.signed_ms",
        [ST_TRUST_PUT] =
                "INSERT INTO trusted_issuer (did, name, country, source, status, since_ms) "
                "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (did) DO UPDATE SET "
                "name = excluded.name, country = excluded.country, "
                "source = excluded.source, status = excluded.status",
        [ST_TRUST_GET] = "SELECT did, name, country, source, status, since_ms FROM trusted_issuer "
                         "WHERE did = ?",
        [ST_TRUST_REMOVE] = "DELETE FROM trusted_issuer WHERE did = ?",
        [ST_TRUST_REMOVE_SOURCE] = "DELETE FROM trusted_issuer WHERE source = ?",
        [ST_TRUST_LIST] = "SELECT did, name, country, source, status, since_ms FROM trusted_issuer "
                          "ORDER BY did",
        [ST_BEGIN] = "BEGIN IMMEDIATE",
        [ST_COMMIT] = "COMMIT",
        [ST_ROLLBACK] = "ROLLBACK",
};

/* Maps an SQLite result to an OK_E… code with a message naming what was being done. */
int sqlite_fail(struct store_sqlite *s, int rc, const char *what, struct ok_error *err)
{
	int code;

	switch (rc & 0xff) {
	case SQLITE_FULL:
		return ok_fail(err, OK_EDISKFULL, "%s: disk full", what);
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		return ok_fail(err, OK_EBUSY, "%s: the database is busy", what);
	case SQLITE_READONLY:
		return ok_fail(err, OK_EIO, "%s: the database is read-only", what);
	case SQLITE_CONSTRAINT:
		code = (rc == SQLITE_CONSTRAINT_UNIQUE || rc == SQLITE_CONSTRAINT_PRIMARYKEY)
		               ? OK_EEXIST
		               : OK_ESTORE;
		return ok_fail(err, code, "%s: %s", what, sqlite3_errmsg(s->db));
	case SQLITE_NOTADB:
	case SQLITE_CORRUPT:
		return ok_fail(err, OK_ESTORE, "%s: the database file is damaged or not a database",
		               what);
	default:
		return ok_fail(err, OK_ESTORE, "%s: %s", what, sqlite3_errmsg(s->db));
	}
}

sqlite3_stmt *sqlite_prepared(struct store_sqlite *s, const char *sql, struct ok_error *err)
{
	sqlite3_stmt *st;
	size_t i;
	int rc;

	for (i = 0; i < s->narea; i++) {
		if (s->area[i].sql == sql) {
			st = s->area[i].st;
			sqlite3_reset(st);
			sqlite3_clear_bindings(st);
			return st;
		}
	}
	if (s->narea == SQLITE_AREA_STMTS) {
		ok_fail(err, OK_EINTERNAL, "too many prepared statements");
		return NULL;
	}
	rc = sqlite3_prepare_v3(s->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &st, NULL);
	if (rc != SQLITE_OK) {
		sqlite_fail(s, rc, "prepare statement", err);
		return NULL;
	}
	s->area[s->narea].sql = sql;
	s->area[s->narea].st = st;
	s->narea++;
	return st;
}

/* Resets and clears a cached statement for its next use. */
static sqlite3_stmt *use(struct store_sqlite *s, enum stmt_id id)
{
	sqlite3_stmt *st = s->stmt[id];

	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return st;
}

int sqlite_bind_text(sqlite3_stmt *st, int i, const char *v)
{
	return sqlite3_bind_text(st, i, v, -1, SQLITE_STATIC);
}

int sqlite_bind_blob(sqlite3_stmt *st, int i, const void *v, size_t n)
{
	return sqlite3_bind_blob(st, i, n ? v : "", (int)n, SQLITE_STATIC);
}

void sqlite_col_text(sqlite3_stmt *st, int i, char *dst, size_t cap)
{
	const unsigned char *v = sqlite3_column_text(st, i);
	size_t n = v ? (size_t)sqlite3_column_bytes(st, i) : 0;

	if (n >= cap)
		n = cap - 1;
	if (n)
		memcpy(dst, v, n);
	dst[n] = '\0';
}

void sqlite_col_fixed(sqlite3_stmt *st, int i, unsigned char *dst, size_t n)
{
	const void *v = sqlite3_column_blob(st, i);
	size_t have = (size_t)sqlite3_column_bytes(st, i);

	memset(dst, 0, n);
	if (v)
		memcpy(dst, v, have < n ? have : n);
}

int sqlite_col_buf(sqlite3_stmt *st, int i, struct buf *out)
{
	const void *v = sqlite3_column_blob(st, i);

	buf_reset(out);
	return buf_add(out, v, (size_t)sqlite3_column_bytes(st, i));
}

/* Runs a statement that returns no rows. */
int sqlite_exec_step(struct store_sqlite *s, sqlite3_stmt *st, const char *what,
                     struct ok_error *err)
{
	int rc = sqlite3_step(st);

	sqlite3_reset(st);
	if (rc != SQLITE_DONE)
		return sqlite_fail(s, rc, what, err);
	return 0;
}

/* Steps a statement that returns at most one row: 0 with the row, OK_ENOTFOUND, or an error. */
int sqlite_step_one(struct store_sqlite *s, sqlite3_stmt *st, const char *what,
                    struct ok_error *err)
{
	int rc = sqlite3_step(st);

	if (rc == SQLITE_ROW)
		return 0;
	sqlite3_reset(st);
	if (rc == SQLITE_DONE)
		return OK_ENOTFOUND;
	return sqlite_fail(s, rc, what, err);
}

/* Life cycle */

static int sqlite_rollback(struct store *base);

static void sqlite_close(struct store *base)
{
	struct store_sqlite *s = sq(base);
	int i;

	if (s->db)
		sqlite_rollback(base); /* an open transaction lets go of the writer lock too */
	for (i = 0; i < ST_COUNT; i++)
		sqlite3_finalize(s->stmt[i]);
	for (size_t j = 0; j < s->narea; j++)
		sqlite3_finalize(s->area[j].st);
	if (s->db) {
		/* A clean close checkpoints the WAL into the database file. */
		sqlite3_close(s->db);
	}
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

static int sqlite_begin(struct store *base, struct ok_error *err)
{
	struct store_sqlite *s = sq(base);
	int rc;

	if (s->writer && !s->writer_held) {
		pthread_mutex_lock(s->writer);
		s->writer_held = true;
	}
	rc = sqlite_exec_step(s, use(s, ST_BEGIN), "begin transaction", err);
	if (rc)
		writer_release(s);
	return rc;
}

static int sqlite_commit(struct store *base, struct ok_error *err)
{
	struct store_sqlite *s = sq(base);
	int rc = sqlite_exec_step(s, use(s, ST_COMMIT), "commit", err);

	/* A commit that failed leaves the transaction open for the caller to roll back. */
	if (sqlite3_get_autocommit(s->db))
		writer_release(s);
	return rc;
}

static int sqlite_rollback(struct store *base)
{
	struct store_sqlite *s = sq(base);
	int rc = 0;

	if (!sqlite3_get_autocommit(s->db))
		rc = sqlite_exec_step(s, use(s, ST_ROLLBACK), "rollback", NULL);
	writer_release(s);
	return rc;
}

static void sqlite_set_writer_lock(struct store *base, pthread_mutex_t *lock)
{
	struct store_sqlite *s = sq(base);

	writer_release(s);
	s->writer = lock;
}

static bool sqlite_in_transaction(struct store *base)
{
	return !sqlite3_get_autocommit(sq(base)->db);
}

/* Metadata */

static int sqlite_meta_get(struct store *base, const char *key, struct buf *out,
                           struct ok_error *err)
{
	struct store_sqlite *s = sq(base);
	sqlite3_stmt *st = use(s, ST_META_GET);
	int rc;

	sqlite_bind_text(st, 1, key);
	rc = sqlite_step_one(s, st, "read metadata", err);
	if (rc)
		return rc;
	buf_reset(out);
	rc = buf_add(out, sqlite3_column_text(st, 0), (size_t)sqlite3_column_bytes(st, 0));
	sqlite3_reset(st);
	return rc ? ok_fail(err, rc, "read metadata: %s", ok_strerror(rc)) : 0;
}

static int sqlite_meta_set(struct store *base, const char *key, const char *value,
                           struct ok_error *err)
{
	struct store_sqlite *s = sq(base);
	sqlite3_stmt *st = use(s, ST_META_SET);

	sqlite_bind_text(st, 1, key);
	sqlite_bind_text(st, 2, value);
	return sqlite_exec_step(s, st, "write metadata", err);
}

/* Institutions and keys */

static void read_institution(sqlite3_stmt *st, struct store_institution *i)
{
	sqlite_col_text(st, 0, i->code, sizeof(i->code));
	sqlite_col_text(st, 1, i->name, sizeof(i->name));
	sqlite_col_text(st, 2, i->country, sizeof(i->country));
	sqlite_col_text(st, 3, i->erasmus, sizeof(i->erasmus));
	sqlite_col_text(st, 4, i->schac, sizeof(i->schac));
}

static int sqlite_institution_add(struct store *base, const struct store_institution *i,
                                  struct ok_error *err)
{
	struct store_sqlite *s = sq(base);
	sqlite3_stmt *st = use(s, ST_INST_ADD);

	sqlite_bind_text(st, 1, i->code);
	sqlite_bind_text(st, 2, i->name);
	sqlite_bind_text(st, 3, i->country);
	sqlite_bind_text(st, 4, i->erasmus);
	sqlite_bind_text(st, 5, i->schac);
	sqlite3_bind_int64(st, 6, ok_now_ms());
	return sqlite_exec_step(s, st, "add institution", err);
}

static int sqlite_institution_get(struct store *base, const char *code,
                                  struct store_institution *out, struct ok_error *err)
{
	struct store_sqlite *s = sq(base);
	sqlite3_stmt *st = use(s, ST_INST_GET);
	int rc;

	sqlite_bind_text(st, 1, code);
	rc = sqlite_step_one(s, st, "read institution", err);
	if (rc)
		return rc;
	read_institution(st, out);
	sqlite3_reset(st);
	return 0;
}

static int sqlite_institution_list(struct store *base, store_institution_fn fn, void *ctx,
                                   struct ok_error *err)
{
	struct store_sqlite *s = sq(base);
	sqlite3_stmt *st = use(s, ST_INST_LIST);
	struct store_institution i;
	int rc;

	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		read_institution(st, &i);
		rc = fn(ctx, &i);
		if (rc) {
			sqlite3_reset(st);
			return rc;
		}
	}
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? 0 : sqlite_fail(s, rc, "list institutions", err);
}

static int sqlite_api_key_add(struct store *base, const struct store_api_key *k,
                              struct ok_error *err)
{
	struct store_sqlite *s = sq(base);
	sqlite3_stmt *st = use(s, ST_KEY_ADD);

	sqlite_bind_text(st, 1, k->id);
	sqlite_bind_text(st, 2, k->institution);
	sqlite_bind_blob(st, 3, k->key_hash, sizeof(k->key_hash));
	sqlite_bind_text(st, 4, k->permissions);
	sqlite3_bind_int64(st, 5, k->created_ms);
	return sqlite_exec_step(s, st, "add API key", err);
}

static int sqlite_api_key_find(struct store *base, const unsigned char hash[STORE_HASH_BYTES],
                               struct store_api_key *out, struct ok_error *err)
{
	struct store_sqlite *s = sq(base);
	sqlite3_stmt *st = use(s, ST_KEY_FIND);
	int rc;

	sqlite_bind_blob(st, 1, hash, STORE_HASH_BYTES);
	rc = sqlite_step_one(s, st, "find API key", err);
	if (rc)
		return rc;
	sqlite_col_text(st, 0, out->id, sizeof(out->id));
	sqlite_col_text(st, 1, out->institution, sizeof(out->institution));
	sqlite_col_fixed(st, 2, out->key_hash, sizeof(out->key_hash));
	sqlite_col_text(st, 3, out->permissions, sizeof(out->permissions));
	out->created_ms = sqlite3_column_int64(st, 4);
	out->revoked_ms = sqlite3_column_int64(st, 5);
	out->last_used_ms = sqlite3_column_int64(st, 6);
	sqlite3_reset(st);
	return 0;
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

static int read_learner(sqlite3_stmt *st, struct store_learner *l)
{
	sqlite_col_text(st, 0, l->id, sizeof(l->id));
	sqlite_col_fixed(st, 1, l->nid_index, sizeof(l->nid_index));
	sqlite_col_fixed(st, 2, l->digest, sizeof(l->digest));
	if (sqlite_col_buf(st, 3, &l->national_id) || sqlite_col_buf(st, 4, &l->given_names) ||
	    sqlite_col_buf(st, 5, &l->family_name) || sqlite_col_buf(st, 6, &l->birth_date))
		return OK_ENOMEM;
	l->key_id = (uint32_t)sqlite3_column_int64(st, 7);
	l->created_ms = sqlite3_column_int64(st, 8);
	l->updated_ms = sqlite3_column_int64(st, 9);
	return 0;
}

static int learner_query(struct store_sqlite *s, sqlite3_stmt *st, struct store_learner *out,
                         struct ok_error *err)
{
	int rc = sqlite_step_one(s, st, "read learner", err);

	if (rc)
		return rc;
	rc = read_learner(st, out);
	sqlite3_reset(st);
	return rc ? ok_fail(err, rc, "read learner: %s", ok_strerror(rc)) : 0;
}

static int sqlite_learner_find(struct store *base, const unsigned char idx[STORE_HASH_BYTES],
                               struct store_learner *out, struct ok_error *err)
{
	struct store_sqlite *s = sq(base);
	sqlite3_stmt *st = use(s, ST_LEARNER_FIND);

	sqlite_bind_blob(st, 1, idx, STORE_HASH_BYTES);
	return learner_query(s, st, out, err);
}

static int sqlite_learner_get(struct store *base, const char *id, struct store_learner *out,
                              struct ok_error *err)
{
	struct store_sqlite *s = sq(base);
	sqlite3_stmt *st = use(s, ST_LEARNER_GET);

	sqlite_bind_text(st, 1, id);
	return learner_query(s, st, out, err);
}

static int sqlite_learner_put(struct store *base, const struct store_learner *l, bool update,
                              struct ok_error *err)
{
	struct store_sqlite *s = sq(base);
	sqlite3_stmt *st = use(s, update ? ST_LEARNER_UPDATE : ST_LEARNER_INSERT);

	sqlite_bind_text(st, 1, l->id);
	sqlite_bind_blob(st, 2, l->nid_index, sizeof(l->nid_index));
	sqlite_bind_blob(st, 3, l->digest, sizeof(l->digest));
	sqlite_bind_blob(st, 4, l->national_id.data, l->national_id.len);
	sqlite_bind_blob(st, 5, l->given_names.data, l->given_names.len);
	sqlite_bind_blob(st, 6, l->family_name.data, l->family_name.len);
	sqlite_bind_blob(st, 7, l->birth_date.data, l->birth_date.len);
	sqlite3_bind_int64(st, 8, l->key_id);
	sqlite3_bind_int64(st, 9, l->created_ms);
	sqlite3_bind_int64(st, 10, l->updated_ms);
	return sqlite_exec_step(s, st, update ? "update learner" : "add learner", err);
}

/* Achievements */

static void read_achievement(sqlite3_stmt *st, struct store_achievement *a)
{
	sqlite_col_text(st, 0, a->id, sizeof(a->id));
	sqlite_col_text(st, 1, a->learner_id, sizeof(a->learner_id));
	sqlite_col_text(st, 2, a->institution, sizeof(a->institution));
	sqlite_col_text(st, 3, a->record_id, sizeof(a->record_id));
	sqlite_col_text(st, 4, a->kind, sizeof(a->kind));
	sqlite_col_text(st, 5, a->title, sizeof(a->title));
	sqlite_col_text(st, 6, a->programme_code, sizeof(a->programme_code));
	a->eqf_level = sqlite3_column_int(st, 7);
	a->credits_centi = (long)sqlite3_column_int64(st, 8);
	sqlite_col_text(st, 9, a->grade, sizeof(a->grade));
	sqlite_col_text(st, 10, a->grading_scheme, sizeof(a->grading_scheme));
	sqlite_col_text(st, 11, a->awarded_on, sizeof(a->awarded_on));
	sqlite_col_text(st, 12, a->language, sizeof(a->language));
	sqlite_col_text(st, 13, a->status, sizeof(a->status));
	a->status_index = sqlite3_column_int64(st, 14);
	sqlite_col_fixed(st, 15, a->digest, sizeof(a->digest));
	a->version = sqlite3_column_int(st, 16);
	a->created_ms = sqlite3_column_int64(st, 17);
	a->updated_ms = sqlite3_column_int64(st, 18);
	a->status_list = sqlite3_column_int64(st, 19);
}

static int achievement_query(struct store_sqlite *s, sqlite3_stmt *st,
                             struct store_achievement *out, struct ok_error *err)
{
	int rc = sqlite_step_one(s, st, "read achievement", err);

	if (rc)
		return rc;
	read_achievement(st, out);
	sqlite3_reset(st);
	return 0;
}

static int sqlite_achievement_find(struct store *base, const char *institution,
                                   const char *record_id, struct store_achievement *out,
                                   struct ok_error *err)
{
	struct store_sqlite *s = sq(base);
	sqlite3_stmt *st = use(s, ST_ACH_FIND);

	sqlite_bind_text(st, 1, institution);
	sqlite_bind_text(st, 2, record_id);
	return achievement_query(s, st, out, err);
}

static int sqlite_achievement_get(struct store *base, const char *id, struct store_achievement *out,
                                  struct ok_error *err)
{
	struct store_sqlite *s = sq(base);
	sqlite3_stmt *st = use(s, ST_ACH_GET);

	sqlite_bind_text(st, 1, id);
	return achievement_query(s, st, out, err);
}

static int sqlite_achievement_put(struct store *base, const struct store_achievement *a,
                                  bool update, const char *actor, const char *reason,
                                  struct ok_error *err)
{
	struct store_sqlite *s = sq(base);
	sqlite3_stmt *st;
	int rc;

	if (update) {
		st = use(s, ST_ACH_HISTORY);
		sqlite_bind_text(st, 1, a->id);
		sqlite3_bind_int64(st, 2, a->updated_ms);
		sqlite_bind_text(st, 3, actor);
		sqlite_bind_text(st, 4, reason);
		rc = sqlite_exec_step(s, st, "keep achievement history", err);
		if (rc)
			return rc;
	}
	st = use(s, update ? ST_ACH_UPDATE : ST_ACH_INSERT);
	sqlite_bind_text(st, 1, a->id);
	sqlite_bind_text(st, 2, a->learner_id);
	sqlite_bind_text(st, 3, a->institution);
	sqlite_bind_text(st, 4, a->record_id);
	sqlite_bind_text(st, 5, a->kind);
	sqlite_bind_text(st, 6, a->title);
	sqlite_bind_text(st, 7, a->programme_code);
	sqlite3_bind_int(st, 8, a->eqf_level);
	sqlite3_bind_int64(st, 9, a->credits_centi);
	sqlite_bind_text(st, 10, a->grade);
	sqlite_bind_text(st, 11, a->grading_scheme);
	sqlite_bind_text(st, 12, a->awarded_on);
	sqlite_bind_text(st, 13, a->language);
	sqlite_bind_text(st, 14, a->status);
	sqlite3_bind_int64(st, 15, a->status_index);
	sqlite_bind_blob(st, 16, a->digest, sizeof(a->digest));
	sqlite3_bind_int(st, 17, a->version);
	sqlite3_bind_int64(st, 18, a->created_ms);
	sqlite3_bind_int64(st, 19, a->updated_ms);
	sqlite3_bind_int64(st, 20, a->status_list);
	rc = sqlite_exec_step(s, st, update ? "update achievement" : "add achievement", err);
	/* A new row that collides with a unique key (record id, status slot) is not written. */
	if (!rc && !update && sqlite3_changes(s->db) == 0)
		return ok_fail(err, OK_EEXIST,
		               "add achievement: its record id or status slot is taken");
	return rc;
}

static int sqlite_achievement_list_by_learner(struct store *base, const char *learner_id,
                                              store_achievement_fn fn, void *ctx,
                                              struct ok_error *err)
{
	struct store_sqlite *s = sq(base);
	sqlite3_stmt *st = use(s, ST_ACH_BY_LEARNER);
	struct store_achievement a;
	int rc;

	sqlite_bind_text(st, 1, learner_id);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		read_achievement(st, &a);
		rc = fn(ctx, &a);
		if (rc) {
			sqlite3_reset(st);
			return rc;
		}
	}
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? 0 : sqlite_fail(s, rc, "list achievements", err);
}

static int sqlite_achievement_count(struct store *base, int64_t *out, struct ok_error *err)
{
	struct store_sqlite *s = sq(base);
	sqlite3_stmt *st = use(s, ST_ACH_COUNT);
	int rc = sqlite_step_one(s, st, "count achievements", err);

	if (rc)
		return rc;
	*out = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	return 0;
}

/* Audit */

static int sqlite_audit_head(struct store *base, int64_t *seq, unsigned char hash[AUDIT_HASH_BYTES],
                             struct ok_error *err)
{
	struct store_sqlite *s = sq(base);
	sqlite3_stmt *st = use(s, ST_AUDIT_HEAD);
	int rc = sqlite_step_one(s, st, "read audit head", err);

	if (rc == OK_ENOTFOUND) {
		*seq = 0;
		memset(hash, 0, AUDIT_HASH_BYTES);
		return 0;
	}
	if (rc)
		return rc;
	*seq = sqlite3_column_int64(st, 0);
	sqlite_col_fixed(st, 1, hash, AUDIT_HASH_BYTES);
	sqlite3_reset(st);
	return 0;
}

static int sqlite_audit_insert(struct store *base, const struct audit_event *e,
                               struct ok_error *err)
{
	struct store_sqlite *s = sq(base);
	sqlite3_stmt *st = use(s, ST_AUDIT_INSERT);

	sqlite3_bind_int64(st, 1, e->seq);
	sqlite3_bind_int64(st, 2, e->at_ms);
	sqlite_bind_text(st, 3, e->actor);
	sqlite_bind_text(st, 4, e->action);
	sqlite_bind_text(st, 5, e->subject);
	sqlite_bind_text(st, 6, e->purpose);
	sqlite_bind_text(st, 7, e->detail);
	sqlite_bind_blob(st, 8, e->prev_hash, AUDIT_HASH_BYTES);
	sqlite_bind_blob(st, 9, e->hash, AUDIT_HASH_BYTES);
	return sqlite_exec_step(s, st, "append audit event", err);
}

int sqlite_audit_rows(struct store_sqlite *s, sqlite3_stmt *st, store_audit_fn fn, void *ctx,
                      struct ok_error *err)
{
	struct audit_event e;
	int rc;

	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		memset(&e, 0, sizeof(e));
		e.seq = sqlite3_column_int64(st, 0);
		e.at_ms = sqlite3_column_int64(st, 1);
		sqlite_col_text(st, 2, e.actor, sizeof(e.actor));
		sqlite_col_text(st, 3, e.action, sizeof(e.action));
		sqlite_col_text(st, 4, e.subject, sizeof(e.subject));
		sqlite_col_text(st, 5, e.purpose, sizeof(e.purpose));
		sqlite_col_text(st, 6, e.detail, sizeof(e.detail));
		sqlite_col_fixed(st, 7, e.prev_hash, AUDIT_HASH_BYTES);
		sqlite_col_fixed(st, 8, e.hash, AUDIT_HASH_BYTES);
		rc = fn(ctx, &e);
		if (rc) {
			sqlite3_reset(st);
			return rc;
		}
	}
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? 0 : sqlite_fail(s, rc, "list audit events", err);
}

int sqlite_ids_not_under(struct store *base, const char *sql, const char *what, uint32_t key_id,
                         const char *after_id, size_t limit, int (*fn)(void *ctx, const char *id),
                         void *ctx, struct ok_error *err)
{
	struct store_sqlite *s = sq(base);
	sqlite3_stmt *st = sqlite_prepared(s, sql, err);
	char id[STORE_ID_MAX + 1];
	int rc;

	if (!st)
		return err ? err->code : OK_ESTORE;
	sqlite_bind_text(st, 1, after_id);
	sqlite3_bind_int64(st, 2, key_id);
	sqlite3_bind_int64(st, 3, (sqlite3_int64)limit);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		sqlite_col_text(st, 0, id, sizeof(id));
		if ((rc = fn(ctx, id))) {
			sqlite3_reset(st);
			return rc;
		}
	}
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? 0 : sqlite_fail(s, rc, what, err);
}

static int sqlite_audit_list(struct store *base, int64_t after_seq, store_audit_fn fn, void *ctx,
                             struct ok_error *err)
{
	struct store_sqlite *s = sq(base);
	sqlite3_stmt *st = use(s, ST_AUDIT_LIST);

	sqlite3_bind_int64(st, 1, after_seq);
	return sqlite_audit_rows(s, st, fn, ctx, err);
}

/* Status lists */

static void read_status_list(sqlite3_stmt *st, struct store_status_list *l)
{
	l->n = sqlite3_column_int64(st, 0);
	l->size = sqlite3_column_int64(st, 1);
	l->used = sqlite3_column_int64(st, 2);
	l->revocation_version = sqlite3_column_int64(st, 3);
	l->suspension_version = sqlite3_column_int64(st, 4);
}

static int sqlite_status_list_current(struct store *base, struct store_status_list *out,
                                      struct ok_error *err)
{
	struct store_sqlite *s = sq(base);
	sqlite3_stmt *st = use(s, ST_STATUS_CURRENT);
	int rc = sqlite_step_one(s, st, "read status lists", err);

	if (rc)
		return rc;
	read_status_list(st, out);
	sqlite3_reset(st);
	return 0;
}

static int sqlite_status_list_get(struct store *base, int64_t n, struct store_status_list *out,
                                  struct ok_error *err)
{
	struct store_sqlite *s = sq(base);
	sqlite3_stmt *st = use(s, ST_STATUS_GET);
	int rc;

	sqlite3_bind_int64(st, 1, n);
	rc = sqlite_step_one(s, st, "read status list", err);
	if (rc)
		return rc;
	read_status_list(st, out);
	sqlite3_reset(st);
	return 0;
}

static int sqlite_status_list_add(struct store *base, int64_t n, int64_t size, struct ok_error *err)
{
	struct store_sqlite *s = sq(base);
	sqlite3_stmt *st = use(s, ST_STATUS_ADD);

	sqlite3_bind_int64(st, 1, n);
	sqlite3_bind_int64(st, 2, size);
	return sqlite_exec_step(s, st, "add status list", err);
}

static int sqlite_status_list_bump(struct store *base, int64_t n, int64_t used_delta,
                                   int64_t revocation_delta, int64_t suspension_delta,
                                   struct ok_error *err)
{
	struct store_sqlite *s = sq(base);
	sqlite3_stmt *st = use(s, ST_STATUS_BUMP);

	sqlite3_bind_int64(st, 1, n);
	sqlite3_bind_int64(st, 2, used_delta);
	sqlite3_bind_int64(st, 3, revocation_delta);
	sqlite3_bind_int64(st, 4, suspension_delta);
	return sqlite_exec_step(s, st, "update status list", err);
}

static int sqlite_status_list_bits(struct store *base, int64_t n, const char *status,
                                   store_index_fn fn, void *ctx, struct ok_error *err)
{
	struct store_sqlite *s = sq(base);
	sqlite3_stmt *st = use(s, ST_STATUS_BITS);
	int rc;

	sqlite3_bind_int64(st, 1, n);
	sqlite_bind_text(st, 2, status);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		rc = fn(ctx, sqlite3_column_int64(st, 0));
		if (rc) {
			sqlite3_reset(st);
			return rc;
		}
	}
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? 0 : sqlite_fail(s, rc, "read status list", err);
}

static int sqlite_achievement_by_slot(struct store *base, int64_t list, int64_t index,
                                      struct store_achievement *out, struct ok_error *err)
{
	struct store_sqlite *s = sq(base);
	sqlite3_stmt *st = use(s, ST_STATUS_SLOT);

	sqlite3_bind_int64(st, 1, list);
	sqlite3_bind_int64(st, 2, index);
	return achievement_query(s, st, out, err);
}

static int sqlite_status_cache_get(struct store *base, const char *purpose, int64_t n,
                                   int64_t *version, char etag[STORE_ETAG_MAX], struct buf *body,
                                   struct ok_error *err)
{
	struct store_sqlite *s = sq(base);
	sqlite3_stmt *st = use(s, ST_STATUS_CACHE_GET);
	int rc;

	sqlite_bind_text(st, 1, purpose);
	sqlite3_bind_int64(st, 2, n);
	rc = sqlite_step_one(s, st, "read signed status list", err);
	if (rc)
		return rc;
	*version = sqlite3_column_int64(st, 0);
	sqlite_col_text(st, 1, etag, STORE_ETAG_MAX);
	rc = sqlite_col_buf(st, 2, body);
	sqlite3_reset(st);
	return rc ? ok_fail(err, rc, "read signed status list: %s", ok_strerror(rc)) : 0;
}

static int sqlite_status_cache_put(struct store *base, const char *purpose, int64_t n,
                                   int64_t version, const char *etag, const struct buf *body,
                                   struct ok_error *err)
{
	struct store_sqlite *s = sq(base);
	sqlite3_stmt *st = use(s, ST_STATUS_CACHE_PUT);

	sqlite_bind_text(st, 1, purpose);
	sqlite3_bind_int64(st, 2, n);
	sqlite3_bind_int64(st, 3, version);
	sqlite_bind_text(st, 4, etag);
	sqlite_bind_blob(st, 5, body->data, body->len);
	sqlite3_bind_int64(st, 6, ok_now_ms());
	return sqlite_exec_step(s, st, "store signed status list", err);
}

/* Trust list */

static void read_trusted(sqlite3_stmt *st, struct store_trusted_issuer *t)
{
	sqlite_col_text(st, 0, t->did, sizeof(t->did));
	sqlite_col_text(st, 1, t->name, sizeof(t->name));
	sqlite_col_text(st, 2, t->country, sizeof(t->country));
	sqlite_col_text(st, 3, t->source, sizeof(t->source));
	sqlite_col_text(st, 4, t->status, sizeof(t->status));
	t->since_ms = sqlite3_column_int64(st, 5);
}

static int sqlite_trust_put(struct store *base, const struct store_trusted_issuer *t,
                            struct ok_error *err)
{
	struct store_sqlite *s = sq(base);
	sqlite3_stmt *st = use(s, ST_TRUST_PUT);

	sqlite_bind_text(st, 1, t->did);
	sqlite_bind_text(st, 2, t->name);
	sqlite_bind_text(st, 3, t->country);
	sqlite_bind_text(st, 4, t->source);
	sqlite_bind_text(st, 5, t->status);
	sqlite3_bind_int64(st, 6, t->since_ms);
	return sqlite_exec_step(s, st, "add trusted issuer", err);
}

static int sqlite_trust_get(struct store *base, const char *did, struct store_trusted_issuer *out,
                            struct ok_error *err)
{
	struct store_sqlite *s = sq(base);
	sqlite3_stmt *st = use(s, ST_TRUST_GET);
	int rc;

	sqlite_bind_text(st, 1, did);
	rc = sqlite_step_one(s, st, "read trust list", err);
	if (rc)
		return rc;
	read_trusted(st, out);
	sqlite3_reset(st);
	return 0;
}

static int sqlite_trust_remove(struct store *base, const char *did, struct ok_error *err)
{
	struct store_sqlite *s = sq(base);
	sqlite3_stmt *st = use(s, ST_TRUST_REMOVE);
	int rc;

	sqlite_bind_text(st, 1, did);
	rc = sqlite_exec_step(s, st, "remove trusted issuer", err);
	if (!rc && sqlite3_changes(s->db) == 0)
		return OK_ENOTFOUND;
	return rc;
}

static int sqlite_trust_remove_source(struct store *base, const char *source, struct ok_error *err)
{
	struct store_sqlite *s = sq(base);
	sqlite3_stmt *st = use(s, ST_TRUST_REMOVE_SOURCE);

	sqlite_bind_text(st, 1, source);
	return sqlite_exec_step(s, st, "replace trust list", err);
}

static int sqlite_trust_list(struct store *base, store_trust_fn fn, void *ctx, struct ok_error *err)
{
	struct store_sqlite *s = sq(base);
	sqlite3_stmt *st = use(s, ST_TRUST_LIST);
	struct store_trusted_issuer t;
	int rc;

	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		read_trusted(st, &t);
		rc = fn(ctx, &t);
		if (rc) {
			sqlite3_reset(st);
			return rc;
		}
	}
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? 0 : sqlite_fail(s, rc, "list trust list", err);
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
        .status_cache_get = sqlite_status_cache_get,
        .status_cache_put = sqlite_status_cache_put,
        .trust_put = sqlite_trust_put,
        .trust_get = sqlite_trust_get,
        .trust_remove = sqlite_trust_remove,
        .trust_remove_source = sqlite_trust_remove_source,
        .trust_list = sqlite_trust_list,
        .schema_version = sqlite_schema_version,
        .backup_to = sqlite_backup_to,
        .leak = &sqlite_leak_ops,
        .apikeys = &sqlite_apikey_ops,
        .audit = &store_sqlite_audit_ops,
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
	(void)ctx;
	if (count < 200) {
		usleep(50); /* the first 10 ms */
		return 1;
	}
	if (count < 200 + 1000) {
		usleep(10000); /* then up to 10 s more */
		return 1;
	}
	return 0;
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

int store_sqlite_open(struct store **out, const char *path, bool create, struct ok_error *err)
{
	static const char pragmas[] = "PRAGMA journal_mode = WAL;"
	                              "PRAGMA synchronous = NORMAL;"
	                              "PRAGMA foreign_keys = ON;"
	                              /* 16 MiB of pages: a batch's index pages stay in memory. */
	                              "PRAGMA cache_size = -16384;"
	                              "PRAGMA secure_delete = ON;";
	struct store_sqlite *s;
	int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX | (create ? SQLITE_OPEN_CREATE : 0);
	int rc, i;

	*out = NULL;
	s = calloc(1, sizeof(*s));
	if (!s)
		return ok_fail(err, OK_ENOMEM, "open database: out of memory");
	s->base.ops = &sqlite_ops;
	rc = sqlite3_open_v2(path, &s->db, flags, NULL);
	if (rc != SQLITE_OK) {
		rc = (rc == SQLITE_CANTOPEN) ? ok_fail(err, OK_EIO, "cannot open database %s", path)
		                             : sqlite_fail(s, rc, "open database", err);
		goto fail;
	}
	sqlite3_extended_result_codes(s->db, 1);
	sqlite3_busy_handler(s->db, wait_for_lock, NULL);
	rc = sqlite3_exec(s->db, pragmas, NULL, NULL, NULL);
	if (rc != SQLITE_OK) {
		rc = sqlite_fail(s, rc, "open database", err);
		goto fail;
	}
	rc = migrate(s, err);
	if (rc)
		goto fail;
	for (i = 0; i < ST_COUNT; i++) {
		if (!stmt_sql[i]) {
			rc = ok_fail(err, OK_EINTERNAL, "statement %d has no SQL", i);
			goto fail;
		}
		rc = sqlite3_prepare_v3(s->db, stmt_sql[i], -1, SQLITE_PREPARE_PERSISTENT,
		                        &s->stmt[i], NULL);
		if (rc != SQLITE_OK) {
			rc = sqlite_fail(s, rc, "prepare statement", err);
			goto fail;
		}
	}
	*out = &s->base;
	return 0;
fail:
	sqlite_close(&s->base);
	return rc;
}
