/* The server: libmicrohttpd glue, the life of a request (body, limits, routing, auth, rate
 * limit, pool), the access log and the shared response helpers. */
#include "http/internal.h"
#include "audit/group.h"
#include "core/format.h"
#include "http/guard.h"
#include "http/json_out.h"
#include "http/metrics.h"
#include "http/pool.h"
#include "http/web.h"
#include "http/ratelimit.h"
#include "http/ratelimit_flusher.h"
#include "http/retention_daily.h"
#include "http/session.h"
#include "io/utf8.h"
#include "oid4vp/signin.h"
#include "portal/emrex.h"
#include "registry/institution.h"
#include "registry/leak.h"
#include "remote/did_resolver.h"
#include "remote/fetch_guard.h"
#include "remote/oidc.h"
#include "remote/status_cache.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <microhttpd.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define DEFAULT_JSON_MAX ((size_t)1 << 20)
/* Headers past HEADERS_MAX get our own 431 problem+json; libmicrohttpd answers on its own only
 * past CONNECTION_MEMORY, the per-connection buffer it reads headers into. libmicrohttpd
 * (0.9.75) zeroes that whole buffer after every request, so it is no larger than the head needs
 * (64 KiB, as the floor server of bench/http: 128 KiB cost 3% of a verification's CPU). */
#define HEADERS_MAX ((size_t)32 << 10)
/* libmicrohttpd keeps each header line and query argument as a record of about 56 bytes in the
 * same buffer, and needs room there for the answer's headers: past this many of either the
 * answer is our 431 too (with 32 KiB of head, 2 x 200 records and an answer's headers fit in 64
 * KiB with margin). */
#define HEAD_RECORDS_MAX  200
#define CONNECTION_MEMORY ((size_t)64 << 10)
#define DEFAULT_CSV_MAX   ((size_t)64 << 20)
/* What a request's body buffer takes at once for an announced body (see route_request). */
#define BODY_FIRST_ALLOC ((size_t)64 << 10)

struct http_server {
	struct MHD_Daemon *daemon;
	struct http_config cfg;
	struct depository_pool pool;
	struct ratelimit limiter;
	struct http_limits limits;        /* config.json "http" (guard.h) */
	struct conn_guard guard;          /* head deadlines, body budget */
	struct ratelimit learner_limiter; /* per learner session */
	struct ratelimit share_token_limiter;
	struct ratelimit share_client_limiter;
	struct ratelimit share_pair_limiter; /* one link from one address */
	struct ratelimit verifier_limiter;   /* anonymous verifier requests from one address */
	struct ratelimit signin_limiter;     /* wallet sign-ins started from one address */
	unsigned signin_open_max;            /* and open at once from one (0: no bound) */
	unsigned signin_open_network_max;    /* and from one /24 or /48 (0: no bound) */
	struct ratelimit_flusher flusher;    /* the shared limits' counts to the store */
	struct audit_group *audit_group;     /* share views' events, committed in groups */
	struct retention_daily retention;    /* the daily retention run (retention_daily_at) */
	struct http_metrics metrics;
	struct remote_status_cache status_cache; /* other depositories' status lists */
	struct remote_did_cache did_cache;       /* other depositories' DID documents */
	struct remote_fetch_guard fetch_guard;   /* limits on fetching either */
	struct oidc_rp oidc;                     /* OpenID providers learners sign in with */
	struct oid4vp_signin wallet_signin;      /* wallet sign-in: trusted PID issuers, scheme */
	atomic_bool stopping;
	/* A request's store said its records moved (store migrate): the routes that borrow no
	 * depository answer 503 too, until a store says otherwise. */
	atomic_bool store_moved;
	unsigned port;
	char *tls_cert;
	char *tls_key;
};

/* What lives for one request, from the first callback to completion. */
struct exchange {
	struct http_request req;
	double started;
	size_t route; /* (size_t)-1 until matched */
	bool answered;
	size_t reserved;  /* bytes of the server's body budget this request holds */
	bool public;      /* without key or session: reserved from the public half */
	char holder[48];  /* else whose half it is reserved from (guard.h) */
	bool over_budget; /* a body without Content-Length outgrew the budget */
	/* The request target as libmicrohttpd first saw it (on_uri, kept by the guard): where it
	 * starts, and its length up to the first NUL, before any decoding. */
	uintptr_t raw_target;
	size_t raw_target_len;
	bool nul_in_target; /* a NUL byte sent as such inside the request target */
};

static double monotonic_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Response helpers */

/* Field by field: the header slots (16 KiB) are written only as headers are added. */
static void response_init(struct http_response *res)
{
	res->close = false;
	res->nheaders = 0;
	buf_init(&res->body, (size_t)256 << 20);
	res->status = 500;
	res->content_type = "text/plain";
}

void http_header(struct http_response *res, const char *name, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (res->nheaders == HTTP_MAX_EXTRA_HEADERS)
		return;
	va_start(ap, fmt);
	n = vsnprintf(res->headers[res->nheaders].value, sizeof(res->headers[0].value), fmt, ap);
	va_end(ap);
	/* A value that does not fit is left out rather than sent cut (ours are all short). */
	if (n < 0 || (size_t)n >= sizeof(res->headers[0].value))
		return;
	res->headers[res->nheaders].name = name;
	res->nheaders++;
}

void http_text(struct http_response *res, unsigned status, const char *content_type,
               const char *text, size_t len)
{
	res->status = status;
	res->content_type = content_type;
	buf_reset(&res->body);
	if (buf_add(&res->body, text, len) != 0)
		http_problem(res, 500, "internal", "Internal error", "the answer is too large");
}

/* A first try at the answer's size: one allocation, not one per doubling. (buf_grow needs a
 * byte more for the NUL and rounds up to a power of two: one less is exactly 4 KiB.) */
#define JSON_FIRST_TRY (((size_t)4 << 10) - 1)

void http_json(struct http_response *res, unsigned status, json_t *doc)
{
	bool made = doc != NULL;
	int rc;

	buf_reset(&res->body);
	/* Most answers (a verification's report, a record) fit the first allocation. */
	rc = made ? buf_grow(&res->body, JSON_FIRST_TRY) : -1;
	if (!rc)
		rc = http_json_write(&res->body, doc);
	json_decref(doc);
	if (rc) {
		buf_reset(&res->body);
		http_problem(res, 500, "internal", "Internal error",
		             made ? "cannot write the answer" : "out of memory");
		return;
	}
	res->status = status;
	res->content_type = "application/json";
}

/* Makes s valid UTF-8 in place: a byte that does not start a well-formed character becomes '?'.
 * A detail can hold text from the request cut anywhere (a 40-byte quote, the 512-byte limit),
 * and JSON cannot carry a broken character. */
static void valid_text(char *s)
{
	size_t i = 0, n = strlen(s), len;

	while (i < n) {
		unsigned char c = (unsigned char)s[i];
		len = c < 0x80 ? 1 : c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : 2;
		if (c < 0x80 || (i + len <= n && utf8_valid(s + i, len)))
			i += len;
		else
			s[i++] = '?';
	}
}

void http_problem(struct http_response *res, unsigned status, const char *slug, const char *title,
                  const char *detail_fmt, ...)
{
	char detail[512], type[96], number[16];
	struct buf *b = &res->body;
	va_list ap;

	/* A longer detail is cut on purpose (it may quote the request); valid_text mends a
	 * character the cut splits. */
	va_start(ap, detail_fmt);
	vsnprintf(detail, sizeof(detail), detail_fmt, ap);
	va_end(ap);
	valid_text(detail);
	if (ok_format(type, sizeof(type), "/problems/%s", slug)) /* slugs are short constants */
		memcpy(type, "/problems/internal", sizeof("/problems/internal"));
	snprintf(number, sizeof(number), "%u", status);
	res->status = status;
	res->content_type = "application/problem+json";
	buf_reset(b);
	/* The members in the order they always had: type, title, status, detail. */
	if (buf_addstr(b, "{\"type\":") || http_json_write_string(b, type, strlen(type)) ||
	    buf_addstr(b, ",\"title\":") || http_json_write_string(b, title, strlen(title)) ||
	    buf_addstr(b, ",\"status\":") || buf_addstr(b, number) ||
	    buf_addstr(b, ",\"detail\":") || http_json_write_string(b, detail, strlen(detail)) ||
	    buf_addstr(b, "}")) {
		buf_reset(b);
		buf_addstr(b, "{\"title\":\"Internal error\",\"status\":500}");
		res->status = 500;
	}
}

