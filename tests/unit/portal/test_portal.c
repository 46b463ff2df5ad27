/* Unit tests of the learner portal (portal/portal.h) and the store's portal area: token form,
 * CSRF tokens, the configuration, login links used once and expiring, sessions ending when idle,
 * shares (input errors naming the field, another learner's achievement refused, the token kept
 * only as a hash), their opening (counted, audited, every credential verified), revocation and
 * expiry (410 with the state), and the store's conflict answers. */
#include "registry/registry_test.h"

#include <jansson.h>

#include "portal/portal.h"
#include "store/portal.h"
#include "core/clock.h"

#define NID       "111222333"
#define OTHER_NID "444555663"

static const char csv[] = REG_CSV_HEADER
        "R1," NID ",Anna,de Vries,2000-01-02,course,Mechanics,,,5,8,NL 1-10,2020-01-15,nl\n"
        "R2," NID ",Anna,de Vries,2000-01-02,diploma,Bachelor of Physics,,6,180,,,2021-07-01,"
        "en\n"
        "R3," NID ",Anna,de Vries,2000-01-02,course,Optics,,,7.5,7,NL 1-10,2022-06-01,nl\n"
        "R4," OTHER_NID ",Bram,Jansen,2001-03-04,course,Statics,,,5,7,NL 1-10,2021-01-15,nl\n";

struct world {
	struct reg_fixture *f;
	char anna[STORE_ID_MAX + 1];
	char bram[STORE_ID_MAX + 1];
	char ids[3][STORE_ID_MAX + 1]; /* Anna's achievements, by record id */
	char brams[STORE_ID_MAX + 1];
};

static void id_of(struct reg_fixture *f, const char *nid, char out[STORE_ID_MAX + 1])
{
	struct ok_error err;

	if (registry_learner_find_id(&f->d, nid, out, &err))
		fail_msg("find %s: %s", nid, err.message);
}

static int collect_ids(void *ctx, const struct store_achievement *a)
{
	struct world *w = ctx;
	int n = a->record_id[1] - '1';

	if (n >= 0 && n < 3)
		snprintf(w->ids[n], sizeof(w->ids[n]), "%s", a->id);
	else
		snprintf(w->brams, sizeof(w->brams), "%s", a->id);
	return 0;
}

static int setup_on(void **state, bool pg)
{
	struct world *w = calloc(1, sizeof(*w));
	struct ok_error err;

	if (!w || (pg ? reg_setup_pg((void **)&w->f) : reg_setup((void **)&w->f)))
		return -1;
	*state = w;
	/* Links are off unless config.json allows them (configuration checks that); these tests
	 * use them. */
	w->f->d.allow_login_links = true;
	reg_import_expect(w->f, csv, 4, 0, 0, 0);
	id_of(w->f, NID, w->anna);
	id_of(w->f, OTHER_NID, w->bram);
	if (registry_learner_achievements(&w->f->d, w->anna, collect_ids, w, &err) ||
	    registry_learner_achievements(&w->f->d, w->bram, collect_ids, w, &err))
		fail_msg("achievements: %s", err.message);
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

	reg_teardown((void **)&w->f);
	free(w);
	return 0;
}

