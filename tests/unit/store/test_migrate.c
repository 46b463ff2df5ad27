/* Unit tests for store_migrate_copy (SQLite into PostgreSQL): text with COPY's special characters
 * and bytes of every value cross unchanged, the identity counters continue after the copied
 * rows, and a target with records, a table or column the copy does not know, or a value of the
 * wrong type or text that is not UTF-8 are refused with nothing copied, naming table, row and
 * column; the move's marker makes an SQLite store refuse writes. Skipped (but the marker's test)
 * without a PostgreSQL test cluster (OORKONDE_TEST_PG; scripts/with-pg). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/error.h"
#include "store/store.h"
#include "store/store_migrate.h"
#include "pg_test.h"

struct fixture {
	char dir[64];
	char path[128];
	char db[64];
	char conninfo[PG_TEST_CONNINFO_MAX];
	struct store *from, *to;
};

/* Rows put straight into the SQLite file: the awkward values a store could hold. */
static const char seed[] =
        "INSERT INTO meta VALUES ('tricky', 'tab\there' || char(10) || 'line\\back' || char(13) "
        "|| 'cr \xc3\xa9\xe2\x82\xac');"
        "INSERT INTO institution VALUES ('21PB', 'Rijksuniversiteit', 'NL', '', '', 1);"
        "INSERT INTO learner VALUES ('l1', x'01', x'02', x'', x'00ff5c0a09', x'5c78', x'7f', 1,"
        " 1, 2);"
        "INSERT INTO share VALUES ('s1', x'03', 'l1', 'Werkgever', 'a1', 1, 2, 0, 0, 0);"
        "INSERT INTO share_view VALUES ('s1', 10), ('s1', 11), ('s1', 12);"
        "DELETE FROM share_view WHERE at_ms = 11;";

static void sqlite_run(const char *path, const char *sql)
{
	sqlite3 *db = NULL;
	char *msg = NULL;

	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK)
		fail_msg("%s: %s", sql, msg);
	sqlite3_close(db);
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	struct ok_error err;

	if (!f)
		return -1;
	*state = f;
	if (!pg_test_base())
		return 0;
	snprintf(f->dir, sizeof(f->dir), "/tmp/ok-migrate-test-XXXXXX");
	if (!mkdtemp(f->dir))
		return -1;
	snprintf(f->path, sizeof(f->path), "%s/test.db", f->dir);
	if (store_sqlite_open(&f->from, f->path, true, &err) != 0)
		return -1;
	sqlite_run(f->path, seed);
	if (!pg_test_db_create("ok_migrate", f->db, f->conninfo, sizeof(f->conninfo)) ||
	    store_open(&f->to, f->conninfo, true, &err) != 0)
		return -1;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	store_close(f->from);
	store_close(f->to);
	if (f->db[0])
		pg_test_db_drop(f->db);
	if (f->dir[0]) {
		unlink(f->path);
		rmdir(f->dir);
	}
	free(f);
	return 0;
}

/* Runs the copy with both transactions, committing the target when it succeeds. */
static int copy(struct fixture *f, struct store_migrate_report *rep, struct ok_error *err)
{
	int rc;

	ok_error_clear(err);
	assert_int_equal(store_begin(f->from, err), 0);
	assert_int_equal(store_begin(f->to, err), 0);
	rc = store_migrate_copy(f->from, f->to, NULL, NULL, rep, err);
	if (rc)
		fprintf(stderr, "store_migrate_copy: %s\n", err->message);
	if (!rc)
		assert_int_equal(store_commit(f->to, err), 0);
	store_rollback(f->to);
	store_rollback(f->from);
	return rc;
}

static long long on_target(struct fixture *f, const char *sql)
{
	return pg_test_int(f->conninfo, sql);
}

