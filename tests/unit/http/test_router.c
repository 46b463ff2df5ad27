/* Route matching (http/router.h): which route a method and path reach, the parameters taken from
 * the path, and the difference a client sees between an unknown path (404) and a known path
 * asked with another method (405, with the Allow header's methods). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "http/router.h"

/* A table shaped as the server's (http/routes.c): the same path under several methods, more
 * than one parameter, a literal suffix after a parameter. */
static const struct router_entry routes[] = {
        {"GET", "/healthz"},
        {"POST", "/v1/results"},
        {"GET", "/v1/achievements/{id}"},
        {"PATCH", "/v1/achievements/{id}"},
        {"GET", "/v1/achievements/{id}/credential"},
        {"POST", "/v1/achievements/{id}/revoke"},
        {"GET", "/status/{purpose}/{n}"},
        {"GET", "/s/{token}.json"},
        {"GET", "/s/{token}"},
        {"DELETE", "/v1/me/shares/{id}"},
};
#define NROUTES (sizeof(routes) / sizeof(routes[0]))

static enum router_result match(const char *method, const char *path, size_t *index,
                                struct router_match *m, char *allow, size_t allow_cap)
{
	*index = (size_t)-1;
	memset(m, 0, sizeof(*m));
	return router_match(routes, NROUTES, method, path, index, m, allow, allow_cap);
}

/* The route a request reaches, as "METHOD PATTERN", or "" when none. */
static const char *found(const char *method, const char *path, struct router_match *m)
{
	size_t i;
	static char out[128];

	out[0] = '\0';
	if (match(method, path, &i, m, NULL, 0) == ROUTER_FOUND)
		snprintf(out, sizeof(out), "%s %s", routes[i].method, routes[i].pattern);
	return out;
}

static void test_literal_paths_and_methods(void **state)
{
	struct router_match m;

	(void)state;
	assert_string_equal(found("GET", "/healthz", &m), "GET /healthz");
	assert_int_equal(m.nparams, 0);
	assert_string_equal(found("POST", "/v1/results", &m), "POST /v1/results");
	/* Nothing is matched by prefix, by a trailing slash or by case. */
	assert_string_equal(found("GET", "/healthz/", &m), "");
	assert_string_equal(found("GET", "/healthzz", &m), "");
	assert_string_equal(found("GET", "/HEALTHZ", &m), "");
	assert_string_equal(found("GET", "/", &m), "");
	assert_string_equal(found("GET", "", &m), "");
	/* A method is compared exactly. */
	assert_string_equal(found("get", "/healthz", &m), "");
}

static void test_parameters_are_taken_from_the_path(void **state)
{
	struct router_match m;

	(void)state;
	assert_string_equal(found("GET", "/v1/achievements/01HXYZ-abc_9", &m),
	                    "GET /v1/achievements/{id}");
	assert_int_equal(m.nparams, 1);
	assert_string_equal(m.params[0], "01HXYZ-abc_9");

	assert_string_equal(found("PATCH", "/v1/achievements/a1", &m),
	                    "PATCH /v1/achievements/{id}");
	assert_string_equal(m.params[0], "a1");

	assert_string_equal(found("GET", "/v1/achievements/a1/credential", &m),
	                    "GET /v1/achievements/{id}/credential");
	assert_string_equal(m.params[0], "a1");

	assert_string_equal(found("GET", "/status/revocation/12", &m), "GET /status/{purpose}/{n}");
	assert_int_equal(m.nparams, 2);
	assert_string_equal(m.params[0], "revocation");
	assert_string_equal(m.params[1], "12");

	/* did:web style values keep their colons and dots. */
	assert_string_equal(found("GET", "/v1/achievements/did:web:a.example", &m),
	                    "GET /v1/achievements/{id}");
	assert_string_equal(m.params[0], "did:web:a.example");
}

static void test_literal_suffix_after_a_parameter(void **state)
{
	struct router_match m;

	(void)state;
	assert_string_equal(found("GET", "/s/tok_EN-1.json", &m), "GET /s/{token}.json");
	assert_int_equal(m.nparams, 1);
	assert_string_equal(m.params[0], "tok_EN-1");
	/* Without the suffix, the other route; the suffix alone is no token. */
	assert_string_equal(found("GET", "/s/tok_EN-1", &m), "GET /s/{token}");
	assert_string_equal(m.params[0], "tok_EN-1");
	assert_string_equal(found("GET", "/s/.json", &m), "GET /s/{token}");
	assert_string_equal(m.params[0], ".json");
}

