/* Unit tests for the streaming CSV reader: quoting, lines, header mapping, row errors, hostile
 * input, a million rows in constant memory. Each input is read with chunks of many sizes, down
 * to one byte, and must give the same result every time. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <malloc.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/error.h"
#include "io/csv_reader.h"

static const char *const cols3[] = {"id", "name", "credits"};
static const bool req3[] = {true, true, false};

/* A memory source that hands out at most chunk bytes a call. */
struct chunked {
	const char *data;
	size_t len, pos, chunk;
};

static long read_chunked(void *ctx, void *dst, size_t cap)
{
	struct chunked *c = ctx;
	size_t n = c->len - c->pos;

	if (n > cap)
		n = cap;
	if (n > c->chunk)
		n = c->chunk;
	memcpy(dst, c->data + c->pos, n);
	c->pos += n;
	return (long)n;
}

static void add_escaped(struct buf *b, const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (s[i] == '\n')
			assert_int_equal(buf_addstr(b, "\\n"), 0);
		else if (s[i] == '\r')
			assert_int_equal(buf_addstr(b, "\\r"), 0);
		else
			assert_int_equal(buf_addch(b, s[i]), 0);
	}
}

/*
 * Reads all of data and describes what the reader saw, one line per event:
 * "LINE:f1|f2|…" for a row, "E LINE field: message" for a row error,
 * "F CODE LINE: message" for a fatal error, "O CODE LINE field: message" for a failed open.
 */
static char *transcript_chunked(const char *data, size_t len, size_t chunk, const char *const *cols,
                                const bool *req, size_t ncols)
{
	struct chunked src = {data, len, 0, chunk};
	struct csv_reader *r;
	struct csv_row row;
	struct ok_error err;
	struct buf b;
	size_t i;
	int rc;

	buf_init(&b, 0);
	ok_error_clear(&err);
	rc = csv_reader_open(&r, "in.csv", read_chunked, &src, cols, req, ncols, &err);
	if (rc) {
		assert_null(r);
		assert_string_equal(err.file, "in.csv");
		buf_addf(&b, "O %s %zu %s: %s\n", ok_code_name(rc), err.line, err.field,
		         err.message);
		return buf_detach(&b, NULL);
	}
	for (;;) {
		ok_error_clear(&err);
		rc = csv_reader_next(r, &row, &err);
		if (rc == 0)
			break;
		if (rc == OK_EINPUT) {
			assert_string_equal(err.file, "in.csv");
			buf_addf(&b, "E %zu %s: %s\n", err.line, err.field, err.message);
			continue;
		}
		if (rc < 0) {
			buf_addf(&b, "F %s %zu: %s\n", ok_code_name(rc), err.line, err.message);
			break;
		}
		assert_int_equal(rc, 1);
		assert_int_equal(row.count, ncols);
		buf_addf(&b, "%zu:", row.line);
		for (i = 0; i < row.count; i++) {
			assert_non_null(row.fields[i].data);
			assert_int_equal(row.fields[i].data[row.fields[i].len], '\0');
			if (i)
				buf_addch(&b, '|');
			add_escaped(&b, row.fields[i].data, row.fields[i].len);
		}
		buf_addch(&b, '\n');
	}
	if (rc == 0)
		assert_int_equal(csv_reader_bytes_read(r), len);
	csv_reader_free(r);
	return buf_detach(&b, NULL);
}

/* The transcript, checked to be the same for every chunk size from one byte up. */
static char *transcript_n(const char *data, size_t len, const char *const *cols, const bool *req,
                          size_t ncols)
{
	static const size_t chunks[] = {1, 2, 3, 4, 5, 7, 64, 4093, SIZE_MAX};
	char *first = transcript_chunked(data, len, SIZE_MAX, cols, req, ncols);
	size_t i;

	for (i = 0; i < sizeof(chunks) / sizeof(chunks[0]); i++) {
		char *t = transcript_chunked(data, len, chunks[i], cols, req, ncols);

		if (strcmp(t, first) != 0)
			fail_msg("chunk %zu gave:\n%s\nfull read gave:\n%s", chunks[i], t, first);
		free(t);
	}
	return first;
}

static char *transcript(const char *data)
{
	return transcript_n(data, strlen(data), cols3, req3, 3);
}

#define assert_transcript(data, want)          \
	do {                                   \
		char *t_ = transcript(data);   \
		assert_string_equal(t_, want); \
		free(t_);                      \
	} while (0)

/* Quoting and lines */

