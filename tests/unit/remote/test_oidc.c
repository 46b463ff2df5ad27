/* Unit tests of what oorkonde reads from an OpenID provider and its operator: a discovery
 * document only of the configured issuer, with every endpoint over https on the issuer's host or
 * a host the operator allowed (no user-info trick), the code flow and S256 offered, an algorithm
 * both sides accept; a key chosen by kid and algorithm, never an ambiguous one; and the provider
 * configuration's refusals, each naming the field. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>
#include <sodium.h>

#include "remote/oidc.h"

static void provider(struct oidc_provider *p)
{
	memset(p, 0, sizeof(*p));
	strcpy(p->id, "nl");
	strcpy(p->issuer, "https://id.example.nl");
	strcpy(p->client_id, "oorkonde");
	strcpy(p->claim, "bsn");
	strcpy(p->endpoint_hosts, "keys.example.nl");
	p->scheme = OIDC_SCHEME_NL_BSN;
	strcpy(p->scheme_country, "NL");
	p->algs_allowed = JOSE_ALG_ES256 | JOSE_ALG_EDDSA | JOSE_ALG_RS256 | JOSE_ALG_PS256;
}

/* A discovery document with member name set to value (raw JSON), or left out when value is
 * NULL. */
static int metadata(const char *name, const char *value, struct oidc_metadata *m,
                    struct ok_error *err)
{
	struct oidc_provider p;
	json_t *doc = json_pack(
	        "{s:s, s:s, s:s, s:s, s:[s], s:[s], s:[s, s]}", "issuer", "https://id.example.nl",
	        "authorization_endpoint", "https://id.example.nl/auth", "token_endpoint",
	        "https://id.example.nl/token", "jwks_uri", "https://keys.example.nl/jwks",
	        "response_types_supported", "code", "code_challenge_methods_supported", "S256",
	        "id_token_signing_alg_values_supported", "RS256", "HS256");
	char *text;
	int rc;

	if (value)
		json_object_set_new(doc, name, json_loads(value, JSON_DECODE_ANY, NULL));
	else if (name)
		json_object_del(doc, name);
	text = json_dumps(doc, JSON_COMPACT);
	provider(&p);
	rc = oidc_metadata_parse(text, strlen(text), &p, m, err);
	free(text);
	json_decref(doc);
	return rc;
}

static void test_discovery_accepted(void **state)
{
	struct oidc_metadata m;
	struct ok_error err;

	(void)state;
	assert_int_equal(metadata(NULL, NULL, &m, &err), 0);
	assert_string_equal(m.token_endpoint, "https://id.example.nl/token");
	/* HS256 is offered but never taken. */
	assert_int_equal(m.algs, JOSE_ALG_RS256);
	assert_string_equal(m.par_endpoint, "");
}

static void test_discovery_refusals(void **state)
{
	static const struct {
		const char *name, *value, *field;
	} cases[] = {
	        {"issuer", "\"https://id.example.nl/\"", "issuer"},
	        {"issuer", "\"https://evil.example\"", "issuer"},
	        {"token_endpoint", "\"http://id.example.nl/token\"", "token_endpoint"},
	        {"token_endpoint", "\"https://evil.example/token\"", "token_endpoint"},
	        {"token_endpoint", "\"https://id.example.nl@evil.example/token\"",
	         "token_endpoint"},
	        {"jwks_uri", "\"https://id.example.nl.evil.example/jwks\"", "jwks_uri"},
	        {"pushed_authorization_request_endpoint", "\"https://10.0.0.1/par\"",
	         "pushed_authorization_request_endpoint"},
	        {"jwks_uri", NULL, "jwks_uri"},
	        /* Control characters would end up in a Location header. */
	        {"authorization_endpoint", "\"https://id.example.nl/auth\\r\\nX: y\"",
	         "authorization_endpoint"},
	        {"authorization_endpoint", "\"https://id.example.nl/a\\tb\"",
	         "authorization_endpoint"},
	        {"authorization_endpoint", "\"https://id.example.nl/\\u00e9\"",
	         "authorization_endpoint"},
	        {"code_challenge_methods_supported", "[\"plain\"]",
	         "code_challenge_methods_supported"},
	        {"response_types_supported", "[\"id_token\"]", "response_types_supported"},
	        {"id_token_signing_alg_values_supported", "[\"none\", \"HS256\"]",
	         "id_token_signing_alg_values_supported"},
	};
	struct oidc_metadata m;
	struct ok_error err;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		ok_error_clear(&err);
		assert_int_equal(metadata(cases[i].name, cases[i].value, &m, &err), OK_EINPUT);
		assert_string_equal(err.field, cases[i].field);
	}
}