void http_problem_from_error(struct http_response *res, const struct ok_error *err)
{
	/* The status, type, title and detail come from the error table (core/error.h). */
	const char *fixed = ok_problem_detail(err->code);

	http_problem(res, ok_http_status(err->code), ok_problem_type(err->code),
	             ok_problem_title(err->code), "%s", fixed ? fixed : err->message);
	if (err->code == OK_EBUSY)
		http_header(res, "Retry-After", "1");
	/* A replica stays one until it is promoted: a client retries later, or at the primary. */
	if (err->code == OK_EREADONLY)
		http_header(res, "Retry-After", "30");
	/* The store's bound is 5 s: a retry after that many meets a server that answers again. */
	if (err->code == OK_ENOANSWER)
		http_header(res, "Retry-After", "5");
}

/* Request helpers */

const char *http_query(struct http_request *req, const char *name)
{
	return MHD_lookup_connection_value(req->conn, MHD_GET_ARGUMENT_KIND, name);
}

const char *http_request_header(struct http_request *req, const char *name)
{
	return MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND, name);
}

void http_problem_nul_byte(struct http_response *res, const char *body, size_t at)
{
	size_t line = 1;

	for (size_t i = 0; i < at; i++)
		line += body[i] == '\n';
	/* Worded as the credential routes' reader words it (vc/jcs.c). */
	http_problem(res, 400, "invalid-json", "Invalid JSON",
	             "a NUL byte is not JSON at byte %zu (line %zu)", at, line);
}

json_t *http_body_json(struct http_request *req, struct http_response *res)
{
	json_error_t jerr;
	const char *nul;
	json_t *doc;

	if (req->body.len == 0) {
		http_problem(res, 400, "invalid-json", "Invalid JSON", "the body is empty");
		return NULL;
	}
	/* A NUL byte is never valid in JSON text, but jansson skips one right after a number or a
	 * literal: refused here as the credential routes' reader refuses it. */
	if ((nul = memchr(req->body.data, '\0', req->body.len))) {
		http_problem_nul_byte(res, req->body.data, (size_t)(nul - req->body.data));
		return NULL;
	}
	doc = json_loadb(req->body.data, req->body.len, JSON_REJECT_DUPLICATES, &jerr);
	if (!doc) {
		/* jansson quotes the text "near" the problem: keep that out of the answer. */
		char *near = strstr(jerr.text, " near ");
		if (near)
			*near = '\0';
		http_problem(res, 400, "invalid-json", "Invalid JSON", "%s at line %d, column %d",
		             jerr.text, jerr.line, jerr.column);
	}
	return doc;
}

bool http_key_permits(const struct store_api_key *k, const char *perm)
{
	size_t n = strlen(perm);
	const char *p = k->permissions;

	while ((p = strstr(p, perm))) {
		if ((p == k->permissions || p[-1] == ',') && (p[n] == '\0' || p[n] == ','))
			return true;
		p += n;
	}
	return false;
}

bool http_server_stopping(void *server)
{
	struct http_server *s = server;

	return atomic_load(&s->stopping);
}

struct remote_status_cache *http_status_cache(struct http_server *s)
{
	return &s->status_cache;
}

struct oid4vp_signin *http_wallet_signin(struct http_server *s)
{
	return &s->wallet_signin;
}

struct oidc_rp *http_oidc(struct http_server *s)
{
	return &s->oidc;
}

struct remote_did_cache *http_did_cache(struct http_server *s)
{
	return &s->did_cache;
}

void http_count_issued(struct http_server *s)
{
	atomic_fetch_add(&s->metrics.issued, 1);
}

void http_count_verified(struct http_server *s, bool valid)
{
	atomic_fetch_add(valid ? &s->metrics.verified_valid : &s->metrics.verified_invalid, 1);
}

void http_count_key_blocked(struct http_server *s)
{
	atomic_fetch_add(&s->metrics.keys_blocked, 1);
}

/* Keys blocked now, from the store (an operator unblocks from another process); -1 when the
 * store cannot say. */
static long long blocked_keys_now(struct http_request *req)
{
	struct depository *d = req->dep ? req->dep : pool_acquire(&req->srv->pool);
	struct ok_error err;
	int64_t n = -1;

	ok_error_clear(&err);
	if (leak_blocked_count(d, &n, &err) != 0)
		n = -1;
	if (d != req->dep)
		pool_release(&req->srv->pool, d);
	return (long long)n;
}

/* The audit log's size in events (its head's sequence number); -1 when the store cannot say. */
static long long audit_events_now(struct http_request *req)
{
	struct depository *d = req->dep ? req->dep : pool_acquire(&req->srv->pool);
	unsigned char head[AUDIT_HASH_BYTES];
	struct ok_error err;
	int64_t seq = -1;

	ok_error_clear(&err);
	if (store_audit_head(d->store, &seq, head, &err) != 0)
		seq = -1;
	if (d != req->dep)
		pool_release(&req->srv->pool, d);
	return (long long)seq;
}

/* The guard's gauges and counters, and the audit log's size: what an operator watches to see
 * whether someone is holding connections or writing audit events at machine speed. */
static int render_guard(struct http_request *req, struct buf *out)
{
	struct http_server *s = req->srv;
	long long events = audit_events_now(req);

	if (buf_addf(out,
	             "# HELP oorkonde_slow_heads_dropped_total Connections closed because the "
	             "request head was not in within http.head_timeout_s.\n"
	             "# TYPE oorkonde_slow_heads_dropped_total counter\n"
	             "oorkonde_slow_heads_dropped_total %lu\n"
	             "# HELP oorkonde_body_budget_refused_total Requests refused with 503 because "
	             "the bodies in flight would pass http.body_budget_mib.\n"
	             "# TYPE oorkonde_body_budget_refused_total counter\n"
	             "oorkonde_body_budget_refused_total %lu\n"
	             "# HELP oorkonde_slow_bodies_dropped_total Connections closed because a "
	             "body on a public route came slower than 64 KiB/s after "
	             "http.head_timeout_s.\n"
	             "# TYPE oorkonde_slow_bodies_dropped_total counter\n"
	             "oorkonde_slow_bodies_dropped_total %lu\n",
	             atomic_load(&s->guard.heads_dropped), atomic_load(&s->guard.budget_refused),
	             atomic_load(&s->guard.bodies_dropped)))
		return OK_ETOOBIG;
	if (events >= 0 && buf_addf(out,
	                            "# HELP oorkonde_audit_events Events in the audit log.\n"
	                            "# TYPE oorkonde_audit_events gauge\n"
	                            "oorkonde_audit_events %lld\n",
	                            events))
		return OK_ETOOBIG;
	if (s->audit_group) {
		unsigned long long commits, grouped, key_failures;

		audit_group_counts(s->audit_group, &commits, &grouped, &key_failures);
		if (buf_addf(out,
		             "# HELP oorkonde_audit_group_commits_total Transactions the audit "
		             "writer committed for share views.\n"
		             "# TYPE oorkonde_audit_group_commits_total counter\n"
		             "oorkonde_audit_group_commits_total %llu\n"
		             "# HELP oorkonde_audit_group_events_total Share views' events "
		             "the audit writer appended in those transactions.\n"
		             "# TYPE oorkonde_audit_group_events_total counter\n"
		             "oorkonde_audit_group_events_total %llu\n"
		             "# HELP oorkonde_audit_group_key_read_failures_total Times the audit "
		             "writer could not read the key files again (kept the old keys).\n"
		             "# TYPE oorkonde_audit_group_key_read_failures_total counter\n"
		             "oorkonde_audit_group_key_read_failures_total %llu\n",
		             commits, grouped, key_failures))
			return OK_ETOOBIG;
	}
	return 0;
}

void route_metrics(struct http_request *req, struct http_response *res)
{
	const char *names[METRICS_ROUTES_MAX];
	size_t i;

	for (i = 0; i < http_route_count && i < METRICS_ROUTES_MAX - 1; i++)
		names[i] = http_routes[i].name;
	buf_reset(&res->body);
	if (metrics_render(&req->srv->metrics, names, i, &res->body) != 0 ||
	    metrics_render_blocked_keys(blocked_keys_now(req), &res->body) != 0 ||
	    render_guard(req, &res->body) != 0) {
		http_problem(res, 500, "internal", "Internal error", "metrics too large");
		return;
	}
	res->status = 200;
	res->content_type = "text/plain; version=0.0.4";
}

