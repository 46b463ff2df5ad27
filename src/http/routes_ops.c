/* Operations endpoints: liveness and the API description. (Metrics live in server.c, beside the
 * counters.) */
#include "http/internal.h"

#include "ok_openapi.h"

void route_healthz(struct http_request *req, struct http_response *res)
{
	unsigned char head[AUDIT_HASH_BYTES];
	struct ok_error err;
	int64_t seq;

	/* One look-up at the end of an index (the audit log's head), not a count that reads a
	 * whole table: what a liveness probe costs must not grow with the depository. */
	ok_error_clear(&err);
	if (store_audit_head(req->dep->store, &seq, head, &err) != 0) {
		http_problem(res, 503, "unavailable", "Service unavailable",
		             "the store cannot be read");
		return;
	}
	http_text(res, 200, "application/json", "{\"status\":\"ok\"}",
	          sizeof("{\"status\":\"ok\"}") - 1);
}

void route_openapi(struct http_request *req, struct http_response *res)
{
	(void)req;
	http_text(res, 200, "application/yaml", (const char *)ok_openapi_yaml, ok_openapi_yaml_len);
}
