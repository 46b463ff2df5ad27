/* The HTTP server (`oorkonde serve`): libmicrohttpd with a thread pool on poll(), JSON in and
 * out, RFC 9457 problem+json for every error. */
#ifndef OK_HTTP_SERVER_H
#define OK_HTTP_SERVER_H

#include <stdbool.h>
#include <stddef.h>

#include "core/error.h"

struct http_config {
	const char *data_dir;
	const char *listen;       /* "ADDR:PORT" (a name is resolved); port 0 picks a free one */
	bool reuse_port;          /* SO_REUSEPORT: share the port with other servers */
	unsigned threads;         /* 0: one per core */
	size_t json_max;          /* bytes; 0: 1 MiB */
	size_t csv_max;           /* bytes; 0: 64 MiB */
	unsigned rate_per_minute; /* per client address on public routes; 0: no limit */
	unsigned timeout_seconds; /* idle connection timeout; 0: 30 */
	const char *tls_cert;     /* PEM files; both or neither */
	const char *tls_key;
	int access_log_fd;    /* where access-log lines go; -1 for none */
	bool bench_audit_off; /* benchmark only (test_hooks builds): no audit events */
};

struct http_server;

/* Starts serving; on success *out is owned by the caller, stopped with http_server_stop(). */
int http_server_start(struct http_server **out, const struct http_config *cfg,
                      struct ok_error *err);
/* The port actually bound (useful with port 0). */
unsigned http_server_port(const struct http_server *s);
/* Stops accepting, waits up to grace_seconds for requests in flight, then frees s. */
void http_server_stop(struct http_server *s, unsigned grace_seconds);

#endif
