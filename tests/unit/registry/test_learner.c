/* Unit tests for reading learners: found by national id however it is written, or by internal
 * id; sealed fields opened; every read audited, a miss not. */
#include "registry_test.h"

static const char csv[] = REG_CSV_HEADER
        "R1,1234-5678-2,Anna,de Vries,2000-01-02,course,Databases,,,7.5,8,NL 1-10,2021-01-15,nl\n"
        "R2,123456782,Anna,de Vries,2000-01-02,degree,Bachelor HBO-ICT,30020,6,240,,,2022-07-01,"
        "nl\n"
        "R3,ab 98.76-54,,Yılmaz,1999-03-04,exam,Rekenen 2F,,,,,,2020-05-05,\n";

static long long reads(struct reg_fixture *f)
{
	return reg_sql_int(f, "SELECT count(*) FROM audit_event WHERE action = 'learner.read'");
}

static int setup(void **state)
{
	struct reg_fixture *f;

	if (reg_setup(state))
		return -1;
	f = *state;
	reg_import_expect(f, csv, 3, 0, 0, 0);
	return 0;
}

static void found_by_national_id_in_any_normalisation(void **state)
{
	static const char *const forms[] = {"123456782", "1234-5678-2", " 1234 5678 2 ",
	                                    "1.2.3.4.5.6.7.8.2", "12-34-56-78-2"};
	struct reg_fixture *f = *state;
	struct learner_view v;
	struct ok_error err;
	char first[STORE_ID_MAX + 1] = "";
	size_t i;

	for (i = 0; i < sizeof(forms) / sizeof(forms[0]); i++) {
		ok_error_clear(&err);
		if (registry_learner_read(&f->d, forms[i], NULL, "operator", "support", &v, &err))
			fail_msg("\"%s\": %s", forms[i], err.message);
		assert_string_equal(v.data.national_id, "123456782");
		assert_string_equal(v.data.given_names, "Anna");
		assert_string_equal(v.data.family_name, "de Vries");
		assert_string_equal(v.data.birth_date, "2000-01-02");
		assert_int_equal(strlen(v.id), 24);
		assert_true(v.created_ms > 0);
		if (i == 0)
			snprintf(first, sizeof(first), "%s", v.id);
		assert_string_equal(v.id, first);
	}
	/* Letters in any case. */
	assert_int_equal(
	        registry_learner_read(&f->d, "AB-987654", NULL, "operator", "support", &v, &err),
	        0);
	assert_string_equal(v.data.national_id, "AB987654");
	assert_string_equal(v.data.family_name, "Yılmaz");
	assert_string_equal(v.data.given_names, "");
	assert_int_equal(
	        registry_learner_read(&f->d, "ab987654", NULL, "operator", "support", &v, &err), 0);
	assert_string_equal(v.data.national_id, "AB987654");
}

static void found_by_internal_id(void **state)
{
	struct reg_fixture *f = *state;
	struct learner_view v, w;
	char id[STORE_ID_MAX + 1];
	struct ok_error err;

	assert_int_equal(
	        registry_learner_read(&f->d, "123456782", NULL, "operator", "support", &v, &err),
	        0);
	assert_int_equal(registry_learner_read(&f->d, NULL, v.id, "operator", "support", &w, &err),
	                 0);
	assert_string_equal(w.id, v.id);
	assert_string_equal(w.data.family_name, "de Vries");
	assert_int_equal(registry_learner_find_id(&f->d, "1234 5678-2", id, &err), 0);
	assert_string_equal(id, v.id);
}

static void each_read_is_audited(void **state)
{
	struct reg_fixture *f = *state;
	struct learner_view v;
	struct ok_error err;
	long long before = reads(f);
	char sql[256];

	assert_int_equal(registry_learner_read(&f->d, "1234-5678-2", NULL, "institution:21PB",
	                                       "verification", &v, &err),
	                 0);
	assert_int_equal(reads(f), before + 1);
	snprintf(sql, sizeof(sql),
	         "SELECT count(*) FROM audit_event WHERE action = 'learner.read' AND subject = "
	         "'%s' AND actor = 'institution:21PB' AND purpose = 'verification' AND seq = "
	         "(SELECT max(seq) FROM audit_event)",
	         v.id);
	assert_int_equal(reg_sql_int(f, sql), 1);
	/* The event names the learner by internal id only. */
	assert_int_equal(reg_sql_int(f, "SELECT count(*) FROM audit_event WHERE subject LIKE "
	                                "'%123456782%' OR detail LIKE '%123456782%' OR detail LIKE "
	                                "'%Vries%'"),
	                 0);
	{
		struct learner_view w;
		assert_int_equal(
		        registry_learner_read(&f->d, NULL, v.id, "operator", "support", &w, &err),
		        0);
	}
	assert_int_equal(reads(f), before + 2);
	/* Finding an id opens nothing and is not a read. */
	{
		char id[STORE_ID_MAX + 1];
		assert_int_equal(registry_learner_find_id(&f->d, "123456782", id, &err), 0);
	}
	assert_int_equal(reads(f), before + 2);
}

