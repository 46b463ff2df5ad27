/* Unit tests for content negotiation: which media type a verifier's Accept header gets. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "http/negotiate.h"

static const char *const vc[] = {"application/json", "application/vc", "application/vc+jwt"};

static const char *pick(const char *accept, size_t n)
{
	return vc[http_negotiate(accept, vc, n)];
}

static void defaults_to_json(void **state)
{
	(void)state;
	assert_string_equal(pick(NULL, 2), "application/json");
	assert_string_equal(pick("", 2), "application/json");
	assert_string_equal(pick("*/*", 3), "application/json");
	assert_string_equal(pick("application/*", 3), "application/json");
	/* Nothing matches: the default, not a 406 (negotiate.h says why). */
	assert_string_equal(pick("text/html", 2), "application/json");
	assert_string_equal(pick("application/vc+ld+json", 2), "application/json");
	assert_string_equal(pick("garbage;;;,/,*/x", 2), "application/json");
}

static void named_types_win(void **state)
{
	(void)state;
	assert_string_equal(pick("application/vc", 2), "application/vc");
	assert_string_equal(pick("APPLICATION/VC", 2), "application/vc");
	assert_string_equal(pick("application/json", 2), "application/json");
	assert_string_equal(pick("text/html, application/vc;charset=utf-8", 2), "application/vc");
	/* An exact name beats a wildcard at the same q. */
	assert_string_equal(pick("*/*, application/vc", 2), "application/vc");
	/* At equal q the one named first. */
	assert_string_equal(pick("application/vc, application/json", 2), "application/vc");
	assert_string_equal(pick("application/json, application/vc", 2), "application/json");
	/* The JWT only when it is offered. */
	assert_string_equal(pick("application/vc+jwt", 2), "application/json");
	assert_string_equal(pick("application/vc+jwt", 3), "application/vc+jwt");
}

static void q_values(void **state)
{
	(void)state;
	assert_string_equal(pick("application/json;q=0.5, application/vc", 2), "application/vc");
	assert_string_equal(pick("application/vc;q=0.9, application/json;q=0.95", 2),
	                    "application/json");
	assert_string_equal(pick("application/vc ; q=1.000", 2), "application/vc");
	/* q=0: not acceptable, even under a wildcard that would allow it. */
	assert_string_equal(pick("application/json;q=0, */*", 2), "application/vc");
	assert_string_equal(pick("application/json;q=0", 2), "application/json");
	/* A malformed q drops the range. */
	assert_string_equal(pick("application/vc;q=2", 2), "application/json");
	assert_string_equal(pick("application/vc;q=0.1234", 2), "application/json");
	assert_string_equal(pick("application/vc;q=", 2), "application/json");
}

static void many_ranges(void **state)
{
	char accept[4096];
	size_t i, n = 0;

	(void)state;
	/* Past HTTP_ACCEPT_MAX_RANGES the header is not read further. */
	for (i = 0; i < HTTP_ACCEPT_MAX_RANGES; i++)
		n += (size_t)snprintf(accept + n, sizeof(accept) - n, "text/x%zu, ", i);
	snprintf(accept + n, sizeof(accept) - n, "application/vc");
	assert_string_equal(pick(accept, 2), "application/json");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(defaults_to_json),
	        cmocka_unit_test(named_types_win),
	        cmocka_unit_test(q_values),
	        cmocka_unit_test(many_ranges),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