/* The life of a request */

/* The client's key for the limits per address (an IPv6 client by its /64). */
static void client_address(struct MHD_Connection *conn, char *out, size_t cap)
{
	const union MHD_ConnectionInfo *info =
	        MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);

	ratelimit_client_key(info ? info->client_addr : NULL, out, cap);
}

static bool content_type_is(const char *ct, const char *want)
{
	size_t n = strlen(want);

	return ct && strncasecmp(ct, want, n) == 0 &&
	       (ct[n] == '\0' || ct[n] == ';' || ct[n] == ' ');
}

/* Checks the API key of a registrar route; answers 401 itself when it fails. */
static bool authenticate(struct http_request *req, struct http_response *res)
{
	const char *auth = http_request_header(req, MHD_HTTP_HEADER_AUTHORIZATION);
	struct ok_error err;
	int rc;

	if (!auth || strncasecmp(auth, "Bearer ", 7) != 0 || !auth[7]) {
		http_problem(res, 401, "unauthorized", "Unauthorized",
		             "send an API key as 'Authorization: Bearer KEY'");
		http_header(res, "WWW-Authenticate", "Bearer realm=\"oorkonde\"");
		return false;
	}
	ok_error_clear(&err);
	rc = strlen(auth + 7) > 128 ? OK_EAUTH
	                            : registry_apikey_check(req->dep, auth + 7, &req->key, &err);
	if (rc == OK_ELIMIT) {
		/* Blocked by leak detection (registry/leak.h) until an operator lifts it: 403, not
		 * the table's 429, since trying again later does not help. */
		http_problem(res, 403, "key-blocked", "Key blocked", "%s", err.message);
		return false;
	}
	/* A store that cannot be read (a failover under way) says so: the key may be good. */
	if (rc && rc != OK_EAUTH) {
		http_problem_from_error(res, &err);
		return false;
	}
	if (rc) {
		http_problem(res, 401, "unauthorized", "Unauthorized",
		             "unknown or revoked API key");
		http_header(res, "WWW-Authenticate",
		            "Bearer realm=\"oorkonde\", error=\"invalid_token\"");
		return false;
	}
	req->authenticated = true;
	return true;
}

static bool limited(struct ratelimit *r, const char *key, bool take, struct http_response *res,
                    const char *what);

bool http_authenticate(struct http_request *req, struct http_response *res)
{
	return authenticate(req, res);
}

bool http_anon_verifier_limited(struct http_request *req, struct http_response *res)
{
	return limited(&req->srv->verifier_limiter, req->client, true, res, "from this address");
}

bool http_wallet_signin_limited(struct http_request *req, struct http_response *res)
{
	return limited(&req->srv->signin_limiter, req->client, true, res, "from this address");
}

unsigned http_wallet_signin_open_max(struct http_server *s)
{
	return s->signin_open_max;
}

unsigned http_wallet_signin_open_network_max(struct http_server *s)
{
	return s->signin_open_network_max;
}

/* The first route whose template matches path, whatever the method (for logs and metrics). */
static size_t index_of_path(const struct router_entry *entries, const char *path)
{
	struct router_match m;
	size_t i, index;

	for (i = 0; i < http_route_count; i++) {
		struct router_entry e = entries[i];
		if (router_match(&e, 1, e.method, path, &index, &m, NULL, 0) == ROUTER_FOUND)
			return i;
	}
	return (size_t)-1;
}

/* Body media types a route takes: JSON for every route with a body, CSV or a form where
 * flagged. */
static bool media_type_ok(const struct http_route *route, const char *ct)
{
	if (content_type_is(ct, "application/json"))
		return true;
	if ((route->flags & ROUTE_BODY_FORM) &&
	    content_type_is(ct, "application/x-www-form-urlencoded"))
		return true;
	return (route->flags & ROUTE_BODY_CSV) && content_type_is(ct, "text/csv");
}

/* What the headers say about the body's framing. */
struct head_facts {
	size_t bytes;            /* request line (with the query) and headers, roughly as sent */
	size_t lines;            /* header lines */
	size_t args;             /* query arguments */
	unsigned content_length; /* Content-Length headers */
	unsigned transfer_encoding;
	bool not_chunked;   /* a Transfer-Encoding other than "chunked", the one we read */
	bool space_in_name; /* whitespace in a header's name ("Content-Length : 5") */
	bool control;       /* a CR or LF inside a header's value */
};

static enum MHD_Result head_fact(void *cls, enum MHD_ValueKind kind, const char *key,
                                 size_t key_size, const char *value, size_t value_size)
{
	struct head_facts *f = cls;

	(void)kind;
	f->lines++;
	f->bytes += key_size + value_size + 4;
	/* libmicrohttpd keeps a bare CR inside a value: a proxy that ends the line there reads
	 * another header than we do. */
	if (value && (memchr(value, '\r', value_size) || memchr(value, '\n', value_size)))
		f->control = true;
	if (strpbrk(key, " \t"))
		f->space_in_name = true;
	if (strcasecmp(key, MHD_HTTP_HEADER_CONTENT_LENGTH) == 0) {
		f->content_length++;
	} else if (strcasecmp(key, MHD_HTTP_HEADER_TRANSFER_ENCODING) == 0) {
		f->transfer_encoding++;
		if (!value || strcasecmp(value, "chunked") != 0)
			f->not_chunked = true;
	}
	return MHD_YES;
}

/* A query argument: counted, and its bytes with the head's. */
static enum MHD_Result query_fact(void *cls, enum MHD_ValueKind kind, const char *key,
                                  size_t key_size, const char *value, size_t value_size)
{
	struct head_facts *f = cls;

	(void)kind;
	(void)key;
	(void)value;
	f->args++;
	f->bytes += key_size + value_size + 2;
	return MHD_YES;
}

/* Methods whose requests carry a body here. */
static bool method_takes_body(const char *method)
{
	return strcmp(method, "POST") == 0 || strcmp(method, "PATCH") == 0 ||
	       strcmp(method, "PUT") == 0;
}

/* Share openings: the routes under /s/{token}, whose first parameter is the token. */
static bool is_share_route(const struct http_route *route)
{
	return strncmp(route->name, "/s/{token}", 10) == 0;
}

/* A rate limit's answer: 429 problem+json with Retry-After. take: whether this request
 * uses up its place now (or is charged later, when it succeeds). */
static bool limited(struct ratelimit *r, const char *key, bool take, struct http_response *res,
                    const char *what)
{
	unsigned retry = 1;

	if (ratelimit_check(r, key, take, &retry))
		return false;
	http_problem(res, 429, "rate-limited", "Too many requests",
	             "too many requests %s; try again in %u s", what, retry);
	http_header(res, "Retry-After", "%u", retry);
	return true;
}

/*
 * Whether the records moved to another store (`oorkonde store migrate` while this server ran):
 * then every route answers 503 store-moved, reads as well as writes, since everything this
 * server would read (status lists it signs, API keys, the trust list) is stale. With a
 * depository its store is asked (cheap: see store_moved); without one, what the last one said.
 */
static bool refused_as_moved(struct http_request *req, struct http_response *res)
{
	struct http_server *s = req->srv;
	struct ok_error err;
	int rc = OK_EMOVED;

	ok_error_clear(&err);
	if (req->dep) {
		rc = store_moved(req->dep->store, &err);
		if (rc && rc != OK_EMOVED)
			return false; /* the route meets the store's trouble and answers it */
		atomic_store(&s->store_moved, rc == OK_EMOVED);
	} else if (!atomic_load(&s->store_moved)) {
		return false;
	}
	if (!rc)
		return false;
	err.code = OK_EMOVED;
	http_problem_from_error(res, &err);
	return true;
}

/* The caller's key or session, checked with a depository borrowed for the moment only: a
 * client sending its body slowly must not hold one. */
static bool admitted(struct http_request *req, const struct http_route *route,
                     struct http_response *res)
{
	struct http_server *s = req->srv;
	bool ok = true;

	if (!(route->flags & (ROUTE_REGISTRAR | ROUTE_LEARNER)))
		return true;
	req->dep = pool_acquire(&s->pool);
	if (refused_as_moved(req, res))
		ok = false;
	else if (route->flags & ROUTE_REGISTRAR)
		ok = authenticate(req, res);
	if (ok && (route->flags & ROUTE_LEARNER))
		ok = http_session_require(req, res);
	pool_release(&s->pool, req->dep);
	req->dep = NULL;
	/* Per session, so that one signed-in learner cannot write audit events by the
	 * thousand (each read of their records is one). */
	if (ok && (route->flags & ROUTE_LEARNER) &&
	    limited(&s->learner_limiter, req->session_id, true, res, "in this session"))
		ok = false;
	return ok;
}