static void a_miss_is_not_found_and_not_audited(void **state)
{
	struct reg_fixture *f = *state;
	struct learner_view v;
	struct ok_error err;
	long long events = reg_sql_int(f, "SELECT count(*) FROM audit_event");
	char id[STORE_ID_MAX + 1];

	ok_error_clear(&err);
	assert_int_equal(
	        registry_learner_read(&f->d, "111222333", NULL, "operator", "support", &v, &err),
	        OK_ENOTFOUND);
	assert_null(strstr(err.message, "111222333"));
	assert_string_equal(v.id, "");
	assert_int_equal(registry_learner_read(&f->d, NULL, "000000000000000000000000", "operator",
	                                       "support", &v, &err),
	                 OK_ENOTFOUND);
	assert_int_equal(registry_learner_find_id(&f->d, "111222333", id, &err), OK_ENOTFOUND);
	/* A national id that cannot be one is an input error, not a miss. */
	ok_error_clear(&err);
	assert_int_equal(registry_learner_read(&f->d, "12", NULL, "operator", "support", &v, &err),
	                 OK_EINPUT);
	assert_string_equal(err.field, "national_id");
	assert_int_equal(
	        registry_learner_read(&f->d, "1234/5678", NULL, "operator", "support", &v, &err),
	        OK_EINPUT);
	assert_int_equal(reg_sql_int(f, "SELECT count(*) FROM audit_event"), events);
}

static void another_data_key_cannot_open_the_fields(void **state)
{
	struct reg_fixture *f = *state;
	struct learner_view v;
	struct ok_error err;
	unsigned char other[SEAL_KEY_BYTES];

	/* A moved or forged sealed field does not open: swap two learners' family names. */
	assert_int_equal(
	        registry_learner_read(&f->d, "123456782", NULL, "operator", "support", &v, &err),
	        0);
	{
		sqlite3 *db;

		assert_int_equal(sqlite3_open(f->db, &db), SQLITE_OK);
		assert_int_equal(
		        sqlite3_exec(db,
		                     "UPDATE learner SET family_name = (SELECT family_name "
		                     "FROM learner ORDER BY id LIMIT 1 OFFSET 1) WHERE id = "
		                     "(SELECT id FROM learner ORDER BY id LIMIT 1)",
		                     NULL, NULL, NULL),
		        SQLITE_OK);
		sqlite3_close(db);
	}
	{
		struct learner_view w;
		int a = registry_learner_read(&f->d, "123456782", NULL, "operator", "support", &v,
		                              &err);
		int b = registry_learner_read(&f->d, "AB987654", NULL, "operator", "support", &w,
		                              &err);

		assert_true((a == OK_ECRYPTO) != (b == OK_ECRYPTO)); /* exactly the altered one */
		assert_true(a == 0 || a == OK_ECRYPTO);
		assert_true(b == 0 || b == OK_ECRYPTO);
		assert_string_equal(a ? v.id : w.id, ""); /* nothing half-opened is handed out */
		assert_string_equal(a ? v.data.given_names : w.data.given_names, "");
	}
	/* Other keys find nobody: the blind index depends on the key. */
	memset(other, 0x42, sizeof(other));
	seal_keys_release(&f->d.keys);
	seal_keys_derive(&f->d.keys, other, 1);
	assert_int_equal(
	        registry_learner_read(&f->d, "AB987654", NULL, "operator", "support", &v, &err),
	        OK_ENOTFOUND);
}

static int collect(void *ctx, const struct store_achievement *a)
{
	size_t *n = ctx;

	assert_string_equal(a->institution, "21PB");
	(*n)++;
	return 0;
}