static void sql(struct reg_fixture *f, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Runs a statement on a connection of our own (behind the store's back). */
static void sql(struct reg_fixture *f, const char *fmt, ...)
{
	char text[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	reg_sql_int(f, text);
}

static long long count(struct reg_fixture *f, const char *fmt, ...)
        __attribute__((format(printf, 2, 3)));

static long long count(struct reg_fixture *f, const char *fmt, ...)
{
	char text[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	return reg_sql_int(f, text);
}

/* The token at the end of a URL ("…/login/TOKEN"). */
static const char *token_of(const char *url)
{
	return strrchr(url, '/') + 1;
}

static void tokens_and_csrf(void **state)
{
	char a[PORTAL_TOKEN_SIZE], b[PORTAL_TOKEN_SIZE], t[PORTAL_TOKEN_SIZE];

	(void)state;
	assert_true(portal_token_valid("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"));
	assert_true(portal_token_valid("abcdefghijklmnopqrstuvwxyz-_0123456789ABCDE"));
	assert_false(portal_token_valid(NULL));
	assert_false(portal_token_valid(""));
	assert_false(portal_token_valid("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"));   /* 42 */
	assert_false(portal_token_valid("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")); /* 44 */
	assert_false(portal_token_valid("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="));
	assert_false(portal_token_valid("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA/"));
	snprintf(t, sizeof(t), "%s", "sessionTokenSessionTokenSessionTokenSession");
	portal_csrf_token(t, a);
	portal_csrf_token(t, b);
	assert_string_equal(a, b);
	assert_true(portal_token_valid(a));
	assert_string_not_equal(a, t);
	assert_true(portal_csrf_valid(t, a));
	/* Another session's token, a changed character, none at all: refused. */
	t[0] = 'T';
	portal_csrf_token(t, b);
	assert_string_not_equal(a, b);
	assert_false(portal_csrf_valid(t, a));
	assert_true(portal_csrf_valid(t, b));
	b[42] = b[42] == 'A' ? 'B' : 'A';
	assert_false(portal_csrf_valid(t, b));
	assert_false(portal_csrf_valid(t, NULL));
	assert_false(portal_csrf_valid(t, ""));
	assert_false(portal_csrf_valid("short", a));
	portal_time_iso(0, a);
	assert_string_equal(a, "1970-01-01T00:00:00Z");
	portal_time_iso(1700000000123LL, a);
	assert_string_equal(a, "2023-11-14T22:13:20Z");
}

static void write_config(struct reg_fixture *f, const char *extra)
{
	char path[256], text[512 + PG_TEST_CONNINFO_MAX];
	FILE *fp;

	snprintf(path, sizeof(path), "%s/config.json", f->dir);
	snprintf(text, sizeof(text), "{\"host\": null, \"name\": \"t\", \"store\": \"%s\"%s}\n",
	         f->pg ? f->pg_url : "sqlite:oorkonde.db", extra);
	fp = fopen(path, "w");
	assert_non_null(fp);
	fputs(text, fp);
	fclose(fp);
}

static void configuration(void **state)
{
	struct world *w = *state;
	struct depository d;
	struct ok_error err;

	assert_int_equal(w->f->d.session_idle_s, PORTAL_SESSION_IDLE_S_DEFAULT);
	assert_int_equal(w->f->d.login_link_ttl_s, PORTAL_LOGIN_LINK_TTL_S_DEFAULT);
	write_config(w->f, ", \"session_idle_s\": 5, \"login_link_ttl_s\": 60");
	reg_fixture_reopen(w->f);
	assert_int_equal(w->f->d.session_idle_s, 5);
	assert_int_equal(w->f->d.login_link_ttl_s, 60);
	{
		/* Sign-in links are off by default: none is made, none is used. */
		char url[PORTAL_URL_MAX];
		int64_t until;
		struct portal_session s;
		assert_false(w->f->d.allow_login_links);
		ok_error_clear(&err);
		assert_int_equal(portal_login_link_create(&w->f->d, w->anna, "operator", url, &until,
		                                          &err),
		                 OK_EAUTH);
		assert_non_null(strstr(err.message, "allow_login_links"));
		assert_int_equal(portal_login(&w->f->d, "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
		                              &s, &err),
		                 OK_EAUTH);
		write_config(w->f, ", \"allow_login_links\": \"yes\"");
		assert_int_equal(depository_open(&d, w->f->dir, &err), OK_EINPUT);
		assert_string_equal(err.field, "allow_login_links");
		write_config(w->f, ", \"allow_login_links\": true");
		reg_fixture_reopen(w->f);
		assert_true(w->f->d.allow_login_links);
	}
	static const char *const bad[] = {
	        ", \"session_idle_s\": 0",      ", \"session_idle_s\": 86401",
	        ", \"session_idle_s\": \"30\"", ", \"login_link_ttl_s\": -1",
	        ", \"login_link_ttl_s\": 1.5",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		write_config(w->f, bad[i]);
		ok_error_clear(&err);
		assert_int_equal(depository_open(&d, w->f->dir, &err), OK_EINPUT);
		assert_true(strcmp(err.field, "session_idle_s") == 0 ||
		            strcmp(err.field, "login_link_ttl_s") == 0);
		assert_non_null(strstr(err.message, err.field));
	}
	write_config(w->f, "");
	reg_fixture_reopen(w->f);
	w->f->d.allow_login_links = true;
}

static void login_link_once(void **state)
{
	struct world *w = *state;
	struct depository *d = &w->f->d;
	struct portal_session s, again;
	char url[PORTAL_URL_MAX];
	struct ok_error err;
	int64_t expires;

	assert_int_equal(portal_login_link_create(d, w->anna, "operator", url, &expires, &err), 0);
	assert_int_equal(strncmp(url, "http://127.0.0.1:8080/login/", 28), 0);
	assert_true(portal_token_valid(token_of(url)));
	assert_true(expires > ok_now_ms() + 890 * 1000 && expires <= ok_now_ms() + 900 * 1000);
	/* Only the hash is stored. */
	assert_false(reg_file_contains(w->f->db, token_of(url)));
	assert_int_equal(count(w->f,
	                       "SELECT count(*) FROM audit_event WHERE action = "
	                       "'login.link' AND subject = '%s' AND actor = 'operator'",
	                       w->anna),
	                 1);

	assert_int_equal(portal_login(d, token_of(url), &s, &err), 0);
	assert_string_equal(s.learner_id, w->anna);
	assert_true(portal_token_valid(s.token));
	assert_int_equal(strlen(s.id), 24);
	assert_int_equal(count(w->f,
	                       "SELECT count(*) FROM audit_event WHERE action = "
	                       "'learner.login' AND actor = 'learner:%s'",
	                       w->anna),
	                 1);
	/* A second use is refused, and starts nothing. */
	ok_error_clear(&err);
	assert_int_equal(portal_login(d, token_of(url), &again, &err), OK_EGONE);
	assert_non_null(strstr(err.message, "used already"));
	assert_string_equal(again.token, "");
	assert_int_equal(count(w->f, "SELECT count(*) FROM session"), 1);
	/* Unknown and malformed tokens are unknown. */
	assert_int_equal(
	        portal_login(d, "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", &again, &err),
	        OK_ENOTFOUND);
	assert_int_equal(portal_login(d, "nope", &again, &err), OK_ENOTFOUND);
	assert_int_equal(portal_login(d, "", &again, &err), OK_ENOTFOUND);
	/* No link for a learner who does not exist. */
	assert_int_equal(portal_login_link_create(d, "ffffffffffffffffffffffff", "operator", url,
	                                          &expires, &err),
	                 OK_ENOTFOUND);
	assert_int_equal(portal_login_link_create(d, "../x", "operator", url, &expires, &err),
	                 OK_ENOTFOUND);
}

/* `demo --login-link`: a link for a learner found by national id, in one call. */
static void login_link_by_national_id(void **state)
{
	struct world *w = *state;
	struct depository *d = &w->f->d;
	struct portal_session s;
	char url[PORTAL_URL_MAX];
	struct ok_error err;
	int64_t expires;

	ok_error_clear(&err);
	assert_int_equal(
	        portal_login_link_for_national_id(d, OTHER_NID, "operator", url, &expires, &err),
	        0);
	assert_int_equal(portal_login(d, token_of(url), &s, &err), 0);
	assert_string_equal(s.learner_id, w->bram);
	assert_int_equal(count(w->f,
	                       "SELECT count(*) FROM audit_event WHERE action = "
	                       "'login.link' AND subject = '%s' AND purpose = 'support'",
	                       w->bram),
	                 1);
	/* A national id nobody has: no link, nothing audited. */
	assert_int_equal(
	        portal_login_link_for_national_id(d, "123456782", "operator", url, &expires, &err),
	        OK_ENOTFOUND);
	assert_int_equal(count(w->f, "SELECT count(*) FROM audit_event WHERE action = "
	                             "'login.link'"),
	                 1);
}

static void login_link_expires(void **state)
{
	struct world *w = *state;
	struct depository *d = &w->f->d;
	struct portal_session s;
	char url[PORTAL_URL_MAX];
	struct ok_error err;
	int64_t expires;

	assert_int_equal(portal_login_link_create(d, w->anna, "operator", url, &expires, &err), 0);
	sql(w->f, "UPDATE login_link SET expires_ms = %lld", (long long)ok_now_ms() - 1);
	ok_error_clear(&err);
	assert_int_equal(portal_login(d, token_of(url), &s, &err), OK_EGONE);
	assert_non_null(strstr(err.message, "expired"));
	assert_int_equal(count(w->f, "SELECT count(*) FROM session"), 0);
	/* Links that ended over a day ago are forgotten when the next one is made. */
	sql(w->f, "UPDATE login_link SET expires_ms = %lld",
	    (long long)ok_now_ms() - 86400 * 1000LL - 1);
	assert_int_equal(portal_login_link_create(d, w->anna, "operator", url, &expires, &err), 0);
	assert_int_equal(count(w->f, "SELECT count(*) FROM login_link"), 1);
}

static void sessions_end_when_idle(void **state)
{
	struct world *w = *state;
	struct depository *d = &w->f->d;
	struct portal_session s, checked;
	char url[PORTAL_URL_MAX];
	struct ok_error err;
	int64_t expires;

	assert_int_equal(portal_login_link_create(d, w->anna, "operator", url, &expires, &err), 0);
	assert_int_equal(portal_login(d, token_of(url), &s, &err), 0);
	assert_false(reg_file_contains(w->f->db, s.token));
	assert_int_equal(portal_session_check(d, s.token, &checked, &err), 0);
	assert_string_equal(checked.id, s.id);
	assert_string_equal(checked.learner_id, w->anna);
	assert_string_equal(checked.token, "");
	/* Activity is noted: a session seen a while ago is seen now. */
	sql(w->f, "UPDATE session SET last_seen_ms = %lld",
	    (long long)ok_now_ms() - 10 * 60 * 1000);
	assert_int_equal(portal_session_check(d, s.token, &checked, &err), 0);
	assert_true(count(w->f, "SELECT last_seen_ms FROM session") > ok_now_ms() - 60000);
	/* Idle past the timeout: ended, and gone. */
	sql(w->f, "UPDATE session SET last_seen_ms = %lld",
	    (long long)ok_now_ms() - (d->session_idle_s + 1) * 1000LL);
	ok_error_clear(&err);
	assert_int_equal(portal_session_check(d, s.token, &checked, &err), OK_EGONE);
	assert_int_equal(count(w->f, "SELECT count(*) FROM session"), 0);
	assert_int_equal(portal_session_check(d, s.token, &checked, &err), OK_ENOTFOUND);
	/* However active, a session ends after PORTAL_SESSION_MAX_S. */
	assert_int_equal(portal_login_link_create(d, w->anna, "operator", url, &expires, &err), 0);
	assert_int_equal(portal_login(d, token_of(url), &s, &err), 0);
	sql(w->f, "UPDATE session SET created_ms = %lld",
	    (long long)ok_now_ms() - PORTAL_SESSION_MAX_S * 1000LL - 1);
	assert_int_equal(portal_session_check(d, s.token, &checked, &err), OK_EGONE);
	/* Logout. */
	assert_int_equal(portal_login_link_create(d, w->anna, "operator", url, &expires, &err), 0);
	assert_int_equal(portal_login(d, token_of(url), &s, &err), 0);
	assert_int_equal(portal_session_end(d, &s, &err), 0);
	assert_int_equal(portal_session_check(d, s.token, &checked, &err), OK_ENOTFOUND);
	assert_int_equal(portal_session_end(d, &s, &err), OK_ENOTFOUND);
	assert_int_equal(portal_session_check(d, "nope", &checked, &err), OK_ENOTFOUND);
}

static void learner_view(void **state)
{
	struct world *w = *state;
	struct depository *d = &w->f->d;
	struct ok_error err;
	json_t *me, *doc, *list;
	struct buf b;

	assert_int_equal(portal_me(d, w->anna, &me, &err), 0);
	assert_string_equal(json_string_value(json_object_get(me, "given_names")), "Anna");
	assert_string_equal(json_string_value(json_object_get(me, "family_name")), "de Vries");
	json_decref(me);
	assert_int_equal(portal_achievements(d, w->anna, &doc, &err), 0);
	list = json_object_get(json_array_get(json_object_get(doc, "institutions"), 0),
	                       "achievements");
	assert_int_equal(json_array_size(json_object_get(doc, "institutions")), 1);
	assert_int_equal(json_array_size(list), 3);
	/* The diploma first, then newest first. */
	assert_string_equal(json_string_value(json_object_get(json_array_get(list, 0), "title")),
	                    "Bachelor of Physics");
	assert_string_equal(json_string_value(json_object_get(json_array_get(list, 1), "title")),
	                    "Optics");
	assert_true(json_real_value(json_object_get(json_array_get(list, 1), "credits")) == 7.5);
	assert_string_equal(json_string_value(json_object_get(json_array_get(list, 2), "title")),
	                    "Mechanics");
	json_decref(doc);
	assert_int_equal(count(w->f,
	                       "SELECT count(*) FROM audit_event WHERE actor = 'learner:%s' "
	                       "AND action IN ('learner.read', 'achievement.read') AND "
	                       "purpose = 'self-service'",
	                       w->anna),
	                 2);
	buf_init(&b, 1 << 20);
	assert_int_equal(portal_credential(d, w->anna, w->ids[0], CREDENTIAL_DI, &b, &err), 0);
	assert_non_null(strstr(b.data, "eddsa-rdfc-2022"));
	buf_reset(&b);
	/* Another learner's achievement is as missing as a missing one. */
	assert_int_equal(portal_credential(d, w->anna, w->brams, CREDENTIAL_DI, &b, &err),
	                 OK_ENOTFOUND);
	assert_int_equal(b.len, 0);
	buf_release(&b);
}

static int create_share(struct world *w, const char *const *ids, size_t n, const char *recipient,
                        int days, json_t **out, struct ok_error *err)
{
	struct portal_share_input in = {w->anna, ids, n, recipient, days, "operator"};

	ok_error_clear(err);
	return portal_share_create(&w->f->d, &in, out, err);
}

static void share_input_errors(void **state)
{
	struct world *w = *state;
	const char *one[] = {w->ids[0]}, *twice[] = {w->ids[0], w->ids[0]};
	const char *others[] = {w->ids[0], w->brams}, *bad[] = {"a,b"};
	char long_text[1000];
	struct ok_error err;
	json_t *doc = NULL;

	assert_int_equal(create_share(w, one, 0, "X", 30, &doc, &err), OK_EINPUT);
	assert_string_equal(err.field, "achievements");
	assert_int_equal(create_share(w, one, 101, "X", 30, &doc, &err), OK_EINPUT);
	assert_string_equal(err.field, "achievements");
	assert_int_equal(create_share(w, twice, 2, "X", 30, &doc, &err), OK_EINPUT);
	assert_non_null(strstr(err.message, "twice"));
	assert_int_equal(create_share(w, bad, 1, "X", 30, &doc, &err), OK_EINPUT);
	assert_string_equal(err.field, "achievements");
	assert_int_equal(create_share(w, others, 2, "X", 30, &doc, &err), OK_EINPUT);
	assert_string_equal(err.field, "achievements");
	assert_non_null(strstr(err.message, "achievements[1]"));
	assert_int_equal(create_share(w, one, 1, "", 30, &doc, &err), OK_EINPUT);
	assert_string_equal(err.field, "recipient");
	assert_int_equal(create_share(w, one, 1, NULL, 30, &doc, &err), OK_EINPUT);
	assert_int_equal(create_share(w, one, 1, "  ", 30, &doc, &err), OK_EINPUT);
	assert_int_equal(create_share(w, one, 1, "a\tb", 30, &doc, &err), OK_EINPUT);
	assert_int_equal(create_share(w, one, 1, "\xff\xfe", 30, &doc, &err), OK_EINPUT);
	memset(long_text, 'x', 201);
	long_text[201] = '\0';
	assert_int_equal(create_share(w, one, 1, long_text, 30, &doc, &err), OK_EINPUT);
	assert_string_equal(err.field, "recipient");
	assert_int_equal(create_share(w, one, 1, "X", 0, &doc, &err), OK_EINPUT);
	assert_string_equal(err.field, "days");
	assert_int_equal(create_share(w, one, 1, "X", 366, &doc, &err), OK_EINPUT);
	assert_string_equal(err.field, "days");
	assert_null(doc);
	assert_int_equal(count(w->f, "SELECT count(*) FROM share"), 0);
	/* 200 characters of two bytes each are fine. */
	for (int i = 0; i < 200; i++)
		memcpy(long_text + 2 * i, "\xc3\xa9", 2);
	long_text[400] = '\0';
	assert_int_equal(create_share(w, one, 1, long_text, 365, &doc, &err), 0);
	json_decref(doc);
}

static void share_json_errors(void **state)
{
	struct world *w = *state;
	static const char *const bodies[][2] = {
	        {"[]", ""},
	        {"{\"recipient\": \"X\"}", "achievements"},
	        {"{\"achievements\": \"x\", \"recipient\": \"X\"}", "achievements"},
	        {"{\"achievements\": [1], \"recipient\": \"X\"}", "achievements"},
	        {"{\"achievements\": [\"x\"]}", "recipient"},
	        {"{\"achievements\": [\"x\"], \"recipient\": 5}", "recipient"},
	        {"{\"achievements\": [\"x\"], \"recipient\": \"X\", \"days\": \"3\"}", "days"},
	        {"{\"achievements\": [\"x\"], \"recipient\": \"X\", \"days\": 2.5}", "days"},
	        {"{\"achievements\": [\"x\"], \"recipient\": \"X\", \"days\": -5}", "days"},
	        {"{\"achievements\": [\"x\"], \"recipient\": \"X\", \"to\": 1}", "body"},
	};
	struct ok_error err;
	json_t *body, *doc = NULL;

	for (size_t i = 0; i < sizeof(bodies) / sizeof(bodies[0]); i++) {
		body = json_loads(bodies[i][0], 0, NULL);
		assert_non_null(body);
		ok_error_clear(&err);
		assert_int_equal(
		        portal_share_create_json(&w->f->d, w->anna, body, "learner:x", &doc, &err),
		        OK_EINPUT);
		assert_string_equal(err.field, bodies[i][1]);
		json_decref(body);
	}
	/* days is optional: 30 by default. */
	body = json_pack("{s:[s], s:s}", "achievements", w->ids[2], "recipient", "Employer");
	assert_int_equal(portal_share_create_json(&w->f->d, w->anna, body, "learner:x", &doc, &err),
	                 0);
	assert_int_equal(count(w->f, "SELECT (expires_ms - created_ms) / 86400000 FROM share"), 30);
	json_decref(body);
	json_decref(doc);
}

/* Creates a share of Anna's three achievements; url gets its link. */
static void anna_shares(struct world *w, char id[STORE_ID_MAX + 1], char url[PORTAL_URL_MAX])
{
	const char *ids[] = {w->ids[1], w->ids[0], w->ids[2]};
	struct ok_error err;
	json_t *doc;

	if (create_share(w, ids, 3, "Employer X", 10, &doc, &err))
		fail_msg("share: %s", err.message);
	snprintf(id, STORE_ID_MAX + 1, "%s", json_string_value(json_object_get(doc, "id")));
	snprintf(url, PORTAL_URL_MAX, "%s", json_string_value(json_object_get(doc, "url")));
	assert_string_equal(json_string_value(json_object_get(doc, "recipient")), "Employer X");
	assert_int_equal(json_array_size(json_object_get(doc, "achievements")), 3);
	assert_string_equal(
	        json_string_value(json_array_get(json_object_get(doc, "achievements"), 0)),
	        w->ids[1]);
	json_decref(doc);
}

static void share_open_counts_and_verifies(void **state)
{
	struct world *w = *state;
	struct depository *d = &w->f->d;
	char id[STORE_ID_MAX + 1], url[PORTAL_URL_MAX];
	struct ok_error err;
	json_t *doc, *list, *a;
	size_t i;

	anna_shares(w, id, url);
	assert_int_equal(strncmp(url, "http://127.0.0.1:8080/s/", 24), 0);
	assert_true(portal_token_valid(token_of(url)));
	assert_false(reg_file_contains(w->f->db, token_of(url)));
	for (int n = 1; n <= 2; n++) {
		assert_int_equal(portal_share_open(d, token_of(url), &doc, &err), 0);
		assert_string_equal(json_string_value(json_object_get(doc, "state")), "valid");
		assert_string_equal(json_string_value(json_object_get(doc, "recipient")),
		                    "Employer X");
		assert_false(json_is_true(
		        json_object_get(json_object_get(doc, "depository"), "network_member")));
		list = json_object_get(doc, "achievements");
		assert_int_equal(json_array_size(list), 3);
		json_array_foreach(list, i, a)
		{
			assert_true(json_is_true(
			        json_object_get(json_object_get(a, "verification"), "verified")));
			assert_non_null(json_object_get(json_object_get(a, "credential"), "proof"));
			assert_string_equal(json_string_value(json_object_get(
			                            json_object_get(a, "institution"), "code")),
			                    "21PB");
		}
		assert_string_equal(
		        json_string_value(json_object_get(json_array_get(list, 0), "id")),
		        w->ids[1]);
		json_decref(doc);
		assert_int_equal(count(w->f, "SELECT uses FROM share WHERE id = '%s'", id), n);
		assert_int_equal(count(w->f, "SELECT count(*) FROM share_view"), n);
		assert_int_equal(count(w->f,
		                       "SELECT count(*) FROM audit_event WHERE actor = "
		                       "'share:%s' AND action = 'share.open'",
		                       id),
		                 n);
		/* The read of the learner's data is the opening's one event, naming the share
		 * and the credentials issued from it; no event of its own per credential. */
		assert_int_equal(count(w->f,
		                       "SELECT count(*) FROM audit_event WHERE actor = "
		                       "'share:%s' AND action = 'share.open' AND detail LIKE "
		                       "'share=%s issued=3 withdrawn=0 format=di key=1'",
		                       id, id),
		                 n);
		assert_int_equal(count(w->f,
		                       "SELECT count(*) FROM audit_event WHERE actor = "
		                       "'share:%s' AND action = 'credential.issue'",
		                       id),
		                 0);
		assert_int_equal(count(w->f,
		                       "SELECT count(*) FROM audit_event WHERE actor = "
		                       "'share:%s' AND action = 'learner.read'",
		                       id),
		                 0);
	}
	/* The learner sees both openings and the count. */
	assert_int_equal(portal_views_json(d, w->anna, &list, &err), 0);
	assert_int_equal(json_array_size(list), 2);
	assert_string_equal(json_string_value(json_object_get(json_array_get(list, 0), "share_id")),
	                    id);
	json_decref(list);
	assert_int_equal(portal_views_json(d, w->bram, &list, &err), 0);
	assert_int_equal(json_array_size(list), 0);
	json_decref(list);
	assert_int_equal(portal_shares_json(d, w->anna, NULL, &list, &err), 0);
	assert_int_equal(json_array_size(list), 1);
	a = json_array_get(list, 0);
	assert_int_equal(json_integer_value(json_object_get(a, "uses")), 2);
	assert_true(json_is_string(json_object_get(a, "last_used")));
	assert_false(json_is_true(json_object_get(a, "revoked")));
	json_decref(list);
	/* Unknown and malformed tokens: not found, nothing counted. */
	assert_int_equal(
	        portal_share_open(d, "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", &doc, &err),
	        OK_ENOTFOUND);
	assert_null(doc);
	assert_int_equal(portal_share_open(d, "x", &doc, &err), OK_ENOTFOUND);
	assert_int_equal(count(w->f, "SELECT count(*) FROM share_view"), 2);
}

static void share_revoked_or_expired_is_gone(void **state)
{
	struct world *w = *state;
	struct depository *d = &w->f->d;
	char id[STORE_ID_MAX + 1], url[PORTAL_URL_MAX], other[STORE_ID_MAX + 1],
	        other_url[PORTAL_URL_MAX];
	struct ok_error err;
	json_t *doc;

	anna_shares(w, id, url);
	anna_shares(w, other, other_url);
	/* Bram cannot revoke Anna's share: to him it does not exist. */
	assert_int_equal(portal_share_revoke(d, w->bram, id, "learner:x", &doc, &err),
	                 OK_ENOTFOUND);
	assert_int_equal(portal_share_revoke(d, w->anna, id, "learner:x", &doc, &err), 0);
	assert_true(json_is_true(json_object_get(doc, "revoked")));
	json_decref(doc);
	assert_int_equal(portal_share_revoke(d, w->anna, id, "learner:x", &doc, &err),
	                 OK_ECONFLICT);
	assert_int_equal(portal_share_revoke(d, NULL, "nosuch", "operator", NULL, &err),
	                 OK_ENOTFOUND);
	ok_error_clear(&err);
	assert_int_equal(portal_share_open(d, token_of(url), &doc, &err), OK_EGONE);
	assert_non_null(strstr(err.message, "revoked"));
	assert_string_equal(json_string_value(json_object_get(doc, "state")), "revoked");
	assert_true(json_is_string(json_object_get(doc, "expires")));
	json_decref(doc);
	assert_int_equal(count(w->f,
	                       "SELECT count(*) FROM audit_event WHERE action = "
	                       "'share.revoke' AND detail = 'share=%s'",
	                       id),
	                 1);
	/* Expired. */
	sql(w->f, "UPDATE share SET expires_ms = %lld WHERE id = '%s'", (long long)ok_now_ms() - 1,
	    other);
	ok_error_clear(&err);
	assert_int_equal(portal_share_open(d, token_of(other_url), &doc, &err), OK_EGONE);
	assert_non_null(strstr(err.message, "expired"));
	assert_string_equal(json_string_value(json_object_get(doc, "state")), "expired");
	json_decref(doc);
	assert_int_equal(count(w->f, "SELECT sum(uses) FROM share"), 0);
	/* An operator may revoke any share. */
	assert_int_equal(portal_share_revoke(d, NULL, other, "operator", NULL, &err), 0);
}

static void store_answers(void **state)
{
	struct world *w = *state;
	struct store *s = w->f->d.store;
	struct store_login_link l = {0}, got;
	struct store_share sh = {0};
	struct ok_error err;

	memset(l.token_hash, 7, sizeof(l.token_hash));
	snprintf(l.learner_id, sizeof(l.learner_id), "%s", w->anna);
	snprintf(l.created_by, sizeof(l.created_by), "operator");
	l.expires_ms = 5000;
	assert_int_equal(store_begin(s, &err), 0);
	assert_int_equal(store_login_link_put(s, &l, &err), 0);
	assert_int_equal(store_login_link_put(s, &l, &err), OK_EEXIST);
	assert_int_equal(store_login_link_find(s, l.token_hash, &got, &err), 0);
	assert_int_equal(got.used_ms, 0);
	assert_int_equal(store_login_link_use(s, l.token_hash, 100, &err), 0);
	assert_int_equal(store_login_link_use(s, l.token_hash, 200, &err), OK_ECONFLICT);
	assert_int_equal(store_login_link_find(s, l.token_hash, &got, &err), 0);
	assert_int_equal(got.used_ms, 100);
	assert_int_equal(store_login_link_prune(s, 5001, &err), 0);
	assert_int_equal(store_login_link_find(s, l.token_hash, &got, &err), OK_ENOTFOUND);

	snprintf(sh.id, sizeof(sh.id), "share1");
	snprintf(sh.learner_id, sizeof(sh.learner_id), "%s", w->anna);
	snprintf(sh.recipient, sizeof(sh.recipient), "R");
	snprintf(sh.achievements, sizeof(sh.achievements), "%s", w->ids[0]);
	assert_int_equal(store_share_put(s, &sh, &err), 0);
	assert_int_equal(store_share_use(s, "nosuch", 1, &err), OK_ENOTFOUND);
	/* An opening counts only while the share is live, checked as it is counted. */
	assert_int_equal(store_share_use(s, "share1", 0, &err), OK_EGONE);
	sh.expires_ms = 1000;
	snprintf(sh.id, sizeof(sh.id), "share2");
	memset(sh.token_hash, 2, sizeof(sh.token_hash));
	assert_int_equal(store_share_put(s, &sh, &err), 0);
	assert_int_equal(store_share_use(s, "share2", 999, &err), 0);
	assert_int_equal(store_share_use(s, "share2", 1000, &err), OK_EGONE);
	assert_int_equal(store_share_revoke(s, "share2", 5, &err), 0);
	assert_int_equal(store_share_use(s, "share2", 999, &err), OK_EGONE);
	assert_int_equal(store_share_revoke(s, "nosuch", 1, &err), OK_ENOTFOUND);
	assert_int_equal(store_share_revoke(s, "share1", 1, &err), 0);
	assert_int_equal(store_share_revoke(s, "share1", 2, &err), OK_ECONFLICT);
	assert_int_equal(store_session_delete(s, "nosuch", &err), OK_ENOTFOUND);
	assert_int_equal(store_commit(s, &err), 0);
}

/* The same tests with the records in SQLite and in PostgreSQL. */
/* clang-format off */
#define PORTAL_TESTS(setup)                                                                      \
	{                                                                                        \
	        cmocka_unit_test(tokens_and_csrf),                                               \
	        cmocka_unit_test_setup_teardown(configuration, setup, teardown),                 \
	        cmocka_unit_test_setup_teardown(login_link_once, setup, teardown),               \
	        cmocka_unit_test_setup_teardown(login_link_expires, setup, teardown),            \
	        cmocka_unit_test_setup_teardown(login_link_by_national_id, setup, teardown),     \
	        cmocka_unit_test_setup_teardown(sessions_end_when_idle, setup, teardown),        \
	        cmocka_unit_test_setup_teardown(learner_view, setup, teardown),                  \
	        cmocka_unit_test_setup_teardown(share_input_errors, setup, teardown),            \
	        cmocka_unit_test_setup_teardown(share_json_errors, setup, teardown),             \
	        cmocka_unit_test_setup_teardown(share_open_counts_and_verifies, setup, teardown), \
	        cmocka_unit_test_setup_teardown(share_revoked_or_expired_is_gone, setup,         \
	                                        teardown),                                       \
	        cmocka_unit_test_setup_teardown(store_answers, setup, teardown),                 \
	}
/* clang-format on */

int main(void)
{
	const struct CMUnitTest on_sqlite[] = PORTAL_TESTS(setup);
	const struct CMUnitTest on_pg[] = PORTAL_TESTS(setup_pg);
	int failed = cmocka_run_group_tests_name("portal on SQLite", on_sqlite, NULL, NULL);

	if (pg_test_base())
		failed += cmocka_run_group_tests_name("portal on PostgreSQL", on_pg, NULL, NULL);
	else
		printf("portal on PostgreSQL: skipped (OORKONDE_TEST_PG is not set)\n");
	return failed;
}