static void *guard_context(struct MHD_Connection *conn);

/* Whose share of the body budget a request's body is counted in (NULL: the public's). */
static const char *holder_of(const struct exchange *x)
{
	return x->public ? NULL : x->holder;
}

/* Openings of a share link a person makes in a minute (the page and its download, a reload):
 * an address within them is let in even when the link's own limit is spent. */
#define SHARE_PAIR_PER_MINUTE 2

/* A share link's keys for its limits: the link ("/s/TOKEN.json" is the same link as
 * "/s/TOKEN"), and the link from this client address. */
static void share_keys(const struct http_request *req, char *link, size_t link_cap, char *pair,
                       size_t pair_cap)
{
	size_t n;

	/* Keys of rate limits only: a token longer than any real one may be cut, which at most
	 * counts such requests together. */
	snprintf(link, link_cap, "%s", req->params.params[0]);
	n = strlen(link);
	if (n > 5 && strcmp(link + n - 5, ".json") == 0)
		link[n - 5] = '\0';
	snprintf(pair, pair_cap, "%s %s", req->client, link);
}

/*
 * A share link's limits: openings from this address, then openings of this link, each charged
 * only when the share opens (dispatch), so that tokens matching none spend nothing (the public
 * limit bounds guessing). The link's limit counts openings from everywhere, so one address
 * opening it at machine speed would lock out the recipient; an address that has opened this
 * link fewer than SHARE_PAIR_PER_MINUTE times lately is let in all the same, so that only the
 * addresses that keep opening it are refused.
 */
static bool share_limited(struct http_server *s, struct http_request *req,
                          struct http_response *res)
{
	char link[128], pair[192];
	unsigned retry = 1;

	share_keys(req, link, sizeof(link), pair, sizeof(pair));
	if (limited(&s->share_client_limiter, req->client, false, res,
	            "for share links from this address"))
		return true;
	if (s->share_pair_limiter.per_second > 0 &&
	    ratelimit_check(&s->share_pair_limiter, pair, false, &retry))
		return false;
	return limited(&s->share_token_limiter, link, false, res, "for this link");
}

/*
 * Everything decided from the request line and headers, before any body byte is read: framing,
 * the route, the method, the media type, the announced size, rate limits, the key or session,
 * and the body budget. Returns true when res already holds the answer.
 */
static bool route_request(struct exchange *x, struct http_response *res)
{
	struct http_request *req = &x->req;
	struct http_server *s = req->srv;
	struct router_entry entries[METRICS_ROUTES_MAX];
	struct head_facts facts = {.bytes = strlen(req->path)};
	const struct http_route *route;
	const char *ct, *cl;
	char allow[64], *end;
	size_t i, index, max;
	unsigned long long announced = 0;
	bool takes_body;
	enum router_result found;

	MHD_get_connection_values_n(req->conn, MHD_HEADER_KIND, head_fact, &facts);
	MHD_get_connection_values_n(req->conn, MHD_GET_ARGUMENT_KIND, query_fact, &facts);
	if (facts.bytes > HEADERS_MAX || facts.lines > HEAD_RECORDS_MAX ||
	    facts.args > HEAD_RECORDS_MAX) {
		http_problem(res, 431, "headers-too-large", "Request header fields too large",
		             "the request line and headers are larger than %zu bytes, or hold more "
		             "than %d header lines or query arguments",
		             HEADERS_MAX, HEAD_RECORDS_MAX);
		return true;
	}
	/* Framing two parties could read differently (request smuggling) is refused, and the
	 * connection closed: nothing after it can be trusted to start a request. */
	/* So is a header libmicrohttpd would not take for framing but a lenient proxy might:
	 * whitespace before the colon (RFC 9112 section 5.1), or a transfer coding it does not
	 * decode ("gzip, chunked" is read as no body at all). */
	if (facts.content_length > 1 || (facts.content_length && facts.transfer_encoding) ||
	    facts.transfer_encoding > 1 || facts.not_chunked || facts.space_in_name ||
	    facts.control) {
		http_problem(
		        res, 400, "bad-framing", "Bad request",
		        "send one Content-Length or one Transfer-Encoding: chunked, not both or "
		        "twice, no space before a header's colon, no CR inside a header");
		res->close = true;
		return true;
	}
	/* A NUL in the path (sent as %00, left encoded by unescape_path, or as a byte) would cut
	 * it short. */
	if (x->nul_in_target || strstr(req->path, "%00")) {
		http_problem(res, 400, "bad-path", "Bad request", "the path holds a NUL byte");
		res->close = true;
		return true;
	}
	cl = http_request_header(req, MHD_HTTP_HEADER_CONTENT_LENGTH);
	if (cl) {
		errno = 0;
		announced = strtoull(cl, &end, 10);
		if (end == cl || *end || errno || cl[0] == '-' || cl[0] == '+') {
			http_problem(res, 400, "bad-framing", "Bad request",
			             "Content-Length must be a number of bytes");
			res->close = true;
			return true;
		}
	}
	for (i = 0; i < http_route_count; i++)
		entries[i] = http_routes[i].entry;
	/* HEAD is answered as GET; libmicrohttpd leaves the body out. */
	found = router_match(entries, http_route_count,
	                     strcmp(req->method, "HEAD") == 0 ? "GET" : req->method, req->path,
	                     &index, &req->params, allow, sizeof(allow));
	if (found == ROUTER_NOT_FOUND) {
		http_problem(res, 404, "not-found", "Not found", "no such resource");
		return true;
	}
	if (found == ROUTER_METHOD_NOT_ALLOWED) {
		x->route = index_of_path(entries, req->path);
		http_problem(res, 405, "method-not-allowed", "Method not allowed",
		             "this resource answers to %s", allow);
		http_header(res, "Allow", "%s", allow);
		return true;
	}
	x->route = index;
	route = &http_routes[index];
	takes_body = method_takes_body(req->method);
	if (!takes_body && (announced > 0 || facts.transfer_encoding)) {
		http_problem(res, 400, "unexpected-body", "Bad request",
		             "a %s request has no body here", req->method);
		res->close = true;
		return true;
	}
	ct = http_request_header(req, MHD_HTTP_HEADER_CONTENT_TYPE);
	if (takes_body && !media_type_ok(route, ct) &&
	    !((route->flags & ROUTE_BODY_NONE) && !announced && !facts.transfer_encoding)) {
		http_problem(res, 415, "unsupported-media-type", "Unsupported media type",
		             "send %s",
		             (route->flags & ROUTE_BODY_CSV)    ? "application/json or text/csv"
		             : (route->flags & ROUTE_BODY_NONE) ? "no body"
		                                                : "application/json");
		return true;
	}
	/* The CSV cap belongs to the import route alone; every other body is small. */
	max = (route->flags & ROUTE_BODY_CSV) && content_type_is(ct, "text/csv") ? s->cfg.csv_max
	                                                                         : s->cfg.json_max;
	/* A contact point's answer carries a whole signed document, often with its PDF: it may
	 * reach what portal_emrex_client_return takes (review s7 E9), still counted against the
	 * connection guard below. */
	if ((route->flags & ROUTE_BODY_EMREX) && max < PORTAL_EMREX_B64_MAX + ((size_t)64 << 10))
		max = PORTAL_EMREX_B64_MAX + ((size_t)64 << 10);
	buf_init(&req->body, takes_body ? max : 1);
	if (announced > max) {
		if (route->flags & ROUTE_BODY_EMREX)
			http_problem(res, 413, "too-large", "Content too large",
			             "an EMREX answer is at most %zu MiB (its elmo field, base64); "
			             "nothing was kept",
			             PORTAL_EMREX_B64_MAX >> 20);
		else
			http_problem(res, 413, "too-large", "Content too large",
			             "the body is larger than this server accepts (%zu bytes)",
			             max);
		res->close = true;
		return true;
	}
	/* Counts only: the shared totals come and go on the flusher's thread, so that no
	 * request waits on the store for them (and a route needing none takes no depository). */
	if ((route->flags & ROUTE_PUBLIC) &&
	    limited(&s->limiter, req->client, true, res, "from this address"))
		return true;
	/* Each such request has the depository ask a wallet for personal data on a stranger's
	 * word (review W2, W7): few per address, also to bound the open requests one address
	 * keeps (this limit times verifier_request_ttl_s). */
	if ((route->flags & ROUTE_ANON_VERIFIER) &&
	    limited(&s->verifier_limiter, req->client, true, res, "from this address"))
		return true;
	/* A share link opened from many addresses, or many links from one: each opening is an
	 * audit event the learner reads back, so neither may run at machine speed. */
	if (is_share_route(route) && share_limited(s, req, res))
		return true;
	if (!admitted(req, route, res))
		return true;
	x->public = !(route->flags & (ROUTE_REGISTRAR | ROUTE_LEARNER));
	/* An institution's keys share one half; an operator's key is its own holder. */
	/* A code or id (at most STORE_ID_MAX): it fits holder. */
	if (!x->public)
		snprintf(x->holder, sizeof(x->holder), "%s",
		         req->authenticated
		                 ? (req->key.institution[0] ? req->key.institution : req->key.id)
		                 : req->learner_id);
	if (announced > 0) {
		if (!conn_guard_reserve(&s->guard, (size_t)announced, holder_of(x))) {
			http_problem(res, 503, "busy", "Busy",
			             "the server is receiving too many request bodies; try again");
			http_header(res, "Retry-After", "1");
			res->close = true;
			return true;
		}
		x->reserved = (size_t)announced;
		/* The announced body in one allocation instead of one per doubling; a large one
		 * only in part, so that a slow sender makes the server commit little memory. (A
		 * failure here leaves the growth to buf_add.) */
		(void)buf_grow(&req->body, http_body_first_grow(announced));
	}
	/* A stranger's body comes at 64 KiB/s at least, after the head's own time. */
	if (takes_body && x->public)
		conn_guard_body_deadline(&s->guard, guard_context(req->conn),
		                         s->limits.head_timeout_s +
		                                 (double)(announced ? announced : max) / 65536);
	return false;
}

