/* Route matching for the HTTP server: method + path template → route, with path parameters.
 * Pure string work, no I/O, so that it can be fuzzed on its own. */
#ifndef OK_HTTP_ROUTER_H
#define OK_HTTP_ROUTER_H

#include <stdbool.h>
#include <stddef.h>

#define ROUTER_MAX_PARAMS 4
#define ROUTER_PARAM_MAX  64

struct router_match {
	size_t nparams;
	char params[ROUTER_MAX_PARAMS][ROUTER_PARAM_MAX + 1];
};

enum router_result {
	ROUTER_FOUND,
	ROUTER_NOT_FOUND,
	ROUTER_METHOD_NOT_ALLOWED,
};

struct router_entry {
	const char *method;  /* "GET", "POST", … */
	const char *pattern; /* "/v1/achievements/{id}/credential" */
};

/*
 * Matches path against entries[0..n). On ROUTER_FOUND *index is the entry and m holds the
 * parameters; on ROUTER_METHOD_NOT_ALLOWED, allow (capacity allow_cap, may be NULL) receives
 * the allowed methods as "GET, POST". A parameter matches one non-empty segment of letters,
 * digits, '-', '_', '.' and ':' (at most ROUTER_PARAM_MAX), never ".." or ".".
 */
enum router_result router_match(const struct router_entry *entries, size_t n, const char *method,
                                const char *path, size_t *index, struct router_match *m,
                                char *allow, size_t allow_cap);

#endif
