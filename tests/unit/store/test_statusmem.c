/* Unit tests of the SQLite store's status answers from memory (store_sqlite_statusmem.c): two
 * store handles and a plain SQLite connection on one database file; whatever one commits, the
 * other's next answer says, memory or read, across a WAL checkpoint and reset; a set past the
 * cap and a database without WAL read every time. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <ftw.h>
#include <pthread.h>
#include <sched.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/error.h"
#include "store/store.h"

struct fixture {
	char dir[64];
	char path[512];
	struct store *a; /* writes */
	struct store *b; /* verifies */
	sqlite3 *raw;    /* another connection, as another process would have */
};

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static void must(int rc, const struct ok_error *err, const char *what)
{
	if (rc)
		fail_msg("%s: %d %s", what, rc, err->message);
}

static void raw_exec(sqlite3 *db, const char *sql)
{
	char *msg = NULL;

	if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK) {
		fail_msg("%s: %s", sql, msg ? msg : "?");
	}
}

static void add_achievement(struct store *s, const char *id, int64_t index, const char *status,
                            bool update)
{
	struct store_achievement a;
	struct ok_error err;

	memset(&a, 0, sizeof(a));
	snprintf(a.id, sizeof(a.id), "%s", id);
	snprintf(a.learner_id, sizeof(a.learner_id), "L1");
	snprintf(a.institution, sizeof(a.institution), "21PB");
	snprintf(a.record_id, sizeof(a.record_id), "R-%s", id);
	snprintf(a.kind, sizeof(a.kind), "course");
	snprintf(a.title, sizeof(a.title), "Statistiek");
	snprintf(a.programme_code, sizeof(a.programme_code), "ST");
	snprintf(a.grade, sizeof(a.grade), "8");
	snprintf(a.grading_scheme, sizeof(a.grading_scheme), "NL 1-10");
	snprintf(a.awarded_on, sizeof(a.awarded_on), "2024-06-30");
	snprintf(a.language, sizeof(a.language), "nl");
	snprintf(a.status, sizeof(a.status), "%s", status);
	a.status_list = 1;
	a.status_index = index;
	memset(a.digest, 0xab, sizeof(a.digest));
	a.version = 1;
	if (update) {
		struct store_achievement cur;

		must(store_achievement_get(s, id, &cur, &err), &err, "achievement_get");
		a.version = cur.version + 1;
	}
	a.created_ms = a.updated_ms = 5000;
	must(store_achievement_put(s, &a, update, "op", "", &err), &err, "achievement_put");
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	struct store_institution i;
	struct store_learner l;
	struct ok_error err;

	if (!f)
		return -1;
	snprintf(f->dir, sizeof(f->dir), "/tmp/ok-statusmem-XXXXXX");
	if (!mkdtemp(f->dir))
		return -1;
	snprintf(f->path, sizeof(f->path), "%s/test.db", f->dir);
	if (store_sqlite_open(&f->a, f->path, true, &err) != 0 ||
	    store_sqlite_open(&f->b, f->path, false, &err) != 0 ||
	    sqlite3_open(f->path, &f->raw) != SQLITE_OK)
		return -1;
	sqlite3_busy_timeout(f->raw, 10000);
	memset(&i, 0, sizeof(i));
	snprintf(i.code, sizeof(i.code), "21PB");
	snprintf(i.name, sizeof(i.name), "Hogeschool 21PB");
	snprintf(i.country, sizeof(i.country), "NL");
	if (store_institution_add(f->a, &i, &err) != 0)
		return -1;
	store_learner_init(&l);
	snprintf(l.id, sizeof(l.id), "L1");
	l.key_id = 1;
	if (buf_add(&l.national_id, "x", 1) || store_learner_put(f->a, &l, false, &err) != 0)
		return -1;
	store_learner_release(&l);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	sqlite3_close(f->raw);
	store_close(f->b);
	store_close(f->a);
	nftw(f->dir, remove_entry, 8, FTW_DEPTH | FTW_PHYS);
	free(f);
	return 0;
}

/* A verification's answer for credential id, as registry/verify.c takes it: from memory when
 * the store can, else read. "" when not recorded. *mem: whether memory answered. */