size_t http_body_first_grow(unsigned long long announced)
{
	/* buf_grow adds a byte for the NUL and rounds up to a power of two: asking for one byte
	 * less than BODY_FIRST_ALLOC allocates exactly BODY_FIRST_ALLOC. */
	return announced < BODY_FIRST_ALLOC - 1 ? (size_t)announced : BODY_FIRST_ALLOC - 1;
}

/* Runs the route's handler once the whole body is in (key, session and limits are checked). */
static void dispatch(struct exchange *x, struct http_response *res)
{
	struct http_request *req = &x->req;
	struct http_server *s = req->srv;
	const struct http_route *route = &http_routes[x->route];

	if (req->body_too_large) {
		http_problem(res, 413, "too-large", "Content too large",
		             "the body is larger than this server accepts (%zu bytes)",
		             req->body.max);
		return;
	}
	if (x->over_budget) {
		http_problem(res, 503, "busy", "Busy",
		             "the server is receiving too many request bodies; try again");
		http_header(res, "Retry-After", "1");
		return;
	}
	if (!(route->flags & ROUTE_NO_STORE))
		req->dep = pool_acquire(&s->pool);
	/* A snapshot that fails to open only costs the reads their own locks. */
	if (req->dep && (route->flags & ROUTE_READ_SNAPSHOT))
		store_read_begin(req->dep->store, NULL);
	if (!refused_as_moved(req, res))
		route->handler(req, res);
	if (req->dep)
		store_read_end(req->dep->store);
	/* An address and a link are charged for shares opened, not for tokens that matched none
	 * (the public limit bounds guessing): only openings write audit events. */
	if (is_share_route(route) && res->status < 300) {
		char link[128], pair[192];

		share_keys(req, link, sizeof(link), pair, sizeof(pair));
		/* The first two are told to the other servers at the next flush; a total past
		 * the limit refuses the next opening. */
		ratelimit_charge(&s->share_client_limiter, req->client);
		ratelimit_charge(&s->share_token_limiter, link);
		ratelimit_charge(&s->share_pair_limiter, pair);
	}
	if (req->dep) {
		pool_release(&s->pool, req->dep);
		req->dep = NULL;
	}
}

static void access_log(struct http_server *s, const struct exchange *x, unsigned status,
                       size_t bytes)
{
	char line[512], when[32];
	struct tm tm;
	time_t now = time(NULL);
	int n;

	if (s->cfg.access_log_fd < 0)
		return;
	gmtime_r(&now, &tm);
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
	/* The route template, never the path: paths and queries can hold identifiers. */
	n = snprintf(line, sizeof(line), "%s %s %s %u %zu %.3fms\n", when, x->req.method,
	             x->route != (size_t)-1 ? http_routes[x->route].name : "-", status, bytes,
	             (monotonic_now() - x->started) * 1000);
	if (n > 0 && write(s->cfg.access_log_fd, line,
	                   (size_t)n < sizeof(line) ? (size_t)n : sizeof(line) - 1) < 0) {
		/* A full log disk must not stop the server. */
	}
}

static enum MHD_Result send_response(struct MHD_Connection *conn, struct exchange *x,
                                     struct http_response *res)
{
	struct MHD_Response *r;
	enum MHD_Result ret;
	size_t len, i;
	char *body;

	/* A browser that opens an unknown URL or a page that fails gets a page, not JSON. */
	if (web_wants_error_page(&x->req, res,
	                         x->route != (size_t)-1 ? http_routes[x->route].name : NULL)) {
		x->req.dep = pool_acquire(&x->req.srv->pool);
		web_error_page(&x->req, res);
		if (x->req.dep)
			pool_release(&x->req.srv->pool, x->req.dep);
		x->req.dep = NULL;
	}
	body = buf_detach(&res->body, &len);
	if (!body)
		return MHD_NO;
	r = MHD_create_response_from_buffer(len, body, MHD_RESPMEM_MUST_FREE);
	if (!r) {
		free(body);
		return MHD_NO;
	}
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, res->content_type);
	MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
	MHD_add_response_header(r, "Referrer-Policy", "no-referrer");
	if (res->close)
		MHD_add_response_header(r, MHD_HTTP_HEADER_CONNECTION, "close");
	for (i = 0; i < res->nheaders; i++)
		MHD_add_response_header(r, res->headers[i].name, res->headers[i].value);
	/* Served over TLS itself: every answer tells the browser to stay on https, not only the
	 * sign-in pages (a first plain-HTTP visit could otherwise be led elsewhere). Behind a proxy
	 * that ends TLS the proxy sends it (operations.md). */
	if (x->req.srv->tls_cert && !MHD_get_response_header(r, "Strict-Transport-Security"))
		MHD_add_response_header(r, "Strict-Transport-Security", "max-age=31536000");
	/* Answers hold personal data unless a handler says otherwise. */
	if (!MHD_get_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL))
		MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
	ret = MHD_queue_response(conn, res->status, r);
	MHD_destroy_response(r);
	x->answered = true;
	metrics_observe(&x->req.srv->metrics, x->route, res->status, monotonic_now() - x->started);
	access_log(x->req.srv, x, res->status, len);
	return ret;
}

/* The guard's record of a connection (conn_guard_opened), or NULL. */
static void *guard_context(struct MHD_Connection *conn)
{
	const union MHD_ConnectionInfo *info =
	        MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);

	return info ? info->socket_context : NULL;
}

/* libmicrohttpd's first look at a request: the target as sent, before the query is split off
 * and the path decoded. Nothing is allocated here: libmicrohttpd may still close the
 * connection before our first call (a head too large for its pool) without reporting the
 * request completed, so the target is kept with the connection (freed when it closes). */
static void *on_uri(void *cls, const char *uri, struct MHD_Connection *conn)
{
	(void)cls;
	conn_guard_note_target(guard_context(conn), uri);
	return NULL;
}

/*
 * Whether the target held a NUL byte: libmicrohttpd ends the target where it puts the
 * version (target, a NUL in place of the space, the version), so a target whose C string ends
 * before that point had one. An HTTP/0.9 request has no version to measure by.
 */
static bool nul_in_target(const struct exchange *x, const char *version)
{
	uintptr_t v = (uintptr_t)version;

	return x->raw_target && version && strncmp(version, "HTTP/", 5) == 0 && v > x->raw_target &&
	       v - x->raw_target - 1 <= CONNECTION_MEMORY &&
	       v - x->raw_target - 1 > x->raw_target_len;
}