static void test_key_chosen_by_kid_and_alg(void **state)
{
	static const char doc[] = "{\"keys\":[{\"kty\":\"EC\",\"crv\":\"P-256\",\"kid\":\"a\","
	                          "\"x\":\"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU\","
	                          "\"y\":\"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0\"},"
	                          "{\"kty\":\"EC\",\"crv\":\"P-256\",\"kid\":\"b\",\"use\":\"enc\","
	                          "\"x\":\"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU\","
	                          "\"y\":\"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0\"},"
	                          "{\"kty\":\"EC\",\"crv\":\"P-256\",\"kid\":\"c\","
	                          "\"x\":\"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU\","
	                          "\"y\":\"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0\"}]}";
	struct ok_error err;
	struct jose_jwk key;
	json_t *jwks;

	(void)state;
	assert_int_equal(oidc_jwks_parse(doc, strlen(doc), &jwks, &err), 0);
	assert_int_equal(oidc_jwks_key(jwks, "a", JOSE_ALG_ES256, &key, &err), 0);
	jose_jwk_release(&key);
	/* An encryption key is no signing key; an RSA algorithm finds no EC key. */
	assert_int_equal(oidc_jwks_key(jwks, "b", JOSE_ALG_ES256, &key, &err), OK_ENOTFOUND);
	assert_int_equal(oidc_jwks_key(jwks, "a", JOSE_ALG_RS256, &key, &err), OK_ENOTFOUND);
	/* Without a kid, two keys that fit are ambiguous. */
	assert_int_equal(oidc_jwks_key(jwks, NULL, JOSE_ALG_ES256, &key, &err), OK_ENOTFOUND);
	json_decref(jwks);
	assert_int_equal(oidc_jwks_parse("{\"keys\":{}}", 11, &jwks, &err), OK_EINPUT);
	assert_null(jwks);
}

static void test_config_refusals(void **state)
{
	static const struct {
		const char *json, *field;
	} cases[] = {
	        {"{\"providers\":[{\"id\":\"NL\"}]}", "id"},
	        {"{\"providers\":[{\"id\":\"nl\",\"name\":\"x\",\"issuer\":\"http://id.example\","
	         "\"client_id\":\"c\",\"client_auth\":\"client_secret_basic\","
	         "\"national_id_claim\":\"bsn\",\"id_scheme\":\"NL:BSN\"}]}",
	         "issuer"},
	        {"{\"providers\":[{\"id\":\"nl\",\"name\":\"x\",\"issuer\":\"https://id.example\","
	         "\"client_id\":\"c\",\"client_auth\":\"client_secret_post\","
	         "\"national_id_claim\":\"bsn\",\"id_scheme\":\"NL:BSN\"}]}",
	         "client_auth"},
	        {"{\"providers\":[{\"id\":\"nl\",\"name\":\"x\",\"issuer\":\"https://id.example\","
	         "\"client_id\":\"c\",\"client_auth\":\"client_secret_basic\","
	         "\"national_id_claim\":\"bsn\",\"id_scheme\":\"NL:BSN\",\"algs\":[\"HS256\"]}]}",
	         "algs"},
	        {"{\"providers\":[{\"id\":\"nl\",\"name\":\"x\",\"issuer\":\"https://id.example\","
	         "\"client_id\":\"c\",\"client_auth\":\"client_secret_basic\","
	         "\"national_id_claim\":\"bsn\",\"id_scheme\":\"NL:BSN\",\"secret\":\"s\"}]}",
	         "providers"},
	        {"{\"providers\":[],\"timeout_ms\":100000}", "timeout_ms"},
	};
	struct oidc_rp rp;
	struct ok_error err;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		json_t *o = json_loads(cases[i].json, 0, NULL);
		ok_error_clear(&err);
		assert_non_null(o);
		assert_int_equal(oidc_config_parse(o, &rp, &err), OK_EINPUT);
		assert_string_equal(err.field, cases[i].field);
		oidc_rp_release(&rp);
		json_decref(o);
	}
}

