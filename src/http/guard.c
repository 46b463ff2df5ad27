/* Connection limits, request-head deadlines and the body budget of the server (see guard.h). */
#include "http/guard.h"

#include "core/format.h"

#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

struct guarded_conn {
	struct guarded_conn *prev, *next;
	int fd;            /* our own duplicate of the connection's socket, or -1 */
	double head_since; /* when the current head's clock started */
	bool waiting_head; /* the current request's head is not in yet */
	double body_until; /* when the current request's body must be in; 0: no deadline */
	bool shut;         /* the watchdog has shut it down */
	/* The current request's target as first seen (conn_guard_note_target): the connection's
	 * own thread only, so outside the lock. */
	uintptr_t target;
	size_t target_len;
};

void http_limits_defaults(struct http_limits *l)
{
	l->max_connections = 1000;
	l->max_per_address = 32;
	l->head_timeout_s = 10;
	l->body_budget = (size_t)256 << 20;
	l->learner_per_minute = 600;
	l->share_token_per_minute = 60;
	l->share_address_per_minute = 120;
	l->verifier_page_per_minute = 5;
	l->wallet_signin_per_minute = 30;
	l->wallet_signin_open = 50;
	l->wallet_signin_open_net = 250;
}

/* One setting: a whole number within [lo, hi] when present. */
static int limit_field(json_t *http, const char *key, json_int_t lo, json_int_t hi, json_int_t *out,
                       const char *path, struct ok_error *err)
{
	json_t *v = json_object_get(http, key);

	if (!v)
		return 0;
	if (!json_is_integer(v) || json_integer_value(v) < lo || json_integer_value(v) > hi)
		return ok_fail_field(err, OK_EINPUT, key,
		                     "%s: http.%s must be a whole number %lld-%lld", path, key,
		                     (long long)lo, (long long)hi);
	*out = json_integer_value(v);
	return 1;
}