static enum MHD_Result begin_request(struct http_server *s, struct MHD_Connection *conn,
                                     const char *url, const char *method, const char *version,
                                     void **con_cls)
{
	struct exchange *x = calloc(1, sizeof(*x));
	struct http_response res;
	enum MHD_Result ret;

	if (!x)
		return MHD_NO;
	x->raw_target = conn_guard_target(guard_context(conn), &x->raw_target_len);
	x->nul_in_target = nul_in_target(x, version);
	x->started = monotonic_now();
	x->route = (size_t)-1;
	x->req.srv = s;
	x->req.conn = conn;
	x->req.method = method;
	x->req.path = url;
	buf_init(&x->req.body, 1);
	client_address(conn, x->req.client, sizeof(x->req.client));
	conn_guard_head_done(&s->guard, guard_context(conn));
	atomic_fetch_add(&s->metrics.in_flight, 1);
	*con_cls = x;
	response_init(&res);
	if (!route_request(x, &res)) {
		buf_release(&res.body);
		return MHD_YES;
	}
	/* Answered now: the body, if any, is never read (the connection closes after). */
	ret = send_response(conn, x, &res);
	buf_release(&res.body);
	return ret;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
                                  const char *method, const char *version, const char *upload,
                                  size_t *upload_size, void **con_cls)
{
	struct http_server *s = cls;
	struct exchange *x = *con_cls;
	struct http_response res;
	enum MHD_Result ret;

	if (!x)
		return begin_request(s, conn, url, method, version, con_cls);
	if (*upload_size) {
		/* A body of unannounced size takes its share of the budget as it comes. */
		if (!x->answered && !x->over_budget && !x->req.body_too_large &&
		    x->req.body.len + *upload_size > x->reserved) {
			size_t more = x->req.body.len + *upload_size - x->reserved;
			if (conn_guard_reserve(&s->guard, more, holder_of(x))) {
				x->reserved += more;
			} else {
				x->over_budget = true;
				buf_release(&x->req.body);
			}
		}
		/* Past the cap the rest is read and dropped; the answer is 413 at the end. */
		if (!x->answered && !x->over_budget && !x->req.body_too_large &&
		    buf_add(&x->req.body, upload, *upload_size) != 0) {
			x->req.body_too_large = true;
			buf_release(&x->req.body);
		}
		*upload_size = 0;
		return MHD_YES;
	}
	if (x->answered)
		return MHD_YES;
	conn_guard_body_done(&s->guard, guard_context(conn));
	response_init(&res);
	dispatch(x, &res);
	ret = send_response(conn, x, &res);
	buf_release(&res.body);
	return ret;
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                         enum MHD_RequestTerminationCode code)
{
	struct http_server *s = cls;
	struct exchange *x = *con_cls;

	(void)code;
	if (!x)
		return;
	atomic_fetch_sub(&s->metrics.in_flight, 1);
	conn_guard_release(&s->guard, x->reserved, holder_of(x));
	conn_guard_request_done(&s->guard, guard_context(conn));
	buf_release(&x->req.body);
	free(x);
	*con_cls = NULL;
}

/* libmicrohttpd's notice of each connection: the guard watches it from accept to close. */
static void on_connection(void *cls, struct MHD_Connection *conn, void **socket_context,
                          enum MHD_ConnectionNotificationCode code)
{
	struct http_server *s = cls;
	const union MHD_ConnectionInfo *info;

	if (code == MHD_CONNECTION_NOTIFY_STARTED) {
		info = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
		conn_guard_opened(&s->guard, info ? (int)info->connect_fd : -1, socket_context);
	} else if (code == MHD_CONNECTION_NOTIFY_CLOSED) {
		conn_guard_closed(&s->guard, socket_context);
	}
}

static int hex_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Percent-decoding of paths and query values, in place, except %00: a NUL would end the C
 * string early and make "/healthz%00/anything" reach /healthz. Left encoded, it is refused
 * in route_request. */
static size_t unescape_path(void *cls, struct MHD_Connection *conn, char *text)
{
	char *r = text, *w = text;

	(void)cls;
	(void)conn;
	while (*r) {
		int hi = r[0] == '%' ? hex_value(r[1]) : -1;
		int lo = hi >= 0 ? hex_value(r[2]) : -1;
		if (lo >= 0 && (hi || lo)) {
			*w++ = (char)(hi * 16 + lo);
			r += 3;
		} else {
			*w++ = *r++;
		}
	}
	*w = '\0';
	return (size_t)(w - text);
}

/*
 * Binds and listens on ADDRESS:PORT (a name such as localhost is resolved; IPv6 addresses in
 * brackets), with SO_REUSEADDR so that a restart is not held up by connections in TIME_WAIT,
 * and SO_REUSEPORT only when asked for: without it a second server on a port in use is an
 * error, not a silent sharer of the first one's clients.
 */
static int listen_on(const char *where, bool reuse_port, int *out, struct ok_error *err)
{
	char host[256], service[8];
	const char *colon = strrchr(where, ':'), *h = where;
	struct addrinfo hints, *all = NULL, *ai;
	size_t hlen;
	unsigned long port;
	char *end;
	int fd = -1, one = 1, first_errno = 0, gai, pass, e;
	bool in_use = false;

	*out = -1;
	if (!colon)
		return ok_fail_field(err, OK_EINPUT, "listen",
		                     "--listen must be ADDRESS:PORT, e.g. 127.0.0.1:8080");
	hlen = (size_t)(colon - where);
	if (hlen >= 2 && h[0] == '[' && h[hlen - 1] == ']') {
		h++;
		hlen -= 2;
	}
	if (hlen == 0 || hlen >= sizeof(host))
		return ok_fail_field(err, OK_EINPUT, "listen",
		                     "--listen must be ADDRESS:PORT, e.g. 127.0.0.1:8080");
	memcpy(host, h, hlen);
	host[hlen] = '\0';
	port = strtoul(colon + 1, &end, 10);
	if (*end || end == colon + 1 || port > 65535)
		return ok_fail_field(err, OK_EINPUT, "listen", "the port must be 0-65535");
	if (snprintf(service, sizeof(service), "%lu", port) >= (int)sizeof(service))
		return ok_fail_field(err, OK_EINPUT, "listen", "the port must be 0-65535");
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
	if ((gai = getaddrinfo(host, service, &hints, &all)) != 0)
		return ok_fail_field(err, OK_EINPUT, "listen", "cannot listen on %s: %s", where,
		                     gai_strerror(gai));
	/* IPv4 first: "localhost" is 127.0.0.1 for the clients and URLs that assume it. */
	for (pass = 0; pass < 2 && fd < 0 && !in_use; pass++) {
		for (ai = all; ai && fd < 0 && !in_use; ai = ai->ai_next) {
			if ((ai->ai_family == AF_INET) != (pass == 0))
				continue;
			fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK,
			            ai->ai_protocol);
			if (fd < 0) {
				if (!first_errno)
					first_errno = errno;
				continue;
			}
			if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) != 0 ||
			    (reuse_port &&
			     setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one)) != 0) ||
			    bind(fd, ai->ai_addr, ai->ai_addrlen) != 0 || listen(fd, 511) != 0) {
				e = errno;
				if (!first_errno)
					first_errno = e;
				close(fd);
				fd = -1;
				/* One of the name's addresses in use is the port in use: another of
				 * them ("localhost" as ::1 when 127.0.0.1 is taken) would make a
				 * second server that takes some of the first one's clients. */
				if (e == EADDRINUSE) {
					first_errno = e;
					in_use = true;
				}
			}
		}
	}
	freeaddrinfo(all);
	if (fd >= 0) {
		*out = fd;
		return 0;
	}
	if (first_errno == EADDRINUSE)
		return ok_fail_field(err, OK_EIO, "listen",
		                     "cannot listen on %s: address in use (another server listens "
		                     "there; stop it or pick another port)",
		                     where);
	if (first_errno == EACCES)
		return ok_fail_field(err, OK_EIO, "listen",
		                     "cannot listen on %s: not allowed (ports below 1024 need "
		                     "privileges)",
		                     where);
	if (first_errno == EADDRNOTAVAIL)
		return ok_fail_field(err, OK_EIO, "listen",
		                     "cannot listen on %s: no network interface of this machine "
		                     "has that address",
		                     where);
	return ok_fail_field(err, OK_EIO, "listen", "cannot listen on %s: %s", where,
	                     strerror(first_errno ? first_errno : EINVAL));
}

