/* Unit tests for registering institutions and their API keys: validation of every field, the
 * key shown once and stored only as a hash, duplicates, audit. */
#include "registry_test.h"

static struct institution_input valid(void)
{
	struct institution_input in = {
	        "25BE", "Hanzehogeschool Groningen", "NL", "NL GRONING03", "hanze.nl", NULL};
	return in;
}

static void refused(struct reg_fixture *f, const struct institution_input *in, const char *field)
{
	char key[API_KEY_TEXT_MAX + 1];
	struct store_institution got;
	struct ok_error err;
	int rc;

	memset(key, 'k', sizeof(key));
	ok_error_clear(&err);
	rc = registry_institution_add(&f->d, in, key, &err);
	if (rc != OK_EINPUT)
		fail_msg("%s: accepted (%d)", field, rc);
	assert_string_equal(err.field, field);
	if (in->code)
		assert_int_equal(store_institution_get(f->d.store, in->code, &got, &err),
		                 OK_ENOTFOUND);
}

static void a_valid_institution_gets_a_key(void **state)
{
	struct reg_fixture *f = *state;
	struct institution_input in = valid();
	char key[API_KEY_TEXT_MAX + 1];
	struct store_institution got;
	struct store_api_key k;
	struct ok_error err;

	assert_int_equal(registry_institution_add(&f->d, &in, key, &err), 0);
	assert_int_equal(strncmp(key, "ok_", 3), 0);
	assert_true(strlen(key) >= 40);
	assert_int_equal(store_institution_get(f->d.store, "25BE", &got, &err), 0);
	assert_string_equal(got.name, "Hanzehogeschool Groningen");
	assert_string_equal(got.country, "NL");
	assert_string_equal(got.erasmus, "NL GRONING03");
	assert_string_equal(got.schac, "hanze.nl");

	assert_int_equal(registry_apikey_check(&f->d, key, &k, &err), 0);
	assert_string_equal(k.institution, "25BE");
	assert_string_equal(k.permissions, "register,read");
	assert_int_equal(k.revoked_ms, 0);
	/* What is stored is BLAKE2b-256 of the key text. */
	{
		unsigned char h[32];
		crypto_generichash(h, sizeof(h), (const unsigned char *)key, strlen(key), NULL, 0);
		assert_memory_equal(k.key_hash, h, 32);
	}
	key[5] ^= 1;
	assert_int_equal(registry_apikey_check(&f->d, key, &k, &err), OK_EAUTH);
	assert_int_equal(registry_apikey_check(&f->d, "", &k, &err), OK_EAUTH);
}

static void only_the_key_hash_is_stored(void **state)
{
	struct reg_fixture *f = *state;
	struct institution_input in = valid();
	char key[API_KEY_TEXT_MAX + 1], path[160];

	{
		struct ok_error err;
		assert_int_equal(registry_institution_add(&f->d, &in, key, &err), 0);
	}
	snprintf(path, sizeof(path), "%s-wal", f->db);
	assert_false(reg_file_contains(f->db, key));
	assert_false(reg_file_contains(path, key));
	assert_false(reg_file_contains(f->db, key + 3)); /* nor its random part */
	assert_false(reg_file_contains(path, key + 3));
	reg_fixture_close(f);
	assert_false(reg_file_contains(f->db, key));
	assert_false(reg_file_contains(f->db, key + 3));
	assert_true(reg_file_contains(f->db, "Hanzehogeschool")); /* the search does work */
	assert_int_equal(reg_sql_int(f, "SELECT count(*) FROM api_key WHERE institution = '25BE' "
	                                "AND length(key_hash) = 32"),
	                 1);
}

static void keys_differ_each_time(void **state)
{
	struct reg_fixture *f = *state;
	struct institution_input in = valid();
	char k1[API_KEY_TEXT_MAX + 1], k2[API_KEY_TEXT_MAX + 1], k3[API_KEY_TEXT_MAX + 1];
	struct store_api_key k;
	struct ok_error err;

	assert_int_equal(registry_institution_add(&f->d, &in, k1, &err), 0);
	in.code = "25LJ";
	assert_int_equal(registry_institution_add(&f->d, &in, k2, &err), 0);
	assert_string_not_equal(k1, k2);
	assert_int_equal(registry_apikey_add(&f->d, "25BE", "read", k3, &err), 0);
	assert_string_not_equal(k1, k3);
	assert_int_equal(registry_apikey_check(&f->d, k3, &k, &err), 0);
	assert_string_equal(k.institution, "25BE");
	assert_string_equal(k.permissions, "read");
	assert_int_equal(registry_apikey_check(&f->d, k1, &k, &err), 0); /* the first still works */
	/* An operator key belongs to no institution. */
	assert_int_equal(registry_apikey_add(&f->d, NULL, "register,read,export", k3, &err), 0);
	assert_int_equal(registry_apikey_check(&f->d, k3, &k, &err), 0);
	assert_string_equal(k.institution, "");
	/* No key for an unknown institution, nor with an unknown permission. */
	ok_error_clear(&err);
	assert_int_equal(registry_apikey_add(&f->d, "99XX", "read", k3, &err), OK_ENOTFOUND);
	assert_string_equal(err.field, "institution");
	ok_error_clear(&err);
	assert_int_equal(registry_apikey_add(&f->d, "25BE", "read,admin", k3, &err), OK_EINPUT);
	assert_string_equal(err.field, "permit");
}

