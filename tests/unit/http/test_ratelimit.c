/* Rate-limit keys per client address: one key for a whole IPv6 /64, which one subscriber holds
 * and can rotate through, and an IPv4 client seen by a dual-stack listener is keyed as IPv4. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>

#include "http/ratelimit.h"

static void key_of6(const char *addr, char *out, size_t cap)
{
	struct sockaddr_in6 sa;

	memset(&sa, 0, sizeof(sa));
	sa.sin6_family = AF_INET6;
	assert_int_equal(inet_pton(AF_INET6, addr, &sa.sin6_addr), 1);
	ratelimit_client_key((const struct sockaddr *)&sa, out, cap);
}

static void test_ipv6_addresses_of_one_64_share_a_key(void **state)
{
	char a[64], b[64], c[64];

	(void)state;
	key_of6("2001:db8:1:2::1", a, sizeof(a));
	key_of6("2001:db8:1:2:dead:beef:0:7", b, sizeof(b));
	key_of6("2001:db8:1:3::1", c, sizeof(c));
	assert_string_equal(a, b);
	assert_string_not_equal(a, c);
}

static void test_ipv4_keeps_its_address(void **state)
{
	struct sockaddr_in sa;
	char a[64], m[64], n[64];

	(void)state;
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	inet_pton(AF_INET, "192.0.2.7", &sa.sin_addr);
	ratelimit_client_key((const struct sockaddr *)&sa, a, sizeof(a));
	assert_string_equal(a, "192.0.2.7");
	/* The same client through a dual-stack listener, and its neighbour: not one /64. */
	key_of6("::ffff:192.0.2.7", m, sizeof(m));
	key_of6("::ffff:192.0.2.8", n, sizeof(n));
	assert_string_equal(m, a);
	assert_string_not_equal(m, n);
}

static void test_no_address_is_unknown(void **state)
{
	char a[64];

	(void)state;
	ratelimit_client_key(NULL, a, sizeof(a));
	assert_string_equal(a, "unknown");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_ipv6_addresses_of_one_64_share_a_key),
	        cmocka_unit_test(test_ipv4_keeps_its_address),
	        cmocka_unit_test(test_no_address_is_unknown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
