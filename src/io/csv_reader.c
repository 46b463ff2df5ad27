/* Streaming CSV reader: feeds libcsv one physical line at a time, one record per call. */
#include "io/csv_reader.h"

#include <csv.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "io/utf8.h"

/*
 * libcsv's field buffer may grow to this size and no further: a field plus its closing quote
 * plus the NUL of CSV_APPEND_NULL, plus one byte so that a field one byte over the cap still
 * reaches our callback whole. Anything longer is cut by capped_realloc(), which keeps memory
 * bounded against a field that never ends.
 */
#define ENTRY_MAX (CSV_FIELD_MAX + 3)

enum bad_kind { BAD_NONE, BAD_QUOTING, BAD_OVERLONG, BAD_UTF8 };

struct csv_reader {
	struct csv_parser parser;
	csv_read_fn read;
	void *ctx;
	char *name;
	char sep; /* found in the header row */

	/* The wanted columns (copies) and, once the header is read, where each file column goes. */
	char **wanted;
	bool *required;
	size_t nwanted;
	size_t ncols; /* columns in the header */
	size_t *map;  /* file column → wanted column */
	struct csv_field *out;

	/* The record being read: fields stored back to back in rec, NUL after each. */
	struct buf rec;
	size_t *foff, *flen;
	size_t store_limit; /* fields stored at most; the rest are only counted */
	size_t nfields;
	bool nonempty;
	bool field_overlong; /* the field being parsed passed ENTRY_MAX */
	bool rec_done;
	enum bad_kind bad;
	size_t bad_col;
	int cb_err;

	/* Position in the input. */
	size_t line;     /* physical line of the next byte */
	bool prev_cr;    /* the last byte consumed was a CR (so an LF now ends no new line) */
	size_t rec_line; /* line where the current record starts */
	bool need_start; /* between records: the next byte that is not CR or LF starts one */
	bool skip_line;  /* after malformed quoting: drop the rest of the physical line */
	bool eof;
	int fatal;
	size_t consumed; /* bytes before in[] */
	size_t in_len, in_pos;
	unsigned char in[CSV_CHUNK];
};

/* Sources of bytes */

long csv_read_file(void *ctx, void *dst, size_t cap)
{
	FILE *f = ctx;
	size_t n;

	if (cap > LONG_MAX)
		cap = LONG_MAX;
	n = fread(dst, 1, cap, f);
	if (n == 0 && ferror(f))
		return OK_EIO;
	return (long)n;
}

long csv_read_memory(void *ctx, void *dst, size_t cap)
{
	struct csv_memory_source *m = ctx;
	size_t n;

	if (m->pos > m->len)
		return OK_EINTERNAL;
	n = m->len - m->pos;
	if (n > cap)
		n = cap;
	if (n > LONG_MAX)
		n = LONG_MAX;
	if (n)
		memcpy(dst, m->data + m->pos, n);
	m->pos += n;
	return (long)n;
}

/* libcsv plumbing */

static void *capped_realloc(void *p, size_t n)
{
	if (n > ENTRY_MAX)
		return NULL;
	return realloc(p, n);
}

/* RFC 4180: spaces are part of a field, so libcsv must trim none. */
static int no_space(unsigned char c)
{
	(void)c;
	return 0;
}

static void mark_bad(struct csv_reader *r, enum bad_kind kind, size_t col)
{
	if (r->bad == BAD_NONE) {
		r->bad = kind;
		r->bad_col = col;
	}
}

static void on_field(void *s, size_t len, void *data)
{
	struct csv_reader *r = data;
	size_t i = r->nfields++;
	bool overlong = r->field_overlong || len > CSV_FIELD_MAX;
	int rc;

	r->field_overlong = false;
	if (len || overlong)
		r->nonempty = true;
	if (i >= r->store_limit || r->cb_err)
		return;
	if (overlong) {
		mark_bad(r, BAD_OVERLONG, i);
		len = 0;
	} else if (!utf8_valid(s, len)) {
		mark_bad(r, BAD_UTF8, i);
	}
	r->foff[i] = r->rec.len;
	r->flen[i] = len;
	rc = buf_add(&r->rec, s, len);
	if (rc == 0)
		rc = buf_addch(&r->rec, '\0');
	if (rc)
		r->cb_err = rc;
}