static void credential_answer(struct store *s, const char *id, char out[STORE_STATUS_MAX],
                              bool *mem)
{
	struct store_credential_status cs;
	struct ok_error err;
	int rc;

	*mem = store_credential_status_mem(s, id, &cs);
	if (!*mem) {
		rc = store_credential_status(s, id, &cs, &err);
		if (rc == OK_ENOTFOUND)
			cs.status[0] = '\0';
		else
			must(rc, &err, "credential_status");
	} else if (cs.status[0]) {
		/* From memory, revoked or suspended: the slot is the achievement's, as read. */
		struct store_credential_status rd;

		must(store_credential_status(s, id, &rd, &err), &err, "credential_status");
		assert_int_equal(cs.status_list, rd.status_list);
		assert_int_equal(cs.status_index, rd.status_index);
	}
	/* Active reads as neither, as memory says it. */
	if (strcmp(cs.status, "revoked") != 0 && strcmp(cs.status, "suspended") != 0)
		cs.status[0] = '\0';
	memcpy(out, cs.status, STORE_STATUS_MAX);
}

static void slot_answer(struct store *s, int64_t index, char out[STORE_STATUS_MAX], bool *mem)
{
	struct ok_error err;
	int rc;

	*mem = store_slot_status_mem(s, 1, index, out);
	if (!*mem) {
		rc = store_slot_status(s, 1, index, out, &err);
		if (rc == OK_ENOTFOUND)
			out[0] = '\0';
		else
			must(rc, &err, "slot_status");
	}
	if (strcmp(out, "revoked") != 0 && strcmp(out, "suspended") != 0)
		out[0] = '\0';
}

/* Checks with the header unchanged before memory answers: at most as many as the last load
 * read rows (its need), plus the check that notes the header and the load's. */
#define SETTLE_CHECKS 4096

/* The answer for id is want at once (the first check after a commit) and at every check
 * after, and from memory once the header stayed unchanged long enough. */
static void expect_credential(struct store *s, const char *id, const char *want)
{
	char got[STORE_STATUS_MAX];
	bool mem = false;
	int i;

	for (i = 0; i < 3 || (!mem && i < SETTLE_CHECKS); i++) {
		credential_answer(s, id, got, &mem);
		assert_string_equal(got, want);
	}
	assert_true(mem);
}

static void expect_slot(struct store *s, int64_t index, const char *want)
{
	char got[STORE_STATUS_MAX];
	bool mem = false;
	int i;

	for (i = 0; i < 3 || (!mem && i < SETTLE_CHECKS); i++) {
		slot_answer(s, index, got, &mem);
		assert_string_equal(got, want);
	}
	assert_true(mem);
}

/* Every change, by the other store handle or by another connection, is answered by the next
 * check; a checkpoint that resets the WAL in between changes nothing of that. */