static void test_parameters_refused(void **state)
{
	struct router_match m;
	char longest[ROUTER_PARAM_MAX + 1], too_long[ROUTER_PARAM_MAX + 2];
	char path[256];

	(void)state;
	/* Empty, ".", "..", and characters outside the set. */
	assert_string_equal(found("GET", "/v1/achievements/", &m), "");
	assert_string_equal(found("GET", "/v1/achievements/.", &m), "");
	assert_string_equal(found("GET", "/v1/achievements/..", &m), "");
	assert_string_equal(found("GET", "/v1/achievements/../credential", &m), "");
	/* ".." before the suffix is no token of the .json route. */
	assert_string_equal(found("GET", "/s/...json", &m), "GET /s/{token}");
	assert_string_equal(m.params[0], "...json");
	assert_string_equal(found("GET", "/v1/achievements/a%2F", &m), "");
	assert_string_equal(found("GET", "/v1/achievements/a b", &m), "");
	assert_string_equal(found("GET", "/v1/achievements/a?x=1", &m), "");
	/* One segment only. */
	assert_string_equal(found("GET", "/v1/achievements/a/b", &m), "");
	/* ROUTER_PARAM_MAX characters at most. */
	memset(longest, 'x', sizeof(longest) - 1);
	longest[sizeof(longest) - 1] = '\0';
	memset(too_long, 'x', sizeof(too_long) - 1);
	too_long[sizeof(too_long) - 1] = '\0';
	snprintf(path, sizeof(path), "/v1/achievements/%s", longest);
	assert_string_equal(found("GET", path, &m), "GET /v1/achievements/{id}");
	assert_string_equal(m.params[0], longest);
	snprintf(path, sizeof(path), "/v1/achievements/%s", too_long);
	assert_string_equal(found("GET", path, &m), "");
}

static void test_unknown_path_is_not_found(void **state)
{
	size_t i;
	struct router_match m;
	char allow[64] = "stale";

	(void)state;
	assert_int_equal(match("GET", "/no/such/thing", &i, &m, allow, sizeof(allow)),
	                 ROUTER_NOT_FOUND);
	assert_string_equal(allow, "");
	assert_int_equal(match("POST", "/v1/achievements/a1/unknown", &i, &m, allow, sizeof(allow)),
	                 ROUTER_NOT_FOUND);
	assert_string_equal(allow, "");
}

static void test_known_path_other_method_is_not_allowed(void **state)
{
	size_t i;
	struct router_match m;
	char allow[64];

	(void)state;
	assert_int_equal(match("GET", "/v1/results", &i, &m, allow, sizeof(allow)),
	                 ROUTER_METHOD_NOT_ALLOWED);
	assert_string_equal(allow, "POST");
	/* Every method of the path, in table order. */
	assert_int_equal(match("DELETE", "/v1/achievements/a1", &i, &m, allow, sizeof(allow)),
	                 ROUTER_METHOD_NOT_ALLOWED);
	assert_string_equal(allow, "GET, PATCH");
	assert_int_equal(match("GET", "/v1/achievements/a1/revoke", &i, &m, allow, sizeof(allow)),
	                 ROUTER_METHOD_NOT_ALLOWED);
	assert_string_equal(allow, "POST");
	/* Without room for the list, the verdict stands and nothing overflows. */
	assert_int_equal(match("DELETE", "/v1/achievements/a1", &i, &m, NULL, 0),
	                 ROUTER_METHOD_NOT_ALLOWED);
	memset(allow, 'z', sizeof(allow));
	assert_int_equal(match("DELETE", "/v1/achievements/a1", &i, &m, allow, 6),
	                 ROUTER_METHOD_NOT_ALLOWED);
	assert_true(strlen(allow) < 6);
	assert_int_equal(allow[6], 'z');
	/* A found route leaves no Allow list behind. */
	assert_int_equal(match("GET", "/v1/achievements/a1", &i, &m, allow, sizeof(allow)),
	                 ROUTER_FOUND);
	assert_string_equal(allow, "");
	assert_string_equal(routes[i].pattern, "/v1/achievements/{id}");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_literal_paths_and_methods),
	        cmocka_unit_test(test_parameters_are_taken_from_the_path),
	        cmocka_unit_test(test_literal_suffix_after_a_parameter),
	        cmocka_unit_test(test_parameters_refused),
	        cmocka_unit_test(test_unknown_path_is_not_found),
	        cmocka_unit_test(test_known_path_other_method_is_not_allowed),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
