/* Defences against clients that hold the server rather than use it: the connection limits, a
 * deadline for each request head, and a budget of bytes for request bodies in flight.
 *
 * Invariants: a guarded connection is on the guard's list from the moment libmicrohttpd accepts
 * it until it closes, and holds its own duplicate of the socket, so that the watchdog can shut a
 * late head down without ever touching a descriptor that has been closed and reused. The body
 * budget counts bytes reserved and not yet released; it never goes above body_budget, and the
 * public part of it, or any one holder's, never above half of body_budget.
 */
#ifndef OK_HTTP_GUARD_H
#define OK_HTTP_GUARD_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/error.h"

/* The limits of config.json's "http" object (docs/operations.md), with their defaults. */
struct http_limits {
	unsigned max_connections;          /* all clients together (1000) */
	unsigned max_per_address;          /* one client address (32) */
	unsigned head_timeout_s;           /* request line and headers, from accept or the end of
	                                      the previous request on the connection (10) */
	size_t body_budget;                /* bytes of request bodies in flight (256 MiB) */
	unsigned learner_per_minute;       /* a learner's session, learner routes (600) */
	unsigned share_token_per_minute;   /* one share link, across all clients (60) */
	unsigned share_address_per_minute; /* share openings from one client address (120) */
	unsigned verifier_page_per_minute; /* anonymous verifier requests, one address (5) */
	unsigned wallet_signin_per_minute; /* wallet sign-ins started, one address (30) */
	unsigned wallet_signin_open;       /* wallet sign-ins open at once, one address (50) */
	unsigned wallet_signin_open_net;   /* and from one IPv4 /24 or IPv6 /48 (250) */
};

void http_limits_defaults(struct http_limits *l);
/* Reads the optional "http" object of DIR/config.json over the defaults in l; unknown keys and
 * values out of range are OK_EINPUT naming the field. */
int http_limits_read(struct http_limits *l, const char *data_dir, struct ok_error *err);

struct guarded_conn;

/* Slots of the bytes reserved per holder (an institution, a learner); holders that share a
 * slot share its half, which errs on the strict side. */
#define GUARD_HOLDER_SLOTS 256

struct conn_guard {
	pthread_mutex_t lock;
	pthread_cond_t wake;
	pthread_t watchdog;
	bool running;
	bool stop;
	struct guarded_conn *list; /* every open connection */
	double head_timeout;       /* seconds */
	size_t body_budget;
	size_t body_reserved;        /* under lock */
	size_t public_reserved;      /* of which by requests without a key or session */
	atomic_ulong heads_dropped;  /* connections shut for a late head */
	atomic_ulong bodies_dropped; /* connections shut for a late public body */
	atomic_ulong budget_refused;
	size_t holder_reserved[GUARD_HOLDER_SLOTS]; /* under lock */
};

/* Life cycle */
int conn_guard_start(struct conn_guard *g, unsigned head_timeout_s, size_t body_budget,
                     struct ok_error *err);
/* Stops the watchdog; every connection must have been closed (libmicrohttpd stopped). */
void conn_guard_stop(struct conn_guard *g);

/* Connections (libmicrohttpd's connection notifications; *context is its socket context) */
void conn_guard_opened(struct conn_guard *g, int fd, void **context);
void conn_guard_closed(struct conn_guard *g, void **context);
/* The head of the connection's current request is in: its deadline no longer applies. */
void conn_guard_head_done(struct conn_guard *g, void *context);
/* The body of the connection's current request must be in within seconds from now (a stranger
 * sending it a byte at a time would otherwise hold the connection for hours), or is in. */
void conn_guard_body_deadline(struct conn_guard *g, void *context, double seconds);
void conn_guard_body_done(struct conn_guard *g, void *context);
/* The target of the connection's current request where libmicrohttpd first saw it (its URI
 * callback), and its length up to the first NUL: kept with the connection, not the request, as
 * libmicrohttpd may close the connection before the request's first call (and never report
 * its completion). conn_guard_target gives 0 when unknown. */
void conn_guard_note_target(void *context, const char *target);
uintptr_t conn_guard_target(const void *context, size_t *len);
/* The request is over: the next head on the same connection gets a fresh deadline. */
void conn_guard_request_done(struct conn_guard *g, void *context);

/* Body budget: false (and nothing reserved) when n more bytes would pass it. Requests without
 * a key or session (holder NULL: the public) may hold half of it at most together, and so may
 * each holder (an institution, a learner), so that neither strangers nor one institution
 * announcing bodies they never send can refuse everyone else's. Release with the same holder. */
bool conn_guard_reserve(struct conn_guard *g, size_t n, const char *holder);
void conn_guard_release(struct conn_guard *g, size_t n, const char *holder);

#endif
