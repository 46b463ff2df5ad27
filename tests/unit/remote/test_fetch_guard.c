/* Unit tests of the bounds on what the depository fetches and keeps from other issuers: the
 * status list cache within its bytes (the least recently used dropped, an oversized list not
 * kept), the fetch guard's caps on fetches in flight (per host, per issuer, in all) against a
 * loopback socket that never answers, remembered failures answered without a connection, and
 * status list numbers with one spelling each. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "remote/http_client.h"
#include "remote/fetch_guard.h"
#include "registry/status.h"
#include "remote/status_cache.h"

static unsigned char *list_of(size_t n, unsigned char fill)
{
	unsigned char *b = malloc(n);

	assert_non_null(b);
	memset(b, fill, n);
	return b;
}

static void test_status_cache_stays_within_its_bytes(void **state)
{
	struct remote_status_cache c;
	struct ok_error err;

	(void)state;
	remote_status_cache_init(&c, 600, NULL);
	c.lists.max_bytes = 3000;
	remote_status_cache_put(&c, "https://a/1", "did:x", list_of(1000, 0xff), 1000, 60);
	remote_status_cache_put(&c, "https://a/2", "did:x", list_of(1000, 0xff), 1000, 60);
	remote_status_cache_put(&c, "https://a/3", "did:x", list_of(1000, 0xff), 1000, 60);
	assert_int_equal(c.lists.bytes, 3000);
	assert_int_equal(remote_status_cache_bit(&c, "https://a/1", "did:x", 0, &err), 1);
	/* A fourth list pushes out the least recently used only (a/2: a/1 was just read). */
	remote_status_cache_put(&c, "https://a/4", "did:x", list_of(1000, 0), 1000, 60);
	assert_int_equal(c.lists.bytes, 3000);
	assert_int_equal(remote_status_cache_bit(&c, "https://a/2", "did:x", 0, &err),
	                 OK_ENOTFOUND);
	assert_int_equal(remote_status_cache_bit(&c, "https://a/1", "did:x", 0, &err), 1);
	assert_int_equal(remote_status_cache_bit(&c, "https://a/4", "did:x", 0, &err), 0);
	/* Another issuer's list is not this one, under the same URL. */
	assert_int_equal(remote_status_cache_bit(&c, "https://a/4", "did:y", 0, &err),
	                 OK_ENOTFOUND);
	/* A big one makes room for itself by dropping as many as it needs. */
	remote_status_cache_put(&c, "https://a/5", "did:x", list_of(2500, 0), 2500, 60);
	assert_true(c.lists.bytes <= 3000);
	assert_int_equal(remote_status_cache_bit(&c, "https://a/5", "did:x", 0, &err), 0);
	assert_int_equal(remote_status_cache_bit(&c, "https://a/1", "did:x", 0, &err),
	                 OK_ENOTFOUND);
	/* Larger than the whole cache: not kept, nothing else dropped for it. */
	remote_status_cache_put(&c, "https://a/6", "did:x", list_of(3001, 0), 3001, 60);
	assert_int_equal(remote_status_cache_bit(&c, "https://a/6", "did:x", 0, &err),
	                 OK_ENOTFOUND);
	assert_int_equal(remote_status_cache_bit(&c, "https://a/5", "did:x", 0, &err), 0);
	/* The same list again replaces it, counting its bytes once. */
	remote_status_cache_put(&c, "https://a/5", "did:x", list_of(2000, 0xff), 2000, 60);
	assert_int_equal(remote_status_cache_bit(&c, "https://a/5", "did:x", 0, &err), 1);
	assert_true(c.lists.bytes <= 3000 && c.lists.bytes >= 2000);
	remote_status_cache_release(&c);
}

static void test_status_cache_many_lists_bounded(void **state)
{
	struct remote_status_cache c;
	char url[64];
	size_t i;

	(void)state;
	remote_status_cache_init(&c, 600, NULL);
	/* Far more lists than slots, each of the largest size a remote list may have. */
	for (i = 0; i < 3 * REMOTE_STATUS_CACHE_LISTS; i++) {
		snprintf(url, sizeof(url), "https://h/status/revocation/%zu", i + 1);
		remote_status_cache_put(&c, url, "did:x", list_of((size_t)1 << 20, 0),
		                        (size_t)1 << 20, 60);
		assert_true(c.lists.bytes <= REMOTE_STATUS_CACHE_BYTES);
	}
	remote_status_cache_release(&c);
}

