/* libFuzzer target for the CSV reader: opens the input with the import format's columns and
 * reads every row, once whole and once in small pieces; both reads must agree exactly. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "io/csv_reader.h"
#include "io/utf8.h"

static const char *const columns[] = {
        "record_id", "national_id",    "given_names",    "family_name", "birth_date",
        "kind",      "title",          "programme_code", "eqf_level",   "credits",
        "grade",     "grading_scheme", "awarded_on",     "language",
};
static const bool required[] = {true,  true, true,  true,  true,  true, true,
                                false, true, false, false, false, true, false};
#define NCOLUMNS (sizeof(columns) / sizeof(columns[0]))

struct pieces {
	const uint8_t *data;
	size_t len, pos, piece;
};

static long read_pieces(void *ctx, void *dst, size_t cap)
{
	struct pieces *p = ctx;
	size_t n = p->len - p->pos;

	if (n > cap)
		n = cap;
	if (n > p->piece)
		n = p->piece;
	memcpy(dst, p->data + p->pos, n);
	p->pos += n;
	return (long)n;
}

static uint64_t mix(uint64_t h, const void *s, size_t n)
{
	const unsigned char *p = s;
	size_t i;

	for (i = 0; i < n; i++)
		h = (h ^ p[i]) * UINT64_C(0x100000001b3);
	return h;
}

/* Reads everything and returns a hash of what was seen, checking the reader's promises. */
static uint64_t read_all(csv_read_fn read, void *ctx, size_t size)
{
	struct csv_reader *r;
	struct csv_row row;
	struct ok_error err;
	uint64_t h = UINT64_C(0xcbf29ce484222325);
	size_t i, last_line = 0;
	int rc;

	ok_error_clear(&err);
	rc = csv_reader_open(&r, "fuzz.csv", read, ctx, columns, required, NCOLUMNS, &err);
	h = mix(h, &rc, sizeof(rc));
	if (rc) {
		if (rc > 0 || err.code != rc || strcmp(err.file, "fuzz.csv") != 0)
			abort();
		return mix(h, err.message, strlen(err.message));
	}
	for (;;) {
		ok_error_clear(&err);
		rc = csv_reader_next(r, &row, &err);
		h = mix(h, &rc, sizeof(rc));
		if (rc == 0)
			break;
		if (rc < 0) {
			if (err.code != rc || err.line < last_line)
				abort();
			h = mix(h, &err.line, sizeof(err.line));
			h = mix(h, err.message, strlen(err.message));
			h = mix(h, err.field, strlen(err.field));
			if (rc != OK_EINPUT)
				break;
			last_line = err.line;
			continue;
		}
		if (rc != 1 || row.count != NCOLUMNS || row.line < last_line || row.line == 0)
			abort();
		last_line = row.line;
		h = mix(h, &row.line, sizeof(row.line));
		for (i = 0; i < row.count; i++) {
			const struct csv_field *f = &row.fields[i];

			if (f->len > CSV_FIELD_MAX || f->data[f->len] != '\0' ||
			    !utf8_valid(f->data, f->len) || memchr(f->data, 0, f->len))
				abort();
			h = mix(h, f->data, f->len + 1);
		}
	}
	if (csv_reader_bytes_read(r) > size || (rc == 0 && csv_reader_bytes_read(r) != size))
		abort();
	csv_reader_free(r);
	return h;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct csv_memory_source m = {(const char *)data, size, 0};
	struct pieces p = {data, size, 0, 1};
	uint64_t whole, split;

	whole = read_all(csv_read_memory, &m, size);
	/* piece sizes of 1 to 16 bytes, picked by the input's last byte */
	if (size)
		p.piece = 1 + data[size - 1] % 16;
	split = read_all(read_pieces, &p, size);
	if (whole != split)
		abort();
	return 0;
}
