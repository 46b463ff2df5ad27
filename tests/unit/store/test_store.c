/* Unit tests for the store interface over its SQLite back end, on a temporary database file:
 * migrations, every record type, transactions, history, audit, and files that are not ours. The
 * tests of the interface run again over the PostgreSQL back end, each in a fresh database, when
 * OORKONDE_TEST_PG names a cluster (pg_test.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <ftw.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/buf.h"
#include "core/error.h"
#include "audit/chain.h"
#include "store/store.h"
#include "store/vcstatus.h"
#include "pg_test.h"

struct fixture {
	char dir[64];
	char path[512]; /* the database file, or on PostgreSQL the connection string */
	char db[64];    /* on PostgreSQL: the test's own database */
	struct store *s;
};

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	struct ok_error err;

	if (!f)
		return -1;
	snprintf(f->dir, sizeof(f->dir), "/tmp/ok-store-test-XXXXXX");
	if (!mkdtemp(f->dir))
		return -1;
	snprintf(f->path, sizeof(f->path), "%s/test.db", f->dir);
	if (store_sqlite_open(&f->s, f->path, true, &err) != 0) {
		fprintf(stderr, "store_sqlite_open: %s\n", err.message);
		return -1;
	}
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	store_close(f->s);
	nftw(f->dir, remove_entry, 8, FTW_DEPTH | FTW_PHYS);
	free(f);
	return 0;
}

static int setup_pg(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	struct ok_error err;

	if (!f || !pg_test_db_create("ok_store", f->db, f->path, sizeof(f->path)))
		return -1;
	if (store_open(&f->s, f->path, true, &err) != 0) {
		fprintf(stderr, "store_open: %s\n", err.message);
		return -1;
	}
	*state = f;
	return 0;
}

static int teardown_pg(void **state)
{
	struct fixture *f = *state;

	store_close(f->s);
	pg_test_db_drop(f->db);
	free(f);
	return 0;
}

/* Runs a query that returns one integer, on its own connection. */
static long long sql_int(const char *path, const char *sql)
{
	sqlite3 *db;
	sqlite3_stmt *st;
	long long v = -1;

	if (store_url_is_pg(path))
		return pg_test_int(path, sql);

	assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(db);
	return v;
}

static void sql_exec(const char *path, const char *sql)
{
	sqlite3 *db;
	char *msg = NULL;

	if (store_url_is_pg(path)) {
		assert_int_equal(pg_test_exec(path, sql), 0);
		return;
	}
	assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL), SQLITE_OK);
	if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK)
		fail_msg("%s: %s", sql, msg);
	sqlite3_close(db);
}

static void write_file(const char *path, const void *data, size_t n)
{
	FILE *fp = fopen(path, "wb");

	assert_non_null(fp);
	assert_int_equal(fwrite(data, 1, n, fp), n);
	assert_int_equal(fclose(fp), 0);
}

static void make_institution(struct store_institution *i, const char *code)
{
	memset(i, 0, sizeof(*i));
	snprintf(i->code, sizeof(i->code), "%s", code);
	snprintf(i->name, sizeof(i->name), "Hogeschool %s", code);
	snprintf(i->country, sizeof(i->country), "NL");
	snprintf(i->erasmus, sizeof(i->erasmus), "NL %s01", code);
	snprintf(i->schac, sizeof(i->schac), "%s.example.nl", code);
}

static void add_institution(struct store *s, const char *code)
{
	struct store_institution i;
	struct ok_error err;

	make_institution(&i, code);
	if (store_institution_add(s, &i, &err) != 0)
		fail_msg("institution_add: %s", err.message);
}

/* A learner whose sealed fields are opaque bytes, NULs included. */
static void make_learner(struct store_learner *l, const char *id, unsigned char tag)
{
	unsigned char blob[64];

	store_learner_init(l);
	snprintf(l->id, sizeof(l->id), "%s", id);
	memset(l->nid_index, tag, sizeof(l->nid_index));
	memset(l->digest, tag ^ 0xff, sizeof(l->digest));
	memset(blob, 0, sizeof(blob));
	blob[0] = tag;
	blob[63] = 0xfe;
	assert_int_equal(buf_add(&l->national_id, blob, sizeof(blob)), 0);
	assert_int_equal(buf_add(&l->given_names, blob, 10), 0);
	assert_int_equal(buf_add(&l->family_name, blob + 1, 20), 0);
	assert_int_equal(buf_add(&l->birth_date, blob, 45), 0);
	l->key_id = 3;
	l->created_ms = 1000;
	l->updated_ms = 2000;
}

static void put_learner(struct store *s, const char *id, unsigned char tag)
{
	struct store_learner l;
	struct ok_error err;

	make_learner(&l, id, tag);
	if (store_learner_put(s, &l, false, &err) != 0)
		fail_msg("learner_put: %s", err.message);
	store_learner_release(&l);
}

static void make_achievement(struct store_achievement *a, const char *id, const char *learner,
                             const char *inst, const char *record, const char *awarded)
{
	memset(a, 0, sizeof(*a));
	snprintf(a->id, sizeof(a->id), "%s", id);
	snprintf(a->learner_id, sizeof(a->learner_id), "%s", learner);
	snprintf(a->institution, sizeof(a->institution), "%s", inst);
	snprintf(a->record_id, sizeof(a->record_id), "%s", record);
	snprintf(a->kind, sizeof(a->kind), "course");
	snprintf(a->title, sizeof(a->title), "Databases en SQL");
	snprintf(a->programme_code, sizeof(a->programme_code), "ICT.DB");
	a->eqf_level = 0;
	a->credits_centi = 750;
	snprintf(a->grade, sizeof(a->grade), "7.5");
	snprintf(a->grading_scheme, sizeof(a->grading_scheme), "NL 1-10");
	snprintf(a->awarded_on, sizeof(a->awarded_on), "%s", awarded);
	snprintf(a->language, sizeof(a->language), "nl");
	snprintf(a->status, sizeof(a->status), "active");
	a->status_index = -1;
	memset(a->digest, 0xab, sizeof(a->digest));
	a->version = 1;
	a->created_ms = 5000;
	a->updated_ms = 5000;
}

static void assert_achievement_equal(const struct store_achievement *x,
                                     const struct store_achievement *y)
{
	assert_string_equal(x->id, y->id);
	assert_string_equal(x->learner_id, y->learner_id);
	assert_string_equal(x->institution, y->institution);
	assert_string_equal(x->record_id, y->record_id);
	assert_string_equal(x->kind, y->kind);
	assert_string_equal(x->title, y->title);
	assert_string_equal(x->programme_code, y->programme_code);
	assert_int_equal(x->eqf_level, y->eqf_level);
	assert_int_equal(x->credits_centi, y->credits_centi);
	assert_string_equal(x->grade, y->grade);
	assert_string_equal(x->grading_scheme, y->grading_scheme);
	assert_string_equal(x->awarded_on, y->awarded_on);
	assert_string_equal(x->language, y->language);
	assert_string_equal(x->status, y->status);
	assert_int_equal(x->status_index, y->status_index);
	assert_memory_equal(x->digest, y->digest, STORE_HASH_BYTES);
	assert_int_equal(x->version, y->version);
	assert_int_equal(x->created_ms, y->created_ms);
	assert_int_equal(x->updated_ms, y->updated_ms);
}