/* The fetch guard */

struct logged {
	pthread_mutex_t lock;
	int lines;
	char last[1024];
};

static void on_log(void *ctx, const char *line)
{
	struct logged *l = ctx;

	pthread_mutex_lock(&l->lock);
	l->lines++;
	snprintf(l->last, sizeof(l->last), "%s", line);
	pthread_mutex_unlock(&l->lock);
}

/* A loopback socket that takes connections into its backlog and never answers. */
static int silent_socket(int *port)
{
	struct sockaddr_in sa;
	socklen_t len = sizeof(sa);
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	assert_true(fd >= 0);
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(listen(fd, 16), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&sa, &len), 0);
	*port = ntohs(sa.sin_port);
	return fd;
}

/* A loopback port nothing listens on. */
static int closed_port(void)
{
	int port, fd = silent_socket(&port);

	close(fd);
	return port;
}

struct fetch_job {
	struct remote_fetch_guard *g;
	char url[128];
	const char *issuer;
	int rc;
	double seconds;
	char message[OK_ERROR_MESSAGE_MAX];
};

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void *fetch(void *arg)
{
	struct fetch_job *j = arg;
	struct remote_http_response res;
	struct ok_error err;
	struct buf body;
	double t0 = now_s();

	buf_init(&body, 4096);
	ok_error_clear(&err);
	j->rc = remote_fetch_guard_get(j->g, j->url, j->issuer, NULL, &body, &res, &err);
	j->seconds = now_s() - t0;
	snprintf(j->message, sizeof(j->message), "%s", err.message);
	buf_release(&body);
	return NULL;
}

static void test_guard_caps_fetches_in_flight(void **state)
{
	struct logged log = {.lock = PTHREAD_MUTEX_INITIALIZER};
	struct remote_fetch_guard g;
	struct fetch_job slow, other_path, other_host_same_issuer, other_host;
	pthread_t t;
	int port, refused = closed_port();
	int fd = silent_socket(&port);

	(void)state;
	remote_fetch_guard_init(&g);
	g.timeout_ms = 1500;
	g.max_total = 2;
	g.log = on_log;
	g.log_ctx = &log;
	slow = (struct fetch_job){.g = &g, .issuer = "did:web:silent"};
	snprintf(slow.url, sizeof(slow.url), "http://127.0.0.1:%d/.well-known/did.json", port);
	assert_int_equal(pthread_create(&t, NULL, fetch, &slow), 0);
	usleep(300 * 1000);
	/* While it waits: the same host (another path) and the same issuer (another host) are
	 * refused at once. */
	other_path = (struct fetch_job){.g = &g, .issuer = "did:web:other"};
	snprintf(other_path.url, sizeof(other_path.url), "http://127.0.0.1:%d/status/1", port);
	fetch(&other_path);
	assert_int_equal(other_path.rc, OK_EBUSY);
	assert_true(other_path.seconds < 0.2);
	other_host_same_issuer = (struct fetch_job){.g = &g, .issuer = "did:web:silent"};
	snprintf(other_host_same_issuer.url, sizeof(other_host_same_issuer.url),
	         "http://127.0.0.1:%d/x", refused);
	fetch(&other_host_same_issuer);
	assert_int_equal(other_host_same_issuer.rc, OK_EBUSY);
	/* Another host for another issuer goes ahead (refused by the network, not the guard). */
	other_host = (struct fetch_job){.g = &g, .issuer = "did:web:elsewhere"};
	snprintf(other_host.url, sizeof(other_host.url), "http://127.0.0.1:%d/y", refused);
	fetch(&other_host);
	assert_int_equal(other_host.rc, OK_EIO);
	assert_int_equal(pthread_join(t, NULL), 0);
	assert_int_equal(slow.rc, OK_EIO);
	assert_true(slow.seconds >= 1.2 && slow.seconds < 3.0);
	/* The caller's message names the URL, never the network's detail; the operator's log
	 * has that. */
	assert_non_null(strstr(slow.message, "not reachable"));
	assert_null(strstr(slow.message, "Timeout"));
	if (!strstr(log.last, "Timeout") || strstr(log.last, "did.json: http"))
		fail_msg("log: %s", log.last);
	/* With one fetch in all, a second host waits its turn: refused while one is in flight. */
	g.max_total = 1;
	close(fd);
	fd = silent_socket(&port);
	slow.rc = 0;
	snprintf(slow.url, sizeof(slow.url), "http://127.0.0.1:%d/a", port);
	assert_int_equal(pthread_create(&t, NULL, fetch, &slow), 0);
	usleep(300 * 1000);
	other_host = (struct fetch_job){.g = &g, .issuer = "did:web:third"};
	snprintf(other_host.url, sizeof(other_host.url), "http://127.0.0.1:%d/z", refused);
	fetch(&other_host);
	assert_int_equal(other_host.rc, OK_EBUSY);
	assert_int_equal(pthread_join(t, NULL), 0);
	close(fd);
	remote_fetch_guard_release(&g);
}