static void achievements_of_a_learner(void **state)
{
	struct reg_fixture *f = *state;
	char id[STORE_ID_MAX + 1];
	struct ok_error err;
	size_t n = 0;

	assert_int_equal(registry_learner_find_id(&f->d, "123456782", id, &err), 0);
	assert_int_equal(registry_learner_achievements(&f->d, id, collect, &n, &err), 0);
	assert_int_equal(n, 2);
	n = 0;
	assert_int_equal(registry_learner_find_id(&f->d, "ab98765-4", id, &err), 0);
	assert_int_equal(registry_learner_achievements(&f->d, id, collect, &n, &err), 0);
	assert_int_equal(n, 1);
}

/* What registry_learner_records handed on, in order: L for the learner, A an achievement
 * (with its record id), F a foreign one. */
struct records {
	char order[256];
	char given[1024];
	char purpose_seen[32];
};

static int on_learner(void *ctx, const struct learner_view *v)
{
	struct records *r = ctx;

	strcat(r->order, "L");
	snprintf(r->given, sizeof(r->given), "%s", v->data.given_names);
	return 0;
}

static int on_achievement(void *ctx, const struct store_achievement *a)
{
	struct records *r = ctx;

	strcat(r->order, "A:");
	strcat(r->order, a->record_id);
	strcat(r->order, " ");
	return 0;
}

static int on_foreign(void *ctx, const struct store_foreign *f)
{
	(void)f;
	strcat(((struct records *)ctx)->order, "F");
	return 0;
}

static void records_by_each_query(void **state)
{
	struct reg_fixture *f = *state;
	struct records r;
	struct learner_records_fns fns = {on_learner, on_achievement, on_foreign, &r};
	struct learner_query by_nid = {.national_id = "1234-5678-2"};
	struct learner_query by_record = {.institution = "21PB", .record_id = "R2"};
	struct learner_query by_id = {0};
	char id[STORE_ID_MAX + 1];
	struct ok_error err;
	long long before = reads(f);

	memset(&r, 0, sizeof(r));
	ok_error_clear(&err);
	assert_int_equal(
	        registry_learner_records(&f->d, &by_nid, "operator", "support", &fns, &err), 0);
	/* The learner first, then both of Anna's records (in either order); no foreign ones. */
	assert_int_equal(r.order[0], 'L');
	assert_non_null(strstr(r.order, "A:R1 "));
	assert_non_null(strstr(r.order, "A:R2 "));
	assert_null(strchr(r.order, 'F'));
	assert_string_equal(r.given, "Anna");
	assert_int_equal(reads(f), before + 1);
	assert_int_equal(reg_sql_int(f, "SELECT count(*) FROM audit_event WHERE action = "
	                                "'learner.read' AND purpose = 'support'"),
	                 1);

	/* By the institution's record id: the learner, and only that record. */
	memset(&r, 0, sizeof(r));
	assert_int_equal(
	        registry_learner_records(&f->d, &by_record, "operator", "support", &fns, &err), 0);
	assert_string_equal(r.order, "LA:R2 ");

	assert_int_equal(registry_learner_find_id(&f->d, "ab98765-4", id, &err), 0);
	by_id.learner_id = id;
	memset(&r, 0, sizeof(r));
	assert_int_equal(registry_learner_records(&f->d, &by_id, "operator", "support", &fns, &err),
	                 0);
	assert_string_equal(r.order, "LA:R3 ");
	assert_string_equal(r.given, "");

	/* Misses: nothing handed on. */
	memset(&r, 0, sizeof(r));
	by_record.record_id = "R9";
	assert_int_equal(
	        registry_learner_records(&f->d, &by_record, "operator", "support", &fns, &err),
	        OK_ENOTFOUND);
	assert_string_equal(err.field, "record_id");
	by_id.learner_id = "0123456789abcdef01234567";
	assert_int_equal(registry_learner_records(&f->d, &by_id, "operator", "support", &fns, &err),
	                 OK_ENOTFOUND);
	assert_string_equal(r.order, "");
}

int main(void)
{
#define T(name) cmocka_unit_test_setup_teardown(name, setup, reg_teardown)
	const struct CMUnitTest tests[] = {
	        T(found_by_national_id_in_any_normalisation),
	        T(found_by_internal_id),
	        T(each_read_is_audited),
	        T(a_miss_is_not_found_and_not_audited),
	        T(another_data_key_cannot_open_the_fields),
	        T(achievements_of_a_learner),
	        T(records_by_each_query),
	};
#undef T
	return cmocka_run_group_tests_name("registry/learner", tests, NULL, NULL);
}
