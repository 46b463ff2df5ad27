/* Request counters and latency histograms, rendered in the Prometheus text format. Lock-free:
 * every counter is atomic, so request threads never wait on each other here. Labels are route
 * templates and status codes only, never values from a request. */
#ifndef OK_HTTP_METRICS_H
#define OK_HTTP_METRICS_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>

#include "core/buf.h"

#define METRICS_ROUTES_MAX 96 /* the last slot counts requests that matched no route */
#define METRICS_STATUSES   20
#define METRICS_BUCKETS    12

struct http_metrics {
	atomic_ulong requests[METRICS_ROUTES_MAX][METRICS_STATUSES];
	atomic_ulong latency[METRICS_ROUTES_MAX][METRICS_BUCKETS + 1];
	atomic_ulong latency_sum_us[METRICS_ROUTES_MAX];
	atomic_ulong issued;
	atomic_ulong verified_valid;
	atomic_ulong verified_invalid;
	atomic_ulong in_flight;
	atomic_ulong keys_blocked; /* keys this server blocked (leak detection) */
};

void metrics_init(struct http_metrics *m);
/* route: index into the route table, or (size_t)-1 for none. */
void metrics_observe(struct http_metrics *m, size_t route, unsigned status, double seconds);
/* Appends the exposition text; names[i] is route i's template. */
int metrics_render(struct http_metrics *m, const char *const *names, size_t nroutes,
                   struct buf *out);
/* Appends the gauge of keys blocked now (a count from the store, across all servers and the
 * operator's unblocking), or nothing when blocked is negative (the store could not say). */
int metrics_render_blocked_keys(long long blocked, struct buf *out);

#endif
