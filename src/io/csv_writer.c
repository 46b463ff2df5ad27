/* CSV cells neutralised against formula injection, and the reverse for the importer. */
#include "io/csv_writer.h"

#include <string.h>

bool csv_cell_is_risky(const char *s, size_t n)
{
	return n > 0 && (s[0] == '=' || s[0] == '+' || s[0] == '-' || s[0] == '@' || s[0] == '\t' ||
	                 s[0] == '\r');
}

/* Whether s is quotes, then spaces, then a risky character: protected, or to be protected, by
 * one more quote, so that unprotecting takes exactly one off whatever the value was. The spaces
 * because the importer trims them (and some spreadsheets do too): " =A1" is "=A1" once read. */
static bool quotes_then_risky(const char *s, size_t n)
{
	size_t i = 0;

	while (i < n && s[i] == '\'')
		i++;
	while (i < n && s[i] == ' ')
		i++;
	return csv_cell_is_risky(s + i, n - i);
}

int csv_cell_append(struct buf *out, const char *s, size_t n, char sep)
{
	bool quote =
	        memchr(s, sep, n) || memchr(s, '"', n) || memchr(s, '\n', n) || memchr(s, '\r', n);
	size_t i, from;
	int rc = 0;

	if (quote)
		rc = buf_addch(out, '"');
	if (!rc && quotes_then_risky(s, n))
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
	if (*n >= 2 && (*s)[0] == '\'' && quotes_then_risky(*s + 1, *n - 1)) {
		(*s)++;
		(*n)--;
	}
}
