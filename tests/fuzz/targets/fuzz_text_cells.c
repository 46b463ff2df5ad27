/* libFuzzer target for two small text transforms that outside values pass through: the CSV cell
 * oorkonde writes (formula cells neutralised, quoted where needed) must read back as the value it
 * was, and never begin with a character a spreadsheet runs; a folded name (foreign-credential
 * holder matching) is valid UTF-8 without leading, trailing or doubled spaces, and folding it
 * again changes nothing. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "io/csv_writer.h"
#include "io/fold.h"
#include "io/utf8.h"

#define NAME_CAP 1024

/* The cell's value as a CSV reader sees it: outer double quotes removed, inner ones undoubled.
 * Returns the value's length in out (cap bytes), or (size_t)-1 when the cell is malformed. */
static size_t unquote(const char *cell, size_t n, char *out, size_t cap)
{
	size_t i, k = 0;

	if (n == 0 || cell[0] != '"') {
		if (n > cap)
			return (size_t)-1;
		memcpy(out, cell, n);
		return n;
	}
	if (n < 2 || cell[n - 1] != '"')
		return (size_t)-1;
	for (i = 1; i + 1 < n; i++) {
		if (cell[i] == '"' && (i + 2 >= n || cell[++i] != '"'))
			return (size_t)-1;
		if (k == cap)
			return (size_t)-1;
		out[k++] = cell[i];
	}
	return k;
}

static void check_cell(const char *s, size_t n)
{
	struct buf out;
	char back[4096];
	const char *v = back;
	size_t len;

	buf_init(&out, sizeof(back));
	if (csv_cell_append(&out, s, n, ';') != 0) {
		buf_release(&out);
		return;
	}
	/* What a spreadsheet sees first is never a formula character. */
	if (csv_cell_is_risky(out.data, out.len) ||
	    (out.len > 0 && out.data[0] == '"' && csv_cell_is_risky(out.data + 1, out.len - 1)))
		abort();
	len = unquote(out.data, out.len, back, sizeof(back));
	if (len == (size_t)-1)
		abort();
	csv_cell_unprotect(&v, &len);
	if (len != n || memcmp(v, s, n) != 0)
		abort();
	buf_release(&out);
}

static void check_fold(const char *s, size_t n)
{
	char once[NAME_CAP], twice[NAME_CAP];
	size_t len;

	if (fold_name(s, n, once, sizeof(once)) != 0)
		return;
	len = strlen(once);
	if (!utf8_valid(once, len) || strstr(once, "  ") ||
	    (len > 0 && (once[0] == ' ' || once[len - 1] == ' ')))
		abort();
	if (fold_name(once, len, twice, sizeof(twice)) != 0 || strcmp(once, twice) != 0)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > 1024)
		return 0;
	/* A cell never holds NUL: the reader refuses it before any cell is written back. */
	if (!memchr(data, 0, size))
		check_cell((const char *)data, size);
	check_fold((const char *)data, size);
	return 0;
}