/* Reads value by the scheme (pattern, countries as config gives them): 0 and who filled, or the
 * refusal. */
static int scheme_read(const char *scheme, const char *pattern, const char *countries,
                       const char *value, struct oidc_identity *who)
{
	struct oidc_provider p;
	struct ok_error err;
	int rc;

	provider(&p);
	assert_int_equal(oidc_scheme_parse(&p, scheme, pattern, countries, &err), 0);
	ok_error_clear(&err);
	rc = oidc_scheme_read(&p, value, strlen(value), who, &err);
	if (rc)
		assert_string_equal(err.field, "national_id_claim");
	if (p.has_pattern)
		regfree(&p.pattern);
	return rc;
}

static void test_national_id_by_scheme(void **state)
{
	struct oidc_identity who;

	(void)state;
	/* NL:BSN: nine digits passing the eleven-test, nothing else. */
	assert_int_equal(scheme_read("NL:BSN", NULL, NULL, "111222333", &who), 0);
	assert_string_equal(who.national_id, "111222333");
	assert_string_equal(who.country, "NL");
	assert_int_equal(scheme_read("NL:BSN", NULL, NULL, "123456789", &who), OK_EINVALID);
	assert_int_equal(scheme_read("NL:BSN", NULL, NULL, "NL111222333", &who), OK_EINVALID);
	assert_int_equal(scheme_read("NL:BSN", NULL, NULL, "111 222 333", &who), OK_EINVALID);
	assert_int_equal(scheme_read("NL:BSN", NULL, NULL, "11122233", &who), OK_EINVALID);
	/* eIDAS: CC/DD/value; the country is the first; NL values are BSNs. */
	assert_int_equal(scheme_read("eIDAS", NULL, "BE", "BE/NL/85073003328", &who), 0);
	assert_string_equal(who.national_id, "85073003328");
	assert_string_equal(who.country, "BE");
	assert_int_equal(scheme_read("eIDAS", NULL, "BE,NL", "NL/NL/111222333", &who), 0);
	assert_int_equal(scheme_read("eIDAS", NULL, "NL", "NL/NL/123456789", &who), OK_EINVALID);
	assert_int_equal(scheme_read("eIDAS", NULL, "BE", "DE/NL/12345678", &who), OK_EINVALID);
	assert_int_equal(scheme_read("eIDAS", NULL, "BE", "BE-NL-85073003328", &who), OK_EINVALID);
	assert_int_equal(scheme_read("eIDAS", NULL, "BE", "be/NL/85073003328", &who), OK_EINVALID);
	/* R2: a Dutch BSN only from a node the operator lets speak for NL. */
	assert_int_equal(scheme_read("eIDAS", NULL, "BE", "NL/NL/111222333", &who), OK_EINVALID);
	/* CC:NAME: the pattern whole, else letters and digits, never another country's prefix. */
	assert_int_equal(scheme_read("BE:RRN", "[0-9]{11}", NULL, "85073003328", &who), 0);
	assert_string_equal(who.country, "BE");
	assert_int_equal(scheme_read("BE:RRN", "[0-9]{11}", NULL, "x85073003328", &who),
	                 OK_EINVALID);
	assert_int_equal(scheme_read("BE:RRN", NULL, NULL, "85.07.30-033.28", &who), 0);
	assert_int_equal(scheme_read("BE:RRN", NULL, NULL, "NL111222333", &who), OK_EINVALID);
	assert_int_equal(scheme_read("BE:RRN", NULL, NULL, "BE85073003328", &who), 0);
	assert_int_equal(scheme_read("BE:RRN", NULL, NULL, "85/07", &who), OK_EINVALID);
}

