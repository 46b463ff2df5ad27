/* Route matching (see router.h). */
#include "http/router.h"

#include <string.h>

static bool param_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '-' || c == '_' || c == '.' || c == ':';
}

/* Matches one pattern; fills m on success. */
static bool match_pattern(const char *pattern, const char *path, struct router_match *m)
{
	const char *p = pattern, *s = path;

	m->nparams = 0;
	while (*p && *s) {
		if (*p == '{') {
			const char *close = strchr(p, '}');
			size_t n = 0;
			if (!close || m->nparams == ROUTER_MAX_PARAMS)
				return false;
			while (s[n] && s[n] != '/') {
				if (!param_char(s[n]) || n == ROUTER_PARAM_MAX)
					return false;
				n++;
			}
			if (n == 0)
				return false;
			/* A literal suffix after the parameter inside the segment ("{token}.json").
			 */
			{
				const char *lit = close + 1;
				size_t litlen = strcspn(lit, "/{");
				if (litlen) {
					if (n <= litlen ||
					    strncmp(s + n - litlen, lit, litlen) != 0)
						return false;
					n -= litlen;
				}
				/* Checked on the parameter itself, after any suffix is taken off.
				 */
				if ((n == 1 && s[0] == '.') ||
				    (n == 2 && s[0] == '.' && s[1] == '.'))
					return false;
				memcpy(m->params[m->nparams], s, n);
				m->params[m->nparams][n] = '\0';
				m->nparams++;
				s += n + litlen;
				p = lit + litlen;
			}
			continue;
		}
		if (*p != *s)
			return false;
		p++;
		s++;
	}
	return *p == '\0' && *s == '\0';
}

enum router_result router_match(const struct router_entry *entries, size_t n, const char *method,
                                const char *path, size_t *index, struct router_match *m,
                                char *allow, size_t allow_cap)
{
	struct router_match scratch;
	bool path_known = false;
	size_t i, used = 0;

	if (allow && allow_cap)
		allow[0] = '\0';
	for (i = 0; i < n; i++) {
		if (!match_pattern(entries[i].pattern, path, &scratch))
			continue;
		if (strcmp(entries[i].method, method) == 0) {
			*index = i;
			*m = scratch;
			return ROUTER_FOUND;
		}
		path_known = true;
		if (allow) {
			size_t len = strlen(entries[i].method);
			if (used + len + 3 < allow_cap) {
				if (used) {
					memcpy(allow + used, ", ", 2);
					used += 2;
				}
				memcpy(allow + used, entries[i].method, len);
				used += len;
				allow[used] = '\0';
			}
		}
	}
	return path_known ? ROUTER_METHOD_NOT_ALLOWED : ROUTER_NOT_FOUND;
}
