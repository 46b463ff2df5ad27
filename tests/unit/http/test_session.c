/* A learner's session over HTTP (http/session.h), through a real libmicrohttpd connection on
 * loopback: the session cookie found among others and only under the name that applies (the
 * __Host- name behind https), 401 without a live session (unknown, ended, idle too long) with the
 * cookie cleared, 403 for a state-changing request without the session's CSRF token, the
 * Set-Cookie attributes, and ending the current session. */
#include "registry/registry_test.h"

#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "http/internal.h"
#include "http/session.h"
#include "portal/portal.h"

#define NID "123456782"

static const char csv[] = REG_CSV_HEADER
        "R-1," NID ",Anna,de Vries,2000-01-02,course,Mechanics,,,5,7.5,NL 1-10,2021-01-01,en\n";

enum call { CALL_REQUIRE, CALL_LEARNER, CALL_COOKIE, CALL_END };

/* The server side of one test: what the handler is to call, and what it saw. */
struct harness {
	struct reg_fixture *f;
	struct MHD_Daemon *daemon;
	uint16_t port;
	char learner[STORE_ID_MAX + 1];
	char token[PORTAL_TOKEN_SIZE]; /* a live session's */
	/* in */
	enum call call;
	const char *cookie_value; /* for CALL_COOKIE; NULL clears */
	/* out */
	bool ok;
	unsigned status;
	char body[512];
	char set_cookie[256];
	char seen_learner[STORE_ID_MAX + 1];
	char seen_session[STORE_ID_MAX + 1];
};

static enum MHD_Result handle(void *cls, struct MHD_Connection *conn, const char *url,
                              const char *method, const char *version, const char *upload,
                              size_t *upload_size, void **con_cls)
{
	struct harness *h = cls;
	struct http_request req;
	struct http_response res;
	struct MHD_Response *answer;
	enum MHD_Result ret;
	size_t i;

	(void)version;
	(void)upload;
	if (!*con_cls) {
		*con_cls = h;
		return MHD_YES;
	}
	if (*upload_size) {
		*upload_size = 0;
		return MHD_YES;
	}
	memset(&req, 0, sizeof(req));
	memset(&res, 0, sizeof(res));
	req.conn = conn;
	req.method = method;
	req.path = url;
	req.dep = &h->f->d;
	buf_init(&res.body, 0);
	h->ok = false;
	switch (h->call) {
	case CALL_REQUIRE:
		h->ok = http_session_require(&req, &res);
		break;
	case CALL_LEARNER:
		h->ok = http_session_learner(&req, h->seen_learner);
		break;
	case CALL_COOKIE:
		http_session_cookie(&req, &res, h->cookie_value);
		break;
	case CALL_END:
		http_session_end_current(&req);
		break;
	}
	if (h->call == CALL_REQUIRE) {
		memcpy(h->seen_learner, req.learner_id, sizeof(h->seen_learner));
		memcpy(h->seen_session, req.session_id, sizeof(h->seen_session));
	}
	h->status = res.status;
	snprintf(h->body, sizeof(h->body), "%.*s", (int)res.body.len,
	         res.body.data ? res.body.data : "");
	h->set_cookie[0] = '\0';
	for (i = 0; i < res.nheaders; i++)
		if (strcmp(res.headers[i].name, "Set-Cookie") == 0)
			snprintf(h->set_cookie, sizeof(h->set_cookie), "%s", res.headers[i].value);
	buf_release(&res.body);
	answer = MHD_create_response_from_buffer(0, (void *)"", MHD_RESPMEM_PERSISTENT);
	ret = MHD_queue_response(conn, MHD_HTTP_NO_CONTENT, answer);
	MHD_destroy_response(answer);
	return ret;
}

/* Sends one request with the given Cookie and X-CSRF-Token headers (NULL: none) and waits for
 * the answer; the handler has filled h by then. */
static void send_request(struct harness *h, enum call call, const char *method, const char *cookie,
                         const char *csrf)
{
	struct sockaddr_in sa;
	char req[1024], answer[1024];
	int fd, n;
	ssize_t got;

	h->call = call;
	h->status = 0;
	h->ok = false;
	h->seen_learner[0] = h->seen_session[0] = h->body[0] = h->set_cookie[0] = '\0';
	n = snprintf(req, sizeof(req),
	             "%s /v1/me HTTP/1.1\r\nHost: localhost\r\n%s%s%s%s%s%s%s"
	             "Content-Length: 0\r\nConnection: close\r\n\r\n",
	             method, cookie ? "Cookie: " : "", cookie ? cookie : "", cookie ? "\r\n" : "",
	             csrf ? HTTP_CSRF_HEADER : "", csrf ? ": " : "", csrf ? csrf : "",
	             csrf ? "\r\n" : "");
	assert_true(n > 0 && (size_t)n < sizeof(req));
	fd = socket(AF_INET, SOCK_STREAM, 0);
	assert_true(fd >= 0);
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = htons(h->port);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(write(fd, req, (size_t)n), n);
	while ((got = read(fd, answer, sizeof(answer))) > 0)
		;
	close(fd);
}