static void reads_plain_rows(void **state)
{
	(void)state;
	assert_transcript("id,name,credits\n1,Ann,5\n2,Bob,7.5\n", "2:1|Ann|5\n3:2|Bob|7.5\n");
}

static void reads_quotes_and_doubled_quotes(void **state)
{
	(void)state;
	assert_transcript("id,name,credits\n"
	                  "\"1\",\"Smith, J.\",\"5\"\n"
	                  "2,\"He said \"\"hi\"\"\",\"\"\n"
	                  "3,\"\"\"\",6\n",
	                  "2:1|Smith, J.|5\n3:2|He said \"hi\"|\n4:3|\"|6\n");
}

static void embedded_newlines_keep_later_line_numbers(void **state)
{
	(void)state;
	assert_transcript("id,name,credits\n"
	                  "1,\"two\nlines\",5\n"
	                  "2,\"three\r\nlines\r\nhere\",6\n"
	                  "3,\"\n\n\",7\n"
	                  "4,Dee,8\n",
	                  "2:1|two\\nlines|5\n4:2|three\\r\\nlines\\r\\nhere|6\n7:3|\\n\\n|7\n"
	                  "10:4|Dee|8\n");
}

static void reads_crlf_and_lone_cr(void **state)
{
	(void)state;
	assert_transcript("id,name,credits\r\n1,Ann,5\r\n2,Bob,6\r\n", "2:1|Ann|5\n3:2|Bob|6\n");
	assert_transcript("id,name,credits\r1,Ann,5\r2,Bob,6\r", "2:1|Ann|5\n3:2|Bob|6\n");
	assert_transcript("id,name,credits\r\n\r\n1,Ann,5\r\r\n2,Bob,6", "3:1|Ann|5\n5:2|Bob|6\n");
}

static void strips_bom_only_at_the_start(void **state)
{
	(void)state;
	assert_transcript("\xEF\xBB\xBFid,name,credits\r\n1,Ann,5\r\n", "2:1|Ann|5\n");
	/* elsewhere a BOM is data, kept as is */
	assert_transcript("id,name,credits\n1,\xEF\xBB\xBF"
	                  "Ann,5\n",
	                  "2:1|\xEF\xBB\xBF"
	                  "Ann|5\n");
	/* a BOM and nothing else is an empty file with no header */
	assert_transcript("\xEF\xBB\xBF",
	                  "O OK_EINPUT 0 : no header row: the file holds only blank lines\n");
}

static void keeps_non_ascii_names(void **state)
{
	(void)state;
	assert_transcript("id,name,credits\n1,Łukasz Müller-Dağ,5\n2,\"Ñandú, Ōta\",6\n",
	                  "2:1|Łukasz Müller-Dağ|5\n3:2|Ñandú, Ōta|6\n");
}

static void keeps_empty_fields_and_spaces(void **state)
{
	(void)state;
	assert_transcript("id,name,credits\n1,,\n2,\"\",\"\"\n3, Ann ,  \n",
	                  "2:1||\n3:2||\n4:3| Ann |  \n");
}

static void skips_blank_lines_and_empty_records(void **state)
{
	(void)state;
	assert_transcript("\n\nid,name,credits\n\n1,Ann,5\n,,\n\r\n,\n2,Bob,6\n\n",
	                  "5:1|Ann|5\n9:2|Bob|6\n");
}

static void reads_a_last_line_without_newline(void **state)
{
	(void)state;
	assert_transcript("id,name,credits\n1,Ann,5", "2:1|Ann|5\n");
	assert_transcript("id,name,credits\n1,Ann,\"5\"", "2:1|Ann|5\n");
	assert_transcript("id,name,credits\n1,Ann,", "2:1|Ann|\n");
}

static void reads_a_file_of_only_a_header(void **state)
{
	(void)state;
	assert_transcript("id,name,credits\n", "");
	assert_transcript("id,name,credits", "");
	assert_transcript("\xEF\xBB\xBFid,name,credits\r\n\r\n", "");
}

/* Header */

static void maps_columns_in_any_order(void **state)
{
	(void)state;
	assert_transcript("credits,id,name\n5,1,Ann\n", "2:1|Ann|5\n");
	/* names match ignoring ASCII case and surrounding blanks */
	assert_transcript(" Name ,ID,\"Credits\"\n Ann,1,5\n", "2:1| Ann|5\n");
}

static void optional_column_may_be_missing(void **state)
{
	(void)state;
	assert_transcript("name,id\nAnn,1\n", "2:1|Ann|\n");
}