static char *read_pem(const char *path, struct ok_error *err)
{
	FILE *f = fopen(path, "re");
	struct buf b;
	char chunk[4096];
	size_t n;

	if (!f) {
		ok_fail(err, OK_EIO, "cannot read %s: %s", path, strerror(errno));
		return NULL;
	}
	buf_init(&b, 1 << 20);
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0) {
		if (buf_add(&b, chunk, n) != 0) {
			fclose(f);
			buf_release(&b);
			ok_fail(err, OK_ETOOBIG, "%s is too large for a PEM file", path);
			return NULL;
		}
	}
	fclose(f);
	return buf_detach(&b, NULL);
}

/* The operator's log of outbound fetches (why another issuer could not be reached): on standard
 * error whatever the access log's setting, as clients are told only that it failed. */
static void fetch_log(void *ctx, const char *detail)
{
	char line[1200], when[32];
	struct tm tm;
	time_t now = time(NULL);
	int n;

	(void)ctx;
	gmtime_r(&now, &tm);
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
	n = snprintf(line, sizeof(line), "%s %s\n", when, detail);
	if (n > 0 && write(STDERR_FILENO, line,
	                   (size_t)n < sizeof(line) ? (size_t)n : sizeof(line) - 1) < 0) {
		/* Nothing to do: the answer to the client does not depend on it. */
	}
}

/* Whether the PEM certificate and key can be served together, saying which part is wrong:
 * libmicrohttpd only reports that it could not start. */
static int tls_pair_check(const char *cert, const char *key, const struct http_config *cfg,
                          struct ok_error *err)
{
	gnutls_datum_t c = {(unsigned char *)(uintptr_t)cert, (unsigned)strlen(cert)};
	gnutls_datum_t k = {(unsigned char *)(uintptr_t)key, (unsigned)strlen(key)};
	gnutls_x509_crt_t *crts = NULL;
	gnutls_x509_privkey_t pk = NULL;
	gnutls_certificate_credentials_t cred = NULL;
	unsigned ncrts = 0, i;
	int g = 0, rc = 0;

	if (gnutls_x509_crt_list_import2(&crts, &ncrts, &c, GNUTLS_X509_FMT_PEM, 0) < 0 ||
	    ncrts == 0) {
		rc = ok_fail_field(err, OK_EINPUT, "tls-cert",
		                   "%s holds no PEM certificate (-----BEGIN CERTIFICATE-----)",
		                   cfg->tls_cert);
		goto out;
	}
	if (gnutls_x509_privkey_init(&pk) < 0 ||
	    (g = gnutls_x509_privkey_import2(pk, &k, GNUTLS_X509_FMT_PEM, NULL, 0)) < 0) {
		rc = ok_fail_field(err, OK_EINPUT, "tls-key",
		                   "%s holds no usable PEM private key%s", cfg->tls_key,
		                   pk && g == GNUTLS_E_DECRYPTION_FAILED
		                           ? " (it is protected by a password; serve needs it "
		                             "without one)"
		                           : "");
		goto out;
	}
	if (gnutls_certificate_allocate_credentials(&cred) < 0) {
		rc = ok_fail(err, OK_ENOMEM, "out of memory");
		goto out;
	}
	g = gnutls_certificate_set_x509_key_mem2(cred, &c, &k, GNUTLS_X509_FMT_PEM, NULL, 0);
	if (g == GNUTLS_E_CERTIFICATE_KEY_MISMATCH)
		rc = ok_fail_field(err, OK_EINPUT, "tls-key",
		                   "the certificate %s and the key %s do not belong together: the "
		                   "key is not the private key of the certificate",
		                   cfg->tls_cert, cfg->tls_key);
	else if (g < 0)
		rc = ok_fail_field(err, OK_EINPUT, "tls-cert", "cannot use %s with %s: %s",
		                   cfg->tls_cert, cfg->tls_key, gnutls_strerror(g));
out:
	if (cred)
		gnutls_certificate_free_credentials(cred);
	if (pk)
		gnutls_x509_privkey_deinit(pk);
	for (i = 0; i < ncrts; i++)
		gnutls_x509_crt_deinit(crts[i]);
	gnutls_free(crts);
	return rc;
}

static void limiters_release(struct http_server *s)
{
	ratelimit_release(&s->limiter);
	ratelimit_release(&s->learner_limiter);
	ratelimit_release(&s->share_token_limiter);
	ratelimit_release(&s->share_client_limiter);
	ratelimit_release(&s->share_pair_limiter);
	ratelimit_release(&s->verifier_limiter);
	ratelimit_release(&s->signin_limiter);
}