static void code_is_2_to_32_letters_digits_or_hyphens(void **state)
{
	static const char *const bad[] = {"",      "A",     "21 PB",
	                                  "21.PB", "21PB!", "21/PB",
	                                  "21_PB", "21PBé", "123456789012345678901234567890123"};
	struct reg_fixture *f = *state;
	struct institution_input in = valid();
	char key[API_KEY_TEXT_MAX + 1];
	struct ok_error err;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		in.code = bad[i];
		refused(f, &in, "code");
	}
	in.code = NULL;
	refused(f, &in, "code");
	in.code = "AB";
	assert_int_equal(registry_institution_add(&f->d, &in, key, &err), 0);
	in.code = "12345678901234567890123456789012";
	assert_int_equal(registry_institution_add(&f->d, &in, key, &err), 0);
	in.code = "NL-ab-01";
	assert_int_equal(registry_institution_add(&f->d, &in, key, &err), 0);
}

static void name_is_1_to_200_bytes_of_utf8(void **state)
{
	struct reg_fixture *f = *state;
	struct institution_input in = valid();
	char key[API_KEY_TEXT_MAX + 1], name[202];
	struct ok_error err;

	in.name = "";
	refused(f, &in, "name");
	in.name = NULL;
	refused(f, &in, "name");
	in.name = "Hogeschool \xff";
	refused(f, &in, "name");
	memset(name, 'n', 201);
	name[201] = '\0';
	in.name = name;
	refused(f, &in, "name");
	name[200] = '\0';
	assert_int_equal(registry_institution_add(&f->d, &in, key, &err), 0);
	in.code = "25LJ";
	in.name = "Hochschule für Technik Zürich – Łódź";
	assert_int_equal(registry_institution_add(&f->d, &in, key, &err), 0);
}

static void name_holds_no_control_characters(void **state)
{
	struct reg_fixture *f = *state;
	struct institution_input in = valid();

	in.name = "Hanze\nhogeschool";
	refused(f, &in, "name");
	in.name = "Hanze\x1b[31mhogeschool";
	refused(f, &in, "name");
}

static void country_is_iso_3166_alpha_2(void **state)
{
	static const char *const bad[] = {"",   "N",  "nl", "Nl",  "NLD", "XX",
	                                  "ZZ", "UK", "EU", "N L", "1A"};
	static const char *const good[] = {"NL", "BE", "DE", "GB", "AD", "ZW", "US"};
	struct reg_fixture *f = *state;
	struct institution_input in = valid();
	char key[API_KEY_TEXT_MAX + 1], code[8];
	struct ok_error err;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		in.country = bad[i];
		refused(f, &in, "country");
		assert_false(registry_country_valid(bad[i]));
	}
	in.country = NULL;
	refused(f, &in, "country");
	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		snprintf(code, sizeof(code), "C%zu", i);
		in.code = code;
		in.country = good[i];
		assert_int_equal(registry_institution_add(&f->d, &in, key, &err), 0);
		assert_true(registry_country_valid(good[i]));
	}
}

static void schac_is_a_domain_name(void **state)
{
	static const char *const bad[] = {"rug", "rug nl", "ru", "rug.nl/", "rüg.nl", "a@b.nl"};
	struct reg_fixture *f = *state;
	struct institution_input in = valid();
	char key[API_KEY_TEXT_MAX + 1];
	struct ok_error err;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		in.schac = bad[i];
		refused(f, &in, "schac");
	}
	in.schac = "";
	in.erasmus = "";
	assert_int_equal(registry_institution_add(&f->d, &in, key, &err), 0); /* optional */
	in.code = "25LJ";
	in.schac = "noorderpoort.nl";
	in.erasmus = "NL";
	refused(f, &in, "erasmus");
	in.erasmus = NULL;
	assert_int_equal(registry_institution_add(&f->d, &in, key, &err), 0);
}

