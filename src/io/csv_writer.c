/* CSV cells neutralised against formula injection, and the reverse for the importer. */
#include "io/csv_writer.h"

#include <string.h>

bool csv_cell_is_risky(const char *s, size_t n)
{
	return n > 0 && (s[0] == '=' || s[0] == '+' || s[0] == '-' || s[0] == '@' || s[0] == '\t' ||
	                 s[0] == '\r');
}

int csv_cell_append(struct buf *out, const char *s, size_t n, char sep)
{
	bool quote =
	        memchr(s, sep, n) || memchr(s, '"', n) || memchr(s, '\n', n) || memchr(s, '\r', n);
	size_t i, from;
	int rc = 0;

	if (quote)
		rc = buf_addch(out, '"');
	if (!rc && csv_cell_is_risky(s, n))
		rc = buf_addch(out, '\'');
	if (!quote)
		return rc ? rc : buf_add(out, s, n);
	/* Doubles each quote: copies up to and including it, then adds the second. */
	for (i = from = 0; !rc && i < n; i++) {
		if (s[i] != '"')
			continue;
		rc = buf_add(out, s + from, i + 1 - from);
		if (!rc)
			rc = buf_addch(out, '"');
		from = i + 1;
	}
	if (!rc)
		rc = buf_add(out, s + from, n - from);
	if (!rc)
		rc = buf_addch(out, '"');
	return rc;
}

void csv_cell_unprotect(const char **s, size_t *n)
{
	if (*n >= 2 && (*s)[0] == '\'' && csv_cell_is_risky(*s + 1, *n - 1)) {
		(*s)++;
		(*n)--;
	}
}
