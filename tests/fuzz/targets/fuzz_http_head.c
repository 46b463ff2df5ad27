/* libFuzzer target for the HTTP request head: the input is sent as it is, over loopback, to a
 * real server (http_server_start on a scratch depository, one thread, port 0), which is what
 * decides from the request line and headers before any body (route_request in server.c) and what
 * libmicrohttpd parses for it. The client then closes its sending side and reads the answer. The
 * checks:
 *  - an answer that begins also ends (its head, and the body its Content-Length announces);
 *  - every answer starts with an HTTP/1.x status line of a three-digit status;
 *  - an answer of type application/problem+json carries a JSON object with that status;
 *  - the server still answers GET /healthz with 200 after every input it did not answer (a
 *    request cut short), and every 64 inputs, so that no input can leave it unable to serve.
 * AddressSanitizer and UBSan (make fuzz) catch memory errors in the server's own head code. */
#include <arpa/inet.h>
#include <errno.h>
#include <jansson.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdbool.h>
#include <sodium.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "core/buf.h"
#include "http/server.h"
#include "depository/depository.h"

#define ANSWER_WAIT_MS     5000
#define FIRST_BYTE_WAIT_MS 50

static struct http_server *server;
static unsigned port;

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void fail(const char *what)
{
	fprintf(stderr, "fuzz_http_head: %s\n", what);
	abort();
}

/* Fails with what was wrong and the start of the answer that was. */
static void fail_answer(const char *what, const struct buf *answer)
{
	fprintf(stderr, "fuzz_http_head: answer (%zu bytes): %.*s\n", answer->len,
	        (int)(answer->len < 600 ? answer->len : 600), answer->len ? answer->data : "");
	fail(what);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	static char dir[] = "/tmp/oorkonde-fuzz-head.XXXXXX";
	char data[sizeof(dir) + 8], config[sizeof(dir) + 24];
	json_t *cfg_doc = NULL;
	struct http_config cfg = {
	        .listen = "127.0.0.1:0", .threads = 1, .access_log_fd = -1, .timeout_seconds = 5};
	struct ok_error err;

	(void)argc;
	(void)argv;
	if (sodium_init() < 0 || !mkdtemp(dir))
		fail("no scratch folder");
	if (snprintf(data, sizeof(data), "%s/data", dir) >= (int)sizeof(data))
		fail("path too long");
	ok_error_clear(&err);
	if (depository_create(data, "localhost:8080", &err) != 0)
		fail(err.message);
	/* Every connection comes from the fuzzer: the per-address cap must not be what answers. */
	if (snprintf(config, sizeof(config), "%s/config.json", data) >= (int)sizeof(config) ||
	    !(cfg_doc = json_load_file(config, 0, NULL)) ||
	    json_object_set_new(cfg_doc, "http",
	                        json_pack("{s:i, s:i}", "max_connections_per_address", 1000,
	                                  "max_connections", 1000)) != 0 ||
	    json_dump_file(cfg_doc, config, 0) != 0)
		fail("cannot write the scratch config");
	json_decref(cfg_doc);
	cfg.data_dir = data;
	if (http_server_start(&server, &cfg, &err) != 0)
		fail(err.message);
	port = http_server_port(server);
	return 0;
}

/* A connection to the server. A refused or failed connect is tried again for up to a second
 * (on a machine busy with other work a loopback connect can fail for a moment: ports in
 * TIME_WAIT, a full accept queue); a server that stays unreachable is a failure, with errno. */
static int connect_server(void)
{
	struct sockaddr_in sa;
	int tries;

	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = htons((uint16_t)port);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	for (tries = 0; tries < 100; tries++) {
		int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (fd >= 0 && connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0)
			return fd;
		fprintf(stderr, "fuzz_http_head: connect: %s; trying again\n", strerror(errno));
		if (fd >= 0)
			close(fd);
		usleep(10000);
	}
	fail("cannot connect to the server for a second");
	return -1;
}

/* Whether buf holds a whole first answer (head, and as many body bytes as it announces; a
 * HEAD answer has none). */
static bool answer_complete(const struct buf *b, bool head_request)
{
	const char *end = b->len ? memmem(b->data, b->len, "\r\n\r\n", 4) : NULL;
	const char *cl;
	size_t want = 0;

	if (!end)
		return false;
	cl = memmem(b->data, (size_t)(end - b->data), "\r\nContent-Length: ", 18);
	if (cl && !head_request)
		want = strtoul(cl + 18, NULL, 10);
	return b->len - (size_t)(end + 4 - b->data) >= want;
}

/* Whether fd becomes readable within ms. libFuzzer's -timeout raises SIGALRM every few seconds,
 * which interrupts poll: the wait goes on for what is left of ms rather than ending early. */
static bool wait_readable(int fd, int ms)
{
	struct timespec start, now;

	clock_gettime(CLOCK_MONOTONIC, &start);
	for (;;) {
		struct pollfd p = {.fd = fd, .events = POLLIN};
		long spent;
		int n = poll(&p, 1, ms);
		if (n == 1)
			return true;
		if (n == 0 || errno != EINTR)
			return false;
		clock_gettime(CLOCK_MONOTONIC, &now);
		spent = (now.tv_sec - start.tv_sec) * 1000 +
		        (now.tv_nsec - start.tv_nsec) / 1000000;
		if (spent >= ms)
			return false;
		ms -= (int)spent;
		start = now;
	}
}