static void on_row(int c, void *data)
{
	struct csv_reader *r = data;

	(void)c;
	r->rec_done = true;
}

/* Puts libcsv back between records after a parse error, dropping what it holds. */
static void reset_parser(struct csv_reader *r)
{
	int opts = csv_get_opts(&r->parser);

	csv_set_opts(&r->parser, (unsigned char)(opts & ~CSV_STRICT_FINI));
	(void)csv_fini(&r->parser, NULL, NULL, NULL);
	csv_set_opts(&r->parser, (unsigned char)opts);
}

/* Input and line counting */

static void count_line(struct csv_reader *r, unsigned char c)
{
	if (c == '\r') {
		r->line++;
		r->prev_cr = true;
	} else if (c == '\n') {
		if (!r->prev_cr)
			r->line++;
		r->prev_cr = false;
	} else {
		r->prev_cr = false;
	}
}

/* Accounts for consumed bytes in[from..to) of which only the last may be CR, LF. */
static void count_piece(struct csv_reader *r, size_t from, size_t to)
{
	if (to == from)
		return;
	if (to - from > 1)
		r->prev_cr = false;
	count_line(r, r->in[to - 1]);
}

static size_t find_special(const unsigned char *s, size_t i, size_t n)
{
	for (; i < n; i++) {
		unsigned char c = s[i];

		if (c <= '\r' && (c == '\n' || c == '\r' || c == '\0'))
			break;
	}
	return i;
}

static int fail_fatal(struct csv_reader *r, struct ok_error *err, int code)
{
	r->fatal = code;
	ok_error_locate(err, r->name, r->line);
	return code;
}

static int binary_error(struct csv_reader *r, struct ok_error *err)
{
	ok_fail(err, OK_EUNSUPPORTED,
	        "binary content: the file holds a NUL byte; a CSV file is text");
	return fail_fatal(r, err, OK_EUNSUPPORTED);
}

/* Reads more input after in[in_len] (dropping what is consumed); sets eof at the end. */
static int fill(struct csv_reader *r, struct ok_error *err)
{
	long n;
	int code;

	if (r->in_pos == r->in_len) {
		r->consumed += r->in_len;
		r->in_pos = r->in_len = 0;
	}
	n = r->read(r->ctx, r->in + r->in_len, CSV_CHUNK - r->in_len);
	if (n < 0) {
		code = n < INT_MIN ? OK_EIO : (int)n;
		if (strcmp(ok_code_name(code), "OK_EUNKNOWN") == 0)
			code = OK_EIO;
		ok_fail(err, code, "cannot read the file: %s", ok_strerror(code));
		return fail_fatal(r, err, code);
	}
	if ((size_t)n > CSV_CHUNK - r->in_len) {
		ok_fail(err, OK_EINTERNAL, "the read function returned more than asked");
		return fail_fatal(r, err, OK_EINTERNAL);
	}
	if (n == 0)
		r->eof = true;
	r->in_len += (size_t)n;
	return 0;
}

static void begin_record(struct csv_reader *r)
{
	r->need_start = false;
	r->rec_line = r->line;
	buf_reset(&r->rec);
	r->nfields = 0;
	r->nonempty = false;
	r->field_overlong = false;
	r->rec_done = false;
	r->bad = BAD_NONE;
	r->bad_col = 0;
}

static int end_record(struct csv_reader *r)
{
	r->rec_done = true;
	r->need_start = true;
	return 1;
}

