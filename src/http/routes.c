/* The route table: every endpoint the server answers, with its access rules. */
#include "http/internal.h"

const struct http_route http_routes[] = {
        {{"GET", "/healthz"}, "/healthz", ROUTE_PUBLIC, route_healthz},
        {{"GET", "/metrics"}, "/metrics", ROUTE_NO_STORE, route_metrics},
        {{"GET", "/openapi.yaml"}, "/openapi.yaml", ROUTE_PUBLIC | ROUTE_NO_STORE, route_openapi},
        {{"POST", "/v1/results"},
         "/v1/results",
         ROUTE_REGISTRAR | ROUTE_BODY_CSV,
         route_results_post},
        {{"GET", "/v1/achievements"},
         "/v1/achievements",
         ROUTE_REGISTRAR,
         route_achievements_query},
        {{"GET", "/v1/achievements/{id}"},
         "/v1/achievements/{id}",
         ROUTE_REGISTRAR,
         route_achievement_get},
        {{"PATCH", "/v1/achievements/{id}"},
         "/v1/achievements/{id}",
         ROUTE_REGISTRAR,
         route_achievement_patch},
        {{"GET", "/v1/achievements/{id}/credential"},
         "/v1/achievements/{id}/credential",
         ROUTE_REGISTRAR,
         route_achievement_credential},
        {{"POST", "/credentials/issue"}, "/credentials/issue", ROUTE_REGISTRAR, route_vc_issue},
        {{"POST", "/credentials/verify"}, "/credentials/verify", ROUTE_PUBLIC, route_vc_verify},
        {{"GET", "/.well-known/did.json"},
         "/.well-known/did.json",
         ROUTE_PUBLIC,
         route_did_document},
};

const size_t http_route_count = sizeof(http_routes) / sizeof(http_routes[0]);