/* Life cycle and migrations */

static void open_applies_migrations_and_reopens(void **state)
{
	struct fixture *f = *state;
	struct ok_error err;
	long long version;

	assert_string_equal(f->s->ops->name, "sqlite");
	store_close(f->s);
	f->s = NULL;
	version = sql_int(f->path, "PRAGMA user_version");
	assert_true(version >= 1);
	assert_int_equal(sql_int(f->path, "SELECT count(*) FROM sqlite_master WHERE type = 'table' "
	                                  "AND name IN ('meta', 'institution', 'api_key', "
	                                  "'learner', 'achievement', 'achievement_history', "
	                                  "'audit_event')"),
	                 7);
	/* Reopening finds the schema in place and changes nothing. */
	assert_int_equal(store_sqlite_open(&f->s, f->path, false, &err), 0);
	store_close(f->s);
	f->s = NULL;
	assert_int_equal(sql_int(f->path, "PRAGMA user_version"), version);
	{
		char url[600];

		snprintf(url, sizeof(url), "sqlite:%s", f->path);
		assert_int_equal(store_open(&f->s, url, false, &err), 0);
		add_institution(f->s, "21PB");
		store_close(f->s);
		f->s = NULL;
	}
	assert_int_equal(store_open(&f->s, f->path, false, &err), 0);
	{
		struct store_institution i;
		assert_int_equal(store_institution_get(f->s, "21PB", &i, &err), 0);
	}
}

static void database_is_in_wal_mode(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(sql_int(f->path, "SELECT count(*) FROM pragma_journal_mode "
	                                  "WHERE journal_mode = 'wal'"),
	                 1);
}

static void missing_file_without_create_is_an_error(void **state)
{
	struct fixture *f = *state;
	struct store *s = (struct store *)0x1;
	struct ok_error err;
	char path[160];

	snprintf(path, sizeof(path), "%s/absent.db", f->dir);
	ok_error_clear(&err);
	assert_int_equal(store_sqlite_open(&s, path, false, &err), OK_EIO);
	assert_null(s);
	assert_true(err.message[0] != '\0');
	assert_int_not_equal(access(path, F_OK), 0);
	snprintf(path, sizeof(path), "%s/no/such/folder/x.db", f->dir);
	assert_int_not_equal(store_sqlite_open(&s, path, true, &err), 0);
	assert_null(s);
}

#ifdef OK_TEST_HOOKS
/* The test switches of the store's waits: whole milliseconds from 1 to the default, anything
 * else the default (so that no environment can make a wait longer than a user's server's). */
static void test_waits_are_whole_milliseconds_up_to_the_default(void **state)
{
	static const struct {
		const char *value;
		int64_t want;
	} cases[] = {
	        {"250", 250},
	        {"1", 1},
	        {"10000", 10000},
	        {"10001", 10000},
	        {"0", 10000},
	        {"-5", 10000},
	        {"", 10000},
	        {"12ms", 10000},
	        {"abc", 10000},
	        {" 7", 7},
	        {"99999999999999999999", 10000},
	};
	size_t i;

	(void)state;
	assert_int_equal(unsetenv("OORKONDE_TEST_LOCK_WAIT_MS"), 0);
	assert_int_equal(store_test_wait_ms("OORKONDE_TEST_LOCK_WAIT_MS", 10000), 10000);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(setenv("OORKONDE_TEST_LOCK_WAIT_MS", cases[i].value, 1), 0);
		assert_int_equal(store_test_wait_ms("OORKONDE_TEST_LOCK_WAIT_MS", 10000),
		                 cases[i].want);
	}
	assert_int_equal(unsetenv("OORKONDE_TEST_LOCK_WAIT_MS"), 0);
}
#endif

static void postgres_urls_go_to_the_postgresql_store(void **state)
{
	struct store *s = NULL;
	struct ok_error err;

	(void)state;
	assert_true(store_url_is_pg("postgres://localhost/ok"));
	assert_true(store_url_is_pg("postgresql://ok@db.example/ok"));
	assert_true(store_url_is_pg("host=/run/postgresql dbname=ok"));
	assert_false(store_url_is_pg("sqlite:/var/lib/ok/ok.db"));
	assert_false(store_url_is_pg("/var/lib/ok/ok.db"));
	assert_false(store_url_is_pg("data/ok=1.db"));
	/* No server there: a connection error, which names neither the URL nor its password. */
	ok_error_clear(&err);
	assert_int_equal(
	        store_open(&s, "postgresql://ok:s3cret@/ok?host=/nonexistent-ok-pg", false, &err),
	        OK_EIO);
	assert_null(s);
	assert_null(strstr(err.message, "s3cret"));
	assert_non_null(strstr(err.message, "PostgreSQL"));
}

/* PostgreSQL: the schema's version, a reopen that changes nothing, a newer schema refused. */
static void pg_open_applies_migrations_and_refuses_newer(void **state)
{
	struct fixture *f = *state;
	struct ok_error err;
	long long version;
	int v = 0;

	assert_string_equal(f->s->ops->name, "postgresql");
	version = sql_int(f->path, "SELECT version FROM oorkonde_schema");
	assert_true(version >= 1);
	assert_int_equal(store_schema_version(f->s, &v, &err), 0);
	assert_int_equal(v, version);
	/* Backups of PostgreSQL are PostgreSQL's own tools' work. */
	assert_int_equal(store_backup_to(f->s, "/nonexistent/backup.db", &err), OK_EUNSUPPORTED);
	assert_non_null(strstr(err.message, "pg_dump"));
	assert_int_equal(sql_int(f->path, "SELECT count(*) FROM pg_tables WHERE tablename IN "
	                                  "('meta', 'institution', 'api_key', 'learner', "
	                                  "'achievement', 'achievement_history', 'audit_event')"),
	                 7);
	store_close(f->s);
	f->s = NULL;
	assert_int_equal(store_open(&f->s, f->path, false, &err), 0);
	add_institution(f->s, "21PB");
	store_close(f->s);
	f->s = NULL;
	assert_int_equal(sql_int(f->path, "SELECT version FROM oorkonde_schema"), version);
	assert_int_equal(sql_int(f->path, "SELECT count(*) FROM oorkonde_schema"), 1);
	sql_exec(f->path, "UPDATE oorkonde_schema SET version = 999");
	ok_error_clear(&err);
	assert_int_equal(store_open(&f->s, f->path, false, &err), OK_EUNSUPPORTED);
	assert_null(f->s);
	assert_non_null(strstr(err.message, "999"));
}