static void values_cross_unchanged(void **state)
{
	struct fixture *f = *state;
	struct store_migrate_report rep;
	struct ok_error err;

	if (!pg_test_base())
		skip();
	assert_int_equal(copy(f, &rep, &err), 0);
	assert_int_equal(rep.rows, 1 + 1 + 1 + 1 + 2);
	assert_string_equal(rep.tables[0].name, "meta");
	assert_int_equal(on_target(f, "SELECT count(*) FROM meta WHERE value = "
	                              "E'tab\\there\\nline\\\\back\\rcr \xc3\xa9\xe2\x82\xac'"),
	                 1);
	assert_int_equal(on_target(f, "SELECT count(*) FROM learner WHERE national_id = ''::bytea"
	                              " AND given_names = '\\x00ff5c0a09'::bytea"
	                              " AND family_name = '\\x5c78'::bytea AND key_id = 1"),
	                 1);
	/* share_view's n is SQLite's rowid (1 and 3: the gap kept), and the next is 4. */
	assert_int_equal(on_target(f, "SELECT sum(n) FROM share_view"), 4);
	assert_int_equal(on_target(f, "INSERT INTO share_view (share_id, at_ms) VALUES ('s1', 13)"
	                              " RETURNING n"),
	                 4);
	assert_int_equal(on_target(f, "INSERT INTO identity_change (id, learner_id, actor, "
	                              "purpose, fields, at_ms, key_id, sealed) VALUES ('c1', 'l1',"
	                              " 'operator', 'x', 'x', 1, 1, '') RETURNING n"),
	                 1);
}

static void a_target_with_records_is_refused(void **state)
{
	struct fixture *f = *state;
	struct store_migrate_report rep;
	struct ok_error err;

	if (!pg_test_base())
		skip();
	assert_int_equal(copy(f, &rep, &err), 0);
	assert_int_equal(copy(f, &rep, &err), OK_EEXIST);
	assert_non_null(strstr(err.message, "meta (1 rows)"));
	assert_non_null(strstr(err.message, "learner (1 rows)"));
	assert_int_equal(on_target(f, "SELECT count(*) FROM share_view"), 2);
}

static void an_unknown_table_or_column_stops_the_copy(void **state)
{
	struct fixture *f = *state;
	struct store_migrate_report rep;
	struct ok_error err;

	if (!pg_test_base())
		skip();
	sqlite_run(f->path, "CREATE TABLE extra (x INTEGER)");
	assert_int_equal(copy(f, &rep, &err), OK_EUNSUPPORTED);
	assert_non_null(strstr(err.message, "\"extra\""));
	sqlite_run(f->path, "DROP TABLE extra; ALTER TABLE share ADD COLUMN note TEXT");
	assert_int_equal(copy(f, &rep, &err), OK_EUNSUPPORTED);
	assert_non_null(strstr(err.message, "share has a column \"note\""));
	sqlite_run(f->path, "ALTER TABLE share DROP COLUMN note");
	assert_int_equal(pg_test_exec(f->conninfo, "ALTER TABLE meta ADD COLUMN note TEXT"), 0);
	assert_int_equal(copy(f, &rep, &err), OK_EUNSUPPORTED);
	assert_non_null(strstr(err.message, "PostgreSQL table meta has a column \"note\""));
	assert_int_equal(on_target(f, "SELECT count(*) FROM learner"), 0);
}

static void a_value_of_the_wrong_type_rolls_back(void **state)
{
	struct fixture *f = *state;
	struct store_migrate_report rep;
	struct ok_error err;

	if (!pg_test_base())
		skip();
	sqlite_run(f->path, "INSERT INTO institution VALUES ('25BE', 'B', 'NL', '', '', 'soon')");
	assert_int_equal(copy(f, &rep, &err), OK_EINPUT);
	assert_non_null(strstr(err.message, "institution row 2 column created_ms"));
	assert_null(strstr(err.message, "soon"));
	assert_int_equal(on_target(f, "SELECT count(*) FROM meta"), 0);
	assert_int_equal(on_target(f, "SELECT count(*) FROM institution"), 0);
}

/* Review 16b: text SQLite holds but PostgreSQL refuses is named by table, row and column (and
 * not quoted), instead of PostgreSQL's "invalid data" naming nothing. */
