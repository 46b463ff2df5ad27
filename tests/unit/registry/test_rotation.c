/* Unit tests for key rotation: a data-key rotation done in steps, read meanwhile by a depository
 * opened before it (which follows data.key on its own), an import in the middle, the old key
 * opening nothing afterwards; issuer keys added, listed in the DID document and retired. */
#include "registry_test.h"

#include "registry/credential.h"
#include "registry/rotation.h"

#define LEARNERS 20

static void csv_of(char *out, size_t cap, int from, int to, const char *title)
{
	size_t used = (size_t)snprintf(out, cap, "%s", REG_CSV_HEADER);
	int i;

	for (i = from; i < to; i++)
		used += (size_t)snprintf(
		        out + used, cap - used,
		        "%s-%d,KT%07d,Given%d,Family%d,2000-01-02,course,%s %d,,,5,"
		        "7,NL 1-10,2021-01-01,en\n",
		        title, i, i, i, i, title, i);
	assert_true(used < cap);
}

static int setup_on(void **state, bool pg)
{
	static char csv[16384];
	struct reg_fixture *f;

	if (pg ? reg_setup_pg(state) : reg_setup(state))
		return -1;
	f = *state;
	csv_of(csv, sizeof(csv), 0, LEARNERS, "Course");
	reg_import_expect(f, csv, LEARNERS, 0, 0, 0);
	return 0;
}

static int setup(void **state)
{
	return setup_on(state, false);
}

static int setup_pg(void **state)
{
	return setup_on(state, true);
}

/* Reads learner i by national id through d and checks the names. */
static int read_nid(struct depository *d, int i, struct ok_error *err)
{
	struct learner_view v;
	char nid[32], given[32];
	int rc;

	snprintf(nid, sizeof(nid), "KT%07d", i);
	rc = registry_learner_read(d, nid, NULL, "operator", "test", &v, err);
	if (rc)
		return rc;
	snprintf(given, sizeof(given), "Given%d", i);
	assert_string_equal(v.data.given_names, given);
	assert_string_equal(v.data.national_id, nid);
	return 0;
}

static long long under(struct reg_fixture *f, int key)
{
	char sql[96];

	snprintf(sql, sizeof(sql), "SELECT count(*) FROM learner WHERE key_id = %d", key);
	return reg_sql_int(f, sql);
}

static void rotation_in_steps_is_followed_by_a_depository_opened_before(void **state)
{
	struct reg_fixture *f = *state;
	struct keys_rotate_options o = {.batch = 6, .max_batches = 1};
	struct keys_progress p;
	struct depository stale;
	struct ok_error err;
	char csv[4096];
	int i;

	assert_int_equal(depository_open(&stale, f->dir, &err), 0);
	assert_int_equal(stale.data_keys.count, 1);

	assert_int_equal(registry_keys_rotate_data(&f->d, &o, &p, &err), 0);
	assert_false(p.finished);
	assert_int_equal(p.to_key, 2);
	assert_int_equal(p.done, 6);
	assert_int_equal(p.total, LEARNERS);
	assert_int_equal(p.batches, 1);
	assert_int_equal(under(f, 2), 6);
	assert_int_equal(f->d.keys.key_id, 2);
	assert_int_equal(f->d.data_keys.count, 2);

	/* Opened before: finds and opens learners under either key, reading data.key again. */
	for (i = 0; i < LEARNERS; i++)
		if (read_nid(&stale, i, &err) != 0)
			fail_msg("learner %d: %s", i, err.message);
	assert_int_equal(stale.data_keys.count, 2);
	assert_int_equal(stale.keys.key_id, 2);

	/* An import meanwhile: no learner twice; the ones it touches move to the new key. */
	csv_of(csv, sizeof(csv), 0, LEARNERS, "Course");
	reg_import_expect(f, csv, 0, 0, LEARNERS, 0);
	assert_int_equal(reg_sql_int(f, "SELECT count(*) FROM learner"), LEARNERS);
	assert_int_equal(under(f, 2), LEARNERS);
	csv_of(csv, sizeof(csv), 0, 3, "Extra");
	reg_import_expect(f, csv, 3, 0, 0, 0);

	/* Finishing: the progress says so, the old key leaves data.key. */
	o.max_batches = 0;
	assert_int_equal(registry_keys_rotate_data(&f->d, &o, &p, &err), 0);
	assert_true(p.finished);
	assert_true(p.resumed);
	assert_int_equal(p.done, p.total);
	assert_int_equal(f->d.data_keys.count, 1);
	assert_int_equal(registry_keys_data_progress(&f->d, &p, &err), 0);
	assert_true(p.finished);
	for (i = 0; i < LEARNERS; i++)
		if (read_nid(&stale, i, &err) != 0)
			fail_msg("learner %d after: %s", i, err.message);
	/* The stale depository re-read data.key: key 1 is gone there too. */
	assert_null(depository_data_key(&stale, 1, &err));
	assert_int_equal(err.code, OK_ECRYPTO);
	assert_non_null(depository_data_key(&stale, 2, &err));
	depository_close(&stale);
	assert_int_equal(reg_sql_int(f, "SELECT count(*) FROM audit_event WHERE action = "
	                                "'key.data.rotate.finish'"),
	                 1);
}