static int setup(void **state)
{
	struct harness *h = calloc(1, sizeof(*h));
	const union MHD_DaemonInfo *info;
	struct sockaddr_in loopback;
	struct ok_error err;

	if (!h || reg_setup((void **)&h->f))
		return -1;
	*state = h;
	h->f->d.allow_login_links = true; /* off unless config.json allows them */
	reg_import_expect(h->f, csv, 1, 0, 0, 0);
	if (registry_learner_find_id(&h->f->d, NID, h->learner, &err))
		fail_msg("find: %s", err.message);
	/* One connection at a time, on the daemon's thread: the handler and the test never run
	 * at once. */
	memset(&loopback, 0, sizeof(loopback));
	loopback.sin_family = AF_INET;
	loopback.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	h->daemon = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD, 0, NULL, NULL, handle, h,
	                             MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&loopback,
	                             MHD_OPTION_END);
	if (!h->daemon)
		return -1;
	info = MHD_get_daemon_info(h->daemon, MHD_DAEMON_INFO_BIND_PORT);
	h->port = info ? info->port : 0;
	return h->port ? 0 : -1;
}

static int teardown(void **state)
{
	struct harness *h = *state;

	if (h->daemon)
		MHD_stop_daemon(h->daemon);
	reg_fixture_free(h->f);
	free(h);
	return 0;
}

/* Signs the learner in through a fresh login link; the session token goes to h->token. */
static void sign_in(struct harness *h)
{
	char url[PORTAL_URL_MAX];
	struct portal_session s;
	int64_t expires;
	struct ok_error err;

	if (portal_login_link_create(&h->f->d, h->learner, "operator", url, &expires, &err))
		fail_msg("login link: %s", err.message);
	if (portal_login(&h->f->d, strrchr(url, '/') + 1, &s, &err))
		fail_msg("login: %s", err.message);
	snprintf(h->token, sizeof(h->token), "%s", s.token);
}

static void cookie_of(const struct harness *h, const char *name, char *out, size_t cap)
{
	snprintf(out, cap, "theme=dark; %s=%s; lang=nl", name, h->token);
}

static void test_live_session_found_among_other_cookies(void **state)
{
	struct harness *h = *state;
	char cookie[256], csrf[PORTAL_TOKEN_SIZE];

	sign_in(h);
	cookie_of(h, HTTP_SESSION_COOKIE, cookie, sizeof(cookie));
	send_request(h, CALL_REQUIRE, "GET", cookie, NULL);
	assert_true(h->ok);
	assert_int_equal(h->status, 0); /* nothing answered: the handler goes on */
	assert_string_equal(h->seen_learner, h->learner);
	assert_true(h->seen_session[0] != '\0');
	assert_string_not_equal(h->seen_session, h->token);

	/* A change with the session's CSRF token passes too. */
	portal_csrf_token(h->token, csrf);
	send_request(h, CALL_REQUIRE, "POST", cookie, csrf);
	assert_true(h->ok);
	assert_string_equal(h->seen_learner, h->learner);

	send_request(h, CALL_LEARNER, "GET", cookie, NULL);
	assert_true(h->ok);
	assert_string_equal(h->seen_learner, h->learner);
}

static void test_no_session_is_401(void **state)
{
	struct harness *h = *state;
	char cookie[256];

	send_request(h, CALL_REQUIRE, "GET", NULL, NULL);
	assert_false(h->ok);
	assert_int_equal(h->status, 401);
	assert_non_null(strstr(h->body, "\"/problems/not-signed-in\""));
	assert_string_equal(h->set_cookie, ""); /* nothing to clear */
	assert_string_equal(h->seen_learner, "");

	/* A token of the right form that no session has: 401, and the cookie is cleared. */
	snprintf(cookie, sizeof(cookie), "%s=%s", HTTP_SESSION_COOKIE,
	         "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA");
	send_request(h, CALL_REQUIRE, "GET", cookie, NULL);
	assert_false(h->ok);
	assert_int_equal(h->status, 401);
	assert_non_null(strstr(h->body, "no such session"));
	assert_non_null(strstr(h->set_cookie, HTTP_SESSION_COOKIE "=; "));
	assert_non_null(strstr(h->set_cookie, "Max-Age=0"));

	send_request(h, CALL_LEARNER, "GET", cookie, NULL);
	assert_false(h->ok);
	assert_string_equal(h->seen_learner, "");
}

