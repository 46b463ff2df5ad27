/* A small HTTP(S) client over libcurl for what the depository fetches from elsewhere: DID
 * documents and status lists of other depositories. GET only, no redirects, no cookies, a size
 * cap and a time limit, http and https only. */
#ifndef OK_REMOTE_HTTP_CLIENT_H
#define OK_REMOTE_HTTP_CLIENT_H

#include <stdbool.h>
#include <stddef.h>

#include "core/buf.h"
#include "core/error.h"

struct remote_http_response {
	long status;
	long max_age; /* seconds from Cache-Control max-age, -1 when not given */
};

/* One exchange as remote_http_call makes it. */
struct remote_http_call {
	const char *url;
	const char *accept;      /* NULL: any */
	const char *form;        /* POSTed as application/x-www-form-urlencoded; NULL: a GET */
	const char *auth_header; /* a whole "Authorization: …" line, or NULL (not copied by
	                          * libcurl unwiped: the caller wipes its own) */
	const char *ca_file;     /* NULL: the system's CAs */
	bool https_only;
	bool any_status; /* an answer of any status is no failure (res->status tells) */
	long connect_ms, total_ms;
};

/* Call once per process before threads start (libcurl's global set-up), and at exit. */
int remote_http_global_init(struct ok_error *err);
void remote_http_global_cleanup(void);

/*
 * GETs url into body (whose cap limits the size). Fails with OK_EIO (cannot connect, timeout,
 * not 200) or OK_ETOOBIG, with a message naming the URL's host and the reason.
 */
int remote_http_get(const char *url, const char *accept, long timeout_ms, struct buf *body,
                    struct remote_http_response *res, struct ok_error *err);

/*
 * The same with separate limits: connect_ms to connect, total_ms for the whole transfer. A
 * compressed answer (gzip, deflate) is decompressed; the bytes on the wire are capped at
 * body->max as well, before any arrive when the server announces a larger Content-Length, and
 * body's cap applies to the decompressed bytes.
 */
int remote_http_get_limited(const char *url, const char *accept, long connect_ms, long total_ms,
                            struct buf *body, struct remote_http_response *res,
                            struct ok_error *err);

/*
 * The one libcurl set-up of every exchange oorkonde starts: no redirects, no cookies, http(s)
 * only (https with https_only), the time limits, the size cap on the wire (before any byte
 * when Content-Length says more) and after decompression, max-age read from Cache-Control.
 * OK_ETOOBIG past body's cap; OK_EIO when the server cannot be reached in time, or (without
 * any_status) answers other than 200; the message names the URL and the reason.
 */
int remote_http_call(const struct remote_http_call *call, struct buf *body,
                     struct remote_http_response *res, struct ok_error *err);

#endif
