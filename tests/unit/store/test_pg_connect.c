/* The PostgreSQL store's client-side bounds on its connections (review N5): without a word about
 * them in the connection string, keepalives, connect_timeout and tcp_user_timeout are set; what
 * the string (a key=value list or a URL) sets stands. No server is needed: libpq reports the
 * options a connection was tried with also when it failed. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "store/pg_connect.h"

/* The value conn was tried with for keyword, or "" when none. */
static const char *option(PQconninfoOption *opts, const char *keyword)
{
	for (; opts && opts->keyword; opts++)
		if (strcmp(opts->keyword, keyword) == 0)
			return opts->val ? opts->val : "";
	return "";
}

static PQconninfoOption *tried(const char *conninfo)
{
	PGconn *c = pg_connect_bounded(conninfo);
	PQconninfoOption *opts;

	assert_non_null(c);
	opts = PQconninfo(c);
	PQfinish(c);
	assert_non_null(opts);
	return opts;
}

static void test_bounds_are_set_by_default(void **state)
{
	PQconninfoOption *opts;

	(void)state;
	unsetenv("PGCONNECT_TIMEOUT");
	opts = tried("host=/nonexistent-ok-test dbname=ok_none");
	assert_string_equal(option(opts, "dbname"), "ok_none");
	assert_string_equal(option(opts, "keepalives"), "1");
	assert_string_equal(option(opts, "connect_timeout"), PG_CONNECT_TIMEOUT_S);
	assert_string_equal(option(opts, "tcp_user_timeout"), PG_TCP_USER_TIMEOUT_MS);
	assert_string_equal(option(opts, "keepalives_count"), PG_KEEPALIVES_COUNT);
	PQconninfoFree(opts);
}

static void test_the_connection_string_wins(void **state)
{
	PQconninfoOption *opts;

	(void)state;
	opts = tried("host=/nonexistent-ok-test dbname=ok_none keepalives=0 connect_timeout=3 "
	             "tcp_user_timeout=5000");
	assert_string_equal(option(opts, "keepalives"), "0");
	assert_string_equal(option(opts, "connect_timeout"), "3");
	assert_string_equal(option(opts, "tcp_user_timeout"), "5000");
	PQconninfoFree(opts);
	opts = tried("postgresql:///ok_url?host=/nonexistent-ok-test&connect_timeout=4");
	assert_string_equal(option(opts, "dbname"), "ok_url");
	assert_string_equal(option(opts, "connect_timeout"), "4");
	assert_string_equal(option(opts, "keepalives"), "1");
	PQconninfoFree(opts);
	/* The environment's timeout stands too. */
	setenv("PGCONNECT_TIMEOUT", "7", 1);
	opts = tried("host=/nonexistent-ok-test dbname=ok_none");
	assert_string_equal(option(opts, "connect_timeout"), "7");
	unsetenv("PGCONNECT_TIMEOUT");
	PQconninfoFree(opts);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_bounds_are_set_by_default),
	        cmocka_unit_test(test_the_connection_string_wins),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