/* Feeds libcsv in[in_pos..end), where only in[end - 1] may end a line: 1 if a record ends. */
static int parse_piece(struct csv_reader *r, size_t end, struct ok_error *err)
{
	size_t start = r->in_pos, len = end - start, done = 0;

	while (done < len) {
		done += csv_parse(&r->parser, r->in + start + done, len - done, on_field, on_row,
		                  r);
		if (r->cb_err) {
			ok_fail(err, r->cb_err, "cannot hold a record");
			return fail_fatal(r, err, r->cb_err);
		}
		if (done == len)
			break;
		if (csv_error(&r->parser) == CSV_ENOMEM &&
		    csv_get_buffer_size(&r->parser) >= ENTRY_MAX) {
			/* Over the cap: keep parsing the field to find its end, but drop its bytes.
			 * The last byte stays, as it may be a closing quote libcsv takes back. */
			r->field_overlong = true;
			r->parser.entry_buf[0] = r->parser.entry_buf[r->parser.entry_pos - 1];
			r->parser.entry_pos = 1;
			r->parser.status = CSV_SUCCESS;
			continue;
		}
		if (csv_error(&r->parser) == CSV_EPARSE) {
			mark_bad(r, BAD_QUOTING, r->nfields);
			reset_parser(r);
			r->skip_line = true;
			r->in_pos = start + done;
			if (done)
				r->prev_cr = false;
			return 0;
		}
		ok_fail(err, OK_ENOMEM, "out of memory while reading a record");
		return fail_fatal(r, err, OK_ENOMEM);
	}
	r->in_pos = end;
	count_piece(r, start, end);
	if (r->rec_done) {
		r->need_start = true;
		return 1;
	}
	return 0;
}

/* At the end of input: hands libcsv's last record over, if any. */
static int finish(struct csv_reader *r, struct ok_error *err)
{
	if (r->skip_line) {
		r->skip_line = false;
		return end_record(r);
	}
	if (r->need_start)
		return 0;
	if (csv_fini(&r->parser, on_field, on_row, r) != 0) {
		ok_fail(err, OK_EUNSUPPORTED,
		        "a quoted field is never closed: the file ends inside it");
		r->line = r->rec_line;
		return fail_fatal(r, err, OK_EUNSUPPORTED);
	}
	if (r->cb_err) {
		ok_fail(err, r->cb_err, "cannot hold a record");
		return fail_fatal(r, err, r->cb_err);
	}
	r->need_start = true;
	return r->rec_done ? 1 : 0;
}

/* Reads up to the end of the next record: 1 (record in rec), 0 at the end, or a fatal code. */
static int next_record(struct csv_reader *r, struct ok_error *err)
{
	int rc;

	for (;;) {
		size_t end;

		if (r->in_pos == r->in_len) {
			if (r->eof)
				return finish(r, err);
			rc = fill(r, err);
			if (rc)
				return rc;
			continue;
		}
		if (r->need_start) {
			unsigned char c = r->in[r->in_pos];

			if (c == '\r' || c == '\n') {
				count_line(r, c);
				r->in_pos++;
				continue;
			}
			if (c == '\0')
				return binary_error(r, err);
			begin_record(r);
		}
		end = find_special(r->in, r->in_pos, r->in_len);
		if (end < r->in_len) {
			if (r->in[end] == '\0') {
				count_piece(r, r->in_pos, end);
				return binary_error(r, err);
			}
			end++;
		}
		if (r->skip_line) {
			size_t start = r->in_pos;

			r->in_pos = end;
			count_piece(r, start, end);
			if (r->in[end - 1] == '\r' || r->in[end - 1] == '\n') {
				r->skip_line = false;
				return end_record(r);
			}
			continue;
		}
		rc = parse_piece(r, end, err);
		if (rc)
			return rc;
	}
}

/* Header */

static bool name_equal(const char *a, size_t alen, const char *b)
{
	size_t i;

	if (strlen(b) != alen)
		return false;
	for (i = 0; i < alen; i++) {
		unsigned char x = (unsigned char)a[i], y = (unsigned char)b[i];

		if (x >= 'A' && x <= 'Z')
			x = (unsigned char)(x - 'A' + 'a');
		if (y >= 'A' && y <= 'Z')
			y = (unsigned char)(y - 'A' + 'a');
		if (x != y)
			return false;
	}
	return true;
}

/* Copies a header name for an error message, cut at a character boundary to fit err->field. */
static void short_name(char *dst, const char *s, size_t len)
{
	size_t n = len;

	if (n >= OK_ERROR_FIELD_MAX) {
		n = OK_ERROR_FIELD_MAX - 1;
		while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
			n--;
	}
	memcpy(dst, s, n);
	dst[n] = '\0';
}