static void the_old_key_file_opens_nothing(void **state)
{
	struct reg_fixture *f = *state;
	struct keys_progress p;
	struct learner_view v;
	struct ok_error err;
	char path[160], id[STORE_ID_MAX + 1];
	FILE *fp;
	char old[256];
	size_t n;

	snprintf(path, sizeof(path), "%s/data.key", f->dir);
	fp = fopen(path, "r");
	assert_non_null(fp);
	n = fread(old, 1, sizeof(old), fp);
	fclose(fp);
	assert_int_equal(registry_learner_find_id(&f->d, "KT0000003", id, &err), 0);
	assert_int_equal(registry_keys_rotate_data(&f->d, NULL, &p, &err), 0);
	assert_true(p.finished);
	assert_int_equal(under(f, 2), LEARNERS);
	reg_fixture_close(f);
	fp = fopen(path, "w");
	assert_non_null(fp);
	assert_int_equal(fwrite(old, 1, n, fp), n);
	fclose(fp);
	reg_fixture_reopen(f);
	assert_int_equal(registry_learner_read(&f->d, NULL, id, "operator", "test", &v, &err),
	                 OK_ECRYPTO);
	assert_non_null(strstr(err.message, "data key 2"));
	assert_int_equal(v.data.given_names[0], '\0');
	assert_int_equal(
	        registry_learner_read(&f->d, "KT0000003", NULL, "operator", "test", &v, &err),
	        OK_ECRYPTO);
	assert_non_null(strstr(err.message, "data key 2"));
}

static void a_second_rotation_is_refused_while_one_holds_the_lock(void **state)
{
	struct reg_fixture *f = *state;
	struct keys_rotate_options o = {.batch = KEYS_MAX_BATCH + 1};
	struct keys_progress p;
	struct ok_error err;

	assert_int_equal(registry_keys_rotate_data(&f->d, &o, &p, &err), OK_EINPUT);
	assert_string_equal(err.field, "batch");
	assert_int_equal(under(f, 1), LEARNERS);
}

static int setup_web(void **state)
{
	struct reg_fixture *f = reg_fixture_new();
	struct ok_error err;

	if (!f)
		return -1;
	*state = f;
	if (depository_create(f->dir, "diplomas.example.org", &err) != 0 ||
	    depository_open(&f->d, f->dir, &err) != 0)
		return -1;
	f->open = true;
	return 0;
}

/* Another handle on the folder (another process, a server's thread) that looked at the key
 * files a moment ago, and so would not look again for DEPOSITORY_KEYS_LOOK_MS, still sees a
 * rotation and a retirement at its first refresh after the command returned: the command waits
 * out that interval (depository_keys_replaced). */
static void another_handle_sees_a_rotation_and_a_retirement_at_once(void **state)
{
	struct reg_fixture *f = *state;
	struct depository other;
	struct ok_error err;
	unsigned char pk[32];
	uint32_t id;

	assert_int_equal(depository_open(&other, f->dir, &err), 0);
	assert_int_equal(depository_issuer_keys_refresh(&other, &err), 0);
	assert_int_equal(other.issuer_key_id, 1);

	assert_int_equal(registry_keys_rotate_issuer(&f->d, &id, &err), 0);
	assert_int_equal(depository_issuer_keys_refresh(&other, &err), 0);
	assert_int_equal(other.issuer_key_id, 2);
	assert_true(depository_issuer_key_of_vm(&other, "did:web:diplomas.example.org#key-1", pk,
	                                        NULL));

	assert_int_equal(registry_keys_retire_issuer(&f->d, 1, true, NULL, &err), 0);
	assert_int_equal(depository_issuer_keys_refresh(&other, &err), 0);
	assert_false(depository_issuer_key_of_vm(&other, "did:web:diplomas.example.org#key-1", pk,
	                                         NULL));
	/* The data key's refresh too, through the other refresh function. */
	assert_int_equal(depository_keys_refresh(&other, &err), 0);
	assert_int_equal(other.issuer_key_count, 1);
	depository_close(&other);
}

