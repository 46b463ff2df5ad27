/* Unit tests of src/registry/foreign.c and the store's foreign area: a credential of another
 * depository (a did:key depository in a second data folder, its status lists put into the
 * status cache so that nothing is fetched) is kept for the learner with its origin and its bytes
 * as handed in, sealed; a duplicate is idempotent, another learner's copy conflicts; untrusted,
 * revoked, altered, own and someone else's credentials are refused with the failing check; the
 * store's re-seal and status operations. */
#include "registry_test.h"

#include <jansson.h>

#include "registry/achievement.h"
#include "registry/credential.h"
#include "registry/foreign.h"
#include "registry/foreign_internal.h"
#include "registry/status.h"
#include "remote/status_cache.h"
#include "registry/trust.h"
#include "store/foreign.h"

#define NID       "123456782"
#define OTHER_NID "987654329"

struct world {
	struct reg_fixture *here;   /* the importing depository: learners NID and OTHER_NID */
	struct reg_fixture *abroad; /* the issuing depository: learner NID */
	char learner[STORE_ID_MAX + 1];
	char other[STORE_ID_MAX + 1];
	char diploma[STORE_ID_MAX + 1]; /* abroad's achievement */
	struct remote_status_cache cache;
	struct buf credential; /* abroad's credential for the diploma */
};

static const char here_csv[] = REG_CSV_HEADER
        "H1," NID ",Anna,de Vries,2000-01-02,course,Databases,,,5,8,NL 1-10,2021-01-15,nl\n"
        "H2," OTHER_NID ",Bram,Jansen,2001-03-04,course,Statics,,,5,7,NL 1-10,2021-01-15,nl\n";
static const char abroad_csv[] =
        REG_CSV_HEADER "A1," NID ",Anna,de Vries,2000-01-02,degree,Master of Science,MSC1,7,120,,,"
                       "2023-06-01,en\n";

static void id_of(struct reg_fixture *f, const char *nid, char out[STORE_ID_MAX + 1])
{
	struct ok_error err;

	if (registry_learner_find_id(&f->d, nid, out, &err))
		fail_msg("find %s: %s", nid, err.message);
}

static int first_achievement(void *ctx, const struct store_achievement *a)
{
	memcpy(ctx, a, sizeof(*a));
	return 1;
}

/* Puts abroad's lists (every bit clear, or bit index set in purpose's) into the cache. */
static void cache_lists(struct world *w, const struct store_achievement *a, const char *set_in)
{
	static const char *const purposes[] = {"revocation", "suspension"};
	char url[512];
	size_t i;

	for (i = 0; i < 2; i++) {
		unsigned char *bits = calloc(STATUS_LIST_SIZE / 8, 1);
		assert_non_null(bits);
		if (set_in && strcmp(set_in, purposes[i]) == 0)
			bits[a->status_index / 8] |= (unsigned char)(0x80 >> (a->status_index % 8));
		registry_status_list_url(&w->abroad->d, purposes[i], a->status_list, url,
		                         sizeof(url));
		remote_status_cache_put(&w->cache, url, w->abroad->d.issuer_did, bits,
		                        STATUS_LIST_SIZE / 8, 600);
	}
}