static int header_error(struct csv_reader *r, struct ok_error *err, int code)
{
	ok_error_locate(err, r->name, r->rec_line);
	return code;
}

static int read_header(struct csv_reader *r, struct ok_error *err)
{
	size_t i, j, n;
	int rc;

	r->store_limit = r->nwanted + 1;
	do {
		rc = next_record(r, err);
	} while (rc == 1 && !r->nonempty && r->bad == BAD_NONE);
	if (rc < 0)
		return rc;
	if (rc == 0) {
		if (csv_reader_bytes_read(r) == 0)
			ok_fail(err, OK_EINPUT, "empty file: a header row is required");
		else
			ok_fail(err, OK_EINPUT, "no header row: the file holds only blank lines");
		ok_error_locate(err, r->name, 0);
		return OK_EINPUT;
	}
	switch (r->bad) {
	case BAD_QUOTING:
		ok_fail(err, OK_EINPUT,
		        "malformed header: a quote must open a column name and be "
		        "doubled inside it");
		return header_error(r, err, OK_EINPUT);
	case BAD_UTF8:
		ok_fail(err, OK_EUNSUPPORTED, "binary content: the header is not UTF-8 text");
		return header_error(r, err, OK_EUNSUPPORTED);
	case BAD_OVERLONG:
		ok_fail(err, OK_EINPUT, "a column name in the header is longer than %zu bytes",
		        CSV_FIELD_MAX);
		return header_error(r, err, OK_EINPUT);
	case BAD_NONE:
		break;
	}

	/* Holding nwanted + 1 names is enough: more columns than that must repeat or be unknown. */
	n = r->nfields < r->store_limit ? r->nfields : r->store_limit;
	for (i = 0; i < n; i++) {
		const char *s = r->rec.data + r->foff[i];
		size_t len = r->flen[i];
		char shown[OK_ERROR_FIELD_MAX];

		while (len && (*s == ' ' || *s == '\t')) {
			s++;
			len--;
		}
		while (len && (s[len - 1] == ' ' || s[len - 1] == '\t'))
			len--;
		if (len == 0) {
			ok_fail(err, OK_EINPUT, "column %zu of the header has no name", i + 1);
			return header_error(r, err, OK_EINPUT);
		}
		for (j = 0; j < r->nwanted; j++)
			if (name_equal(s, len, r->wanted[j]))
				break;
		short_name(shown, s, len);
		if (j == r->nwanted) {
			if (n == 1)
				ok_fail_field(
				        err, OK_EINPUT, shown,
				        "unknown column '%s', the only one: the header row holds "
				        "no separator (',', ';' or tab)",
				        shown);
			else
				ok_fail_field(err, OK_EINPUT, shown, "unknown column '%s'", shown);
			return header_error(r, err, OK_EINPUT);
		}
		for (size_t k = 0; k < i; k++) {
			if (r->map[k] == j) {
				ok_fail_field(err, OK_EINPUT, r->wanted[j],
				              "column '%s' appears twice in the header",
				              r->wanted[j]);
				return header_error(r, err, OK_EINPUT);
			}
		}
		r->map[i] = j;
	}
	for (j = 0; j < r->nwanted; j++) {
		if (!r->required[j])
			continue;
		for (i = 0; i < n; i++)
			if (r->map[i] == j)
				break;
		if (i == n) {
			ok_fail_field(err, OK_EINPUT, r->wanted[j], "missing column '%s'",
			              r->wanted[j]);
			return header_error(r, err, OK_EINPUT);
		}
	}
	r->ncols = n;
	r->store_limit = n;
	return 0;
}

/*
 * Finds the separator in the header row: reads until the first line ends outside quotes (or
 * the buffer is full), and counts ',', ';' and tab outside quotes. Exactly one kind present is
 * the separator; none means one column (','); more than one kind is an error that says what
 * was found, since guessing would map values to the wrong columns.
 */
