/* libFuzzer target for HTTP routing (router_match, a pure function): input "METHOD path" (split
 * at the first space; the rest is the path, NUL bytes cut it short as they would in a C string).
 * The path is matched against the server's real route table (http_routes) and against a
 * synthetic table with literal suffixes ("{token}.json"), four parameters and one pattern with
 * more parameters than ROUTER_MAX_PARAMS. The checks:
 *  - FOUND: the entry's method is the method; every parameter is non-empty, at most
 *    ROUTER_PARAM_MAX of [A-Za-z0-9._:-], never "." or ".."; and substituting the parameters
 *    into the pattern gives back exactly the path (no byte skipped, none invented);
 *  - no earlier entry with that method matches the path (the first match wins);
 *  - METHOD_NOT_ALLOWED: some entry matches the path with another method, the Allow list is
 *    NUL-terminated inside its capacity (any capacity, 0 to 64, with canaries after it) and
 *    names only methods of entries whose pattern matches;
 *  - NOT_FOUND: no entry matches with any method.
 * URL percent-decoding and query parsing are libmicrohttpd's (MHD_http_unescape), before the
 * router sees the path; oorkonde has no URL decoder of its own to fuzz. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "http/internal.h"
#include "http/router.h"

static const struct router_entry synthetic[] = {
        {"GET", "/"},
        {"GET", "/share/{token}"},
        {"GET", "/share/{token}.json"},
        {"GET", "/share/{token}/qr.png"},
        {"POST", "/share/{token}"},
        {"GET", "/a/{w}/{x}/{y}/{z}"},
        {"PUT", "/a/{w}/{x}/{y}/{z}"},
        {"GET", "/m/{a}/{b}/{c}/{d}/{e}"}, /* more than ROUTER_MAX_PARAMS: never found */
        {"GET", "/s/{purpose}/{n}.jsonld"},
        {"DELETE", "/v1/x:{id}"},
        {"GET", "/{any}"},
};

#define ALLOW_CAP_MAX 64
#define CANARY        0xA5

static bool param_ok(const char *p)
{
	size_t n = strlen(p), i;

	if (n == 0 || n > ROUTER_PARAM_MAX || strcmp(p, ".") == 0 || strcmp(p, "..") == 0)
		return false;
	for (i = 0; i < n; i++) {
		char c = p[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '-' || c == '_' || c == '.' || c == ':'))
			return false;
	}
	return true;
}

/* The pattern with its parameters put back; 0 if it does not fit. */
static size_t rebuild(const char *pattern, const struct router_match *m, char *out, size_t cap)
{
	size_t used = 0, k = 0;
	const char *p = pattern;

	while (*p) {
		const char *piece;
		size_t len;
		if (*p == '{') {
			const char *close = strchr(p, '}');
			if (!close || k >= m->nparams)
				abort(); /* the router accepted a pattern it could not fill */
			piece = m->params[k++];
			len = strlen(piece);
			p = close + 1;
		} else {
			piece = p;
			len = 1;
			p++;
		}
		if (used + len >= cap)
			return 0;
		memcpy(out + used, piece, len);
		used += len;
	}
	if (k != m->nparams)
		abort(); /* more parameters than the pattern has */
	out[used] = '\0';
	return used + 1;
}

static bool matches_any_method(const struct router_entry *entries, size_t i, const char *path)
{
	struct router_match m;
	size_t index;

	/* The entry alone, asked with its own method: does its pattern match the path? */
	return router_match(&entries[i], 1, entries[i].method, path, &index, &m, NULL, 0) ==
	       ROUTER_FOUND;
}

static void check_table(const struct router_entry *entries, size_t n, const char *method,
                        const char *path, size_t allow_cap)
{
	unsigned char allow_buf[ALLOW_CAP_MAX + 16];
	char *allow = (char *)allow_buf;
	struct router_match m;
	size_t index = (size_t)-1, i;
	enum router_result r;
	bool any = false;

	memset(allow_buf, CANARY, sizeof(allow_buf));
	memset(&m, 0xEE, sizeof(m));
	r = router_match(entries, n, method, path, &index, &m, allow_cap ? allow : NULL, allow_cap);
	for (i = allow_cap; i < sizeof(allow_buf); i++)
		if (allow_buf[i] != CANARY)
			abort(); /* wrote past the Allow capacity */
	for (i = 0; i < n; i++)
		any |= matches_any_method(entries, i, path);

	switch (r) {
	case ROUTER_FOUND: {
		char again[4096];
		if (index >= n || strcmp(entries[index].method, method) != 0)
			abort();
		if (m.nparams > ROUTER_MAX_PARAMS)
			abort();
		for (i = 0; i < m.nparams; i++) {
			if (memchr(m.params[i], '\0', ROUTER_PARAM_MAX + 1) == NULL ||
			    !param_ok(m.params[i]))
				abort();
		}
		if (rebuild(entries[index].pattern, &m, again, sizeof(again)) &&
		    strcmp(again, path) != 0)
			abort();
		for (i = 0; i < index; i++)
			if (strcmp(entries[i].method, method) == 0 &&
			    matches_any_method(entries, i, path))
				abort(); /* an earlier entry should have won */
		break;
	}
	case ROUTER_METHOD_NOT_ALLOWED:
		if (!any)
			abort();
		for (i = 0; i < n; i++)
			if (strcmp(entries[i].method, method) == 0 &&
			    matches_any_method(entries, i, path))
				abort(); /* it was allowed after all */
		if (allow_cap) {
			const char *tok;
			char copy[ALLOW_CAP_MAX + 1];
			if (memchr(allow, '\0', allow_cap) == NULL)
				abort();
			strcpy(copy, allow);
			for (tok = strtok(copy, ", "); tok; tok = strtok(NULL, ", ")) {
				bool named = false;
				for (i = 0; i < n; i++)
					named |= strcmp(entries[i].method, tok) == 0 &&
					         matches_any_method(entries, i, path);
				if (!named)
					abort();
			}
		}
		break;
	case ROUTER_NOT_FOUND:
		if (any)
			abort();
		if (allow_cap && allow[0] != '\0')
			abort();
		break;
	default:
		abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct router_entry *real;
	const uint8_t *space;
	char *method, *path;
	size_t mlen, allow_cap, i;

	if (!real) {
		real = calloc(http_route_count, sizeof(*real));
		if (!real)
			abort();
		for (i = 0; i < http_route_count; i++)
			real[i] = http_routes[i].entry;
	}
	if (size < 1 || size > 4096)
		return 0;
	allow_cap = data[0] % (ALLOW_CAP_MAX + 1);
	data++;
	size--;
	space = memchr(data, ' ', size);
	mlen = space ? (size_t)(space - data) : 0;
	method = malloc(mlen + 1);
	path = malloc(size - mlen + 1);
	if (!method || !path)
		abort();
	memcpy(method, data, mlen);
	method[mlen] = '\0';
	memcpy(path, data + (space ? mlen + 1 : 0), size - (space ? mlen + 1 : 0));
	path[size - (space ? mlen + 1 : 0)] = '\0';

	check_table(real, http_route_count, method, path, allow_cap);
	check_table(synthetic, sizeof(synthetic) / sizeof(synthetic[0]), method, path, allow_cap);
	/* HEAD is answered as GET by the server. */
	if (strcmp(method, "HEAD") == 0)
		check_table(real, http_route_count, "GET", path, allow_cap);
	free(method);
	free(path);
	return 0;
}