static void issuer_keys_are_added_listed_and_retired(void **state)
{
	struct reg_fixture *f = *state;
	unsigned char pk1[32], pk[32], wrong[32] = {0};
	char vm[256];
	json_t *doc;
	struct ok_error err;
	uint32_t id, kid;
	int64_t active = -1, retired_ms;

	assert_int_equal(depository_issuer_vm(&f->d, 1, vm, &err), 0);
	assert_string_equal(vm, "did:web:diplomas.example.org#key-1");
	assert_string_equal(f->d.issuer_vm, vm);
	memcpy(pk1, f->d.issuer_pk, 32);

	assert_int_equal(registry_keys_rotate_issuer(&f->d, &id, &err), 0);
	assert_int_equal(id, 2);
	assert_int_equal(f->d.issuer_key_id, 2);
	assert_string_equal(f->d.issuer_vm, "did:web:diplomas.example.org#key-2");
	assert_memory_not_equal(f->d.issuer_pk, pk1, 32);
	assert_true(
	        depository_issuer_key_of_vm(&f->d, "did:web:diplomas.example.org#key-1", pk, &kid));
	assert_int_equal(kid, 1);
	assert_memory_equal(pk, pk1, 32);
	assert_false(depository_issuer_key_of_vm(&f->d, "did:web:other.example#key-1", pk, NULL));

	assert_int_equal(registry_did_document(&f->d, &doc, &err), 0);
	assert_int_equal(json_array_size(json_object_get(doc, "verificationMethod")), 2);
	assert_int_equal(json_array_size(json_object_get(doc, "assertionMethod")), 2);
	assert_string_equal(
	        json_string_value(json_array_get(json_object_get(doc, "assertionMethod"), 0)),
	        "did:web:diplomas.example.org#key-2");
	json_decref(doc);

	/* The current key cannot be retired; the old one signed nothing: no force needed. */
	assert_int_equal(registry_keys_retire_issuer(&f->d, 2, true, &active, &err), OK_ECONFLICT);
	assert_int_equal(registry_keys_retire_issuer(&f->d, 1, false, &active, &err), 0);
	assert_int_equal(active, 0);
	assert_false(
	        depository_issuer_key_of_vm(&f->d, "did:web:diplomas.example.org#key-1", pk, NULL));
	assert_int_equal(
	        registry_keys_retired_vm(&f->d, "did:web:diplomas.example.org#key-1", &retired_ms),
	        0);
	assert_true(retired_ms > 0);
	assert_int_equal(
	        registry_keys_retired_vm(&f->d, "did:web:diplomas.example.org#key-2", &retired_ms),
	        OK_ENOTFOUND);
	/* Still known as ours, for signatures made before (audit checkpoints). */
	assert_true(registry_keys_issuer_known(&f->d, 1, pk1, &retired_ms));
	assert_true(retired_ms > 0);
	assert_false(registry_keys_issuer_known(&f->d, 1, wrong, NULL));
	assert_true(registry_keys_issuer_known(&f->d, 2, f->d.issuer_pk, &retired_ms));
	assert_int_equal(retired_ms, 0);
	assert_int_equal(registry_keys_retire_issuer(&f->d, 1, true, NULL, &err), OK_ENOTFOUND);
	assert_non_null(strstr(err.message, "retired already"));

	/* A new key never takes a retired key's id. */
	assert_int_equal(registry_keys_rotate_issuer(&f->d, &id, &err), 0);
	assert_int_equal(id, 3);
	assert_int_equal(reg_sql_int(f, "SELECT count(*) FROM audit_event WHERE action LIKE "
	                                "'key.issuer.%'"),
	                 3);
}

/* What `keys status` and `keys rotate-issuer-key` print comes whole from the registry. */
static void the_status_names_each_key(void **state)
{
	struct reg_fixture *f = *state;
	struct keys_rotate_options o = {0};
	struct keys_progress p;
	struct keys_status s;
	struct ok_error err;
	char vm[256];
	uint32_t id;

	ok_error_clear(&err);
	assert_int_equal(registry_keys_status(&f->d, &s, &err), 0);
	assert_string_equal(s.did, "did:web:diplomas.example.org");
	assert_false(s.rotated);
	assert_int_equal(s.data_count, 1);
	assert_true(s.data[0].current);
	assert_true(s.data[0].in_file);
	assert_int_equal(s.issuer_count, 1);
	assert_string_equal(s.issuer[0].vm, "did:web:diplomas.example.org#key-1");
	assert_int_equal(strncmp(s.issuer[0].multikey, "z6Mk", 4), 0);
	assert_true(s.issuer[0].current);
	keys_status_release(&s);
	assert_null(s.data);
	assert_null(s.issuer);

	assert_int_equal(registry_keys_rotate_issuer_vm(&f->d, &id, vm, &err), 0);
	assert_int_equal(id, 2);
	assert_string_equal(vm, "did:web:diplomas.example.org#key-2");
	assert_int_equal(registry_keys_retire_issuer(&f->d, 1, false, NULL, &err), 0);
	assert_int_equal(registry_keys_rotate_data(&f->d, &o, &p, &err), 0);

	assert_int_equal(registry_keys_status(&f->d, &s, &err), 0);
	assert_true(s.rotated);
	assert_true(s.rotation.finished);
	assert_int_equal(s.rotation.to_key, 2);
	assert_int_equal(s.data_count, 1);
	assert_int_equal(s.data[0].key_id, 2);
	assert_int_equal(s.issuer_count, 2);
	/* A retired key is out of the DID document: shown by its number, not signing. */
	assert_int_equal(s.issuer[0].key.key_id, 1);
	assert_string_equal(s.issuer[0].vm, "key-1");
	assert_false(s.issuer[0].current);
	assert_true(s.issuer[0].key.retired_ms > 0);
	assert_string_equal(s.issuer[1].vm, "did:web:diplomas.example.org#key-2");
	assert_true(s.issuer[1].current);
	assert_string_not_equal(s.issuer[0].multikey, s.issuer[1].multikey);
	keys_status_release(&s);
}

