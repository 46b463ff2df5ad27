/* Choosing a media type from an Accept header (see negotiate.h). */
#include "http/negotiate.h"

#include <stdbool.h>
#include <string.h>
#include <strings.h>

struct range {
	const char *type; /* points into the header; type_len bytes, "*" for a wildcard */
	size_t type_len;
	const char *sub;
	size_t sub_len;
	int q; /* thousandths, 0..1000 */
};

static bool space(char c)
{
	return c == ' ' || c == '\t';
}

/* q's value: "1", "1.000", "0", "0.5" (at most three decimals); -1 when malformed. */
static int parse_q(const char *s, size_t len)
{
	int q, scale = 1000;
	size_t i;

	if (len == 0 || (s[0] != '0' && s[0] != '1'))
		return -1;
	q = (s[0] - '0') * 1000;
	if (len == 1)
		return q;
	if (s[1] != '.' || len > 5)
		return -1;
	for (i = 2; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		scale /= 10;
		q += (s[i] - '0') * scale;
	}
	return q > 1000 ? -1 : q;
}

/* Parses one media range of len bytes at s into r; false when it is not one. */
static bool parse_range(const char *s, size_t len, struct range *r)
{
	const char *end = s + len, *slash, *p;

	while (s < end && space(*s))
		s++;
	p = memchr(s, ';', (size_t)(end - s));
	slash = memchr(s, '/', (size_t)((p ? p : end) - s));
	if (!slash || slash == s)
		return false;
	r->type = s;
	r->type_len = (size_t)(slash - s);
	r->sub = slash + 1;
	r->sub_len = (size_t)((p ? p : end) - r->sub);
	while (r->sub_len && space(r->sub[r->sub_len - 1]))
		r->sub_len--;
	if (!r->sub_len ||
	    (r->type_len == 1 && r->type[0] == '*' && !(r->sub_len == 1 && r->sub[0] == '*')))
		return false;
	r->q = 1000;
	/* Parameters: only q counts (other parameters do not narrow our offers). */
	while (p && p < end) {
		const char *name = p + 1, *next = memchr(name, ';', (size_t)(end - name));
		const char *stop = next ? next : end, *eq;
		while (name < stop && space(*name))
			name++;
		eq = memchr(name, '=', (size_t)(stop - name));
		if (eq && eq - name == 1 && (name[0] == 'q' || name[0] == 'Q')) {
			const char *v = eq + 1, *ve = stop;
			while (ve > v && space(ve[-1]))
				ve--;
			if ((r->q = parse_q(v, (size_t)(ve - v))) < 0)
				return false;
		}
		p = next;
	}
	return true;
}

static bool part_is(const char *s, size_t len, const char *want, size_t want_len)
{
	return len == want_len && strncasecmp(s, want, len) == 0;
}

/* How specifically r names offer: 3 exactly, 2 by its type (type/ *), 1 by * / *, 0 not. */
static int match(const struct range *r, const char *offer)
{
	const char *slash = strchr(offer, '/');
	size_t tl = (size_t)(slash - offer);

	if (r->type_len == 1 && r->type[0] == '*')
		return 1;
	if (!part_is(r->type, r->type_len, offer, tl))
		return 0;
	if (r->sub_len == 1 && r->sub[0] == '*')
		return 2;
	return part_is(r->sub, r->sub_len, slash + 1, strlen(slash + 1)) ? 3 : 0;
}

size_t http_negotiate(const char *accept, const char *const *offers, size_t n)
{
	struct range ranges[HTTP_ACCEPT_MAX_RANGES];
	size_t count = 0, i, k, best = 0, best_pos = (size_t)-1;
	int best_q = 0, best_spec = 0;
	const char *s = accept;

	if (!accept || n == 0)
		return 0;
	while (*s && count < HTTP_ACCEPT_MAX_RANGES) {
		const char *comma = strchr(s, ',');
		size_t len = comma ? (size_t)(comma - s) : strlen(s);
		if (parse_range(s, len, &ranges[count]))
			count++;
		if (!comma)
			break;
		s = comma + 1;
	}
	for (k = 0; k < n; k++) {
		int spec = 0, q = 0;
		size_t pos = 0;
		/* The most specific range that names the offer gives its q. */
		for (i = 0; i < count; i++) {
			int m = match(&ranges[i], offers[k]);
			if (m > spec) {
				spec = m;
				q = ranges[i].q;
				pos = i;
			}
		}
		if (!spec || q == 0)
			continue;
		/* A bare * / * only ever picks the default: the first offer it reaches. */
		if (q > best_q || (q == best_q && spec > best_spec) ||
		    (q == best_q && spec == best_spec && spec > 1 && pos < best_pos)) {
			best = k;
			best_q = q;
			best_spec = spec;
			best_pos = pos;
		}
	}
	return best_q ? best : 0;
}