static void unknown_permissions_are_refused(void **state)
{
	struct reg_fixture *f = *state;
	struct institution_input in = valid();
	char key[API_KEY_TEXT_MAX + 1];
	struct store_api_key k;
	struct ok_error err;

	in.permissions = "register,delete";
	refused(f, &in, "permit");
	in.permissions = "read,vc-issue";
	assert_int_equal(registry_institution_add(&f->d, &in, key, &err), 0);
	assert_int_equal(registry_apikey_check(&f->d, key, &k, &err), 0);
	assert_string_equal(k.permissions, "read,vc-issue");
}

static void a_duplicate_code_is_refused_and_adds_nothing(void **state)
{
	struct reg_fixture *f = *state;
	struct institution_input in = valid();
	char key[API_KEY_TEXT_MAX + 1];
	static const char zero[API_KEY_TEXT_MAX + 1];
	struct store_institution got;
	struct ok_error err;
	long long keys, events;

	assert_int_equal(registry_institution_add(&f->d, &in, key, &err), 0);
	keys = reg_sql_int(f, "SELECT count(*) FROM api_key");
	events = reg_sql_int(f, "SELECT count(*) FROM audit_event");
	in.name = "Another name";
	ok_error_clear(&err);
	assert_int_equal(registry_institution_add(&f->d, &in, key, &err), OK_EEXIST);
	assert_string_equal(err.field, "code");
	assert_memory_equal(key, zero, sizeof(key)); /* no key handed out */
	assert_int_equal(reg_sql_int(f, "SELECT count(*) FROM api_key"), keys);
	assert_int_equal(reg_sql_int(f, "SELECT count(*) FROM audit_event"), events);
	assert_int_equal(store_institution_get(f->d.store, "25BE", &got, &err), 0);
	assert_string_equal(got.name, "Hanzehogeschool Groningen");
}

static void adding_is_audited(void **state)
{
	struct reg_fixture *f = *state;
	struct institution_input in = valid();
	char key[API_KEY_TEXT_MAX + 1];
	struct ok_error err;

	assert_int_equal(registry_institution_add(&f->d, &in, key, &err), 0);
	assert_int_equal(reg_sql_int(f, "SELECT count(*) FROM audit_event WHERE action = "
	                                "'institution.add' AND subject = '25BE'"),
	                 1);
	assert_int_equal(reg_sql_int(f, "SELECT count(*) FROM audit_event WHERE action = "
	                                "'key.create' AND detail = '25BE'"),
	                 1);
}

struct codes {
	size_t n;
	char code[4][33];
	char name[4][256];
};

static int collect_code(void *ctx, const struct store_institution *i)
{
	struct codes *c = ctx;

	if (c->n < 4) {
		snprintf(c->code[c->n], sizeof(c->code[0]), "%s", i->code);
		snprintf(c->name[c->n], sizeof(c->name[0]), "%s", i->name);
	}
	c->n++;
	return 0;
}

static void institutions_are_listed_by_code(void **state)
{
	struct reg_fixture *f = *state;
	struct institution_input in = valid();
	char key[API_KEY_TEXT_MAX + 1];
	struct codes c = {0};
	struct ok_error err;

	/* 21PB came with the fixture; 25BE is added after it, 00AA last. */
	assert_int_equal(registry_institution_add(&f->d, &in, key, &err), 0);
	in.code = "00AA";
	in.name = "Academie A";
	assert_int_equal(registry_institution_add(&f->d, &in, key, &err), 0);
	assert_int_equal(registry_institution_list(&f->d, collect_code, &c, &err), 0);
	assert_int_equal(c.n, 3);
	assert_string_equal(c.code[0], "00AA");
	assert_string_equal(c.name[0], "Academie A");
	assert_string_equal(c.code[1], "21PB");
	assert_string_equal(c.code[2], "25BE");
	assert_string_equal(c.name[2], "Hanzehogeschool Groningen");
}

int main(void)
{
#define T(name) cmocka_unit_test_setup_teardown(name, reg_setup, reg_teardown)
	const struct CMUnitTest tests[] = {
	        T(a_valid_institution_gets_a_key),
	        T(only_the_key_hash_is_stored),
	        T(keys_differ_each_time),
	        T(code_is_2_to_32_letters_digits_or_hyphens),
	        T(name_is_1_to_200_bytes_of_utf8),
	        T(name_holds_no_control_characters),
	        T(country_is_iso_3166_alpha_2),
	        T(schac_is_a_domain_name),
	        T(unknown_permissions_are_refused),
	        T(a_duplicate_code_is_refused_and_adds_nothing),
	        T(adding_is_audited),
	        T(institutions_are_listed_by_code),
	};
#undef T
	return cmocka_run_group_tests_name("registry/institution", tests, NULL, NULL);
}