static void a_file_that_is_not_a_database_is_refused_clearly(void **state)
{
	struct fixture *f = *state;
	struct store *s = NULL;
	struct ok_error err;
	char path[160], text[8192];
	size_t i;

	for (i = 0; i < sizeof(text); i++)
		text[i] = "This is not a database, just text.\n"[i % 35];
	snprintf(path, sizeof(path), "%s/text.db", f->dir);
	write_file(path, text, sizeof(text));
	ok_error_clear(&err);
	assert_int_equal(store_sqlite_open(&s, path, false, &err), OK_ESTORE);
	assert_null(s);
	if (!strstr(err.message, "not a database"))
		fail_msg("unclear message: %s", err.message);
	/* Nor is it overwritten when create is asked for. */
	assert_int_equal(store_sqlite_open(&s, path, true, &err), OK_ESTORE);
	assert_null(s);

	/* A short file of garbage, too. */
	write_file(path, "\x01\x02garbage", 9);
	assert_int_not_equal(store_sqlite_open(&s, path, false, &err), 0);
	assert_null(s);
}

static void a_newer_schema_is_refused(void **state)
{
	struct fixture *f = *state;
	struct ok_error err;

	store_close(f->s);
	f->s = NULL;
	sql_exec(f->path, "PRAGMA user_version = 999");
	ok_error_clear(&err);
	assert_int_equal(store_sqlite_open(&f->s, f->path, false, &err), OK_EUNSUPPORTED);
	assert_null(f->s);
	assert_non_null(strstr(err.message, "999"));
}

/* Metadata */

static void metadata_is_set_and_replaced(void **state)
{
	struct fixture *f = *state;
	struct store *s = f->s;
	struct ok_error err;
	struct buf v;

	buf_init(&v, 0);
	assert_int_equal(store_meta_get(s, "issuer", &v, &err), OK_ENOTFOUND);
	assert_int_equal(store_meta_set(s, "issuer", "did:web:a", &err), 0);
	assert_int_equal(store_meta_get(s, "issuer", &v, &err), 0);
	assert_string_equal(v.data, "did:web:a");
	assert_int_equal(store_meta_set(s, "issuer", "did:web:b", &err), 0);
	assert_int_equal(store_meta_get(s, "issuer", &v, &err), 0);
	assert_string_equal(v.data, "did:web:b");
	buf_release(&v);
}

/* Institutions and keys */

struct collected {
	char codes[8][33];
	size_t n;
	size_t stop_after;
};

static int collect_institution(void *ctx, const struct store_institution *i)
{
	struct collected *c = ctx;

	snprintf(c->codes[c->n++], sizeof(c->codes[0]), "%s", i->code);
	return c->stop_after && c->n == c->stop_after ? 42 : 0;
}

static void institutions_add_get_list(void **state)
{
	struct fixture *f = *state;
	struct store *s = f->s;
	struct store_institution i, got;
	struct collected c;
	struct ok_error err;

	assert_int_equal(store_institution_get(s, "25BE", &got, &err), OK_ENOTFOUND);
	make_institution(&i, "25BE");
	snprintf(i.name, sizeof(i.name), "Hanzehogeschool Groningen – ’s-Hertogenbosch");
	assert_int_equal(store_institution_add(s, &i, &err), 0);
	assert_int_equal(store_institution_get(s, "25BE", &got, &err), 0);
	assert_string_equal(got.code, "25BE");
	assert_string_equal(got.name, i.name);
	assert_string_equal(got.country, "NL");
	assert_string_equal(got.erasmus, "NL 25BE01");
	assert_string_equal(got.schac, "25BE.example.nl");
	assert_int_equal(store_institution_get(s, "25be", &got, &err), OK_ENOTFOUND);

	ok_error_clear(&err);
	assert_int_equal(store_institution_add(s, &i, &err), OK_EEXIST);
	assert_int_equal(err.code, OK_EEXIST);

	add_institution(s, "21PB");
	add_institution(s, "25LJ");
	memset(&c, 0, sizeof(c));
	assert_int_equal(store_institution_list(s, collect_institution, &c, &err), 0);
	assert_int_equal(c.n, 3);
	assert_string_equal(c.codes[0], "21PB");
	assert_string_equal(c.codes[1], "25BE");
	assert_string_equal(c.codes[2], "25LJ");
	/* A non-zero return stops the listing and is passed on; the next listing starts over. */
	memset(&c, 0, sizeof(c));
	c.stop_after = 2;
	assert_int_equal(store_institution_list(s, collect_institution, &c, &err), 42);
	assert_int_equal(c.n, 2);
	memset(&c, 0, sizeof(c));
	assert_int_equal(store_institution_list(s, collect_institution, &c, &err), 0);
	assert_int_equal(c.n, 3);
}

static void api_keys_are_found_by_hash(void **state)
{
	struct fixture *f = *state;
	struct store *s = f->s;
	struct store_api_key k, got;
	unsigned char other[STORE_HASH_BYTES];
	struct ok_error err;

	add_institution(s, "21PB");
	memset(&k, 0, sizeof(k));
	snprintf(k.id, sizeof(k.id), "key-1");
	snprintf(k.institution, sizeof(k.institution), "21PB");
	memset(k.key_hash, 0, sizeof(k.key_hash)); /* NUL bytes in a hash are data */
	k.key_hash[31] = 7;
	snprintf(k.permissions, sizeof(k.permissions), "register,read");
	k.created_ms = 123456;
	assert_int_equal(store_api_key_add(s, &k, &err), 0);

	memset(&got, 0x5a, sizeof(got));
	assert_int_equal(store_api_key_find(s, k.key_hash, &got, &err), 0);
	assert_string_equal(got.id, "key-1");
	assert_string_equal(got.institution, "21PB");
	assert_memory_equal(got.key_hash, k.key_hash, STORE_HASH_BYTES);
	assert_string_equal(got.permissions, "register,read");
	assert_int_equal(got.created_ms, 123456);
	assert_int_equal(got.revoked_ms, 0);

	memcpy(other, k.key_hash, sizeof(other));
	other[0] = 1;
	assert_int_equal(store_api_key_find(s, other, &got, &err), OK_ENOTFOUND);

	/* Same hash twice, or same id twice: a duplicate. */
	snprintf(k.id, sizeof(k.id), "key-2");
	assert_int_equal(store_api_key_add(s, &k, &err), OK_EEXIST);
	snprintf(k.id, sizeof(k.id), "key-1");
	k.key_hash[0] = 9;
	assert_int_equal(store_api_key_add(s, &k, &err), OK_EEXIST);

	/* An operator key belongs to no institution. */
	snprintf(k.id, sizeof(k.id), "key-3");
	k.institution[0] = '\0';
	k.key_hash[0] = 10;
	assert_int_equal(store_api_key_add(s, &k, &err), 0);
	assert_int_equal(store_api_key_find(s, k.key_hash, &got, &err), 0);
	assert_string_equal(got.institution, "");
}

