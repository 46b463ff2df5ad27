/* Cells of the CSV files oorkonde writes, safe to open in a spreadsheet.
 *
 * A spreadsheet runs a cell that begins with '=', '+', '-' or '@' as a formula, and some take a
 * leading tab or carriage return for one too (OWASP, "CSV injection"). A value from outside (a
 * name, a title, a reason quoting a column) that begins so is written with a single quote in
 * front, which spreadsheets show as text and do not keep as part of the value; the importer
 * drops that quote again (csv_cell_unprotect), so a file written here imports as it was read.
 */
#ifndef OK_IO_CSV_WRITER_H
#define OK_IO_CSV_WRITER_H

#include <stdbool.h>
#include <stddef.h>

#include "core/buf.h"

/* Whether n bytes at s begin with a character a spreadsheet may take for a formula. */
bool csv_cell_is_risky(const char *s, size_t n);

/*
 * Appends one cell to out: a quote in front when the value, after any quotes and then spaces
 * it begins with, begins with a character of csv_cell_is_risky, then the value, in double
 * quotes (inner quotes doubled) when it holds the separator sep, a quote, CR or LF. Returns 0,
 * or the buffer's OK_ETOOBIG / OK_ENOMEM.
 */
int csv_cell_append(struct buf *out, const char *s, size_t n, char sep);

/*
 * Undoes csv_cell_append's protection on a cell read back: a cell of one or more single quotes,
 * any spaces, and then a character of csv_cell_is_risky loses its first quote (*s and *n then
 * name the rest). Any other value is left alone, so a name like "'t Hart" keeps its quote.
 */
void csv_cell_unprotect(const char **s, size_t *n);

#endif