static void test_guard_remembers_failures(void **state)
{
	struct logged log = {.lock = PTHREAD_MUTEX_INITIALIZER};
	struct remote_fetch_guard g;
	struct fetch_job j = {0};
	int lines;

	(void)state;
	remote_fetch_guard_init(&g);
	g.log = on_log;
	g.log_ctx = &log;
	j.g = &g;
	j.issuer = "did:web:gone";
	snprintf(j.url, sizeof(j.url), "http://127.0.0.1:%d/.well-known/did.json", closed_port());
	fetch(&j);
	assert_int_equal(j.rc, OK_EIO);
	lines = log.lines;
	assert_true(lines >= 1);
	/* Asked again: answered from memory, no second attempt (nothing new in the log). */
	fetch(&j);
	assert_int_equal(j.rc, OK_EIO);
	assert_int_equal(log.lines, lines);
	/* Once forgotten, it is tried again. */
	g.fail_ttl_s = 0;
	memset(g.failed, 0, sizeof(g.failed));
	fetch(&j);
	assert_int_equal(log.lines, lines + 1);
	/* The table of failures is bounded: far more failures than slots are kept in it. */
	g.fail_ttl_s = 30;
	for (int i = 0; i < 3 * REMOTE_FETCH_GUARD_FAILURES; i++) {
		char url[64];
		snprintf(url, sizeof(url), "https://h%d.example/x", i);
		remote_fetch_guard_fail(&g, url, "test");
	}
	remote_fetch_guard_release(&g);
}

static void test_guard_refuses_what_is_not_a_url(void **state)
{
	struct remote_fetch_guard g;
	struct fetch_job j = {0};

	(void)state;
	remote_fetch_guard_init(&g);
	j.g = &g;
	j.issuer = "did:x";
	snprintf(j.url, sizeof(j.url), "file:///etc/passwd");
	fetch(&j);
	assert_int_equal(j.rc, OK_EINPUT);
	snprintf(j.url, sizeof(j.url), "http:///nohost");
	fetch(&j);
	assert_int_equal(j.rc, OK_EINPUT);
	remote_fetch_guard_release(&g);
}

static void test_status_list_numbers_have_one_spelling(void **state)
{
	static const char *bad[] = {"",   "0",  "01", "+1",  " 1",
	                            "1 ", "-1", "1x", "0x1", "1234567890123456"};
	long long n = 0;
	size_t i;

	(void)state;
	assert_true(status_list_number("1", &n) && n == 1);
	assert_true(status_list_number("10", &n) && n == 10);
	assert_true(status_list_number("123456789012345", &n) && n == 123456789012345LL);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_false(status_list_number(bad[i], &n));
}

static int setup(void **state)
{
	struct ok_error err;

	(void)state;
	return remote_http_global_init(&err);
}

static int teardown(void **state)
{
	(void)state;
	remote_http_global_cleanup();
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_status_cache_stays_within_its_bytes),
	        cmocka_unit_test(test_status_cache_many_lists_bounded),
	        cmocka_unit_test(test_guard_caps_fetches_in_flight),
	        cmocka_unit_test(test_guard_remembers_failures),
	        cmocka_unit_test(test_guard_refuses_what_is_not_a_url),
	        cmocka_unit_test(test_status_list_numbers_have_one_spelling),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
