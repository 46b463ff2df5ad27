/* Operations endpoints: liveness and the API description. (Metrics live in server.c, beside the
 * counters.) */
#include "http/internal.h"

#include "ok_openapi.h"

void route_healthz(struct http_request *req, struct http_response *res)
{
	unsigned char head[AUDIT_HASH_BYTES];
	struct store_achievement none;
	struct ok_error err;
	int64_t seq;
	int rc;

	/* Look-ups in two indexes (the audit log's head, and an achievement id that no record
	 * has: the table every registrar, learner and credential route reads), not a count that
	 * reads a whole table: what a liveness probe costs must not grow with the depository. */
	ok_error_clear(&err);
	rc = store_audit_head(req->dep->store, &seq, head, &err);
	if (rc == 0) {
		rc = store_achievement_get(req->dep->store, "", &none, &err);
		rc = rc == OK_ENOTFOUND ? 0 : rc ? rc : 0;
	}
	if (rc != 0) {
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