static void text_that_is_not_utf8_is_named(void **state)
{
	struct fixture *f = *state;
	struct store_migrate_report rep;
	struct ok_error err;

	if (!pg_test_base())
		skip();
	sqlite_run(f->path, "INSERT INTO institution VALUES ('25BE', 'SECRET' || x'ff', 'NL', '', "
	                    "'', 2)");
	assert_int_equal(copy(f, &rep, &err), OK_EINPUT);
	assert_non_null(
	        strstr(err.message, "institution row 2 column name: text that is not UTF-8"));
	assert_null(strstr(err.message, "SECRET"));
	assert_int_equal(on_target(f, "SELECT count(*) FROM institution"), 0);
}

/* A column name made by whoever owns the target reaches the message without control bytes. */
static void a_hostile_column_name_is_printed_filtered(void **state)
{
	struct fixture *f = *state;
	struct store_migrate_report rep;
	struct ok_error err;

	if (!pg_test_base())
		skip();
	assert_int_equal(
	        pg_test_exec(f->conninfo, "ALTER TABLE meta ADD COLUMN U&\"x\\001B[2Jy\" TEXT"), 0);
	assert_int_equal(copy(f, &rep, &err), OK_EUNSUPPORTED);
	assert_non_null(strstr(err.message, "has a column \"x?[2Jy\""));
	assert_null(strchr(err.message, 0x1b));
}

/* After the marker commits, every write transaction of the SQLite store is refused, naming the
 * time; unmarking takes writes again. No PostgreSQL needed. */
static void a_marked_store_refuses_writes(void **state)
{
	char dir[] = "/tmp/ok-moved-test-XXXXXX", path[64];
	struct store *s = NULL, *other = NULL;
	struct ok_error err;
	int64_t n;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/test.db", dir);
	ok_error_clear(&err);
	assert_int_equal(store_sqlite_open(&s, path, true, &err), 0);
	assert_int_equal(store_sqlite_open(&other, path, false, &err), 0);
	assert_int_equal(store_migrate_mark(s, "2026-12-06T00:00:00Z", &err), OK_EINTERNAL);
	assert_int_equal(store_begin(s, &err), 0);
	assert_int_equal(store_migrate_mark(s, "2026-12-06T00:00:00Z", &err), 0);
	assert_int_equal(store_commit(s, &err), 0);
	assert_int_equal(store_begin(other, &err), OK_EMOVED);
	assert_non_null(strstr(err.message, "moved to PostgreSQL on 2026-12-06T00:00:00Z"));
	assert_false(store_in_transaction(other));
	assert_int_equal(store_achievement_count(other, &n, &err), OK_EMOVED);
	assert_int_equal(store_begin(s, &err), OK_EMOVED);
	assert_int_equal(store_migrate_unmark(s, &err), 0);
	assert_int_equal(store_begin(other, &err), 0);
	assert_int_equal(store_commit(other, &err), 0);
	assert_int_equal(store_achievement_count(other, &n, &err), 0);
	store_close(other);
	store_close(s);
	snprintf(path, sizeof(path), "%s/test.db", dir);
	unlink(path);
	rmdir(dir);
}

static void only_sqlite_into_postgresql(void **state)
{
	struct fixture *f = *state;
	struct store_migrate_report rep;
	struct ok_error err;

	if (!pg_test_base())
		skip();
	ok_error_clear(&err);
	assert_int_equal(store_begin(f->to, &err), 0);
	assert_int_equal(store_migrate_copy(f->to, f->to, NULL, NULL, &rep, &err), OK_EUNSUPPORTED);
	store_rollback(f->to);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test_setup_teardown(values_cross_unchanged, setup, teardown),
	        cmocka_unit_test_setup_teardown(a_target_with_records_is_refused, setup, teardown),
	        cmocka_unit_test_setup_teardown(an_unknown_table_or_column_stops_the_copy, setup,
	                                        teardown),
	        cmocka_unit_test_setup_teardown(a_value_of_the_wrong_type_rolls_back, setup,
	                                        teardown),
	        cmocka_unit_test_setup_teardown(text_that_is_not_utf8_is_named, setup, teardown),
	        cmocka_unit_test_setup_teardown(a_hostile_column_name_is_printed_filtered, setup,
	                                        teardown),
	        cmocka_unit_test(a_marked_store_refuses_writes),
	        cmocka_unit_test_setup_teardown(only_sqlite_into_postgresql, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