static void refuses_bad_headers(void **state)
{
	(void)state;
	assert_transcript("id,credits\n1,5\n", "O OK_EINPUT 1 name: missing column 'name'\n");
	assert_transcript("id,name,credits,foo\n1,Ann,5,x\n",
	                  "O OK_EINPUT 1 foo: unknown column 'foo'\n");
	assert_transcript("id,name,ID\n",
	                  "O OK_EINPUT 1 id: column 'id' appears twice in the header\n");
	assert_transcript("id,name,,credits\n",
	                  "O OK_EINPUT 1 : column 3 of the header has no name\n");
	assert_transcript("\n\nid,\"na\"me\n", "O OK_EINPUT 3 : malformed header: a quote must "
	                                       "open a column name and be doubled inside it\n");
	/* far more columns than wanted: found as unknown, not stored */
	assert_transcript("id,name,credits,id,id,id,id,id,id\n",
	                  "O OK_EINPUT 1 id: column 'id' appears twice in the header\n");
}

static void names_the_missing_column_of_the_real_format(void **state)
{
	static const char *const cols[] = {"record_id", "national_id", "credits", "grade"};
	static const bool req[] = {true, true, true, false};
	static const char data[] = "record_id,national_id,grade\nr1,123,8\n";
	char *t;

	(void)state;
	t = transcript_n(data, strlen(data), cols, req, 4);
	assert_string_equal(t, "O OK_EINPUT 1 credits: missing column 'credits'\n");
	free(t);
}

static void refuses_an_empty_file(void **state)
{
	(void)state;
	assert_transcript("", "O OK_EINPUT 0 : empty file: a header row is required\n");
	assert_transcript("\n\r\n\n",
	                  "O OK_EINPUT 0 : no header row: the file holds only blank lines\n");
}

/* Binary input */

static void refuses_binary_files(void **state)
{
	static const unsigned char png[] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n',
	                                    0,    0,   0,   13,  'I',  'H',  'D',  'R'};
	static const char utf16[] = "\xFF\xFEi\0d\0,\0";
	unsigned char noise[4096];
	uint32_t x = 12345;
	size_t i;
	char *t;

	(void)state;
	t = transcript_n((const char *)png, sizeof(png), cols3, req3, 3);
	assert_non_null(strstr(t, "O OK_EUNSUPPORTED 1 : binary content"));
	free(t);

	t = transcript_n(utf16, sizeof(utf16) - 1, cols3, req3, 3);
	assert_string_equal(t, "O OK_EUNSUPPORTED 1 : binary content: the file is UTF-16 text; "
	                       "save it as UTF-8\n");
	free(t);

	for (i = 0; i < sizeof(noise); i++) {
		x = x * 1103515245u + 12345u;
		noise[i] = (unsigned char)(x >> 16);
	}
	noise[10] = 0;
	t = transcript_n((const char *)noise, sizeof(noise), cols3, req3, 3);
	assert_non_null(strstr(t, "O OK_EUNSUPPORTED"));
	free(t);

	/* Latin-1 header: not UTF-8 */
	assert_transcript("id,n\xE4me\n", "O OK_EUNSUPPORTED 1 : binary content: the header is not "
	                                  "UTF-8 text\n");
}

static void a_nul_later_is_fatal(void **state)
{
	static const char data[] = "id,name,credits\n1,Ann,5\n2,B\0b,6\n3,Cy,7\n";
	char *t;

	(void)state;
	t = transcript_n(data, sizeof(data) - 1, cols3, req3, 3);
	assert_string_equal(t, "2:1|Ann|5\nF OK_EUNSUPPORTED 3: binary content: the file holds a "
	                       "NUL byte; a CSV file is text\n");
	free(t);
}

/* Row errors */

static void wrong_field_count_is_a_row_error(void **state)
{
	(void)state;
	assert_transcript("id,name,credits\n1,Ann\n2,Bob,6,extra\n3,\"Cy\nD\",7,8\n4,Dee,9\n",
	                  "E 2 credits: 2 fields, expected 3\n"
	                  "E 3 : 4 fields, expected 3\n"
	                  "E 4 : 4 fields, expected 3\n"
	                  "6:4|Dee|9\n");
	/* a huge number of fields is counted, not stored */
	{
		struct buf b;
		size_t i;
		char *t;

		buf_init(&b, 0);
		buf_addstr(&b, "id,name,credits\nx");
		for (i = 0; i < 100000; i++)
			buf_addch(&b, ',');
		buf_addstr(&b, "\n1,Ann,5\n");
		t = transcript_n(b.data, b.len, cols3, req3, 3);
		assert_string_equal(t, "E 2 : 100001 fields, expected 3\n3:1|Ann|5\n");
		free(t);
		buf_release(&b);
	}
}