static void did_key_depositories_keep_their_one_key(void **state)
{
	struct reg_fixture *f = *state;
	struct ok_error err;
	uint32_t id;

	assert_int_equal(registry_keys_rotate_issuer(&f->d, &id, &err), OK_EUNSUPPORTED);
	assert_non_null(strstr(err.message, "did:key"));
}

static void key_ids_are_parsed_in_three_forms(void **state)
{
	struct ok_error err;
	uint32_t id;

	(void)state;
	assert_int_equal(registry_keys_parse_id("3", &id, &err), 0);
	assert_int_equal(id, 3);
	assert_int_equal(registry_keys_parse_id("key-12", &id, &err), 0);
	assert_int_equal(id, 12);
	assert_int_equal(registry_keys_parse_id("did:web:x.example#key-4", &id, &err), 0);
	assert_int_equal(id, 4);
	assert_int_equal(registry_keys_parse_id("key-", &id, &err), OK_EINPUT);
	assert_int_equal(registry_keys_parse_id("0", &id, &err), OK_EINPUT);
	assert_int_equal(registry_keys_parse_id("-1", &id, &err), OK_EINPUT);
	assert_int_equal(registry_keys_parse_id("4294967296", &id, &err), OK_EINPUT);
	assert_int_equal(registry_keys_parse_id("2x", &id, &err), OK_EINPUT);
	assert_string_equal(err.field, "key");
}

/* The data-key rotation's tests again with the records in PostgreSQL. */
/* clang-format off */
#define ROTATION_PG_TESTS                                                                        \
	{                                                                                        \
	        cmocka_unit_test_setup_teardown(                                                 \
	                rotation_in_steps_is_followed_by_a_depository_opened_before, setup_pg,   \
	                reg_teardown),                                                           \
	        cmocka_unit_test_setup_teardown(the_old_key_file_opens_nothing, setup_pg,        \
	                                        reg_teardown),                                   \
	        cmocka_unit_test_setup_teardown(                                                 \
	                a_second_rotation_is_refused_while_one_holds_the_lock, setup_pg,         \
	                reg_teardown),                                                           \
	}
/* clang-format on */

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test_setup_teardown(
	                rotation_in_steps_is_followed_by_a_depository_opened_before, setup,
	                reg_teardown),
	        cmocka_unit_test_setup_teardown(the_old_key_file_opens_nothing, setup,
	                                        reg_teardown),
	        cmocka_unit_test_setup_teardown(
	                a_second_rotation_is_refused_while_one_holds_the_lock, setup, reg_teardown),
	        cmocka_unit_test_setup_teardown(
	                another_handle_sees_a_rotation_and_a_retirement_at_once, setup_web,
	                reg_teardown),
	        cmocka_unit_test_setup_teardown(issuer_keys_are_added_listed_and_retired, setup_web,
	                                        reg_teardown),
	        cmocka_unit_test_setup_teardown(did_key_depositories_keep_their_one_key, reg_setup,
	                                        reg_teardown),
	        cmocka_unit_test(key_ids_are_parsed_in_three_forms),
	        cmocka_unit_test_setup_teardown(the_status_names_each_key, setup_web, reg_teardown),
	};

	const struct CMUnitTest on_pg[] = ROTATION_PG_TESTS;
	int failed = cmocka_run_group_tests_name("keys on SQLite", tests, NULL, NULL);

	if (pg_test_base())
		failed += cmocka_run_group_tests_name("keys on PostgreSQL", on_pg, NULL, NULL);
	else
		printf("keys on PostgreSQL: skipped (OORKONDE_TEST_PG is not set)\n");
	return failed;
}