static void other_handle_commits_seen_at_once(void **state)
{
	struct fixture *f = *state;
	struct ok_error err;

	add_achievement(f->a, "A1", 5, "active", false);
	add_achievement(f->a, "A2", 6, "active", false);
	must(store_credential_issued_add(f->a, "urn:uuid:c1", "A1", 1, &err), &err, "issued");
	must(store_credential_issued_add(f->a, "urn:uuid:c2", "A2", 1, &err), &err, "issued");
	expect_credential(f->b, "urn:uuid:c1", "");
	expect_credential(f->b, "urn:uuid:nobody", "");
	expect_slot(f->b, 5, "");

	/* Revoked by the other handle: the very next answer says so. */
	add_achievement(f->a, "A1", 5, "revoked", true);
	expect_credential(f->b, "urn:uuid:c1", "revoked");
	expect_slot(f->b, 5, "revoked");
	expect_credential(f->b, "urn:uuid:c2", "");
	expect_slot(f->b, 6, "");
	/* Suspended, then reinstated. */
	add_achievement(f->a, "A2", 6, "suspended", true);
	expect_credential(f->b, "urn:uuid:c2", "suspended");
	expect_slot(f->b, 6, "suspended");
	add_achievement(f->a, "A2", 6, "active", true);
	expect_credential(f->b, "urn:uuid:c2", "");
	expect_slot(f->b, 6, "");
	/* A credential issued later for a revoked achievement. */
	must(store_credential_issued_add(f->a, "urn:uuid:c3", "A1", 2, &err), &err, "issued");
	expect_credential(f->b, "urn:uuid:c3", "revoked");

	/* Another connection (another process): a checkpoint that empties the WAL, then writes
	 * in a new WAL (new salts). */
	raw_exec(f->raw, "PRAGMA wal_checkpoint(TRUNCATE)");
	expect_credential(f->b, "urn:uuid:c1", "revoked");
	raw_exec(f->raw, "UPDATE achievement SET status = 'active' WHERE id = 'A1'");
	expect_credential(f->b, "urn:uuid:c1", "");
	expect_credential(f->b, "urn:uuid:c3", "");
	expect_slot(f->b, 5, "");
	raw_exec(f->raw, "PRAGMA wal_checkpoint(RESTART)");
	raw_exec(f->raw, "UPDATE achievement SET status = 'suspended' WHERE id = 'A1'");
	expect_credential(f->b, "urn:uuid:c1", "suspended");
	/* A VC-API credential's slot. */
	raw_exec(f->raw, "INSERT INTO vc_status (id, institution, key_id, status_list, "
	                 "status_index, status, created_ms, updated_ms) VALUES "
	                 "('urn:uuid:v1', '21PB', 'k', 1, 9, 'revoked', 1, 1)");
	expect_slot(f->b, 9, "revoked");
	expect_slot(f->b, 10, "");
	/* The writer's own handle sees its own commits the same way. */
	add_achievement(f->a, "A1", 5, "revoked", true);
	expect_credential(f->a, "urn:uuid:c1", "revoked");
	expect_credential(f->b, "urn:uuid:c1", "revoked");
}

/* A commit that lands after memory answered is seen by the very next check, never later. */
static void first_check_after_commit_never_stale(void **state)
{
	struct fixture *f = *state;
	struct store_credential_status cs;
	struct ok_error err;
	int i;

	add_achievement(f->a, "A1", 5, "active", false);
	must(store_credential_issued_add(f->a, "urn:uuid:c1", "A1", 1, &err), &err, "issued");
	for (i = 0; i < 20; i++) {
		bool revoke = i % 2 == 0;
		char got[STORE_STATUS_MAX];
		bool mem;

		expect_credential(f->b, "urn:uuid:c1", revoke ? "" : "revoked");
		add_achievement(f->a, "A1", 5, revoke ? "revoked" : "active", true);
		credential_answer(f->b, "urn:uuid:c1", got, &mem);
		assert_string_equal(got, revoke ? "revoked" : "");
	}
	/* Inside a transaction the handle reads (its own writes are not committed yet). */
	must(store_begin(f->b, &err), &err, "begin");
	assert_false(store_credential_status_mem(f->b, "urn:uuid:c1", &cs));
	assert_int_equal(store_rollback(f->b), 0);
}

/* A request's read snapshot (store_read_begin): memory answers inside it, and a set is never
 * loaded from a snapshot older than the header it is kept for. */
static void read_snapshot(void **state)
{
	struct fixture *f = *state;
	struct store_credential_status cs;
	struct ok_error err;
	char got[STORE_STATUS_MAX];
	bool mem;
	int i;

	add_achievement(f->a, "A1", 5, "active", false);
	must(store_credential_issued_add(f->a, "urn:uuid:c1", "A1", 1, &err), &err, "issued");
	expect_credential(f->b, "urn:uuid:c1", "");
	must(store_read_begin(f->b, &err), &err, "read_begin");
	expect_credential(f->b, "urn:uuid:c1", "");
	/* A read: the snapshot is taken now. */
	must(store_credential_status(f->b, "urn:uuid:c1", &cs, &err), &err, "credential_status");
	/* Committed while b's snapshot is open: b may answer from its snapshot until it ends. */
	add_achievement(f->a, "A1", 5, "revoked", true);
	for (i = 0; i < 3; i++)
		credential_answer(f->b, "urn:uuid:c1", got, &mem);
	store_read_end(f->b);
	credential_answer(f->b, "urn:uuid:c1", got, &mem);
	assert_string_equal(got, "revoked");
	expect_credential(f->b, "urn:uuid:c1", "revoked");
	/* A snapshot begun after the commit: the set is loaded inside it. */
	add_achievement(f->a, "A2", 6, "suspended", false);
	must(store_credential_issued_add(f->a, "urn:uuid:c2", "A2", 1, &err), &err, "issued");
	must(store_read_begin(f->b, &err), &err, "read_begin");
	credential_answer(f->b, "urn:uuid:c2", got, &mem);
	assert_string_equal(got, "suspended");
	expect_credential(f->b, "urn:uuid:c2", "suspended");
	expect_credential(f->b, "urn:uuid:c1", "revoked");
	store_read_end(f->b);
}