int http_limits_read(struct http_limits *l, const char *data_dir, struct ok_error *err)
{
	static const char *const known[] = {
	        "max_connections",
	        "max_connections_per_address",
	        "head_timeout_s",
	        "body_budget_mib",
	        "learner_requests_per_minute",
	        "share_opens_per_minute_per_link",
	        "share_opens_per_minute_per_address",
	        "verifier_requests_per_minute_per_address",
	        "wallet_signins_per_minute_per_address",
	        "wallet_signins_open_per_address",
	        "wallet_signins_open_per_network",
	};
	struct buf config_path;
	const char *path;
	json_error_t jerr;
	json_t *config = NULL, *http;
	const char *key;
	json_t *value;
	json_int_t n = 0;
	int rc = 0;

	buf_init(&config_path, OK_PATH_MAX);
	if ((rc = ok_path_join(&config_path, data_dir, "config.json"))) {
		rc = ok_fail(err, rc,
		             rc == OK_ETOOBIG ? "the data folder's path is too long"
		                              : "out of memory");
		goto out;
	}
	path = config_path.data;
	config = json_load_file(path, 0, &jerr);
	if (!config) /* depository_open reports a missing or broken config with its line */
		goto out;
	http = json_object_get(config, "http");
	if (!http)
		goto out;
	if (!json_is_object(http)) {
		rc = ok_fail_field(err, OK_EINPUT, "http", "%s: http must be an object", path);
		goto out;
	}
	json_object_foreach(http, key, value)
	{
		size_t i;
		for (i = 0; i < sizeof(known) / sizeof(known[0]) && strcmp(key, known[i]); i++)
			;
		if (i == sizeof(known) / sizeof(known[0])) {
			rc = ok_fail_field(err, OK_EINPUT, "http", "%s: unknown setting http.%s",
			                   path, key);
			goto out;
		}
	}
	if ((rc = limit_field(http, "max_connections", 1, 100000, &n, path, err)) < 0)
		goto out;
	if (rc)
		l->max_connections = (unsigned)n;
	if ((rc = limit_field(http, "max_connections_per_address", 1, 100000, &n, path, err)) < 0)
		goto out;
	if (rc)
		l->max_per_address = (unsigned)n;
	if ((rc = limit_field(http, "head_timeout_s", 1, 3600, &n, path, err)) < 0)
		goto out;
	if (rc)
		l->head_timeout_s = (unsigned)n;
	if ((rc = limit_field(http, "body_budget_mib", 1, 1 << 20, &n, path, err)) < 0)
		goto out;
	if (rc)
		l->body_budget = (size_t)n << 20;
	/* 0 turns a rate limit off. */
	if ((rc = limit_field(http, "learner_requests_per_minute", 0, 1000000, &n, path, err)) < 0)
		goto out;
	if (rc)
		l->learner_per_minute = (unsigned)n;
	if ((rc = limit_field(http, "share_opens_per_minute_per_link", 0, 1000000, &n, path, err)) <
	    0)
		goto out;
	if (rc)
		l->share_token_per_minute = (unsigned)n;
	if ((rc = limit_field(http, "share_opens_per_minute_per_address", 0, 1000000, &n, path,
	                      err)) < 0)
		goto out;
	if (rc)
		l->share_address_per_minute = (unsigned)n;
	if ((rc = limit_field(http, "verifier_requests_per_minute_per_address", 0, 1000000, &n,
	                      path, err)) < 0)
		goto out;
	if (rc)
		l->verifier_page_per_minute = (unsigned)n;
	if ((rc = limit_field(http, "wallet_signins_per_minute_per_address", 0, 1000000, &n, path,
	                      err)) < 0)
		goto out;
	if (rc)
		l->wallet_signin_per_minute = (unsigned)n;
	if ((rc = limit_field(http, "wallet_signins_open_per_address", 0, 5000, &n, path, err)) < 0)
		goto out;
	if (rc)
		l->wallet_signin_open = (unsigned)n;
	if ((rc = limit_field(http, "wallet_signins_open_per_network", 0, 5000, &n, path, err)) < 0)
		goto out;
	if (rc)
		l->wallet_signin_open_net = (unsigned)n;
	rc = 0;
out:
	json_decref(config);
	buf_release(&config_path);
	return rc;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Every half second: shut down the connections whose head is late. Shutting the socket down
 * (not closing it) makes libmicrohttpd see the end of the connection and close it itself. */
static void *watchdog(void *arg)
{
	struct conn_guard *g = arg;
	struct timespec until;

	pthread_mutex_lock(&g->lock);
	while (!g->stop) {
		double now = now_s();
		struct guarded_conn *c;

		for (c = g->list; c; c = c->next) {
			if (c->waiting_head && !c->shut && c->fd >= 0 &&
			    now - c->head_since > g->head_timeout) {
				shutdown(c->fd, SHUT_RDWR);
				c->shut = true;
				atomic_fetch_add(&g->heads_dropped, 1);
			} else if (c->body_until > 0 && !c->shut && c->fd >= 0 &&
			           now > c->body_until) {
				shutdown(c->fd, SHUT_RDWR);
				c->shut = true;
				atomic_fetch_add(&g->bodies_dropped, 1);
			}
		}
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_nsec += 500000000L;
		if (until.tv_nsec >= 1000000000L) {
			until.tv_sec++;
			until.tv_nsec -= 1000000000L;
		}
		pthread_cond_timedwait(&g->wake, &g->lock, &until);
	}
	pthread_mutex_unlock(&g->lock);
	return NULL;
}

int conn_guard_start(struct conn_guard *g, unsigned head_timeout_s, size_t body_budget,
                     struct ok_error *err)
{
	memset(g, 0, sizeof(*g));
	pthread_mutex_init(&g->lock, NULL);
	pthread_cond_init(&g->wake, NULL);
	g->head_timeout = head_timeout_s;
	g->body_budget = body_budget;
	if (pthread_create(&g->watchdog, NULL, watchdog, g) != 0) {
		pthread_cond_destroy(&g->wake);
		pthread_mutex_destroy(&g->lock);
		return ok_fail(err, OK_ENOMEM, "cannot start the connection watchdog");
	}
	g->running = true;
	return 0;
}

void conn_guard_stop(struct conn_guard *g)
{
	struct guarded_conn *c, *next;

	if (!g->running)
		return;
	pthread_mutex_lock(&g->lock);
	g->stop = true;
	pthread_cond_signal(&g->wake);
	pthread_mutex_unlock(&g->lock);
	pthread_join(g->watchdog, NULL);
	for (c = g->list; c; c = next) {
		next = c->next;
		if (c->fd >= 0)
			close(c->fd);
		free(c);
	}
	pthread_cond_destroy(&g->wake);
	pthread_mutex_destroy(&g->lock);
	g->running = false;
}

void conn_guard_opened(struct conn_guard *g, int fd, void **context)
{
	struct guarded_conn *c = calloc(1, sizeof(*c));

	*context = c;
	if (!c)
		return; /* unguarded: the idle timeout still ends it */
	/* Our own descriptor of the socket: shutting it down reaches libmicrohttpd's, and it
	 * stays ours until closed, whatever number the library's is given next. */
	c->fd = fd >= 0 ? fcntl(fd, F_DUPFD_CLOEXEC, 0) : -1;
	c->head_since = now_s();
	c->waiting_head = true;
	pthread_mutex_lock(&g->lock);
	c->next = g->list;
	if (g->list)
		g->list->prev = c;
	g->list = c;
	pthread_mutex_unlock(&g->lock);
}

void conn_guard_closed(struct conn_guard *g, void **context)
{
	struct guarded_conn *c = *context;

	if (!c)
		return;
	pthread_mutex_lock(&g->lock);
	if (c->prev)
		c->prev->next = c->next;
	else
		g->list = c->next;
	if (c->next)
		c->next->prev = c->prev;
	pthread_mutex_unlock(&g->lock);
	if (c->fd >= 0)
		close(c->fd);
	free(c);
	*context = NULL;
}

void conn_guard_head_done(struct conn_guard *g, void *context)
{
	struct guarded_conn *c = context;

	if (!c)
		return;
	pthread_mutex_lock(&g->lock);
	c->waiting_head = false;
	pthread_mutex_unlock(&g->lock);
}

void conn_guard_body_deadline(struct conn_guard *g, void *context, double seconds)
{
	struct guarded_conn *c = context;

	if (!c)
		return;
	pthread_mutex_lock(&g->lock);
	c->body_until = now_s() + seconds;
	pthread_mutex_unlock(&g->lock);
}

void conn_guard_body_done(struct conn_guard *g, void *context)
{
	struct guarded_conn *c = context;

	if (!c)
		return;
	pthread_mutex_lock(&g->lock);
	c->body_until = 0;
	pthread_mutex_unlock(&g->lock);
}

void conn_guard_note_target(void *context, const char *target)
{
	struct guarded_conn *c = context;

	if (!c)
		return;
	c->target = (uintptr_t)target;
	c->target_len = target ? strlen(target) : 0;
}

uintptr_t conn_guard_target(const void *context, size_t *len)
{
	const struct guarded_conn *c = context;

	*len = c ? c->target_len : 0;
	return c ? c->target : 0;
}

void conn_guard_request_done(struct conn_guard *g, void *context)
{
	struct guarded_conn *c = context;

	if (!c)
		return;
	pthread_mutex_lock(&g->lock);
	c->body_until = 0;
	c->waiting_head = true;
	c->head_since = now_s();
	pthread_mutex_unlock(&g->lock);
}

/* The bytes a holder has reserved: the public's, or its slot's. */
static size_t *holder_bytes(struct conn_guard *g, const char *holder)
{
	unsigned long long h = 1469598103934665603ull; /* FNV-1a */

	if (!holder)
		return &g->public_reserved;
	for (; *holder; holder++)
		h = (h ^ (unsigned char)*holder) * 1099511628211ull;
	return &g->holder_reserved[h % GUARD_HOLDER_SLOTS];
}

bool conn_guard_reserve(struct conn_guard *g, size_t n, const char *holder)
{
	size_t *mine;
	bool ok;

	pthread_mutex_lock(&g->lock);
	mine = holder_bytes(g, holder);
	ok = n <= g->body_budget - g->body_reserved && n <= g->body_budget / 2 - *mine;
	if (ok) {
		g->body_reserved += n;
		*mine += n;
	}
	pthread_mutex_unlock(&g->lock);
	if (!ok)
		atomic_fetch_add(&g->budget_refused, 1);
	return ok;
}

void conn_guard_release(struct conn_guard *g, size_t n, const char *holder)
{
	size_t *mine;

	pthread_mutex_lock(&g->lock);
	mine = holder_bytes(g, holder);
	g->body_reserved -= n <= g->body_reserved ? n : g->body_reserved;
	*mine -= n <= *mine ? n : *mine;
	pthread_mutex_unlock(&g->lock);
}