/* here: the depository that keeps the foreign achievements, its records in PostgreSQL when pg. */
static int setup_on(void **state, bool pg)
{
	struct world *w = calloc(1, sizeof(*w));
	struct store_achievement a;
	struct ok_error err;

	if (!w)
		return -1;
	*state = w;
	if ((pg ? reg_setup_pg((void **)&w->here) : reg_setup((void **)&w->here)) ||
	    reg_setup((void **)&w->abroad))
		return -1;
	reg_import_expect(w->here, here_csv, 2, 0, 0, 0);
	reg_import_expect(w->abroad, abroad_csv, 1, 0, 0, 0);
	id_of(w->here, NID, w->learner);
	id_of(w->here, OTHER_NID, w->other);
	{
		char abroad_learner[STORE_ID_MAX + 1];
		id_of(w->abroad, NID, abroad_learner);
		registry_learner_achievements(&w->abroad->d, abroad_learner, first_achievement, &a,
		                              &err);
	}
	snprintf(w->diploma, sizeof(w->diploma), "%s", a.id);
	/* Abroad's lists are said to be where nothing listens: only the cache can answer. */
	snprintf(w->abroad->d.base_url, sizeof(w->abroad->d.base_url), "http://127.0.0.1:1");
	remote_status_cache_init(&w->cache, 600, NULL);
	cache_lists(w, &a, NULL);
	buf_init(&w->credential, 0);
	if (registry_credential_issue(&w->abroad->d, a.id, NULL, CREDENTIAL_DI, "test",
	                              &w->credential, &err))
		fail_msg("issue: %s", err.message);
	if (registry_trust_add(&w->here->d, w->abroad->d.issuer_did, "Abroad depository", "FI",
	                       &err))
		fail_msg("trust add: %s", err.message);
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

static int teardown(void **state)
{
	struct world *w = *state;

	buf_release(&w->credential);
	remote_status_cache_release(&w->cache);
	reg_fixture_free(w->here);
	reg_fixture_free(w->abroad);
	free(w);
	return 0;
}

static int import(struct world *w, const char *learner, const char *data, size_t len,
                  struct foreign_import *imp, struct ok_error *err)
{
	/* As the CLI: the did:key issuer's lists on loopback are fetched (status_any_host). */
	struct foreign_options o = {
	        .actor = "operator", .status_cache = &w->cache, .status_any_host = true};

	ok_error_clear(err);
	return registry_foreign_import(&w->here->d, learner, data, len, &o, imp, err);
}

static long long rows(struct world *w)
{
	return reg_sql_int(w->here, "SELECT count(*) FROM foreign_achievement");
}

static int collect(void *ctx, const struct store_foreign *f)
{
	struct store_foreign *out = ctx;

	memcpy(out->id, f->id, sizeof(out->id));
	memcpy(out->title, f->title, sizeof(out->title));
	memcpy(out->depository, f->depository, sizeof(out->depository));
	memcpy(out->kind, f->kind, sizeof(out->kind));
	out->credits_centi = f->credits_centi;
	assert_int_equal(f->credential.len, 0); /* listings leave the credential out */
	return 0;
}

static void kept_with_origin_and_bytes_as_given(void **state)
{
	struct world *w = *state;
	struct foreign_import imp;
	struct store_foreign listed;
	struct ok_error err;
	struct buf back;

	if (import(w, w->learner, w->credential.data, w->credential.len, &imp, &err))
		fail_msg("import: %s: %s", err.field, err.message);
	assert_false(imp.duplicate);
	assert_int_equal(imp.identity, FOREIGN_IDENTITY_MATCHED);
	assert_string_equal(imp.warning, "");
	assert_true(imp.verification.verified);
	assert_int_equal(imp.verification.count, 4);
	assert_string_equal(imp.record.learner_id, w->learner);
	assert_string_equal(imp.record.issuer_did, w->abroad->d.issuer_did);
	assert_string_equal(imp.record.depository, "Abroad depository");
	assert_string_equal(imp.record.country, "FI");
	assert_string_equal(imp.record.institution, "Hogeschool Test");
	assert_string_equal(imp.record.title, "Master of Science");
	assert_string_equal(imp.record.kind, "degree");
	assert_string_equal(imp.record.awarded_on, "2023-06-01");
	assert_int_equal(imp.record.credits_centi, 12000);
	assert_string_equal(imp.record.format, "di");
	assert_string_equal(imp.record.status, "active");
	assert_string_equal(imp.record.imported_by, "operator");
	assert_true(strncmp(imp.record.credential_key, "urn:uuid:", 9) == 0);
	foreign_import_release(&imp);

	store_foreign_init(&listed);
	assert_int_equal(registry_foreign_list(&w->here->d, w->learner, collect, &listed, &err), 0);
	assert_string_equal(listed.title, "Master of Science");
	store_foreign_release(&listed);

	/* The bytes come back exactly; reading them is audited. */
	buf_init(&back, 0);
	assert_int_equal(registry_foreign_credential(&w->here->d, w->learner, imp.record.id,
	                                             "operator", "support", &back, &err),
	                 0);
	assert_int_equal(back.len, w->credential.len);
	assert_memory_equal(back.data, w->credential.data, back.len);
	buf_release(&back);
	assert_int_equal(reg_sql_int(w->here, "SELECT count(*) FROM audit_event WHERE action = "
	                                      "'foreign.read'"),
	                 1);
	/* Not for another learner. */
	buf_init(&back, 0);
	assert_int_equal(registry_foreign_credential(&w->here->d, w->other, imp.record.id,
	                                             "operator", "support", &back, &err),
	                 OK_ENOTFOUND);
	buf_release(&back);
	/* Sealed at rest: the learner's name is not in the database file. */
	reg_fixture_reopen(w->here);
	assert_false(reg_file_contains(w->here->db, "de Vries"));
	assert_int_equal(reg_sql_int(w->here, "SELECT count(*) FROM audit_event WHERE action = "
	                                      "'foreign.import'"),
	                 1);
}

static void duplicate_is_idempotent(void **state)
{
	struct world *w = *state;
	struct foreign_import imp;
	struct ok_error err;
	char first[STORE_ID_MAX + 1];

	assert_int_equal(import(w, w->learner, w->credential.data, w->credential.len, &imp, &err),
	                 0);
	snprintf(first, sizeof(first), "%s", imp.record.id);
	foreign_import_release(&imp);
	assert_int_equal(import(w, w->learner, w->credential.data, w->credential.len, &imp, &err),
	                 0);
	assert_true(imp.duplicate);
	assert_string_equal(imp.record.id, first);
	foreign_import_release(&imp);
	assert_int_equal(rows(w), 1);
}

/* A credential of abroad's without status entries, naming its holder by name and birth date
 * when they are not NULL. */
static void sign_holder(struct world *w, const char *name, const char *birth, struct buf *out)
{
	json_t *vc, *signed_vc = NULL, *ids = json_array();
	struct ok_error err;
	char *text;

	vc = json_pack("{s:[s, s], s:[s, s], s:s, s:{s:[s], s:{s:[s], s:s, s:s}}}", "@context",
	               CREDENTIAL_CONTEXT_V2, CREDENTIAL_CONTEXT_OB3, "type",
	               "VerifiableCredential", "OpenBadgeCredential", "issuer",
	               w->abroad->d.issuer_did, "credentialSubject", "type", "AchievementSubject",
	               "achievement", "type", "Achievement", "name", "Sauna studies",
	               "achievementType", "ext:Workshop");
	if (name)
		json_array_append_new(ids, json_pack("{s:s, s:s, s:b, s:s}", "type",
		                                     "IdentityObject", "identityType", "name",
		                                     "hashed", 0, "identityHash", name));
	if (birth)
		json_array_append_new(ids,
		                      json_pack("{s:s, s:s, s:b, s:s}", "type", "IdentityObject",
		                                "identityType", "ext:birthDate", "hashed", 0,
		                                "identityHash", birth));
	if (json_array_size(ids))
		json_object_set(json_object_get(vc, "credentialSubject"), "identifier", ids);
	json_decref(ids);
	if (registry_credential_sign(&w->abroad->d, vc, "test", &signed_vc, &err))
		fail_msg("sign: %s", err.message);
	text = json_dumps(signed_vc, JSON_COMPACT);
	buf_init(out, 0);
	assert_int_equal(buf_addstr(out, text), 0);
	free(text);
	json_decref(vc);
	json_decref(signed_vc);
}

static void sign_plain(struct world *w, struct buf *out)
{
	sign_holder(w, NULL, NULL, out);
}

static void without_holder_warned_and_another_learner_conflicts(void **state)
{
	struct world *w = *state;
	struct foreign_import imp;
	struct ok_error err;
	struct buf plain;

	sign_plain(w, &plain);
	assert_int_equal(import(w, w->learner, plain.data, plain.len, &imp, &err), 0);
	assert_int_equal(imp.identity, FOREIGN_IDENTITY_NOT_CHECKED);
	assert_non_null(strstr(imp.warning, "could not be matched"));
	assert_string_equal(imp.record.kind, "workshop");
	assert_string_equal(imp.record.awarded_on, "");
	assert_int_equal(imp.record.credits_centi, -1);
	foreign_import_release(&imp);
	assert_int_equal(import(w, w->other, plain.data, plain.len, &imp, &err), OK_ECONFLICT);
	assert_non_null(strstr(err.message, "another learner"));
	foreign_import_release(&imp);
	assert_int_equal(rows(w), 1);
	buf_release(&plain);
}

/* Expects a refusal of the check named field whose message holds words. */
static void expect_refused(struct world *w, const char *learner, const char *data, size_t len,
                           int code, const char *field, const char *words)
{
	struct foreign_import imp;
	struct ok_error err;
	int rc = import(w, learner, data, len, &imp, &err);

	foreign_import_release(&imp);
	if (rc != code || strcmp(err.field, field) != 0 || !strstr(err.message, words))
		fail_msg("expected %d %s \"%s\", got %d %s \"%s\"", code, field, words, rc,
		         err.field, err.message);
	assert_int_equal(rows(w), 0);
}

/* The holder is matched on name (case and white space folded) and birth date. */
static void holder_matched_on_name_and_birth_date(void **state)
{
	struct world *w = *state;
	struct foreign_import imp;
	struct ok_error err;
	struct buf vc;

	/* Another birth date, another name, a name alone that is not the learner's: refused. */
	sign_holder(w, "Anna de Vries", "2000-01-03", &vc);
	expect_refused(w, w->learner, vc.data, vc.len, OK_EINVALID, "identity",
	               "names someone else");
	buf_release(&vc);
	sign_holder(w, "Anna de Vriesch", "2000-01-02", &vc);
	expect_refused(w, w->learner, vc.data, vc.len, OK_EINVALID, "identity",
	               "names someone else");
	buf_release(&vc);
	sign_holder(w, "Anna Vries", NULL, &vc);
	expect_refused(w, w->learner, vc.data, vc.len, OK_EINVALID, "identity",
	               "names someone else");
	buf_release(&vc);
	/* Case and white space do not count. */
	sign_holder(w, "  ANNA\u00a0 DE  vries ", "2000-01-02", &vc);
	assert_int_equal(import(w, w->learner, vc.data, vc.len, &imp, &err), 0);
	assert_int_equal(imp.identity, FOREIGN_IDENTITY_MATCHED);
	assert_string_equal(imp.warning, "");
	foreign_import_release(&imp);
	buf_release(&vc);
	/* A name without a birth date matches with a warning. */
	sign_holder(w, "Bram Jansen", NULL, &vc);
	assert_int_equal(import(w, w->other, vc.data, vc.len, &imp, &err), 0);
	assert_int_equal(imp.identity, FOREIGN_IDENTITY_MATCHED);
	assert_non_null(strstr(imp.warning, "name alone"));
	foreign_import_release(&imp);
	buf_release(&vc);
}

/* foreign_holder_match on its own. */
static void holder_match_rules(void **state)
{
	static const struct learner_data anna = {
	        .given_names = "Anna Maria", .family_name = "de Vries", .birth_date = "2000-01-02"};
	static const struct learner_data mono = {.family_name = "Suharto",
	                                         .birth_date = "1990-05-06"};
	struct foreign_holder h = {"anna maria DE VRIES", "2000-01-02", NULL};

	(void)state;
	assert_int_equal(foreign_holder_match(&h, &anna), 0);
	h.birth_date = "2000-01-02T00:00:00Z";
	assert_int_equal(foreign_holder_match(&h, &anna), 0);
	h.birth_date = "2000-13-02";
	assert_int_equal(foreign_holder_match(&h, &anna), OK_EINVALID);
	h.birth_date = NULL;
	assert_int_equal(foreign_holder_match(&h, &anna), 0);
	h.name = "Anna Maria";
	assert_int_equal(foreign_holder_match(&h, &anna), OK_EINVALID);
	h.name = "\xff";
	assert_int_equal(foreign_holder_match(&h, &anna), OK_EINVALID);
	h.name = " SUHARTO ";
	h.birth_date = "1990-05-06";
	assert_int_equal(foreign_holder_match(&h, &mono), 0);
}

static void refusals_name_the_check(void **state)
{
	struct world *w = *state;
	struct store_achievement a;
	struct ok_error err;
	struct buf own, altered;
	char *p;

	/* Someone else's. */
	expect_refused(w, w->other, w->credential.data, w->credential.len, OK_EINVALID, "identity",
	               "names someone else");
	/* Altered. */
	buf_init(&altered, 0);
	assert_int_equal(buf_add(&altered, w->credential.data, w->credential.len), 0);
	p = strstr(altered.data, "Master of Science");
	assert_non_null(p);
	p[0] = 'N';
	expect_refused(w, w->learner, altered.data, altered.len, OK_EINVALID, "proof",
	               "changed after it was signed");
	buf_release(&altered);
	/* Not a credential; no such learner. */
	expect_refused(w, w->learner, "{\"a\": 1}", 8, OK_EINPUT, "credential", "not a credential");
	expect_refused(w, "nobody", w->credential.data, w->credential.len, OK_ENOTFOUND,
	               "learner_id", "no learner");
	/* Own. */
	{
		char own_achievement[STORE_ID_MAX + 1];
		registry_learner_achievements(&w->here->d, w->learner, first_achievement, &a, &err);
		snprintf(own_achievement, sizeof(own_achievement), "%s", a.id);
		buf_init(&own, 0);
		assert_int_equal(registry_credential_issue(&w->here->d, own_achievement, NULL,
		                                           CREDENTIAL_DI, "test", &own, &err),
		                 0);
		expect_refused(w, w->learner, own.data, own.len, OK_EINVALID, "origin",
		               "already held here");
		buf_release(&own);
	}
	/* Revoked (the list in the cache says so). */
	assert_int_equal(store_achievement_get(w->abroad->d.store, w->diploma, &a, &err), 0);
	cache_lists(w, &a, "revocation");
	expect_refused(w, w->learner, w->credential.data, w->credential.len, OK_EINVALID, "status",
	               "revoked");
	/* Without a status cache the status cannot be checked: refused too. */
	cache_lists(w, &a, NULL);
	{
		struct foreign_options o = {.actor = "operator"};
		struct foreign_import imp;
		ok_error_clear(&err);
		assert_int_equal(registry_foreign_import(&w->here->d, w->learner,
		                                         w->credential.data, w->credential.len, &o,
		                                         &imp, &err),
		                 OK_EINVALID);
		assert_string_equal(err.field, "status");
		foreign_import_release(&imp);
	}
	/* Untrusted. */
	assert_int_equal(registry_trust_remove(&w->here->d, w->abroad->d.issuer_did, &err), 0);
	expect_refused(w, w->learner, w->credential.data, w->credential.len, OK_EINVALID, "issuer",
	               "not on the trust list");
	assert_true(reg_sql_int(w->here, "SELECT count(*) FROM audit_event WHERE action = "
	                                 "'foreign.refuse'") >= 6);
}

/* The command line's calls: caches of their own, for the call only; the caller's are not read.
 * Abroad's lists can only be fetched from a port where nothing listens, so the status check
 * that the caller's cache would pass fails, and nothing is kept. */
static void once_uses_caches_of_its_own(void **state)
{
	struct world *w = *state;
	struct foreign_options fo = {
	        .actor = "operator", .status_cache = &w->cache, .status_any_host = true};
	struct verify_options vo = {.status_cache = &w->cache, .status_any_host = true};
	struct foreign_import imp;
	struct verify_result r;
	struct ok_error err;
	size_t i;

	ok_error_clear(&err);
	assert_int_equal(
	        registry_verify(&w->here->d, w->credential.data, w->credential.len, &vo, &r, &err),
	        0);
	assert_true(r.verified);
	verify_result_release(&r);
	assert_int_equal(registry_verify_once(&w->here->d, w->credential.data, w->credential.len,
	                                      &vo, 300, &r, &err),
	                 0);
	assert_true(r.is_credential);
	assert_false(r.verified);
	for (i = 0; i < r.count; i++)
		if (r.items[i].check == VERIFY_STATUS)
			assert_false(r.items[i].passed);
		else
			assert_true(r.items[i].passed);
	verify_result_release(&r);

	assert_int_equal(registry_foreign_import_once(&w->here->d, w->learner, w->credential.data,
	                                              w->credential.len, &fo, &imp, &err),
	                 OK_EINVALID);
	assert_string_equal(err.field, "status");
	foreign_import_release(&imp);
	assert_int_equal(rows(w), 0);
	/* The caller's cache still answers for the call that is given it. */
	assert_int_equal(import(w, w->learner, w->credential.data, w->credential.len, &imp, &err),
	                 0);
	foreign_import_release(&imp);
	assert_int_equal(rows(w), 1);
}

/* The store area on its own: re-seal work list, reseal, status. */
static int count_fn(void *ctx, const struct store_foreign *f)
{
	size_t *n = ctx;

	assert_true(f->credential.len > 0);
	(*n)++;
	return 0;
}

static void store_reseal_and_status(void **state)
{
	struct world *w = *state;
	struct store *s = w->here->d.store;
	struct foreign_import imp;
	struct store_foreign f;
	struct ok_error err;
	struct buf sealed;
	size_t n = 0;

	assert_int_equal(import(w, w->learner, w->credential.data, w->credential.len, &imp, &err),
	                 0);
	assert_int_equal(
	        store_foreign_list_sealed(s, "", w->here->d.keys.key_id, 10, count_fn, &n, &err),
	        0);
	assert_int_equal(n, 0);
	assert_int_equal(store_foreign_list_sealed(s, "", w->here->d.keys.key_id + 1, 10, count_fn,
	                                           &n, &err),
	                 0);
	assert_int_equal(n, 1);
	buf_init(&sealed, 0);
	assert_int_equal(buf_addstr(&sealed, "x"), 0);
	assert_int_equal(store_begin(s, &err), 0);
	assert_int_equal(store_foreign_reseal(s, imp.record.id, &sealed, 99, &err), 0);
	assert_int_equal(store_foreign_set_status(s, imp.record.id, "revoked", 5, &err), 0);
	assert_int_equal(store_foreign_set_status(s, "missing", "revoked", 5, &err), OK_ENOTFOUND);
	assert_int_equal(store_commit(s, &err), 0);
	store_foreign_init(&f);
	assert_int_equal(store_foreign_get(s, imp.record.id, &f, &err), 0);
	assert_int_equal(f.key_id, 99);
	assert_string_equal(f.status, "revoked");
	assert_int_equal(f.checked_ms, 5);
	assert_int_equal(f.credential.len, 1);
	assert_int_equal(store_foreign_get(s, "missing", &f, &err), OK_ENOTFOUND);
	store_foreign_release(&f);
	buf_release(&sealed);
	foreign_import_release(&imp);
}

/* The same tests with the records in SQLite and in PostgreSQL. */
/* clang-format off */
#define FOREIGN_TESTS(setup)                                                                     \
	{                                                                                        \
	        cmocka_unit_test_setup_teardown(kept_with_origin_and_bytes_as_given, setup,      \
	                                        teardown),                                       \
	        cmocka_unit_test_setup_teardown(duplicate_is_idempotent, setup, teardown),       \
	        cmocka_unit_test_setup_teardown(                                                 \
	                without_holder_warned_and_another_learner_conflicts, setup, teardown),   \
	        cmocka_unit_test_setup_teardown(holder_matched_on_name_and_birth_date, setup,    \
	                                        teardown),                                       \
	        cmocka_unit_test(holder_match_rules),                                            \
	        cmocka_unit_test_setup_teardown(refusals_name_the_check, setup, teardown),       \
	        cmocka_unit_test_setup_teardown(store_reseal_and_status, setup, teardown),       \
	        cmocka_unit_test_setup_teardown(once_uses_caches_of_its_own, setup, teardown),   \
	}
/* clang-format on */

int main(void)
{
	const struct CMUnitTest on_sqlite[] = FOREIGN_TESTS(setup);
	const struct CMUnitTest on_pg[] = FOREIGN_TESTS(setup_pg);
	int failed = cmocka_run_group_tests_name("foreign on SQLite", on_sqlite, NULL, NULL);

	if (pg_test_base())
		failed += cmocka_run_group_tests_name("foreign on PostgreSQL", on_pg, NULL, NULL);
	else
		printf("foreign on PostgreSQL: skipped (OORKONDE_TEST_PG is not set)\n");
	return failed;
}
