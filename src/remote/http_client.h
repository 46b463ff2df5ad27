/* A small HTTP(S) client over libcurl for what the depository fetches from elsewhere: DID
 * documents and status lists of other depositories. GET only, no redirects, no cookies, a size
 * cap and a time limit, http and https only. */
#ifndef OK_REMOTE_HTTP_CLIENT_H
#define OK_REMOTE_HTTP_CLIENT_H

#include <stddef.h>

#include "core/buf.h"
#include "core/error.h"

struct remote_http_response {
	long status;
	long max_age; /* seconds from Cache-Control max-age, -1 when not given */
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

#endif
