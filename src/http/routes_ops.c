/* Operations endpoints: liveness and the API description. (Metrics live in server.c, beside the
 * counters.) */
#include "http/internal.h"

#include "ok_openapi.h"

void route_healthz(struct http_request *req, struct http_response *res)
{
	struct ok_error err;
	int64_t n;

	ok_error_clear(&err);
	if (store_achievement_count(req->dep->store, &n, &err) != 0) {
		http_problem(res, 503, "unavailable", "Service unavailable",
		             "the store cannot be read");
		return;
	}
	http_json(res, 200, json_pack("{s:s}", "status", "ok"));
}

void route_openapi(struct http_request *req, struct http_response *res)
{
	(void)req;
	http_text(res, 200, "application/yaml", (const char *)ok_openapi_yaml, ok_openapi_yaml_len);
}