/* R1: another country's id, however spelled, is refused before any lookup: the importer's normal
 * form drops separators and capitalises, so the guard looks at that form. */
static void test_other_countries_ids_refused_in_any_spelling(void **state)
{
	static const char *bsn[] = {"111222333",    "nl 111222333",  "NL.111222333", "N-L111222333",
	                            "nl-111222333", "n.l.111222333", "111 222 333",  "111.222.333",
	                            "DE12345678",   "d e 12345678"};
	struct oidc_identity who;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bsn) / sizeof(*bsn); i++) {
		assert_int_equal(scheme_read("BE:RRN", NULL, NULL, bsn[i], &who), OK_EINVALID);
		char eidas[80];
		snprintf(eidas, sizeof(eidas), "BE/NL/%s", bsn[i]);
		assert_int_equal(scheme_read("eIDAS", NULL, "BE", eidas, &who), OK_EINVALID);
	}
	/* With id_pattern: the pattern gives the shape, the prefix guard still applies. */
	assert_int_equal(scheme_read("BE:RRN", "[A-Za-z0-9 .-]{4,32}", NULL, "nl 111222333", &who),
	                 OK_EINVALID);
	assert_int_equal(scheme_read("BE:RRN", "[A-Za-z0-9 .-]{4,32}", NULL, "DE12345678", &who),
	                 OK_EINVALID);
	assert_int_equal(scheme_read("BE:RRN", "[A-Za-z0-9 .-]{4,32}", NULL, "be85073003328", &who),
	                 0);
	/* A bare BSN-like number only where the operator's pattern allows nine digits. */
	assert_int_equal(scheme_read("BE:RRN", "[0-9]{9}|[0-9]{11}", NULL, "111222333", &who), 0);
	/* eIDAS values the same way. */
	assert_int_equal(scheme_read("eIDAS", NULL, "BE", "BE/NL/nl 111222333", &who), OK_EINVALID);
	assert_int_equal(scheme_read("eIDAS", NULL, "BE", "BE/NL/111222333", &who), OK_EINVALID);
	assert_int_equal(scheme_read("eIDAS", NULL, "BE", "BE/NL/be.85073003328", &who), 0);
	/* Belgian numbers of eleven digits and other countries' nine that fail the test pass. */
	assert_int_equal(scheme_read("BE:RRN", NULL, NULL, "85.07.30-033.28", &who), 0);
	assert_int_equal(scheme_read("BE:RRN", NULL, NULL, "123456789", &who), 0);
}

/* R2: an eIDAS provider names the countries it may speak for. */
static void test_eidas_needs_id_countries(void **state)
{
	struct oidc_provider p;
	struct ok_error err;

	(void)state;
	provider(&p);
	ok_error_clear(&err);
	assert_int_equal(oidc_scheme_parse(&p, "eIDAS", NULL, NULL, &err), OK_EINPUT);
	assert_string_equal(err.field, "id_countries");
	ok_error_clear(&err);
	assert_int_equal(oidc_scheme_parse(&p, "eIDAS", NULL, "", &err), OK_EINPUT);
	assert_string_equal(err.field, "id_countries");
	ok_error_clear(&err);
	assert_int_equal(oidc_scheme_parse(&p, "eIDAS", NULL, "BE,DE", &err), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_discovery_accepted),
	        cmocka_unit_test(test_discovery_refusals),
	        cmocka_unit_test(test_key_chosen_by_kid_and_alg),
	        cmocka_unit_test(test_config_refusals),
	        cmocka_unit_test(test_national_id_by_scheme),
	        cmocka_unit_test(test_other_countries_ids_refused_in_any_spelling),
	        cmocka_unit_test(test_eidas_needs_id_countries),
	};

	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