static void invalid_utf8_in_a_field_is_a_row_error(void **state)
{
	(void)state;
	assert_transcript("id,name,credits\n1,M\xFCller,5\n2,\"\xED\xA0\x80\",6\n3,Ann,7\n",
	                  "E 2 name: field is not valid UTF-8 (save the file as UTF-8)\n"
	                  "E 3 name: field is not valid UTF-8 (save the file as UTF-8)\n"
	                  "4:3|Ann|7\n");
}

static void malformed_quoting_is_a_row_error(void **state)
{
	(void)state;
	assert_transcript("id,name,credits\n1,O\"Brien,5\n2,\"Ann\"x,6\n3,Bob,7\n",
	                  "E 2 name: malformed quoting: a quote must open a field and be doubled "
	                  "inside it\n"
	                  "E 3 name: malformed quoting: a quote must open a field and be doubled "
	                  "inside it\n"
	                  "4:3|Bob|7\n");
	/* the error on the last line, without a newline */
	assert_transcript("id,name,credits\n1,Ann,5\n2,x\"y",
	                  "2:1|Ann|5\nE 3 name: malformed quoting: a quote must open a field and "
	                  "be doubled inside it\n");
}

static void a_quote_open_at_the_end_is_fatal(void **state)
{
	(void)state;
	assert_transcript(
	        "id,name,credits\n1,Ann,5\n2,\"Bob,6\n3,Cy,7\n",
	        "2:1|Ann|5\nF OK_EUNSUPPORTED 3: a quoted field is never closed: the file "
	        "ends inside it\n");
	assert_transcript("id,\"name", "O OK_EUNSUPPORTED 1 : a quoted field is never closed: the "
	                               "file ends inside it\n");
}

static char *field_of(size_t n, char c)
{
	char *s = malloc(n + 1);

	assert_non_null(s);
	memset(s, c, n);
	s[n] = '\0';
	return s;
}

static void fields_over_the_cap_are_row_errors(void **state)
{
	size_t sizes[] = {CSV_FIELD_MAX - 1, CSV_FIELD_MAX,     CSV_FIELD_MAX + 1,
	                  CSV_FIELD_MAX + 2, CSV_FIELD_MAX + 3, 3 * CSV_FIELD_MAX,
	                  1u << 20};
	size_t i;
	int quoted;

	(void)state;
	for (quoted = 0; quoted < 2; quoted++) {
		for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
			char *f = field_of(sizes[i], quoted ? '"' : 'x');
			struct buf in, want;
			char *t;

			buf_init(&in, 0);
			buf_init(&want, 0);
			/* quoted: a field of doubled quotes, so the raw text is twice as long */
			buf_addf(&in, "id,name,credits\n1,%s%s%s%s,5\n2,Bob,6\n",
			         quoted ? "\"" : "", f, quoted ? f : "", quoted ? "\"" : "");
			if (sizes[i] <= CSV_FIELD_MAX)
				buf_addf(&want, "2:1|%s|5\n", f);
			else
				buf_addf(&want, "E 2 name: field is longer than %zu bytes\n",
				         CSV_FIELD_MAX);
			buf_addstr(&want, "3:2|Bob|6\n");
			t = transcript_chunked(in.data, in.len, SIZE_MAX, cols3, req3, 3);
			assert_string_equal(t, want.data);
			free(t);
			t = transcript_chunked(in.data, in.len, 4093, cols3, req3, 3);
			assert_string_equal(t, want.data);
			free(t);
			if (sizes[i] < 3 * CSV_FIELD_MAX) {
				t = transcript_n(in.data, in.len, cols3, req3, 3);
				assert_string_equal(t, want.data);
				free(t);
			}
			buf_release(&in);
			buf_release(&want);
			free(f);
		}
	}
}

/* Sources */

static long read_failing(void *ctx, void *dst, size_t cap)
{
	size_t *calls = ctx;
	static const char head[] = "id,name,credits\n1,Ann,5\n2,Bo";

	(void)cap;
	if ((*calls)++)
		return OK_EIO;
	memcpy(dst, head, sizeof(head) - 1);
	return (long)(sizeof(head) - 1);
}

