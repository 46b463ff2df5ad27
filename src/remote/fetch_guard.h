/* What stands between a verification and the network: every fetch from another issuer (DID
 * document, status list) goes through one guard shared by the threads of a process, which caps
 * the fetches in flight per host, per issuer and in all, remembers failures for a while so that a
 * silent issuer is asked once rather than per request, and tells the operator the detail (the
 * client only learns that the issuer could not be reached). */
#ifndef OK_REMOTE_FETCH_GUARD_H
#define OK_REMOTE_FETCH_GUARD_H

#include <pthread.h>
#include <stdint.h>

#include "core/buf.h"
#include "core/error.h"
#include "remote/http_client.h"

#define REMOTE_FETCH_GUARD_SLOTS      32   /* distinct hosts and issuers in flight at once */
#define REMOTE_FETCH_GUARD_FAILURES   64   /* failures remembered, the oldest forgotten first */
#define REMOTE_FETCH_GUARD_KEY_MAX    512  /* longer URLs and names are refused */
#define REMOTE_FETCH_GUARD_CONNECT_MS 2000 /* to connect */
#define REMOTE_FETCH_GUARD_TIMEOUT_MS 3000 /* for the whole fetch */

/* Called with one line of detail for the operator (no newline); may be NULL. */
typedef void (*remote_fetch_guard_log_fn)(void *ctx, const char *line);

struct remote_fetch_guard {
	pthread_mutex_t lock;
	unsigned max_total;   /* fetches in flight in the whole process */
	unsigned max_per_key; /* in flight per host and per issuer */
	long fail_ttl_s;      /* how long a failure is answered from memory */
	long connect_timeout_ms;
	long timeout_ms; /* the whole fetch */
	remote_fetch_guard_log_fn log;
	void *log_ctx;
	unsigned total;
	struct {
		char key[REMOTE_FETCH_GUARD_KEY_MAX];
		unsigned n;
	} busy[REMOTE_FETCH_GUARD_SLOTS];
	struct {
		char url[REMOTE_FETCH_GUARD_KEY_MAX];
		int64_t until_ms;
	} failed[REMOTE_FETCH_GUARD_FAILURES];
};

/* Limits as the server uses them: 2 in flight in all, 1 per host and per issuer, failures kept
 * 30 s, 2 s to connect, 3 s in all. The caller may change the fields before first use. */
void remote_fetch_guard_init(struct remote_fetch_guard *g);
void remote_fetch_guard_release(struct remote_fetch_guard *g);

/*
 * GETs url (for issuer, a DID) into body, whose cap limits the size. g may be NULL (an operator's
 * one-off command: the time limits of remote_fetch_guard_init, no other limit). Fails fast, without
 * a connection, with OK_EBUSY while the caps are reached and OK_EIO while an earlier failure of url
 * is remembered; a fetch that fails is remembered and logged. err gets a short message without
 * the network detail ("url: not reachable").
 */
int remote_fetch_guard_get(struct remote_fetch_guard *g, const char *url, const char *issuer,
                           const char *accept, struct buf *body, struct remote_http_response *res,
                           struct ok_error *err);

/*
 * For exchanges other than a GET (an OpenID provider's token request): takes a place for one
 * exchange with url's host on behalf of who (e.g. "oidc:ID"), as remote_fetch_guard_get does.
 * OK_EIO while a failure of who is remembered (remote_fetch_guard_fail(g, who, …)), OK_EBUSY
 * while the caps are reached; 0 when the place is taken, which remote_fetch_guard_leave gives
 * back.
 */
int remote_fetch_guard_enter(struct remote_fetch_guard *g, const char *url, const char *who,
                             struct ok_error *err);
void remote_fetch_guard_leave(struct remote_fetch_guard *g, const char *url, const char *who);

/* Remembers a failure found after the fetch (e.g. the answer was not a DID document), with a
 * detail for the operator. */
void remote_fetch_guard_fail(struct remote_fetch_guard *g, const char *url, const char *detail);

#endif