static int detect_separator(struct csv_reader *r, struct ok_error *err)
{
	static const char cand[] = {',', ';', '\t'};
	static const char *const shown[] = {"','", "';'", "tab"};
	size_t counts[3] = {0, 0, 0}, off = 0, kinds = 0;
	bool quoted = false, started = false, ended = false;
	char found[160];
	int rc, used = 0, k;

	r->sep = ',';
	while (!ended) {
		unsigned char c;

		if (r->in_pos + off == r->in_len) {
			if (r->eof || r->in_len == CSV_CHUNK)
				break;
			/* fill() keeps in[in_pos..in_len) and adds after it, so off stays valid. */
			if ((rc = fill(r, err)))
				return rc;
			continue;
		}
		c = r->in[r->in_pos + off++];
		if (c == '\0')
			return 0; /* binary: read_header says so */
		if (!started && (c == '\r' || c == '\n'))
			continue; /* blank lines before the header */
		started = true;
		if (c == '"')
			quoted = !quoted;
		else if (!quoted && (c == '\r' || c == '\n'))
			ended = true;
		else if (!quoted)
			for (k = 0; k < 3; k++)
				if (c == (unsigned char)cand[k])
					counts[k]++;
	}
	for (k = 0; k < 3; k++)
		if (counts[k]) {
			kinds++;
			r->sep = cand[k];
		}
	if (kinds <= 1) {
		csv_set_delim(&r->parser, (unsigned char)r->sep);
		return 0;
	}
	/* Not text: read_header says so, which is the better message. */
	if (!utf8_valid((const char *)r->in + r->in_pos, off)) {
		r->sep = ',';
		return 0;
	}
	found[0] = '\0';
	for (k = 0; k < 3; k++) {
		int n;

		if (!counts[k])
			continue;
		n = snprintf(found + used, sizeof(found) - (size_t)used, "%s%zu %s",
		             used ? ", " : "", counts[k], shown[k]);
		if (n < 0 || (size_t)n >= sizeof(found) - (size_t)used)
			break;
		used += n;
	}
	ok_fail(err, OK_EINPUT,
	        "cannot tell the separator: the header row holds %s; columns must be separated "
	        "by one of ',', ';' or tab",
	        found);
	ok_error_locate(err, r->name, r->line);
	return OK_EINPUT;
}

/* Life cycle */

int csv_reader_open(struct csv_reader **out, const char *name, csv_read_fn read, void *ctx,
                    const char *const *columns, const bool *required, size_t ncolumns,
                    struct ok_error *err)
{
	struct csv_reader *r;
	size_t i;
	int rc;

	*out = NULL;
	if (!read || !columns || ncolumns == 0 || ncolumns > CSV_COLUMNS_MAX)
		return ok_fail(err, OK_EINTERNAL, "csv reader: bad arguments");
	r = calloc(1, sizeof(*r));
	if (!r)
		return ok_fail(err, OK_ENOMEM, "out of memory");
	r->read = read;
	r->ctx = ctx;
	r->nwanted = ncolumns;
	r->line = 1;
	r->need_start = true;
	buf_init(&r->rec, (CSV_COLUMNS_MAX + 1) * (CSV_FIELD_MAX + 1));
	csv_init(&r->parser, CSV_STRICT | CSV_APPEND_NULL | CSV_STRICT_FINI);
	csv_set_space_func(&r->parser, no_space);
	csv_set_realloc_func(&r->parser, capped_realloc);
	csv_set_blk_size(&r->parser, 1024);

	r->name = strdup(name ? name : "");
	r->wanted = calloc(ncolumns, sizeof(*r->wanted));
	r->required = calloc(ncolumns, sizeof(*r->required));
	r->map = calloc(ncolumns + 1, sizeof(*r->map));
	r->foff = calloc(ncolumns + 1, sizeof(*r->foff));
	r->flen = calloc(ncolumns + 1, sizeof(*r->flen));
	r->out = calloc(ncolumns, sizeof(*r->out));
	if (!r->name || !r->wanted || !r->required || !r->map || !r->foff || !r->flen || !r->out) {
		rc = ok_fail(err, OK_ENOMEM, "out of memory");
		goto fail;
	}
	for (i = 0; i < ncolumns; i++) {
		if (!columns[i]) {
			rc = ok_fail(err, OK_EINTERNAL, "csv reader: column %zu has no name", i);
			goto fail;
		}
		r->wanted[i] = strdup(columns[i]);
		if (!r->wanted[i]) {
			rc = ok_fail(err, OK_ENOMEM, "out of memory");
			goto fail;
		}
		r->required[i] = required ? required[i] : true;
	}