/*
 * Sends data, closes the sending side and reads the first answer. libmicrohttpd keeps a
 * connection open after its client stops sending (until the idle timeout), and waits for the
 * rest of a request that is cut short: so the wait for an answer to begin is short, and only an
 * answer that begins and never ends is a failure. Returns whether an answer began.
 */
static bool exchange(const uint8_t *data, size_t size, struct buf *answer, bool head_request,
                     int first_byte_ms)
{
	int fd = connect_server();
	size_t sent = 0;
	char chunk[16384];
	struct linger reset = {.l_onoff = 1, .l_linger = 0};

	while (sent < size) {
		ssize_t n = send(fd, data + sent, size - sent, MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break; /* the server answered early and closed: fine */
		sent += (size_t)n;
	}
	shutdown(fd, SHUT_WR);
	while (!answer_complete(answer, head_request)) {
		ssize_t n;
		if (!wait_readable(fd, answer->len ? ANSWER_WAIT_MS : first_byte_ms)) {
			if (answer->len)
				fail_answer("an answer began and did not end within 5 s", answer);
			break;
		}
		n = recv(fd, chunk, sizeof(chunk), 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		if (buf_add(answer, chunk, (size_t)n) != 0)
			break;
	}
	/* A reset, so that the server lets go of the connection at once. */
	setsockopt(fd, SOL_SOCKET, SO_LINGER, &reset, sizeof(reset));
	close(fd);
	return answer->len > 0;
}

/* Checks the first answer (later ones, to pipelined requests, cannot be told apart from a
 * HEAD answer's missing body without parsing the requests again). */
static void check_answer(const struct buf *answer, bool head_request)
{
	const char *p = answer->data, *end, *head_end, *ct, *cl;
	unsigned status;
	size_t body_len = 0;

	if (answer->len == 0)
		return; /* closed without an answer: libmicrohttpd does so for some garbage */
	end = p + answer->len;
	if (answer->len < 12 || memcmp(p, "HTTP/1.", 7) != 0 || p[8] != ' ' ||
	    sscanf(p + 9, "%3u", &status) != 1 || status < 100 || status > 599)
		fail_answer("an answer without a status line", answer);
	head_end = memmem(p, answer->len, "\r\n\r\n", 4);
	if (!head_end)
		fail_answer("an answer's head does not end", answer);
	cl = memmem(p, (size_t)(head_end - p), "\r\nContent-Length: ", 18);
	if (cl)
		body_len = strtoul(cl + 18, NULL, 10);
	ct = memmem(p, (size_t)(head_end - p), "\r\nContent-Type: application/problem+json", 40);
	head_end += 4;
	if (ct && body_len && !head_request) {
		json_error_t jerr;
		json_t *doc, *st;
		if (body_len > (size_t)(end - head_end))
			fail_answer("an answer shorter than its Content-Length", answer);
		doc = json_loadb(head_end, body_len, 0, &jerr);
		st = doc ? json_object_get(doc, "status") : NULL;
		if (!json_is_integer(st) || json_integer_value(st) != (json_int_t)status)
			fail_answer("a problem+json answer whose status is not the status line's",
			            answer);
		json_decref(doc);
	}
}

static void check_alive(void)
{
	static const char healthz[] = "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n";
	struct buf answer;

	buf_init(&answer, 1 << 20);
	exchange((const uint8_t *)healthz, sizeof(healthz) - 1, &answer, false, ANSWER_WAIT_MS);
	if (answer.len < 12 || memcmp(answer.data + 9, "200", 3) != 0) {
		fprintf(stderr, "fuzz_http_head: answer: %.*s\n",
		        (int)(answer.len < 400 ? answer.len : 400), answer.len ? answer.data : "");
		fail("GET /healthz is no longer answered with 200");
	}
	buf_release(&answer);
}

/* Whether the server reads data as a HEAD request. It skips empty lines before the request line
 * (RFC 9112, 2.2), and libmicrohttpd 0.9.75 takes a line that begins with NUL for an empty one
 * (it reads a line as a C string); a line ends at LF or CRLF, and a CR alone is part of it. */
static bool is_head_request(const uint8_t *data, size_t size)
{
	size_t i = 0;

	while (i < size) {
		const uint8_t *lf = memchr(data + i, '\n', size - i);
		size_t end = lf ? (size_t)(lf - data) : size;
		size_t len = end - i - (end > i && data[end - 1] == '\r');

		if (len > 0 && data[i] != '\0')
			return len >= 5 && memcmp(data + i, "HEAD ", 5) == 0;
		i = end + 1;
	}
	return false;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static unsigned long runs;
	bool head_request = is_head_request(data, size);
	struct buf answer;

	if (runs++ % 64 == 0)
		check_alive();
	buf_init(&answer, (size_t)4 << 20);
	/* No answer (a request cut short): the server must still serve others. */
	if (!exchange(data, size, &answer, head_request, FIRST_BYTE_WAIT_MS))
		check_alive();
	check_answer(&answer, head_request);
	buf_release(&answer);
	return 0;
}