/* Learners */

static void learners_put_find_get_update(void **state)
{
	struct fixture *f = *state;
	struct store *s = f->s;
	struct store_learner l, got;
	unsigned char idx[STORE_HASH_BYTES];
	struct ok_error err;

	make_learner(&l, "learner-1", 0x11);
	store_learner_init(&got);
	assert_int_equal(store_learner_find(s, l.nid_index, &got, &err), OK_ENOTFOUND);
	assert_int_equal(store_learner_get(s, "learner-1", &got, &err), OK_ENOTFOUND);
	assert_int_equal(store_learner_put(s, &l, false, &err), 0);

	assert_int_equal(store_learner_find(s, l.nid_index, &got, &err), 0);
	assert_string_equal(got.id, "learner-1");
	assert_memory_equal(got.digest, l.digest, STORE_HASH_BYTES);
	assert_int_equal(got.national_id.len, 64);
	assert_memory_equal(got.national_id.data, l.national_id.data, 64);
	assert_int_equal(got.given_names.len, 10);
	assert_memory_equal(got.family_name.data, l.family_name.data, 20);
	assert_int_equal(got.birth_date.len, 45);
	assert_int_equal(got.key_id, 3);
	assert_int_equal(got.created_ms, 1000);
	assert_int_equal(got.updated_ms, 2000);

	store_learner_release(&got);
	store_learner_init(&got);
	assert_int_equal(store_learner_get(s, "learner-1", &got, &err), 0);
	assert_memory_equal(got.nid_index, l.nid_index, STORE_HASH_BYTES);

	/* Same national id index again: a duplicate. */
	snprintf(l.id, sizeof(l.id), "learner-2");
	assert_int_equal(store_learner_put(s, &l, false, &err), OK_EEXIST);

	/* An update replaces the sealed fields and the digest, keeps created_ms. */
	snprintf(l.id, sizeof(l.id), "learner-1");
	buf_reset(&l.family_name);
	assert_int_equal(buf_addstr(&l.family_name, "other sealed bytes"), 0);
	memset(l.digest, 0x33, sizeof(l.digest));
	l.created_ms = 999999;
	l.updated_ms = 3000;
	assert_int_equal(store_learner_put(s, &l, true, &err), 0);
	store_learner_release(&got);
	store_learner_init(&got);
	assert_int_equal(store_learner_get(s, "learner-1", &got, &err), 0);
	assert_string_equal(got.family_name.data, "other sealed bytes");
	assert_memory_equal(got.digest, l.digest, STORE_HASH_BYTES);
	assert_int_equal(got.created_ms, 1000);
	assert_int_equal(got.updated_ms, 3000);

	memset(idx, 0x12, sizeof(idx));
	assert_int_equal(store_learner_find(s, idx, &got, &err), OK_ENOTFOUND);
	store_learner_release(&got);
	store_learner_release(&l);
}

/* Achievements */

static void achievements_put_find_get(void **state)
{
	struct fixture *f = *state;
	struct store *s = f->s;
	struct store_achievement a, got;
	struct ok_error err;
	int64_t count;

	add_institution(s, "25BE");
	put_learner(s, "learner-1", 1);
	assert_int_equal(store_achievement_count(s, &count, &err), 0);
	assert_int_equal(count, 0);
	make_achievement(&a, "ach-1", "learner-1", "25BE", "REC-1", "2021-01-15");
	snprintf(a.title, sizeof(a.title), "Communicatie in de zorg — Łódź");
	assert_int_equal(store_achievement_find(s, "25BE", "REC-1", &got, &err), OK_ENOTFOUND);
	assert_int_equal(store_achievement_put(s, &a, false, NULL, NULL, &err), 0);
	assert_int_equal(store_achievement_find(s, "25BE", "REC-1", &got, &err), 0);
	assert_achievement_equal(&got, &a);
	assert_int_equal(store_achievement_get(s, "ach-1", &got, &err), 0);
	assert_achievement_equal(&got, &a);
	assert_int_equal(store_achievement_get(s, "ach-2", &got, &err), OK_ENOTFOUND);
	assert_int_equal(store_achievement_find(s, "25BE", "REC-2", &got, &err), OK_ENOTFOUND);
	assert_int_equal(store_achievement_find(s, "21PB", "REC-1", &got, &err), OK_ENOTFOUND);
	assert_int_equal(store_achievement_count(s, &count, &err), 0);
	assert_int_equal(count, 1);

	/* (institution, record_id) is unique. */
	snprintf(a.id, sizeof(a.id), "ach-2");
	ok_error_clear(&err);
	assert_int_equal(store_achievement_put(s, &a, false, NULL, NULL, &err), OK_EEXIST);
	/* The same record id at another institution is another achievement. */
	add_institution(s, "21PB");
	snprintf(a.institution, sizeof(a.institution), "21PB");
	assert_int_equal(store_achievement_put(s, &a, false, NULL, NULL, &err), 0);
	assert_int_equal(store_achievement_count(s, &count, &err), 0);
	assert_int_equal(count, 2);
}

static void achievements_refer_to_known_learners_and_institutions(void **state)
{
	struct fixture *f = *state;
	struct store *s = f->s;
	struct store_achievement a;
	struct ok_error err;

	add_institution(s, "25BE");
	put_learner(s, "learner-1", 1);
	make_achievement(&a, "ach-1", "no-such-learner", "25BE", "REC-1", "2021-01-15");
	ok_error_clear(&err);
	assert_int_equal(store_achievement_put(s, &a, false, NULL, NULL, &err), OK_ESTORE);
	assert_true(err.message[0] != '\0');
	make_achievement(&a, "ach-1", "learner-1", "XXXX", "REC-1", "2021-01-15");
	assert_int_equal(store_achievement_put(s, &a, false, NULL, NULL, &err), OK_ESTORE);
}