	/* Fill far enough to see a byte order mark, even from a source that gives one byte. */
	while (r->in_len < 3 && !r->eof) {
		rc = fill(r, err);
		if (rc)
			goto fail;
	}
	if (r->in_len >= 2 &&
	    ((r->in[0] == 0xFF && r->in[1] == 0xFE) || (r->in[0] == 0xFE && r->in[1] == 0xFF))) {
		rc = ok_fail(err, OK_EUNSUPPORTED,
		             "binary content: the file is UTF-16 text; save it as UTF-8");
		ok_error_locate(err, r->name, 1);
		goto fail;
	}
	if (r->in_len >= 3 && r->in[0] == 0xEF && r->in[1] == 0xBB && r->in[2] == 0xBF)
		r->in_pos = 3;

	rc = detect_separator(r, err);
	if (!rc)
		rc = read_header(r, err);
	if (rc)
		goto fail;
	*out = r;
	return 0;
fail:
	csv_reader_free(r);
	return rc;
}

void csv_reader_free(struct csv_reader *r)
{
	size_t i;

	if (!r)
		return;
	csv_free(&r->parser);
	buf_release(&r->rec);
	if (r->wanted)
		for (i = 0; i < r->nwanted; i++)
			free(r->wanted[i]);
	free(r->wanted);
	free(r->required);
	free(r->map);
	free(r->foff);
	free(r->flen);
	free(r->out);
	free(r->name);
	free(r);
}

/* Reading */

/* The wanted name of file column i, or "" past the header's columns. */
static const char *column_name(const struct csv_reader *r, size_t i)
{
	return i < r->ncols ? r->wanted[r->map[i]] : "";
}

static int row_error(struct csv_reader *r, struct ok_error *err)
{
	size_t col = r->bad_col;

	switch (r->bad) {
	case BAD_QUOTING:
		ok_fail_field(
		        err, OK_EINPUT, column_name(r, col),
		        "malformed quoting: a quote must open a field and be doubled inside it");
		break;
	case BAD_OVERLONG:
		ok_fail_field(err, OK_EINPUT, column_name(r, col), "field is longer than %zu bytes",
		              CSV_FIELD_MAX);
		break;
	case BAD_UTF8:
		ok_fail_field(err, OK_EINPUT, column_name(r, col),
		              "field is not valid UTF-8 (save the file as UTF-8)");
		break;
	case BAD_NONE:
		if (r->nfields < r->ncols)
			ok_fail_field(err, OK_EINPUT, column_name(r, r->nfields),
			              "%zu fields, expected %zu", r->nfields, r->ncols);
		else
			ok_fail(err, OK_EINPUT, "%zu fields, expected %zu", r->nfields, r->ncols);
		break;
	}
	ok_error_locate(err, r->name, r->rec_line);
	return OK_EINPUT;
}

int csv_reader_next(struct csv_reader *r, struct csv_row *row, struct ok_error *err)
{
	size_t i;
	int rc;

	if (r->fatal)
		return ok_fail(err, r->fatal, "the reader stopped at an earlier error");
	do {
		rc = next_record(r, err);
	} while (rc == 1 && !r->nonempty && r->bad == BAD_NONE);
	if (rc <= 0)
		return rc;
	if (r->bad != BAD_NONE || r->nfields != r->ncols)
		return row_error(r, err);
	for (i = 0; i < r->nwanted; i++) {
		r->out[i].data = "";
		r->out[i].len = 0;
	}
	for (i = 0; i < r->ncols; i++) {
		r->out[r->map[i]].data = r->rec.data + r->foff[i];
		r->out[r->map[i]].len = r->flen[i];
	}
	row->line = r->rec_line;
	row->separator = r->sep;
	row->count = r->nwanted;
	row->fields = r->out;
	return 1;
}

char csv_reader_separator(const struct csv_reader *r)
{
	return r->sep;
}

size_t csv_reader_bytes_read(const struct csv_reader *r)
{
	return r->consumed + r->in_pos;
}