static void test_state_change_needs_the_csrf_token(void **state)
{
	struct harness *h = *state;
	static const char *const methods[] = {"POST", "PUT", "PATCH", "DELETE"};
	char cookie[256], other[PORTAL_TOKEN_SIZE];
	size_t i;

	sign_in(h);
	cookie_of(h, HTTP_SESSION_COOKIE, cookie, sizeof(cookie));
	/* Another session's CSRF token is no better than none. */
	portal_csrf_token("BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB", other);
	for (i = 0; i < 4; i++) {
		send_request(h, CALL_REQUIRE, methods[i], cookie, NULL);
		assert_false(h->ok);
		assert_int_equal(h->status, 403);
		assert_non_null(strstr(h->body, "\"/problems/csrf\""));
		assert_string_equal(h->seen_learner, "");
		send_request(h, CALL_REQUIRE, methods[i], cookie, other);
		assert_int_equal(h->status, 403);
		/* The session token itself is not its CSRF token. */
		send_request(h, CALL_REQUIRE, methods[i], cookie, h->token);
		assert_int_equal(h->status, 403);
	}
	/* Reading needs none. */
	send_request(h, CALL_REQUIRE, "GET", cookie, NULL);
	assert_true(h->ok);
}

static void test_idle_session_has_ended(void **state)
{
	struct harness *h = *state;
	char cookie[256];

	h->f->d.session_idle_s = 1;
	sign_in(h);
	cookie_of(h, HTTP_SESSION_COOKIE, cookie, sizeof(cookie));
	send_request(h, CALL_REQUIRE, "GET", cookie, NULL);
	assert_true(h->ok);
	sleep(3);
	send_request(h, CALL_REQUIRE, "GET", cookie, NULL);
	assert_false(h->ok);
	assert_int_equal(h->status, 401);
	assert_non_null(strstr(h->body, "the session has ended"));
	assert_non_null(strstr(h->set_cookie, "Max-Age=0"));
	/* Ended for good. */
	h->f->d.session_idle_s = 1800;
	send_request(h, CALL_REQUIRE, "GET", cookie, NULL);
	assert_false(h->ok);
}

static void test_only_the_cookie_name_that_applies(void **state)
{
	struct harness *h = *state;
	char cookie[256];

	sign_in(h);
	/* Over plain HTTP the __Host- name is not taken. */
	cookie_of(h, HTTP_SESSION_COOKIE_SECURE, cookie, sizeof(cookie));
	send_request(h, CALL_REQUIRE, "GET", cookie, NULL);
	assert_int_equal(h->status, 401);

	/* Behind https, only the __Host- name. */
	snprintf(h->f->d.base_url, sizeof(h->f->d.base_url), "https://diploma.example.nl");
	send_request(h, CALL_REQUIRE, "GET", cookie, NULL);
	assert_true(h->ok);
	assert_string_equal(h->seen_learner, h->learner);
	cookie_of(h, HTTP_SESSION_COOKIE, cookie, sizeof(cookie));
	send_request(h, CALL_REQUIRE, "GET", cookie, NULL);
	assert_false(h->ok);
	assert_int_equal(h->status, 401);
}

static void test_set_cookie_attributes(void **state)
{
	struct harness *h = *state;
	char want[256];

	h->cookie_value = "TOKEN123";
	send_request(h, CALL_COOKIE, "GET", NULL, NULL);
	assert_string_equal(h->set_cookie,
	                    HTTP_SESSION_COOKIE "=TOKEN123; Path=/; HttpOnly; SameSite=Strict");
	h->cookie_value = NULL;
	send_request(h, CALL_COOKIE, "GET", NULL, NULL);
	assert_string_equal(h->set_cookie,
	                    HTTP_SESSION_COOKIE "=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0");

	snprintf(h->f->d.base_url, sizeof(h->f->d.base_url), "https://diploma.example.nl");
	h->cookie_value = "TOKEN123";
	send_request(h, CALL_COOKIE, "GET", NULL, NULL);
	snprintf(want, sizeof(want), "%s=TOKEN123; Path=/; HttpOnly; SameSite=Strict; Secure",
	         HTTP_SESSION_COOKIE_SECURE);
	assert_string_equal(h->set_cookie, want);
}

static void test_end_current_session(void **state)
{
	struct harness *h = *state;
	struct portal_session s;
	struct ok_error err;
	char cookie[256];

	sign_in(h);
	cookie_of(h, HTTP_SESSION_COOKIE, cookie, sizeof(cookie));
	send_request(h, CALL_END, "POST", cookie, NULL);
	assert_int_not_equal(portal_session_check(&h->f->d, h->token, &s, &err), 0);
	send_request(h, CALL_REQUIRE, "GET", cookie, NULL);
	assert_false(h->ok);
	assert_int_equal(h->status, 401);
	/* Without a cookie there is nothing to end, and nothing fails. */
	send_request(h, CALL_END, "POST", NULL, NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test_setup_teardown(test_live_session_found_among_other_cookies, setup,
	                                        teardown),
	        cmocka_unit_test_setup_teardown(test_no_session_is_401, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_state_change_needs_the_csrf_token, setup,
	                                        teardown),
	        cmocka_unit_test_setup_teardown(test_idle_session_has_ended, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_only_the_cookie_name_that_applies, setup,
	                                        teardown),
	        cmocka_unit_test_setup_teardown(test_set_cookie_attributes, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_end_current_session, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