static void update_keeps_the_previous_version_in_history(void **state)
{
	struct fixture *f = *state;
	struct store *s = f->s;
	struct store_achievement a, got;
	struct ok_error err;

	add_institution(s, "25BE");
	put_learner(s, "learner-1", 1);
	make_achievement(&a, "ach-1", "learner-1", "25BE", "REC-1", "2021-01-15");
	assert_int_equal(store_begin(s, &err), 0);
	assert_int_equal(store_achievement_put(s, &a, false, NULL, NULL, &err), 0);
	assert_int_equal(store_commit(s, &err), 0);
	assert_int_equal(sql_int(f->path, "SELECT count(*) FROM achievement_history"), 0);

	snprintf(a.grade, sizeof(a.grade), "8.0");
	a.version = 2;
	a.updated_ms = 6000;
	memset(a.digest, 0xcd, sizeof(a.digest));
	assert_int_equal(store_begin(s, &err), 0);
	assert_int_equal(store_achievement_put(s, &a, true, "institution:25BE", "correction", &err),
	                 0);
	assert_int_equal(store_commit(s, &err), 0);
	assert_int_equal(store_achievement_get(s, "ach-1", &got, &err), 0);
	assert_string_equal(got.grade, "8.0");
	assert_int_equal(got.version, 2);
	assert_int_equal(got.created_ms, 5000);
	assert_int_equal(got.updated_ms, 6000);
	assert_string_equal(got.record_id, "REC-1");

	assert_int_equal(sql_int(f->path, "SELECT count(*) FROM achievement_history"), 1);
	assert_int_equal(sql_int(f->path, "SELECT count(*) FROM achievement_history WHERE "
	                                  "achievement_id = 'ach-1' AND version = 1 AND "
	                                  "grade = '7.5' AND actor = 'institution:25BE' AND "
	                                  "reason = 'correction' AND changed_ms = 6000"),
	                 1);

	snprintf(a.title, sizeof(a.title), "Databases en SQL (herkansing)");
	a.version = 3;
	a.updated_ms = 7000;
	assert_int_equal(store_achievement_put(s, &a, true, "operator", "re-registration", &err),
	                 0);
	assert_int_equal(sql_int(f->path, "SELECT count(*) FROM achievement_history"), 2);
	assert_int_equal(sql_int(f->path, "SELECT max(version) FROM achievement_history"), 2);
	assert_int_equal(sql_int(f->path, "SELECT count(*) FROM achievement"), 1);
}

struct ach_list {
	char ids[8][STORE_ID_MAX + 1];
	size_t n;
	size_t stop_after;
};

static int collect_achievement(void *ctx, const struct store_achievement *a)
{
	struct ach_list *c = ctx;

	snprintf(c->ids[c->n++], sizeof(c->ids[0]), "%s", a->id);
	return c->stop_after && c->n == c->stop_after ? -77 : 0;
}

static void achievements_are_listed_by_learner(void **state)
{
	struct fixture *f = *state;
	struct store *s = f->s;
	struct store_achievement a;
	struct ach_list c;
	struct ok_error err;

	add_institution(s, "25BE");
	add_institution(s, "21PB");
	put_learner(s, "learner-1", 1);
	put_learner(s, "learner-2", 2);
	make_achievement(&a, "a3", "learner-1", "25BE", "R3", "2022-01-01");
	assert_int_equal(store_achievement_put(s, &a, false, NULL, NULL, &err), 0);
	make_achievement(&a, "a1", "learner-1", "25BE", "R1", "2021-01-01");
	assert_int_equal(store_achievement_put(s, &a, false, NULL, NULL, &err), 0);
	make_achievement(&a, "a2", "learner-1", "21PB", "R2", "2023-01-01");
	assert_int_equal(store_achievement_put(s, &a, false, NULL, NULL, &err), 0);
	make_achievement(&a, "b1", "learner-2", "25BE", "R4", "2020-01-01");
	assert_int_equal(store_achievement_put(s, &a, false, NULL, NULL, &err), 0);

	memset(&c, 0, sizeof(c));
	assert_int_equal(
	        store_achievement_list_by_learner(s, "learner-1", collect_achievement, &c, &err),
	        0);
	assert_int_equal(c.n, 3);
	assert_string_equal(c.ids[0], "a2"); /* 21PB first, then 25BE by date */
	assert_string_equal(c.ids[1], "a1");
	assert_string_equal(c.ids[2], "a3");

	memset(&c, 0, sizeof(c));
	assert_int_equal(
	        store_achievement_list_by_learner(s, "learner-2", collect_achievement, &c, &err),
	        0);
	assert_int_equal(c.n, 1);
	assert_string_equal(c.ids[0], "b1");

	memset(&c, 0, sizeof(c));
	assert_int_equal(
	        store_achievement_list_by_learner(s, "nobody", collect_achievement, &c, &err), 0);
	assert_int_equal(c.n, 0);

	memset(&c, 0, sizeof(c));
	c.stop_after = 1;
	assert_int_equal(
	        store_achievement_list_by_learner(s, "learner-1", collect_achievement, &c, &err),
	        -77);
	assert_int_equal(c.n, 1);
}

/* Transactions */

static void rollback_discards_the_transaction(void **state)
{
	struct fixture *f = *state;
	struct store *s = f->s;
	struct store_institution got;
	struct store_achievement a;
	struct ok_error err;
	int64_t count;

	assert_int_equal(store_rollback(s), 0); /* nothing open: nothing to do */
	assert_int_equal(store_begin(s, &err), 0);
	add_institution(s, "25BE");
	put_learner(s, "learner-1", 1);
	make_achievement(&a, "a1", "learner-1", "25BE", "R1", "2021-01-01");
	assert_int_equal(store_achievement_put(s, &a, false, NULL, NULL, &err), 0);
	/* Reads inside the transaction see its writes. */
	assert_int_equal(store_institution_get(s, "25BE", &got, &err), 0);
	assert_int_equal(store_achievement_count(s, &count, &err), 0);
	assert_int_equal(count, 1);
	assert_int_equal(store_rollback(s), 0);

	assert_int_equal(store_institution_get(s, "25BE", &got, &err), OK_ENOTFOUND);
	assert_int_equal(store_achievement_count(s, &count, &err), 0);
	assert_int_equal(count, 0);
	assert_int_equal(sql_int(f->path, "SELECT count(*) FROM learner"), 0);

	/* A failed write leaves the transaction open for the caller to roll back. */
	assert_int_equal(store_begin(s, &err), 0);
	add_institution(s, "21PB");
	{
		struct store_institution dup;
		make_institution(&dup, "21PB");
		assert_int_equal(store_institution_add(s, &dup, &err), OK_EEXIST);
	}
	assert_int_equal(store_institution_get(s, "21PB", &got, &err), 0);
	assert_int_equal(store_rollback(s), 0);
	assert_int_equal(store_institution_get(s, "21PB", &got, &err), OK_ENOTFOUND);

	/* Committed work stays. */
	assert_int_equal(store_begin(s, &err), 0);
	add_institution(s, "25LJ");
	assert_int_equal(store_commit(s, &err), 0);
	assert_int_equal(store_rollback(s), 0);
	assert_int_equal(store_institution_get(s, "25LJ", &got, &err), 0);
	assert_int_equal(sql_int(f->path, "SELECT count(*) FROM institution"), 1);
}

static void another_connection_sees_only_committed_work(void **state)
{
	struct fixture *f = *state;
	struct store *other = NULL;
	struct ok_error err;

	assert_int_equal(store_open(&other, f->path, false, &err), 0);
	assert_int_equal(store_begin(f->s, &err), 0);
	add_institution(f->s, "25BE");
	/* The other connection still reads the last committed state. */
	{
		struct store_institution got;
		assert_int_equal(store_institution_get(other, "25BE", &got, &err), OK_ENOTFOUND);
	}
	assert_int_equal(store_commit(f->s, &err), 0);
	{
		struct store_institution got;
		assert_int_equal(store_institution_get(other, "25BE", &got, &err), 0);
	}
	store_close(other);
}

