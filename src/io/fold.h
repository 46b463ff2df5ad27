/* Folding a person's name for comparison: two spellings that differ only in letter case or in
 * white space fold to the same bytes.
 *
 * What folding does, exactly (docs/api.md, "Foreign credentials", says the same):
 * - every run of Unicode White_Space (space, tab, line breaks, no-break spaces, the U+2000..200A
 *   spaces, ideographic space, …) becomes one ASCII space; leading and trailing ones go;
 * - letters are case folded with Unicode's case folding for the Latin (Basic, Latin-1,
 *   Extended-A, Extended Additional), Greek, Cyrillic and Armenian letters and the fullwidth
 *   Latin ones, including ß and ẞ to "ss" and final sigma to sigma; other characters stay as
 *   they are.
 * No other normalisation: accents count ("Jose" is not "José"), and a precomposed é is not a
 *   decomposed e + U+0301.
 */
#ifndef OK_IO_FOLD_H
#define OK_IO_FOLD_H

#include <stddef.h>

#include "core/error.h"

/*
 * Folds the n bytes at s (strict UTF-8) into out (cap bytes, NUL terminated). OK_EINPUT when s
 * is not valid UTF-8 or holds a NUL, OK_ETOOBIG when the folded text does not fit.
 */
int fold_name(const char *s, size_t n, char *out, size_t cap);

#endif