/* A writer thread that revokes one achievement after another on its handle, counting each
 * revocation once its commit returned (and going on once the reader has checked it); the
 * reader, on its own handle, checks that the last one counted before its check began is
 * answered revoked (from memory or read), never active. */
#define RACE_N 200

struct race {
	struct store *a;
	int commits; /* revocations returned: A1..A<commits> are revoked (atomic) */
	int checked; /* the reader has checked A<checked> (atomic): the writer waits for it */
};

static void *race_writer(void *arg)
{
	struct race *r = arg;
	char id[16];
	int i;

	for (i = 1; i <= RACE_N; i++) {
		snprintf(id, sizeof(id), "A%d", i);
		add_achievement(r->a, id, i, "revoked", true);
		__atomic_store_n(&r->commits, i, __ATOMIC_RELEASE);
		/* Each revocation is checked at least once, while the next one is being made. */
		while (__atomic_load_n(&r->checked, __ATOMIC_ACQUIRE) < i)
			sched_yield();
	}
	return NULL;
}

static void concurrent_writer_never_stale(void **state)
{
	struct fixture *f = *state;
	struct race r = {.a = f->a};
	struct ok_error err;
	pthread_t writer;
	char id[16], cred[32], got[STORE_STATUS_MAX];
	long checks = 0, from_memory = 0, distinct = 0;
	int last = -1;
	bool mem;
	int i, before, stale = 0;

	for (i = 1; i <= RACE_N + 1; i++) {
		snprintf(id, sizeof(id), "A%d", i);
		snprintf(cred, sizeof(cred), "urn:uuid:c%d", i);
		add_achievement(f->a, id, i, "active", false);
		must(store_credential_issued_add(f->a, cred, id, 1, &err), &err, "issued");
	}
	assert_int_equal(pthread_create(&writer, NULL, race_writer, &r), 0);
	do {
		before = __atomic_load_n(&r.commits, __ATOMIC_ACQUIRE);
		if (before == 0)
			continue;
		snprintf(cred, sizeof(cred), "urn:uuid:c%d", before);
		credential_answer(f->b, cred, got, &mem);
		if (strcmp(got, "revoked") != 0) {
			stale = before;
			break;
		}
		checks++;
		from_memory += mem;
		distinct += before != last;
		last = before;
		__atomic_store_n(&r.checked, before, __ATOMIC_RELEASE);
	} while (before < RACE_N);
	/* The writer goes on to its end either way, then the answer is judged. */
	__atomic_store_n(&r.checked, RACE_N, __ATOMIC_RELEASE);
	assert_int_equal(pthread_join(writer, NULL), 0);
	if (stale)
		fail_msg("urn:uuid:c%d answered active after its revocation returned", stale);
	/* Never revoked. */
	snprintf(cred, sizeof(cred), "urn:uuid:c%d", RACE_N + 1);
	expect_credential(f->b, cred, "");
	print_message("%ld checks during %d revocations (%ld seen apart), %ld from memory\n",
	              checks, RACE_N, distinct, from_memory);
}

/* A set of many rows is not loaded again at every commit (review s14, finding 1): after a
 * commit that changes no status, the checks read (and answer right) until the header has
 * stayed unchanged for as many checks as the last load read rows; only then memory answers. */