/* Audit */

struct audit_list {
	struct audit_event e[8];
	size_t n;
};

static int collect_event(void *ctx, const struct audit_event *e)
{
	struct audit_list *c = ctx;

	c->e[c->n++] = *e;
	return 0;
}

static void audit_head_insert_list(void **state)
{
	struct fixture *f = *state;
	struct store *s = f->s;
	unsigned char head[AUDIT_HASH_BYTES], zero[AUDIT_HASH_BYTES];
	struct audit_event e[3];
	struct audit_list c;
	struct ok_error err;
	int64_t seq = -1;
	int i;

	memset(zero, 0, sizeof(zero));
	memset(head, 0x77, sizeof(head));
	assert_int_equal(store_audit_head(s, &seq, head, &err), 0);
	assert_int_equal(seq, 0);
	assert_memory_equal(head, zero, AUDIT_HASH_BYTES);

	for (i = 0; i < 3; i++) {
		char subject[16];

		snprintf(subject, sizeof(subject), "learner-%d", i);
		audit_event_init(&e[i], "operator", "learner.read", subject, "support", "x=1");
		assert_int_equal(store_audit_head(s, &seq, head, &err), 0);
		assert_int_equal(seq, i);
		if (i)
			assert_memory_equal(head, e[i - 1].hash, AUDIT_HASH_BYTES);
		audit_event_link(&e[i], seq, head);
		assert_int_equal(store_audit_insert(s, &e[i], &err), 0);
	}
	assert_int_equal(store_audit_head(s, &seq, head, &err), 0);
	assert_int_equal(seq, 3);
	assert_memory_equal(head, e[2].hash, AUDIT_HASH_BYTES);

	/* The same sequence number twice is a duplicate. */
	assert_int_equal(store_audit_insert(s, &e[2], &err), OK_EEXIST);

	memset(&c, 0, sizeof(c));
	assert_int_equal(store_audit_list(s, 0, collect_event, &c, &err), 0);
	assert_int_equal(c.n, 3);
	for (i = 0; i < 3; i++) {
		unsigned char h[AUDIT_HASH_BYTES];

		assert_int_equal(c.e[i].seq, i + 1);
		assert_int_equal(c.e[i].at_ms, e[i].at_ms);
		assert_string_equal(c.e[i].actor, "operator");
		assert_string_equal(c.e[i].action, "learner.read");
		assert_string_equal(c.e[i].subject, e[i].subject);
		assert_string_equal(c.e[i].purpose, "support");
		assert_string_equal(c.e[i].detail, "x=1");
		assert_memory_equal(c.e[i].prev_hash, e[i].prev_hash, AUDIT_HASH_BYTES);
		assert_memory_equal(c.e[i].hash, e[i].hash, AUDIT_HASH_BYTES);
		audit_event_hash(&c.e[i], h); /* what is read back still verifies */
		assert_memory_equal(h, c.e[i].hash, AUDIT_HASH_BYTES);
	}
	memset(&c, 0, sizeof(c));
	assert_int_equal(store_audit_list(s, 2, collect_event, &c, &err), 0);
	assert_int_equal(c.n, 1);
	assert_int_equal(c.e[0].seq, 3);
	memset(&c, 0, sizeof(c));
	assert_int_equal(store_audit_list(s, 3, collect_event, &c, &err), 0);
	assert_int_equal(c.n, 0);
}

/* Appenders on connections of their own, each head read and insert in one transaction. */
struct appender {
	const char *url;
	int n;
	int failures;
};

static void *append_events(void *arg)
{
	struct appender *a = arg;
	struct store *s = NULL;
	struct ok_error err;
	int i;

	if (store_open(&s, a->url, false, &err) != 0) {
		a->failures = a->n;
		return NULL;
	}
	for (i = 0; i < a->n; i++) {
		struct audit_event e;
		int64_t seq;

		memset(&e, 0, sizeof(e));
		if (store_begin(s, &err) != 0 ||
		    store_audit_head(s, &seq, e.prev_hash, &err) != 0) {
			store_rollback(s);
			a->failures++;
			continue;
		}
		e.seq = seq + 1;
		e.at_ms = 1000 + i;
		snprintf(e.actor, sizeof(e.actor), "operator");
		snprintf(e.action, sizeof(e.action), "learner.read");
		snprintf(e.subject, sizeof(e.subject), "L%d", i);
		audit_event_hash(&e, e.hash);
		if (store_audit_insert(s, &e, &err) != 0 || store_commit(s, &err) != 0) {
			store_rollback(s);
			a->failures++;
		}
	}
	store_close(s);
	return NULL;
}

struct chain_check {
	int64_t expect;
	unsigned char prev[AUDIT_HASH_BYTES];
	bool broken;
};

static int check_link(void *ctx, const struct audit_event *e)
{
	struct chain_check *c = ctx;

	if (e->seq != c->expect || memcmp(e->prev_hash, c->prev, AUDIT_HASH_BYTES) != 0)
		c->broken = true;
	c->expect++;
	memcpy(c->prev, e->hash, AUDIT_HASH_BYTES);
	return 0;
}

/* Two writers at once (a server's threads, or on PostgreSQL two servers): one gap-free chain. */
static void concurrent_appends_make_one_chain(void **state)
{
	struct fixture *f = *state;
	struct appender a = {f->path, 40, 0}, b = {f->path, 40, 0};
	struct chain_check c = {.expect = 1};
	pthread_t ta, tb;
	struct ok_error err;

	if (!store_url_is_pg(f->path))
		skip(); /* on SQLite one process's connections share a writer lock (the server's) */
	assert_int_equal(pthread_create(&ta, NULL, append_events, &a), 0);
	assert_int_equal(pthread_create(&tb, NULL, append_events, &b), 0);
	pthread_join(ta, NULL);
	pthread_join(tb, NULL);
	assert_int_equal(a.failures + b.failures, 0);
	assert_int_equal(store_audit_list(f->s, 0, check_link, &c, &err), 0);
	assert_false(c.broken);
	assert_int_equal(c.expect, 81);
}

static int count_index(void *ctx, int64_t index)
{
	(void)index;
	(*(int *)ctx)++;
	return 0;
}

static int count_trusted(void *ctx, const struct store_trusted_issuer *t)
{
	(void)t;
	(*(int *)ctx)++;
	return 0;
}

/* VC-API credentials with status: a slot of the same lists as achievements, never one an
 * achievement holds nor one held twice; their bits are read with the achievements'. */
