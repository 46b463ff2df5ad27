/* Streaming reader of CSV files (RFC 4180) that maps columns by header name, on libcsv.
 *
 * Invariants:
 * - Memory is bounded whatever the input: one input chunk (CSV_CHUNK bytes), one record of at
 *   most one field of CSV_FIELD_MAX bytes per header column, and nothing per row read.
 * - Input is UTF-8 with an optional BOM, records end in CRLF, LF or CR, and the first record is
 *   the header. Header names match the wanted names ignoring ASCII case and surrounding blanks.
 * - The separator is the one of ',', ';' and tab that the header row holds outside quotes (as
 *   spreadsheets write: Dutch ones use ';'); a header with none is one column of ','; a header
 *   with more than one kind is refused, naming what was found.
 * - Fields are never trimmed: "  a " stays as it is.
 * - A record whose fields are all empty (a blank line, or ",,," as spreadsheets write) is skipped.
 * - Line numbers are physical, 1-based, and name the line where a record starts; CRLF, LF and a
 *   lone CR each end a line.
 * - Error messages name columns, never field values (which may be personal data).
 */
#ifndef OK_IO_CSV_READER_H
#define OK_IO_CSV_READER_H

#include <stdbool.h>
#include <stddef.h>

#include "core/error.h"

#define CSV_FIELD_MAX   ((size_t)4096)     /* bytes in one field, after unquoting */
#define CSV_CHUNK       ((size_t)64 << 10) /* bytes asked of the read function at a time */
#define CSV_COLUMNS_MAX 256                /* wanted columns at most */

/* Sources of bytes */

/* A source of bytes: returns bytes read (0 at end) or a negative OK_E… code. */
typedef long (*csv_read_fn)(void *ctx, void *dst, size_t cap);
/* Reads from a FILE * opened for reading; OK_EIO on a read error. */
long csv_read_file(void *ctx, void *dst, size_t cap);
struct csv_memory_source {
	const char *data;
	size_t len;
	size_t pos;
};
/* Reads from a struct csv_memory_source, advancing pos. */
long csv_read_memory(void *ctx, void *dst, size_t cap);

/* Records */

struct csv_field {
	const char *data; /* NUL-terminated too; valid until the next call on the reader */
	size_t len;
};

struct csv_row {
	size_t line;                    /* 1-based physical line where the record starts */
	char separator;                 /* the file's: ',', ';' or '\t' */
	size_t count;                   /* number of columns (== number of wanted columns) */
	const struct csv_field *fields; /* in the order of the wanted columns; missing optional →
	                                   len 0; owned by the reader */
};

struct csv_reader;

/* Life cycle */

/*
 * Opens a reader on read(ctx) and reads the header. columns: the wanted names (copied);
 * required[i] says whether column i must be present (required NULL: all are). name names the
 * file in errors (copied; may be NULL). The reader owns nothing of ctx: the caller keeps the
 * source alive until csv_reader_free() and closes it afterwards.
 *
 * Returns 0 and sets *out (free it with csv_reader_free), or an error, each located in the
 * file with ok_error_locate and, where it applies, the column in err->field:
 * - OK_EINPUT: a 0-byte file ("empty file: a header row is required"), a file of blank lines,
 *   a header row with more than one kind of separator, a required column missing, an unknown
 * column, a column named twice, a column without a name, a malformed header;
 * - OK_EUNSUPPORTED: binary content (NUL bytes, text that is not UTF-8, UTF-16);
 * - the read function's code (OK_EIO …), OK_ENOMEM.
 */
int csv_reader_open(struct csv_reader **out, const char *name, csv_read_fn read, void *ctx,
                    const char *const *columns, const bool *required, size_t ncolumns,
                    struct ok_error *err);

/* Frees the reader (NULL is fine); leaves the source alone. */
void csv_reader_free(struct csv_reader *r);

/* Reading */

/*
 * Reads the next record: returns 1 and fills row, 0 at the end of input, or a negative code.
 *
 * OK_EINPUT is a row error, with err->line and (where one applies) err->field set, and the
 * reader positioned after that record so that the caller can count it as rejected and go on:
 * a wrong number of fields, invalid UTF-8 in a field, a field over CSV_FIELD_MAX bytes, or
 * malformed quoting (the reader then skips to the end of that physical line).
 *
 * Any other code is fatal and the reader must not be read again: the read function's code
 * (OK_EIO …), OK_EUNSUPPORTED for binary data (a NUL byte) or a quoted field still open at the
 * end of the file, OK_ENOMEM.
 */
int csv_reader_next(struct csv_reader *r, struct csv_row *row, struct ok_error *err);

/* The separator found in the header row: ',', ';' or '\t'. */
char csv_reader_separator(const struct csv_reader *r);

/* Bytes of input consumed so far (BOM included), for progress. */
size_t csv_reader_bytes_read(const struct csv_reader *r);

#endif