static void many_rows_load_once_per_that_many_checks(void **state)
{
	struct fixture *f = *state;
	char st[STORE_STATUS_MAX];
	struct ok_error err;
	int i, rows = 1000;

	raw_exec(f->raw, "WITH RECURSIVE n(i) AS (SELECT 100 UNION ALL SELECT i + 1 FROM n "
	                 "WHERE i < 1099) INSERT INTO vc_status (id, institution, key_id, "
	                 "status_list, status_index, status, created_ms, updated_ms) SELECT "
	                 "'urn:uuid:v' || i, '21PB', 'k', 1, i, 'revoked', 1, 1 FROM n");
	/* The first load waits for no count (none read before): two checks. */
	assert_false(store_slot_status_mem(f->b, 1, 100, st));
	assert_true(store_slot_status_mem(f->b, 1, 100, st));
	assert_string_equal(st, "revoked");
	/* A commit that changes no status (as a rate-limit count or an audit event is). */
	must(store_meta_set(f->a, "k", "v", &err), &err, "meta_set");
	for (i = 0; i < rows; i++) {
		assert_false(store_slot_status_mem(f->b, 1, 100 + i % rows, st));
		assert_int_equal(store_slot_status(f->b, 1, 100 + i % rows, st, &err), 0);
		assert_string_equal(st, "revoked");
	}
	assert_true(store_slot_status_mem(f->b, 1, 1099, st));
	assert_string_equal(st, "revoked");
	assert_true(store_slot_status_mem(f->b, 1, 1100, st));
	assert_string_equal(st, "");
}

/* More revoked records than the set holds: every answer is read, and still right. */
static void past_the_cap_reads(void **state)
{
	struct fixture *f = *state;
	struct store_credential_status cs;
	char st[STORE_STATUS_MAX];
	struct ok_error err;
	int i;

	add_achievement(f->a, "A1", 5, "revoked", false);
	must(store_credential_issued_add(f->a, "urn:uuid:c1", "A1", 1, &err), &err, "issued");
	raw_exec(f->raw, "WITH RECURSIVE n(i) AS (SELECT 100 UNION ALL SELECT i + 1 FROM n "
	                 "WHERE i < 100 + 65536) INSERT INTO vc_status (id, institution, key_id, "
	                 "status_list, status_index, status, created_ms, updated_ms) SELECT "
	                 "'urn:uuid:v' || i, '21PB', 'k', 1, i, 'revoked', 1, 1 FROM n");
	for (i = 0; i < 4; i++) {
		assert_false(store_credential_status_mem(f->b, "urn:uuid:c1", &cs));
		assert_false(store_slot_status_mem(f->b, 1, 5, st));
	}
	assert_int_equal(store_credential_status(f->b, "urn:uuid:c1", &cs, &err), 0);
	assert_string_equal(cs.status, "revoked");
	/* Below the cap again: memory answers once the skipped checks are over (4096 of them). */
	raw_exec(f->raw, "DELETE FROM vc_status");
	for (i = 0; i < 4200 && !store_slot_status_mem(f->b, 1, 5, st); i++)
		;
	assert_true(i < 4200);
	expect_credential(f->b, "urn:uuid:c1", "revoked");
	expect_slot(f->b, 200, "");
}

/* A database in memory has no WAL: never answered from memory. */
static void no_wal_reads(void **state)
{
	struct store *s;
	struct store_credential_status cs;
	char st[STORE_STATUS_MAX];
	struct ok_error err;
	int i;

	(void)state;
	assert_int_equal(store_sqlite_open(&s, ":memory:", true, &err), 0);
	for (i = 0; i < 3; i++) {
		assert_false(store_credential_status_mem(s, "urn:uuid:c1", &cs));
		assert_false(store_slot_status_mem(s, 1, 5, st));
	}
	assert_int_equal(store_credential_status(s, "urn:uuid:c1", &cs, &err), OK_ENOTFOUND);
	store_close(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test_setup_teardown(other_handle_commits_seen_at_once, setup, teardown),
	        cmocka_unit_test_setup_teardown(first_check_after_commit_never_stale, setup,
	                                        teardown),
	        cmocka_unit_test_setup_teardown(read_snapshot, setup, teardown),
	        cmocka_unit_test_setup_teardown(concurrent_writer_never_stale, setup, teardown),
	        cmocka_unit_test_setup_teardown(many_rows_load_once_per_that_many_checks, setup,
	                                        teardown),
	        cmocka_unit_test_setup_teardown(past_the_cap_reads, setup, teardown),
	        cmocka_unit_test(no_wal_reads),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