static void vc_status_shares_the_lists(void **state)
{
	struct fixture *f = *state;
	struct store *s = f->s;
	struct store_achievement a;
	struct store_vc_status v, got;
	struct ok_error err;
	int64_t count = -1;
	int n = 0;

	assert_int_equal(store_begin(s, &err), 0);
	assert_int_equal(store_status_list_add(s, 1, 131072, &err), 0);
	add_institution(s, "21PB");
	put_learner(s, "L1", 1);
	make_achievement(&a, "A1", "L1", "21PB", "R1", "2024-06-30");
	a.status_list = 1;
	a.status_index = 5;
	snprintf(a.status, sizeof(a.status), "revoked");
	assert_int_equal(store_achievement_put(s, &a, false, "op", "", &err), 0);

	memset(&v, 0, sizeof(v));
	snprintf(v.id, sizeof(v.id), "urn:uuid:1");
	snprintf(v.institution, sizeof(v.institution), "21PB");
	snprintf(v.key_id, sizeof(v.key_id), "k1");
	snprintf(v.status, sizeof(v.status), "active");
	v.status_list = 1;
	v.status_index = 5; /* the achievement's */
	v.created_ms = v.updated_ms = 10;
	assert_int_equal(store_vc_status_add(s, &v, &err), OK_EEXIST);
	v.status_index = 6;
	assert_int_equal(store_vc_status_add(s, &v, &err), 0);
	snprintf(v.id, sizeof(v.id), "urn:uuid:2"); /* the same slot again */
	assert_int_equal(store_vc_status_add(s, &v, &err), OK_EEXIST);
	snprintf(v.id, sizeof(v.id), "urn:uuid:1"); /* the same id again */
	v.status_index = 7;
	assert_int_equal(store_vc_status_add(s, &v, &err), OK_EEXIST);
	/* Ids are per institution: another may use the same one. */
	snprintf(v.institution, sizeof(v.institution), "99XX");
	assert_int_equal(store_vc_status_add(s, &v, &err), 0);
	assert_int_equal(store_commit(s, &err), 0);
	assert_int_equal(store_vc_status_find_id(s, "urn:uuid:1", &got, &err), OK_ECONFLICT);
	assert_int_equal(store_vc_status_get(s, "99XX", "urn:uuid:1", &got, &err), 0);
	assert_int_equal(got.status_index, 7);
	assert_int_equal(store_begin(s, &err), 0);
	assert_int_equal(store_vc_status_set(s, "99XX", "urn:uuid:1", "suspended", 15, &err), 0);
	assert_int_equal(store_commit(s, &err), 0);

	assert_int_equal(store_vc_status_get(s, "21PB", "urn:uuid:1", &got, &err), 0);
	assert_string_equal(got.status, "active");
	assert_int_equal(got.status_index, 6);
	assert_string_equal(got.institution, "21PB");
	assert_int_equal(store_vc_status_by_slot(s, 1, 6, &got, &err), 0);
	assert_string_equal(got.id, "urn:uuid:1");
	assert_int_equal(store_vc_status_by_slot(s, 1, 5, &got, &err), OK_ENOTFOUND);
	/* A slot's status alone (a verification's status entry): a VC-API credential's here. */
	{
		char st[STORE_STATUS_MAX];

		assert_int_equal(store_slot_status(s, 1, 6, st, &err), 0);
		assert_string_equal(st, "active");
		assert_int_equal(store_slot_status(s, 1, 9999, st, &err), OK_ENOTFOUND);
	}
	assert_int_equal(store_vc_status_get(s, "21PB", "urn:uuid:2", &got, &err), OK_ENOTFOUND);
	assert_int_equal(store_vc_status_find_id(s, "urn:uuid:2", &got, &err), OK_ENOTFOUND);
	assert_int_equal(store_vc_status_count_in_list(s, 1, &count, &err), 0);
	assert_int_equal(count, 2);
	assert_int_equal(store_vc_status_count_in_list(s, 2, &count, &err), 0);
	assert_int_equal(count, 0);

	assert_int_equal(store_begin(s, &err), 0);
	assert_int_equal(store_vc_status_set(s, "21PB", "urn:uuid:1", "revoked", 20, &err), 0);
	assert_int_equal(store_vc_status_set(s, "21PB", "urn:uuid:9", "revoked", 20, &err),
	                 OK_ENOTFOUND);
	assert_int_equal(store_vc_status_set(s, "77YY", "urn:uuid:1", "revoked", 20, &err),
	                 OK_ENOTFOUND);
	assert_int_equal(store_commit(s, &err), 0);
	assert_int_equal(store_vc_status_get(s, "21PB", "urn:uuid:1", &got, &err), 0);
	assert_string_equal(got.status, "revoked");
	assert_int_equal(got.updated_ms, 20);
	assert_int_equal(store_vc_status_get(s, "99XX", "urn:uuid:1", &got, &err), 0);
	assert_string_equal(got.status, "suspended");
	/* The list's revoked bits: the achievement's and the credential's. */
	assert_int_equal(store_status_list_bits(s, 1, "revoked", count_index, &n, &err), 0);
	assert_int_equal(n, 2);
}