static void read_errors_are_fatal(void **state)
{
	struct csv_reader *r;
	struct csv_row row;
	struct ok_error err;
	size_t calls = 0;

	(void)state;
	assert_int_equal(csv_reader_open(&r, "x.csv", read_failing, &calls, cols3, req3, 3, &err),
	                 0);
	assert_int_equal(csv_reader_next(r, &row, &err), 1);
	assert_int_equal(csv_reader_next(r, &row, &err), OK_EIO);
	assert_string_equal(err.file, "x.csv");
	assert_int_equal(err.line, 3);
	assert_int_equal(csv_reader_next(r, &row, &err), OK_EIO);
	csv_reader_free(r);
}

static void reads_a_file_and_memory(void **state)
{
	static const char data[] = "\xEF\xBB\xBFid,name,credits\r\n1,\"Ann\",5\r\n";
	struct csv_memory_source m = {data, sizeof(data) - 1, 0};
	struct csv_reader *r;
	struct csv_row row;
	struct ok_error err;
	FILE *f;

	(void)state;
	f = tmpfile();
	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, sizeof(data) - 1, f), sizeof(data) - 1);
	rewind(f);
	assert_int_equal(csv_reader_open(&r, NULL, csv_read_file, f, cols3, NULL, 3, &err), 0);
	assert_int_equal(csv_reader_next(r, &row, &err), 1);
	assert_string_equal(row.fields[1].data, "Ann");
	assert_int_equal(row.line, 2);
	assert_int_equal(csv_reader_next(r, &row, &err), 0);
	assert_int_equal(csv_reader_bytes_read(r), sizeof(data) - 1);
	csv_reader_free(r);
	fclose(f);

	assert_int_equal(csv_reader_open(&r, "m", csv_read_memory, &m, cols3, NULL, 3, &err), 0);
	assert_int_equal(csv_reader_next(r, &row, &err), 1);
	assert_string_equal(row.fields[0].data, "1");
	assert_int_equal(csv_reader_next(r, &row, &err), 0);
	assert_int_equal(m.pos, m.len);
	csv_reader_free(r);
	csv_reader_free(NULL);
}

/* A million rows, generated on the fly, in odd-sized pieces. */
struct generator {
	size_t rows, next;
	char pending[128];
	size_t plen, ppos;
	size_t total;
};

static long read_generated(void *ctx, void *dst, size_t cap)
{
	struct generator *g = ctx;
	char *out = dst;
	size_t n = 0;

	if (cap > 4093)
		cap = 4093;
	while (n < cap) {
		size_t k;

		if (g->ppos == g->plen) {
			int len;

			if (g->next > g->rows)
				break;
			if (g->next == 0)
				len = snprintf(g->pending, sizeof(g->pending),
				               "\xEF\xBB\xBFid,name,credits\r\n");
			else
				len = snprintf(g->pending, sizeof(g->pending),
				               "%zu,\"Müller, %zu\",%zu.5\r\n", g->next, g->next,
				               g->next % 60);
			assert_true(len > 0 && (size_t)len < sizeof(g->pending));
			g->plen = (size_t)len;
			g->ppos = 0;
			g->next++;
		}
		k = g->plen - g->ppos;
		if (k > cap - n)
			k = cap - n;
		memcpy(out + n, g->pending + g->ppos, k);
		g->ppos += k;
		n += k;
	}
	g->total += n;
	return (long)n;
}

static void reads_a_million_rows_in_constant_memory(void **state)
{
	struct generator g = {1000000, 0, {0}, 0, 0, 0};
	struct csv_reader *r;
	struct csv_row row;
	struct ok_error err;
	size_t count = 0, heap_early = 0, heap_late;
	char want[64];
	int rc;

	(void)state;
	assert_int_equal(csv_reader_open(&r, "gen", read_generated, &g, cols3, req3, 3, &err), 0);
	while ((rc = csv_reader_next(r, &row, &err)) == 1) {
		count++;
		if (row.line != count + 1)
			fail_msg("row %zu on line %zu", count, row.line);
		if (count == 1000)
			heap_early = mallinfo2().uordblks;
		if (count % 99991 == 0) {
			snprintf(want, sizeof(want), "Müller, %zu", count);
			assert_string_equal(row.fields[1].data, want);
		}
	}
	heap_late = mallinfo2().uordblks;
	assert_int_equal(rc, 0);
	assert_int_equal(count, 1000000);
	assert_int_equal(csv_reader_bytes_read(r), g.total);
	/* nothing kept per row: the heap is where it was after a thousand rows */
	assert_true(heap_late <= heap_early + 4096);
	csv_reader_free(r);
}

