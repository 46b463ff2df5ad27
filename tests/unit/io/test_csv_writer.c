/* Unit tests for the cells of CSV files oorkonde writes: formula cells neutralised, quoting by
 * separator, and the importer's reverse giving back what was written. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "io/csv_reader.h"
#include "io/csv_writer.h"

/* The cell csv_cell_append writes for value, as a new string (free it). */
static char *cell(const char *value, char sep)
{
	struct buf b;

	buf_init(&b, 0);
	assert_int_equal(csv_cell_append(&b, value, strlen(value), sep), 0);
	return buf_detach(&b, NULL);
}

#define assert_cell(value, sep, want)          \
	do {                                   \
		char *c_ = cell(value, sep);   \
		assert_string_equal(c_, want); \
		free(c_);                      \
	} while (0)

static void formula_cells_get_a_quote_in_front(void **state)
{
	(void)state;
	assert_cell("=1+2", ',', "'=1+2");
	assert_cell("+31 20 123", ',', "'+31 20 123");
	assert_cell("-", ',', "'-");
	assert_cell("@SUM(A1)", ',', "'@SUM(A1)");
	assert_cell("\tx", ',', "'\tx");
	assert_cell("\rx", ',', "\"'\rx\"");
	assert_cell("=HYPERLINK(\"u\",\"t\")", ',', "\"'=HYPERLINK(\"\"u\"\",\"\"t\"\")\"");
	/* Spaces first do not hide a formula: the importer trims them, and so may a spreadsheet. */
	assert_cell(" =HYPERLINK(1)", ',', "' =HYPERLINK(1)");
	assert_cell("   @x", ';', "'   @x");
	assert_cell(" 7", ',', " 7");
	assert_cell("' =x", ',', "'' =x");
	/* Only the first character after them counts. */
	assert_cell("7-8", ',', "7-8");
	assert_cell("a=b", ',', "a=b");
	assert_cell("'t Hart", ',', "'t Hart");
	/* A value that already looks protected gets one more quote: reading takes one off. */
	assert_cell("'=x", ',', "''=x");
	assert_cell("", ',', "");
}

static void quoting_follows_the_separator(void **state)
{
	(void)state;
	assert_cell("a,b", ',', "\"a,b\"");
	assert_cell("a,b", ';', "a,b");
	assert_cell("a;b", ';', "\"a;b\"");
	assert_cell("a\tb", '\t', "\"a\tb\"");
	assert_cell("say \"hi\"", ';', "\"say \"\"hi\"\"\"");
	assert_cell("two\nlines", ';', "\"two\nlines\"");
}

/* Written, then read back by the CSV reader and unprotected as the importer does. */
static void what_is_written_reads_back_as_it_was(void **state)
{
	static const char *const values[] = {"=1+2",    "-",   "+x",    "@y", "\tz",
	                                     "'t Hart", "a;b", "\"q\"", "",   "'=already",
	                                     "7,5",     " =x", "' -y"};
	static const char seps[] = {',', ';', '\t'};
	size_t i, k;

	(void)state;
	for (k = 0; k < sizeof(seps); k++) {
		for (i = 0; i < sizeof(values) / sizeof(values[0]); i++) {
			struct csv_memory_source src;
			struct csv_reader *r;
			struct csv_row row;
			struct ok_error err;
			struct buf b;
			const char *v;
			size_t n;

			buf_init(&b, 0);
			/* Two columns, so that the header shows the separator. */
			assert_int_equal(buf_addf(&b, "v%cw\n", seps[k]), 0);
			assert_int_equal(csv_cell_append(&b, values[i], strlen(values[i]), seps[k]),
			                 0);
			assert_int_equal(buf_addf(&b, "%cend\n", seps[k]), 0);
			src = (struct csv_memory_source){b.data, b.len, 0};
			{
				static const char *const cols2[] = {"v", "w"};
				assert_int_equal(csv_reader_open(&r, "x.csv", csv_read_memory, &src,
				                                 cols2, NULL, 2, &err),
				                 0);
			}
			assert_int_equal(csv_reader_next(r, &row, &err), 1);
			v = row.fields[0].data;
			n = row.fields[0].len;
			csv_cell_unprotect(&v, &n);
			if (n != strlen(values[i]) || memcmp(v, values[i], n) != 0)
				fail_msg("separator %d: \"%s\" came back as \"%.*s\"", seps[k],
				         values[i], (int)n, v);
			csv_reader_free(r);
			buf_release(&b);
		}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(formula_cells_get_a_quote_in_front),
	        cmocka_unit_test(quoting_follows_the_separator),
	        cmocka_unit_test(what_is_written_reads_back_as_it_was),
	};
	return cmocka_run_group_tests_name("io/csv_writer", tests, NULL, NULL);
}