/* Status lists, their signed credentials, and the trust list. */
static void status_lists_cache_and_trust(void **state)
{
	struct fixture *f = *state;
	struct store *s = f->s;
	struct store_status_list l;
	struct store_achievement a, got;
	struct store_trusted_issuer t, tg;
	struct ok_error err;
	char etag[STORE_ETAG_MAX];
	struct buf body, back;
	int64_t version;
	int n = 0;

	assert_int_equal(store_status_list_current(s, &l, &err), OK_ENOTFOUND);
	assert_int_equal(store_status_list_add(s, 1, 131072, &err), 0);
	assert_int_equal(store_status_list_add(s, 1, 131072, &err), OK_EEXIST);
	assert_int_equal(store_status_list_add(s, 2, 131072, &err), 0);
	assert_int_equal(store_status_list_current(s, &l, &err), 0);
	assert_int_equal(l.n, 2);
	assert_int_equal(store_status_list_bump(s, 1, 3, 1, 0, &err), 0);
	assert_int_equal(store_status_list_get(s, 1, &l, &err), 0);
	assert_int_equal(l.used, 3);
	assert_int_equal(l.revocation_version, 2);
	assert_int_equal(l.suspension_version, 1);
	assert_int_equal(store_status_list_get(s, 9, &l, &err), OK_ENOTFOUND);

	add_institution(s, "21PB");
	put_learner(s, "L1", 1);
	make_achievement(&a, "A1", "L1", "21PB", "R1", "2024-06-30");
	a.status_list = 1;
	a.status_index = 77;
	snprintf(a.status, sizeof(a.status), "revoked");
	assert_int_equal(store_achievement_put(s, &a, false, "op", "", &err), 0);
	assert_int_equal(store_achievement_by_slot(s, 1, 77, &got, &err), 0);
	assert_string_equal(got.id, "A1");
	assert_int_equal(got.status_list, 1);
	assert_int_equal(store_achievement_by_slot(s, 1, 78, &got, &err), OK_ENOTFOUND);
	{
		char st[STORE_STATUS_MAX];

		assert_int_equal(store_slot_status(s, 1, 77, st, &err), 0);
		assert_string_equal(st, "revoked");
		assert_int_equal(store_slot_status(s, 1, 78, st, &err), OK_ENOTFOUND);
	}
	/* A credential's status: its achievement's status and slot alone, by the credential's id;
	 * OK_ENOTFOUND for an id nobody recorded. */
	{
		struct store_credential_status cs;

		memset(&cs, 0x5A, sizeof(cs));
		assert_int_equal(store_credential_status(s, "urn:uuid:c1", &cs, &err),
		                 OK_ENOTFOUND);
		assert_int_equal(store_credential_issued_add(s, "urn:uuid:c1", "A1", 5, &err), 0);
		assert_int_equal(store_credential_status(s, "urn:uuid:c1", &cs, &err), 0);
		assert_string_equal(cs.status, "revoked");
		assert_int_equal(cs.status_list, 1);
		assert_int_equal(cs.status_index, 77);
		assert_int_equal(store_credential_status(s, "urn:uuid:c2", &cs, &err),
		                 OK_ENOTFOUND);
	}
	/* The slot is taken: another achievement cannot have it. */
	make_achievement(&a, "A2", "L1", "21PB", "R2", "2024-06-30");
	a.status_list = 1;
	a.status_index = 77;
	assert_int_equal(store_achievement_put(s, &a, false, "op", "", &err), OK_EEXIST);
	assert_int_equal(store_status_list_bits(s, 1, "revoked", count_index, &n, &err), 0);
	assert_int_equal(n, 1);
	n = 0;
	assert_int_equal(store_status_list_bits(s, 1, "suspended", count_index, &n, &err), 0);
	assert_int_equal(n, 0);

	buf_init(&body, 0);
	buf_init(&back, 0);
	assert_int_equal(buf_add(&body, "\0{\"a\":1}", 8), 0);
	assert_int_equal(store_status_cache_get(s, "revocation", 1, &version, etag, &back, &err),
	                 OK_ENOTFOUND);
	assert_int_equal(store_status_cache_put(s, "revocation", 1, 2, "\"e2\"", &body, &err), 0);
	assert_int_equal(store_status_cache_put(s, "revocation", 1, 3, "\"e3\"", &body, &err), 0);
	assert_int_equal(store_status_cache_get(s, "revocation", 1, &version, etag, &back, &err),
	                 0);
	assert_int_equal(version, 3);
	assert_string_equal(etag, "\"e3\"");
	assert_int_equal(back.len, 8);
	assert_memory_equal(back.data, body.data, 8);
	buf_release(&body);
	buf_release(&back);

	memset(&t, 0, sizeof(t));
	snprintf(t.did, sizeof(t.did), "did:web:b.example");
	snprintf(t.name, sizeof(t.name), "Université B");
	snprintf(t.country, sizeof(t.country), "FR");
	snprintf(t.source, sizeof(t.source), "network");
	snprintf(t.status, sizeof(t.status), "active");
	t.since_ms = 42;
	assert_int_equal(store_trust_put(s, &t, &err), 0);
	snprintf(t.status, sizeof(t.status), "suspended");
	assert_int_equal(store_trust_put(s, &t, &err), 0);
	snprintf(t.did, sizeof(t.did), "did:web:a.example");
	snprintf(t.source, sizeof(t.source), "local");
	assert_int_equal(store_trust_put(s, &t, &err), 0);
	assert_int_equal(store_trust_get(s, "did:web:b.example", &tg, &err), 0);
	assert_string_equal(tg.name, "Université B");
	assert_string_equal(tg.status, "suspended");
	assert_int_equal(tg.since_ms, 42);
	assert_int_equal(store_trust_list(s, count_trusted, &n, &err), 0);
	assert_int_equal(n, 2);
	assert_int_equal(store_trust_remove_source(s, "network", &err), 0);
	assert_int_equal(store_trust_get(s, "did:web:b.example", &tg, &err), OK_ENOTFOUND);
	assert_int_equal(store_trust_remove(s, "did:web:a.example", &err), 0);
	assert_int_equal(store_trust_remove(s, "did:web:a.example", &err), OK_ENOTFOUND);
}

/* The tests of the interface, over either back end. */
#define INTERFACE_TESTS(su, td)                                                                   \
	cmocka_unit_test_setup_teardown(metadata_is_set_and_replaced, su, td),                    \
	        cmocka_unit_test_setup_teardown(institutions_add_get_list, su, td),               \
	        cmocka_unit_test_setup_teardown(api_keys_are_found_by_hash, su, td),              \
	        cmocka_unit_test_setup_teardown(learners_put_find_get_update, su, td),            \
	        cmocka_unit_test_setup_teardown(achievements_put_find_get, su, td),               \
	        cmocka_unit_test_setup_teardown(                                                  \
	                achievements_refer_to_known_learners_and_institutions, su, td),           \
	        cmocka_unit_test_setup_teardown(update_keeps_the_previous_version_in_history, su, \
	                                        td),                                              \
	        cmocka_unit_test_setup_teardown(achievements_are_listed_by_learner, su, td),      \
	        cmocka_unit_test_setup_teardown(rollback_discards_the_transaction, su, td),       \
	        cmocka_unit_test_setup_teardown(another_connection_sees_only_committed_work, su,  \
	                                        td),                                              \
	        cmocka_unit_test_setup_teardown(audit_head_insert_list, su, td),                  \
	        cmocka_unit_test_setup_teardown(status_lists_cache_and_trust, su, td),            \
	        cmocka_unit_test_setup_teardown(vc_status_shares_the_lists, su, td),              \
	        cmocka_unit_test_setup_teardown(concurrent_appends_make_one_chain, su, td)

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test_setup_teardown(open_applies_migrations_and_reopens, setup,
	                                        teardown),
	        cmocka_unit_test_setup_teardown(database_is_in_wal_mode, setup, teardown),
	        cmocka_unit_test_setup_teardown(missing_file_without_create_is_an_error, setup,
	                                        teardown),
	        cmocka_unit_test(postgres_urls_go_to_the_postgresql_store),
#ifdef OK_TEST_HOOKS
	        cmocka_unit_test(test_waits_are_whole_milliseconds_up_to_the_default),
#endif
	        cmocka_unit_test_setup_teardown(a_file_that_is_not_a_database_is_refused_clearly,
	                                        setup, teardown),
	        cmocka_unit_test_setup_teardown(a_newer_schema_is_refused, setup, teardown),
	        INTERFACE_TESTS(setup, teardown),
	};
	const struct CMUnitTest pg_tests[] = {
	        cmocka_unit_test_setup_teardown(pg_open_applies_migrations_and_refuses_newer,
	                                        setup_pg, teardown_pg),
	        INTERFACE_TESTS(setup_pg, teardown_pg),
	};
	int failed = cmocka_run_group_tests_name("store/store", tests, NULL, NULL);

	if (pg_test_base())
		failed += cmocka_run_group_tests_name("store/store on PostgreSQL", pg_tests, NULL,
		                                      NULL);
	return failed;
}