/* Separators */

static void semicolon_and_tab_files_are_read(void **state)
{
	(void)state;
	/* As a Dutch spreadsheet writes it: BOM, ';', CRLF, a ',' inside a value. */
	assert_transcript("\xEF\xBB\xBFid;name;credits\r\n1;\"Ann; B\";7,5\r\n2;Bob, Jr;5\r\n",
	                  "2:1|Ann; B|7,5\n3:2|Bob, Jr|5\n");
	assert_transcript("id\tname\tcredits\n1\tAnn Smith\t5\n", "2:1|Ann Smith|5\n");
	/* A quoted column name may hold another candidate: only what is outside quotes counts. */
	assert_transcript("\"id\";\"name, given\";credits\n", "O OK_EINPUT 1 name, given: "
	                                                      "unknown column 'name, given'\n");
	/* Blank lines before the header do not hide its separator. */
	assert_transcript("\r\n\nid;name\n1;Ann\n", "4:1|Ann|\n");
}

static void the_separator_is_reported_with_each_row(void **state)
{
	static const char data[] = "id;name\n1;Ann\n";
	struct csv_memory_source src = {data, sizeof(data) - 1, 0};
	struct csv_reader *r;
	struct csv_row row;
	struct ok_error err;

	(void)state;
	assert_int_equal(csv_reader_open(&r, "in.csv", csv_read_memory, &src, cols3, req3, 3, &err),
	                 0);
	assert_int_equal(csv_reader_separator(r), ';');
	assert_int_equal(csv_reader_next(r, &row, &err), 1);
	assert_int_equal(row.separator, ';');
	csv_reader_free(r);
}

static void mixed_separators_name_what_was_found(void **state)
{
	(void)state;
	assert_transcript("id;name,credits\n1;2,3\n",
	                  "O OK_EINPUT 1 : cannot tell the separator: the header row holds 1 ',', "
	                  "1 ';'; columns must be separated by one of ',', ';' or tab\n");
	assert_transcript("id,name\tcredits;\n",
	                  "O OK_EINPUT 1 : cannot tell the separator: the header row holds 1 ',', "
	                  "1 ';', 1 tab; columns must be separated by one of ',', ';' or tab\n");
	/* No separator at all: one column, and the message says why it is unknown. */
	assert_transcript("id|name|credits\n",
	                  "O OK_EINPUT 1 id|name|credits: unknown column 'id|name|credits', the "
	                  "only one: the header row holds no separator (',', ';' or tab)\n");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(reads_plain_rows),
	        cmocka_unit_test(reads_quotes_and_doubled_quotes),
	        cmocka_unit_test(embedded_newlines_keep_later_line_numbers),
	        cmocka_unit_test(reads_crlf_and_lone_cr),
	        cmocka_unit_test(strips_bom_only_at_the_start),
	        cmocka_unit_test(keeps_non_ascii_names),
	        cmocka_unit_test(keeps_empty_fields_and_spaces),
	        cmocka_unit_test(skips_blank_lines_and_empty_records),
	        cmocka_unit_test(reads_a_last_line_without_newline),
	        cmocka_unit_test(reads_a_file_of_only_a_header),
	        cmocka_unit_test(maps_columns_in_any_order),
	        cmocka_unit_test(optional_column_may_be_missing),
	        cmocka_unit_test(refuses_bad_headers),
	        cmocka_unit_test(names_the_missing_column_of_the_real_format),
	        cmocka_unit_test(refuses_an_empty_file),
	        cmocka_unit_test(refuses_binary_files),
	        cmocka_unit_test(a_nul_later_is_fatal),
	        cmocka_unit_test(wrong_field_count_is_a_row_error),
	        cmocka_unit_test(invalid_utf8_in_a_field_is_a_row_error),
	        cmocka_unit_test(malformed_quoting_is_a_row_error),
	        cmocka_unit_test(a_quote_open_at_the_end_is_fatal),
	        cmocka_unit_test(fields_over_the_cap_are_row_errors),
	        cmocka_unit_test(read_errors_are_fatal),
	        cmocka_unit_test(reads_a_file_and_memory),
	        cmocka_unit_test(reads_a_million_rows_in_constant_memory),
	        cmocka_unit_test(semicolon_and_tab_files_are_read),
	        cmocka_unit_test(the_separator_is_reported_with_each_row),
	        cmocka_unit_test(mixed_separators_name_what_was_found),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
