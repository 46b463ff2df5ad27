/* Prometheus metrics (see metrics.h). */
#include "http/metrics.h"

#include "core/error.h"

#include <string.h>

static const unsigned statuses[METRICS_STATUSES] = {200, 201, 204, 304, 400, 401, 403,
                                                    404, 405, 409, 410, 413, 415, 422,
                                                    429, 431, 500, 503, 0,   0};
static const double bounds[METRICS_BUCKETS] = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
                                               0.05,   0.1,   0.25,   0.5,   1,    5};

void metrics_init(struct http_metrics *m)
{
	memset(m, 0, sizeof(*m));
}

static size_t status_slot(unsigned status)
{
	size_t i;

	for (i = 0; i < METRICS_STATUSES && statuses[i]; i++)
		if (statuses[i] == status)
			return i;
	return METRICS_STATUSES - 1; /* "other" */
}

void metrics_observe(struct http_metrics *m, size_t route, unsigned status, double seconds)
{
	size_t r = route < METRICS_ROUTES_MAX - 1 ? route : METRICS_ROUTES_MAX - 1;
	size_t b = 0;

	atomic_fetch_add(&m->requests[r][status_slot(status)], 1);
	while (b < METRICS_BUCKETS && seconds > bounds[b])
		b++;
	atomic_fetch_add(&m->latency[r][b], 1);
	atomic_fetch_add(&m->latency_sum_us[r], (unsigned long)(seconds * 1e6));
}

int metrics_render(struct http_metrics *m, const char *const *names, size_t nroutes,
                   struct buf *out)
{
	size_t r, s, b;
	int rc = 0;

	rc |= buf_addstr(out, "# HELP oorkonde_http_requests_total HTTP requests by route and "
	                      "status.\n# TYPE oorkonde_http_requests_total counter\n");
	for (r = 0; r < METRICS_ROUTES_MAX; r++) {
		const char *name = r < nroutes ? names[r] : "unmatched";
		if (r >= nroutes && r != METRICS_ROUTES_MAX - 1)
			continue;
		for (s = 0; s < METRICS_STATUSES; s++) {
			unsigned long n = atomic_load(&m->requests[r][s]);
			if (!n)
				continue;
			if (statuses[s])
				rc |= buf_addf(
				        out,
				        "oorkonde_http_requests_total{route=\"%s\",status=\"%u\"} "
				        "%lu\n",
				        name, statuses[s], n);
			else
				rc |= buf_addf(out,
				               "oorkonde_http_requests_total{route=\"%s\",status="
				               "\"other\"} "
				               "%lu\n",
				               name, n);
		}
	}
	rc |= buf_addstr(out, "# HELP oorkonde_http_request_duration_seconds Time to answer.\n"
	                      "# TYPE oorkonde_http_request_duration_seconds histogram\n");
	for (r = 0; r < METRICS_ROUTES_MAX; r++) {
		const char *name = r < nroutes ? names[r] : "unmatched";
		unsigned long cumulative = 0;
		if (r >= nroutes && r != METRICS_ROUTES_MAX - 1)
			continue;
		for (b = 0; b <= METRICS_BUCKETS; b++)
			cumulative += atomic_load(&m->latency[r][b]);
		if (!cumulative)
			continue;
		cumulative = 0;
		for (b = 0; b <= METRICS_BUCKETS; b++) {
			cumulative += atomic_load(&m->latency[r][b]);
			if (b < METRICS_BUCKETS)
				rc |= buf_addf(out,
				               "oorkonde_http_request_duration_seconds_bucket{"
				               "route=\"%s\","
				               "le=\"%g\"} %lu\n",
				               name, bounds[b], cumulative);
			else
				rc |= buf_addf(out,
				               "oorkonde_http_request_duration_seconds_bucket{"
				               "route=\"%s\","
				               "le=\"+Inf\"} %lu\n",
				               name, cumulative);
		}
		rc |= buf_addf(out,
		               "oorkonde_http_request_duration_seconds_sum{route=\"%s\"} %.6f\n"
		               "oorkonde_http_request_duration_seconds_count{route=\"%s\"} %lu\n",
		               name, (double)atomic_load(&m->latency_sum_us[r]) / 1e6, name,
		               cumulative);
	}
	rc |= buf_addf(
	        out,
	        "# HELP oorkonde_credentials_issued_total Credentials signed.\n"
	        "# TYPE oorkonde_credentials_issued_total counter\n"
	        "oorkonde_credentials_issued_total %lu\n"
	        "# HELP oorkonde_credentials_verified_total Credentials verified, by result.\n"
	        "# TYPE oorkonde_credentials_verified_total counter\n"
	        "oorkonde_credentials_verified_total{result=\"valid\"} %lu\n"
	        "oorkonde_credentials_verified_total{result=\"invalid\"} %lu\n"
	        "# HELP oorkonde_http_requests_in_flight Requests being answered.\n"
	        "# TYPE oorkonde_http_requests_in_flight gauge\n"
	        "oorkonde_http_requests_in_flight %lu\n"
	        "# HELP oorkonde_keys_blocked_total API keys this server blocked for reading too "
	        "many learners.\n"
	        "# TYPE oorkonde_keys_blocked_total counter\n"
	        "oorkonde_keys_blocked_total %lu\n",
	        atomic_load(&m->issued), atomic_load(&m->verified_valid),
	        atomic_load(&m->verified_invalid), atomic_load(&m->in_flight),
	        atomic_load(&m->keys_blocked));
	return rc ? OK_ETOOBIG : 0;
}

int metrics_render_blocked_keys(long long blocked, struct buf *out)
{
	if (blocked < 0)
		return 0;
	return buf_addf(out,
	                "# HELP oorkonde_keys_blocked API keys blocked now, until an operator "
	                "unblocks them.\n"
	                "# TYPE oorkonde_keys_blocked gauge\n"
	                "oorkonde_keys_blocked %lld\n",
	                blocked)
	               ? OK_ETOOBIG
	               : 0;
}
