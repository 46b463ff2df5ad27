/* The floor of the HTTP benchmark (issue 9; bench/http runs it, see docs/benchmarks.md).
 *
 *   http-floor PORT [THREADS]
 *
 * A minimal libmicrohttpd server with the daemon settings of src/http/server.c (an internal
 * poll() thread pool of THREADS threads, default one per core; ITC; the same connection memory
 * limit, connection limit and timeout) that, for any request with a body, reads the body,
 * parses it with jansson and does one Ed25519 verification over 64 bytes, then answers 200 with
 * {"verified":true}; a body that is not JSON gets 400. A request without a body (GET) gets 200
 * {"status":"ok"}. Listens on 127.0.0.1:PORT until SIGTERM or SIGINT.
 */
#include <arpa/inet.h>
#include <jansson.h>
#include <microhttpd.h>
#include <signal.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define BODY_MAX ((size_t)1 << 20)

static unsigned char pk[crypto_sign_PUBLICKEYBYTES], msg[64], sig[crypto_sign_BYTES];
static volatile sig_atomic_t stop;

struct body {
	char *data;
	size_t len, cap;
	int too_large;
};

static enum MHD_Result answer(struct MHD_Connection *conn, unsigned status, const char *text)
{
	struct MHD_Response *r =
	        MHD_create_response_from_buffer(strlen(text), (void *)text, MHD_RESPMEM_PERSISTENT);
	enum MHD_Result ret;

	if (!r)
		return MHD_NO;
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, "application/json");
	ret = MHD_queue_response(conn, status, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
                                  const char *method, const char *version, const char *upload,
                                  size_t *upload_size, void **con_cls)
{
	struct body *b = *con_cls;
	json_error_t jerr;
	json_t *doc;
	int ok;

	(void)cls;
	(void)url;
	(void)version;
	if (!b) {
		if (!(b = calloc(1, sizeof(*b))))
			return MHD_NO;
		*con_cls = b;
		return MHD_YES;
	}
	if (*upload_size) {
		if (!b->too_large && b->len + *upload_size > BODY_MAX) {
			b->too_large = 1;
		} else if (!b->too_large) {
			if (b->len + *upload_size + 1 > b->cap) {
				size_t cap = (b->len + *upload_size + 1) * 2;
				char *p = realloc(b->data, cap);
				if (!p)
					return MHD_NO;
				b->data = p;
				b->cap = cap;
			}
			memcpy(b->data + b->len, upload, *upload_size);
			b->len += *upload_size;
		}
		*upload_size = 0;
		return MHD_YES;
	}
	if (strcmp(method, "POST") != 0)
		return answer(conn, 200, "{\"status\":\"ok\"}");
	if (b->too_large)
		return answer(conn, 413, "{\"title\":\"Content too large\"}");
	doc = b->len ? json_loadb(b->data, b->len, 0, &jerr) : NULL;
	if (!doc)
		return answer(conn, 400, "{\"title\":\"Invalid JSON\"}");
	ok = crypto_sign_verify_detached(sig, msg, sizeof(msg), pk) == 0;
	json_decref(doc);
	return ok ? answer(conn, 200, "{\"verified\":true}")
	          : answer(conn, 500, "{\"title\":\"verification failed\"}");
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                         enum MHD_RequestTerminationCode code)
{
	struct body *b = *con_cls;

	(void)cls;
	(void)conn;
	(void)code;
	if (b) {
		free(b->data);
		free(b);
		*con_cls = NULL;
	}
}

static void on_signal(int sig_no)
{
	(void)sig_no;
	stop = 1;
}

int main(int argc, char **argv)
{
	unsigned char sk[crypto_sign_SECRETKEYBYTES];
	struct sockaddr_in sa;
	struct MHD_Daemon *daemon;
	long cores = sysconf(_SC_NPROCESSORS_ONLN);
	unsigned threads = argc > 2 ? (unsigned)atoi(argv[2]) : (unsigned)(cores > 0 ? cores : 2);
	unsigned long port;

	if (argc < 2 || (port = strtoul(argv[1], NULL, 10)) == 0 || port > 65535 || !threads) {
		fprintf(stderr, "usage: http-floor PORT [THREADS]\n");
		return 2;
	}
	if (sodium_init() < 0)
		return 1;
	crypto_sign_keypair(pk, sk);
	randombytes_buf(msg, sizeof(msg));
	crypto_sign_detached(sig, NULL, msg, sizeof(msg), sk);
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = htons((uint16_t)port);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	daemon = MHD_start_daemon(
	        MHD_USE_POLL_INTERNAL_THREAD | MHD_USE_ITC | MHD_USE_ERROR_LOG, 0, NULL, NULL,
	        on_request, NULL, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sa,
	        MHD_OPTION_THREAD_POOL_SIZE, threads, MHD_OPTION_NOTIFY_COMPLETED, on_completed,
	        NULL, MHD_OPTION_CONNECTION_TIMEOUT, 30u, MHD_OPTION_CONNECTION_MEMORY_LIMIT,
	        (size_t)64 * 1024, MHD_OPTION_CONNECTION_LIMIT, 1000u,
	        MHD_OPTION_LISTENING_ADDRESS_REUSE, 1u, MHD_OPTION_END);
	if (!daemon) {
		fprintf(stderr, "http-floor: cannot listen on 127.0.0.1:%lu\n", port);
		return 1;
	}
	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);
	fprintf(stderr, "http-floor: listening on 127.0.0.1:%lu, %u threads\n", port, threads);
	while (!stop)
		pause();
	MHD_stop_daemon(daemon);
	return 0;
}