int http_server_start(struct http_server **out, const struct http_config *cfg, struct ok_error *err)
{
	struct http_server *s;
	const union MHD_DaemonInfo *info;
	/* poll(), not epoll: libmicrohttpd 0.9.75 can abort in MHD_quiesce_daemon() with a thread
	 * pool on epoll (a worker and the quiescing thread race to remove the listening socket from
	 * the epoll set, and the loser panics), and quiescing is how a stopping server lets another
	 * one on the same port (--reuse-port) take the new connections. poll() has no such race and
	 * costs nothing measurable at our connection limits. */
	unsigned flags = MHD_USE_POLL_INTERNAL_THREAD | MHD_USE_ITC | MHD_USE_ERROR_LOG;
	long cores = sysconf(_SC_NPROCESSORS_ONLN);
	unsigned threads;
	int rc, fd = -1;
	bool nomem = false;

	*out = NULL;
	/* The route table is copied into arrays of METRICS_ROUTES_MAX entries (one slot is kept
	 * for unmatched requests). */
	if (http_route_count >= METRICS_ROUTES_MAX)
		return ok_fail(err, OK_EINTERNAL, "%zu routes; raise METRICS_ROUTES_MAX",
		               http_route_count);
	if (!cfg->tls_cert != !cfg->tls_key)
		return ok_fail_field(err, OK_EINPUT, "tls", "--tls-cert and --tls-key go together");
	s = calloc(1, sizeof(*s));
	if (!s)
		return ok_fail(err, OK_ENOMEM, "out of memory");
	s->cfg = *cfg;
	if (!s->cfg.json_max)
		s->cfg.json_max = DEFAULT_JSON_MAX;
	if (!s->cfg.csv_max)
		s->cfg.csv_max = DEFAULT_CSV_MAX;
	if (!s->cfg.timeout_seconds)
		s->cfg.timeout_seconds = 30;
	http_limits_defaults(&s->limits);
	if ((rc = http_limits_read(&s->limits, cfg->data_dir, err))) {
		free(s);
		return rc;
	}
	if ((rc = oidc_rp_load(&s->oidc, cfg->data_dir, err)) ||
	    (rc = oid4vp_signin_load(&s->wallet_signin, cfg->data_dir, err))) {
		oidc_rp_release(&s->oidc);
		oid4vp_signin_release(&s->wallet_signin);
		free(s);
		return rc;
	}
	threads = cfg->threads ? cfg->threads : (unsigned)(cores > 0 ? cores : 2);
	metrics_init(&s->metrics);
	/* Each is set up, so that all can be released after a failure. */
	nomem |= ratelimit_init(&s->limiter, cfg->rate_per_minute) != 0;
	nomem |= ratelimit_init(&s->learner_limiter, s->limits.learner_per_minute) != 0;
	nomem |= ratelimit_init(&s->share_token_limiter, s->limits.share_token_per_minute) != 0;
	/* --rate-limit 0 turns off every limit per client address (a load test from one
	 * machine, or a proxy in front that limits); those per session and per link stay. */
	nomem |= ratelimit_init(&s->share_client_limiter,
	                        cfg->rate_per_minute ? s->limits.share_address_per_minute : 0) != 0;
	/* Off with the link's limit, or with those per address (all clients may be one proxy). */
	nomem |= ratelimit_init(&s->share_pair_limiter,
	                        cfg->rate_per_minute && s->limits.share_token_per_minute
	                                ? SHARE_PAIR_PER_MINUTE
	                                : 0) != 0;
	nomem |= ratelimit_init(&s->verifier_limiter,
	                        cfg->rate_per_minute ? s->limits.verifier_page_per_minute : 0) != 0;
	/* Wallet sign-ins have a budget of their own (review VP-11): learners behind one address
	 * (a campus) are not held to the anonymous verifier's, nor use it up. */
	nomem |= ratelimit_init(&s->signin_limiter,
	                        cfg->rate_per_minute ? s->limits.wallet_signin_per_minute : 0) != 0;
	s->signin_open_max = cfg->rate_per_minute ? s->limits.wallet_signin_open : 0;
	s->signin_open_network_max = cfg->rate_per_minute ? s->limits.wallet_signin_open_net : 0;
	if (nomem) {
		limiters_release(s);
		oidc_rp_release(&s->oidc);
		oid4vp_signin_release(&s->wallet_signin);
		free(s);
		return ok_fail(err, OK_ENOMEM, "out of memory");
	}
	/* Limits that hold across the servers on one store (the pair's leniency stays local). */
	ratelimit_share(&s->limiter, "address");
	ratelimit_share(&s->learner_limiter, "session");
	ratelimit_share(&s->share_client_limiter, "share-address");
	ratelimit_share(&s->share_token_limiter, "share-link");
	ratelimit_share(&s->verifier_limiter, "verifier-address");
	ratelimit_share(&s->signin_limiter, "wallet-signin-address");
	/* Fetches for other issuers block a worker thread: at most half of them (one at least)
	 * may wait on the network, so /healthz and every request that needs nothing from another
	 * issuer always find a free one. */
	remote_fetch_guard_init(&s->fetch_guard);
	s->fetch_guard.max_total = threads / 2 ? threads / 2 : 1;
	s->fetch_guard.log = fetch_log;
	remote_status_cache_init(&s->status_cache, 300, &s->fetch_guard);
	remote_did_cache_init(&s->did_cache, 300, &s->fetch_guard);
	/* Sign-ins wait on their providers within the same bound (remote/oidc.h). */
	s->oidc.guard.max_total = s->fetch_guard.max_total;
	s->oidc.guard.log = fetch_log;
	/* One depository per thread, so that no request ever waits for a connection. */
	if ((rc = pool_open(&s->pool, cfg->data_dir, threads, err))) {
		limiters_release(s);
		remote_status_cache_release(&s->status_cache);
		remote_did_cache_release(&s->did_cache);
		remote_fetch_guard_release(&s->fetch_guard);
		oidc_rp_release(&s->oidc);
		oid4vp_signin_release(&s->wallet_signin);
		free(s);
		return rc;
	}
	for (size_t i = 0; i < s->pool.size; i++)
		s->pool.all[i].bench_audit_off = cfg->bench_audit_off;
	/* One writer appends the share views' events of every thread in group commits, taking the
	 * pool's writer lock like any write transaction of the threads. */
	if ((rc = audit_group_start(&s->audit_group, cfg->data_dir, &s->pool.writer, err)))
		goto fail;
	for (size_t i = 0; i < s->pool.size; i++)
		s->pool.all[i].audit_group = s->audit_group;
	{
		struct ratelimit *shared[] = {&s->limiter,
		                              &s->learner_limiter,
		                              &s->share_client_limiter,
		                              &s->share_token_limiter,
		                              &s->verifier_limiter,
		                              &s->signin_limiter};

		if ((rc = ratelimit_flusher_start(&s->flusher, cfg->data_dir, shared,
		                                  sizeof(shared) / sizeof(shared[0]), err)))
			goto fail;
	}
	if ((rc = retention_daily_start(&s->retention, cfg->data_dir, err)))
		goto fail;
	/* The caches keep other depositories' documents at most as long as config.json says. */
	s->did_cache.default_ttl_s = s->pool.all[0].did_cache_ttl_s;
	s->status_cache.default_ttl_s = s->pool.all[0].status_cache_ttl_s;
	/* A failure is not remembered longer than a document would be. */
	if (s->fetch_guard.fail_ttl_s > s->did_cache.default_ttl_s)
		s->fetch_guard.fail_ttl_s = s->did_cache.default_ttl_s;
	if (cfg->tls_cert) {
		if (MHD_is_feature_supported(MHD_FEATURE_TLS) != MHD_YES) {
			rc = ok_fail(err, OK_EUNSUPPORTED,
			             "this libmicrohttpd was built without TLS");
			goto fail;
		}
		s->tls_cert = read_pem(cfg->tls_cert, err);
		s->tls_key = s->tls_cert ? read_pem(cfg->tls_key, err) : NULL;
		if (!s->tls_key) {
			rc = err ? err->code : OK_EIO;
			goto fail;
		}
		if ((rc = tls_pair_check(s->tls_cert, s->tls_key, cfg, err)))
			goto fail;
		flags |= MHD_USE_TLS;
	}
	if ((rc = conn_guard_start(&s->guard, s->limits.head_timeout_s, s->limits.body_budget,
	                           err)))
		goto fail;
	if ((rc = listen_on(cfg->listen ? cfg->listen : "127.0.0.1:8080", cfg->reuse_port, &fd,
	                    err)))
		goto fail;
	s->daemon = MHD_start_daemon(
	        flags, 0, NULL, NULL, on_request, s, MHD_OPTION_LISTEN_SOCKET, (MHD_socket)fd,
	        MHD_OPTION_THREAD_POOL_SIZE, threads, MHD_OPTION_NOTIFY_COMPLETED, on_completed, s,
	        MHD_OPTION_NOTIFY_CONNECTION, on_connection, s, MHD_OPTION_URI_LOG_CALLBACK, on_uri,
	        s, MHD_OPTION_UNESCAPE_CALLBACK, unescape_path, s, MHD_OPTION_CONNECTION_TIMEOUT,
	        s->cfg.timeout_seconds, MHD_OPTION_CONNECTION_MEMORY_LIMIT, CONNECTION_MEMORY,
	        MHD_OPTION_CONNECTION_LIMIT, s->limits.max_connections,
	        MHD_OPTION_PER_IP_CONNECTION_LIMIT, s->limits.max_per_address,
	        s->tls_cert ? MHD_OPTION_HTTPS_MEM_CERT : MHD_OPTION_END, s->tls_cert,
	        MHD_OPTION_HTTPS_MEM_KEY, s->tls_key, MHD_OPTION_END);
	if (!s->daemon) {
		close(fd);
		rc = ok_fail(err, OK_EIO, "cannot serve on %s (see the message above)",
		             cfg->listen ? cfg->listen : "127.0.0.1:8080");
		goto fail;
	}
	info = MHD_get_daemon_info(s->daemon, MHD_DAEMON_INFO_BIND_PORT);
	s->port = info ? info->port : 0;
	*out = s;
	return 0;
fail:
	conn_guard_stop(&s->guard);
	retention_daily_stop(&s->retention);
	ratelimit_flusher_stop(&s->flusher);
	audit_group_stop(s->audit_group);
	pool_close(&s->pool);
	limiters_release(s);
	remote_status_cache_release(&s->status_cache);
	remote_did_cache_release(&s->did_cache);
	remote_fetch_guard_release(&s->fetch_guard);
	oidc_rp_release(&s->oidc);
	oid4vp_signin_release(&s->wallet_signin);
	free(s->tls_cert);
	free(s->tls_key);
	free(s);
	return rc;
}

unsigned http_server_port(const struct http_server *s)
{
	return s->port;
}

void http_server_stop(struct http_server *s, unsigned grace_seconds)
{
	double deadline = monotonic_now() + grace_seconds;
	MHD_socket listener;

	if (!s)
		return;
	/* Stop accepting; let requests in flight finish within the grace period. */
	listener = MHD_quiesce_daemon(s->daemon);
	if (listener != MHD_INVALID_SOCKET)
		close(listener);
	while (atomic_load(&s->metrics.in_flight) > 0 && monotonic_now() < deadline)
		usleep(20000);
	/* Past the grace period, long imports stop at their next row, keeping whole batches
	 * only; everything else has finished or will in moments. */
	atomic_store(&s->stopping, true);
	MHD_stop_daemon(s->daemon);
	conn_guard_stop(&s->guard);
	retention_daily_stop(&s->retention);
	ratelimit_flusher_stop(&s->flusher);
	audit_group_stop(s->audit_group);
	pool_close(&s->pool);
	limiters_release(s);
	remote_status_cache_release(&s->status_cache);
	remote_did_cache_release(&s->did_cache);
	remote_fetch_guard_release(&s->fetch_guard);
	oidc_rp_release(&s->oidc);
	oid4vp_signin_release(&s->wallet_signin);
	free(s->tls_cert);
	free(s->tls_key);
	free(s);
}
